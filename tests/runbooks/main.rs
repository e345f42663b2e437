//! The five runbooks end to end: for each project a small replica repository (its version
//! files and changelog style, committed in a temp git repo) and release (its artifacts, images,
//! signatures) checked by its own policy from `examples/policies/` against loopback registries
//! (in-process package indexes, a Go module proxy, and a real `docker-registry` for images and
//! charts); tampered replicas fail with exactly the expected code. The few project-specific
//! checks that need the project's own tools (a container scanner, a smoke-test script) are
//! waived in these tests with a written reason.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

mod advisoryhub;
mod gateway;
mod ordvec;
mod sbom;
mod securescan;
mod setup;
mod sketchlog;
mod waivers;
