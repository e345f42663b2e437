//! Every case of `vectors/sigstore/manifest.json` and `vectors/slsa/manifest.json`, in artifact
//! and digest modes, with each reject mapped to the expected typed error kind.

use std::path::{Path, PathBuf};

use artidigest::{Algorithm, Digest};
use attest::{
    Artifact, Bundle, BundleError, CertificateError, ErrorKind, FulcioExtension, IdentityError,
    IdentityPolicy, InputError, Policy, PolicyError, ProvenanceError, ProvenancePolicy, PublicKey,
    Publisher, RefPolicy, TimeError, TlogError, TrustRootError, TrustedRoot, Verifier,
    verify_pep740, verify_provenance,
};
use serde_json::Value;

use crate::shared::shared_dir;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Artifact,
    Digest,
}

include!("expected_kinds.rs");

pub(crate) fn load(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(rel).display()))
}

pub(crate) fn identity_policy(case: &Value) -> Result<IdentityPolicy, attest::Error> {
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
            // The kebab-case name release.toml writes (`source-repository-uri`).
            policy = policy.with_extension(
                k.replace('_', "-").parse::<FulcioExtension>()?,
                v.as_str().unwrap(),
            );
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

fn verifier(dir: &Path, case: &Value) -> Result<Verifier, attest::Error> {
    Ok(Verifier::new(TrustedRoot::from_json(&load(
        dir,
        case["files"]["trusted_root"].as_str().unwrap(),
    ))?))
}

fn run_bundle_dsse(dir: &Path, case: &Value, mode: Mode) -> Result<(), attest::Error> {
    let bundle = Bundle::from_json(&load(dir, case["files"]["provenance"].as_str().unwrap()))?;
    let mut bytes = Vec::new();
    let artifact = artifact_for(dir, case, mode, &mut bytes);
    let policy = Policy::Identity(identity_policy(case)?);
    let v = verifier(dir, case)?.verify(&bundle, &artifact, &policy)?;
    serde_json::to_string(&v).unwrap();
    Ok(())
}

fn run_pep740(dir: &Path, case: &Value, mode: Mode) -> Result<(), attest::Error> {
    let p = &case["policy"];
    let publisher = if p["publisher"].is_object() {
        Publisher::from_json(p["publisher"].to_string().as_bytes())?
    } else {
        Publisher::Identity(identity_policy(case)?)
    };
    let (file, is_attestation) = match case["files"]["attestation"].as_str() {
        Some(f) => (f, true),
        None => (case["files"]["bundle"].as_str().unwrap(), false),
    };
    let mut bytes = Vec::new();
    let artifact = artifact_for(dir, case, mode, &mut bytes);
    let v = verify_pep740(
        &verifier(dir, case)?,
        &load(dir, file),
        is_attestation,
        &artifact,
        case["distribution_filename"].as_str().unwrap(),
        &publisher,
    )?;
    serde_json::to_string(&v).unwrap();
    Ok(())
}

fn run_slsa(dir: &Path, case: &Value, mode: Mode) -> Result<(), attest::Error> {
    let p = &case["policy"];
    let mut policy = ProvenancePolicy::new("", p["source_uri"].as_str().unwrap_or_default());
    policy.builder_id = p["builder_id"].as_str().map(str::to_owned);
    policy.source_ref = if let Some(t) = p["tag"].as_str() {
        Some(RefPolicy::Tag(t.to_owned()))
    } else if let Some(t) = p["versioned_tag"].as_str() {
        Some(RefPolicy::VersionedTag(t.to_owned()))
    } else {
        p["branch"]
            .as_str()
            .map(|b| RefPolicy::Branch(b.to_owned()))
    };
    if let Some(f) = p["forbidden_triggers"].as_array() {
        policy.forbidden_triggers = f.iter().map(|t| t.as_str().unwrap().to_owned()).collect();
    }
    if let Some(i) = p["inputs"].as_object() {
        policy.inputs = i
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
    }
    let artifacts: Vec<Vec<Digest>> = match (
        mode,
        case["files"]["artifact"].as_str(),
        case["artifact_sha256"].as_str(),
    ) {
        (Mode::Artifact, Some(f), _) => {
            vec![Artifact::from_reader(std::fs::File::open(dir.join(f)).unwrap())?.digests()]
        }
        (_, _, Some(sha)) => vec![vec![Digest::from_hex(Algorithm::Sha256, sha).unwrap()]],
        _ => Vec::new(),
    };
    let v = verify_provenance(
        &verifier(dir, case)?,
        &load(dir, case["files"]["provenance"].as_str().unwrap()),
        &artifacts,
        &policy,
    )?;
    serde_json::to_string(&v).unwrap();
    Ok(())
}

fn run_case(dir: &Path, case: &Value, mode: Mode) -> Result<(), attest::Error> {
    match case["kind"].as_str().unwrap() {
        "sigstore-bundle" => run_sigstore_bundle(dir, case, mode),
        "sigstore-bundle-dsse" => run_bundle_dsse(dir, case, mode),
        "pep740-bundle" | "pep740-attestation" => run_pep740(dir, case, mode),
        "slsa-provenance-sigstore-bundle" | "slsa-provenance-legacy-dsse" => {
            run_slsa(dir, case, mode)
        }
        other => Err(attest::Error::new(
            InputError::Io,
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

/// Runs `folder`'s manifest and fails, listing them, on the cases that did not end as expected.
fn assert_every_case_ends_as_expected(folder: &str) {
    let (pass, total, failures) = run_manifest(folder);
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
fn sigstore_vectors() {
    assert_every_case_ends_as_expected("sigstore");
}

#[test]
fn slsa_vectors() {
    assert_every_case_ends_as_expected("slsa");
}

/// The committed table is complete and exact: one entry per rejected case of the two
/// manifests (68 sigstore + 22 slsa = 90), none for an accepted or unknown case, and the
/// manifests hold 98 + 32 = 130 cases, each run in both modes by the tests above.
#[test]
fn the_reason_table_covers_every_rejected_case_once() {
    let Some(shared) = shared_dir("reason table") else {
        return;
    };
    let mut rejects = Vec::new();
    let mut totals = Vec::new();
    for folder in ["sigstore", "slsa"] {
        let dir = shared.join("vectors").join(folder);
        let manifest: Value = serde_json::from_slice(&load(&dir, "manifest.json")).unwrap();
        let cases = manifest["cases"].as_array().unwrap();
        let r: Vec<String> = cases
            .iter()
            .filter(|c| c["expected"] == "reject")
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect();
        totals.push((folder, cases.len(), r.len()));
        rejects.extend(r);
    }
    assert_eq!(totals, [("sigstore", 98, 68), ("slsa", 32, 22)]);
    let mut names: Vec<&str> = EXPECTED_KINDS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(
        names.len(),
        before,
        "a case is listed twice in EXPECTED_KINDS"
    );
    let mut want: Vec<&str> = rejects.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(
        names, want,
        "EXPECTED_KINDS must name exactly the rejected cases"
    );
    println!(
        "reason table: {} rejected cases mapped; 130 cases x 2 modes = 260 runs",
        names.len()
    );
}
