//! The coverage ledger through `relgate::run`: every node of the release folder is read by a
//! passing check of what its kind needs, allowed by name with a reason, or the run blocks.

use std::path::Path;

use artidigest::{Algorithm, Digest};
use relgate::{Code, GateStatus, Policy, RunContext, RunStatus};
use relkit_testkit::archive::{RawEntry, raw_zip};

fn sha256_hex(bytes: &[u8]) -> String {
    Digest::of(Algorithm::Sha256, bytes).to_hex()
}

/// Writes `files` into a fresh folder with a SHA256SUMS listing each of them.
fn release(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), files);
    dir
}

fn fill(dir: &Path, files: &[(&str, &[u8])]) {
    let mut sums = String::new();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
        sums.push_str(&format!("{}  {name}\n", sha256_hex(bytes)));
    }
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}

/// Only the checksum file is named: no artifacts, no archive gate.
const POLICY: &str = "[project]\nname = \"demo\"\n[checksums]\nfile = \"SHA256SUMS\"\n";

async fn check(dir: &Path, toml: &str) -> relgate::Report {
    let policy = Policy::from_toml_str(toml, "release.toml").unwrap();
    relgate::run(&policy, RunContext::new(dir).tag("v1.0.0")).await
}

fn findings_of(r: &relgate::Report, gate: &str) -> Vec<(Code, String)> {
    r.gate(gate)
        .unwrap()
        .findings
        .iter()
        .map(|f| (f.finding.code, f.finding.subject.clone()))
        .collect()
}

/// Asserts the ledger's `(path, coverage status)` rows of `r`, in order.
fn assert_statuses(r: &relgate::Report, rows: &[(&str, &str)]) {
    let want: Vec<(String, String)> = rows
        .iter()
        .map(|(p, s)| ((*p).to_owned(), (*s).to_owned()))
        .collect();
    assert_eq!(json_statuses(r), want);
}

/// Asserts that the ledger alone blocks `r` (the checksum gate passed): one root cause, `code`
/// on `path`, found `found`.
fn assert_ledger_alone_blocks(r: &relgate::Report, code: Code, path: &str, found: &str) {
    assert_eq!(r.gate("checksum-file").unwrap().status, GateStatus::Pass);
    assert_eq!(r.decision.status, RunStatus::Blocked);
    assert_eq!(r.decision.blocking_gates, ["files-covered"]);
    assert_eq!(r.root_cause_codes(), [code]);
    assert_eq!(findings_of(r, "files-covered"), [(code, path.to_owned())]);
    let covered = r.gate("files-covered").unwrap();
    assert_eq!(covered.findings[0].finding.found.as_deref(), Some(found));
}

/// Each ledger entry of the JSON report: its path and `coverage.status`.
fn json_statuses(r: &relgate::Report) -> Vec<(String, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&relgate::Format::Json.render(r, false)).unwrap();
    json["ledger"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["coverage"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_undeclared_archive_is_read_by_archive_safety_and_blocks() {
    // A `.bin` the policy never declares, a zip by its magic bytes, listed in SHA256SUMS.
    let payload = raw_zip(&[
        RawEntry::file("app/readme.txt", b"hello\n"),
        RawEntry::file("../../evil", b"evil\n"),
    ]);
    // Two private folders up, so that `../../evil` would land inside them.
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("a/release");
    std::fs::create_dir_all(&dir).unwrap();
    fill(&dir, &[("payload.bin", &payload)]);
    let r = check(&dir, POLICY).await;

    // The checksum matches, yet a matching digest does not make an archive safe.
    assert_eq!(r.gate("checksum-file").unwrap().status, GateStatus::Pass);
    let g = r.gate("archive-safety").unwrap();
    assert_eq!(g.status, GateStatus::Fail, "{g:#?}");
    assert_eq!(
        findings_of(&r, "archive-safety"),
        [(Code::ArchiveUnsafe, "payload.bin!../../evil".to_owned())]
    );
    assert!(!outer.path().join("evil").exists());
    assert!(!outer.path().join("a/evil").exists());
    assert_eq!(r.root_cause_codes(), [Code::ArchiveUnsafe]);
    assert_eq!(r.decision.status, RunStatus::Blocked);

    // The ledger saw a zip, read by both gates, and not covered: archive-safety failed.
    let ledger = r.ledger.as_ref().unwrap();
    let entry = ledger
        .entries
        .iter()
        .find(|e| e.path == "payload.bin")
        .unwrap();
    assert_eq!(entry.kind, Some(relgate::ledger::FileKind::Zip));
    assert_eq!(entry.needs, ["archive-safety"]);
    assert_eq!(
        findings_of(&r, "files-covered"),
        [(Code::FileUnchecked, "payload.bin".to_owned())]
    );
    assert_statuses(
        &r,
        &[("SHA256SUMS", "covered"), ("payload.bin", "unchecked")],
    );
}

#[tokio::test]
async fn a_stray_file_blocks_until_the_policy_allows_it_with_a_reason() {
    let dir = release(&[("app.txt", b"the artifact\n")]);
    std::fs::write(dir.path().join("notes.txt"), b"written by hand").unwrap();

    // Nothing reads notes.txt (it is not in SHA256SUMS and nothing else looks at it).
    let lenient = format!("{POLICY}fail-on-unlisted = false\n");
    let r = check(dir.path(), &lenient).await;
    assert_ledger_alone_blocks(&r, Code::FileUnchecked, "notes.txt", "no check read it");
    let covered = r.gate("files-covered").unwrap();
    assert_eq!(covered.phase, relgate::Phase::Prepublish);
    assert_statuses(
        &r,
        &[
            ("SHA256SUMS", "covered"),
            ("app.txt", "covered"),
            ("notes.txt", "unchecked"),
        ],
    );

    // Allowed by name, with the reason carried into the ledger.
    let allowing = format!(
        "{lenient}[[files.allow]]\nglob = \"notes.txt\"\nreason = \"release notes for people; nothing consumes them\"\n"
    );
    let r = check(dir.path(), &allowing).await;
    assert_eq!(r.decision.status, RunStatus::Allowed, "{:#?}", r.gates);
    assert_eq!(r.gate("files-covered").unwrap().status, GateStatus::Pass);
    assert_statuses(
        &r,
        &[
            ("SHA256SUMS", "covered"),
            ("app.txt", "covered"),
            ("notes.txt", "allowed"),
        ],
    );
    let json = serde_json::to_value(&r).unwrap();
    let notes = json["ledger"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "notes.txt")
        .unwrap()
        .clone();
    assert_eq!(
        notes["coverage"],
        serde_json::json!({
            "status": "allowed",
            "reason": "release notes for people; nothing consumes them",
        })
    );

    // A reason is required.
    let e = Policy::from_toml_str(
        &format!("{lenient}[[files.allow]]\nglob = \"notes.txt\"\nreason = \" \"\n"),
        "release.toml",
    )
    .unwrap_err();
    assert_eq!(e.key(), Some("files.allow.reason"), "{e}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_in_the_release_folder_is_not_regular_and_blocks() {
    let dir = release(&[("app.txt", b"the artifact\n")]);
    std::os::unix::fs::symlink("app.txt", dir.path().join("latest.txt")).unwrap();

    // The checksum gate names the link first (every node of the folder must be listed); the
    // coverage step names it once more, as what it is, and follows from that failure.
    let r = check(dir.path(), POLICY).await;
    assert_eq!(r.decision.status, RunStatus::Blocked);
    assert_eq!(
        findings_of(&r, "checksum-file"),
        [(Code::ChecksumUnlisted, "latest.txt".to_owned())]
    );
    assert_eq!(r.root_cause_codes(), [Code::ChecksumUnlisted]);
    let not_regular: Vec<(Code, String)> = findings_of(&r, "files-covered")
        .into_iter()
        .filter(|(c, _)| *c == Code::FileNotRegular)
        .collect();
    assert_eq!(
        not_regular,
        [(Code::FileNotRegular, "latest.txt".to_owned())]
    );

    // With unlisted files tolerated, the ledger alone blocks: one finding, the link.
    let lenient = format!("{POLICY}fail-on-unlisted = false\n");
    let r = check(dir.path(), &lenient).await;
    assert_ledger_alone_blocks(&r, Code::FileNotRegular, "latest.txt", "a symlink");
    assert_statuses(
        &r,
        &[
            ("SHA256SUMS", "covered"),
            ("app.txt", "covered"),
            ("latest.txt", "not-regular"),
        ],
    );
}
