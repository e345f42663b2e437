//! Mutation suite: flipping a single byte of the signature, certificate, log entry, inclusion
//! proof, checkpoint, SET, DSSE payload or artifact of a valid bundle must be rejected.
//!
//! Every field is mutated at a spread of positions (first, last and evenly spaced ones); set
//! `ATTEST_MUTATION_FULL=1` to flip every byte (slow in debug builds; meant for
//! `cargo test --release`).

use std::path::Path;

use attest::{
    Artifact, Bundle, IdentityPolicy, Policy, PublicKey, TestStack, TrustedRoot, Verifier,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::shared::{release_id, shared_dir};

fn positions(len: usize) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    if std::env::var("ATTEST_MUTATION_FULL").as_deref() == Ok("1") {
        return (0..len).collect();
    }
    let mut p: Vec<usize> = (0..8).map(|i| i * (len - 1) / 7).collect();
    p.push(len / 2 + 1);
    p.retain(|x| *x < len);
    p.sort_unstable();
    p.dedup();
    p
}

/// JSON pointers of base64 fields to mutate, present in `bundle`.
fn b64_fields(bundle: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let candidates = [
        "/messageSignature/signature",
        "/messageSignature/messageDigest/digest",
        "/verificationMaterial/certificate/rawBytes",
        "/verificationMaterial/x509CertificateChain/certificates/0/rawBytes",
        "/dsseEnvelope/payload",
        "/dsseEnvelope/signatures/0/sig",
    ];
    for c in candidates {
        if bundle.pointer(c).is_some() {
            out.push(c.to_owned());
        }
    }
    if let Some(entries) = bundle
        .pointer("/verificationMaterial/tlogEntries")
        .and_then(Value::as_array)
    {
        for (i, e) in entries.iter().enumerate() {
            let base = format!("/verificationMaterial/tlogEntries/{i}");
            out.push(format!("{base}/canonicalizedBody"));
            out.push(format!("{base}/logId/keyId"));
            if e.pointer("/inclusionPromise/signedEntryTimestamp")
                .is_some()
            {
                out.push(format!("{base}/inclusionPromise/signedEntryTimestamp"));
            }
            if let Some(p) = e.get("inclusionProof") {
                out.push(format!("{base}/inclusionProof/rootHash"));
                for k in 0..p["hashes"].as_array().map_or(0, Vec::len) {
                    out.push(format!("{base}/inclusionProof/hashes/{k}"));
                }
            }
        }
    }
    out
}

fn set_b64(bundle: &mut Value, pointer: &str, bytes: &[u8]) {
    *bundle.pointer_mut(pointer).unwrap() = Value::String(STANDARD.encode(bytes));
}

/// Run every mutation of `bundle_json`; return the mutations that were (wrongly) accepted.
fn mutate_all(
    verifier: &Verifier,
    bundle_json: &[u8],
    artifact: &[u8],
    policy: &Policy,
) -> (usize, Vec<String>) {
    let original: Value = serde_json::from_slice(bundle_json).unwrap();
    let check = |v: &Value, art: &[u8]| -> bool {
        let Ok(b) = Bundle::from_json(&serde_json::to_vec(v).unwrap()) else {
            return false;
        };
        verifier.verify(&b, &Artifact::Bytes(art), policy).is_ok()
    };
    let b = Bundle::from_json(bundle_json).unwrap();
    if let Err(e) = verifier.verify(&b, &Artifact::Bytes(artifact), policy) {
        panic!("the unmutated bundle must verify: {e}");
    }
    let mut tried = 0;
    let mut accepted = Vec::new();
    for field in b64_fields(&original) {
        let bytes = STANDARD
            .decode(original.pointer(&field).unwrap().as_str().unwrap())
            .unwrap();
        for i in positions(bytes.len()) {
            let mut m = bytes.clone();
            m[i] ^= 0x01;
            let mut v = original.clone();
            set_b64(&mut v, &field, &m);
            tried += 1;
            if check(&v, artifact) {
                accepted.push(format!("{field}[{i}]"));
            }
        }
    }
    // Checkpoint text (ASCII bytes; the em dash is covered by the parser's exact match).
    if let Some(entries) = original
        .pointer("/verificationMaterial/tlogEntries")
        .and_then(Value::as_array)
    {
        for i in 0..entries.len() {
            let ptr =
                format!("/verificationMaterial/tlogEntries/{i}/inclusionProof/checkpoint/envelope");
            let Some(text) = original.pointer(&ptr).and_then(Value::as_str) else {
                continue;
            };
            let ascii: Vec<usize> = text
                .bytes()
                .enumerate()
                .filter(|(_, b)| b.is_ascii())
                .map(|(k, _)| k)
                .collect();
            for k in positions(ascii.len()) {
                let mut bytes = text.as_bytes().to_vec();
                bytes[ascii[k]] ^= 0x01;
                let mut v = original.clone();
                *v.pointer_mut(&ptr).unwrap() = Value::String(String::from_utf8(bytes).unwrap());
                tried += 1;
                if check(&v, artifact) {
                    accepted.push(format!("{ptr}[{}]", ascii[k]));
                }
            }
            for field in ["logIndex", "integratedTime"] {
                let p = format!("/verificationMaterial/tlogEntries/{i}/{field}");
                if let Some(n) = original
                    .pointer(&p)
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    let mut v = original.clone();
                    *v.pointer_mut(&p).unwrap() = Value::String((n ^ 1).to_string());
                    tried += 1;
                    if check(&v, artifact) {
                        accepted.push(p);
                    }
                }
            }
        }
    }
    for i in positions(artifact.len()) {
        let mut a = artifact.to_vec();
        a[i] ^= 0x01;
        tried += 1;
        if check(&original, &a) {
            accepted.push(format!("artifact[{i}]"));
        }
    }
    (tried, accepted)
}

#[test]
fn mutations_of_test_stack_bundles_are_rejected() {
    let mut stack = TestStack::new([7; 32]).unwrap();
    let verifier = stack.verifier().unwrap();
    let id = release_id("push");
    let policy = Policy::Identity(
        IdentityPolicy::github_release("owner/repo", "release.yml", "v1.2.3").unwrap(),
    );
    let artifact = b"relkit mutation artifact";
    let blob = stack.sign_blob(artifact, &id).unwrap();
    let (tried, accepted) = mutate_all(&verifier, blob.as_bytes(), artifact, &policy);
    assert!(accepted.is_empty(), "accepted mutations: {accepted:?}");
    assert!(tried > 60, "only {tried} mutations");

    let digest = artidigest::digest_bytes(artifact, &[artidigest::Algorithm::Sha256]);
    let statement = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a","digest":{{"sha256":"{}"}}}}],"predicateType":"https://example.invalid/p","predicate":{{}}}}"#,
        digest.get(artidigest::Algorithm::Sha256).unwrap().to_hex()
    );
    let dsse = stack.sign_statement(statement.as_bytes(), &id).unwrap();
    let (tried, accepted) = mutate_all(&verifier, dsse.as_bytes(), artifact, &policy);
    assert!(accepted.is_empty(), "accepted DSSE mutations: {accepted:?}");
    assert!(tried > 60);
}

fn vector_case(dir: &Path, name: &str) -> (Verifier, Vec<u8>, Vec<u8>, Policy) {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let case = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap();
    let read = |k: &str| std::fs::read(dir.join(case["files"][k].as_str().unwrap())).unwrap();
    let verifier = Verifier::new(TrustedRoot::from_json(&read("trusted_root")).unwrap());
    let p = &case["policy"];
    let policy = match p["public_key"].as_str() {
        Some(k) => Policy::Key(PublicKey::from_pem(&std::fs::read(dir.join(k)).unwrap()).unwrap()),
        None => Policy::Identity(IdentityPolicy::exact(
            p["identity"].as_str().unwrap(),
            p["issuer"].as_str().unwrap(),
        )),
    };
    (verifier, read("bundle"), read("artifact"), policy)
}

#[test]
fn mutations_of_valid_vectors_are_rejected() {
    let Some(shared) = shared_dir("mutation suite") else {
        return;
    };
    let dir = shared.join("vectors/sigstore");
    for name in [
        "conformance/happy-path-v0.1",
        "conformance/happy-path-v0.3",
        "conformance/happy-path-intoto-in-dsse-v3",
        "conformance/rekor2-happy-path",
        "conformance/managed-key-happy-path",
    ] {
        let (verifier, bundle, artifact, policy) = vector_case(&dir, name);
        let (tried, accepted) = mutate_all(&verifier, &bundle, &artifact, &policy);
        println!("{name}: {tried} mutations, {} accepted", accepted.len());
        assert!(
            accepted.is_empty(),
            "{name}: accepted mutations {accepted:?}"
        );
    }
}
