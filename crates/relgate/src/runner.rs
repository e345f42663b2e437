//! The DAG runner: concurrent, bounded, timed, panic-proof, cancellable, fail closed.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};

use crate::endpoints::Endpoints;
use crate::event::Event;
use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult, Outcome};
use crate::phase::GateStatus;
use crate::phase::Phase;
use crate::plan::Plan;
use crate::report::model::{GateReport, Report, ReportedFinding, Timings};
use crate::waiver::{self, Waiver};

/// How a plan is run.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Gates running at the same time, at most (at least 1).
    pub concurrency: usize,
    /// Timeout of a gate whose options set none.
    pub default_timeout: Duration,
    /// The phases to run; empty means all. Gates of other phases are left out, and `after`
    /// edges to them count as satisfied (they ran in an earlier job).
    pub phases: Vec<Phase>,
    /// Base URLs of the policy's registries (never in the policy itself).
    pub endpoints: Endpoints,
    /// Registry requests and downloads in flight at once, across every file and registry
    /// of a gate (at least 1).
    pub registry_concurrency: usize,
    /// Where registry gates download to (each in its own temporary folder, removed after);
    /// the system temporary folder when `None`.
    pub scratch_dir: Option<std::path::PathBuf>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 8,
            default_timeout: Duration::from_secs(300),
            phases: Vec::new(),
            endpoints: Endpoints::new(),
            registry_concurrency: 8,
            scratch_dir: None,
        }
    }
}

impl RunOptions {
    relkit_finding::setters! {
        /// Sets the concurrency bound.
        concurrency(n: usize) => concurrency = n;
        /// Sets the default timeout.
        default_timeout(t: Duration) => default_timeout = t;
        /// Uses these registry endpoints.
        endpoints(endpoints: Endpoints) => endpoints = endpoints;
        /// Sets how many registry requests and downloads a gate keeps in flight at once.
        registry_concurrency(n: usize) => registry_concurrency = n;
        /// Downloads into temporary folders under `dir` instead of the system temporary folder.
        scratch_dir(dir: impl Into<std::path::PathBuf>) => scratch_dir = Some(dir.into());
        /// Restricts the run to these phases.
        phases(phases: impl IntoIterator<Item = Phase>) => phases = phases.into_iter().collect();
    }
}

/// Aborts the wrapped task when dropped, so dropping the run aborts gates too.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Finished gates: their reports, how many remain per phase, which block per phase.
struct Board {
    reports: Vec<Option<GateReport>>,
    unfinished: BTreeMap<Phase, usize>,
    blocking: BTreeMap<Phase, Vec<String>>,
    ctx: Arc<GateContext>,
}

impl Board {
    fn set(&mut self, i: usize, report: GateReport) {
        if let Some(n) = self.unfinished.get_mut(&report.phase) {
            *n = n.saturating_sub(1);
        }
        if report.blocks() {
            self.blocking
                .entry(report.phase)
                .or_default()
                .push(report.id.clone());
        }
        self.ctx.publish_evidence(&report.id, &report.evidence);
        self.ctx.emit(&Event::GateFinished {
            gate: &report.id,
            status: report.status,
            duration_ms: report.duration_ms,
        });
        if let Some(slot) = self.reports.get_mut(i) {
            *slot = Some(report);
        }
    }
}

/// What one spawned gate task hands back.
struct Finished {
    index: usize,
    status: GateStatus,
    result: GateResult,
    started: Duration,
    duration: Duration,
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("(non-string panic payload)")
    }
}

/// Runs `plan` and decides.
///
/// Gates run as soon as every gate they run `after` (and every gate of earlier phases) has
/// finished and cleared; at most `options.concurrency` at once. A gate that errors, panics,
/// times out, is unknown or is skipped yields a blocking `gate-*` finding; its dependants
/// are skipped "because of" it. Waivers (with reasons) make findings non-blocking. A plan
/// that cannot be ordered yields a could-not-run report.
#[allow(
    clippy::indexing_slicing,
    reason = "indices are plan node positions: nodes, dependency lists and the board's reports hold one entry per node"
)]
pub async fn run_plan(
    plan: &Plan,
    ctx: GateContext,
    waivers: &[Waiver],
    options: &RunOptions,
) -> Report {
    let project = ctx.policy.project.name.clone();
    let order = match plan.order_indices() {
        Ok(o) => o,
        Err(e) => return Report::could_not_run(&project, e),
    };
    let selected = |p: Phase| options.phases.is_empty() || options.phases.contains(&p);
    let order: Vec<usize> = order
        .into_iter()
        .filter(|&i| selected(plan.nodes[i].phase))
        .collect();
    let in_run: BTreeSet<usize> = order.iter().copied().collect();
    let mut phases: Vec<Phase> = order.iter().map(|&i| plan.nodes[i].phase).collect();
    phases.dedup();

    let index: std::collections::HashMap<&str, usize> = plan
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let id_index = |id: &str| index.get(id).copied();
    let deps: Vec<Vec<usize>> = plan
        .nodes
        .iter()
        .map(|n| {
            n.options
                .after
                .iter()
                .filter_map(|a| id_index(a))
                .filter(|j| in_run.contains(j))
                .collect()
        })
        .collect();

    let ctx = Arc::new(ctx);
    let semaphore = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let run_start = Instant::now();
    let mut board = Board {
        reports: vec![None; plan.nodes.len()],
        unfinished: BTreeMap::new(),
        blocking: BTreeMap::new(),
        ctx: Arc::clone(&ctx),
    };
    for &i in &order {
        *board.unfinished.entry(plan.nodes[i].phase).or_insert(0) += 1;
    }
    let mut pending: Vec<usize> = order.clone();
    let mut started: BTreeSet<usize> = BTreeSet::new();
    let mut tasks: JoinSet<Finished> = JoinSet::new();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut cancelled = false;

    loop {
        if !cancelled && ctx.cancel.is_cancelled() {
            cancelled = true;
            tasks.abort_all();
        }
        // Start (or skip) everything whose predecessors are done.
        let mut progressed = true;
        while progressed && !cancelled {
            progressed = false;
            let mut still_pending = Vec::with_capacity(pending.len());
            for &i in &pending {
                let node = &plan.nodes[i];
                let earlier_done = board.unfinished.range(..node.phase).all(|(_, &n)| n == 0);
                if !earlier_done || deps[i].iter().any(|&j| board.reports[j].is_none()) {
                    still_pending.push(i);
                    continue;
                }
                started.insert(i);
                progressed = true;
                let blockers: Vec<String> = deps[i]
                    .iter()
                    .filter_map(|&j| board.reports[j].as_ref())
                    .filter(|r| r.blocks())
                    .map(|r| r.id.clone())
                    .chain(
                        board
                            .blocking
                            .range(..node.phase)
                            .flat_map(|(_, ids)| ids.iter().cloned()),
                    )
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if !blockers.is_empty() {
                    let reason = format!("skipped because of {}", blockers.join(", "));
                    let mut r = finish(
                        &node.id,
                        node.phase,
                        GateStatus::Skipped,
                        GateResult::skipped(reason),
                        Duration::ZERO,
                        Duration::ZERO,
                        waivers,
                    );
                    r.caused_by = blockers;
                    board.set(i, r);
                    continue;
                }
                let Some(gate) = node.gate.clone() else {
                    board.set(
                        i,
                        finish(
                            &node.id,
                            node.phase,
                            GateStatus::Unknown,
                            GateResult::error(format!(
                                "the policy requires gate {:?} but no implementation provides it",
                                node.id
                            )),
                            Duration::ZERO,
                            Duration::ZERO,
                            waivers,
                        ),
                    );
                    continue;
                };
                let timeout = node.options.timeout.unwrap_or(options.default_timeout);
                let ctx = Arc::clone(&ctx);
                let semaphore = Arc::clone(&semaphore);
                let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
                tasks.spawn(async move {
                    // The semaphore is never closed, so acquiring only fails if it were.
                    let _permit = semaphore.acquire_owned().await;
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    let began = Instant::now();
                    let started = began.duration_since(run_start);
                    ctx.emit(&Event::GateStarted {
                        gate: gate.id(),
                        phase: gate.phase(),
                    });
                    let mut inner = AbortOnDrop(tokio::spawn(async move { gate.run(&ctx).await }));
                    let (status, result) = match tokio::time::timeout(timeout, &mut inner.0).await {
                        Err(_) => (
                            GateStatus::Timeout,
                            GateResult::error(format!(
                                "did not finish within {} ms",
                                timeout.as_millis()
                            )),
                        ),
                        Ok(guard) => match guard {
                            Ok(result) => (status_of(&result.outcome), result),
                            Err(join) if join.is_panic() => (
                                GateStatus::Error,
                                GateResult::error(format!(
                                    "the gate panicked: {}",
                                    panic_message(join.into_panic())
                                )),
                            ),
                            Err(_) => (
                                GateStatus::Error,
                                GateResult::error("the gate task was aborted"),
                            ),
                        },
                    };
                    running.fetch_sub(1, Ordering::SeqCst);
                    Finished {
                        index: i,
                        status,
                        result,
                        started,
                        duration: began.elapsed(),
                    }
                });
            }
            pending = still_pending;
        }
        if tasks.is_empty() {
            break;
        }
        tokio::select! {
            joined = tasks.join_next() => {
                // The wrapper task itself never panics; if it was lost anyway, the gate
                // stays without a report and is marked below (fail closed).
                if let Some(Ok(f)) = joined {
                    let node = &plan.nodes[f.index];
                    board.set(
                        f.index,
                        finish(&node.id, node.phase, f.status, f.result, f.started, f.duration, waivers),
                    );
                }
            }
            () = ctx.cancel.cancelled(), if !cancelled => {
                cancelled = true;
                tasks.abort_all();
            }
        }
        // A lost wrapper task leaves its gate unreported; catch it once nothing runs.
        if tasks.is_empty() && !cancelled {
            for &i in &order {
                if started.contains(&i) && board.reports[i].is_none() {
                    let node = &plan.nodes[i];
                    board.set(
                        i,
                        finish(
                            &node.id,
                            node.phase,
                            GateStatus::Error,
                            GateResult::error("the gate task was lost"),
                            Duration::ZERO,
                            Duration::ZERO,
                            waivers,
                        ),
                    );
                }
            }
        }
    }

    // Cancelled: running gates become errors, unstarted ones skips.
    for &i in &order {
        if board.reports[i].is_none() {
            let node = &plan.nodes[i];
            let (status, result) = if started.contains(&i) {
                (
                    GateStatus::Error,
                    GateResult::error("cancelled while running"),
                )
            } else {
                (GateStatus::Skipped, GateResult::skipped("cancelled"))
            };
            board.set(
                i,
                finish(
                    &node.id,
                    node.phase,
                    status,
                    result,
                    Duration::ZERO,
                    Duration::ZERO,
                    waivers,
                ),
            );
        }
    }

    let gates: Vec<GateReport> = order
        .iter()
        .filter_map(|&i| board.reports[i].take())
        .collect();
    let timings = Timings {
        wall_ms: millis(run_start.elapsed()),
        serial_ms: gates.iter().map(|g| g.duration_ms).sum(),
        max_parallel: peak.load(Ordering::SeqCst),
    };
    let mut report = Report::decide(&project, phases, gates, timings);
    report.tag = ctx.tag.clone();
    report.commit = ctx.commit.clone();
    report
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn status_of(outcome: &Outcome) -> GateStatus {
    match outcome {
        Outcome::Pass => GateStatus::Pass,
        Outcome::Fail { .. } => GateStatus::Fail,
        Outcome::Skipped { .. } => GateStatus::Skipped,
        Outcome::Error { .. } => GateStatus::Error,
    }
}

/// Turns a gate's result into its report: findings for every non-pass, waivers applied.
fn finish(
    id: &str,
    phase: Phase,
    status: GateStatus,
    result: GateResult,
    started: Duration,
    duration: Duration,
    waivers: &[Waiver],
) -> GateReport {
    let (findings, detail) = match (status, result.outcome) {
        (GateStatus::Pass, _) => (Vec::new(), None),
        (_, Outcome::Fail { findings }) if !findings.is_empty() => (findings, None),
        (_, Outcome::Fail { .. }) => (
            vec![
                Finding::new(Code::GateError, id)
                    .found("the gate failed without saying why")
                    .hint("a gate must name what it found; this is a bug in the gate"),
            ],
            None,
        ),
        (s @ (GateStatus::Timeout | GateStatus::Unknown), Outcome::Error { cause }) => {
            let (code, hint) = if s == GateStatus::Timeout {
                (
                    Code::GateTimeout,
                    "raise the gate's timeout in the policy, or find what hangs",
                )
            } else {
                (
                    Code::GateUnknown,
                    "check the gate id for typos, or register the gate's implementation",
                )
            };
            let finding = Finding::new(code, id).found(cause.clone()).hint(hint);
            (vec![finding], Some(cause))
        }
        (_, Outcome::Skipped { reason }) => (
            vec![Finding::new(Code::GateSkipped, id).found(reason.clone())],
            Some(reason),
        ),
        (_, Outcome::Error { cause }) => (
            vec![Finding::new(Code::GateError, id).found(cause.clone())],
            Some(cause),
        ),
        (_, Outcome::Pass) => (Vec::new(), None),
    };
    let mut notes = result.notes;
    // A "failure" whose findings are all non-blocking (warnings, notes) is a pass with notes.
    let (status, findings) =
        if status == GateStatus::Fail && !findings.iter().any(|f| f.severity.blocks()) {
            notes.extend(findings);
            (GateStatus::Pass, Vec::new())
        } else {
            (status, findings)
        };
    let findings = findings
        .into_iter()
        .map(|finding| ReportedFinding {
            waived: waiver::find(waivers, id, &finding).map(Waiver::shown),
            finding,
        })
        .collect();
    GateReport {
        id: id.to_owned(),
        phase,
        status,
        detail,
        caused_by: Vec::new(),
        findings,
        notes,
        evidence: result.evidence,
        read: result.read,
        started_ms: millis(started),
        duration_ms: millis(duration),
    }
}
