//! Test helpers: snapshot files, scripted gates.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relgate::plan::{GateOptions, Plan};
use relgate::report::GateReport;
use relgate::{
    BoxFuture, Finding, Format, Gate, GateContext, GateResult, GateStatus, Phase, Policy, Report,
};

/// Compares `actual` with `tests/snapshots/<name>`; `RELGATE_BLESS=1` rewrites the file.
pub(crate) fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("RELGATE_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read snapshot {}: {e}; run with RELGATE_BLESS=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "snapshot {name} differs (re-run with RELGATE_BLESS=1 after review)\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

/// Asserts that the gate could not judge (status `Error`) and that its detail says `needle`.
pub(crate) fn assert_error_says(g: &GateReport, needle: &str) {
    assert_eq!(g.status, GateStatus::Error, "{g:#?}");
    let detail = g.detail.as_deref().unwrap();
    assert!(detail.contains(needle), "{detail}");
}

/// Asserts that the finding (or note) `f` says what it found and that it says `needle`.
pub(crate) fn assert_found_says(f: &Finding, needle: &str) {
    let found = f.found.as_deref().unwrap();
    assert!(found.contains(needle), "{found}\n{f:#?}");
}

/// The subjects of the gate's findings, in order.
pub(crate) fn finding_subjects(g: &GateReport) -> Vec<&str> {
    g.findings
        .iter()
        .map(|f| f.finding.subject.as_str())
        .collect()
}

/// Asserts that `report` rendered in `format` says each of `says`.
pub(crate) fn assert_renders(report: &Report, format: Format, says: &[&str]) {
    let text = format.render(report, false);
    for s in says {
        assert!(text.contains(s), "{format:?} does not say {s:?}:\n{text}");
    }
}

/// Writes `text` as `release.toml` in `dir` and returns its path.
pub(crate) fn write_release_toml(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("release.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The policy `text`, parsed as `release.toml`.
pub(crate) fn policy_from(text: &str) -> Policy {
    Policy::from_toml_str(text, "release.toml").unwrap()
}

pub(crate) fn minimal_policy() -> Arc<Policy> {
    Arc::new(Policy::from_toml_str("[project]\nname = \"test\"\n", "release.toml").unwrap())
}

/// What a scripted gate does.
#[derive(Clone)]
pub(crate) enum Script {
    Result(GateResult),
    Panic,
    Hang,
    /// Waits on the barrier, then passes.
    Barrier(Arc<tokio::sync::Barrier>),
    /// Records its start in the log, sleeps a little, records its end, then passes.
    Log(Arc<Mutex<Vec<String>>>),
    /// Returns what the function makes of the gate's context (a function that blocks blocks
    /// the thread the gate runs on).
    Run(Arc<dyn Fn(&GateContext) -> GateResult + Send + Sync>),
    /// Sends on `started` when it starts, then hangs; sets `dropped` when its future is dropped.
    HangWatched {
        started: Arc<Mutex<Option<tokio::sync::oneshot::Sender<()>>>>,
        dropped: Arc<AtomicBool>,
    },
}

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

pub(crate) struct Scripted {
    pub(crate) id: String,
    pub(crate) phase: Phase,
    pub(crate) script: Script,
}

pub(crate) fn gate(id: &str, phase: Phase, script: Script) -> Arc<dyn Gate> {
    Arc::new(Scripted {
        id: id.to_owned(),
        phase,
        script,
    })
}

/// A gate script that passes.
pub(crate) fn passing() -> Script {
    Script::Result(GateResult::pass())
}

/// Adds the scripted gate `id` to `plan` with the default options.
pub(crate) fn add_gate(plan: &mut Plan, id: &str, phase: Phase, script: Script) {
    plan.add(gate(id, phase, script), GateOptions::default());
}

impl Gate for Scripted {
    fn id(&self) -> &str {
        &self.id
    }
    fn phase(&self) -> Phase {
        self.phase
    }
    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            match &self.script {
                Script::Result(r) => r.clone(),
                Script::Panic => panic!("gate {} exploded", self.id),
                Script::Hang => {
                    std::future::pending::<()>().await;
                    GateResult::pass()
                }
                Script::Barrier(b) => {
                    b.wait().await;
                    GateResult::pass()
                }
                Script::Log(log) => {
                    log.lock().unwrap().push(format!("start {}", self.id));
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    log.lock().unwrap().push(format!("end {}", self.id));
                    GateResult::pass()
                }
                Script::Run(f) => f(ctx),
                Script::HangWatched { started, dropped } => {
                    let _guard = SetOnDrop(Arc::clone(dropped));
                    if let Some(tx) = started.lock().unwrap().take() {
                        let _ = tx.send(());
                    }
                    std::future::pending::<()>().await;
                    GateResult::pass()
                }
            }
        })
    }
}

/// A tool that `scripts/install-test-servers.sh` installs into a venv under the relkit cache:
/// `$<env_var>` when set, else `$RELKIT_CACHE/<venv>` (default `~/.cache/relkit/<venv>`), and
/// `bin/<tool>` in it. Missing: fails under `CI=true`, else prints SKIPPED and returns `None`.
pub(crate) fn cached_tool(env_var: &str, venv: &str, tool: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(env_var).map_or_else(
        || {
            std::env::var_os("RELKIT_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/relkit")
                })
                .join(venv)
        },
        PathBuf::from,
    );
    let path = dir.join("bin").join(tool);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} not found at {} (CI=true requires it; run scripts/install-test-servers.sh)",
        path.display()
    );
    eprintln!(
        "SKIPPED: {tool} not found at {} (run scripts/install-test-servers.sh)",
        path.display()
    );
    None
}
