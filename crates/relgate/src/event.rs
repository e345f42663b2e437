//! Progress events: how a caller watches a run without the library printing anything.

use std::sync::Arc;

use crate::phase::GateStatus;
use crate::phase::Phase;

/// Something that happened during a run, handed to the caller's observer.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A gate started running (after getting a concurrency slot).
    GateStarted {
        /// The gate.
        gate: &'a str,
        /// Its phase.
        phase: Phase,
    },
    /// A gate ended (including skips and unknown gates, which never start).
    GateFinished {
        /// The gate.
        gate: &'a str,
        /// How it ended.
        status: GateStatus,
        /// How long it ran.
        duration_ms: u64,
    },
    /// A gate reports progress on long work (a download, hashing a large file).
    Progress {
        /// The gate.
        gate: &'a str,
        /// What is progressing (a file name, a URL without credentials).
        what: &'a str,
        /// Units done (bytes, files).
        done: u64,
        /// Units in total, when known.
        total: Option<u64>,
    },
}

/// A callback receiving [`Event`]s; it must be quick and must not block.
pub type Observer = Arc<dyn Fn(&Event<'_>) + Send + Sync>;
