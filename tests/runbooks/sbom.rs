//! The SBOMs the replicas attach, built in the test as a release job writes them: SPDX 2.3 or
//! CycloneDX 1.6 JSON naming the release's component and version, with the sha256 of each
//! artifact of the release folder it lists.

use std::path::Path;

use artidigest::{Algorithm, Digest};
use serde_json::{Value, json};

/// The sha256 (hex) of `file` in `dist`.
fn sha256(dist: &Path, file: &str) -> String {
    Digest::of(Algorithm::Sha256, &std::fs::read(dist.join(file)).unwrap()).to_hex()
}

/// An SPDX 2.3 document describing package `name` at `version`, with one package per file of
/// `files` (in `dist`) carrying its `packageFileName` and SHA256.
pub(crate) fn spdx_sbom(dist: &Path, name: &str, version: &str, files: &[&str]) -> Vec<u8> {
    let root = format!("SPDXRef-Package-{name}");
    let mut packages = vec![json!({
        "SPDXID": root,
        "name": name,
        "versionInfo": version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relatedSpdxElement": root,
        "relationshipType": "DESCRIBES",
    })];
    for (i, f) in files.iter().enumerate() {
        let id = format!("SPDXRef-File-{i}");
        packages.push(json!({
            "SPDXID": id,
            "name": f,
            "versionInfo": version,
            "packageFileName": f,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "checksums": [{"algorithm": "SHA256", "checksumValue": sha256(dist, f)}],
        }));
        relationships.push(json!({
            "spdxElementId": root,
            "relatedSpdxElement": id,
            "relationshipType": "CONTAINS",
        }));
    }
    let doc: Value = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{name}-{version}"),
        "documentNamespace": format!("https://example.invalid/spdx/{name}-{version}"),
        "creationInfo": {"created": "2026-10-01T00:00:00Z", "creators": ["Tool: release.yml"]},
        "documentDescribes": [root],
        "packages": packages,
        "relationships": relationships,
    });
    serde_json::to_vec_pretty(&doc).unwrap()
}

/// A CycloneDX 1.6 BOM whose `metadata.component` is `name` at `version`, with one `file`
/// component per file of `files` (in `dist`) carrying its SHA-256.
pub(crate) fn cyclonedx_sbom(dist: &Path, name: &str, version: &str, files: &[&str]) -> Vec<u8> {
    let components: Vec<Value> = files
        .iter()
        .map(|f| {
            json!({
                "type": "file",
                "name": f,
                "hashes": [{"alg": "SHA-256", "content": sha256(dist, f)}],
            })
        })
        .collect();
    let doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": "2026-10-01T00:00:00Z",
            "component": {"type": "application", "name": name, "version": version},
        },
        "components": components,
    });
    serde_json::to_vec_pretty(&doc).unwrap()
}
