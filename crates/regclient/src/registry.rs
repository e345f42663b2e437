//! One client over every registry kind: [`Registry`] picks the protocol from a
//! [`RegistryKind`] and an endpoint, knows each protocol's layout (a Python index's `pypi/`,
//! `simple/` and `integrity/` roots, Go's `v` spelling of versions) and answers "what is
//! published" and "wait until it is" with one error type, [`RegistryError`].

use std::time::{Duration, Instant};

use artidigest::names::go_version;

use crate::crates::SparseIndex;
use crate::goproxy::GoProxy;
use crate::http::{HttpClient, HttpError};
use crate::model::{PublishedVersion, RegistryKind};
use crate::npm::NpmRegistry;
use crate::oci::OciRegistry;
use crate::poll::{PollOptions, poll_in_slices};
use crate::pypi::PypiIndex;

/// A client for one registry, whatever its kind.
#[derive(Debug)]
#[non_exhaustive]
pub enum Registry {
    /// A Python index: the endpoint is the index root, serving the JSON API under `pypi/`,
    /// the simple API (PEP 691) under `simple/` and PEP 740 provenance under `integrity/`.
    Pypi(PypiIndex),
    /// A crates sparse index (the endpoint holds `config.json`).
    Crates(SparseIndex),
    /// An npm registry.
    Npm(NpmRegistry),
    /// An OCI distribution registry.
    Oci(OciRegistry),
    /// A Go module proxy (the endpoint is the `GOPROXY` root); versions are `v`-prefixed there.
    Go(GoProxy),
}

/// Why a [`Registry`] could not say what it publishes, or did not publish it in time.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The deadline passed before the version was served: what the registry showed last.
    #[error("{diagnosis}")]
    NotVisible {
        /// What the last poll found, and how long polling took.
        diagnosis: String,
    },
    /// The caller asked to stop polling.
    #[error("polling was stopped by the caller")]
    Stopped,
    /// The registry could not be asked, or answered something unusable: the error and every
    /// cause, on one line.
    #[error("{0}")]
    Failed(String),
}

/// An error and every cause, on one line (`outer: inner: root`).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn failed(e: &dyn std::error::Error) -> RegistryError {
    RegistryError::Failed(error_chain(e))
}

impl Registry {
    /// A client of `kind` for the registry at `endpoint` over `http`.
    pub fn new(kind: RegistryKind, endpoint: &str, http: &HttpClient) -> Result<Self, HttpError> {
        let base = if endpoint.ends_with('/') {
            endpoint.to_owned()
        } else {
            format!("{endpoint}/")
        };
        Ok(match kind {
            RegistryKind::Pypi => Registry::Pypi(
                PypiIndex::new(http.clone())
                    .json_api(&format!("{base}pypi/"))?
                    .simple(&format!("{base}simple/"))?
                    .integrity(&format!("{base}integrity/"))?,
            ),
            RegistryKind::Crates => Registry::Crates(SparseIndex::new(http.clone(), &base)?),
            RegistryKind::Npm => Registry::Npm(NpmRegistry::new(http.clone(), &base)?),
            RegistryKind::Oci => Registry::Oci(OciRegistry::new(http.clone(), &base)?),
            RegistryKind::GoProxy => Registry::Go(GoProxy::new(http.clone(), &base)?),
        })
    }

    /// The kind of registry this client speaks to.
    pub fn kind(&self) -> RegistryKind {
        match self {
            Registry::Pypi(_) => RegistryKind::Pypi,
            Registry::Crates(_) => RegistryKind::Crates,
            Registry::Npm(_) => RegistryKind::Npm,
            Registry::Oci(_) => RegistryKind::Oci,
            Registry::Go(_) => RegistryKind::GoProxy,
        }
    }

    /// What the registry publishes for `package` `version` (a Go version may be given with or
    /// without its `v`).
    pub fn version(&self, package: &str, version: &str) -> Result<PublishedVersion, RegistryError> {
        match self {
            Registry::Pypi(c) => c.version(package, version).map_err(|e| failed(&e)),
            Registry::Crates(c) => c.version(package, version).map_err(|e| failed(&e)),
            Registry::Npm(c) => c.version(package, version).map_err(|e| failed(&e)),
            Registry::Oci(c) => c.version(package, version).map_err(|e| failed(&e)),
            Registry::Go(c) => c
                .version(package, &go_version(version))
                .map_err(|e| failed(&e)),
        }
    }

    /// Polls until `package` `version` is served, within `poll.timeout`. `stop` is asked
    /// about once a second (every `2 × poll.interval` at least): when it says so, polling
    /// ends with [`RegistryError::Stopped`]. Conditional requests (ETags) carry across.
    pub fn wait_for_version(
        &self,
        package: &str,
        version: &str,
        poll: PollOptions,
        stop: &dyn Fn() -> bool,
    ) -> Result<PublishedVersion, RegistryError> {
        let slice = (poll.interval * 2).max(Duration::from_secs(1));
        let start = Instant::now();
        poll_in_slices(
            poll,
            slice,
            stop,
            || RegistryError::Stopped,
            |this| match self.wait_once(package, version, this) {
                Err(RegistryError::NotVisible { diagnosis }) => Ok(Err(diagnosis)),
                other => other.map(Ok),
            },
        )
        .and_then(|outcome| {
            outcome.map_err(|last| RegistryError::NotVisible {
                diagnosis: format!(
                    "not served after {:.1} s; last poll: {last}",
                    start.elapsed().as_secs_f64()
                ),
            })
        })
    }

    fn wait_once(
        &self,
        package: &str,
        version: &str,
        poll: PollOptions,
    ) -> Result<PublishedVersion, RegistryError> {
        fn not_visible(e: &crate::NotVisible) -> RegistryError {
            RegistryError::NotVisible {
                diagnosis: e.to_string(),
            }
        }
        match self {
            Registry::Pypi(c) => c
                .wait_for_version(package, version, poll)
                .map_err(|e| match e {
                    crate::pypi::Error::NotVisible(e) => not_visible(&e),
                    e => failed(&e),
                }),
            Registry::Crates(c) => {
                c.wait_for_version(package, version, poll)
                    .map_err(|e| match e {
                        crate::crates::Error::NotVisible(e) => not_visible(&e),
                        e => failed(&e),
                    })
            }
            Registry::Npm(c) => c
                .wait_for_version(package, version, poll)
                .map_err(|e| match e {
                    crate::npm::Error::NotVisible(e) => not_visible(&e),
                    e => failed(&e),
                }),
            Registry::Oci(c) => match c.wait_for(package, version, poll) {
                Ok(_) => c.version(package, version).map_err(|e| failed(&e)),
                Err(crate::oci::Error::NotVisible(e)) => Err(not_visible(&e)),
                Err(e) => Err(failed(&e)),
            },
            Registry::Go(c) => c
                .wait_for_version(package, &go_version(version), poll)
                .map_err(|e| match e {
                    crate::goproxy::Error::NotVisible(e) => not_visible(&e),
                    e => failed(&e),
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_builds_and_reports_its_kind() {
        let http = HttpClient::builder().build();
        for kind in [
            RegistryKind::Pypi,
            RegistryKind::Crates,
            RegistryKind::Npm,
            RegistryKind::Oci,
            RegistryKind::GoProxy,
        ] {
            let r = Registry::new(kind, "http://127.0.0.1:1/root", &http).unwrap();
            assert_eq!(r.kind(), kind);
        }
        assert!(Registry::new(RegistryKind::Npm, "not a url", &http).is_err());
    }

    #[test]
    fn an_unreachable_registry_fails_and_a_stop_request_is_honoured() {
        let http = HttpClient::builder()
            .request_timeout(Duration::from_millis(200))
            .build();
        let r = Registry::new(RegistryKind::Npm, "http://127.0.0.1:1/", &http).unwrap();
        assert!(matches!(
            r.version("left-pad", "1.0.0"),
            Err(RegistryError::Failed(_))
        ));
        let poll = PollOptions {
            interval: Duration::from_millis(10),
            timeout: Duration::from_secs(30),
        };
        let started = Instant::now();
        let out = r.wait_for_version("left-pad", "1.0.0", poll, &|| true);
        assert!(
            matches!(out, Err(RegistryError::Stopped | RegistryError::Failed(_))),
            "{out:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn chains_name_every_cause() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("root cause"));
        assert_eq!(error_chain(&e), "outer: root cause");
    }
}
