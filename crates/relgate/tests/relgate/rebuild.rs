//! The `rebuild-identity` gate: in-process and command rebuilders, byte identity, and the
//! `artidigest` explanation of every difference.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::assert_error_says;
use artidigest::{Format, MtimePolicy, RepackEntry, RepackOptions, repack_entries};
use relgate::{
    BoxFuture, Code, GateStatus, Policy, Report, RunContext, RunStatus,
    gates::{RebuildError, RebuildIdentityGate, RebuildOutput, RebuildRequest, Rebuilder},
    report::GateReport,
};

/// Writes fixed files into the output folder (or into `dir` when set), recording the request.
struct Fixed {
    files: Vec<(String, Vec<u8>)>,
    dir: Option<PathBuf>,
    seen: std::sync::Mutex<Option<RebuildRequest>>,
}

fn fixed(files: Vec<(&str, Vec<u8>)>) -> Arc<Fixed> {
    Arc::new(Fixed {
        files: files.into_iter().map(|(n, b)| (n.to_owned(), b)).collect(),
        dir: None,
        seen: std::sync::Mutex::new(None),
    })
}

impl Rebuilder for Fixed {
    fn rebuild<'a>(
        &'a self,
        req: &'a RebuildRequest,
    ) -> BoxFuture<'a, Result<RebuildOutput, RebuildError>> {
        Box::pin(async move {
            *self.seen.lock().unwrap() = Some(req.clone());
            let dir = self.dir.clone().unwrap_or_else(|| req.out_dir.clone());
            for (name, bytes) in &self.files {
                std::fs::write(dir.join(name), bytes)
                    .map_err(|e| RebuildError::Other(e.to_string()))?;
            }
            Ok(RebuildOutput::new(dir))
        })
    }
}

const POLICY: &str = "[project]\nname = \"r\"\n[[artifacts]]\nglob = \"*.tar.gz\"\nkind = \"sdist\"\n[[artifacts]]\nglob = \"*.bin\"\nkind = \"binary\"\n[[artifacts]]\nglob = \"*.sigstore.json\"\nkind = \"signature\"\n[gates.rebuild-identity]\n";

fn sdist(entries: Vec<RepackEntry>, level: u32) -> Vec<u8> {
    let opts = RepackOptions::new(Format::TarGz)
        .with_mtime(MtimePolicy::Keep)
        .with_level(level);
    repack_entries(entries, &opts).unwrap().bytes
}

fn entries(init: &str, init_mtime: u64) -> Vec<RepackEntry> {
    vec![
        RepackEntry::file("pkg-1.0/PKG-INFO", "Name: pkg\nVersion: 1.0\n").with_mtime(1_000),
        RepackEntry::file("pkg-1.0/pkg/__init__.py", init).with_mtime(init_mtime),
        RepackEntry::file("pkg-1.0/pkg/core.py", "def f():\n    return 1\n").with_mtime(1_000),
    ]
}

fn release_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

async fn run_with(
    policy: &str,
    release: &Path,
    source: &Path,
    rebuilder: Option<Arc<dyn Rebuilder>>,
) -> Report {
    let policy = Policy::from_toml_str(policy, "release.toml").unwrap();
    let mut ctx = RunContext::new(release).source_dir(source).tag("v1.0.0");
    if let Some(r) = rebuilder {
        ctx = ctx.gate(Arc::new(RebuildIdentityGate::with_rebuilder(r)));
    }
    relgate::run(&policy, ctx).await
}

/// Runs [`POLICY`] over a release of `release` whose rebuild (from an empty source folder)
/// writes `rebuilt`.
async fn rebuilt_as(release: &[(&str, &[u8])], rebuilt: Vec<(&str, Vec<u8>)>) -> Report {
    let release = release_with(release);
    let src = tempfile::tempdir().unwrap();
    run_with(POLICY, release.path(), src.path(), Some(fixed(rebuilt))).await
}

/// Runs [`POLICY`] over a release of the level-9 sdist of `entries("VERSION = '1.0'\n",
/// 1_000)` rebuilt as the level-`level` sdist of `entries(init, init_mtime)`.
async fn sdist_rebuilt_as(init: &str, init_mtime: u64, level: u32) -> Report {
    let ours = sdist(entries("VERSION = '1.0'\n", 1_000), 9);
    let theirs = sdist(entries(init, init_mtime), level);
    assert_ne!(ours, theirs);
    rebuilt_as(
        &[("pkg-1.0.tar.gz", &ours)],
        vec![("pkg-1.0.tar.gz", theirs)],
    )
    .await
}

fn gate(r: &Report) -> &GateReport {
    r.gate("rebuild-identity").unwrap()
}

/// The one blocking finding's `found`, after asserting the gate failed with exactly `code`.
fn only_finding(r: &Report, code: Code) -> String {
    let g = gate(r);
    assert_eq!(g.status, GateStatus::Fail, "{g:#?}");
    assert_eq!(r.root_cause_codes(), [code], "{g:#?}");
    let blocking: Vec<_> = g
        .findings
        .iter()
        .filter(|f| f.finding.severity.blocks())
        .collect();
    assert_eq!(blocking.len(), 1, "{g:#?}");
    blocking[0].finding.found.clone().unwrap_or_default()
}

/// Asserts that the report's only blocking finding is `not-reproducible` and that its
/// explanation says every one of `said` and none of `unsaid`.
fn not_reproducible_saying(report: &Report, said: &[&str], unsaid: &[&str]) {
    let found = only_finding(report, Code::NotReproducible);
    for s in said {
        assert!(found.contains(s), "{s:?} not in {found}");
    }
    for s in unsaid {
        assert!(!found.contains(s), "{s:?} in {found}");
    }
}

#[tokio::test]
async fn identical_rebuild_passes_and_records_the_comparison() {
    let bytes = sdist(entries("VERSION = '1.0'\n", 1_000), 9);
    let release = release_with(&[
        ("pkg-1.0.tar.gz", &bytes),
        ("app.bin", b"\x7fELF binary"),
        // Not a buildable kind: never compared.
        ("pkg-1.0.tar.gz.sigstore.json", b"{}"),
    ]);
    let src = tempfile::tempdir().unwrap();
    let r = fixed(vec![
        ("pkg-1.0.tar.gz", bytes.clone()),
        ("app.bin", b"\x7fELF binary".to_vec()),
    ]);
    // The placeholder bundle is no signature and this policy verifies none: allowed by name.
    let policy = format!(
        "{POLICY}[[files.allow]]\nglob = \"*.sigstore.json\"\nreason = \"placeholder bundle ({{}}): this policy checks rebuilds, not signatures\"\n"
    );
    let report = run_with(&policy, release.path(), src.path(), Some(r.clone())).await;
    assert_eq!(gate(&report).status, GateStatus::Pass, "{report:#?}");
    assert_eq!(report.decision.status, RunStatus::Allowed);
    let compared = &gate(&report).evidence["rebuild"]["compared"];
    assert_eq!(compared["pkg-1.0.tar.gz"]["identical"], true);
    assert_eq!(compared["app.bin"]["identical"], true);
    assert!(compared.get("pkg-1.0.tar.gz.sigstore.json").is_none());

    // The rebuilder saw the source, the tag and an empty folder that is gone afterwards.
    let seen = r.seen.lock().unwrap().clone().unwrap();
    assert_eq!(seen.source_dir, src.path());
    assert_eq!(seen.tag.as_deref(), Some("v1.0.0"));
    assert!(!seen.out_dir.exists(), "the scratch folder is removed");
}

#[tokio::test]
async fn an_mtime_difference_is_explained_with_the_entry() {
    let report = sdist_rebuilt_as("VERSION = '1.0'\n", 2_000, 9).await;
    let found = only_finding(&report, Code::NotReproducible);
    assert!(
        found.contains("mtime: 1 of 3 mtimes differ in pkg-1.0/pkg/__init__.py"),
        "{found}"
    );
    let g = gate(&report);
    let f = &g.findings[0].finding;
    assert_eq!(f.subject, "pkg-1.0.tar.gz");
    assert!(f.expected.as_deref().unwrap().starts_with("sha256:"));
    assert!(
        f.hint.as_deref().unwrap().contains("SOURCE_DATE_EPOCH"),
        "{f:?}"
    );
    let details = &g.evidence["rebuild"]["compared"]["pkg-1.0.tar.gz"]["differences"];
    assert!(
        details
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "mtime" && d["entries"][0] == "pkg-1.0/pkg/__init__.py"),
        "{details}"
    );
}

#[tokio::test]
async fn a_content_difference_names_the_entry() {
    let report = sdist_rebuilt_as("VERSION = '1.0.dev0'\n", 1_000, 9).await;
    not_reproducible_saying(
        &report,
        &["content-changed: content differs in pkg-1.0/pkg/__init__.py"],
        &["mtime"],
    );
}

#[tokio::test]
async fn a_deflate_only_difference_says_so() {
    let report = sdist_rebuilt_as("VERSION = '1.0'\n", 1_000, 1).await;
    not_reproducible_saying(
        &report,
        &["same tar, different deflate stream"],
        &["content"],
    );
}

#[tokio::test]
async fn a_plain_binary_that_differs_is_reported_without_an_archive_explanation() {
    let report = rebuilt_as(&[("app.bin", b"one")], vec![("app.bin", b"two".to_vec())]).await;
    not_reproducible_saying(
        &report,
        &["the bytes differ", "not a tar, tar.gz or zip archive"],
        &[],
    );
}

#[tokio::test]
async fn a_missing_or_symlinked_rebuilt_file_is_not_reproducible() {
    let release = release_with(&[("app.bin", b"one"), ("tool.bin", b"two")]);
    let src = tempfile::tempdir().unwrap();
    let report = run_with(
        POLICY,
        release.path(),
        src.path(),
        Some(fixed(vec![("other.bin", b"x".to_vec())])),
    )
    .await;
    let g = gate(&report);
    // The source is a plain folder (no repository to resolve a tag in): a warning says so.
    let codes: Vec<Code> = g.findings.iter().map(|f| f.finding.code).collect();
    assert_eq!(
        codes,
        [
            Code::NotReproducible,
            Code::NotReproducible,
            Code::RebuildUnpinned
        ],
        "{g:#?}"
    );
    let found = g.findings[0].finding.found.clone().unwrap();
    assert!(
        found.contains("did not produce app.bin (it produced: other.bin)"),
        "{found}"
    );

    // A symlink to the release's own file would compare equal: refused.
    struct Linker(PathBuf);
    impl Rebuilder for Linker {
        fn rebuild<'a>(
            &'a self,
            req: &'a RebuildRequest,
        ) -> BoxFuture<'a, Result<RebuildOutput, RebuildError>> {
            Box::pin(async move {
                std::os::unix::fs::symlink(self.0.join("app.bin"), req.out_dir.join("app.bin"))
                    .unwrap();
                std::fs::write(req.out_dir.join("tool.bin"), b"two").unwrap();
                Ok(RebuildOutput::new(&req.out_dir))
            })
        }
    }
    let report = run_with(
        POLICY,
        release.path(),
        src.path(),
        Some(Arc::new(Linker(release.path().to_path_buf()))),
    )
    .await;
    let found = only_finding(&report, Code::NotReproducible);
    assert!(found.contains("not a regular file"), "{found}");
}

#[tokio::test]
async fn an_output_folder_outside_the_scratch_and_source_folders_is_refused() {
    let release = release_with(&[("app.bin", b"one")]);
    let src = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let r = Arc::new(Fixed {
        files: vec![("app.bin".to_owned(), b"one".to_vec())],
        dir: Some(elsewhere.path().to_path_buf()),
        seen: std::sync::Mutex::new(None),
    });
    let report = run_with(POLICY, release.path(), src.path(), Some(r)).await;
    assert_error_says(gate(&report), "refused");
    assert_eq!(report.decision.status, RunStatus::Blocked);
}

#[tokio::test]
async fn no_rebuilder_and_no_artifacts_are_errors_not_passes() {
    let release = release_with(&[("app.bin", b"one")]);
    let src = tempfile::tempdir().unwrap();
    let report = run_with(POLICY, release.path(), src.path(), None).await;
    assert_error_says(gate(&report), "nothing to rebuild with");

    let empty = tempfile::tempdir().unwrap();
    let never = fixed(vec![]);
    let report = run_with(POLICY, empty.path(), src.path(), Some(never.clone())).await;
    assert_error_says(gate(&report), "no release artifact");
    // Nothing to compare: no build is spent on it.
    assert!(never.seen.lock().unwrap().is_none());
}

// ------------------------------------------------------------------ the command rebuilder

fn sh_policy(script: &str, extra: &str) -> String {
    format!(
        "[project]\nname = \"r\"\n[[artifacts]]\nglob = \"*.tar.gz\"\nkind = \"sdist\"\n[[artifacts]]\nglob = \"*.txt\"\nkind = \"binary\"\n[rebuild]\ncommand = [\"sh\", \"-c\", {script:?}]\n{extra}"
    )
}

/// Runs [`sh_policy`]`(script, extra)` over a release holding `epoch.txt` = `x`, from an empty
/// source folder.
async fn sh_rebuild_of_x(script: &str, extra: &str) -> Report {
    let release = release_with(&[("epoch.txt", b"x")]);
    let src = tempfile::tempdir().unwrap();
    run_with(&sh_policy(script, extra), release.path(), src.path(), None).await
}

#[tokio::test]
async fn a_command_rebuild_gets_source_date_epoch_and_the_out_folder() {
    let release = release_with(&[("epoch.txt", b"1700000000 v1.0.0")]);
    let src = tempfile::tempdir().unwrap();
    let policy = sh_policy(
        "printf '%s %s' \"$SOURCE_DATE_EPOCH\" \"$RELKIT_TAG\" > \"$RELKIT_REBUILD_OUT/epoch.txt\"",
        "source-date-epoch = 1700000000\n",
    );
    let report = run_with(&policy, release.path(), src.path(), None).await;
    assert_eq!(gate(&report).status, GateStatus::Pass, "{report:#?}");
    let ev = &gate(&report).evidence["rebuild"];
    assert_eq!(ev["source_date_epoch"], 1_700_000_000);
    assert!(
        ev["rebuilder"].as_str().unwrap().starts_with("sh -c"),
        "{ev}"
    );
}

#[tokio::test]
async fn without_an_epoch_the_release_commit_time_is_used() {
    let src = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(src.path())
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_DATE", "1600000000 +0000")
            .env("GIT_AUTHOR_DATE", "1600000000 +0000")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(src.path().join("README"), "x").unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "feat: first"]);
    git(&["tag", "v1.0.0"]);
    let release = release_with(&[("epoch.txt", b"1600000000")]);
    let policy = sh_policy(
        "printf '%s' \"$SOURCE_DATE_EPOCH\" > \"$RELKIT_REBUILD_OUT/epoch.txt\"",
        "",
    );
    let report = run_with(&policy, release.path(), src.path(), None).await;
    assert_eq!(gate(&report).status, GateStatus::Pass, "{report:#?}");
}

#[tokio::test]
async fn entry_order_from_a_real_tar_command_is_explained() {
    // An honest sdist (one root folder with PKG-INFO): archive-safety reads it too.
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("app-1.0")).unwrap();
    for f in ["PKG-INFO", "a.py", "b.py"] {
        std::fs::write(src.path().join("app-1.0").join(f), format!("# {f}\n")).unwrap();
    }
    let tar = |order: &str| {
        format!(
            "tar --format=ustar --mtime=@0 --owner=0 --group=0 --numeric-owner --no-recursion -cf - {order} | gzip -n -9 > \"$OUT/app.tar.gz\""
        )
    };
    let release = tempfile::tempdir().unwrap();
    let status = Command::new("sh")
        .args(["-c", &tar("app-1.0/PKG-INFO app-1.0/a.py app-1.0/b.py")])
        .current_dir(src.path())
        .env("OUT", release.path())
        .status()
        .unwrap();
    assert!(status.success());
    let policy = sh_policy(
        &format!(
            "OUT=$RELKIT_REBUILD_OUT; {}",
            tar("app-1.0/PKG-INFO app-1.0/b.py app-1.0/a.py")
        ),
        "",
    );
    let report = run_with(&policy, release.path(), src.path(), None).await;
    let found = only_finding(&report, Code::NotReproducible);
    assert!(
        found.contains("entry-order: entry order differs"),
        "{found}"
    );

    // The same order rebuilds byte-identically.
    let policy = sh_policy(
        &format!(
            "OUT=$RELKIT_REBUILD_OUT; {}",
            tar("app-1.0/PKG-INFO app-1.0/a.py app-1.0/b.py")
        ),
        "",
    );
    let report = run_with(&policy, release.path(), src.path(), None).await;
    assert_eq!(gate(&report).status, GateStatus::Pass, "{report:#?}");
}

#[tokio::test]
async fn a_failing_build_reports_the_command_status_and_stderr() {
    let report = sh_rebuild_of_x(
        "echo compiling; echo 'error: no such crate' >&2; exit 3",
        "",
    )
    .await;
    let found = only_finding(&report, Code::CommandFailed);
    assert!(found.contains("exit status: 3"), "{found}");
    assert!(found.contains("error: no such crate"), "{found}");
    let f = &gate(&report).findings[0].finding;
    assert!(f.subject.starts_with("sh -c "), "{}", f.subject);
    assert!(
        f.hint
            .as_deref()
            .unwrap()
            .contains("byte identity could not be checked")
    );
}

#[tokio::test]
async fn a_hanging_build_is_killed_at_its_timeout() {
    let t = Instant::now();
    let report = sh_rebuild_of_x("echo building >&2; sleep 60", "timeout-secs = 1\n").await;
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    let found = only_finding(&report, Code::CommandFailed);
    assert!(found.contains("still running after 1.0 s"), "{found}");
    assert!(found.contains("building"), "{found}");
}

#[tokio::test]
async fn without_its_own_timeout_the_build_stops_just_before_the_gate_does() {
    let report = sh_rebuild_of_x("sleep 60", "[gates.rebuild-identity]\ntimeout-secs = 2\n").await;
    // The build is named (command-failed), not a bare gate timeout.
    let found = only_finding(&report, Code::CommandFailed);
    assert!(found.contains("still running after 1.8 s"), "{found}");
}

#[tokio::test]
async fn a_build_program_that_does_not_exist_is_an_error() {
    let release = release_with(&[("epoch.txt", b"x")]);
    let src = tempfile::tempdir().unwrap();
    let policy = "[project]\nname = \"r\"\n[[artifacts]]\nglob = \"*.txt\"\nkind = \"binary\"\n[rebuild]\ncommand = [\"relgate-no-such-build-tool\", \"--locked\"]\n";
    let report = run_with(policy, release.path(), src.path(), None).await;
    assert_error_says(
        gate(&report),
        "cannot start `relgate-no-such-build-tool --locked`",
    );
    assert_eq!(report.root_cause_codes(), [Code::GateError]);
}

#[tokio::test]
async fn an_output_folder_that_escapes_the_source_is_refused() {
    let release = release_with(&[("epoch.txt", b"x")]);
    let src = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("epoch.txt"), b"x").unwrap();
    // The build links its output folder out of the source tree.
    let policy = sh_policy(
        &format!("ln -s {:?} dist", outside.path()),
        "output = \"dist\"\n",
    );
    let report = run_with(&policy, release.path(), src.path(), None).await;
    let g = gate(&report);
    assert_eq!(g.status, GateStatus::Error, "{g:#?}");
    assert!(
        g.detail.as_deref().unwrap().contains("symlink escapes"),
        "{g:#?}"
    );
    // An output folder that is there before the build (here the link) is never read.
    let policy = sh_policy("true", "output = \"dist\"\n");
    let report = run_with(&policy, release.path(), src.path(), None).await;
    only_finding(&report, Code::RebuildOutputStale);

    // A real folder inside the source tree is where the artifacts are read from.
    std::fs::remove_file(src.path().join("dist")).unwrap();
    let policy = sh_policy(
        "mkdir -p dist && printf x > dist/epoch.txt",
        "output = \"dist\"\n",
    );
    let report = run_with(&policy, release.path(), src.path(), None).await;
    assert_eq!(gate(&report).status, GateStatus::Pass, "{report:#?}");

    // Paths that leave the tree lexically are policy errors.
    for bad in ["output = \"../dist\"", "output = \"/tmp\""] {
        let e = Policy::from_toml_str(&sh_policy("true", bad), "release.toml").unwrap_err();
        assert_eq!(e.key(), Some("rebuild.output"), "{e}");
    }
    let e = Policy::from_toml_str(
        "[project]\nname = \"r\"\n[rebuild]\ncommand = [\"\"]\n",
        "release.toml",
    )
    .unwrap_err();
    assert_eq!(e.key(), Some("rebuild.command"), "{e}");
}

#[test]
fn the_example_policies_load_and_ordvec_rebuilds_with_its_runbook_command() {
    for name in [
        "sketchlog",
        "advisoryhub",
        "securescan",
        "gateway",
        "ordvec",
    ] {
        let path = crate::support::repo_root()
            .join("examples/policies")
            .join(format!("{name}.toml"));
        let p = Policy::load(&path).unwrap_or_else(|e| panic!("{e}"));
        if name == "ordvec" {
            let r = p.rebuild.as_ref().unwrap();
            assert_eq!(r.command[..3], ["cargo", "package", "--locked"]);
            assert_eq!(r.artifacts, ["*.crate"]);
            assert!(
                p.required_gates().iter().any(
                    |(id, rule)| id == "rebuild-identity" && rule.after == ["provenance-valid"]
                )
            );
        }
    }
}

#[tokio::test]
async fn the_build_gets_only_the_variables_the_policy_names() {
    // `CARGO_PKG_NAME` is in the test's environment, not in the minimal one of a policy
    // command: the build sees it only when `[rebuild] env` names it, and never the version.
    let expected = format!("{}|", env!("CARGO_PKG_NAME"));
    let script = "printf '%s|%s' \"$CARGO_PKG_NAME\" \"$CARGO_PKG_VERSION\" > \"$RELKIT_REBUILD_OUT/epoch.txt\"";
    let release = release_with(&[("epoch.txt", expected.as_bytes())]);
    let src = tempfile::tempdir().unwrap();
    let named = run_with(
        &sh_policy(script, "env = [\"CARGO_PKG_NAME\"]\n"),
        release.path(),
        src.path(),
        None,
    )
    .await;
    assert_eq!(gate(&named).status, GateStatus::Pass, "{named:#?}");
    let unnamed = run_with(&sh_policy(script, ""), release.path(), src.path(), None).await;
    let found = only_finding(&unnamed, Code::NotReproducible);
    assert!(!found.is_empty(), "{unnamed:#?}");
    // A name that cannot be an environment variable is refused with its key.
    let bad =
        relgate::Policy::from_toml_str(&sh_policy("true", "env = [\"A B\"]\n"), "release.toml")
            .unwrap_err()
            .to_string();
    assert!(bad.contains("rebuild.env"), "{bad}");
}
