//! Integration tests for `relver`: real fixtures, mutations, bad input, properties, git, bump.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod bad_input;
mod discovery;
mod fixtures;
mod git;
mod props;
mod support;
