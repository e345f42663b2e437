//! `regclient` reads back what package and OCI registries actually serve.
//!
//! For a package version it asks a Python index, a crates registry, an npm registry or an OCI
//! registry what it publishes — a [`PublishedVersion`]: state (present, yanked, deprecated,
//! deleted, absent) and files with size, every claimed digest and URL — downloads files as
//! streams hashed on the way with `artidigest` and kept only when every digest matches
//! ([`fetch_verified`]), and compares them with local artifacts ([`compare_local`]) or with
//! another view of the same registry ([`compare_views`]).
//!
//! Boundaries: `regclient` is the only relkit crate that speaks HTTP. Every endpoint is
//! configuration given by the caller (builder argument, [`RegistriesConfig`] file, environment
//! variable); no host name is built in. TLS is rustls only.
//!
//! # Clients
//!
//! - [`crates::SparseIndex`]: sparse index paths, JSON lines, `dl` templates, visibility polls.
//! - [`npm::NpmRegistry`]: packuments (full/abbreviated), version documents, SRI, deprecation,
//!   unpublish, attestations.
//! - [`pypi::PypiIndex`]: JSON API, PEP 691 simple JSON, PEP 740 provenance.
//! - [`goproxy::GoProxy`]: Go module proxies (`@v/list`, `.info`, `.mod`, `.zip`) and the
//!   `h1:` hashes `go.sum` records.
//! - [`oci::OciRegistry`]: tags, manifests, indexes and platforms, Helm charts, referrers
//!   (API and fallback tag), cosign artifacts, token authentication.
//! - [`forge::GithubClient`]: a forge's REST API (GitHub's): refs, push workflow runs,
//!   releases with their notes, deployment environments and immutable releases.
//!
//! All go through one [`HttpClient`]: per-request timeout and overall deadline, retries with
//! exponential backoff and jitter (connection errors, 429 with `Retry-After`, 5xx), bounded
//! redirects that never carry credentials to another host, body size caps, bounded
//! concurrency, a descriptive User-Agent. Secrets ([`Secret`]) print as `<redacted>`.
//!
//! # Package specs and index paths
//!
//! ```
//! use regclient::{PackageSpec, RegistryKind};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let spec: PackageSpec = "npm:@scope/tool@1.2.3".parse()?;
//! assert_eq!(spec.kind, RegistryKind::Npm);
//! assert_eq!(spec.name, "@scope/tool");
//! assert_eq!(spec.to_string(), "npm:@scope/tool@1.2.3");
//!
//! assert_eq!(regclient::crates::index_path("Serde")?, "se/rd/serde");
//! assert_eq!(regclient::npm::encode_name("@scope/tool")?, "@scope%2ftool");
//! assert_eq!(regclient::pypi::normalize("Demo_Pkg.Tools")?, "demo-pkg-tools");
//! # Ok(())
//! # }
//! ```
//!
//! # Comparing served claims with local files
//!
//! ```
//! use artidigest::{Algorithm, digest_bytes};
//! use regclient::{FileComparison, PublishedFile, compare_local};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dist = tempfile::tempdir()?;
//! std::fs::write(dist.path().join("demo-1.0.0.tgz"), b"release bytes")?;
//! let claimed = digest_bytes(b"release bytes", &[Algorithm::Sha512]);
//! let served = PublishedFile::new(
//!     "demo-1.0.0.tgz",
//!     "http://127.0.0.1:4873/demo/-/demo-1.0.0.tgz",
//!     claimed.iter().copied().collect(),
//! )
//! .with_size(13);
//! let report = compare_local(&[served], dist.path())?;
//! assert!(matches!(report[0].comparison, FileComparison::Match { .. }));
//! # Ok(())
//! # }
//! ```
//!
//! # Configuration
//!
//! ```
//! use regclient::RegistriesConfig;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cfg: RegistriesConfig = r#"
//!     [http]
//!     deadline-secs = 60
//!     [crates]
//!     index = "http://127.0.0.1:8081/index/"
//!     [npm]
//!     registry = "http://127.0.0.1:4873/"
//! "#.parse()?;
//! let registries = cfg.build()?;
//! assert!(registries.crates.is_some() && registries.pypi.is_none());
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! None: the HTTP stack (`ureq` with rustls and ring) is always on, since speaking HTTP is
//! this crate's purpose.
#![forbid(unsafe_code)]
// No panic on input (issue 12): `unwrap_used`, `expect_used` and `panic` are workspace lints
// (clippy.toml lets tests use them); library code also may not index or slice. Each remaining
// use carries an `allow` with the reason input cannot reach it.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::string_slice))]

mod cache;
mod config;
pub mod crates;
mod document;
pub mod forge;
pub mod goproxy;
mod http;
mod model;
pub mod npm;
pub mod oci;
mod pipeline;
mod poll;
pub mod pypi;
mod raw_json;
mod readback;
mod registry;
mod secret;
#[cfg(feature = "test-registry")]
#[allow(
    clippy::indexing_slicing,
    reason = "loopback test registry (feature test-registry) indexing JSON values it built"
)]
pub mod testing;
mod views;

pub use crate::config::{
    ConfigError, CratesSettings, HttpSettings, LookupError, MAX_CONFIG_BYTES, NamedRegistry,
    NpmSettings, OciSettings, PypiSettings, Registries, RegistriesConfig, deprecated_var,
    registry_env_var,
};
pub use crate::document::{Document, DocumentRequest};
pub use crate::http::{
    DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_USER_AGENT, HttpClient, HttpClientBuilder, HttpError,
    RetryPolicy,
};
pub use crate::model::{
    PackageSpec, PublishedFile, PublishedVersion, RegistryKind, SpecError, VersionState,
};
pub use crate::pipeline::{SpecReadback, read_back};
pub use crate::poll::{NotVisible, PollOptions};
pub use crate::raw_json::RawJson;
pub use crate::readback::{
    FetchOptions, FetchedFile, FileComparison, FileReport, Progress, ReadbackError, compare_local,
    comparison_passes, fetch_all, fetch_verified,
};
pub use crate::registry::{Registry, RegistryError, error_chain};
pub use crate::secret::{Credential, Secret, scrub_text};
pub use crate::views::{ViewDifference, compare_views};
