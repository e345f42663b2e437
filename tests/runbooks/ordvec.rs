//! ordvec's runbook (docs/runbooks.md, section 5): preflight over its replica, the attested
//! bytes served in order, every phase from tag to consumer with the rebuild, each prepublish check
//! broken.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use relgate::{Code, GateStatus, Phase, Policy, Report, RunContext, RunOptions, Severity};
use relkit_demo::DemoKind;
use relkit_testkit::github::Environment;

use crate::setup::*;

// ---------------------------------------------------------------- ordvec

/// ordvec's release workflow: the clean fixture of relgate's `workflow-hygiene` tests (every
/// third-party action pinned by SHA, the SLSA generator excepted, `persist-credentials: false`,
/// default `contents: read`, `id-token: write` in the provenance and publish jobs only).
fn ordvec_workflow() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/relgate/tests/fixtures/workflows/release.yml"),
    )
    .unwrap()
}

fn ordvec_files(v: &str, fuzz: &str) -> Vec<(String, String)> {
    let pkg = |name: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"{v}\"\nedition = \"2021\"\n")
    };
    vec![
        f(
            "Cargo.toml",
            format!(
                "{}\n[workspace]\nmembers = [\"ordvec-manifest\", \"ordvec-python\", \"ordvec-manifest-python\", \"ordvec-ffi\", \"benchmarks/beir-bench\"]\nexclude = [\"fuzz\"]\n",
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
        f(
            "ordvec-manifest-python/Cargo.toml",
            pkg("ordvec-manifest-python"),
        ),
        f(
            "ordvec-manifest-python/pyproject.toml",
            format!("[project]\nname = \"ordvec-manifest\"\nversion = \"{v}\"\n"),
        ),
        f(
            "ordvec-manifest-python/python/ordvec_manifest/__init__.py",
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
                "version = 4\n\n[[package]]\nname = \"beir-bench\"\nversion = \"0.0.0\"\n\n[[package]]\nname = \"ordvec\"\nversion = \"{v}\"\n\n[[package]]\nname = \"ordvec-ffi\"\nversion = \"{v}\"\n\n[[package]]\nname = \"ordvec-manifest\"\nversion = \"{v}\"\n\n[[package]]\nname = \"ordvec-manifest-python\"\nversion = \"{v}\"\n\n[[package]]\nname = \"ordvec-python\"\nversion = \"{v}\"\n"
            ),
        ),
        f(
            "fuzz/Cargo.lock",
            format!(
                "version = 4\n\n[[package]]\nname = \"ordvec\"\nversion = \"{fuzz}\"\n\n[[package]]\nname = \"ordvec-fuzz\"\nversion = \"0.0.0\"\n"
            ),
        ),
        f(".github/workflows/release.yml", ordvec_workflow()),
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
    let (ok, _) = preflight_passes(
        "ordvec",
        &ordvec_files("0.5.0", "0.5.0"),
        "v0.5.0",
        &[
            "tag-strict-semver",
            "versions-lockstep",
            "changelog-section",
            "ci-green",
            "workflow-hygiene",
        ],
    );

    let finding = the_version_mismatch("ordvec", &ordvec_files("0.5.0", "0.4.0"), "v0.5.0");
    assert_eq!(finding.path(), Some("fuzz/Cargo.lock"), "{finding:?}");
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
        let lb = Loopback::for_policy(&policy).unwrap();
        let ci = ReplicaCi::new(&policy, ok.path(), old, &lb.forge);
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
    (repository, commit): (&str, &str),
    file: &str,
    bytes: &[u8],
) -> Vec<u8> {
    let id = at_commit(
        attest::TestIdentity::github(
            repository,
            "release.yml",
            "refs/tags/v0.5.0",
            "push",
            relkit_demo::DEMO_SIGNED_AT,
        ),
        commit,
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

/// The ordvec release in a replica (the release folder `dist/`, the test root beside it),
/// published to loopback registries except the files in `skip`; each Python file with its
/// PEP 740 provenance on the index.
fn ordvec_release(skip: &[&str]) -> (tempfile::TempDir, Policy, Loopback) {
    let dir = replica(&ordvec_files("0.5.0", "0.5.0"));
    git(dir.path(), &["tag", "v0.5.0", "HEAD"]);
    let policy = load("ordvec", dir.path());
    let lb = Loopback::for_policy(&policy).unwrap();
    let mut stack = attest::TestStack::new([0x0d; 32]).unwrap();
    let dist = dist_of(dir.path());
    // The crates as `cargo package` builds them at the tag: vcs info naming its commit.
    let tagged = git(dir.path(), &["rev-parse", "v0.5.0^{commit}"]);
    for (kind, package, name) in ORDVEC_ARTIFACTS {
        let bytes = if kind == DemoKind::Crates {
            crate_at(name, &tagged)
        } else {
            blob(name)
        };
        std::fs::write(dist.join(name), &bytes).unwrap();
        if !skip.contains(&name) {
            if kind == DemoKind::Pypi {
                let doc = pep740_document(&mut stack, ("example/ordvec", &tagged), name, &bytes);
                lb.demo.publish_provenance(package, "0.5.0", name, doc);
            }
            lb.demo.publish(kind, package, "0.5.0", name, bytes);
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
    let r = ordvec_phase(&policy, &dir, Phase::Postpublish, &lb);
    assert_passes(
        &r,
        &[
            "publish-order",
            "registry-readback",
            "pep740-attestations",
            "vcs-binding",
        ],
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
    // Both crates (vcs info) and the three Python files (their PEP 740 certificates) record
    // the tag's commit.
    let records = r.gate("vcs-binding").unwrap().evidence["records"]
        .as_array()
        .unwrap()
        .clone();
    let kinds = |k: &str| {
        records
            .iter()
            .filter(|x| x["kind"] == k && x["verdict"] == "same")
            .count()
    };
    assert_eq!(
        (kinds("crate"), kinds("provenance")),
        (2, 3),
        "{records:#?}"
    );

    // The index's provenance for the wheel was published from a fork's workflow.
    let mut other = attest::TestStack::new([0x0d; 32]).unwrap();
    let wheel = "ordvec-0.5.0-cp312-cp312-manylinux_2_17_x86_64.whl";
    let forged = pep740_document(
        &mut other,
        ("example/fork", &"0".repeat(40)),
        wheel,
        &blob(wheel),
    );
    let (dir2, policy2, lb2) = ordvec_release(&[]);
    lb2.demo
        .publish_provenance("ordvec", "0.5.0", wheel, forged);
    let r = ordvec_phase(&policy2, &dir2, Phase::Postpublish, &lb2);
    assert_eq!(r.root_cause_codes(), [Code::IdentityMismatch]);

    // The index serves other bytes for the sdist than the release built.
    lb.demo
        .replace_bytes("ordvec-0.5.0.tar.gz", b"an sdist built elsewhere");
    let r = ordvec_phase(&policy, &dir, Phase::Postpublish, &lb);
    assert_eq!(r.root_cause_codes(), [Code::RegistryBytesDiffer]);
    let f = &r.gate("registry-readback").unwrap().findings[0].finding;
    assert!(f.subject.contains("ordvec-0.5.0.tar.gz"), "{f:?}");

    // The core crate was built from another commit than the tag's (the tag moved after the
    // build): the registry serves the release's bytes, whose vcs info names that commit.
    let (dir3, policy3, lb3) = ordvec_release(&[]);
    let elsewhere = crate_at(
        "ordvec-0.5.0.crate",
        "fedcba9876543210fedcba9876543210fedcba98",
    );
    std::fs::write(dir3.path().join("dist/ordvec-0.5.0.crate"), &elsewhere).unwrap();
    lb3.demo.publish(
        DemoKind::Crates,
        "ordvec",
        "0.5.0",
        "ordvec-0.5.0.crate",
        elsewhere,
    );
    let r = ordvec_phase(&policy3, &dir3, Phase::Postpublish, &lb3);
    assert_eq!(r.root_cause_codes(), [Code::VcsCommitMismatch]);
    let f = &r.gate("vcs-binding").unwrap().findings[0].finding;
    assert_eq!(f.subject, "ordvec-0.5.0.crate on core-crate", "{f:?}");

    // The manifest crate went out while the core crate is not served.
    let (dir, policy, lb) = ordvec_release(&["ordvec-0.5.0.crate"]);
    let r = ordvec_phase(&policy, &dir, Phase::Postpublish, &lb);
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
    let r = ordvec_phase(&policy, &dir, Phase::Preflight, &lb);
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

// ---------------------------------------------------------------- ordvec, every phase

/// The Python files of ordvec's release as its build writes them: the native wheel and the
/// manifest's pure wheel (each with an honest RECORD) and the sdist.
fn ordvec_python_files() -> Vec<(String, Vec<u8>)> {
    let native = relkit_demo::python_wheel(
        "ordvec",
        "0.5.0",
        "cp312-cp312-manylinux_2_17_x86_64",
        b"__version__ = \"0.5.0\"\n".to_vec(),
        false,
    )
    .unwrap();
    let manifest = relkit_demo::python_wheel(
        "ordvec_manifest",
        "0.5.0",
        "py3-none-any",
        b"__version__ = \"0.5.0\"\n".to_vec(),
        false,
    )
    .unwrap();
    let sdist = (
        String::from("ordvec-0.5.0.tar.gz"),
        python_sdist("ordvec", "0.5.0"),
    );
    let files = vec![native, sdist, manifest];
    for ((name, _), (_, _, expected)) in files.iter().zip(&ORDVEC_ARTIFACTS[2..]) {
        assert_eq!(name, expected);
    }
    files
}

/// The ordvec replica as a buildable Cargo workspace: sources for every crate, the lock file
/// cargo generates, offline builds (`.cargo/config.toml`), the release folder `dist/` and the
/// verifier's test root `trusted_root.json` (beside `dist/`) git-ignored; tagged `v0.5.0` and
/// built into `dist/`, which is returned.
fn ordvec_buildable(dir: &Path) -> PathBuf {
    let mut files = ordvec_files("0.5.0", "0.5.0");
    files.retain(|(p, _)| p != "Cargo.lock");
    for (path, text) in files.into_iter().chain([
        f("src/lib.rs", "//! ordvec.\n".into()),
        f(
            "ordvec-manifest/src/lib.rs",
            "//! The manifest crate.\n".into(),
        ),
        f("ordvec-python/src/lib.rs", "//! Python bindings.\n".into()),
        f(
            "ordvec-manifest-python/src/lib.rs",
            "//! The manifest's Python bindings.\n".into(),
        ),
        f("ordvec-ffi/src/lib.rs", "//! C ABI.\n".into()),
        f("benchmarks/beir-bench/src/main.rs", "fn main() {}\n".into()),
        f(".cargo/config.toml", "[net]\noffline = true\n".into()),
        f(
            ".gitignore",
            "/target/\n/dist/\n/trusted_root.json\n".into(),
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
    // The release build: the policy's packaging command (the runbook's), then the Python files.
    let command = load("ordvec", dir).rebuild.unwrap().command;
    assert_eq!(command[..2], ["cargo", "package"]);
    let args: Vec<&str> = command[1..].iter().map(String::as_str).collect();
    cargo(&args);
    let dist = dist_of(dir);
    for name in ["ordvec-0.5.0.crate", "ordvec-manifest-0.5.0.crate"] {
        std::fs::copy(dir.join("target/package").join(name), dist.join(name)).unwrap();
    }
    for (name, bytes) in ordvec_python_files() {
        std::fs::write(dist.join(name), bytes).unwrap();
    }
    dist
}

/// ordvec's policy for a buildable replica, as shipped: the gate builds the tag in a fresh
/// checkout with CARGO_TARGET_DIR at the checkout's `target/`, so the harness's own
/// CARGO_TARGET_DIR (which this test process may carry) cannot redirect the build.
fn ordvec_rebuild_policy(dir: &Path) -> Policy {
    load("ordvec", dir)
}

#[test]
fn ordvec_every_phase_from_tag_to_consumer() {
    const SEED: [u8; 32] = [0x0e; 32];
    let dir = tempfile::tempdir().unwrap();
    let dist = ordvec_buildable(dir.path());
    // Provenance covers the crates and wheels (`cover = ["crate", "wheel"]`).
    sign_ordvec(&dist, SEED, "release.yml", |_| true);
    let policy = ordvec_rebuild_policy(dir.path());
    let lb = Loopback::for_policy(&policy).unwrap();

    // Before publishing: tag guard, lockstep, CI, changelog, free version; assets, the
    // rebuild with `cargo package --locked` compared byte for byte, signatures, provenance.
    // Then the upload, then readback, order and PEP 740 provenance.
    let tagged = git(dir.path(), &["rev-parse", "v0.5.0^{commit}"]);
    let (before, after) = release_in_order(
        phases_runner(&policy, dir.path(), &dist, "v0.5.0", &lb, &[]),
        || {
            let mut stack = attest::TestStack::new(SEED).unwrap();
            for (kind, package, name) in ORDVEC_ARTIFACTS {
                let bytes = std::fs::read(dist.join(name)).unwrap();
                if kind == DemoKind::Pypi {
                    let doc =
                        pep740_document(&mut stack, ("example/ordvec", &tagged), name, &bytes);
                    lb.demo.publish_provenance(package, "0.5.0", name, doc);
                }
                lb.demo.publish(kind, package, "0.5.0", name, bytes);
            }
        },
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
            "archive-safety",
            "files-covered",
        ],
    );
    assert_passes(
        &after,
        &[
            "publish-order",
            "registry-readback",
            "pep740-attestations",
            "vcs-binding",
        ],
    );

    // The tag's source no longer builds the attested crate: a change landed after the build.
    std::fs::write(dir.path().join("src/lib.rs"), "//! ordvec, changed.\n").unwrap();
    git(
        dir.path(),
        &["commit", "-q", "-am", "change after the release build"],
    );
    git(dir.path(), &["tag", "-f", "v0.5.0", "HEAD"]);
    let lb = Loopback::for_policy(&policy).unwrap();
    let r = run_phases_in(
        &policy,
        dir.path(),
        &dist,
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

/// Runs `phase` of ordvec's `policy` over the replica in `dir` (release folder `dist/`, tag
/// v0.5.0) against `lb`, waiving nothing.
fn ordvec_phase(policy: &Policy, dir: &tempfile::TempDir, phase: Phase, lb: &Loopback) -> Report {
    let dist = dir.path().join("dist");
    run_phases_in(policy, dir.path(), &dist, "v0.5.0", &[phase], lb, &[])
}

/// Signs every artifact of ordvec's release folder `dist` as `workflow`'s run for v0.5.0, with
/// provenance over the crates and wheels (`cover = ["crate", "wheel"]`) that `also_cover`
/// keeps.
fn sign_ordvec(dist: &Path, seed: [u8; 32], workflow: &str, also_cover: impl Fn(&str) -> bool) {
    let names: Vec<String> = ORDVEC_ARTIFACTS
        .iter()
        .map(|(_, _, n)| (*n).to_owned())
        .collect();
    let signer = attest::TestIdentity::github(
        "example/ordvec",
        workflow,
        "refs/tags/v0.5.0",
        "push",
        relkit_demo::DEMO_SIGNED_AT,
    );
    let covered: Vec<String> = names
        .iter()
        .filter(|n| !n.ends_with(".tar.gz") && also_cover(n))
        .cloned()
        .collect();
    relkit_demo::sign_folder(
        dist,
        &relkit_demo::SigningPlan {
            seed,
            files: &names,
            signer: &signer,
            repository: "example/ordvec",
            tag: "v0.5.0",
            covered: &covered,
            provenance: "ordvec.intoto.jsonl",
            registry_subjects: &[],
            trusted_root: &dist.parent().unwrap().join("trusted_root.json"),
        },
    )
    .unwrap();
}

// ---------------------------------------------------------------- ordvec, each check

tampers! {
    /// One way to break ordvec's release.
    enum OrdvecTamper {
        ChangelogSection => ChangelogSectionMissing,
        ActionOnV4 => WorkflowActionFloatingRef,
        ManifestCrateMissing => AssetMissing,
        WheelNotInProvenance => SubjectNotCovered,
        SignedByNightly => IdentityMismatch,
        EnvironmentWithoutReviewer => EnvironmentUnprotected,
    }
}

fn ordvec_tampered(tamper: OrdvecTamper) -> Report {
    use OrdvecTamper as T;
    let dir = tempfile::tempdir().unwrap();
    let dist = ordvec_buildable(dir.path());
    if matches!(tamper, T::ChangelogSection) {
        std::fs::write(
            dir.path().join("CHANGELOG.md"),
            "# Changelog\n\n## [Unreleased]\n\n- Release.\n\n## [0.2.0] - 2026-01-10\n\n- Older.\n",
        )
        .unwrap();
        git(dir.path(), &["commit", "-q", "-am", "changelog"]);
        git(dir.path(), &["tag", "-f", "v0.5.0", "HEAD"]);
    }
    if matches!(tamper, T::ActionOnV4) {
        let pinned = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2";
        let text = ordvec_workflow();
        assert!(text.contains(pinned));
        commit_change(
            dir.path(),
            ".github/workflows/release.yml",
            &text.replace(pinned, "actions/upload-artifact@v4"),
        );
        git(dir.path(), &["tag", "-f", "v0.5.0", "HEAD"]);
    }
    let workflow = if matches!(tamper, T::SignedByNightly) {
        "nightly.yml"
    } else {
        "release.yml"
    };
    sign_ordvec(&dist, [0x0e; 32], workflow, |n| {
        !(matches!(tamper, T::WheelNotInProvenance) && n.starts_with("ordvec_manifest"))
    });
    if matches!(tamper, T::ManifestCrateMissing) {
        std::fs::remove_file(dist.join("ordvec-manifest-0.5.0.crate")).unwrap();
    }
    let policy = ordvec_rebuild_policy(dir.path());
    let lb = Loopback::for_policy(&policy).unwrap();
    if matches!(tamper, T::EnvironmentWithoutReviewer) {
        // Someone removed the required reviewer of the `pypi` environment.
        lb.forge.environment(
            "example/ordvec",
            Environment::new("pypi").tag_pattern("v[0-9]*.[0-9]*.[0-9]*"),
        );
    }
    let stage = [Phase::Preflight, Phase::Prepublish];
    run_phases_in(&policy, dir.path(), &dist, "v0.5.0", &stage, &lb, &[])
}

#[test]
fn ordvec_each_prepublish_check_fails_with_its_code() {
    each_tamper_fails_with(OrdvecTamper::CASES.iter().copied(), |t| {
        Some(ordvec_tampered(t))
    });
}

// ---------------------------------------------------------------- ordvec, runbook and fixtures

/// The ordvec section of the shared fixtures README (`../shared/fixtures/relver/README.md`
/// from the repository root) and its fixture folder; the folder looked in when the README is
/// absent, which fails under `CI=true`.
fn ordvec_fixture_readme() -> Result<(String, PathBuf), PathBuf> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/relver");
    let Ok(text) = std::fs::read_to_string(shared.join("README.md")) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing: CI must have the shared fixtures",
            shared.display()
        );
        return Err(shared);
    };
    let start = text
        .find("## ordvec-v0.5.0/")
        .unwrap_or_else(|| panic!("no ordvec section in {}", shared.display()));
    let rest = &text[start + 3..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    Ok((section.to_owned(), shared.join("ordvec-v0.5.0")))
}

/// The `backticked` words of `text`.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

#[test]
fn ordvec_rebuilds_the_published_crates_and_its_lockstep_is_the_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let policy = load("ordvec", dir.path());
    // The runbook re-packages, with --locked, exactly the crates the release publishes.
    let command = &policy.rebuild.as_ref().unwrap().command;
    let mut packaged: Vec<&str> = command
        .windows(2)
        .filter(|w| w[0] == "-p")
        .map(|w| w[1].as_str())
        .collect();
    packaged.sort_unstable();
    assert_eq!(packaged, ["ordvec", "ordvec-manifest"], "{command:?}");
    assert!(command.iter().any(|a| a == "--locked"), "{command:?}");
    assert!(!command.iter().any(|a| a == "--workspace"), "{command:?}");
    let mut crates: Vec<&str> = policy
        .registries
        .values()
        .filter(|r| r.kind == relgate::policy::RegistryKind::Cargo)
        .map(|r| r.package.as_str())
        .collect();
    crates.sort_unstable();
    assert_eq!(packaged, crates, "every published crate is rebuilt");

    let (section, fixtures) = match ordvec_fixture_readme() {
        Ok(found) => found,
        Err(shared) => {
            println!("skipped: {} is not there (outside CI)", shared.display());
            return;
        }
    };
    let (expected, not_members) = section.split_once("- Must NOT").expect("a Must NOT list");
    let expected = &expected[expected.find("- Expected:").expect("an Expected list")..];
    let files = |text: &str| -> Vec<String> {
        let mut v: Vec<String> = backticked(text)
            .into_iter()
            .filter(|w| fixtures.join(w).is_file())
            .map(str::to_owned)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let sources = &policy
        .versions
        .as_ref()
        .and_then(|v| v.resolved.as_ref())
        .expect("an inline relver configuration")
        .sources;
    let mut members: Vec<String> = sources
        .iter()
        .filter(|s| s.role != relver::Role::Independent)
        .map(|s| s.path.clone())
        .collect();
    members.sort();
    assert_eq!(
        members,
        files(expected),
        "lockstep members vs the fixtures README"
    );
    for path in files(not_members) {
        assert!(!members.contains(&path), "{path} is not a lockstep member");
    }
    // Cargo.lock's entries are the README's.
    let lock_line = expected
        .lines()
        .find(|l| l.contains("`Cargo.lock`:"))
        .expect("a Cargo.lock line");
    let mut listed: Vec<&str> = backticked(lock_line)
        .into_iter()
        .filter(|w| w.starts_with("ordvec"))
        .collect();
    listed.sort_unstable();
    let lock = sources.iter().find(|s| s.path == "Cargo.lock").unwrap();
    let mut packages = lock.packages.clone().unwrap_or_default();
    packages.sort();
    assert_eq!(packages, listed);
}
