//! Integration tests for `relver`: real fixtures, mutations, bad input, properties, git, bump.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::type_complexity,
    reason = "tests fail loudly and print SKIPPED lines; tuples keep assertions readable"
)]

mod bad_input;
mod bounded;
mod discovery;
mod fixtures;
mod fuzzed;
mod git;
mod honest;
mod non_ascii;
mod props;
mod support;
mod words;
