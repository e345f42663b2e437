//! Endpoints as configuration: a TOML file or environment variables name every registry; no
//! host is built in. Secrets are named by environment variable, never written in the file.

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
    /// The TOML is invalid or has unknown keys.
    #[error("{path}: {message}")]
    Parse {
        /// The path (or `<string>`).
        path: String,
        /// The parser's message (with line and column).
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
    /// A number in `[http]` is outside what a client takes (`timeout_secs` and
    /// `deadline_secs` from 1 s to a week, `max_download_bytes` at least 1).
    #[error("http.{field} = {value}: must be between {min} and {max}")]
    OutOfRange {
        /// The field, e.g. `deadline_secs`.
        field: &'static str,
        /// The value given.
        value: u64,
        /// The smallest value taken.
        min: u64,
        /// The largest value taken.
        max: u64,
    },
    /// A `*_env` variable names a variable that is not set.
    #[error("{field}: environment variable {var} is not set")]
    MissingSecret {
        /// The field.
        field: &'static str,
        /// The variable.
        var: String,
    },
}

/// HTTP settings.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
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
            ("timeout_secs", self.timeout_secs, 1, max_secs),
            ("deadline_secs", self.deadline_secs, 1, max_secs),
            ("max_download_bytes", self.max_download_bytes, 1, u64::MAX),
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
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
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
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CratesSettings {
    /// Sparse index root (holding `config.json`).
    pub index: String,
    /// Environment variable holding a token.
    pub token_env: Option<String>,
}

/// `[npm]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NpmSettings {
    /// Registry root.
    pub registry: String,
    /// Environment variable holding a token.
    pub token_env: Option<String>,
}

/// `[oci]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OciSettings {
    /// Registry root (`http(s)://host[:port]/`).
    pub registry: String,
    /// User for the token endpoint.
    pub username: Option<String>,
    /// Environment variable holding the password or token.
    pub password_env: Option<String>,
}

/// `[goproxy]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoProxySettings {
    /// Proxy root, as in `GOPROXY` (module paths hang off it).
    pub url: String,
}

/// A registries file:
///
/// ```toml
/// [http]
/// deadline_secs = 120
/// [pypi]
/// json_api = "http://127.0.0.1:8080/pypi/"
/// simple = "http://127.0.0.1:8080/simple/"
/// [crates]
/// index = "http://127.0.0.1:8081/index/"
/// [npm]
/// registry = "http://127.0.0.1:4873/"
/// token_env = "NPM_TOKEN"
/// [oci]
/// registry = "http://127.0.0.1:5000/"
/// [goproxy]
/// url = "http://127.0.0.1:8082/"
/// ```
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
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
}

impl std::str::FromStr for RegistriesConfig {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegistriesConfig::parse(s, "<string>")
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
        RegistriesConfig::parse(&text, &path.display().to_string())
    }

    /// Parses and checks the TOML text of the file named `path` (for messages).
    fn parse(text: &str, path: &str) -> Result<Self, ConfigError> {
        let cfg: RegistriesConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        cfg.http.check()?;
        Ok(cfg)
    }

    /// Reads endpoints from the environment: `RELKIT_PYPI_JSON_API`, `RELKIT_PYPI_SIMPLE`,
    /// `RELKIT_PYPI_INTEGRITY`, `RELKIT_CRATES_INDEX`, `RELKIT_NPM_REGISTRY`,
    /// `RELKIT_OCI_REGISTRY`, `RELKIT_GOPROXY` (tokens: `RELKIT_PYPI_TOKEN`, `RELKIT_CRATES_TOKEN`,
    /// `RELKIT_NPM_TOKEN`, `RELKIT_OCI_USERNAME` + `RELKIT_OCI_PASSWORD`).
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let pypi = PypiSettings {
            json_api: var("RELKIT_PYPI_JSON_API"),
            simple: var("RELKIT_PYPI_SIMPLE"),
            integrity: var("RELKIT_PYPI_INTEGRITY"),
            token_env: Some("RELKIT_PYPI_TOKEN".to_owned()).filter(|k| var(k).is_some()),
        };
        let has_pypi = pypi.json_api.is_some() || pypi.simple.is_some() || pypi.integrity.is_some();
        RegistriesConfig {
            http: HttpSettings::default(),
            pypi: has_pypi.then_some(pypi),
            crates: var("RELKIT_CRATES_INDEX").map(|index| CratesSettings {
                index,
                token_env: Some("RELKIT_CRATES_TOKEN".to_owned()).filter(|k| var(k).is_some()),
            }),
            npm: var("RELKIT_NPM_REGISTRY").map(|registry| NpmSettings {
                registry,
                token_env: Some("RELKIT_NPM_TOKEN".to_owned()).filter(|k| var(k).is_some()),
            }),
            oci: var("RELKIT_OCI_REGISTRY").map(|registry| OciSettings {
                registry,
                username: var("RELKIT_OCI_USERNAME"),
                password_env: Some("RELKIT_OCI_PASSWORD".to_owned()).filter(|k| var(k).is_some()),
            }),
            goproxy: var("RELKIT_GOPROXY").map(|url| GoProxySettings { url }),
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
        let secret =
            |field: &'static str, var: &Option<String>| -> Result<Option<Secret>, ConfigError> {
                match var {
                    None => Ok(None),
                    Some(v) => {
                        Secret::from_env(v)
                            .map(Some)
                            .ok_or_else(|| ConfigError::MissingSecret {
                                field,
                                var: v.clone(),
                            })
                    }
                }
            };
        let ep = |field: &'static str| move |source| ConfigError::Endpoint { field, source };
        let pypi = match &self.pypi {
            None => None,
            Some(p) => {
                let mut idx = PypiIndex::new(http.clone());
                if let Some(u) = &p.json_api {
                    idx = idx.json_api(u).map_err(ep("pypi.json_api"))?;
                }
                if let Some(u) = &p.simple {
                    idx = idx.simple(u).map_err(ep("pypi.simple"))?;
                }
                if let Some(u) = &p.integrity {
                    idx = idx.integrity(u).map_err(ep("pypi.integrity"))?;
                }
                if let Some(t) = secret("pypi.token_env", &p.token_env)? {
                    idx = idx.with_token(t);
                }
                Some(idx)
            }
        };
        let crates = match &self.crates {
            None => None,
            Some(c) => {
                let mut idx =
                    SparseIndex::new(http.clone(), &c.index).map_err(ep("crates.index"))?;
                if let Some(t) = secret("crates.token_env", &c.token_env)? {
                    idx = idx.with_token(t);
                }
                Some(idx)
            }
        };
        let npm = match &self.npm {
            None => None,
            Some(n) => {
                let mut r =
                    NpmRegistry::new(http.clone(), &n.registry).map_err(ep("npm.registry"))?;
                if let Some(t) = secret("npm.token_env", &n.token_env)? {
                    r = r.with_token(t);
                }
                Some(r)
            }
        };
        let oci = match &self.oci {
            None => None,
            Some(o) => {
                let mut r =
                    OciRegistry::new(http.clone(), &o.registry).map_err(ep("oci.registry"))?;
                if let Some(p) = secret("oci.password_env", &o.password_env)? {
                    r = match &o.username {
                        Some(u) => r.with_basic(u, p),
                        None => r.with_bearer(p),
                    };
                }
                Some(r)
            }
        };
        let goproxy = match &self.goproxy {
            None => None,
            Some(g) => Some(GoProxy::new(http.clone(), &g.url).map_err(ep("goproxy.url"))?),
        };
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
        let nc = || LookupError::NotConfigured(spec.kind);
        Ok(match spec.kind {
            RegistryKind::Pypi => self
                .pypi
                .as_ref()
                .ok_or_else(nc)?
                .version(&spec.name, &spec.version)?,
            RegistryKind::Crates => self
                .crates
                .as_ref()
                .ok_or_else(nc)?
                .version(&spec.name, &spec.version)?,
            RegistryKind::Npm => self
                .npm
                .as_ref()
                .ok_or_else(nc)?
                .version(&spec.name, &spec.version)?,
            RegistryKind::Oci => self
                .oci
                .as_ref()
                .ok_or_else(nc)?
                .version(&spec.name, &spec.version)?,
            RegistryKind::GoProxy => self
                .goproxy
                .as_ref()
                .ok_or_else(nc)?
                .version(&spec.name, &spec.version)?,
        })
    }

    /// Whether `spec`'s version was ever accepted by its registry.
    pub fn exists(&self, spec: &PackageSpec) -> Result<bool, LookupError> {
        Ok(self.version(spec)?.state.is_taken())
    }
}
