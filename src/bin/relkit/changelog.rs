//! `relkit changelog extract|lint`: a version's section (release notes) and the changelog's
//! lint, over relver's changelog model.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use relgate::{Code, Finding, Phase};
use relver::{Changelog, ChangelogPolicy, Config, DirTree, Version, read_text_file};
use serde_json::json;

use crate::output::{Global, OutputFormat, check_report};

/// Largest changelog read, in bytes.
const MAX_CHANGELOG_BYTES: u64 = 16 << 20;

/// The changelog: a version's section, and its lint.
#[derive(Debug, Args)]
#[command(
    about = "The changelog: extract a version's section, lint the file",
    after_help = "Example:\n  relkit changelog extract 1.2.3 CHANGELOG.md > notes.md"
)]
pub(crate) struct ChangelogArgs {
    #[command(subcommand)]
    command: ChangelogCommand,
}

#[derive(Debug, Subcommand)]
enum ChangelogCommand {
    Extract(ExtractArgs),
    Lint(LintArgs),
}

/// Prints a version's section.
#[derive(Debug, Args)]
#[command(
    about = "Print a version's changelog section (release notes), byte for byte",
    long_about = "Print the body of the changelog section for VERSION exactly as the file has it (without the heading and the surrounding blank lines), for release notes. With --format json the body is in the report's evidence.\n\nExit status: 0 printed, 1 the changelog has no section for the version, 2 the file could not be read or VERSION is not a version.",
    after_help = "Example:\n  relkit changelog extract 1.2.3 CHANGELOG.md > notes.md"
)]
struct ExtractArgs {
    /// The version (1.2.3; a leading v is accepted).
    #[arg(value_name = "VERSION")]
    version: String,
    /// The changelog.
    #[arg(value_name = "FILE", default_value = "CHANGELOG.md")]
    file: PathBuf,
}

/// Lints the changelog.
#[derive(Debug, Args)]
#[command(
    about = "Lint the changelog: dates, duplicates, order, Unreleased, links",
    long_about = "Lint every section of a Keep a Changelog style file: valid YYYY-MM-DD dates, no duplicate versions, descending order, an empty Unreleased section once the latest release is dated, and (when the relver configuration beside the file asks for them) link reference definitions.\n\nExit status: 0 clean (warnings allowed), 1 an error finding, 2 the file could not be read.",
    after_help = "Example:\n  relkit changelog lint --format github CHANGELOG.md"
)]
struct LintArgs {
    /// The changelog.
    #[arg(value_name = "FILE", default_value = "CHANGELOG.md")]
    file: PathBuf,
}

/// Runs `relkit changelog …`.
pub(crate) fn run(global: &Global, args: ChangelogArgs) -> ExitCode {
    match args.command {
        ChangelogCommand::Extract(a) => run_extract(global, &a),
        ChangelogCommand::Lint(a) => run_lint(global, &a),
    }
}

/// The changelog's text, or why it cannot be read.
fn read(file: &Path) -> Result<String, String> {
    read_text_file(file, MAX_CHANGELOG_BYTES)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?
        .ok_or_else(|| format!("{} does not exist", file.display()))
}

fn run_extract(global: &Global, a: &ExtractArgs) -> ExitCode {
    let shown = a.file.display().to_string();
    let text = a.version.strip_prefix('v').unwrap_or(&a.version);
    let version: Version = match text.parse() {
        Ok(v) => v,
        Err(e) => return global.could_not_run(&shown, e),
    };
    let log = match read(&a.file) {
        Ok(t) => Changelog::parse(&t),
        Err(e) => return global.could_not_run(&shown, e),
    };
    let Some(section) = log.section(&version) else {
        let finding = Finding::new(
            Code::ChangelogSectionMissing,
            format!("no section for {version}"),
        )
        .in_file(shown.clone())
        .expected(format!("a heading for {version}"))
        .found(match log.latest().and_then(|s| s.version()) {
            Some(v) => format!("latest section: {v}"),
            None => String::from("no version section at all"),
        });
        return global.emit(&check_report(
            &shown,
            "changelog-section",
            Phase::Preflight,
            vec![finding],
            [("version", json!(version.to_string()))],
        ));
    };
    let body = log.body(section);
    if global.format == OutputFormat::Human {
        // The bytes of the section, for release notes: nothing added but a final newline.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(body.as_bytes());
        if !body.is_empty() {
            let _ = out.write_all(b"\n");
        }
        return ExitCode::SUCCESS;
    }
    global.emit(&check_report(
        &shown,
        "changelog-section",
        Phase::Preflight,
        Vec::new(),
        [
            ("version", json!(version.to_string())),
            ("line", json!(section.line)),
            ("date", json!(section.date)),
            ("body", json!(body)),
        ],
    ))
}

fn run_lint(global: &Global, a: &LintArgs) -> ExitCode {
    let shown = a.file.display().to_string();
    let log = match read(&a.file) {
        Ok(t) => Changelog::parse(&t),
        Err(e) => return global.could_not_run(&shown, e),
    };
    // The changelog policy of the relver configuration beside the file, when there is one.
    let folder = a
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let policy = match Config::load(&DirTree::new(folder)) {
        Ok(Some(c)) => c.changelog,
        Ok(None) => ChangelogPolicy::default(),
        Err(e) => return global.could_not_run(&shown, e),
    };
    let findings = log.lint(&shown, &policy);
    global.emit(&check_report(
        &shown,
        "changelog-lint",
        Phase::Preflight,
        findings,
        [("sections", json!(log.sections().len()))],
    ))
}
