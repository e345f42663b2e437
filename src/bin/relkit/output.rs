//! Options every subcommand shares (format, colour, verbosity) and the one way a result is
//! printed: through relgate's report renderers.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use relgate::{Finding, Format, Phase, Report};

/// The output formats, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned text for people (colour only on a terminal; `NO_COLOR` honoured).
    Human,
    /// JSON under relgate's report schema.
    Json,
    /// Markdown (for a CI step summary).
    Markdown,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0 (for code scanning upload).
    Sarif,
    /// An unsigned in-toto statement: the SLSA Verification Summary of the decision.
    Vsa,
}

impl OutputFormat {
    /// relgate's renderer for this format.
    pub(crate) fn format(self) -> Format {
        match self {
            OutputFormat::Human => Format::Terminal,
            OutputFormat::Json => Format::Json,
            OutputFormat::Markdown => Format::Markdown,
            OutputFormat::Github => Format::Github,
            OutputFormat::Junit => Format::Junit,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Vsa => Format::Vsa,
        }
    }
}

/// When to colour the human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub(crate) struct Global {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub(crate) format: OutputFormat,
    /// Colour the human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); `RELKIT_LOG` takes a filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

impl Global {
    /// Whether human output is coloured: `--color`, else a terminal on stdout and no
    /// `NO_COLOR`.
    pub(crate) fn color(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }

    /// Whether progress bars may be drawn: human output and a terminal on stderr.
    pub(crate) fn progress(&self) -> bool {
        self.format == OutputFormat::Human && std::io::stderr().is_terminal()
    }

    /// Starts logging to stderr: `RELKIT_LOG` (a `tracing` filter such as
    /// `relgate=debug,regclient=trace`) when set, else the level `-v` asks for (warnings by
    /// default; `-v` info, `-vv` debug, `-vvv` trace). Library events carry no credentials:
    /// URLs are logged redacted.
    pub(crate) fn init_logging(&self) {
        use tracing_subscriber::EnvFilter;
        let filter = match std::env::var("RELKIT_LOG") {
            Ok(f) if !f.trim().is_empty() => EnvFilter::new(f),
            _ => EnvFilter::new(match self.verbose {
                0 => "warn",
                1 => "info",
                2 => "debug",
                _ => "trace",
            }),
        };
        let ansi = std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && self.color != ColorChoice::Never;
        // A second initialisation (never in this binary) would only be refused: ignore it.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .with_target(true)
            .try_init();
    }

    /// Prints `report` in the chosen format and returns its exit status; under GitHub
    /// Actions (`GITHUB_STEP_SUMMARY` set) also appends its Markdown to the step summary.
    pub(crate) fn emit(&self, report: &Report) -> ExitCode {
        let color = self.format == OutputFormat::Human && self.color();
        let text = self.format.format().render(report, color);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", text.trim_end_matches('\n'));
        append_step_summary(report);
        ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(2))
    }

    /// `result`'s value; for its error, the could-not-run exit ([`Global::could_not_run`]), to
    /// be returned with `?` by a command whose `Err` is its exit status.
    pub(crate) fn or_exit<T, E: std::fmt::Display>(
        &self,
        project: &str,
        result: Result<T, E>,
    ) -> Result<T, ExitCode> {
        result.map_err(|e| self.could_not_run(project, e))
    }

    /// A scratch folder under the temporary directory named `prefix…`, removed when dropped;
    /// when none can be made, the could-not-run exit for `project`.
    pub(crate) fn scratch_dir(
        &self,
        project: &str,
        prefix: &str,
    ) -> Result<tempfile::TempDir, ExitCode> {
        let made = tempfile::Builder::new().prefix(prefix).tempdir();
        self.or_exit(
            project,
            made.map_err(|e| format!("cannot make a scratch folder: {e}")),
        )
    }

    /// Says on stderr why the command could not run and returns exit status 2; a machine
    /// format also gets a could-not-run report on stdout, so a consumer always reads a report.
    pub(crate) fn could_not_run(&self, project: &str, cause: impl std::fmt::Display) -> ExitCode {
        let cause = cause.to_string();
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "relkit: {}", relkit_finding::escape_controls(&cause));
        if self.format != OutputFormat::Human {
            let _ = self.emit(&Report::could_not_run(project, &cause));
        }
        ExitCode::from(2)
    }
}

/// The report of one standalone check (`Report::of_check`) carrying `evidence` (what the
/// command computed: digests, the next version, the bump's diff) on its one gate, so the JSON
/// form holds the result as well as the findings.
pub(crate) fn check_report(
    project: &str,
    check: &str,
    phase: Phase,
    findings: Vec<Finding>,
    evidence: impl IntoIterator<Item = (impl Into<String>, impl serde::Serialize)>,
) -> Report {
    let mut report = Report::of_check(project, check, phase, findings);
    if let Some(gate) = report.gates.first_mut() {
        for (key, value) in evidence {
            gate.evidence.insert(key.into(), relgate::Json::of(&value));
        }
    }
    report
}

/// Runs one of relgate's blocking gates outside a release run (`policy` over the folder
/// `dir`) and prints its result as a standalone check: a gate that passes or fails is
/// reported with its findings and evidence; one that could not run or skipped everything
/// exits 2 with its reason.
pub(crate) fn emit_gate<G: relgate::gates::BlockingGate>(
    global: &Global,
    gate: &G,
    policy: relgate::Policy,
    dir: &std::path::Path,
    phase: Phase,
) -> ExitCode {
    let project = policy.project.name.clone();
    let ctx = relgate::GateContext::new(std::sync::Arc::new(policy), dir);
    let result = gate.run_blocking(&ctx);
    let findings = match result.outcome {
        relgate::Outcome::Pass => result.notes,
        relgate::Outcome::Fail { findings } => findings,
        relgate::Outcome::Skipped { reason } => return global.could_not_run(&project, reason),
        relgate::Outcome::Error { cause } => return global.could_not_run(&project, cause),
        other => return global.could_not_run(&project, other.name()),
    };
    let id = <G as relgate::gates::BlockingGate>::ID;
    let mut report = check_report(&project, id, phase, findings, result.evidence);
    if let Some(g) = report.gates.first_mut() {
        g.read = result.read;
    }
    global.emit(&report)
}

/// The name a report gives the project at `path`: the folder's (or file's) own name, after
/// resolving `.` and `..`.
pub(crate) fn project_of(path: &std::path::Path) -> String {
    let resolved = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    resolved.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Appends the Markdown rendering of `report` to the file `GITHUB_STEP_SUMMARY` names, when
/// set (GitHub Actions shows it on the run's summary page). A summary that cannot be written
/// is a warning on stderr: the decision stands.
fn append_step_summary(report: &Report) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let markdown = Format::Markdown.render(report, false);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{}", markdown.trim_end_matches('\n')));
    if let Err(e) = written {
        eprintln!(
            "warning: cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
            std::path::Path::new(&path).display()
        );
    }
}
