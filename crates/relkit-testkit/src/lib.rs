//! Test support shared by relkit's tests, benches, fuzz targets and demo generator, so that each
//! helper is written once.
//!
//! - [`archive`]: archive bytes written by hand, for the entries a correct writer refuses.
//! - [`git`]: git run with a fixed identity and no signing, for fixture repositories.
//! - [`github`]: a loopback fake of the GitHub REST API (refs, workflow runs, releases) with
//!   GitHub's pagination, rate-limit headers and error bodies.
//! - [`provenance`]: the SLSA v1 statement of a GitHub release run, as the test stack signs it.
//! - [`repack`]: the `repack_idempotent` fuzz target's input decoding, shared with its replay test.
//! - [`bench`](mod@bench): full run or smoke run, and input sizes from the environment.
//! - `oci` (feature `docker-registry`): a loopback `docker-registry`, or SKIPPED outside CI.
//!
//! It depends on `artidigest` only (plus `regclient` behind its feature), the lowest layer, so it
//! can be a dev-dependency of every crate without a second copy of a crate's types. Helpers that
//! set up a fixture fail the calling test when the fixture cannot be made.
//!
//! ```
//! let header = relkit_testkit::archive::ustar_header("../evil", 5);
//! assert_eq!(header.len(), 512);
//! assert_eq!(&header[257..263], b"ustar\0");
//! ```
#![forbid(unsafe_code)]

pub mod archive;
pub mod bench;
pub mod git;
pub mod github;
#[cfg(feature = "docker-registry")]
pub mod oci;
pub mod provenance;
pub mod repack;

/// Fails the calling test with `message`.
#[track_caller]
#[allow(
    clippy::panic,
    reason = "test support: a fixture that cannot be made fails the test that needs it"
)]
pub(crate) fn fail(message: &str) -> ! {
    panic!("{message}")
}
