//! Strict to the bundle specification (issue 13): each tightened rule with a mutation built
//! from the public vectors (and the test stack where the vectors cannot express it), plus the
//! issue 12 panics on non-ASCII times.

use std::path::{Path, PathBuf};

use attest::{
    Artifact, Bundle, BundleError, BundleVersion, ErrorKind, IdentityPolicy, Policy, TestStack,
    TimeError, TlogError, TrustRootError, TrustedRoot, Verifier, assert_refused, inspect_bundle,
    timestamp_time,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::conformance::{identity_policy, load};
use crate::shared::{release_id, shared_dir};

/// A manifest case of the sigstore vectors: its folder, its manifest entry and its bundle JSON.
struct Case {
    dir: PathBuf,
    case: Value,
    bundle: Value,
}

fn case(name: &str) -> Option<Case> {
    let dir = shared_dir(name)?.join("vectors/sigstore");
    let manifest: Value = serde_json::from_slice(&load(&dir, "manifest.json")).unwrap();
    let case = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
        .clone();
    let bundle =
        serde_json::from_slice(&load(&dir, case["files"]["bundle"].as_str().unwrap())).unwrap();
    Some(Case { dir, case, bundle })
}

impl Case {
    fn verifier(&self) -> Verifier {
        let root = load(
            &self.dir,
            self.case["files"]["trusted_root"].as_str().unwrap(),
        );
        Verifier::new(TrustedRoot::from_json(&root).unwrap())
    }

    fn artifact(&self) -> Vec<u8> {
        load(&self.dir, self.case["files"]["artifact"].as_str().unwrap())
    }

    fn policy(&self) -> Policy {
        Policy::Identity(identity_policy(&self.case).unwrap())
    }

    /// Verify `bundle` (a mutation of this case's) with the case's policy and artifact.
    fn verify_with(&self, verifier: &Verifier, bundle: &Value) -> Result<(), attest::Error> {
        let b = Bundle::from_json(&serde_json::to_vec(bundle).unwrap())?;
        verifier.verify(&b, &Artifact::Bytes(&self.artifact()), &self.policy())?;
        Ok(())
    }

    fn verify(&self, bundle: &Value) -> Result<(), attest::Error> {
        self.verify_with(&self.verifier(), bundle)
    }
}

fn timestamps(bundle: &mut Value) -> &mut Vec<Value> {
    bundle
        .pointer_mut("/verificationMaterial/timestampVerificationData/rfc3161Timestamps")
        .and_then(Value::as_array_mut)
        .unwrap()
}

fn timestamp_der(bundle: &Value, i: usize) -> Vec<u8> {
    let text = bundle
        .pointer(&format!(
            "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/{i}/signedTimestamp"
        ))
        .and_then(Value::as_str)
        .unwrap();
    STANDARD.decode(text.replace('\n', "")).unwrap()
}

fn set_timestamps(bundle: &mut Value, ders: &[Vec<u8>]) {
    *timestamps(bundle) = ders
        .iter()
        .map(|d| json!({"signedTimestamp": STANDARD.encode(d)}))
        .collect();
}

/// (header length, content length) of the DER TLV at the start of `b`.
fn tlv(b: &[u8]) -> (usize, usize) {
    let first = b[1];
    if first < 0x80 {
        return (2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    let len = b[2..2 + n]
        .iter()
        .fold(0usize, |acc, x| (acc << 8) | usize::from(*x));
    (2 + n, len)
}

fn der_seq(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30];
    let n = content.len();
    if n < 0x80 {
        out.push(u8::try_from(n).unwrap());
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | u8::try_from(bytes.len()).unwrap());
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The `TimeStampToken` inside a DER `TimeStampResp`.
fn bare_token(resp: &[u8]) -> Vec<u8> {
    let (h, _) = tlv(resp);
    let inner = &resp[h..];
    let (sh, sl) = tlv(inner);
    inner[sh + sl..].to_vec()
}

const TSA_CASE: &str = "sigstore-python/tsa-rfc3161-timestamp";

/// Index of the timestamp of `TSA_CASE` that verifies (the other covers other bytes).
fn valid_timestamp(c: &Case) -> usize {
    (0..2)
        .find(|i| {
            let mut b = c.bundle.clone();
            let one = timestamp_der(&c.bundle, *i);
            set_timestamps(&mut b, &[one]);
            c.verifier()
                .with_timestamp_threshold(2)
                .verify(
                    &Bundle::from_json(&serde_json::to_vec(&b).unwrap()).unwrap(),
                    &Artifact::Bytes(&c.artifact()),
                    &c.policy(),
                )
                .is_ok()
        })
        .expect("one timestamp of the case verifies")
}

#[test]
fn a_bare_token_and_trailing_bytes_are_refused() {
    let Some(c) = case(TSA_CASE) else {
        return;
    };
    c.verify(&c.bundle).unwrap();
    let i = valid_timestamp(&c);
    let resp = timestamp_der(&c.bundle, i);
    timestamp_time(&resp).unwrap();
    // The token alone, where the bundle format holds a TimeStampResp.
    let bare = bare_token(&resp);
    let (h, _) = tlv(&bare);
    assert_eq!(
        bare.get(h),
        Some(&0x06),
        "a ContentInfo starts with its OID"
    );
    let mut b = c.bundle.clone();
    set_timestamps(&mut b, std::slice::from_ref(&bare));
    let e = assert_refused(c.verify(&b), ErrorKind::Time(TimeError::TimestampInvalid));
    assert!(e.detail().contains("bare TimeStampToken"), "{}", e.detail());
    assert_refused(
        timestamp_time(&bare),
        ErrorKind::Time(TimeError::TimestampInvalid),
    );
    // One byte after the response.
    let mut trailing = resp.clone();
    trailing.push(0);
    set_timestamps(&mut b, &[trailing]);
    let e = assert_refused(c.verify(&b), ErrorKind::Time(TimeError::TimestampInvalid));
    assert!(e.detail().contains("trailing"), "{}", e.detail());
}

#[test]
fn a_timestamp_is_identified_by_its_tstinfo() {
    let Some(c) = case(TSA_CASE) else {
        return;
    };
    let i = valid_timestamp(&c);
    let resp = timestamp_der(&c.bundle, i);
    // The same token re-wrapped: status grantedWithMods with a status string. Other bytes,
    // same TSTInfo.
    let token = bare_token(&resp);
    let status = der_seq(&[0x02, 0x01, 0x01, 0x30, 0x03, 0x0c, 0x01, b'x']);
    let mut content = status;
    content.extend_from_slice(&token);
    let rewrapped = der_seq(&content);
    assert_ne!(rewrapped, resp);
    // Alone, the re-wrapped response is a valid timestamp ...
    let mut b = c.bundle.clone();
    set_timestamps(&mut b, std::slice::from_ref(&rewrapped));
    c.verify_with(&c.verifier().with_timestamp_threshold(2), &b)
        .unwrap();
    // ... and next to the original it is the same timestamp again.
    set_timestamps(&mut b, &[resp, rewrapped]);
    assert_refused(
        Bundle::from_json(&serde_json::to_vec(&b).unwrap()),
        ErrorKind::Time(TimeError::TimestampDuplicate),
    );
}

#[test]
fn thresholds_count_authorities_not_timestamps() {
    // Public vector: one staging log SET and one valid test-TSA timestamp = two authorities.
    if let Some(c) = case(TSA_CASE) {
        c.verify_with(&c.verifier().with_timestamp_threshold(2), &c.bundle)
            .unwrap();
        let e = c
            .verify_with(&c.verifier().with_timestamp_threshold(3), &c.bundle)
            .unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Time(TimeError::TimestampInvalid)
                    | ErrorKind::Time(TimeError::NoVerifiedTime)
            ),
            "{e}"
        );
    }
    // Test stack: two timestamps by one TSA, no SET: one authority, not two.
    let mut stack = TestStack::new([13; 32]).unwrap();
    let id = release_id("push");
    let mut b: Value = serde_json::from_str(&stack.sign_blob(b"bytes", &id).unwrap()).unwrap();
    b["verificationMaterial"]["tlogEntries"][0]
        .as_object_mut()
        .unwrap()
        .remove("inclusionPromise");
    let sig = STANDARD
        .decode(b["messageSignature"]["signature"].as_str().unwrap())
        .unwrap();
    let first = timestamp_der(&b, 0);
    let second = stack.timestamp(&sig, id.signed_at + 5).unwrap();
    set_timestamps(&mut b, &[first, second]);
    let bundle = Bundle::from_json(&serde_json::to_vec(&b).unwrap()).unwrap();
    let policy = Policy::Identity(
        IdentityPolicy::github_release("owner/repo", "release.yml", "v1.2.3").unwrap(),
    );
    let verifier = stack.verifier().unwrap();
    let report = verifier
        .verify(&bundle, &Artifact::Bytes(b"bytes"), &policy)
        .unwrap();
    assert_eq!(report.timestamps.len(), 2);
    let e = assert_refused(
        verifier.clone().with_timestamp_threshold(2).verify(
            &bundle,
            &Artifact::Bytes(b"bytes"),
            &policy,
        ),
        ErrorKind::Time(TimeError::NoVerifiedTime),
    );
    assert!(e.detail().contains("from 1 authorities"), "{}", e.detail());
}

/// `happy-path-v0.3` relabelled v0.1, its certificate moved to the v0.1 chain form and its
/// inclusion proof removed: verifies on its SET by default, refused when v0.2 is the floor.
#[test]
fn the_lowest_accepted_bundle_version_is_an_option() {
    let Some(c) = case("conformance/happy-path-v0.3") else {
        return;
    };
    c.verify(&c.bundle).unwrap();
    c.verify_with(
        &c.verifier().with_min_bundle_version(BundleVersion::V0_2),
        &c.bundle,
    )
    .unwrap();
    let mut b = c.bundle.clone();
    b["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.1");
    let vm = b["verificationMaterial"].as_object_mut().unwrap();
    let cert = vm.remove("certificate").unwrap();
    vm.insert(
        "x509CertificateChain".into(),
        json!({"certificates": [cert]}),
    );
    b["verificationMaterial"]["tlogEntries"][0]
        .as_object_mut()
        .unwrap()
        .remove("inclusionProof");
    c.verify(&b).unwrap();
    assert_refused(
        c.verify_with(
            &c.verifier().with_min_bundle_version(BundleVersion::V0_2),
            &b,
        ),
        ErrorKind::Bundle(BundleError::VersionUnsupported),
    );
}

#[test]
fn the_certificate_form_follows_the_bundle_version() {
    if let Some(c) = case("conformance/happy-path-v0.3") {
        let mut b = c.bundle.clone();
        let vm = b["verificationMaterial"].as_object_mut().unwrap();
        let cert = vm.remove("certificate").unwrap();
        vm.insert(
            "x509CertificateChain".into(),
            json!({"certificates": [cert]}),
        );
        let e = assert_refused(c.verify(&b), ErrorKind::Bundle(BundleError::Malformed));
        assert!(e.detail().contains("v0.3"), "{}", e.detail());
    }
    if let Some(c) = case("conformance/happy-path-v0.2") {
        c.verify(&c.bundle).unwrap();
        let mut b = c.bundle.clone();
        let vm = b["verificationMaterial"].as_object_mut().unwrap();
        let chain = vm.remove("x509CertificateChain").unwrap();
        vm.insert("certificate".into(), chain["certificates"][0].clone());
        assert_refused(c.verify(&b), ErrorKind::Bundle(BundleError::Malformed));
    }
}

/// Rekor v1 on a sharded log: the entry's global `logIndex` (35355462) differs from the
/// proof's tree index (3673050). With the SET removed the RFC 3161 timestamp is the time
/// source and the bundle must still verify.
#[test]
fn a_global_log_index_is_not_compared_with_the_tree_index() {
    let Some(c) = case(TSA_CASE) else {
        return;
    };
    let mut b = c.bundle.clone();
    let entry = &mut b["verificationMaterial"]["tlogEntries"][0];
    assert_ne!(entry["logIndex"], entry["inclusionProof"]["logIndex"]);
    entry.as_object_mut().unwrap().remove("inclusionPromise");
    c.verify(&b).unwrap();
    // A global index below the tree index cannot be (earlier shards come first).
    b["verificationMaterial"]["tlogEntries"][0]["logIndex"] = json!("3673049");
    assert_refused(
        c.verify(&b),
        ErrorKind::Tlog(TlogError::InclusionProofInvalid),
    );
}

/// Issue 12: a genTime holding a non-ASCII character (parsed before the TSA signature is
/// checked) is a typed error, in parsing, in inspection and in `timestamp_time`.
#[test]
fn a_non_ascii_gen_time_is_a_typed_error() {
    let Some(c) = case(TSA_CASE) else {
        return;
    };
    let i = valid_timestamp(&c);
    let mut resp = timestamp_der(&c.bundle, i);
    // GeneralizedTime: tag 0x18, then a length, then `YYYYMMDDHHMMSS...Z`.
    let at = resp
        .windows(3)
        .position(|w| w[0] == 0x18 && (15..=24).contains(&w[1]) && w[2] == b'2')
        .expect("a GeneralizedTime");
    // Replace two digits of the year by `é` (two UTF-8 bytes): the DER lengths stay valid.
    resp[at + 3] = 0xc3;
    resp[at + 4] = 0xa9;
    assert_refused(
        timestamp_time(&resp),
        ErrorKind::Time(TimeError::TimestampInvalid),
    );
    let mut b = c.bundle.clone();
    set_timestamps(&mut b, &[resp]);
    let bytes = serde_json::to_vec(&b).unwrap();
    let e = assert_refused(
        Bundle::from_json(&bytes),
        ErrorKind::Time(TimeError::TimestampInvalid),
    );
    assert!(e.detail().contains("genTime"), "{}", e.detail());
    assert_refused(
        inspect_bundle(&bytes),
        ErrorKind::Time(TimeError::TimestampInvalid),
    );
}

/// Issue 12: a trusted root whose `validFor.start` holds a non-ASCII character.
#[test]
fn a_non_ascii_valid_for_is_a_typed_error() {
    let Some(c) = case("conformance/happy-path-v0.3") else {
        return;
    };
    let path: &Path = &c
        .dir
        .join(c.case["files"]["trusted_root"].as_str().unwrap());
    let mut root: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    root["tlogs"][0]["publicKey"]["validFor"]["start"] = json!("20é1-01-12T11:53:27Z");
    assert_refused(
        TrustedRoot::from_json(&serde_json::to_vec(&root).unwrap()),
        ErrorKind::TrustRoot(TrustRootError::Malformed),
    );
    root["tlogs"][0]["publicKey"]["validFor"]["start"] = json!("2021-01-12T11:53:2é");
    assert_refused(
        TrustedRoot::from_json(&serde_json::to_vec(&root).unwrap()),
        ErrorKind::TrustRoot(TrustRootError::Malformed),
    );
}
