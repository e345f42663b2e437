//! Content checks on archives the tests build: wheel RECORD verification, `.crate` validation
//! and the content profiles, each failure named precisely.

use std::io::Cursor;

use artidigest::{
    Algorithm, ContentProfile, CrateError, Format, Limits, ProfileFinding, RecordProblem,
    WheelError, check_crate, check_crate_named, check_profile, digest_bytes, list_archive,
    verify_wheel,
};

use crate::kit::{Tar, ZipEntry, deflated, gzip, zip};

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
        deflated("pkg/__init__.py", INIT),
        deflated("pkg/mod.py", MODULE),
        ZipEntry::stored("pkg-1.0.dist-info/METADATA", b"Name: pkg\n"),
        ZipEntry::stored("pkg-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
    ];
    entries.extend_from_slice(extra);
    entries.push(deflated("pkg-1.0.dist-info/RECORD", record.as_bytes()));
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

/// A gzipped tar of the regular files `files` (path, bytes), in order.
/// A plain tar holding `files`.
fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut t = Tar::new();
    for (path, bytes) in files {
        t.file(path, bytes);
    }
    t.finish()
}

fn tgz_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    gzip(&tar_of(files))
}

/// Why `check_crate` refuses `bytes` under the default limits.
fn crate_err(bytes: &[u8]) -> CrateError {
    check_crate(bytes, &Limits::default()).unwrap_err()
}

fn crate_file(extra: impl FnOnce(&mut Tar)) -> Vec<u8> {
    let mut t = Tar::new();
    t.file("demo-1.0.0/.cargo_vcs_info.json", VCS.as_bytes())
        .file(
            "demo-1.0.0/Cargo.toml",
            b"[package]\nname = \"demo\"\nversion = \"1.0.0\"\n",
        )
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
    let no_orig = tgz_of(&[
        ("demo-1.0.0/Cargo.toml", b""),
        ("demo-1.0.0/src/lib.rs", b""),
    ]);
    // Issue 11 changed this rule: a crate without Cargo.toml.orig (cargo wrote it only from
    // 2017) is accepted with a note; Cargo.toml itself stays required.
    let legacy = check_crate(&no_orig[..], &Limits::default()).unwrap();
    assert_eq!(legacy.notes.len(), 1, "{:?}", legacy.notes);
    assert!(legacy.notes[0].contains("demo-1.0.0/Cargo.toml.orig"));
    let findings = check_profile(&legacy.listing, ContentProfile::Crate);
    assert!(
        matches!(&findings[..], [f @ ProfileFinding::LegacyCrate { .. }] if !f.is_error()),
        "{findings:?}"
    );
    let no_toml = tgz_of(&[
        ("demo-1.0.0/Cargo.toml.orig", b""),
        ("demo-1.0.0/src/lib.rs", b""),
    ]);
    let err = crate_err(&no_toml[..]);
    assert!(
        matches!(err, CrateError::Missing { ref path } if path == "demo-1.0.0/Cargo.toml"),
        "{err}"
    );
    let bad_vcs = tgz_of(&[
        (
            "demo-1.0.0/.cargo_vcs_info.json",
            br#"{"git":{"sha1":"nope"}}"#,
        ),
        ("demo-1.0.0/Cargo.toml", b""),
        ("demo-1.0.0/Cargo.toml.orig", b""),
    ]);
    let err = crate_err(&bad_vcs[..]);
    assert!(matches!(err, CrateError::VcsInfo { .. }), "{err}");
    let err = check_crate_named(
        &crate_file(|_| {})[..],
        "demo-2.0.0.crate",
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, CrateError::RootName { .. }), "{err}");
    let err = crate_err(&tgz_of(&[("../evil", b"")])[..]);
    assert!(matches!(err, CrateError::Archive(_)), "{err}");
}

/// Asserts that the profile findings `f` match the slice pattern, showing them if not.
macro_rules! assert_findings {
    ($f:expr, $($pattern:tt)+) => {{
        let f = &$f;
        assert!(matches!(&f[..], $($pattern)+), "{f:?}");
    }};
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
    let npm = listing_of(tar_of(&[
        ("package/package.json", b"{}"),
        ("lib/x.js", b""),
    ]));
    let f = check_profile(&npm, ContentProfile::Npm);
    assert_findings!(f, [ProfileFinding::OutsideRoot { index: 1, .. }]);
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
    assert_findings!(f, [ProfileFinding::MissingFile { path }] if path == "chart/Chart.yaml");
    let helm_ok = listing_of(tar_of(&[("chart/Chart.yaml", b"name: chart\n")]));
    assert!(check_profile(&helm_ok, ContentProfile::Helm).is_empty());
    assert_eq!(
        ContentProfile::detect("chart-1.0.0.tgz", &helm_ok),
        Some(ContentProfile::Helm)
    );

    let sdist = listing_of(tar_of(&[("a-1.0/PKG-INFO", b""), ("b-1.0/setup.py", b"")]));
    let f = check_profile(&sdist, ContentProfile::Sdist);
    assert_findings!(f, [ProfileFinding::NotSingleRoot { roots }] if roots.len() == 2);

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

fn crate_with_manifest(manifest: &str) -> Vec<u8> {
    tgz_of(&[
        ("demo-1.0.0/Cargo.toml", manifest.as_bytes()),
        ("demo-1.0.0/Cargo.toml.orig", manifest.as_bytes()),
        ("demo-1.0.0/src/lib.rs", b""),
    ])
}

#[test]
fn a_crate_whose_manifest_disagrees_with_its_file_name_fails() {
    let named = |manifest: &str| {
        check_crate_named(
            &crate_with_manifest(manifest)[..],
            "demo-1.0.0.crate",
            &Limits::default(),
        )
    };
    let ok = named("# generated\n[package]\nedition = \"2021\"\nname = \"demo\"\nversion = \"1.0.0\"\ndescription = \"\"\"\n[package]\nname = \"x\"\n\"\"\"\n\n[dependencies]\nname = \"y\"\n").unwrap();
    assert_eq!(
        (ok.name.as_deref(), ok.version.as_deref()),
        (Some("demo"), Some("1.0.0"))
    );
    // Literal strings and the pre-2016 [project] table are read too.
    named("[project]\nname = 'demo'\nversion = '1.0.0'\n").unwrap();

    let err = named("[package]\nname = \"other\"\nversion = \"1.0.0\"\n").unwrap_err();
    assert!(
        matches!(&err, CrateError::ManifestMismatch { field: "name", found: Some(f), .. } if f == "other"),
        "{err}"
    );
    let err = named("[package]\nname = \"demo\"\nversion = \"1.0.1\"\n").unwrap_err();
    assert!(
        matches!(&err, CrateError::ManifestMismatch { field: "version", expected, found: Some(f), .. }
            if expected == "1.0.0" && f == "1.0.1"),
        "{err}"
    );
    let err = named("[package]\nname = \"demo\"\n").unwrap_err();
    assert!(
        matches!(
            &err,
            CrateError::ManifestMismatch {
                field: "version",
                found: None,
                ..
            }
        ),
        "{err}"
    );
    // A name with dashes still splits at the version.
    let dashed = tgz_of(&[(
        "my-crate-0.1.0/Cargo.toml",
        b"[package]\nname = \"my-crate\"\nversion = \"0.1.0\"\n",
    )]);
    check_crate_named(&dashed[..], "my-crate-0.1.0.crate", &Limits::default()).unwrap();
}

#[test]
fn npm_accepts_any_single_root_and_reports_one_finding_per_problem() {
    // DefinitelyTyped: the root is `node/`, not `package/`; npm strips any single root.
    let typed = listing_of(tar_of(&[
        ("node/package.json", b"{}"),
        ("node/index.d.ts", b""),
        ("node/fs.d.ts", b""),
    ]));
    assert!(check_profile(&typed, ContentProfile::Npm).is_empty());
    assert_eq!(
        ContentProfile::detect("types-node-1.0.0.tgz", &typed),
        Some(ContentProfile::Npm)
    );
    // Many entries outside `package/`: one finding, naming the first and counting the rest.
    let mut t = Tar::new();
    t.file("package/package.json", b"{}");
    for i in 0..110 {
        t.file(&format!("lib/{i}.js"), b"");
    }
    let f = check_profile(&listing_of(t.finish()), ContentProfile::Npm);
    assert_findings!(
        f,
        [ProfileFinding::OutsideRoot {
            index: 1,
            others: 109,
            ..
        }]
    );
    assert!(f[0].to_string().contains("(and 109 more)"), "{}", f[0]);
    // Two roots, neither `package/`: one not-single-root finding.
    let two = listing_of(tar_of(&[
        ("a/package.json", b"{}"),
        ("b/package.json", b"{}"),
    ]));
    let f = check_profile(&two, ContentProfile::Npm);
    assert_findings!(f, [ProfileFinding::NotSingleRoot { roots }] if roots.len() == 2);
    // Many symlinks in a crate: one not-a-file finding.
    let mut t = Tar::new();
    t.file("demo-1.0.0/Cargo.toml", b"")
        .file("demo-1.0.0/Cargo.toml.orig", b"");
    for i in 0..20 {
        t.symlink(&format!("demo-1.0.0/l{i}"), "Cargo.toml");
    }
    let f = check_profile(&listing_of(t.finish()), ContentProfile::Crate);
    assert_findings!(
        f,
        [ProfileFinding::NotAFile {
            index: 2,
            others: 19,
            ..
        }]
    );
}
