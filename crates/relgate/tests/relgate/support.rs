//! Test helpers: snapshot files, scripted gates.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use relgate::{BoxFuture, Gate, GateContext, GateResult, Phase, Policy};

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

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
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
    Log(Arc<std::sync::Mutex<Vec<String>>>),
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

impl Gate for Scripted {
    fn id(&self) -> &str {
        &self.id
    }
    fn phase(&self) -> Phase {
        self.phase
    }
    fn run<'a>(&'a self, _ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
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
