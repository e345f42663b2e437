//! Test support shared by relkit's tests, benches, fuzz targets and demo generator, so that each
//! helper is written once.
//!
//! - [`archive`]: archive bytes written by hand, for the entries a correct writer refuses.
//! - [`git`]: git run with a fixed identity and no signing, for fixture repositories.
//! - [`github`]: a loopback fake of the GitHub REST API (refs, workflow runs, releases) with
//!   GitHub's pagination, rate-limit headers and error bodies.
//! - [`npm_org`]: a loopback fake of npm's `whoami` and org-roster endpoints.
//! - [`provenance`]: the SLSA v1 statement of a GitHub release run, as the test stack signs it.
//! - [`repack`]: the `repack_idempotent` fuzz target's input decoding, shared with its replay test.
//! - [`bench`](mod@bench): full run or smoke run, and input sizes from the environment.
//! - [`fuzz`]: the panic hook the fuzz targets run under.
//! - `oci` (feature `docker-registry`): a loopback `docker-registry`, or SKIPPED outside CI.
//! - [`shared_folder`]: the shared vectors beside the checkout, or SKIPPED outside CI.
//! - [`write_files`]: a fixture tree of text files written in one call.
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
pub mod fuzz;
pub mod git;
pub mod github;
pub mod npm_org;
#[cfg(feature = "docker-registry")]
pub mod oci;
pub mod provenance;
pub mod repack;
pub mod sarif;

use std::path::{Path, PathBuf};

/// The shared folder beside the checkout: `RELKIT_SHARED`, else `default` (the caller's path
/// to it, e.g. `CARGO_MANIFEST_DIR` joined with `../shared`), when `probe` is a file under it.
/// When it is missing, the calling test fails under `CI=true`; elsewhere a `SKIPPED` line
/// naming `what` is printed and `None` returned.
#[track_caller]
#[allow(clippy::print_stdout, reason = "test support: a skipped test says so")]
pub fn shared_folder(default: &Path, probe: &str, what: &str) -> Option<PathBuf> {
    let dir =
        std::env::var_os("RELKIT_SHARED").map_or_else(|| default.to_path_buf(), PathBuf::from);
    if dir.join(probe).is_file() {
        return Some(dir);
    }
    let missing = format!("{what}: shared vectors not found at {}", dir.display());
    if std::env::var("CI").as_deref() == Ok("true") {
        fail(&format!("{missing} (CI=true)"));
    }
    println!("SKIPPED: {missing}");
    None
}

/// Writes each `(path, text)` of `files` under `dir`, creating the folders a path names; a
/// file that cannot be written fails the calling test.
#[track_caller]
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        let written = match path.parent() {
            Some(parent) => std::fs::create_dir_all(parent),
            None => Ok(()),
        }
        .and_then(|()| std::fs::write(&path, text));
        if let Err(e) = written {
            fail(&format!("{}: {e}", path.display()));
        }
    }
}

/// Fails the calling test with `message`.
#[track_caller]
#[allow(
    clippy::panic,
    reason = "test support: a fixture that cannot be made fails the test that needs it"
)]
pub(crate) fn fail(message: &str) -> ! {
    panic!("{message}")
}
