//! AdvisoryHub's runbook (docs/runbooks.md, section 2): preflight over its replica, its image
//! and tags, every phase with its attachments, image and chart, each check broken.

use std::path::Path;

use relgate::{Code, Phase, Policy, Report};

use crate::setup::*;

// ---------------------------------------------------------------- AdvisoryHub

/// The jobs of AdvisoryHub's release workflow: `id-token: write` in the provenance and publish jobs only.
/// For [`release_workflow_with_build`]: the build job's own steps first, then the later jobs.
const ADVISORYHUB_JOBS: &str = r#"      - run: uv build && helm package charts/advisoryhub --destination dist

  provenance:
    needs: [build]
    runs-on: ubuntu-24.04
    permissions:
      contents: write
      id-token: write
    steps:
      - run: cosign attest-blob --yes --predicate provenance.json dist/*

  publish:
    needs: [provenance]
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      id-token: write
      packages: write
    steps:
      - run: helm push dist/*.tgz "oci://$REGISTRY/example/charts" && cosign sign --yes "$IMAGE"
"#;

/// The release workflow: [`release_workflow_with_build`] with [`ADVISORYHUB_JOBS`].
fn advisoryhub_workflow() -> String {
    release_workflow_with_build(ADVISORYHUB_JOBS)
}

fn advisoryhub_files(v: &str, app: &str) -> Vec<(String, String)> {
    vec![
        f(".github/workflows/release.yml", advisoryhub_workflow()),
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

/// What `mike deploy --push --update-aliases <version> latest` leaves on `gh-pages` after
/// deploying each of `versions` in turn (the last one `latest`): a folder per version, `latest/`
/// redirecting to it, and `versions.json` newest first. Written into the replica in `dir` as its
/// `gh-pages` branch (fetched from a scratch repository; the replica's work tree is untouched).
/// relgate's `docs-published` tests check this layout against mike's own.
fn deploy_docs(dir: &Path, versions: &[&str]) {
    let site = tempfile::tempdir().unwrap();
    git(site.path(), &["init", "-q", "-b", "gh-pages"]);
    let write = |path: &str, text: &str| {
        let p = site.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let redirect = |to: &str| {
        format!(
            "<!DOCTYPE html>\n<html><head><meta http-equiv=\"refresh\" content=\"0; url={to}\"></head></html>\n"
        )
    };
    let mut entries = Vec::new();
    for (i, v) in versions.iter().enumerate().rev() {
        write(
            &format!("{v}/index.html"),
            &format!("<h1>AdvisoryHub {v}</h1>\n"),
        );
        let aliases = if i + 1 == versions.len() {
            vec!["latest"]
        } else {
            vec![]
        };
        entries.push(serde_json::json!({"version": v, "title": v, "aliases": aliases}));
    }
    if let Some(last) = versions.last() {
        write("latest/index.html", &redirect(&format!("../{last}/")));
    }
    write("index.html", &redirect("latest/"));
    write(
        "versions.json",
        &serde_json::Value::Array(entries).to_string(),
    );
    git(site.path(), &["add", "."]);
    git(site.path(), &["commit", "-q", "-m", "Deployed docs"]);
    let from = site.path().to_str().unwrap();
    git(dir, &["fetch", "-q", from, "+gh-pages:gh-pages"]);
}

#[test]
fn advisoryhub_preflight_passes_and_a_stale_app_version_fails() {
    preflight_passes(
        "advisoryhub",
        &advisoryhub_files("2.3.1", "2.3.1"),
        "v2.3.1",
        &["tag-strict-semver", "versions-lockstep", "workflow-hygiene"],
    );
    // The build job may not mint an OIDC token.
    let leaky = replica(&advisoryhub_files("2.3.1", "2.3.1"));
    commit_change(
        leaky.path(),
        ".github/workflows/release.yml",
        &advisoryhub_workflow().replace(
            "  build:\n    runs-on: ubuntu-24.04\n",
            "  build:\n    runs-on: ubuntu-24.04\n    permissions:\n      id-token: write\n",
        ),
    );
    let report = preflight("advisoryhub", leaky.path(), "v2.3.1", &[]);
    assert_eq!(
        report.root_cause_codes(),
        [Code::WorkflowIdTokenOutsideSigning]
    );

    let finding = the_version_mismatch(
        "advisoryhub",
        &advisoryhub_files("2.3.1", "0.1.0"),
        "v2.3.1",
    );
    assert_eq!(
        finding
            .location
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("charts/advisoryhub/Chart.yaml:4:13 appVersion"),
        "{finding:?}"
    );
    assert_eq!(finding.found.as_deref(), Some("0.1.0"));
}

// ---------------------------------------------------------------- AdvisoryHub, published

#[test]
fn advisoryhub_waits_for_its_image_and_both_tags_point_at_it() {
    let dir = replica(&advisoryhub_files("2.3.1", "2.3.1"));
    deploy_docs(dir.path(), &["2.3.0", "2.3.1"]);
    // The release run attested the image it is about to push.
    let dist = dist_of(dir.path());
    sign_advisoryhub(&dist, &[], &[]);
    let policy = load("advisoryhub", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    push_signed_chart(lb.oci(), "example/charts/advisoryhub", "2.3.1");
    // The image lands a moment after the release run starts: the run waits for it.
    let r = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            push_advisoryhub_image(&lb);
        });
        advisoryhub_postpublish(&policy, dir.path(), &dist, &lb)
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
    let r = advisoryhub_postpublish(&policy, dir.path(), &dist, &lb);
    assert_eq!(r.root_cause_codes(), [Code::OciTagMissing]);

    // The chart never arrives: the release does not exist without it.
    let mut quick = policy.clone();
    for rule in quick.registries.values_mut() {
        rule.visible_within_secs = Some(2);
    }
    let lb = Loopback::for_policy(&quick).unwrap();
    push_advisoryhub_image(&lb);
    let r = advisoryhub_postpublish(&quick, dir.path(), &dist, &lb);
    assert_eq!(r.root_cause_codes(), [Code::NotVisible]);
}

// ---------------------------------------------------------------- AdvisoryHub, every phase

#[test]
fn advisoryhub_every_phase_with_its_attachments_image_and_chart() {
    let dir = replica(&advisoryhub_files("2.3.1", "2.3.1"));
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let chart = "advisoryhub-2.3.1.tgz";
    std::fs::write(dist.join(chart), helm_chart("advisoryhub", "2.3.1")).unwrap();
    // The CycloneDX dependency SBOM names advisoryhub 2.3.1 and the chart's sha256.
    let sbom = crate::sbom::cyclonedx_sbom(&dist, "advisoryhub", "2.3.1", &[chart]);
    std::fs::write(dist.join("advisoryhub-2.3.1.cdx.json"), sbom).unwrap();
    sign_advisoryhub(&dist, &[chart, "advisoryhub-2.3.1.cdx.json"], &[chart]);
    write_checksums(&dist);
    let policy = load("advisoryhub", dir.path());
    let Some(lb) = Loopback::for_policy(&policy) else {
        return;
    };
    // Published: the image under X.Y.Z and X.Y, the chart with the attested bytes, both signed.
    let (before, after) = release_in_order(
        phases_runner(&policy, dir.path(), &dist, "v2.3.1", &lb, &[]),
        || {
            publish_advisoryhub(&lb, true, b"{\"critical\":{}}");
            deploy_docs(dir.path(), &["2.3.0", "2.3.1"]);
        },
    );
    assert_passes(
        &before,
        &[
            "versions-lockstep",
            "checksum-file",
            "required-assets-present",
            "signatures-valid",
            "provenance-valid",
            "archive-safety",
            "sbom-valid",
            "files-covered",
        ],
    );
    assert_passes(
        &after,
        &[
            "registry-visible",
            "registry-readback",
            "oci-platforms",
            "oci-tags",
            "docs-published",
        ],
    );
    // The chart on the registry is not the attested one.
    let lb2 = Loopback::for_policy(&policy).unwrap();
    push_advisoryhub_image(&lb2);
    push_signed_chart(lb2.oci(), "example/charts/advisoryhub", "2.3.1");
    let r = advisoryhub_postpublish(&policy, dir.path(), &dist, &lb2);
    assert_eq!(r.root_cause_codes(), [Code::RegistryBytesDiffer]);
}

/// Signs `files` of AdvisoryHub's release folder `dist` as its v2.3.1 release run, with
/// provenance over `covered` and the amd64 image the run is about to push.
fn sign_advisoryhub(dist: &Path, files: &[&str], covered: &[&str]) {
    let release = Release {
        repository: "example/advisoryhub",
        tag: "v2.3.1",
        trigger: "push",
    };
    let images = [image("example/advisoryhub", &["linux/amd64"])];
    sign_release(
        dist,
        release,
        files,
        covered,
        "advisoryhub.intoto.jsonl",
        &images,
    );
}

/// Postpublish of `policy` over AdvisoryHub's replica in `dir` (release folder `dist`, tag
/// v2.3.1) against `lb`.
fn advisoryhub_postpublish(policy: &Policy, dir: &Path, dist: &Path, lb: &Loopback) -> Report {
    run_phases_in(policy, dir, dist, "v2.3.1", &[Phase::Postpublish], lb, &[])
}

/// AdvisoryHub's amd64 image pushed and signed under X.Y.Z and X.Y.
fn push_advisoryhub_image(lb: &Loopback) {
    push_signed_image(
        lb.oci(),
        "example/advisoryhub",
        &["linux/amd64"],
        &["2.3.1", "2.3"],
    );
}

/// AdvisoryHub's upload: the image under X.Y.Z and X.Y (signed when `sign_image`), and the
/// chart with the attested bytes, signed with the cosign payload `chart_signature`.
fn publish_advisoryhub(lb: &Loopback, sign_image: bool, chart_signature: &[u8]) {
    if sign_image {
        push_advisoryhub_image(lb);
    } else {
        lb.oci()
            .push_index("example/advisoryhub", &["linux/amd64"], &["2.3.1", "2.3"])
            .unwrap();
    }
    let pushed = lb
        .oci()
        .push_chart(
            "example/charts/advisoryhub",
            "2.3.1",
            &helm_chart("advisoryhub", "2.3.1"),
        )
        .unwrap();
    let digest = artidigest::Digest::from_oci(pushed["digest"].as_str().unwrap()).unwrap();
    lb.oci()
        .push_cosign_signature("example/charts/advisoryhub", &digest, chart_signature)
        .unwrap();
}

// ---------------------------------------------------------------- AdvisoryHub, each check

tampers! {
    /// One way to break AdvisoryHub's release.
    enum AdvisoryhubTamper {
        PrereleaseTag => TagNotStrictSemver,
        ChecksumStale => DigestMismatch,
        SbomMissing => AssetMissing,
        SignedByFork => IdentityMismatch,
        ChartNotInProvenance => SubjectNotCovered,
        ImageUnsigned => SignatureMissing,
        SbomOtherVersion => SbomComponentMismatch,
        DocsWithoutVersion => DocsVersionMissing,
    }
}

fn advisoryhub_tampered(tamper: AdvisoryhubTamper) -> Option<Report> {
    use AdvisoryhubTamper as T;
    let dir = replica(&advisoryhub_files("2.3.1", "2.3.1"));
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let chart = "advisoryhub-2.3.1.tgz";
    let sbom = "advisoryhub-2.3.1.cdx.json";
    std::fs::write(dist.join(chart), helm_chart("advisoryhub", "2.3.1")).unwrap();
    let sbom_version = if matches!(tamper, T::SbomOtherVersion) {
        "2.3.0"
    } else {
        "2.3.1"
    };
    let bom = crate::sbom::cyclonedx_sbom(&dist, "advisoryhub", sbom_version, &[chart]);
    std::fs::write(dist.join(sbom), bom).unwrap();
    let signer = attest::TestIdentity::github(
        if matches!(tamper, T::SignedByFork) {
            "example/fork"
        } else {
            "example/advisoryhub"
        },
        "release.yml",
        "refs/tags/v2.3.1",
        "push",
        relkit_demo::DEMO_SIGNED_AT,
    );
    let covered: Vec<String> = if matches!(tamper, T::ChartNotInProvenance) {
        vec![sbom.to_owned()]
    } else {
        vec![chart.to_owned()]
    };
    relkit_demo::sign_folder(
        &dist,
        &relkit_demo::SigningPlan {
            seed: [0x0f; 32],
            files: &[chart.to_owned(), sbom.to_owned()],
            signer: &signer,
            repository: "example/advisoryhub",
            tag: "v2.3.1",
            covered: &covered,
            provenance: "advisoryhub.intoto.jsonl",
            registry_subjects: &[image("example/advisoryhub", &["linux/amd64"])],
            trusted_root: &dist.parent().unwrap().join("trusted_root.json"),
        },
    )
    .unwrap();
    write_checksums(&dist);
    match tamper {
        // The chart was packaged again after `checksums.txt` was written: a well-formed chart,
        // but not the bytes the checksum file names.
        T::ChecksumStale => {
            let rebuilt = tar_gz(
                chart,
                &[
                    (
                        "advisoryhub/Chart.yaml".to_owned(),
                        b"apiVersion: v2\nname: advisoryhub\nversion: 2.3.1\nappVersion: \"2.3.1\"\n"
                            .to_vec(),
                    ),
                    (
                        "advisoryhub/values.yaml".to_owned(),
                        b"replicas: 3\n".to_vec(),
                    ),
                ],
            );
            std::fs::write(dist.join(chart), rebuilt).unwrap();
        }
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
        phases_runner(&policy, dir.path(), &dist, tag, &lb, &[]),
        || {
            publish_advisoryhub(&lb, !matches!(tamper, T::ImageUnsigned), b"{}");
            // The docs job deployed the previous release only.
            let docs: &[&str] = if matches!(tamper, T::DocsWithoutVersion) {
                &["2.3.0"]
            } else {
                &["2.3.0", "2.3.1"]
            };
            deploy_docs(dir.path(), docs);
        },
    ))
}

#[test]
fn advisoryhub_each_check_of_its_runbook_fails_with_its_code() {
    each_tamper_fails_with(
        AdvisoryhubTamper::CASES.iter().copied(),
        advisoryhub_tampered,
    );
}
