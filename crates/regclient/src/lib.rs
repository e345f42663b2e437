//! `regclient` reads back what package and OCI registries actually serve.
//!
//! Its job: for a package and version, ask a Python package index, a crates registry, an npm
//! registry or an OCI registry (container images, Helm charts, cosign signatures) what it
//! publishes, download the files as streams, hash them on the way with `artidigest`, and compare
//! them with the local artifacts.
//!
//! Boundaries: `regclient` is the only relkit crate that speaks HTTP. Every registry endpoint is
//! configuration given by the caller (a builder argument, a policy file, an environment
//! variable); no host name is built in. It uses rustls only.
//!
//! The implementation lands with its own issue; until then this crate holds only this page.
#![forbid(unsafe_code)]
