//! The result of a run ([`Report`]: per-gate reports, the [`Decision`], timings) and its
//! renderings for people and machines ([`Format`]): terminal, JSON, Markdown, GitHub
//! annotations, JUnit, SARIF 2.1.0 and an in-toto SLSA Verification Summary.

pub(crate) mod inputs;
pub(crate) mod model;
pub(crate) mod render;
pub(crate) mod sarif;
pub(crate) mod scrubbed;
pub(crate) mod vsa;

pub use crate::phase::GateStatus;
pub use crate::report::inputs::{InputFile, PRODUCER_NAME, Producer, RunInputs, TagInput};
pub use crate::report::model::{
    Action, Decision, GateReport, REPORT_SCHEMA, Report, ReportedFinding, RunStatus, Timings,
    UnknownName,
};
pub use crate::report::render::{
    Format, UnknownFormat, render_github, render_json, render_junit, render_markdown,
    render_terminal, stdout_wants_color,
};
pub use crate::report::sarif::{
    FINGERPRINT_KEY, GATES_DOC_URL, SARIF_SCHEMA, SARIF_TOOL_NAME, SARIF_VERSION, SRCROOT,
    fingerprint, help_uri, render_sarif,
};
pub use crate::report::vsa::{INTOTO_STATEMENT_V1, VERIFIER_ID, VSA_PREDICATE_TYPE, render_vsa};
