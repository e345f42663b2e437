//! `relkit digest`: digests of files as `sha256sum` prints them, or `--check` of a checksum
//! file against its folder (relgate's `checksum-file` gate).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use artidigest::checksums::Style;
use artidigest::{Algorithm, ChecksumFile, digest_reader, open_bounded};
use clap::Args;
use relgate::gates::ChecksumFileGate;
use relgate::policy::SCHEMA_VERSION;
use relgate::{Phase, Policy};
use serde_json::json;

use crate::output::{Global, OutputFormat, check_report, emit_gate};

/// Digests of files, or the check of a checksum file.
#[derive(Debug, Args)]
#[command(
    about = "Digests of files (like sha256sum), or --check of a checksum file",
    long_about = "Print the digest of each FILE the way sha256sum does (`HEX  NAME`; with several algorithms or --tag, the BSD form `SHA256 (NAME) = HEX`), reading each file once for every algorithm.\n\nWith --check SUMS, verify the folder of SUMS against it like `sha256sum -c` (GNU or BSD lines, any algorithm relkit knows): digest-mismatch, checksum-missing and checksum-file-invalid findings. Files the checksum file does not list are not an error here.\n\nExit status: 0 printed or verified, 1 a file does not match (or is missing), 2 a file could not be read.",
    after_help = "Example:\n  relkit digest dist/*.whl > SHA256SUMS\n  relkit digest --check dist/SHA256SUMS"
)]
pub(crate) struct DigestArgs {
    /// Algorithms, comma-separated (sha256, sha512, sha1, md5, blake2b-256).
    #[arg(
        short = 'a',
        long = "algorithms",
        value_name = "ALG,...",
        value_delimiter = ',',
        default_value = "sha256"
    )]
    algorithms: Vec<Algorithm>,
    /// Write the BSD form (`SHA256 (NAME) = HEX`), as `sha256sum --tag` does.
    #[arg(long)]
    tag: bool,
    /// Verify the checksum file SUMS against the files of its folder.
    #[arg(short = 'c', long, value_name = "SUMS", conflicts_with_all = ["files", "tag"])]
    check: Option<PathBuf>,
    /// The files to hash.
    #[arg(value_name = "FILE", required_unless_present = "check")]
    files: Vec<PathBuf>,
}

/// Runs `relkit digest`.
pub(crate) fn run(global: &Global, args: DigestArgs) -> ExitCode {
    match &args.check {
        Some(sums) => run_check(global, sums),
        None => run_digest(global, &args),
    }
}

fn run_digest(global: &Global, args: &DigestArgs) -> ExitCode {
    let mut algorithms = args.algorithms.clone();
    algorithms.dedup();
    let mut items = Vec::new();
    for path in &args.files {
        let name = path.to_string_lossy().into_owned();
        // Regular files only (a FIFO or device is refused before it is read).
        let set = match open_bounded(path, u64::MAX)
            .map_err(|e| e.to_string())
            .and_then(|f| digest_reader(f, &algorithms).map_err(|e| e.to_string()))
        {
            Ok(s) => s,
            Err(e) => return global.could_not_run(&name, format!("cannot read {name}: {e}")),
        };
        for alg in &algorithms {
            if let Some(d) = set.get(*alg) {
                items.push((name.clone(), *d));
            }
        }
    }
    let style = if args.tag || algorithms.len() > 1 {
        Style::Bsd
    } else {
        Style::Text
    };
    let sums = ChecksumFile::from_entries(items, style);
    if global.format == OutputFormat::Human {
        print!("{}", relkit_finding::escape_controls(&sums.to_string()));
        return ExitCode::SUCCESS;
    }
    let files: Vec<_> = sums
        .entries
        .iter()
        .map(|e| json!({"file": e.name, "digest": e.digest.to_string()}))
        .collect();
    let project = args
        .files
        .first()
        .map_or_else(String::new, |p| p.to_string_lossy().into_owned());
    global.emit(&check_report(
        &project,
        "digest",
        Phase::Prepublish,
        Vec::new(),
        [("digests", json!(files)), ("sums", json!(sums.to_string()))],
    ))
}

fn run_check(global: &Global, sums: &Path) -> ExitCode {
    let shown = sums.display().to_string();
    let Some(name) = sums.file_name().and_then(|n| n.to_str()) else {
        return global.could_not_run(&shown, format!("{shown} names no file"));
    };
    let folder = sums
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // The checksum-file gate, as a release run would run it, without its unlisted-file rule.
    let mut policy = match Policy::from_toml_str(
        &format!(
            "schema-version = {SCHEMA_VERSION}\n[project]\nname = \"digest\"\n[checksums]\nfile = \"SHA256SUMS\"\nfail-on-unlisted = false\n"
        ),
        "(relkit digest --check)",
    ) {
        Ok(p) => p,
        Err(e) => return global.could_not_run(&shown, e),
    };
    policy.project.name = shown.clone();
    if let Some(rules) = policy.checksums.as_mut() {
        rules.file = name.to_owned();
    }
    emit_gate(global, &ChecksumFileGate, policy, folder, Phase::Prepublish)
}
