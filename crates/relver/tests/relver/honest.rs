//! Honest defaults: without a configuration every released version file is checked against the
//! tag (no majority vote), files that say they are not released are reported independent with
//! their reason, unparsable candidates are errors, docs copies are never the project changelog,
//! and tags that are not release tags fail unless explicitly allowed.

use std::path::Path;

use relver::{
    Code, Config, DirTree, Report, Role, Severity, TagOptions, TreeOrigin, check, check_worktree,
    discover, discover_for,
};

use relkit_testkit::write_files;

use crate::support::{copy_tree, errors, fixture_tree, mismatch, shared, source, write};

/// A temporary project folder holding `files` (relative path, text).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

fn cargo(name: &str, version: &str, extra: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\n{extra}")
}

/// The paths of the members of a proposed configuration, in its order.
fn member_paths(config: &Config) -> Vec<&str> {
    config
        .sources
        .iter()
        .filter(|s| s.role == Role::Member)
        .map(|s| s.path.as_str())
        .collect()
}

fn independent(r: &Report) -> Vec<(String, String)> {
    r.independent
        .iter()
        .map(|i| (i.path.clone(), i.reason.clone()))
        .collect()
}

fn run(dir: &Path, tag: &str) -> Report {
    check_worktree(dir, Some(tag), TagOptions::default())
        .unwrap()
        .report
}

#[test]
fn one_file_that_disagrees_with_the_tag_fails_without_a_config() {
    let dir = project(&[
        ("Cargo.toml", &cargo("app", "1.2.3", "")),
        ("package.json", "{\n  \"version\": \"1.2.3\"\n}\n"),
        (
            "py/pyproject.toml",
            "[project]\nname = \"app\"\nversion = \"1.2.2\"\n",
        ),
    ]);
    let r = run(dir.path(), "v1.2.3");
    assert!(!r.ok, "{r}");
    assert_eq!(
        errors(&r),
        [mismatch("py/pyproject.toml", 3, "1.2.2", "1.2.3")]
    );
    assert!(r.independent.is_empty(), "{r}");
    // The same with the disagreeing files in the majority: no vote makes the one file that
    // carries the tag's version the odd one out.
    write(
        dir.path(),
        "package.json",
        "{\n  \"version\": \"1.2.2\"\n}\n",
    );
    let r = run(dir.path(), "v1.2.3");
    let paths: Vec<String> = errors(&r).into_iter().map(|e| e.1).collect();
    assert_eq!(paths, ["package.json", "py/pyproject.toml"], "{r}");
    // At the tag everything agrees.
    write_files(
        dir.path(),
        &[
            ("package.json", "{\n  \"version\": \"1.2.3\"\n}\n"),
            (
                "py/pyproject.toml",
                "[project]\nname = \"app\"\nversion = \"1.2.3\"\n",
            ),
        ],
    );
    let r = run(dir.path(), "v1.2.3");
    assert!(r.ok, "{r}");
    assert_eq!(r.fields.len(), 3);
}

#[test]
fn files_that_say_they_are_not_released_are_independent_with_their_reason() {
    let dir = project(&[
        ("Cargo.toml", &cargo("app", "2.0.0", "")),
        (
            "tools/xtask/Cargo.toml",
            &cargo("xtask", "0.3.0", "publish = false\n"),
        ),
        (
            "tools/lint/Cargo.toml",
            &cargo("lint", "0.9.0", "publish = []\n"),
        ),
        ("bench/Cargo.toml", &cargo("bench", "0.0.0", "")),
    ]);
    let d = dir.path();
    // Not published, but carries the release version: a member (a Python binding crate).
    write_files(
        d,
        &[
            (
                "py/Cargo.toml",
                &cargo("app-py", "2.0.0", "publish = false\n"),
            ),
            (
                "web/package.json",
                "{\n  \"name\": \"web\",\n  \"version\": \"0.1.0\",\n  \"private\": true\n}\n",
            ),
            (
                "web/package-lock.json",
                "{\n  \"version\": \"0.1.0\",\n  \"packages\": {\"\": {\"version\": \"0.1.0\"}}\n}\n",
            ),
            (
                "internal/pyproject.toml",
                "[project]\nname = \"internal\"\nversion = \"0.4.0\"\nclassifiers = [\"Private :: Do Not Upload\"]\n",
            ),
        ],
    );
    let r = run(d, "v2.0.0");
    assert!(r.ok, "{r}");
    assert_eq!(
        independent(&r),
        [
            ("bench/Cargo.toml".into(), "version 0.0.0".into()),
            (
                "internal/pyproject.toml".into(),
                "classifier \"Private :: Do Not Upload\"".into()
            ),
            ("tools/lint/Cargo.toml".into(), "publish = []".into()),
            ("tools/xtask/Cargo.toml".into(), "publish = false".into()),
            (
                "web/package-lock.json".into(),
                "\"private\": true in web/package.json".into()
            ),
            ("web/package.json".into(), "\"private\": true".into()),
        ]
    );
    let members: Vec<&str> = r.fields.iter().map(|f| f.field.path.as_str()).collect();
    assert_eq!(members, ["Cargo.toml", "py/Cargo.toml"]);
    // Each independent file is one line of the report, with its reason.
    let text = r.to_string();
    assert!(
        text.contains("independent web/package.json: \"private\": true"),
        "{text}"
    );
    assert!(
        text.contains("independent bench/Cargo.toml: version 0.0.0"),
        "{text}"
    );
    // A released crate that disagrees is still an error, next to the independent ones.
    write(d, "Cargo.toml", &cargo("app", "1.9.0", ""));
    let r = run(d, "v2.0.0");
    assert_eq!(errors(&r), [mismatch("Cargo.toml", 3, "1.9.0", "2.0.0")]);
    // An unpublished crate at another version than the tag's stops being a member.
    let d2 = discover_for(&DirTree::new(d), None, Some(&relver::Version::new(1, 9, 0))).unwrap();
    let py = source(&d2.proposed, "py/Cargo.toml");
    assert_eq!(
        (py.role, py.reason.as_deref()),
        (Role::Independent, Some("publish = false"))
    );
}

#[test]
fn unparsable_candidates_are_errors_with_positions() {
    let dir = project(&[
        ("Cargo.toml", &cargo("app", "1.0.0", "")),
        (
            "crates/b/Cargo.toml",
            "[package]\nname = \"b\"\nversion = \n",
        ),
        ("web/package.json", "{\n  \"version\": \"1.0.0\",\n}\n"),
        (
            "crates/c/Cargo.toml",
            "[package]\nname = \"c\"\nversion = \"1.0.0\x00\"\n",
        ),
    ]);
    let d = dir.path();
    let found = discover(&DirTree::new(d), None).unwrap();
    let problems: Vec<(String, Option<usize>, Option<usize>)> = found
        .problems
        .iter()
        .map(|f| (f.path().unwrap().to_owned(), f.line(), f.column()))
        .collect();
    assert_eq!(
        problems,
        [
            ("crates/b/Cargo.toml".into(), Some(3), Some(11)),
            ("crates/c/Cargo.toml".into(), Some(3), Some(17)),
            ("web/package.json".into(), Some(3), Some(1)),
        ]
    );
    assert!(found.problems.iter().all(|f| f.severity == Severity::Error));
    // They stay members: the check reports each, at the same place.
    let r = run(d, "v1.0.0");
    let got: Vec<(Code, String, Option<usize>)> =
        errors(&r).into_iter().map(|e| (e.0, e.1, e.2)).collect();
    assert_eq!(
        got,
        [
            (
                Code::SourceUnreadable,
                "crates/b/Cargo.toml".into(),
                Some(3)
            ),
            (
                Code::SourceUnreadable,
                "crates/c/Cargo.toml".into(),
                Some(3)
            ),
            (Code::SourceUnreadable, "web/package.json".into(), Some(3)),
        ],
        "{r}"
    );
}

#[test]
fn a_docs_copy_is_never_the_project_changelog() {
    let dir = project(&[
        ("Cargo.toml", &cargo("app", "1.1.0", "")),
        (
            "docs/src/reference/changelog.md",
            "# Changelog\n\n## 1.0.0 - 2024-01-01\n- x\n",
        ),
    ]);
    let d = dir.path();
    // Without a root changelog, the docs copy is still not the project's.
    let found = discover(&DirTree::new(d), None).unwrap();
    let docs = source(&found.proposed, "docs/src/reference/changelog.md");
    assert_eq!(docs.role, Role::Independent);
    assert_eq!(
        docs.reason.as_deref(),
        Some("a documentation copy, not the project changelog")
    );
    // With a root changelog (and a nested one), the root one is the project changelog.
    write_files(
        d,
        &[
            (
                "CHANGELOG.md",
                "# Changelog\n\n## 1.1.0 - 2024-02-01\n- y\n",
            ),
            (
                "clients/go/CHANGELOG.md",
                "# Changelog\n\n## 0.3.0 - 2024-02-01\n- z\n",
            ),
        ],
    );
    let r = run(d, "v1.1.0");
    assert!(r.ok, "{r}");
    assert_eq!(
        independent(&r),
        [
            (
                "clients/go/CHANGELOG.md".into(),
                "not the project changelog (CHANGELOG.md is)".into()
            ),
            (
                "docs/src/reference/changelog.md".into(),
                "a documentation copy, not the project changelog".into()
            ),
        ]
    );
    // The root changelog is checked: a missing section fails.
    write(
        d,
        "CHANGELOG.md",
        "# Changelog\n\n## 1.0.0 - 2024-01-01\n- y\n",
    );
    let r = run(d, "v1.1.0");
    assert_eq!(
        errors(&r)
            .into_iter()
            .map(|e| (e.0, e.1))
            .collect::<Vec<_>>(),
        [(Code::ChangelogSectionMissing, "CHANGELOG.md".to_owned())]
    );
}

#[test]
fn tags_that_are_not_release_tags_fail_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "package.json", "{\"version\": \"1.2.3-rc.1\"}");
    for tag in [
        "v1",
        "v0.5",
        "v1.2.3-rc.1",
        "v1.2.3+build.7",
        "1.2.3",
        "v01.2.3",
    ] {
        let r = run(d, tag);
        assert!(!r.ok, "{tag}: {r}");
        assert_eq!(r.findings.len(), 1, "{tag}: {r}");
        assert_eq!(
            (r.findings[0].code, r.findings[0].severity),
            (Code::TagNotStrictSemver, Severity::Error),
            "{tag}"
        );
        assert!(r.fields.is_empty(), "{tag}: no file is read");
    }
    let floating = TagOptions::default().allow_floating(true);
    for tag in ["v1", "v0.5"] {
        let r = check_worktree(d, Some(tag), floating).unwrap().report;
        assert!(r.ok, "{tag}: {r}");
        assert_eq!(r.findings[0].severity, Severity::Warning);
        assert!(r.findings[0].subject.contains("nothing checked"), "{r}");
    }
    // Allowing floating tags does not allow pre-releases, and the other way round.
    assert!(
        !check_worktree(d, Some("v1.2.3-rc.1"), floating)
            .unwrap()
            .report
            .ok
    );
    let pre = TagOptions::default().allow_prerelease(true);
    assert!(!check_worktree(d, Some("v1"), pre).unwrap().report.ok);
    let r = check_worktree(d, Some("v1.2.3-rc.1"), pre).unwrap().report;
    assert!(r.ok, "{r}");
    assert_eq!(r.fields.len(), 1);
    let r = check_worktree(d, Some("v1.2.3-rc.2"), pre).unwrap().report;
    assert_eq!(
        errors(&r),
        [mismatch("package.json", 1, "1.2.3-rc.1", "1.2.3-rc.2")]
    );
    // Build metadata stays refused.
    assert!(
        !check_worktree(d, Some("v1.2.3-rc.1+b"), pre)
            .unwrap()
            .report
            .ok
    );
}

#[test]
fn the_report_names_the_tree_it_read() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "package.json", "{\"version\": \"1.0.0\"}");
    let r = run(dir.path(), "v1.0.0");
    assert_eq!(
        r.tree,
        TreeOrigin::WorkingTree {
            root: dir.path().to_owned()
        }
    );
    assert!(
        r.to_string().contains(&format!(
            "reading the working tree at {}",
            dir.path().display()
        )),
        "{r}"
    );
    // A folder that is not a git working tree cannot show it is the tag's tree: a warning.
    let w: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::WorktreeNotAtTag)
        .collect();
    assert_eq!(w.len(), 1, "{r}");
    assert_eq!(w[0].severity, Severity::Warning);
    assert!(
        w[0].subject.contains("not a git working tree"),
        "{}",
        w[0].subject
    );
    assert!(r.ok, "a warning does not fail the check: {r}");
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    assert_eq!(json["tree"]["kind"], "working-tree");
}

/// The securescan tree as its repository has it: a docs mirror of the changelog and several
/// private frontend packages at 0.1.0, outnumbering the one released file.
#[test]
fn securescan_discovery_on_the_real_layout() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_tree(&shared.join("fixtures/relver/securescan-v0.11.12"), d);
    let log = std::fs::read_to_string(d.join("CHANGELOG.md")).unwrap();
    // An older copy of the changelog, as a docs site keeps it.
    let cut = log.find("## [0.11.12]").unwrap();
    let older = log[..cut].to_owned() + &log[log.find("## [0.11.11]").unwrap()..];
    write(d, "docs/src/reference/changelog.md", &older);
    for pkg in ["frontend/packages/ui", "frontend/packages/icons", "e2e"] {
        write(
            d,
            &format!("{pkg}/package.json"),
            "{\n  \"name\": \"x\",\n  \"version\": \"0.1.0\",\n  \"private\": true\n}\n",
        );
    }
    for found in [
        discover(&DirTree::new(d), None).unwrap(),
        discover_for(&DirTree::new(d), None, Some(&"0.11.12".parse().unwrap())).unwrap(),
    ] {
        assert_eq!(
            found.reference.as_ref().map(ToString::to_string).as_deref(),
            Some("0.11.12")
        );
        let members = member_paths(&found.proposed);
        assert_eq!(members, ["CHANGELOG.md", "backend/pyproject.toml"]);
        let role = |p: &str| {
            let s = source(&found.proposed, p);
            (s.role, s.reason.clone())
        };
        assert_eq!(
            role("frontend/package.json"),
            (Role::Independent, Some("\"private\": true".to_owned()))
        );
        assert_eq!(
            role("docs/src/reference/changelog.md"),
            (
                Role::Independent,
                Some("a documentation copy, not the project changelog".to_owned())
            )
        );
    }
    let r = run(d, "v0.11.12");
    assert!(r.ok, "{r}");
    assert_eq!(r.independent.len(), 5, "{r}");
    // The backend behind the tag fails, although every other file "agrees" with it.
    crate::support::replace_once(
        &d.join("backend/pyproject.toml"),
        "version = \"0.11.12\"",
        "version = \"0.11.11\"",
    );
    let r = run(d, "v0.11.12");
    assert_eq!(
        errors(&r),
        [mismatch("backend/pyproject.toml", 3, "0.11.11", "0.11.12")]
    );
}

/// ordvec's lockstep members are exactly those its fixture README lists.
#[test]
fn ordvec_members_are_exactly_the_readme_list() {
    let Some(tree) = fixture_tree("ordvec-v0.5.0") else {
        return;
    };
    for found in [
        discover(&tree, None).unwrap(),
        discover_for(&tree, None, Some(&"0.5.0".parse().unwrap())).unwrap(),
    ] {
        assert!(found.problems.is_empty(), "{:#?}", found.problems);
        let members = member_paths(&found.proposed);
        assert_eq!(
            members,
            [
                "CHANGELOG.md",
                "Cargo.lock",
                "Cargo.toml",
                "fuzz/Cargo.lock",
                "ordvec-ffi/Cargo.toml",
                "ordvec-manifest-python/Cargo.toml",
                "ordvec-manifest-python/pyproject.toml",
                "ordvec-manifest-python/python/ordvec_manifest/__init__.py",
                "ordvec-manifest/Cargo.toml",
                "ordvec-python/Cargo.toml",
                "ordvec-python/pyproject.toml",
                "ordvec-python/python/ordvec/__init__.py",
            ]
        );
        let packages = |p: &str| source(&found.proposed, p).packages.clone();
        assert_eq!(
            packages("Cargo.lock").unwrap(),
            [
                "ordvec",
                "ordvec-ffi",
                "ordvec-manifest",
                "ordvec-manifest-python",
                "ordvec-python"
            ]
        );
        assert_eq!(packages("fuzz/Cargo.lock").unwrap(), ["ordvec"]);
        let independent: Vec<(&str, Option<&str>)> = found
            .proposed
            .sources
            .iter()
            .filter(|s| s.role == Role::Independent)
            .map(|s| (s.path.as_str(), s.reason.as_deref()))
            .collect();
        assert_eq!(
            independent,
            [
                (
                    "benchmarks/beir-bench/Cargo.toml",
                    Some("publish = false, version 0.0.0")
                ),
                ("fuzz/Cargo.toml", Some("publish = false, version 0.0.0")),
            ]
        );
    }
    let r = check(
        &tree,
        &discover(&tree, None).unwrap().proposed,
        Some(&"v0.5.0".parse().unwrap()),
    );
    assert!(r.ok, "{r}");
    assert_eq!(r.fields.len(), 16);
}
