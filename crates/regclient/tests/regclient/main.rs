//! Integration tests for regclient against loopback servers (in-process and real registries).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    unreachable_pub,
    dead_code
)] // test code: failing loudly is the point

mod support;

mod config;
mod config_dialect;
mod crates_index;
mod edges;
mod faults;
mod goproxy;
mod logging;
mod npm;
mod npm_identity;
mod oci;
mod pypi;
mod readback;
