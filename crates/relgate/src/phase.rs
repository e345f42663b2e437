//! Where a gate runs and how it ended: the two small enums every other module shares.
//!
//! This module imports no other module of the crate, so the gate, event, report and policy
//! modules can all use it without depending on each other.

/// When in the release a gate runs. Phases run in this order; every gate of a phase runs after
/// every gate of the phases before it.
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Before tagging: tag, versions, changelog, CI evidence.
    Preflight,
    /// Before publishing: assets, checksums, byte identity, signatures, provenance.
    Prepublish,
    /// After publishing: registry readback, visibility, platforms, signatures.
    Postpublish,
    /// What a downstream user can verify from public data alone.
    Consume,
}

impl Phase {
    /// Every phase, in run order.
    pub const ALL: [Phase; 4] = [
        Phase::Preflight,
        Phase::Prepublish,
        Phase::Postpublish,
        Phase::Consume,
    ];
}

relkit_finding::names! {
    Phase, unknown = UnknownPhase,
    /// The kebab-case name.
    fn as_str {
        Preflight => "preflight",
        Prepublish => "prepublish",
        Postpublish => "postpublish",
        Consume => "consume",
    }
}

/// A phase name that is not one of the four.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown phase {0:?} (expected preflight, prepublish, postpublish or consume)")]
pub struct UnknownPhase(pub String);

/// How a gate ended.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateStatus {
    /// Passed.
    Pass,
    /// Failed with findings.
    Fail,
    /// Could not reach a verdict (including a panic).
    Error,
    /// Ran out of time.
    Timeout,
    /// Required by the policy but implemented by nobody.
    Unknown,
    /// Not run (by itself, because of an earlier gate, or cancelled).
    Skipped,
}

relkit_finding::names! {
    GateStatus,
    /// The kebab-case name.
    fn as_str {
        Pass => "pass",
        Fail => "fail",
        Error => "error",
        Timeout => "timeout",
        Unknown => "unknown",
        Skipped => "skipped",
    }
}
