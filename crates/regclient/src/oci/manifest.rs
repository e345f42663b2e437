//! Manifests, descriptors, platforms and the artifact classification read from them.

use std::collections::BTreeMap;
use std::fmt;

use artidigest::Digest;

use super::{COSIGN_SIMPLESIGNING, DOCKER_LIST, DSSE_ENVELOPE, HELM_CHART, HELM_CONFIG, OCI_INDEX};

/// A platform of an index entry.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
#[non_exhaustive]
pub struct Platform {
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `amd64`.
    pub architecture: String,
    /// e.g. `v8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Platform {
    type Err = crate::model::SpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut it = s.split('/');
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(os), Some(arch), variant, None) if !os.is_empty() && !arch.is_empty() => {
                Ok(Platform {
                    os: os.to_owned(),
                    architecture: arch.to_owned(),
                    variant: variant.filter(|v| !v.is_empty()).map(str::to_owned),
                })
            }
            _ => Err(crate::model::SpecError {
                input: s.to_owned(),
                reason: "expected OS/ARCH[/VARIANT]",
            }),
        }
    }
}

fn oci_digest<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    Digest::from_oci(&s).map_err(serde::de::Error::custom)
}

/// An OCI content descriptor.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the content.
    pub media_type: String,
    /// Its digest.
    #[serde(deserialize_with = "oci_digest")]
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Platform (index entries).
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Artifact type (referrers index entries).
    #[serde(default)]
    pub artifact_type: Option<String>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// An image manifest or index (the fields relkit reads).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// `schemaVersion` (2).
    pub schema_version: u32,
    /// Media type (may be absent in old manifests; then the `Content-Type` counts).
    #[serde(default)]
    pub media_type: Option<String>,
    /// Artifact type.
    #[serde(default)]
    pub artifact_type: Option<String>,
    /// Config descriptor (manifests).
    #[serde(default)]
    pub config: Option<Descriptor>,
    /// Layers (manifests).
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// Entries (indexes).
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// The manifest this one refers to.
    #[serde(default)]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// What an artifact is, decided by media types alone.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A multi-platform index.
    Index,
    /// A container image.
    Image,
    /// A Helm chart.
    HelmChart,
    /// A cosign signature (simple signing payload).
    CosignSignature,
    /// An in-toto attestation in a DSSE envelope.
    Attestation,
    /// An SBOM (SPDX or CycloneDX).
    Sbom,
    /// A sigstore bundle (v0.3).
    SigstoreBundle,
    /// Anything else: the media or artifact type that decided it.
    Other(String),
}

fn is_sbom(mt: &str) -> bool {
    mt.contains("spdx") || mt.contains("cyclonedx") || mt.contains("syft")
}

/// A manifest as fetched and verified.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// Its digest (computed, and equal to every claim).
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// The media type (from the body, else `Content-Type`).
    pub media_type: String,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The bytes as served.
    pub raw: Vec<u8>,
}

impl FetchedManifest {
    /// Whether this is an index (OCI index or Docker manifest list).
    pub fn is_index(&self) -> bool {
        self.media_type == OCI_INDEX || self.media_type == DOCKER_LIST
    }

    /// The platforms of an index's entries (empty for a single manifest).
    pub fn platforms(&self) -> Vec<Platform> {
        let mut p: Vec<Platform> = self
            .manifest
            .manifests
            .iter()
            .filter_map(|d| d.platform.clone())
            .collect();
        p.sort();
        p.dedup();
        p
    }

    /// Classifies the artifact by `artifactType`, config and layer media types.
    pub fn kind(&self) -> ArtifactKind {
        if self.is_index() {
            return ArtifactKind::Index;
        }
        let m = &self.manifest;
        let config_type = m
            .config
            .as_ref()
            .map(|c| c.media_type.as_str())
            .unwrap_or("");
        let artifact_type = m.artifact_type.as_deref().unwrap_or("");
        let layer = |pred: &dyn Fn(&str) -> bool| {
            !m.layers.is_empty() && m.layers.iter().all(|l| pred(&l.media_type))
        };
        if artifact_type.starts_with("application/vnd.dev.sigstore.bundle") {
            ArtifactKind::SigstoreBundle
        } else if config_type == HELM_CONFIG || layer(&|t| t == HELM_CHART) {
            ArtifactKind::HelmChart
        } else if layer(&|t| t == COSIGN_SIMPLESIGNING) {
            ArtifactKind::CosignSignature
        } else if layer(&|t| t == DSSE_ENVELOPE) || artifact_type.contains("in-toto") {
            ArtifactKind::Attestation
        } else if layer(&is_sbom) || is_sbom(artifact_type) {
            ArtifactKind::Sbom
        } else if config_type == "application/vnd.oci.image.config.v1+json"
            || config_type == "application/vnd.docker.container.image.v1+json"
        {
            ArtifactKind::Image
        } else if !artifact_type.is_empty() {
            ArtifactKind::Other(artifact_type.to_owned())
        } else {
            ArtifactKind::Other(config_type.to_owned())
        }
    }
}

/// How the referrers were found.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferrersSource {
    /// `GET /v2/<name>/referrers/<digest>`.
    Api,
    /// The `sha256-<hex>` tag (registries without the referrers API).
    FallbackTag,
}

/// The referrers of a subject.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct Referrers {
    /// Where they came from.
    pub source: ReferrersSource,
    /// The descriptors (filtered by artifact type when one was asked for).
    pub descriptors: Vec<Descriptor>,
}

/// cosign artifacts attached to one image digest.
#[non_exhaustive]
#[derive(Debug, Clone, Default)]
pub struct CosignArtifacts {
    /// The legacy `sha256-<hex>.sig` manifest, with its classification.
    pub signature: Option<(FetchedManifest, ArtifactKind)>,
    /// The legacy `.att` manifest.
    pub attestation: Option<(FetchedManifest, ArtifactKind)>,
    /// The legacy `.sbom` manifest.
    pub sbom: Option<(FetchedManifest, ArtifactKind)>,
    /// Referrers classified as sigstore bundles (cosign's v0.3 bundle format).
    pub bundles: Vec<Descriptor>,
}

/// An image configuration (`application/vnd.oci.image.config.v1+json` and Docker's), as far
/// as relkit reads it: the labels.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `config.Labels` (`org.opencontainers.image.revision`, ...); empty when absent.
    pub labels: BTreeMap<String, String>,
}

/// The label that records the commit an image was built from.
pub const REVISION_LABEL: &str = "org.opencontainers.image.revision";

impl ImageConfig {
    /// Parses a configuration blob. `config` or `config.Labels` may be absent or `null`;
    /// anything else malformed is an error naming the JSON pointer at fault.
    pub fn from_json(bytes: &[u8]) -> Result<ImageConfig, String> {
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("the image configuration is not JSON: {e}"))?;
        if !v.is_object() {
            return Err(String::from("the image configuration is not a JSON object"));
        }
        let labels = match v.pointer("/config/Labels") {
            None | Some(serde_json::Value::Null) => BTreeMap::new(),
            Some(serde_json::Value::Object(m)) => {
                let mut out = BTreeMap::new();
                for (k, x) in m {
                    let Some(s) = x.as_str() else {
                        return Err(format!("/config/Labels/{k}: not a string"));
                    };
                    out.insert(k.clone(), s.to_owned());
                }
                out
            }
            Some(_) => return Err(String::from("/config/Labels: not an object")),
        };
        Ok(ImageConfig { labels })
    }

    /// The `org.opencontainers.image.revision` label, if set.
    pub fn revision(&self) -> Option<&str> {
        self.labels.get(REVISION_LABEL).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_round_trip() {
        for s in ["linux/amd64", "linux/arm64/v8"] {
            assert_eq!(s.parse::<Platform>().unwrap().to_string(), s);
        }
        assert!("linux".parse::<Platform>().is_err());
    }

    #[test]
    fn image_config_labels_are_read_with_the_revision() {
        // A configuration as `docker buildx` writes it (trimmed): labels under `config.Labels`.
        let c = ImageConfig::from_json(br#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin"],"Labels":{"org.opencontainers.image.revision":"0123456789abcdef0123456789abcdef01234567","org.opencontainers.image.source":"https://github.com/o/r"}},"rootfs":{"type":"layers","diff_ids":[]}}"#).unwrap();
        assert_eq!(
            c.revision(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(c.labels.len(), 2);
        // No labels, or null ones: no revision.
        for bare in [&br#"{"os":"linux"}"#[..], br#"{"config":{"Labels":null}}"#] {
            assert_eq!(ImageConfig::from_json(bare).unwrap().revision(), None);
        }
        // Malformed: named by pointer.
        let e = ImageConfig::from_json(br#"{"config":{"Labels":{"a":1}}}"#).unwrap_err();
        assert!(e.contains("/config/Labels/a"), "{e}");
        assert!(ImageConfig::from_json(b"[]").is_err());
        assert!(ImageConfig::from_json(b"not json").is_err());
    }
}
