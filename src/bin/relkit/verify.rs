//! `relkit verify`: the release decision, `relgate::run_blocking` over a policy the verifier
//! names, a release folder, the project's source tree and CI evidence from the environment.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use relgate::gates::GithubCi;
use relgate::{Endpoints, Phase, Policy, Report, RunContext, RunOptions};

use crate::EXIT_COULD_NOT_RUN;
use crate::output::{Global, OutputFormat};
use crate::policy::{load_policy, parse_phase};
use crate::progress::Bars;

/// The variable holding the GitHub token unless `--github-token-env` names another.
const DEFAULT_TOKEN_ENV: &str = "GITHUB_TOKEN";

/// Arguments of `relkit verify`.
#[derive(Debug, Args)]
#[command(
    about = "Decide whether a release may go on: run every gate of a release policy",
    long_about = "Decide whether a release may go on: run every gate the release policy requires (and those the release folder's files imply) and print the decision.\n\n\
The policy is the verifier's, never the judged folder's: a release.toml inside the release folder is not read unless --policy names it. Without --policy the folder is checked as a plain folder (its checksum file is present and verifies every file).\n\n\
Relative paths inside the policy resolve against the policy file's folder; --source overrides the policy's [versions] tree/git (version files, changelog, git tags).\n\n\
Registry endpoints come from --registries FILE and RELKIT_REGISTRY_<NAME>_URL, never from the policy.\n\n\
CI evidence (gates ci-green and forge-release-exists): when GITHUB_API_URL and GITHUB_REPOSITORY are set (as in every GitHub Actions job), or --github-api-url and --github-repository are given, the GitHub REST API is asked, with the token from GITHUB_TOKEN (or the variable --github-token-env names). The token is never printed. GITHUB_SHA is the default --commit, and GITHUB_REF=refs/tags/TAG the default --tag; flags override the environment.\n\n\
When GITHUB_STEP_SUMMARY is set, the Markdown report is appended to that file as well.\n\n\
Exit status: 0 allowed, 1 blocked, 2 could not run (bad usage, unreadable input, invalid policy).",
    after_help = "Example:\n  relkit verify --policy release.toml --source . --tag v1.2.3 --phase preflight --phase prepublish dist\n  relkit verify --policy release.toml --registries registries.toml --phase postpublish --format json dist\n  relkit policy explain release.toml --release dist     # the plan, nothing run"
)]
pub(crate) struct VerifyArgs {
    /// The release folder to judge (the assets: archives, checksums, bundles, provenance).
    #[arg(value_name = "RELEASE", conflicts_with = "release")]
    folder: Option<PathBuf>,
    /// The release folder (the same as the positional RELEASE).
    #[arg(long, value_name = "DIR")]
    release: Option<PathBuf>,
    /// The release policy (release.toml); without it, the built-in plain-folder policy.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// The project's source tree (version files, changelog, git), overriding the policy's
    /// [versions] tree/git.
    #[arg(long, value_name = "DIR")]
    source: Option<PathBuf>,
    /// The tag under release [default: the tag of GITHUB_REF=refs/tags/TAG].
    #[arg(long, value_name = "TAG")]
    tag: Option<String>,
    /// The commit under release [default: GITHUB_SHA].
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// Run only this phase (preflight, prepublish, postpublish, consume); repeatable.
    #[arg(long, value_name = "PHASE", value_parser = parse_phase)]
    phase: Vec<Phase>,
    /// Registry endpoints (a TOML file: `[registries.<name>] url = ...`).
    #[arg(long, value_name = "FILE")]
    registries: Option<PathBuf>,
    /// The verifier's Sigstore trust root (trusted_root.json), replacing the policy's
    /// [signing] trusted-root; refused inside the release folder.
    #[arg(long, value_name = "FILE")]
    trust_root: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE (repeatable), e.g. `json:report.json`; the
    /// printed format is --format's.
    #[arg(long, value_name = "FORMAT:FILE", value_parser = parse_report)]
    report: Vec<(OutputFormat, PathBuf)>,
    #[command(flatten)]
    github: GithubArgs,
}

/// `FORMAT:FILE` of `--report`.
fn parse_report(s: &str) -> Result<(OutputFormat, PathBuf), String> {
    let (format, file) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not FORMAT:FILE (for example json:report.json)"))?;
    let format = OutputFormat::from_str(format, false)?;
    if file.is_empty() {
        return Err(format!("{s:?} names no file"));
    }
    Ok((format, PathBuf::from(file)))
}

/// Where CI evidence comes from: GitHub's REST API, configured by flags or the environment.
#[derive(Debug, Args)]
pub(crate) struct GithubArgs {
    /// The GitHub REST API base URL [default: GITHUB_API_URL].
    #[arg(long, value_name = "URL")]
    github_api_url: Option<String>,
    /// The repository the CI evidence is about, OWNER/NAME [default: GITHUB_REPOSITORY].
    #[arg(long, value_name = "OWNER/NAME")]
    github_repository: Option<String>,
    /// The environment variable holding the API token.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_TOKEN_ENV)]
    github_token_env: String,
}

/// A value from a flag, else from the environment variable `var` when set and not empty.
fn flag_or_env(flag: Option<&str>, var: &str) -> Option<String> {
    flag.map(str::to_owned)
        .or_else(|| std::env::var(var).ok().filter(|v| !v.is_empty()))
}

impl GithubArgs {
    /// The GitHub provider when both the API URL and the repository are known; `Ok(None)`
    /// when neither a flag nor the environment configures one.
    pub(crate) fn provider(&self) -> Result<Option<GithubCi>, String> {
        let base = flag_or_env(self.github_api_url.as_deref(), "GITHUB_API_URL");
        let repo = flag_or_env(self.github_repository.as_deref(), "GITHUB_REPOSITORY");
        let (base, repo) = match (base, repo) {
            (Some(b), Some(r)) => (b, r),
            (None, None) => return Ok(None),
            // Half a configuration from the environment alone is no configuration; from a
            // flag it is a mistake worth saying.
            (Some(_), None) if self.github_api_url.is_some() => {
                return Err(String::from(
                    "--github-api-url needs a repository: --github-repository or GITHUB_REPOSITORY",
                ));
            }
            (None, Some(_)) if self.github_repository.is_some() => {
                return Err(String::from(
                    "--github-repository needs an API URL: --github-api-url or GITHUB_API_URL",
                ));
            }
            _ => return Ok(None),
        };
        let ci = GithubCi::new(&base, &repo).map_err(|e| format!("GitHub provider: {e}"))?;
        Ok(Some(
            match std::env::var(&self.github_token_env)
                .ok()
                .filter(|t| !t.is_empty())
            {
                Some(token) => ci.with_token(token),
                None => ci,
            },
        ))
    }
}

/// The tag of a `refs/tags/...` ref.
fn tag_of_ref(git_ref: &str) -> Option<&str> {
    git_ref.strip_prefix("refs/tags/").filter(|t| !t.is_empty())
}

/// A registries configuration file as read: its path and the bytes parsed.
type RegistriesFile = (PathBuf, Vec<u8>);

/// Reads `--registries` and the `RELKIT_REGISTRY_<NAME>_URL` variables of the policy's
/// registries; returns the endpoints and the file's path and bytes (for the report's inputs).
fn endpoints(
    policy: &Policy,
    file: Option<&Path>,
) -> Result<(Endpoints, Option<RegistriesFile>), String> {
    let mut endpoints = Endpoints::new();
    let mut read = None;
    if let Some(file) = file {
        let bytes =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| format!("cannot read {}: not UTF-8", file.display()))?;
        endpoints.merge(
            Endpoints::from_toml_str(text, &file.display().to_string())
                .map_err(|e| e.to_string())?,
        );
        read = Some((file.to_path_buf(), bytes));
    }
    endpoints.merge(
        Endpoints::from_vars(
            policy.registries.keys().map(String::as_str),
            std::env::vars(),
        )
        .map_err(|e| e.to_string())?,
    );
    Ok((endpoints, read))
}

/// Runs `relkit verify`: prints the report, writes the `--report` files.
pub(crate) fn run(global: &Global, args: &VerifyArgs) -> ExitCode {
    let report = decide(global, args);
    let mut code = global.emit(&report);
    for (format, file) in &args.report {
        let text = format.format().render(&report, false);
        if let Err(e) = std::fs::write(file, text) {
            // A report a pipeline asked for and does not get: the run did not complete.
            eprintln!("relkit verify: cannot write {}: {e}", file.display());
            code = ExitCode::from(EXIT_COULD_NOT_RUN);
        }
    }
    code
}

/// The report of `relkit verify`: the run's, or a could-not-run report saying why not.
fn decide(global: &Global, args: &VerifyArgs) -> Report {
    let Some(release) = args.folder.as_ref().or(args.release.as_ref()) else {
        return Report::could_not_run(
            "relkit verify",
            "no release folder: give RELEASE or --release DIR",
        );
    };
    if !release.is_dir() {
        return Report::could_not_run(
            &release.display().to_string(),
            format!("the release folder {} is not a folder", release.display()),
        );
    }
    let mut policy = match &args.policy {
        Some(path) => match load_policy(path) {
            Ok(p) => p,
            Err(report) => return *report,
        },
        // Never the folder's own release.toml: what decides is pinned by the verifier.
        None => match Policy::for_plain_folder(release) {
            Ok(p) => p,
            Err(e) => {
                return Report::could_not_run(&release.display().to_string(), e);
            }
        },
    };
    let fail = |cause: String| Report::could_not_run(&policy.project.name, cause);
    if let Some(root) = &args.trust_root {
        let Some(signing) = policy.signing.as_mut() else {
            return fail(String::from(
                "--trust-root: the policy has no [signing] section for a trust root to apply to",
            ));
        };
        // Absolute, so that it does not resolve against the policy's folder.
        match std::path::absolute(root) {
            Ok(abs) => signing.trusted_root = Some(abs.display().to_string()),
            Err(e) => {
                return fail(format!("--trust-root {}: {e}", root.display()));
            }
        }
    }
    let (endpoints, registries_file) = match endpoints(&policy, args.registries.as_deref()) {
        Ok(e) => e,
        Err(cause) => return fail(cause),
    };
    for warning in endpoints.warnings() {
        eprintln!("warning: {warning}");
    }
    let provider = match args.github.provider() {
        Ok(p) => p,
        Err(cause) => return fail(cause),
    };

    let mut options = RunOptions::default().endpoints(endpoints);
    // Downloads go to relgate's scratch folder on disk; `RELGATE_SCRATCH_DIR` names another.
    if let Some(dir) = std::env::var_os("RELGATE_SCRATCH_DIR") {
        options = options.scratch_dir(PathBuf::from(dir));
    }
    if !args.phase.is_empty() {
        options = options.phases(args.phase.clone());
    }
    let mut ctx = RunContext::new(release).options(options);
    if let Some((file, bytes)) = &registries_file {
        ctx = ctx.registries_file(file.clone(), bytes);
    }
    let github_ref = std::env::var("GITHUB_REF").ok();
    let tag = args.tag.clone().or_else(|| {
        github_ref
            .as_deref()
            .and_then(tag_of_ref)
            .map(str::to_owned)
    });
    if let Some(t) = tag {
        ctx = ctx.tag(t);
    }
    if let Some(c) = flag_or_env(args.commit.as_deref(), "GITHUB_SHA") {
        ctx = ctx.commit(c);
    }
    if let Some(s) = &args.source {
        ctx = ctx.source_dir(s.clone());
    }
    if let Some(ci) = provider {
        // One provider answers both ci-green (refs, runs) and forge-release-exists (releases).
        ctx = ctx.ci_provider(Arc::new(ci));
    }
    let bars = global.progress().then(Bars::new);
    if let Some(b) = &bars {
        ctx = ctx.on_event(b.observer());
    }
    let report = relgate::run_blocking(&policy, ctx);
    if let Some(b) = &bars {
        b.clear();
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tag_refs_name_a_tag() {
        assert_eq!(tag_of_ref("refs/tags/v1.2.3"), Some("v1.2.3"));
        assert_eq!(
            tag_of_ref("refs/tags/clients/go/v1.2.3"),
            Some("clients/go/v1.2.3")
        );
        assert_eq!(tag_of_ref("refs/heads/main"), None);
        assert_eq!(tag_of_ref("refs/tags/"), None);
    }
}
