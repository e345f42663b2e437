//! CI judgement over a scripted provider.

use std::sync::Arc;

use crate::support::finding_subjects;
use relgate::{
    BoxFuture, Code, GateStatus, Policy, RunContext, RunStatus,
    gates::{CiError, CiEvidence, CiProvider, WorkflowRun, judge_ci},
};

const HEAD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const OLD: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

struct Fake {
    head: &'static str,
    tag: Option<&'static str>,
    runs: Vec<WorkflowRun>,
}

impl CiProvider for Fake {
    fn branch_head<'a>(&'a self, _branch: &'a str) -> BoxFuture<'a, Result<String, CiError>> {
        Box::pin(async move { Ok(self.head.to_owned()) })
    }
    fn tag_commit<'a>(&'a self, _tag: &'a str) -> BoxFuture<'a, Result<Option<String>, CiError>> {
        Box::pin(async move { Ok(self.tag.map(str::to_owned)) })
    }
    fn push_runs<'a>(&'a self, sha: &'a str) -> BoxFuture<'a, Result<Vec<WorkflowRun>, CiError>> {
        Box::pin(async move {
            Ok(self
                .runs
                .iter()
                .filter(|r| r.head_sha == sha)
                .cloned()
                .collect())
        })
    }
}

fn ok_run(id: u64, file: &str, sha: &str) -> WorkflowRun {
    WorkflowRun::new(
        id,
        file,
        &format!(".github/workflows/{file}"),
        "push",
        "completed",
        Some("success"),
        sha,
    )
}

fn policy() -> Policy {
    Policy::from_toml_str(
        "[project]\nname = \"d\"\n[ci]\nworkflows = [\"ci.yml\", \"fuzz.yml\"]\n",
        "release.toml",
    )
    .unwrap()
}

#[tokio::test]
async fn preflight_before_tagging_judges_the_given_commit() {
    let fake = Fake {
        head: HEAD,
        tag: None,
        runs: vec![ok_run(1, "ci.yml", HEAD), ok_run(2, "fuzz.yml", HEAD)],
    };
    let ctx = RunContext::new(std::env::temp_dir())
        .tag("v1.0.0")
        .commit(HEAD)
        .ci_provider(Arc::new(fake));
    let r = relgate::run(&policy(), ctx).await;
    assert_eq!(r.decision.status, RunStatus::Allowed);
    assert_eq!(r.decision.action, relgate::Action::CreateTag);
}

#[tokio::test]
async fn a_stale_commit_or_a_run_for_another_commit_is_not_green() {
    // The commit is not main's head; its fuzz run exists only for the head.
    let fake = Fake {
        head: HEAD,
        tag: Some(OLD),
        runs: vec![ok_run(1, "ci.yml", OLD), ok_run(2, "fuzz.yml", HEAD)],
    };
    let ctx = RunContext::new(std::env::temp_dir())
        .tag("v1.0.0")
        .ci_provider(Arc::new(fake));
    let r = relgate::run(&policy(), ctx).await;
    let g = r.gate("ci-green").unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(finding_subjects(g), ["branch main", "workflow fuzz.yml"]);
    assert_eq!(r.root_cause_codes(), [Code::CiNotGreen]);
}

#[test]
fn judge_ci_requires_push_success_for_the_exact_commit() {
    let mut ev = CiEvidence::new("main", HEAD, HEAD);
    ev.tag = Some("v1.0.0".into());
    ev.tag_commit = Some(HEAD.into());
    ev.runs = vec![ok_run(1, "ci.yml", HEAD)];
    assert!(judge_ci(&ev, &["ci.yml".into()]).is_empty());
    // A workflow_dispatch success does not count as a push run.
    ev.runs = vec![WorkflowRun::new(
        1,
        "CI",
        ".github/workflows/ci.yml",
        "workflow_dispatch",
        "completed",
        Some("success"),
        HEAD,
    )];
    assert_eq!(judge_ci(&ev, &["ci.yml".into()]).len(), 1);
    // A failed run next to a successful re-run of the same workflow: the success counts.
    ev.runs = vec![
        WorkflowRun::new(
            1,
            "CI",
            ".github/workflows/ci.yml",
            "push",
            "completed",
            Some("failure"),
            HEAD,
        ),
        WorkflowRun::new(
            2,
            "CI",
            ".github/workflows/ci.yml",
            "push",
            "completed",
            Some("success"),
            HEAD,
        ),
    ];
    assert!(judge_ci(&ev, &["CI".into()]).is_empty());
    // The tag points elsewhere.
    ev.tag_commit = Some(OLD.into());
    let f = judge_ci(&ev, &["CI".into()]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].subject, "tag v1.0.0");
    assert_eq!(
        f[0].found.as_deref(),
        Some(format!("the tag points at {OLD}").as_str())
    );
}

#[tokio::test]
async fn neither_commit_nor_tag_is_an_error() {
    let fake = Fake {
        head: HEAD,
        tag: None,
        runs: Vec::new(),
    };
    let ctx = RunContext::new(std::env::temp_dir())
        .tag("v1.0.0")
        .ci_provider(Arc::new(fake));
    let r = relgate::run(&policy(), ctx).await;
    assert_eq!(r.gate("ci-green").unwrap().status, GateStatus::Error);
    assert_eq!(r.decision.status, RunStatus::Blocked);
}
