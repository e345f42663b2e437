//! The shared Sigstore vectors through release.toml: each case's policy written as a
//! `[signing]` section, parsed, and verified with what that section builds, in artifact and
//! digest mode, held to attest's committed reason table.

use std::path::{Path, PathBuf};

use artidigest::{Algorithm, Digest};
use attest::{
    Artifact, Bundle, BundleError, CertificateError, ErrorKind, IdentityError, PolicyError,
    ProvenanceError, TimeError, TlogError, TrustRootError, TrustedRoot, Verifier, verify_pep740,
};
use relgate::Policy;
use serde_json::Value;

include!("../../../../attest/tests/attest/expected_kinds.rs");

/// The tag the policies are evaluated for (no vector's identity depends on it).
const TAG: &str = "v0.0.0";

fn shared() -> Option<PathBuf> {
    relkit_testkit::shared_folder(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        "vectors/sigstore/manifest.json",
        "relgate attest gates over the shared vectors",
    )
}

/// `s` with every regex metacharacter escaped.
fn escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let meta = "\\.+*?()|[]{}^$#&-~".contains(c);
            meta.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// The case's policy written as a release.toml `[signing]` section would write it, or
/// `None` for a managed-key policy (`[signing]` names keyless identities only).
fn signing_toml(dir: &Path, case: &Value) -> Option<String> {
    let p = &case["policy"];
    if p["public_key"].is_string() {
        return None;
    }
    let root = dir.join(case["files"]["trusted_root"].as_str().unwrap());
    let mut t = format!(
        "[project]\nname = \"vector\"\n[signing]\ntrusted-root = {}\n",
        q(root.to_str().unwrap())
    );
    let publisher = &p["publisher"];
    let identity = p["identity"].as_str().or(case["facts"]["san"][0].as_str());
    // A null policy upstream (sigstore-python's tests): pin what the facts say the
    // certificate holds, as the attest-level conformance test does.
    let facts = &case["facts"]["fulcio_extensions"];
    let issuer = p["issuer"]
        .as_str()
        .or(facts["issuer"].as_str())
        .or(facts["issuer_v1"].as_str())
        .unwrap_or_default();
    match publisher["kind"].as_str() {
        // A PyPI trusted publisher: the forge by server, the workflow file.
        Some("GitHub") => t.push_str(&format!(
            "server = \"https://github.com\"\nrepository = {}\nworkflow = {}\nissuer = {}\n",
            q(publisher["repository"].as_str().unwrap()),
            q(&format!(
                ".github/workflows/{}",
                publisher["workflow"].as_str().unwrap()
            )),
            q(issuer)
        )),
        Some("GitLab") => t.push_str(&format!(
            "server = \"https://gitlab.com\"\nrepository = {}\nworkflow = {}\nissuer = \"https://gitlab.com\"\n",
            q(publisher["repository"].as_str().unwrap()),
            q(publisher["workflow_filepath"].as_str().unwrap())
        )),
        _ => {
            // No identity at all (a bundle without a certificate): any identity.
            let identity = identity.map_or_else(|| String::from(".*"), escape);
            // A GitHub workflow identity splits into server, repository, workflow and ref;
            // any other (an e-mail address, another CI) is an identity-regex matching it
            // exactly.
            let parts = p["identity"]
                .as_str()
                .or(case["facts"]["san"][0].as_str())
                .and_then(|i| i.strip_prefix("https://github.com/"))
                .and_then(|rest| rest.split_once("/.github/workflows/"))
                .and_then(|(repo, wf)| wf.split_once('@').map(|(w, r)| (repo, w, r)));
            match parts {
                Some((repo, wf, git_ref)) if repo.matches('/').count() == 1 => {
                    t.push_str(&format!(
                        "server = \"https://github.com\"\nrepository = {}\nworkflow = {}\nref = {}\n",
                        q(repo),
                        q(&format!(".github/workflows/{wf}")),
                        q(git_ref)
                    ));
                }
                _ => t.push_str(&format!(
                    "server = \"https://example.invalid\"\nrepository = \"n/a\"\nidentity-regex = {}\n",
                    q(&identity)
                )),
            }
            t.push_str(&format!("issuer = {}\n", q(issuer)));
        }
    }
    let list = |key: &str| {
        p[key].as_array().map(|a| {
            a.iter()
                .map(|v| q(v.as_str().unwrap()))
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    if let Some(a) = list("allowed_build_triggers") {
        t.push_str(&format!("allowed-triggers = [{a}]\n"));
    }
    if let Some(d) = list("forbidden_build_triggers") {
        t.push_str(&format!("denied-triggers = [{d}]\n"));
    }
    if let Some(exts) = p["extensions"].as_object() {
        t.push_str("[signing.extensions]\n");
        for (k, v) in exts {
            // The manifest's snake_case names, written as release.toml writes them.
            t.push_str(&format!(
                "{} = {}\n",
                k.replace('_', "-"),
                q(v.as_str().unwrap())
            ));
        }
    }
    Some(t)
}

fn artifact(dir: &Path, case: &Value, digest_mode: bool) -> Artifact<'static> {
    let file = case["files"]["artifact"]
        .as_str()
        .or(case["files"]["distribution"].as_str());
    let sha = case["artifact_sha256"]
        .as_str()
        .or(case["subject_sha256_for_digest_mode"].as_str());
    match (digest_mode, file, sha) {
        (false, Some(f), _) | (true, Some(f), None) => {
            Artifact::from_reader(std::fs::File::open(dir.join(f)).unwrap()).unwrap()
        }
        (_, _, Some(sha)) => Artifact::digest(Digest::from_hex(Algorithm::Sha256, sha).unwrap()),
        (_, None, None) => panic!("{}: no artifact", case["name"]),
    }
}

/// One case through the front end: the policy parsed from release.toml, the identity
/// policy, publisher and verifier options built from its `[signing]`.
fn run(dir: &Path, case: &Value, toml: &str, digest_mode: bool) -> Result<(), attest::Error> {
    let policy = Policy::from_toml_str(toml, "release.toml")
        .unwrap_or_else(|e| panic!("{}: {e}\n{toml}", case["name"]));
    let signing = policy.signing.unwrap();
    let root = dir.join(case["files"]["trusted_root"].as_str().unwrap());
    let verifier =
        signing.configure_verifier(Verifier::new(TrustedRoot::verifier_root(Some(&root))?));
    let art = artifact(dir, case, digest_mode);
    match case["kind"].as_str().unwrap() {
        "sigstore-bundle" => {
            let bundle = Bundle::from_json(
                &std::fs::read(dir.join(case["files"]["bundle"].as_str().unwrap())).unwrap(),
            )?;
            let policy = attest::Policy::Identity(signing.identity_policy(TAG)?);
            verifier.verify(&bundle, &art, &policy).map(drop)
        }
        "pep740-bundle" | "pep740-attestation" => {
            let (file, is_attestation) = match case["files"]["attestation"].as_str() {
                Some(f) => (f, true),
                None => (case["files"]["bundle"].as_str().unwrap(), false),
            };
            verify_pep740(
                &verifier,
                &std::fs::read(dir.join(file)).unwrap(),
                is_attestation,
                &art,
                case["distribution_filename"].as_str().unwrap(),
                &signing.pep740_publisher(TAG)?,
            )
            .map(drop)
        }
        other => panic!(
            "{}: kind {other} has no release.toml front end",
            case["name"]
        ),
    }
}

#[test]
fn every_sigstore_vector_runs_through_release_toml_in_both_modes() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("vectors/sigstore");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    let (mut runs, mut keyed, mut failures) = (0, Vec::new(), Vec::new());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let Some(toml) = signing_toml(&dir, case) else {
            keyed.push(name);
            continue;
        };
        for digest_mode in [false, true] {
            runs += 1;
            let got = run(&dir, case, &toml, digest_mode);
            let want = EXPECTED_KINDS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, k)| *k);
            let ok = match (&got, case["expected"].as_str().unwrap(), want) {
                (Ok(()), "verify", None) => true,
                (Err(e), "reject", Some(k)) => e.kind() == k,
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{name} [{}]: got {:?}, expected {} {want:?}\n{toml}",
                    if digest_mode { "digest" } else { "artifact" },
                    got.as_ref()
                        .map_err(|e| format!("{}: {}", e.code(), e.detail())),
                    case["expected"]
                ));
            }
        }
    }
    eprintln!(
        "release.toml front end: {} of {} cases, {runs} runs (artifact and digest mode); \
         managed-key cases run through attest's API only: {keyed:?}",
        cases.len() - keyed.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Everything but the three managed-key cases, which a keyless [signing] cannot state.
    assert_eq!(
        keyed,
        [
            "conformance/managed-key-and-trusted-root",
            "conformance/managed-key-happy-path",
            "conformance/managed-key-wrong-key"
        ]
    );
    assert_eq!(runs, 2 * (cases.len() - 3));
}
