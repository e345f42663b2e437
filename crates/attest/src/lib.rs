//! `attest` verifies signatures and provenance offline.
//!
//! Its job: verify Sigstore bundles (keyless certificates with an identity policy over every
//! Fulcio extension, or managed keys), DSSE envelopes, in-toto statements with SLSA provenance,
//! and PEP 740 attestations, against a trust root the caller supplies.
//!
//! Boundaries: `attest` does no network I/O and has no HTTP client or async runtime in its
//! dependency graph; nothing is fetched, and "now" is injectable. It uses `artidigest` for
//! digests and `relver` tags to derive release identities.
//!
//! The implementation lands with its own issue; until then this crate holds only this page.
#![forbid(unsafe_code)]
