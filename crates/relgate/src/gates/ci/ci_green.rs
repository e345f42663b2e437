//! CI evidence: the tag is at the branch head and the named workflows passed for that commit.

use std::fmt;
use std::sync::Arc;

use crate::finding::{Code, Finding};
use crate::gate::{BoxFuture, GateContext, GateResult, StandardGate};

/// One workflow run, as a CI provider reports it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkflowRun {
    /// The run id.
    pub id: u64,
    /// The workflow's display name (`CI`).
    pub name: String,
    /// The workflow file path (`.github/workflows/ci.yml`).
    pub path: String,
    /// The triggering event (`push`).
    pub event: String,
    /// `queued`, `in_progress`, `completed`, ...
    pub status: String,
    /// `success`, `failure`, `cancelled`, ... once completed.
    pub conclusion: Option<String>,
    /// The commit the run built.
    pub head_sha: String,
}

impl WorkflowRun {
    /// A run of workflow `name` at `path` for `head_sha`.
    pub fn new(
        id: u64,
        name: &str,
        path: &str,
        event: &str,
        status: &str,
        conclusion: Option<&str>,
        head_sha: &str,
    ) -> Self {
        WorkflowRun {
            id,
            name: name.to_owned(),
            path: path.to_owned(),
            event: event.to_owned(),
            status: status.to_owned(),
            conclusion: conclusion.map(str::to_owned),
            head_sha: head_sha.to_owned(),
        }
    }

    /// Whether this run is workflow `wanted`: by display name, by file name, or by path.
    pub fn is_workflow(&self, wanted: &str) -> bool {
        self.name == wanted
            || self.path == wanted
            || self
                .path
                .rsplit('/')
                .next()
                .is_some_and(|file| file == wanted)
    }

    /// Completed and successful.
    pub fn succeeded(&self) -> bool {
        self.status == "completed" && self.conclusion.as_deref() == Some("success")
    }
}

/// Why CI evidence could not be obtained.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CiError {
    /// The provider answered with an unexpected HTTP status.
    #[error("{url}: HTTP {status}: {message}")]
    Status {
        /// The URL asked (never with credentials).
        url: String,
        /// The status code.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// The provider refused because of its rate limit.
    #[error("{url}: rate limited (resets at unix time {})", reset.map_or_else(|| String::from("unknown"), |r| r.to_string()))]
    RateLimited {
        /// The URL asked.
        url: String,
        /// When the limit resets (unix seconds), if said.
        reset: Option<u64>,
    },
    /// A ref that must exist does not.
    #[error("{what} not found ({url})")]
    NotFound {
        /// What was looked up (`branch main`).
        what: String,
        /// The URL asked.
        url: String,
    },
    /// The request failed below HTTP.
    #[error("{url}: {message}")]
    Transport {
        /// The URL asked.
        url: String,
        /// The cause.
        message: String,
    },
    /// The answer did not have the documented shape.
    #[error("{url}: unexpected response: {message}")]
    Decode {
        /// The URL asked.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The provider cannot answer this question.
    #[error("the CI provider does not support {what}")]
    Unsupported {
        /// What was asked.
        what: String,
    },
}

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

/// A release on the forge, as its API describes it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ForgeRelease {
    /// The tag it is for.
    pub tag: String,
    /// Whether it is still a draft.
    pub draft: bool,
    /// Whether it is marked as a pre-release.
    pub prerelease: bool,
    /// The names of its attached assets.
    pub assets: Vec<String>,
    /// Its notes (Markdown) as the forge stores them, if the provider read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl ForgeRelease {
    /// A release for `tag` with these assets.
    pub fn new(tag: &str, draft: bool, prerelease: bool, assets: Vec<String>) -> Self {
        ForgeRelease {
            tag: tag.to_owned(),
            draft,
            prerelease,
            assets,
            body: None,
        }
    }

    /// The same release with these notes.
    #[must_use]
    pub fn with_body(mut self, body: Option<String>) -> Self {
        self.body = body;
        self
    }
}

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

/// The `ci-green` gate: [`judge_ci`] over evidence from a [`CiProvider`], for the `[ci]`
/// section of the policy.
#[derive(Clone)]
pub struct CiGreenGate {
    provider: Arc<dyn CiProvider>,
}

impl fmt::Debug for CiGreenGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CiGreenGate")
    }
}

impl CiGreenGate {
    /// A gate asking `provider`.
    pub fn new(provider: Arc<dyn CiProvider>) -> Self {
        CiGreenGate { provider }
    }

    async fn evidence(&self, ctx: &GateContext, branch: &str) -> Result<CiEvidence, String> {
        let head = self
            .provider
            .branch_head(branch)
            .await
            .map_err(|e| e.to_string())?;
        let tag_commit = match &ctx.tag {
            Some(t) => self
                .provider
                .tag_commit(t)
                .await
                .map_err(|e| e.to_string())?,
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
        let runs = self
            .provider
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
}

impl StandardGate for CiGreenGate {
    const ID: &'static str = "ci-green";

    fn check<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let Some(rules) = ctx.policy.ci.clone() else {
                return GateResult::skipped("the policy has no [ci] section");
            };
            match self.evidence(ctx, &rules.branch).await {
                Err(cause) => GateResult::error(cause),
                Ok(ev) => {
                    let findings = judge_ci(&ev, &rules.workflows);
                    GateResult::from_findings(findings).with_evidence(
                        "ci",
                        serde_json::to_value(&ev).unwrap_or(serde_json::Value::Null),
                    )
                }
            }
        })
    }
}
