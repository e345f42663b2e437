//! `rebuild-identity` builds the release tag's tree in a fresh checkout it owns, into output
//! folders it creates: never the working tree, never a stale artifact, never where an inherited
//! `CARGO_TARGET_DIR` points. Each test builds a real git repository and runs a real command.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use crate::support::{assert_error_says, assert_found_says};
use relgate::{
    BoxFuture, Code, GateStatus, Policy, Report, RunContext, Severity,
    gates::{RebuildError, RebuildIdentityGate, RebuildOutput, RebuildRequest, Rebuilder},
    report::GateReport,
};
use relkit_testkit::git::git;

/// The release's bytes: what the tag's `payload.txt` holds.
const RELEASED: &str = "release 1.0.0\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository whose commit tagged `v1.0.0` holds `payload.txt` = [`RELEASED`] (and
/// `target/` ignored), plus `extra` files in that commit.
fn tagged_repo(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), "payload.txt", RELEASED);
    write(dir.path(), ".gitignore", "/target/\n");
    for (rel, text) in extra {
        write(dir.path(), rel, text);
    }
    git(dir.path(), &["add", "-A", "-f"]);
    git(dir.path(), &["commit", "-q", "-m", "release 1.0.0"]);
    git(dir.path(), &["tag", "v1.0.0"]);
    dir
}

/// The release folder: `app.bin` with `bytes`.
fn release(bytes: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.bin"), bytes).unwrap();
    dir
}

/// A policy rebuilding `app.bin` with `sh -c script` (and `extra` `[rebuild]` keys).
fn policy(script: &str, extra: &str) -> Policy {
    let text = format!(
        "[project]\nname = \"r\"\n[[artifacts]]\nglob = \"*.bin\"\nkind = \"binary\"\n[rebuild]\ncommand = [\"sh\", \"-c\", {script:?}]\n{extra}"
    );
    Policy::from_toml_str(&text, "release.toml").unwrap()
}

/// Copies the checked-out `payload.txt` to the gate's output folder.
const TO_OUT: &str = "cp payload.txt \"$RELKIT_REBUILD_OUT/app.bin\"";

/// Like cargo: writes into `$CARGO_TARGET_DIR/package` (default `target/`), keeping an artifact
/// that is already there ("up to date"), and collects it into the gate's output folder.
const CARGO_LIKE: &str = "t=\"${CARGO_TARGET_DIR:-target}\"; mkdir -p \"$t/package\" && { [ -e \"$t/package/app.bin\" ] || cp payload.txt \"$t/package/app.bin\"; } && cp \"$t/package/app.bin\" \"$RELKIT_REBUILD_OUT/app.bin\"";

fn run(policy: &Policy, release: &Path, source: &Path, tag: Option<&str>) -> Report {
    let mut ctx = RunContext::new(release).source_dir(source);
    if let Some(t) = tag {
        ctx = ctx.tag(t);
    }
    relgate::run_blocking(policy, ctx)
}

fn gate(r: &Report) -> &GateReport {
    r.gate("rebuild-identity").unwrap()
}

/// The blocking findings' codes.
fn blocking(g: &GateReport) -> Vec<Code> {
    g.findings
        .iter()
        .filter(|f| f.finding.severity.blocks())
        .map(|f| f.finding.code)
        .collect()
}

/// The worktrees `repo` knows (its own included).
fn worktrees(repo: &Path) -> usize {
    git(repo, &["worktree", "list", "--porcelain"])
        .lines()
        .filter(|l| l.starts_with("worktree "))
        .count()
}

#[test]
fn the_tags_tree_is_built_not_the_working_tree() {
    let repo = tagged_repo(&[]);
    let tagged = git(repo.path(), &["rev-parse", "v1.0.0^{commit}"]);
    // A change committed after the tag, and another one left uncommitted.
    write(repo.path(), "payload.txt", "committed after the tag\n");
    git(repo.path(), &["commit", "-q", "-am", "after"]);
    write(repo.path(), "payload.txt", "not committed at all\n");
    let rel = release(RELEASED);
    let report = run(&policy(TO_OUT, ""), rel.path(), repo.path(), Some("v1.0.0"));
    let g = gate(&report);
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert!(
        g.notes.is_empty(),
        "a pinned build warns of nothing: {g:#?}"
    );
    let tree = &g.evidence["rebuild"]["tree"];
    assert_eq!(tree["commit"], tagged.as_str(), "{tree}");
    assert_eq!(tree["pinned"], true);
    assert_eq!(
        tree["built"].as_str().unwrap(),
        format!("tag v1.0.0 (commit {tagged})")
    );
    let folder = PathBuf::from(tree["folder"].as_str().unwrap());
    assert!(!folder.starts_with(repo.path()), "{}", folder.display());
    assert!(!folder.exists(), "the checkout is removed afterwards");
    assert_eq!(worktrees(repo.path()), 1, "the worktree is pruned");
    // The working tree was not touched.
    let now = std::fs::read_to_string(repo.path().join("payload.txt")).unwrap();
    assert_eq!(now, "not committed at all\n");
}

#[test]
fn a_change_committed_and_tagged_fails_even_when_the_working_tree_matches() {
    let repo = tagged_repo(&[]);
    write(repo.path(), "payload.txt", "changed and tagged\n");
    git(repo.path(), &["commit", "-q", "-am", "change"]);
    git(repo.path(), &["tag", "-f", "v1.0.0"]);
    // The working tree holds the released bytes again, uncommitted: building it would pass.
    write(repo.path(), "payload.txt", RELEASED);
    let rel = release(RELEASED);
    let report = run(&policy(TO_OUT, ""), rel.path(), repo.path(), Some("v1.0.0"));
    let g = gate(&report);
    assert_eq!(g.status, GateStatus::Fail, "{g:#?}");
    assert_eq!(blocking(g), [Code::NotReproducible], "{g:#?}");
    assert_eq!(g.findings[0].finding.subject, "app.bin");
}

#[test]
fn a_stale_artifact_in_the_working_tree_is_never_compared() {
    let repo = tagged_repo(&[]);
    // Left by an earlier build, ignored by git, byte-identical to the release.
    write(repo.path(), "target/package/app.bin", RELEASED);
    let rel = release(RELEASED);
    let out = "output = \"target/package\"\n";
    // The build writes nothing, or elsewhere: the tag's fresh checkout has no target/package.
    for script in [
        "true",
        "mkdir -p elsewhere && cp payload.txt elsewhere/app.bin",
    ] {
        let report = run(
            &policy(script, out),
            rel.path(),
            repo.path(),
            Some("v1.0.0"),
        );
        let g = gate(&report);
        assert_eq!(g.status, GateStatus::Error, "{script}: {g:#?}");
        assert!(
            g.detail.as_deref().unwrap().contains("target/package"),
            "{g:#?}"
        );
    }
    // The build writes it: read from the checkout, not the working tree.
    let report = run(
        &policy(
            "mkdir -p target/package && echo fresh > target/package/app.bin",
            out,
        ),
        rel.path(),
        repo.path(),
        Some("v1.0.0"),
    );
    assert_eq!(blocking(gate(&report)), [Code::NotReproducible]);

    // A source folder that is no repository is built in place: an output folder that is
    // there before the build is refused, and the build is not even run.
    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), "payload.txt", RELEASED);
    write(plain.path(), "target/package/app.bin", RELEASED);
    let report = run(
        &policy("touch ran", out),
        rel.path(),
        plain.path(),
        Some("v1.0.0"),
    );
    let g = gate(&report);
    assert_eq!(blocking(g), [Code::RebuildOutputStale], "{g:#?}");
    assert_eq!(g.findings[0].finding.subject, "target/package");
    assert!(!plain.path().join("ran").exists());

    // Without it, the folder the build creates is read. A plain folder cannot resolve the
    // tag: recorded as unpinned in the evidence and said in a warning; with no tag at all,
    // a warning too.
    std::fs::remove_dir_all(plain.path().join("target")).unwrap();
    let builds = policy(
        "rm -rf target && mkdir -p target/package && cp payload.txt target/package/app.bin",
        out,
    );
    let report = run(&builds, rel.path(), plain.path(), Some("v1.0.0"));
    let g = gate(&report);
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.notes.len(), 1, "{g:#?}");
    assert_eq!(g.notes[0].code, Code::RebuildUnpinned, "{g:#?}");
    assert_eq!(g.evidence["rebuild"]["tree"]["pinned"], false);
    std::fs::remove_dir_all(plain.path().join("target")).unwrap();
    let report = run(&builds, rel.path(), plain.path(), None);
    let g = gate(&report);
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.notes.len(), 1, "{g:#?}");
    assert_eq!(g.notes[0].code, Code::RebuildUnpinned);
    assert_eq!(g.notes[0].severity, Severity::Warning);
    assert_found_says(&g.notes[0], "is not a git repository");
}

#[test]
fn an_output_folder_committed_in_the_tag_is_refused_before_the_build() {
    let repo = tagged_repo(&[("target/package/app.bin", RELEASED)]);
    let rel = release(RELEASED);
    let report = run(
        &policy("echo ran > /dev/stderr", "output = \"target/package\"\n"),
        rel.path(),
        repo.path(),
        Some("v1.0.0"),
    );
    let g = gate(&report);
    assert_eq!(blocking(g), [Code::RebuildOutputStale], "{g:#?}");
    let found = g.findings[0].finding.found.as_deref().unwrap();
    assert!(found.contains("tag v1.0.0"), "{found}");
    assert!(g.evidence["rebuild"].get("log_tail").is_none(), "not built");
}

/// An in-process rebuilder pointing at a folder of the checkout the build did not write.
struct Committed;
impl Rebuilder for Committed {
    fn rebuild<'a>(
        &'a self,
        req: &'a RebuildRequest,
    ) -> BoxFuture<'a, Result<RebuildOutput, RebuildError>> {
        Box::pin(async move { Ok(RebuildOutput::new(req.source_dir.join("dist"))) })
    }
}

#[test]
fn files_older_than_the_build_are_stale_even_inside_the_checkout() {
    let repo = tagged_repo(&[("dist/app.bin", RELEASED)]);
    let rel = release(RELEASED);
    let policy = Policy::from_toml_str(
        "[project]\nname = \"r\"\n[[artifacts]]\nglob = \"*.bin\"\nkind = \"binary\"\n[gates.rebuild-identity]\n",
        "release.toml",
    )
    .unwrap();
    let ctx = RunContext::new(rel.path())
        .source_dir(repo.path())
        .tag("v1.0.0")
        .gate(Arc::new(RebuildIdentityGate::with_rebuilder(Arc::new(
            Committed,
        ))));
    let report = relgate::run_blocking(&policy, ctx);
    let g = gate(&report);
    assert_eq!(blocking(g), [Code::RebuildOutputStale], "{g:#?}");
    let found = g.findings[0].finding.found.as_deref().unwrap();
    assert!(found.contains("before the build started"), "{found}");
}

#[test]
fn an_unknown_tag_is_an_error_naming_it() {
    let repo = tagged_repo(&[]);
    let rel = release(RELEASED);
    let report = run(&policy(TO_OUT, ""), rel.path(), repo.path(), Some("v9.9.9"));
    assert_error_says(gate(&report), "release tag v9.9.9 does not exist");
    assert_eq!(report.root_cause_codes(), [Code::GateError]);
}

#[test]
fn without_a_tag_a_clean_head_is_built_with_a_warning_and_a_dirty_tree_is_an_error() {
    let repo = tagged_repo(&[]);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let rel = release(RELEASED);
    let report = run(&policy(TO_OUT, ""), rel.path(), repo.path(), None);
    let g = gate(&report);
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.notes.len(), 1, "{g:#?}");
    assert_eq!(g.notes[0].code, Code::RebuildUnpinned);
    assert!(g.notes[0].found.as_deref().unwrap().contains(&head));
    assert_eq!(g.evidence["rebuild"]["tree"]["pinned"], false);

    write(
        repo.path(),
        "payload.txt",
        RELEASED.replace("1.0.0", "dirty").as_str(),
    );
    let report = run(&policy(TO_OUT, ""), rel.path(), repo.path(), None);
    let g = gate(&report);
    assert_eq!(blocking(g), [Code::RebuildUnpinned], "{g:#?}");
    assert_eq!(g.findings[0].finding.severity, Severity::Error);
    let found = g.findings[0].finding.found.as_deref().unwrap();
    assert!(found.contains("M payload.txt"), "{found}");
}

/// Set in the child process of [`an_inherited_cargo_target_dir_is_not_used`]: the source and
/// release folders, and the stale target folder the child inherits as `CARGO_TARGET_DIR`.
const CHILD: &str = "RELGATE_TEST_INHERITED_TARGET_CHILD";

#[test]
fn an_inherited_cargo_target_dir_is_not_used() {
    if let Some(paths) = std::env::var_os(CHILD) {
        // The child: this process inherited CARGO_TARGET_DIR, as a build would.
        let paths: Vec<PathBuf> = std::env::split_paths(&paths).collect();
        let (repo, rel, stale) = (&paths[0], &paths[1], &paths[2]);
        assert_eq!(
            std::env::var_os("CARGO_TARGET_DIR").as_deref(),
            Some(stale.as_os_str())
        );
        let report = run(&policy(CARGO_LIKE, ""), rel, repo, Some("v1.0.0"));
        let g = gate(&report);
        // The stale artifact matches the release; the tag's fresh build does not.
        assert_eq!(blocking(g), [Code::NotReproducible], "{g:#?}");
        let used = PathBuf::from(
            g.evidence["rebuild"]["tree"]["cargo_target_dir"]
                .as_str()
                .unwrap(),
        );
        assert!(!used.starts_with(stale), "{}", used.display());
        return;
    }
    let repo = tagged_repo(&[]);
    write(repo.path(), "payload.txt", "changed and tagged\n");
    git(repo.path(), &["commit", "-q", "-am", "change"]);
    git(repo.path(), &["tag", "-f", "v1.0.0"]);
    let rel = release(RELEASED);
    let stale = tempfile::tempdir().unwrap();
    write(stale.path(), "package/app.bin", RELEASED);
    let paths = std::env::join_paths([repo.path(), rel.path(), stale.path()]).unwrap();
    let me = std::env::current_exe().unwrap();
    let out = Command::new(me)
        .args([
            "rebuild_pinned::an_inherited_cargo_target_dir_is_not_used",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, paths)
        .env("CARGO_TARGET_DIR", stale.path())
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the child ran the test: {text}");
    // The stale artifact is untouched.
    let kept = std::fs::read_to_string(stale.path().join("package/app.bin")).unwrap();
    assert_eq!(kept, RELEASED);
}
