//! `sbom-valid` on the committed fixtures (scripts/gen-sbom-fixtures.sh): each generator's real
//! output passes for its component and version, each tampered copy fails with exactly its code
//! at its JSON pointer.

use std::path::{Path, PathBuf};

use super::check;
use crate::finding::Code;
use crate::gate::{GateResult, Outcome};
use crate::policy::{SbomFormat, SbomRules};

const TGZ: &str = "sketchlog-client-3.0.2.tgz";

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sbom")
}

/// A release folder holding the packed tarball and the fixtures `names`.
fn release(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(data().join("release").join(TGZ), dir.path().join(TGZ)).unwrap();
    for n in names {
        std::fs::copy(data().join(n), dir.path().join(n)).unwrap();
    }
    dir
}

fn run(names: &[&str], component: &str, version: &str) -> GateResult {
    let dir = release(names);
    check(dir.path(), &SbomRules::default(), component, version)
}

/// The (code, subject, pointer) of every finding.
fn found(r: &GateResult) -> Vec<(Code, String, String)> {
    match &r.outcome {
        Outcome::Fail { findings } => findings
            .iter()
            .map(|f| {
                (
                    f.code,
                    f.subject.clone(),
                    f.key_path().unwrap_or("").to_owned(),
                )
            })
            .collect(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn sboms(r: &GateResult) -> &Vec<crate::Json> {
    r.evidence["sboms"].as_array().unwrap()
}

#[test]
fn every_generators_output_passes_for_its_component_and_version() {
    for (name, component, version, format) in [
        (
            "npm-client.cdx.json",
            "sketchlog-client",
            "3.0.2",
            "cyclonedx 1.5",
        ),
        (
            "npm-client.spdx.json",
            "sketchlog-client",
            "3.0.2",
            "spdx SPDX-2.3",
        ),
        (
            "py-advisoryhub-1.4.cdx.json",
            "advisoryhub",
            "2.3.1",
            "cyclonedx 1.4",
        ),
        (
            "py-advisoryhub-1.6.cdx.json",
            "advisoryhub",
            "2.3.1",
            "cyclonedx 1.6",
        ),
    ] {
        let r = run(&[name], component, version);
        assert_eq!(r.outcome, Outcome::Pass, "{name}: {:?}", r.outcome);
        assert_eq!(r.read, [name]);
        assert_eq!(sboms(&r)[0]["format"], format, "{name}");
        // The same document for another release is not this release's SBOM.
        let r = run(&[name], component, "9.9.9");
        let f = found(&r);
        assert_eq!(f.len(), 1, "{name}: {f:?}");
        assert_eq!(f[0].0, Code::SbomComponentMismatch, "{name}");
        let r = run(&[name], "someone-else", version);
        assert_eq!(found(&r)[0].0, Code::SbomComponentMismatch, "{name}");
    }
}

#[test]
fn npm_names_its_component_by_the_part_after_the_dash_and_the_purl_gives_the_package() {
    // npm sbom writes `"name": "client"` for sketchlog-client; its purl names the package.
    let text = std::fs::read_to_string(data().join("npm-client.cdx.json")).unwrap();
    assert!(text.contains("\"name\": \"client\""));
    let r = run(&["npm-client.cdx.json"], "client", "3.0.2");
    assert_eq!(r.outcome, Outcome::Pass);
}

#[test]
fn the_release_copies_pass_with_both_digests_of_the_tarball_checked() {
    for name in [
        "npm-client-release.cdx.json",
        "npm-client-release.spdx.json",
    ] {
        let r = run(&[name], "sketchlog-client", "3.0.2");
        assert_eq!(r.outcome, Outcome::Pass, "{name}: {:?}", r.outcome);
        let checked = sboms(&r)[0]["digests-checked"].as_array().unwrap().clone();
        let algs: Vec<&str> = checked
            .iter()
            .map(|c| c["algorithm"].as_str().unwrap())
            .collect();
        assert_eq!(algs, ["sha256", "sha512"], "{name}");
        assert!(
            checked
                .iter()
                .all(|c| c["file"] == TGZ && c["matches"] == true)
        );
    }
    // The tarball replaced after the SBOM was written: both digests differ.
    for name in [
        "npm-client-release.cdx.json",
        "npm-client-release.spdx.json",
    ] {
        let dir = release(&[name]);
        std::fs::write(dir.path().join(TGZ), b"another build").unwrap();
        let r = check(
            dir.path(),
            &SbomRules::default(),
            "sketchlog-client",
            "3.0.2",
        );
        let f = found(&r);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f.iter()
                .all(|(c, s, _)| *c == Code::SbomHashMismatch && s == name)
        );
    }
}

#[test]
fn each_tampered_copy_fails_with_exactly_its_code_at_its_pointer() {
    for (name, component, version, code, pointer) in [
        (
            "tampered-other-version.cdx.json",
            "advisoryhub",
            "2.3.1",
            Code::SbomComponentMismatch,
            "/metadata/component/version",
        ),
        (
            "tampered-other-version.spdx.json",
            "sketchlog-client",
            "3.0.2",
            Code::SbomComponentMismatch,
            "/packages/0/versionInfo",
        ),
        (
            "tampered-wrong-hash.cdx.json",
            "sketchlog-client",
            "3.0.2",
            Code::SbomHashMismatch,
            "/metadata/component/externalReferences/0/hashes/0/content",
        ),
        (
            "tampered-wrong-hash.spdx.json",
            "sketchlog-client",
            "3.0.2",
            Code::SbomHashMismatch,
            "/packages/0/checksums/1/checksumValue",
        ),
        (
            "tampered-malformed-hash.cdx.json",
            "advisoryhub",
            "2.3.1",
            Code::SbomInvalid,
            "/components/1/externalReferences/0/hashes/0/content",
        ),
        (
            "tampered-malformed-type.cdx.json",
            "advisoryhub",
            "2.3.1",
            Code::SbomInvalid,
            "/components/0/version",
        ),
        (
            "tampered-unsupported.spdx.json",
            "sketchlog-client",
            "3.0.2",
            Code::SbomUnsupported,
            "/spdxVersion",
        ),
        (
            "py-advisoryhub-1.7.cdx.json",
            "advisoryhub",
            "2.3.1",
            Code::SbomUnsupported,
            "/specVersion",
        ),
    ] {
        let r = run(&[name], component, version);
        assert_eq!(
            found(&r),
            [(code, name.to_owned(), pointer.to_owned())],
            "{name}"
        );
        // The SBOM was read (and failed): the ledger will not count it as covered.
        assert_eq!(r.read, [name]);
    }
}

#[test]
fn a_type_error_names_its_line_and_column_too() {
    let r = run(
        &["tampered-malformed-type.cdx.json"],
        "advisoryhub",
        "2.3.1",
    );
    let Outcome::Fail { findings } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    let f = &findings[0];
    assert_eq!(f.path(), Some("tampered-malformed-type.cdx.json"));
    assert!(f.line().is_some_and(|l| l > 1), "{f:?}");
    assert!(
        f.found.as_deref().unwrap().contains("integer `440`"),
        "{f:?}"
    );
}

#[test]
fn documents_relkit_does_not_read_are_unsupported_or_invalid() {
    let cases: [(&str, &[u8], Code, &str); 9] = [
        ("a.spdx.yaml", b"spdxVersion: SPDX-2.3\n", Code::SbomUnsupported, ""),
        ("e.cdx.json", b" \n", Code::SbomInvalid, ""),
        ("bom.json", b"\xEF\xBB\xBF{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.3\"}", Code::SbomUnsupported, "/specVersion"),
        ("bom.xml", b"<?xml version=\"1.0\"?><bom/>", Code::SbomUnsupported, ""),
        ("app.spdx", b"SPDXVersion: SPDX-2.3\n", Code::SbomUnsupported, ""),
        ("x.cdx.json", b"{\"bomFormat\": \"SPDX\"}", Code::SbomUnsupported, "/bomFormat"),
        ("y.cdx.json", b"{\"name\": \"x\"}", Code::SbomUnsupported, ""),
        ("z.cdx.json", b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": 1.6}", Code::SbomUnsupported, "/specVersion"),
        ("w.spdx.json", b"{\"spdxVersion\": \"SPDX-2.3\", \"SPDXID\": \"SPDXRef-DOCUMENT\", \"packages\": [{\"SPDXID\": \"a\", \"name\": \"x\",", Code::SbomInvalid, "/packages/0/name"),
    ];
    for (name, bytes, code, pointer) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), bytes).unwrap();
        let r = check(dir.path(), &SbomRules::default(), "x", "1.0.0");
        assert_eq!(
            found(&r),
            [(code, name.to_owned(), pointer.to_owned())],
            "{name}"
        );
    }
}

#[test]
fn a_folder_without_an_sbom_fails_closed_and_the_policy_can_narrow_the_formats() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"hi").unwrap();
    let r = check(dir.path(), &SbomRules::default(), "x", "1.0.0");
    assert_eq!(found(&r)[0].0, Code::AssetMissing);

    let spdx_only = SbomRules {
        formats: vec![SbomFormat::Spdx],
        ..SbomRules::default()
    };
    let dir = release(&["py-advisoryhub-1.6.cdx.json"]);
    let r = check(dir.path(), &spdx_only, "advisoryhub", "2.3.1");
    assert_eq!(
        found(&r),
        [(
            Code::SbomUnsupported,
            "py-advisoryhub-1.6.cdx.json".to_owned(),
            String::new()
        )]
    );
}

#[test]
fn an_spdx_document_that_describes_nothing_describes_no_release() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.spdx.json"),
        br#"{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT",
            "packages": [{"SPDXID": "SPDXRef-x", "name": "x", "versionInfo": "1.0.0"}]}"#,
    )
    .unwrap();
    let r = check(dir.path(), &SbomRules::default(), "x", "1.0.0");
    assert_eq!(
        found(&r),
        [(
            Code::SbomComponentMismatch,
            "a.spdx.json".to_owned(),
            "/documentDescribes".to_owned()
        )]
    );
    // Described through a DESCRIBES relationship instead of documentDescribes: it passes.
    std::fs::write(
        dir.path().join("a.spdx.json"),
        br#"{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT",
            "packages": [{"SPDXID": "SPDXRef-x", "name": "x", "versionInfo": "1.0.0"}],
            "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relatedSpdxElement": "SPDXRef-x",
                               "relationshipType": "DESCRIBES"}]}"#,
    )
    .unwrap();
    let r = check(dir.path(), &SbomRules::default(), "x", "1.0.0");
    assert_eq!(r.outcome, Outcome::Pass, "{:?}", r.outcome);
}
