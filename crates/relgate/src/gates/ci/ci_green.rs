//! CI evidence: the tag is at the branch head and the named workflows passed for that commit.

use std::sync::Arc;

use crate::finding::{Code, Finding};
use crate::gate::{BoxFuture, Gate, GateContext, GateResult, StandardGate};
use crate::gates::declare::Checked;

/// One workflow run, as a CI provider reports it (regclient's forge model).
pub use regclient::forge::WorkflowRun;

/// Why CI evidence could not be obtained (regclient's forge error; providers that cannot
/// answer a question say `Unsupported`).
pub use regclient::forge::ForgeError as CiError;

/// A release on the forge, as its API describes it, with its notes when the provider read
/// them (regclient's forge model).
pub use regclient::forge::Release as ForgeRelease;

/// A source of CI evidence (a forge's API). Implementations do the I/O; [`CiGreenGate`]
/// judges.
pub trait CiProvider: Send + Sync {
    /// The commit at the head of `branch`.
    fn branch_head<'a>(&'a self, branch: &'a str) -> BoxFuture<'a, Result<String, CiError>>;
    /// The commit `tag` points at (annotated tags peeled), or `None` if there is no such tag.
    fn tag_commit<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Option<String>, CiError>>;
    /// Every push-triggered workflow run for commit `sha`.
    fn push_runs<'a>(&'a self, sha: &'a str) -> BoxFuture<'a, Result<Vec<WorkflowRun>, CiError>>;
    /// The forge's release for `tag`, or `None` if there is none. Providers that cannot tell
    /// answer [`CiError::Unsupported`] (the default), which fails the asking gate closed.
    fn release<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Option<ForgeRelease>, CiError>> {
        Box::pin(async move {
            Err(CiError::Unsupported {
                what: format!("looking up the release for {tag}"),
            })
        })
    }
    /// The deployment environment `name` with its protection, or `None` if there is none.
    /// Providers that cannot tell answer [`CiError::Unsupported`] (the default).
    fn environment<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<regclient::forge::Environment>, CiError>> {
        Box::pin(async move {
            Err(CiError::Unsupported {
                what: format!("looking up environment {name}"),
            })
        })
    }
    /// Whether the repository has immutable releases enabled. Providers that cannot tell
    /// answer [`CiError::Unsupported`] (the default).
    fn immutable_releases(&self) -> BoxFuture<'_, Result<bool, CiError>> {
        Box::pin(async move {
            Err(CiError::Unsupported {
                what: String::from("the immutable-release setting"),
            })
        })
    }
}

/// A gate that asks the run's [`CiProvider`] (declared with `provider_gate!`): the gate table
/// builds it from the run's provider.
pub(crate) trait FromProvider: StandardGate {
    /// The gate asking `provider`.
    fn from_provider(provider: Arc<dyn CiProvider>) -> Arc<dyn Gate>;
}

/// Declares a gate of the table that asks the run's CI and forge provider ([`CiProvider`]):
/// the attributes and doc comment, then `Name = "id"` and its check, the async
/// `check(provider, ctx)` returning [`Checked`](crate::gates::declare::Checked).
/// The type holds the provider, is built with `Name::new(provider)` and shows as its name.
macro_rules! provider_gate {
    ($(#[$attr:meta])* $name:ident = $id:literal, $check:path) => {
        $(#[$attr])*
        pub struct $name {
            provider: std::sync::Arc<dyn $crate::gates::ci::ci_green::CiProvider>,
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        impl $name {
            /// A gate asking `provider`.
            pub fn new(
                provider: std::sync::Arc<dyn $crate::gates::ci::ci_green::CiProvider>,
            ) -> Self {
                $name { provider }
            }
        }

        $crate::gates::declare::unit_gate!(
            @standard $name, $id, |self, ctx| $check(self.provider.as_ref(), ctx)
        );

        impl $crate::gates::ci::ci_green::FromProvider for $name {
            fn from_provider(
                provider: std::sync::Arc<dyn $crate::gates::ci::ci_green::CiProvider>,
            ) -> std::sync::Arc<dyn $crate::gate::Gate> {
                std::sync::Arc::new($name::new(provider))
            }
        }
    };
}

pub(crate) use provider_gate;

/// The evidence CI judgement rests on.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CiEvidence {
    /// The branch.
    pub branch: String,
    /// Its head commit.
    pub head: String,
    /// The tag, if given.
    pub tag: Option<String>,
    /// The commit the tag points at, if it exists.
    pub tag_commit: Option<String>,
    /// The commit under release.
    pub commit: String,
    /// The push runs for that commit.
    pub runs: Vec<WorkflowRun>,
}

impl CiEvidence {
    /// Evidence for `commit` on `branch` whose head is `head`, with no tag and no runs yet.
    pub fn new(branch: &str, head: &str, commit: &str) -> Self {
        CiEvidence {
            branch: branch.to_owned(),
            head: head.to_owned(),
            tag: None,
            tag_commit: None,
            commit: commit.to_owned(),
            runs: Vec::new(),
        }
    }
}

/// Judges CI evidence: the commit is the branch head, the tag (if it exists) points at it,
/// and each required workflow has a completed, successful push run for exactly that commit.
/// Returns one `ci-not-green` finding per unmet condition.
pub fn judge_ci(evidence: &CiEvidence, workflows: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let (Some(tag), Some(tc)) = (&evidence.tag, &evidence.tag_commit)
        && tc != &evidence.commit
    {
        findings.push(
            Finding::new(Code::CiNotGreen, format!("tag {tag}"))
                .expected(format!("the release commit {}", evidence.commit))
                .found(format!("the tag points at {tc}")),
        );
    }
    if evidence.commit != evidence.head {
        findings.push(
            Finding::new(Code::CiNotGreen, format!("branch {}", evidence.branch))
                .expected(format!("head at the release commit {}", evidence.commit))
                .found(format!("head is {}", evidence.head))
                .hint("release only the current head of the branch; update or re-tag"),
        );
    }
    for w in workflows {
        let runs: Vec<&WorkflowRun> = evidence
            .runs
            .iter()
            .filter(|r| r.is_workflow(w) && r.event == "push" && r.head_sha == evidence.commit)
            .collect();
        if runs.iter().any(|r| r.succeeded()) {
            continue;
        }
        let found = if runs.is_empty() {
            String::from("no push run for this commit")
        } else {
            runs.iter()
                .map(|r| {
                    format!(
                        "run {} {}{}",
                        r.id,
                        r.status,
                        r.conclusion
                            .as_deref()
                            .map(|c| format!("/{c}"))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        findings.push(
            Finding::new(Code::CiNotGreen, format!("workflow {w}"))
                .expected(format!(
                    "a completed, successful push run for {}",
                    evidence.commit
                ))
                .found(found),
        );
    }
    findings
}

provider_gate! {
    /// The `ci-green` gate: [`judge_ci`] over evidence from a [`CiProvider`], for the `[ci]`
    /// section of the policy.
    #[derive(Clone)]
    CiGreenGate = "ci-green", ci_green
}

/// What the provider shows for the release commit on `branch`.
async fn evidence(
    provider: &dyn CiProvider,
    ctx: &GateContext,
    branch: &str,
) -> Result<CiEvidence, String> {
    let head = provider
        .branch_head(branch)
        .await
        .map_err(|e| e.to_string())?;
    let tag_commit = match &ctx.tag {
        Some(t) => provider.tag_commit(t).await.map_err(|e| e.to_string())?,
        None => None,
    };
    let commit = match (&ctx.commit, &tag_commit) {
        (Some(c), _) => c.clone(),
        (None, Some(t)) => t.clone(),
        (None, None) => {
            return Err(String::from(
                "neither a commit nor an existing tag was given, so there is no commit to judge",
            ));
        }
    };
    let runs = provider
        .push_runs(&commit)
        .await
        .map_err(|e| e.to_string())?;
    Ok(CiEvidence {
        branch: branch.to_owned(),
        head,
        tag: ctx.tag.clone(),
        tag_commit,
        commit,
        runs,
    })
}

async fn ci_green(provider: &dyn CiProvider, ctx: &GateContext) -> Checked {
    let Some(rules) = ctx.policy.ci.clone() else {
        return Err(GateResult::skipped("the policy has no [ci] section"));
    };
    let ev = evidence(provider, ctx, &rules.branch)
        .await
        .map_err(GateResult::error)?;
    let findings = judge_ci(&ev, &rules.workflows);
    Ok(GateResult::from_findings(findings).with_evidence(
        "ci",
        serde_json::to_value(&ev).unwrap_or(serde_json::Value::Null),
    ))
}
