//! `vcs-binding` against loopback registries: a `.crate` that `cargo package` wrote in a git
//! checkout of the tag, an npm version's `gitHead`, an image's revision label and the PEP 740
//! attestations an index serves each bind the served artifact to the tag's commit, and each
//! way of breaking that binding fails with exactly its code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use relgate::{Code, GateStatus, Phase, Policy, Report, RunContext, RunOptions};
use relkit_demo::{DemoKind, DemoRegistries, endpoints_for};
use relkit_testkit::git::git;
use relkit_testkit::write_files;
use serde_json::json;

const OTHER: &str = "fedcba9876543210fedcba9876543210fedcba98";

/// A git repository holding crate `vb` 0.1.0, committed and tagged `v0.1.0`.
fn crate_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write_files(
        p,
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"vb\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"vcs binding\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", "//! vb.\n"),
            (".gitignore", "/target/\n/dist/\n"),
        ],
    );
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "release 0.1.0"]);
    git(p, &["tag", "v0.1.0", "HEAD"]);
    dir
}

/// `cargo package` in `dir` (extra `args`), the `.crate` copied into `dir/dist/`.
fn package(dir: &Path, args: &[&str]) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args(["package", "--offline", "--no-verify"])
        .args(args)
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo package: {out:?}");
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::copy(
        dir.join("target/package/vb-0.1.0.crate"),
        dist.join("vb-0.1.0.crate"),
    )
    .unwrap();
    dist
}

fn policy(registries: &str, binding: &str) -> Policy {
    Policy::from_toml_str(
        &format!(
            "[project]\nname = \"vb\"\n[[artifacts]]\nglob = \"*.crate\"\nkind = \"crate\"\n[[artifacts]]\nglob = \"*.tgz\"\nkind = \"npm-tarball\"\n{registries}\n[vcs-binding]\n{binding}"
        ),
        "release.toml",
    )
    .unwrap()
}

const CARGO: &str = "[registries.crates]\nkind = \"cargo\"\npackage = \"vb\"\n";

/// Runs postpublish (readback, then vcs-binding) of `policy` for tag v0.1.0 of `repo`.
fn postpublish(policy: &Policy, repo: &Path, regs: &DemoRegistries) -> Report {
    relgate::run_blocking(
        policy,
        RunContext::new(repo.join("dist"))
            .tag("v0.1.0")
            .source_dir(repo)
            .options(
                RunOptions::default()
                    .endpoints(endpoints_for(policy, regs))
                    .phases([Phase::Postpublish]),
            ),
    )
}

fn published_crate(dist: &Path) -> DemoRegistries {
    let regs = DemoRegistries::start().unwrap();
    let bytes = std::fs::read(dist.join("vb-0.1.0.crate")).unwrap();
    regs.publish(DemoKind::Crates, "vb", "0.1.0", "vb-0.1.0.crate", bytes);
    regs
}

/// The crate's repository, its release folder (the crate packaged at the tag) and the
/// registries serving that crate.
fn packaged_and_published() -> (tempfile::TempDir, PathBuf, DemoRegistries) {
    let repo = crate_repo();
    let dist = package(repo.path(), &[]);
    let regs = published_crate(&dist);
    (repo, dist, regs)
}

#[test]
fn a_crate_packaged_at_the_tag_binds_and_a_moved_tag_does_not() {
    let (repo, _, regs) = packaged_and_published();
    let p = policy(CARGO, "");
    let r = postpublish(&p, repo.path(), &regs);
    let g = r.gate("vcs-binding").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{r:#?}");
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    assert_eq!(g.evidence["commit"], relgate::Json::of(&json!(head)));
    assert_eq!(g.evidence["records"][0]["verdict"], "same");
    assert_eq!(g.evidence["records"][0]["kind"], "crate");

    // The tag moved after the crate was built: the served crate names the old commit.
    std::fs::write(repo.path().join("README.md"), "later\n").unwrap();
    git(repo.path(), &["add", "README.md"]);
    git(repo.path(), &["commit", "-q", "-m", "later"]);
    git(repo.path(), &["tag", "-f", "v0.1.0", "HEAD"]);
    let r = postpublish(&p, repo.path(), &regs);
    assert_eq!(r.root_cause_codes(), [Code::VcsCommitMismatch], "{r:#?}");
    let f = &r.gate("vcs-binding").unwrap().findings[0].finding;
    assert_eq!(f.subject, "vb-0.1.0.crate on crates");
    assert_eq!(f.key_path(), Some("git.sha1"));
    assert_eq!(
        f.path(),
        Some("vb-0.1.0.crate!vb-0.1.0/.cargo_vcs_info.json")
    );
    assert!(f.found.as_deref().unwrap().contains(&head), "{f:?}");
    let moved = git(repo.path(), &["rev-parse", "HEAD"]);
    assert!(f.expected.as_deref().unwrap().contains(&moved), "{f:?}");
}

#[test]
fn a_dirty_crate_and_a_crate_without_vcs_info_fail_with_their_codes() {
    // Packaged with an uncommitted change to a packaged file: "dirty": true.
    let repo = crate_repo();
    std::fs::write(repo.path().join("src/lib.rs"), "//! vb, edited.\n").unwrap();
    let dist = package(repo.path(), &["--allow-dirty"]);
    let regs = published_crate(&dist);
    let r = postpublish(&policy(CARGO, ""), repo.path(), &regs);
    assert_eq!(r.root_cause_codes(), [Code::VcsDirty], "{r:#?}");

    // Packaged outside any checkout: no .cargo_vcs_info.json, and a cargo registry requires it.
    let plain = tempfile::tempdir().unwrap();
    let repo = crate_repo();
    std::fs::create_dir_all(plain.path().join("src")).unwrap();
    for f in ["Cargo.toml", "src/lib.rs"] {
        std::fs::copy(repo.path().join(f), plain.path().join(f)).unwrap();
    }
    let built = package(plain.path(), &[]);
    let dist = repo.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::copy(built.join("vb-0.1.0.crate"), dist.join("vb-0.1.0.crate")).unwrap();
    let regs = published_crate(&dist);
    let r = postpublish(&policy(CARGO, ""), repo.path(), &regs);
    assert_eq!(r.root_cause_codes(), [Code::VcsCommitMissing], "{r:#?}");
    // Not required: nothing recorded is no finding.
    let r = postpublish(
        &policy(CARGO, "require = [\"image\"]\n"),
        repo.path(),
        &regs,
    );
    assert_eq!(
        r.gate("vcs-binding").unwrap().status,
        GateStatus::Pass,
        "{r:#?}"
    );
}

#[test]
fn no_tag_commit_is_a_gate_error_and_readback_must_have_verified_the_crate() {
    let (repo, dist, regs) = packaged_and_published();
    let p = policy(CARGO, "");
    // A tag that does not exist in the repository.
    let r = relgate::run_blocking(
        &p,
        RunContext::new(&dist)
            .tag("v0.1.0")
            .source_dir(tempfile::tempdir().unwrap().path())
            .options(
                RunOptions::default()
                    .endpoints(endpoints_for(&p, &regs))
                    .phases([Phase::Postpublish]),
            ),
    );
    assert_eq!(
        r.gate("vcs-binding").unwrap().status,
        GateStatus::Error,
        "{r:#?}"
    );
    // vcs-binding alone (readback ordered after it): the served bytes were not verified.
    let only = policy(
        CARGO,
        "[gates.registry-readback]\nafter = [\"vcs-binding\"]\n",
    );
    let r = postpublish(&only, repo.path(), &regs);
    let g = r.gate("vcs-binding").unwrap();
    assert_eq!(g.status, GateStatus::Fail, "{r:#?}");
    assert_eq!(g.findings[0].finding.code, Code::GateError);
    assert!(
        g.findings[0]
            .finding
            .found
            .as_deref()
            .unwrap()
            .contains("registry-readback did not verify"),
        "{g:?}"
    );
}

const NPM: &str = "[registries.npm]\nkind = \"npm\"\npackage = \"@vb/cli\"\n";

#[test]
fn an_npm_git_head_binds_and_another_or_none_fails() {
    let repo = crate_repo();
    let dist = repo.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let tgz = b"an npm tarball".repeat(16);
    std::fs::write(dist.join("vb-cli-0.1.0.tgz"), &tgz).unwrap();
    let regs = DemoRegistries::start().unwrap();
    regs.publish(DemoKind::Npm, "@vb/cli", "0.1.0", "vb-cli-0.1.0.tgz", tgz);
    let p = policy(NPM, "require = [\"npm\"]\n");
    // No gitHead: required, so missing.
    let r = postpublish(&p, repo.path(), &regs);
    assert_eq!(r.root_cause_codes(), [Code::VcsCommitMissing], "{r:#?}");
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    regs.set_npm_git_head("@vb/cli", "0.1.0", &head);
    let r = postpublish(&p, repo.path(), &regs);
    assert_eq!(
        r.gate("vcs-binding").unwrap().status,
        GateStatus::Pass,
        "{r:#?}"
    );
    // A short gitHead is another commit unless the policy allows prefixes.
    regs.set_npm_git_head("@vb/cli", "0.1.0", &head[..12]);
    let r = postpublish(&p, repo.path(), &regs);
    assert_eq!(r.root_cause_codes(), [Code::VcsCommitMismatch], "{r:#?}");
    let short = policy(NPM, "require = [\"npm\"]\nallow-short-commit = 12\n");
    let r = postpublish(&short, repo.path(), &regs);
    assert_eq!(
        r.gate("vcs-binding").unwrap().status,
        GateStatus::Pass,
        "{r:#?}"
    );
    regs.set_npm_git_head("@vb/cli", "0.1.0", OTHER);
    let r = postpublish(&p, repo.path(), &regs);
    assert_eq!(r.root_cause_codes(), [Code::VcsCommitMismatch], "{r:#?}");
    let f = &r.gate("vcs-binding").unwrap().findings[0].finding;
    assert_eq!(f.key_path(), Some("gitHead"));
    assert!(f.found.as_deref().unwrap().contains(OTHER), "{f:?}");
    // By default an npm registry also requires provenance, which needs [signing] to read.
    let r = postpublish(&policy(NPM, ""), repo.path(), &regs);
    let g = r.gate("vcs-binding").unwrap();
    assert!(
        g.findings.iter().any(|f| f.finding.code == Code::GateError
            && f.finding
                .found
                .as_deref()
                .unwrap_or_default()
                .contains("[signing]")),
        "{g:?}"
    );
}

/// Pushes a one-platform image `repo:0.1.0` whose configuration carries `labels`.
fn push_labelled(oci: &regclient::testing::TestRegistry, repo: &str, labels: serde_json::Value) {
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": labels},
        "rootfs": {"type": "layers", "diff_ids": []},
    }))
    .unwrap();
    let layer = format!("layer of {repo}").into_bytes();
    let c = oci.push_blob(repo, &config).unwrap();
    let l = oci.push_blob(repo, &layer).unwrap();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": c.to_oci(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": l.to_oci(), "size": layer.len()}],
    });
    oci.push_manifest(repo, Some("0.1.0"), &manifest).unwrap();
}

#[test]
fn an_image_revision_label_binds_and_another_or_none_fails() {
    let Some(oci) = relkit_testkit::oci::docker_registry_or_skip() else {
        return;
    };
    let repo = crate_repo();
    std::fs::create_dir_all(repo.path().join("dist")).unwrap();
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let p = Policy::from_toml_str(
        "[project]\nname = \"vb\"\n[registries.image]\nkind = \"oci\"\npackage = \"vb/app\"\n[registries.other]\nkind = \"oci\"\npackage = \"vb/other\"\n[registries.bare]\nkind = \"oci\"\npackage = \"vb/bare\"\n[vcs-binding]\n",
        "release.toml",
    )
    .unwrap();
    let mut e = relgate::Endpoints::new();
    for name in ["image", "other", "bare"] {
        e.insert(name, oci.base()).unwrap();
    }
    push_labelled(
        &oci,
        "vb/app",
        json!({"org.opencontainers.image.revision": head, "org.opencontainers.image.version": "0.1.0"}),
    );
    push_labelled(
        &oci,
        "vb/other",
        json!({"org.opencontainers.image.revision": OTHER}),
    );
    push_labelled(&oci, "vb/bare", json!(null));
    let r = relgate::run_blocking(
        &p,
        RunContext::new(repo.path().join("dist"))
            .tag("v0.1.0")
            .source_dir(repo.path())
            .options(
                RunOptions::default()
                    .endpoints(e)
                    .phases([Phase::Postpublish]),
            ),
    );
    let g = r.gate("vcs-binding").unwrap();
    let mut codes: Vec<(Code, String)> = g
        .findings
        .iter()
        .map(|f| (f.finding.code, f.finding.subject.clone()))
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            (
                Code::VcsCommitMismatch,
                String::from("vb/other:0.1.0 on other")
            ),
            (
                Code::VcsCommitMissing,
                String::from("vb/bare:0.1.0 on bare")
            ),
        ],
        "{r:#?}"
    );
    let mismatch = g
        .findings
        .iter()
        .find(|f| f.finding.code == Code::VcsCommitMismatch)
        .unwrap();
    assert_eq!(
        mismatch.finding.key_path(),
        Some("config.Labels.org.opencontainers.image.revision")
    );
    let same = g.evidence["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["artifact"] == "vb/app:0.1.0 on image")
        .unwrap();
    assert_eq!(same["verdict"], "same");
}
