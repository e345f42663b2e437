//! Where a gate runs and how it ended: the two small enums every other module shares.
//!
//! This module imports no other module of the crate, so the gate, event, report and policy
//! modules can all use it without depending on each other.

use std::fmt;
use std::str::FromStr;

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

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Preflight => "preflight",
            Phase::Prepublish => "prepublish",
            Phase::Postpublish => "postpublish",
            Phase::Consume => "consume",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A phase name that is not one of the four.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown phase {0:?} (expected preflight, prepublish, postpublish or consume)")]
pub struct UnknownPhase(pub String);

impl FromStr for Phase {
    type Err = UnknownPhase;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPhase(s.to_owned()))
    }
}

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

impl GateStatus {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            GateStatus::Pass => "pass",
            GateStatus::Fail => "fail",
            GateStatus::Error => "error",
            GateStatus::Timeout => "timeout",
            GateStatus::Unknown => "unknown",
            GateStatus::Skipped => "skipped",
        }
    }
}

impl fmt::Display for GateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
