//! Findings: what a gate found, under a stable code. The types are the one vocabulary of
//! relkit, defined in `relkit-finding` and shared by every crate.

pub use relkit_finding::{Area, Code, Finding, Location, Severity, UnknownCode, UnknownSeverity};
