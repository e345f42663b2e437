//! The gates over relver: tag guard, lockstep versions, changelog, tag not existing, coupled
//! tags, on folders and temporary git repositories.

use std::path::Path;

use crate::support::write_release_toml;
use relgate::{Code, GateStatus, Policy, Report, RunContext, RunStatus};
use relkit_testkit::git::git;
use relkit_testkit::write_files;

const POLICY: &str = r#"
[project]
name = "app"

[tag]
pattern = "v{version}"
coupled = ["clients/go/v{version}"]

[versions]
git = "."

[versions.inline]
[[versions.inline.source]]
path = "Cargo.toml"
kind = "cargo"

[[versions.inline.source]]
path = "pyproject.toml"
kind = "pyproject"

[[versions.inline.source]]
path = "CHANGELOG.md"
kind = "changelog"

[gates.changelog-section]
[gates.tag-not-existing]
"#;

fn write_tree(dir: &Path, cargo: &str, py: &str, changelog_version: &str) {
    write_files(
        dir,
        &[
            (
                "Cargo.toml",
                &format!("[package]\nname = \"app\"\nversion = \"{cargo}\"\nedition = \"2021\"\n"),
            ),
            (
                "pyproject.toml",
                &format!("[project]\nname = \"app\"\nversion = \"{py}\"\n"),
            ),
            (
                "CHANGELOG.md",
                &format!("# Changelog\n\n## {changelog_version} - 2026-01-02\n\n- x\n"),
            ),
        ],
    );
}

/// A repository whose HEAD carries `cargo`/`py`/changelog versions, committed.
fn repo(cargo: &str, py: &str, changelog_version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write_tree(dir.path(), cargo, py, changelog_version);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "release"]);
    dir
}

fn policy_in(dir: &Path, text: &str) -> Policy {
    Policy::load(&write_release_toml(dir, text)).unwrap()
}

async fn run(dir: &Path, policy: &Policy, tag: &str) -> Report {
    relgate::run(policy, RunContext::new(dir).tag(tag)).await
}

fn tag(dir: &Path, name: &str, rev: &str) {
    git(dir, &["tag", name, rev]);
}

/// Project `a`'s policy in `dir`: its versions read from `source = "."` (`tree` or `git`),
/// gate `gate` required.
fn versions_policy(dir: &Path, source: &str, gate: &str) -> Policy {
    policy_in(
        dir,
        &format!("[project]\nname = \"a\"\n[versions]\n{source} = \".\"\n[gates.{gate}]\n"),
    )
}

/// The status of gate `id` in `report`.
fn status(report: &relgate::Report, id: &str) -> GateStatus {
    report.gate(id).unwrap().status
}

#[tokio::test]
async fn a_lockstep_repo_before_tagging_passes_every_preflight_gate() {
    let r = repo("1.4.0", "1.4.0", "1.4.0");
    tag(r.path(), "clients/go/v1.4.0", "HEAD");
    let p = policy_in(r.path(), POLICY);
    let report = run(r.path(), &p, "v1.4.0").await;
    assert_eq!(report.decision.status, RunStatus::Allowed, "{report:#?}");
    for id in [
        "tag-strict-semver",
        "versions-lockstep",
        "coupled-tags",
        "changelog-section",
        "tag-not-existing",
    ] {
        assert_eq!(report.gate(id).unwrap().status, GateStatus::Pass, "{id}");
    }
}

#[tokio::test]
async fn each_breakage_fails_with_exactly_its_code() {
    // One file bumped behind: version-mismatch naming the file, line, expected and found.
    let r = repo("1.4.0", "1.3.9", "1.4.0");
    tag(r.path(), "clients/go/v1.4.0", "HEAD");
    let report = run(r.path(), &policy_in(r.path(), POLICY), "v1.4.0").await;
    assert_eq!(report.root_cause_codes(), [Code::VersionMismatch]);
    let g = report.gate("versions-lockstep").unwrap();
    let f = &g.findings[0].finding;
    // relver's finding, location and all: the report can point at the line.
    assert_eq!(
        f.location.as_ref().map(ToString::to_string).as_deref(),
        Some("pyproject.toml:3:11 project.version"),
        "{f:?}"
    );
    assert_eq!(f.subject, "version differs from the release version");
    assert_eq!(
        (f.expected.as_deref(), f.found.as_deref()),
        (Some("1.4.0"), Some("1.3.9"))
    );
    assert!(f.hint.as_deref().unwrap().contains("1.4.0"));

    // Changelog without the section.
    let r = repo("1.4.0", "1.4.0", "1.3.0");
    tag(r.path(), "clients/go/v1.4.0", "HEAD");
    let report = run(r.path(), &policy_in(r.path(), POLICY), "v1.4.0").await;
    assert_eq!(report.root_cause_codes(), [Code::ChangelogSectionMissing]);

    // The tag already exists (on an older commit).
    let r = repo("1.4.0", "1.4.0", "1.4.0");
    tag(r.path(), "v1.4.0", "HEAD");
    std::fs::write(r.path().join("NOTES"), "more").unwrap();
    git(r.path(), &["add", "."]);
    git(r.path(), &["commit", "-q", "-m", "more"]);
    tag(r.path(), "clients/go/v1.4.0", "HEAD");
    let head = git(r.path(), &["rev-parse", "HEAD"]);
    let p = policy_in(r.path(), POLICY);
    let report = relgate::run(
        &p,
        RunContext::new(r.path()).tag("v1.4.0").commit(head.clone()),
    )
    .await;
    assert_eq!(report.root_cause_codes(), [Code::TagAlreadyExists]);

    // The coupled Go tag points at another commit.
    let r = repo("1.4.0", "1.4.0", "1.4.0");
    let first = git(r.path(), &["rev-parse", "HEAD"]);
    std::fs::write(r.path().join("NOTES"), "more").unwrap();
    git(r.path(), &["add", "."]);
    git(r.path(), &["commit", "-q", "-m", "more"]);
    tag(r.path(), "clients/go/v1.4.0", &first);
    let report = run(r.path(), &policy_in(r.path(), POLICY), "v1.4.0").await;
    assert_eq!(report.root_cause_codes(), [Code::CoupledTagMismatch]);
    let f = &report.gate("coupled-tags").unwrap().findings[0].finding;
    assert_eq!(f.found.as_deref(), Some(first.as_str()));

    // A missing coupled tag.
    let r = repo("1.4.0", "1.4.0", "1.4.0");
    let report = run(r.path(), &policy_in(r.path(), POLICY), "v1.4.0").await;
    assert_eq!(report.root_cause_codes(), [Code::CoupledTagMismatch]);

    // A pre-release tag: reported once, by the tag guard; the others are skipped because of it.
    let r = repo("1.4.0", "1.4.0", "1.4.0");
    let report = run(r.path(), &policy_in(r.path(), POLICY), "v1.4.0-rc.1").await;
    assert_eq!(report.root_cause_codes(), [Code::TagNotStrictSemver]);
    assert_eq!(status(&report, "versions-lockstep"), GateStatus::Skipped);
}

#[tokio::test]
async fn git_sources_are_read_at_the_commit_not_from_the_work_tree() {
    // Committed at 2.0.0; the work tree is edited to 2.0.1 but not committed.
    let r = repo("2.0.0", "2.0.0", "2.0.0");
    tag(r.path(), "clients/go/v2.0.0", "HEAD");
    write_tree(r.path(), "2.0.1", "2.0.1", "2.0.1");
    let p = policy_in(r.path(), POLICY);
    let report = run(r.path(), &p, "v2.0.0").await;
    assert_eq!(report.decision.status, RunStatus::Allowed, "{report:#?}");

    // The same tree read as a folder sees the edits.
    let folder = POLICY.replace("git = \".\"", "tree = \".\"");
    let report = run(r.path(), &policy_in(r.path(), &folder), "v2.0.0").await;
    assert_eq!(
        report.root_cause_codes(),
        [Code::VersionMismatch, Code::ChangelogSectionMissing]
    );
    assert_eq!(report.gate("versions-lockstep").unwrap().findings.len(), 2);
}

#[tokio::test]
async fn a_floating_tag_is_classified_not_a_release() {
    let r = repo("1.4.0", "1.4.0", "1.4.0");
    let report = run(r.path(), &policy_in(r.path(), POLICY), "v1").await;
    let g = report.gate("tag-strict-semver").unwrap();
    assert_eq!(g.status, GateStatus::Skipped);
    assert_ne!(report.decision.status, RunStatus::Allowed);
    assert!(
        report
            .root_cause_codes()
            .iter()
            .all(|c| *c != Code::TagNotStrictSemver)
    );
}

#[tokio::test]
async fn missing_sources_and_configs_fail_closed() {
    // No relver configuration anywhere: the versions gate errors, it does not pass.
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), "1.0.0", "1.0.0", "1.0.0");
    let p = versions_policy(dir.path(), "tree", "changelog-section");
    let report = run(dir.path(), &p, "v1.0.0").await;
    assert_eq!(status(&report, "versions-lockstep"), GateStatus::Error);
    // The changelog gate falls back to CHANGELOG.md and passes.
    assert_eq!(status(&report, "changelog-section"), GateStatus::Pass);
    // A relver.toml in the tree is picked up.
    std::fs::write(
        dir.path().join("relver.toml"),
        "[[source]]\npath = \"Cargo.toml\"\nkind = \"cargo\"\n",
    )
    .unwrap();
    let report = run(dir.path(), &p, "v1.0.0").await;
    assert_eq!(report.decision.status, RunStatus::Allowed, "{report:#?}");
    let report = run(dir.path(), &p, "v1.0.1").await;
    assert_eq!(
        report.root_cause_codes(),
        [Code::VersionMismatch, Code::ChangelogSectionMissing]
    );
    // A git source that is not a repository is an error, never a pass.
    let p = versions_policy(dir.path(), "git", "tag-not-existing");
    let report = run(dir.path(), &p, "v1.0.0").await;
    assert_eq!(status(&report, "versions-lockstep"), GateStatus::Error);
    assert_eq!(status(&report, "tag-not-existing"), GateStatus::Error);
}
