//! Structured findings: every check returns these, never a bare bool or a string. The types
//! are relkit's one vocabulary (`relkit-finding`): relver's codes are the `versions` area.

pub use relkit_finding::{Code, Finding, Location, Severity};
