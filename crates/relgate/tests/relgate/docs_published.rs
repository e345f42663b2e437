//! The `docs-published` gate against the branch `mike` itself writes (mkdocs + mike from
//! `scripts/install-test-servers.sh`): a deployed version with `latest` passes; a version not
//! deployed, `latest` left on the previous release, a deploy prefix and a missing branch each
//! get their code.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::write_release_toml;
use relgate::{Code, GateStatus, Phase, Policy, Report, RunContext, RunOptions};
use relkit_testkit::git::git;

/// The folder holding `mike` (and `mkdocs`, which it runs) in its venv (`$RELKIT_CACHE/mike`,
/// or `RELKIT_MIKE_VENV`).
fn mike_bin() -> Option<PathBuf> {
    let mike = crate::support::cached_tool("RELKIT_MIKE_VENV", "mike", "mike")?;
    mike.parent().map(Path::to_path_buf)
}

/// A docs project (mkdocs) committed on `main`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("mkdocs.yml"), "site_name: AdvisoryHub\n").unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/index.md"), "# AdvisoryHub\n").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "docs"]);
    dir
}

/// `mike deploy <args>` in `dir` (commits to the local `gh-pages`, no push).
fn mike(bin: &Path, dir: &Path, args: &[&str]) {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(bin.join("mike"))
        .arg("deploy")
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t.invalid")
        .output()
        .unwrap();
    assert!(out.status.success(), "mike deploy {args:?}: {out:?}");
}

fn run(dir: &Path, docs: &str, tag: &str) -> Report {
    let path = write_release_toml(dir, &format!("[project]\nname = \"advisoryhub\"\n{docs}"));
    let policy = Policy::load(&path).unwrap();
    let release = tempfile::tempdir().unwrap();
    relgate::run_blocking(
        &policy,
        RunContext::new(release.path())
            .tag(tag)
            .options(RunOptions::default().phases([Phase::Postpublish])),
    )
}

fn codes(report: &Report) -> Vec<Code> {
    let gate = report.gate("docs-published").expect("the gate ran");
    gate.findings.iter().map(|f| f.finding.code).collect()
}

#[test]
fn the_branch_mike_deploys_passes_and_each_fault_has_its_code() {
    let Some(bin) = mike_bin() else { return };
    let dir = project();
    let docs = "[docs]\n";
    // No docs branch yet.
    assert_eq!(
        codes(&run(dir.path(), docs, "v1.2.3")),
        [Code::DocsBranchMissing]
    );

    mike(&bin, dir.path(), &["--update-aliases", "1.2.3", "latest"]);
    let report = run(dir.path(), docs, "v1.2.3");
    let gate = report.gate("docs-published").unwrap();
    assert_eq!(gate.status, GateStatus::Pass, "{:#?}", gate.findings);

    // A release whose docs were never deployed.
    assert_eq!(
        codes(&run(dir.path(), docs, "v1.2.4")),
        [Code::DocsVersionMissing]
    );
    // Deployed, but `latest` left on the previous release.
    mike(&bin, dir.path(), &["1.2.4"]);
    let report = run(dir.path(), docs, "v1.2.4");
    assert_eq!(codes(&report), [Code::DocsAliasWrong]);
    let finding = &report.gate("docs-published").unwrap().findings[0].finding;
    assert_eq!(finding.key_path(), Some("/1/aliases"), "{finding:?}");
    assert_eq!(finding.found.as_deref(), Some("latest maps to 1.2.3"));
    // Moving the alias fixes it; no alias required passes either way.
    assert_eq!(
        codes(&run(dir.path(), "[docs]\nalias = \"\"\n", "v1.2.4")),
        []
    );
    mike(&bin, dir.path(), &["--update-aliases", "1.2.4", "latest"]);
    assert_eq!(codes(&run(dir.path(), docs, "v1.2.4")), []);
}

#[test]
fn a_deploy_prefix_is_the_policy_path() {
    let Some(bin) = mike_bin() else { return };
    let dir = project();
    mike(
        &bin,
        dir.path(),
        &[
            "--deploy-prefix",
            "docs",
            "--update-aliases",
            "2.0.0",
            "latest",
        ],
    );
    assert_eq!(
        codes(&run(dir.path(), "[docs]\npath = \"docs\"\n", "v2.0.0")),
        []
    );
    // Without the prefix there is no versions.json at the branch's root: fails closed.
    assert_eq!(
        codes(&run(dir.path(), "[docs]\n", "v2.0.0")),
        [Code::DocsVersionsInvalid]
    );
}

#[test]
fn a_malformed_versions_file_names_its_json_pointer() {
    let dir = project();
    let site = tempfile::tempdir().unwrap();
    git(site.path(), &["init", "-q", "-b", "gh-pages"]);
    std::fs::create_dir(site.path().join("3.0.0")).unwrap();
    std::fs::write(site.path().join("3.0.0/index.html"), "<h1>3.0.0</h1>\n").unwrap();
    std::fs::write(
        site.path().join("versions.json"),
        r#"[{"version": "3.0.0", "title": "3.0.0", "aliases": ["latest", null]}]"#,
    )
    .unwrap();
    git(site.path(), &["add", "."]);
    git(site.path(), &["commit", "-q", "-m", "docs"]);
    git(
        dir.path(),
        &[
            "fetch",
            "-q",
            site.path().to_str().unwrap(),
            "gh-pages:refs/remotes/origin/gh-pages",
        ],
    );
    let report = run(dir.path(), "[docs]\n", "v3.0.0");
    let gate = report.gate("docs-published").unwrap();
    let f = &gate.findings[0].finding;
    assert_eq!(
        (f.code, f.path(), f.key_path()),
        (
            Code::DocsVersionsInvalid,
            Some("versions.json"),
            Some("/0/aliases/1")
        )
    );
}
