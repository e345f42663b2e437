//! `relgate` turns a release policy into a fail-closed release decision.
//!
//! A policy file (`release.toml`, see `docs/policy.md`) names the checks a release must
//! pass. Each check is a [`Gate`] in a phase ([`Phase::Preflight`], [`Phase::Prepublish`],
//! [`Phase::Postpublish`], [`Phase::Consume`]); gates form a graph through `after` edges and
//! run concurrently where independent. The run ends in one [`Report`]: every gate's
//! [`Finding`]s under stable [`Code`]s, and a [`Decision`] naming the release [`Action`]
//! allowed now ("publish", "keep the release a draft", ...).
//!
//! **Fail closed**: a gate that errors, panics, times out, is skipped or that nobody
//! implements blocks the release, unless the policy waives it with a written reason.
//!
//! Boundaries: `relgate` may depend on every other relkit crate and prints nothing; reports
//! are rendered to strings ([`Format`]). The gates over `relver` (tag guard, lockstep versions,
//! changelog section, tag not existing, coupled tags) are built in ([`gates::BUILTIN_GATES`]) and wired
//! by [`run`] for every policy that requires them, as are the gates over `artidigest`, `attest`
//! and `regclient` (registry readback, visibility, OCI platforms, consumer verification; their
//! endpoints come from [`Endpoints`] in [`RunOptions`], never from the policy). Other gates plug
//! in as ordinary [`Gate`]s through [`RunContext::gate`]; a required gate nobody provides is
//! blocked with `gate-unknown`.
//!
//! Byte identity is [`gates::RebuildIdentityGate`]: the policy's `[rebuild] command` (a
//! [`gates::CommandRebuilder`]) or an in-process [`gates::Rebuilder`] registered with
//! [`gates::RebuildIdentityGate::with_rebuilder`], compared artifact by artifact with `artidigest`'s
//! explanation of every difference. Steps only the project's tooling can check are
//! [`gates::CommandGate`]s (`[gates.<id>] command = [...]`, built by [`gates::policy_gates`]);
//! commit history is checked by [`gates::ConventionalCommitsGate`] and
//! [`gates::ConventionalVersionGate`].
//!
//! # Where things are
//!
//! The root holds the entry points ([`run`], [`run_file`], [`run_blocking`], [`run_plan`],
//! [`plan_for`]) and the types every caller or gate author meets ([`Policy`], [`Report`],
//! [`Finding`], [`Code`], [`Gate`], [`GateContext`], [`Phase`], ...). The rest is grouped:
//! [`gates`] (every gate type, the gate table [`gates::STANDARD_GATES`], CI evidence
//! providers, rebuilders), [`policy`] (the policy file's sections and errors), [`report`]
//! (reports and their renderings), [`plan`] (plans and their ordering) and [`artifacts`] (the
//! release folder's artifacts by policy glob).
//!
//! # Run a policy
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use relgate::{Format, Policy, RunContext, RunStatus};
//!
//! use artidigest::{Algorithm, digest_bytes};
//!
//! let dir = tempfile::tempdir()?;
//! // A file of no archive kind: a checksum match covers it (an archive would also need
//! // `archive-safety`, which every archive in the folder implies).
//! std::fs::write(dir.path().join("app-1.0.0.bin"), b"a build")?;
//! let set = digest_bytes(b"a build", &[Algorithm::Sha256]);
//! let sha256 = set.get(Algorithm::Sha256).ok_or("not computed")?;
//! std::fs::write(
//!     dir.path().join("checksums.txt"),
//!     format!("{}  app-1.0.0.bin\n", sha256.to_hex()),
//! )?;
//! let policy = Policy::from_toml_str(r#"
//!     [project]
//!     name = "app"
//!     [release]
//!     required-assets = ["*.bin", "checksums.txt"]
//!     [checksums]
//!     file = "checksums.txt"
//!     [gates.checksum-file]
//!     after = ["required-assets-present"]
//! "#, "release.toml")?;
//!
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let report = rt.block_on(relgate::run(&policy, RunContext::new(dir.path()).tag("v1.0.0")));
//! assert_eq!(report.decision.status, RunStatus::Allowed);
//! assert_eq!(report.exit_code(), 0);
//! // Every file of the release folder was read by a passing check.
//! let ledger = report.ledger.as_ref().ok_or("no ledger")?;
//! assert_eq!(ledger.counts(), (2, 0, 0));
//! let text = Format::Terminal.render(&report, false);
//! assert!(text.contains("PASS"));
//! # Ok(())
//! # }
//! ```
//!
//! # Write a gate
//!
//! ```
//! use relgate::{BoxFuture, Code, Finding, Gate, GateContext, GateResult, Phase};
//!
//! struct NoLatestTag;
//! impl Gate for NoLatestTag {
//!     fn id(&self) -> &str { "no-latest-tag" }
//!     fn phase(&self) -> Phase { Phase::Preflight }
//!     fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
//!         Box::pin(async move {
//!             match ctx.tag.as_deref() {
//!                 Some("latest") => GateResult::from_findings(vec![
//!                     Finding::new(Code::TagNotStrictSemver, "latest").expected("vX.Y.Z"),
//!                 ]),
//!                 _ => GateResult::pass(),
//!             }
//!         })
//!     }
//! }
//! ```
//!
//! # CI evidence over HTTP
//!
//! `GithubCi`, the CI and forge evidence provider, adapts `regclient::forge::GithubClient`,
//! which speaks the GitHub REST API: `regclient` stays the only crate that speaks HTTP.
#![forbid(unsafe_code)]
// No panic on input (issue 12): `unwrap_used`, `expect_used` and `panic` are workspace lints
// (clippy.toml lets tests use them); library code also may not index or slice. Each remaining
// use carries an `allow` with the reason input cannot reach it.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::string_slice))]

mod artifact_names;
pub mod artifacts;
mod cancel;
mod endpoints;
mod event;
mod finding;
mod folder;
mod gate;
pub mod gates;
mod json;
pub mod ledger;
mod phase;
#[allow(
    clippy::indexing_slicing,
    reason = "13 index uses over the plan's own node positions; plan.rs is being reworked elsewhere (issue 12 follow-up)"
)]
pub mod plan;
pub mod policy;
mod process;
mod registry_client;
mod release_source;
pub mod report;
mod run;
mod runner;
mod sbom;
mod scrub;
mod waiver;

pub use crate::cancel::CancelToken;
pub use crate::endpoints::{Endpoints, EndpointsError};
pub use crate::event::{Event, Observer};
pub use crate::finding::{Area, Code, Finding, Location, Severity, UnknownCode, UnknownSeverity};
pub use crate::gate::{BoxFuture, Evidence, Gate, GateContext, GateResult, Outcome};
pub use crate::json::{Json, JsonNumber};
pub use crate::phase::{GateStatus, Phase, UnknownPhase};
pub use crate::policy::{Policy, PolicyError};
pub use crate::report::{Action, Decision, Format, Report, RunStatus};
pub use crate::run::{RunContext, explain, plan_for, run, run_blocking, run_file};
pub use crate::runner::{RunOptions, run_plan};
