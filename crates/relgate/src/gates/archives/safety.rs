//! The `archive-safety` gate.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use artidigest::{
    ArchiveError, ContentProfile, CrateError, Format, Limits, ProfileFinding, RecordProblem,
    WheelError, check_crate_named, check_profile, list_archive, verify_wheel,
};

use crate::artifacts::local_artifacts;
use crate::finding::{Code, Finding};
use crate::folder::list_files;
use crate::gate::{BlockingGate, GateContext, GateResult};
use crate::policy::model::{ArtifactKind, Policy};

/// Every archive artifact of the release folder (wheel, sdist, `.crate`, npm tarball, Helm
/// chart) is read once with `artidigest`'s hostile-safe reader — never extracted — and must
/// be safe to unpack (`archive-unsafe`: traversal, links out, bombs, limits), conform to its
/// content profile (`archive-unsafe` with the profile code), and, for a wheel, match its
/// `RECORD` (`record-mismatch`). Artifacts come from the policy's `[[artifacts]]` kinds, or
/// by file name when the policy declares none.
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

/// The archives to check, as (relative path, profile).
fn archives(policy: &Policy, dir: &Path) -> Result<Vec<(String, ContentProfile)>, String> {
    if policy.artifacts.is_empty() {
        let files = list_files(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        return Ok(files
            .into_iter()
            .filter_map(|f| ContentProfile::from_file_name(&f).map(|p| (f, p)))
            .collect());
    }
    let found = local_artifacts(policy, dir).map_err(|e| e.to_string())?;
    Ok(found
        .into_iter()
        .filter_map(|a| profile_of_kind(a.kind).map(|p| (a.path, p)))
        .collect())
}

fn check(policy: &Policy, dir: &Path) -> GateResult {
    let list = match archives(policy, dir) {
        Ok(l) => l,
        Err(e) => return GateResult::error(e),
    };
    if list.is_empty() {
        return GateResult::skipped("the release folder holds no archive artifact");
    }
    let limits = Limits::default();
    let mut findings = Vec::new();
    let mut checked = Vec::new();
    for (path, profile) in &list {
        match check_one(dir, path, *profile, &limits, &mut findings) {
            Ok(()) => checked.push(serde_json::json!({"file": path, "profile": profile.name()})),
            Err(e) => return GateResult::error(e),
        }
    }
    GateResult::from_findings(findings).with_evidence("archives", serde_json::json!(checked))
}

fn unsafe_finding(path: &str, e: &ArchiveError) -> Finding {
    let subject = match (e.name(), e.index()) {
        (Some(n), _) => format!("{path}!{n}"),
        (None, Some(i)) => format!("{path}!entry {i}"),
        (None, None) => path.to_owned(),
    };
    Finding::new(Code::ArchiveUnsafe, subject)
        .expected("an archive safe to unpack, within the reader's limits")
        .found(e.kind().to_string())
        .hint("rebuild the artifact from a clean tree; never publish an archive the safe reader refuses")
}

fn profile_finding(path: &str, profile: ContentProfile, f: &ProfileFinding) -> Finding {
    Finding::new(Code::ArchiveUnsafe, path.to_owned())
        .expected(format!("the {profile} layout"))
        .found(format!("{}: {f}", f.code()))
}

fn record_finding(path: &str, record: &str, p: &RecordProblem) -> Finding {
    let (subject, expected, found) = match p {
        RecordProblem::Unlisted { path: e, .. } => (
            format!("{path}!{e}"),
            format!("listed in {record}"),
            String::from("in the wheel but not listed"),
        ),
        RecordProblem::Missing { line, path: e } => (
            format!("{path}!{record}:{line} {e}"),
            String::from("the listed file in the wheel"),
            String::from("no such entry"),
        ),
        RecordProblem::DigestMismatch {
            line,
            path: e,
            expected,
            actual,
        } => (
            format!("{path}!{record}:{line} {e}"),
            expected.to_string(),
            actual.to_string(),
        ),
        RecordProblem::SizeMismatch {
            line,
            path: e,
            expected,
            actual,
        } => (
            format!("{path}!{record}:{line} {e}"),
            format!("{expected} bytes"),
            format!("{actual} bytes"),
        ),
        other => (
            format!("{path}!{record}"),
            String::from("a well-formed RECORD row"),
            other.to_string(),
        ),
    };
    Finding::new(Code::RecordMismatch, subject)
        .expected(expected)
        .found(found)
        .hint("rebuild the wheel; RECORD must list every file with its sha256 and size")
}

/// Checks one archive, reading it once. `Err` means it could not be read at all.
fn check_one(
    dir: &Path,
    path: &str,
    profile: ContentProfile,
    limits: &Limits,
    findings: &mut Vec<Finding>,
) -> Result<(), String> {
    let full = dir.join(path);
    let file = File::open(&full).map_err(|e| format!("cannot open {path}: {e}"))?;
    if !file
        .metadata()
        .map_err(|e| format!("cannot stat {path}: {e}"))?
        .is_file()
    {
        return Err(format!("{path} is not a regular file"));
    }
    let reader = BufReader::new(file);
    let format = Format::from_file_name(path).unwrap_or(profile.format());
    let listing = match profile {
        ContentProfile::Wheel => match verify_wheel(reader, limits) {
            Ok(check) => {
                for p in &check.record.problems {
                    findings.push(record_finding(path, &check.record.record_path, p));
                }
                check.listing
            }
            Err(WheelError::Archive(e)) => {
                findings.push(unsafe_finding(path, &e));
                return Ok(());
            }
            Err(e) => {
                findings.push(
                    Finding::new(Code::RecordMismatch, path.to_owned())
                        .expected("one readable *.dist-info/RECORD")
                        .found(e.to_string()),
                );
                return Ok(());
            }
        },
        ContentProfile::Crate => match check_crate_named(reader, path, limits) {
            Ok(info) => info.listing,
            Err(CrateError::Archive(e)) => {
                findings.push(unsafe_finding(path, &e));
                return Ok(());
            }
            Err(e) => {
                findings.push(
                    Finding::new(Code::ArchiveUnsafe, path.to_owned())
                        .expected(
                            "a valid .crate (one root, Cargo.toml.orig, .cargo_vcs_info.json)",
                        )
                        .found(e.to_string()),
                );
                return Ok(());
            }
        },
        _ => match list_archive(reader, format, limits, &[]) {
            Ok(l) => l,
            Err(e) => {
                if let artidigest::ArchiveErrorKind::Io(io) = e.kind() {
                    return Err(format!("cannot read {path}: {io}"));
                }
                findings.push(unsafe_finding(path, &e));
                return Ok(());
            }
        },
    };
    for f in check_profile(&listing, profile) {
        findings.push(profile_finding(path, profile, &f));
    }
    Ok(())
}
