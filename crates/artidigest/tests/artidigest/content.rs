//! Content checks on archives the tests build: wheel RECORD verification, `.crate` validation
//! and the content profiles, each failure named precisely.

use std::io::Cursor;

use artidigest::{
    Algorithm, ContentProfile, CrateError, Format, Limits, ProfileFinding, RecordProblem,
    WheelError, check_crate, check_crate_named, check_profile, digest_bytes, list_archive,
    verify_wheel,
};

use crate::kit::{Tar, ZipEntry, gzip, zip};

fn record_digest(data: &[u8]) -> String {
    digest_bytes(data, &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .unwrap()
        .to_record()
}

const INIT: &[u8] = b"from .mod import f\n";
const MODULE: &[u8] = b"def f():\n    return 42\n";

fn good_record() -> String {
    format!(
        "pkg/__init__.py,{},{}\npkg/mod.py,{},{}\npkg-1.0.dist-info/METADATA,{},{}\npkg-1.0.dist-info/WHEEL,{},{}\npkg-1.0.dist-info/RECORD,,\n",
        record_digest(INIT),
        INIT.len(),
        record_digest(MODULE),
        MODULE.len(),
        record_digest(b"Name: pkg\n"),
        10,
        record_digest(b"Wheel-Version: 1.0\n"),
        19,
    )
}

fn wheel(record: &str, extra: &[ZipEntry]) -> Vec<u8> {
    let mut entries = vec![
        ZipEntry::deflated("pkg/__init__.py", INIT),
        ZipEntry::deflated("pkg/mod.py", MODULE),
        ZipEntry::stored("pkg-1.0.dist-info/METADATA", b"Name: pkg\n"),
        ZipEntry::stored("pkg-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
    ];
    entries.extend_from_slice(extra);
    entries.push(ZipEntry::deflated(
        "pkg-1.0.dist-info/RECORD",
        record.as_bytes(),
    ));
    zip(&entries)
}

fn problems(record: &str, extra: &[ZipEntry]) -> Vec<RecordProblem> {
    verify_wheel(Cursor::new(wheel(record, extra)), &Limits::default())
        .unwrap()
        .record
        .problems
}

#[test]
fn a_consistent_wheel_verifies() {
    let check = verify_wheel(Cursor::new(wheel(&good_record(), &[])), &Limits::default()).unwrap();
    assert!(check.record.is_ok(), "{:?}", check.record.problems);
    assert_eq!((check.record.rows, check.record.files), (5, 5));
    assert_eq!(check.record.record_path, "pkg-1.0.dist-info/RECORD");
    assert!(check_profile(&check.listing, ContentProfile::Wheel).is_empty());
}

#[test]
fn record_mismatches_are_named_by_line_and_path() {
    let bad_digest = good_record().replace(&record_digest(MODULE), &record_digest(b"other"));
    let p = problems(&bad_digest, &[]);
    assert!(
        matches!(&p[..], [RecordProblem::DigestMismatch { line: 2, path, .. }] if path == "pkg/mod.py"),
        "{p:?}"
    );
    let bad_size = good_record().replace(
        &format!(",{}\npkg-1.0.dist-info/METADATA", MODULE.len()),
        ",999\npkg-1.0.dist-info/METADATA",
    );
    let p = problems(&bad_size, &[]);
    assert!(
        matches!(&p[..], [RecordProblem::SizeMismatch { line: 2, expected: 999, actual, .. }] if *actual == MODULE.len() as u64),
        "{p:?}"
    );
    let p = problems(
        &good_record(),
        &[ZipEntry::stored("pkg/sneaky.py", b"import os\n")],
    );
    assert!(
        matches!(&p[..], [RecordProblem::Unlisted { index: 4, path }] if path == "pkg/sneaky.py"),
        "{p:?}"
    );
    let missing = format!("{}gone.py,{},1\n", good_record(), record_digest(b"x"));
    let p = problems(&missing, &[]);
    assert!(
        matches!(&p[..], [RecordProblem::Missing { line: 6, .. }]),
        "{p:?}"
    );
    let self_hashed = good_record().replace(
        "RECORD,,",
        "RECORD,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0",
    );
    let p = problems(&self_hashed, &[]);
    assert!(
        matches!(&p[..], [RecordProblem::SelfRowNotEmpty { line: 5 }]),
        "{p:?}"
    );
    // Signature rows may be empty; other rows may not.
    let signed = format!("{}pkg-1.0.dist-info/RECORD.jws,,\n", good_record());
    let p = problems(
        &signed,
        &[ZipEntry::stored("pkg-1.0.dist-info/RECORD.jws", b"sig")],
    );
    assert!(p.is_empty(), "{p:?}");
    let empty = good_record().replace(
        &format!("{},{}\npkg/mod.py", record_digest(INIT), INIT.len()),
        ",\npkg/mod.py",
    );
    let p = problems(&empty, &[]);
    assert!(
        matches!(&p[..], [RecordProblem::NoDigest { line: 1, .. }]),
        "{p:?}"
    );
    let sha1 = good_record().replace(&record_digest(INIT), "sha1=2jmj7l5rSw0yVb_vlWAYkK_YBwk");
    let p = problems(&sha1, &[]);
    assert!(
        matches!(
            &p[..],
            [RecordProblem::UnsupportedAlgorithm {
                line: 1,
                algorithm: Algorithm::Sha1,
                ..
            }]
        ),
        "{p:?}"
    );
}

#[test]
fn broken_or_missing_record_is_an_error() {
    let err = verify_wheel(Cursor::new(wheel("a,b\n", &[])), &Limits::default()).unwrap_err();
    assert!(
        matches!(err, WheelError::Record(ref e) if e.line == 1),
        "{err}"
    );
    let two = wheel(
        &good_record(),
        &[ZipEntry::stored("other-2.0.dist-info/RECORD", b"")],
    );
    let err = verify_wheel(Cursor::new(&two), &Limits::default()).unwrap_err();
    assert!(matches!(err, WheelError::NoRecord { found: 2 }), "{err}");
    let listing = list_archive(Cursor::new(&two), Format::Zip, &Limits::default(), &[]).unwrap();
    let findings = check_profile(&listing, ContentProfile::Wheel);
    assert!(
        matches!(&findings[..], [ProfileFinding::DistInfo { found }] if found.len() == 2),
        "{findings:?}"
    );
    // The zip is checked before RECORD: a hostile wheel is an archive error.
    let hostile = zip(&[ZipEntry::stored("../x", b"")]);
    assert!(matches!(
        verify_wheel(Cursor::new(hostile), &Limits::default()),
        Err(WheelError::Archive(_))
    ));
}

const VCS: &str =
    r#"{"git":{"sha1":"0123456789abcdef0123456789abcdef01234567"},"path_in_vcs":"crates/demo"}"#;

fn crate_file(extra: impl FnOnce(&mut Tar)) -> Vec<u8> {
    let mut t = Tar::new();
    t.file("demo-1.0.0/.cargo_vcs_info.json", VCS.as_bytes())
        .file("demo-1.0.0/Cargo.toml", b"[package]\nname = \"demo\"\n")
        .file(
            "demo-1.0.0/Cargo.toml.orig",
            b"[package]\nname = \"demo\"\n",
        )
        .file("demo-1.0.0/src/lib.rs", b"");
    extra(&mut t);
    gzip(&t.finish())
}

#[test]
fn a_well_formed_crate_validates() {
    let info = check_crate_named(
        &crate_file(|_| {})[..],
        "demo-1.0.0.crate",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(info.root, "demo-1.0.0");
    let vcs = info.vcs.unwrap();
    assert_eq!(vcs.sha1, "0123456789abcdef0123456789abcdef01234567");
    assert_eq!(vcs.path_in_vcs, "crates/demo");
    assert!(!vcs.dirty);
    assert_eq!(info.listing.entries.len(), 4);
}

#[test]
fn crate_violations_are_typed() {
    let err = check_crate(
        &crate_file(|t| {
            t.file("other/file", b"");
        })[..],
        &Limits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, CrateError::OutsideRoot { index: 4, ref root, .. } if root == "demo-1.0.0"),
        "{err}"
    );
    let err = check_crate(
        &crate_file(|t| {
            t.symlink("demo-1.0.0/link", "src/lib.rs");
        })[..],
        &Limits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, CrateError::NotAFile { index: 4, .. }),
        "{err}"
    );
    let no_orig = gzip(
        &Tar::new()
            .file("demo-1.0.0/Cargo.toml", b"")
            .file("demo-1.0.0/src/lib.rs", b"")
            .finish(),
    );
    let err = check_crate(&no_orig[..], &Limits::default()).unwrap_err();
    assert!(
        matches!(err, CrateError::Missing { ref path } if path == "demo-1.0.0/Cargo.toml.orig"),
        "{err}"
    );
    let bad_vcs = gzip(
        &Tar::new()
            .file(
                "demo-1.0.0/.cargo_vcs_info.json",
                br#"{"git":{"sha1":"nope"}}"#,
            )
            .file("demo-1.0.0/Cargo.toml", b"")
            .file("demo-1.0.0/Cargo.toml.orig", b"")
            .finish(),
    );
    let err = check_crate(&bad_vcs[..], &Limits::default()).unwrap_err();
    assert!(matches!(err, CrateError::VcsInfo { .. }), "{err}");
    let err = check_crate_named(
        &crate_file(|_| {})[..],
        "demo-2.0.0.crate",
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, CrateError::RootName { .. }), "{err}");
    let err = check_crate(
        &gzip(&Tar::new().file("../evil", b"").finish())[..],
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, CrateError::Archive(_)), "{err}");
}

fn listing_of(tar: Vec<u8>) -> artidigest::Listing {
    list_archive(
        Cursor::new(gzip(&tar)),
        Format::TarGz,
        &Limits::default(),
        &[],
    )
    .unwrap()
}

#[test]
fn profiles_report_layout_violations() {
    let npm = listing_of(
        Tar::new()
            .file("package/package.json", b"{}")
            .file("lib/x.js", b"")
            .finish(),
    );
    let f = check_profile(&npm, ContentProfile::Npm);
    assert!(
        matches!(&f[..], [ProfileFinding::OutsideRoot { index: 1, .. }]),
        "{f:?}"
    );
    assert_eq!(f[0].code(), "outside-root");
    assert_eq!(
        ContentProfile::detect("x-1.0.0.tgz", &npm),
        Some(ContentProfile::Npm)
    );

    let helm = listing_of(
        Tar::new()
            .dir("chart/")
            .file("chart/values.yaml", b"")
            .finish(),
    );
    let f = check_profile(&helm, ContentProfile::Helm);
    assert!(
        matches!(&f[..], [ProfileFinding::MissingFile { path }] if path == "chart/Chart.yaml"),
        "{f:?}"
    );
    let helm_ok = listing_of(
        Tar::new()
            .file("chart/Chart.yaml", b"name: chart\n")
            .finish(),
    );
    assert!(check_profile(&helm_ok, ContentProfile::Helm).is_empty());
    assert_eq!(
        ContentProfile::detect("chart-1.0.0.tgz", &helm_ok),
        Some(ContentProfile::Helm)
    );

    let sdist = listing_of(
        Tar::new()
            .file("a-1.0/PKG-INFO", b"")
            .file("b-1.0/setup.py", b"")
            .finish(),
    );
    let f = check_profile(&sdist, ContentProfile::Sdist);
    assert!(
        matches!(&f[..], [ProfileFinding::NotSingleRoot { roots }] if roots.len() == 2),
        "{f:?}"
    );

    let f = check_profile(&sdist, ContentProfile::Wheel);
    assert!(
        f.iter().any(|x| matches!(
            x,
            ProfileFinding::WrongFormat {
                expected: Format::Zip,
                ..
            }
        )),
        "{f:?}"
    );
    let json = serde_json::to_value(&f[0]).unwrap();
    assert_eq!(json["code"], "wrong-format");
}
