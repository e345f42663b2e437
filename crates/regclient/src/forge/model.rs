//! What a forge says, as regclient's own values.

/// One workflow run, as the forge lists it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkflowRun {
    /// The run id.
    pub id: u64,
    /// The workflow's display name (`CI`); empty when the forge gives none.
    pub name: String,
    /// The workflow file path (`.github/workflows/ci.yml`); empty when the forge gives none.
    pub path: String,
    /// The triggering event (`push`).
    pub event: String,
    /// `queued`, `in_progress`, `completed`, ...; empty when the forge gives none.
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

/// A release on the forge.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Release {
    /// The tag it is for.
    pub tag: String,
    /// Whether it is still a draft.
    pub draft: bool,
    /// Whether it is marked as a pre-release.
    pub prerelease: bool,
    /// The names of its attached assets.
    pub assets: Vec<String>,
    /// Its notes (Markdown), as stored; `None` when the forge has none or they were not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl Release {
    /// A release for `tag` with these assets and no notes.
    pub fn new(tag: &str, draft: bool, prerelease: bool, assets: Vec<String>) -> Self {
        Release {
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

/// Who may approve a deployment to an environment.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reviewer {
    /// `User` or `Team`.
    pub kind: String,
    /// The user's login or the team's slug (empty when the forge gives neither).
    pub name: String,
}

/// Whether a deployment name pattern matches branches or tags.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PatternKind {
    /// Branch names (GitHub's default when no type is given).
    Branch,
    /// Tag names.
    Tag,
}

/// A custom deployment branch or tag policy: a name pattern (`fnmatch` syntax, `v*`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeploymentPattern {
    /// The pattern.
    pub name: String,
    /// What it matches.
    pub kind: PatternKind,
}

/// Which refs may deploy to an environment.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "patterns")]
pub enum DeploymentPolicy {
    /// Any branch or tag (no deployment branch policy).
    Any,
    /// Protected branches only.
    ProtectedBranches,
    /// The listed branch and tag patterns only.
    Custom(Vec<DeploymentPattern>),
}

/// A deployment environment and its protection.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// Whether it has a required-reviewers protection rule.
    pub required_reviewers: bool,
    /// The reviewers that rule names (empty without the rule).
    pub reviewers: Vec<Reviewer>,
    /// Which refs may deploy to it.
    pub deployment: DeploymentPolicy,
}

impl Environment {
    /// The tag patterns of a custom deployment policy (empty for any other policy).
    pub fn tag_patterns(&self) -> Vec<&str> {
        match &self.deployment {
            DeploymentPolicy::Custom(p) => p
                .iter()
                .filter(|p| p.kind == PatternKind::Tag)
                .map(|p| p.name.as_str())
                .collect(),
            _ => Vec::new(),
        }
    }
}
