//! The gateway's runbook (docs/runbooks.md, section 4): preflight over its replica, its images
//! and the forge release, every phase from conventional commits on, each check broken.

use std::path::Path;

use relgate::{Code, Phase, Policy, Report};

use crate::setup::*;

// ---------------------------------------------------------------- gateway

/// The jobs of the gateway's release workflow: tag-triggered; only the job that attests the two images
/// may mint an OIDC token.
const GATEWAY_JOBS: &str = r#"  images:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      packages: write
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: docker buildx bake --push gateway admin-ui

  attest:
    needs: [images]
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      id-token: write
      packages: write
    steps:
      - run: cosign attest --yes --predicate provenance.json "$GATEWAY_DIGEST" && cosign attest --yes --predicate provenance.json "$ADMIN_UI_DIGEST"

  release:
    needs: [attest]
    runs-on: ubuntu-24.04
    permissions:
      contents: write
    steps:
      - run: gh release create "$GITHUB_REF_NAME" --draft --notes-file notes.md
"#;

/// The release workflow: [`release_workflow`] with [`GATEWAY_JOBS`].
fn gateway_workflow() -> String {
    release_workflow(GATEWAY_JOBS)
}

/// The image job of [`gateway_workflow`] given `id-token: write` (a tamper).
fn gateway_workflow_with_a_leaky_build() -> String {
    gateway_workflow().replace(
        "  images:\n    runs-on: ubuntu-24.04\n    permissions:\n      contents: read\n",
        "  images:\n    runs-on: ubuntu-24.04\n    permissions:\n      contents: read\n      id-token: write\n",
    )
}

fn gateway_files(v: &str, lock: &str) -> Vec<(String, String)> {
    vec![
        f(".github/workflows/release.yml", gateway_workflow()),
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
            "workflow-hygiene",
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

// ---------------------------------------------------------------- gateway, published

/// A gateway replica tagged v1.8.0 and its policy.
fn gateway_tagged() -> (tempfile::TempDir, Policy) {
    let dir = replica(&gateway_files("1.8.0", "1.8.0"));
    git(dir.path(), &["tag", "v1.8.0", "HEAD"]);
    let policy = load("gateway", dir.path());
    (dir, policy)
}

/// Postpublish over the replica in `dir` once its images went out for `platforms` to `lb`.
fn gateway_postpublish(
    dir: &tempfile::TempDir,
    policy: &Policy,
    lb: &Loopback,
    platforms: &[&str],
) -> Report {
    let dist = dist_of(dir.path());
    gateway_images(lb, &dist, platforms);
    let stage = [Phase::Postpublish];
    run_phases_in(policy, dir.path(), &dist, "v1.8.0", &stage, lb, &[])
}

#[test]
fn gateway_images_carry_their_platforms_and_the_release_exists() {
    let (dir, policy) = gateway_tagged();
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    let r = gateway_postpublish(&dir, &policy, &lb, &["linux/amd64", "linux/arm64"]);
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
    let (dir, policy) = gateway_tagged();
    let lb2 = Loopback::for_policy(&policy).unwrap();
    let r = gateway_postpublish(&dir, &policy, &lb2, &["linux/amd64"]);
    assert_eq!(r.root_cause_codes(), [Code::PlatformMissing]);
    let f = &r.gate("oci-platforms").unwrap().findings[0].finding;
    assert!(f.subject.ends_with("linux/arm64"), "{f:?}");
}

// ---------------------------------------------------------------- gateway, every phase

/// Builds and pushes the gateway's two images (by digest, tagged 1.8.0; the admin UI for
/// `admin_platforms`), signed, and writes their provenance (subjects: the pushed index digests)
/// and the trust root into the release folder `dist`, as the tag's release run does.
fn gateway_images(lb: &Loopback, dist: &Path, admin_platforms: &[&str]) {
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
        relkit_demo::DEMO_SIGNED_AT,
    );
    relkit_demo::sign_folder(
        dist,
        &relkit_demo::SigningPlan {
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
            trusted_root: &dist.parent().unwrap().join("trusted_root.json"),
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
    let dist = dist_of(dir.path());
    gateway_images(&lb, &dist, &["linux/amd64", "linux/arm64"]);
    let (before, after) = release_in_order(
        phases_runner(&policy, dir.path(), &dist, "v1.8.0", &lb, GATEWAY_WAIVERS),
        || {
            // The release run tags the commit and creates the (draft) forge release.
            git(dir.path(), &["tag", "v1.8.0", "HEAD"]);
        },
    );
    assert_passes(
        &before,
        &[
            "conventional-commits",
            "conventional-version",
            "ci-green",
            "tag-not-existing",
            "files-covered",
        ],
    );
    assert_passes(
        &after,
        &["oci-platforms", "oci-tags", "forge-release-exists"],
    );
}

// ---------------------------------------------------------------- gateway, each check

tampers! {
    /// One way to break the gateway's release.
    enum GatewayTamper {
        TagAlreadyThere => TagAlreadyExists,
        ChangelogNotRegenerated => ChangelogSectionMissing,
        NoForgeRelease => ReleaseMissing,
        AdminUiRebuilt => SubjectNotCovered,
        CiRed => CiNotGreen,
        LeakyBuildJob => WorkflowIdTokenOutsideSigning,
    }
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
    if matches!(tamper, T::LeakyBuildJob) {
        // The image build job may mint an OIDC token: only the attesting job may.
        std::fs::write(
            dir.path().join(".github/workflows/release.yml"),
            gateway_workflow_with_a_leaky_build(),
        )
        .unwrap();
        git(
            dir.path(),
            &["commit", "-q", "-am", "ci: sign in the image job"],
        );
    }
    let policy = load("gateway", dir.path());
    let lb = Loopback::for_policy(&policy)?;
    let dist = dist_of(dir.path());
    gateway_images(&lb, &dist, &["linux/amd64", "linux/arm64"]);
    let waive = GATEWAY_WAIVERS;
    Some(as_far_as_allowed(
        phases_runner(&policy, dir.path(), &dist, "v1.8.0", &lb, waive),
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
    each_tamper_fails_with(GatewayTamper::CASES.iter().copied(), gateway_tampered);
}
