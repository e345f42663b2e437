//! `relgate` turns a release policy into a fail-closed release decision.
//!
//! Its job: compose the checks of `relver`, `artidigest`, `attest` and `regclient` into gates
//! ordered as a graph (preflight, prepublish, postpublish, consume), run them, and report one
//! decision with structured findings for people (terminal, Markdown) and machines (JSON, JUnit,
//! GitHub annotations). An errored, unknown or skipped gate counts as a failure unless the policy
//! waives it with a written reason.
//!
//! Boundaries: `relgate` may depend on every other relkit crate; it talks to the network only
//! through `regclient`, and prints nothing unless asked.
//!
//! The implementation lands with its own issue; until then this crate holds only this page.
#![forbid(unsafe_code)]
