//! The `Gate` trait, what a gate returns and what it may read; the traits the gates of the
//! gate table implement.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::cancel::CancelToken;
use crate::endpoints::Endpoints;
use crate::event::{Event, Observer};
use crate::finding::Finding;
use crate::json::Json;
use crate::phase::Phase;
use crate::policy::model::Policy;

/// A boxed, sendable future, the return type of [`Gate::run`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a gate concluded.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Everything the gate checks holds.
    Pass,
    /// The gate found problems.
    Fail {
        /// What it found (at least one).
        findings: Vec<Finding>,
    },
    /// The gate did not check anything. Counts as a failure unless waived.
    Skipped {
        /// Why.
        reason: String,
    },
    /// The gate could not reach a verdict. Counts as a failure unless waived.
    Error {
        /// What went wrong.
        cause: String,
    },
}

impl Outcome {
    /// A failure with these findings.
    pub fn fail(findings: Vec<Finding>) -> Self {
        Outcome::Fail { findings }
    }

    /// `Pass` when `findings` holds nothing that blocks, else `Fail` with all of them.
    /// Non-blocking findings on a pass are kept as evidence by [`GateResult::from_findings`].
    pub fn from_findings(findings: &[Finding]) -> Self {
        if findings.iter().any(|f| f.severity.blocks()) {
            Outcome::Fail {
                findings: findings.to_vec(),
            }
        } else {
            Outcome::Pass
        }
    }

    /// The short kebab-case name (`pass`, `fail`, `skipped`, `error`).
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail { .. } => "fail",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Error { .. } => "error",
        }
    }
}

/// What a gate returns: its outcome plus the evidence it looked at (digests, run ids, URLs),
/// as [`Json`] values keyed by name so reports can carry it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct GateResult {
    /// The verdict.
    pub outcome: Outcome,
    /// Non-blocking findings (warnings, notes) the gate reports even when it passes.
    pub notes: Vec<Finding>,
    /// Evidence, keyed by name.
    pub evidence: Evidence,
    /// The release-folder files (relative paths) whose bytes this gate read: the coverage
    /// ledger counts them as checked by this gate, with its outcome.
    pub read: Vec<String>,
}

impl GateResult {
    /// A result with this outcome and no evidence.
    pub fn new(outcome: Outcome) -> Self {
        GateResult {
            outcome,
            notes: Vec::new(),
            evidence: BTreeMap::new(),
            read: Vec::new(),
        }
    }

    /// A pass.
    pub fn pass() -> Self {
        Self::new(Outcome::Pass)
    }

    /// An error with this cause.
    pub fn error(cause: impl Into<String>) -> Self {
        Self::new(Outcome::Error {
            cause: cause.into(),
        })
    }

    /// A skip with this reason.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Skipped {
            reason: reason.into(),
        })
    }

    /// Fails if any finding blocks (keeping all findings), else passes and keeps the
    /// non-blocking ones as notes.
    pub fn from_findings(findings: Vec<Finding>) -> Self {
        match Outcome::from_findings(&findings) {
            Outcome::Pass => GateResult {
                notes: findings,
                ..Self::pass()
            },
            other => Self::new(other),
        }
    }

    /// Records the release-folder files whose bytes this gate read (for the coverage ledger).
    pub fn reading(mut self, paths: impl IntoIterator<Item = String>) -> Self {
        self.read.extend(paths);
        self
    }

    /// Adds one piece of evidence: any serialisable value (a `serde_json::json!` document, a
    /// struct deriving `Serialize`), kept as [`Json`] (see [`Json::of`]).
    pub fn with_evidence(mut self, key: impl Into<String>, value: impl serde::Serialize) -> Self {
        self.evidence.insert(key.into(), Json::of(&value));
        self
    }
}

/// What every gate may read: the policy, the release folder, the tag and commit under
/// release, and the run's cancellation token.
#[non_exhaustive]
#[derive(Clone)]
pub struct GateContext {
    /// The policy being enforced.
    pub policy: Arc<Policy>,
    /// The folder holding the release assets.
    pub release_dir: PathBuf,
    /// The tag under release (`v1.2.3`), when known.
    pub tag: Option<String>,
    /// The commit under release (40 hex), when known.
    pub commit: Option<String>,
    /// The source tree (version files, changelog), overriding the policy's `[versions]`
    /// `tree`/`git` when set.
    pub source_dir: Option<PathBuf>,
    /// Cancelled when the run is abandoned; long gates should watch it.
    pub cancel: CancelToken,
    /// Base URLs of the policy's registries, by registry name.
    pub endpoints: Endpoints,
    /// Registry requests and downloads a gate keeps in flight at once (at least 1).
    pub registry_concurrency: usize,
    /// Where registry gates download to (the system temporary folder when `None`).
    pub scratch_dir: Option<PathBuf>,
    board: Arc<Mutex<BTreeMap<String, Evidence>>>,
    observer: Option<Observer>,
}

/// The evidence of one gate, keyed by name.
pub type Evidence = BTreeMap<String, Json>;

impl fmt::Debug for GateContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GateContext")
            .field("project", &self.policy.project.name)
            .field("release_dir", &self.release_dir)
            .field("tag", &self.tag)
            .field("commit", &self.commit)
            .field("source_dir", &self.source_dir)
            .field("cancelled", &self.cancel.is_cancelled())
            .field("endpoints", &self.endpoints)
            .field("observed", &self.observer.is_some())
            .finish()
    }
}

impl GateContext {
    /// A context for `policy` over `release_dir`.
    pub fn new(policy: Arc<Policy>, release_dir: impl Into<PathBuf>) -> Self {
        GateContext {
            policy,
            release_dir: release_dir.into(),
            tag: None,
            commit: None,
            source_dir: None,
            cancel: CancelToken::new(),
            endpoints: Endpoints::new(),
            registry_concurrency: 8,
            scratch_dir: None,
            board: Arc::default(),
            observer: None,
        }
    }

    relkit_finding::setters! {
        /// Uses these registry endpoints.
        with_endpoints(endpoints: Endpoints) => endpoints = endpoints;
        /// Sends run events (gate started/finished, progress) to `observer`.
        with_observer(observer: Observer) => observer = Some(observer);
    }

    /// Hands `event` to the observer, if any.
    pub fn emit(&self, event: &Event<'_>) {
        // Every event is also a `tracing` event (target `relgate`), for `relkit -v`.
        match event {
            Event::GateStarted { gate, phase } => {
                tracing::info!(gate = *gate, phase = phase.as_str(), "gate started");
            }
            Event::GateFinished {
                gate,
                status,
                duration_ms,
            } => {
                tracing::info!(
                    gate = *gate,
                    status = status.as_str(),
                    duration_ms = *duration_ms,
                    "gate finished"
                );
            }
            Event::Progress {
                gate,
                what,
                done,
                total,
            } => {
                tracing::trace!(gate = *gate, what = *what, done = *done, total = ?total, "progress");
            }
        }
        if let Some(o) = &self.observer {
            o(event);
        }
    }

    /// Reports progress of gate `gate` on `what` (`done` of `total` units).
    pub fn progress(&self, gate: &str, what: &str, done: u64, total: Option<u64>) {
        self.emit(&Event::Progress {
            gate,
            what,
            done,
            total,
        });
    }

    /// The evidence gate `gate` left in this run, once it has finished. A gate that runs
    /// `after` another reads its results here instead of redoing its work (digests computed
    /// once, a served file downloaded once).
    pub fn evidence_of(&self, gate: &str) -> Option<Evidence> {
        self.board.lock().map_or_else(
            |p| p.into_inner().get(gate).cloned(),
            |b| b.get(gate).cloned(),
        )
    }

    pub(crate) fn publish_evidence(&self, gate: &str, evidence: &Evidence) {
        let mut board = self.board.lock().unwrap_or_else(|p| p.into_inner());
        board.insert(gate.to_owned(), evidence.clone());
    }
}

/// A release check.
///
/// A gate has a stable id (kebab-case, used in the policy's `[gates.<id>]` tables, waivers
/// and reports), a phase, and an async `run` that returns a [`GateResult`]. It must not
/// print; it reports through findings and evidence. The runner catches panics and timeouts,
/// so a gate may simply return errors as [`Outcome::Error`].
///
/// ```
/// use relgate::{BoxFuture, Gate, GateContext, GateResult, Phase};
///
/// struct AlwaysPass;
/// impl Gate for AlwaysPass {
///     fn id(&self) -> &str { "always-pass" }
///     fn phase(&self) -> Phase { Phase::Preflight }
///     fn run<'a>(&'a self, _ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
///         Box::pin(async { GateResult::pass() })
///     }
/// }
/// ```
pub trait Gate: Send + Sync {
    /// The stable kebab-case id.
    fn id(&self) -> &str;
    /// The phase it belongs to.
    fn phase(&self) -> Phase;
    /// Runs the check.
    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult>;
}

impl fmt::Debug for dyn Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gate({} in {})", self.id(), self.phase())
    }
}

/// A gate of the gate table ([`STANDARD_GATES`](crate::gates::STANDARD_GATES)) whose check is
/// async. Its id is `ID`; its phase, codes and default order come from the table row naming
/// that id, and it is a [`Gate`] through that row (a type whose `ID` has no row does not
/// build). Gates outside the table implement [`Gate`] directly.
pub trait StandardGate: Send + Sync + 'static {
    /// The stable kebab-case id, the key of the gate's table row.
    const ID: &'static str;
    /// Runs the check.
    fn check<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult>;
}

/// A gate of the gate table whose check is blocking work (files, git, signatures): it runs
/// on the blocking thread pool with its own copy of the context, and a check that dies there
/// (a panic) ends the gate with an error. Like [`StandardGate`], its phase comes from the
/// table.
pub trait BlockingGate: Clone + Send + Sync + 'static {
    /// The stable kebab-case id, the key of the gate's table row.
    const ID: &'static str;
    /// Runs the check, blocking.
    fn run_blocking(&self, ctx: &GateContext) -> GateResult;
}

impl<T: BlockingGate> StandardGate for T {
    const ID: &'static str = <T as BlockingGate>::ID;

    fn check<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        let gate = self.clone();
        let ctx = ctx.clone();
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || gate.run_blocking(&ctx)).await {
                Ok(r) => r,
                Err(e) => GateResult::error(format!(
                    "the {} check did not finish: {e}",
                    <T as BlockingGate>::ID
                )),
            }
        })
    }
}
