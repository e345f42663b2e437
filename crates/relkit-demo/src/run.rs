//! The demo's phases run in release order against the loopback registries, around a simulated
//! upload: [`run_demo`], [`run_demo_on`] and the [`upload`] step.

use std::io;

use crate::registry::{DemoKind, DemoRegistries};

/// The demo registry serving a policy registry of `kind`, if the loopback server speaks it.
fn demo_kind(kind: relgate::policy::RegistryKind) -> Option<DemoKind> {
    match kind {
        relgate::policy::RegistryKind::Pypi => Some(DemoKind::Pypi),
        relgate::policy::RegistryKind::Cargo => Some(DemoKind::Crates),
        relgate::policy::RegistryKind::Npm => Some(DemoKind::Npm),
        relgate::policy::RegistryKind::GoProxy => Some(DemoKind::GoProxy),
        _ => None,
    }
}

/// Endpoints for every registry of `policy` that these loopback registries can serve: the
/// configuration a real run would read from a registries file or the environment.
pub fn endpoints_for(policy: &relgate::Policy, regs: &DemoRegistries) -> relgate::Endpoints {
    let mut e = relgate::Endpoints::new();
    for (name, rule) in &policy.registries {
        if let Some(kind) = demo_kind(rule.kind) {
            // A loopback http URL always passes the endpoint check.
            let _ = e.insert(name, &regs.url(kind));
        }
    }
    e
}

/// Why a demo run could not be carried out (not a release failure: that is in the reports).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoRunError {
    /// The loopback server could not start, or a release file could not be read.
    #[error("{what}")]
    Io {
        /// What failed.
        what: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The release folder's artifacts could not be listed.
    #[error(transparent)]
    Artifacts(#[from] relgate::artifacts::ArtifactsError),
}

/// "Uploads" the release: every local artifact of the kinds each registry rule lists is
/// published to the loopback registry of that rule's kind, as `package` `version`. Registries
/// named in `skip` get nothing. Returns `registry: file` for every upload.
pub fn upload(
    regs: &DemoRegistries,
    policy: &relgate::Policy,
    release_dir: &std::path::Path,
    version: &str,
    skip: &[&str],
) -> Result<Vec<String>, DemoRunError> {
    let locals = relgate::artifacts::local_artifacts(policy, release_dir)?;
    let mut done = Vec::new();
    for (name, rule) in &policy.registries {
        let Some(kind) = demo_kind(rule.kind) else {
            continue;
        };
        if skip.contains(&name.as_str()) {
            continue;
        }
        for a in locals.iter().filter(|a| rule.artifacts.contains(&a.kind)) {
            let path = release_dir.join(&a.path);
            let bytes = std::fs::read(&path).map_err(|source| DemoRunError::Io {
                what: format!("cannot read {}", path.display()),
                source,
            })?;
            let file = a.path.rsplit('/').next().unwrap_or(&a.path);
            regs.publish(kind, &rule.package, version, file, bytes);
            done.push(format!("{name}: {file}"));
        }
    }
    Ok(done)
}

/// One run of a demo release through its phases, in release order.
#[derive(Debug)]
#[non_exhaustive]
pub struct DemoRun {
    /// The reports in order: `preflight + prepublish` (before any upload), then, when those
    /// allowed publishing, `postpublish + consume` (after it).
    pub stages: Vec<(String, relgate::Report)>,
    /// What the simulated upload step placed in the loopback registries.
    pub uploaded: Vec<String>,
    /// The loopback base URLs, by registry name.
    pub endpoints: Vec<(String, String)>,
}

impl DemoRun {
    /// The report that decides: the last stage that ran.
    pub fn last(&self) -> Option<&relgate::Report> {
        self.stages.last().map(|(_, r)| r)
    }

    /// The worst exit code of the stages (0 allowed, 1 blocked, 2 could not run).
    pub fn exit_code(&self) -> i32 {
        self.stages
            .iter()
            .map(|(_, r)| r.exit_code())
            .max()
            .unwrap_or(2)
    }
}

/// The repository the demo's source stands for ([`DemoRepository`](crate::DemoRepository)),
/// when the policy's source tree is a plain folder (or a folder inside another repository,
/// as `examples/demo-release/source` is inside relkit's): the run then reads the source, and
/// its report names the tag's commit, from that repository. A source that is a repository of
/// its own (a `[versions] git`, or a tree at a repository's top) is used as it is.
fn demo_repository(
    policy: &relgate::Policy,
    tag: &str,
) -> Result<Option<crate::DemoRepository>, DemoRunError> {
    let versions = policy.versions.as_ref();
    if versions.is_some_and(|v| v.git.is_some()) {
        return Ok(None);
    }
    let tree = versions
        .and_then(|v| v.tree.as_ref())
        .map_or_else(|| policy.base_dir.clone(), |t| policy.base_dir.join(t));
    if !tree.is_dir() || crate::is_repository_top(&tree) {
        return Ok(None);
    }
    crate::DemoRepository::make(&tree, tag)
        .map(Some)
        .map_err(|source| DemoRunError::Io {
            what: format!(
                "cannot make the demo repository from {} (is git installed?)",
                tree.display()
            ),
            source,
        })
}

/// Runs `policy` over `release_dir` as a release would: loopback registries are started and
/// handed to the run as endpoints; `preflight` and `prepublish` run against registries that do
/// not hold the version yet; when they allow publishing, the upload step is simulated
/// ([`upload`]), then `postpublish` and `consume` run against what the registries serve.
/// `options.phases`, when not empty, restricts the phases (an upload happens only when a later
/// phase is run). A registry [`Tamper`](crate::Tamper) kind breaks the registries at
/// the right moment.
pub fn run_demo(
    policy: &relgate::Policy,
    release_dir: &std::path::Path,
    tag: &str,
    tamper: Option<crate::Tamper>,
    options: relgate::RunOptions,
    observer: Option<relgate::Observer>,
) -> Result<DemoRun, DemoRunError> {
    let regs = DemoRegistries::start().map_err(|source| DemoRunError::Io {
        what: String::from("cannot start the loopback registries"),
        source,
    })?;
    run_demo_on(&regs, policy, release_dir, tag, tamper, options, observer)
}

/// [`run_demo`] on registries the caller started (and may have filled beforehand). The upload
/// step skips a registry in recovery mode (`recovery = true`) that already holds the version:
/// what it serves is verified instead.
pub fn run_demo_on(
    regs: &DemoRegistries,
    policy: &relgate::Policy,
    release_dir: &std::path::Path,
    tag: &str,
    tamper: Option<crate::Tamper>,
    options: relgate::RunOptions,
    observer: Option<relgate::Observer>,
) -> Result<DemoRun, DemoRunError> {
    use crate::Tamper;
    use relgate::Phase;
    let endpoints = endpoints_for(policy, regs);
    let version = policy
        .tag
        .as_ref()
        .and_then(|t| t.version_in(tag))
        .unwrap_or_else(|| tag.strip_prefix('v').unwrap_or(tag))
        .to_owned();
    let mut run = DemoRun {
        stages: Vec::new(),
        uploaded: Vec::new(),
        endpoints: endpoints
            .names()
            .map(|n| (n.to_owned(), endpoints.get(n).unwrap_or("").to_owned()))
            .collect(),
    };
    if tamper == Some(Tamper::Published) {
        // The Python index already holds the version (an earlier release run uploaded it).
        let others: Vec<&str> = policy
            .registries
            .iter()
            .filter(|(_, r)| r.kind != relgate::policy::RegistryKind::Pypi)
            .map(|(n, _)| n.as_str())
            .collect();
        upload(regs, policy, release_dir, &version, &others)?;
    }
    let wanted = |p: Phase| options.phases.is_empty() || options.phases.contains(&p);
    let stage =
        |phases: [Phase; 2]| -> Vec<Phase> { phases.into_iter().filter(|p| wanted(*p)).collect() };
    let mut base = options.clone().endpoints(endpoints);
    base.phases = Vec::new();
    // The demo is rebuilt in-process by its own build recipe.
    let rebuilder = std::sync::Arc::new(crate::DemoRebuilder::new(tamper != Some(Tamper::Rebuild)));
    let repository = demo_repository(policy, tag)?;
    let context = |phases: Vec<Phase>| {
        let mut c = relgate::RunContext::new(release_dir)
            .tag(tag)
            .options(base.clone().phases(phases))
            .gate(std::sync::Arc::new(
                relgate::gates::RebuildIdentityGate::with_rebuilder(rebuilder.clone()),
            ));
        if let Some(repo) = &repository {
            c = c.source_dir(repo.path());
        }
        if let Some(o) = &observer {
            c = c.on_event(std::sync::Arc::clone(o));
        }
        c
    };
    let before = stage([Phase::Preflight, Phase::Prepublish]);
    let after = stage([Phase::Postpublish, Phase::Consume]);
    if !before.is_empty() {
        let report = relgate::run_blocking(policy, context(before));
        let blocked = report.exit_code() != 0;
        run.stages.push((
            String::from("before upload: preflight + prepublish"),
            report,
        ));
        if blocked {
            return Ok(run);
        }
    }
    if after.is_empty() {
        return Ok(run);
    }
    let skip: Vec<&str> = policy
        .registries
        .iter()
        .filter(|(_, r)| {
            let recovered = r.recovery
                && demo_kind(r.kind).is_some_and(|k| regs.holds(k, &r.package, &version));
            let hidden =
                tamper == Some(Tamper::NotVisible) && r.kind == relgate::policy::RegistryKind::Npm;
            recovered || hidden
        })
        .map(|(n, _)| n.as_str())
        .collect();
    run.uploaded = upload(regs, policy, release_dir, &version, &skip)?;
    if tamper == Some(Tamper::RegistryBytes) {
        let locals = relgate::artifacts::local_artifacts(policy, release_dir)?;
        if let Some(c) = locals
            .iter()
            .find(|a| a.kind == relgate::policy::ArtifactKind::Crate)
        {
            let name = c.path.rsplit('/').next().unwrap_or(&c.path);
            let mut bytes =
                std::fs::read(release_dir.join(&c.path)).map_err(|source| DemoRunError::Io {
                    what: format!("cannot read {}", c.path),
                    source,
                })?;
            bytes.extend_from_slice(b"\0registry-side change\n");
            regs.replace_bytes(name, &bytes);
        }
    }
    let report = relgate::run_blocking(policy, context(after));
    run.stages
        .push((String::from("after upload: postpublish + consume"), report));
    Ok(run)
}
