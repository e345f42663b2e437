//! A plan: the gates of a run and the `after` edges between them, checked for cycles.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::gate::Gate;
use crate::phase::Phase;

/// Owned strings from any list of string-likes (gate ids, command words).
pub(crate) fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

/// How one gate is placed in a plan.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateOptions {
    /// Gates that must finish (and pass, or be waived) before this one starts.
    pub after: Vec<String>,
    /// This gate's timeout; the run's default when `None`.
    pub timeout: Option<Duration>,
}

impl GateOptions {
    /// Options with these `after` edges.
    pub fn after<I, S>(after: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        GateOptions {
            after: strings(after),
            timeout: None,
        }
    }

    /// Sets the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// One gate in a plan. `gate` is `None` when the policy requires a gate nobody implements;
/// the runner then reports `gate-unknown` (fail closed).
#[derive(Clone)]
pub(crate) struct Node {
    pub(crate) id: String,
    pub(crate) phase: Phase,
    pub(crate) gate: Option<Arc<dyn Gate>>,
    pub(crate) options: GateOptions,
}

/// Why a plan cannot run.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The `after` edges form a cycle; the gates are listed in cycle order, the first repeated
    /// at the end (`a -> b -> a`).
    #[error("the gates' `after` edges form a cycle: {}", cycle.join(" -> "))]
    Cycle {
        /// The cycle.
        cycle: Vec<String>,
    },
    /// A gate runs after a gate that is not in the plan.
    #[error("gate {gate:?} runs after {after:?}, which is not a gate of this policy")]
    UnknownDependency {
        /// The dependant.
        gate: String,
        /// The missing gate.
        after: String,
    },
    /// Two gates share an id.
    #[error("gate {id:?} is listed twice")]
    DuplicateGate {
        /// The id.
        id: String,
    },
    /// A gate runs after a gate of a later phase, which can never happen.
    #[error(
        "gate {gate:?} ({gate_phase}) cannot run after {after:?} ({after_phase}), a later phase"
    )]
    PhaseOrder {
        /// The dependant.
        gate: String,
        /// Its phase.
        gate_phase: Phase,
        /// The gate it names in `after`.
        after: String,
        /// That gate's phase.
        after_phase: Phase,
    },
}

/// The gates of a run and their ordering.
///
/// Besides explicit `after` edges, phases order the run: every gate of a phase waits for every
/// gate of the earlier phases in the run, and is skipped if one of them blocked.
#[derive(Clone, Default)]
pub struct Plan {
    pub(crate) nodes: Vec<Node>,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.nodes.iter().map(|n| {
                (
                    &n.id,
                    n.phase,
                    &n.options.after,
                    if n.gate.is_some() { "" } else { "unknown" },
                )
            }))
            .finish()
    }
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a gate.
    pub fn add(&mut self, gate: Arc<dyn Gate>, options: GateOptions) -> &mut Self {
        self.nodes.push(Node {
            id: gate.id().to_owned(),
            phase: gate.phase(),
            gate: Some(gate),
            options,
        });
        self
    }

    /// Adds a gate the policy requires but nothing implements; it will fail with
    /// `gate-unknown` unless waived.
    pub fn add_unknown(&mut self, id: &str, phase: Phase, options: GateOptions) -> &mut Self {
        self.nodes.push(Node {
            id: id.to_owned(),
            phase,
            gate: None,
            options,
        });
        self
    }

    /// The gate ids, in plan insertion order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| n.id.as_str())
    }

    /// Validates the plan and returns the node indices in run order: by phase, and within a
    /// phase every gate after the gates it names in `after`.
    pub fn order(&self) -> Result<Vec<String>, PlanError> {
        Ok(self
            .order_indices()?
            .into_iter()
            .map(|i| self.nodes[i].id.clone())
            .collect())
    }

    pub(crate) fn order_indices(&self) -> Result<Vec<usize>, PlanError> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if index.insert(n.id.as_str(), i).is_some() {
                return Err(PlanError::DuplicateGate { id: n.id.clone() });
            }
        }
        let mut deps: Vec<Vec<usize>> = Vec::with_capacity(self.nodes.len());
        for n in &self.nodes {
            let mut d = Vec::new();
            for a in &n.options.after {
                let Some(&j) = index.get(a.as_str()) else {
                    return Err(PlanError::UnknownDependency {
                        gate: n.id.clone(),
                        after: a.clone(),
                    });
                };
                d.push(j);
            }
            deps.push(d);
        }

        // Depth-first search, deps first; a grey node met again closes a cycle.
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            White,
            Grey,
            Black,
        }
        let mut mark = vec![Mark::White; self.nodes.len()];
        let mut order = Vec::with_capacity(self.nodes.len());
        for root in 0..self.nodes.len() {
            if mark[root] != Mark::White {
                continue;
            }
            // Explicit stack of (node, next dep position) so deep chains cannot overflow.
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            mark[root] = Mark::Grey;
            while let Some(&mut (node, ref mut pos)) = stack.last_mut() {
                if let Some(&dep) = deps[node].get(*pos) {
                    *pos += 1;
                    match mark[dep] {
                        Mark::White => {
                            mark[dep] = Mark::Grey;
                            stack.push((dep, 0));
                        }
                        Mark::Grey => {
                            let start = stack.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                            // Stack order is dependant -> dependency; report it that way.
                            let mut cycle: Vec<String> = stack[start..]
                                .iter()
                                .map(|&(n, _)| self.nodes[n].id.clone())
                                .collect();
                            cycle.push(self.nodes[dep].id.clone());
                            return Err(PlanError::Cycle { cycle });
                        }
                        Mark::Black => {}
                    }
                } else {
                    mark[node] = Mark::Black;
                    order.push(node);
                    stack.pop();
                }
            }
        }

        for (i, n) in self.nodes.iter().enumerate() {
            for &j in &deps[i] {
                let dep = &self.nodes[j];
                if dep.phase > n.phase {
                    return Err(PlanError::PhaseOrder {
                        gate: n.id.clone(),
                        gate_phase: n.phase,
                        after: dep.id.clone(),
                        after_phase: dep.phase,
                    });
                }
            }
        }
        // A stable sort by phase keeps dependencies first: they are never in a later phase.
        order.sort_by_key(|&i| self.nodes[i].phase);
        Ok(order)
    }

    /// The gates per phase, for display.
    pub fn by_phase(&self) -> BTreeMap<Phase, Vec<&str>> {
        let mut m: BTreeMap<Phase, Vec<&str>> = BTreeMap::new();
        for n in &self.nodes {
            m.entry(n.phase).or_default().push(n.id.as_str());
        }
        m
    }
}

/// Why a gate is in a plan ([`Explanation`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum PlanReason {
    /// The policy names it under `[gates.<id>]`.
    Policy,
    /// A section of the policy implies it (`section` as written: `[checksums]`).
    Section {
        /// The section.
        section: String,
    },
    /// Files of the release folder imply it (their kind needs it): up to
    /// [`MAX_LISTED_FILES`] of them with their kind, and how many in all.
    Files {
        /// The first files, in path order.
        files: Vec<ImpliedFile>,
        /// How many files imply it.
        total: usize,
    },
    /// The built-in policy for a plain folder requires it.
    PlainFolderDefault,
}

/// Most files listed per gate in a [`PlanReason::Files`].
pub const MAX_LISTED_FILES: usize = 3;

/// A release-folder file that implies a gate, with its kind.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImpliedFile {
    /// The path relative to the release folder.
    pub path: String,
    /// What it is.
    pub kind: crate::ledger::FileKind,
}

impl ImpliedFile {
    /// A file of `kind` at `path`.
    pub fn new(path: impl Into<String>, kind: crate::ledger::FileKind) -> Self {
        ImpliedFile {
            path: path.into(),
            kind,
        }
    }
}

impl fmt::Display for PlanReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanReason::Policy => f.write_str("policy"),
            PlanReason::Section { section } => write!(f, "policy section {section}"),
            PlanReason::Files { files, total } => {
                let listed: Vec<String> = files
                    .iter()
                    .map(|i| format!("{} ({})", i.path, i.kind.as_str()))
                    .collect();
                write!(f, "files: {}", listed.join(", "))?;
                if *total > files.len() {
                    write!(f, " and {} more", total - files.len())?;
                }
                Ok(())
            }
            PlanReason::PlainFolderDefault => f.write_str("default for a plain folder"),
        }
    }
}

/// One gate of a plan, as [`Explanation`] shows it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedGate {
    /// The gate id.
    pub id: String,
    /// Its phase.
    pub phase: Phase,
    /// The gates it runs after.
    pub after: Vec<String>,
    /// What runs it: `built-in`, `policy command`, `caller`, `unavailable` (a built-in gate
    /// whose evidence source is missing: it errors) or `unknown` (nobody implements it: it
    /// blocks as `gate-unknown`).
    pub implementation: String,
    /// Why it is in the plan (at least one).
    pub reasons: Vec<PlanReason>,
}

/// A step the run settles after the gates (`files-covered`, `waivers-current`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedStep {
    /// The step id.
    pub id: String,
    /// Its phase.
    pub phase: Phase,
    /// Why it runs.
    pub reason: String,
}

/// What a run of a policy would do, without running anything: the planned gates in run
/// order, each with what put it there, and the steps settled after them. Built by
/// [`explain`](crate::explain) from the same planning [`run`](crate::run) uses.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    /// The project.
    pub project: String,
    /// The gates in run order (insertion order when the plan cannot be ordered).
    pub gates: Vec<PlannedGate>,
    /// Steps settled after the gates.
    pub steps: Vec<PlannedStep>,
    /// Why the plan cannot run (a cycle, an edge to a missing gate), if it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Notices about the policy (`policy-unversioned`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<crate::finding::Finding>,
}

impl Explanation {
    /// The planned gate `id`, if any.
    pub fn gate(&self, id: &str) -> Option<&PlannedGate> {
        self.gates.iter().find(|g| g.id == id)
    }

    /// Aligned text: per phase, each gate with its implementation and reasons.
    pub fn render_terminal(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "plan for {} (nothing is run):", self.project);
        for n in &self.notices {
            let _ = writeln!(out, "  {}: {n}", n.severity);
        }
        if let Some(e) = &self.error {
            let _ = writeln!(out, "  the plan cannot run: {e}");
        }
        let width = self.gates.iter().map(|g| g.id.len()).max().unwrap_or(0);
        let mut phase = None;
        for g in &self.gates {
            if phase != Some(g.phase) {
                phase = Some(g.phase);
                let _ = writeln!(out, "{}", g.phase);
            }
            let reasons: Vec<String> = g.reasons.iter().map(ToString::to_string).collect();
            let _ = write!(
                out,
                "  {:<width$}  [{}] implied by {}",
                g.id,
                g.implementation,
                reasons.join("; ")
            );
            if !g.after.is_empty() {
                let _ = write!(out, "; after {}", g.after.join(", "));
            }
            out.push('\n');
        }
        for s in &self.steps {
            let _ = writeln!(out, "then {} ({}): {}", s.id, s.phase, s.reason);
        }
        out
    }

    /// Pretty JSON (`"schema": "relgate-plan/1"`).
    pub fn render_json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = value.as_object_mut() {
            o.insert(String::from("schema"), serde_json::json!("relgate-plan/1"));
        }
        let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
        s.push('\n');
        s
    }
}
