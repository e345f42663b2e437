//! Waivers: written exceptions to fail-closed.

use crate::finding::Code;

/// A policy's exception: findings of `code` (any code when `None`) from gate `gate` (any gate
/// when `None`) do not block, for the written `reason`. At least one of `gate` and `code` is
/// set, and the reason is never empty: the policy loader rejects anything else.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Waiver {
    /// The gate whose findings are waived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<String>,
    /// The code waived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// Why this is acceptable.
    pub reason: String,
}

impl Waiver {
    /// A waiver for `gate` and/or `code` with a reason.
    pub fn new(gate: Option<&str>, code: Option<Code>, reason: impl Into<String>) -> Self {
        Waiver {
            gate: gate.map(str::to_owned),
            code,
            reason: reason.into(),
        }
    }

    /// Whether this waiver covers a finding of `code` from gate `gate`. A waiver without a
    /// reason covers nothing.
    pub fn covers(&self, gate: &str, code: Code) -> bool {
        if self.reason.trim().is_empty() || (self.gate.is_none() && self.code.is_none()) {
            return false;
        }
        self.gate.as_deref().is_none_or(|g| g == gate) && self.code.is_none_or(|c| c == code)
    }
}

/// The first waiver covering `(gate, code)`, if any.
pub(crate) fn find<'w>(waivers: &'w [Waiver], gate: &str, code: Code) -> Option<&'w Waiver> {
    waivers.iter().find(|w| w.covers(gate, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_by_gate_code_or_both_and_never_without_reason() {
        let both = Waiver::new(Some("ci-green"), Some(Code::GateTimeout), "flaky API");
        assert!(both.covers("ci-green", Code::GateTimeout));
        assert!(!both.covers("ci-green", Code::CiNotGreen));
        assert!(!both.covers("other", Code::GateTimeout));
        let gate = Waiver::new(Some("ci-green"), None, "r");
        assert!(gate.covers("ci-green", Code::CiNotGreen));
        let code = Waiver::new(None, Some(Code::AssetMissing), "r");
        assert!(code.covers("x", Code::AssetMissing));
        assert!(!Waiver::new(Some("ci-green"), None, "  ").covers("ci-green", Code::GateError));
        assert!(!Waiver::new(None, None, "reason").covers("ci-green", Code::GateError));
    }
}
