//! `signatures-valid` and `provenance-valid` on release folders signed by attest's test stack.

use std::path::{Path, PathBuf};

use attest::{GITHUB_ACTIONS_ISSUER, TestIdentity, TestStack};
use relgate::{Code, GateStatus, Policy, RunContext, Severity};
use relkit_testkit::provenance::{sha256_subject, slsa_statement};

const REPO: &str = "relkit/relkit-demo";
const TAG: &str = "v1.2.3";
const SIGNED_AT: i64 = 1_750_000_000;
const FILES: &[(&str, &[u8])] = &[
    ("demo-1.2.3.tar.gz", b"sdist bytes"),
    ("demo-1.2.3-py3-none-any.whl", b"wheel bytes"),
];

/// The demo policy in `base`: its sdist and wheel, and a `[signing]` table holding the server
/// and repository, then `rest` (the other signing keys, and any table after them).
fn demo_policy(base: &Path, rest: &str) -> Result<Policy, relgate::PolicyError> {
    let mut p = Policy::from_toml_str(
        &format!(
            r#"
[project]
name = "demo"
[[artifacts]]
glob = "*.tar.gz"
kind = "sdist"
[[artifacts]]
glob = "*.whl"
kind = "wheel"
[signing]
server = "https://github.com"
repository = "{REPO}"
{rest}"#
        ),
        "release.toml",
    )?;
    p.base_dir = base.to_path_buf();
    Ok(p)
}

/// The policy, sitting in `base` (its `trusted-root` is relative to `base`), naming `root`.
fn policy_naming(base: &Path, root: &str) -> Policy {
    demo_policy(
        base,
        &format!(
            r#"workflow = ".github/workflows/release.yml"
issuer = "{GITHUB_ACTIONS_ISSUER}"
denied-triggers = ["workflow_dispatch"]
trusted-root = "{root}"
[provenance]
glob = "*.intoto.jsonl"
predicate-type = "https://slsa.dev/provenance/v1"
cover = ["sdist", "wheel"]
"#
        ),
    )
    .unwrap()
}

/// A release: the release folder `dist/` and, outside it, the verifier's test root
/// `trusted_root.json` next to the policy.
struct Release {
    base: tempfile::TempDir,
    dist: PathBuf,
}

impl Release {
    /// The release folder.
    fn path(&self) -> &Path {
        &self.dist
    }
}

fn id(workflow: &str, git_ref: &str, trigger: &str) -> TestIdentity {
    TestIdentity::github(REPO, workflow, git_ref, trigger, SIGNED_AT)
}

fn good() -> TestIdentity {
    id("release.yml", "refs/tags/v1.2.3", "push")
}

fn slsa(files: &[(&str, &[u8])], git_ref: &str, trigger: &str) -> Vec<u8> {
    let subjects = files.iter().map(|(n, b)| sha256_subject(n, b)).collect();
    serde_json::to_vec(&slsa_statement(REPO, git_ref, trigger, subjects)).unwrap()
}

/// A release folder: artifacts, one bundle each signed by `signer`, a provenance file whose
/// statement covers `covered`; the stack's trusted root lies outside it, next to the policy.
fn release(signer: &TestIdentity, covered: &[(&str, &[u8])]) -> Release {
    let base = tempfile::tempdir().unwrap();
    let dist = base.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let dir = Release { base, dist };
    let mut stack = TestStack::new([42; 32]).unwrap();
    for (name, bytes) in FILES {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        let bundle = stack.sign_blob(bytes, signer).unwrap();
        std::fs::write(dir.path().join(format!("{name}.sigstore.json")), bundle).unwrap();
    }
    let st = slsa(covered, "refs/tags/v1.2.3", "push");
    let line = stack.sign_statement(&st, &good()).unwrap();
    std::fs::write(dir.path().join("demo.intoto.jsonl"), format!("{line}\n")).unwrap();
    std::fs::write(
        dir.base.path().join("trusted_root.json"),
        stack.trusted_root_json().unwrap(),
    )
    .unwrap();
    dir
}

/// Runs `gate` over the release folder `dir` with the policy in its parent folder naming the
/// test root there.
async fn gate(dir: &Path, gate: &str) -> (GateStatus, Vec<(Code, String)>) {
    gate_with(dir, "trusted_root.json", gate).await
}

/// The codes of the findings of `gate`, which must have failed.
async fn failing_codes(dir: &Path, gate_id: &str) -> Vec<Code> {
    let (status, findings) = gate(dir, gate_id).await;
    assert_eq!(status, GateStatus::Fail, "{findings:?}");
    findings.iter().map(|f| f.0).collect()
}

async fn gate_with(dir: &Path, root: &str, gate: &str) -> (GateStatus, Vec<(Code, String)>) {
    let policy = policy_naming(dir.parent().unwrap(), root);
    let report = relgate::run(&policy, RunContext::new(dir).tag(TAG)).await;
    let g = report.gate(gate).unwrap();
    (
        g.status,
        g.findings
            .iter()
            .map(|f| (f.finding.code, f.finding.subject.clone()))
            .collect(),
    )
}

#[tokio::test]
async fn a_signed_release_with_full_provenance_passes_both_gates() {
    let dir = release(&good(), FILES);
    assert_eq!(
        gate(dir.path(), "signatures-valid").await,
        (GateStatus::Pass, vec![])
    );
    assert_eq!(
        gate(dir.path(), "provenance-valid").await,
        (GateStatus::Pass, vec![])
    );
}

#[tokio::test]
async fn a_flipped_signature_byte_is_signature_invalid() {
    let dir = release(&good(), FILES);
    let p = dir.path().join("demo-1.2.3.tar.gz.sigstore.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    let sig = v["messageSignature"]["signature"]
        .as_str()
        .map(str::to_owned);
    let sig = sig.unwrap_or_else(|| {
        v["content"]["messageSignature"]["signature"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    use base64::Engine as _;
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(&sig)
        .unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    let text = std::fs::read_to_string(&p).unwrap().replace(
        &sig,
        &base64::engine::general_purpose::STANDARD.encode(&raw),
    );
    v = serde_json::from_str(&text).unwrap();
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    let (status, findings) = gate(dir.path(), "signatures-valid").await;
    assert_eq!(status, GateStatus::Fail);
    assert_eq!(
        findings,
        vec![(Code::SignatureInvalid, "demo-1.2.3.tar.gz".to_owned())]
    );
}

#[tokio::test]
async fn another_workflow_or_ref_is_identity_mismatch() {
    for signer in [
        id("nightly.yml", "refs/tags/v1.2.3", "push"),
        id("release.yml", "refs/heads/main", "push"),
    ] {
        let dir = release(&signer, FILES);
        let codes = failing_codes(dir.path(), "signatures-valid").await;
        assert_eq!(codes, vec![Code::IdentityMismatch; 2], "{}", signer.san);
    }
}

#[tokio::test]
async fn a_workflow_dispatch_signature_is_trigger_denied() {
    let dir = release(
        &id("release.yml", "refs/tags/v1.2.3", "workflow_dispatch"),
        FILES,
    );
    let codes = failing_codes(dir.path(), "signatures-valid").await;
    assert_eq!(codes, vec![Code::TriggerDenied; 2]);
}

#[tokio::test]
async fn a_missing_bundle_is_signature_missing() {
    let dir = release(&good(), FILES);
    std::fs::remove_file(dir.path().join("demo-1.2.3-py3-none-any.whl.sigstore.json")).unwrap();
    let (status, findings) = gate(dir.path(), "signatures-valid").await;
    assert_eq!(status, GateStatus::Fail);
    assert_eq!(
        findings,
        vec![(
            Code::SignatureMissing,
            "demo-1.2.3-py3-none-any.whl".to_owned()
        )]
    );
}

#[tokio::test]
async fn a_missing_trust_root_is_an_error_never_a_pass() {
    let dir = release(&good(), FILES);
    std::fs::remove_file(dir.base.path().join("trusted_root.json")).unwrap();
    for g in ["signatures-valid", "provenance-valid"] {
        let (status, _) = gate(dir.path(), g).await;
        assert_eq!(status, GateStatus::Error, "{g}");
    }
}

#[tokio::test]
async fn an_artifact_outside_the_subjects_is_subject_not_covered() {
    let dir = release(&good(), &FILES[..1]);
    let (status, findings) = gate(dir.path(), "provenance-valid").await;
    assert_eq!(status, GateStatus::Fail);
    assert_eq!(
        findings,
        vec![(
            Code::SubjectNotCovered,
            "demo-1.2.3-py3-none-any.whl".to_owned()
        )]
    );
}

#[tokio::test]
async fn provenance_from_another_ref_is_provenance_invalid() {
    let dir = release(&good(), FILES);
    let mut stack = TestStack::new([42; 32]).unwrap();
    let st = slsa(FILES, "refs/heads/main", "push");
    let line = stack
        .sign_statement(&st, &id("release.yml", "refs/heads/main", "push"))
        .unwrap();
    std::fs::write(dir.path().join("demo.intoto.jsonl"), format!("{line}\n")).unwrap();
    let codes = failing_codes(dir.path(), "provenance-valid").await;
    assert_eq!(codes, vec![Code::ProvenanceInvalid; 2]);
}

#[tokio::test]
async fn a_trust_root_inside_the_release_folder_is_refused_naming_it() {
    let dir = release(&good(), FILES);
    // The very root that verifies the release, but taken from the folder being judged.
    std::fs::copy(
        dir.base.path().join("trusted_root.json"),
        dir.path().join("trusted_root.json"),
    )
    .unwrap();
    for g in ["signatures-valid", "provenance-valid"] {
        let (status, findings) = gate_with(dir.path(), "dist/trusted_root.json", g).await;
        assert_eq!(status, GateStatus::Fail, "{g}");
        assert_eq!(
            findings,
            vec![(
                Code::TrustRootInRelease,
                "dist/trusted_root.json".to_owned()
            )],
            "{g}"
        );
    }
    // Through a path that leaves and re-enters the folder, too.
    let (status, findings) = gate_with(
        dir.path(),
        "dist/../dist/./trusted_root.json",
        "signatures-valid",
    )
    .await;
    assert_eq!(status, GateStatus::Fail);
    assert_eq!(findings[0].0, Code::TrustRootInRelease);
}

#[tokio::test]
async fn without_a_named_root_the_public_good_root_is_used_and_the_test_stack_fails() {
    let dir = release(&good(), FILES);
    let mut policy = policy_naming(dir.base.path(), "trusted_root.json");
    policy.signing.as_mut().unwrap().trusted_root = None;
    let report = relgate::run(&policy, RunContext::new(dir.path()).tag(TAG)).await;
    let g = report.gate("signatures-valid").unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert!(
        g.findings
            .iter()
            .all(|f| f.finding.code == Code::SignatureInvalid),
        "{:?}",
        g.findings
    );
}

// ---- [signing] parity: every key reaches attest's identity policy -------------------------

/// A policy in `base` whose `[signing]` holds the server, repository, issuer and test root,
/// then `signing` (the identity keys, pins, and any `[signing.extensions]` table).
fn signing_policy(base: &Path, signing: &str) -> Result<Policy, relgate::PolicyError> {
    demo_policy(
        base,
        &format!(
            "issuer = \"{GITHUB_ACTIONS_ISSUER}\"\ntrusted-root = \"trusted_root.json\"\n{signing}\n"
        ),
    )
}

/// `signatures-valid` under `signing`: status, blocking findings (code, found) and the
/// non-blocking ones (code, severity), whether noted on a pass or beside a failure.
async fn signing_gate(
    dir: &Path,
    signing: &str,
) -> (GateStatus, Vec<(Code, String)>, Vec<(Code, Severity)>) {
    let policy = signing_policy(dir.parent().unwrap(), signing).unwrap();
    let report = relgate::run(&policy, RunContext::new(dir).tag(TAG)).await;
    let g = report.gate("signatures-valid").unwrap();
    let (blocking, warnings): (Vec<_>, Vec<_>) =
        g.findings.iter().partition(|f| f.finding.severity.blocks());
    (
        g.status,
        blocking
            .iter()
            .map(|f| (f.finding.code, f.finding.found.clone().unwrap_or_default()))
            .collect(),
        g.notes
            .iter()
            .chain(warnings.iter().map(|f| &f.finding))
            .map(|f| (f.code, f.severity))
            .collect(),
    )
}

/// Each finding has `code` and its found text names the attest error kind `kind`.
fn all_are(findings: &[(Code, String)], code: Code, kind: &str) {
    assert_eq!(findings.len(), FILES.len(), "{findings:?}");
    for (c, found) in findings {
        assert_eq!(*c, code, "{found}");
        assert!(found.starts_with(&format!("{kind}:")), "{kind}: {found}");
    }
}

/// `signatures-valid` under `signing` fails for every file with `code` and attest's `kind`.
async fn refused_all(dir: &Path, signing: &str, code: Code, kind: &str) {
    let (status, findings, _) = signing_gate(dir, signing).await;
    assert_eq!(status, GateStatus::Fail, "{findings:?}");
    all_are(&findings, code, kind);
}

const WORKFLOW: &str = r#"workflow = ".github/workflows/release.yml""#;

#[tokio::test]
async fn identity_regex_is_a_whole_match_and_is_reported_weaker() {
    let dir = release(&good(), FILES);
    let exact = r"identity-regex = 'https://github\.com/relkit/relkit-demo/\.github/workflows/release\.yml@refs/tags/{tag}'";
    let (status, findings, notes) = signing_gate(dir.path(), exact).await;
    assert_eq!((status, findings), (GateStatus::Pass, vec![]));
    assert_eq!(notes, vec![(Code::IdentityMismatch, Severity::Warning)]);
    // The exact identity carries no such note.
    let (status, _, notes) = signing_gate(dir.path(), WORKFLOW).await;
    assert_eq!((status, notes), (GateStatus::Pass, vec![]));
    let prefix = r"identity-regex = 'https://github\.com/relkit/relkit-demo/'";
    let other = release(&id("nightly.yml", "refs/tags/v1.2.3", "push"), FILES);
    let dots = release(&id("release.yml", "refs/tags/v1x2x3", "push"), FILES);
    for (signed, signing) in [
        // Anchored: a prefix of the identity matches nothing.
        (&dir, prefix),
        // Another workflow is outside the pattern.
        (&other, exact),
        // `{tag}` is the tag taken literally: its dots match only dots.
        (&dots, exact),
    ] {
        refused_all(
            signed.path(),
            signing,
            Code::IdentityMismatch,
            "identity-mismatch",
        )
        .await;
    }
}

#[tokio::test]
async fn every_pinned_extension_passes_when_equal_and_is_identity_mismatch_otherwise() {
    let dir = release(&good(), FILES);
    let signer = good();
    let pinned = [
        "source-repository-uri",
        "source-repository-digest",
        "source-repository-ref",
        "source-repository-identifier",
        "source-repository-owner-uri",
        "source-repository-visibility-at-signing",
        "build-signer-uri",
        "build-signer-digest",
        "build-config-digest",
        "build-trigger",
        "runner-environment",
        "run-invocation-uri",
        "gh-workflow-sha-v1",
        // The dotted OID of source-repository-ref, too.
        "\"1.3.6.1.4.1.57264.1.14\"",
    ];
    for key in pinned {
        let ext: attest::FulcioExtension = key.trim_matches('"').parse().unwrap();
        let value = &signer.extensions.iter().find(|(e, _)| *e == ext).unwrap().1;
        let pin = |v: &str| format!("{WORKFLOW}\n[signing.extensions]\n{key} = {v:?}");
        let (status, findings, _) = signing_gate(dir.path(), &pin(value)).await;
        assert_eq!((status, findings), (GateStatus::Pass, vec![]), "{key}");
        let (status, findings, _) = signing_gate(dir.path(), &pin("something-else")).await;
        assert_eq!(status, GateStatus::Fail, "{key}");
        all_are(&findings, Code::IdentityMismatch, "extension-mismatch");
    }
}

#[tokio::test]
async fn require_github_hosted_refuses_a_self_hosted_runner() {
    let mut self_hosted = good();
    for (e, v) in &mut self_hosted.extensions {
        if *e == attest::FulcioExtension::RunnerEnvironment {
            *v = "self-hosted".to_owned();
        }
    }
    let hosted = format!("{WORKFLOW}\nrequire-github-hosted = true");
    let dir = release(&good(), FILES);
    let (status, findings, _) = signing_gate(dir.path(), &hosted).await;
    assert_eq!((status, findings), (GateStatus::Pass, vec![]));
    let dir = release(&self_hosted, FILES);
    let (status, _, _) = signing_gate(dir.path(), WORKFLOW).await;
    assert_eq!(status, GateStatus::Pass, "not required: any runner");
    refused_all(
        dir.path(),
        &hosted,
        Code::IdentityMismatch,
        "extension-mismatch",
    )
    .await;
}

#[tokio::test]
async fn allowed_and_denied_triggers_reach_attest() {
    let push = release(&good(), FILES);
    let by_release = release(&id("release.yml", "refs/tags/v1.2.3", "release"), FILES);
    let only_push = format!("{WORKFLOW}\nallowed-triggers = [\"push\"]");
    let (status, findings, _) = signing_gate(push.path(), &only_push).await;
    assert_eq!((status, findings), (GateStatus::Pass, vec![]));
    refused_all(
        by_release.path(),
        &only_push,
        Code::TriggerDenied,
        "trigger-not-allowed",
    )
    .await;
    let no_release = format!("{WORKFLOW}\ndenied-triggers = [\"release\"]");
    let (status, _, _) = signing_gate(push.path(), &no_release).await;
    assert_eq!(status, GateStatus::Pass);
    refused_all(
        by_release.path(),
        &no_release,
        Code::TriggerDenied,
        "trigger-not-allowed",
    )
    .await;
}

#[tokio::test]
async fn min_bundle_version_refuses_an_older_bundle() {
    let dir = release(&good(), FILES);
    // Relabel every bundle v0.2, moving the leaf into the v0.2 certificate form: a valid v0.2
    // bundle, accepted by default.
    for (name, _) in FILES {
        let p = dir.path().join(format!("{name}.sigstore.json"));
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        v["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2".into();
        let m = &mut v["verificationMaterial"];
        let cert = m["certificate"].take();
        m.as_object_mut().unwrap().remove("certificate");
        m["x509CertificateChain"] = serde_json::json!({"certificates": [cert]});
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    }
    let (status, findings, _) = signing_gate(dir.path(), WORKFLOW).await;
    assert_eq!((status, findings), (GateStatus::Pass, vec![]));
    let v02 = format!("{WORKFLOW}\nmin-bundle-version = \"0.2\"");
    let (status, _, _) = signing_gate(dir.path(), &v02).await;
    assert_eq!(status, GateStatus::Pass);
    let v03 = format!("{WORKFLOW}\nmin-bundle-version = \"0.3\"");
    let (status, findings, _) = signing_gate(dir.path(), &v03).await;
    assert_eq!(status, GateStatus::Fail);
    all_are(
        &findings,
        Code::SignatureInvalid,
        "bundle-version-unsupported",
    );
}

#[test]
fn signing_key_errors_name_the_key() {
    let base = Path::new("/nonexistent");
    let cases = [
        (
            "[signing.extensions]\nsource-repo = \"x\"".to_owned(),
            "signing.extensions.source-repo",
            "source-repo",
        ),
        (
            format!("{WORKFLOW}\nidentity-regex = 'https://x/.*'"),
            "signing.identity-regex",
            "one or the other",
        ),
        (
            "ref = \"refs/heads/main\"\nidentity-regex = 'https://x/.*'".to_owned(),
            "signing.identity-regex",
            "drop ref",
        ),
        (
            "identity-regex = 'https://x/(unclosed'".to_owned(),
            "signing.identity-regex",
            "invalid",
        ),
        (
            "identity-regex = ''".to_owned(),
            "signing.identity-regex",
            "empty",
        ),
        (String::new(), "signing.workflow", "workflow"),
        (
            format!("{WORKFLOW}\nmin-bundle-version = \"0.4\""),
            "signing.min-bundle-version",
            "0.4",
        ),
        (
            format!("{WORKFLOW}\nrequire-github-hosted = \"yes\""),
            "signing.require-github-hosted",
            "",
        ),
    ];
    for (body, key, says) in cases {
        let e = signing_policy(base, &body).unwrap_err();
        assert_eq!(e.key(), Some(key), "{body}: {e}");
        assert!(e.message().contains(says), "{body}: {e}");
    }
    // The key spellings that parse, and what they hold.
    let p = signing_policy(
        base,
        &format!(
            "{WORKFLOW}\nmin-bundle-version = \"0.2\"\n[signing.extensions]\nbuild_trigger = \"push\"\n\"1.3.6.1.4.1.57264.1.12\" = \"https://github.com/{REPO}\""
        ),
    )
    .unwrap();
    let s = p.signing.unwrap();
    assert_eq!(s.min_bundle_version, Some(attest::BundleVersion::V0_2));
    // The parsed section serialises, pins keyed by name.
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["extensions"]["build_trigger"], "push");
    assert_eq!(json["identity-regex"], serde_json::Value::Null);
    assert_eq!(
        s.extensions.keys().copied().collect::<Vec<_>>(),
        [
            attest::FulcioExtension::SourceRepositoryUri,
            attest::FulcioExtension::BuildTrigger
        ]
    );
}

#[tokio::test]
async fn under_identity_regex_provenance_needs_its_own_builder_id() {
    let dir = release(&good(), FILES);
    let regex = r"identity-regex = 'https://github\.com/relkit/relkit-demo/\.github/workflows/release\.yml@refs/tags/{tag}'";
    let provenance = |builder: &str| {
        format!(
            "{regex}\n[provenance]\nglob = \"*.intoto.jsonl\"\npredicate-type = \"https://slsa.dev/provenance/v1\"\ncover = [\"sdist\", \"wheel\"]\n{builder}"
        )
    };
    let run = |body: String| {
        let policy = signing_policy(dir.base.path(), &body).unwrap();
        let dist = dir.path().to_path_buf();
        async move {
            let report = relgate::run(&policy, RunContext::new(&dist).tag(TAG)).await;
            let g = report.gate("provenance-valid").unwrap();
            (
                g.status,
                g.findings
                    .iter()
                    .map(|f| (f.finding.code, f.finding.found.clone().unwrap_or_default()))
                    .collect::<Vec<_>>(),
            )
        }
    };
    // No exact identity to default the builder to: refused, never a pass.
    let (status, findings) = run(provenance("")).await;
    assert_eq!(status, GateStatus::Fail);
    assert_eq!(findings.len(), FILES.len(), "{findings:?}");
    for (code, found) in &findings {
        assert_eq!(*code, Code::PolicyInvalid);
        assert!(found.starts_with("policy-invalid:"), "{found}");
    }
    let builder = format!(
        "builder-id = \"https://github.com/{REPO}/.github/workflows/release.yml@refs/tags/{{tag}}\""
    );
    assert_eq!(run(provenance(&builder)).await, (GateStatus::Pass, vec![]));
}

// ---- the shared Sigstore vectors through release.toml -------------------------------------

mod vectors;
