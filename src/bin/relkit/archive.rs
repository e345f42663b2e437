//! `relkit archive check|repack|diff`: one archive read with the hostile-safe readers
//! (relgate's `archive-safety` gate), deterministic repacking, and why two artifacts differ.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use artidigest::{
    DiffOptions, Difference, Format, MtimePolicy, Profile, RepackOptions, diff_files, open_bounded,
    repack_bytes, repack_dir, write_atomic,
};
use clap::{Args, Subcommand, ValueEnum};
use relgate::gates::ArchiveSafetyGate;
use relgate::policy::SCHEMA_VERSION;
use relgate::{Code, Finding, Phase, Policy};
use serde_json::json;

use crate::output::{Global, OutputFormat, check_report, emit_gate};

/// Release archives: check one, repack deterministically, explain a difference.
#[derive(Debug, Args)]
#[command(
    about = "Release archives: check one, repack it deterministically, explain two that differ",
    after_help = "Example:\n  relkit archive check dist/pkg-1.2.3-py3-none-any.whl"
)]
pub(crate) struct ArchiveArgs {
    #[command(subcommand)]
    command: ArchiveCommand,
}

#[derive(Debug, Subcommand)]
enum ArchiveCommand {
    Check(CheckArgs),
    Repack(RepackArgs),
    Diff(DiffArgs),
}

/// The artifact kinds an archive can be held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// A Python wheel (checked against its RECORD).
    Wheel,
    /// A Python source distribution.
    Sdist,
    /// A Rust `.crate`.
    Crate,
    /// An npm package tarball.
    NpmTarball,
    /// A Helm chart.
    HelmChart,
}

impl Kind {
    /// The policy's name for the kind.
    fn policy_name(self) -> &'static str {
        match self {
            Kind::Wheel => "wheel",
            Kind::Sdist => "sdist",
            Kind::Crate => "crate",
            Kind::NpmTarball => "npm-tarball",
            Kind::HelmChart => "helm-chart",
        }
    }
}

/// Checks one archive.
#[derive(Debug, Args)]
#[command(
    about = "Check one archive with the hostile-safe readers (never extracted)",
    long_about = "Read one tar, tar.gz or zip archive (a wheel, sdist, .crate, npm tarball or Helm chart) in memory with the hostile-safe readers, exactly as the archive-safety gate of a release run does: safe to unpack (no traversal, no link leaving the root, no bomb, within the limits; nested archives opened under one budget), the layout of its kind, and a wheel's RECORD.\n\nThe kind comes from the file name and content unless --kind says it.\n\nExit status: 0 safe, 1 unsafe or not its kind's layout, 2 not an archive or unreadable.",
    after_help = "Example:\n  relkit archive check --format json dist/demo-1.2.3.crate"
)]
struct CheckArgs {
    /// Hold the archive to this kind's layout (default: from the file name and content).
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// The archive.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// Repacks an archive or a folder deterministically.
#[derive(Debug, Args)]
#[command(
    about = "Repack an archive (or a folder) deterministically",
    long_about = "Write OUT as a deterministic tar, tar.gz or zip of IN (an archive or a folder): sorted paths, fixed modes and owners, the chosen mtime policy, a fixed gzip header, so the bytes depend only on paths, kinds, contents and executable bits. The output format comes from OUT's name (.tar, .tar.gz/.tgz/.crate, .zip/.whl), else IN's. The cargo profile (the default for a .crate) writes what `cargo package` writes. OUT is written atomically.\n\nExit status: 0 written, 2 IN could not be read (or is unsafe) or OUT could not be written.",
    after_help = "Example:\n  relkit archive repack --mtime clamp:1700000000 build/pkg.tar.gz dist/pkg-1.2.3.tar.gz"
)]
struct RepackArgs {
    /// The conventions: deterministic, or cargo (`cargo package`'s; default for a .crate).
    #[arg(long, value_name = "PROFILE")]
    profile: Option<Profile>,
    /// Entry mtimes: fixed:SECS, clamp:SECS or keep (default: clamp to SOURCE_DATE_EPOCH when
    /// set, else a fixed time).
    #[arg(long, value_name = "POLICY")]
    mtime: Option<MtimePolicy>,
    /// Deflate level 0-9 for tar.gz and zip.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=9))]
    level: Option<u32>,
    /// The archive or folder to repack.
    #[arg(value_name = "IN")]
    input: PathBuf,
    /// Where to write the repacked archive.
    #[arg(value_name = "OUT")]
    output: PathBuf,
}

/// Explains why two artifacts differ.
#[derive(Debug, Args)]
#[command(
    about = "Explain, layer by layer, why two archives differ",
    long_about = "Compare two tar, tar.gz or zip files layer by layer (gzip container, archive structure, entry metadata, entry content) and report each difference as a not-reproducible finding with its likely cause and the fix for that container (the cause table of docs/repack.md); text entries that changed carry a bounded unified diff in the JSON evidence.\n\nExit status: 0 identical, 1 they differ, 2 a file could not be read or is not an archive.",
    after_help = "Example:\n  relkit archive diff dist/pkg-1.2.3.tar.gz rebuild/pkg-1.2.3.tar.gz"
)]
struct DiffArgs {
    /// The reference artifact (the release's).
    #[arg(value_name = "A")]
    left: PathBuf,
    /// The artifact compared with it (a rebuild's).
    #[arg(value_name = "B")]
    right: PathBuf,
}

/// Runs `relkit archive …`.
pub(crate) fn run(global: &Global, args: ArchiveArgs) -> ExitCode {
    match args.command {
        ArchiveCommand::Check(a) => run_check(global, &a),
        ArchiveCommand::Repack(a) => run_repack(global, &a),
        ArchiveCommand::Diff(a) => run_diff(global, &a),
    }
}

/// Bytes read to recognise an archive by its magic bytes.
const SNIFF_BYTES: u64 = 512;

fn run_check(global: &Global, a: &CheckArgs) -> ExitCode {
    let shown = a.file.display().to_string();
    let Some(name) = a.file.file_name().and_then(|n| n.to_str()) else {
        return global.could_not_run(&shown, format!("{shown} names no file"));
    };
    // A regular file (links followed: the user named it), recognised as an archive.
    let mut head = Vec::new();
    let sniffed = open_bounded(&a.file, u64::MAX)
        .map_err(|e| e.to_string())
        .and_then(|f| {
            f.take(SNIFF_BYTES)
                .read_to_end(&mut head)
                .map_err(|e| e.to_string())
        });
    if let Err(e) = sniffed {
        return global.could_not_run(&shown, format!("cannot read {shown}: {e}"));
    }
    if a.kind.is_none() && Format::from_file_name(name).is_none() && Format::sniff(&head).is_none()
    {
        return global.could_not_run(
            &shown,
            format!("{shown} is not a tar, tar.gz or zip archive (by name or content)"),
        );
    }
    // The gate reads a release folder: give it one holding only this file.
    let folder = match global.scratch_dir(&shown, "relkit-archive-check-") {
        Ok(d) => d,
        Err(exit) => return exit,
    };
    if let Err(e) = place(&a.file, &folder.path().join(name)) {
        return global.could_not_run(&shown, format!("cannot read {shown}: {e}"));
    }
    let mut toml = format!("schema-version = {SCHEMA_VERSION}\n[project]\nname = \"archive\"\n");
    if let Some(k) = a.kind {
        toml.push_str(&format!(
            "[[artifacts]]\nglob = \"*\"\nkind = \"{}\"\n",
            k.policy_name()
        ));
    }
    let mut policy = match Policy::from_toml_str(&toml, "(relkit archive check)") {
        Ok(p) => p,
        Err(e) => return global.could_not_run(&shown, e),
    };
    policy.project.name = shown;
    emit_gate(
        global,
        &ArchiveSafetyGate,
        policy,
        folder.path(),
        Phase::Prepublish,
    )
}

/// Puts the bytes of `from` at `to`: a hard link when the file system allows, else a copy.
fn place(from: &Path, to: &Path) -> std::io::Result<()> {
    let real = from.canonicalize()?;
    if std::fs::hard_link(&real, to).is_ok() {
        return Ok(());
    }
    let mut src = open_bounded(&real, u64::MAX).map_err(std::io::Error::other)?;
    let mut dst = std::fs::File::create(to)?;
    std::io::copy(&mut src, &mut dst).map(|_| ())
}

fn run_repack(global: &Global, a: &RepackArgs) -> ExitCode {
    let shown = a.output.display().to_string();
    let out_name = a
        .output
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let is_dir = a.input.is_dir();
    let input = if is_dir {
        None
    } else {
        match open_bounded(&a.input, u64::MAX).and_then(artidigest::BoundedFile::read_all) {
            Ok(b) => Some(b),
            Err(e) => {
                return global
                    .could_not_run(&shown, format!("cannot read {}: {e}", a.input.display()));
            }
        }
    };
    let in_format = input.as_deref().and_then(|b| {
        a.input
            .to_str()
            .and_then(Format::from_file_name)
            .or_else(|| Format::sniff(b))
    });
    let Some(format) = Format::from_file_name(out_name).or(in_format) else {
        return global.could_not_run(
            &shown,
            format!("{shown}: name the output .tar, .tar.gz, .tgz, .crate or .zip"),
        );
    };
    let profile = a.profile.unwrap_or(if out_name.ends_with(".crate") {
        Profile::Cargo
    } else {
        Profile::Deterministic
    });
    let mut options = match profile {
        Profile::Cargo => RepackOptions::cargo(),
        _ => RepackOptions::new(format),
    };
    options.format = format;
    if let Some(m) = a.mtime.or_else(MtimePolicy::from_source_date_epoch) {
        options = options.with_mtime(m);
    }
    if let Some(l) = a.level {
        options = options.with_level(l);
    }
    let repacked = match &input {
        Some(bytes) => repack_bytes(bytes, in_format, &options),
        None => repack_dir(&a.input, &options),
    };
    let repacked = match repacked {
        Ok(r) => r,
        Err(e) => {
            return global
                .could_not_run(&shown, format!("cannot repack {}: {e}", a.input.display()));
        }
    };
    if let Err(e) = write_atomic(&a.output, &repacked.bytes) {
        return global.could_not_run(&shown, e);
    }
    if global.format == OutputFormat::Human {
        println!(
            "{}: {}",
            relkit_finding::escape_controls(&shown),
            relkit_finding::escape_controls(&repacked.report.to_string())
        );
        return ExitCode::SUCCESS;
    }
    global.emit(&check_report(
        &shown,
        "archive-repack",
        Phase::Prepublish,
        Vec::new(),
        [("repack", json!(repacked.report))],
    ))
}

/// One difference as a finding: what differs, each side's value, the cause and the fix.
fn difference_finding(d: &Difference, left: &str, right: &str) -> Finding {
    let mut subject = format!("[{}] {}: {}", d.layer, d.code.name(), d.summary);
    if !d.entries.is_empty() {
        subject.push_str(&format!(" ({}", d.entries.join(", ")));
        let more = d.count.saturating_sub(d.entries.len());
        if more > 0 {
            subject.push_str(&format!(" and {more} more"));
        }
        subject.push(')');
    }
    let mut f = Finding::new(Code::NotReproducible, subject).hint(format!(
        "{} [{}]; fix: {}",
        d.cause,
        d.why.name(),
        d.fix
    ));
    if let (Some(l), Some(r)) = (&d.left, &d.right) {
        f = f
            .expected(format!("{l} (as in {left})"))
            .found(format!("{r} (in {right})"));
    }
    f
}

fn run_diff(global: &Global, a: &DiffArgs) -> ExitCode {
    let (left, right) = (a.left.display().to_string(), a.right.display().to_string());
    let report = match diff_files(&a.left, &a.right, &DiffOptions::default()) {
        Ok(r) => r,
        Err(e) => return global.could_not_run(&right, regclient::error_chain(&e)),
    };
    let mut findings: Vec<Finding> = report
        .differences
        .iter()
        .map(|d| difference_finding(d, &left, &right))
        .collect();
    if !report.identical && findings.is_empty() {
        // Fail closed: different bytes without an explanation still differ.
        findings.push(
            Finding::new(Code::NotReproducible, format!("{left} and {right} differ"))
                .expected(report.left.sha256.to_string())
                .found(report.right.sha256.to_string()),
        );
    }
    let evidence = [
        ("identical", json!(report.identical)),
        ("left", json!(report.left)),
        ("right", json!(report.right)),
        ("differences", json!(report.differences)),
    ];
    global.emit(&check_report(
        &right,
        "archive-diff",
        Phase::Prepublish,
        findings,
        evidence,
    ))
}
