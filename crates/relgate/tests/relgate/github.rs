//! `GithubCi` against an in-process loopback server answering like GitHub's REST API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use relgate::{
    Code, GateStatus, Policy, RunContext, RunStatus,
    gates::{CiError, CiProvider, GithubCi},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const HEAD: &str = "1111111111111111111111111111111111111111";
const OTHER: &str = "2222222222222222222222222222222222222222";
const TAG_OBJ: &str = "3333333333333333333333333333333333333333";

type Reply = (u16, Vec<(String, String)>, String);
type Handler = dyn Fn(&str, &str) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server: `handler(base, path_and_query)` answers; requests are logged
/// as `"<path> auth=<authorization header>"`.
struct Server {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(handler: Arc<Handler>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let (b, l) = (base.clone(), log.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (handler, base, log) = (handler.clone(), b.clone(), l.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&buf).into_owned();
                let mut lines = text.lines();
                let path = lines
                    .next()
                    .unwrap_or("")
                    .split(' ')
                    .nth(1)
                    .unwrap_or("")
                    .to_owned();
                let headers: HashMap<String, String> = lines
                    .filter_map(|l| l.split_once(": "))
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
                    .collect();
                log.lock().unwrap().push(format!(
                    "{path} auth={}",
                    headers
                        .get("authorization")
                        .map(String::as_str)
                        .unwrap_or("-")
                ));
                let (status, extra, body) = handler(&base, &path);
                let mut resp = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (k, v) in extra {
                    resp.push_str(&format!("{k}: {v}\r\n"));
                }
                resp.push_str("\r\n");
                resp.push_str(&body);
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    Server { base, log, task }
}

fn ok(body: String) -> Reply {
    (200, Vec::new(), body)
}

fn not_found() -> Reply {
    (
        404,
        Vec::new(),
        r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest/git/refs#get-a-reference","status":"404"}"#.to_owned(),
    )
}

fn git_ref(name: &str, sha: &str, kind: &str) -> String {
    format!(
        r#"{{"ref":"{name}","node_id":"REF_x","url":"http://x/ref","object":{{"sha":"{sha}","type":"{kind}","url":"http://x/obj"}}}}"#
    )
}

fn run(
    id: u64,
    name: &str,
    file: &str,
    status: &str,
    conclusion: Option<&str>,
    sha: &str,
) -> String {
    let conclusion = conclusion.map_or_else(|| String::from("null"), |c| format!("\"{c}\""));
    format!(
        r#"{{"id":{id},"name":"{name}","path":".github/workflows/{file}","event":"push","status":"{status}","conclusion":{conclusion},"head_sha":"{sha}","head_branch":"main","run_attempt":1}}"#
    )
}

fn runs_page(runs: &[String]) -> String {
    format!(
        r#"{{"total_count":{},"workflow_runs":[{}]}}"#,
        runs.len(),
        runs.join(",")
    )
}

/// A repository where main's head is HEAD, tag v1.0.0 is annotated (peels to HEAD),
/// tag v0.9.0 is lightweight at OTHER, and push runs for HEAD come in two pages.
fn happy(base: &str, path: &str) -> Reply {
    match path {
        "/repos/o/r/git/ref/heads/main" => ok(git_ref("refs/heads/main", HEAD, "commit")),
        "/repos/o/r/git/ref/tags/v1.0.0" => ok(git_ref("refs/tags/v1.0.0", TAG_OBJ, "tag")),
        "/repos/o/r/git/ref/tags/v0.9.0" => ok(git_ref("refs/tags/v0.9.0", OTHER, "commit")),
        p if p == format!("/repos/o/r/git/tags/{TAG_OBJ}") => ok(format!(
            r#"{{"node_id":"TAG_x","tag":"v1.0.0","sha":"{TAG_OBJ}","message":"v1.0.0","tagger":{{"name":"a","email":"a@b","date":"2026-01-01T00:00:00Z"}},"object":{{"type":"commit","sha":"{HEAD}","url":"http://x"}},"verification":{{"verified":false,"reason":"unsigned"}}}}"#
        )),
        p if p == format!("/repos/o/r/actions/runs?head_sha={HEAD}&event=push&per_page=100") => (
            200,
            vec![(
                "link".into(),
                format!(
                    "<{base}/repos/o/r/actions/runs?head_sha={HEAD}&event=push&per_page=100&page=2>; rel=\"next\", <{base}/repos/o/r/actions/runs?head_sha={HEAD}&event=push&per_page=100&page=2>; rel=\"last\""
                ),
            )],
            runs_page(&[
                run(11, "CI", "ci.yml", "completed", Some("success"), HEAD),
                run(12, "Docs", "docs.yml", "in_progress", None, HEAD),
            ]),
        ),
        p if p
            == format!(
                "/repos/o/r/actions/runs?head_sha={HEAD}&event=push&per_page=100&page=2"
            ) =>
        {
            ok(runs_page(&[
                run(13, "Fuzz", "fuzz.yml", "completed", Some("success"), HEAD),
                run(
                    14,
                    "Release",
                    "release.yml",
                    "completed",
                    Some("cancelled"),
                    HEAD,
                ),
            ]))
        }
        // GitHub answers a query without matches with an empty list, not a 404.
        p if p.starts_with("/repos/o/r/actions/runs?") => ok(runs_page(&[])),
        // Releases, newest first, two pages; the draft for v1.0.0 is on the second.
        "/repos/o/r/releases?per_page=100" => (
            200,
            vec![(
                "link".into(),
                format!("<{base}/repos/o/r/releases?per_page=100&page=2>; rel=\"next\""),
            )],
            r#"[{"id":3,"tag_name":"v1.1.0-rc.1","draft":false,"prerelease":true,"assets":[]}]"#
                .to_owned(),
        ),
        "/repos/o/r/releases?per_page=100&page=2" => ok(
            r#"[{"id":2,"tag_name":"v1.0.0","name":"v1.0.0","draft":true,"prerelease":false,"assets":[{"id":7,"name":"app-1.0.0.tar.gz","size":10},{"id":8,"name":"SHA256SUMS","size":90}]},{"id":1,"tag_name":"v0.9.0","draft":false,"prerelease":false,"assets":[]}]"#
                .to_owned(),
        ),
        _ => not_found(),
    }
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

async fn run_ci(server: &Server, workflows: &[&str], tag: &str) -> relgate::Report {
    let ci = GithubCi::new(&server.base, "o/r")
        .unwrap()
        .with_token("t0ken");
    let ctx = RunContext::new(std::env::temp_dir())
        .tag(tag)
        .ci_provider(Arc::new(ci));
    relgate::run(&policy(workflows), ctx).await
}

#[tokio::test]
async fn provider_peels_annotated_tags_and_follows_pages_with_the_token() {
    let server = serve(Arc::new(happy)).await;
    let ci = GithubCi::new(&server.base, "o/r")
        .unwrap()
        .with_token("t0ken");
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
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.iter().all(|l| l.ends_with("auth=Bearer t0ken")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l.contains("page=2")), "{log:?}");
    match ci.branch_head("gone").await {
        Err(CiError::NotFound { what, .. }) => assert_eq!(what, "branch gone"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn green_when_named_workflows_succeeded_for_the_exact_commit() {
    let server = serve(Arc::new(happy)).await;
    let r = run_ci(&server, &["CI", "fuzz.yml"], "v1.0.0").await;
    assert_eq!(r.decision.status, RunStatus::Allowed, "{:?}", r.gates);
    assert!(r.gate("ci-green").unwrap().evidence.contains_key("ci"));
}

#[tokio::test]
async fn in_progress_cancelled_or_absent_runs_are_not_green() {
    let server = serve(Arc::new(happy)).await;
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
    let server = serve(Arc::new(happy)).await;
    // v0.9.0 points at OTHER, which is not main's head and has no runs.
    let r = run_ci(&server, &["CI"], "v0.9.0").await;
    let g = r.gate("ci-green").unwrap();
    let subjects: Vec<&str> = g
        .findings
        .iter()
        .map(|f| f.finding.subject.as_str())
        .collect();
    assert_eq!(subjects, ["branch main", "workflow CI"]);
    assert_eq!(r.decision.status, RunStatus::Blocked);
}

#[tokio::test]
async fn missing_branch_and_rate_limits_are_errors_not_passes() {
    let server = serve(Arc::new(|_: &str, _: &str| not_found())).await;
    let r = run_ci(&server, &["CI"], "v1.0.0").await;
    let g = r.gate("ci-green").unwrap();
    assert_eq!(g.status, GateStatus::Error);
    assert!(
        g.detail
            .as_deref()
            .unwrap()
            .contains("branch main not found"),
        "{:?}",
        g.detail
    );
    assert_eq!(r.root_cause_codes(), [Code::GateError]);

    let limited = serve(Arc::new(|_: &str, _: &str| {
        (
            403,
            vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset".into(), "1700000000".into()),
            ],
            r#"{"message":"API rate limit exceeded for 127.0.0.1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}"#.to_owned(),
        )
    }))
    .await;
    let ci = GithubCi::new(&limited.base, "o/r").unwrap();
    match ci.branch_head("main").await {
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

    let forbidden = serve(Arc::new(|_: &str, _: &str| {
        (
            403,
            Vec::new(),
            r#"{"message":"Resource not accessible by integration"}"#.to_owned(),
        )
    }))
    .await;
    let ci = GithubCi::new(&forbidden.base, "o/r")
        .unwrap()
        .with_token("t0ken");
    let err = ci.branch_head("main").await.unwrap_err();
    assert!(
        matches!(err, CiError::Status { status: 403, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("t0ken"));
}

#[tokio::test]
async fn pagination_never_leaves_the_configured_origin() {
    let server = serve(Arc::new(|_: &str, path: &str| {
        if path.starts_with("/repos/o/r/actions/runs") {
            (
                200,
                vec![(
                    "link".into(),
                    "<http://127.0.0.2:9/steal?page=2>; rel=\"next\"".into(),
                )],
                runs_page(&[]),
            )
        } else {
            not_found()
        }
    }))
    .await;
    let ci = GithubCi::new(&server.base, "o/r")
        .unwrap()
        .with_token("t0ken");
    let err = ci.push_runs(HEAD).await.unwrap_err();
    assert!(err.to_string().contains("another origin"), "{err}");
    assert!(ci.push_runs("not-a-sha").await.is_err());
}

#[tokio::test]
async fn malformed_answers_are_decode_errors() {
    let server = serve(Arc::new(|_: &str, _: &str| {
        ok(String::from("{\"object\": 5}"))
    }))
    .await;
    let ci = GithubCi::new(&server.base, "o/r").unwrap();
    assert!(matches!(
        ci.branch_head("main").await,
        Err(CiError::Decode { .. })
    ));
}

#[tokio::test]
async fn forge_release_is_found_across_pages_with_its_assets() {
    let server = serve(Arc::new(happy)).await;
    let ci = GithubCi::new(&server.base, "o/r")
        .unwrap()
        .with_token("t0ken");
    let r = ci.release("v1.0.0").await.unwrap().unwrap();
    assert!(r.draft && !r.prerelease);
    assert_eq!(r.assets, ["app-1.0.0.tar.gz", "SHA256SUMS"]);
    assert_eq!(ci.release("v2.0.0").await.unwrap(), None);

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
        let ci = GithubCi::new(&server.base, "o/r").unwrap();
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
