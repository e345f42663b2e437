//! SecureScan's runbook (docs/runbooks.md, section 3): preflight and its breakages, signatures
//! pinned to the tag, each check broken.

use std::path::{Path, PathBuf};

use relgate::{Code, Phase, Policy, Report};
use relkit_demo::DemoKind;
use relkit_testkit::github::Release as ForgeRelease;

use crate::setup::*;

// ---------------------------------------------------------------- SecureScan

/// The jobs of SecureScan's release workflow: strictly tag-triggered, no `workflow_dispatch`, `id-token:
/// write` in the signing and publishing jobs only.
/// For [`release_workflow_with_build`]: the build job's own steps first, then the later jobs.
const SECURESCAN_JOBS: &str = r#"      - run: python -m pip install build && python -m build backend --outdir dist
      - uses: actions/upload-artifact@v4
        with:
          name: dist
          path: dist

  sign:
    needs: [build]
    runs-on: ubuntu-24.04
    permissions:
      contents: write
      id-token: write
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: dist
          path: dist
      - uses: sigstore/gh-action-sigstore-python@v3.0.0
        with:
          inputs: ./dist/*.whl ./dist/*.tar.gz

  publish:
    needs: [sign]
    runs-on: ubuntu-24.04
    environment: release
    permissions:
      contents: read
      id-token: write
      packages: write
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: dist
          path: dist
      - run: docker buildx build --platform linux/amd64,linux/arm64 --push .
"#;

/// The release workflow: [`release_workflow_with_build`] with [`SECURESCAN_JOBS`].
fn securescan_workflow() -> String {
    release_workflow_with_build(SECURESCAN_JOBS)
}

fn securescan_files(v: &str, section: &str) -> Vec<(String, String)> {
    vec![
        f(".github/workflows/release.yml", securescan_workflow()),
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
    let (ok, report) = preflight_passes(
        "securescan",
        &securescan_files("0.11.12", "0.11.12"),
        "v0.11.12",
        &[
            "tag-strict-semver",
            "versions-lockstep",
            "changelog-section",
            "workflow-hygiene",
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

// ---------------------------------------------------------------- SecureScan, release notes

/// The section of 0.11.12 in the replica's `CHANGELOG.md`, as relver extracts it.
const SECTION: &str = "### Fixed\n\n- A fix.";

/// SecureScan's release notes for v0.11.12 as its release workflow writes them: the changelog
/// section (`section`) plus the verification commands with the tag substituted.
fn securescan_notes(section: &str) -> String {
    format!(
        "{section}\n\n## Verify\n\n```\npython -m sigstore verify identity --cert-identity https://github.com/example/securescan/.github/workflows/release.yml@refs/tags/v0.11.12 --cert-oidc-issuer https://token.actions.githubusercontent.com securescan-0.11.12-py3-none-any.whl securescan-0.11.12.tar.gz\ncosign verify example/securescan:0.11.12 --certificate-identity https://github.com/example/securescan/.github/workflows/release.yml@refs/tags/v0.11.12 --certificate-oidc-issuer https://token.actions.githubusercontent.com\n```\n"
    )
}

/// Publishes SecureScan's v0.11.12 release with `notes` on the replica's forge.
fn publish_release(lb: &Loopback, notes: &str) {
    lb.forge.release(
        "example/securescan",
        ForgeRelease::published(
            "v0.11.12",
            &[
                "securescan-0.11.12-py3-none-any.whl",
                "securescan-0.11.12.tar.gz",
            ],
        )
        .body(notes),
    );
}

// ---------------------------------------------------------------- SecureScan, signed

/// The SecureScan release folder `dist/` of the replica in `dir`: its wheel and sdist (real
/// archives), each signed by the test stack as the release workflow run started by `trigger`,
/// and the trust root beside it (in the replica's top). Returns the folder.
fn securescan_release(dir: &Path, trigger: &str) -> PathBuf {
    securescan_release_from(dir, "release.yml", trigger)
}

/// [`securescan_release`] signed by `workflow`'s run.
fn securescan_release_from(dir: &Path, workflow: &str, trigger: &str) -> PathBuf {
    let dist = dist_of(dir);
    let mut demo = relkit_demo::DemoRelease::default();
    demo.name = String::from("securescan");
    demo.version = String::from("0.11.12");
    let mut stack = attest::TestStack::new([0x5c; 32]).unwrap();
    let signer = attest::TestIdentity::github(
        "example/securescan",
        workflow,
        "refs/tags/v0.11.12",
        trigger,
        relkit_demo::DEMO_SIGNED_AT,
    );
    for (name, bytes) in demo.artifacts().unwrap() {
        if name.ends_with(".whl") || name.ends_with(".tar.gz") {
            let bundle = stack.sign_blob(&bytes, &signer).unwrap();
            std::fs::write(dist.join(format!("{name}.sigstore.json")), bundle).unwrap();
            std::fs::write(dist.join(&name), bytes).unwrap();
        }
    }
    // The verifier's test root, beside the release folder (never in it).
    std::fs::write(
        dir.join("trusted_root.json"),
        stack.trusted_root_json().unwrap(),
    )
    .unwrap();
    dist
}

#[test]
fn securescan_signatures_pin_the_tag_and_latest_is_never_published() {
    let dir = replica(&securescan_files("0.11.12", "0.11.12"));
    let dist = securescan_release(dir.path(), "push");
    let policy = load("securescan", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    // Published: the index serves the signed files, the image both architectures, signed.
    let (before, after) = release_in_order(
        phases_runner(&policy, dir.path(), &dist, "v0.11.12", &lb, &[]),
        || {
            for name in [
                "securescan-0.11.12-py3-none-any.whl",
                "securescan-0.11.12.tar.gz",
            ] {
                let bytes = std::fs::read(dist.join(name)).unwrap();
                lb.demo
                    .publish(DemoKind::Pypi, "securescan", "0.11.12", name, bytes);
            }
            push_signed_image(
                lb.oci(),
                "example/securescan",
                &["linux/amd64", "linux/arm64"],
                &["0.11.12"],
            );
            publish_release(&lb, &securescan_notes(SECTION));
        },
    );
    assert_passes(
        &before,
        &[
            "tag-strict-semver",
            "versions-lockstep",
            "changelog-section",
            "required-assets-present",
            "signatures-valid",
            "archive-safety",
            "files-covered",
        ],
    );
    assert_passes(
        &after,
        &[
            "registry-readback",
            "oci-platforms",
            "oci-tags",
            "release-notes",
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
    let r = securescan_run(&policy, dir.path(), &dist, &[Phase::Postpublish], &lb);
    assert_eq!(r.root_cause_codes(), [Code::OciTagForbidden]);

    // Signed from a manual workflow_dispatch run: its identity is not the tag's.
    let manual = replica(&securescan_files("0.11.12", "0.11.12"));
    let manual_dist = securescan_release(manual.path(), "workflow_dispatch");
    let r = securescan_run(
        &policy,
        manual.path(),
        &manual_dist,
        &[Phase::Prepublish],
        &lb,
    );
    assert_eq!(r.root_cause_codes(), [Code::TriggerDenied]);
}

/// `phases` of SecureScan's `policy` over its replica in `dir` (release folder `dist`, tag
/// v0.11.12) against `lb`, waiving nothing.
fn securescan_run(
    policy: &Policy,
    dir: &Path,
    dist: &Path,
    phases: &[Phase],
    lb: &Loopback,
) -> Report {
    run_phases_in(policy, dir, dist, "v0.11.12", phases, lb, &[])
}

// ---------------------------------------------------------------- SecureScan, each check

tampers! {
    /// One way to break SecureScan's release.
    enum SecurescanTamper {
        VersionBehind => VersionMismatch,
        ManualTrigger => WorkflowManualTrigger,
        BundleMissing => AssetMissing,
        NightlyWorkflow => IdentityMismatch,
        IndexServesOtherSdist => RegistryBytesDiffer,
        ArmImageMissing => PlatformMissing,
        NotesWithoutSection => ReleaseNotesMissingSection,
    }
}

fn securescan_tampered(tamper: SecurescanTamper) -> Option<Report> {
    use SecurescanTamper as T;
    let pyproject = if matches!(tamper, T::VersionBehind) {
        "0.11.11"
    } else {
        "0.11.12"
    };
    let dir = replica(&securescan_files(pyproject, "0.11.12"));
    if matches!(tamper, T::ManualTrigger) {
        let on = "      - \"v[0-9]+.[0-9]+.[0-9]+\"\n";
        commit_change(
            dir.path(),
            ".github/workflows/release.yml",
            &securescan_workflow().replace(on, &format!("{on}  workflow_dispatch:\n")),
        );
    }
    let workflow = if matches!(tamper, T::NightlyWorkflow) {
        "nightly.yml"
    } else {
        "release.yml"
    };
    let dist = securescan_release_from(dir.path(), workflow, "push");
    if matches!(tamper, T::BundleMissing) {
        std::fs::remove_file(dist.join("securescan-0.11.12.tar.gz.sigstore.json")).unwrap();
    }
    let policy = load("securescan", dir.path());
    let lb = Loopback::for_policy(&policy)?;
    Some(as_far_as_allowed(
        phases_runner(&policy, dir.path(), &dist, "v0.11.12", &lb, &[]),
        || {
            for name in [
                "securescan-0.11.12-py3-none-any.whl",
                "securescan-0.11.12.tar.gz",
            ] {
                let mut bytes = std::fs::read(dist.join(name)).unwrap();
                if matches!(tamper, T::IndexServesOtherSdist) && name.ends_with(".tar.gz") {
                    bytes = python_sdist("securescan", "0.11.12"); // built elsewhere
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
            let notes = if matches!(tamper, T::NotesWithoutSection) {
                // Hand-written notes: the verification commands, not the changelog section.
                securescan_notes("Bug fixes.")
            } else {
                securescan_notes(SECTION)
            };
            publish_release(&lb, &notes);
        },
    ))
}

#[test]
fn securescan_each_check_of_its_runbook_fails_with_its_code() {
    each_tamper_fails_with(SecurescanTamper::CASES.iter().copied(), securescan_tampered);
}
