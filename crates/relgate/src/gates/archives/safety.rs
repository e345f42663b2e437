//! The `archive-safety` gate.

use std::io::BufReader;
use std::path::Path;

use artidigest::{
    ArchiveError, ContentProfile, CrateError, Format, Limits, RecordProblem, WheelError,
    check_crate_named, check_profile, list_archive, open_in, verify_wheel,
};

use crate::artifacts::local_artifacts;
use crate::finding::{Code, Finding};
use crate::gate::{BlockingGate, GateContext, GateResult};
use crate::ledger::{FileKind, Ledger};
use crate::policy::model::{ArtifactKind, Policy};

/// Every archive artifact of the release folder (wheel, sdist, `.crate`, npm tarball, Helm
/// chart) is read once with `artidigest`'s hostile-safe reader — never extracted — and must
/// be safe to unpack (`archive-unsafe`: traversal, links out, bombs, limits), conform to its
/// content profile (`archive-unsafe` with the profile code), and, for a wheel, match its
/// `RECORD` (`record-mismatch`). Archives are the policy's `[[artifacts]]` of archive kinds
/// plus every file of the folder that is an archive by name or magic bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArchiveSafetyGate;

impl BlockingGate for ArchiveSafetyGate {
    const ID: &'static str = "archive-safety";

    fn run_blocking(&self, ctx: &GateContext) -> GateResult {
        check(&ctx.policy, &ctx.release_dir)
    }
}

/// The profile an artifact kind implies, if it is an archive kind.
fn profile_of_kind(kind: ArtifactKind) -> Option<ContentProfile> {
    match kind {
        ArtifactKind::Wheel => Some(ContentProfile::Wheel),
        ArtifactKind::Sdist => Some(ContentProfile::Sdist),
        ArtifactKind::Crate => Some(ContentProfile::Crate),
        ArtifactKind::NpmTarball => Some(ContentProfile::Npm),
        ArtifactKind::HelmChart => Some(ContentProfile::Helm),
        _ => None,
    }
}

/// One archive to check: its path, the format to read it as, and the layout it must have
/// (none for an archive of no known ecosystem: it is still read for safety).
struct Archive {
    path: String,
    format: Format,
    profile: Option<ContentProfile>,
    /// Its artifact kind (declared, else detected), which picks its `[archive-limits.<kind>]`.
    kind: Option<ArtifactKind>,
}

/// The archives to check: every artifact the policy declares with an archive kind, and every
/// other file of the folder that is an archive by name or magic bytes. Declaring artifacts
/// narrows nothing: an archive nobody declared is read all the same.
fn archives(policy: &Policy, dir: &Path) -> Result<Vec<Archive>, String> {
    let mut out: Vec<Archive> = Vec::new();
    if !policy.artifacts.is_empty() {
        for a in local_artifacts(policy, dir).map_err(|e| e.to_string())? {
            if let Some(p) = profile_of_kind(a.kind) {
                let format = Format::from_file_name(&a.path).unwrap_or(p.format());
                out.push(Archive {
                    path: a.path,
                    format,
                    profile: Some(p),
                    kind: Some(a.kind),
                });
            }
        }
    }
    let ledger = Ledger::walk(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for e in &ledger.entries {
        let Some(kind) = e.kind.filter(|k| k.is_archive()) else {
            continue;
        };
        if out.iter().any(|a| a.path == e.path) {
            continue;
        }
        let (format, profile) = match kind {
            FileKind::Wheel => (Format::Zip, Some(ContentProfile::Wheel)),
            // Named like an sdist is not enough (forges serve source archives under such
            // names): the content says whether it is one (`ContentProfile::detect`).
            FileKind::Crate => (Format::TarGz, Some(ContentProfile::Crate)),
            FileKind::Zip => (Format::Zip, None),
            FileKind::Tar => (Format::Tar, None),
            _ => (Format::TarGz, None),
        };
        out.push(Archive {
            path: e.path.clone(),
            format,
            profile,
            kind: detected_kind(kind),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The artifact kind of an archive nobody declared, by what the folder walk recognised: a
/// `.tgz` (an npm tarball or a Helm chart) has none until declared, and is held to the
/// defaults.
fn detected_kind(kind: FileKind) -> Option<ArtifactKind> {
    match kind {
        FileKind::Wheel => Some(ArtifactKind::Wheel),
        FileKind::Sdist => Some(ArtifactKind::Sdist),
        FileKind::Crate => Some(ArtifactKind::Crate),
        FileKind::Zip | FileKind::Gzip | FileKind::Tar => Some(ArtifactKind::Binary),
        _ => None,
    }
}

fn check(policy: &Policy, dir: &Path) -> GateResult {
    let list = match archives(policy, dir) {
        Ok(l) => l,
        Err(e) => return GateResult::error(e),
    };
    if list.is_empty() {
        return GateResult::skipped("the release folder holds no archive");
    }
    // Archives are independent: read them on every core, report them in folder order.
    let results = read_all(policy, dir, &list);
    let mut findings = Vec::new();
    let mut checked = Vec::new();
    for (a, (limits, found, outcome)) in list.iter().zip(results) {
        findings.extend(found);
        match outcome {
            Ok(profile) => checked.push(serde_json::json!({
                "file": a.path,
                "profile": profile.map_or("archive", |p| p.name()),
                "kind": a.kind.map(ArtifactKind::as_str),
                "max-ratio": limits.max_compression_ratio,
            })),
            Err(e) => return GateResult::error(e),
        }
    }
    GateResult::from_findings(findings)
        .with_evidence("archives", serde_json::json!(checked))
        .reading(list.iter().map(|a| a.path.clone()))
}

/// One archive's result: the limits it was held to, its findings, and the layout it was held
/// to (`Err`: it could not be read at all).
type Checked = (Limits, Vec<Finding>, Result<Option<ContentProfile>, String>);

/// Checks every archive of `list`, on up to as many threads as the machine has cores, and
/// returns the results in `list`'s order.
fn read_all(policy: &Policy, dir: &Path, list: &[Archive]) -> Vec<Checked> {
    let one = |a: &Archive| -> Checked {
        // Each archive is held to its kind's caps: the defaults with the policy's
        // `[archive-limits.<kind>]` applied.
        let limits = policy.archive_limits_for(a.kind);
        let mut findings = Vec::new();
        let outcome = check_one(dir, a, &limits, &mut findings);
        (limits, findings, outcome)
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(list.len());
    if workers <= 1 {
        return list.iter().map(one).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Checked)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(a) = list.get(i) else { break };
                        mine.push((i, one(a)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                // A worker that panicked loses its archives: they are reported as unread.
                h.join().unwrap_or_default()
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    let mut out: Vec<Checked> = Vec::with_capacity(list.len());
    let mut done = done.into_iter().peekable();
    for (i, a) in list.iter().enumerate() {
        match done.next_if(|(j, _)| *j == i) {
            Some((_, c)) => out.push(c),
            None => out.push((
                policy.archive_limits_for(a.kind),
                Vec::new(),
                Err(format!("the check of {} did not finish", a.path)),
            )),
        }
    }
    out
}

/// [`unsafe_finding`] for a read that failed on the archive's content; `Err` when the file
/// itself could not be read (an I/O error is no finding about the archive).
fn unsafe_or_unreadable(path: &str, e: &ArchiveError) -> Result<Finding, String> {
    if let artidigest::ArchiveErrorKind::Io(io) = e.kind() {
        return Err(format!("cannot read {path}: {io}"));
    }
    Ok(unsafe_finding(path, e))
}

fn unsafe_finding(path: &str, e: &ArchiveError) -> Finding {
    // Inside a nested archive, the subject names every archive on the way down.
    let outer: String = e.chain().iter().map(|(_, n)| format!("!{n}")).collect();
    let subject = match (e.name(), e.index()) {
        (Some(n), _) => format!("{path}{outer}!{n}"),
        (None, Some(i)) => format!("{path}{outer}!entry {i}"),
        (None, None) => format!("{path}{outer}"),
    };
    Finding::new(Code::ArchiveUnsafe, subject)
        .expected("an archive safe to unpack, within the reader's limits")
        .found(e.kind().to_string())
        .hint("rebuild the artifact from a clean tree; never publish an archive the safe reader refuses")
}

fn record_finding(path: &str, record: &str, p: &RecordProblem) -> Finding {
    let subject = match p {
        RecordProblem::Unlisted { path: e, .. } => format!("{path}!{e}"),
        RecordProblem::Missing { line, path: e }
        | RecordProblem::DigestMismatch { line, path: e, .. }
        | RecordProblem::SizeMismatch { line, path: e, .. } => {
            format!("{path}!{record}:{line} {e}")
        }
        _ => format!("{path}!{record}"),
    };
    let (expected, found) = match p {
        RecordProblem::Unlisted { .. } => (
            format!("listed in {record}"),
            String::from("in the wheel but not listed"),
        ),
        RecordProblem::Missing { .. } => (
            String::from("the listed file in the wheel"),
            String::from("no such entry"),
        ),
        RecordProblem::DigestMismatch {
            expected, actual, ..
        } => (expected.to_string(), actual.to_string()),
        RecordProblem::SizeMismatch {
            expected, actual, ..
        } => (format!("{expected} bytes"), format!("{actual} bytes")),
        other => (String::from("a well-formed RECORD row"), other.to_string()),
    };
    Finding::new(Code::RecordMismatch, subject)
        .expected(expected)
        .found(found)
        .hint("rebuild the wheel; RECORD must list every file with its sha256 and size")
}

/// Checks one archive, reading it once; returns the layout it was held to. `Err` means it
/// could not be read at all.
fn check_one(
    dir: &Path,
    archive: &Archive,
    limits: &Limits,
    findings: &mut Vec<Finding>,
) -> Result<Option<ContentProfile>, String> {
    let path = archive.path.as_str();
    // The one folder reader: no link followed, regular files only.
    let file = open_in(dir, path, u64::MAX).map_err(|e| format!("cannot open {path}: {e}"))?;
    let reader = BufReader::new(file);
    let format = archive.format;
    let Some(profile) = archive.profile else {
        return match list_archive(reader, format, limits, &[]) {
            Ok(listing) => {
                // A tarball of no declared kind: hold it to the layout its content shows.
                let detected = ContentProfile::detect(path, &listing);
                if let Some(p) = detected {
                    for f in check_profile(&listing, p) {
                        findings.push(f.to_finding(path, p));
                    }
                }
                check_nested(dir, archive, &listing, limits, findings)?;
                Ok(detected)
            }
            Err(e) => {
                findings.push(unsafe_or_unreadable(path, &e)?);
                Ok(None)
            }
        };
    };
    let listing = match profile {
        ContentProfile::Wheel => verify_wheel(reader, limits)
            .map(|check| {
                for p in &check.record.problems {
                    findings.push(record_finding(path, &check.record.record_path, p));
                }
                check.listing
            })
            .map_err(|e| match e {
                WheelError::Archive(e) => unsafe_finding(path, &e),
                e => Finding::new(Code::RecordMismatch, path.to_owned())
                    .expected("one readable *.dist-info/RECORD")
                    .found(e.to_string()),
            }),
        ContentProfile::Crate => check_crate_named(reader, path, limits)
            .map(|info| info.listing)
            .map_err(|e| match e {
                CrateError::Archive(e) => unsafe_finding(path, &e),
                e => Finding::new(Code::ArchiveUnsafe, path.to_owned())
                    .expected(
                        "a valid .crate (one root named after the file, Cargo.toml whose [package] name and version match the file name; .cargo_vcs_info.json valid when present)",
                    )
                    .found(e.to_string()),
            }),
        _ => match list_archive(reader, format, limits, &[]) {
            Ok(l) => Ok(l),
            Err(e) => Err(unsafe_or_unreadable(path, &e)?),
        },
    };
    // An archive its profile's reader refused is one finding; its layout is not checked.
    let listing = match listing {
        Ok(l) => l,
        Err(f) => {
            findings.push(f);
            return Ok(Some(profile));
        }
    };
    for f in check_profile(&listing, profile) {
        findings.push(f.to_finding(path, profile));
    }
    check_nested(dir, archive, &listing, limits, findings)?;
    Ok(Some(profile))
}

/// Whether an entry name is an archive a consumer would unpack in turn.
fn archive_named(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".zip", ".whl", ".jar", ".tar", ".tar.gz", ".tgz", ".crate"]
        .iter()
        .any(|s| lower.ends_with(s))
}

/// Archives inside the archive (a jar in a wheel, a tarball in an sdist) are opened in turn
/// under one budget for every level (`artidigest::inspect_nested`): a nested bomb whose every
/// layer looks small alone is refused. Only archives that hold an entry named as an archive
/// are read a second time.
fn check_nested(
    dir: &Path,
    archive: &Archive,
    listing: &artidigest::Listing,
    limits: &Limits,
    findings: &mut Vec<Finding>,
) -> Result<(), String> {
    if !listing.entries.iter().any(|e| archive_named(&e.entry.path)) {
        return Ok(());
    }
    let path = archive.path.as_str();
    let file = open_in(dir, path, u64::MAX).map_err(|e| format!("cannot open {path}: {e}"))?;
    match artidigest::inspect_nested(BufReader::new(file), archive.format, limits) {
        Ok(_) => Ok(()),
        Err(e) => {
            if let artidigest::ArchiveErrorKind::Io(io) = e.kind() {
                return Err(format!("cannot read {path}: {io}"));
            }
            findings.push(unsafe_finding(path, &e));
            Ok(())
        }
    }
}
