//! OCI distribution registries: tags to digests, image manifests and indexes with platforms,
//! Helm chart artifacts, the referrers API with the `sha256-<hex>` fallback tag scheme, cosign
//! signatures (legacy tags and sigstore bundles), and token authentication.
//!
//! The distribution API is spoken directly so that every body is bounded and every digest is
//! verified here: the computed digest of each manifest against `Docker-Content-Digest`, the
//! requested digest and the descriptor's digest and size.

// Errors carry the expected and actual digests by value (the point of them); the error path
// is cold, so their size does not matter.
#![allow(clippy::result_large_err)]

/// Manifests larger than this are refused (the distribution spec's own bound is 4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image manifest v2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Helm chart config.
pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
/// Helm chart content layer.
pub const HELM_CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// cosign simple signing payload (legacy `.sig` tags).
pub const COSIGN_SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// DSSE envelope (cosign legacy `.att` tags).
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// sigstore bundle v0.3 (cosign's new bundle format, as `artifactType`).
pub const SIGSTORE_BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

mod client;
mod error;
mod manifest;
mod names;

pub use self::client::OciRegistry;
pub use self::error::Error;
pub use self::manifest::{
    ArtifactKind, CosignArtifacts, Descriptor, FetchedManifest, ImageConfig, Manifest, Platform,
    REVISION_LABEL, Referrers, ReferrersSource,
};
pub use self::names::{check_repository, fallback_tag};
