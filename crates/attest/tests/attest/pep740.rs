//! PyPI provenance documents (the PEP 740 provenance endpoint's JSON): built with the test
//! stack, and rebuilt from the real pypi-attestations vectors in the shared folder.

use std::path::Path;

use attest::{
    Artifact, BundleError, ErrorKind, IdentityError, PolicyError, ProvenanceError, Publisher,
    TestIdentity, TestStack, Verifier, verify_pypi_provenance,
};
use serde_json::{Value, json};

use crate::shared::shared_dir;

const T: i64 = 1_750_000_000;
const WHEEL: &str = "relkit_demo-1.2.3-py3-none-any.whl";
const WHEEL_BYTES: &[u8] = b"PK\x03\x04 a wheel's bytes";
/// The PEP 740 publish predicate, on a placeholder host (attest matches its path).
const PUBLISH_PREDICATE: &str = "https://registry.invalid/attestations/publish/v1";

/// A v0.3 bundle re-shaped as a PEP 740 attestation object.
fn attestation_object(bundle_json: &str) -> Value {
    let b: Value = serde_json::from_str(bundle_json).unwrap();
    let vm = &b["verificationMaterial"];
    let cert = vm["certificate"]["rawBytes"]
        .as_str()
        .or_else(|| vm["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())
        .unwrap();
    json!({
        "version": 1,
        "verification_material": {
            "certificate": cert,
            "transparency_entries": vm["tlogEntries"],
        },
        "envelope": {
            "statement": b["dsseEnvelope"]["payload"],
            "signature": b["dsseEnvelope"]["signatures"][0]["sig"],
        },
    })
}

fn document(publisher: Value, attestations: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "version": 1,
        "attestation_bundles": [{"publisher": publisher, "attestations": attestations}],
    }))
    .unwrap()
}

fn github(repository: &str, workflow: &str) -> Value {
    json!({"kind": "GitHub", "repository": repository, "workflow": workflow, "environment": "pypi"})
}

/// A test-stack signed attestation over `subject_name` with `subject_bytes`' digest.
fn signed(stack: &mut TestStack, subject_name: &str, subject_bytes: &[u8]) -> Value {
    let id = TestIdentity::github("owner/demo", "release.yml", "refs/tags/v1.2.3", "push", T);
    stack
        .pep740_attestation(subject_name, subject_bytes, PUBLISH_PREDICATE, &id)
        .unwrap()
}

fn check(
    verifier: &Verifier,
    doc: &[u8],
    filename: &str,
    expected: Option<&Publisher>,
) -> Result<usize, ErrorKind> {
    verify_pypi_provenance(
        verifier,
        doc,
        &Artifact::Bytes(WHEEL_BYTES),
        filename,
        expected,
    )
    .map(|v| v.len())
    .map_err(|e| e.kind())
}

#[test]
fn test_stack_provenance_document_verifies_and_each_defect_has_its_kind() {
    let mut stack = TestStack::new([7; 32]).unwrap();
    let verifier = stack.verifier().unwrap().with_now(T + 60);
    let good = signed(&mut stack, WHEEL, WHEEL_BYTES);
    let pinned =
        Publisher::from_json(github("owner/demo", "release.yml").to_string().as_bytes()).unwrap();

    let doc = document(github("owner/demo", "release.yml"), vec![good.clone()]);
    assert_eq!(check(&verifier, &doc, WHEEL, None), Ok(1));
    assert_eq!(check(&verifier, &doc, WHEEL, Some(&pinned)), Ok(1));
    // The file name is compared after normalisation (name case and separators).
    assert_eq!(
        check(&verifier, &doc, "Relkit.Demo-1.2.3-py3-none-any.whl", None),
        Ok(1)
    );
    let two = document(
        github("owner/demo", "release.yml"),
        vec![good.clone(), good.clone()],
    );
    assert_eq!(check(&verifier, &two, WHEEL, None), Ok(2));

    // The document names another repository: its publisher does not match the certificate.
    let other_repo = document(github("owner/other", "release.yml"), vec![good.clone()]);
    assert_eq!(
        check(&verifier, &other_repo, WHEEL, None),
        Err(ErrorKind::Identity(IdentityError::ExtensionMismatch))
    );
    // The caller pins a publisher the document does not name.
    let pinned_other =
        Publisher::from_json(github("owner/other", "release.yml").to_string().as_bytes()).unwrap();
    assert_eq!(
        check(&verifier, &doc, WHEEL, Some(&pinned_other)),
        Err(ErrorKind::Identity(IdentityError::PublisherMismatch))
    );
    // Another workflow file of the right repository.
    let other_workflow = document(github("owner/demo", "nightly.yml"), vec![good.clone()]);
    assert_eq!(
        check(&verifier, &other_workflow, WHEEL, None),
        Err(ErrorKind::Identity(IdentityError::PublisherMismatch))
    );
    // The subject names another distribution (same digest).
    let renamed = document(
        github("owner/demo", "release.yml"),
        vec![signed(
            &mut stack,
            "relkit_demo-1.2.4-py3-none-any.whl",
            WHEEL_BYTES,
        )],
    );
    assert_eq!(
        check(&verifier, &renamed, WHEEL, None),
        Err(ErrorKind::Provenance(ProvenanceError::DistributionMismatch))
    );
    // The subject's digest is another file's.
    let other_bytes = document(
        github("owner/demo", "release.yml"),
        vec![signed(&mut stack, WHEEL, b"other bytes")],
    );
    assert_eq!(
        check(&verifier, &other_bytes, WHEEL, None),
        Err(ErrorKind::Bundle(BundleError::ArtifactMismatch))
    );
    // A second, bad attestation spoils the document.
    let one_bad = document(
        github("owner/demo", "release.yml"),
        vec![good.clone(), signed(&mut stack, WHEEL, b"other bytes")],
    );
    assert_eq!(
        check(&verifier, &one_bad, WHEEL, None),
        Err(ErrorKind::Bundle(BundleError::ArtifactMismatch))
    );
    // Empty documents and empty bundles.
    let empty = serde_json::to_vec(&json!({"version": 1, "attestation_bundles": []})).unwrap();
    assert_eq!(
        check(&verifier, &empty, WHEEL, None),
        Err(ErrorKind::Provenance(ProvenanceError::Empty))
    );
    let empty_bundle = document(github("owner/demo", "release.yml"), vec![]);
    assert_eq!(
        check(&verifier, &empty_bundle, WHEEL, None),
        Err(ErrorKind::Provenance(ProvenanceError::Empty))
    );
    // Versions other than 1, and documents that are not provenance.
    for version in [json!(2), json!(0), json!("1"), Value::Null] {
        let mut d: Value = serde_json::from_slice(&doc).unwrap();
        d["version"] = version;
        assert_eq!(
            check(&verifier, &serde_json::to_vec(&d).unwrap(), WHEEL, None),
            Err(ErrorKind::Bundle(BundleError::VersionUnsupported))
        );
    }
    assert_eq!(
        check(&verifier, b"{\"version\":1}", WHEEL, None),
        Err(ErrorKind::Bundle(BundleError::Malformed))
    );
    assert_eq!(
        check(&verifier, b"not json", WHEEL, None),
        Err(ErrorKind::Bundle(BundleError::Malformed))
    );
    let unknown_kind = document(json!({"kind": "Jenkins", "repository": "x"}), vec![good]);
    assert_eq!(
        check(&verifier, &unknown_kind, WHEEL, None),
        Err(ErrorKind::Policy(PolicyError::Invalid))
    );
}

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join("vectors/sigstore").join(rel)).unwrap()
}

/// Provenance documents around the real pypi-attestations attestations (GitHub: a bundle
/// re-shaped as an attestation object; GitLab: an attestation object as served).
#[test]
fn real_pep740_attestations_in_provenance_documents() {
    let Some(dir) = shared_dir("pep740 provenance documents") else {
        return;
    };
    let root =
        attest::TrustedRoot::from_json(&read(&dir, "trusted_roots/public-good.json")).unwrap();
    let verifier = Verifier::new(root);
    let cases = [
        (
            attestation_object(
                std::str::from_utf8(&read(
                    &dir,
                    "pep740/github-publisher-sdist/bundle.sigstore.json",
                ))
                .unwrap(),
            ),
            "pep740/github-publisher-sdist/pypi_attestation_models-0.0.4a2.tar.gz",
            "pypi_attestation_models-0.0.4a2.tar.gz",
            github("trailofbits/pypi-attestation-models", "release.yml"),
            github("trailofbits/pypi-attestation-models", "wrong.yml"),
        ),
        (
            serde_json::from_slice(&read(
                &dir,
                "pep740/gitlab-publisher-sdist/attestation.json",
            ))
            .unwrap(),
            "pep740/gitlab-publisher-sdist/gitlab_oidc_project-0.0.3.tar.gz",
            "gitlab_oidc_project-0.0.3.tar.gz",
            json!({"kind": "GitLab", "repository": "facutuesca/gitlab-oidc-project",
                   "workflow_filepath": ".gitlab-ci.yml", "environment": null}),
            json!({"kind": "GitLab", "repository": "facutuesca/gitlab-oidc-project",
                   "workflow_filepath": "wrong.yml", "environment": null}),
        ),
    ];
    for (att, dist, filename, publisher, wrong) in cases {
        let bytes = read(&dir, dist);
        let run = |doc: &[u8], name: &str, artifact: &[u8]| {
            verify_pypi_provenance(&verifier, doc, &Artifact::Bytes(artifact), name, None)
                .map(|v| v.len())
                .map_err(|e| e.kind())
        };
        let doc = document(publisher, vec![att.clone()]);
        assert_eq!(run(&doc, filename, &bytes), Ok(1), "{dist}");
        assert_eq!(
            run(&document(wrong, vec![att.clone()]), filename, &bytes),
            Err(ErrorKind::Identity(IdentityError::PublisherMismatch)),
            "{dist}"
        );
        assert_eq!(
            run(&doc, "other_project-0.0.3.tar.gz", &bytes),
            Err(ErrorKind::Provenance(ProvenanceError::DistributionMismatch)),
            "{dist}"
        );
        assert_eq!(
            run(&doc, filename, b"other bytes"),
            Err(ErrorKind::Bundle(BundleError::ArtifactMismatch)),
            "{dist}"
        );
    }
}
