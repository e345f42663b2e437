//! SBOM documents: a typed serde model of CycloneDX 1.4–1.6 JSON and SPDX 2.3 JSON (only the
//! fields relkit checks), and the reading of one document into what it claims — its format,
//! the component and version it describes, the digests it lists for files — with every
//! problem at the JSON pointer of the value at fault. Used by the `sbom-valid` gate.
//!
//! It lives in relgate, not artidigest: an SBOM is a document about a release (a component,
//! a version, artifacts by name), checked against the policy and the release folder, not a
//! byte-level format; artidigest supplies the digests it is compared with.

pub(crate) mod model;
pub(crate) mod pointer;
pub(crate) mod purl;
pub(crate) mod read;
