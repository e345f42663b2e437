//! Endpoints as configuration: a TOML file or environment variables name every registry; no
//! host is built in. Secrets are named by environment variable, never written in the file.
//!
//! This is the one registries file format (kebab-case keys, as policies are) and the one
//! environment dialect (`RELKIT_REGISTRY_<NAME>_URL`, `RELKIT_REGISTRY_<NAME>_TOKEN`) of relkit;
//! relgate's `Endpoints` reads the same file through [`RegistriesConfig`]. docs/registries.md
//! describes both. The older snake_case keys and `RELKIT_PYPI_*`-style variables are still
//! read, each with a deprecation notice ([`RegistriesConfig::deprecations`]) and a
//! `tracing` warning.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::crates::SparseIndex;
use crate::goproxy::GoProxy;
use crate::http::{HttpClient, HttpError, MAX_TIMEOUT, RetryPolicy};
use crate::model::{PackageSpec, PublishedVersion, RegistryKind};
use crate::npm::NpmRegistry;
use crate::oci::OciRegistry;
use crate::pypi::PypiIndex;
use crate::secret::Secret;

/// Why a configuration could not be used.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read")]
    Read {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is invalid, has unknown keys, or a value is not taken.
    #[error("{path}:{line}: {}{message}", .key.as_deref().map(|k| format!("{k}: ")).unwrap_or_default())]
    Parse {
        /// The path (or `<string>`).
        path: String,
        /// The 1-based line of the offending key or value (0 when not tied to a line).
        line: usize,
        /// The dotted key it concerns (`npm.registry`, `registries.py.url`), when known.
        key: Option<String>,
        /// The parser's message.
        message: String,
    },
    /// A URL in the configuration is invalid.
    #[error("{field}: invalid endpoint")]
    Endpoint {
        /// The field, e.g. `npm.registry`.
        field: &'static str,
        /// The cause.
        #[source]
        source: HttpError,
    },
    /// A number in `[http]` is outside what a client takes (`timeout-secs` and
    /// `deadline-secs` from 1 s to a week, `max-download-bytes` at least 1).
    #[error("http.{field} = {value}: must be between {min} and {max}")]
    OutOfRange {
        /// The field, e.g. `deadline-secs`.
        field: &'static str,
        /// The value given.
        value: u64,
        /// The smallest value taken.
        min: u64,
        /// The largest value taken.
        max: u64,
    },
    /// A `*-env` key names a variable that is not set.
    #[error("{field}: environment variable {var} is not set")]
    MissingSecret {
        /// The field.
        field: &'static str,
        /// The variable.
        var: String,
    },
}

/// HTTP settings.
#[non_exhaustive]
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpSettings {
    /// User-Agent to send.
    pub user_agent: Option<String>,
    /// Per-request timeout, seconds (at most 604800, a week).
    pub timeout_secs: Option<u64>,
    /// Overall deadline per operation, seconds (at most 604800, a week).
    pub deadline_secs: Option<u64>,
    /// Largest file a download takes, bytes (default
    /// [`DEFAULT_MAX_DOWNLOAD_BYTES`](crate::DEFAULT_MAX_DOWNLOAD_BYTES), 4 GiB): a file
    /// whose claimed size is larger is refused before any byte is fetched, and a file without
    /// a claimed size stops at it.
    pub max_download_bytes: Option<u64>,
    /// Requests in flight at once.
    pub max_concurrency: Option<usize>,
    /// Attempts per request (1 = no retry).
    pub attempts: Option<u32>,
}

impl HttpSettings {
    /// Checks every number against the range a client takes.
    pub fn check(&self) -> Result<(), ConfigError> {
        let max_secs = MAX_TIMEOUT.as_secs();
        let fields = [
            ("timeout-secs", self.timeout_secs, 1, max_secs),
            ("deadline-secs", self.deadline_secs, 1, max_secs),
            ("max-download-bytes", self.max_download_bytes, 1, u64::MAX),
        ];
        for (field, value, min, max) in fields {
            if let Some(value) = value
                && !(min..=max).contains(&value)
            {
                return Err(ConfigError::OutOfRange {
                    field,
                    value,
                    min,
                    max,
                });
            }
        }
        Ok(())
    }
}

/// `[pypi]`.
#[non_exhaustive]
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PypiSettings {
    /// JSON API root (`<root>/<project>/<version>/json`).
    pub json_api: Option<String>,
    /// Simple API root (PEP 691).
    pub simple: Option<String>,
    /// Integrity API root (PEP 740).
    pub integrity: Option<String>,
    /// Environment variable holding a token.
    pub token_env: Option<String>,
}

/// `[crates]`.
#[non_exhaustive]
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CratesSettings {
    /// Sparse index root (holding `config.json`).
    pub index: String,
    /// Environment variable holding a token.
    pub token_env: Option<String>,
}

/// `[npm]`.
#[non_exhaustive]
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NpmSettings {
    /// Registry root.
    pub registry: String,
    /// Environment variable holding a token.
    pub token_env: Option<String>,
}

/// `[oci]`.
#[non_exhaustive]
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OciSettings {
    /// Registry root (`http(s)://host[:port]/`).
    pub registry: String,
    /// User for the token endpoint.
    pub username: Option<String>,
    /// Environment variable holding the password or token.
    pub password_env: Option<String>,
}

/// `[goproxy]`.
#[non_exhaustive]
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GoProxySettings {
    /// Proxy root, as in `GOPROXY` (module paths hang off it).
    pub url: String,
}

/// `[registries.<name>]`: the endpoint of a registry a policy names (relgate's gates).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NamedRegistry {
    /// Base URL (`http` or `https`).
    pub url: String,
    /// Environment variable holding a token for this registry (else
    /// `RELKIT_REGISTRY_<NAME>_TOKEN` is read).
    pub token_env: Option<String>,
}

/// A registries file (docs/registries.md), kebab-case keys:
///
/// ```toml
/// [http]
/// deadline-secs = 120
/// [pypi]
/// json-api = "http://127.0.0.1:8080/pypi/"
/// simple = "http://127.0.0.1:8080/simple/"
/// [crates]
/// index = "http://127.0.0.1:8081/index/"
/// [npm]
/// registry = "http://127.0.0.1:4873/"
/// token-env = "NPM_TOKEN"
/// [oci]
/// registry = "http://127.0.0.1:5000/"
/// [goproxy]
/// url = "http://127.0.0.1:8082/"
/// # The registries a release policy names, by name (relgate's gates).
/// [registries.npm-client]
/// url = "http://127.0.0.1:4873/"
/// token-env = "NPM_TOKEN"
/// ```
///
/// The snake_case keys of earlier releases (`json_api`, `token_env`, `deadline_secs`, …) are
/// still read, each with a notice in [`deprecations`](Self::deprecations).
///
/// Its `Debug` shows every URL with its user info masked (`http://<redacted>@host/`), so a
/// configuration printed for a diagnosis never shows a password written into a URL.
#[non_exhaustive]
#[derive(Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistriesConfig {
    /// HTTP settings.
    #[serde(default)]
    pub http: HttpSettings,
    /// The Python index.
    pub pypi: Option<PypiSettings>,
    /// The crates registry.
    pub crates: Option<CratesSettings>,
    /// The npm registry.
    pub npm: Option<NpmSettings>,
    /// The OCI registry.
    pub oci: Option<OciSettings>,
    /// The Go module proxy.
    pub goproxy: Option<GoProxySettings>,
    /// The registries a release policy names, by name.
    #[serde(default)]
    pub registries: BTreeMap<String, NamedRegistry>,
    /// Deprecation notices from reading this configuration.
    #[serde(skip)]
    deprecations: Vec<String>,
}

impl std::fmt::Debug for RegistriesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// A field's own `Debug`, with every URL's user info and credential-like value masked.
        struct Scrubbed<'a, T>(&'a T);
        impl<T: std::fmt::Debug> std::fmt::Debug for Scrubbed<'_, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let shown = format!("{:?}", self.0);
                f.write_str(&crate::secret::scrub_text(&shown, &[], "<redacted>"))
            }
        }
        f.debug_struct("RegistriesConfig")
            .field("http", &Scrubbed(&self.http))
            .field("pypi", &Scrubbed(&self.pypi))
            .field("crates", &Scrubbed(&self.crates))
            .field("npm", &Scrubbed(&self.npm))
            .field("oci", &Scrubbed(&self.oci))
            .field("goproxy", &Scrubbed(&self.goproxy))
            .field("registries", &Scrubbed(&self.registries))
            .field("deprecations", &self.deprecations)
            .finish()
    }
}

impl std::str::FromStr for RegistriesConfig {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegistriesConfig::from_toml_str(s, "<string>")
    }
}

/// The most bytes read from a registries file.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl RegistriesConfig {
    /// Reads a TOML file (a regular file of at most [`MAX_CONFIG_BYTES`]).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        // A regular file only (a FIFO or device is refused before it is opened), bounded by
        // the bytes actually read.
        let bytes =
            artidigest::read_bounded(path, MAX_CONFIG_BYTES).map_err(|e| ConfigError::Read {
                path: path.display().to_string(),
                source: std::io::Error::other(e),
            })?;
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        RegistriesConfig::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses and checks the TOML text of the file named `path` (named in errors and
    /// deprecation notices).
    pub fn from_toml_str(text: &str, path: &str) -> Result<Self, ConfigError> {
        let (modern, deprecations) = modernize_keys(text, path);
        let mut cfg: RegistriesConfig = toml::from_str(&modern).map_err(|e| {
            let at = e.span().map(|s| s.start);
            ConfigError::Parse {
                path: path.to_owned(),
                line: at.map_or(0, |o| line_of(&modern, o)),
                key: at.and_then(|o| key_at(&modern, o)),
                message: e.message().trim().to_owned(),
            }
        })?;
        cfg.http.check()?;
        for (name, entry) in &cfg.registries {
            if !(entry.url.starts_with("http://") || entry.url.starts_with("https://")) {
                return Err(ConfigError::Parse {
                    path: path.to_owned(),
                    line: line_of_table(&modern, &format!("registries.{name}")),
                    key: Some(format!("registries.{name}.url")),
                    message: format!(
                        "{:?} is not an http(s) URL",
                        crate::secret::redact_url_text(&entry.url)
                    ),
                });
            }
        }
        cfg.deprecations = deprecations;
        Ok(cfg)
    }

    /// Deprecation notices from reading this configuration (an old key or variable name was
    /// used; each was also logged as a `tracing` warning), for the caller to show.
    pub fn deprecations(&self) -> &[String] {
        &self.deprecations
    }

    /// Reads endpoints from the environment (see [`from_vars`](Self::from_vars)).
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// Reads endpoints from `vars` (pass `std::env::vars()`): `RELKIT_REGISTRY_<KIND>_URL` and
    /// `RELKIT_REGISTRY_<KIND>_TOKEN` for the kinds `PYPI` (the simple API root), `CRATES`
    /// (the sparse index), `NPM`, `OCI` (and `RELKIT_REGISTRY_OCI_USERNAME`) and `GOPROXY`.
    /// Tokens are read as [`Secret`]s when clients are built, from the variable named here.
    ///
    /// The older names are still read when the new one is unset, each with a deprecation
    /// notice ([`deprecations`](Self::deprecations)) and a `tracing` warning:
    /// `RELKIT_PYPI_SIMPLE`, `RELKIT_PYPI_JSON_API`, `RELKIT_PYPI_INTEGRITY`,
    /// `RELKIT_PYPI_TOKEN`, `RELKIT_CRATES_INDEX`, `RELKIT_CRATES_TOKEN`,
    /// `RELKIT_NPM_REGISTRY`, `RELKIT_NPM_TOKEN`, `RELKIT_OCI_REGISTRY`, `RELKIT_OCI_USERNAME`,
    /// `RELKIT_OCI_PASSWORD`, `RELKIT_GOPROXY`.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let mut deprecations = Vec::new();
        // The value of the first set name: the new one, else the old one with a notice.
        let mut pick = |new: &str, old: &str| -> Option<(String, String)> {
            if let Some(v) = vars.get(new) {
                return Some((new.to_owned(), v.clone()));
            }
            let v = vars.get(old)?;
            deprecations.push(deprecated_var(old, new));
            Some((old.to_owned(), v.clone()))
        };
        let value = |p: Option<(String, String)>| p.map(|(_, v)| v);
        let name = |p: Option<(String, String)>| p.map(|(k, _)| k);
        let pypi = PypiSettings {
            simple: value(pick("RELKIT_REGISTRY_PYPI_URL", "RELKIT_PYPI_SIMPLE")),
            json_api: value(pick(
                "RELKIT_REGISTRY_PYPI_JSON_API",
                "RELKIT_PYPI_JSON_API",
            )),
            integrity: value(pick(
                "RELKIT_REGISTRY_PYPI_INTEGRITY",
                "RELKIT_PYPI_INTEGRITY",
            )),
            token_env: name(pick("RELKIT_REGISTRY_PYPI_TOKEN", "RELKIT_PYPI_TOKEN")),
        };
        let has_pypi = pypi.json_api.is_some() || pypi.simple.is_some() || pypi.integrity.is_some();
        let crates = value(pick("RELKIT_REGISTRY_CRATES_URL", "RELKIT_CRATES_INDEX"));
        let crates_token = name(pick("RELKIT_REGISTRY_CRATES_TOKEN", "RELKIT_CRATES_TOKEN"));
        let npm = value(pick("RELKIT_REGISTRY_NPM_URL", "RELKIT_NPM_REGISTRY"));
        let npm_token = name(pick("RELKIT_REGISTRY_NPM_TOKEN", "RELKIT_NPM_TOKEN"));
        let oci = value(pick("RELKIT_REGISTRY_OCI_URL", "RELKIT_OCI_REGISTRY"));
        let oci_user = value(pick("RELKIT_REGISTRY_OCI_USERNAME", "RELKIT_OCI_USERNAME"));
        let oci_token = name(pick("RELKIT_REGISTRY_OCI_TOKEN", "RELKIT_OCI_PASSWORD"));
        let goproxy = value(pick("RELKIT_REGISTRY_GOPROXY_URL", "RELKIT_GOPROXY"));
        RegistriesConfig {
            http: HttpSettings::default(),
            pypi: has_pypi.then_some(pypi),
            crates: crates.map(|index| CratesSettings {
                index,
                token_env: crates_token,
            }),
            npm: npm.map(|registry| NpmSettings {
                registry,
                token_env: npm_token,
            }),
            oci: oci.map(|registry| OciSettings {
                registry,
                username: oci_user,
                password_env: oci_token,
            }),
            goproxy: goproxy.map(|url| GoProxySettings { url }),
            registries: BTreeMap::new(),
            deprecations,
        }
    }

    /// The HTTP client these settings describe.
    pub fn http_client(&self) -> HttpClient {
        let h = &self.http;
        let mut b = HttpClient::builder();
        if let Some(ua) = &h.user_agent {
            b = b.user_agent(ua.clone());
        }
        if let Some(t) = h.timeout_secs {
            b = b.request_timeout(Duration::from_secs(t));
        }
        if let Some(t) = h.deadline_secs {
            b = b.deadline(Duration::from_secs(t));
        }
        if let Some(n) = h.max_download_bytes {
            b = b.max_download_bytes(n);
        }
        if let Some(n) = h.max_concurrency {
            b = b.max_concurrency(n);
        }
        if let Some(n) = h.attempts {
            b = b.retry(RetryPolicy {
                max_attempts: n.max(1),
                ..RetryPolicy::default()
            });
        }
        b.build()
    }

    /// Builds a client for every configured registry.
    pub fn build(&self) -> Result<Registries, ConfigError> {
        self.http.check()?;
        let http = self.http_client();
        let ep = |field: &'static str| move |source| ConfigError::Endpoint { field, source };
        let pypi = self
            .pypi
            .as_ref()
            .map(|p| {
                let mut idx = PypiIndex::new(http.clone());
                if let Some(u) = &p.json_api {
                    idx = idx.json_api(u).map_err(ep("pypi.json-api"))?;
                }
                if let Some(u) = &p.simple {
                    idx = idx.simple(u).map_err(ep("pypi.simple"))?;
                }
                if let Some(u) = &p.integrity {
                    idx = idx.integrity(u).map_err(ep("pypi.integrity"))?;
                }
                with_secret(idx, "pypi.token-env", &p.token_env, PypiIndex::with_token)
            })
            .transpose()?;
        let crates = self
            .crates
            .as_ref()
            .map(|c| {
                let idx = SparseIndex::new(http.clone(), &c.index).map_err(ep("crates.index"))?;
                with_secret(
                    idx,
                    "crates.token-env",
                    &c.token_env,
                    SparseIndex::with_token,
                )
            })
            .transpose()?;
        let npm = self
            .npm
            .as_ref()
            .map(|n| {
                let r = NpmRegistry::new(http.clone(), &n.registry).map_err(ep("npm.registry"))?;
                with_secret(r, "npm.token-env", &n.token_env, NpmRegistry::with_token)
            })
            .transpose()?;
        let oci = self
            .oci
            .as_ref()
            .map(|o| {
                let r = OciRegistry::new(http.clone(), &o.registry).map_err(ep("oci.registry"))?;
                with_secret(r, "oci.password-env", &o.password_env, |r, p| {
                    match &o.username {
                        Some(u) => r.with_basic(u, p),
                        None => r.with_bearer(p),
                    }
                })
            })
            .transpose()?;
        let goproxy = self
            .goproxy
            .as_ref()
            .map(|g| GoProxy::new(http.clone(), &g.url).map_err(ep("goproxy.url")))
            .transpose()?;
        Ok(Registries {
            http,
            pypi,
            crates,
            npm,
            oci,
            goproxy,
        })
    }
}

/// The client of a `kind` registry, or [`LookupError::NotConfigured`].
fn configured<C>(client: &Option<C>, kind: RegistryKind) -> Result<&C, LookupError> {
    client.as_ref().ok_or(LookupError::NotConfigured(kind))
}

/// `client` given the secret held by the environment variable `var` names (`give` hands it
/// over), or unchanged when `var` names none; a named variable that is not set is an error
/// naming `field`.
fn with_secret<C>(
    client: C,
    field: &'static str,
    var: &Option<String>,
    give: impl FnOnce(C, Secret) -> C,
) -> Result<C, ConfigError> {
    let Some(v) = var else {
        return Ok(client);
    };
    let secret = Secret::from_env(v).ok_or_else(|| ConfigError::MissingSecret {
        field,
        var: v.clone(),
    })?;
    Ok(give(client, secret))
}

/// The environment variable for registry `name`'s `what` (`URL`, `TOKEN`):
/// `core-index` → `RELKIT_REGISTRY_CORE_INDEX_URL` (upper case, other characters as `_`).
pub fn registry_env_var(name: &str, what: &str) -> String {
    let part: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("RELKIT_REGISTRY_{part}_{what}")
}

/// The notice for a deprecated variable `old` that was read in place of `new` (also logged).
pub fn deprecated_var(old: &str, new: &str) -> String {
    let notice = format!("{old} is deprecated: set {new} instead (the value was used)");
    tracing::warn!(target: "regclient::config", "{notice}");
    notice
}

/// The snake_case keys of earlier registries files, still read as their kebab-case spelling.
const DEPRECATED_KEYS: [&str; 8] = [
    "json_api",
    "token_env",
    "password_env",
    "user_agent",
    "timeout_secs",
    "deadline_secs",
    "max_download_bytes",
    "max_concurrency",
];

/// `text` with each deprecated snake_case key (at the start of a line) spelled in kebab-case,
/// line for line (so positions in errors stay true), and a notice per key rewritten.
fn modernize_keys(text: &str, path: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut notices = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let body = line.trim_start();
        let indent = line.len().saturating_sub(body.len());
        let old = DEPRECATED_KEYS.iter().find(|k| {
            body.strip_prefix(**k)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        });
        match (
            old,
            line.get(..indent),
            body.get(old.map_or(0, |k| k.len())..),
        ) {
            (Some(old), Some(lead), Some(rest)) => {
                let new = old.replace('_', "-");
                let notice = format!(
                    "{path}:{}: `{old}` is deprecated: write `{new}` (the value was used)",
                    i + 1
                );
                tracing::warn!(target: "regclient::config", "{notice}");
                notices.push(notice);
                out.push_str(lead);
                out.push_str(&new);
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
    }
    (out, notices)
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(0, |s| s.matches('\n').count() + 1)
}

/// The 1-based line of the table header `[name]` (0 when absent).
fn line_of_table(text: &str, name: &str) -> usize {
    text.lines()
        .position(|l| table_name(l).is_some_and(|t| t == name))
        .map_or(0, |i| i + 1)
}

/// The name of the table a header line opens (`[a.b]` → `a.b`).
fn table_name(line: &str) -> Option<String> {
    let l = line.trim();
    let inner = l.strip_prefix('[')?.trim_start_matches('[');
    let inner = inner.split(']').next()?;
    Some(
        inner
            .split('.')
            .map(|p| p.trim().trim_matches('"'))
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// The dotted key the byte at `offset` belongs to: the table of the last header above it
/// and the key of its own line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next().unwrap_or_default();
    if let Some(t) = table_name(line) {
        return Some(t);
    }
    let key = line.split('=').next()?.trim().trim_matches('"');
    let table = before.get(..line_start)?.lines().rev().find_map(table_name);
    match (table, key.is_empty()) {
        (_, true) => None,
        (Some(t), false) => Some(format!("{t}.{key}")),
        (None, false) => Some(key.to_owned()),
    }
}

/// Why a lookup through [`Registries`] failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No registry of that kind is configured.
    #[error("no {0} registry configured")]
    NotConfigured(RegistryKind),
    /// Python index.
    #[error(transparent)]
    Pypi(#[from] crate::pypi::Error),
    /// crates registry.
    #[error(transparent)]
    Crates(#[from] crate::crates::Error),
    /// npm registry.
    #[error(transparent)]
    Npm(#[from] crate::npm::Error),
    /// OCI registry.
    #[error(transparent)]
    Oci(Box<crate::oci::Error>),
    /// Go module proxy.
    #[error(transparent)]
    GoProxy(#[from] crate::goproxy::Error),
}

impl From<crate::oci::Error> for LookupError {
    fn from(e: crate::oci::Error) -> Self {
        LookupError::Oci(Box::new(e))
    }
}

/// One client per configured registry, sharing one [`HttpClient`].
#[non_exhaustive]
#[derive(Debug)]
pub struct Registries {
    /// The shared HTTP client.
    pub http: HttpClient,
    /// Python index.
    pub pypi: Option<PypiIndex>,
    /// crates registry.
    pub crates: Option<SparseIndex>,
    /// npm registry.
    pub npm: Option<NpmRegistry>,
    /// OCI registry.
    pub oci: Option<OciRegistry>,
    /// Go module proxy.
    pub goproxy: Option<GoProxy>,
}

impl Registries {
    /// What the registry of `spec`'s kind publishes for it.
    pub fn version(&self, spec: &PackageSpec) -> Result<PublishedVersion, LookupError> {
        let (kind, name, version) = (spec.kind, spec.name.as_str(), spec.version.as_str());
        Ok(match kind {
            RegistryKind::Pypi => configured(&self.pypi, kind)?.version(name, version)?,
            RegistryKind::Crates => configured(&self.crates, kind)?.version(name, version)?,
            RegistryKind::Npm => configured(&self.npm, kind)?.version(name, version)?,
            RegistryKind::Oci => configured(&self.oci, kind)?.version(name, version)?,
            RegistryKind::GoProxy => configured(&self.goproxy, kind)?.version(name, version)?,
        })
    }

    /// Whether `spec`'s version was ever accepted by its registry.
    pub fn exists(&self, spec: &PackageSpec) -> Result<bool, LookupError> {
        Ok(self.version(spec)?.state.is_taken())
    }
}
