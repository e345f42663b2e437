//! The built-in gates on real folders: required assets, checksum file.

use std::path::Path;

use crate::support::{assert_error_says, policy_from};
use artidigest::{Algorithm, Digest};
use relgate::{Action, Code, GateStatus, Policy, RunContext, RunStatus};

fn sha256_hex(bytes: &[u8]) -> String {
    Digest::of(Algorithm::Sha256, bytes).to_hex()
}

/// Three honest archives (a wheel with its RECORD, an sdist with PKG-INFO, a .crate with
/// Cargo.toml.orig): every archive of a release folder is read by `archive-safety`.
fn files() -> [(&'static str, Vec<u8>); 3] {
    use crate::archive_gate::{honest_record, krate, sdist, wheel_with};
    [
        ("demo-1.0.0-py3-none-any.whl", wheel_with(honest_record)),
        (
            "demo-1.0.0.tar.gz",
            sdist(&[("demo-1.0.0/PKG-INFO", b"Name: demo\n")]),
        ),
        ("demo-1.0.0.crate", krate(true)),
    ]
}

/// The bytes of release file `name`.
fn bytes_of(name: &str) -> Vec<u8> {
    files().into_iter().find(|(n, _)| *n == name).unwrap().1
}

/// A release folder with three artifacts, a GNU checksum file and a signature bundle.
fn release() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut sums = String::new();
    for (name, bytes) in files() {
        std::fs::write(dir.path().join(name), &bytes).unwrap();
        sums.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
    }
    std::fs::write(dir.path().join("SHA256SUMS"), sums).unwrap();
    std::fs::write(dir.path().join("demo-1.0.0.crate.sigstore.json"), b"{}").unwrap();
    dir
}

/// The placeholder bundle is no signature: these policies check assets and checksums, and
/// signatures are verified end to end in `attest_gates`.
const ALLOW_BUNDLE: &str = "[[files.allow]]\nglob = \"*.sigstore.json\"\nreason = \"placeholder bundle ({}): this policy checks assets and checksums; signatures are verified in attest_gates\"\n";

fn policy() -> Policy {
    policy_from(&format!(
        r#"
[project]
name = "demo"
[release]
required-assets = ["*.whl", "*.tar.gz", "*.crate", "SHA256SUMS"]
[checksums]
file = "SHA256SUMS"
unlisted-allowed = ["*.sigstore.json"]
[gates.checksum-file]
after = ["required-assets-present"]
{ALLOW_BUNDLE}"#
    ))
}

async fn check(dir: &Path, policy: &Policy) -> relgate::Report {
    relgate::run(policy, RunContext::new(dir).tag("v1.0.0")).await
}

fn codes_of(report: &relgate::Report, gate: &str) -> Vec<(Code, String)> {
    report
        .gate(gate)
        .unwrap()
        .findings
        .iter()
        .map(|f| (f.finding.code, f.finding.subject.clone()))
        .collect()
}

#[tokio::test]
async fn a_complete_release_passes_with_evidence() {
    let dir = release();
    let r = check(dir.path(), &policy()).await;
    assert_eq!(r.decision.status, RunStatus::Allowed, "{:#?}", r.gates);
    assert_eq!(r.decision.action, Action::Publish);
    let sums = r.gate("checksum-file").unwrap();
    assert_eq!(sums.evidence["matched"], 3);
    assert_eq!(
        sums.evidence["unlisted"],
        relgate::Json::of(&serde_json::json!(["demo-1.0.0.crate.sigstore.json"]))
    );
    let assets = r.gate("required-assets-present").unwrap();
    assert_eq!(
        assets.evidence["matches"]["*.whl"],
        relgate::Json::of(&serde_json::json!(["demo-1.0.0-py3-none-any.whl"]))
    );
    // Archives imply archive-safety; the bundle, allowed by name, implies no signature gate.
    assert_eq!(r.gate("archive-safety").unwrap().status, GateStatus::Pass);
    assert!(r.gate("signatures-valid").is_none(), "{:#?}", r.gates);
    // Every file is accounted for: three archives and SHA256SUMS read, the bundle allowed.
    let covered = r.gate("files-covered").unwrap();
    assert_eq!(covered.status, GateStatus::Pass);
    assert_eq!(
        covered.evidence["files"],
        relgate::Json::of(&serde_json::json!({ "covered": 4, "allowed": 1, "blocking": 0 }))
    );
}

#[tokio::test]
async fn a_missing_asset_is_named_and_skips_the_checksum_gate() {
    let dir = release();
    std::fs::remove_file(dir.path().join("demo-1.0.0.tar.gz")).unwrap();
    let r = check(dir.path(), &policy()).await;
    assert_eq!(
        codes_of(&r, "required-assets-present"),
        [(Code::AssetMissing, "*.tar.gz".to_owned())]
    );
    let sums = r.gate("checksum-file").unwrap();
    assert_eq!(sums.status, GateStatus::Skipped);
    assert_eq!(sums.caused_by, ["required-assets-present"]);
    assert_eq!(r.root_cause_codes(), [Code::AssetMissing]);
    assert_eq!(r.decision.action, Action::DoNotPublish);
}

#[tokio::test]
async fn globs_do_not_cross_folders_and_symlinks_are_not_assets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    std::fs::write(dir.path().join("nested/a.whl"), b"x").unwrap();
    let p = policy_from(
        "[project]\nname = \"d\"\n[release]\nrequired-assets = [\"*.whl\", \"**/*.whl\"]\n",
    );
    let r = check(dir.path(), &p).await;
    assert_eq!(
        codes_of(&r, "required-assets-present"),
        [(Code::AssetMissing, "*.whl".to_owned())]
    );

    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("real.whl"), b"x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path().join("real.whl"), dir.path().join("link.whl"))
            .unwrap();
        let p = policy_from("[project]\nname = \"d\"\n[release]\nrequired-assets = [\"*.whl\"]\n");
        let r = check(dir.path(), &p).await;
        assert_eq!(r.root_cause_codes(), [Code::AssetMissing]);
    }
}

#[tokio::test]
async fn a_missing_release_folder_is_an_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let r = check(&dir.path().join("nope"), &policy()).await;
    assert_eq!(
        r.gate("required-assets-present").unwrap().status,
        GateStatus::Error
    );
    assert_eq!(r.root_cause_codes(), [Code::GateError]);
}

#[tokio::test]
async fn tampered_bytes_give_digest_mismatch_with_both_digests() {
    let dir = release();
    std::fs::write(dir.path().join("demo-1.0.0.tar.gz"), b"evil sdist").unwrap();
    let r = check(dir.path(), &policy()).await;
    let g = r.gate("checksum-file").unwrap();
    assert_eq!(g.findings.len(), 1);
    let f = &g.findings[0].finding;
    assert_eq!(f.code, Code::DigestMismatch);
    assert_eq!(f.subject, "demo-1.0.0.tar.gz");
    assert_eq!(
        f.expected.as_deref(),
        Some(format!("sha256:{}", sha256_hex(&bytes_of("demo-1.0.0.tar.gz"))).as_str())
    );
    assert_eq!(
        f.found.as_deref(),
        Some(format!("sha256:{}", sha256_hex(b"evil sdist")).as_str())
    );
    assert_eq!(r.root_cause_codes(), [Code::DigestMismatch]);
}

#[tokio::test]
async fn missing_unlisted_and_invalid_checksum_entries() {
    // Listed but missing (a required asset still matches through the wheel).
    let dir = release();
    std::fs::remove_file(dir.path().join("demo-1.0.0.crate")).unwrap();
    let p = policy_from(&format!(
        "[project]\nname = \"d\"\n[checksums]\nfile = \"SHA256SUMS\"\nunlisted-allowed = [\"*.sigstore.json\"]\n{ALLOW_BUNDLE}"
    ));
    let r = check(dir.path(), &p).await;
    assert_eq!(
        codes_of(&r, "checksum-file"),
        [(Code::ChecksumMissing, "demo-1.0.0.crate".to_owned())]
    );

    // Present but not listed.
    let dir = release();
    std::fs::write(dir.path().join("extra.bin"), b"x").unwrap();
    let r = check(dir.path(), &p).await;
    assert_eq!(
        codes_of(&r, "checksum-file"),
        [(Code::ChecksumUnlisted, "extra.bin".to_owned())]
    );
    // ... passes the checksum gate when the policy says so; but nothing reads extra.bin, so
    // the coverage step still blocks, naming it ...
    let lenient_toml = format!(
        "[project]\nname = \"d\"\n[checksums]\nfile = \"SHA256SUMS\"\nfail-on-unlisted = false\n{ALLOW_BUNDLE}"
    );
    let lenient = policy_from(&lenient_toml);
    let r = check(dir.path(), &lenient).await;
    assert_eq!(r.gate("checksum-file").unwrap().status, GateStatus::Pass);
    assert_eq!(r.decision.status, RunStatus::Blocked);
    assert_eq!(
        codes_of(&r, "files-covered"),
        [(Code::FileUnchecked, "extra.bin".to_owned())]
    );
    // ... and the release is allowed once the policy also allows the file, with a reason.
    let lenient = policy_from(&format!(
        "{lenient_toml}[[files.allow]]\nglob = \"extra.bin\"\nreason = \"a scratch file the test leaves; no check needs it\"\n"
    ));
    assert_eq!(
        check(dir.path(), &lenient).await.decision.status,
        RunStatus::Allowed
    );

    // Malformed, absent, empty, escaping names.
    for (content, words) in [
        (Some("not a checksum line\n"), "SHA256SUMS:1"),
        (None, "cannot read it"),
        (Some(""), "lists no files"),
        (
            Some(&*format!("{}  ../outside\n", sha256_hex(b"x"))),
            "SHA256SUMS:1",
        ),
    ] {
        let dir = release();
        match content {
            Some(c) => std::fs::write(dir.path().join("SHA256SUMS"), c).unwrap(),
            None => std::fs::remove_file(dir.path().join("SHA256SUMS")).unwrap(),
        }
        let r = check(dir.path(), &p).await;
        let g = r.gate("checksum-file").unwrap();
        assert_eq!(g.findings.len(), 1, "{words}");
        let f = &g.findings[0].finding;
        assert_eq!(f.code, Code::ChecksumFileInvalid, "{words}");
        assert!(
            f.found.as_deref().unwrap().contains(words),
            "{f:?} lacks {words}"
        );
    }
}

#[tokio::test]
async fn bsd_style_files_verify_too() {
    let dir = release();
    let mut sums = String::new();
    for (name, bytes) in files() {
        sums.push_str(&format!("SHA256 ({name}) = {}\n", sha256_hex(&bytes)));
    }
    std::fs::write(dir.path().join("SHA256SUMS"), sums).unwrap();
    assert_eq!(
        check(dir.path(), &policy()).await.decision.status,
        RunStatus::Allowed
    );
}

#[tokio::test]
async fn policy_gates_nobody_implements_are_unknown_and_block() {
    let dir = release();
    let p = policy_from(
        "[project]\nname = \"d\"\n[gates.my-preflight-check]\nphase = \"preflight\"\n[gates.sbom-fresh]\nphase = \"prepublish\"\n[gates.my-own-check]\nphase = \"consume\"\n",
    );
    let r = check(dir.path(), &p).await;
    let unknown: Vec<(&str, GateStatus, relgate::Phase)> = r
        .gates
        .iter()
        .map(|g| (g.id.as_str(), g.status, g.phase))
        .collect();
    assert_eq!(
        unknown,
        [
            (
                "my-preflight-check",
                GateStatus::Unknown,
                relgate::Phase::Preflight
            ),
            (
                "sbom-fresh",
                GateStatus::Skipped,
                relgate::Phase::Prepublish
            ),
            ("my-own-check", GateStatus::Skipped, relgate::Phase::Consume),
        ]
    );
    assert_eq!(r.root_cause_codes(), [Code::GateUnknown]);
    assert_eq!(r.decision.action, Action::DoNotTag);

    // A gate supplied by the embedder plugs in by id.
    let ctx = RunContext::new(dir.path()).gate(crate::support::gate(
        "my-preflight-check",
        relgate::Phase::Preflight,
        crate::support::Script::Result(relgate::GateResult::pass()),
    ));
    let r = relgate::run(&p, ctx).await;
    assert_eq!(
        r.gate("my-preflight-check").unwrap().status,
        GateStatus::Pass
    );
    assert_eq!(r.gate("sbom-fresh").unwrap().status, GateStatus::Unknown);
}

#[tokio::test]
async fn ci_gate_without_a_provider_is_an_error() {
    let p = policy_from("[project]\nname = \"d\"\n[ci]\nworkflows = [\"ci.yml\"]\n");
    let r = relgate::run(&p, RunContext::new(std::env::temp_dir())).await;
    assert_error_says(r.gate("ci-green").unwrap(), "no CI evidence provider");
}
