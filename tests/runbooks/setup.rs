//! Shared setup of the runbook tests: replica repositories, CI evidence read from them, the
//! loopback registries, running a policy's phases in release order, signing a replica's
//! release, and the one skeleton every "each check fails with its code" test runs.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use regclient::testing::TestRegistry;
use relgate::{
    BoxFuture, Code, Endpoints, GateStatus, Phase, Policy, Report, RunContext, RunOptions,
    RunStatus,
    gates::{CiError, CiProvider, ForgeRelease, GithubCi, WorkflowRun},
    policy::{RegistryKind, Waiver},
};
use relkit_demo::{DemoRegistries, endpoints_for};
pub(crate) use relkit_testkit::git::git;
use relkit_testkit::github::{Environment, GithubFake};
use relkit_testkit::npm_org::NpmIdentity;
use relkit_testkit::oci::docker_registry_or_skip;

/// A committed repository holding `files`.
pub(crate) fn replica(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "release"]);
    dir
}

pub(crate) fn commit_change(dir: &Path, path: &str, text: &str) {
    std::fs::write(dir.join(path), text).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "change"]);
}

pub(crate) fn f(path: &str, text: String) -> (String, String) {
    (path.to_owned(), text)
}

/// CI evidence read from the replica: the branch head from git, and a successful push run of
/// every workflow the policy names for `green` (the commit CI passed). The replica's forge
/// objects and settings (releases with their notes, environments, immutable releases) are
/// asked of the loopback GitHub fake `forge` through `regclient::forge`.
pub(crate) struct ReplicaCi {
    pub(crate) repo: std::path::PathBuf,
    pub(crate) workflows: Vec<String>,
    pub(crate) green: String,
    pub(crate) forge: GithubCi,
}

impl ReplicaCi {
    /// The replica in `dir` for `policy`, with CI green for `green`, on `forge`.
    pub(crate) fn new(policy: &Policy, dir: &Path, green: String, forge: &GithubFake) -> ReplicaCi {
        ReplicaCi {
            repo: dir.to_path_buf(),
            workflows: policy
                .ci
                .as_ref()
                .map(|c| c.workflows.clone())
                .unwrap_or_default(),
            green,
            forge: GithubCi::new(forge.base(), &forge_repository(policy)).unwrap(),
        }
    }
}

/// Whether a run of `policy` needs the replica's CI or forge.
fn needs_forge(policy: &Policy) -> bool {
    policy.ci.is_some() || policy.release_notes.is_some() || !policy.environments.is_empty()
}

/// The repository (`owner/name`) of a replica on its forge.
pub(crate) fn forge_repository(policy: &Policy) -> String {
    policy
        .project
        .repository
        .clone()
        .unwrap_or_else(|| format!("example/{}", policy.project.name))
}

/// A loopback GitHub fake set up as `policy`'s runbook asks: each `[environments.<name>]`
/// exists with a required reviewer and, when the policy names one, exactly its deployment tag
/// pattern; immutable releases are on when the policy relies on them.
fn replica_forge(policy: &Policy) -> GithubFake {
    let forge = GithubFake::start();
    let repo = forge_repository(policy);
    for (name, rule) in &policy.environments {
        let mut env = Environment::new(name).reviewer("maintainer");
        if let Some(p) = &rule.tag_pattern {
            env = env.tag_pattern(p);
        }
        forge.environment(&repo, env);
    }
    forge.immutable_releases(&repo, policy.release.immutable_releases);
    forge
}

impl CiProvider for ReplicaCi {
    fn branch_head<'a>(&'a self, branch: &'a str) -> BoxFuture<'a, Result<String, CiError>> {
        Box::pin(async move { Ok(git(&self.repo, &["rev-parse", branch])) })
    }
    fn tag_commit<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Option<String>, CiError>> {
        Box::pin(async move {
            let out = Command::new("git")
                .arg("-C")
                .arg(&self.repo)
                .args(["rev-parse", "--verify", "--quiet"])
                .arg(format!("refs/tags/{tag}^{{commit}}"))
                .output()
                .unwrap();
            Ok(out
                .status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()))
        })
    }
    fn release<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Option<ForgeRelease>, CiError>> {
        // The release the test published on the replica's forge; else a draft without notes
        // once the tag exists in git.
        Box::pin(async move {
            if let Some(r) = self.forge.release(tag).await? {
                return Ok(Some(r));
            }
            let tags = git(&self.repo, &["tag", "--list", tag]);
            Ok((!tags.is_empty()).then(|| ForgeRelease::new(tag, true, false, Vec::new())))
        })
    }
    fn environment<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<regclient::forge::Environment>, CiError>> {
        self.forge.environment(name)
    }
    fn immutable_releases(&self) -> BoxFuture<'_, Result<bool, CiError>> {
        self.forge.immutable_releases()
    }
    fn push_runs<'a>(&'a self, sha: &'a str) -> BoxFuture<'a, Result<Vec<WorkflowRun>, CiError>> {
        Box::pin(async move {
            Ok(self
                .workflows
                .iter()
                .enumerate()
                .filter(|_| sha == self.green)
                .map(|(i, w)| {
                    WorkflowRun::new(
                        i as u64 + 1,
                        w,
                        &format!(".github/workflows/{w}"),
                        "push",
                        "completed",
                        Some("success"),
                        sha,
                    )
                })
                .collect())
        })
    }
}

/// Runs the preflight phase of `project`'s policy over the replica in `dir`, for `tag` at the
/// replica's HEAD, waiving the gates named in `not_yet` (with the reason why).
pub(crate) fn preflight(project: &str, dir: &Path, tag: &str, not_yet: &[&str]) -> Report {
    // The policy sits at the repository root: its `git = "."` is the replica.
    let mut policy = load(project, dir);
    for id in not_yet {
        policy.waivers.push(Waiver::new(
            Some(id),
            None,
            "not implemented yet, and the replica has no registry or generator to check against",
        ));
    }
    // `version-unpublished` asks every registry: empty loopback registries answer.
    let loopback = Loopback::for_policy(&policy);
    let endpoints = match &loopback {
        Some(l) => l.endpoints(&policy),
        None => {
            policy.waivers.push(Waiver::new(
                Some("version-unpublished"),
                None,
                "SKIPPED here: docker-registry is not installed (CI requires it)",
            ));
            policy.waivers.push(Waiver::new(
                Some("publisher-identity"),
                None,
                "SKIPPED here: docker-registry is not installed (CI requires it)",
            ));
            Endpoints::new()
        }
    };
    let head = git(dir, &["rev-parse", "HEAD"]);
    let mut ctx = RunContext::new(dir).tag(tag).commit(head.clone()).options(
        RunOptions::default()
            .phases([Phase::Preflight])
            .endpoints(endpoints),
    );
    // The replica's forge, as its runbook sets it up.
    let forge = replica_forge(&policy);
    if needs_forge(&policy) {
        ctx = ctx.ci_provider(Arc::new(ReplicaCi::new(&policy, dir, head, &forge)));
    }
    relgate::run_blocking(&policy, ctx)
}

/// A replica of `files` whose preflight for `tag` is allowed, with each gate of `ran` passing:
/// the replica and the report.
pub(crate) fn preflight_passes(
    project: &str,
    files: &[(String, String)],
    tag: &str,
    ran: &[&str],
) -> (tempfile::TempDir, Report) {
    let dir = replica(files);
    let report = preflight(project, dir.path(), tag, &[]);
    assert_passes(&report, ran);
    (dir, report)
}

/// The preflight for `tag` of a replica of `files` whose versions disagree: its only root cause
/// is `version-mismatch`, and the one finding of `versions-lockstep` is returned.
pub(crate) fn the_version_mismatch(
    project: &str,
    files: &[(String, String)],
    tag: &str,
) -> relgate::Finding {
    let stale = replica(files);
    let report = preflight(project, stale.path(), tag, &[]);
    assert_eq!(report.root_cause_codes(), [Code::VersionMismatch]);
    let g = report.gate("versions-lockstep").unwrap();
    assert_eq!(g.findings.len(), 1);
    g.findings[0].finding.clone()
}

pub(crate) fn assert_passes(report: &Report, ran: &[&str]) {
    assert_eq!(report.decision.status, RunStatus::Allowed, "{report:#?}");
    for id in ran {
        assert_eq!(
            report.gate(id).map(|g| g.status),
            Some(GateStatus::Pass),
            "{id}"
        );
    }
}

// ---------------------------------------------------------------- registries

/// Loopback registries for a replica: the in-process package indexes and Go proxy, plus a real
/// `docker-registry` when the policy publishes images or charts.
pub(crate) struct Loopback {
    pub(crate) demo: DemoRegistries,
    pub(crate) oci: Option<TestRegistry>,
    /// The replica's forge: a loopback GitHub fake set up as the runbook asks; tests publish
    /// the release (with its notes) here and break its settings.
    pub(crate) forge: GithubFake,
}

impl Loopback {
    /// Registries for `policy`; `None` (with a loud SKIPPED line) when it needs
    /// docker-registry and that is not installed outside CI.
    pub(crate) fn for_policy(policy: &Policy) -> Option<Loopback> {
        let needs_oci = policy
            .registries
            .values()
            .any(|r| r.kind == RegistryKind::Oci);
        let oci = if needs_oci {
            Some(docker_registry_or_skip()?)
        } else {
            None
        };
        let demo = DemoRegistries::start().unwrap();
        demo.npm_identity(publisher_identity(policy, true));
        Some(Loopback {
            demo,
            oci,
            forge: replica_forge(policy),
        })
    }

    /// Every registry of `policy` pointed at these servers (configuration, as a registries
    /// file or the environment would give it).
    pub(crate) fn endpoints(&self, policy: &Policy) -> Endpoints {
        let mut e = endpoints_for(policy, &self.demo);
        for (name, rule) in &policy.registries {
            if rule.publisher.is_some() {
                e.insert_token(name, regclient::Secret::new(publisher_token(name)));
            }
        }
        if let Some(oci) = &self.oci {
            for (name, rule) in &policy.registries {
                if rule.kind == RegistryKind::Oci {
                    e.insert(name, oci.base()).unwrap();
                }
            }
        }
        e
    }

    pub(crate) fn oci(&self) -> &TestRegistry {
        self.oci.as_ref().unwrap()
    }
}

/// The npm token the runbook tests configure for registry `name` when it names a publisher
/// (`RELKIT_REGISTRY_<NAME>_TOKEN` in a real run).
pub(crate) fn publisher_token(name: &str) -> String {
    format!("npm-token-for-{name}")
}

/// What the loopback npm registry answers about the publishers of `policy`: each publisher
/// registry's token is its `user` (else `release-bot`), a developer of its scope (the rule's,
/// else the package's) when `member`; otherwise the org exists with another owner only.
pub(crate) fn publisher_identity(policy: &Policy, member: bool) -> NpmIdentity {
    let mut id = NpmIdentity::default();
    for (name, rule) in &policy.registries {
        let Some(p) = &rule.publisher else { continue };
        let user = p.user.as_deref().unwrap_or("release-bot");
        id = id.user(&publisher_token(name), user);
        let scope = p
            .scope
            .clone()
            .or_else(|| rule.package.split('/').next().map(str::to_owned))
            .unwrap_or_default();
        id = if member {
            id.member(&scope, user, "developer")
        } else {
            id.member(&scope, "someone-else", "owner")
        };
    }
    id
}

pub(crate) fn load(project: &str, dir: &Path) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(format!("{project}.toml"));
    let mut policy = Policy::load(&path).unwrap();
    policy.base_dir = dir.to_path_buf();
    name_test_root(&mut policy);
    policy
}

/// Names the replica's test root as the verifier's trust root: `trusted_root.json` at the
/// replica's top, outside its release folder `dist/` (the projects' own policies name none,
/// so they verify against the Sigstore public-good root; the replicas are signed by attest's
/// throwaway test stack instead).
pub(crate) fn name_test_root(policy: &mut Policy) {
    if let Some(signing) = policy.signing.as_mut() {
        signing.trusted_root = Some(String::from("trusted_root.json"));
    }
}

/// Runs `phases` of `policy` over the release in `dir` against `loopback`, waiving the gates
/// in `waive` (id, reason).
pub(crate) fn run_phases(
    policy: &Policy,
    dir: &Path,
    tag: &str,
    phases: &[Phase],
    loopback: &Loopback,
    waive: &[(&str, &str)],
) -> Report {
    run_phases_in(policy, dir, dir, tag, phases, loopback, waive)
}

/// [`run_phases`] with the release files in `release` (the repository is `dir`).
pub(crate) fn run_phases_in(
    policy: &Policy,
    dir: &Path,
    release: &Path,
    tag: &str,
    phases: &[Phase],
    loopback: &Loopback,
    waive: &[(&str, &str)],
) -> Report {
    let mut policy = policy.clone();
    for (id, why) in waive {
        policy.waivers.push(Waiver::new(Some(id), None, *why));
    }
    let mut ctx = RunContext::new(release).tag(tag).options(
        RunOptions::default()
            .phases(phases.iter().copied())
            .endpoints(loopback.endpoints(&policy)),
    );
    if needs_forge(&policy) {
        let head = git(dir, &["rev-parse", "HEAD"]);
        // CI passed for HEAD, unless the replica records (tag `ci-passed`) an earlier commit.
        let green = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["rev-parse", "--verify", "--quiet", "ci-passed^{commit}"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map_or_else(
                || head.clone(),
                |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
            );
        if policy.ci.is_some() {
            ctx = ctx.commit(head);
        }
        ctx = ctx.ci_provider(Arc::new(ReplicaCi::new(
            &policy,
            dir,
            green,
            &loopback.forge,
        )));
    }
    relgate::run_blocking(&policy, ctx)
}

/// The release folder of the replica in `dir`: `dir/dist`, created empty, where the release
/// build puts what it publishes (the repository around it is not part of the release).
pub(crate) fn dist_of(dir: &Path) -> std::path::PathBuf {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    dist
}

/// A gzipped tar archive (deterministic, as a release build writes it) holding `files`.
pub(crate) fn tar_gz(name: &str, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let entries = files
        .iter()
        .map(|(p, b)| artidigest::RepackEntry::file(p.clone(), b.clone()))
        .collect();
    artidigest::repack_entries(
        entries,
        &artidigest::RepackOptions::new(artidigest::Format::TarGz),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
    .bytes
}

/// A Helm chart `{chart}-{version}.tgz` as `helm package` lays it out: `{chart}/Chart.yaml`
/// and a template under the one root folder.
pub(crate) fn helm_chart(chart: &str, version: &str) -> Vec<u8> {
    tar_gz(
        &format!("{chart}-{version}.tgz"),
        &[
            (
                format!("{chart}/Chart.yaml"),
                format!(
                    "apiVersion: v2\nname: {chart}\nversion: {version}\nappVersion: \"{version}\"\n"
                )
                .into_bytes(),
            ),
            (
                format!("{chart}/values.yaml"),
                format!("image:\n  repository: example/{chart}\n  tag: \"{version}\"\n")
                    .into_bytes(),
            ),
            (
                format!("{chart}/templates/deployment.yaml"),
                format!("# {chart} {version}\nkind: Deployment\n").into_bytes(),
            ),
        ],
    )
}

/// A Python sdist `{name}-{version}.tar.gz` as a build backend writes it: one root folder
/// `{name}-{version}/` with `PKG-INFO` and `pyproject.toml`.
pub(crate) fn python_sdist(name: &str, version: &str) -> Vec<u8> {
    let root = format!("{name}-{version}");
    tar_gz(
        &format!("{root}.tar.gz"),
        &[
            (
                format!("{root}/PKG-INFO"),
                format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").into_bytes(),
            ),
            (
                format!("{root}/pyproject.toml"),
                format!("[project]\nname = \"{name}\"\nversion = \"{version}\"\n").into_bytes(),
            ),
        ],
    )
}

/// A `.crate` named `file` (`<name>-<version>.crate`) as `cargo package` writes it in a git
/// checkout of `commit`: the root folder, `Cargo.toml` (and `.orig`) and
/// `.cargo_vcs_info.json` naming `commit`.
pub(crate) fn crate_at(file: &str, commit: &str) -> Vec<u8> {
    let root = file.trim_end_matches(".crate");
    let (name, version) = root.rsplit_once('-').unwrap();
    let manifest =
        format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n");
    let vcs = format!(
        "{{\n  \"git\": {{\n    \"sha1\": \"{commit}\"\n  }},\n  \"path_in_vcs\": \"\"\n}}"
    );
    tar_gz(
        file,
        &[
            (format!("{root}/.cargo_vcs_info.json"), vcs.into_bytes()),
            (format!("{root}/Cargo.toml"), manifest.clone().into_bytes()),
            (format!("{root}/Cargo.toml.orig"), manifest.into_bytes()),
            (format!("{root}/src/lib.rs"), b"//! crate.\n".to_vec()),
        ],
    )
}

/// `id` as the test CA certifies a run at `commit`: its source-repository digest (and the
/// legacy workflow SHA, which must agree) name that commit.
pub(crate) fn at_commit(mut id: attest::TestIdentity, commit: &str) -> attest::TestIdentity {
    use attest::FulcioExtension as F;
    for (ext, value) in &mut id.extensions {
        if matches!(ext, F::SourceRepositoryDigest | F::GithubWorkflowShaV1) {
            commit.clone_into(value);
        }
    }
    id
}

/// Distinct, recognisable bytes for an artifact that only has to be compared.
pub(crate) fn blob(name: &str) -> Vec<u8> {
    format!("release artifact {name}\n").repeat(64).into_bytes()
}

/// Pushes an image index for `platforms` under `tags` and a cosign signature for it.
pub(crate) fn push_signed_image(
    oci: &TestRegistry,
    repo: &str,
    platforms: &[&str],
    tags: &[&str],
) -> artidigest::Digest {
    let digest = oci.push_index(repo, platforms, tags).unwrap();
    let payload = format!(
        "{{\"critical\":{{\"identity\":{{\"docker-reference\":\"{repo}\"}},\"image\":{{\"docker-manifest-digest\":\"{digest}\"}},\"type\":\"cosign container image signature\"}},\"optional\":null}}"
    );
    oci.push_cosign_signature(repo, &digest, payload.as_bytes())
        .unwrap();
    digest
}

/// Pushes a Helm chart `version` and a cosign signature for it.
pub(crate) fn push_signed_chart(oci: &TestRegistry, repo: &str, version: &str) {
    let chart = oci.push_chart(repo, version, &blob(repo)).unwrap();
    let digest = artidigest::Digest::from_oci(chart["digest"].as_str().unwrap()).unwrap();
    oci.push_cosign_signature(repo, &digest, b"{\"critical\":{}}")
        .unwrap();
}

/// `policy` run over the release files in `release` for `tag`, with the registries of `lb` and
/// the waivers `waive`, as a function of the phases to run ([`run_phases_in`]).
pub(crate) fn phases_runner<'a>(
    policy: &'a Policy,
    dir: &'a Path,
    release: &'a Path,
    tag: &'a str,
    lb: &'a Loopback,
    waive: &'a [(&'a str, &'a str)],
) -> impl Fn(&[Phase]) -> Report + 'a {
    move |phases| run_phases_in(policy, dir, release, tag, phases, lb, waive)
}

/// Runs a policy ([`phases_runner`]) in release order as far as it allows: preflight and
/// prepublish; when they allow, `publish` (the upload), then postpublish and consume. Returns
/// the report that decided.
pub(crate) fn as_far_as_allowed(
    run: impl Fn(&[Phase]) -> Report,
    publish: impl FnOnce(),
) -> Report {
    let before = run(&[Phase::Preflight, Phase::Prepublish]);
    if before.decision.status != RunStatus::Allowed {
        return before;
    }
    publish();
    run(&[Phase::Postpublish, Phase::Consume])
}

/// Runs a policy ([`phases_runner`]) in release order around `publish`: preflight and
/// prepublish against the registries as they are, then `publish` (the upload), then
/// postpublish and consume. Both stages must allow the release; returns their reports.
pub(crate) fn release_in_order(
    run: impl Fn(&[Phase]) -> Report,
    publish: impl FnOnce(),
) -> (Report, Report) {
    let allowed = |phases: &[Phase]| {
        let report = run(phases);
        assert_eq!(report.decision.status, RunStatus::Allowed, "{report:#?}");
        report
    };
    let before = allowed(&[Phase::Preflight, Phase::Prepublish]);
    publish();
    let after = allowed(&[Phase::Postpublish, Phase::Consume]);
    (before, after)
}

/// The digest of the image index the release pushes for `repo` and `platforms` (known to the
/// build before the push, named by its provenance).
pub(crate) fn image(repo: &str, platforms: &[&str]) -> (String, artidigest::Digest) {
    (
        repo.to_owned(),
        regclient::testing::index_digest(repo, platforms).unwrap(),
    )
}

/// Who signs a replica's release: `repository`'s `release.yml` run for `tag`, started by
/// `trigger`.
#[derive(Clone, Copy)]
pub(crate) struct Release<'a> {
    pub(crate) repository: &'a str,
    pub(crate) tag: &'a str,
    pub(crate) trigger: &'a str,
}

/// Signs `files` of the release folder as `release`'s run (bundles), with SLSA provenance
/// `provenance` over `covered` and the pushed `images`, and writes the trust root next to the
/// release folder `dir` (in the replica's top, outside `dist/`).
pub(crate) fn sign_release(
    dir: &Path,
    release: Release<'_>,
    files: &[&str],
    covered: &[&str],
    provenance: &str,
    images: &[(String, artidigest::Digest)],
) {
    let signer = release.identity();
    let Release {
        repository, tag, ..
    } = release;
    let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    relkit_demo::sign_folder(
        dir,
        &relkit_demo::SigningPlan {
            seed: RELEASE_STACK_SEED,
            files: &own(files),
            signer: &signer,
            repository,
            tag,
            covered: &own(covered),
            provenance,
            registry_subjects: images,
            trusted_root: &dir.parent().unwrap().join("trusted_root.json"),
        },
    )
    .unwrap();
}

/// Declares a runbook's ways to break its release (a `Copy` enum) and, as its `CASES`, each
/// way paired with the code the broken release must fail with, in declaration order.
macro_rules! tampers {
    ($(#[$doc:meta])* enum $name:ident { $($way:ident => $code:ident,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        enum $name {
            $($way,)+
        }

        impl $name {
            /// Each way to break the release, with the code the release then fails with.
            const CASES: &'static [($name, ::relgate::Code)] =
                &[$(($name::$way, ::relgate::Code::$code),)+];
        }
    };
}
pub(crate) use tampers;

/// Breaks a replica's release in each way of `cases` and asserts that the report's only root
/// cause is the code paired with it. Stops early when `tampered` returns `None`: a registry
/// server the project needs is not installed outside CI (SKIPPED, said by [`Loopback`]).
pub(crate) fn each_tamper_fails_with<T: std::fmt::Debug + Copy>(
    cases: impl IntoIterator<Item = (T, Code)>,
    tampered: impl Fn(T) -> Option<Report>,
) {
    for (tamper, code) in cases {
        let Some(report) = tampered(tamper) else {
            return; // SKIPPED (said above): no docker-registry outside CI.
        };
        assert_eq!(report.root_cause_codes(), [code], "{tamper:?}");
    }
}

/// `sha256sum`-style `checksums.txt` over every file of `dist`.
pub(crate) fn write_checksums(dist: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "checksums.txt")
        .collect();
    names.sort();
    let mut text = String::new();
    for n in names {
        let bytes = std::fs::read(dist.join(&n)).unwrap();
        let d = artidigest::digest_bytes(&bytes, &[artidigest::Algorithm::Sha256]);
        let hex = d.get(artidigest::Algorithm::Sha256).unwrap().to_hex();
        text.push_str(&format!("{hex}  {n}\n"));
    }
    std::fs::write(dist.join("checksums.txt"), text).unwrap();
}

/// The seed of the test stack that signs a replica's release: [`sign_release`] and the
/// registries' provenance below use the same keys, so one trust root verifies them all.
const RELEASE_STACK_SEED: [u8; 32] = [0x0f; 32];

impl Release<'_> {
    /// The identity of this run of `release.yml` as the test stack certifies it.
    fn identity(self) -> attest::TestIdentity {
        attest::TestIdentity::github(
            self.repository,
            "release.yml",
            &format!("refs/tags/{}", self.tag),
            self.trigger,
            relkit_demo::DEMO_SIGNED_AT,
        )
    }
}

/// Serves SLSA provenance for `package@version` (the tarball `bytes`) from the npm registry's
/// attestations endpoint, as `npm publish --provenance` from `release`'s run leaves it: the
/// statement and its certificate both name the run's trigger.
pub(crate) fn publish_npm_provenance_as(
    lb: &Loopback,
    release: Release<'_>,
    package: &str,
    version: &str,
    bytes: &[u8],
) {
    let digests = artidigest::digest_bytes(
        bytes,
        &[artidigest::Algorithm::Sha256, artidigest::Algorithm::Sha512],
    );
    let hex = |a| digests.get(a).unwrap().to_hex();
    let subject = serde_json::json!({
        "name": format!("pkg:npm/{}@{version}", package.replace('@', "%40")),
        "digest": {
            "sha256": hex(artidigest::Algorithm::Sha256),
            "sha512": hex(artidigest::Algorithm::Sha512),
        },
    });
    let statement = relkit_testkit::provenance::slsa_statement(
        release.repository,
        &format!("refs/tags/{}", release.tag),
        release.trigger,
        vec![subject],
    )
    .to_string();
    let bundle = attest::TestStack::new(RELEASE_STACK_SEED)
        .unwrap()
        .sign_statement(statement.as_bytes(), &release.identity())
        .unwrap();
    let doc = serde_json::json!({"attestations": [{
        "predicateType": "https://slsa.dev/provenance/v1",
        "bundle": serde_json::from_str::<serde_json::Value>(&bundle).unwrap(),
    }]});
    lb.demo
        .publish_npm_attestations(package, version, serde_json::to_vec(&doc).unwrap());
}

/// Serves PEP 740 provenance for `file` (its `bytes`) of `package@version` from the Python
/// index's integrity API, as a trusted-publishing upload from `release`'s run leaves it.
pub(crate) fn publish_pep740_as(
    lb: &Loopback,
    release: Release<'_>,
    (package, version): (&str, &str),
    file: &str,
    bytes: &[u8],
) {
    let attestation = attest::TestStack::new(RELEASE_STACK_SEED)
        .unwrap()
        .pep740_attestation(
            file,
            bytes,
            "https://registry.invalid/attestations/publish/v1",
            &release.identity(),
        )
        .unwrap();
    let doc = serde_json::json!({
        "version": 1,
        "attestation_bundles": [{
            "publisher": {"kind": "GitHub", "repository": release.repository, "workflow": "release.yml", "environment": "pypi"},
            "attestations": [attestation],
        }],
    });
    lb.demo
        .publish_provenance(package, version, file, serde_json::to_vec(&doc).unwrap());
}

/// The head every replica's release workflow shares: started by strict release tags only
/// (`v[0-9]+.[0-9]+.[0-9]+`), read-only default permissions, then the jobs.
const RELEASE_WORKFLOW_HEAD: &str = r#"name: release

on:
  push:
    tags:
      - "v[0-9]+.[0-9]+.[0-9]+"

permissions:
  contents: read

jobs:
"#;

/// The start of the `build` job the release workflows of AdvisoryHub, SecureScan and SketchLog
/// begin with: a checkout that keeps no credentials, before the project's own build steps.
const BUILD_JOB_CHECKOUT: &str = r#"  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
"#;

/// [`release_workflow`] whose jobs are the `build` job, [`BUILD_JOB_CHECKOUT`] followed by
/// `jobs` (the rest of the build job's steps, then the later jobs).
pub(crate) fn release_workflow_with_build(jobs: &str) -> String {
    release_workflow(&format!("{BUILD_JOB_CHECKOUT}{jobs}"))
}

/// A replica's release workflow (`.github/workflows/release.yml`): the shared head and `jobs`
/// (the YAML under `jobs:`, as the project writes it).
pub(crate) fn release_workflow(jobs: &str) -> String {
    format!("{RELEASE_WORKFLOW_HEAD}{jobs}")
}
