//! `regclient` reads back what package and OCI registries actually serve.
//!
//! For a package and version it asks a Python package index, a crates registry, an npm
//! registry or an OCI registry what it publishes ([`PublishedVersion`]: state, files, sizes,
//! every claimed digest, URLs), downloads files as streams hashed on the way with `artidigest`
//! ([`fetch_verified`]), and compares them with local artifacts ([`compare_local`]).
//!
//! Boundaries: `regclient` is the only relkit crate that speaks HTTP. Every registry endpoint is
//! configuration given by the caller (a builder argument, a config file, an environment
//! variable); no host name is built in. TLS is rustls only.
#![forbid(unsafe_code)]

mod cache;
pub mod crates;
mod http;
mod model;
pub mod npm;
pub mod oci;
pub mod pypi;
mod readback;
mod secret;
mod views;

pub use crate::http::{DEFAULT_USER_AGENT, HttpClient, HttpClientBuilder, HttpError, RetryPolicy};
pub use crate::model::{
    PackageSpec, PublishedFile, PublishedVersion, RegistryKind, SpecError, VersionState,
};
pub use crate::readback::{
    FetchOptions, FetchedFile, FileComparison, FileReport, Progress, ReadbackError, compare_local,
    fetch_all, fetch_verified,
};
pub use crate::secret::{Credential, Secret};
pub use crate::views::{ViewDifference, compare_views};
