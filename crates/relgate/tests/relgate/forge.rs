//! The forge gates (`release-notes`, `environment-protection`) and `regclient::forge` through
//! `GithubCi`, against the loopback GitHub fake.

use std::sync::Arc;

use regclient::forge::{DeploymentPolicy, PatternKind};
use relgate::{Code, GateStatus, Phase, Policy, Report, RunContext, RunOptions, gates::GithubCi};
use relkit_testkit::github::{Environment, GithubFake, Release, Reply};

const TOKEN: &str = "t0ken-forge-secret";
const SECTION: &str = "### Fixed\n\n- Scans no longer stop at the first symlink.";
const TAG_GLOB: &str = "v[0-9]*.[0-9]*.[0-9]*";

fn changelog() -> String {
    format!(
        "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-05-03\n\n{SECTION}\n\n## [1.1.0] - 2026-04-01\n\n### Added\n\n- Scans.\n"
    )
}

fn notes(section: &str) -> String {
    format!(
        "{section}\n\n## Verify\n\npip install scan==1.2.0\ngh attestation verify scan-1.2.0.whl --repo o/r --source-ref refs/tags/v1.2.0\n"
    )
}

fn ci(fake: &GithubFake) -> GithubCi {
    GithubCi::new(fake.base(), "o/r").unwrap().with_token(TOKEN)
}

/// Runs `phase` of `policy` for tag v1.2.0 with the source tree holding the changelog.
async fn run(policy: &str, phase: Phase, fake: &GithubFake) -> Report {
    let policy = Policy::from_toml_str(policy, "release.toml").unwrap();
    let source = tempfile::tempdir().unwrap();
    std::fs::write(source.path().join("CHANGELOG.md"), changelog()).unwrap();
    let release = tempfile::tempdir().unwrap();
    let ctx = RunContext::new(release.path())
        .source_dir(source.path())
        .tag("v1.2.0")
        .options(RunOptions::default().phases([phase]))
        .ci_provider(Arc::new(ci(fake)));
    relgate::run(&policy, ctx).await
}

const NOTES_POLICY: &str = "[project]\nname = \"scan\"\n[release-notes]\nrequire-lines = [\"pip install scan=={version}\", \"gh attestation verify scan-{version}.whl --repo o/r --source-ref refs/tags/{tag}\"]\n";

fn codes(report: &Report, gate: &str) -> Vec<Code> {
    let g = report.gate(gate).unwrap();
    g.findings.iter().map(|f| f.finding.code).collect()
}

fn notes_fake(body: Option<&str>) -> GithubFake {
    let fake = GithubFake::start();
    fake.token(TOKEN);
    fake.release("o/r", Release::published("v1.1.0", &[]).body("old"));
    if let Some(body) = body {
        fake.release("o/r", Release::published("v1.2.0", &[]).draft().body(body));
    }
    fake
}

#[tokio::test]
async fn release_notes_pass_with_the_section_and_every_line() {
    let fake = notes_fake(Some(&notes(SECTION)));
    let r = run(NOTES_POLICY, Phase::Postpublish, &fake).await;
    let g = r.gate("release-notes").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{g:?}");
    assert!(codes(&r, "release-notes").is_empty());
    // The body reached relgate through regclient's typed release.
    let provider = ci(&fake);
    let release = relgate::gates::CiProvider::release(&provider, "v1.2.0");
    assert_eq!(
        release.await.unwrap().unwrap().body.as_deref(),
        Some(notes(SECTION).as_str())
    );
}

#[tokio::test]
async fn release_notes_each_rule_fails_with_its_code() {
    // The section edited by one byte.
    let edited = notes(&SECTION.replace("symlink.", "symlink!"));
    let r = run(NOTES_POLICY, Phase::Postpublish, &notes_fake(Some(&edited))).await;
    assert_eq!(
        codes(&r, "release-notes"),
        [Code::ReleaseNotesMissingSection]
    );
    assert_eq!(r.root_cause_codes(), [Code::ReleaseNotesMissingSection]);

    // The install line names another version.
    let stale = notes(SECTION).replace("scan==1.2.0", "scan==1.1.0");
    let r = run(NOTES_POLICY, Phase::Postpublish, &notes_fake(Some(&stale))).await;
    assert_eq!(codes(&r, "release-notes"), [Code::ReleaseNotesMissingLine]);

    // No release for the tag.
    let r = run(NOTES_POLICY, Phase::Postpublish, &notes_fake(None)).await;
    assert_eq!(codes(&r, "release-notes"), [Code::ReleaseMissing]);
}

const ENV_POLICY: &str = "[project]\nname = \"ordvec\"\n[release]\nimmutable-releases = true\n[environments.pypi]\nrequired-reviewers = true\ntag-pattern = \"v[0-9]*.[0-9]*.[0-9]*\"\n[environments.crates]\ntag-pattern = \"v[0-9]*.[0-9]*.[0-9]*\"\n";

fn protected(name: &str) -> Environment {
    Environment::new(name)
        .reviewer("maintainer")
        .tag_pattern(TAG_GLOB)
}

fn env_fake() -> GithubFake {
    let fake = GithubFake::start();
    fake.token(TOKEN);
    fake.max_per_page(1);
    fake.environment("o/r", protected("pypi"));
    fake.environment("o/r", protected("crates"));
    fake.immutable_releases("o/r", true);
    fake
}

#[tokio::test]
async fn environments_are_read_as_github_describes_them() {
    let fake = env_fake();
    fake.environment(
        "o/r",
        Environment::new("docs")
            .reviewer("a")
            .reviewer("b")
            .branch_pattern("main")
            .tag_pattern("v*"),
    );
    let env = relgate::gates::CiProvider::environment(&ci(&fake), "docs")
        .await
        .unwrap()
        .unwrap();
    assert!(env.required_reviewers);
    let names: Vec<&str> = env.reviewers.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    // Two patterns, one per page: both pages were read.
    match &env.deployment {
        DeploymentPolicy::Custom(p) => {
            let kinds: Vec<(&str, PatternKind)> =
                p.iter().map(|p| (p.name.as_str(), p.kind)).collect();
            assert_eq!(
                kinds,
                [("main", PatternKind::Branch), ("v*", PatternKind::Tag)]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.tag_patterns(), ["v*"]);
    let none = relgate::gates::CiProvider::environment(&ci(&fake), "gone").await;
    assert_eq!(none.unwrap(), None);
    assert!(
        relgate::gates::CiProvider::immutable_releases(&ci(&fake))
            .await
            .unwrap()
    );
    let bearer = format!("Bearer {TOKEN}");
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(bearer.as_str()))
    );
}

#[tokio::test]
async fn environment_protection_passes_when_protected_as_the_policy_says() {
    let r = run(ENV_POLICY, Phase::Preflight, &env_fake()).await;
    let g = r.gate("environment-protection").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{g:?}");
    assert_eq!(g.evidence["immutable_releases"], true);
}

/// One way to break the fake's protection.
type Tamper = dyn Fn(&GithubFake);

#[tokio::test]
async fn environment_protection_each_rule_fails_with_its_code() {
    let cases: Vec<(&str, Box<Tamper>, Code)> = vec![
        (
            "no pypi environment",
            Box::new(|f| f.environment("o/r", Environment::new("other"))),
            Code::EnvironmentMissing,
        ),
        (
            "no reviewer",
            Box::new(|f| f.environment("o/r", Environment::new("pypi").tag_pattern(TAG_GLOB))),
            Code::EnvironmentUnprotected,
        ),
        (
            "a reviewers rule naming nobody",
            Box::new(|f| {
                f.environment(
                    "o/r",
                    Environment::new("pypi")
                        .empty_reviewers_rule()
                        .tag_pattern(TAG_GLOB),
                )
            }),
            Code::EnvironmentUnprotected,
        ),
        (
            "a wider tag pattern",
            Box::new(|f| {
                f.environment(
                    "o/r",
                    Environment::new("crates").reviewer("m").tag_pattern("v*"),
                )
            }),
            Code::EnvironmentTagPolicy,
        ),
        (
            "a branch may deploy too",
            Box::new(|f| {
                f.environment("o/r", protected("crates").branch_pattern("main"));
            }),
            Code::EnvironmentTagPolicy,
        ),
        (
            "protected branches instead of the tag",
            Box::new(|f| {
                f.environment(
                    "o/r",
                    Environment::new("crates")
                        .reviewer("m")
                        .protected_branches(),
                )
            }),
            Code::EnvironmentTagPolicy,
        ),
        (
            "mutable releases",
            Box::new(|f| f.immutable_releases("o/r", false)),
            Code::ReleasesMutable,
        ),
    ];
    for (what, tamper, code) in cases {
        let fake = env_fake();
        if what == "no pypi environment" {
            // Start again without pypi.
            let bare = GithubFake::start();
            bare.token(TOKEN);
            bare.environment("o/r", protected("crates"));
            bare.immutable_releases("o/r", true);
            tamper(&bare);
            let r = run(ENV_POLICY, Phase::Preflight, &bare).await;
            assert_eq!(codes(&r, "environment-protection"), [code], "{what}");
            continue;
        }
        tamper(&fake);
        let r = run(ENV_POLICY, Phase::Preflight, &fake).await;
        assert_eq!(codes(&r, "environment-protection"), [code], "{what}");
        assert_eq!(r.root_cause_codes(), [code], "{what}");
    }
}

#[tokio::test]
async fn forge_errors_fail_both_gates_closed_and_never_show_the_token() {
    for status in [401u16, 404, 500] {
        let fake = GithubFake::with_handler(move |_, _| {
            Reply::error(status, "no", "https://docs.github.com/rest")
        });
        for (policy, phase, gate) in [
            (ENV_POLICY, Phase::Preflight, "environment-protection"),
            (NOTES_POLICY, Phase::Postpublish, "release-notes"),
        ] {
            let r = run(policy, phase, &fake).await;
            let g = r.gate(gate).unwrap();
            // A 404 for an environment is "missing" (a finding), for the release list "no
            // release" (a finding): both block. Anything else is an error.
            if status == 404 {
                assert_eq!(g.status, GateStatus::Fail, "{gate} {status}: {g:?}");
            } else {
                assert_eq!(g.status, GateStatus::Error, "{gate} {status}: {g:?}");
                assert_eq!(r.root_cause_codes(), [Code::GateError], "{gate} {status}");
            }
            assert_eq!(r.decision.status, relgate::RunStatus::Blocked);
            let shown = format!("{r:?}{}", serde_json::to_string(&r).unwrap());
            assert!(!shown.contains(TOKEN), "{gate} {status}");
        }
    }
}

#[tokio::test]
async fn without_a_forge_provider_both_gates_error() {
    for (policy, phase, gate) in [
        (ENV_POLICY, Phase::Preflight, "environment-protection"),
        (NOTES_POLICY, Phase::Postpublish, "release-notes"),
    ] {
        let policy = Policy::from_toml_str(policy, "release.toml").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ctx = RunContext::new(dir.path())
            .tag("v1.2.0")
            .options(RunOptions::default().phases([phase]));
        let r = relgate::run(&policy, ctx).await;
        assert_eq!(r.gate(gate).unwrap().status, GateStatus::Error, "{gate}");
    }
}

#[test]
fn forge_sections_are_validated() {
    for (text, key) in [
        (
            "[project]\nname = \"p\"\n[release-notes]\nrequire-lines = [\"  \"]\n",
            "release-notes.require-lines",
        ),
        (
            "[project]\nname = \"p\"\n[environments.pypi]\ntag-pattern = \"\"\n",
            "environments.pypi.tag-pattern",
        ),
    ] {
        let err = Policy::from_toml_str(text, "release.toml").unwrap_err();
        assert!(err.to_string().contains(key), "{err}");
    }
    let p = Policy::from_toml_str(ENV_POLICY, "release.toml").unwrap();
    assert!(p.environments["crates"].required_reviewers);
    assert!(p.release.immutable_releases);
    let ids: Vec<String> = p.required_gates().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["environment-protection"]);
    let p = Policy::from_toml_str(NOTES_POLICY, "release.toml").unwrap();
    let ids: Vec<String> = p.required_gates().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["release-notes"]);
}
