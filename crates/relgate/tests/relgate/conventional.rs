//! `conventional-commits` and `conventional-version` on temporary git repositories.

use std::path::Path;

use crate::support::assert_found_says;
use relgate::{Code, GateStatus, Policy, Report, RunContext};
use relkit_testkit::git::git;

/// A repository with one commit per message; `tag_after` tags the commit of that index.
fn repo(messages: &[&str], tags: &[(usize, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    for (i, m) in messages.iter().enumerate() {
        std::fs::write(dir.path().join("file.txt"), format!("{i}\n")).unwrap();
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", m]);
        for (at, t) in tags {
            if *at == i {
                git(dir.path(), &["tag", t]);
            }
        }
    }
    dir
}

const POLICY: &str = "[project]\nname = \"c\"\n[tag]\npattern = \"v{version}\"\n[gates.conventional-commits]\n[gates.conventional-version]\n";

async fn run(dir: &Path, tag: &str) -> Report {
    let policy = Policy::from_toml_str(POLICY, "release.toml").unwrap();
    let ctx = RunContext::new(dir).source_dir(dir).tag(tag);
    relgate::run(&policy, ctx).await
}

/// Asserts that gate `id` of `r` passed, showing the report when it did not.
fn assert_pass(r: &Report, id: &str) {
    assert_eq!(status(r, id), GateStatus::Pass, "{id}: {r:#?}");
}

fn status(r: &Report, id: &str) -> GateStatus {
    r.gate(id).unwrap().status
}

#[tokio::test]
async fn the_implied_bump_passes_and_others_fail_with_the_expected_version() {
    let dir = repo(
        &[
            "feat: first",
            "fix: a bug",
            "feat(api): search",
            "docs: readme",
        ],
        &[(0, "v1.0.0")],
    );
    let r = run(dir.path(), "v1.1.0").await;
    assert_pass(&r, "conventional-commits");
    assert_pass(&r, "conventional-version");
    let ev = &r.gate("conventional-version").unwrap().evidence["bump"];
    assert_eq!(ev["previous_tag"], "v1.0.0");
    assert_eq!(ev["bump"], "minor");
    assert_eq!(ev["commits"], 3);

    for wrong in ["v1.0.1", "v2.0.0", "v1.2.0"] {
        let r = run(dir.path(), wrong).await;
        assert_eq!(r.root_cause_codes(), [Code::VersionBumpMismatch], "{wrong}");
        let f = &r.gate("conventional-version").unwrap().findings[0].finding;
        assert_eq!(
            f.expected.as_deref(),
            Some("1.1.0 (a minor bump from 1.0.0)"),
            "{wrong}"
        );
        assert_eq!(f.found.as_deref(), Some(&wrong[1..]));
        assert_eq!(f.subject, format!("v1.0.0 -> {}", &wrong[1..]));
    }
}

#[tokio::test]
async fn breaking_changes_bump_major_and_minor_below_one() {
    let dir = repo(
        &["feat: first", "refactor!: drop the old API"],
        &[(0, "v1.4.2")],
    );
    assert_pass(&run(dir.path(), "v2.0.0").await, "conventional-version");
    let dir = repo(
        &["feat: first", "fix: x\n\nBREAKING CHANGE: the config moved"],
        &[(0, "v0.5.0")],
    );
    assert_pass(&run(dir.path(), "v0.6.0").await, "conventional-version");
    assert_eq!(
        run(dir.path(), "v1.0.0").await.root_cause_codes(),
        [Code::VersionBumpMismatch]
    );
}

#[tokio::test]
async fn the_previous_tag_is_the_highest_lower_release_and_floating_tags_are_ignored() {
    let dir = repo(
        &["feat: first", "feat: second", "fix: third"],
        &[(0, "v1.0.0"), (1, "v1.1.0"), (1, "v1"), (1, "v1.1.0-rc.1")],
    );
    let r = run(dir.path(), "v1.1.1").await;
    assert_pass(&r, "conventional-version");
    assert_eq!(
        r.gate("conventional-version").unwrap().evidence["bump"]["previous_tag"],
        "v1.1.0"
    );
}

#[tokio::test]
async fn non_conventional_commits_are_named_and_merges_exempt() {
    let dir = repo(&["feat: first"], &[(0, "v1.0.0")]);
    std::fs::write(dir.path().join("other.txt"), "x").unwrap();
    git(dir.path(), &["checkout", "-q", "-b", "topic"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "update stuff"]);
    git(dir.path(), &["checkout", "-q", "main"]);
    std::fs::write(dir.path().join("file.txt"), "main\n").unwrap();
    git(dir.path(), &["commit", "-q", "-am", "fix: on main"]);
    git(
        dir.path(),
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge branch 'topic'",
            "topic",
        ],
    );
    let r = run(dir.path(), "v1.0.1").await;
    let g = r.gate("conventional-commits").unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(g.findings.len(), 1, "{g:#?}");
    assert_eq!(g.findings[0].finding.subject, "update stuff");
    assert_eq!(g.findings[0].finding.code, Code::CommitNotConventional);
    assert_found_says(&g.findings[0].finding, "v1.0.0..");
    // The fix on main still implies the patch bump.
    assert_pass(&r, "conventional-version");
}

#[tokio::test]
async fn nothing_release_worthy_or_a_first_release() {
    let dir = repo(
        &["feat: first", "docs: typo", "chore: deps"],
        &[(0, "v1.0.0")],
    );
    let r = run(dir.path(), "v1.0.1").await;
    assert_eq!(r.root_cause_codes(), [Code::VersionBumpMismatch]);
    let found = r.gate("conventional-version").unwrap().findings[0]
        .finding
        .found
        .clone()
        .unwrap();
    assert!(
        found.contains("2 commit(s)") && found.contains("none of which"),
        "{found}"
    );

    // No earlier release: nothing to compare, a pass with a note saying so.
    let dir = repo(&["feat: first"], &[]);
    let r = run(dir.path(), "v0.1.0").await;
    let g = r.gate("conventional-version").unwrap();
    assert_eq!(g.status, GateStatus::Pass);
    assert_found_says(&g.notes[0], "first release");
}

#[tokio::test]
async fn without_a_repository_or_a_tag_the_gates_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), "v1.0.0").await;
    assert_eq!(status(&r, "conventional-commits"), GateStatus::Error);
    assert_eq!(status(&r, "conventional-version"), GateStatus::Error);

    let repo = repo(&["feat: first"], &[]);
    let policy = Policy::from_toml_str(POLICY, "release.toml").unwrap();
    let r = relgate::run(
        &policy,
        RunContext::new(repo.path()).source_dir(repo.path()),
    )
    .await;
    // The tag guard reports the missing tag; the conventional gates are skipped because of it.
    assert_eq!(status(&r, "conventional-version"), GateStatus::Skipped);
}
