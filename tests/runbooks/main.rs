//! The five runbooks end to end: for each project a small replica repository (its version
//! files and changelog style, committed in a temp git repo) and release (its artifacts, images,
//! signatures) checked by its own policy from `examples/policies/` against loopback registries
//! (in-process package indexes, a Go module proxy, and a real `docker-registry` for images and
//! charts); tampered replicas fail with exactly the expected code. The few project-specific
//! checks that need the project's own tools (a container scanner, a smoke-test script) are
//! waived in these tests with a written reason.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use regclient::testing::{TestRegistry, docker_registry_bin};
use relgate::{
    BoxFuture, CiError, CiProvider, Code, Endpoints, ForgeRelease, GateStatus, Phase, Policy,
    RegistryKind, Report, RunContext, RunOptions, RunStatus, Severity, Waiver, WorkflowRun,
};
use relkit::demo_registry::{DemoKind, DemoRegistries, endpoints_for};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A committed repository holding `files`.
fn replica(files: &[(String, String)]) -> tempfile::TempDir {
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

fn commit_change(dir: &Path, path: &str, text: &str) {
    std::fs::write(dir.join(path), text).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "change"]);
}

fn f(path: &str, text: String) -> (String, String) {
    (path.to_owned(), text)
}

/// CI evidence read from the replica: the branch head from git, and a successful push run of
/// every workflow the policy names for `green` (the commit CI passed).
struct ReplicaCi {
    repo: std::path::PathBuf,
    workflows: Vec<String>,
    green: String,
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
        // The replica's forge has a (draft) release for the tag once it exists in git.
        Box::pin(async move {
            let tags = git(&self.repo, &["tag", "--list", tag]);
            Ok((!tags.is_empty()).then(|| ForgeRelease::new(tag, true, false, Vec::new())))
        })
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
fn preflight(project: &str, dir: &Path, tag: &str, not_yet: &[&str]) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(format!("{project}.toml"));
    let mut policy = Policy::load(&path).unwrap();
    // The policy sits at the repository root: its `git = "."` is the replica.
    policy.base_dir = dir.to_path_buf();
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
            Endpoints::new()
        }
    };
    let head = git(dir, &["rev-parse", "HEAD"]);
    let mut ctx = RunContext::new(dir).tag(tag).commit(head.clone()).options(
        RunOptions::default()
            .phases([Phase::Preflight])
            .endpoints(endpoints),
    );
    if let Some(ci) = &policy.ci {
        ctx = ctx.ci_provider(Arc::new(ReplicaCi {
            repo: dir.to_path_buf(),
            workflows: ci.workflows.clone(),
            green: head,
        }));
    }
    relgate::run_blocking(&policy, ctx)
}

fn assert_passes(report: &Report, ran: &[&str]) {
    assert_eq!(report.decision.status, RunStatus::Allowed, "{report:#?}");
    for id in ran {
        assert_eq!(
            report.gate(id).map(|g| g.status),
            Some(GateStatus::Pass),
            "{id}"
        );
    }
}

// ---------------------------------------------------------------- ordvec

fn ordvec_files(v: &str, fuzz: &str) -> Vec<(String, String)> {
    let pkg = |name: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"{v}\"\nedition = \"2021\"\n")
    };
    vec![
        f(
            "Cargo.toml",
            format!(
                "{}\n[workspace]\nmembers = [\"ordvec-manifest\", \"ordvec-python\", \"ordvec-ffi\", \"benchmarks/beir-bench\"]\nexclude = [\"fuzz\"]\n",
                pkg("ordvec")
            ),
        ),
        f(
            "ordvec-manifest/Cargo.toml",
            format!(
                "{}\n[dependencies]\nordvec = {{ version = \"{v}\", path = \"..\" }}\n",
                pkg("ordvec-manifest")
            ),
        ),
        f("ordvec-python/Cargo.toml", pkg("ordvec-python")),
        f(
            "ordvec-python/pyproject.toml",
            format!("[project]\nname = \"ordvec\"\nversion = \"{v}\"\n"),
        ),
        f(
            "ordvec-python/python/ordvec/__init__.py",
            format!("__version__ = \"{v}\"\n"),
        ),
        f("ordvec-ffi/Cargo.toml", pkg("ordvec-ffi")),
        f(
            "benchmarks/beir-bench/Cargo.toml",
            "[package]\nname = \"beir-bench\"\nversion = \"0.0.0\"\npublish = false\n".into(),
        ),
        f(
            "Cargo.lock",
            format!(
                "version = 4\n\n[[package]]\nname = \"beir-bench\"\nversion = \"0.0.0\"\n\n[[package]]\nname = \"ordvec\"\nversion = \"{v}\"\n\n[[package]]\nname = \"ordvec-ffi\"\nversion = \"{v}\"\n\n[[package]]\nname = \"ordvec-manifest\"\nversion = \"{v}\"\n\n[[package]]\nname = \"ordvec-python\"\nversion = \"{v}\"\n"
            ),
        ),
        f(
            "fuzz/Cargo.lock",
            format!(
                "version = 4\n\n[[package]]\nname = \"ordvec\"\nversion = \"{fuzz}\"\n\n[[package]]\nname = \"ordvec-fuzz\"\nversion = \"0.0.0\"\n"
            ),
        ),
        f(
            "CHANGELOG.md",
            format!(
                "# Changelog\n\n## [Unreleased]\n\n_No unreleased changes._\n\n## {v} - 2026-06-19\n\n- Release.\n\n## [0.2.0] - 2026-01-10\n\n- Older.\n"
            ),
        ),
    ]
}

#[test]
fn ordvec_preflight_passes_and_a_stale_fuzz_lock_fails() {
    let ok = replica(&ordvec_files("0.5.0", "0.5.0"));
    let report = preflight("ordvec", ok.path(), "v0.5.0", &[]);
    assert_passes(
        &report,
        &[
            "tag-strict-semver",
            "versions-lockstep",
            "changelog-section",
            "ci-green",
        ],
    );

    let stale = replica(&ordvec_files("0.5.0", "0.4.0"));
    let report = preflight("ordvec", stale.path(), "v0.5.0", &[]);
    assert_eq!(report.root_cause_codes(), [Code::VersionMismatch]);
    let g = report.gate("versions-lockstep").unwrap();
    assert_eq!(g.findings.len(), 1);
    let finding = &g.findings[0].finding;
    assert!(
        finding.subject.starts_with("fuzz/Cargo.lock:"),
        "{finding:?}"
    );
    assert_eq!(
        (finding.expected.as_deref(), finding.found.as_deref()),
        (Some("0.5.0"), Some("0.4.0"))
    );

    // A leading-zero tag wakes the workflow but every gate after the guard is skipped.
    let report = preflight("ordvec", ok.path(), "v0.05.0", &[]);
    assert_eq!(report.root_cause_codes(), [Code::TagNotStrictSemver]);

    // CI green for another commit is not CI green for this one.
    commit_change(ok.path(), "README.md", "unreleased change\n");
    let report = {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies/ordvec.toml");
        let mut policy = Policy::load(&path).unwrap();
        policy.base_dir = ok.path().to_path_buf();
        let head = git(ok.path(), &["rev-parse", "HEAD"]);
        let old = git(ok.path(), &["rev-parse", "HEAD~1"]);
        let ci = ReplicaCi {
            repo: ok.path().to_path_buf(),
            workflows: policy.ci.as_ref().unwrap().workflows.clone(),
            green: old,
        };
        let lb = Loopback::for_policy(&policy).unwrap();
        relgate::run_blocking(
            &policy,
            RunContext::new(ok.path())
                .tag("v0.5.0")
                .commit(head)
                .ci_provider(Arc::new(ci))
                .options(
                    RunOptions::default()
                        .phases([Phase::Preflight])
                        .endpoints(lb.endpoints(&policy)),
                ),
        )
    };
    assert_eq!(report.root_cause_codes(), [Code::CiNotGreen]);
}

// ---------------------------------------------------------------- AdvisoryHub

fn advisoryhub_files(v: &str, app: &str) -> Vec<(String, String)> {
    vec![
        f(
            "pyproject.toml",
            format!(
                "[project]\nname = \"advisoryhub\"\nversion = \"{v}\"\nrequires-python = \">=3.12\"\n"
            ),
        ),
        f(
            "uv.lock",
            format!(
                "version = 1\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"advisoryhub\"\nversion = \"{v}\"\nsource = {{ editable = \".\" }}\n\n[[package]]\nname = \"anyio\"\nversion = \"4.4.0\"\n"
            ),
        ),
        f(
            "charts/advisoryhub/Chart.yaml",
            format!("apiVersion: v2\nname: advisoryhub\nversion: {v}\nappVersion: \"{app}\"\n"),
        ),
    ]
}

#[test]
fn advisoryhub_preflight_passes_and_a_stale_app_version_fails() {
    let ok = replica(&advisoryhub_files("2.3.1", "2.3.1"));
    let report = preflight("advisoryhub", ok.path(), "v2.3.1", &[]);
    assert_passes(&report, &["tag-strict-semver", "versions-lockstep"]);

    let stale = replica(&advisoryhub_files("2.3.1", "0.1.0"));
    let report = preflight("advisoryhub", stale.path(), "v2.3.1", &[]);
    assert_eq!(report.root_cause_codes(), [Code::VersionMismatch]);
    let g = report.gate("versions-lockstep").unwrap();
    assert_eq!(g.findings.len(), 1);
    let finding = &g.findings[0].finding;
    assert_eq!(
        finding.subject, "charts/advisoryhub/Chart.yaml:4:13 appVersion",
        "{finding:?}"
    );
    assert_eq!(finding.found.as_deref(), Some("0.1.0"));
}

// ---------------------------------------------------------------- SecureScan

fn securescan_files(v: &str, section: &str) -> Vec<(String, String)> {
    vec![
        f(
            "backend/pyproject.toml",
            format!("[project]\nname = \"securescan\"\nversion = \"{v}\"\n"),
        ),
        f(
            "frontend/package.json",
            "{\n  \"name\": \"frontend\",\n  \"version\": \"0.1.0\"\n}\n".into(),
        ),
        f(
            "CHANGELOG.md",
            format!(
                "# Changelog\n\nAll notable changes to this project are documented here.\nThe format is based on Keep a Changelog, and this project adheres to Semantic Versioning.\n\n## [Unreleased]\n\n<!-- add entries here -->\n\n## [{section}] - 2026-05-03\n\n### Fixed\n\n- A fix.\n\n## [0.11.11] - 2026-05-01\n\n### Added\n\n- A feature.\n\n[Unreleased]: https://example.invalid/compare/v{section}...HEAD\n[{section}]: https://example.invalid/compare/v0.11.11...v{section}\n[0.11.11]: https://example.invalid/compare/v0.11.10...v0.11.11\n"
            ),
        ),
    ]
}

#[test]
fn securescan_preflight_passes_and_its_breakages_fail_with_their_codes() {
    let ok = replica(&securescan_files("0.11.12", "0.11.12"));
    let report = preflight("securescan", ok.path(), "v0.11.12", &[]);
    assert_passes(
        &report,
        &[
            "tag-strict-semver",
            "versions-lockstep",
            "changelog-section",
        ],
    );
    // The frontend package.json (0.1.0, never versioned) is not a member.
    assert!(
        report
            .gate("versions-lockstep")
            .unwrap()
            .findings
            .is_empty()
    );

    for bad in ["v0.11.12-rc.1", "v0.11.12.1", "0.11.12", "version-0.11.12"] {
        let report = preflight("securescan", ok.path(), bad, &[]);
        assert_eq!(
            report.root_cause_codes(),
            [Code::TagNotStrictSemver],
            "{bad}"
        );
    }

    let missing = replica(&securescan_files("0.11.12", "0.11.11"));
    let report = preflight("securescan", missing.path(), "v0.11.12", &[]);
    assert_eq!(report.root_cause_codes(), [Code::ChangelogSectionMissing]);
}

// ---------------------------------------------------------------- SketchLog

fn sketchlog_files(v: &str) -> Vec<(String, String)> {
    let npm = |name: &str| format!("{{\n  \"name\": \"{name}\",\n  \"version\": \"{v}\"\n}}\n");
    vec![
        f(
            "pyproject.toml",
            format!("[project]\nname = \"sketchlog\"\nversion = \"{v}\"\n"),
        ),
        f("packages/client/package.json", npm("@sketchlog/client")),
        f("packages/react/package.json", npm("@sketchlog/react")),
        f(
            "Dockerfile",
            format!("FROM scratch\nLABEL org.opencontainers.image.version=\"{v}\"\n"),
        ),
        f(
            "deploy/chart/Chart.yaml",
            format!("apiVersion: v2\nname: sketchlog\nversion: {v}\nappVersion: \"{v}\"\n"),
        ),
        f(
            "api/openapi.yaml",
            format!("openapi: 3.1.0\ninfo:\n  title: SketchLog\n  version: {v}\npaths: {{}}\n"),
        ),
        f(
            "site/config.toml",
            format!("title = \"SketchLog\"\n\n[params]\nversion = \"{v}\"\n"),
        ),
        f(
            "CHANGELOG.md",
            format!("# Changelog\n\n## {v} - 2026-11-01\n\n- Release.\n"),
        ),
        f(
            "clients/go/go.mod",
            "module example.invalid/sketchlog/clients/go\n\ngo 1.22\n".into(),
        ),
    ]
}

#[test]
fn sketchlog_preflight_passes_and_a_go_tag_elsewhere_fails() {
    let ok = replica(&sketchlog_files("3.0.2"));
    git(ok.path(), &["tag", "clients/go/v3.0.2", "HEAD"]);
    let report = preflight("sketchlog", ok.path(), "v3.0.2", &[]);
    if !docker_registry_bin().exists() {
        return; // SKIPPED (said above): no docker-registry outside CI.
    }
    assert_passes(
        &report,
        &[
            "tag-strict-semver",
            "versions-lockstep",
            "coupled-tags",
            "tag-not-existing",
            "changelog-section",
            "ci-green",
            "version-unpublished",
        ],
    );
    // Every registry was asked: Python, both npm packages, the Go proxy, image and chart.
    let asked = report.gate("version-unpublished").unwrap().evidence["registries"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(asked, 6);
    let fields = report.gate("versions-lockstep").unwrap().evidence["fields"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(fields, 8, "every coupled version file was read");

    // The Go tag was made on the previous commit.
    let elsewhere = replica(&sketchlog_files("3.0.2"));
    git(elsewhere.path(), &["tag", "clients/go/v3.0.2", "HEAD"]);
    commit_change(elsewhere.path(), "README.md", "docs\n");
    let report = preflight("sketchlog", elsewhere.path(), "v3.0.2", &[]);
    assert_eq!(report.root_cause_codes(), [Code::CoupledTagMismatch]);

    // The release tag exists already: a released version cannot be released again.
    let again = replica(&sketchlog_files("3.0.2"));
    git(again.path(), &["tag", "clients/go/v3.0.2", "HEAD"]);
    git(again.path(), &["tag", "v3.0.2", "HEAD"]);
    let report = preflight("sketchlog", again.path(), "v3.0.2", &[]);
    assert_eq!(report.root_cause_codes(), [Code::TagAlreadyExists]);

    // The API contract left behind.
    let mut files = sketchlog_files("3.0.2");
    files[5] = f(
        "api/openapi.yaml",
        "openapi: 3.1.0\ninfo:\n  title: SketchLog\n  version: 3.0.1\npaths: {}\n".into(),
    );
    let contract = replica(&files);
    git(contract.path(), &["tag", "clients/go/v3.0.2", "HEAD"]);
    let report = preflight("sketchlog", contract.path(), "v3.0.2", &[]);
    assert_eq!(report.root_cause_codes(), [Code::VersionMismatch]);
}

// ---------------------------------------------------------------- gateway

fn gateway_files(v: &str, lock: &str) -> Vec<(String, String)> {
    vec![
        f(
            "Cargo.toml",
            format!("[package]\nname = \"gateway\"\nversion = \"{v}\"\nedition = \"2021\"\n"),
        ),
        f(
            "Cargo.lock",
            format!("version = 4\n\n[[package]]\nname = \"gateway\"\nversion = \"{lock}\"\n"),
        ),
        f(
            "admin-ui/package.json",
            format!("{{\n  \"name\": \"gateway-admin-ui\",\n  \"version\": \"{v}\"\n}}\n"),
        ),
        f(
            "CHANGELOG.md",
            format!("# Changelog\n\n## [{v}] - 2026-11-02\n\n### Features\n\n- A feature.\n"),
        ),
    ]
}

/// The contract generator is the project's own tool; the policy names none.
const GATEWAY_NOT_YET: &[&str] = &["contract-artifacts-current"];

/// The gateway's history: release 1.7.3 (tagged), then a conventional `feat:` commit that makes
/// the next version 1.8.0; the working files are `files`.
fn gateway_replica(files: &[(String, String)], message: &str) -> tempfile::TempDir {
    let dir = replica(&gateway_files("1.7.3", "1.7.3"));
    git(
        dir.path(),
        &["commit", "-q", "--amend", "-m", "chore(release): 1.7.3"],
    );
    git(dir.path(), &["tag", "v1.7.3", "HEAD"]);
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", message]);
    dir
}

#[test]
fn gateway_preflight_passes_and_a_stale_lock_fails() {
    let ok = gateway_replica(
        &gateway_files("1.8.0", "1.8.0"),
        "feat(admin): filter routes",
    );
    let report = preflight("gateway", ok.path(), "v1.8.0", GATEWAY_NOT_YET);
    assert_passes(
        &report,
        &[
            "tag-strict-semver",
            "versions-lockstep",
            "changelog-section",
            "tag-not-existing",
            "ci-green",
            "conventional-commits",
            "conventional-version",
        ],
    );
    let stale = gateway_replica(
        &gateway_files("1.8.0", "1.7.3"),
        "feat(admin): filter routes",
    );
    let report = preflight("gateway", stale.path(), "v1.8.0", GATEWAY_NOT_YET);
    assert_eq!(report.root_cause_codes(), [Code::VersionMismatch]);

    // A fix alone does not make a minor release: the tag disagrees with the commits.
    let fix = gateway_replica(&gateway_files("1.8.0", "1.8.0"), "fix(proxy): keep-alive");
    let report = preflight("gateway", fix.path(), "v1.8.0", GATEWAY_NOT_YET);
    assert_eq!(report.root_cause_codes(), [Code::VersionBumpMismatch]);

    // A commit outside the conventional shape.
    let odd = gateway_replica(&gateway_files("1.8.0", "1.8.0"), "Admin filters");
    let report = preflight("gateway", odd.path(), "v1.8.0", GATEWAY_NOT_YET);
    assert!(
        report
            .root_cause_codes()
            .contains(&Code::CommitNotConventional),
        "{:?}",
        report.root_cause_codes()
    );

    // Without the waiver the generator-less gate blocks: fail closed.
    let report = preflight("gateway", ok.path(), "v1.8.0", &[]);
    assert_eq!(report.root_cause_codes(), [Code::GateUnknown]);
}

// ---------------------------------------------------------------- registries

/// Loopback registries for a replica: the in-process package indexes and Go proxy, plus a real
/// `docker-registry` when the policy publishes images or charts.
struct Loopback {
    demo: DemoRegistries,
    oci: Option<TestRegistry>,
}

impl Loopback {
    /// Registries for `policy`; `None` (with a loud SKIPPED line) when it needs
    /// docker-registry and that is not installed outside CI.
    fn for_policy(policy: &Policy) -> Option<Loopback> {
        let needs_oci = policy
            .registries
            .values()
            .any(|r| r.kind == RegistryKind::Oci);
        let oci = if needs_oci {
            let bin = docker_registry_bin();
            if !bin.exists() {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "docker-registry not found at {} (CI=true requires it; run scripts/install-test-servers.sh)",
                    bin.display()
                );
                eprintln!("SKIPPED: docker-registry not found at {}", bin.display());
                return None;
            }
            Some(TestRegistry::start(&bin).unwrap())
        } else {
            None
        };
        Some(Loopback {
            demo: DemoRegistries::start().unwrap(),
            oci,
        })
    }

    /// Every registry of `policy` pointed at these servers (configuration, as a registries
    /// file or the environment would give it).
    fn endpoints(&self, policy: &Policy) -> Endpoints {
        let mut e = endpoints_for(policy, &self.demo);
        if let Some(oci) = &self.oci {
            for (name, rule) in &policy.registries {
                if rule.kind == RegistryKind::Oci {
                    e.insert(name, oci.base()).unwrap();
                }
            }
        }
        e
    }

    fn oci(&self) -> &TestRegistry {
        self.oci.as_ref().unwrap()
    }
}

fn load(project: &str, dir: &Path) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(format!("{project}.toml"));
    let mut policy = Policy::load(&path).unwrap();
    policy.base_dir = dir.to_path_buf();
    policy
}

/// Runs `phases` of `policy` over the release in `dir` against `loopback`, waiving the gates
/// in `waive` (id, reason).
fn run_phases(
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
fn run_phases_in(
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
    if let Some(ci) = &policy.ci {
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
        ctx = ctx.commit(head).ci_provider(Arc::new(ReplicaCi {
            repo: dir.to_path_buf(),
            workflows: ci.workflows.clone(),
            green,
        }));
    }
    relgate::run_blocking(&policy, ctx)
}

/// Distinct, recognisable bytes for an artifact that only has to be compared.
fn blob(name: &str) -> Vec<u8> {
    format!("release artifact {name}\n").repeat(64).into_bytes()
}

// ---------------------------------------------------------------- ordvec, published

const ORDVEC_ARTIFACTS: [(DemoKind, &str, &str); 5] = [
    (DemoKind::Crates, "ordvec", "ordvec-0.5.0.crate"),
    (
        DemoKind::Crates,
        "ordvec-manifest",
        "ordvec-manifest-0.5.0.crate",
    ),
    (
        DemoKind::Pypi,
        "ordvec",
        "ordvec-0.5.0-cp312-cp312-manylinux_2_17_x86_64.whl",
    ),
    (DemoKind::Pypi, "ordvec", "ordvec-0.5.0.tar.gz"),
    (
        DemoKind::Pypi,
        "ordvec-manifest",
        "ordvec_manifest-0.5.0-py3-none-any.whl",
    ),
];

/// A PyPI provenance document for `file` with `bytes`, published by `repository`'s
/// `release.yml` (attestation signed by the test stack as that workflow's tag run).
fn pep740_document(
    stack: &mut attest::TestStack,
    repository: &str,
    file: &str,
    bytes: &[u8],
) -> Vec<u8> {
    let id = attest::TestIdentity::github(
        repository,
        "release.yml",
        "refs/tags/v0.5.0",
        "push",
        relkit::demo::DEMO_SIGNED_AT,
    );
    let attestation = stack
        .pep740_attestation(
            file,
            bytes,
            "https://registry.invalid/attestations/publish/v1",
            &id,
        )
        .unwrap();
    serde_json::to_vec(&serde_json::json!({
        "version": 1,
        "attestation_bundles": [{
            "publisher": {"kind": "GitHub", "repository": repository, "workflow": "release.yml", "environment": "pypi"},
            "attestations": [attestation],
        }],
    }))
    .unwrap()
}

/// The ordvec release in a replica, published to loopback registries except the files in
/// `skip`; each Python file with its PEP 740 provenance on the index.
fn ordvec_release(skip: &[&str]) -> (tempfile::TempDir, Policy, Loopback) {
    let dir = replica(&ordvec_files("0.5.0", "0.5.0"));
    git(dir.path(), &["tag", "v0.5.0", "HEAD"]);
    let policy = load("ordvec", dir.path());
    let lb = Loopback::for_policy(&policy).unwrap();
    let mut stack = attest::TestStack::new([0x0d; 32]).unwrap();
    for (kind, package, name) in ORDVEC_ARTIFACTS {
        std::fs::write(dir.path().join(name), blob(name)).unwrap();
        if !skip.contains(&name) {
            lb.demo.publish(kind, package, "0.5.0", name, blob(name));
            if kind == DemoKind::Pypi {
                let doc = pep740_document(&mut stack, "example/ordvec", name, &blob(name));
                lb.demo.publish_provenance(package, "0.5.0", name, doc);
            }
        }
    }
    std::fs::write(
        dir.path().join("trusted_root.json"),
        stack.trusted_root_json().unwrap(),
    )
    .unwrap();
    (dir, policy, lb)
}

#[test]
fn ordvec_registries_serve_the_attested_bytes_in_order() {
    let (dir, policy, lb) = ordvec_release(&[]);
    let r = run_phases(
        &policy,
        dir.path(),
        "v0.5.0",
        &[Phase::Postpublish],
        &lb,
        &[],
    );
    assert_passes(
        &r,
        &["publish-order", "registry-readback", "pep740-attestations"],
    );
    let attested = r.gate("pep740-attestations").unwrap().evidence["provenance"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        attested, 3,
        "both wheels and the sdist carry verified provenance"
    );
    let files = r.gate("registry-readback").unwrap().evidence["files"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        files, 5,
        "every artifact was read back from its own registry"
    );

    // The index's provenance for the wheel was published from a fork's workflow.
    let mut other = attest::TestStack::new([0x0d; 32]).unwrap();
    let wheel = "ordvec-0.5.0-cp312-cp312-manylinux_2_17_x86_64.whl";
    let forged = pep740_document(&mut other, "example/fork", wheel, &blob(wheel));
    let (dir2, policy2, lb2) = ordvec_release(&[]);
    lb2.demo
        .publish_provenance("ordvec", "0.5.0", wheel, forged);
    let r = run_phases(
        &policy2,
        dir2.path(),
        "v0.5.0",
        &[Phase::Postpublish],
        &lb2,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::IdentityMismatch]);

    // The index serves other bytes for the sdist than the release built.
    lb.demo
        .replace_bytes("ordvec-0.5.0.tar.gz", b"an sdist built elsewhere");
    let r = run_phases(
        &policy,
        dir.path(),
        "v0.5.0",
        &[Phase::Postpublish],
        &lb,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::RegistryBytesDiffer]);
    let f = &r.gate("registry-readback").unwrap().findings[0].finding;
    assert!(f.subject.contains("ordvec-0.5.0.tar.gz"), "{f:?}");

    // The manifest crate went out while the core crate is not served.
    let (dir, policy, lb) = ordvec_release(&["ordvec-0.5.0.crate"]);
    let r = run_phases(
        &policy,
        dir.path(),
        "v0.5.0",
        &[Phase::Postpublish],
        &lb,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::PublishOrderViolated]);
    assert_eq!(
        r.gate("registry-readback").unwrap().status,
        GateStatus::Skipped
    );
}

#[test]
fn ordvec_preflight_sees_the_registries_and_recovers_an_owned_version() {
    // Nothing published yet: the version is free everywhere.
    let dir = replica(&ordvec_files("0.5.0", "0.5.0"));
    let report = preflight("ordvec", dir.path(), "v0.5.0", &[]);
    assert_passes(&report, &["version-unpublished"]);

    // An earlier, interrupted run got the core crate out: recovery mode verifies it instead
    // of demanding a new version, and readback then checks the served bytes.
    let (dir, policy, lb) = ordvec_release(&["ordvec-manifest-0.5.0.crate"]);
    let r = run_phases(&policy, dir.path(), "v0.5.0", &[Phase::Preflight], &lb, &[]);
    let g = r.gate("version-unpublished").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{r:#?}");
    assert!(
        g.findings
            .iter()
            .all(|f| f.finding.severity == Severity::Info
                && f.finding.code == Code::VersionAlreadyPublished),
        "{:?}",
        g.findings
    );
}

// ---------------------------------------------------------------- gateway, published

#[test]
fn gateway_images_carry_their_platforms_and_the_release_exists() {
    let dir = replica(&gateway_files("1.8.0", "1.8.0"));
    git(dir.path(), &["tag", "v1.8.0", "HEAD"]);
    let policy = load("gateway", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    gateway_images(&lb, dir.path(), &["linux/amd64", "linux/arm64"]);
    let r = run_phases(
        &policy,
        dir.path(),
        "v1.8.0",
        &[Phase::Postpublish],
        &lb,
        &[],
    );
    assert_passes(
        &r,
        &[
            "oci-platforms",
            "oci-tags",
            "forge-release-exists",
            "registry-readback",
        ],
    );

    // The admin UI went out for amd64 only.
    let dir = replica(&gateway_files("1.8.0", "1.8.0"));
    git(dir.path(), &["tag", "v1.8.0", "HEAD"]);
    let lb2 = Loopback::for_policy(&policy).unwrap();
    gateway_images(&lb2, dir.path(), &["linux/amd64"]);
    let r = run_phases(
        &policy,
        dir.path(),
        "v1.8.0",
        &[Phase::Postpublish],
        &lb2,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::PlatformMissing]);
    let f = &r.gate("oci-platforms").unwrap().findings[0].finding;
    assert!(f.subject.ends_with("linux/arm64"), "{f:?}");
}

/// Pushes an image index for `platforms` under `tags` and a cosign signature for it.
fn push_signed_image(
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
fn push_signed_chart(oci: &TestRegistry, repo: &str, version: &str) {
    let chart = oci.push_chart(repo, version, &blob(repo)).unwrap();
    let digest = artidigest::Digest::from_oci(chart["digest"].as_str().unwrap()).unwrap();
    oci.push_cosign_signature(repo, &digest, b"{\"critical\":{}}")
        .unwrap();
}

// ---------------------------------------------------------------- SketchLog, published

const SKETCHLOG_PACKAGES: [(DemoKind, &str, &str, &str); 6] = [
    (
        DemoKind::Pypi,
        "sketchlog",
        "3.0.2",
        "sketchlog-3.0.2-cp312-cp312-manylinux_2_17_x86_64.whl",
    ),
    (
        DemoKind::Pypi,
        "sketchlog",
        "3.0.2",
        "sketchlog-3.0.2.tar.gz",
    ),
    (
        DemoKind::Npm,
        "@sketchlog/client",
        "3.0.2",
        "sketchlog-client-3.0.2.tgz",
    ),
    (
        DemoKind::Npm,
        "@sketchlog/react",
        "3.0.2",
        "sketchlog-react-3.0.2.tgz",
    ),
    (
        DemoKind::GoProxy,
        "example.invalid/sketchlog/clients/go",
        "v3.0.2",
        "v3.0.2.zip",
    ),
    (
        DemoKind::GoProxy,
        "example.invalid/sketchlog/clients/go",
        "v3.0.2",
        "v3.0.2.mod",
    ),
];

/// The local name of a served file (the release names the Go module zip after the module).
fn sketchlog_local(name: &str) -> Option<String> {
    match name {
        "v3.0.2.zip" => Some(String::from("clients-go-v3.0.2.zip")),
        "v3.0.2.mod" => None,
        other => Some(other.to_owned()),
    }
}

#[test]
fn sketchlog_every_registry_serves_the_release_and_a_taken_version_demands_a_bump() {
    let dir = replica(&sketchlog_files("3.0.2"));
    git(dir.path(), &["tag", "clients/go/v3.0.2", "HEAD"]);
    sign_release(
        dir.path(),
        Release {
            repository: "example/sketchlog",
            tag: "v3.0.2",
            trigger: "push",
        },
        &[],
        &[],
        "sketchlog.intoto.jsonl",
        &[image("example/sketchlog", &["linux/amd64", "linux/arm64"])],
    );
    let policy = load("sketchlog", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    for (kind, package, version, name) in SKETCHLOG_PACKAGES {
        if let Some(local) = sketchlog_local(name) {
            std::fs::write(dir.path().join(local), blob(name)).unwrap();
        }
        if kind == DemoKind::Npm {
            publish_npm_provenance(&lb, package, version, &blob(name));
        }
        lb.demo.publish(kind, package, version, name, blob(name));
    }
    push_signed_image(
        lb.oci(),
        "example/sketchlog",
        &["linux/amd64", "linux/arm64"],
        &["3.0.2"],
    );
    push_signed_chart(lb.oci(), "example/charts/sketchlog", "3.0.2");
    let r = run_phases(
        &policy,
        dir.path(),
        "v3.0.2",
        &[Phase::Postpublish],
        &lb,
        &[],
    );
    assert_passes(
        &r,
        &[
            "registry-visible",
            "registry-readback",
            "oci-platforms",
            "npm-provenance",
        ],
    );
    let read: Vec<String> = r.gate("registry-readback").unwrap().evidence["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["registry"].as_str().unwrap_or_default().to_owned())
        .collect();
    for registry in ["python", "npm-client", "npm-react", "go"] {
        assert!(read.iter().any(|r| r == registry), "{registry}: {read:?}");
    }

    // The Go proxy serves another module zip than the release's.
    lb.demo
        .replace_bytes("v3.0.2.zip", b"a module zip built elsewhere");
    let r = run_phases(
        &policy,
        dir.path(),
        "v3.0.2",
        &[Phase::Postpublish],
        &lb,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::RegistryBytesDiffer]);

    // Before tagging: an earlier attempt already got 3.0.2 onto npm. Registry versions are
    // immutable, so the release must move to 3.0.3.
    let fresh = replica(&sketchlog_files("3.0.2"));
    git(fresh.path(), &["tag", "clients/go/v3.0.2", "HEAD"]);
    let policy = load("sketchlog", fresh.path());
    let lb = Loopback::for_policy(&policy).unwrap();
    lb.demo.publish(
        DemoKind::Npm,
        "@sketchlog/react",
        "3.0.2",
        "sketchlog-react-3.0.2.tgz",
        blob("react"),
    );
    let r = run_phases(
        &policy,
        fresh.path(),
        "v3.0.2",
        &[Phase::Preflight],
        &lb,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::VersionAlreadyPublished]);
    let f = &r.gate("version-unpublished").unwrap().findings[0].finding;
    assert!(
        f.hint.as_deref().unwrap_or_default().contains("3.0.3"),
        "{f:?}"
    );
}

// ---------------------------------------------------------------- AdvisoryHub, published

#[test]
fn advisoryhub_waits_for_its_image_and_both_tags_point_at_it() {
    let dir = replica(&advisoryhub_files("2.3.1", "2.3.1"));
    // The release run attested the image it is about to push.
    sign_release(
        dir.path(),
        Release {
            repository: "example/advisoryhub",
            tag: "v2.3.1",
            trigger: "push",
        },
        &[],
        &[],
        "advisoryhub.intoto.jsonl",
        &[image("example/advisoryhub", &["linux/amd64"])],
    );
    let policy = load("advisoryhub", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    push_signed_chart(lb.oci(), "example/charts/advisoryhub", "2.3.1");
    // The image lands a moment after the release run starts: the run waits for it.
    let r = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            push_signed_image(
                lb.oci(),
                "example/advisoryhub",
                &["linux/amd64"],
                &["2.3.1", "2.3"],
            );
        });
        run_phases(
            &policy,
            dir.path(),
            "v2.3.1",
            &[Phase::Postpublish],
            &lb,
            &[],
        )
    });
    assert_passes(&r, &["registry-visible", "oci-platforms", "oci-tags"]);

    // `X.Y` was not moved to the new release.
    let lb = Loopback::for_policy(&policy).unwrap();
    push_signed_chart(lb.oci(), "example/charts/advisoryhub", "2.3.1");
    push_signed_image(
        lb.oci(),
        "example/advisoryhub",
        &["linux/amd64"],
        &["2.3.1"],
    );
    push_signed_image(lb.oci(), "example/advisoryhub", &["linux/arm64"], &["2.3"]);
    let r = run_phases(
        &policy,
        dir.path(),
        "v2.3.1",
        &[Phase::Postpublish],
        &lb,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::OciTagMissing]);

    // The chart never arrives: the release does not exist without it.
    let mut quick = policy.clone();
    for rule in quick.registries.values_mut() {
        rule.visible_within_secs = Some(2);
    }
    let lb = Loopback::for_policy(&quick).unwrap();
    push_signed_image(
        lb.oci(),
        "example/advisoryhub",
        &["linux/amd64"],
        &["2.3.1", "2.3"],
    );
    let r = run_phases(
        &quick,
        dir.path(),
        "v2.3.1",
        &[Phase::Postpublish],
        &lb,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::NotVisible]);
}

// ---------------------------------------------------------------- SecureScan, signed

/// The SecureScan release folder: its wheel and sdist (real archives), each signed by the
/// test stack as the release workflow run started by `trigger`, and the trust root.
fn securescan_release(dir: &Path, trigger: &str) {
    securescan_release_from(dir, "release.yml", trigger);
}

/// [`securescan_release`] signed by `workflow`'s run.
fn securescan_release_from(dir: &Path, workflow: &str, trigger: &str) {
    let mut demo = relkit::demo::DemoRelease::default();
    demo.name = String::from("securescan");
    demo.version = String::from("0.11.12");
    let mut stack = attest::TestStack::new([0x5c; 32]).unwrap();
    let signer = attest::TestIdentity::github(
        "example/securescan",
        workflow,
        "refs/tags/v0.11.12",
        trigger,
        relkit::demo::DEMO_SIGNED_AT,
    );
    for (name, bytes) in demo.artifacts().unwrap() {
        if name.ends_with(".whl") || name.ends_with(".tar.gz") {
            let bundle = stack.sign_blob(&bytes, &signer).unwrap();
            std::fs::write(dir.join(format!("{name}.sigstore.json")), bundle).unwrap();
            std::fs::write(dir.join(&name), bytes).unwrap();
        }
    }
    std::fs::write(
        dir.join("trusted_root.json"),
        stack.trusted_root_json().unwrap(),
    )
    .unwrap();
}

#[test]
fn securescan_signatures_pin_the_tag_and_latest_is_never_published() {
    let dir = replica(&securescan_files("0.11.12", "0.11.12"));
    securescan_release(dir.path(), "push");
    let policy = load("securescan", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    let r = run_phases(
        &policy,
        dir.path(),
        "v0.11.12",
        &[Phase::Preflight, Phase::Prepublish],
        &lb,
        &[],
    );
    assert_passes(
        &r,
        &[
            "tag-strict-semver",
            "versions-lockstep",
            "changelog-section",
            "required-assets-present",
            "signatures-valid",
        ],
    );

    // Published: the index serves the signed files, the image both architectures, signed.
    for name in [
        "securescan-0.11.12-py3-none-any.whl",
        "securescan-0.11.12.tar.gz",
    ] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        lb.demo
            .publish(DemoKind::Pypi, "securescan", "0.11.12", name, bytes);
    }
    push_signed_image(
        lb.oci(),
        "example/securescan",
        &["linux/amd64", "linux/arm64"],
        &["0.11.12"],
    );
    let r = run_phases(
        &policy,
        dir.path(),
        "v0.11.12",
        &[Phase::Postpublish, Phase::Consume],
        &lb,
        &[],
    );
    assert_passes(
        &r,
        &[
            "registry-readback",
            "oci-platforms",
            "oci-tags",
            "consumer-verify",
        ],
    );

    // Someone pushed `:latest`.
    push_signed_image(
        lb.oci(),
        "example/securescan",
        &["linux/amd64"],
        &["latest"],
    );
    let r = run_phases(
        &policy,
        dir.path(),
        "v0.11.12",
        &[Phase::Postpublish],
        &lb,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::OciTagForbidden]);

    // Signed from a manual workflow_dispatch run: its identity is not the tag's.
    let manual = replica(&securescan_files("0.11.12", "0.11.12"));
    securescan_release(manual.path(), "workflow_dispatch");
    let r = run_phases(
        &policy,
        manual.path(),
        "v0.11.12",
        &[Phase::Prepublish],
        &lb,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::TriggerDenied]);
}

// ---------------------------------------------------------------- ordvec, every phase

/// The ordvec replica as a buildable Cargo workspace: sources for every crate, the lock file
/// cargo generates, offline builds (`.cargo/config.toml`) and the release files git-ignored.
fn ordvec_buildable(dir: &Path) {
    let mut files = ordvec_files("0.5.0", "0.5.0");
    files.retain(|(p, _)| p != "Cargo.lock");
    for (path, text) in files.into_iter().chain([
        f("src/lib.rs", "//! ordvec.\n".into()),
        f("ordvec-manifest/src/lib.rs", "//! The manifest crate.\n".into()),
        f("ordvec-python/src/lib.rs", "//! Python bindings.\n".into()),
        f("ordvec-ffi/src/lib.rs", "//! C ABI.\n".into()),
        f("benchmarks/beir-bench/src/main.rs", "fn main() {}\n".into()),
        f(".cargo/config.toml", "[net]\noffline = true\n".into()),
        f(
            ".gitignore",
            "/target/\n*.crate\n*.whl\n*.tar.gz\n*.sigstore.json\n*.intoto.jsonl\ntrusted_root.json\n".into(),
        ),
    ]) {
        let p = dir.join(&path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let cargo = |args: &[&str]| {
        // The test harness's own CARGO_TARGET_DIR must not redirect the replica's build.
        let out = Command::new(env!("CARGO"))
            .args(args)
            .current_dir(dir)
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .unwrap();
        assert!(out.status.success(), "cargo {args:?}: {out:?}");
    };
    cargo(&["generate-lockfile", "--offline"]);
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "release 0.5.0"]);
    git(dir, &["tag", "v0.5.0", "HEAD"]);
    // The release build: the runbook's own packaging command, then the Python files.
    cargo(&["package", "--locked", "--no-verify", "--workspace"]);
    for name in ["ordvec-0.5.0.crate", "ordvec-manifest-0.5.0.crate"] {
        std::fs::copy(dir.join("target/package").join(name), dir.join(name)).unwrap();
    }
    for (_, _, name) in &ORDVEC_ARTIFACTS[2..] {
        std::fs::write(dir.join(name), blob(name)).unwrap();
    }
}

/// ordvec's policy for a buildable replica: the runbook's command, kept in the replica's own
/// target folder (this test process runs with the harness's CARGO_TARGET_DIR, which the build
/// would otherwise inherit).
fn ordvec_rebuild_policy(dir: &Path) -> Policy {
    let mut policy = load("ordvec", dir);
    let rebuild = policy.rebuild.as_mut().unwrap();
    rebuild
        .command
        .extend(["--target-dir".to_owned(), "target".to_owned()]);
    policy
}

#[test]
fn ordvec_every_phase_from_tag_to_consumer() {
    const SEED: [u8; 32] = [0x0e; 32];
    let dir = tempfile::tempdir().unwrap();
    ordvec_buildable(dir.path());
    let names: Vec<String> = ORDVEC_ARTIFACTS
        .iter()
        .map(|(_, _, n)| (*n).to_owned())
        .collect();
    let signer = attest::TestIdentity::github(
        "example/ordvec",
        "release.yml",
        "refs/tags/v0.5.0",
        "push",
        relkit::demo::DEMO_SIGNED_AT,
    );
    // Provenance covers the crates and wheels (`cover = ["crate", "wheel"]`).
    let covered: Vec<String> = names
        .iter()
        .filter(|n| !n.ends_with(".tar.gz"))
        .cloned()
        .collect();
    relkit::demo::sign_folder(
        dir.path(),
        &relkit::demo::SigningPlan {
            seed: SEED,
            files: &names,
            signer: &signer,
            repository: "example/ordvec",
            tag: "v0.5.0",
            covered: &covered,
            provenance: "ordvec.intoto.jsonl",
            registry_subjects: &[],
        },
    )
    .unwrap();
    let policy = ordvec_rebuild_policy(dir.path());
    let lb = Loopback::for_policy(&policy).unwrap();

    // Before publishing: tag guard, lockstep, CI, changelog, free version; assets, the
    // rebuild with `cargo package --locked` compared byte for byte, signatures, provenance.
    let before = run_phases(
        &policy,
        dir.path(),
        "v0.5.0",
        &[Phase::Preflight, Phase::Prepublish],
        &lb,
        &[],
    );
    assert_passes(
        &before,
        &[
            "versions-lockstep",
            "ci-green",
            "version-unpublished",
            "required-assets-present",
            "rebuild-identity",
            "signatures-valid",
            "provenance-valid",
        ],
    );

    // The upload, then readback, order and PEP 740 provenance.
    let mut stack = attest::TestStack::new(SEED).unwrap();
    for (kind, package, name) in ORDVEC_ARTIFACTS {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        if kind == DemoKind::Pypi {
            let doc = pep740_document(&mut stack, "example/ordvec", name, &bytes);
            lb.demo.publish_provenance(package, "0.5.0", name, doc);
        }
        lb.demo.publish(kind, package, "0.5.0", name, bytes);
    }
    let after = run_phases(
        &policy,
        dir.path(),
        "v0.5.0",
        &[Phase::Postpublish, Phase::Consume],
        &lb,
        &[],
    );
    assert_passes(
        &after,
        &["publish-order", "registry-readback", "pep740-attestations"],
    );

    // The tag's source no longer builds the attested crate: a change landed after the build.
    std::fs::write(dir.path().join("src/lib.rs"), "//! ordvec, changed.\n").unwrap();
    git(
        dir.path(),
        &["commit", "-q", "-am", "change after the release build"],
    );
    git(dir.path(), &["tag", "-f", "v0.5.0", "HEAD"]);
    let lb = Loopback::for_policy(&policy).unwrap();
    let r = run_phases(
        &policy,
        dir.path(),
        "v0.5.0",
        &[Phase::Prepublish],
        &lb,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::NotReproducible]);
    let f = &r.gate("rebuild-identity").unwrap().findings[0].finding;
    assert_eq!(f.subject, "ordvec-0.5.0.crate", "{f:?}");
    assert!(
        f.found
            .as_deref()
            .unwrap_or_default()
            .contains("src/lib.rs"),
        "the explanation names the changed file: {f:?}"
    );
}

/// Runs `policy` in release order as far as it allows: preflight and prepublish over the
/// release files in `release`; when they allow, `publish` (the upload), then postpublish and
/// consume. Returns the report that decided.
fn as_far_as_allowed(
    policy: &Policy,
    dir: &Path,
    release: &Path,
    tag: &str,
    lb: &Loopback,
    waive: &[(&str, &str)],
    publish: impl FnOnce(),
) -> Report {
    let stage = [Phase::Preflight, Phase::Prepublish];
    let before = run_phases_in(policy, dir, release, tag, &stage, lb, waive);
    if before.decision.status != RunStatus::Allowed {
        return before;
    }
    publish();
    let stage = [Phase::Postpublish, Phase::Consume];
    run_phases_in(policy, dir, release, tag, &stage, lb, waive)
}

/// Runs `policy` in release order around `publish`: preflight and prepublish against the
/// registries as they are, then `publish` (the upload), then postpublish and consume. Both
/// stages must allow the release; returns their reports.
fn release_in_order(
    policy: &Policy,
    dir: &Path,
    tag: &str,
    lb: &Loopback,
    waive: &[(&str, &str)],
    publish: impl FnOnce(),
) -> (Report, Report) {
    let before = run_phases(
        policy,
        dir,
        tag,
        &[Phase::Preflight, Phase::Prepublish],
        lb,
        waive,
    );
    assert_eq!(before.decision.status, RunStatus::Allowed, "{before:#?}");
    publish();
    let after = run_phases(
        policy,
        dir,
        tag,
        &[Phase::Postpublish, Phase::Consume],
        lb,
        waive,
    );
    assert_eq!(after.decision.status, RunStatus::Allowed, "{after:#?}");
    (before, after)
}

/// The digest of the image index the release pushes for `repo` and `platforms` (known to the
/// build before the push, named by its provenance).
fn image(repo: &str, platforms: &[&str]) -> (String, artidigest::Digest) {
    (
        repo.to_owned(),
        regclient::testing::index_digest(repo, platforms).unwrap(),
    )
}

/// Who signs a replica's release: `repository`'s `release.yml` run for `tag`, started by
/// `trigger`.
#[derive(Clone, Copy)]
struct Release<'a> {
    repository: &'a str,
    tag: &'a str,
    trigger: &'a str,
}

/// Signs `files` of the release folder as `release`'s run (bundles), with SLSA provenance
/// `provenance` over `covered` and the pushed `images`, and writes the trust root.
fn sign_release(
    dir: &Path,
    release: Release<'_>,
    files: &[&str],
    covered: &[&str],
    provenance: &str,
    images: &[(String, artidigest::Digest)],
) {
    let Release {
        repository,
        tag,
        trigger,
    } = release;
    let signer = attest::TestIdentity::github(
        repository,
        "release.yml",
        &format!("refs/tags/{tag}"),
        trigger,
        relkit::demo::DEMO_SIGNED_AT,
    );
    let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    relkit::demo::sign_folder(
        dir,
        &relkit::demo::SigningPlan {
            seed: [0x0f; 32],
            files: &own(files),
            signer: &signer,
            repository,
            tag,
            covered: &own(covered),
            provenance,
            registry_subjects: images,
        },
    )
    .unwrap();
}

// ---------------------------------------------------------------- gateway, every phase

/// Builds and pushes the gateway's two images (by digest, tagged 1.8.0; the admin UI for
/// `admin_platforms`), signed, and writes their provenance (subjects: the pushed index digests)
/// and the trust root into `dir`, as the tag's release run does.
fn gateway_images(lb: &Loopback, dir: &Path, admin_platforms: &[&str]) {
    let gateway = push_signed_image(lb.oci(), "example/gateway", &["linux/amd64"], &["1.8.0"]);
    let admin = push_signed_image(
        lb.oci(),
        "example/gateway-admin-ui",
        admin_platforms,
        &["1.8.0"],
    );
    let signer = attest::TestIdentity::github(
        "example/gateway",
        "release.yml",
        "refs/tags/v1.8.0",
        "push",
        relkit::demo::DEMO_SIGNED_AT,
    );
    relkit::demo::sign_folder(
        dir,
        &relkit::demo::SigningPlan {
            seed: [0x0f; 32],
            files: &[],
            signer: &signer,
            repository: "example/gateway",
            tag: "v1.8.0",
            covered: &[],
            provenance: "gateway.intoto.jsonl",
            registry_subjects: &[
                (String::from("example/gateway"), gateway),
                (String::from("example/gateway-admin-ui"), admin),
            ],
        },
    )
    .unwrap();
}

/// The contract generator is the project's own tool, which its runbook does not name.
const GATEWAY_WAIVERS: &[(&str, &str)] = &[(
    "contract-artifacts-current",
    "the runbook names no contract generator",
)];

#[test]
fn gateway_every_phase_from_conventional_commits_to_the_forge_release() {
    let dir = gateway_replica(
        &gateway_files("1.8.0", "1.8.0"),
        "feat(admin): filter routes",
    );
    let policy = load("gateway", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    // The images are built, pushed by digest and attested by the release run.
    gateway_images(&lb, dir.path(), &["linux/amd64", "linux/arm64"]);
    let (before, after) =
        release_in_order(&policy, dir.path(), "v1.8.0", &lb, GATEWAY_WAIVERS, || {
            // The release run tags the commit and creates the (draft) forge release.
            git(dir.path(), &["tag", "v1.8.0", "HEAD"]);
        });
    assert_passes(
        &before,
        &[
            "conventional-commits",
            "conventional-version",
            "ci-green",
            "tag-not-existing",
        ],
    );
    assert_passes(
        &after,
        &["oci-platforms", "oci-tags", "forge-release-exists"],
    );
}

// ---------------------------------------------------------------- AdvisoryHub, every phase

/// `sha256sum`-style `checksums.txt` over every file of `dist`.
fn write_checksums(dist: &Path) {
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

#[test]
fn advisoryhub_every_phase_with_its_attachments_image_and_chart() {
    let dir = replica(&advisoryhub_files("2.3.1", "2.3.1"));
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let chart = "advisoryhub-2.3.1.tgz";
    std::fs::write(dist.join(chart), blob(chart)).unwrap();
    std::fs::write(dist.join("advisoryhub-2.3.1.spdx.json"), blob("sbom")).unwrap();
    sign_release(
        &dist,
        Release {
            repository: "example/advisoryhub",
            tag: "v2.3.1",
            trigger: "push",
        },
        &[chart, "advisoryhub-2.3.1.spdx.json"],
        &[chart],
        "advisoryhub.intoto.jsonl",
        &[image("example/advisoryhub", &["linux/amd64"])],
    );
    write_checksums(&dist);
    let policy = load("advisoryhub", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    let before = run_phases_in(
        &policy,
        dir.path(),
        &dist,
        "v2.3.1",
        &[Phase::Preflight, Phase::Prepublish],
        &lb,
        &[],
    );
    assert_passes(
        &before,
        &[
            "versions-lockstep",
            "checksum-file",
            "required-assets-present",
            "signatures-valid",
            "provenance-valid",
        ],
    );
    // Published: the image under X.Y.Z and X.Y, the chart with the attested bytes, both signed.
    push_signed_image(
        lb.oci(),
        "example/advisoryhub",
        &["linux/amd64"],
        &["2.3.1", "2.3"],
    );
    let pushed = lb
        .oci()
        .push_chart("example/charts/advisoryhub", "2.3.1", &blob(chart))
        .unwrap();
    let digest = artidigest::Digest::from_oci(pushed["digest"].as_str().unwrap()).unwrap();
    lb.oci()
        .push_cosign_signature("example/charts/advisoryhub", &digest, b"{\"critical\":{}}")
        .unwrap();
    let after = run_phases_in(
        &policy,
        dir.path(),
        &dist,
        "v2.3.1",
        &[Phase::Postpublish, Phase::Consume],
        &lb,
        &[],
    );
    assert_passes(
        &after,
        &[
            "registry-visible",
            "registry-readback",
            "oci-platforms",
            "oci-tags",
        ],
    );
    // The chart on the registry is not the attested one.
    let lb2 = Loopback::for_policy(&policy).unwrap();
    push_signed_image(
        lb2.oci(),
        "example/advisoryhub",
        &["linux/amd64"],
        &["2.3.1", "2.3"],
    );
    push_signed_chart(lb2.oci(), "example/charts/advisoryhub", "2.3.1");
    let r = run_phases_in(
        &policy,
        dir.path(),
        &dist,
        "v2.3.1",
        &[Phase::Postpublish],
        &lb2,
        &[],
    );
    assert_eq!(r.root_cause_codes(), [Code::RegistryBytesDiffer]);
}

// ---------------------------------------------------------------- SketchLog, every phase

/// The platform wheels SketchLog's release requires.
const SKETCHLOG_WHEEL_TAGS: [&str; 6] = [
    "cp310-cp310-manylinux_2_17_x86_64",
    "cp311-cp311-manylinux_2_17_x86_64",
    "cp312-cp312-manylinux_2_17_x86_64",
    "cp312-cp312-manylinux_2_17_aarch64",
    "cp312-cp312-macosx_11_0_arm64",
    "cp312-cp312-win_amd64",
];

/// SketchLog's release folder: six platform wheels, the sdist, both npm tarballs, the Go
/// module zip (real archives), the SBOM, bundles, provenance, trust root and checksums.txt.
/// Returns the files each registry serves: (kind, package, version, served name, local name).
fn sketchlog_dist(dist: &Path) -> Vec<(DemoKind, String, String, String, String)> {
    sketchlog_dist_with(dist, &SketchlogBuild::default())
}

/// How [`sketchlog_dist_with`] builds the release (a tamper changes one of these).
#[derive(Default)]
struct SketchlogBuild {
    /// The bundles' signing run was started by this trigger (default `push`).
    trigger: Option<&'static str>,
    /// A file the provenance leaves out of its subjects.
    uncovered: Option<&'static str>,
    /// The wheel with this tag gets a RECORD that lies about a file.
    bad_record: Option<&'static str>,
    /// The image was built for linux/amd64 only (and attested as such).
    amd64_only: bool,
}

fn sketchlog_dist_with(
    dist: &Path,
    build: &SketchlogBuild,
) -> Vec<(DemoKind, String, String, String, String)> {
    use relkit::demo::{DemoRelease, go_module_zip, python_wheel};
    let mut served = Vec::new();
    let mut products = Vec::new();
    let mut put =
        |kind, package: &str, version: &str, served_name: &str, local: &str, bytes: Vec<u8>| {
            std::fs::write(dist.join(local), bytes).unwrap();
            served.push((
                kind,
                package.to_owned(),
                version.to_owned(),
                served_name.to_owned(),
                local.to_owned(),
            ));
            products.push(local.to_owned());
        };
    for tag in SKETCHLOG_WHEEL_TAGS {
        let (name, bytes) = python_wheel(
            "sketchlog",
            "3.0.2",
            tag,
            b"__version__ = \"3.0.2\"\n".to_vec(),
            build.bad_record == Some(tag),
        )
        .unwrap();
        put(DemoKind::Pypi, "sketchlog", "3.0.2", &name, &name, bytes);
    }
    let mut py = DemoRelease::default();
    py.name = String::from("sketchlog");
    py.version = String::from("3.0.2");
    for (name, bytes) in py.artifacts().unwrap() {
        if name.ends_with(".tar.gz") {
            put(DemoKind::Pypi, "sketchlog", "3.0.2", &name, &name, bytes);
        }
    }
    for (package, short) in [
        ("@sketchlog/client", "sketchlog-client"),
        ("@sketchlog/react", "sketchlog-react"),
    ] {
        let mut npm = DemoRelease::default();
        npm.name = short.to_owned();
        npm.version = String::from("3.0.2");
        for (name, bytes) in npm.artifacts().unwrap() {
            if name.ends_with(".tgz") {
                put(DemoKind::Npm, package, "3.0.2", &name, &name, bytes);
            }
        }
    }
    let module = "example.invalid/sketchlog/clients/go";
    let go_mod: &[u8] = b"module example.invalid/sketchlog/clients/go\n\ngo 1.22\n";
    let zip = go_module_zip(
        module,
        "v3.0.2",
        &[("go.mod", go_mod), ("client.go", b"package client\n")],
    )
    .unwrap();
    put(
        DemoKind::GoProxy,
        module,
        "v3.0.2",
        "v3.0.2.zip",
        "clients-go-v3.0.2.zip",
        zip,
    );
    std::fs::write(dist.join("sketchlog-3.0.2.spdx.json"), blob("sbom")).unwrap();
    products.push(String::from("sketchlog-3.0.2.spdx.json"));
    let covered: Vec<&str> = products
        .iter()
        .map(String::as_str)
        .filter(|n| !n.ends_with(".spdx.json") && !n.ends_with(".zip"))
        .filter(|n| Some(*n) != build.uncovered)
        .collect();
    let files: Vec<&str> = products.iter().map(String::as_str).collect();
    sign_release(
        dist,
        Release {
            repository: "example/sketchlog",
            tag: "v3.0.2",
            trigger: build.trigger.unwrap_or("push"),
        },
        &files,
        &covered,
        "sketchlog.intoto.jsonl",
        &[image(
            "example/sketchlog",
            if build.amd64_only {
                &["linux/amd64"]
            } else {
                &["linux/amd64", "linux/arm64"]
            },
        )],
    );
    write_checksums(dist);
    served
}

/// The project's own tools, which its runbook does not name.
const SKETCHLOG_OWN_TOOLS: &[(&str, &str)] = &[
    ("container-scan", "the runbook names no scanner"),
    ("clean-env-smoke", "the runbook names no smoke-test script"),
];

#[test]
fn sketchlog_every_phase_across_six_registries() {
    let dir = replica(&sketchlog_files("3.0.2"));
    git(dir.path(), &["tag", "clients/go/v3.0.2", "HEAD"]);
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let served = sketchlog_dist(&dist);
    let policy = load("sketchlog", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    let before = run_phases_in(
        &policy,
        dir.path(),
        &dist,
        "v3.0.2",
        &[Phase::Preflight, Phase::Prepublish],
        &lb,
        SKETCHLOG_OWN_TOOLS,
    );
    assert_passes(
        &before,
        &[
            "version-unpublished",
            "coupled-tags",
            "required-assets-present",
            "checksum-file",
            "archive-safety",
            "signatures-valid",
            "provenance-valid",
        ],
    );
    for (kind, package, version, served_name, local) in &served {
        let bytes = std::fs::read(dist.join(local)).unwrap();
        if *kind == DemoKind::Npm {
            publish_npm_provenance(&lb, package, version, &bytes);
        }
        lb.demo.publish(*kind, package, version, served_name, bytes);
    }
    lb.demo.publish(
        DemoKind::GoProxy,
        "example.invalid/sketchlog/clients/go",
        "v3.0.2",
        "v3.0.2.mod",
        b"module example.invalid/sketchlog/clients/go\n\ngo 1.22\n".to_vec(),
    );
    push_signed_image(
        lb.oci(),
        "example/sketchlog",
        &["linux/amd64", "linux/arm64"],
        &["3.0.2"],
    );
    push_signed_chart(lb.oci(), "example/charts/sketchlog", "3.0.2");
    let after = run_phases_in(
        &policy,
        dir.path(),
        &dist,
        "v3.0.2",
        &[Phase::Postpublish, Phase::Consume],
        &lb,
        SKETCHLOG_OWN_TOOLS,
    );
    assert_passes(
        &after,
        &[
            "registry-visible",
            "registry-readback",
            "oci-platforms",
            "npm-provenance",
            "consumer-verify",
        ],
    );
}

/// One way to break SketchLog's release, at the stage where it would happen.
#[derive(Debug, Clone, Copy)]
enum SketchlogTamper {
    ChangelogSection,
    WheelMissing,
    ChecksumStale,
    RecordLies,
    ManualTrigger,
    ProvenanceGap,
    NeverVisible,
    ArmImageMissing,
    ChartUnsigned,
    NpmProvenanceMissing,
    CiRed,
}

/// Runs SketchLog's release with `tamper` applied and returns the report that blocked.
fn sketchlog_tampered(tamper: SketchlogTamper) -> Option<Report> {
    use SketchlogTamper as T;
    let mut files = sketchlog_files("3.0.2");
    if let T::ChangelogSection = tamper {
        files.retain(|(p, _)| p != "CHANGELOG.md");
        files.push(f(
            "CHANGELOG.md",
            "# Changelog\n\n## 3.0.1 - 2026-10-01\n\n- Older.\n".into(),
        ));
    }
    let dir = replica(&files);
    if let T::CiRed = tamper {
        // CI passed on the previous commit; the release commit came after it.
        git(dir.path(), &["tag", "ci-passed", "HEAD"]);
        commit_change(dir.path(), "README.md", "docs\n");
    }
    git(dir.path(), &["tag", "clients/go/v3.0.2", "HEAD"]);
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let build = SketchlogBuild {
        trigger: matches!(tamper, T::ManualTrigger).then_some("workflow_dispatch"),
        uncovered: matches!(tamper, T::ProvenanceGap)
            .then_some("sketchlog-3.0.2-cp312-cp312-win_amd64.whl"),
        bad_record: matches!(tamper, T::RecordLies).then_some("cp311-cp311-manylinux_2_17_x86_64"),
        amd64_only: matches!(tamper, T::ArmImageMissing),
    };
    let served = sketchlog_dist_with(&dist, &build);
    match tamper {
        T::WheelMissing => {
            for n in [
                "sketchlog-3.0.2-cp312-cp312-win_amd64.whl",
                "sketchlog-3.0.2-cp312-cp312-win_amd64.whl.sigstore.json",
            ] {
                std::fs::remove_file(dist.join(n)).unwrap();
            }
        }
        T::ChecksumStale => {
            let p = dist.join("sketchlog-3.0.2.tar.gz");
            let mut bytes = std::fs::read(&p).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 0xff;
            std::fs::write(p, bytes).unwrap();
        }
        _ => {}
    }
    let mut policy = load("sketchlog", dir.path());
    if let T::NeverVisible = tamper {
        for r in policy.registries.values_mut() {
            r.visible_within_secs = Some(2);
        }
    }
    let lb = Loopback::for_policy(&policy)?;
    Some(as_far_as_allowed(
        &policy,
        dir.path(),
        &dist,
        "v3.0.2",
        &lb,
        SKETCHLOG_OWN_TOOLS,
        || {
            for (kind, package, version, served_name, local) in &served {
                if matches!(tamper, T::NeverVisible) && package == "@sketchlog/react" {
                    continue;
                }
                let bytes = std::fs::read(dist.join(local)).unwrap();
                if *kind == DemoKind::Npm
                    && !(matches!(tamper, T::NpmProvenanceMissing)
                        && package == "@sketchlog/client")
                {
                    publish_npm_provenance(&lb, package, version, &bytes);
                }
                lb.demo.publish(*kind, package, version, served_name, bytes);
            }
            let platforms: &[&str] = if matches!(tamper, T::ArmImageMissing) {
                &["linux/amd64"]
            } else {
                &["linux/amd64", "linux/arm64"]
            };
            push_signed_image(lb.oci(), "example/sketchlog", platforms, &["3.0.2"]);
            if matches!(tamper, T::ChartUnsigned) {
                lb.oci()
                    .push_chart("example/charts/sketchlog", "3.0.2", &blob("chart"))
                    .unwrap();
            } else {
                push_signed_chart(lb.oci(), "example/charts/sketchlog", "3.0.2");
            }
        },
    ))
}

#[test]
fn sketchlog_each_check_of_its_runbook_fails_with_its_code() {
    use SketchlogTamper as T;
    for (tamper, code) in [
        (T::ChangelogSection, Code::ChangelogSectionMissing),
        (T::WheelMissing, Code::AssetMissing),
        (T::ChecksumStale, Code::DigestMismatch),
        (T::RecordLies, Code::RecordMismatch),
        (T::ManualTrigger, Code::TriggerDenied),
        (T::ProvenanceGap, Code::SubjectNotCovered),
        (T::NeverVisible, Code::NotVisible),
        (T::ArmImageMissing, Code::PlatformMissing),
        (T::ChartUnsigned, Code::SignatureMissing),
        (T::NpmProvenanceMissing, Code::SignatureMissing),
        (T::CiRed, Code::CiNotGreen),
    ] {
        let Some(report) = sketchlog_tampered(tamper) else {
            return; // SKIPPED (said above): no docker-registry outside CI.
        };
        assert_eq!(report.root_cause_codes(), [code], "{tamper:?}");
    }
}

// ---------------------------------------------------------------- AdvisoryHub, each check

/// One way to break AdvisoryHub's release.
#[derive(Debug, Clone, Copy)]
enum AdvisoryhubTamper {
    PrereleaseTag,
    ChecksumStale,
    SbomMissing,
    SignedByFork,
    ChartNotInProvenance,
    ImageUnsigned,
}

fn advisoryhub_tampered(tamper: AdvisoryhubTamper) -> Option<Report> {
    use AdvisoryhubTamper as T;
    let dir = replica(&advisoryhub_files("2.3.1", "2.3.1"));
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let chart = "advisoryhub-2.3.1.tgz";
    let sbom = "advisoryhub-2.3.1.spdx.json";
    std::fs::write(dist.join(chart), blob(chart)).unwrap();
    std::fs::write(dist.join(sbom), blob("sbom")).unwrap();
    let signer = attest::TestIdentity::github(
        if matches!(tamper, T::SignedByFork) {
            "example/fork"
        } else {
            "example/advisoryhub"
        },
        "release.yml",
        "refs/tags/v2.3.1",
        "push",
        relkit::demo::DEMO_SIGNED_AT,
    );
    let covered: Vec<String> = if matches!(tamper, T::ChartNotInProvenance) {
        vec![sbom.to_owned()]
    } else {
        vec![chart.to_owned()]
    };
    relkit::demo::sign_folder(
        &dist,
        &relkit::demo::SigningPlan {
            seed: [0x0f; 32],
            files: &[chart.to_owned(), sbom.to_owned()],
            signer: &signer,
            repository: "example/advisoryhub",
            tag: "v2.3.1",
            covered: &covered,
            provenance: "advisoryhub.intoto.jsonl",
            registry_subjects: &[image("example/advisoryhub", &["linux/amd64"])],
        },
    )
    .unwrap();
    write_checksums(&dist);
    match tamper {
        T::ChecksumStale => std::fs::write(dist.join(chart), blob("another chart")).unwrap(),
        T::SbomMissing => {
            std::fs::remove_file(dist.join(sbom)).unwrap();
            std::fs::remove_file(dist.join(format!("{sbom}.sigstore.json"))).unwrap();
        }
        _ => {}
    }
    let tag = if matches!(tamper, T::PrereleaseTag) {
        "v2.3.1-rc.1"
    } else {
        "v2.3.1"
    };
    let policy = load("advisoryhub", dir.path());
    let lb = Loopback::for_policy(&policy)?;
    Some(as_far_as_allowed(
        &policy,
        dir.path(),
        &dist,
        tag,
        &lb,
        &[],
        || {
            if matches!(tamper, T::ImageUnsigned) {
                lb.oci()
                    .push_index("example/advisoryhub", &["linux/amd64"], &["2.3.1", "2.3"])
                    .unwrap();
            } else {
                push_signed_image(
                    lb.oci(),
                    "example/advisoryhub",
                    &["linux/amd64"],
                    &["2.3.1", "2.3"],
                );
            }
            let pushed = lb
                .oci()
                .push_chart("example/charts/advisoryhub", "2.3.1", &blob(chart))
                .unwrap();
            let digest = artidigest::Digest::from_oci(pushed["digest"].as_str().unwrap()).unwrap();
            lb.oci()
                .push_cosign_signature("example/charts/advisoryhub", &digest, b"{}")
                .unwrap();
        },
    ))
}

#[test]
fn advisoryhub_each_check_of_its_runbook_fails_with_its_code() {
    use AdvisoryhubTamper as T;
    for (tamper, code) in [
        (T::PrereleaseTag, Code::TagNotStrictSemver),
        (T::ChecksumStale, Code::DigestMismatch),
        (T::SbomMissing, Code::AssetMissing),
        (T::SignedByFork, Code::IdentityMismatch),
        (T::ChartNotInProvenance, Code::SubjectNotCovered),
        (T::ImageUnsigned, Code::SignatureMissing),
    ] {
        let Some(report) = advisoryhub_tampered(tamper) else {
            return; // SKIPPED (said above): no docker-registry outside CI.
        };
        assert_eq!(report.root_cause_codes(), [code], "{tamper:?}");
    }
}

// ---------------------------------------------------------------- SecureScan, each check

/// One way to break SecureScan's release.
#[derive(Debug, Clone, Copy)]
enum SecurescanTamper {
    VersionBehind,
    BundleMissing,
    NightlyWorkflow,
    IndexServesOtherSdist,
    ArmImageMissing,
}

fn securescan_tampered(tamper: SecurescanTamper) -> Option<Report> {
    use SecurescanTamper as T;
    let pyproject = if matches!(tamper, T::VersionBehind) {
        "0.11.11"
    } else {
        "0.11.12"
    };
    let dir = replica(&securescan_files(pyproject, "0.11.12"));
    let workflow = if matches!(tamper, T::NightlyWorkflow) {
        "nightly.yml"
    } else {
        "release.yml"
    };
    securescan_release_from(dir.path(), workflow, "push");
    if matches!(tamper, T::BundleMissing) {
        std::fs::remove_file(dir.path().join("securescan-0.11.12.tar.gz.sigstore.json")).unwrap();
    }
    let policy = load("securescan", dir.path());
    let lb = Loopback::for_policy(&policy)?;
    Some(as_far_as_allowed(
        &policy,
        dir.path(),
        dir.path(),
        "v0.11.12",
        &lb,
        &[],
        || {
            for name in [
                "securescan-0.11.12-py3-none-any.whl",
                "securescan-0.11.12.tar.gz",
            ] {
                let mut bytes = std::fs::read(dir.path().join(name)).unwrap();
                if matches!(tamper, T::IndexServesOtherSdist) && name.ends_with(".tar.gz") {
                    bytes = blob("an sdist built elsewhere");
                }
                lb.demo
                    .publish(DemoKind::Pypi, "securescan", "0.11.12", name, bytes);
            }
            let platforms: &[&str] = if matches!(tamper, T::ArmImageMissing) {
                &["linux/amd64"]
            } else {
                &["linux/amd64", "linux/arm64"]
            };
            push_signed_image(lb.oci(), "example/securescan", platforms, &["0.11.12"]);
        },
    ))
}

#[test]
fn securescan_each_check_of_its_runbook_fails_with_its_code() {
    use SecurescanTamper as T;
    for (tamper, code) in [
        (T::VersionBehind, Code::VersionMismatch),
        (T::BundleMissing, Code::AssetMissing),
        (T::NightlyWorkflow, Code::IdentityMismatch),
        (T::IndexServesOtherSdist, Code::RegistryBytesDiffer),
        (T::ArmImageMissing, Code::PlatformMissing),
    ] {
        let Some(report) = securescan_tampered(tamper) else {
            return; // SKIPPED (said above): no docker-registry outside CI.
        };
        assert_eq!(report.root_cause_codes(), [code], "{tamper:?}");
    }
}

// ---------------------------------------------------------------- gateway, each check

/// One way to break the gateway's release.
#[derive(Debug, Clone, Copy)]
enum GatewayTamper {
    TagAlreadyThere,
    ChangelogNotRegenerated,
    NoForgeRelease,
    AdminUiRebuilt,
    CiRed,
}

fn gateway_tampered(tamper: GatewayTamper) -> Option<Report> {
    use GatewayTamper as T;
    let dir = gateway_replica(
        &gateway_files("1.8.0", "1.8.0"),
        "feat(admin): filter routes",
    );
    if matches!(tamper, T::CiRed) {
        // CI passed on the feature commit; a docs commit went on top without a green run.
        git(dir.path(), &["tag", "ci-passed", "HEAD"]);
        std::fs::write(dir.path().join("README.md"), "docs\n").unwrap();
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "docs: readme"]);
    }
    if matches!(tamper, T::ChangelogNotRegenerated) {
        // git-cliff was not re-run: the changelog still ends at 1.7.3.
        std::fs::write(
            dir.path().join("CHANGELOG.md"),
            "# Changelog\n\n## [1.7.3] - 2026-10-02\n\n### Fixes\n\n- A fix.\n",
        )
        .unwrap();
        git(
            dir.path(),
            &["commit", "-q", "-am", "docs(changelog): trim"],
        );
    }
    if matches!(tamper, T::TagAlreadyThere) {
        git(dir.path(), &["tag", "v1.8.0", "HEAD"]);
    }
    let policy = load("gateway", dir.path());
    let lb = Loopback::for_policy(&policy)?;
    gateway_images(&lb, dir.path(), &["linux/amd64", "linux/arm64"]);
    let waive = GATEWAY_WAIVERS;
    Some(as_far_as_allowed(
        &policy,
        dir.path(),
        dir.path(),
        "v1.8.0",
        &lb,
        waive,
        || {
            if matches!(tamper, T::AdminUiRebuilt) {
                // 1.8.0 now names another build of the admin UI than the one attested.
                push_signed_image(
                    lb.oci(),
                    "example/gateway-admin-ui",
                    &["linux/arm64", "linux/amd64"],
                    &["1.8.0"],
                );
            }
            if !matches!(tamper, T::NoForgeRelease) {
                git(dir.path(), &["tag", "v1.8.0", "HEAD"]);
            }
        },
    ))
}

#[test]
fn gateway_each_check_of_its_runbook_fails_with_its_code() {
    use GatewayTamper as T;
    for (tamper, code) in [
        (T::TagAlreadyThere, Code::TagAlreadyExists),
        (T::ChangelogNotRegenerated, Code::ChangelogSectionMissing),
        (T::NoForgeRelease, Code::ReleaseMissing),
        (T::AdminUiRebuilt, Code::SubjectNotCovered),
        (T::CiRed, Code::CiNotGreen),
    ] {
        let Some(report) = gateway_tampered(tamper) else {
            return; // SKIPPED (said above): no docker-registry outside CI.
        };
        assert_eq!(report.root_cause_codes(), [code], "{tamper:?}");
    }
}

// ---------------------------------------------------------------- ordvec, each check

/// One way to break ordvec's release.
#[derive(Debug, Clone, Copy)]
enum OrdvecTamper {
    ChangelogSection,
    ManifestCrateMissing,
    WheelNotInProvenance,
    SignedByNightly,
}

fn ordvec_tampered(tamper: OrdvecTamper) -> Report {
    use OrdvecTamper as T;
    let dir = tempfile::tempdir().unwrap();
    ordvec_buildable(dir.path());
    if matches!(tamper, T::ChangelogSection) {
        std::fs::write(
            dir.path().join("CHANGELOG.md"),
            "# Changelog\n\n## [Unreleased]\n\n- Release.\n\n## [0.2.0] - 2026-01-10\n\n- Older.\n",
        )
        .unwrap();
        git(dir.path(), &["commit", "-q", "-am", "changelog"]);
        git(dir.path(), &["tag", "-f", "v0.5.0", "HEAD"]);
    }
    let names: Vec<String> = ORDVEC_ARTIFACTS
        .iter()
        .map(|(_, _, n)| (*n).to_owned())
        .collect();
    let workflow = if matches!(tamper, T::SignedByNightly) {
        "nightly.yml"
    } else {
        "release.yml"
    };
    let signer = attest::TestIdentity::github(
        "example/ordvec",
        workflow,
        "refs/tags/v0.5.0",
        "push",
        relkit::demo::DEMO_SIGNED_AT,
    );
    let covered: Vec<String> = names
        .iter()
        .filter(|n| !n.ends_with(".tar.gz"))
        .filter(|n| {
            !(matches!(tamper, T::WheelNotInProvenance) && n.starts_with("ordvec_manifest"))
        })
        .cloned()
        .collect();
    relkit::demo::sign_folder(
        dir.path(),
        &relkit::demo::SigningPlan {
            seed: [0x0e; 32],
            files: &names,
            signer: &signer,
            repository: "example/ordvec",
            tag: "v0.5.0",
            covered: &covered,
            provenance: "ordvec.intoto.jsonl",
            registry_subjects: &[],
        },
    )
    .unwrap();
    if matches!(tamper, T::ManifestCrateMissing) {
        std::fs::remove_file(dir.path().join("ordvec-manifest-0.5.0.crate")).unwrap();
    }
    let policy = ordvec_rebuild_policy(dir.path());
    let lb = Loopback::for_policy(&policy).unwrap();
    let stage = [Phase::Preflight, Phase::Prepublish];
    run_phases(&policy, dir.path(), "v0.5.0", &stage, &lb, &[])
}

#[test]
fn ordvec_each_prepublish_check_fails_with_its_code() {
    use OrdvecTamper as T;
    for (tamper, code) in [
        (T::ChangelogSection, Code::ChangelogSectionMissing),
        (T::ManifestCrateMissing, Code::AssetMissing),
        (T::WheelNotInProvenance, Code::SubjectNotCovered),
        (T::SignedByNightly, Code::IdentityMismatch),
    ] {
        let report = ordvec_tampered(tamper);
        assert_eq!(report.root_cause_codes(), [code], "{tamper:?}");
    }
}

/// Serves SLSA provenance for `package@version` (the tarball `bytes`) from the npm registry's
/// attestations endpoint, signed by SketchLog's release run with the release's stack.
fn publish_npm_provenance(lb: &Loopback, package: &str, version: &str, bytes: &[u8]) {
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
    let statement = relkit::demo::slsa_statement("example/sketchlog", "v3.0.2", vec![subject]);
    let release = attest::TestIdentity::github(
        "example/sketchlog",
        "release.yml",
        "refs/tags/v3.0.2",
        "push",
        relkit::demo::DEMO_SIGNED_AT,
    );
    let bundle = attest::TestStack::new([0x0f; 32])
        .unwrap()
        .sign_statement(statement.as_bytes(), &release)
        .unwrap();
    let doc = serde_json::json!({"attestations": [{
        "predicateType": "https://slsa.dev/provenance/v1",
        "bundle": serde_json::from_str::<serde_json::Value>(&bundle).unwrap(),
    }]});
    lb.demo
        .publish_npm_attestations(package, version, serde_json::to_vec(&doc).unwrap());
}
