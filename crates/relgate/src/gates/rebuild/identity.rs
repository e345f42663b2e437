//! The `rebuild-identity` gate: rebuild the release from its source and compare bytes, with
//! `artidigest`'s explanation of every artifact that differs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use artidigest::{Algorithm, DiffOptions, DiffReport, diff_artifacts, digest_file};

use crate::artifacts::local_artifacts;
use crate::finding::{Code, Finding};
use crate::folder::{glob_matcher, list_files};
use crate::gate::{BoxFuture, GateContext, GateResult, StandardGate};
use crate::gates::command::run::{
    DEFAULT_COMMAND_TIMEOUT, exit_finding, kill_after, release_env, spawn_cause, timeout_finding,
};
use crate::policy::model::{ArtifactKind, RebuildRules};
use crate::process::display_argv;
use crate::release_source::Inputs;

use crate::gates::rebuild::rebuilder::{CommandRebuilder, RebuildError, RebuildRequest, Rebuilder};

mod owned;
pub(crate) mod pinned;

use owned::{
    Within, build_started, dirty_finding, existing_output, not_from_this_build, stale_finding,
    unpinned_finding,
};
use pinned::{Pin, Refused};

/// Largest artifact read whole to explain a difference (bigger ones only report digests).
const MAX_EXPLAINED_BYTES: u64 = 512 << 20;
/// Differences quoted per artifact in a finding.
const QUOTED_DIFFERENCES: usize = 4;

/// Rebuild-and-compare: every release artifact (the `[rebuild] artifacts` globs, else every
/// `[[artifacts]]` file of a buildable kind) must have a byte-identical twin at the same
/// relative path in the rebuild's output. A missing or non-regular twin, or other bytes, is
/// `not-reproducible`; for other bytes the finding carries `artidigest::diff_artifacts`'
/// explanation (`mtime differs in pkg/__init__.py`, `entry order`, `deflate stream only`), and
/// the evidence the full difference list. A build that fails or times out is
/// `command-failed`; a build that cannot start, a missing source tree or no artifact to
/// compare is an error (fail closed).
#[derive(Clone, Default)]
pub struct RebuildIdentityGate {
    rebuilder: Option<Arc<dyn Rebuilder>>,
}

impl fmt::Debug for RebuildIdentityGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RebuildIdentityGate")
            .field("in_process", &self.rebuilder.is_some())
            .finish()
    }
}

impl RebuildIdentityGate {
    /// The gate building with the policy's `[rebuild] command`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The gate building with `rebuilder` instead of the policy's command. Register it with
    /// [`RunContext::gate`](crate::RunContext::gate): it replaces the built-in gate.
    pub fn with_rebuilder(rebuilder: Arc<dyn Rebuilder>) -> Self {
        RebuildIdentityGate {
            rebuilder: Some(rebuilder),
        }
    }
}

impl StandardGate for RebuildIdentityGate {
    const ID: &'static str = "rebuild-identity";

    fn check<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let rules = ctx.policy.rebuild.clone().unwrap_or_default();
            let (source, declared_git) = Inputs::of(ctx).source_root();
            if !source.is_dir() {
                return GateResult::error(format!(
                    "the source tree {} is not a folder",
                    source.display()
                ));
            }
            // Without `[rebuild] timeout-secs` the build stops just before the gate's own
            // timeout, so the report names the build rather than a bare gate timeout.
            let gate_limit = ctx
                .policy
                .gates
                .get(Self::ID)
                .and_then(|g| g.timeout_secs)
                .map_or(DEFAULT_COMMAND_TIMEOUT, Duration::from_secs);
            let command = CommandRebuilder::from_rules(&rules).map(|mut c| {
                if rules.timeout_secs.is_none() {
                    c.timeout = kill_after(gate_limit);
                }
                c
            });
            if self.rebuilder.is_none() && command.is_none() {
                return GateResult::error(
                    "nothing to rebuild with: the policy's [rebuild] names no command and no in-process rebuilder was registered",
                );
            }
            // Know what to compare before spending a build on it.
            let artifacts = {
                let (policy, rules, release) = (
                    Arc::clone(&ctx.policy),
                    rules.clone(),
                    ctx.release_dir.clone(),
                );
                match tokio::task::spawn_blocking(move || {
                    artifacts_to_compare(&policy, &rules, &release)
                })
                .await
                {
                    Ok(Ok(a)) if !a.is_empty() => a,
                    Ok(Ok(_)) => {
                        return GateResult::error(
                            "no release artifact to compare: no file matches the [rebuild] artifacts globs or a buildable [[artifacts]] kind",
                        );
                    }
                    Ok(Err(e)) => return GateResult::error(e),
                    Err(e) => return GateResult::error(format!("cannot list the artifacts: {e}")),
                }
            };
            let scratch = match ScratchDir::new() {
                Ok(d) => d,
                Err(e) => {
                    return GateResult::error(format!("cannot create the rebuild folder: {e}"));
                }
            };
            let out_dir = scratch.path().join("out");
            if let Err(e) = std::fs::create_dir(&out_dir) {
                return GateResult::error(format!(
                    "cannot create the rebuild folder {}: {e}",
                    out_dir.display()
                ));
            }
            // The tag's tree in a fresh checkout the gate owns, never the working tree.
            let tree = {
                let (src, at) = (source.clone(), scratch.path().to_path_buf());
                let (tag, commit) = (ctx.tag.clone(), ctx.commit.clone());
                match tokio::task::spawn_blocking(move || {
                    pinned::prepare(&src, declared_git, tag.as_deref(), commit.as_deref(), &at)
                })
                .await
                {
                    Ok(Ok(t)) => t,
                    Ok(Err(Refused::Error(cause))) => return GateResult::error(cause),
                    Ok(Err(Refused::Dirty {
                        repo,
                        changes,
                        count,
                    })) => {
                        return GateResult::from_findings(vec![dirty_finding(
                            &repo, &changes, count,
                        )])
                        .with_evidence(
                            "rebuild",
                            serde_json::json!({ "source": source.display().to_string() }),
                        );
                    }
                    Err(e) => {
                        return GateResult::error(format!("the checkout did not finish: {e}"));
                    }
                }
            };
            // Cargo writes where the gate says, whatever the caller's environment holds.
            let target_dir = if tree.pin.is_checkout() {
                tree.dir.join("target")
            } else {
                scratch.path().join("target")
            };
            let mut evidence = serde_json::json!({
                "source": source.display().to_string(),
                "tree": {
                    "built": tree.pin.describe(),
                    "commit": tree.pin.commit(),
                    "pinned": matches!(tree.pin, Pin::Release { .. }),
                    "folder": tree.dir.display().to_string(),
                    "cargo_target_dir": target_dir.display().to_string(),
                },
            });
            // A `[rebuild] output` folder must be made by this build: one that is there
            // already (committed, or left by another build) could hold anything.
            let output_rel = rules.output.clone().filter(|_| self.rebuilder.is_none());
            if let Some(rel) = &output_rel
                && let Some(f) = existing_output(&tree.dir, rel, &tree.pin)
            {
                return GateResult::from_findings(vec![f]).with_evidence("rebuild", evidence);
            }
            let epoch = match rules.source_date_epoch {
                Some(e) => Some(e),
                None => {
                    let src = source.clone();
                    let revs: Vec<String> = [
                        tree.pin.commit().map(str::to_owned),
                        ctx.commit.clone(),
                        ctx.tag.clone().map(|t| format!("refs/tags/{t}")),
                    ]
                    .into_iter()
                    .flatten()
                    .chain([String::from("HEAD")])
                    .collect();
                    tokio::task::spawn_blocking(move || {
                        revs.iter().find_map(|r| commit_time(&src, r))
                    })
                    .await
                    .ok()
                    .flatten()
                }
            };
            evidence["source_date_epoch"] = serde_json::json!(epoch);
            let shown = command.as_ref().map(|c| display_argv(&c.argv));
            let rebuilder: Arc<dyn Rebuilder> = match (&self.rebuilder, command) {
                (Some(r), _) => Arc::clone(r),
                (None, Some(mut c)) => {
                    c.env.extend(release_env(ctx, Self::ID, &tree.dir));
                    Arc::new(c)
                }
                (None, None) => return GateResult::error("nothing to rebuild with"),
            };
            let shown = shown.filter(|_| self.rebuilder.is_none());
            evidence["rebuilder"] =
                serde_json::json!(shown.unwrap_or_else(|| String::from("in-process")));
            let mut request = RebuildRequest::new(&tree.dir, &out_dir);
            request.tag = ctx.tag.clone();
            request.commit = tree
                .pin
                .commit()
                .map(str::to_owned)
                .or_else(|| ctx.commit.clone());
            request.source_date_epoch = epoch;
            request.target_dir = Some(target_dir);
            let started = {
                let at = scratch.path().to_path_buf();
                match tokio::task::spawn_blocking(move || build_started(&at)).await {
                    Ok(Ok(t)) => t,
                    Ok(Err(e)) => return GateResult::error(e),
                    Err(e) => {
                        return GateResult::error(format!("cannot mark the build's start: {e}"));
                    }
                }
            };
            let output = match rebuilder.rebuild(&request).await {
                Ok(o) => o,
                Err(e) => return rebuild_failed(e, evidence),
            };
            if !output.log.is_empty() {
                evidence["log_tail"] = serde_json::json!(output.log);
            }
            // Files count as this build's inside the scratch folder, and inside an output
            // folder of the source tree that was not there before the build.
            let mut owned: Vec<PathBuf> = scratch.path().canonicalize().into_iter().collect();
            if let Some(rel) = &output_rel
                && !tree.pin.is_checkout()
                && let Ok(d) = tree.dir.join(rel).canonicalize()
            {
                owned.push(d);
            }
            let release = ctx.release_dir.clone();
            let within = Within {
                out_dir: out_dir.clone(),
                source: tree.dir.clone(),
                owned,
                started,
            };
            let compared = tokio::task::spawn_blocking(move || {
                compare(&artifacts, &release, &within, &output.dir)
            })
            .await;
            let given = ctx.tag.is_some() || ctx.commit.is_some();
            let unpinned = unpinned_finding(&source, &tree.pin, given);
            let _ = tokio::task::spawn_blocking(move || drop(tree)).await;
            drop(scratch);
            match compared {
                Ok(Ok((mut findings, compared))) => {
                    let read: Vec<String> = compared
                        .as_object()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    evidence["compared"] = compared;
                    findings.extend(unpinned);
                    GateResult::from_findings(findings)
                        .with_evidence("rebuild", evidence)
                        .reading(read)
                }
                Ok(Err(cause)) => GateResult::error(cause).with_evidence("rebuild", evidence),
                Err(e) => GateResult::error(format!("the comparison did not finish: {e}")),
            }
        })
    }
}

/// The gate result for a rebuild that produced nothing to compare.
fn rebuild_failed(e: RebuildError, evidence: serde_json::Value) -> GateResult {
    let result = match &e {
        RebuildError::Failed {
            command,
            cwd,
            status,
            output_tail,
        } => GateResult::from_findings(vec![
            exit_finding(command, cwd, status, output_tail).hint(format!(
                "the rebuild failed, so byte identity could not be checked; run it in {} to reproduce",
                cwd.display()
            )),
        ]),
        RebuildError::TimedOut {
            command,
            timeout,
            output_tail,
        } => GateResult::from_findings(vec![timeout_finding(
            command,
            *timeout,
            *timeout,
            output_tail,
        )]),
        RebuildError::Spawn {
            command,
            cwd,
            source,
        } => GateResult::error(spawn_cause(&display_argv(command), cwd, source)),
        other => GateResult::error(format!("the rebuild failed: {other}")),
    };
    result.with_evidence("rebuild", evidence)
}

/// A fresh, empty folder under the system's temporary folder, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> std::io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for _ in 0..16 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let p = std::env::temp_dir().join(format!(
                "relgate-rebuild-{}-{nanos}-{n}",
                std::process::id()
            ));
            match std::fs::create_dir(&p) {
                Ok(()) => return Ok(ScratchDir(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free name for a scratch folder"))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The committer time of `rev` in the repository at `dir`, when both exist.
fn commit_time(dir: &Path, rev: &str) -> Option<u64> {
    if rev.starts_with('-') {
        return None;
    }
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["log", "-1", "--format=%ct", rev, "--"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Whether an artifact of `kind` is something a build produces.
fn buildable(kind: ArtifactKind) -> bool {
    matches!(
        kind,
        ArtifactKind::Wheel
            | ArtifactKind::Sdist
            | ArtifactKind::Crate
            | ArtifactKind::NpmTarball
            | ArtifactKind::HelmChart
            | ArtifactKind::GoModule
            | ArtifactKind::Binary
    )
}

/// The release files to compare: those matching `[rebuild] artifacts`, else the buildable
/// `[[artifacts]]`.
fn artifacts_to_compare(
    policy: &crate::policy::model::Policy,
    rules: &RebuildRules,
    release: &Path,
) -> Result<Vec<String>, String> {
    if rules.artifacts.is_empty() {
        let all = local_artifacts(policy, release).map_err(|e| {
            let mut s = e.to_string();
            if let Some(src) = std::error::Error::source(&e) {
                s.push_str(&format!(": {src}"));
            }
            s
        })?;
        return Ok(all
            .into_iter()
            .filter(|a| buildable(a.kind))
            .map(|a| a.path)
            .collect());
    }
    let matchers = rules
        .artifacts
        .iter()
        .map(|g| glob_matcher(g).map_err(|e| format!("bad glob {g:?}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let files = list_files(release)
        .map_err(|e| format!("cannot list the release folder {}: {e}", release.display()))?;
    Ok(files
        .into_iter()
        .filter(|f| matchers.iter().any(|m| m.is_match(f)))
        .collect())
}

/// One difference in a line: `mtime: entry mtimes differ in pkg/__init__.py, pkg/a.py`.
fn explain_one(d: &artidigest::Difference) -> String {
    let mut s = format!("{}: {}", d.code, d.summary);
    if !d.entries.is_empty() {
        s.push_str(" in ");
        s.push_str(&d.entries.join(", "));
        let more = d.count.saturating_sub(d.entries.len());
        if more > 0 {
            s.push_str(&format!(" and {more} more"));
        }
    } else if let (Some(l), Some(r)) = (&d.left, &d.right) {
        s.push_str(&format!(" (release {l}, rebuild {r})"));
    }
    s
}

/// The explanation of a diff report: the first few differences, outermost layer first.
fn explain(report: &DiffReport) -> String {
    let mut lines: Vec<String> = report
        .differences
        .iter()
        .take(QUOTED_DIFFERENCES)
        .map(explain_one)
        .collect();
    let more = report.differences.len().saturating_sub(QUOTED_DIFFERENCES);
    if more > 0 {
        lines.push(format!("and {more} more difference(s)"));
    }
    lines.join("; ")
}

/// Compares every release artifact with its rebuilt twin, which must be this build's.
fn compare(
    artifacts: &[String],
    release: &Path,
    within: &Within,
    built: &Path,
) -> Result<(Vec<Finding>, serde_json::Value), String> {
    let (out_dir, source) = (within.out_dir.as_path(), within.source.as_path());
    // The output must be the scratch folder or inside it, or a folder the rebuilder chose
    // inside the source tree (checked by the rebuilder); it must exist.
    let built = built.canonicalize().map_err(|e| {
        format!(
            "the rebuild's output folder {} cannot be read: {e}",
            built.display()
        )
    })?;
    let allowed = [out_dir, source]
        .iter()
        .filter_map(|d| d.canonicalize().ok())
        .any(|d| built.starts_with(d));
    if !allowed {
        return Err(format!(
            "refused: the rebuild's output folder {} is outside both the rebuild folder and the source tree",
            built.display()
        ));
    }
    let produced = list_files(&built).unwrap_or_default();
    let mut findings = Vec::new();
    let mut compared = serde_json::Map::new();
    for rel in artifacts {
        let ours = release.join(rel);
        let theirs = built.join(rel);
        let expected = digest_file(&ours, Algorithm::Sha256).map_err(|e| e.to_string())?;
        let meta = std::fs::symlink_metadata(&theirs);
        let finding = |found: String| {
            Finding::new(Code::NotReproducible, rel.clone())
                .expected(format!("a rebuilt file with {expected}"))
                .found(found)
        };
        match meta {
            Err(_) => {
                let shown: Vec<&str> = produced.iter().take(10).map(String::as_str).collect();
                findings.push(
                    finding(format!(
                        "the rebuild did not produce {rel} (it produced: {})",
                        if shown.is_empty() {
                            String::from("nothing")
                        } else {
                            shown.join(", ")
                        }
                    ))
                    .hint("make the rebuild write the same file names as the release, or narrow [rebuild] artifacts"),
                );
                continue;
            }
            Ok(m) if !m.is_file() => {
                findings.push(
                    finding(format!(
                        "the rebuilt {rel} is not a regular file (a symlink or folder is refused)"
                    ))
                    .hint("the rebuild must write real files into its output folder"),
                );
                continue;
            }
            Ok(_) => {}
        }
        if let Some(why) = not_from_this_build(&theirs, within) {
            findings.push(stale_finding(rel, why));
            continue;
        }
        let actual = digest_file(&theirs, Algorithm::Sha256).map_err(|e| e.to_string())?;
        if actual == expected {
            compared.insert(
                rel.clone(),
                serde_json::json!({ "sha256": expected.to_string(), "identical": true }),
            );
            continue;
        }
        let (explanation, hint, details) = explain_files(rel, &ours, &theirs);
        findings.push(
            Finding::new(Code::NotReproducible, rel.clone())
                .expected(expected.to_string())
                .found(format!("{actual}: {explanation}"))
                .hint(hint),
        );
        compared.insert(
            rel.clone(),
            serde_json::json!({
                "sha256": expected.to_string(),
                "rebuilt_sha256": actual.to_string(),
                "identical": false,
                "explanation": explanation,
                "differences": details,
            }),
        );
    }
    Ok((findings, serde_json::Value::Object(compared)))
}

/// `artidigest`'s explanation of why two files differ: (one line, the first fix, the
/// differences as JSON).
fn explain_files(name: &str, ours: &Path, theirs: &Path) -> (String, String, serde_json::Value) {
    let size = |p: &Path| std::fs::metadata(p).map_or(u64::MAX, |m| m.len());
    if size(ours) > MAX_EXPLAINED_BYTES || size(theirs) > MAX_EXPLAINED_BYTES {
        return (
            format!("the bytes differ (too large to explain, over {MAX_EXPLAINED_BYTES} bytes)"),
            String::from("compare the two files with the repro_diff example"),
            serde_json::Value::Null,
        );
    }
    let (Ok(a), Ok(b)) = (std::fs::read(ours), std::fs::read(theirs)) else {
        return (
            String::from("the bytes differ (could not be read again to explain why)"),
            String::from("compare the two files with the repro_diff example"),
            serde_json::Value::Null,
        );
    };
    match diff_artifacts((name, &a), (name, &b), &DiffOptions::default()) {
        Ok(report) if !report.differences.is_empty() => {
            let fix = report
                .differences
                .first()
                .map(|d| d.fix.clone())
                .unwrap_or_default();
            let details = serde_json::to_value(
                report
                    .differences
                    .iter()
                    .take(10)
                    .map(|d| {
                        serde_json::json!({
                            "code": d.code.name(),
                            "layer": d.layer.to_string(),
                            "summary": d.summary,
                            "entries": d.entries,
                            "count": d.count,
                            "cause": d.cause,
                            "fix": d.fix,
                        })
                    })
                    .collect::<Vec<_>>(),
            )
            .unwrap_or(serde_json::Value::Null);
            (explain(&report), fix, details)
        }
        Ok(_) => (
            String::from("the bytes differ"),
            String::from("compare the two files with the repro_diff example"),
            serde_json::Value::Null,
        ),
        Err(e) => (
            format!("the bytes differ ({e}; no layer-by-layer explanation)"),
            String::from("compare the two files byte by byte (cmp -l)"),
            serde_json::Value::Null,
        ),
    }
}
