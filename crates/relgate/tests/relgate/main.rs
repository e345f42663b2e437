//! relgate integration tests: codes, runner, policy, gates, CI evidence, reports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod support;

mod archive_gate;
mod archive_limits;
mod attest_gates;
mod ci;
mod codes;
mod command_gates;
mod conventional;
mod crashes;
mod dag;
mod docs_published;
mod forge;
mod gates;
mod github;
mod ledger;
mod oci_tags;
mod policy;
mod publisher;
mod rebuild;
mod rebuild_pinned;
mod registry;
mod relver_gates;
mod render_ci;
mod reports;
mod required_patterns;
mod runner;
mod sbom;
mod schema;
mod table;
mod waivers;
mod workflow_hygiene;
