//! `GithubCi` against an in-process loopback server answering like GitHub's REST API.

use std::sync::Arc;

use crate::support::{assert_error_says, finding_subjects};
use relgate::{
    Code, GateStatus, Policy, RunContext, RunStatus,
    gates::{CiError, CiProvider, GithubCi},
};
use relkit_testkit::github::{GithubFake, Release, Reply, Run};

const HEAD: &str = "1111111111111111111111111111111111111111";
const OTHER: &str = "2222222222222222222222222222222222222222";
const TAG_OBJ: &str = "3333333333333333333333333333333333333333";

/// A repository where main's head is HEAD, tag v1.0.0 is annotated (peels to HEAD),
/// tag v0.9.0 is lightweight at OTHER, push runs for HEAD come two to a page, and the
/// releases (newest first) put the draft for v1.0.0 on the second page.
fn happy() -> GithubFake {
    let fake = GithubFake::start();
    fake.max_per_page(2);
    fake.token("t0ken");
    fake.branch("o/r", "main", HEAD);
    fake.annotated_tag("o/r", "v1.0.0", TAG_OBJ, HEAD);
    fake.lightweight_tag("o/r", "v0.9.0", OTHER);
    // Listed newest first: the last added comes first.
    for run in [
        Run::push(14, "release.yml", HEAD)
            .named("Release")
            .completed("cancelled"),
        Run::push(13, "fuzz.yml", HEAD)
            .named("Fuzz")
            .completed("success"),
        Run::push(12, "docs.yml", HEAD).named("Docs").in_progress(),
        Run::push(11, "ci.yml", HEAD)
            .named("CI")
            .completed("success"),
        Run::push(10, "ci.yml", HEAD)
            .named("CI")
            .event("workflow_dispatch")
            .completed("success"),
    ] {
        fake.run("o/r", run);
    }
    fake.release("o/r", Release::published("v0.9.0", &[]));
    fake.release(
        "o/r",
        Release::published("v1.0.0", &["app-1.0.0.tar.gz", "SHA256SUMS"]).draft(),
    );
    fake.release("o/r", Release::published("v1.1.0-rc.1", &[]).prerelease());
    fake.release("o/r", Release::published("v1.1.0-rc.2", &[]).prerelease());
    fake
}

fn policy(workflows: &[&str]) -> Policy {
    let list: Vec<String> = workflows.iter().map(|w| format!("\"{w}\"")).collect();
    Policy::from_toml_str(
        &format!(
            "[project]\nname = \"p\"\n[ci]\nbranch = \"main\"\nworkflows = [{}]\n",
            list.join(", ")
        ),
        "release.toml",
    )
    .unwrap()
}

/// Asserts that `ci`'s request for the branch head is refused with HTTP `status` and GitHub's
/// `message`, and that the error does not show the `token`.
async fn refused(ci: &GithubCi, status: u16, message: &str, token: &str) {
    let err = ci.branch_head("main").await.unwrap_err();
    assert!(
        matches!(err, CiError::Status { status: s, message: ref m, .. } if s == status && m == message),
        "{err:?}"
    );
    assert!(!err.to_string().contains(token));
}

/// A client of `o/r` on `server`, sending `token`.
fn client(server: &GithubFake, token: &str) -> GithubCi {
    GithubCi::new(server.base(), "o/r")
        .unwrap()
        .with_token(token)
}

async fn run_ci(server: &GithubFake, workflows: &[&str], tag: &str) -> relgate::Report {
    let ci = client(server, "t0ken");
    let ctx = RunContext::new(std::env::temp_dir())
        .tag(tag)
        .ci_provider(Arc::new(ci));
    relgate::run(&policy(workflows), ctx).await
}

#[tokio::test]
async fn provider_peels_annotated_tags_and_follows_pages_with_the_token() {
    let server = happy();
    let ci = client(&server, "t0ken");
    assert_eq!(ci.branch_head("main").await.unwrap(), HEAD);
    assert_eq!(
        ci.tag_commit("v1.0.0").await.unwrap().as_deref(),
        Some(HEAD)
    );
    assert_eq!(
        ci.tag_commit("v0.9.0").await.unwrap().as_deref(),
        Some(OTHER)
    );
    assert_eq!(ci.tag_commit("v9.9.9").await.unwrap(), None);
    let runs = ci.push_runs(HEAD).await.unwrap();
    let ids: Vec<u64> = runs.iter().map(|r| r.id).collect();
    assert_eq!(ids, [11, 12, 13, 14]);
    assert!(runs[2].is_workflow("fuzz.yml") && runs[2].is_workflow("Fuzz"));
    let log = server.requests();
    assert!(
        log.iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer t0ken")
                && r.accept.as_deref() == Some("application/vnd.github+json")),
        "{log:?}"
    );
    assert!(log.iter().any(|r| r.path.contains("page=2")), "{log:?}");
    match ci.branch_head("gone").await {
        Err(CiError::NotFound { what, .. }) => assert_eq!(what, "branch gone"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn green_when_named_workflows_succeeded_for_the_exact_commit() {
    let server = happy();
    let r = run_ci(&server, &["CI", "fuzz.yml"], "v1.0.0").await;
    assert_eq!(r.decision.status, RunStatus::Allowed, "{:?}", r.gates);
    assert!(r.gate("ci-green").unwrap().evidence.contains_key("ci"));
}

#[tokio::test]
async fn in_progress_cancelled_or_absent_runs_are_not_green() {
    let server = happy();
    let r = run_ci(&server, &["CI", "Docs", "release.yml", "Bench"], "v1.0.0").await;
    assert_eq!(r.decision.status, RunStatus::Blocked);
    let g = r.gate("ci-green").unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    let subjects: Vec<(&str, &str)> = g
        .findings
        .iter()
        .map(|f| {
            (
                f.finding.subject.as_str(),
                f.finding.found.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        subjects,
        [
            ("workflow Docs", "run 12 in_progress"),
            ("workflow release.yml", "run 14 completed/cancelled"),
            ("workflow Bench", "no push run for this commit"),
        ]
    );
    assert!(
        g.findings
            .iter()
            .all(|f| f.finding.code == Code::CiNotGreen)
    );
}

#[tokio::test]
async fn a_tag_off_the_branch_head_is_not_green() {
    let server = happy();
    // v0.9.0 points at OTHER, which is not main's head and has no runs.
    let r = run_ci(&server, &["CI"], "v0.9.0").await;
    let g = r.gate("ci-green").unwrap();
    assert_eq!(finding_subjects(g), ["branch main", "workflow CI"]);
    assert_eq!(r.decision.status, RunStatus::Blocked);
}

#[tokio::test]
async fn missing_branch_and_rate_limits_are_errors_not_passes() {
    let server = GithubFake::start();
    let r = run_ci(&server, &["CI"], "v1.0.0").await;
    assert_error_says(r.gate("ci-green").unwrap(), "branch main not found");
    assert_eq!(r.root_cause_codes(), [Code::GateError]);

    // Two requests left: the branch and the tag are answered, the runs are refused with
    // GitHub's 403 and `x-ratelimit-remaining: 0`.
    let limited = happy();
    limited.rate_limit(2);
    let ci = client(&limited, "t0ken");
    assert_eq!(ci.branch_head("main").await.unwrap(), HEAD);
    assert_eq!(
        ci.tag_commit("v0.9.0").await.unwrap().as_deref(),
        Some(OTHER)
    );
    match ci.push_runs(HEAD).await {
        Err(CiError::RateLimited { reset, .. }) => assert_eq!(reset, Some(1_700_000_000)),
        other => panic!("{other:?}"),
    }
    let r = run_ci(&limited, &["CI"], "v1.0.0").await;
    assert!(
        r.gate("ci-green")
            .unwrap()
            .detail
            .as_deref()
            .unwrap()
            .contains("rate limited")
    );

    let forbidden = happy();
    forbidden.forbidden("o/r");
    let ci = client(&forbidden, "t0ken");
    refused(&ci, 403, "Resource not accessible by integration", "t0ken").await;
}

#[tokio::test]
async fn a_private_repository_needs_the_right_token() {
    let server = happy();
    server.private("o/r");
    // Without a token GitHub answers 404 for a private repository: not found, never green.
    let anonymous = GithubCi::new(server.base(), "o/r").unwrap();
    assert!(matches!(
        anonymous.branch_head("main").await,
        Err(CiError::NotFound { .. })
    ));
    let wrong = client(&server, "n0pe");
    refused(&wrong, 401, "Bad credentials", "n0pe").await;
    let right = client(&server, "t0ken");
    assert_eq!(right.branch_head("main").await.unwrap(), HEAD);
}

#[tokio::test]
async fn pagination_never_leaves_the_configured_origin() {
    let server = GithubFake::with_handler(|_, request| {
        if request.path.starts_with("/repos/o/r/actions/runs") {
            Reply::ok(r#"{"total_count":0,"workflow_runs":[]}"#)
                .header("link", "<http://127.0.0.2:9/steal?page=2>; rel=\"next\"")
        } else {
            Reply::not_found()
        }
    });
    let ci = client(&server, "t0ken");
    let err = ci.push_runs(HEAD).await.unwrap_err();
    assert!(err.to_string().contains("another origin"), "{err}");
    assert!(ci.push_runs("not-a-sha").await.is_err());
}

#[tokio::test]
async fn malformed_answers_are_decode_errors() {
    let server = GithubFake::with_handler(|_, _| Reply::ok("{\"object\": 5}"));
    let ci = GithubCi::new(server.base(), "o/r").unwrap();
    assert!(matches!(
        ci.branch_head("main").await,
        Err(CiError::Decode { .. })
    ));
}

#[tokio::test]
async fn forge_release_is_found_across_pages_with_its_assets() {
    let server = happy();
    let ci = client(&server, "t0ken");
    let r = ci.release("v1.0.0").await.unwrap().unwrap();
    assert!(r.draft && !r.prerelease);
    assert_eq!(r.assets, ["app-1.0.0.tar.gz", "SHA256SUMS"]);
    assert_eq!(ci.release("v2.0.0").await.unwrap(), None);
    // Drafts are listed only to a token that may push: without one, no release yet.
    let anonymous = GithubCi::new(server.base(), "o/r").unwrap();
    assert_eq!(anonymous.release("v1.0.0").await.unwrap(), None);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("releases?per_page=100&page=2")),
        "{:?}",
        server.requests()
    );

    // The gate: present with every required asset passes; a missing glob is asset-missing;
    // no release at all is release-missing.
    let gate = |assets: &str| {
        Policy::from_toml_str(
            &format!(
                "[project]\nname = \"p\"\n[release]\nrequired-assets = [{assets}]\n[gates.forge-release-exists]\n"
            ),
            "release.toml",
        )
        .unwrap()
    };
    let run = |policy: Policy, tag: &'static str| {
        let ci = client(&server, "t0ken");
        async move {
            let ctx = RunContext::new(std::env::temp_dir())
                .tag(tag)
                .options(relgate::RunOptions::default().phases([relgate::Phase::Postpublish]))
                .ci_provider(Arc::new(ci));
            relgate::run(&policy, ctx).await
        }
    };
    let r = run(gate("\"*.tar.gz\", \"SHA256SUMS\""), "v1.0.0").await;
    assert_eq!(
        r.gate("forge-release-exists").unwrap().status,
        GateStatus::Pass,
        "{r:#?}"
    );
    // `{version}` is the tag's version here too (app-1.0.0.tar.gz), as in the folder check.
    let r = run(gate("\"app-{version}.tar.gz\""), "v1.0.0").await;
    assert_eq!(
        r.gate("forge-release-exists").unwrap().status,
        GateStatus::Pass,
        "{r:#?}"
    );
    let r = run(gate("\"*.tar.gz\", \"*.whl\""), "v1.0.0").await;
    assert_eq!(r.root_cause_codes(), [Code::AssetMissing]);
    let r = run(gate("\"*.tar.gz\""), "v2.0.0").await;
    assert_eq!(r.root_cause_codes(), [Code::ReleaseMissing]);
}
