//! The embeddable entry point: a policy and a context in, a report out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cancel::CancelToken;
use crate::event::Observer;
use crate::finding::{Code, Finding};
use crate::gate::{BoxFuture, Gate, GateContext, GateResult};
use crate::gates::builtin::table_gate;
use crate::gates::catalog::{PolicySection, gates_reading, standard_gate};
use crate::gates::ci::ci_green::CiProvider;
use crate::gates::command::policy_command::CommandGate;
use crate::ledger::{AllowedFile, FILES_COVERED, Ledger};
use crate::phase::GateStatus;
use crate::phase::Phase;
use crate::plan::{
    Explanation, GateOptions, ImpliedFile, MAX_LISTED_FILES, Plan, PlanReason, PlannedGate,
    PlannedStep,
};
use crate::policy::model::{GateRule, Policy};
use crate::report::inputs::{Given, RunInputs, now_rfc3339, sha256_hex};
use crate::report::model::{GateReport, Report, ReportedFinding, RunStatus};
use crate::runner::{RunOptions, run_plan};
use crate::waiver::{Waiver, today_utc};

/// Everything a run needs besides the policy: the release folder, the tag and commit, run
/// options, a cancellation token, gate implementations and evidence providers.
#[non_exhaustive]
#[derive(Clone)]
pub struct RunContext {
    /// The folder holding the release assets.
    pub release_dir: PathBuf,
    /// The tag under release.
    pub tag: Option<String>,
    /// The commit under release.
    pub commit: Option<String>,
    /// The source tree, overriding the policy's `[versions]` `tree`/`git`.
    pub source_dir: Option<PathBuf>,
    /// How to run.
    pub options: RunOptions,
    /// Cancels the run.
    pub cancel: CancelToken,
    /// The registries configuration file the endpoints came from, and its bytes' sha256.
    registries_file: Option<(PathBuf, String)>,
    gates: Vec<Arc<dyn Gate>>,
    ci: Option<Arc<dyn CiProvider>>,
    observer: Option<Observer>,
}

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("release_dir", &self.release_dir)
            .field("tag", &self.tag)
            .field("commit", &self.commit)
            .field("options", &self.options)
            .field("registries_file", &self.registries_file)
            .field(
                "gates",
                &self.gates.iter().map(|g| g.id()).collect::<Vec<_>>(),
            )
            .field("ci", &self.ci.is_some())
            .finish()
    }
}

impl RunContext {
    /// A context over `release_dir` with default options.
    pub fn new(release_dir: impl Into<PathBuf>) -> Self {
        RunContext {
            release_dir: release_dir.into(),
            tag: None,
            commit: None,
            source_dir: None,
            options: RunOptions::default(),
            cancel: CancelToken::new(),
            registries_file: None,
            gates: Vec::new(),
            ci: None,
            observer: None,
        }
    }

    relkit_finding::setters! {
        /// Sets the tag.
        tag(tag: impl Into<String>) => tag = Some(tag.into());
        /// Sets the commit.
        commit(commit: impl Into<String>) => commit = Some(commit.into());
        /// Reads version files and the changelog from this folder (a git work tree or a plain
        /// folder) instead of the policy's `[versions]` `tree`/`git`.
        source_dir(dir: impl Into<PathBuf>) => source_dir = Some(dir.into());
    }

    /// Records the registries configuration file the endpoints were read from: `path` as
    /// given and `bytes`, the very bytes parsed into [`RunOptions::endpoints`]. The report's
    /// `inputs.registries` names it by path and sha256; without it the report says that no
    /// registries file was used.
    pub fn registries_file(mut self, path: impl Into<PathBuf>, bytes: &[u8]) -> Self {
        self.registries_file = Some((path.into(), sha256_hex(bytes)));
        self
    }

    relkit_finding::setters! {
        /// Sets the run options.
        options(options: RunOptions) => options = options;
        /// Uses this cancellation token.
        cancel_token(token: CancelToken) => cancel = token;
    }

    /// Provides a gate implementation. It runs when the policy requires its id; it replaces
    /// a built-in gate of the same id.
    pub fn gate(mut self, gate: Arc<dyn Gate>) -> Self {
        self.gates.push(gate);
        self
    }

    /// Sends run events (gate started/finished, progress) to `observer`, for example to
    /// draw progress bars. The library itself never prints.
    pub fn on_event(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// What the report's inputs record of this context.
    fn given(&self) -> Given {
        Given {
            tag: self.tag.clone(),
            commit: self.commit.clone(),
            source_dir: self.source_dir.clone(),
            endpoints: self.options.endpoints.names().map(str::to_owned).collect(),
            registries_file: self.registries_file.clone(),
        }
    }

    /// Provides the CI evidence source for the `ci-green` gate.
    pub fn ci_provider(mut self, provider: Arc<dyn CiProvider>) -> Self {
        self.ci = Some(provider);
        self
    }
}

/// A required gate that is known but cannot run here (its evidence source is missing).
struct Unavailable {
    id: String,
    phase: Phase,
    cause: String,
}

impl Gate for Unavailable {
    fn id(&self) -> &str {
        &self.id
    }
    fn phase(&self) -> Phase {
        self.phase
    }
    fn run<'a>(&'a self, _ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move { GateResult::error(self.cause.clone()) })
    }
}

/// Builds the plan a policy requires: every required gate, its implementation from the
/// context, else the policy's command, else the built-in one, else unknown (fail closed).
/// A gate of the table also runs after the gates its row names, when the policy requires
/// them too and does not order them the other way round.
pub fn plan_for(policy: &Policy, context: &RunContext) -> Plan {
    plan_with(policy, context, &BTreeMap::new()).0
}

/// The plan of a run, why each gate is in it, and the release folder as walked (when the run
/// judges it): one planner for [`run`] and [`explain`].
pub(crate) struct Planned {
    plan: Plan,
    gates: Vec<PlannedGate>,
    walked: Option<Result<Ledger, artidigest::FolderError>>,
}

/// Plans a run of `policy`: the gates the policy requires, plus those the release folder's
/// files imply when the run judges the folder (its prepublish phase runs a standard gate; a
/// project's own command gates run in its source tree and judge no folder).
pub(crate) fn planned(policy: &Policy, context: &RunContext) -> Planned {
    let phases = &context.options.phases;
    let checks_files = (phases.is_empty() || phases.contains(&Phase::Prepublish))
        && policy
            .required_gates()
            .iter()
            .any(|(id, _)| standard_gate(id).is_some_and(|g| g.phase == Phase::Prepublish));
    let walked = checks_files.then(|| Ledger::walk(&context.release_dir));
    let mut by_files: BTreeMap<&'static str, Vec<ImpliedFile>> = BTreeMap::new();
    if let Some(Ok(l)) = &walked {
        for (path, kind) in l.files_to_check(&allowed_files(policy)) {
            for id in gates_reading(kind) {
                by_files
                    .entry(id)
                    .or_default()
                    .push(ImpliedFile::new(path, kind));
            }
        }
    }
    let (plan, gates) = plan_with(policy, context, &by_files);
    Planned {
        plan,
        gates,
        walked,
    }
}

/// What a run of `policy` in `context` would do, without running anything: the planned
/// gates in run order, each with what implied it (the policy naming it, a policy section,
/// files of the release folder, the built-in default for a plain folder), and the steps
/// settled after them. Walks the release folder (reads file heads to recognise kinds).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("app.zip"), b"PK\x05\x06")?;
/// let policy = relgate::Policy::from_toml_str(
///     "schema-version = 1\n[project]\nname = \"demo\"\n[release]\nrequired-assets = [\"*.zip\"]\n",
///     "release.toml",
/// )?;
/// let plan = relgate::explain(&policy, &relgate::RunContext::new(dir.path()));
/// let ids: Vec<&str> = plan.gates.iter().map(|g| g.id.as_str()).collect();
/// assert_eq!(ids, ["required-assets-present", "archive-safety"]);
/// assert!(plan.render_terminal().contains("files: app.zip (zip)"));
/// # Ok(())
/// # }
/// ```
pub fn explain(policy: &Policy, context: &RunContext) -> Explanation {
    let Planned {
        plan,
        mut gates,
        walked,
    } = planned(policy, context);
    let error = match plan.order() {
        Ok(order) => {
            gates.sort_by_key(|g| order.iter().position(|o| *o == g.id));
            None
        }
        Err(e) => Some(e.to_string()),
    };
    let mut steps = Vec::new();
    let today = today_utc();
    if policy.waivers.iter().any(|w| w.expired_on(&today)) {
        steps.push(PlannedStep {
            id: WAIVERS_CURRENT.to_owned(),
            phase: Phase::Preflight,
            reason: String::from("a waiver of the policy is past its expiry date: it blocks"),
        });
    }
    match &walked {
        Some(Ok(l)) => steps.push(PlannedStep {
            id: FILES_COVERED.to_owned(),
            phase: Phase::Prepublish,
            reason: format!(
                "every one of the {} nodes of the release folder must be covered by a passing check, or allowed with a reason",
                l.entries.len()
            ),
        }),
        Some(Err(e)) => steps.push(PlannedStep {
            id: FILES_COVERED.to_owned(),
            phase: Phase::Prepublish,
            reason: format!("the release folder cannot be walked ({e}): the step blocks"),
        }),
        None => {}
    }
    Explanation {
        project: policy.project.name.clone(),
        gates,
        steps,
        error,
        notices: policy.notices(),
    }
}

/// How the policy itself puts `id` in the plan: named under `[gates]`, implied by sections,
/// or the built-in default for a plain folder.
fn policy_reasons(policy: &Policy, id: &str) -> Vec<PlanReason> {
    let mut reasons = Vec::new();
    if policy.gates.contains_key(id) {
        reasons.push(PlanReason::Policy);
    }
    if let Some(section) = standard_gate(id).and_then(|g| g.implied_by)
        && policy.has(section)
    {
        reasons.push(PlanReason::Section {
            section: section_name(section).to_owned(),
        });
    }
    if policy.plain_folder && !reasons.is_empty() {
        return vec![PlanReason::PlainFolderDefault];
    }
    reasons
}

/// A policy section as written in the file.
fn section_name(section: PolicySection) -> &'static str {
    match section {
        PolicySection::Tag => "[tag]",
        PolicySection::Versions => "[versions]",
        PolicySection::TagCoupled => "[tag] coupled",
        PolicySection::Ci => "[ci]",
        PolicySection::RequiredAssets => "[release] required-assets",
        PolicySection::Checksums => "[checksums]",
        PolicySection::SigningArtifacts => "[signing] with [[artifacts]]",
        PolicySection::Provenance => "[provenance]",
        PolicySection::Registries => "[registries]",
        PolicySection::Rebuild => "[rebuild]",
        PolicySection::ReleaseNotes => "[release-notes]",
        PolicySection::Environments => "[environments] or [release] immutable-releases",
        PolicySection::RegistryPublisher => "[registries.<name>] publisher",
        PolicySection::Sbom => "[sbom]",
        PolicySection::WorkflowHygiene => "[workflow-hygiene]",
        PolicySection::Docs => "[docs]",
        PolicySection::VcsBinding => "[vcs-binding]",
    }
}

/// [`plan_for`], plus the gates the release folder's files imply (`files`: from the ledger,
/// by gate), each with the policy's placement when it names the gate, else the table's; and
/// each planned gate with its reasons.
fn plan_with(
    policy: &Policy,
    context: &RunContext,
    files: &BTreeMap<&'static str, Vec<ImpliedFile>>,
) -> (Plan, Vec<PlannedGate>) {
    let mut plan = Plan::new();
    let mut planned = Vec::new();
    let mut required = policy.required_gates();
    for id in files.keys() {
        if !required.iter().any(|(r, _)| r == id) {
            required.push(((*id).to_owned(), GateRule::default()));
        }
    }
    for (id, rule) in &required {
        let mut after = rule.after.clone();
        for first in standard_gate(id).map_or(&[][..], |g| g.after) {
            let reversed =
                |(other, r): &(String, GateRule)| other == first && r.after.iter().any(|a| a == id);
            if required.iter().any(|(other, _)| other == first)
                && !required.iter().any(reversed)
                && !after.iter().any(|a| a == first)
            {
                after.push((*first).to_owned());
            }
        }
        let mut options = GateOptions::after(after.clone());
        if let Some(t) = rule.timeout_secs {
            options = options.timeout(Duration::from_secs(t));
        }
        // A gate the caller registers wins; then a `[gates.X] command` from the policy.
        let (provided, mut implementation) =
            match context.gates.iter().find(|g| g.id() == id).cloned() {
                Some(g) => (Some(g), "caller"),
                None => (
                    CommandGate::from_rule(id, rule).map(|g| Arc::new(g) as Arc<dyn Gate>),
                    "policy command",
                ),
            };
        let gate = provided.or_else(|| {
            implementation = "built-in";
            table_gate(id, context.ci.as_ref()).map(|built| {
                built.unwrap_or_else(|cause| {
                    implementation = "unavailable";
                    Arc::new(Unavailable {
                        id: id.clone(),
                        phase: standard_gate(id).map_or(Phase::Preflight, |g| g.phase),
                        cause: cause.to_owned(),
                    })
                })
            })
        });
        let phase = match gate {
            Some(g) => {
                let phase = g.phase();
                plan.add(g, options);
                phase
            }
            None => {
                implementation = "unknown";
                let phase = rule
                    .phase
                    .or_else(|| standard_gate(id).map(|g| g.phase))
                    .unwrap_or(Phase::Preflight);
                plan.add_unknown(id, phase, options);
                phase
            }
        };
        let mut reasons = policy_reasons(policy, id);
        if let Some(list) = files.get(id.as_str()) {
            reasons.push(PlanReason::Files {
                files: list.iter().take(MAX_LISTED_FILES).cloned().collect(),
                total: list.len(),
            });
        }
        planned.push(PlannedGate {
            id: id.clone(),
            phase,
            after,
            implementation: implementation.to_owned(),
            reasons,
        });
    }
    (plan, planned)
}

/// Runs every gate `policy` requires and returns the decision with the full report.
///
/// The report's `inputs` record what produced it: the policy, registries configuration and
/// trust root by path and sha256, the tag and the commit it points at, relgate's version, and
/// the start and end times. Nothing is printed. The run is fail closed: errors, timeouts, panics, unknown and
/// skipped gates block unless waived with a reason. Cancel through
/// [`RunContext::cancel`], or drop the future: every gate task is aborted either way.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("notes.txt"), b"release notes")?;
/// let policy = relgate::Policy::from_toml_str(
///     "[project]\nname = \"demo\"\n[release]\nrequired-assets = [\"*.txt\", \"*.tar.gz\"]\n",
///     "release.toml",
/// )?;
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// let report = rt.block_on(relgate::run(&policy, relgate::RunContext::new(dir.path())));
/// assert_eq!(report.exit_code(), 1);
/// assert_eq!(report.root_cause_codes(), [relgate::Code::AssetMissing]);
/// assert_eq!(report.decision.action, relgate::Action::DoNotPublish);
/// # Ok(())
/// # }
/// ```
pub async fn run(policy: &Policy, context: RunContext) -> Report {
    let started = now_rfc3339();
    // Hashing the trust root and asking git for the tag's commit block: off the async threads,
    // while the gates run.
    let collecting = {
        let (policy, given) = (policy.clone(), context.given());
        tokio::task::spawn_blocking(move || RunInputs::collect(&policy, &given))
    };
    let mut report = run_gates(policy, context).await;
    let mut inputs = match collecting.await {
        Ok(inputs) => inputs,
        // The collection panicked or was cancelled: say so rather than guess.
        Err(e) => RunInputs::unknown(&format!("not recorded: collecting the inputs failed: {e}")),
    };
    inputs.started = started;
    inputs.finished = now_rfc3339();
    report.inputs = inputs;
    report
}

/// [`run`] without the inputs: plans, runs the gates and settles the ledger.
async fn run_gates(policy: &Policy, context: RunContext) -> Report {
    // The release folder is walked once, before anything runs, when the run judges it: what
    // it holds implies gates, and every file must end up covered.
    let Planned { plan, walked, .. } = planned(policy, &context);
    let notices = policy.notices();
    let mut ctx = GateContext::new(Arc::new(policy.clone()), context.release_dir.clone());
    ctx.tag = context.tag.clone();
    ctx.commit = context.commit.clone();
    ctx.source_dir = context.source_dir.clone();
    ctx.cancel = context.cancel.clone();
    ctx.endpoints = context.options.endpoints.clone();
    ctx.registry_concurrency = context.options.registry_concurrency.max(1);
    ctx.scratch_dir = context.options.scratch_dir.clone();
    if let Some(o) = &context.observer {
        ctx = ctx.with_observer(Arc::clone(o));
    }
    // A waiver past its expiry date covers nothing, and blocks until renewed or removed.
    let today = today_utc();
    let (active, expired): (Vec<Waiver>, Vec<Waiver>) = policy
        .waivers
        .iter()
        .cloned()
        .partition(|w| !w.expired_on(&today));
    let mut effective = policy.clone();
    effective.waivers = active;
    let policy = &effective;
    let mut report = run_plan(&plan, ctx, &policy.waivers, &context.options).await;
    report.notices = notices;
    if report.decision.status == RunStatus::CouldNotRun {
        return report;
    }
    report.waivers = policy.waivers.clone();
    if !expired.is_empty() {
        let findings: Vec<Finding> = expired
            .iter()
            .map(|w| {
                let mut what = match (&w.gate, w.code) {
                    (Some(g), Some(c)) => format!("{c} from {g}"),
                    (Some(g), None) => format!("gate {g}"),
                    (None, Some(c)) => format!("code {c}"),
                    (None, None) => String::from("nothing"),
                };
                if let Some(f) = &w.file {
                    what = format!("{what} for file {f}");
                }
                Finding::new(Code::WaiverExpired, format!("waiver of {what}"))
                    .expected(format!(
                        "a waiver that still holds (it expired after {})",
                        w.expires.as_deref().unwrap_or("?")
                    ))
                    .found(format!(
                        "expired on {today}: {}{}",
                        w.reason,
                        w.reference
                            .as_deref()
                            .map_or_else(String::new, |r| format!(" ({r})"))
                    ))
                    .hint("fix what it waived, or renew the waiver with a new date and a reason")
            })
            .collect();
        let mut step = coverage_report(policy, &report, findings, BTreeMap::new());
        step.id = WAIVERS_CURRENT.to_owned();
        step.phase = Phase::Preflight;
        step.caused_by = Vec::new();
        report = report.with_step(step);
    }
    match walked {
        Some(Ok(ledger)) => settle_ledger(policy, report, ledger),
        // A folder that cannot be walked covers nothing: the step fails and says why.
        Some(Err(e)) => {
            let finding = Finding::new(
                Code::FileUnchecked,
                context.release_dir.display().to_string(),
            )
            .expected("a release folder relkit can walk")
            .found(e.to_string());
            let coverage = coverage_report(policy, &report, vec![finding], BTreeMap::new());
            report.with_ledger(Ledger::default(), coverage)
        }
        None => report,
    }
}

/// Records which gate read which file, settles every node's coverage, and adds the
/// `files-covered` step (prepublish) with one finding per uncovered node.
fn settle_ledger(policy: &Policy, report: Report, mut ledger: Ledger) -> Report {
    for g in &report.gates {
        let passed = g.status == GateStatus::Pass || g.waived();
        ledger.record(&g.id, passed, g.read.iter().map(String::as_str));
    }
    let findings = ledger.settle(gates_reading, &allowed_files(policy));
    let (covered, allowed_n, blocking) = ledger.counts();
    let mut evidence = BTreeMap::new();
    evidence.insert(
        String::from("files"),
        crate::json::Json::of(
            &serde_json::json!({ "covered": covered, "allowed": allowed_n, "blocking": blocking }),
        ),
    );
    let coverage = coverage_report(policy, &report, findings, evidence);
    report.with_ledger(ledger, coverage)
}

/// The policy's `[[files.allow]]` rules, for the ledger.
fn allowed_files(policy: &Policy) -> Vec<AllowedFile> {
    policy
        .files
        .allow
        .iter()
        .map(|a| AllowedFile::new(a.glob.clone(), a.reason.clone()))
        .collect()
}

/// Loads the policy at `path` and runs it; a policy that cannot be loaded gives a
/// could-not-run report (exit code 2) naming the file, line and key.
pub async fn run_file(path: &std::path::Path, context: RunContext) -> Report {
    match Policy::load(path) {
        Ok(policy) => run(&policy, context).await,
        Err(e) => {
            let started = now_rfc3339();
            let name = path.display().to_string();
            let mut report = Report::could_not_run(&name, e);
            report.inputs = RunInputs::unloadable_policy(path);
            report.inputs.started = started;
            report.inputs.finished = now_rfc3339();
            report
        }
    }
}

/// [`run`] on a fresh single-threaded runtime, for callers without an async runtime (command
/// line tools, build scripts). Must not be called from inside a runtime. A runtime that cannot
/// be built gives a could-not-run report.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let policy = relgate::Policy::from_toml_str(
///     "[project]\nname = \"demo\"\n[release]\nrequired-assets = [\"*.whl\"]\n",
///     "release.toml",
/// )?;
/// let report = relgate::run_blocking(&policy, relgate::RunContext::new(dir.path()));
/// assert_eq!(report.root_cause_codes(), [relgate::Code::AssetMissing]);
/// # Ok(())
/// # }
/// ```
pub fn run_blocking(policy: &Policy, context: RunContext) -> Report {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => {
            let report = rt.block_on(run(policy, context));
            // Blocking registry requests of a cancelled or timed-out gate end at their own
            // deadline; the caller does not wait for them.
            rt.shutdown_background();
            report
        }
        Err(e) => {
            let started = now_rfc3339();
            let mut report = Report::could_not_run(
                &policy.project.name,
                format!("cannot start the async runtime: {e}"),
            );
            report.inputs = RunInputs::collect(policy, &context.given());
            report.inputs.started = started;
            report.inputs.finished = now_rfc3339();
            report
        }
    }
}

/// The id under which expired waivers are reported (phase preflight).
pub(crate) const WAIVERS_CURRENT: &str = "waivers-current";

/// The `files-covered` step's report: failing when any finding blocks (waivers applied).
fn coverage_report(
    policy: &Policy,
    report: &Report,
    findings: Vec<Finding>,
    evidence: crate::gate::Evidence,
) -> GateReport {
    let findings: Vec<ReportedFinding> = findings
        .into_iter()
        .map(|finding| ReportedFinding {
            waived: crate::waiver::find(&policy.waivers, FILES_COVERED, &finding)
                .map(Waiver::shown),
            finding,
        })
        .collect();
    let status = if findings.is_empty() {
        GateStatus::Pass
    } else {
        GateStatus::Fail
    };
    // When a gate already blocks, files it did not get to read are its consequence: the
    // step still blocks, but names the root causes instead of being one.
    let caused_by: Vec<String> = if findings.is_empty() {
        Vec::new()
    } else {
        report
            .gates
            .iter()
            .filter(|g| g.blocks() && g.caused_by.is_empty())
            .map(|g| g.id.clone())
            .collect()
    };
    GateReport {
        id: FILES_COVERED.to_owned(),
        phase: Phase::Prepublish,
        status,
        detail: None,
        caused_by,
        findings,
        notes: Vec::new(),
        evidence,
        read: Vec::new(),
        started_ms: report.timings.wall_ms,
        duration_ms: 0,
    }
}
