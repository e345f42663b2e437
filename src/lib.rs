//! `relkit` makes software releases verifiable.
//!
//! This package re-exports the relkit crates under one roof and owns the example binaries
//! (`cargo run --example verify_release`), the benchmarks and the workspace-wide tests. It is
//! re-exports only: the demo release and attest's test signing stack live in the unpublished
//! `relkit-demo` crate, which only the examples and tests build.
//!
//! | crate | job |
//! |---|---|
//! | [`relver`] | lockstep versions, strict SemVer tags, changelog sections, bumps |
//! | [`regclient`] | registry readback: what registries actually serve |
//! | [`artidigest`] | bytes: digests, checksum files, safe archive readers, repacking, diffs |
//! | [`attest`] | Sigstore bundles, DSSE, in-toto/SLSA provenance, PEP 740, offline |
//! | [`relgate`] | gates composed into a fail-closed release decision |
#![forbid(unsafe_code)]

pub use artidigest;
pub use attest;
pub use regclient;
pub use relgate;
pub use relkit_finding;
pub use relver;
