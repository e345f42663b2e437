//! attest integration tests: conformance over the shared vectors, mutations, end-to-end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "test code"
)]

mod codes;
mod conformance;
mod e2e;
mod interop;
mod mutation;
mod oracle;
mod pep740;
mod shared;
mod strict;
mod trust;
