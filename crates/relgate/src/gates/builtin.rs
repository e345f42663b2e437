//! The gates `relgate` builds by itself, read from the gate table.

use std::sync::Arc;

use crate::gate::Gate;
use crate::gates::catalog::{Build, STANDARD_GATES, standard_gate};
use crate::gates::ci::ci_green::CiProvider;

#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation over the constant gate table; callers pass i < its length"
)]
const fn built_from_nothing(i: usize) -> bool {
    matches!(STANDARD_GATES[i].build, Build::Plain(_))
}

const BUILTIN_COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < STANDARD_GATES.len() {
        if built_from_nothing(i) {
            n += 1;
        }
        i += 1;
    }
    n
};

#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: an index out of range fails the build, never a run"
)]
const BUILTIN_IDS: [&str; BUILTIN_COUNT] = {
    let mut ids = [""; BUILTIN_COUNT];
    let (mut n, mut i) = (0, 0);
    while i < STANDARD_GATES.len() {
        if built_from_nothing(i) {
            ids[n] = STANDARD_GATES[i].id;
            n += 1;
        }
        i += 1;
    }
    ids
};

/// The ids of the gates [`builtin_gate`] provides: every gate of the table but those that
/// need a [`CiProvider`] from the run context (`ci-green`, `forge-release-exists`).
pub const BUILTIN_GATES: &[&str] = &BUILTIN_IDS;

/// The built-in implementation of gate `id`, if `relgate` has one. [`run`](crate::run) wires
/// these for every gate a policy requires, so callers never register them by hand; a required
/// gate with no implementation still blocks as `gate-unknown`.
///
/// ```
/// assert!(relgate::gates::builtin_gate("versions-lockstep").is_some());
/// assert!(relgate::gates::builtin_gate("registry-readback").is_some());
/// assert!(relgate::gates::builtin_gate("no-such-gate").is_none());
/// ```
pub fn builtin_gate(id: &str) -> Option<Arc<dyn Gate>> {
    match standard_gate(id)?.build {
        Build::Plain(new) => Some(new()),
        Build::WithCi { .. } => None,
    }
}

/// Gate `id` of the table built for a run with this CI and forge provider: a gate that needs
/// the provider gets it, or `Err` with why it cannot run when the run has none. `None` when
/// `id` is not in the table.
pub(crate) fn table_gate(
    id: &str,
    ci: Option<&Arc<dyn CiProvider>>,
) -> Option<Result<Arc<dyn Gate>, &'static str>> {
    Some(match standard_gate(id)?.build {
        Build::Plain(new) => Ok(new()),
        Build::WithCi { new, missing } => ci.map(|p| new(Arc::clone(p))).ok_or(missing),
    })
}
