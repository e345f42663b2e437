//! Interoperability: sigstore-python verifies the test stack's bundles and the demo release's
//! bundles (and its provenance) offline, with a client trust configuration built from the test stack's root.
//!
//! sigstore-python is found at `$RELKIT_SIGSTORE_PYTHON`, else in the venv that
//! `scripts/install-test-servers.sh` creates (`~/.cache/relkit/venv/bin/sigstore`). Under
//! `CI=true` a missing sigstore-python fails the test; elsewhere the test prints SKIPPED.

use std::path::{Path, PathBuf};
use std::process::Command;

use attest::{TestIdentity, TestStack, inspect_bundle};
use serde_json::{Value, json};

fn sigstore_python() -> Option<PathBuf> {
    let candidate = std::env::var_os("RELKIT_SIGSTORE_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/relkit/venv/bin/sigstore"))
        });
    if let Some(p) = candidate.filter(|p| p.is_file()) {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "sigstore-python not found (CI=true): run scripts/install-test-servers.sh or set \
         RELKIT_SIGSTORE_PYTHON"
    );
    println!("SKIPPED: sigstore-python interop: sigstore-python not installed");
    None
}

/// A `ClientTrustConfig` wrapping `trusted_root` (no signing services: verification only).
fn trust_config(trusted_root: &str, out: &Path) {
    let root: Value = serde_json::from_str(trusted_root).unwrap();
    let config = json!({
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": root,
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [], "oidcUrls": [], "rekorTlogUrls": [], "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"},
        },
    });
    std::fs::write(out, serde_json::to_vec(&config).unwrap()).unwrap();
}

/// Run `sigstore verify identity --offline`; return (success, output).
fn verify(sigstore: &Path, config: &Path, bundle: &Path, artifact: &Path) -> (bool, String) {
    let bytes = std::fs::read(bundle).unwrap();
    let claims = inspect_bundle(&bytes).unwrap();
    let san = claims.sans.first().unwrap().clone();
    // Inspection keys are `name (oid)`.
    let issuer = claims
        .extensions
        .iter()
        .find(|(k, _)| k.starts_with("issuer ("))
        .map(|(_, v)| v.clone())
        .unwrap();
    let out = Command::new(sigstore)
        .arg("--trust-config")
        .arg(config)
        .args(["verify", "identity", "--offline", "--bundle"])
        .arg(bundle)
        .args(["--cert-identity", &san, "--cert-oidc-issuer", &issuer])
        .arg(artifact)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("attest-interop-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn sigstore_python_verifies_test_stack_bundles() {
    let Some(sigstore) = sigstore_python() else {
        return;
    };
    let dir = scratch("stack");
    let mut stack = TestStack::new([21; 32]).unwrap();
    trust_config(&stack.trusted_root_json().unwrap(), &dir.join("trust.json"));
    let id = TestIdentity::github(
        "owner/repo",
        "release.yml",
        "refs/tags/v1.0.0",
        "push",
        1_750_000_000,
    );
    let artifact = dir.join("artifact.tar.gz");
    std::fs::write(&artifact, b"release bytes").unwrap();
    let blob = dir.join("blob.sigstore.json");
    std::fs::write(&blob, stack.sign_blob(b"release bytes", &id).unwrap()).unwrap();
    let (ok, out) = verify(&sigstore, &dir.join("trust.json"), &blob, &artifact);
    assert!(
        ok,
        "sigstore-python refuses a test-stack message signature:\n{out}"
    );
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact.tar.gz", "digest": {"sha256": hex_sha256(b"release bytes")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {},
    });
    let dsse = dir.join("dsse.sigstore.json");
    std::fs::write(
        &dsse,
        stack
            .sign_statement(&serde_json::to_vec(&statement).unwrap(), &id)
            .unwrap(),
    )
    .unwrap();
    let (ok, out) = verify(&sigstore, &dir.join("trust.json"), &dsse, &artifact);
    assert!(
        ok,
        "sigstore-python refuses a test-stack DSSE bundle:\n{out}"
    );
    // The check can fail: other bytes are refused.
    let other = dir.join("other");
    std::fs::write(&other, b"other bytes").unwrap();
    let (ok, _) = verify(&sigstore, &dir.join("trust.json"), &blob, &other);
    assert!(!ok, "sigstore-python accepted other bytes");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sigstore_python_verifies_the_demo_release_bundles() {
    let Some(sigstore) = sigstore_python() else {
        return;
    };
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-release/dist");
    let dir = scratch("demo");
    let root = std::fs::read_to_string(dist.join("../trusted_root.json")).unwrap();
    trust_config(&root, &dir.join("trust.json"));
    let check = |bundle: &Path, artifact: &str| {
        verify(
            &sigstore,
            &dir.join("trust.json"),
            bundle,
            &dist.join(artifact),
        )
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(&dist).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let Some(artifact) = name.strip_suffix(".sigstore.json") else {
            continue;
        };
        let (ok, out) = check(&path, artifact);
        assert!(ok, "sigstore-python refuses demo bundle {name}:\n{out}");
        checked += 1;
    }
    assert_eq!(checked, 4, "the demo release has four bundles");
    // Each line of the provenance is a bundle too (DSSE over an in-toto statement): verified
    // against the artifact its first subject names.
    let mut lines = 0;
    for (i, line) in std::fs::read_to_string(dist.join("relkit-demo.intoto.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
    {
        let bundle = dir.join(format!("provenance-{i}.sigstore.json"));
        std::fs::write(&bundle, line).unwrap();
        let claims = inspect_bundle(line.as_bytes()).unwrap();
        let subject = &claims.statement.unwrap().subjects[0].name;
        let (ok, out) = check(&bundle, subject);
        assert!(ok, "sigstore-python refuses provenance line {i}:\n{out}");
        lines += 1;
    }
    assert_eq!(lines, 1, "the demo provenance has one bundle");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn hex_sha256(b: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(b))
}
