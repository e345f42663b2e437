//! The demo release of relkit and what serves it: test support for the examples and the
//! workspace tests, never a dependency of a library.
//!
//! - [`DemoRelease`] generates the demo release that ships in `examples/demo-release/` (a
//!   wheel, an sdist, a `.crate`, an npm tarball, `SHA256SUMS`, bundles, provenance and the
//!   trust root of attest's throwaway test stack); [`Tamper`] breaks a copy in one known way.
//! - [`DemoRegistries`] is a loopback HTTP server speaking a Python index, a crates sparse
//!   index, npm and a Go module proxy; [`run_demo`] runs a policy's phases in release order
//!   around a simulated upload into it.
//! - [`DemoRebuilder`] is the demo's build recipe as an in-process `relgate` rebuilder.
//!
//! This crate enables attest's `test-stack` feature (its keys are throwaway and trusted by
//! nothing real); that is why it is unpublished and only ever a dev-dependency.
//!
//! ```no_run
//! # fn main() -> Result<(), relkit_demo::DemoError> {
//! let out = std::env::temp_dir().join("demo-release");
//! let files = relkit_demo::DemoRelease::default().write(&out)?;
//! assert!(files.artifacts.iter().any(|a| a.ends_with(".whl")));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod common;
mod rebuild;
mod registry;
mod release;
mod repo;
mod run;
mod sign;
mod tamper;

pub use common::{DEMO_SIGNED_AT, DemoError, SignError};
pub use rebuild::DemoRebuilder;
pub use registry::{DemoKind, DemoRegistries, ServerStats};
pub use release::{DEMO_STACK_SEED, DemoFiles, DemoRelease, copy_tree, demo_release_dir};
pub use repo::{DEMO_GIT_DATE, DEMO_GIT_IDENTITY, DemoRepository, is_repository_top};
pub use run::{DemoRun, DemoRunError, endpoints_for, run_demo, run_demo_on, upload};
pub use sign::{SigningPlan, go_module_zip, python_wheel, sign_folder, slsa_statement};
pub use tamper::{Tamper, UnknownTamper};
