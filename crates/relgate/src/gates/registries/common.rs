//! The registry gates over `regclient`: the version is not yet published (preflight), every
//! registry serves the release's bytes and shows the version in time (postpublish), image
//! indexes carry their platforms and signatures, and what a downstream user verifies from the
//! served bytes and the release's public signatures alone (consume).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use artidigest::{Algorithm, Digest, digest_reader};
use regclient::{PublishedFile, PublishedVersion, ReadbackError};
use serde_json::{Value, json};

use crate::artifact_names::{belongs_to, served_as};
use crate::artifacts::local_artifacts;
use crate::attest_gate::provenance_covers;
use crate::attest_gate::{check_provenance, check_signatures};
use crate::finding::{Code, Finding, Severity};
use crate::gate::{BoxFuture, Gate, GateContext, GateResult, Outcome, Phase};
use crate::policy::{ArtifactKind, RegistryKind};
use crate::registry_client::{
    Client, Job, Target, WaitError, chain, fetch, http_client, poll_options, release_version,
    run_blocking_all, targets,
};

/// The visibility deadline when a registry rule sets none.
pub const DEFAULT_VISIBLE_WITHIN_SECS: u64 = 300;

/// No registry of the policy holds the release version yet: `version-already-published`
/// (versions are immutable: bump the patch version). A registry in recovery mode
/// (`recovery = true`) may hold it: the gate then passes with a note, and the served bytes are
/// verified by `registry-readback` instead of uploading.
#[derive(Debug, Clone, Copy, Default)]
pub struct VersionUnpublishedGate;

impl VersionUnpublishedGate {
    /// The gate id.
    pub const ID: &'static str = "version-unpublished";
}

/// Every registry serves exactly the local artifacts of the kinds its rule lists: each served
/// file is downloaded (streamed, checked against the registry's own digests) and compared with
/// the local file: `registry-bytes-differ`, `digest-mismatch` (served bytes are not what the
/// registry claims), `registry-file-missing` (a local artifact or the version is not served).
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistryReadbackGate;

impl RegistryReadbackGate {
    /// The gate id.
    pub const ID: &'static str = "registry-readback";
}

/// Every registry serves the version within its `visible-within-secs` deadline (default
/// [`DEFAULT_VISIBLE_WITHIN_SECS`]), polled conditionally: `not-visible` with what the
/// registry showed last.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistryVisibleGate;

impl RegistryVisibleGate {
    /// The gate id.
    pub const ID: &'static str = "registry-visible";
}

/// Every OCI registry's tag for the version resolves to an index with every platform the rule
/// lists (`platform-missing`), and, when the rule says `signed`, a cosign signature (the
/// referrers API or the `sha256-<hex>.sig` fallback tag): `signature-missing`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OciPlatformsGate;

impl OciPlatformsGate {
    /// The gate id.
    pub const ID: &'static str = "oci-platforms";
}

/// What a downstream user verifies from public data alone: the bytes each package registry
/// serves are downloaded and checked against the release's public Sigstore bundles and
/// provenance with the identity `[signing]` derives from the tag: `signature-invalid`,
/// `signature-missing`, `identity-mismatch`, `subject-not-covered`, …
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsumerVerifyGate;

impl ConsumerVerifyGate {
    /// The gate id.
    pub const ID: &'static str = "consumer-verify";
}

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

/// Looks the version up on every target, concurrently (bounded).
pub(crate) async fn lookups(
    ctx: &GateContext,
    s: &Setup,
    only: impl Fn(&Target) -> bool,
) -> Result<Vec<(Target, Result<PublishedVersion, String>)>, GateResult> {
    let chosen: Vec<Target> = s.targets.iter().filter(|t| only(t)).cloned().collect();
    let jobs: Vec<Job<Result<PublishedVersion, String>>> = chosen
        .iter()
        .map(|t| {
            let (t, http, version) = (t.clone(), s.http.clone(), s.version.clone());
            Box::new(move || Client::new(&t, &http)?.version(&t.rule.package, &version))
                as Job<Result<PublishedVersion, String>>
        })
        .collect();
    let results = run_blocking_all(ctx, jobs)
        .await
        .map_err(GateResult::error)?;
    Ok(chosen.into_iter().zip(results).collect())
}

fn version_evidence(t: &Target, v: &PublishedVersion) -> Value {
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

impl Gate for VersionUnpublishedGate {
    fn id(&self) -> &str {
        Self::ID
    }
    fn phase(&self) -> Phase {
        Phase::Preflight
    }
    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let s = match setup(ctx) {
                Ok(s) => s,
                Err(r) => return r,
            };
            let results = match lookups(ctx, &s, |_| true).await {
                Ok(r) => r,
                Err(r) => return r,
            };
            let v = &s.version;
            let mut findings = Vec::new();
            let mut evidence = Vec::new();
            for (t, r) in results {
                let subject = t.subject(v);
                match r {
                    Err(e) => findings.push(gate_error(subject, e)),
                    Ok(pv) => {
                        evidence.push(version_evidence(&t, &pv));
                        if !pv.state.is_taken() {
                            continue;
                        }
                        if t.rule.recovery {
                            findings.push(
                                Finding::new(Code::VersionAlreadyPublished, subject)
                                    .severity(Severity::Info)
                                    .found(format!("{} ({})", pv.state, pv.files.len()))
                                    .hint(format!(
                                        "recovery mode: {} already holds {} {v}; the served bytes will be verified instead of uploading",
                                        t.name, t.rule.package
                                    )),
                            );
                        } else {
                            findings.push(
                                Finding::new(Code::VersionAlreadyPublished, subject)
                                    .expected(format!("{} {v} not yet on {}", t.rule.package, t.name))
                                    .found(format!("{v} is {} there", pv.state))
                                    .hint(format!(
                                        "versions are immutable: bump the patch version (to {}) and release again, or set recovery = true for {} to verify what it serves",
                                        bump_patch(v),
                                        t.name
                                    )),
                            );
                        }
                    }
                }
            }
            GateResult::from_findings(findings).with_evidence("registries", Value::from(evidence))
        })
    }
}

fn bump_patch(v: &str) -> String {
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let mut parts: Vec<String> = core.split('.').map(str::to_owned).collect();
    if let Some(last) = parts.last_mut()
        && let Ok(n) = last.parse::<u64>()
    {
        *last = (n + 1).to_string();
        return parts.join(".");
    }
    format!("the next patch version after {v}")
}

/// One download of `registry-readback`: a served file and the local artifact it must equal.
struct Download {
    target: Target,
    file: PublishedFile,
    local: PathBuf,
}

/// What one download ended in.
enum Compared {
    Same {
        served: Digest,
        size: u64,
    },
    Differ {
        served: Digest,
        local: Digest,
        size: u64,
    },
    Failed(ReadbackError),
    LocalUnreadable(String),
}

/// A private temporary folder for downloads, in the run's scratch folder when one is set.
fn scratch_dir(ctx: &GateContext, prefix: &str) -> std::io::Result<tempfile::TempDir> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    match &ctx.scratch_dir {
        Some(dir) => b.tempdir_in(dir),
        None => b.tempdir(),
    }
}

fn sha256_of(path: &Path) -> Result<Digest, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let set = digest_reader(std::io::BufReader::new(f), &[Algorithm::Sha256])
        .map_err(|e| format!("{}: {e}", path.display()))?;
    set.get(Algorithm::Sha256)
        .copied()
        .ok_or_else(|| format!("{}: sha256 not computed", path.display()))
}

impl Gate for RegistryReadbackGate {
    fn id(&self) -> &str {
        Self::ID
    }
    fn phase(&self) -> Phase {
        Phase::Postpublish
    }
    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let s = match setup(ctx) {
                Ok(s) => s,
                Err(r) => return r,
            };
            let locals = match local_artifacts(&ctx.policy, &ctx.release_dir) {
                Ok(a) => a,
                Err(e) => return GateResult::error(chain(&e)),
            };
            let results = match lookups(ctx, &s, |_| true).await {
                Ok(r) => r,
                Err(r) => return r,
            };
            let v = &s.version;
            let mut findings = Vec::new();
            let mut versions = Vec::new();
            let mut downloads = Vec::new();
            for (t, r) in results {
                let subject = t.subject(v);
                let pv = match r {
                    Ok(pv) => pv,
                    Err(e) => {
                        findings.push(gate_error(subject, e));
                        continue;
                    }
                };
                versions.push(version_evidence(&t, &pv));
                let kinds = t.kinds();
                // The local files of this registry's package (by each ecosystem's file names).
                let mine: Vec<_> = locals
                    .iter()
                    .filter(|a| {
                        let name = a.path.rsplit('/').next().unwrap_or(&a.path);
                        // An OCI registry serves a chart as a named file; images, SBOMs and
                        // provenance it holds as manifests and referrers, not as local files.
                        let by_name =
                            t.rule.kind != RegistryKind::Oci || a.kind == ArtifactKind::HelmChart;
                        by_name
                            && kinds.contains(&a.kind)
                            && belongs_to(a.kind, name, &t.rule.package, v)
                    })
                    .collect();
                if !pv.state.is_served() {
                    findings.push(
                        Finding::new(Code::RegistryFileMissing, subject)
                            .expected(format!("{} {v} served by {}", t.rule.package, t.name))
                            .found(format!("the version is {}", pv.state))
                            .hint("publish the release to this registry (or check the package name in the policy)"),
                    );
                    continue;
                }
                // A file the registry serves for the version that is not part of the release
                // (an index accepts new files for an existing version) is not the release's.
                if matches!(
                    t.rule.kind,
                    RegistryKind::Pypi | RegistryKind::Cargo | RegistryKind::Npm
                ) {
                    for f in &pv.files {
                        let ours = mine
                            .iter()
                            .any(|a| a.path.rsplit('/').next() == Some(f.name.as_str()));
                        if !ours {
                            findings.push(
                                Finding::new(
                                    Code::RegistryBytesDiffer,
                                    format!("{} on {}", f.name, t.name),
                                )
                                .expected(format!(
                                    "only the release's files for {} {v}",
                                    t.rule.package
                                ))
                                .found("served, but not among the release's artifacts")
                                .hint(
                                    "find out who uploaded it; yank the version if it is not yours",
                                ),
                            );
                        }
                    }
                }
                for a in mine {
                    let name = a.path.rsplit('/').next().unwrap_or(&a.path);
                    // A proxy serves a module zip as `vX.Y.Z.zip`; the release may name its
                    // copy `<anything>-vX.Y.Z.zip`.
                    let served = pv.file(name).or_else(|| {
                        (a.kind == ArtifactKind::GoModule)
                            .then(|| pv.files.iter().find(|f| served_as(name, &f.name)))
                            .flatten()
                    });
                    match served {
                        Some(f) => downloads.push(Download {
                            target: t.clone(),
                            file: f.clone(),
                            local: ctx.release_dir.join(&a.path),
                        }),
                        None => findings.push(
                            Finding::new(Code::RegistryFileMissing, format!("{name} on {}", t.name))
                                .expected(format!("{name} among the files of {} {v}", t.rule.package))
                                .found(format!(
                                    "served: {}",
                                    if pv.files.is_empty() {
                                        String::from("no file")
                                    } else {
                                        pv.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                                    }
                                ))
                                .hint("upload the missing file (the version may have been published incompletely)"),
                        ),
                    }
                }
            }
            let scratch = match scratch_dir(ctx, ".relgate-readback-") {
                Ok(d) => Arc::new(d),
                Err(e) => {
                    return GateResult::error(format!("cannot create a download folder: {e}"));
                }
            };
            let jobs: Vec<Job<Compared>> = downloads
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let (ctx, http, scratch) = (ctx.clone(), s.http.clone(), Arc::clone(&scratch));
                    let (file, local, registry) =
                        (d.file.clone(), d.local.clone(), d.target.name.clone());
                    Box::new(move || {
                        // One folder per download: two registries may serve the same name.
                        let dir = scratch.path().join(i.to_string());
                        if let Err(e) = std::fs::create_dir(&dir) {
                            return Compared::LocalUnreadable(format!("{}: {e}", dir.display()));
                        }
                        let local_size = std::fs::metadata(&local).ok().map(|m| m.len());
                        // A registry that claims no digest (a Go module proxy) is held to the
                        // local file's: the download must be those bytes.
                        let mut file = file;
                        let claimless = file.digests.is_empty();
                        if claimless {
                            match sha256_of(&local) {
                                Ok(l) => file.digests.push(l),
                                Err(e) => return Compared::LocalUnreadable(e),
                            }
                        }
                        let fetched = match fetch(
                            &ctx,
                            RegistryReadbackGate::ID,
                            &http,
                            &registry,
                            &file,
                            &dir,
                            local_size,
                        ) {
                            Ok(f) => f,
                            Err(ReadbackError::DigestMismatch { source, .. }) if claimless => {
                                return Compared::Differ {
                                    served: source.actual,
                                    local: source.expected,
                                    size: 0,
                                };
                            }
                            Err(e) => return Compared::Failed(e),
                        };
                        let _ = std::fs::remove_file(&fetched.path);
                        let Some(served) = fetched.computed.get(Algorithm::Sha256).copied() else {
                            return Compared::LocalUnreadable(String::from(
                                "sha256 of the download not computed",
                            ));
                        };
                        let size = fetched.computed.size();
                        match sha256_of(&local) {
                            Ok(l) if l == served => Compared::Same { served, size },
                            Ok(l) => Compared::Differ {
                                served,
                                local: l,
                                size,
                            },
                            Err(e) => Compared::LocalUnreadable(e),
                        }
                    }) as Job<Compared>
                })
                .collect();
            let compared = match run_blocking_all(ctx, jobs).await {
                Ok(c) => c,
                Err(e) => return GateResult::error(e),
            };
            let mut files = Vec::new();
            for (d, c) in downloads.iter().zip(compared) {
                let subject = format!("{} on {}", d.file.name, d.target.name);
                let mut row = json!({
                    "registry": d.target.name,
                    "name": d.file.name,
                    "claimed": d.file.digests.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
                });
                match c {
                    Compared::Same { served, size } => {
                        row["outcome"] = json!("same");
                        row["size"] = json!(size);
                        row["sha256"] = json!(served.to_string());
                    }
                    Compared::Differ {
                        served,
                        local,
                        size,
                    } => {
                        row["outcome"] = json!("differ");
                        row["size"] = json!(size);
                        row["sha256"] = json!(served.to_string());
                        row["local_sha256"] = json!(local.to_string());
                        findings.push(
                            Finding::new(Code::RegistryBytesDiffer, subject)
                                .expected(format!("local {local}"))
                                .found(format!("served {served}"))
                                .hint("the registry holds other bytes than the attested release: yank that version and release a patch version"),
                        );
                    }
                    Compared::Failed(e) => {
                        row["outcome"] = json!("failed");
                        row["error"] = json!(chain(&e));
                        let f = match &e {
                            ReadbackError::DigestMismatch { source, .. } => {
                                Finding::new(Code::DigestMismatch, subject)
                                    .expected(format!("the registry's claim {}", source.expected))
                                    .found(format!("served bytes hash to {}", source.actual))
                            }
                            ReadbackError::SizeMismatch {
                                expected, actual, ..
                            } => Finding::new(Code::DigestMismatch, subject)
                                .expected(format!("{expected} bytes, as the registry claims"))
                                .found(format!("{actual} bytes served")),
                            _ => gate_error(subject, chain(&e)),
                        };
                        findings.push(f);
                    }
                    Compared::LocalUnreadable(e) => {
                        row["outcome"] = json!("failed");
                        row["error"] = json!(e.clone());
                        findings.push(gate_error(subject, e));
                    }
                }
                files.push(row);
            }
            GateResult::from_findings(findings)
                .with_evidence("registries", Value::from(versions))
                .with_evidence("files", Value::from(files))
        })
    }
}

impl Gate for RegistryVisibleGate {
    fn id(&self) -> &str {
        Self::ID
    }
    fn phase(&self) -> Phase {
        Phase::Postpublish
    }
    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let s = match setup(ctx) {
                Ok(s) => s,
                Err(r) => return r,
            };
            let jobs: Vec<Job<Result<PublishedVersion, WaitError>>> = s
                .targets
                .iter()
                .map(|t| {
                    let (t, http, version) = (t.clone(), s.http.clone(), s.version.clone());
                    let cancel = ctx.cancel.clone();
                    Box::new(move || {
                        let within = Duration::from_secs(
                            t.rule
                                .visible_within_secs
                                .unwrap_or(DEFAULT_VISIBLE_WITHIN_SECS),
                        );
                        let c = Client::new(&t, &http).map_err(WaitError::Failed)?;
                        c.wait(&t.rule.package, &version, poll_options(within), &cancel)
                    }) as Job<Result<PublishedVersion, WaitError>>
                })
                .collect();
            let results = match run_blocking_all(ctx, jobs).await {
                Ok(r) => r,
                Err(e) => return GateResult::error(e),
            };
            let mut findings = Vec::new();
            let mut evidence = Vec::new();
            for (t, r) in s.targets.iter().zip(results) {
                let subject = t.subject(&s.version);
                match r {
                    Ok(pv) => evidence.push(version_evidence(t, &pv)),
                    Err(WaitError::NotVisible(diagnosis)) => findings.push(
                        Finding::new(Code::NotVisible, subject)
                            .expected(format!(
                                "served within {} s",
                                t.rule.visible_within_secs.unwrap_or(DEFAULT_VISIBLE_WITHIN_SECS)
                            ))
                            .found(diagnosis)
                            .hint("check that the upload succeeded; a registry's CDN or index may lag: raise visible-within-secs if this is normal for it"),
                    ),
                    Err(WaitError::Failed(e)) => findings.push(gate_error(subject, e)),
                }
            }
            GateResult::from_findings(findings).with_evidence("registries", Value::from(evidence))
        })
    }
}

impl Gate for OciPlatformsGate {
    fn id(&self) -> &str {
        Self::ID
    }
    fn phase(&self) -> Phase {
        Phase::Postpublish
    }
    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let s = match setup(ctx) {
                Ok(s) => s,
                Err(r) => return r,
            };
            let oci: Vec<Target> = s
                .targets
                .iter()
                .filter(|t| t.rule.kind == RegistryKind::Oci)
                .cloned()
                .collect();
            if oci.is_empty() {
                return GateResult::skipped("the policy names no OCI registry");
            }
            let jobs: Vec<Job<Result<OciView, String>>> = oci
                .iter()
                .map(|t| {
                    let (t, http, version) = (t.clone(), s.http.clone(), s.version.clone());
                    Box::new(move || oci_view(&t, &http, &version)) as Job<Result<OciView, String>>
                })
                .collect();
            let results = match run_blocking_all(ctx, jobs).await {
                Ok(r) => r,
                Err(e) => return GateResult::error(e),
            };
            let mut findings = Vec::new();
            let mut evidence = Vec::new();
            for (t, r) in oci.iter().zip(results) {
                let subject = format!("{}: {}:{}", t.name, t.rule.package, s.version);
                let view = match r {
                    Ok(v) => v,
                    Err(e) => {
                        findings.push(gate_error(subject, e));
                        continue;
                    }
                };
                evidence.push(json!({
                    "registry": t.name,
                    "repository": t.rule.package,
                    "tag": s.version,
                    "digest": view.digest.map(|d| d.to_string()),
                    "platforms": view.platforms,
                    "signature": view.signature,
                }));
                let Some(digest) = view.digest else {
                    for p in &t.rule.platforms {
                        findings.push(
                            Finding::new(Code::PlatformMissing, format!("{subject} {p}"))
                                .expected(format!(
                                    "{p} in the index of {}:{}",
                                    t.rule.package, s.version
                                ))
                                .found("the tag does not exist"),
                        );
                    }
                    continue;
                };
                for p in &t.rule.platforms {
                    if !view.platforms.iter().any(|x| x == p) {
                        findings.push(
                            Finding::new(Code::PlatformMissing, format!("{subject} {p}"))
                                .expected(format!("{p} in the index {digest}"))
                                .found(if view.platforms.is_empty() {
                                    String::from("a single-platform image (no index)")
                                } else {
                                    format!("platforms {}", view.platforms.join(", "))
                                })
                                .hint("build and push the image for every platform, then push the index again"),
                        );
                    }
                }
                // Provenance that covers images must name this pushed digest as a subject.
                if let (Some(rules), Some(signing), Some(tag)) =
                    (&ctx.policy.provenance, &ctx.policy.signing, &ctx.tag)
                    && rules.cover.contains(&ArtifactKind::OciImage)
                    && t.rule.artifacts.contains(&ArtifactKind::OciImage)
                    && let Err(e) =
                        provenance_covers(&ctx.release_dir, rules, signing, tag, &[vec![digest]])
                {
                    findings.push(
                        Finding::new(Code::SubjectNotCovered, subject.clone())
                            .expected(format!(
                                "{digest} among the subjects of the release's provenance"
                            ))
                            .found(e)
                            .hint("attest the digest that was pushed (not a rebuild of it)"),
                    );
                }
                if t.rule.signed && view.signature.is_none() {
                    findings.push(
                        Finding::new(Code::SignatureMissing, subject)
                            .expected(format!(
                                "a cosign signature for {digest} (referrers or the {} tag)",
                                regclient::oci::fallback_tag(&digest) + ".sig"
                            ))
                            .found("none")
                            .hint("sign the pushed digest with cosign (by digest, not by tag)"),
                    );
                }
            }
            GateResult::from_findings(findings).with_evidence("images", Value::from(evidence))
        })
    }
}

/// What an OCI registry shows for one tag.
struct OciView {
    digest: Option<Digest>,
    platforms: Vec<String>,
    /// How a signature was found (`sig-tag`, `bundle-referrer`), if any.
    signature: Option<String>,
}

fn oci_view(t: &Target, http: &regclient::HttpClient, tag: &str) -> Result<OciView, String> {
    let Client::Oci(c) = Client::new(t, http)? else {
        return Err(format!("registry {} is not an OCI registry", t.name));
    };
    let repo = &t.rule.package;
    let Some(m) = c.manifest(repo, tag).map_err(|e| chain(&e))? else {
        return Ok(OciView {
            digest: None,
            platforms: Vec::new(),
            signature: None,
        });
    };
    let platforms = m.platforms().iter().map(ToString::to_string).collect();
    let signature = if t.rule.signed {
        let found = c.cosign(repo, &m.digest).map_err(|e| chain(&e))?;
        if found.signature.is_some() {
            Some(String::from("sig-tag"))
        } else if !found.bundles.is_empty() {
            Some(String::from("bundle-referrer"))
        } else {
            None
        }
    } else {
        None
    };
    Ok(OciView {
        digest: Some(m.digest),
        platforms,
        signature,
    })
}

impl Gate for ConsumerVerifyGate {
    fn id(&self) -> &str {
        Self::ID
    }
    fn phase(&self) -> Phase {
        Phase::Consume
    }
    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let Some(signing) = ctx.policy.signing.clone() else {
                return GateResult::error(
                    "consumer-verify needs [signing]: a consumer verifies the served bytes against the release's signatures",
                );
            };
            let Some(tag) = ctx.tag.clone() else {
                return GateResult::error("no release tag: the signing identity depends on it");
            };
            let s = match setup(ctx) {
                Ok(s) => s,
                Err(r) => return r,
            };
            let results = match lookups(ctx, &s, |t| t.rule.kind != RegistryKind::Oci).await {
                Ok(r) => r,
                Err(r) => return r,
            };
            let scratch = match scratch_dir(ctx, ".relgate-consumer-") {
                Ok(d) => Arc::new(d),
                Err(e) => {
                    return GateResult::error(format!("cannot create a download folder: {e}"));
                }
            };
            let mut findings = Vec::new();
            let mut views = Vec::new();
            for (i, (t, r)) in results.into_iter().enumerate() {
                let subject = t.subject(&s.version);
                let pv = match r {
                    Ok(pv) if pv.state.is_served() => pv,
                    Ok(pv) => {
                        findings.push(
                            Finding::new(Code::RegistryFileMissing, subject)
                                .expected("the version served to consumers")
                                .found(format!("the version is {}", pv.state)),
                        );
                        continue;
                    }
                    Err(e) => {
                        findings.push(gate_error(subject, e));
                        continue;
                    }
                };
                let view = scratch.path().join(i.to_string());
                if let Err(e) = std::fs::create_dir(&view) {
                    return GateResult::error(format!("{}: {e}", view.display()));
                }
                views.push((t, pv, view));
            }
            // Download what every registry serves, bounded across all of them.
            let mut jobs: Vec<Job<Result<(), (bool, String)>>> = Vec::new();
            // A registry that claims no digest (a Go module proxy) serves files a consumer
            // holds to the release's own: the module zip is checked against the local file it
            // was published from, under that name (so its bundle applies); anything else it
            // serves (`.mod`) is not a release artifact.
            let locals = match local_artifacts(&ctx.policy, &ctx.release_dir) {
                Ok(a) => a,
                Err(e) => return GateResult::error(chain(&e)),
            };
            let claimless = |f: &PublishedFile| -> Option<PublishedFile> {
                let local = locals.iter().find(|a| {
                    let n = a.path.rsplit('/').next().unwrap_or(&a.path);
                    served_as(n, &f.name)
                })?;
                let digest = sha256_of(&ctx.release_dir.join(&local.path)).ok()?;
                let mut held = f.clone();
                held.name = local
                    .path
                    .rsplit('/')
                    .next()
                    .unwrap_or(&local.path)
                    .to_owned();
                held.digests.push(digest);
                Some(held)
            };
            for (t, pv, view) in &views {
                for f in &pv.files {
                    let f = if f.digests.is_empty() {
                        match claimless(f) {
                            Some(held) => held,
                            None => continue,
                        }
                    } else {
                        f.clone()
                    };
                    let (ctx, http, f, view, name) =
                        (ctx.clone(), s.http.clone(), f, view.clone(), t.name.clone());
                    jobs.push(Box::new(move || {
                        fetch(&ctx, ConsumerVerifyGate::ID, &http, &name, &f, &view, None)
                            .map(|_| ())
                            .map_err(|e| {
                                let claim = matches!(
                                    e,
                                    ReadbackError::DigestMismatch { .. }
                                        | ReadbackError::SizeMismatch { .. }
                                );
                                (claim, chain(&e))
                            })
                    }));
                }
            }
            let fetched = match run_blocking_all(ctx, jobs).await {
                Ok(r) => r,
                Err(e) => return GateResult::error(e),
            };
            let files: Vec<(String, String)> = views
                .iter()
                .flat_map(|(t, pv, _)| pv.files.iter().map(|f| (t.name.clone(), f.name.clone())))
                .collect();
            for ((registry, name), r) in files.iter().zip(&fetched) {
                if let Err((claim, e)) = r {
                    let subject = format!("{name} on {registry}");
                    findings.push(if *claim {
                        Finding::new(Code::DigestMismatch, subject)
                            .expected("the served bytes, as the registry claims them")
                            .found(e.clone())
                    } else {
                        gate_error(subject, e.clone())
                    });
                }
            }
            // A registry none of whose files arrived has nothing left to verify: its
            // failures are reported above.
            let mut k = 0;
            views.retain(|(_, pv, _)| {
                let got = fetched
                    .get(k..k + pv.files.len())
                    .is_some_and(|done| done.iter().any(Result::is_ok));
                k += pv.files.len();
                got
            });
            let release_dir = ctx.release_dir.clone();
            let policy = Arc::clone(&ctx.policy);
            // One verification per registry, on the blocking pool, bounded like the downloads.
            let jobs: Vec<Job<(String, GateResult)>> = views
                .into_iter()
                .map(|(t, _, view)| {
                    let (policy, release_dir) = (Arc::clone(&policy), release_dir.clone());
                    let (signing, tag) = (signing.clone(), tag.clone());
                    Box::new(move || {
                        if let Err(e) = publish_public_files(&policy, &release_dir, &view) {
                            return (t.name, GateResult::error(e));
                        }
                        let mut r = check_signatures(&policy, &view, &signing, &tag);
                        if let (Some(rules), Outcome::Pass) = (&policy.provenance, &r.outcome) {
                            r = check_provenance(&policy, &view, rules, &signing, &tag);
                        }
                        (t.name, r)
                    }) as Job<(String, GateResult)>
                })
                .collect();
            let checked = match run_blocking_all(ctx, jobs).await {
                Ok(c) => c,
                Err(e) => return GateResult::error(e),
            };
            let mut evidence = BTreeMap::new();
            for (registry, r) in checked {
                evidence.insert(
                    registry.clone(),
                    json!({"outcome": r.outcome.name(), "evidence": r.evidence}),
                );
                match r.outcome {
                    Outcome::Pass => {}
                    Outcome::Fail { findings: f } => findings.extend(f.into_iter().map(|mut x| {
                        x.subject = format!("{} (as served by {registry})", x.subject);
                        x
                    })),
                    Outcome::Error { cause } => findings.push(gate_error(registry, cause)),
                    Outcome::Skipped { reason } => findings.push(gate_error(registry, reason)),
                }
            }
            GateResult::from_findings(findings).with_evidence(
                "registries",
                serde_json::to_value(evidence).unwrap_or(Value::Null),
            )
        })
    }
}

/// Copies what the release publishes for consumers (the trust root, Sigstore bundles,
/// provenance) next to the served files in `view`.
fn publish_public_files(
    policy: &crate::policy::Policy,
    release_dir: &Path,
    view: &Path,
) -> Result<(), String> {
    let Some(signing) = &policy.signing else {
        return Ok(());
    };
    let served: Vec<String> = std::fs::read_dir(view)
        .map_err(|e| format!("{}: {e}", view.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut public: Vec<String> = vec![signing.trusted_root.clone()];
    public.extend(
        served
            .iter()
            .map(|n| format!("{n}{}", signing.bundle_suffix)),
    );
    if let Some(p) = &policy.provenance {
        let m = crate::folder::glob_matcher(&p.glob).map_err(|e| e.to_string())?;
        let all = crate::folder::list_files(release_dir).map_err(|e| e.to_string())?;
        public.extend(all.into_iter().filter(|f| m.is_match(f)));
    }
    for name in public {
        let from = release_dir.join(&name);
        if from.is_file() {
            std::fs::copy(&from, view.join(&name))
                .map_err(|e| format!("{}: {e}", from.display()))?;
        }
    }
    Ok(())
}
