//! artidigest's integration tests: one binary, one module per area.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

mod bombs;
mod checksums;
mod content;
mod corpus;
mod diff;
mod diff_real;
mod digest;
mod fuzzed;
mod hostile;
mod kit;
mod links;
mod nested;
mod oracle;
mod real_archives;
mod repack;
mod repack_paths;
