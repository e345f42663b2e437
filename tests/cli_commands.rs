//! The `relkit` binary's `versions`, `changelog`, `digest`, `archive` and `readback`
//! subcommands on real inputs: the demo's source folder, git repositories with tags, the
//! real-world archives of the shared vectors, and the loopback demo registries. Each test runs
//! the built binary and checks its outcome and exit status (0 pass, 1 fail, 2 could not run).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use relkit_demo::{DemoKind, DemoRegistries};
use relkit_testkit::git::git;
use relkit_testkit::write_files;
use serde_json::Value;

/// Runs `relkit ARGS` in `dir`.
fn relkit_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relkit"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

/// Runs `relkit ARGS` in the checkout.
fn relkit(args: &[&str]) -> Output {
    relkit_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The exit status is `want`; on a mismatch the output is shown.
#[track_caller]
fn expect(o: &Output, want: i32) {
    assert_eq!(
        code(o),
        want,
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The JSON report printed with `--format json`.
#[track_caller]
fn report(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(o)))
}

/// The codes of the one gate's findings (blocking) and notes.
fn codes(r: &Value) -> Vec<String> {
    let g = &r["gates"][0];
    let mut out: Vec<String> = g["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    out.extend(
        g["notes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| f["code"].as_str().unwrap().to_owned()),
    );
    out
}

fn demo_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-release/source")
}

fn demo_dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-release/dist")
}

/// The shared real-world archives (`$RELKIT_SHARED`, else `shared/` beside the checkout);
/// `None` outside CI when they are missing, after a loud skip line.
fn real_world() -> Option<PathBuf> {
    let shared = std::env::var_os("RELKIT_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    let dir = shared.join("vectors/archives/real-world");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is required under CI=true",
        dir.display()
    );
    eprintln!("SKIPPED: {} not found", dir.display());
    None
}

/// A copy of the demo's source folder (its version files and changelog at 1.2.3).
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&demo_source(), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

// ------------------------------------------------------------------------- versions check

#[test]
fn versions_check_passes_on_the_demo_source_and_fails_against_another_tag() {
    let src = demo_source();
    let src = src.to_str().unwrap();
    let ok = relkit(&[
        "--format", "json", "versions", "check", "--tag", "v1.2.3", src,
    ]);
    expect(&ok, 0);
    let r = report(&ok);
    assert_eq!(r["gates"][0]["id"], "versions-lockstep");
    assert_eq!(r["gates"][0]["evidence"]["expected"], "1.2.3");

    let bad = relkit(&[
        "--format", "json", "versions", "check", "--tag", "v1.2.4", src,
    ]);
    expect(&bad, 1);
    let r = report(&bad);
    let found = codes(&r);
    assert!(found.iter().any(|c| c == "version-mismatch"), "{found:?}");
    assert!(
        found.iter().any(|c| c == "changelog-section-missing"),
        "{found:?}"
    );
    // Every member file is named with its location.
    let paths: Vec<&str> = r["gates"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["path"].as_str())
        .collect();
    for p in ["Cargo.toml", "package.json", "pyproject.toml"] {
        assert!(paths.contains(&p), "{p} not in {paths:?}");
    }

    // A floating tag is refused unless allowed; a pre-release is refused by default.
    expect(&relkit(&["versions", "check", "--tag", "v1", src]), 1);
    expect(
        &relkit(&["versions", "check", "--tag", "v1", "--allow-floating", src]),
        0,
    );
    expect(
        &relkit(&["versions", "check", "--tag", "v1.2.3-rc.1", src]),
        1,
    );
}

#[test]
fn versions_check_reads_an_explicit_config_and_renders_every_format() {
    let dir = demo_copy();
    // A configuration naming only package.json: the other files are not read.
    let config = dir.path().join("only-npm.toml");
    std::fs::write(
        &config,
        "[[source]]\npath = \"package.json\"\nkind = \"package-json\"\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        text.replace("1.2.3", "9.9.9"),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let c = config.to_str().unwrap();
    expect(&relkit(&["versions", "check", "--tag", "v1.2.3", d]), 1);
    expect(
        &relkit(&["versions", "check", "--config", c, "--tag", "v1.2.3", d]),
        0,
    );
    // The same failure in every format, with the same exit status.
    for format in ["human", "json", "markdown", "github", "junit"] {
        let o = relkit(&[
            "--format", format, "versions", "check", "--tag", "v1.2.3", d,
        ]);
        expect(&o, 1);
        assert!(
            stdout(&o).contains("version-mismatch"),
            "{format}: {}",
            stdout(&o)
        );
    }
    // A configuration that does not parse: could not run, in every format.
    std::fs::write(&config, "[[source]]\npath = 3\n").unwrap();
    let o = relkit(&["--format", "json", "versions", "check", "--config", c, d]);
    expect(&o, 2);
    assert_eq!(report(&o)["decision"]["status"], "could-not-run");
    let missing = dir.path().join("nope.toml");
    let o = relkit(&[
        "versions",
        "check",
        "--config",
        missing.to_str().unwrap(),
        d,
    ]);
    expect(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.toml"));
}

// ------------------------------------------------------------------- audit, next (git)

/// A repository with v1.0.0 (in lockstep), v1.1.0 tagged before the bump finished
/// (Cargo.toml still says 1.0.0), then a `feat` commit.
fn history_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write_files(
        d,
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"a\"\nversion = \"1.0.0\"\n",
            ),
            (
                "package.json",
                "{\n  \"name\": \"a\",\n  \"version\": \"1.0.0\"\n}\n",
            ),
            (
                "CHANGELOG.md",
                "# Changelog\n\n## [Unreleased]\n\n## 1.0.0 - 2024-01-01\n\n- First.\n",
            ),
        ],
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "feat: first release"]);
    git(d, &["tag", "v1.0.0"]);
    std::fs::write(
        d.join("package.json"),
        "{\n  \"name\": \"a\",\n  \"version\": \"1.1.0\"\n}\n",
    )
    .unwrap();
    git(d, &["commit", "-qam", "fix: half a bump"]);
    git(d, &["tag", "v1.1.0"]);
    std::fs::write(d.join("search.txt"), "x\n").unwrap();
    git(d, &["add", "search.txt"]);
    git(d, &["commit", "-qm", "feat(api): add search"]);
    dir
}

#[test]
fn versions_audit_names_the_tag_whose_files_lag() {
    let repo = history_repo();
    let o = relkit_in(repo.path(), &["--format", "json", "versions", "audit"]);
    expect(&o, 1);
    let r = report(&o);
    let found = codes(&r);
    assert!(found.iter().any(|c| c == "bump-after-tag"), "{found:?}");
    let tags = r["gates"][0]["evidence"]["tags"].as_array().unwrap();
    let ok: Vec<(String, bool)> = tags
        .iter()
        .map(|t| {
            (
                t["tag"].as_str().unwrap().to_owned(),
                t["ok"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ok,
        [("v1.0.0".to_owned(), true), ("v1.1.0".to_owned(), false)]
    );
    // The lagging file is named, with the tag it was read at.
    let lag = r["gates"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "version-mismatch")
        .unwrap();
    assert_eq!(lag["location"]["path"], "Cargo.toml");
    assert!(lag["subject"].as_str().unwrap().starts_with("at v1.1.0"));

    // A clean history passes.
    let clean = tempfile::tempdir().unwrap();
    let d = clean.path();
    git(d, &["init", "-q"]);
    std::fs::write(d.join("package.json"), "{\"version\": \"0.1.0\"}\n").unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "feat: x"]);
    git(d, &["tag", "v0.1.0"]);
    expect(&relkit_in(d, &["versions", "audit"]), 0);
    // Not a repository: could not run.
    let empty = tempfile::tempdir().unwrap();
    expect(&relkit_in(empty.path(), &["versions", "audit"]), 2);
}

#[test]
fn versions_next_follows_the_conventional_commits_since_the_latest_tag() {
    let repo = history_repo();
    let o = relkit_in(repo.path(), &["--format", "json", "versions", "next"]);
    expect(&o, 0);
    let ev = report(&o)["gates"][0]["evidence"].clone();
    assert_eq!(ev["previous-tag"], "v1.1.0");
    assert_eq!(ev["next"], "1.2.0");
    assert_eq!(ev["bump"], "minor");
    assert_eq!(ev["commits"], 1);
    let short = relkit_in(repo.path(), &["versions", "next", "--short"]);
    expect(&short, 0);
    assert_eq!(stdout(&short), "1.2.0\n");

    // A breaking change after 1.x bumps the major.
    git(
        repo.path(),
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "refactor!: drop the old API",
        ],
    );
    let short = relkit_in(repo.path(), &["versions", "next", "--short"]);
    assert_eq!(stdout(&short), "2.0.0\n");

    // Only a docs commit since the tag: nothing to release.
    git(repo.path(), &["tag", "v2.0.0"]);
    git(
        repo.path(),
        &["commit", "-q", "--allow-empty", "-m", "docs: typo"],
    );
    let o = relkit_in(repo.path(), &["--format", "json", "versions", "next"]);
    expect(&o, 0);
    assert_eq!(report(&o)["gates"][0]["evidence"]["next"], Value::Null);
    let short = relkit_in(repo.path(), &["versions", "next", "--short"]);
    assert_eq!(stdout(&short), "");

    // No release tag at all: could not run.
    let fresh = tempfile::tempdir().unwrap();
    git(fresh.path(), &["init", "-q"]);
    git(
        fresh.path(),
        &["commit", "-q", "--allow-empty", "-m", "feat: x"],
    );
    expect(&relkit_in(fresh.path(), &["versions", "next"]), 2);
}

// ------------------------------------------------------------------------ versions bump

#[test]
fn versions_bump_previews_by_default_and_applies_all_files() {
    let dir = demo_copy();
    let d = dir.path().to_str().unwrap();
    let before = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();

    let plan = relkit(&["versions", "bump", "minor", "--date", "2026-03-01", d]);
    expect(&plan, 0);
    let text = stdout(&plan);
    for line in [
        "--- a/Cargo.toml",
        "+version = \"1.3.0\"",
        "--- a/package.json",
        "+++ b/CHANGELOG.md",
        "+## [1.3.0] - 2026-03-01",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    // A dry run writes nothing.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap(),
        before
    );

    let applied = relkit(&[
        "--format",
        "json",
        "versions",
        "bump",
        "minor",
        "--apply",
        "--date",
        "2026-03-01",
        d,
    ]);
    expect(&applied, 0);
    let r = report(&applied);
    assert_eq!(r["gates"][0]["evidence"]["from"], "1.2.3");
    assert_eq!(r["gates"][0]["evidence"]["to"], "1.3.0");
    assert_eq!(r["gates"][0]["evidence"]["applied"], true);
    // Every member moved: the lockstep check against the new tag passes.
    expect(&relkit(&["versions", "check", "--tag", "v1.3.0", d]), 0);
    assert!(
        std::fs::read_to_string(dir.path().join("CHANGELOG.md"))
            .unwrap()
            .contains("## [1.3.0] - 2026-03-01")
    );

    // An exact version, and a level that is not one.
    expect(
        &relkit(&["versions", "bump", "2.0.0", "--date", "2026-03-02", d]),
        0,
    );
    expect(&relkit(&["versions", "bump", "sideways", d]), 2);
    // --dry-run and --apply together are bad usage.
    expect(
        &relkit(&["versions", "bump", "patch", "--dry-run", "--apply", d]),
        2,
    );
}

#[test]
fn versions_bump_refuses_a_tree_out_of_lockstep_unless_healing() {
    let dir = demo_copy();
    let d = dir.path().to_str().unwrap();
    let pj = dir.path().join("package.json");
    let text = std::fs::read_to_string(&pj).unwrap();
    std::fs::write(&pj, text.replace("1.2.3", "1.2.2")).unwrap();
    let o = relkit(&[
        "--format", "json", "versions", "bump", "1.3.0", "--apply", d,
    ]);
    expect(&o, 1);
    assert!(codes(&report(&o)).iter().any(|c| c == "versions-disagree"));
    // Nothing was written.
    assert!(std::fs::read_to_string(&pj).unwrap().contains("1.2.2"));
    let o = relkit(&[
        "versions",
        "bump",
        "1.3.0",
        "--heal",
        "--apply",
        "--date",
        "2026-03-01",
        d,
    ]);
    expect(&o, 0);
    expect(&relkit(&["versions", "check", "--tag", "v1.3.0", d]), 0);
}

// -------------------------------------------------------------------- versions discover

#[test]
fn versions_discover_proposes_a_config_that_checks() {
    let dir = demo_copy();
    std::fs::remove_file(dir.path().join("relver.toml")).unwrap();
    let d = dir.path().to_str().unwrap();
    let o = relkit(&["versions", "discover", d]);
    expect(&o, 0);
    let proposed = stdout(&o);
    for p in [
        "Cargo.toml",
        "package.json",
        "pyproject.toml",
        "CHANGELOG.md",
    ] {
        assert!(
            proposed.contains(&format!("path = \"{p}\"")),
            "{p}:\n{proposed}"
        );
    }
    // The proposal is a valid relver.toml: checking with it passes at the demo's tag.
    let config = dir.path().join("proposed.toml");
    std::fs::write(&config, &proposed).unwrap();
    let c = config.to_str().unwrap();
    expect(
        &relkit(&["versions", "check", "--config", c, "--tag", "v1.2.3", d]),
        0,
    );
    // An unparsable manifest is a problem of the discovery: exit 1, named.
    std::fs::write(dir.path().join("pyproject.toml"), "[project\nversion = 1").unwrap();
    let o = relkit(&["--format", "json", "versions", "discover", d]);
    expect(&o, 1);
    assert!(codes(&report(&o)).iter().any(|c| c == "source-unreadable"));
}

// ----------------------------------------------------------------------------- changelog

#[test]
fn changelog_extract_prints_the_sections_bytes() {
    let src = demo_source().join("CHANGELOG.md");
    let log = std::fs::read_to_string(&src).unwrap();
    let o = relkit(&["changelog", "extract", "1.2.3", src.to_str().unwrap()]);
    expect(&o, 0);
    let body = stdout(&o);
    // Byte for byte the file's section body, plus the final newline.
    assert!(log.contains(body.trim_end_matches('\n')), "{body}");
    assert!(body.contains("- The demo release that relkit verifies."));
    assert!(!body.lines().any(|l| l.starts_with("## ")), "{body}");
    // A leading v is accepted.
    let v = relkit(&["changelog", "extract", "v1.2.3", src.to_str().unwrap()]);
    assert_eq!(stdout(&v), body);
    // JSON carries the body as evidence.
    let j = relkit(&[
        "--format",
        "json",
        "changelog",
        "extract",
        "1.2.3",
        src.to_str().unwrap(),
    ]);
    expect(&j, 0);
    assert_eq!(
        report(&j)["gates"][0]["evidence"]["body"].as_str().unwrap(),
        body.trim_end_matches('\n')
    );
    // No such section: blocked; not a version or no file: could not run.
    let missing = relkit(&[
        "--format",
        "json",
        "changelog",
        "extract",
        "9.9.9",
        src.to_str().unwrap(),
    ]);
    expect(&missing, 1);
    assert_eq!(codes(&report(&missing)), ["changelog-section-missing"]);
    expect(
        &relkit(&["changelog", "extract", "one", src.to_str().unwrap()]),
        2,
    );
    expect(
        &relkit(&["changelog", "extract", "1.2.3", "no-such-CHANGELOG.md"]),
        2,
    );
}

#[test]
fn changelog_lint_finds_bad_dates_duplicates_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("CHANGELOG.md");
    std::fs::write(
        &log,
        "# Changelog\n\n## 1.1.0 - 2024-02-30\n\n- b\n\n## 1.2.0 - 2024-03-01\n\n- c\n\n## 1.1.0 - 2024-01-01\n\n- a\n",
    )
    .unwrap();
    let o = relkit(&[
        "--format",
        "json",
        "changelog",
        "lint",
        log.to_str().unwrap(),
    ]);
    expect(&o, 1);
    let found = codes(&report(&o));
    for c in ["changelog-date", "changelog-duplicate", "changelog-order"] {
        assert!(found.iter().any(|f| f == c), "{c} not in {found:?}");
    }
    // GitHub annotations for the same findings.
    let gh = relkit(&[
        "--format",
        "github",
        "changelog",
        "lint",
        log.to_str().unwrap(),
    ]);
    expect(&gh, 1);
    assert!(stdout(&gh).contains("::error"), "{}", stdout(&gh));
    // The demo's changelog is clean.
    let demo = demo_source().join("CHANGELOG.md");
    expect(&relkit(&["changelog", "lint", demo.to_str().unwrap()]), 0);
}

// -------------------------------------------------------------------------------- digest

#[test]
fn digest_prints_sha256sum_lines_that_sha256sum_accepts() {
    let dist = demo_dist();
    let names = ["relkit-demo-1.2.3.crate", "relkit-demo-1.2.3.tgz"];
    let o = relkit_in(&dist, &["digest", names[0], names[1]]);
    expect(&o, 0);
    let lines = stdout(&o);
    // The demo's own SHA256SUMS holds the same lines.
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    for line in lines.lines() {
        assert!(sums.lines().any(|l| l == line), "{line} not in SHA256SUMS");
    }
    assert_eq!(lines.lines().count(), 2);
    // coreutils agrees, when it is installed.
    if let Ok(out) = Command::new("sha256sum")
        .args(names)
        .current_dir(&dist)
        .output()
    {
        assert_eq!(String::from_utf8_lossy(&out.stdout), lines);
    }
    // Several algorithms: the BSD form, one line per algorithm.
    let o = relkit_in(&dist, &["digest", "-a", "sha256,sha512", names[0]]);
    expect(&o, 0);
    let text = stdout(&o);
    assert!(
        text.starts_with(&format!("SHA256 ({}) = ", names[0])),
        "{text}"
    );
    assert!(
        text.contains(&format!("SHA512 ({}) = ", names[0])),
        "{text}"
    );
    // Unreadable input: could not run.
    expect(&relkit_in(&dist, &["digest", "no-such-file"]), 2);
    expect(&relkit_in(&dist, &["digest", "."]), 2);
}

#[test]
fn digest_check_verifies_a_folder_and_fails_on_a_changed_file() {
    let sums = demo_dist().join("SHA256SUMS");
    let o = relkit(&[
        "--format",
        "json",
        "digest",
        "--check",
        sums.to_str().unwrap(),
    ]);
    expect(&o, 0);
    let r = report(&o);
    assert_eq!(r["gates"][0]["id"], "checksum-file");
    assert_eq!(r["gates"][0]["evidence"]["matched"], 4);

    let dir = tempfile::tempdir().unwrap();
    copy_dir(&demo_dist(), dir.path());
    std::fs::write(dir.path().join("relkit-demo-1.2.3.tgz"), b"tampered").unwrap();
    std::fs::remove_file(dir.path().join("relkit-demo-1.2.3.crate")).unwrap();
    let sums = dir.path().join("SHA256SUMS");
    let o = relkit(&[
        "--format",
        "json",
        "digest",
        "--check",
        sums.to_str().unwrap(),
    ]);
    expect(&o, 1);
    let mut found = codes(&report(&o));
    found.sort();
    assert_eq!(found, ["checksum-missing", "digest-mismatch"]);
    // Relative to the current folder, as sha256sum -c is run.
    let o = relkit_in(dir.path(), &["digest", "-c", "SHA256SUMS"]);
    expect(&o, 1);
    assert!(stdout(&o).contains("relkit-demo-1.2.3.tgz"));
}

#[test]
fn digest_help_is_help_not_a_file_named_help() {
    for args in [
        &["digest", "--help"][..],
        &["digest", "-h"],
        &["help", "digest"],
    ] {
        let o = relkit(args);
        expect(&o, 0);
        let text = stdout(&o);
        assert!(text.contains("Usage: relkit digest"), "{args:?}: {text}");
        assert!(text.contains("Example:"), "{args:?}: {text}");
    }
    // No file and no --check: bad usage.
    expect(&relkit(&["digest"]), 2);
}

// ------------------------------------------------------------------------------- archive

#[test]
fn archive_check_reads_each_real_world_archive() {
    let Some(dir) = real_world() else { return };
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !(name.ends_with(".crate") || name.ends_with(".whl") || name.ends_with(".tgz")) {
            continue;
        }
        let o = relkit(&[
            "--format",
            "json",
            "archive",
            "check",
            path.to_str().unwrap(),
        ]);
        expect(&o, 0);
        let r = report(&o);
        assert_eq!(r["gates"][0]["id"], "archive-safety");
        let checked = &r["gates"][0]["evidence"]["archives"][0];
        assert_eq!(checked["file"].as_str(), Some(name.as_str()));
        // Each is held to the layout of its kind, from its name and content.
        let profile = checked["profile"].as_str().unwrap();
        assert_ne!(profile, "archive", "{name} was read as a plain archive");
        seen += 1;
    }
    assert!(seen >= 3, "only {seen} archives in {}", dir.display());
}

#[test]
fn archive_check_refuses_a_traversal_and_a_non_archive() {
    let dir = tempfile::tempdir().unwrap();
    // A tar whose entry climbs out of the extraction folder.
    let tar = relkit_testkit::archive::raw_tar(&[relkit_testkit::archive::RawEntry::file(
        "../evil.txt",
        b"evil",
    )]);
    let evil = dir.path().join("evil.tar");
    std::fs::write(&evil, &tar).unwrap();
    let o = relkit(&[
        "--format",
        "json",
        "archive",
        "check",
        evil.to_str().unwrap(),
    ]);
    expect(&o, 1);
    assert_eq!(codes(&report(&o)), ["archive-unsafe"]);

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not an archive\n").unwrap();
    let o = relkit(&["archive", "check", text.to_str().unwrap()]);
    expect(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a tar, tar.gz or zip archive"));
    expect(&relkit(&["archive", "check", "no-such.tar.gz"]), 2);
}

#[test]
fn archive_check_holds_a_wheel_to_its_record() {
    let Some(dir) = real_world() else { return };
    let wheel = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .unwrap();
    // Repacked as a zip whose RECORD no longer matches one file.
    let work = tempfile::tempdir().unwrap();
    let unpacked = work.path().join("tree");
    let bytes = std::fs::read(&wheel).unwrap();
    let entries = artidigest::read_archive_entries(
        std::io::Cursor::new(&bytes),
        artidigest::Format::Zip,
        &artidigest::Limits::default(),
    )
    .unwrap();
    std::fs::create_dir_all(&unpacked).unwrap();
    let mut changed = false;
    let mut edited = Vec::new();
    for mut e in entries {
        if let artidigest::RepackKind::File(content) = &mut e.kind
            && !changed
            && e.path.ends_with(".py")
        {
            content.extend_from_slice(b"\n# changed\n");
            changed = true;
        }
        edited.push(e);
    }
    assert!(changed);
    let out = artidigest::repack_entries(
        edited,
        &artidigest::RepackOptions::new(artidigest::Format::Zip),
    )
    .unwrap();
    let bad = work.path().join(wheel.file_name().unwrap());
    std::fs::write(&bad, out.bytes).unwrap();
    let o = relkit(&[
        "--format",
        "json",
        "archive",
        "check",
        bad.to_str().unwrap(),
    ]);
    expect(&o, 1);
    assert!(codes(&report(&o)).iter().any(|c| c == "record-mismatch"));
}

/// `relkit archive repack FROM TO`.
fn repack(from: &Path, to: &Path) -> Output {
    relkit(&[
        "archive",
        "repack",
        from.to_str().unwrap(),
        to.to_str().unwrap(),
    ])
}

#[test]
fn archive_repack_is_deterministic_and_diff_explains_the_original() {
    let Some(dir) = real_world() else { return };
    let original = dir.join("types-react-19.3.3.tgz");
    let work = tempfile::tempdir().unwrap();
    let once = work.path().join("once.tar.gz");
    let twice = work.path().join("twice.tar.gz");
    let o = repack(&original, &once);
    expect(&o, 0);
    assert!(
        stdout(&o).contains("deterministic profile"),
        "{}",
        stdout(&o)
    );
    let o = relkit(&[
        "--format",
        "json",
        "archive",
        "repack",
        once.to_str().unwrap(),
        twice.to_str().unwrap(),
    ]);
    expect(&o, 0);
    assert_eq!(
        report(&o)["gates"][0]["evidence"]["repack"]["format"],
        "tar.gz"
    );
    // Repacking a repacked archive changes nothing.
    assert_eq!(
        std::fs::read(&once).unwrap(),
        std::fs::read(&twice).unwrap()
    );
    let same = relkit(&[
        "archive",
        "diff",
        once.to_str().unwrap(),
        twice.to_str().unwrap(),
    ]);
    expect(&same, 0);

    // The npm original and the repack differ for known causes, each with a fix.
    let o = relkit(&[
        "--format",
        "json",
        "archive",
        "diff",
        original.to_str().unwrap(),
        once.to_str().unwrap(),
    ]);
    expect(&o, 1);
    let r = report(&o);
    let findings = r["gates"][0]["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["code"], "not-reproducible");
        let hint = f["hint"].as_str().unwrap();
        assert!(hint.contains("fix: "), "{hint}");
    }
    let causes: Vec<&str> = r["gates"][0]["evidence"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["why"].as_str().unwrap())
        .collect();
    assert!(!causes.is_empty());
    // Not an archive on one side: could not run.
    let text = work.path().join("x.txt");
    std::fs::write(&text, "x").unwrap();
    expect(
        &relkit(&[
            "archive",
            "diff",
            once.to_str().unwrap(),
            text.to_str().unwrap(),
        ]),
        2,
    );
}

#[test]
fn archive_repack_writes_a_crate_as_cargo_package_would() {
    let Some(dir) = real_world() else { return };
    let original = dir.join("cesu8-1.1.0.crate");
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("cesu8-1.1.0.crate");
    let o = repack(&original, &out);
    expect(&o, 0);
    assert!(stdout(&o).contains("cargo profile"), "{}", stdout(&o));
    // The repacked crate is still a valid .crate.
    expect(&relkit(&["archive", "check", out.to_str().unwrap()]), 0);
    // A folder repacks too; an unreadable input could not run.
    let folder = work.path().join("tree");
    std::fs::create_dir_all(folder.join("pkg")).unwrap();
    std::fs::write(folder.join("pkg/a.txt"), "a\n").unwrap();
    let zip = work.path().join("tree.zip");
    expect(
        &relkit(&[
            "archive",
            "repack",
            folder.to_str().unwrap(),
            zip.to_str().unwrap(),
        ]),
        0,
    );
    expect(&relkit(&["archive", "check", zip.to_str().unwrap()]), 0);
    expect(
        &relkit(&["archive", "repack", "no-such.tar", zip.to_str().unwrap()]),
        2,
    );
}

// ------------------------------------------------------------------------------ readback

/// A registries file pointing at the demo's loopback crates index and npm registry.
fn registries_file(regs: &DemoRegistries, dir: &Path) -> PathBuf {
    let path = dir.join("registries.toml");
    std::fs::write(
        &path,
        format!(
            "[crates]\nindex = \"{}\"\n[npm]\nregistry = \"{}\"\n",
            regs.crates_url(),
            regs.npm_url()
        ),
    )
    .unwrap();
    path
}

#[test]
fn readback_verifies_served_bytes_against_the_release_folder() {
    let regs = DemoRegistries::start().unwrap();
    let dist = demo_dist();
    for (kind, file) in [
        (DemoKind::Crates, "relkit-demo-1.2.3.crate"),
        (DemoKind::Npm, "relkit-demo-1.2.3.tgz"),
    ] {
        regs.publish(
            kind,
            "relkit-demo",
            "1.2.3",
            file,
            std::fs::read(dist.join(file)).unwrap(),
        );
    }
    let work = tempfile::tempdir().unwrap();
    let config = registries_file(&regs, work.path());
    let c = config.to_str().unwrap();
    let d = dist.to_str().unwrap();
    let specs = ["crates:relkit-demo@1.2.3", "npm:relkit-demo@1.2.3"];
    let o = relkit(&[
        "--format",
        "json",
        "readback",
        "--registries",
        c,
        "--compare",
        d,
        specs[0],
        specs[1],
    ]);
    expect(&o, 0);
    let r = report(&o);
    assert_eq!(r["gates"][0]["id"], "registry-readback");
    let rb = r["gates"][0]["evidence"]["readback"].as_array().unwrap();
    assert_eq!(rb.len(), 2);
    let crate_sha = rb[0]["downloads"][0]["sha256"].as_str().unwrap();
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    assert!(sums.contains(crate_sha.trim_start_matches("sha256:")));
    // Not a terminal: no progress bar on stderr.
    assert!(!String::from_utf8_lossy(&o.stderr).contains('\r'));

    // The registry serves other bytes than the release's (its metadata agrees with them).
    regs.replace_bytes("relkit-demo-1.2.3.tgz", b"not the release");
    let o = relkit(&[
        "--format",
        "json",
        "readback",
        "--registries",
        c,
        "--compare",
        d,
        specs[1],
    ]);
    expect(&o, 1);
    assert!(
        codes(&report(&o))
            .iter()
            .any(|c| c == "registry-bytes-differ")
    );

    // The registry serves bytes its own metadata does not claim.
    regs.corrupt("relkit-demo-1.2.3.crate", b"corrupted");
    let o = relkit(&["--format", "json", "readback", "--registries", c, specs[0]]);
    expect(&o, 1);
    assert!(codes(&report(&o)).iter().any(|c| c == "digest-mismatch"));

    // A version nobody published.
    let o = relkit(&[
        "--format",
        "json",
        "readback",
        "--registries",
        c,
        "crates:relkit-demo@9.9.9",
    ]);
    expect(&o, 1);
    assert!(
        codes(&report(&o))
            .iter()
            .any(|c| c == "registry-file-missing")
    );
}

#[test]
fn readback_bad_usage_exits_2() {
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("registries.toml");
    std::fs::write(&bad, "[nosuch]\nx = 1\n").unwrap();
    expect(
        &relkit(&[
            "readback",
            "--registries",
            bad.to_str().unwrap(),
            "crates:a@1.0.0",
        ]),
        2,
    );
    expect(&relkit(&["readback", "not-a-spec"]), 2);
    expect(&relkit(&["readback"]), 2);
}
