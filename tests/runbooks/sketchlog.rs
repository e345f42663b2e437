//! SketchLog's runbook (docs/runbooks.md, section 1): preflight over its replica, every registry
//! serving the release, every phase across six registries, each check broken.

use std::path::Path;

use regclient::testing::docker_registry_bin;
use relgate::{Code, Phase, Policy, Report};
use relkit_demo::DemoKind;

use crate::setup::*;

// ---------------------------------------------------------------- SketchLog

/// The jobs of SketchLog's release workflow: tag-triggered; only the signing and publishing jobs (sigstore
/// bundles and provenance; trusted publishing and the signed image) may mint an OIDC token.
/// For [`release_workflow_with_build`]: the build job's own steps first, then the later jobs.
const SKETCHLOG_JOBS: &str = r#"      - run: make dist

  sign:
    needs: [build]
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      id-token: write
    steps:
      - run: python -m sigstore sign dist/* && cosign attest-blob --yes --predicate provenance.json dist/*

  publish:
    needs: [sign]
    runs-on: ubuntu-24.04
    environment: release
    permissions:
      contents: write
      id-token: write
      packages: write
    steps:
      - run: make publish
"#;

/// The release workflow: [`release_workflow_with_build`] with [`SKETCHLOG_JOBS`].
fn sketchlog_workflow() -> String {
    release_workflow_with_build(SKETCHLOG_JOBS)
}

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
        f(".github/workflows/release.yml", sketchlog_workflow()),
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
            "publisher-identity",
            "workflow-hygiene",
        ],
    );
    // Both npm registries were asked who their token is and the @sketchlog roster.
    let publishers = &report.gate("publisher-identity").unwrap().evidence["publishers"];
    for p in publishers.as_array().unwrap() {
        assert_eq!(p["user"], "sketchlog-release", "{publishers}");
        assert_eq!(p["scope"], "@sketchlog", "{publishers}");
        assert_eq!(p["role"], "developer", "{publishers}");
    }
    assert_eq!(publishers.as_array().unwrap().len(), 2);
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
    let dist = dist_of(dir.path());
    sign_release(
        &dist,
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
    // Tagged after preflight, before the upload.
    git(dir.path(), &["tag", "v3.0.2", "HEAD"]);
    let head = git(dir.path(), &["rev-parse", "HEAD"]);
    for (kind, package, version, name) in SKETCHLOG_PACKAGES {
        if let Some(local) = sketchlog_local(name) {
            std::fs::write(dist.join(local), blob(name)).unwrap();
        }
        if kind == DemoKind::Npm {
            publish_npm_provenance(&lb, package, version, &blob(name));
            lb.demo.set_npm_git_head(package, version, &head);
        }
        lb.demo.publish(kind, package, version, name, blob(name));
    }
    push_sketchlog_image_and_chart(&lb);
    let r = sketchlog_run(&policy, dir.path(), &dist, &[Phase::Postpublish], &lb, &[]);
    assert_passes(
        &r,
        &[
            "registry-visible",
            "registry-readback",
            "oci-platforms",
            "npm-provenance",
            "vcs-binding",
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

    // A trust root taken from the release folder is refused by every gate that verifies with
    // it, each with the blocking `trust-root-in-release` finding naming it (not a bare error).
    let mut rooted = policy.clone();
    let inside = dist
        .strip_prefix(&rooted.base_dir)
        .unwrap()
        .join("sketchlog.intoto.jsonl");
    rooted.signing.as_mut().unwrap().trusted_root = Some(inside.display().to_string());
    let r = sketchlog_run(&rooted, dir.path(), &dist, &[Phase::Postpublish], &lb, &[]);
    for id in ["npm-provenance", "oci-platforms"] {
        let g = r.gate(id).unwrap();
        assert_eq!(g.status, relgate::GateStatus::Fail, "{id}: {g:#?}");
        assert!(
            g.findings
                .iter()
                .any(|f| f.finding.code == Code::TrustRootInRelease
                    && f.finding.subject == inside.display().to_string()),
            "{id}: {g:#?}"
        );
    }

    // The Go proxy serves another module zip than the release's.
    lb.demo
        .replace_bytes("v3.0.2.zip", b"a module zip built elsewhere");
    let r = sketchlog_run(&policy, dir.path(), &dist, &[Phase::Postpublish], &lb, &[]);
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
    /// The SBOM names this version instead of the release's.
    sbom_version: Option<&'static str>,
}

fn sketchlog_dist_with(
    dist: &Path,
    build: &SketchlogBuild,
) -> Vec<(DemoKind, String, String, String, String)> {
    use relkit_demo::{DemoRelease, go_module_zip, python_wheel};
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
    // The SBOM names sketchlog and its version, with the sha256 of every artifact above.
    let artifacts: Vec<&str> = products.iter().map(String::as_str).collect();
    let sbom = crate::sbom::spdx_sbom(
        dist,
        "sketchlog",
        build.sbom_version.unwrap_or("3.0.2"),
        &artifacts,
    );
    std::fs::write(dist.join("sketchlog-3.0.2.spdx.json"), sbom).unwrap();
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

/// SketchLog's `policy` run for `v3.0.2` over `dist`, its own tools waived ([`phases_runner`]).
fn sketchlog_v302<'a>(
    policy: &'a Policy,
    dir: &'a Path,
    dist: &'a Path,
    lb: &'a Loopback,
) -> impl Fn(&[Phase]) -> Report + 'a {
    phases_runner(policy, dir, dist, "v3.0.2", lb, SKETCHLOG_OWN_TOOLS)
}

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
    let publish = || {
        // Tagged after preflight, before the upload; npm records the checkout's commit (gitHead).
        git(dir.path(), &["tag", "v3.0.2", "HEAD"]);
        let head = git(dir.path(), &["rev-parse", "HEAD"]);
        for (kind, package, version, served_name, local) in &served {
            let bytes = std::fs::read(dist.join(local)).unwrap();
            if *kind == DemoKind::Npm {
                publish_npm_provenance(&lb, package, version, &bytes);
                lb.demo.set_npm_git_head(package, version, &head);
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
        push_sketchlog_image_and_chart(&lb);
    };
    let (before, after) =
        release_in_order(sketchlog_v302(&policy, dir.path(), &dist, &lb), publish);
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
            "sbom-valid",
        ],
    );
    assert_passes(
        &after,
        &[
            "registry-visible",
            "registry-readback",
            "oci-platforms",
            "npm-provenance",
            "vcs-binding",
            "consumer-verify",
        ],
    );
}

tampers! {
    /// One way to break SketchLog's release, at the stage where it would happen.
    enum SketchlogTamper {
        ChangelogSection => ChangelogSectionMissing,
        WheelMissing => AssetMissing,
        ChecksumStale => DigestMismatch,
        RecordLies => RecordMismatch,
        ManualTrigger => TriggerDenied,
        ProvenanceGap => SubjectNotCovered,
        NeverVisible => NotVisible,
        ArmImageMissing => PlatformMissing,
        ChartUnsigned => SignatureMissing,
        NpmProvenanceMissing => SignatureMissing,
        CiRed => CiNotGreen,
        PublisherOutsideScope => PublisherNotInScope,
        SbomOtherVersion => SbomComponentMismatch,
        NpmBuiltElsewhere => VcsCommitMismatch,
        LeakyBuildJob => WorkflowIdTokenOutsideSigning,
    }
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
    if let T::LeakyBuildJob = tamper {
        // The build job may mint an OIDC token: only the signing and publishing jobs may.
        files.retain(|(p, _)| p != ".github/workflows/release.yml");
        files.push(f(
            ".github/workflows/release.yml",
            sketchlog_workflow().replace(
                "  build:\n    runs-on: ubuntu-24.04\n",
                "  build:\n    runs-on: ubuntu-24.04\n    permissions:\n      id-token: write\n",
            ),
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
        sbom_version: matches!(tamper, T::SbomOtherVersion).then_some("3.0.1"),
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
    if let T::PublisherOutsideScope = tamper {
        // The configured token's user is not a member of the @sketchlog org.
        lb.demo.npm_identity(publisher_identity(&policy, false));
    }
    Some(as_far_as_allowed(
        sketchlog_v302(&policy, dir.path(), &dist, &lb),
        || {
            // Tagged after preflight, before the upload.
            git(dir.path(), &["tag", "v3.0.2", "HEAD"]);
            let head = git(dir.path(), &["rev-parse", "HEAD"]);
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
                if *kind == DemoKind::Npm {
                    // The react package was published from a checkout of another commit.
                    let at = if matches!(tamper, T::NpmBuiltElsewhere)
                        && package == "@sketchlog/react"
                    {
                        "fedcba9876543210fedcba9876543210fedcba98"
                    } else {
                        head.as_str()
                    };
                    lb.demo.set_npm_git_head(package, version, at);
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
    each_tamper_fails_with(SketchlogTamper::CASES.iter().copied(), sketchlog_tampered);
}

/// `phases` of SketchLog's `policy` over its replica in `dir` (release folder `dist`, tag
/// v3.0.2) against `lb`, waiving `waive`.
fn sketchlog_run(
    policy: &Policy,
    dir: &Path,
    dist: &Path,
    phases: &[Phase],
    lb: &Loopback,
    waive: &[(&str, &str)],
) -> Report {
    run_phases_in(policy, dir, dist, "v3.0.2", phases, lb, waive)
}

/// SketchLog's two-platform image and its chart, both signed, pushed as 3.0.2.
fn push_sketchlog_image_and_chart(lb: &Loopback) {
    let platforms = ["linux/amd64", "linux/arm64"];
    push_signed_image(lb.oci(), "example/sketchlog", &platforms, &["3.0.2"]);
    push_signed_chart(lb.oci(), "example/charts/sketchlog", "3.0.2");
}

/// Serves SLSA provenance for `package@version` (the tarball `bytes`) from the npm registry's
/// attestations endpoint, signed by SketchLog's release run with the release's stack.
fn publish_npm_provenance(lb: &Loopback, package: &str, version: &str, bytes: &[u8]) {
    let release = Release {
        repository: "example/sketchlog",
        tag: "v3.0.2",
        trigger: "push",
    };
    publish_npm_provenance_as(lb, release, package, version, bytes);
}
