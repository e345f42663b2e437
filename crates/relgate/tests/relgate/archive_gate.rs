//! The `archive-safety` gate on real archives built in temp folders.

use std::path::Path;

use artidigest::{Algorithm, Digest, Format, RepackEntry, RepackOptions, repack_entries};
use relgate::{Code, GateStatus, Policy, RunContext};
use relkit_testkit::archive::{gzip_stored, ustar_header};

fn sha256(bytes: &[u8]) -> artidigest::Digest {
    Digest::of(Algorithm::Sha256, bytes)
}

fn pack(entries: Vec<RepackEntry>, format: Format) -> Vec<u8> {
    repack_entries(entries, &RepackOptions::new(format))
        .unwrap()
        .bytes
}

fn files(list: &[(&str, &[u8])]) -> Vec<RepackEntry> {
    list.iter()
        .map(|(p, b)| RepackEntry::file(*p, b.to_vec()))
        .collect()
}

/// A wheel whose RECORD is written by `record` from the (path, bytes) of its files.
pub(crate) fn wheel_with(record: impl Fn(&[(&str, &[u8])]) -> String) -> Vec<u8> {
    let list: &[(&str, &[u8])] = &[
        ("demo/__init__.py", b"x = 1\n"),
        ("demo-1.0.0.dist-info/METADATA", b"Name: demo\n"),
        ("demo-1.0.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
    ];
    let mut entries = files(list);
    entries.push(RepackEntry::file(
        "demo-1.0.0.dist-info/RECORD",
        record(list).into_bytes(),
    ));
    pack(entries, Format::Zip)
}

pub(crate) fn honest_record(list: &[(&str, &[u8])]) -> String {
    let mut r: String = list
        .iter()
        .map(|(p, b)| format!("{p},{},{}\n", sha256(b).to_record(), b.len()))
        .collect();
    r.push_str("demo-1.0.0.dist-info/RECORD,,\n");
    r
}

pub(crate) fn sdist(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut list: Vec<(&str, &[u8])> = vec![("demo-1.0.0/setup.py", b"print(1)\n")];
    list.extend_from_slice(extra);
    pack(files(&list), Format::TarGz)
}

pub(crate) fn krate(orig: bool) -> Vec<u8> {
    let mut list: Vec<(&str, &[u8])> = vec![
        (
            "demo-1.0.0/Cargo.toml",
            b"[package]\nname = \"demo\"\nversion = \"1.0.0\"\n",
        ),
        ("demo-1.0.0/src/lib.rs", b"\n"),
    ];
    if orig {
        list.push((
            "demo-1.0.0/Cargo.toml.orig",
            b"[package]\nname = \"demo\"\n",
        ));
    }
    repack_entries(files(&list), &RepackOptions::cargo())
        .unwrap()
        .bytes
}

fn npm() -> Vec<u8> {
    pack(
        files(&[("package/package.json", b"{}"), ("package/index.js", b"\n")]),
        Format::TarGz,
    )
}

/// A folder holding an honest wheel, sdist, .crate and npm tarball.
fn release() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path());
    dir
}

/// Writes the honest release into `dir`.
fn fill(dir: &Path) {
    let w = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    w("demo-1.0.0-py3-none-any.whl", wheel_with(honest_record));
    w(
        "demo-1.0.0.tar.gz",
        sdist(&[("demo-1.0.0/PKG-INFO", b"Name: demo\n")]),
    );
    w("demo-1.0.0.crate", krate(true));
    w("demo-1.0.0.tgz", npm());
    w("notes.md", b"not an archive".to_vec());
}

const POLICY: &str = r#"
[project]
name = "demo"
[[artifacts]]
glob = "*.whl"
kind = "wheel"
[[artifacts]]
glob = "*.tar.gz"
kind = "sdist"
[[artifacts]]
glob = "*.crate"
kind = "crate"
[[artifacts]]
glob = "*.tgz"
kind = "npm-tarball"
[[artifacts]]
glob = "*"
kind = "binary"
[gates.archive-safety]
"#;

async fn check(dir: &Path, toml: &str) -> relgate::Report {
    let policy = Policy::from_toml_str(toml, "release.toml").unwrap();
    relgate::run(&policy, RunContext::new(dir).tag("v1.0.0")).await
}

/// The findings of gate `gate` in `r`, each as `row` makes it: what a test compares.
pub(crate) fn rows_of<T>(
    r: &relgate::Report,
    gate: &str,
    row: impl Fn(&relgate::report::ReportedFinding) -> T,
) -> Vec<T> {
    r.gate(gate).unwrap().findings.iter().map(row).collect()
}

fn findings(r: &relgate::Report) -> Vec<(Code, String, Option<String>, Option<String>)> {
    rows_of(r, "archive-safety", |f| {
        let f = &f.finding;
        (
            f.code,
            f.subject.clone(),
            f.expected.clone(),
            f.found.clone(),
        )
    })
}

#[tokio::test]
async fn honest_archives_pass_and_each_is_named_in_the_evidence() {
    let dir = release();
    let r = check(dir.path(), POLICY).await;
    let g = r.gate("archive-safety").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{:#?}", g);
    let checked = g.evidence["archives"].as_array().unwrap();
    assert_eq!(checked.len(), 4, "{checked:?}");
    assert!(checked.iter().all(|c| c["file"] != "notes.md"));
}

#[tokio::test]
async fn by_file_name_when_the_policy_declares_no_artifacts() {
    let dir = release();
    let r = check(
        dir.path(),
        "[project]\nname = \"demo\"\n[gates.archive-safety]\n",
    )
    .await;
    let g = r.gate("archive-safety").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{:#?}", g);
    // Every archive of the folder is read: the three named by their ecosystem, and the .tgz
    // (npm or Helm by name) held to the layout its content shows.
    let archives = g.evidence["archives"].as_array().unwrap();
    assert_eq!(archives.len(), 4, "{archives:?}");
    assert!(
        archives
            .iter()
            .any(|a| a["file"] == "demo-1.0.0.tgz" && a["profile"] == "npm"),
        "{archives:?}"
    );
    assert!(archives.iter().all(|a| a["file"] != "notes.md"));
}

#[tokio::test]
async fn a_wrong_record_digest_names_the_line_and_both_digests() {
    let dir = release();
    let bad = wheel_with(|list| {
        honest_record(list).replacen(
            &sha256(list[0].1).to_record(),
            &sha256(b"other").to_record(),
            1,
        )
    });
    std::fs::write(dir.path().join("demo-1.0.0-py3-none-any.whl"), bad).unwrap();
    let r = check(dir.path(), POLICY).await;
    assert_eq!(
        findings(&r),
        [(
            Code::RecordMismatch,
            "demo-1.0.0-py3-none-any.whl!demo-1.0.0.dist-info/RECORD:1 demo/__init__.py".to_owned(),
            Some(sha256(b"other").to_string()),
            Some(sha256(b"x = 1\n").to_string()),
        )]
    );
    assert_eq!(r.root_cause_codes(), [Code::RecordMismatch]);
}

#[tokio::test]
async fn unlisted_files_wrong_sizes_and_a_hashed_record_row_are_found() {
    let dir = release();
    let bad = wheel_with(|list| {
        let mut r = String::new();
        // __init__.py left out; METADATA with a wrong size; RECORD's own row hashed.
        r.push_str(&format!(
            "{},{},999\n",
            list[1].0,
            sha256(list[1].1).to_record()
        ));
        r.push_str(&format!(
            "{},{},{}\n",
            list[2].0,
            sha256(list[2].1).to_record(),
            list[2].1.len()
        ));
        r.push_str(&format!(
            "demo-1.0.0.dist-info/RECORD,{},1\n",
            sha256(b"").to_record()
        ));
        r
    });
    std::fs::write(dir.path().join("demo-1.0.0-py3-none-any.whl"), bad).unwrap();
    let r = check(dir.path(), POLICY).await;
    let f = findings(&r);
    assert_eq!(f.len(), 3, "{f:#?}");
    assert!(f.iter().all(|x| x.0 == Code::RecordMismatch));
    assert!(f.iter().any(|x| x.1.ends_with("!demo/__init__.py")));
    assert!(
        f.iter()
            .any(|x| x.1.ends_with("RECORD:1 demo-1.0.0.dist-info/METADATA")
                && x.2.as_deref() == Some("999 bytes")
                && x.3.as_deref() == Some("11 bytes"))
    );
    assert!(
        f.iter()
            .any(|x| x.3.as_deref().is_some_and(|s| s.contains("empty hash")))
    );
}

#[tokio::test]
async fn a_traversal_entry_is_archive_unsafe_and_named() {
    // The release folder sits in a private folder, so `../evil` would land in it.
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("release");
    std::fs::create_dir(&dir).unwrap();
    fill(&dir);
    let mut tar = ustar_header("demo-1.0.0/PKG-INFO", 5);
    tar.extend_from_slice(b"Name\n");
    tar.resize(1024, 0);
    tar.extend(ustar_header("../evil", 5));
    tar.extend_from_slice(b"evil\n");
    tar.resize(2048 + 1024, 0);
    std::fs::write(dir.join("demo-1.0.0.tar.gz"), gzip_stored(&tar)).unwrap();
    let r = check(&dir, POLICY).await;
    let f = findings(&r);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].0, Code::ArchiveUnsafe);
    assert_eq!(f[0].1, "demo-1.0.0.tar.gz!../evil");
    assert!(f[0].3.as_deref().unwrap().contains("../evil"));
    assert!(!outer.path().join("evil").exists());
    let names: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["release"]);
}

#[tokio::test]
async fn profile_violations_carry_the_profile_code() {
    let dir = release();
    // An sdist without PKG-INFO, and a .crate whose Cargo.toml names another version.
    // (Issue 11 changed the .crate rule: a crate without Cargo.toml.orig is a legacy layout,
    // accepted with an info note — see `a_legacy_crate_passes_with_an_info_note`.)
    std::fs::write(dir.path().join("demo-1.0.0.tar.gz"), sdist(&[])).unwrap();
    std::fs::write(
        dir.path().join("demo-1.0.0.crate"),
        krate_with("[package]\nname = \"demo\"\nversion = \"1.0.1\"\n"),
    )
    .unwrap();
    let r = check(dir.path(), POLICY).await;
    let f = findings(&r);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(f.iter().all(|x| x.0 == Code::ArchiveUnsafe));
    let crate_f = f.iter().find(|x| x.1 == "demo-1.0.0.crate").unwrap();
    assert!(
        crate_f.3.as_deref().unwrap().contains("1.0.1"),
        "{crate_f:?}"
    );
    assert!(
        !crate_f
            .2
            .as_deref()
            .unwrap()
            .contains(".cargo_vcs_info.json is required")
    );
    let sdist_f = f.iter().find(|x| x.1 == "demo-1.0.0.tar.gz").unwrap();
    assert!(sdist_f.3.as_deref().unwrap().starts_with("missing-file"));
    assert!(sdist_f.3.as_deref().unwrap().contains("PKG-INFO"));
}

#[tokio::test]
async fn a_symlink_in_a_wheel_breaks_its_profile() {
    let dir = release();
    let list: &[(&str, &[u8])] = &[
        ("demo/__init__.py", b"x = 1\n"),
        ("demo-1.0.0.dist-info/METADATA", b"Name: demo\n"),
        ("demo-1.0.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
    ];
    let mut entries = files(list);
    entries.push(RepackEntry::symlink("demo/link", "__init__.py"));
    let mut record = honest_record(list);
    record.push_str("demo/link,,\n");
    entries.push(RepackEntry::file(
        "demo-1.0.0.dist-info/RECORD",
        record.into_bytes(),
    ));
    std::fs::write(
        dir.path().join("demo-1.0.0-py3-none-any.whl"),
        pack(entries, Format::Zip),
    )
    .unwrap();
    let r = check(dir.path(), POLICY).await;
    let g = r.gate("archive-safety").unwrap();
    assert_eq!(g.status, GateStatus::Fail, "{g:#?}");
    assert!(
        findings(&r)
            .iter()
            .all(|x| x.0 == Code::ArchiveUnsafe || x.0 == Code::RecordMismatch)
    );
    assert!(findings(&r).iter().any(|x| x.0 == Code::ArchiveUnsafe
        && x.3.as_deref().is_some_and(|f| f.starts_with("not-a-file"))));
}

#[tokio::test]
async fn garbage_is_never_a_pass() {
    let dir = release();
    std::fs::write(dir.path().join("demo-1.0.0-py3-none-any.whl"), b"not a zip").unwrap();
    std::fs::write(dir.path().join("demo-1.0.0.tgz"), b"\x1f\x8b truncated").unwrap();
    let r = check(dir.path(), POLICY).await;
    let g = r.gate("archive-safety").unwrap();
    assert!(
        matches!(g.status, GateStatus::Fail | GateStatus::Error),
        "{g:#?}"
    );
}

#[tokio::test]
async fn it_runs_after_the_checksum_file_gate() {
    let dir = release();
    let mut sums = String::new();
    for name in [
        "demo-1.0.0-py3-none-any.whl",
        "demo-1.0.0.tar.gz",
        "demo-1.0.0.crate",
        "demo-1.0.0.tgz",
        "notes.md",
    ] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        sums.push_str(&format!("{}  {name}\n", sha256(&bytes).to_hex()));
    }
    std::fs::write(dir.path().join("SHA256SUMS"), sums).unwrap();
    // The sdist replaced (with an unsafe one) after SHA256SUMS was written.
    std::fs::write(dir.path().join("demo-1.0.0.tar.gz"), sdist(&[])).unwrap();
    let toml = format!("{POLICY}[checksums]\nfile = \"SHA256SUMS\"\n[gates.checksum-file]\n");
    let r = check(dir.path(), &toml).await;
    let g = r.gate("archive-safety").unwrap();
    assert_eq!(g.status, GateStatus::Skipped, "{g:#?}");
    assert_eq!(g.caused_by, ["checksum-file"]);
    assert_eq!(r.root_cause_codes(), [Code::DigestMismatch]);
}

fn krate_with(manifest: &str) -> Vec<u8> {
    repack_entries(
        files(&[
            ("demo-1.0.0/Cargo.toml", manifest.as_bytes()),
            ("demo-1.0.0/Cargo.toml.orig", manifest.as_bytes()),
            ("demo-1.0.0/src/lib.rs", b"\n"),
        ]),
        &RepackOptions::cargo(),
    )
    .unwrap()
    .bytes
}

#[tokio::test]
async fn a_legacy_crate_passes_with_an_info_note() {
    let dir = release();
    std::fs::write(dir.path().join("demo-1.0.0.crate"), krate(false)).unwrap();
    let r = check(dir.path(), POLICY).await;
    let g = r.gate("archive-safety").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.notes.len(), 1, "{:#?}", g.notes);
    assert_eq!(g.notes[0].severity, relgate::Severity::Info);
    assert_eq!(g.notes[0].subject, "demo-1.0.0.crate");
    assert!(
        g.notes[0]
            .found
            .as_deref()
            .unwrap()
            .starts_with("legacy-crate"),
        "{:#?}",
        g.notes
    );
}

#[tokio::test]
async fn a_definitely_typed_npm_tarball_passes_and_a_wrong_root_is_one_finding() {
    let dir = release();
    let typed = pack(
        files(&[
            ("node/package.json", b"{}"),
            ("node/index.d.ts", b"\n"),
            ("node/fs.d.ts", b"\n"),
        ]),
        Format::TarGz,
    );
    std::fs::write(dir.path().join("demo-1.0.0.tgz"), typed).unwrap();
    let r = check(dir.path(), POLICY).await;
    let g = r.gate("archive-safety").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");

    // 110 entries outside `package/`: one finding, not 110.
    let mut list: Vec<(String, Vec<u8>)> = vec![("package/package.json".into(), b"{}".to_vec())];
    for i in 0..110 {
        list.push((format!("lib/{i}.js"), b"\n".to_vec()));
    }
    let entries = list
        .iter()
        .map(|(p, b)| RepackEntry::file(p.as_str(), b.clone()))
        .collect();
    std::fs::write(
        dir.path().join("demo-1.0.0.tgz"),
        pack(entries, Format::TarGz),
    )
    .unwrap();
    let r = check(dir.path(), POLICY).await;
    let f = findings(&r);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].3.as_deref().unwrap().starts_with("outside-root"));
    assert!(f[0].3.as_deref().unwrap().contains("(and 109 more)"));
}

/// Every real artifact of `../shared/vectors/archives/` (the `real-world/` folder included:
/// a wheel with a 223:1 library, DefinitelyTyped tarballs, a 2016 crate) passes the gate
/// under the default limits, in one release folder.
#[tokio::test]
async fn real_world_artifacts_pass_the_gate() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/archives");
    if !shared.exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "shared archive vectors not found at {} (required under CI=true)",
            shared.display()
        );
        eprintln!(
            "SKIPPED: shared archive vectors not found at {}",
            shared.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut copied = 0;
    for folder in [shared.clone(), shared.join("real-world")] {
        for e in std::fs::read_dir(&folder).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            if Format::from_file_name(&name).is_some() {
                std::fs::copy(e.path(), dir.path().join(&name)).unwrap();
                copied += 1;
            }
        }
    }
    assert!(copied >= 9, "{copied} archives");
    let r = check(
        dir.path(),
        "[project]\nname = \"demo\"\n[gates.archive-safety]\n",
    )
    .await;
    let g = r.gate("archive-safety").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.evidence["archives"].as_array().unwrap().len(), copied);
    // The 2016 crate is accepted with one info note.
    assert!(
        g.notes
            .iter()
            .all(|n| n.severity == relgate::Severity::Info && n.subject == "cesu8-1.1.0.crate"),
        "{:#?}",
        g.notes
    );
}
