//! The structured result of a run: per-gate reports, the decision, timings.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::finding::{Code, Finding};
use crate::ledger::Ledger;
use crate::phase::{GateStatus, Phase};
use crate::report::inputs::RunInputs;
use crate::waiver::Waiver;

/// The JSON schema id of [`Report`]; bumped on any incompatible change (`/2`: the run's
/// `inputs`; the coverage `ledger` and the `waivers` in force, added since `/1`).
pub const REPORT_SCHEMA: &str = "relgate-report/2";

/// A finding as reported: with the waiver reason when the policy waived it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportedFinding {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The waiver's reason, when waived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived: Option<String>,
}

impl ReportedFinding {
    /// Whether this finding blocks the release: it blocks by severity and is not waived.
    pub fn blocks(&self) -> bool {
        self.finding.severity.blocks() && self.waived.is_none()
    }
}

/// One gate's part of a report.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GateReport {
    /// The gate id.
    pub id: String,
    /// Its phase.
    pub phase: Phase,
    /// How it ended.
    pub status: GateStatus,
    /// The skip reason or error cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Gates whose failure made this one skip (empty unless skipped because of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caused_by: Vec<String>,
    /// Findings (for a fail; one synthetic `gate-*` finding for error, timeout, unknown, skip).
    pub findings: Vec<ReportedFinding>,
    /// Non-blocking notes the gate left while passing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Finding>,
    /// Evidence the gate looked at.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: crate::gate::Evidence,
    /// The release-folder files whose bytes the gate read (shown per file in the ledger).
    #[serde(skip)]
    pub read: Vec<String>,
    /// Milliseconds from run start to gate start.
    pub started_ms: u64,
    /// Milliseconds the gate ran.
    pub duration_ms: u64,
}

impl GateReport {
    /// Whether this gate blocks the release (some finding blocks and is not waived).
    pub fn blocks(&self) -> bool {
        self.findings.iter().any(ReportedFinding::blocks)
    }

    /// Whether this gate lets its dependants run: it passed, or everything it found is waived.
    pub fn clears(&self) -> bool {
        !self.blocks()
    }

    /// Whether every finding is waived and there is at least one (a waived non-pass).
    pub fn waived(&self) -> bool {
        !self.findings.is_empty() && self.findings.iter().all(|f| f.waived.is_some())
    }
}

/// The overall result of a run.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Every gate passed or was waived: the next release action is allowed. Exit code 0.
    Allowed,
    /// Some gate blocks the release. Exit code 1.
    Blocked,
    /// The run could not be carried out (invalid policy, cyclic plan). Exit code 2.
    CouldNotRun,
}

impl RunStatus {
    /// The process exit code: 0 allowed, 1 blocked, 2 could not run.
    pub fn exit_code(self) -> i32 {
        match self {
            RunStatus::Allowed => 0,
            RunStatus::Blocked => 1,
            RunStatus::CouldNotRun => 2,
        }
    }
}

relkit_finding::names! {
    RunStatus,
    /// The kebab-case name.
    fn as_str {
        Allowed => "allowed",
        Blocked => "blocked",
        CouldNotRun => "could-not-run",
    }
}

/// The release action a decision allows.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Preflight passed: create and push the tag.
    CreateTag,
    /// Prepublish passed: publish to the registries (the release stays a draft).
    Publish,
    /// Postpublish passed: un-draft the release.
    Undraft,
    /// Consume checks passed: announce; consumers can verify the release.
    Announce,
    /// Preflight blocked: do not tag.
    DoNotTag,
    /// Prepublish blocked: do not publish (mint no token).
    DoNotPublish,
    /// Postpublish blocked: keep the release a draft.
    KeepDraft,
    /// Consume checks blocked: keep the release a draft and do not announce.
    DoNotAnnounce,
    /// The checks could not run: change nothing.
    ChangeNothing,
}

impl Action {
    /// A sentence for people.
    pub fn sentence(self) -> &'static str {
        match self {
            Action::CreateTag => "create and push the tag",
            Action::Publish => "publish to the registries; keep the release a draft",
            Action::Undraft => "un-draft the release",
            Action::Announce => "announce the release; consumers can verify it",
            Action::DoNotTag => "do not tag",
            Action::DoNotPublish => "do not publish; mint no publishing token",
            Action::KeepDraft => "keep the release a draft",
            Action::DoNotAnnounce => "keep the release a draft and do not announce it",
            Action::ChangeNothing => "change nothing: the checks could not run",
        }
    }

    /// Whether the action moves the release forward.
    pub fn is_allowed(self) -> bool {
        matches!(
            self,
            Action::CreateTag | Action::Publish | Action::Undraft | Action::Announce
        )
    }

    pub(crate) fn allowed_after(phase: Phase) -> Action {
        match phase {
            Phase::Preflight => Action::CreateTag,
            Phase::Prepublish => Action::Publish,
            Phase::Postpublish => Action::Undraft,
            Phase::Consume => Action::Announce,
        }
    }

    pub(crate) fn blocked_in(phase: Phase) -> Action {
        match phase {
            Phase::Preflight => Action::DoNotTag,
            Phase::Prepublish => Action::DoNotPublish,
            Phase::Postpublish => Action::KeepDraft,
            Phase::Consume => Action::DoNotAnnounce,
        }
    }
}

relkit_finding::names! {
    Action,
    /// The kebab-case name.
    fn as_str {
        CreateTag => "create-tag",
        Publish => "publish",
        Undraft => "undraft",
        Announce => "announce",
        DoNotTag => "do-not-tag",
        DoNotPublish => "do-not-publish",
        KeepDraft => "keep-draft",
        DoNotAnnounce => "do-not-announce",
        ChangeNothing => "change-nothing",
    }
}

/// The decision of a run.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    /// Allowed, blocked or could not run.
    pub status: RunStatus,
    /// The release action allowed now.
    pub action: Action,
    /// One sentence: what to do and why.
    pub summary: String,
    /// The gates that block (their own failures, not the gates skipped because of them).
    pub blocking_gates: Vec<String>,
}

/// How long the run took, and how much the gates overlapped.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    /// Wall-clock milliseconds for the whole run.
    pub wall_ms: u64,
    /// The sum of every gate's duration: what a one-at-a-time run would have taken.
    pub serial_ms: u64,
    /// The most gates that were running at the same moment.
    pub max_parallel: usize,
}

impl Timings {
    /// How much the gates overlapped: `serial_ms / wall_ms` (1.0 means no overlap; 0.0
    /// when nothing was timed).
    pub fn overlap(&self) -> f64 {
        if self.wall_ms == 0 {
            0.0
        } else {
            self.serial_ms as f64 / self.wall_ms as f64
        }
    }
}

/// The structured result of a run: what every gate found, and the decision.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: String,
    /// The project, from the policy.
    pub project: String,
    /// The tag under release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The commit under release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// What produced the report: the policy, registries configuration and trust root by path
    /// and sha256, the tag and its commit, relgate's version, the start and end times.
    pub inputs: RunInputs,
    /// The phases that ran.
    pub phases: Vec<Phase>,
    /// The decision.
    pub decision: Decision,
    /// Why the run could not be carried out (empty otherwise); `policy-invalid` findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Finding>,
    /// Per gate, in run order.
    pub gates: Vec<GateReport>,
    /// Timings.
    pub timings: Timings,
    /// The coverage ledger: every node of the release folder, the checks that read it and
    /// whether it is covered (present when the run reached the prepublish phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<Ledger>,
    /// Every waiver in force for this run (expired ones are reported by `waivers-current`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<Waiver>,
    /// Non-blocking notices about the policy itself (`policy-unversioned`): shown, never
    /// blocking.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Finding>,
}

impl Report {
    /// The process exit code: 0 allowed, 1 blocked, 2 could not run.
    pub fn exit_code(&self) -> i32 {
        self.decision.status.exit_code()
    }

    /// A report for a run that could not be carried out, with the cause as a
    /// `policy-invalid` finding.
    pub fn could_not_run(project: &str, cause: impl fmt::Display) -> Report {
        let finding = Finding::new(Code::PolicyInvalid, project).found(cause.to_string());
        let mut report = Report::outside_a_run(
            project,
            Vec::new(),
            Decision {
                status: RunStatus::CouldNotRun,
                action: Action::ChangeNothing,
                summary: format!("{}: {cause}", Action::ChangeNothing.sentence()),
                blocking_gates: Vec::new(),
            },
        );
        report.errors = vec![finding];
        report
    }

    /// A report made outside a policy run: no tag, commit, inputs, gates, timings, ledger,
    /// waivers or notices; the callers fill in what they have.
    fn outside_a_run(project: &str, phases: Vec<Phase>, decision: Decision) -> Report {
        Report {
            schema: REPORT_SCHEMA.to_owned(),
            project: project.to_owned(),
            tag: None,
            commit: None,
            inputs: RunInputs::unrecorded(),
            phases,
            decision,
            errors: Vec::new(),
            gates: Vec::new(),
            timings: Timings::default(),
            ledger: None,
            waivers: Vec::new(),
            notices: Vec::new(),
        }
    }

    /// A report of one standalone check run outside a policy (the `relkit` subcommands
    /// `versions check`, `digest --check`, `archive check`, `readback`, `bundle verify`, ...),
    /// so that every command renders through the same formats as a release decision.
    ///
    /// The check is reported as one gate `check` of `phase`; the decision is the action
    /// allowed after `phase` when no finding blocks, else the action blocked in it.
    ///
    /// ```
    /// use relgate::{Code, Finding, Phase, Report};
    /// let report = Report::of_check("demo", "versions-lockstep", Phase::Preflight, vec![
    ///     Finding::new(Code::VersionMismatch, "Cargo.toml").found("1.2.2"),
    /// ]);
    /// assert_eq!(report.exit_code(), 1);
    /// assert_eq!(report.gates[0].id, "versions-lockstep");
    /// ```
    pub fn of_check(project: &str, check: &str, phase: Phase, findings: Vec<Finding>) -> Report {
        let reported: Vec<ReportedFinding> = findings
            .into_iter()
            .map(|finding| ReportedFinding {
                finding,
                waived: None,
            })
            .collect();
        let blocks = reported.iter().any(ReportedFinding::blocks);
        let (status, action) = if blocks {
            (RunStatus::Blocked, Action::blocked_in(phase))
        } else {
            (RunStatus::Allowed, Action::allowed_after(phase))
        };
        let (gate_status, notes, findings) = if reported.is_empty() {
            (GateStatus::Pass, Vec::new(), Vec::new())
        } else if blocks {
            (GateStatus::Fail, Vec::new(), reported)
        } else {
            // Only non-blocking findings: the check passed and leaves them as notes.
            let notes = reported.into_iter().map(|r| r.finding).collect();
            (GateStatus::Pass, notes, Vec::new())
        };
        let mut report = Report::outside_a_run(
            project,
            vec![phase],
            Decision {
                status,
                action,
                summary: format!("{check}: {}", action.sentence()),
                blocking_gates: if blocks {
                    vec![check.to_owned()]
                } else {
                    Vec::new()
                },
            },
        );
        report.gates = vec![GateReport {
            id: check.to_owned(),
            phase,
            status: gate_status,
            detail: None,
            caused_by: Vec::new(),
            findings,
            notes,
            evidence: BTreeMap::new(),
            read: Vec::new(),
            started_ms: 0,
            duration_ms: 0,
        }];
        report
    }

    /// Every blocking finding with its gate, in run order.
    pub fn blocking_findings(&self) -> impl Iterator<Item = (&str, &Finding)> {
        self.gates.iter().flat_map(|g| {
            g.findings
                .iter()
                .filter(|f| f.blocks())
                .map(move |f| (g.id.as_str(), &f.finding))
        })
    }

    /// The codes that block the release at their root: blocking findings of gates that were
    /// not merely skipped because of another gate.
    pub fn root_cause_codes(&self) -> Vec<Code> {
        let mut codes: Vec<Code> = self
            .gates
            .iter()
            .filter(|g| g.caused_by.is_empty())
            .flat_map(|g| g.findings.iter().filter(|f| f.blocks()))
            .map(|f| f.finding.code)
            .collect();
        codes.sort();
        codes.dedup();
        codes
    }

    /// The report of gate `id`.
    pub fn gate(&self, id: &str) -> Option<&GateReport> {
        self.gates.iter().find(|g| g.id == id)
    }

    /// Zeroes every timing and clears the start and end times, so two runs of the same
    /// release render byte-identical reports (for snapshots and reproducible CI logs).
    pub fn without_timings(mut self) -> Report {
        self.timings = Timings::default();
        self.inputs.started = None;
        self.inputs.finished = None;
        for g in &mut self.gates {
            g.started_ms = 0;
            g.duration_ms = 0;
        }
        self
    }

    /// Adds one step computed after the gates ran, then takes the decision again.
    pub(crate) fn with_step(self, step: GateReport) -> Report {
        let ledger = self.ledger.clone();
        let mut report = self.with_ledger(Ledger::default(), step);
        report.ledger = ledger;
        report
    }

    /// Adds the coverage step: the ledger and the gate report that carries its findings, then
    /// takes the decision again over every gate.
    pub(crate) fn with_ledger(self, ledger: Ledger, coverage: GateReport) -> Report {
        let Report {
            project,
            tag,
            commit,
            inputs,
            phases,
            errors,
            mut gates,
            timings,
            waivers,
            notices,
            ..
        } = self;
        gates.push(coverage);
        let mut report = Report::decide(&project, phases, gates, timings);
        report.tag = tag;
        report.commit = commit;
        report.inputs = inputs;
        report.errors = errors;
        report.ledger = Some(ledger);
        report.waivers = waivers;
        report.notices = notices;
        report
    }

    pub(crate) fn decide(
        project: &str,
        phases: Vec<Phase>,
        gates: Vec<GateReport>,
        timings: Timings,
    ) -> Report {
        let blocking: Vec<&GateReport> = gates
            .iter()
            .filter(|g| g.blocks() && g.caused_by.is_empty())
            .collect();
        let all_blocking: Vec<&GateReport> = gates.iter().filter(|g| g.blocks()).collect();
        let decision = if let Some(first) = all_blocking.iter().map(|g| g.phase).min() {
            let action = Action::blocked_in(first);
            let names: Vec<String> = if blocking.is_empty() {
                all_blocking.iter().map(|g| g.id.clone()).collect()
            } else {
                blocking.iter().map(|g| g.id.clone()).collect()
            };
            Decision {
                status: RunStatus::Blocked,
                action,
                summary: format!(
                    "release blocked in {first} by {}: {}",
                    names.join(", "),
                    action.sentence()
                ),
                blocking_gates: names,
            }
        } else if gates.is_empty() {
            Decision {
                status: RunStatus::Blocked,
                action: Action::ChangeNothing,
                summary: String::from("release blocked: no gate ran, so nothing was verified"),
                blocking_gates: Vec::new(),
            }
        } else {
            let last = phases.iter().copied().max().unwrap_or(Phase::Preflight);
            let action = Action::allowed_after(last);
            let waived = gates.iter().filter(|g| g.waived()).count();
            let note = if waived > 0 {
                format!(" ({waived} gate(s) passed only by waiver)")
            } else {
                String::new()
            };
            Decision {
                status: RunStatus::Allowed,
                action,
                summary: format!(
                    "release allowed through {last}{note}: {}",
                    action.sentence()
                ),
                blocking_gates: Vec::new(),
            }
        };
        Report {
            schema: REPORT_SCHEMA.to_owned(),
            project: project.to_owned(),
            tag: None,
            commit: None,
            inputs: RunInputs::unrecorded(),
            phases,
            decision,
            errors: Vec::new(),
            gates,
            timings,
            ledger: None,
            waivers: Vec::new(),
            notices: Vec::new(),
        }
    }
}

/// A name that is not one of a report enum's kebab-case values.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}")]
pub struct UnknownName {
    /// Which enum (`gate status`, `run status`, `action`).
    pub what: &'static str,
    /// The name given.
    pub name: String,
}

macro_rules! from_str_via_all {
    ($t:ty, $what:literal, [$($v:expr),+ $(,)?]) => {
        impl $t {
            /// Every value.
            pub const ALL: &'static [$t] = &[$($v),+];
        }
        impl FromStr for $t {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| UnknownName {
                    what: $what,
                    name: s.to_owned(),
                })
            }
        }
    };
}

from_str_via_all!(
    GateStatus,
    "gate status",
    [
        GateStatus::Pass,
        GateStatus::Fail,
        GateStatus::Error,
        GateStatus::Timeout,
        GateStatus::Unknown,
        GateStatus::Skipped,
    ]
);
from_str_via_all!(
    RunStatus,
    "run status",
    [
        RunStatus::Allowed,
        RunStatus::Blocked,
        RunStatus::CouldNotRun,
    ]
);
from_str_via_all!(
    Action,
    "action",
    [
        Action::CreateTag,
        Action::Publish,
        Action::Undraft,
        Action::Announce,
        Action::DoNotTag,
        Action::DoNotPublish,
        Action::KeepDraft,
        Action::DoNotAnnounce,
        Action::ChangeNothing,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for v in GateStatus::ALL {
            assert_eq!(v.as_str().parse::<GateStatus>().unwrap(), *v);
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        for v in RunStatus::ALL {
            assert_eq!(v.as_str().parse::<RunStatus>().unwrap(), *v);
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        for v in Action::ALL {
            assert_eq!(v.to_string().parse::<Action>().unwrap(), *v);
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        assert!("green".parse::<RunStatus>().is_err());
    }
}
