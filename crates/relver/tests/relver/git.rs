//! Git: tag against tree from objects, annotated tags, coupled tags, the history audit.

use std::path::Path;
use std::process::Command;

use relver::{
    Code, Config, GitRepo, ReadError, Severity, SourceKind, SourceSpec, Tag, TagOptions, Tree,
    TreeOrigin, audit_history, check_at_tag, check_coupled_tags, check_tag_absent, check_worktree,
    next_version, worktree_at_tag,
};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=relver test",
            "-c",
            "user.email=relver@example.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "tag.gpgSign=false",
            "-c",
            "commit.gpgSign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "relver test")
        .env("GIT_AUTHOR_EMAIL", "relver@example.invalid")
        .env("GIT_COMMITTER_NAME", "relver test")
        .env("GIT_COMMITTER_EMAIL", "relver@example.invalid")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        Self { dir }
    }

    /// A repository whose first commit (`msg`: version 1.0.0, changelog 1.0.0) carries the
    /// annotated tag `v1.0.0`.
    fn tagged_v1(msg: &str) -> Self {
        let r = Self::new();
        r.write_and_commit("1.0.0", &["1.0.0"], msg);
        r.tag("v1.0.0", true);
        r
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, version: &str, changelog_versions: &[&str]) {
        std::fs::write(
            self.path().join("pyproject.toml"),
            format!("[project]\nname = \"p\"\nversion = \"{version}\"\n"),
        )
        .unwrap();
        std::fs::write(
            self.path().join("package.json"),
            format!("{{\n  \"version\": \"{version}\"\n}}\n"),
        )
        .unwrap();
        let mut log = String::from("# Changelog\n\n## [Unreleased]\n");
        for v in changelog_versions {
            log.push_str(&format!("\n## [{v}] - 2024-01-01\n\n- Change.\n"));
        }
        std::fs::write(self.path().join("CHANGELOG.md"), log).unwrap();
    }

    /// [`Repo::write`] then [`Repo::commit`]: the new commit's id.
    fn write_and_commit(&self, version: &str, changelog_versions: &[&str], msg: &str) -> String {
        self.write(version, changelog_versions);
        self.commit(msg)
    }

    fn commit(&self, msg: &str) -> String {
        git(self.path(), &["add", "-A"]);
        git(self.path(), &["commit", "-q", "--allow-empty", "-m", msg]);
        git(self.path(), &["rev-parse", "HEAD"])
    }

    fn tag(&self, name: &str, annotated: bool) {
        if annotated {
            git(self.path(), &["tag", "-a", "-m", name, name]);
        } else {
            git(self.path(), &["tag", name]);
        }
    }
}

fn config() -> Config {
    Config::new(vec![
        SourceSpec::new("pyproject.toml", SourceKind::Pyproject),
        SourceSpec::new("package.json", SourceKind::PackageJson),
        SourceSpec::new("CHANGELOG.md", SourceKind::Changelog),
    ])
}

fn tag(s: &str) -> Tag {
    s.parse().unwrap()
}

#[test]
fn tag_against_tree_without_checkout() {
    let r = Repo::tagged_v1("feat: first");
    // The work tree moves on; the tag's tree is still read from objects.
    r.write_and_commit("1.1.0", &["1.1.0", "1.0.0"], "feat: second");
    std::fs::write(r.path().join("package.json"), "garbage").unwrap();
    let repo = GitRepo::open(r.path());
    let report = check_at_tag(&repo, &config(), &tag("v1.0.0")).unwrap();
    assert!(report.ok, "{report}");
    assert_eq!(report.fields.len(), 2);
    // The same tree checked against the wrong tag fails.
    let tree = repo.tree_at("refs/tags/v1.0.0").unwrap();
    assert_eq!(
        tree.read_text("package.json").unwrap().unwrap(),
        "{\n  \"version\": \"1.0.0\"\n}\n"
    );
    assert!(tree.read_text("missing").unwrap().is_none());
    let head = repo.tree_at("HEAD").unwrap();
    assert!(relver::check(&head, &config(), Some(&tag("v1.1.0"))).ok);
    assert!(repo.tree_at("v9.9.9").is_err());
    // Conventional commits since the tag.
    let msgs = repo.messages(Some("v1.0.0"), "HEAD").unwrap();
    assert_eq!(msgs, ["feat: second"]);
    assert_eq!(
        next_version(&relver::Version::new(1, 0, 0), &msgs)
            .unwrap()
            .to_string(),
        "1.1.0"
    );
}

#[test]
fn tag_absent_and_coupled_tags() {
    let r = Repo::new();
    let c1 = r.write_and_commit("1.0.0", &["1.0.0"], "feat: first");
    let repo = GitRepo::open(r.path());
    assert!(check_tag_absent(&repo, &tag("v1.0.0")).unwrap().is_none());
    r.tag("v1.0.0", true);
    let f = check_tag_absent(&repo, &tag("v1.0.0")).unwrap().unwrap();
    assert_eq!(f.code, Code::TagAlreadyExists);
    assert_eq!(f.found.as_deref(), Some(c1.as_str()));
    let prefixes = vec!["clients/go/v".to_owned()];
    let missing = check_coupled_tags(&repo, &tag("v1.0.0"), &prefixes).unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].code, Code::CoupledTagMismatch);
    assert_eq!(missing[0].found, None);
    // Lightweight coupled tag on the same commit: fine (annotated main tag is peeled).
    r.tag("clients/go/v1.0.0", false);
    assert!(
        check_coupled_tags(&repo, &tag("v1.0.0"), &prefixes)
            .unwrap()
            .is_empty()
    );
    // A coupled tag on another commit is named with both commits.
    let c2 = r.write_and_commit("1.0.1", &["1.0.1", "1.0.0"], "fix: x");
    r.tag("v1.0.1", false);
    git(r.path(), &["tag", "clients/go/v1.0.1", &c1]);
    let f = check_coupled_tags(&repo, &tag("v1.0.1"), &prefixes).unwrap();
    assert_eq!(
        (f[0].found.as_deref(), f[0].expected.as_deref()),
        (Some(c1.as_str()), Some(c2.as_str()))
    );
    let f = check_coupled_tags(&repo, &tag("v2.0.0"), &prefixes).unwrap();
    assert_eq!(f[0].code, Code::TagMissing);
}

#[test]
fn audit_finds_lagging_tags_and_untagged_changelog_versions() {
    let r = Repo::tagged_v1("feat: one");
    // The bump ran after tagging: v1.1.0's tree still says 1.0.0 (changelog updated though).
    r.write_and_commit("1.0.0", &["1.1.0", "1.0.0"], "feat: two");
    r.tag("v1.1.0", true);
    r.write_and_commit("1.1.0", &["1.1.0", "1.0.0"], "chore: bump");
    // Changelog never updated for two tags.
    r.write_and_commit("1.2.0", &["1.1.0", "1.0.0"], "feat: three");
    r.tag("v1.2.0", false);
    r.write_and_commit("1.3.0", &["1.1.0", "1.0.0"], "feat: four");
    r.tag("v1.3.0", true);
    // A tree that carries a version no tag has (1.3.5), tagged as v1.4.0.
    r.write_and_commit("1.3.5", &["1.4.0", "1.1.0", "1.0.0"], "feat: five");
    r.tag("v1.4.0", true);
    // Sections for versions never tagged.
    r.write_and_commit(
        "1.4.0",
        &["1.4.0", "1.3.1", "1.1.0", "1.0.0"],
        "docs: changelog",
    );
    r.tag("v1", false);
    r.tag("v1.2.3-rc.1", false);
    let repo = GitRepo::open(r.path());
    let audit = audit_history(&repo, &config(), "HEAD").unwrap();
    assert!(!audit.ok());
    let names: Vec<String> = audit.tags.iter().map(|(t, _)| t.to_string()).collect();
    assert_eq!(names, ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0"]);
    let oks: Vec<bool> = audit.tags.iter().map(|(_, r)| r.ok).collect();
    assert_eq!(oks, [true, false, false, false, false]);
    let carried: Vec<(Option<&str>, Option<&str>)> = audit
        .findings
        .iter()
        .filter(|f| f.code == Code::VersionNeverTagged && f.line().is_none())
        .map(|f| (f.path(), f.found.as_deref()))
        .collect();
    assert_eq!(carried, [(Some("refs/tags/v1.4.0"), Some("1.3.5"))]);
    let bump_after: Vec<(&str, Option<&str>)> = audit
        .findings
        .iter()
        .filter(|f| f.code == Code::BumpAfterTag)
        .map(|f| (f.path().unwrap(), f.found.as_deref()))
        .collect();
    assert_eq!(bump_after, [("refs/tags/v1.1.0", Some("1.0.0"))]);
    for t in [2, 3] {
        let codes: Vec<Code> = audit.tags[t].1.errors().map(|f| f.code).collect();
        assert_eq!(codes, [Code::ChangelogSectionMissing]);
    }
    let never: Vec<(Option<usize>, Option<&str>)> = audit
        .findings
        .iter()
        .filter(|f| f.code == Code::VersionNeverTagged && f.line().is_some())
        .map(|f| (f.line(), f.expected.as_deref()))
        .collect();
    assert_eq!(never, [(Some(9), Some("v1.3.1"))]);
    assert!(
        audit.findings.iter().any(
            |f| f.code == Code::TagNotStrictSemver && f.path() == Some("refs/tags/v1.2.3-rc.1")
        )
    );
}

#[test]
fn reports_say_which_tree_they_read_and_warn_when_the_worktree_is_not_the_tag() {
    let r = Repo::new();
    let first = r.write_and_commit("1.0.0", &["1.0.0"], "feat: first");
    r.tag("v1.0.0", true);
    let repo = GitRepo::open(r.path());
    let at_tag = check_at_tag(&repo, &config(), &tag("v1.0.0")).unwrap();
    assert_eq!(
        at_tag.tree,
        TreeOrigin::GitObjects {
            rev: "refs/tags/v1.0.0".into(),
            commit: first.clone()
        }
    );
    assert!(
        at_tag.to_string().contains(&format!(
            "reading git objects of refs/tags/v1.0.0 (commit {})",
            &first[..12]
        )),
        "{at_tag}"
    );
    // The working tree at the tag, clean: no warning.
    assert_eq!(worktree_at_tag(r.path(), &tag("v1.0.0")), None);
    let run = check_worktree(r.path(), Some("v1.0.0"), TagOptions::default()).unwrap();
    assert!(run.report.ok, "{}", run.report);
    assert!(run.report.findings.is_empty(), "{}", run.report);
    // A changed file: warned, with the file named.
    std::fs::write(
        r.path().join("package.json"),
        "{\n  \"version\": \"1.0.0\" }\n",
    )
    .unwrap();
    let w = worktree_at_tag(r.path(), &tag("v1.0.0")).unwrap();
    assert_eq!(
        (w.code, w.severity),
        (Code::WorktreeNotAtTag, Severity::Warning)
    );
    assert!(
        w.subject
            .contains("differs from v1.0.0 in 1 files (package.json)"),
        "{}",
        w.subject
    );
    // Another commit: warned, with both commits.
    let second = r.write_and_commit("1.1.0", &["1.1.0", "1.0.0"], "feat: second");
    let w = worktree_at_tag(r.path(), &tag("v1.0.0")).unwrap();
    assert!(
        w.subject
            .contains(&format!("at commit {}, not at v1.0.0", &second[..12])),
        "{}",
        w.subject
    );
    assert_eq!(w.found.as_deref(), Some(second.as_str()));
    // The check of that working tree against the old tag fails and carries the warning.
    let run = check_worktree(r.path(), Some("v1.0.0"), TagOptions::default()).unwrap();
    assert!(!run.report.ok);
    assert!(
        run.report
            .findings
            .iter()
            .any(|f| f.code == Code::WorktreeNotAtTag)
    );
    // A tag that does not exist.
    let w = worktree_at_tag(r.path(), &tag("v9.0.0")).unwrap();
    assert!(
        w.subject.contains("tag v9.0.0 does not exist"),
        "{}",
        w.subject
    );
}

#[cfg(unix)]
#[test]
fn a_committed_symlink_is_not_read_as_content() {
    let r = Repo::new();
    std::fs::write(r.path().join("real.json"), "{\"version\": \"1.0.0\"}").unwrap();
    std::os::unix::fs::symlink("real.json", r.path().join("package.json")).unwrap();
    r.commit("link");
    let tree = GitRepo::open(r.path()).tree_at("HEAD").unwrap();
    match tree.read_text("package.json") {
        Err(ReadError::NotRegular {
            kind: "symbolic link",
            path,
        }) => assert_eq!(path, Path::new("package.json")),
        other => panic!("{other:?}"),
    }
    assert!(tree.read_text("real.json").unwrap().is_some());
}

#[test]
fn a_glob_covers_at_each_tag_the_crates_that_tag_holds() {
    let r = Repo::new();
    let crate_at = |name: &str, version: &str| {
        let dir = r.path().join("crates").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2024\"\n"),
        )
        .unwrap();
    };
    for name in ["a", "b"] {
        crate_at(name, "1.0.0");
    }
    r.commit("feat: two crates");
    r.tag("v1.0.0", true);
    for name in ["a", "b", "c"] {
        crate_at(name, "1.1.0");
    }
    r.commit("feat: a third crate");
    r.tag("v1.1.0", true);
    let config = Config::new(vec![SourceSpec::new(
        "crates/*/Cargo.toml",
        SourceKind::Cargo,
    )]);
    let audit = audit_history(&GitRepo::open(r.path()), &config, "HEAD").unwrap();
    assert!(audit.ok(), "{:?}", audit.findings);
    let fields: Vec<usize> = audit.tags.iter().map(|(_, rep)| rep.fields.len()).collect();
    assert_eq!(fields, [2, 3]);
    // A crate that joined without the bump is caught at the tag that holds it.
    crate_at("d", "1.0.0");
    r.commit("feat: a fourth crate, copied from an old branch");
    r.tag("v1.2.0", true);
    let audit = audit_history(&GitRepo::open(r.path()), &config, "HEAD").unwrap();
    let (t, report) = audit.tags.last().unwrap();
    assert_eq!(t.to_string(), "v1.2.0");
    let errors: Vec<(&str, Option<&str>)> = report
        .errors()
        .map(|f| (f.path().unwrap(), f.found.as_deref()))
        .collect();
    assert_eq!(
        errors,
        [
            ("crates/a/Cargo.toml", Some("1.1.0")),
            ("crates/b/Cargo.toml", Some("1.1.0")),
            ("crates/c/Cargo.toml", Some("1.1.0")),
            ("crates/d/Cargo.toml", Some("1.0.0")),
        ],
        "{report}"
    );
    assert_eq!(
        report
            .causes()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "3 files record 1.1.0, the tag says 1.2.0",
            "1 file records 1.0.0, the tag says 1.2.0"
        ]
    );
}
