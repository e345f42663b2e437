//! A plan: the gates of a run and the `after` edges between them, checked for cycles.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::gate::Gate;
use crate::phase::Phase;

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
            after: after.into_iter().map(Into::into).collect(),
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
