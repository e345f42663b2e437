//! The policy's registries as `regclient` clients: endpoint resolution (fail closed when one is
//! missing), one client per registry kind, and bounded, cancellable blocking work.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use regclient::PollOptions;
use regclient::{FetchOptions, FetchedFile, HttpClient, Progress, PublishedFile, ReadbackError};

use crate::artifact_names::belongs_to;
use crate::artifacts::LocalArtifact;
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

    /// The local artifacts of `kinds` that belong to this registry's package at `version`
    /// (by each ecosystem's file names).
    pub(crate) fn own<'a>(
        &self,
        locals: &'a [LocalArtifact],
        version: &str,
        kinds: &[ArtifactKind],
    ) -> Vec<&'a LocalArtifact> {
        locals
            .iter()
            .filter(|a| {
                let name = a.path.rsplit('/').next().unwrap_or(&a.path);
                kinds.contains(&a.kind) && belongs_to(a.kind, name, &self.rule.package, version)
            })
            .collect()
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

/// A `regclient` client for one registry: [`regclient::Registry`], which owns each
/// protocol's layout and the visibility polling.
pub(crate) type Client = regclient::Registry;

/// The error and every cause, on one line ([`regclient::error_chain`]).
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    regclient::error_chain(e)
}

/// The protocol a policy registry kind speaks.
fn protocol(kind: RegistryKind) -> regclient::RegistryKind {
    match kind {
        RegistryKind::Pypi => regclient::RegistryKind::Pypi,
        RegistryKind::Cargo => regclient::RegistryKind::Crates,
        RegistryKind::Npm => regclient::RegistryKind::Npm,
        RegistryKind::Oci => regclient::RegistryKind::Oci,
        RegistryKind::GoProxy => regclient::RegistryKind::GoProxy,
    }
}

/// The client for `target` over `http`; a bad endpoint is an error naming the registry.
pub(crate) fn client_for(target: &Target, http: &HttpClient) -> Result<Client, String> {
    Client::new(protocol(target.rule.kind), &target.url, http)
        .map_err(|e| format!("registry {}: {}", target.name, chain(&e)))
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
    let options = FetchOptions::default().with_progress(&progress);
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
    PollOptions::new(interval, within)
}
