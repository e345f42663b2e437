//! End to end with the test stack: sign, verify, report, policy refusals, provenance.

use artidigest::{Algorithm, Digest, digest_bytes};
use attest::{
    Artifact, Bundle, BundleError, ErrorKind, FulcioExtension, IdentityError, IdentityPolicy,
    Policy, ProvenanceError, ProvenancePolicy, PublicKey, RefPolicy, SignerEvidence, TestIdentity,
    TestStack, TlogError, TrustedRoot, Verifier, assert_refused, inspect_bundle, verify_provenance,
};
use relkit_testkit::provenance::{sha256_subject, slsa_statement};

use crate::shared::{SIGNED_AT as T, release_id};

/// `artifact` signed on `stack` as `id`, parsed.
fn signed_blob(stack: &mut TestStack, artifact: &[u8], id: &TestIdentity) -> Bundle {
    Bundle::from_json(stack.sign_blob(artifact, id).unwrap().as_bytes()).unwrap()
}

fn release_policy() -> Policy {
    Policy::Identity(IdentityPolicy::github_release("owner/repo", "release.yml", "v1.2.3").unwrap())
}

#[test]
fn blob_signature_verifies_in_every_artifact_mode_with_full_evidence() {
    let mut stack = TestStack::new([1; 32]).unwrap();
    let artifact = b"demo-1.2.3.tar.gz bytes";
    let bundle = signed_blob(&mut stack, artifact, &release_id("push"));
    let verifier = stack.verifier().unwrap();
    let sha = *digest_bytes(artifact, &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .unwrap();
    for a in [
        Artifact::Bytes(artifact),
        Artifact::digest(sha),
        Artifact::from_reader(&artifact[..]).unwrap(),
        Artifact::digest(sha.to_string().parse::<Digest>().unwrap()),
    ] {
        let v = verifier.verify(&bundle, &a, &release_policy()).unwrap();
        assert_eq!(v.artifact_digest, sha.to_string());
        assert_eq!(v.tlog_entries.len(), 1);
        assert_eq!(v.tlog_entries[0].integrated_time, Some(T));
        assert!(v.tlog_entries[0].root_hash.is_some());
        assert_eq!(v.timestamps.len(), 1, "{:?}", v.ignored_timestamps);
        assert_eq!(v.scts.len(), 1);
        assert_eq!(v.verified_times, vec![T, T]);
        let SignerEvidence::Certificate {
            sans, extensions, ..
        } = &v.signer
        else {
            panic!("keyless")
        };
        assert_eq!(
            sans[0],
            "https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3"
        );
        assert_eq!(extensions["build_trigger"], "push");
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["signer"]["kind"], "certificate");
        assert_eq!(
            json["tlog_entries"][0]["log_url"],
            "https://rekor.test.invalid"
        );
    }
    let other = Artifact::Bytes(b"other bytes");
    assert_refused(
        verifier.verify(&bundle, &other, &release_policy()),
        ErrorKind::Bundle(BundleError::ArtifactMismatch),
    );
}

#[test]
fn release_policy_refuses_manual_runs_and_other_tags() {
    let mut stack = TestStack::new([2; 32]).unwrap();
    let verifier = stack.verifier().unwrap();
    let artifact = b"x";
    let dispatch_tag = signed_blob(&mut stack, artifact, &release_id("workflow_dispatch"));
    assert_refused(
        verifier.verify(&dispatch_tag, &Artifact::Bytes(artifact), &release_policy()),
        ErrorKind::Identity(IdentityError::TriggerNotAllowed),
    );
    let branch = TestIdentity::github(
        "owner/repo",
        "release.yml",
        "refs/heads/main",
        "workflow_dispatch",
        T,
    );
    let b = signed_blob(&mut stack, artifact, &branch);
    assert_refused(
        verifier.verify(&b, &Artifact::Bytes(artifact), &release_policy()),
        ErrorKind::Identity(IdentityError::SanMismatch),
    );
    // AdvisoryHub-style regex identity, pinned repository, github-hosted runner.
    let good = signed_blob(&mut stack, artifact, &release_id("push"));
    let regex = IdentityPolicy::regex(
        r"https://github\.com/owner/repo/\.github/workflows/release\.yml@refs/tags/v[0-9]+\.[0-9]+\.[0-9]+",
        attest::GITHUB_ACTIONS_ISSUER,
    )
    .unwrap()
    .with_extension(FulcioExtension::SourceRepositoryUri, "https://github.com/owner/repo")
    .deny_trigger("workflow_dispatch")
    .require_github_hosted();
    verifier
        .verify(&good, &Artifact::Bytes(artifact), &Policy::Identity(regex))
        .unwrap();
}

#[test]
fn keys_and_certificates_are_not_interchangeable() {
    let mut stack = TestStack::new([3; 32]).unwrap();
    let verifier = stack.verifier().unwrap();
    let b = signed_blob(&mut stack, b"x", &release_id("push"));
    let root: serde_json::Value =
        serde_json::from_str(&stack.trusted_root_json().unwrap()).unwrap();
    let der = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        root["tlogs"][0]["publicKey"]["rawBytes"].as_str().unwrap(),
    )
    .unwrap();
    let key = PublicKey::from_spki_der(&der).unwrap();
    assert_refused(
        verifier.verify(&b, &Artifact::Bytes(b"x"), &Policy::Key(key)),
        ErrorKind::Bundle(BundleError::CertificateNotExpected),
    );
}

#[test]
fn several_roots_and_injected_now() {
    let mut a = TestStack::new([4; 32]).unwrap();
    let mut b = TestStack::new([5; 32]).unwrap();
    let bundle = signed_blob(&mut b, b"x", &release_id("push"));
    let only_a = a.verifier().unwrap();
    assert_refused(
        only_a.verify(&bundle, &Artifact::Bytes(b"x"), &release_policy()),
        ErrorKind::Tlog(TlogError::UnknownLog),
    );
    let mut merged = TrustedRoot::from_json(a.trusted_root_json().unwrap().as_bytes()).unwrap();
    merged.merge(TrustedRoot::from_json(b.trusted_root_json().unwrap().as_bytes()).unwrap());
    let v = Verifier::new(merged);
    v.verify(&bundle, &Artifact::Bytes(b"x"), &release_policy())
        .unwrap();
    // "Now" before the signature: the proven time lies in the future.
    let early = v.clone().with_now(T - 86_400);
    assert!(
        early
            .verify(&bundle, &Artifact::Bytes(b"x"), &release_policy())
            .is_err()
    );
    // Much later: certificates long expired, still valid at the proven time.
    v.with_now(T + 10 * 365 * 86_400)
        .verify(&bundle, &Artifact::Bytes(b"x"), &release_policy())
        .unwrap();
    let _ = a.sign_blob(b"y", &release_id("push")).unwrap();
}

fn slsa_v1(artifacts: &[(&str, &[u8])], repo: &str, git_ref: &str, trigger: &str) -> Vec<u8> {
    let subjects = artifacts
        .iter()
        .map(|(name, bytes)| sha256_subject(name, bytes))
        .collect();
    serde_json::to_vec(&slsa_statement(repo, git_ref, trigger, subjects)).unwrap()
}

#[test]
fn provenance_covers_artifacts_and_must_agree_with_the_certificate() {
    let mut stack = TestStack::new([6; 32]).unwrap();
    let verifier = stack.verifier().unwrap();
    let wheel: &[u8] = b"wheel bytes";
    let sdist: &[u8] = b"sdist bytes";
    let st = slsa_v1(
        &[("demo.whl", wheel), ("demo.tar.gz", sdist)],
        "owner/repo",
        "refs/tags/v1.2.3",
        "push",
    );
    let line1 = stack.sign_statement(&st, &release_id("push")).unwrap();
    let st2 = slsa_v1(
        &[("demo.zip", b"zip")],
        "owner/repo",
        "refs/tags/v1.2.3",
        "push",
    );
    let line2 = stack.sign_statement(&st2, &release_id("push")).unwrap();
    let jsonl = format!("{line1}\n{line2}\n");
    let arts = |list: &[&[u8]]| -> Vec<Vec<Digest>> {
        list.iter().map(|b| Artifact::Bytes(b).digests()).collect()
    };
    let mut policy = ProvenancePolicy::new(
        "https://github.com/owner/repo/.github/workflows/release.yml",
        "github.com/owner/repo",
    );
    policy.source_ref = Some(RefPolicy::Tag("v1.2.3".into()));
    policy.forbidden_triggers = vec!["workflow_dispatch".into()];
    let r = verify_provenance(
        &verifier,
        jsonl.as_bytes(),
        &arts(&[wheel, sdist, b"zip"]),
        &policy,
    )
    .unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0].covered_subjects,
        vec!["demo.whl".to_owned(), "demo.tar.gz".to_owned()]
    );
    assert_refused(
        verify_provenance(
            &verifier,
            jsonl.as_bytes(),
            &arts(&[wheel, b"not built"]),
            &policy,
        ),
        ErrorKind::Bundle(BundleError::ArtifactMismatch),
    );
    // A statement on the wheel alone: `repo` at v1.2.3 run by `trigger`, signed by a run of
    // `signer`.
    let mut wheel_line = |repo: &str, trigger: &str, signer: &str| {
        let st = slsa_v1(&[("demo.whl", wheel)], repo, "refs/tags/v1.2.3", trigger);
        stack.sign_statement(&st, &release_id(signer)).unwrap()
    };
    // The predicate claims another repository than the certificate: refused.
    let bad = wheel_line("other/repo", "push", "push");
    let mut p2 = policy.clone();
    p2.source_uri = "github.com/other/repo".into();
    assert_refused(
        verify_provenance(&verifier, bad.as_bytes(), &arts(&[wheel]), &p2),
        ErrorKind::Provenance(ProvenanceError::CertificateMismatch),
    );
    // Trigger lie: certificate push, predicate workflow_dispatch.
    let bad = wheel_line("owner/repo", "workflow_dispatch", "push");
    assert_refused(
        verify_provenance(&verifier, bad.as_bytes(), &arts(&[wheel]), &policy),
        ErrorKind::Provenance(ProvenanceError::CertificateMismatch),
    );
    // An allow-list is applied too: a run started by `workflow_dispatch` (certificate and
    // predicate agreeing) is refused when only `push` is allowed, with no deny-list at all, and
    // accepted when it is allowed.
    let manual = wheel_line("owner/repo", "workflow_dispatch", "workflow_dispatch");
    let mut only_push = policy.clone();
    only_push.forbidden_triggers.clear();
    only_push.allowed_triggers = Some(vec!["push".into()]);
    let e =
        verify_provenance(&verifier, manual.as_bytes(), &arts(&[wheel]), &only_push).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Identity(IdentityError::TriggerNotAllowed),
        "{e}"
    );
    assert!(e.to_string().contains("workflow_dispatch"), "{e}");
    let mut manual_ok = only_push.clone();
    manual_ok.allowed_triggers = Some(vec!["workflow_dispatch".into()]);
    assert!(verify_provenance(&verifier, manual.as_bytes(), &arts(&[wheel]), &manual_ok).is_ok());
    // A legacy DSSE line (no log evidence) is refused with its own error.
    let legacy = r#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}"#;
    let mixed = format!("{line1}\n{legacy}\n");
    assert_refused(
        verify_provenance(&verifier, mixed.as_bytes(), &arts(&[wheel]), &policy),
        ErrorKind::Provenance(ProvenanceError::LegacyDsseNeedsOnlineLog),
    );
}

#[test]
fn inspect_is_labelled_unverified() {
    let mut stack = TestStack::new([8; 32]).unwrap();
    let json = stack.sign_blob(b"x", &release_id("push")).unwrap();
    let i = inspect_bundle(json.as_bytes()).unwrap();
    assert!(i.unverified);
    assert_eq!(
        i.sans,
        vec![
            "https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3"
                .to_owned()
        ]
    );
    assert_eq!(
        i.extensions["build_trigger (1.3.6.1.4.1.57264.1.20)"],
        "push"
    );
    assert_eq!(i.timestamp_times, vec![T]);
    assert_eq!(
        i.tlog_entries[0].checkpoint_origin.as_deref(),
        Some("rekor.test.invalid - 1")
    );
    let v = serde_json::to_value(&i).unwrap();
    assert_eq!(v["unverified"], true);
}
