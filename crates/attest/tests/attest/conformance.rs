//! Every case of `vectors/sigstore/manifest.json` and `vectors/slsa/manifest.json`, in artifact
//! and digest modes, with each reject mapped to the expected typed error kind.

use std::path::{Path, PathBuf};

use artidigest::{Algorithm, Digest};
use attest::{
    Artifact, Bundle, ErrorKind, FulcioExtension, IdentityPolicy, Policy, PublicKey, TrustedRoot,
    Verifier,
};
use serde_json::Value;

use crate::shared::shared_dir;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Artifact,
    Digest,
}

/// Expected error kind per rejected case (the manifest's `reason`, as a typed kind).
const EXPECTED_KINDS: &[(&str, ErrorKind)] = &[];

fn load(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(rel).display()))
}

fn identity_policy(case: &Value) -> Result<IdentityPolicy, attest::Error> {
    let p = &case["policy"];
    let facts = &case["facts"];
    // A null policy upstream (sigstore-python tests): pin what the facts say the certificate holds.
    let fact_issuer = facts["fulcio_extensions"]["issuer"]
        .as_str()
        .or(facts["fulcio_extensions"]["issuer_v1"].as_str());
    let issuer = p["issuer"].as_str().or(fact_issuer).unwrap_or_default();
    let identity = match (p["identity"].as_str(), p["issuer"].as_str()) {
        (Some(id), _) => Some(id),
        (None, None) => facts["san"][0].as_str(),
        (None, Some(_)) => None,
    };
    let mut policy = match identity {
        Some(id) => IdentityPolicy::exact(id, issuer),
        None => IdentityPolicy::any_identity(issuer),
    };
    if let Some(exts) = p["extensions"].as_object() {
        for (k, v) in exts {
            policy = policy.with_extension(k.parse::<FulcioExtension>()?, v.as_str().unwrap());
        }
    }
    if let Some(a) = p["allowed_build_triggers"].as_array() {
        policy = policy.allow_triggers(a.iter().map(|t| t.as_str().unwrap().to_owned()));
    }
    if let Some(d) = p["forbidden_build_triggers"].as_array() {
        for t in d {
            policy = policy.deny_trigger(t.as_str().unwrap());
        }
    }
    Ok(policy)
}

fn artifact_for<'a>(dir: &Path, case: &Value, mode: Mode, bytes: &'a mut Vec<u8>) -> Artifact<'a> {
    let sha = case["artifact_sha256"]
        .as_str()
        .or(case["subject_sha256_for_digest_mode"].as_str());
    let file = case["files"]["artifact"]
        .as_str()
        .or(case["files"]["distribution"].as_str());
    match (mode, file) {
        (Mode::Artifact, Some(f)) => {
            *bytes = load(dir, f);
            Artifact::Bytes(bytes)
        }
        _ => Artifact::digest(
            Digest::from_hex(Algorithm::Sha256, sha.expect("digest for digest mode")).unwrap(),
        ),
    }
}

fn run_sigstore_bundle(dir: &Path, case: &Value, mode: Mode) -> Result<(), attest::Error> {
    let root = TrustedRoot::from_json(&load(dir, case["files"]["trusted_root"].as_str().unwrap()))?;
    let bundle = Bundle::from_json(&load(dir, case["files"]["bundle"].as_str().unwrap()))?;
    let p = &case["policy"];
    let policy = match p["public_key"].as_str() {
        Some(k) => Policy::Key(PublicKey::from_pem(&load(dir, k))?),
        None => Policy::Identity(identity_policy(case)?),
    };
    let mut bytes = Vec::new();
    let artifact = artifact_for(dir, case, mode, &mut bytes);
    let v = Verifier::new(root).verify(&bundle, &artifact, &policy)?;
    // The report must serialise.
    serde_json::to_string(&v).unwrap();
    Ok(())
}

fn run_case(dir: &Path, case: &Value, mode: Mode) -> Result<(), attest::Error> {
    match case["kind"].as_str().unwrap() {
        "sigstore-bundle" => run_sigstore_bundle(dir, case, mode),
        other => Err(attest::Error::new(
            ErrorKind::Io,
            format!("kind {other} not run yet"),
        )),
    }
}

fn run_manifest(folder: &str) -> (usize, usize, Vec<String>) {
    let Some(shared) = shared_dir("conformance") else {
        return (0, 0, Vec::new());
    };
    let dir: PathBuf = shared.join("vectors").join(folder);
    let manifest: Value = serde_json::from_slice(&load(&dir, "manifest.json")).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    let mut pass = 0;
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expected = case["expected"].as_str().unwrap();
        let mut ok = true;
        for mode in [Mode::Artifact, Mode::Digest] {
            let got = run_case(&dir, case, mode);
            let line = match (&got, expected) {
                (Ok(()), "verify") => None,
                (Err(e), "reject") => {
                    let want = EXPECTED_KINDS
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, k)| *k);
                    match want {
                        Some(k) if k == e.kind() => None,
                        Some(k) => Some(format!(
                            "{name} [{mode:?}]: rejected as {} ({}), expected {}",
                            e.code(),
                            e.detail(),
                            k.code()
                        )),
                        None => Some(format!(
                            "{name} [{mode:?}]: rejected as {} ({}), no expected kind in table; reason: {}",
                            e.code(),
                            e.detail(),
                            case["reason"].as_str().unwrap_or("")
                        )),
                    }
                }
                (Ok(()), _) => Some(format!(
                    "{name} [{mode:?}]: ACCEPTED, must reject: {}",
                    case["reason"].as_str().unwrap_or("")
                )),
                (Err(e), _) => Some(format!(
                    "{name} [{mode:?}]: REJECTED {} ({}), must verify",
                    e.code(),
                    e.detail()
                )),
            };
            if let Some(l) = line {
                ok = false;
                failures.push(l);
            }
        }
        if ok {
            pass += 1;
        }
    }
    println!(
        "{folder}: {pass} of {} cases pass in both modes",
        cases.len()
    );
    (pass, cases.len(), failures)
}

#[test]
fn sigstore_vectors() {
    let (pass, total, failures) = run_manifest("sigstore");
    for f in &failures {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{pass} of {total}; {} failures",
        failures.len()
    );
}

#[test]
fn slsa_vectors() {
    let (pass, total, failures) = run_manifest("slsa");
    for f in &failures {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{pass} of {total}; {} failures",
        failures.len()
    );
}
