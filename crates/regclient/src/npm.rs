//! npm registries: full and abbreviated packuments, version documents, scoped names,
//! `dist.integrity` (SRI) and `dist.shasum`, deprecation and unpublish signals, the
//! attestations endpoint, and the publisher's identity (`whoami`, org rosters).

use std::collections::BTreeMap;
use std::time::Instant;

use artidigest::{Algorithm, Digest};
use url::Url;

use crate::cache::{EtagCache, Fetched};
use crate::http::{HttpClient, HttpError, Json, file_url, join, parse_base, parse_json};
use crate::model::{PublishedFile, PublishedVersion, RegistryKind, VersionState};
use crate::poll::{
    ClientError, NotVisible, Poll, PollOptions, client_error, unchanged_suffix, wait_visible,
};
use crate::raw_json::RawJson;
use crate::secret::{BaseUrl, Credential, Secret, redact_url};

mod identity;
pub use identity::{IdentityError, PUBLISHING_ROLES};

/// `Accept` for abbreviated ("corgi") packuments.
pub const ABBREVIATED: &str =
    "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

/// Why an npm registry operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not a valid npm package name.
    #[error("invalid npm package name {name:?}")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// The request failed.
    #[error("npm {package}@{version}: request failed")]
    Http {
        /// The package.
        package: String,
        /// The version (may be empty).
        version: String,
        /// The cause.
        #[source]
        source: HttpError,
    },
    /// A document is not what the protocol says.
    #[error("{url}: {package}@{version}: {reason}")]
    Document {
        /// The document's URL.
        url: String,
        /// The package.
        package: String,
        /// The version.
        version: String,
        /// Why.
        reason: String,
    },
    /// The version did not appear before the deadline.
    #[error(transparent)]
    NotVisible(NotVisible),
}

client_error!(package, version, "npm {}@{}");

/// `dist` of a version.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Dist {
    /// Tarball URL.
    pub tarball: String,
    /// SHA-1 hex of the tarball.
    #[serde(default)]
    pub shasum: Option<String>,
    /// SRI string (usually sha512).
    #[serde(default)]
    pub integrity: Option<String>,
    /// Attestations pointer, when the registry has them.
    #[serde(default)]
    pub attestations: Option<DistAttestations>,
}

/// `dist.attestations`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct DistAttestations {
    /// The attestations URL.
    pub url: String,
}

/// One version in a packument, or a version document.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct NpmVersion {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Distribution data.
    pub dist: Dist,
    /// Deprecation message, if deprecated (npm writes a string, an empty one meaning "not
    /// deprecated"; a `true` is read as the message `deprecated`).
    #[serde(default, deserialize_with = "deprecation_message")]
    pub deprecated: Option<String>,
    /// `gitHead`: the commit npm recorded when the package was published from a git
    /// checkout (absent otherwise). Kept as written; a value that is not a string is `None`.
    #[serde(default, rename = "gitHead", deserialize_with = "string_or_none")]
    pub git_head: Option<String>,
}

fn deprecation_message<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(
        match <Option<serde_json::Value> as serde::Deserialize>::deserialize(d)? {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s),
            Some(serde_json::Value::Bool(true)) => Some("deprecated".to_owned()),
            _ => None,
        },
    )
}

/// A string field that a registry may also fill with another JSON type: anything but a
/// string reads as absent (the caller decides whether absence matters).
fn string_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<serde_json::Value> = serde::Deserialize::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    })
}

impl NpmVersion {
    /// The deprecation message, if deprecated.
    pub fn deprecation(&self) -> Option<String> {
        self.deprecated.clone()
    }

    /// Every digest `dist` claims: the SRI tokens and the sha1 `shasum`.
    pub fn digests(&self) -> Result<Vec<Digest>, String> {
        let mut out = Vec::new();
        if let Some(i) = &self.dist.integrity {
            out.extend(Digest::parse_sri_list(i).map_err(|e| format!("dist.integrity: {e}"))?);
        }
        if let Some(s) = &self.dist.shasum {
            let d =
                Digest::from_hex(Algorithm::Sha1, s).map_err(|e| format!("dist.shasum: {e}"))?;
            if !out.contains(&d) {
                out.push(d);
            }
        }
        Ok(out)
    }
}

/// A packument (full or abbreviated).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Packument {
    /// Package name.
    pub name: String,
    /// Dist tags (`latest` …).
    #[serde(default, rename = "dist-tags")]
    pub dist_tags: BTreeMap<String, String>,
    /// Versions served.
    #[serde(default)]
    pub versions: BTreeMap<String, NpmVersion>,
    /// Publication times (full packuments only); a version listed here but not in
    /// `versions` was unpublished; `unpublished` marks a fully unpublished package.
    #[serde(default, deserialize_with = "packument_times")]
    pub time: BTreeMap<String, PackumentTime>,
}

/// One value of a packument's `time` object.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackumentTime {
    /// A time as served (RFC 3339): a version's publication, `created`, `modified`.
    At(String),
    /// The `unpublished` record of a fully unpublished package: the versions it had.
    Unpublished {
        /// When it was unpublished, if served.
        time: Option<String>,
        /// The versions it had.
        versions: Vec<String>,
    },
    /// A value of another shape (kept so that a packument with one still reads).
    Other,
}

fn packument_times<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, PackumentTime>, D::Error> {
    let raw = <BTreeMap<String, serde_json::Value> as serde::Deserialize>::deserialize(d)?;
    let text =
        |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_str).map(str::to_owned);
    Ok(raw
        .into_iter()
        .map(|(k, v)| {
            let t = match &v {
                serde_json::Value::String(s) => PackumentTime::At(s.clone()),
                serde_json::Value::Object(o) => PackumentTime::Unpublished {
                    time: text(o.get("time")),
                    versions: o
                        .get("versions")
                        .and_then(serde_json::Value::as_array)
                        .map(|l| l.iter().filter_map(|x| text(Some(x))).collect())
                        .unwrap_or_default(),
                },
                _ => PackumentTime::Other,
            };
            (k, t)
        })
        .collect())
}

impl Packument {
    /// Versions the registry says were published and then removed.
    pub fn unpublished_versions(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .time
            .keys()
            .filter(|k| !matches!(k.as_str(), "created" | "modified" | "unpublished"))
            .filter(|k| !self.versions.contains_key(*k))
            .cloned()
            .collect();
        if let Some(PackumentTime::Unpublished { versions, .. }) = self.time.get("unpublished") {
            out.extend(versions.iter().cloned());
        }
        out.sort();
        out.dedup();
        out
    }
}

/// One attestation from the attestations endpoint; the bundle is handed on untouched.
#[non_exhaustive]
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NpmAttestation {
    /// `predicateType` (publish attestation or SLSA provenance).
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The sigstore bundle, byte for byte as served.
    pub bundle: RawJson,
}

#[derive(serde::Deserialize)]
struct AttestationsDoc {
    attestations: Vec<NpmAttestation>,
}

/// Checks an npm name (`name` or `@scope/name`) and returns its URL path segment
/// (`@scope%2fname`).
pub fn encode_name(name: &str) -> Result<String, Error> {
    let bad = || Error::InvalidName {
        name: name.to_owned(),
    };
    let ok_part = |p: &str| {
        !p.is_empty()
            && !p.starts_with('.')
            && p.len() <= 214
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
    };
    match name.strip_prefix('@') {
        Some(rest) => {
            let (scope, pkg) = rest.split_once('/').ok_or_else(bad)?;
            if !ok_part(scope) || !ok_part(pkg) {
                return Err(bad());
            }
            Ok(format!("@{scope}%2f{pkg}"))
        }
        None if ok_part(name) => Ok(name.to_owned()),
        None => Err(bad()),
    }
}

/// A client for one npm registry, at a base URL given by the caller.
#[derive(Debug)]
pub struct NpmRegistry {
    http: HttpClient,
    base: BaseUrl,
    token: Option<Credential>,
    cache: EtagCache,
}

impl NpmRegistry {
    /// A client for the registry at `base`.
    pub fn new(http: HttpClient, base: &str) -> Result<Self, HttpError> {
        Ok(NpmRegistry {
            http,
            base: BaseUrl(parse_base(base)?),
            token: None,
            cache: EtagCache::default(),
        })
    }

    /// Sends `token` as a bearer token (to this registry's origin only).
    pub fn with_token(mut self, token: Secret) -> Self {
        let token = Credential::Bearer(token);
        self.http.remember(&token);
        self.token = Some(token);
        self
    }

    /// The credential for downloads from this registry (sent to its own origin only).
    pub fn credential(&self) -> Option<&Credential> {
        self.token.as_ref()
    }

    /// The registry's base URL.
    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    /// The packument of `name` (`None` when the registry does not know it), and whether it
    /// was a 304 revalidation. `abbreviated` asks for the install-v1 form.
    pub fn packument(
        &self,
        name: &str,
        abbreviated: bool,
    ) -> Result<(Option<Packument>, bool), Error> {
        self.packument_until(name, abbreviated, None)
    }

    fn packument_until(
        &self,
        name: &str,
        abbreviated: bool,
        deadline: Option<Instant>,
    ) -> Result<(Option<Packument>, bool), Error> {
        let url = join(&self.base, &encode_name(name)?).map_err(Error::http_err(name, ""))?;
        let accept = if abbreviated {
            ABBREVIATED
        } else {
            "application/json"
        };
        match self
            .cache
            .get(
                &self.http,
                &url,
                Some(accept),
                self.token.as_ref(),
                &[404],
                deadline,
            )
            .map_err(Error::http_err(name, ""))?
        {
            Fetched::Missing { .. } => Ok((None, false)),
            Fetched::Found {
                body,
                revalidated,
                url,
                ..
            } => {
                let p: Packument = parse_json(&url, &body, "an npm packument")
                    .map_err(Error::http_err(name, ""))?;
                if p.name != name {
                    return Err(Error::Document {
                        url,
                        package: name.to_owned(),
                        version: String::new(),
                        reason: format!("packument names {:?}", p.name),
                    });
                }
                Ok((Some(p), revalidated))
            }
        }
    }

    /// The version document `GET /<name>/<version>` (`None` on 404).
    pub fn version_document(&self, name: &str, version: &str) -> Result<Option<NpmVersion>, Error> {
        let path = format!("{}/{}", encode_name(name)?, crate::http::segment(version));
        let url = join(&self.base, &path).map_err(Error::http_err(name, version))?;
        let Some(Json { shown, doc: v, .. }) = self
            .http
            .get_json::<NpmVersion>(
                &url,
                "application/json",
                self.token.as_ref(),
                "an npm version document",
            )
            .map_err(Error::http_err(name, version))?
        else {
            return Ok(None);
        };
        if v.name != name || v.version != version {
            return Err(Error::Document {
                url: shown,
                package: name.to_owned(),
                version: version.to_owned(),
                reason: format!("document is for {}@{}", v.name, v.version),
            });
        }
        Ok(Some(v))
    }

    /// What the registry publishes for `name@version`: present / deprecated / deleted
    /// (unpublished) / absent, and the tarball with every claimed digest.
    pub fn version(&self, name: &str, version: &str) -> Result<PublishedVersion, Error> {
        let (p, _) = self.packument(name, true)?;
        let registry = redact_url(&self.base);
        if let Some(v) = p.as_ref().and_then(|p| p.versions.get(version)) {
            return self.to_published(name, v);
        }
        // Not served: the full packument's `time` tells "unpublished" from "never published".
        let (full, _) = self.packument(name, false)?;
        let state = match full {
            Some(f) if f.unpublished_versions().iter().any(|v| v == version) => {
                VersionState::Deleted
            }
            _ => VersionState::Absent,
        };
        let mut out = PublishedVersion::absent(RegistryKind::Npm, &registry, name, version);
        out.state = state;
        Ok(out)
    }

    fn to_published(&self, name: &str, v: &NpmVersion) -> Result<PublishedVersion, Error> {
        let registry = redact_url(&self.base);
        let doc_err = |reason: String| Error::Document {
            url: registry.clone(),
            package: name.to_owned(),
            version: v.version.clone(),
            reason,
        };
        let digests = v.digests().map_err(doc_err)?;
        let tarball = file_url(&self.base, &v.dist.tarball)
            .map_err(|e| doc_err(format!("dist.tarball: {e}")))?;
        let file_name = file_name_from_url(&tarball)
            .ok_or_else(|| doc_err("dist.tarball has no file name".to_owned()))?;
        Ok(PublishedVersion {
            kind: RegistryKind::Npm,
            registry: registry.clone(),
            package: name.to_owned(),
            version: v.version.clone(),
            state: match v.deprecation() {
                Some(message) => VersionState::Deprecated { message },
                None => VersionState::Present,
            },
            files: vec![PublishedFile {
                name: file_name,
                url: tarball.to_string(),
                size: None,
                digests,
                yanked: false,
                media_type: None,
            }],
        })
    }

    /// Whether `name@version` was ever accepted (served, deprecated, or unpublished): such a
    /// version can never be published again.
    pub fn exists(&self, name: &str, version: &str) -> Result<bool, Error> {
        Ok(self.version(name, version)?.state.is_taken())
    }

    /// The attestations of `name@version` (`GET /-/npm/v1/attestations/<name>@<version>`);
    /// empty when the registry has none (404). Bundles are handed on byte for byte.
    pub fn attestations(&self, name: &str, version: &str) -> Result<Vec<NpmAttestation>, Error> {
        encode_name(name)?;
        let spec = format!("{name}@{version}");
        let enc = percent_encoding::utf8_percent_encode(&spec, ATTEST_SET).to_string();
        let url = join(&self.base, &format!("-/npm/v1/attestations/{enc}"))
            .map_err(Error::http_err(name, version))?;
        self.fetch_attestations(name, version, &url)
    }

    /// The attestations a version's `dist.attestations.url` points to (falling back to the
    /// standard endpoint when the version has no pointer). The token goes only to this
    /// registry's origin.
    pub fn attestations_for(&self, v: &NpmVersion) -> Result<Vec<NpmAttestation>, Error> {
        match &v.dist.attestations {
            None => self.attestations(&v.name, &v.version),
            Some(a) => {
                let url = Url::parse(&a.url)
                    .or_else(|_| self.base.join(&a.url))
                    .map_err(|e| Error::Document {
                        url: redact_url(&self.base),
                        package: v.name.clone(),
                        version: v.version.clone(),
                        reason: format!("dist.attestations.url: {e}"),
                    })?;
                self.fetch_attestations(&v.name, &v.version, &url)
            }
        }
    }

    fn fetch_attestations(
        &self,
        name: &str,
        version: &str,
        url: &Url,
    ) -> Result<Vec<NpmAttestation>, Error> {
        let same_origin = url.origin() == self.base.origin();
        let found = self
            .http
            .get_json::<AttestationsDoc>(
                url,
                "application/json",
                self.token.as_ref().filter(|_| same_origin),
                "an npm attestations document",
            )
            .map_err(Error::http_err(name, version))?;
        Ok(found.map(|j| j.doc.attestations).unwrap_or_default())
    }

    /// Polls the abbreviated packument (conditionally, by ETag) until `version` is served.
    pub fn wait_for_version(
        &self,
        name: &str,
        version: &str,
        poll: PollOptions,
    ) -> Result<PublishedVersion, Error> {
        wait_visible(poll, name, version, |deadline| {
            Ok(match self.packument_until(name, true, Some(deadline)) {
                Ok((Some(p), revalidated)) => match p.versions.get(version) {
                    Some(v) => Poll::Found(self.to_published(name, v)?),
                    None => Poll::Missing(format!(
                        "the packument lists {} version(s) (latest: {}) but not {version}{}",
                        p.versions.len(),
                        p.dist_tags.get("latest").map_or("none", String::as_str),
                        unchanged_suffix(revalidated)
                    )),
                },
                Ok((None, _)) => {
                    Poll::Missing("the registry does not know the package (404)".to_owned())
                }
                Err(e) => return Poll::failed(e),
            })
        })
    }
}

/// `/` and `@` of a scoped spec are escaped in the attestations path, as npm does.
const ATTEST_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// The last path segment of a URL, percent-decoded: the name a file is saved under.
pub(crate) fn file_name_from_url(url: &Url) -> Option<String> {
    let last = url.path_segments()?.next_back()?.to_owned();
    let decoded = percent_encoding::percent_decode_str(&last)
        .decode_utf8()
        .ok()?
        .into_owned();
    if decoded.is_empty() {
        None
    } else {
        Some(decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_encode_like_npm() {
        assert_eq!(encode_name("@scope/pkg").unwrap(), "@scope%2fpkg");
        assert_eq!(encode_name("left-pad").unwrap(), "left-pad");
        for bad in ["", "@scope", "@/x", "a/b", "../x", "@s/../x", "a b"] {
            assert!(encode_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unpublish_signals_are_read_from_time() {
        let p: Packument = serde_json::from_str(
            r#"{"name":"x","versions":{"1.0.0":{"name":"x","version":"1.0.0","dist":{"tarball":"http://127.0.0.1:1/x/-/x-1.0.0.tgz"}}},
                "time":{"created":"t","modified":"t","1.0.0":"t","1.1.0":"t"}}"#,
        )
        .unwrap();
        assert_eq!(p.unpublished_versions(), vec!["1.1.0"]);
        let gone: Packument = serde_json::from_str(
            r#"{"name":"x","time":{"created":"t","unpublished":{"time":"t","versions":["2.0.0"]}}}"#,
        )
        .unwrap();
        assert_eq!(gone.unpublished_versions(), vec!["2.0.0"]);
    }

    #[test]
    fn git_head_is_read_from_a_version_document() {
        // A version document as npm serves one published from a git checkout.
        let v: NpmVersion = serde_json::from_str(
            r#"{"name":"@s/c","version":"3.0.2","gitHead":"0123456789abcdef0123456789abcdef01234567",
                "dist":{"tarball":"http://127.0.0.1:1/@s/c/-/c-3.0.2.tgz"}}"#,
        )
        .unwrap();
        assert_eq!(
            v.git_head.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        for doc in [
            r#"{"name":"x","version":"1.0.0","dist":{"tarball":"t"}}"#,
            r#"{"name":"x","version":"1.0.0","gitHead":null,"dist":{"tarball":"t"}}"#,
            r#"{"name":"x","version":"1.0.0","gitHead":{"sha":"x"},"dist":{"tarball":"t"}}"#,
        ] {
            let v: NpmVersion = serde_json::from_str(doc).unwrap();
            assert_eq!(v.git_head, None, "{doc}");
        }
    }

    #[test]
    fn dist_digests_are_all_collected() {
        let v: NpmVersion = serde_json::from_str(
            r#"{"name":"x","version":"1.0.0","deprecated":"","dist":{"tarball":"t",
                "shasum":"a9993e364706816aba3e25717850c26c9cd0d89d",
                "integrity":"sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="}}"#,
        )
        .unwrap();
        assert!(v.deprecation().is_none());
        let d = v.digests().unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].algorithm(), Algorithm::Sha512);
        assert_eq!(d[1].algorithm(), Algorithm::Sha1);
    }
}
