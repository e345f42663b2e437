//! Checksum files against coreutils itself, and folder verification outcomes.

use std::fs;
use std::path::Path;
use std::process::Command;

use artidigest::checksums::{ParseOptions, Status, Style, VerifyOptions};
use artidigest::{Algorithm, ChecksumFile, verify_folder};

fn write(dir: &Path, name: &str, data: &[u8]) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, data).unwrap();
}

fn coreutils(bin: &str) -> bool {
    Command::new(bin).arg("--version").output().is_ok()
}

/// Names that exercise every escaping rule coreutils has.
const AWKWARD: [&str; 4] = ["plain.whl", "with space.tar.gz", "back\\slash", "new\nline"];

/// The SHA-256 of `bytes`, in hex.
fn sha256_hex(bytes: &[u8]) -> String {
    artidigest::digest_bytes(bytes, &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .unwrap()
        .to_hex()
}

#[test]
fn parses_what_sha256sum_and_sha512sum_write() {
    assert!(
        coreutils("sha256sum"),
        "coreutils sha256sum is part of every CI machine"
    );
    let dir = tempfile::tempdir().unwrap();
    for (i, n) in AWKWARD.iter().enumerate() {
        write(dir.path(), n, format!("content {i}").as_bytes());
    }
    for (bin, extra, alg, style) in [
        ("sha256sum", None, Algorithm::Sha256, Style::Text),
        (
            "sha256sum",
            Some("--binary"),
            Algorithm::Sha256,
            Style::Binary,
        ),
        ("sha256sum", Some("--tag"), Algorithm::Sha256, Style::Bsd),
        ("sha512sum", None, Algorithm::Sha512, Style::Text),
        ("sha512sum", Some("--tag"), Algorithm::Sha512, Style::Bsd),
    ] {
        let mut cmd = Command::new(bin);
        cmd.current_dir(dir.path());
        if let Some(e) = extra {
            cmd.arg(e);
        }
        let out = cmd.args(AWKWARD).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let parsed = ChecksumFile::parse(&text).unwrap();
        assert_eq!(parsed.entries.len(), AWKWARD.len(), "{bin} {extra:?}");
        for (e, n) in parsed.entries.iter().zip(AWKWARD) {
            assert_eq!(e.name, n);
            assert_eq!(e.digest.algorithm(), alg);
            assert_eq!(e.style, style);
        }
        // Written back byte for byte.
        assert_eq!(parsed.to_string(), text, "{bin} {extra:?}");
        let v = verify_folder(dir.path(), &parsed, None, VerifyOptions::default()).unwrap();
        assert!(v.ok, "{v}");
        assert_eq!(v.matched().count(), AWKWARD.len());
    }
}

#[test]
fn sha256sum_accepts_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    for (i, n) in AWKWARD.iter().enumerate() {
        write(dir.path(), n, format!("payload {i}").as_bytes());
    }
    for style in [Style::Text, Style::Binary, Style::Bsd] {
        let sums =
            ChecksumFile::for_folder(dir.path(), Algorithm::Sha256, style, Some("SUMS")).unwrap();
        fs::write(dir.path().join("SUMS"), sums.to_string()).unwrap();
        let out = Command::new("sha256sum")
            .current_dir(dir.path())
            .args(["--strict", "-c", "SUMS"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{style:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn folder_outcomes_matched_mismatched_missing_unlisted() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.whl", b"wheel");
    write(dir.path(), "b.tar.gz", b"sdist");
    write(dir.path(), "extra.txt", b"not listed");
    let sums = ChecksumFile::for_folder(dir.path(), Algorithm::Sha256, Style::Text, None).unwrap();
    let mut text = sums.to_string();
    text.push_str(&format!("{}  gone.zip\n", "ab".repeat(32)));
    fs::write(dir.path().join("SHA256SUMS"), &text).unwrap();
    write(dir.path(), "b.tar.gz", b"tampered");
    fs::remove_file(dir.path().join("extra.txt")).unwrap();
    write(dir.path(), "new.txt", b"appeared");
    let sums = ChecksumFile::parse(&text).unwrap();

    let opts = VerifyOptions::default();
    let v = verify_folder(dir.path(), &sums, Some("SHA256SUMS"), opts).unwrap();
    assert!(!v.ok);
    let by_name = |n: &str| &v.entries.iter().find(|e| e.name == n).unwrap().status;
    assert_eq!(by_name("a.whl"), &Status::Matched);
    match by_name("b.tar.gz") {
        Status::Mismatched { expected, actual } => {
            assert_eq!(actual.to_hex(), sha256_hex(b"tampered"));
            assert_eq!(expected.to_hex(), sha256_hex(b"sdist"));
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    assert_eq!(by_name("extra.txt"), &Status::Missing);
    assert_eq!(by_name("gone.zip"), &Status::Missing);
    assert_eq!(v.unlisted, ["new.txt"]);
    let report = v.to_string();
    assert!(report.contains("b.tar.gz: FAILED"), "{report}");
    assert!(report.contains("new.txt: UNLISTED"), "{report}");
}

#[test]
fn ignore_missing_like_coreutils() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a", b"1");
    let mut text = ChecksumFile::for_folder(dir.path(), Algorithm::Sha256, Style::Text, None)
        .unwrap()
        .to_string();
    text.push_str(&format!("{}  missing\n", "00".repeat(32)));
    let sums = ChecksumFile::parse(&text).unwrap();
    let opts = VerifyOptions::default().ignore_missing(true);
    assert!(verify_folder(dir.path(), &sums, None, opts).unwrap().ok);
    assert!(
        !verify_folder(dir.path(), &sums, None, VerifyOptions::default())
            .unwrap()
            .ok
    );
    // Nothing verified at all is a failure even when ignoring missing files.
    fs::remove_file(dir.path().join("a")).unwrap();
    assert!(!verify_folder(dir.path(), &sums, None, opts).unwrap().ok);
    // Unlisted files fail only when asked.
    write(dir.path(), "a", b"1");
    write(dir.path(), "b", b"2");
    let strict = VerifyOptions::default()
        .ignore_missing(true)
        .fail_on_unlisted(true);
    assert!(!verify_folder(dir.path(), &sums, None, strict).unwrap().ok);
}

#[test]
fn symlink_out_of_the_folder_is_not_read() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret", b"secret");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("link")).unwrap();
    let d = artidigest::digest_bytes(b"secret", &[Algorithm::Sha256]);
    let text = format!("{}  link\n", d.get(Algorithm::Sha256).unwrap().to_hex());
    let sums = ChecksumFile::parse(&text).unwrap();
    let v = verify_folder(dir.path(), &sums, None, VerifyOptions::default()).unwrap();
    assert_eq!(v.entries[0].status, Status::NotAFile);
    assert!(!v.ok);
}

#[test]
fn lenient_mode_reports_malformed_lines_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a", b"1");
    let good = ChecksumFile::for_folder(dir.path(), Algorithm::Sha256, Style::Text, None).unwrap();
    let text = format!("{good}not a checksum line\n");
    let sums = ChecksumFile::parse_with(&text, ParseOptions::lenient()).unwrap();
    assert_eq!(sums.malformed, [2]);
    let v = verify_folder(dir.path(), &sums, None, VerifyOptions::default()).unwrap();
    assert!(
        !v.ok,
        "a malformed line fails the run, as sha256sum -c --strict does"
    );
}

#[cfg(unix)]
#[test]
fn a_listed_file_through_a_linked_folder_is_not_read_and_unlisted_specials_count() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("payload"), b"outside bytes").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"inside").unwrap();
    // A symlinked directory leading out of the folder, and a file listed through it.
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
    let digest = artidigest::digest_reader(&b"outside bytes"[..], &[Algorithm::Sha256])
        .unwrap()
        .get(Algorithm::Sha256)
        .copied()
        .unwrap();
    let inside = artidigest::digest_reader(&b"inside"[..], &[Algorithm::Sha256])
        .unwrap()
        .get(Algorithm::Sha256)
        .copied()
        .unwrap();
    let sums = ChecksumFile::from_entries(
        [
            ("a.txt".to_owned(), inside),
            ("linked/payload".to_owned(), digest),
        ],
        Style::Text,
    );
    let v = verify_folder(dir.path(), &sums, None, VerifyOptions::default()).unwrap();
    assert_eq!(v.entries[1].status, Status::NotAFile);
    assert!(!v.ok);

    // Unlisted: a link to a file outside and a FIFO are reported, and fail with fail-on-unlisted.
    std::fs::remove_file(dir.path().join("linked")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("payload"), dir.path().join("out-link"))
        .unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(dir.path().join("pipe"))
            .status()
            .unwrap()
            .success()
    );
    let sums = ChecksumFile::from_entries([("a.txt".to_owned(), inside)], Style::Text);
    let options = VerifyOptions::default().fail_on_unlisted(true);
    let v = verify_folder(dir.path(), &sums, None, options).unwrap();
    assert_eq!(v.unlisted, ["out-link", "pipe"]);
    assert!(!v.ok);
}
