//! The result of a run ([`Report`]: per-gate reports, the [`Decision`], timings) and its
//! renderings for people and machines ([`Format`]).

pub(crate) mod inputs;
pub(crate) mod model;
pub(crate) mod render;
pub(crate) mod scrubbed;

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
