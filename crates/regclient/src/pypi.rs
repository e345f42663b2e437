//! Python package indexes: the project/version JSON API, the PEP 691 simple JSON API and the
//! PEP 740 provenance (integrity) API. Each endpoint is configured separately.

use std::collections::BTreeMap;
use std::time::Instant;

use artidigest::{Algorithm, Digest, names};
use url::Url;

use crate::cache::{EtagCache, Fetched};
use crate::http::{HttpClient, HttpError, Json, file_url, join, parse_base, parse_json};
use crate::model::{PublishedFile, PublishedVersion, RegistryKind, VersionState};
use crate::poll::{
    ClientError, NotVisible, Poll, PollOptions, client_error, unchanged_suffix, wait_visible,
};
use crate::raw_json::RawJson;
use crate::secret::{BaseUrl, Credential, Secret, redact_url};

/// `Accept` for PEP 691 JSON.
pub const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";
/// `Accept` for the PEP 740 integrity API.
pub const INTEGRITY_JSON: &str = "application/vnd.pypi.integrity.v1+json";

/// Why a Python index operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The endpoint needed for this call was not configured.
    #[error("no {endpoint} endpoint configured")]
    NotConfigured {
        /// Which one (`json`, `simple`, `integrity`).
        endpoint: &'static str,
    },
    /// Not a valid project name.
    #[error("invalid project name {name:?}")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// The request failed.
    #[error("{package}=={version}: request failed")]
    Http {
        /// The project.
        package: String,
        /// The version (may be empty).
        version: String,
        /// The cause.
        #[source]
        source: HttpError,
    },
    /// A document is not what the protocol says.
    #[error("{url}: {package}=={version}: {reason}")]
    Document {
        /// Its URL.
        url: String,
        /// The project.
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

client_error!(package, version, "{}=={}");

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`
/// ([`artidigest::names::normalize_project`], with this client's error).
pub fn normalize(name: &str) -> Result<String, Error> {
    names::normalize_project(name).map_err(|_| Error::InvalidName {
        name: name.to_owned(),
    })
}

/// The version part of a distribution file name (wheel or sdist), if recognisable
/// ([`artidigest::names::distribution_version`]).
pub fn version_of_filename(filename: &str) -> Option<String> {
    names::distribution_version(filename)
}

#[derive(serde::Deserialize)]
struct JsonDoc {
    info: JsonInfo,
    #[serde(default)]
    urls: Vec<JsonFile>,
}

#[derive(serde::Deserialize)]
struct JsonInfo {
    name: String,
    version: String,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    yanked_reason: Option<String>,
}

#[derive(serde::Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    digests: BTreeMap<String, String>,
    #[serde(default)]
    yanked: bool,
}

#[derive(serde::Deserialize)]
struct SimpleDoc {
    meta: SimpleMeta,
    name: String,
    #[serde(default)]
    files: Vec<SimpleFile>,
    #[serde(default)]
    versions: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct SimpleMeta {
    #[serde(rename = "api-version")]
    api_version: String,
}

#[derive(serde::Deserialize)]
struct SimpleFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(default)]
    yanked: Option<serde_json::Value>,
    #[serde(default)]
    size: Option<u64>,
}

/// Whether a project page was a 304 revalidation, and the index serial it carried.
type PageState = (bool, Option<String>);

/// A PEP 740 provenance object: attestation bundles handed on byte for byte.
#[non_exhaustive]
#[derive(Debug, serde::Deserialize)]
pub struct Provenance {
    /// Provenance format version (1).
    pub version: u32,
    /// Each bundle: `{"publisher": …, "attestations": [...]}`, as served.
    pub attestation_bundles: Vec<RawJson>,
}

/// A client for a Python package index. Configure the endpoints it offers.
#[derive(Debug)]
pub struct PypiIndex {
    http: HttpClient,
    json_base: Option<BaseUrl>,
    simple_base: Option<BaseUrl>,
    integrity_base: Option<BaseUrl>,
    token: Option<Credential>,
    cache: EtagCache,
}

/// A listed file as published: its URL resolved against the page `base` it was read from, its
/// digests parsed (an `Err` names the file).
fn published_file(
    base: &Url,
    filename: String,
    href: &str,
    hashes: &BTreeMap<String, String>,
    size: Option<u64>,
    yanked: bool,
) -> Result<PublishedFile, String> {
    let url = file_url(base, href).map_err(|e| format!("{filename}: url: {e}"))?;
    let digests = digests_from_map(hashes).map_err(|e| format!("{filename}: {e}"))?;
    Ok(PublishedFile {
        digests,
        name: filename,
        url: url.to_string(),
        size,
        yanked,
        media_type: None,
    })
}

fn digests_from_map(map: &BTreeMap<String, String>) -> Result<Vec<Digest>, String> {
    let mut out = Vec::new();
    for (alg, hex) in map {
        // Unknown algorithms are skipped, as PEP 691 allows; known ones must parse.
        let Ok(a) = alg.parse::<Algorithm>() else {
            continue;
        };
        out.push(Digest::from_hex(a, hex).map_err(|e| format!("hash {alg}: {e}"))?);
    }
    Ok(out)
}

impl PypiIndex {
    /// A client with no endpoint yet.
    pub fn new(http: HttpClient) -> Self {
        PypiIndex {
            http,
            json_base: None,
            simple_base: None,
            integrity_base: None,
            token: None,
            cache: EtagCache::default(),
        }
    }

    /// The JSON API root: `<base>/<project>/json` and `<base>/<project>/<version>/json`.
    pub fn json_api(mut self, base: &str) -> Result<Self, HttpError> {
        self.json_base = Some(BaseUrl(parse_base(base)?));
        Ok(self)
    }

    /// The simple API root: `<base>/<normalized>/` (PEP 503/691).
    pub fn simple(mut self, base: &str) -> Result<Self, HttpError> {
        self.simple_base = Some(BaseUrl(parse_base(base)?));
        Ok(self)
    }

    /// The integrity API root: `<base>/<project>/<version>/<filename>/provenance` (PEP 740).
    pub fn integrity(mut self, base: &str) -> Result<Self, HttpError> {
        self.integrity_base = Some(BaseUrl(parse_base(base)?));
        Ok(self)
    }

    /// A bearer token for a private index.
    pub fn with_token(mut self, token: Secret) -> Self {
        let token = Credential::Bearer(token);
        self.http.remember(&token);
        self.token = Some(token);
        self
    }

    /// The version as the JSON API describes it (`<base>/<project>/<version>/json`).
    pub fn json_version(&self, project: &str, version: &str) -> Result<PublishedVersion, Error> {
        let base = self
            .json_base
            .as_ref()
            .ok_or(Error::NotConfigured { endpoint: "json" })?;
        let norm = normalize(project)?;
        let enc = crate::http::segment(version);
        let url =
            join(base, &format!("{norm}/{enc}/json")).map_err(Error::http_err(project, version))?;
        let found = self
            .http
            .get_json::<JsonDoc>(
                &url,
                "application/json",
                self.token.as_ref(),
                "a PyPI JSON API document",
            )
            .map_err(Error::http_err(project, version))?;
        let registry = redact_url(base);
        let Some(Json {
            url: read_from,
            shown,
            doc,
        }) = found
        else {
            return Ok(PublishedVersion::absent(
                RegistryKind::Pypi,
                &registry,
                project,
                version,
            ));
        };
        let doc_err = |reason: String| Error::Document {
            url: shown.clone(),
            package: project.to_owned(),
            version: version.to_owned(),
            reason,
        };
        if normalize(&doc.info.name)? != norm || doc.info.version != version {
            return Err(doc_err(format!(
                "document is for {}=={}",
                doc.info.name, doc.info.version
            )));
        }
        let mut files = Vec::new();
        for f in doc.urls {
            let file = published_file(&read_from, f.filename, &f.url, &f.digests, f.size, f.yanked);
            files.push(file.map_err(doc_err)?);
        }
        Ok(PublishedVersion {
            kind: RegistryKind::Pypi,
            registry,
            package: doc.info.name,
            version: doc.info.version,
            state: if doc.info.yanked {
                VersionState::Yanked {
                    reason: doc.info.yanked_reason.filter(|r| !r.is_empty()),
                }
            } else {
                VersionState::Present
            },
            files,
        })
    }

    /// The version as the PEP 691 simple JSON API describes it: the project page's files
    /// whose file name carries `version`. A version is yanked when all its files are.
    pub fn simple_version(&self, project: &str, version: &str) -> Result<PublishedVersion, Error> {
        self.simple_version_until(project, version, None)
            .map(|(v, _)| v)
    }

    fn simple_version_until(
        &self,
        project: &str,
        version: &str,
        deadline: Option<Instant>,
    ) -> Result<(PublishedVersion, Option<PageState>), Error> {
        let base = self
            .simple_base
            .as_ref()
            .ok_or(Error::NotConfigured { endpoint: "simple" })?;
        let norm = normalize(project)?;
        let url = join(base, &format!("{norm}/")).map_err(Error::http_err(project, version))?;
        let registry = redact_url(base);
        let (body, revalidated, shown) = match self
            .cache
            .get(
                &self.http,
                &url,
                Some(SIMPLE_JSON),
                self.token.as_ref(),
                &[404],
                deadline,
            )
            .map_err(Error::http_err(project, version))?
        {
            Fetched::Missing { .. } => {
                return Ok((
                    PublishedVersion::absent(RegistryKind::Pypi, &registry, project, version),
                    None,
                ));
            }
            Fetched::Found {
                body,
                revalidated,
                url,
                serial,
            } => (body, Some((revalidated, serial)), url),
        };
        let doc: SimpleDoc = parse_json(&shown, &body, "a PEP 691 project page")
            .map_err(Error::http_err(project, version))?;
        let doc_err = |reason: String| Error::Document {
            url: shown.clone(),
            package: project.to_owned(),
            version: version.to_owned(),
            reason,
        };
        if !doc.meta.api_version.starts_with("1.") {
            return Err(doc_err(format!(
                "unsupported api-version {}",
                doc.meta.api_version
            )));
        }
        if normalize(&doc.name)? != norm {
            return Err(doc_err(format!("page is for {}", doc.name)));
        }
        let mut files = Vec::new();
        let mut all_yanked = true;
        let mut reason = None;
        for f in doc.files {
            if version_of_filename(&f.filename).as_deref() != Some(version) {
                continue;
            }
            let yanked = match &f.yanked {
                Some(serde_json::Value::Bool(b)) => *b,
                Some(serde_json::Value::String(s)) => {
                    if !s.is_empty() {
                        reason = Some(s.clone());
                    }
                    true
                }
                _ => false,
            };
            all_yanked &= yanked;
            let file = published_file(&url, f.filename, &f.url, &f.hashes, f.size, yanked);
            files.push(file.map_err(doc_err)?);
        }
        let listed = doc.versions.is_some_and(|v| v.iter().any(|x| x == version));
        let state = if files.is_empty() && !listed {
            VersionState::Absent
        } else if !files.is_empty() && all_yanked {
            VersionState::Yanked { reason }
        } else {
            VersionState::Present
        };
        Ok((
            PublishedVersion {
                kind: RegistryKind::Pypi,
                registry,
                package: doc.name,
                version: version.to_owned(),
                state,
                files,
            },
            revalidated,
        ))
    }

    /// The version through the JSON API when configured, else through the simple API.
    pub fn version(&self, project: &str, version: &str) -> Result<PublishedVersion, Error> {
        if self.json_base.is_some() {
            self.json_version(project, version)
        } else {
            self.simple_version(project, version)
        }
    }

    /// Whether `project==version` was ever accepted (so the number is spent).
    pub fn exists(&self, project: &str, version: &str) -> Result<bool, Error> {
        Ok(self.version(project, version)?.state.is_taken())
    }

    /// The PEP 740 provenance of one file (`None` when the index has none: 404).
    pub fn provenance(
        &self,
        project: &str,
        version: &str,
        filename: &str,
    ) -> Result<Option<Provenance>, Error> {
        let base = self.integrity_base.as_ref().ok_or(Error::NotConfigured {
            endpoint: "integrity",
        })?;
        let norm = normalize(project)?;
        crate::readback::check_plain_name(filename).map_err(|_| Error::InvalidName {
            name: filename.to_owned(),
        })?;
        let enc = crate::http::segment;
        let url = join(
            base,
            &format!("{norm}/{}/{}/provenance", enc(version), enc(filename)),
        )
        .map_err(Error::http_err(project, version))?;
        let Some(Json { shown, doc: p, .. }) = self
            .http
            .get_json::<Provenance>(
                &url,
                INTEGRITY_JSON,
                self.token.as_ref(),
                "a PEP 740 provenance object",
            )
            .map_err(Error::http_err(project, version))?
        else {
            return Ok(None);
        };
        if p.version != 1 {
            return Err(Error::Document {
                url: shown,
                package: project.to_owned(),
                version: version.to_owned(),
                reason: format!("unsupported provenance version {}", p.version),
            });
        }
        Ok(Some(p))
    }

    /// Polls the simple page (conditionally, by ETag) until `version` has files.
    pub fn wait_for_version(
        &self,
        project: &str,
        version: &str,
        poll: PollOptions,
    ) -> Result<PublishedVersion, Error> {
        wait_visible(poll, project, version, |deadline| {
            Ok(
                match self.simple_version_until(project, version, Some(deadline)) {
                    Ok((v, _)) if !v.files.is_empty() => Poll::Found(v),
                    Ok((_, None)) => {
                        Poll::Missing("the index does not know the project (404)".to_owned())
                    }
                    Ok((_, Some((revalidated, serial)))) => Poll::Missing(format!(
                        "the project page lists no file for {version}{}{}",
                        serial
                            .map(|s| format!(" (index serial {s})"))
                            .unwrap_or_default(),
                        unchanged_suffix(revalidated)
                    )),
                    Err(e) => return Poll::failed(e),
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_per_pep_503() {
        assert_eq!(normalize("Friendly-Bard").unwrap(), "friendly-bard");
        assert_eq!(normalize("FRIENDLY__bard").unwrap(), "friendly-bard");
        assert_eq!(normalize("friendly.-_bard").unwrap(), "friendly-bard");
        assert!(normalize("../x").is_err());
        assert!(normalize("-x").is_err());
    }

    #[test]
    fn versions_come_from_file_names() {
        // The rules are artidigest::names'; this client hands them on.
        assert_eq!(
            version_of_filename("demo-pkg-1.2.3.tar.gz").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(version_of_filename("README"), None);
    }
}
