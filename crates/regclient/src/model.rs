//! One model of "what is published", shared by every registry client.

use std::fmt;
use std::str::FromStr;

use artidigest::{Algorithm, Digest};

/// The kind of registry.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistryKind {
    /// A Python package index (JSON API, PEP 691 simple API).
    Pypi,
    /// A crates registry (sparse index).
    Crates,
    /// An npm registry.
    Npm,
    /// An OCI distribution registry (images, Helm charts, signatures).
    Oci,
    /// A Go module proxy (the GOPROXY protocol).
    #[serde(rename = "goproxy")]
    GoProxy,
}

relkit_finding::names! {
    RegistryKind,
    /// The lower-case name used in specs and config files.
    fn name {
        Pypi => "pypi",
        Crates => "crates",
        Npm => "npm",
        Oci => "oci",
        GoProxy => "goproxy",
    }
}

/// A spec that is not `kind:NAME==VERSION` / `kind:NAME@VERSION` / `oci:REPO:TAG`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid package spec {input:?}: {reason}")]
pub struct SpecError {
    /// The text that failed.
    pub input: String,
    /// Why.
    pub reason: &'static str,
}

impl FromStr for RegistryKind {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "pypi" => RegistryKind::Pypi,
            "crates" => RegistryKind::Crates,
            "npm" => RegistryKind::Npm,
            "oci" => RegistryKind::Oci,
            "goproxy" => RegistryKind::GoProxy,
            _ => {
                return Err(SpecError {
                    input: s.to_owned(),
                    reason: "unknown registry kind (pypi, crates, npm, oci, goproxy)",
                });
            }
        })
    }
}

/// A package version on one kind of registry, as written on command lines:
/// `pypi:NAME==VERSION`, `crates:NAME@VERSION`, `npm:@scope/name@VERSION`, `oci:REPO:TAG`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackageSpec {
    /// The registry kind.
    pub kind: RegistryKind,
    /// Package name (OCI: repository).
    pub name: String,
    /// Version (OCI: tag or digest).
    pub version: String,
}

impl fmt::Display for PackageSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = match self.kind {
            RegistryKind::Pypi => "==",
            RegistryKind::Oci if self.version.contains(':') => "@",
            RegistryKind::Oci => ":",
            _ => "@",
        };
        write!(f, "{}:{}{sep}{}", self.kind, self.name, self.version)
    }
}

impl FromStr for PackageSpec {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| SpecError {
            input: s.to_owned(),
            reason,
        };
        let (kind, rest) = s.split_once(':').ok_or_else(|| err("missing `kind:`"))?;
        let kind: RegistryKind = kind.parse().map_err(|_| err("unknown registry kind"))?;
        let (name, version) = match kind {
            RegistryKind::Pypi => rest
                .split_once("==")
                .ok_or_else(|| err("expected NAME==VERSION"))?,
            RegistryKind::Oci => match rest.split_once('@') {
                Some(p) => p,
                None => rest
                    .rsplit_once(':')
                    .ok_or_else(|| err("expected REPO:TAG or REPO@DIGEST"))?,
            },
            _ => {
                // `@scope/name@1.0.0`: the version separator is the last '@' after position 0.
                // `split_at` on an ASCII '@' stays on a character boundary.
                let at = rest
                    .rfind('@')
                    .filter(|&i| i > 0)
                    .ok_or_else(|| err("expected NAME@VERSION"))?;
                let (name, version) = rest.split_at(at);
                (name, version.trim_start_matches('@'))
            }
        };
        if name.is_empty() || version.is_empty() {
            return Err(err("empty name or version"));
        }
        let odd = |c: char| c.is_control() || c.is_whitespace();
        if name.contains(odd) || version.contains(odd) {
            return Err(err(
                "whitespace or a control character in the name or version",
            ));
        }
        if version.contains('@') {
            return Err(err("`@` in the version"));
        }
        match kind {
            RegistryKind::Pypi if name.contains('=') || version.contains('=') => {
                return Err(err("`=` in the name or version"));
            }
            RegistryKind::Oci if name.contains([':', '@']) => {
                return Err(err("`:` or `@` in the repository name"));
            }
            // A digest is `ALGORITHM:HEX`; anything else after the repository is a tag.
            RegistryKind::Oci => match version.split_once(':') {
                Some((alg, hex))
                    if alg.is_empty()
                        || !alg
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                        || hex.is_empty()
                        || !hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    return Err(err("a digest is ALGORITHM:HEX"));
                }
                None if version.contains('/') => return Err(err("`/` in the tag")),
                _ => {}
            },
            _ => {}
        }
        Ok(PackageSpec {
            kind,
            name: name.to_owned(),
            version: version.to_owned(),
        })
    }
}

/// What the registry says about a version.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum VersionState {
    /// Served normally.
    Present,
    /// Served but yanked (PyPI, crates).
    Yanked {
        /// The registry's reason, if any.
        reason: Option<String>,
    },
    /// Served but deprecated (npm).
    Deprecated {
        /// The deprecation message.
        message: String,
    },
    /// The registry says the version existed and was removed (npm unpublish). The version is
    /// still taken: it must never be published again.
    Deleted,
    /// The registry does not know the version.
    Absent,
}

impl VersionState {
    /// Whether the version was ever accepted (so the number is spent): everything but
    /// [`VersionState::Absent`].
    pub fn is_taken(&self) -> bool {
        !matches!(self, VersionState::Absent)
    }

    /// Whether the registry serves it for installation now (present, yanked or deprecated).
    pub fn is_served(&self) -> bool {
        matches!(
            self,
            VersionState::Present | VersionState::Yanked { .. } | VersionState::Deprecated { .. }
        )
    }
}

impl fmt::Display for VersionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionState::Present => f.write_str("present"),
            VersionState::Yanked { reason: None } => f.write_str("yanked"),
            VersionState::Yanked { reason: Some(r) } => write!(f, "yanked ({r})"),
            VersionState::Deprecated { message } => write!(f, "deprecated ({message})"),
            VersionState::Deleted => f.write_str("deleted"),
            VersionState::Absent => f.write_str("absent"),
        }
    }
}

/// One file (or blob) a registry serves for a version.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublishedFile {
    /// File name (a plain name, never a path).
    pub name: String,
    /// Where to download it.
    pub url: String,
    /// Size in bytes, when the registry states it.
    pub size: Option<u64>,
    /// Every digest the registry claims for it (all are checked on download).
    pub digests: Vec<Digest>,
    /// Whether this file is yanked (PEP 691 yanks per file).
    pub yanked: bool,
    /// The media type it is served as, sent as `Accept` when downloading (OCI manifests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

impl PublishedFile {
    /// A file at `url` with the digests the registry claims for it: size unknown, not
    /// yanked, no media type (set the public fields to say more).
    #[must_use]
    pub fn new(name: impl Into<String>, url: impl Into<String>, digests: Vec<Digest>) -> Self {
        PublishedFile {
            name: name.into(),
            url: url.into(),
            size: None,
            digests,
            yanked: false,
            media_type: None,
        }
    }

    /// The same file with the size the registry states.
    #[must_use]
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// The claimed digest of `algorithm`, if any.
    pub fn digest(&self, algorithm: Algorithm) -> Option<&Digest> {
        self.digests.iter().find(|d| d.algorithm() == algorithm)
    }

    /// Whether at least one claimed digest is collision resistant (sha256 or stronger).
    pub fn has_strong_digest(&self) -> bool {
        self.digests
            .iter()
            .any(|d| d.algorithm().is_collision_resistant())
    }
}

/// What a registry publishes for one package version.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublishedVersion {
    /// Registry kind.
    pub kind: RegistryKind,
    /// Registry base URL (as configured, credentials removed).
    pub registry: String,
    /// Package name as the registry spells it.
    pub package: String,
    /// The version.
    pub version: String,
    /// Its state.
    pub state: VersionState,
    /// Its files (empty when absent or deleted).
    pub files: Vec<PublishedFile>,
}

impl PublishedVersion {
    /// A version the registry does not know.
    pub(crate) fn absent(kind: RegistryKind, registry: &str, package: &str, version: &str) -> Self {
        PublishedVersion {
            kind,
            registry: registry.to_owned(),
            package: package.to_owned(),
            version: version.to_owned(),
            state: VersionState::Absent,
            files: Vec::new(),
        }
    }

    /// The file called `name`.
    pub fn file(&self, name: &str) -> Option<&PublishedFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip() {
        for s in [
            "pypi:demo-pkg==1.2.3",
            "crates:ordvec@0.4.0",
            "npm:@scope/name@1.0.0",
            "npm:plain@2.0.0-rc.1",
            "oci:team/app:1.2.3",
            "oci:team/app@sha256:0123",
        ] {
            let p: PackageSpec = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
        }
        let p: PackageSpec = "npm:@scope/name@1.0.0".parse().unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("@scope/name", "1.0.0")
        );
        assert!("npm:@scope/name".parse::<PackageSpec>().is_err());
        assert!("maven:x@1".parse::<PackageSpec>().is_err());
        assert!("pypi:x@1".parse::<PackageSpec>().is_err());
    }

    /// Empty and non-ASCII specs are typed errors, not panics (a slice at byte 1 of `é`).
    #[test]
    fn odd_specs_are_errors_not_panics() {
        for s in [
            "npm:",
            "crates:",
            "crates:é",
            "npm:@",
            "npm:@@",
            "npm:é",
            "goproxy:",
            "pypi:",
            "oci:",
            "npm:a@",
            ":",
            "",
            // Specs that printed back to another spec (found by the `regclient_package_spec`
            // fuzz target): each is refused, so every accepted spec round-trips.
            "oci:+example/a0npm:@scope/\u{15}\0\0\0@1p@s.ha250000002.000000030000000",
            "oci:repo:@x",
            "oci:repo@sha256:not-hex",
            "oci:repo@tag/with/slash",
            "pypi:a==b==c",
            "npm:a b@1",
            "crates:x@1\n",
        ] {
            let e = s.parse::<PackageSpec>().unwrap_err();
            assert_eq!(e.input, s);
        }
        // A name no registry allows still parses as a spec; the registry client refuses it.
        let p: PackageSpec = "npm:é@1".parse().unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("é", "1"));
    }

    #[test]
    fn states_say_whether_the_number_is_spent() {
        assert!(VersionState::Deleted.is_taken());
        assert!(!VersionState::Deleted.is_served());
        assert!(!VersionState::Absent.is_taken());
        assert!(VersionState::Yanked { reason: None }.is_served());
    }
}
