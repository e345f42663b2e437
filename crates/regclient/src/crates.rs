//! crates registries through the sparse index protocol: index paths, JSON lines with `cksum`
//! and `yanked`, `config.json`'s `dl` template, downloads, and polling for visibility.

use std::sync::OnceLock;
use std::time::Instant;

use artidigest::{Algorithm, Digest};
use url::Url;

use crate::cache::{EtagCache, Fetched};
use crate::http::{HttpClient, HttpError, join, parse_base, parse_json, strip_userinfo};
use crate::model::{PublishedFile, PublishedVersion, RegistryKind, VersionState};
use crate::poll::{ClientError, NotVisible, Poll, client_error, unchanged_suffix, wait_visible};
use crate::secret::{BaseUrl, Credential, redact_url};

/// Why a crates registry operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The crate name is not a valid crate name.
    #[error("invalid crate name {name:?}")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// Talking to the index failed.
    #[error("crate {package} {version}: index request failed")]
    Http {
        /// The crate.
        package: String,
        /// The version asked for (may be empty).
        version: String,
        /// The cause.
        #[source]
        source: HttpError,
    },
    /// `config.json` is not usable.
    #[error("{url}: config.json: {reason}")]
    Config {
        /// Its URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// One line of the index file is malformed.
    #[error("{url} line {line}: {reason}")]
    IndexLine {
        /// The index file's URL.
        url: String,
        /// 1-based line number.
        line: usize,
        /// Why.
        reason: String,
    },
    /// A line names another crate.
    #[error("{url} line {line}: lists crate {found:?}, expected {expected:?}")]
    WrongCrate {
        /// The index file's URL.
        url: String,
        /// 1-based line number.
        line: usize,
        /// The crate asked for.
        expected: String,
        /// The crate named.
        found: String,
    },
    /// The version did not become visible before the deadline.
    #[error(transparent)]
    NotVisible(NotVisible),
}

client_error!(package, version, "crate {} {}");

/// One line of a sparse index file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// Crate name as published.
    pub name: String,
    /// Version.
    pub vers: String,
    /// sha256 of the `.crate` file.
    pub cksum: Digest,
    /// Whether yanked.
    pub yanked: bool,
}

#[derive(serde::Deserialize)]
struct RawLine {
    name: String,
    vers: String,
    cksum: String,
    #[serde(default)]
    yanked: bool,
}

#[derive(serde::Deserialize)]
struct RawConfig {
    dl: String,
    #[serde(default, rename = "auth-required")]
    auth_required: bool,
}

/// The index path of a crate (`1/a`, `2/ab`, `3/a/abc`, `se/rd/serde`), lower-cased as the
/// sparse protocol requires.
pub fn index_path(name: &str) -> Result<String, Error> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(Error::InvalidName {
            name: name.to_owned(),
        });
    }
    let lower = name.to_ascii_lowercase();
    Ok(format!("{}/{lower}", prefix(&lower)))
}

/// The directory part of the index path (`1`, `2`, `3/a`, `se/rd`), in the name's own case.
fn prefix(name: &str) -> String {
    match name.len() {
        1 => "1".to_owned(),
        2 => "2".to_owned(),
        // `name` is checked ASCII by `index_path`; `get` keeps any other input total.
        3 => format!("3/{}", name.get(..1).unwrap_or_default()),
        _ => format!(
            "{}/{}",
            name.get(..2).unwrap_or_default(),
            name.get(2..4).unwrap_or_default()
        ),
    }
}

/// Expands a `dl` template for one crate version. Without any marker, cargo's rule applies:
/// `/{crate}/{version}/download` is appended.
pub fn expand_dl(template: &str, name: &str, version: &str, cksum: &Digest) -> String {
    const MARKERS: [&str; 5] = [
        "{crate}",
        "{version}",
        "{prefix}",
        "{lowerprefix}",
        "{sha256-checksum}",
    ];
    if !MARKERS.iter().any(|m| template.contains(m)) {
        return format!(
            "{}/{name}/{version}/download",
            template.trim_end_matches('/')
        );
    }
    template
        .replace("{crate}", name)
        .replace("{version}", version)
        .replace("{prefix}", &prefix(name))
        .replace("{lowerprefix}", &prefix(&name.to_ascii_lowercase()))
        .replace("{sha256-checksum}", &cksum.to_hex())
}

/// Parses an index file (JSON lines), checking every line names `name`.
pub fn parse_index(url: &str, name: &str, text: &[u8]) -> Result<Vec<IndexEntry>, Error> {
    let text = std::str::from_utf8(text).map_err(|e| Error::IndexLine {
        url: url.to_owned(),
        line: 1 + text
            .get(..e.valid_up_to())
            .unwrap_or_default()
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
        reason: "not UTF-8".to_owned(),
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let raw: RawLine = serde_json::from_str(line).map_err(|e| Error::IndexLine {
            url: url.to_owned(),
            line: line_no,
            reason: e.to_string(),
        })?;
        if !raw.name.eq_ignore_ascii_case(name) {
            return Err(Error::WrongCrate {
                url: url.to_owned(),
                line: line_no,
                expected: name.to_owned(),
                found: raw.name,
            });
        }
        let cksum =
            Digest::from_hex(Algorithm::Sha256, &raw.cksum).map_err(|e| Error::IndexLine {
                url: url.to_owned(),
                line: line_no,
                reason: format!("cksum: {e}"),
            })?;
        out.push(IndexEntry {
            name: raw.name,
            vers: raw.vers,
            cksum,
            yanked: raw.yanked,
        });
    }
    Ok(out)
}

/// A client for one crates registry's sparse index.
///
/// The base URL is the index root (the folder holding `config.json`), given by the caller.
#[derive(Debug)]
pub struct SparseIndex {
    http: HttpClient,
    base: BaseUrl,
    token: Option<Credential>,
    cache: EtagCache,
    dl: OnceLock<String>,
}

pub use crate::poll::PollOptions;

impl SparseIndex {
    /// A client for the sparse index at `base` (e.g. `http://127.0.0.1:PORT/index/`).
    pub fn new(http: HttpClient, base: &str) -> Result<Self, HttpError> {
        Ok(SparseIndex {
            http,
            base: BaseUrl(parse_base(base)?),
            token: None,
            cache: EtagCache::default(),
            dl: OnceLock::new(),
        })
    }

    /// Sends `token` as `Authorization` (alternative registries with `auth-required`).
    pub fn with_token(mut self, token: crate::Secret) -> Self {
        let token = Credential::Raw(token);
        self.http.remember(&token);
        self.token = Some(token);
        self
    }

    /// The `dl` template from `config.json` (fetched once).
    pub fn dl_template(&self) -> Result<String, Error> {
        if let Some(t) = self.dl.get() {
            return Ok(t.clone());
        }
        let url = join(&self.base, "config.json").map_err(Error::http_err("", ""))?;
        let shown = redact_url(&url);
        let fetched = self
            .cache
            .get(&self.http, &url, None, self.token.as_ref(), &[], None)
            .map_err(Error::http_err("", ""))?;
        let Fetched::Found { body, .. } = fetched else {
            return Err(Error::Config {
                url: shown,
                reason: "missing".to_owned(),
            });
        };
        let raw: RawConfig =
            parse_json(&shown, &body, "config.json").map_err(Error::http_err("", ""))?;
        if raw.auth_required && self.token.is_none() {
            return Err(Error::Config {
                url: shown,
                reason: "the registry requires authentication and no token was given".to_owned(),
            });
        }
        if raw.dl.is_empty() {
            return Err(Error::Config {
                url: shown,
                reason: "empty `dl`".to_owned(),
            });
        }
        let _ = self.dl.set(raw.dl.clone());
        Ok(raw.dl)
    }

    /// Every index line of `name`; an empty list when the index does not know the crate.
    /// The second value says whether the answer was a 304 revalidation of the cached copy.
    pub fn entries(&self, name: &str) -> Result<(Vec<IndexEntry>, bool), Error> {
        self.entries_until(name, None)
    }

    fn entries_until(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<(Vec<IndexEntry>, bool), Error> {
        let path = index_path(name)?;
        let url = join(&self.base, &path).map_err(Error::http_err(name, ""))?;
        // Cargo treats 404, 410 and 451 as "no such crate".
        match self
            .cache
            .get(
                &self.http,
                &url,
                None,
                self.token.as_ref(),
                &[404, 410, 451],
                deadline,
            )
            .map_err(Error::http_err(name, ""))?
        {
            Fetched::Missing { .. } => Ok((Vec::new(), false)),
            Fetched::Found {
                body,
                revalidated,
                url,
                ..
            } => Ok((parse_index(&url, name, &body)?, revalidated)),
        }
    }

    /// What the registry publishes for `name` `version`: state (present, yanked, absent) and
    /// the `.crate` file with its sha256 and download URL.
    pub fn version(&self, name: &str, version: &str) -> Result<PublishedVersion, Error> {
        let (entries, _) = self.entries(name)?;
        self.to_published(name, version, &entries)
    }

    fn to_published(
        &self,
        name: &str,
        version: &str,
        entries: &[IndexEntry],
    ) -> Result<PublishedVersion, Error> {
        let registry = redact_url(&self.base);
        let Some(e) = entries.iter().find(|e| e.vers == version) else {
            return Ok(PublishedVersion::absent(
                RegistryKind::Crates,
                &registry,
                name,
                version,
            ));
        };
        let dl = self.dl_template()?;
        let url = expand_dl(&dl, &e.name, &e.vers, &e.cksum);
        let mut url = match Url::parse(&url) {
            Ok(u) => u,
            // A relative `dl` is resolved against the index root.
            Err(_) => join(&self.base, &url).map_err(Error::http_err(name, version))?,
        };
        strip_userinfo(&mut url);
        let url = url.to_string();
        Ok(PublishedVersion {
            kind: RegistryKind::Crates,
            registry,
            package: e.name.clone(),
            version: e.vers.clone(),
            state: if e.yanked {
                VersionState::Yanked { reason: None }
            } else {
                VersionState::Present
            },
            files: vec![PublishedFile {
                name: format!("{}-{}.crate", e.name, e.vers),
                url,
                size: None,
                digests: vec![e.cksum],
                yanked: e.yanked,
                media_type: None,
            }],
        })
    }

    /// Whether `version` of `name` was ever accepted (present or yanked): such a version
    /// must never be uploaded again.
    pub fn exists(&self, name: &str, version: &str) -> Result<bool, Error> {
        let (entries, _) = self.entries(name)?;
        Ok(entries.iter().any(|e| e.vers == version))
    }

    /// Polls the index (conditionally, with `If-None-Match`) until `version` is listed, or
    /// fails with [`Error::NotVisible`] saying what the index showed last.
    pub fn wait_for_version(
        &self,
        name: &str,
        version: &str,
        poll: PollOptions,
    ) -> Result<PublishedVersion, Error> {
        wait_visible(poll, name, version, |deadline| {
            Ok(match self.entries_until(name, Some(deadline)) {
                Ok((entries, _)) if entries.iter().any(|e| e.vers == version) => {
                    Poll::Found(self.to_published(name, version, &entries)?)
                }
                Ok((entries, _)) if entries.is_empty() => {
                    Poll::Missing("the index does not list the crate at all (404)".to_owned())
                }
                Ok((entries, revalidated)) => {
                    let listed: Vec<&str> = entries
                        .iter()
                        .rev()
                        .take(5)
                        .map(|e| e.vers.as_str())
                        .collect();
                    Poll::Missing(format!(
                        "the index lists {} version(s) (latest: {}) but not {version}{}",
                        entries.len(),
                        listed.join(", "),
                        unchanged_suffix(revalidated)
                    ))
                }
                Err(e) => return Poll::failed(e),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_the_length_rules() {
        assert_eq!(index_path("a").unwrap(), "1/a");
        assert_eq!(index_path("ab").unwrap(), "2/ab");
        assert_eq!(index_path("abc").unwrap(), "3/a/abc");
        assert_eq!(index_path("Serde").unwrap(), "se/rd/serde");
        assert_eq!(index_path("cargo-deny").unwrap(), "ca/rg/cargo-deny");
        assert!(index_path("../x").is_err());
        assert!(index_path("").is_err());
    }

    #[test]
    fn dl_markers_expand() {
        let ck = Digest::from_hex(Algorithm::Sha256, &"ab".repeat(32)).unwrap();
        assert_eq!(
            expand_dl("http://127.0.0.1:1/dl", "Foo", "1.0.0", &ck),
            "http://127.0.0.1:1/dl/Foo/1.0.0/download"
        );
        assert_eq!(
            expand_dl(
                "http://127.0.0.1:1/{prefix}/{lowerprefix}/{crate}/{crate}-{version}.crate?sum={sha256-checksum}",
                "FooBar",
                "1.0.0",
                &ck
            ),
            format!(
                "http://127.0.0.1:1/Fo/oB/fo/ob/FooBar/FooBar-1.0.0.crate?sum={}",
                "ab".repeat(32)
            )
        );
        assert_eq!(expand_dl("x/{prefix}", "abc", "1", &ck), "x/3/a");
    }

    #[test]
    fn index_lines_are_checked() {
        let ck = "ab".repeat(32);
        let good = format!(
            "{{\"name\":\"demo\",\"vers\":\"0.1.0\",\"deps\":[],\"cksum\":\"{ck}\",\"features\":{{}},\"yanked\":false}}\n{{\"name\":\"demo\",\"vers\":\"0.2.0\",\"deps\":[],\"cksum\":\"{ck}\",\"features\":{{}},\"yanked\":true,\"v\":2}}\n"
        );
        let e = parse_index("u", "demo", good.as_bytes()).unwrap();
        assert_eq!(e.len(), 2);
        assert!(e[1].yanked && !e[0].yanked);
        let bad = format!(
            "{}\n{{\"name\":\"demo\",\"vers\":\"0.3.0\",\"cksum\":\"zz\"}}\n",
            good.lines().next().unwrap()
        );
        match parse_index("u", "demo", bad.as_bytes()).unwrap_err() {
            Error::IndexLine { line, .. } => assert_eq!(line, 2),
            e => panic!("{e}"),
        }
        let other = good.replace("\"demo\"", "\"other\"");
        assert!(matches!(
            parse_index("u", "demo", other.as_bytes()),
            Err(Error::WrongCrate { line: 1, .. })
        ));
    }
}
