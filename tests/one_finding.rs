//! One vocabulary: relver, artidigest, attest and relgate all report the one
//! `relkit_finding::Finding`, asserted by type — `takes` accepts nothing else.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use relkit_finding::{Area, Code, Finding};
use relkit_testkit::archive::{RawEntry, raw_tar};

/// Accepts only the one `Finding` type.
fn takes(f: &Finding) -> (Code, Option<String>) {
    (f.code, f.location.as_ref().map(ToString::to_string))
}

const CARGO: &str = "[package]\nname = \"app\"\nversion = \"1.2.2\"\nedition = \"2021\"\n";

#[test]
fn relver_artidigest_attest_and_relgate_report_the_one_finding() {
    // relver: a lockstep check, the file's line, column and key kept.
    let tree = relver::MemTree::new().with_file("Cargo.toml", CARGO);
    let config = relver::Config::new(vec![relver::SourceSpec::new(
        "Cargo.toml",
        relver::SourceKind::Cargo,
    )]);
    let tag: relver::Tag = "v1.2.3".parse().unwrap();
    let report = relver::check(&tree, &config, Some(&tag));
    let relver_seen: Vec<_> = report.findings.iter().map(takes).collect();
    assert_eq!(
        relver_seen,
        vec![(
            Code::VersionMismatch,
            Some(String::from("Cargo.toml:3:11 package.version"))
        )]
    );

    // artidigest: an sdist profile check on a real tar listing.
    let tar = raw_tar(&[RawEntry::file("stray.txt", b"x")]);
    let listing = artidigest::list_archive(
        std::io::Cursor::new(tar),
        artidigest::Format::Tar,
        &artidigest::Limits::default(),
        &[],
    )
    .unwrap();
    let profile = artidigest::ContentProfile::Sdist;
    let archive_seen: Vec<_> = artidigest::check_profile(&listing, profile)
        .iter()
        .map(|p| p.to_finding("app-1.2.3.tar.gz", profile))
        .map(|f| takes(&f))
        .collect();
    assert!(!archive_seen.is_empty());
    assert!(archive_seen.iter().all(|(c, _)| *c == Code::ArchiveUnsafe));

    // attest: a rejection at its boundary.
    let err = attest::Bundle::from_json(b"{}").unwrap_err();
    let (code, _) = takes(&err.to_finding("app-1.2.3.tar.gz"));
    assert_eq!(code.area(), Area::Signing);
    assert_eq!(code, Code::SignatureInvalid);

    // relgate: the decision carries relver's finding unchanged, location and all.
    let source = tempfile::tempdir().unwrap();
    std::fs::write(source.path().join("Cargo.toml"), CARGO).unwrap();
    let dist = tempfile::tempdir().unwrap();
    let mut policy = relgate::Policy::from_toml_str(
        r#"
[project]
name = "app"
[tag]
pattern = "v{version}"
[versions]
tree = "SOURCE"
[versions.inline]
[[versions.inline.source]]
path = "Cargo.toml"
kind = "cargo"
"#
        .replace("SOURCE", &source.path().display().to_string())
        .as_str(),
        "release.toml",
    )
    .unwrap();
    policy.base_dir = source.path().to_path_buf();
    let decision =
        relgate::run_blocking(&policy, relgate::RunContext::new(dist.path()).tag("v1.2.3"));
    let gate = decision.gate("versions-lockstep").unwrap();
    let relgate_seen: Vec<_> = gate.findings.iter().map(|f| takes(&f.finding)).collect();
    assert_eq!(relgate_seen, relver_seen, "{gate:#?}");
}
