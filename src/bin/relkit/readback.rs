//! `relkit readback`: what registries serve for package versions, every claimed digest
//! verified while downloading, optionally compared with a local folder (regclient's
//! `read_back` pipeline).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use regclient::{
    FileComparison, PackageSpec, Progress, ReadbackError, RegistriesConfig, SpecReadback,
    compare_local, error_chain as chain, read_back,
};
use relgate::{Code, Finding, Phase, Severity};
use serde_json::json;

use crate::output::{Global, check_report};

/// Reads back what registries serve.
#[derive(Debug, Args)]
#[command(
    about = "Read back what registries serve for package versions and verify every byte",
    long_about = "Look each package version up on its registry, download every file it serves (streamed, each digest the registry claims checked while downloading, nothing kept unless it matches) and, with --compare, compare the served files with the local release folder.\n\nSpecs: pypi:NAME==VERSION, crates:NAME@VERSION, npm:[@SCOPE/]NAME@VERSION, go:MODULE@VERSION. Endpoints come from the --registries TOML file (docs/registries.md), else from RELKIT_REGISTRY_<KIND>_URL and RELKIT_REGISTRY_<KIND>_TOKEN environment variables (KIND: PYPI, CRATES, NPM, OCI, GOPROXY); none is built in. Progress bars are drawn on stderr, on a terminal only.\n\nExit status: 0 every file served, verified and (with --compare) equal to the local one; 1 a version or file is missing, or bytes differ; 2 bad usage or an unreadable registries file.",
    after_help = "Example:\n  relkit readback --registries registries.toml --compare dist pypi:demo==1.2.3 crates:demo@1.2.3"
)]
pub(crate) struct ReadbackArgs {
    /// The registries' endpoints (TOML); default: RELKIT_* environment variables.
    #[arg(long, value_name = "FILE")]
    registries: Option<PathBuf>,
    /// Compare the served files with this local release folder.
    #[arg(long, value_name = "DIR")]
    compare: Option<PathBuf>,
    /// Keep the downloaded files in this folder (default: a temporary folder, removed).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The package versions (KIND:SPEC).
    #[arg(value_name = "KIND:SPEC", required = true)]
    specs: Vec<PackageSpec>,
}

/// One progress bar on stderr for the whole readback: the bytes of every download so far,
/// the total growing as downloads start, and the file last started.
struct Bar {
    bar: ProgressBar,
    started: AtomicU64,
}

impl Bar {
    fn new() -> Bar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style =
            ProgressStyle::with_template("{bytes:>10}/{total_bytes:10} {bytes_per_sec:>12} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Bar {
            bar,
            started: AtomicU64::new(0),
        }
    }
}

impl Progress for Bar {
    fn start(&self, name: &str, size: Option<u64>) {
        let n = self.started.fetch_add(1, Ordering::Relaxed) + 1;
        self.bar.inc_length(size.unwrap_or(0));
        self.bar.set_message(format!(
            "file {n}: {}",
            relkit_finding::escape_controls(name)
        ));
    }

    fn advance(&self, _name: &str, bytes: u64) {
        self.bar.inc(bytes);
    }

    fn finish(&self, _name: &str) {}
}

/// Runs `relkit readback`.
pub(crate) fn run(global: &Global, args: ReadbackArgs) -> ExitCode {
    let project = args
        .specs
        .first()
        .map_or_else(String::new, ToString::to_string);
    let config = match &args.registries {
        Some(p) => match RegistriesConfig::from_file(p) {
            Ok(c) => c,
            Err(e) => return global.could_not_run(&project, chain(&e)),
        },
        None => RegistriesConfig::from_env(),
    };
    for notice in config.deprecations() {
        eprintln!("warning: {notice}");
    }
    let registries = match config.build() {
        Ok(r) => r,
        Err(e) => return global.could_not_run(&project, chain(&e)),
    };
    let scratch = match global.scratch_dir(&project, "relkit-readback-") {
        Ok(d) => d,
        Err(exit) => return exit,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| scratch.path().to_owned());
    if let Err(e) = std::fs::create_dir_all(&out) {
        return global.could_not_run(&project, format!("cannot create {}: {e}", out.display()));
    }
    let bar = global.progress().then(Bar::new);
    let progress = bar.as_ref().map(|b| b as &dyn Progress);
    let mut findings = Vec::new();
    let mut evidence = Vec::new();
    for result in read_back(&registries, &args.specs, &out, progress) {
        match judge(&result, args.compare.as_deref(), &mut findings) {
            Ok(e) => evidence.push(e),
            Err(cause) => return global.could_not_run(&project, cause),
        }
    }
    if let Some(b) = &bar {
        b.bar.finish_and_clear();
    }
    global.emit(&check_report(
        &project,
        "registry-readback",
        Phase::Postpublish,
        findings,
        [("readback", json!(evidence))],
    ))
}

/// The findings of one spec's readback, and its evidence. `Err`: the local folder could not
/// be read.
fn judge(
    r: &SpecReadback,
    compare: Option<&std::path::Path>,
    findings: &mut Vec<Finding>,
) -> Result<serde_json::Value, String> {
    let spec = r.spec.to_string();
    let published = match &r.published {
        Ok(p) => p,
        Err(e) => {
            findings.push(
                Finding::new(Code::GateError, spec.clone())
                    .expected("an answer from the registry")
                    .found(chain(e)),
            );
            return Ok(json!({"spec": spec, "error": chain(e)}));
        }
    };
    if !published.state.is_served() {
        findings.push(
            Finding::new(Code::RegistryFileMissing, spec.clone())
                .expected(format!("{spec} served by {}", published.registry))
                .found(format!("the version is {}", published.state))
                .hint("publish the version (or check the package name and the endpoint)"),
        );
    }
    let mut downloads = Vec::new();
    for (file, got) in published.files.iter().zip(&r.downloads) {
        let subject = format!("{} of {spec}", file.name);
        match got {
            Ok(f) => downloads.push(json!({
                "name": file.name,
                "sha256": f.computed.get(artidigest::Algorithm::Sha256).map(ToString::to_string),
            })),
            Err(e) => {
                let code = match e {
                    ReadbackError::DigestMismatch { .. } | ReadbackError::SizeMismatch { .. } => {
                        Code::DigestMismatch
                    }
                    _ => Code::RegistryFileMissing,
                };
                findings.push(
                    Finding::new(code, subject)
                        .expected("the bytes the registry claims, downloaded in full")
                        .found(chain(e)),
                );
                downloads.push(json!({"name": file.name, "error": chain(e)}));
            }
        }
    }
    let mut comparison = None;
    if let Some(dir) = compare {
        let reports = compare_local(&published.files, dir)
            .map_err(|e| format!("cannot compare with {}: {}", dir.display(), chain(&e)))?;
        for c in &reports {
            let subject = format!("{} of {spec}", c.name);
            let finding = match &c.comparison {
                FileComparison::DigestMismatch { served, local } => Some(
                    Finding::new(Code::RegistryBytesDiffer, subject)
                        .expected(format!("{local} (the local file)"))
                        .found(format!("{served} (served)")),
                ),
                FileComparison::SizeMismatch { served, local } => Some(
                    Finding::new(Code::RegistryBytesDiffer, subject)
                        .expected(format!("{local} bytes (the local file)"))
                        .found(format!("{served} bytes (served)")),
                ),
                FileComparison::MissingLocally => Some(
                    Finding::new(Code::RegistryBytesDiffer, subject)
                        .expected(format!("only files of {}", dir.display()))
                        .found("served, but not in the local folder")
                        .hint("find out who uploaded it; yank the version if it is not yours"),
                ),
                FileComparison::NoStrongDigest => Some(
                    Finding::new(Code::RegistryBytesDiffer, subject)
                        .expected("a sha256-or-stronger digest claimed by the registry")
                        .found("no collision-resistant digest to compare"),
                ),
                FileComparison::NotServed => Some(
                    Finding::new(Code::RegistryFileMissing, subject)
                        .severity(Severity::Warning)
                        .found("in the local folder, not served for this version"),
                ),
                _ => None,
            };
            findings.extend(finding);
        }
        if !reports.iter().any(|c| c.comparison.is_match()) {
            // An empty comparison proves nothing: fail closed.
            findings.push(
                Finding::new(Code::RegistryFileMissing, spec.clone())
                    .expected(format!("a served file equal to one in {}", dir.display()))
                    .found("nothing to compare"),
            );
        }
        comparison = Some(reports);
    }
    Ok(json!({
        "spec": spec,
        "published": published,
        "downloads": downloads,
        "comparison": comparison,
    }))
}
