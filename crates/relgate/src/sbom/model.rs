//! The typed model of the two SBOM formats relkit reads: CycloneDX 1.4–1.6 JSON and SPDX 2.3
//! JSON — only the fields the `sbom-valid` gate checks. Other fields are ignored (no
//! `deny_unknown_fields`: both formats grow, and extensions are allowed), but every field
//! modelled here must have its type, so a malformed value is a parse error at its position.

use serde::Deserialize;

/// What a document says it is, read before the full parse: CycloneDX's `bomFormat` and
/// `specVersion`, SPDX's `spdxVersion`. Any JSON type is accepted here; the check names a
/// value of the wrong type by its pointer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Probe {
    #[serde(default)]
    pub(crate) bom_format: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) spec_version: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) spdx_version: Option<serde_json::Value>,
}

/// A CycloneDX BOM (1.4, 1.5, 1.6).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CycloneDx {
    /// Always `CycloneDX`.
    #[allow(dead_code, reason = "typed so that a non-string is a parse error")]
    pub(crate) bom_format: String,
    /// `1.4`, `1.5` or `1.6`.
    #[allow(dead_code, reason = "typed so that a non-string is a parse error")]
    pub(crate) spec_version: String,
    /// What the BOM is about.
    #[serde(default)]
    pub(crate) metadata: Option<CdxMetadata>,
    /// The components it lists.
    #[serde(default)]
    pub(crate) components: Vec<CdxComponent>,
}

/// `metadata`.
#[derive(Debug, Deserialize)]
pub(crate) struct CdxMetadata {
    /// The component the BOM describes.
    #[serde(default)]
    pub(crate) component: Option<CdxComponent>,
}

/// A component (and its nested components).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CdxComponent {
    /// Its name (required by the schema).
    pub(crate) name: String,
    /// Its group (an npm scope, a Maven group).
    #[serde(default)]
    pub(crate) group: Option<String>,
    /// Its version.
    #[serde(default)]
    pub(crate) version: Option<String>,
    /// Its package URL.
    #[serde(default)]
    pub(crate) purl: Option<String>,
    /// Digests of the component.
    #[serde(default)]
    pub(crate) hashes: Vec<CdxHash>,
    /// Links, each with its own digests (a `distribution` link names a file).
    #[serde(default)]
    pub(crate) external_references: Vec<CdxReference>,
    /// Nested components.
    #[serde(default)]
    pub(crate) components: Vec<CdxComponent>,
}

/// A CycloneDX hash: `alg` (`SHA-256`, ...) and hex `content`.
#[derive(Debug, Deserialize)]
pub(crate) struct CdxHash {
    pub(crate) alg: String,
    pub(crate) content: String,
}

/// An external reference: its URL and digests (a `distribution` reference names a file).
#[derive(Debug, Deserialize)]
pub(crate) struct CdxReference {
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) hashes: Vec<CdxHash>,
}

/// An SPDX 2.3 document.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Spdx {
    /// `SPDX-2.3`.
    #[allow(dead_code, reason = "typed so that a non-string is a parse error")]
    pub(crate) spdx_version: String,
    /// The document's own id (`SPDXRef-DOCUMENT`).
    #[serde(rename = "SPDXID")]
    pub(crate) spdx_id: String,
    /// The ids of the elements the document describes.
    #[serde(default)]
    pub(crate) document_describes: Vec<String>,
    /// Its packages.
    #[serde(default)]
    pub(crate) packages: Vec<SpdxPackage>,
    /// Its files.
    #[serde(default)]
    pub(crate) files: Vec<SpdxFile>,
    /// Its relationships (`DESCRIBES`, `DESCRIBED_BY`, ...).
    #[serde(default)]
    pub(crate) relationships: Vec<SpdxRelationship>,
}

/// An SPDX package.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    pub(crate) spdx_id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) version_info: Option<String>,
    /// The file the package is distributed as (`sketchlog-3.0.2.tar.gz`).
    #[serde(default)]
    pub(crate) package_file_name: Option<String>,
    #[serde(default)]
    pub(crate) checksums: Vec<SpdxChecksum>,
    #[serde(default)]
    pub(crate) external_refs: Vec<SpdxExternalRef>,
}

/// An SPDX file entry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SpdxFile {
    pub(crate) file_name: String,
    #[serde(default)]
    pub(crate) checksums: Vec<SpdxChecksum>,
}

/// An SPDX checksum: `algorithm` (`SHA256`, ...) and hex `checksumValue`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SpdxChecksum {
    pub(crate) algorithm: String,
    pub(crate) checksum_value: String,
}

/// An SPDX external reference (`purl` and others).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SpdxExternalRef {
    pub(crate) reference_type: String,
    pub(crate) reference_locator: String,
}

/// An SPDX relationship.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SpdxRelationship {
    pub(crate) spdx_element_id: String,
    pub(crate) related_spdx_element: String,
    pub(crate) relationship_type: String,
}

/// An algorithm name of either format, as artidigest's algorithm when relkit computes it.
/// `Err(())` for a name the format defines that relkit cannot compute (SHA-384, SHA3, BLAKE3,
/// ...); `None` for a name the format does not define.
pub(crate) fn algorithm(name: &str, spdx: bool) -> Option<Result<artidigest::Algorithm, ()>> {
    use artidigest::Algorithm as A;
    let known: Option<A> = match name {
        "SHA-256" if !spdx => Some(A::Sha256),
        "SHA-512" if !spdx => Some(A::Sha512),
        "SHA-1" if !spdx => Some(A::Sha1),
        "SHA256" if spdx => Some(A::Sha256),
        "SHA512" if spdx => Some(A::Sha512),
        "SHA1" if spdx => Some(A::Sha1),
        "MD5" => Some(A::Md5),
        "BLAKE2b-256" => Some(A::Blake2b256),
        _ => None,
    };
    if let Some(a) = known {
        return Some(Ok(a));
    }
    let defined: &[&str] = if spdx {
        &[
            "SHA224",
            "SHA384",
            "SHA3-256",
            "SHA3-384",
            "SHA3-512",
            "BLAKE2b-384",
            "BLAKE2b-512",
            "BLAKE3",
            "MD2",
            "MD4",
            "MD6",
            "ADLER32",
        ]
    } else {
        &[
            "SHA-384",
            "SHA3-256",
            "SHA3-384",
            "SHA3-512",
            "BLAKE2b-384",
            "BLAKE2b-512",
            "BLAKE3",
        ]
    };
    defined.contains(&name).then_some(Err(()))
}
