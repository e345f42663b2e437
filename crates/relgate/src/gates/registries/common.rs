//! What every registry gate starts from: the targets, the release version, the HTTP client,
//! concurrent lookups, and the download helpers.

use std::path::Path;

use artidigest::{Algorithm, Digest};
use regclient::PublishedVersion;
use serde_json::{Value, json};

use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult};
use crate::registry_client::{
    Job, Target, client_for, http_client, release_version, run_blocking_all, targets,
};

/// The visibility deadline when a registry rule sets none.
pub const DEFAULT_VISIBLE_WITHIN_SECS: u64 = 300;

/// Targets, version and the HTTP client every registry gate starts from.
pub(crate) struct Setup {
    pub(crate) targets: Vec<Target>,
    pub(crate) version: String,
    pub(crate) http: regclient::HttpClient,
}

pub(crate) fn setup(ctx: &GateContext) -> Result<Setup, GateResult> {
    let targets = targets(ctx)?;
    let version = release_version(ctx)?;
    Ok(Setup {
        targets,
        version,
        http: http_client(ctx),
    })
}

/// Runs `job(target, http, version)` for each of `targets` on the blocking pool, at most
/// `ctx.registry_concurrency` at once, and returns the results in the targets' order; a
/// cancelled run (or a job that panicked) is a gate error.
pub(crate) async fn on_each_target<T, F>(
    ctx: &GateContext,
    targets: &[Target],
    http: &regclient::HttpClient,
    version: &str,
    job: F,
) -> Result<Vec<T>, GateResult>
where
    T: Send + 'static,
    F: Fn(&Target, &regclient::HttpClient, &str) -> T + Clone + Send + 'static,
{
    let jobs: Vec<Job<T>> = targets
        .iter()
        .map(|t| {
            let (t, http, version, job) =
                (t.clone(), http.clone(), version.to_owned(), job.clone());
            Box::new(move || job(&t, &http, &version)) as Job<T>
        })
        .collect();
    run_blocking_all(ctx, jobs).await.map_err(GateResult::error)
}

/// Looks the version up on every target, concurrently (bounded).
pub(crate) async fn lookups(
    ctx: &GateContext,
    s: &Setup,
    only: impl Fn(&Target) -> bool,
) -> Result<Vec<(Target, Result<PublishedVersion, String>)>, GateResult> {
    let chosen: Vec<Target> = s.targets.iter().filter(|t| only(t)).cloned().collect();
    let results = on_each_target(ctx, &chosen, &s.http, &s.version, |t, http, version| {
        client_for(t, http)?
            .version(&t.rule.package, version)
            .map_err(|e| e.to_string())
    })
    .await?;
    Ok(chosen.into_iter().zip(results).collect())
}

pub(crate) fn version_evidence(t: &Target, v: &PublishedVersion) -> Value {
    json!({
        "registry": t.name,
        "kind": v.kind.name(),
        "endpoint": v.registry,
        "package": v.package,
        "version": v.version,
        "state": v.state.to_string(),
        "files": v.files.iter().map(|f| json!({
            "name": f.name,
            "size": f.size,
            "digests": f.digests.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn gate_error(subject: String, cause: String) -> Finding {
    Finding::new(Code::GateError, subject)
        .expected("an answer from the registry")
        .found(cause)
}

/// A private temporary folder for downloads: in the run's scratch folder when one is set,
/// else in the default scratch folder on disk (`RELKIT_SCRATCH`, else
/// `$XDG_CACHE_HOME/relkit/scratch`, else `~/.cache/relkit/scratch`), never a RAM-backed
/// `/tmp` unless none of those can be named.
pub(crate) fn scratch_dir(ctx: &GateContext, prefix: &str) -> std::io::Result<tempfile::TempDir> {
    crate::process::scratch::temp_dir_in(ctx.scratch_dir.as_deref(), prefix, |name| {
        std::env::var_os(name)
    })
}

/// The sha256 of a local file, or why it could not be read (the message names the path).
pub(crate) fn sha256_of(path: &Path) -> Result<Digest, String> {
    artidigest::digest_file(path, Algorithm::Sha256).map_err(|e| e.to_string())
}
