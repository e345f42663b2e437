//! What the GitHub fake exchanges: the requests it logs, the replies it sends, and the
//! workflow runs and releases it lists, as GitHub's REST API shapes them.

use serde_json::{Value, json};

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The path and query (`/repos/o/r/git/ref/heads/main`).
    pub path: String,
    /// The `Authorization` header, if sent.
    pub authorization: Option<String>,
    /// The `Accept` header, if sent.
    pub accept: Option<String>,
}

/// An answer: status, extra headers and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Headers besides `content-type`, `content-length` and `connection`.
    pub headers: Vec<(String, String)>,
    /// The body (JSON).
    pub body: String,
}

impl Reply {
    /// A 200 answer with this body.
    pub fn ok(body: impl Into<String>) -> Reply {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// GitHub's 404 body.
    pub fn not_found() -> Reply {
        Reply::error(404, "Not Found", "https://docs.github.com/rest")
    }

    /// An error with GitHub's body shape: `{"message", "documentation_url", "status"}`.
    pub fn error(status: u16, message: &str, documentation_url: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: json!({
                "message": message,
                "documentation_url": documentation_url,
                "status": status.to_string(),
            })
            .to_string(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// A workflow run, as `GET /actions/runs` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub(super) id: u64,
    pub(super) name: String,
    pub(super) file: String,
    pub(super) event: String,
    pub(super) status: String,
    pub(super) conclusion: Option<String>,
    pub(super) head_sha: String,
    pub(super) branch: String,
}

impl Run {
    /// A queued push run of workflow file `file` (`ci.yml`, named after it) for `head_sha` on
    /// `main`.
    pub fn push(id: u64, file: &str, head_sha: &str) -> Run {
        Run {
            id,
            name: file.trim_end_matches(".yml").to_owned(),
            file: file.to_owned(),
            event: String::from("push"),
            status: String::from("queued"),
            conclusion: None,
            head_sha: head_sha.to_owned(),
            branch: String::from("main"),
        }
    }

    /// Completed with `conclusion` (`success`, `failure`, `cancelled`, ...).
    #[must_use]
    pub fn completed(mut self, conclusion: &str) -> Run {
        self.status = String::from("completed");
        self.conclusion = Some(conclusion.to_owned());
        self
    }

    /// Still running.
    #[must_use]
    pub fn in_progress(mut self) -> Run {
        self.status = String::from("in_progress");
        self.conclusion = None;
        self
    }

    /// Triggered by `event` instead of `push`.
    #[must_use]
    pub fn event(mut self, event: &str) -> Run {
        self.event = event.to_owned();
        self
    }

    /// With this display name.
    #[must_use]
    pub fn named(mut self, name: &str) -> Run {
        self.name = name.to_owned();
        self
    }

    pub(super) fn json(&self, base: &str, repo: &str) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "node_id": format!("WFR_{}", self.id),
            "head_branch": self.branch,
            "head_sha": self.head_sha,
            "path": format!(".github/workflows/{}", self.file),
            "run_number": self.id,
            "run_attempt": 1,
            "event": self.event,
            "status": self.status,
            "conclusion": self.conclusion,
            "workflow_id": 1,
            "url": format!("{base}/repos/{repo}/actions/runs/{}", self.id),
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:05:00Z",
        })
    }
}

/// A release, as `GET /releases` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub(super) tag: String,
    pub(super) draft: bool,
    pub(super) prerelease: bool,
    pub(super) assets: Vec<String>,
    pub(super) body: Option<String>,
}

impl Release {
    /// A published release of `tag` with these asset names.
    pub fn published(tag: &str, assets: &[&str]) -> Release {
        Release {
            tag: tag.to_owned(),
            draft: false,
            prerelease: false,
            assets: assets.iter().map(|a| (*a).to_owned()).collect(),
            body: None,
        }
    }

    /// With these notes (the release body, Markdown).
    #[must_use]
    pub fn body(mut self, body: &str) -> Release {
        self.body = Some(body.to_owned());
        self
    }

    /// Still a draft.
    #[must_use]
    pub fn draft(mut self) -> Release {
        self.draft = true;
        self
    }

    /// Marked as a pre-release.
    #[must_use]
    pub fn prerelease(mut self) -> Release {
        self.prerelease = true;
        self
    }

    pub(super) fn json(&self, id: usize) -> Value {
        let assets: Vec<Value> = self
            .assets
            .iter()
            .enumerate()
            .map(|(i, name)| json!({"id": id * 1000 + i, "name": name, "state": "uploaded", "size": 1}))
            .collect();
        json!({
            "id": id,
            "tag_name": self.tag,
            "name": self.tag,
            "draft": self.draft,
            "prerelease": self.prerelease,
            "body": self.body,
            "assets": assets,
        })
    }
}
