//! Go module proxies through the GOPROXY protocol: `@v/list`, `@v/VERSION.info`, `.mod` and
//! `.zip`, with the proxy's case-escaping of module paths and versions, and the `h1:` hashes
//! that `go.sum` records for a module zip and its `go.mod`.
//!
//! A module proxy claims no digest for what it serves: the checksum database does. So a
//! [`PublishedVersion`] from [`GoProxy::version`] lists its `.mod` and `.zip` without digests,
//! and a readback compares them with the local module files (or with `go.sum`'s `h1:` lines,
//! via [`hash_module_zip`] and [`hash_go_mod`]).

use std::io::{Read, Seek};

use artidigest::{Algorithm, ArchiveError, Digest, Format, Limits, MultiHasher, list_archive};
use base64::Engine as _;
use url::Url;

use crate::http::{HttpClient, HttpError, join, parse_base, parse_json, strip_userinfo};
use crate::model::{PublishedFile, PublishedVersion, RegistryKind, VersionState};
use crate::poll::{ClientError, NotVisible, Poll, PollOptions, client_error, wait_visible};
use crate::secret::{BaseUrl, redact_url};

/// Why a Go module proxy operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not a valid module path.
    #[error("invalid Go module path {path:?}: {reason}")]
    InvalidPath {
        /// The path.
        path: String,
        /// Why.
        reason: &'static str,
    },
    /// Not a valid module version (`vMAJOR.MINOR.PATCH[-pre][+build]`).
    #[error("invalid Go module version {version:?}: {reason}")]
    InvalidVersion {
        /// The version.
        version: String,
        /// Why.
        reason: &'static str,
    },
    /// The request failed.
    #[error("go module {module}@{version}: request failed")]
    Http {
        /// The module path.
        module: String,
        /// The version (may be empty).
        version: String,
        /// The cause.
        #[source]
        source: HttpError,
    },
    /// The `.info` document names another version than the one asked for.
    #[error("{url}: .info names version {found:?}, expected {expected:?}")]
    WrongVersion {
        /// The `.info` URL.
        url: String,
        /// The version asked for.
        expected: String,
        /// The version named.
        found: String,
    },
    /// The version did not become visible before the deadline.
    #[error(transparent)]
    NotVisible(NotVisible),
    /// A module zip could not be read.
    #[error("module zip: {0}")]
    Zip(#[from] ArchiveError),
    /// A zip entry name holds a newline, which `go.sum` hashes cannot express.
    #[error("module zip entry {name:?}: names with newlines cannot be hashed")]
    NewlineInName {
        /// The entry name.
        name: String,
    },
}

client_error!(module, version, "go module {}@{}");

/// Escapes a module path or version for a proxy URL: every upper-case letter becomes `!`
/// followed by its lower-case form (`Azure` → `!azure`), as the GOPROXY protocol requires.
fn case_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks a module path and returns its escaped form for proxy URLs.
///
/// Paths are `/`-separated elements of ASCII letters, digits and `-._~`; no element is empty,
/// `.` or `..`, or starts or ends with a dot; the first element (a domain) holds a dot and
/// does not start with `-`.
///
/// ```
/// assert_eq!(regclient::goproxy::escape_path("example.com/Org/Mod")?, "example.com/!org/!mod");
/// assert!(regclient::goproxy::escape_path("example.com/../x").is_err());
/// # Ok::<(), regclient::goproxy::Error>(())
/// ```
pub fn escape_path(path: &str) -> Result<String, Error> {
    let bad = |reason| Error::InvalidPath {
        path: path.to_owned(),
        reason,
    };
    if path.is_empty() || path.len() > 1024 {
        return Err(bad("empty or longer than 1024 bytes"));
    }
    for (i, element) in path.split('/').enumerate() {
        if element.is_empty() {
            return Err(bad(
                "empty path element (leading, trailing or double slash)",
            ));
        }
        if element.starts_with('.') || element.ends_with('.') {
            return Err(bad("a path element starts or ends with a dot"));
        }
        if !element
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        {
            return Err(bad("only ASCII letters, digits and -._~ are allowed"));
        }
        if i == 0 && (!element.contains('.') || element.starts_with('-')) {
            return Err(bad("the first element must be a domain name with a dot"));
        }
    }
    Ok(case_escape(path))
}

/// Checks a module version and returns its escaped form for proxy URLs.
///
/// ```
/// assert_eq!(regclient::goproxy::escape_version("v1.2.3-RC1")?, "v1.2.3-!r!c1");
/// assert!(regclient::goproxy::escape_version("1.2.3").is_err());
/// # Ok::<(), regclient::goproxy::Error>(())
/// ```
pub fn escape_version(version: &str) -> Result<String, Error> {
    let bad = |reason| Error::InvalidVersion {
        version: version.to_owned(),
        reason,
    };
    let Some(rest) = version.strip_prefix('v') else {
        return Err(bad("must start with `v`"));
    };
    let core = rest.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
    };
    if parts.len() != 3 || !parts.iter().all(numeric) {
        return Err(bad("needs MAJOR.MINOR.PATCH without leading zeros"));
    }
    if version.len() > 128
        || !rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.+".contains(c))
    {
        return Err(bad("only ASCII letters, digits and -.+ are allowed"));
    }
    Ok(case_escape(version))
}

/// The `h1:` hash `go.sum` records for a module zip: sha256 over the sorted lines
/// `"<sha256 hex of entry>  <entry name>\n"` of every entry, base64-encoded.
///
/// The zip is read with `artidigest`'s checked zip reader under `limits`.
pub fn hash_module_zip<R: Read + Seek + Send>(zip: R, limits: &Limits) -> Result<String, Error> {
    let listing = list_archive(zip, Format::Zip, limits, &[Algorithm::Sha256])?;
    let mut lines: Vec<(String, String)> = Vec::with_capacity(listing.entries.len());
    for e in &listing.entries {
        let name = e.entry.raw_path.clone();
        if name.contains('\n') {
            return Err(Error::NewlineInName { name });
        }
        let hex = e
            .digests
            .get(Algorithm::Sha256)
            .map(|d| d.to_hex())
            .unwrap_or_default();
        lines.push((name, hex));
    }
    lines.sort();
    Ok(hash1(lines.iter().map(|(n, h)| (n.as_str(), h.as_str()))))
}

/// The `h1:` hash `go.sum` records for a module's `go.mod` (the `/go.mod` line).
///
/// ```
/// // A real go.sum line: the synthesised go.mod of a module published before modules existed.
/// let h = regclient::goproxy::hash_go_mod(b"module golang.org/x/text\n");
/// assert_eq!(h, "h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=");
/// ```
pub fn hash_go_mod(go_mod: &[u8]) -> String {
    hash1([(
        "go.mod",
        Digest::of(Algorithm::Sha256, go_mod).to_hex().as_str(),
    )])
}

fn hash1<'a>(sorted: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = MultiHasher::new(&[Algorithm::Sha256]);
    for (name, hex) in sorted {
        h.update(hex.as_bytes());
        h.update(b"  ");
        h.update(name.as_bytes());
        h.update(b"\n");
    }
    let sum = h.finish();
    let bytes = sum
        .get(Algorithm::Sha256)
        .map(Digest::as_bytes)
        .unwrap_or_default();
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[derive(serde::Deserialize)]
struct RawInfo {
    #[serde(rename = "Version")]
    version: String,
}

/// A client for one Go module proxy (the base URL is the folder that module paths hang off,
/// given by the caller, as in `GOPROXY`).
#[derive(Debug, Clone)]
pub struct GoProxy {
    http: HttpClient,
    base: BaseUrl,
}

/// The proxy protocol's "not found" answers: 404 and 410.
const NOT_FOUND: &[u16] = &[404, 410];

impl GoProxy {
    /// A client for the proxy at `base` (e.g. `http://127.0.0.1:PORT/`).
    pub fn new(http: HttpClient, base: &str) -> Result<Self, HttpError> {
        Ok(GoProxy {
            http,
            base: BaseUrl(parse_base(base)?),
        })
    }

    fn url(&self, module: &str, version: &str, rest: &str) -> Result<Url, Error> {
        join(&self.base, &format!("{}/@v/{rest}", escape_path(module)?))
            .map_err(Error::http_err(module, version))
    }

    /// GET `url`; `None` when the proxy answers 404 or 410.
    fn fetch(&self, url: &Url, module: &str, version: &str) -> Result<Option<Vec<u8>>, Error> {
        let req = crate::http::Request {
            pass_statuses: NOT_FOUND,
            ..Default::default()
        };
        let (resp, body) = self
            .http
            .get_bytes(url, &req)
            .map_err(Error::http_err(module, version))?;
        Ok((!NOT_FOUND.contains(&resp.status)).then_some(body))
    }

    /// The versions the proxy lists for `module` (`@v/list`); empty when it knows none.
    pub fn list(&self, module: &str) -> Result<Vec<String>, Error> {
        let url = self.url(module, "", "list")?;
        let Some(body) = self.fetch(&url, module, "")? else {
            return Ok(Vec::new());
        };
        Ok(String::from_utf8_lossy(&body)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// What the proxy serves for `module` `version`: present with its `.mod` and `.zip` (no
    /// claimed digests: the proxy makes none), or absent.
    pub fn version(&self, module: &str, version: &str) -> Result<PublishedVersion, Error> {
        let escaped = escape_version(version)?;
        let registry = redact_url(&self.base);
        let info_url = self.url(module, version, &format!("{escaped}.info"))?;
        let Some(body) = self.fetch(&info_url, module, version)? else {
            return Ok(PublishedVersion::absent(
                RegistryKind::GoProxy,
                &registry,
                module,
                version,
            ));
        };
        let shown = redact_url(&info_url);
        let info: RawInfo =
            parse_json(&shown, &body, ".info").map_err(Error::http_err(module, version))?;
        if info.version != version {
            return Err(Error::WrongVersion {
                url: shown,
                expected: version.to_owned(),
                found: info.version,
            });
        }
        let file = |ext: &str| -> Result<PublishedFile, Error> {
            Ok(PublishedFile {
                name: format!("{version}.{ext}"),
                url: {
                    let mut u = self.url(module, version, &format!("{escaped}.{ext}"))?;
                    strip_userinfo(&mut u);
                    u.to_string()
                },
                size: None,
                digests: Vec::new(),
                yanked: false,
                media_type: None,
            })
        };
        Ok(PublishedVersion {
            kind: RegistryKind::GoProxy,
            registry,
            package: module.to_owned(),
            version: version.to_owned(),
            state: VersionState::Present,
            files: vec![file("mod")?, file("zip")?],
        })
    }

    /// Polls `.info` until the proxy serves `version`, or fails with [`Error::NotVisible`]
    /// naming what it listed last.
    pub fn wait_for_version(
        &self,
        module: &str,
        version: &str,
        poll: PollOptions,
    ) -> Result<PublishedVersion, Error> {
        wait_visible(poll, module, version, |_deadline| {
            Ok(match self.version(module, version) {
                Ok(v) if v.state.is_served() => Poll::Found(v),
                Ok(_) => {
                    let listed = self.list(module).unwrap_or_default();
                    Poll::Missing(if listed.is_empty() {
                        format!("the proxy knows no version of {module} (404/410)")
                    } else {
                        format!(
                            "the proxy lists {} version(s) (latest: {}) but not {version}",
                            listed.len(),
                            listed.last().map_or("", String::as_str)
                        )
                    })
                }
                Err(e) => return Poll::failed(e),
            })
        })
    }

    /// Whether the proxy serves `module` `version` (its `.info` answers). A module proxy
    /// caches forever, so a served version is spent.
    pub fn exists(&self, module: &str, version: &str) -> Result<bool, Error> {
        Ok(self.version(module, version)?.state.is_taken())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_proxy_protocol() {
        assert_eq!(
            escape_path("example.com/Azure/azure-sdk").unwrap(),
            "example.com/!azure/azure-sdk"
        );
        for bad in [
            "",
            "/example.com/x",
            "example.com/x/",
            "example.com//x",
            "localhost/x",
            "-example.com/x",
            "example.com/.hidden",
            "example.com/a b",
            "example.com/a!b",
        ] {
            assert!(escape_path(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(escape_version("v0.1.0").unwrap(), "v0.1.0");
        assert_eq!(escape_version("v1.0.0+Build").unwrap(), "v1.0.0+!build");
        for bad in ["v1.2", "v01.2.3", "1.2.3", "v1.2.3/x", "v1.2.x"] {
            assert!(escape_version(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn go_mod_hash_matches_a_published_go_sum_line() {
        assert_eq!(
            hash_go_mod(b"module golang.org/x/text\n"),
            "h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ="
        );
        assert_ne!(
            hash_go_mod(b"module golang.org/x/text\n\n"),
            "h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ="
        );
    }
}
