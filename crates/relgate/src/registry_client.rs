//! The policy's registries as `regclient` clients: endpoint resolution (fail closed when one is
//! missing), one client per registry kind, and bounded, cancellable blocking work.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use regclient::crates::{PollOptions, SparseIndex};
use regclient::goproxy::GoProxy;
use regclient::npm::NpmRegistry;
use regclient::oci::OciRegistry;
use regclient::pypi::PypiIndex;
use regclient::{
    FetchOptions, FetchedFile, HttpClient, Progress, PublishedFile, PublishedVersion, ReadbackError,
};

use crate::cancel::CancelToken;
use crate::endpoints::Endpoints;
use crate::finding::Finding;
use crate::gate::{GateContext, GateResult};
use crate::policy::model::{ArtifactKind, RegistryKind, RegistryRule};

/// One registry of the policy with its endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The registry's name in the policy.
    pub(crate) name: String,
    /// Its rule.
    pub(crate) rule: RegistryRule,
    /// Its base URL (from [`Endpoints`]).
    pub(crate) url: String,
}

impl Target {
    /// `name (kind package)` for finding subjects.
    pub(crate) fn subject(&self, version: &str) -> String {
        format!("{}: {} {version}", self.name, self.rule.package)
    }

    /// The artifact kinds this registry serves: the rule's, else the kind's usual ones.
    pub(crate) fn kinds(&self) -> Vec<ArtifactKind> {
        if !self.rule.artifacts.is_empty() {
            return self.rule.artifacts.clone();
        }
        match self.rule.kind {
            RegistryKind::Pypi => vec![ArtifactKind::Wheel, ArtifactKind::Sdist],
            RegistryKind::Cargo => vec![ArtifactKind::Crate],
            RegistryKind::Npm => vec![ArtifactKind::NpmTarball],
            RegistryKind::GoProxy => vec![ArtifactKind::GoModule],
            _ => Vec::new(),
        }
    }
}

/// The policy's registries with their endpoints, in name order. A registry without an
/// endpoint fails the gate closed, naming the registry and the variable to set.
pub(crate) fn targets(ctx: &GateContext) -> Result<Vec<Target>, GateResult> {
    if ctx.policy.registries.is_empty() {
        return Err(GateResult::skipped("the policy names no [registries]"));
    }
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for (name, rule) in &ctx.policy.registries {
        match ctx.endpoints.get(name) {
            Some(url) => out.push(Target {
                name: name.clone(),
                rule: rule.clone(),
                url: url.to_owned(),
            }),
            None => missing.push(format!(
                "registry {name:?} has no endpoint: set {} or give it in the registries configuration",
                Endpoints::env_var_name(name)
            )),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(GateResult::error(missing.join("; ")))
    }
}

/// The version under release: the tag through the policy's pattern (`v{version}` by default).
pub(crate) fn release_version(ctx: &GateContext) -> Result<String, GateResult> {
    let Some(tag) = ctx.tag.as_deref() else {
        return Err(GateResult::error(
            "no release tag: the version to look up on the registries depends on it",
        ));
    };
    let version = match &ctx.policy.tag {
        Some(rules) => rules.version_in(tag),
        None => Some(tag.strip_prefix('v').unwrap_or(tag)),
    };
    match version {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(GateResult::error(format!(
            "the tag {tag:?} does not fit the policy's tag pattern"
        ))),
    }
}

/// The policy's registries of `kind` with their endpoints, and the release version: the
/// start of every gate about one kind of registry. No registry of that kind skips the gate
/// (`none` says why); a missing endpoint or version ends it as the other helpers do.
pub(crate) fn targets_of_kind(
    ctx: &GateContext,
    kind: RegistryKind,
    none: &str,
) -> Result<(Vec<Target>, String), GateResult> {
    let chosen: Vec<Target> = targets(ctx)?
        .into_iter()
        .filter(|t| t.rule.kind == kind)
        .collect();
    if chosen.is_empty() {
        return Err(GateResult::skipped(none));
    }
    Ok((chosen, release_version(ctx)?))
}

/// Turns a registry check's findings into the gate's result, with its evidence under `key`;
/// a failure to check is a gate error.
pub(crate) fn checked(
    key: &str,
    checked: Result<(Vec<Finding>, Vec<serde_json::Value>), String>,
) -> GateResult {
    match checked {
        Ok((findings, evidence)) => GateResult::from_findings(findings)
            .with_evidence(key, serde_json::Value::from(evidence)),
        Err(e) => GateResult::error(e),
    }
}

/// The HTTP client of a registry gate: metadata requests time out after 30 s (a registry
/// that accepts and never answers does not hold a gate for `regclient`'s default minute).
pub(crate) fn http_client(ctx: &GateContext) -> HttpClient {
    HttpClient::builder()
        .max_concurrency(ctx.registry_concurrency.max(1))
        .request_timeout(Duration::from_secs(30))
        .build()
}

/// A `regclient` client for one registry.
#[derive(Debug)]
pub(crate) enum Client {
    /// A Python index: the endpoint is the index root, serving the JSON API under `pypi/`
    /// and the simple API (PEP 691) under `simple/`.
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

/// Why a visibility poll ended without the version.
pub(crate) enum WaitError {
    /// The deadline passed; what the registry showed last.
    NotVisible(String),
    /// The registry could not be asked.
    Failed(String),
}

/// The error and every cause, on one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

impl Client {
    /// A client for `target` over `http`.
    pub(crate) fn new(target: &Target, http: &HttpClient) -> Result<Client, String> {
        let base = if target.url.ends_with('/') {
            target.url.clone()
        } else {
            format!("{}/", target.url)
        };
        let bad = |e: regclient::HttpError| format!("registry {}: {}", target.name, chain(&e));
        Ok(match target.rule.kind {
            RegistryKind::Pypi => Client::Pypi(
                PypiIndex::new(http.clone())
                    .json_api(&format!("{base}pypi/"))
                    .and_then(|i| i.simple(&format!("{base}simple/")))
                    .and_then(|i| i.integrity(&format!("{base}integrity/")))
                    .map_err(bad)?,
            ),
            RegistryKind::Cargo => {
                Client::Crates(SparseIndex::new(http.clone(), &base).map_err(bad)?)
            }
            RegistryKind::Npm => Client::Npm(NpmRegistry::new(http.clone(), &base).map_err(bad)?),
            RegistryKind::Oci => Client::Oci(OciRegistry::new(http.clone(), &base).map_err(bad)?),
            RegistryKind::GoProxy => Client::Go(GoProxy::new(http.clone(), &base).map_err(bad)?),
        })
    }

    /// What the registry publishes for `package` `version`.
    pub(crate) fn version(&self, package: &str, version: &str) -> Result<PublishedVersion, String> {
        match self {
            Client::Pypi(c) => c.version(package, version).map_err(|e| chain(&e)),
            Client::Crates(c) => c.version(package, version).map_err(|e| chain(&e)),
            Client::Npm(c) => c.version(package, version).map_err(|e| chain(&e)),
            Client::Oci(c) => c.version(package, version).map_err(|e| chain(&e)),
            Client::Go(c) => c
                .version(package, &go_version(version))
                .map_err(|e| chain(&e)),
        }
    }

    /// Polls until the version is served, within `poll.timeout`, in slices of about a second
    /// so that a cancelled run stops polling (the ETag cache of the client carries across
    /// slices, so polls stay conditional).
    pub(crate) fn wait(
        &self,
        package: &str,
        version: &str,
        poll: PollOptions,
        cancel: &CancelToken,
    ) -> Result<PublishedVersion, WaitError> {
        let start = Instant::now();
        let slice = (poll.interval * 2).max(Duration::from_secs(1));
        loop {
            let left = poll.timeout.saturating_sub(start.elapsed());
            let this = PollOptions {
                interval: poll.interval,
                timeout: left.min(slice),
            };
            match self.wait_once(package, version, this) {
                Err(WaitError::NotVisible(last)) => {
                    if cancel.is_cancelled() {
                        return Err(WaitError::Failed(String::from("the run was cancelled")));
                    }
                    if start.elapsed() + poll.interval >= poll.timeout {
                        return Err(WaitError::NotVisible(format!(
                            "not served after {:.1} s; last poll: {last}",
                            start.elapsed().as_secs_f64()
                        )));
                    }
                }
                other => return other,
            }
        }
    }

    fn wait_once(
        &self,
        package: &str,
        version: &str,
        poll: PollOptions,
    ) -> Result<PublishedVersion, WaitError> {
        use WaitError::{Failed, NotVisible};
        match self {
            Client::Pypi(c) => c
                .wait_for_version(package, version, poll)
                .map_err(|e| match e {
                    regclient::pypi::Error::NotVisible { .. } => NotVisible(e.to_string()),
                    e => Failed(chain(&e)),
                }),
            Client::Crates(c) => c
                .wait_for_version(package, version, poll)
                .map_err(|e| match e {
                    regclient::crates::Error::NotVisible { .. } => NotVisible(e.to_string()),
                    e => Failed(chain(&e)),
                }),
            Client::Npm(c) => c
                .wait_for_version(package, version, poll)
                .map_err(|e| match e {
                    regclient::npm::Error::NotVisible { .. } => NotVisible(e.to_string()),
                    e => Failed(chain(&e)),
                }),
            Client::Oci(c) => match c.wait_for(package, version, poll) {
                Ok(_) => c.version(package, version).map_err(|e| Failed(chain(&e))),
                Err(e @ regclient::oci::Error::NotVisible { .. }) => Err(NotVisible(e.to_string())),
                Err(e) => Err(Failed(chain(&e))),
            },
            Client::Go(c) => c
                .wait_for_version(package, &go_version(version), poll)
                .map_err(|e| match e {
                    regclient::goproxy::Error::NotVisible { .. } => NotVisible(e.to_string()),
                    e => Failed(chain(&e)),
                }),
        }
    }
}

/// The proxy's spelling of a release version: `v` + SemVer.
pub(crate) fn go_version(version: &str) -> String {
    format!("v{}", version.trim_start_matches('v'))
}

/// Forwards `regclient`'s download progress to the run's observer as `Progress` events.
struct FileProgress<'a> {
    ctx: &'a GateContext,
    gate: &'a str,
    what: String,
    total: Option<u64>,
    done: AtomicU64,
}

impl Progress for FileProgress<'_> {
    fn start(&self, _name: &str, size: Option<u64>) {
        self.done.store(0, Ordering::Relaxed);
        self.ctx
            .progress(self.gate, &self.what, 0, size.or(self.total));
    }
    fn advance(&self, _name: &str, bytes: u64) {
        let done = self.done.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.ctx.progress(self.gate, &self.what, done, self.total);
    }
    fn finish(&self, _name: &str) {
        let done = self.done.load(Ordering::Relaxed);
        self.ctx.progress(
            self.gate,
            &self.what,
            done,
            Some(self.total.unwrap_or(done)),
        );
    }
}

/// Downloads `file` into `dir`, streamed and checked against every digest the registry
/// claims, reporting progress as `registry/file` (`total_hint` when the registry states no
/// size).
pub(crate) fn fetch(
    ctx: &GateContext,
    gate: &str,
    http: &HttpClient,
    registry: &str,
    file: &PublishedFile,
    dir: &Path,
    total_hint: Option<u64>,
) -> Result<FetchedFile, ReadbackError> {
    let progress = FileProgress {
        ctx,
        gate,
        what: format!("{registry}/{}", file.name),
        total: file.size.or(total_hint),
        done: AtomicU64::new(0),
    };
    let options = FetchOptions {
        progress: Some(&progress),
        ..FetchOptions::default()
    };
    regclient::fetch_verified(http, file, dir, options)
}

/// Aborts the wrapped tasks when dropped (a timed-out or cancelled gate leaves no work queued).
struct AbortAll(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortAll {
    fn drop(&mut self) {
        for h in &self.0 {
            h.abort();
        }
    }
}

/// A blocking job for [`run_blocking_all`].
pub(crate) type Job<T> = Box<dyn FnOnce() -> T + Send + 'static>;

/// Runs `jobs` on the blocking pool, at most `ctx.registry_concurrency` at once, and returns
/// their results in order; `Err` when the run is cancelled first or a job panicked.
pub(crate) async fn run_blocking_all<T: Send + 'static>(
    ctx: &GateContext,
    jobs: Vec<Job<T>>,
) -> Result<Vec<T>, String> {
    let n = jobs.len();
    let permits = Arc::new(tokio::sync::Semaphore::new(ctx.registry_concurrency.max(1)));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Option<T>)>();
    let mut handles = Vec::with_capacity(n);
    for (i, job) in jobs.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        let tx = tx.clone();
        let cancel = ctx.cancel.clone();
        handles.push(tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            if cancel.is_cancelled() {
                return;
            }
            let r = tokio::task::spawn_blocking(job).await.ok();
            let _ = tx.send((i, r));
        }));
    }
    drop(tx);
    let _guard = AbortAll(handles);
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let mut received = 0;
    while received < n {
        let next = tokio::select! {
            m = rx.recv() => m,
            () = ctx.cancel.cancelled() => return Err(String::from("the run was cancelled")),
        };
        let Some((i, r)) = next else { break };
        received += 1;
        match r {
            Some(v) => {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(v);
                }
            }
            None => return Err(String::from("a registry request panicked")),
        }
    }
    if ctx.cancel.is_cancelled() {
        return Err(String::from("the run was cancelled"));
    }
    out.into_iter()
        .map(|o| o.ok_or_else(|| String::from("a registry request did not finish")))
        .collect()
}

/// The poll timing for a visibility deadline: about ten polls, between 50 ms and 5 s apart.
pub(crate) fn poll_options(within: Duration) -> PollOptions {
    let interval = (within / 10).clamp(Duration::from_millis(50), Duration::from_secs(5));
    PollOptions {
        interval,
        timeout: within,
    }
}
