//! Differential oracle: `sigstore-verify` (dev-dependency only) on the same bundles and on
//! mutated bundles. Any accept/reject disagreement fails, except the documented divergences
//! in `KNOWN_DIVERGENCES` (see docs/attest.md).
//!
//! The oracle checks no Fulcio-extension policy, so both sides get the same reduced policy:
//! exact SAN and issuer (or the managed key).

use std::path::Path;

use attest::{
    Artifact, Bundle, IdentityPolicy, Policy, PublicKey, TestStack, TrustedRoot, Verifier,
};
use serde_json::Value;
use sigstore_verify::trust_root::TrustedRoot as OTrustedRoot;
use sigstore_verify::types::{Bundle as OBundle, DerPublicKey};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy};

use crate::shared::{release_id, shared_dir};

/// Cases where attest and sigstore-verify disagree, with attest's reason (docs/attest.md).
const KNOWN_DIVERGENCES: &[(&str, &str)] = &[(
    "sigstore-python/tsa-rfc3161-timestamp",
    "must verify (manifest): one of its two timestamps covers other bytes; attest does not count \
     it and verifies with the other one and the SET, sigstore-verify rejects the bundle",
)];

/// Mutated fields where attest rejects and sigstore-verify accepts, with the reason.
const KNOWN_MUTATION_DIVERGENCES: &[(&str, &str)] = &[(
    "inclusionProof/rootHash",
    "sigstore-verify compares the root recomputed from the proof with the checkpoint only; \
     attest also requires the bundle's own rootHash to equal it (an inconsistent bundle is refused)",
)];

struct Input<'a> {
    root: &'a [u8],
    bundle: &'a [u8],
    artifact: &'a [u8],
    identity: Option<&'a str>,
    issuer: Option<&'a str>,
    key_pem: Option<&'a [u8]>,
}

fn attest_accepts(i: &Input<'_>) -> bool {
    let Ok(root) = TrustedRoot::from_json(i.root) else {
        return false;
    };
    let Ok(bundle) = Bundle::from_json(i.bundle) else {
        return false;
    };
    let policy = match i.key_pem {
        Some(k) => match PublicKey::from_pem(k) {
            Ok(k) => Policy::Key(k),
            Err(_) => return false,
        },
        None => Policy::Identity(match i.identity {
            Some(id) => IdentityPolicy::exact(id, i.issuer.unwrap_or_default()),
            None => IdentityPolicy::any_identity(i.issuer.unwrap_or_default()),
        }),
    };
    Verifier::new(root)
        .verify(&bundle, &Artifact::Bytes(i.artifact), &policy)
        .is_ok()
}

fn oracle_accepts(i: &Input<'_>) -> bool {
    let Ok(root) = OTrustedRoot::from_json(std::str::from_utf8(i.root).unwrap_or("")) else {
        return false;
    };
    let Ok(bundle) = OBundle::from_json(std::str::from_utf8(i.bundle).unwrap_or("")) else {
        return false;
    };
    match i.key_pem {
        Some(k) => {
            let Ok(key) = DerPublicKey::from_pem(std::str::from_utf8(k).unwrap_or("")) else {
                return false;
            };
            sigstore_verify::verify(
                i.artifact,
                &bundle,
                &PublicKeyVerificationPolicy::new(key),
                &root,
            )
            .is_ok()
        }
        None => {
            let mut p = VerificationPolicy::any_identity();
            if let Some(id) = i.identity {
                p = p.require_identity(id);
            }
            if let Some(iss) = i.issuer {
                p = p.require_issuer(iss);
            }
            sigstore_verify::verify(i.artifact, &bundle, &p, &root).is_ok()
        }
    }
}

#[test]
fn sigstore_verify_agrees_on_the_vectors() {
    let Some(shared) = shared_dir("differential oracle") else {
        return;
    };
    let dir = shared.join("vectors/sigstore");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let read = |rel: &str| std::fs::read(dir.join(rel)).unwrap();
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for case in manifest["cases"].as_array().unwrap() {
        if case["kind"] != "sigstore-bundle" {
            continue;
        }
        let name = case["name"].as_str().unwrap();
        let f = &case["files"];
        let (root, bundle, artifact) = (
            read(f["trusted_root"].as_str().unwrap()),
            read(f["bundle"].as_str().unwrap()),
            read(f["artifact"].as_str().unwrap()),
        );
        let key = case["policy"]["public_key"].as_str().map(read);
        let facts = &case["facts"];
        let p = &case["policy"];
        let identity = p["identity"].as_str().or_else(|| {
            if p["issuer"].is_null() {
                facts["san"][0].as_str()
            } else {
                None
            }
        });
        let issuer = p["issuer"]
            .as_str()
            .or(facts["fulcio_extensions"]["issuer"].as_str())
            .or(facts["fulcio_extensions"]["issuer_v1"].as_str());
        let input = Input {
            root: &root,
            bundle: &bundle,
            artifact: &artifact,
            identity,
            issuer,
            key_pem: key.as_deref(),
        };
        let (a, o) = (attest_accepts(&input), oracle_accepts(&input));
        compared += 1;
        if a != o && !KNOWN_DIVERGENCES.iter().any(|(n, _)| *n == name) {
            disagreements.push(format!(
                "{name}: attest {}, sigstore-verify {}",
                verdict(a),
                verdict(o)
            ));
        }
    }
    println!(
        "oracle: {compared} bundles compared, {} unexplained disagreements",
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

fn verdict(ok: bool) -> &'static str {
    if ok { "accepts" } else { "rejects" }
}

fn flips(bundle: &Value) -> Vec<(String, Value)> {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    let mut fields = vec![
        "/messageSignature/signature".to_owned(),
        "/verificationMaterial/certificate/rawBytes".to_owned(),
        "/dsseEnvelope/payload".to_owned(),
        "/dsseEnvelope/signatures/0/sig".to_owned(),
    ];
    for f in [
        "canonicalizedBody",
        "inclusionPromise/signedEntryTimestamp",
        "inclusionProof/rootHash",
        "inclusionProof/hashes/0",
    ] {
        fields.push(format!("/verificationMaterial/tlogEntries/0/{f}"));
    }
    for f in fields {
        let Some(text) = bundle.pointer(&f).and_then(Value::as_str) else {
            continue;
        };
        let bytes = STANDARD.decode(text).unwrap();
        for i in [0, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            let mut m = bytes.clone();
            m[i] ^= 1;
            let mut v = bundle.clone();
            *v.pointer_mut(&f).unwrap() = Value::String(STANDARD.encode(&m));
            out.push((f.clone(), v));
        }
    }
    out
}

fn mutation_differential(
    root: &[u8],
    bundle_json: &[u8],
    artifact: &[u8],
    identity: &str,
    issuer: &str,
    what: &str,
) -> Vec<String> {
    let original: Value = serde_json::from_slice(bundle_json).unwrap();
    let mut bad = Vec::new();
    for (k, (field, m)) in flips(&original).into_iter().enumerate() {
        let bytes = serde_json::to_vec(&m).unwrap();
        let input = Input {
            root,
            bundle: &bytes,
            artifact,
            identity: Some(identity),
            issuer: Some(issuer),
            key_pem: None,
        };
        let (a, o) = (attest_accepts(&input), oracle_accepts(&input));
        let known = !a
            && o
            && KNOWN_MUTATION_DIVERGENCES
                .iter()
                .any(|(f, _)| field.ends_with(f));
        if a || (a != o && !known) {
            bad.push(format!(
                "{what} mutation #{k} of {field}: attest {}, sigstore-verify {}",
                verdict(a),
                verdict(o)
            ));
        }
    }
    bad
}

#[test]
fn sigstore_verify_agrees_on_mutations() {
    let mut bad = Vec::new();
    let mut stack = TestStack::new([9; 32]).unwrap();
    let id = release_id("push");
    let root = stack.trusted_root_json().unwrap();
    let blob = stack.sign_blob(b"artifact", &id).unwrap();
    let input = Input {
        root: root.as_bytes(),
        bundle: blob.as_bytes(),
        artifact: b"artifact",
        identity: Some(&id.san),
        issuer: Some(&id.issuer),
        key_pem: None,
    };
    assert!(
        attest_accepts(&input),
        "attest must accept the test-stack bundle"
    );
    println!(
        "sigstore-verify on the test-stack bundle: {}",
        verdict(oracle_accepts(&input))
    );
    bad.extend(
        mutation_differential(
            root.as_bytes(),
            blob.as_bytes(),
            b"artifact",
            &id.san,
            &id.issuer,
            "test-stack blob",
        )
        .into_iter()
        .filter(|m| m.contains("attest accepts")),
    );
    if let Some(shared) = shared_dir("differential oracle") {
        let dir = shared.join("vectors/sigstore");
        let r = |p: &str| std::fs::read(Path::new(&dir).join(p)).unwrap();
        let beacon = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
        for case in [
            "happy-path-v0.3",
            "happy-path-intoto-in-dsse-v3",
            "rekor2-happy-path",
        ] {
            let root_rel = if case.starts_with("rekor2") {
                format!("conformance/{case}/trusted_root.json")
            } else {
                "trusted_roots/public-good.json".to_owned()
            };
            bad.extend(mutation_differential(
                &r(&root_rel),
                &r(&format!("conformance/{case}/bundle.sigstore.json")),
                &r("artifacts/a.txt"),
                beacon,
                "https://token.actions.githubusercontent.com",
                case,
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}
