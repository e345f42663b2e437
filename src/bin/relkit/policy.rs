//! `relkit policy check|explain`: a release policy validated, and the plan it makes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use relgate::{
    Code, Finding, Location, Phase, Policy, PolicyError, Report, RunContext, RunOptions,
};

use crate::EXIT_COULD_NOT_RUN;
use crate::output::{Global, OutputFormat};
use crate::verify::GithubArgs;

/// Arguments of `relkit policy`.
#[derive(Debug, Args)]
#[command(
    about = "Check a release policy, or show the plan it makes",
    long_about = "Check a release policy (release.toml), or show the plan it makes: the gates in run order, by phase, each with what implied it.\n\nExit status: 0 valid, 2 invalid or unreadable (bad usage too).",
    after_help = "Example:\n  relkit policy check release.toml\n  relkit policy explain release.toml --release dist --phase prepublish"
)]
pub(crate) struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Parse and validate a policy; every error names the file, line, column and key.
    #[command(
        long_about = "Parse and validate a release policy: TOML syntax, unknown keys, types, waivers, patterns and the order of its gates. An error is reported as a policy-invalid finding naming the file, line, column and key; notices (such as a missing schema-version) are shown but do not fail.\n\nExit status: 0 valid, 2 invalid or unreadable.",
        after_help = "Example:\n  relkit policy check release.toml\n  relkit policy check --format github release.toml   # an annotation on the line at fault"
    )]
    Check {
        /// The policy file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Show the planned gate DAG: phases, order, and what implied each gate. Nothing is run.
    #[command(
        long_about = "Show the plan `relkit verify` would follow, without running anything: the gates in run order, grouped by phase, each with its implementation (built-in, policy command, unavailable: an evidence source is missing) and what implied it (the policy naming it, a policy section, files of the release folder, the plain-folder default), and the steps settled after them.\n\nWith --format json: the relgate-plan/1 JSON document.\n\nExit status: 0 the plan can run, 2 the policy is invalid or the plan cannot be ordered.",
        after_help = "Example:\n  relkit policy explain release.toml --release dist\n  relkit policy explain release.toml --phase preflight --format json"
    )]
    Explain {
        /// The policy file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The release folder whose files imply gates (without it, no file implies any).
        #[arg(long, value_name = "DIR")]
        release: Option<PathBuf>,
        /// Plan only this phase; repeatable.
        #[arg(long, value_name = "PHASE", value_parser = parse_phase)]
        phase: Vec<Phase>,
        #[command(flatten)]
        github: GithubArgs,
    },
}

/// A phase name as the command line takes it.
pub(crate) fn parse_phase(s: &str) -> Result<Phase, String> {
    s.parse::<Phase>().map_err(|e| e.to_string())
}

/// The `policy-invalid` finding of a policy error, located at its file, line, column and key.
fn finding_of(error: &PolicyError) -> Finding {
    let file = error.file().display().to_string();
    let mut location = Location::file(file.clone());
    if error.line() > 0 {
        location = location.line_col(error.line(), error.column());
    }
    if let Some(key) = error.key() {
        location = location.key(key);
    }
    Finding::new(Code::PolicyInvalid, file)
        .at(location)
        .expected("a valid release policy (docs/policy.md)")
        .found(error.message())
}

/// The could-not-run report of a policy that does not load (exit status 2).
fn invalid(path: &Path, error: &PolicyError) -> Report {
    let mut report = Report::could_not_run(&path.display().to_string(), error);
    report.errors = vec![finding_of(error)];
    report
}

/// Loads the policy at `path`; when it does not load, the could-not-run report to print.
pub(crate) fn load_policy(path: &Path) -> Result<Policy, Box<Report>> {
    Policy::load(path).map_err(|e| Box::new(invalid(path, &e)))
}

/// Runs `relkit policy`.
pub(crate) fn run(global: &Global, args: &PolicyArgs) -> ExitCode {
    match &args.command {
        PolicyCommand::Check { file } => check(global, file),
        PolicyCommand::Explain {
            file,
            release,
            phase,
            github,
        } => explain(global, file, release.as_deref(), phase, github),
    }
}

fn check(global: &Global, file: &Path) -> ExitCode {
    let policy = match load_policy(file) {
        Ok(p) => p,
        Err(report) => return global.emit(&report),
    };
    // The gates must also order: `after` edges without a cycle. Nothing is walked: the plan
    // is made for the preflight phase only, which judges no release folder.
    let ctx =
        RunContext::new(&policy.base_dir).options(RunOptions::default().phases([Phase::Preflight]));
    if let Some(error) = relgate::explain(&policy, &ctx).error {
        let name = file.display().to_string();
        let mut report = Report::could_not_run(&name, &error);
        report.errors = vec![
            Finding::new(Code::PolicyInvalid, name.clone())
                .at(Location::file(name).key("gates"))
                .expected("gates whose `after` edges can be ordered")
                .found(error),
        ];
        return global.emit(&report);
    }
    // Valid: its notices (non-blocking) are shown as notes.
    global.emit(&Report::of_check(
        &policy.project.name,
        "policy-check",
        Phase::Preflight,
        policy.notices(),
    ))
}

fn explain(
    global: &Global,
    file: &Path,
    release: Option<&Path>,
    phases: &[Phase],
    github: &GithubArgs,
) -> ExitCode {
    let policy = match load_policy(file) {
        Ok(p) => p,
        Err(report) => return global.emit(&report),
    };
    // Without a release folder, an empty one: no file implies a gate.
    let empty = match release {
        Some(_) => None,
        None => match EmptyDir::new() {
            Ok(d) => Some(d),
            Err(e) => {
                return global.emit(&Report::could_not_run(
                    &policy.project.name,
                    format!("cannot make an empty folder: {e}"),
                ));
            }
        },
    };
    let folder = release.or(empty.as_ref().map(|d| d.0.as_path()));
    let mut ctx = RunContext::new(folder.unwrap_or(&policy.base_dir));
    if !phases.is_empty() {
        ctx = ctx.options(RunOptions::default().phases(phases.to_vec()));
    }
    match github.provider() {
        Ok(Some(ci)) => ctx = ctx.ci_provider(Arc::new(ci)),
        Ok(None) => {}
        Err(cause) => {
            return global.emit(&Report::could_not_run(&policy.project.name, cause));
        }
    }
    let plan = relgate::explain(&policy, &ctx);
    let text = match global.format {
        OutputFormat::Json => plan.render_json(),
        format => {
            let shown = release.map_or_else(
                || String::from("(none given: no file implies a gate)"),
                |r| r.display().to_string(),
            );
            let body = format!(
                "policy: {}   release folder: {shown}\n{}",
                file.display(),
                plan.render_terminal()
            );
            if format == OutputFormat::Markdown {
                format!("```text\n{body}```\n")
            } else {
                body
            }
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", text.trim_end_matches('\n'));
    if plan.error.is_some() {
        ExitCode::from(EXIT_COULD_NOT_RUN)
    } else {
        ExitCode::SUCCESS
    }
}

/// An empty folder under the temporary directory, removed when dropped.
struct EmptyDir(PathBuf);

impl EmptyDir {
    fn new() -> std::io::Result<EmptyDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path =
            std::env::temp_dir().join(format!("relkit-explain-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path)?;
        Ok(EmptyDir(path))
    }
}

impl Drop for EmptyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}
