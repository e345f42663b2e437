//! [`GithubClient`]: GitHub's REST API over the one [`HttpClient`].

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::document::DocumentRequest;
use crate::forge::error::ForgeError;
use crate::forge::model::{
    DeploymentPattern, DeploymentPolicy, Environment, PatternKind, Release, Reviewer, WorkflowRun,
};
use crate::http::{HttpClient, HttpError};
use crate::secret::{Credential, Secret};

/// Pages of a list followed at most (100 items per page).
const MAX_PAGES: usize = 20;
/// Annotated tags peeled at most (a tag of a tag of ...).
const MAX_PEELS: usize = 8;
/// Largest response body read, in bytes.
const MAX_BODY: u64 = 8 << 20;

/// A client of GitHub's REST API for one repository (`owner/name`) at a configured API base
/// URL (GitHub Actions sets `GITHUB_API_URL`). Its methods block; every request goes through
/// regclient's [`HttpClient`] (timeouts, retries, redirects that drop credentials across
/// hosts, body caps). The token, if any, is sent as `Authorization: Bearer` and shown by
/// `Debug` as `***`.
#[derive(Clone)]
pub struct GithubClient {
    client: HttpClient,
    base: String,
    repository: String,
    token: Option<Credential>,
}

impl fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubClient")
            .field("base", &self.base)
            .field("repository", &self.repository)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct GitObject {
    sha: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(serde::Deserialize)]
struct GitRef {
    object: GitObject,
}

#[derive(serde::Deserialize)]
struct RunsPage {
    workflow_runs: Vec<RawRun>,
}

#[derive(serde::Deserialize)]
struct RawRun {
    id: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    path: Option<String>,
    event: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    conclusion: Option<String>,
    head_sha: String,
}

#[derive(serde::Deserialize)]
struct RawRelease {
    tag_name: String,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    prerelease: bool,
    #[serde(default)]
    assets: Vec<RawAsset>,
    #[serde(default)]
    body: Option<String>,
}

#[derive(serde::Deserialize)]
struct RawAsset {
    name: String,
}

#[derive(serde::Deserialize)]
struct RawEnvironment {
    name: String,
    #[serde(default)]
    protection_rules: Vec<RawRule>,
    #[serde(default)]
    deployment_branch_policy: Option<RawBranchPolicy>,
}

#[derive(serde::Deserialize)]
struct RawRule {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    reviewers: Vec<RawReviewer>,
}

#[derive(serde::Deserialize)]
struct RawReviewer {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    reviewer: Option<RawAccount>,
}

#[derive(serde::Deserialize)]
struct RawAccount {
    #[serde(default)]
    login: Option<String>,
    #[serde(default)]
    slug: Option<String>,
}

#[derive(serde::Deserialize)]
struct RawBranchPolicy {
    #[serde(default)]
    protected_branches: bool,
    #[serde(default)]
    custom_branch_policies: bool,
}

#[derive(serde::Deserialize)]
struct PoliciesPage {
    branch_policies: Vec<RawPattern>,
}

#[derive(serde::Deserialize)]
struct RawPattern {
    name: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

#[derive(serde::Deserialize)]
struct Immutable {
    enabled: bool,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
}

/// Percent-encodes a name for a URL path; `/` is kept when `keep_slash` (refs may contain it).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn origin(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let end = rest
        .find('/')
        .map_or(url.len(), |i| url.len() - rest.len() + i);
    url.get(..end)
}

/// The `rel="next"` target of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let url = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        let inner = url.strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| inner.to_owned())
    })
}

fn decode<T: DeserializeOwned>(url: &str, body: &[u8]) -> Result<T, ForgeError> {
    serde_json::from_slice(body).map_err(|e| ForgeError::Decode {
        url: url.to_owned(),
        message: e.to_string(),
    })
}

/// One page of a list: its body and the `Link` header.
type Page = (Vec<u8>, Option<String>);

impl GithubClient {
    /// A client for `repository` (`owner/name`) at API base `base_url` (http or https).
    pub fn new(base_url: &str, repository: &str) -> Result<Self, ForgeError> {
        let base = base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ForgeError::Decode {
                url: base,
                message: String::from("the API base URL must be http(s)"),
            });
        }
        let parts: Vec<&str> = repository.split('/').collect();
        let valid_part = |p: &str| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if parts.len() != 2 || !parts.iter().all(|p| valid_part(p)) {
            return Err(ForgeError::Decode {
                url: base,
                message: format!("repository {repository:?} is not `owner/name`"),
            });
        }
        let client = HttpClient::builder()
            .user_agent(concat!("regclient/", env!("CARGO_PKG_VERSION")))
            .request_timeout(Duration::from_secs(60))
            .max_metadata_bytes(MAX_BODY)
            .build();
        Ok(GithubClient {
            client,
            base,
            repository: repository.to_owned(),
            token: None,
        })
    }

    /// From the environment: base URL `GITHUB_API_URL`, repository `GITHUB_REPOSITORY`
    /// unless given, token `GITHUB_TOKEN` when set.
    pub fn from_env(repository: Option<&str>) -> Result<Self, ForgeError> {
        let base = std::env::var("GITHUB_API_URL").map_err(|_| ForgeError::Decode {
            url: String::from("GITHUB_API_URL"),
            message: String::from("set GITHUB_API_URL to the API base URL"),
        })?;
        let repo = match repository {
            Some(r) => r.to_owned(),
            None => std::env::var("GITHUB_REPOSITORY").map_err(|_| ForgeError::Decode {
                url: base.clone(),
                message: String::from("no repository given and GITHUB_REPOSITORY is unset"),
            })?,
        };
        let mut gh = Self::new(&base, &repo)?;
        gh.token = Secret::from_env("GITHUB_TOKEN").map(Credential::Bearer);
        Ok(gh)
    }

    /// Sends this token (as `Authorization: Bearer`).
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Credential::Bearer(Secret::new(token.into())));
        self
    }

    /// The API base URL (without a trailing `/`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The repository (`owner/name`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    fn repo_url(&self, rest: &str) -> String {
        format!("{}/repos/{}/{rest}", self.base, self.repository)
    }

    /// GET `url`: `Ok(None)` on 404; the body and `Link` header on 2xx; errors otherwise.
    fn get(&self, url: &str) -> Result<Option<Page>, ForgeError> {
        let doc = self
            .client
            .get_document(
                url,
                DocumentRequest {
                    accept: Some("application/vnd.github+json"),
                    credential: self.token.as_ref(),
                    pass_statuses: &[401, 403, 404, 409, 422, 429],
                    limit: Some(MAX_BODY),
                    keep_headers: &["link", "x-ratelimit-remaining", "x-ratelimit-reset"],
                },
            )
            .map_err(|e| match e {
                HttpError::TooLarge { .. } => ForgeError::Decode {
                    url: url.to_owned(),
                    message: format!("response larger than {MAX_BODY} bytes"),
                },
                // Other statuses (5xx after the retries) are answers, not transport failures.
                e => match e.status() {
                    Some(status) => ForgeError::Status {
                        url: url.to_owned(),
                        status,
                        message: e.to_string(),
                    },
                    // regclient's errors never carry the token.
                    None => ForgeError::Transport {
                        url: url.to_owned(),
                        message: e.to_string(),
                    },
                },
            })?;
        let reset = doc.header("x-ratelimit-reset").and_then(|r| r.parse().ok());
        match doc.status {
            200..=299 => {
                let link = doc.header("link").map(str::to_owned);
                Ok(Some((doc.body, link)))
            }
            404 => Ok(None),
            429 => Err(ForgeError::RateLimited {
                url: url.to_owned(),
                reset,
            }),
            403 if doc.header("x-ratelimit-remaining") == Some("0") => {
                Err(ForgeError::RateLimited {
                    url: url.to_owned(),
                    reset,
                })
            }
            status => {
                let message = serde_json::from_slice::<ErrorBody>(&doc.body)
                    .ok()
                    .and_then(|b| b.message)
                    .unwrap_or_else(|| {
                        String::from_utf8_lossy(&doc.body)
                            .chars()
                            .take(200)
                            .collect()
                    });
                Err(ForgeError::Status {
                    url: url.to_owned(),
                    status,
                    message,
                })
            }
        }
    }

    /// Walks the pages of a list from `first`, handing each page's body to `visit` until it
    /// returns `true` (done) or there is no next page. `Ok(false)` when the first page is a
    /// 404 (the list does not exist); a 404 on a later page is an error. A next page on
    /// another origin is refused: the token must not leave it.
    fn pages(
        &self,
        first: String,
        what: &str,
        mut visit: impl FnMut(&str, &[u8]) -> Result<bool, ForgeError>,
    ) -> Result<bool, ForgeError> {
        let mut url = first;
        let base_origin = origin(&self.base).map(str::to_owned);
        for n in 0..MAX_PAGES {
            let Some((body, link)) = self.get(&url)? else {
                if n == 0 {
                    return Ok(false);
                }
                return Err(ForgeError::NotFound {
                    what: format!("page {} of {what}", n + 1),
                    url,
                });
            };
            if visit(&url, &body)? {
                return Ok(true);
            }
            match link.as_deref().and_then(next_link) {
                Some(next) if origin(&next).map(str::to_owned) == base_origin => url = next,
                Some(next) => {
                    return Err(ForgeError::Decode {
                        url,
                        message: format!(
                            "refusing to follow a next page on another origin: {next}"
                        ),
                    });
                }
                None => return Ok(true),
            }
        }
        Err(ForgeError::Decode {
            url,
            message: format!("more than {MAX_PAGES} pages of {what}"),
        })
    }

    /// The commit an object resolves to, peeling annotated tags.
    fn peel(&self, mut object: GitObject, start_url: &str) -> Result<String, ForgeError> {
        for _ in 0..MAX_PEELS {
            match object.kind.as_str() {
                "commit" => return Ok(object.sha),
                "tag" => {
                    let url = self.repo_url(&format!("git/tags/{}", encode(&object.sha, true)));
                    let Some((body, _)) = self.get(&url)? else {
                        return Err(ForgeError::NotFound {
                            what: format!("tag object {}", object.sha),
                            url,
                        });
                    };
                    object = decode::<GitRef>(&url, &body)?.object;
                }
                other => {
                    return Err(ForgeError::Decode {
                        url: start_url.to_owned(),
                        message: format!("the ref points at a {other}, not a commit"),
                    });
                }
            }
        }
        Err(ForgeError::Decode {
            url: start_url.to_owned(),
            message: format!("more than {MAX_PEELS} nested tag objects"),
        })
    }

    /// The commit at the head of `branch` (`GET /git/ref/heads/{branch}`).
    pub fn branch_head(&self, branch: &str) -> Result<String, ForgeError> {
        let url = self.repo_url(&format!("git/ref/heads/{}", encode(branch, true)));
        let Some((body, _)) = self.get(&url)? else {
            return Err(ForgeError::NotFound {
                what: format!("branch {branch}"),
                url,
            });
        };
        let r: GitRef = decode(&url, &body)?;
        self.peel(r.object, &url)
    }

    /// The commit `tag` points at, annotated tags peeled through `GET /git/tags/{sha}`;
    /// `None` when there is no such tag.
    pub fn tag_commit(&self, tag: &str) -> Result<Option<String>, ForgeError> {
        let url = self.repo_url(&format!("git/ref/tags/{}", encode(tag, true)));
        let Some((body, _)) = self.get(&url)? else {
            return Ok(None);
        };
        let r: GitRef = decode(&url, &body)?;
        self.peel(r.object, &url).map(Some)
    }

    /// Every push-triggered workflow run for commit `sha`
    /// (`GET /actions/runs?head_sha=…&event=push`, every page).
    pub fn push_runs(&self, sha: &str) -> Result<Vec<WorkflowRun>, ForgeError> {
        if sha.is_empty() || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ForgeError::Decode {
                url: self.base.clone(),
                message: format!("{sha:?} is not a commit id"),
            });
        }
        let first = self.repo_url(&format!(
            "actions/runs?head_sha={sha}&event=push&per_page=100"
        ));
        let mut runs = Vec::new();
        let listed = self.pages(first.clone(), "workflow runs", |url, body| {
            let page: RunsPage = decode(url, body)?;
            runs.extend(page.workflow_runs.into_iter().map(|r| WorkflowRun {
                id: r.id,
                name: r.name.unwrap_or_default(),
                path: r.path.unwrap_or_default(),
                event: r.event,
                status: r.status.unwrap_or_default(),
                conclusion: r.conclusion,
                head_sha: r.head_sha,
            }));
            Ok(false)
        })?;
        if !listed {
            return Err(ForgeError::NotFound {
                what: format!("workflow runs of {}", self.repository),
                url: first,
            });
        }
        Ok(runs)
    }

    /// The release for `tag` with its body, drafts included (`GET /releases`, newest first,
    /// bounded pages: `/releases/tags/{tag}` answers 404 for a draft); `None` when there is
    /// none.
    pub fn release(&self, tag: &str) -> Result<Option<Release>, ForgeError> {
        let mut found = None;
        self.pages(
            self.repo_url("releases?per_page=100"),
            "releases",
            |url, body| {
                let page: Vec<RawRelease> = decode(url, body)?;
                found = page
                    .into_iter()
                    .find(|r| r.tag_name == tag)
                    .map(|r| Release {
                        tag: r.tag_name,
                        draft: r.draft,
                        prerelease: r.prerelease,
                        assets: r.assets.into_iter().map(|a| a.name).collect(),
                        body: r.body,
                    });
                Ok(found.is_some())
            },
        )?;
        Ok(found)
    }

    /// The deployment environment `name` with its protection rules and, when its deployment
    /// policy is custom, its branch and tag patterns
    /// (`GET /environments/{name}` and `/environments/{name}/deployment-branch-policies`);
    /// `None` when it does not exist.
    pub fn environment(&self, name: &str) -> Result<Option<Environment>, ForgeError> {
        let env = encode(name, false);
        let url = self.repo_url(&format!("environments/{env}"));
        let Some((body, _)) = self.get(&url)? else {
            return Ok(None);
        };
        let raw: RawEnvironment = decode(&url, &body)?;
        let rule = raw
            .protection_rules
            .into_iter()
            .find(|r| r.kind == "required_reviewers");
        let required_reviewers = rule.is_some();
        let reviewers = rule
            .map(|r| {
                r.reviewers
                    .into_iter()
                    .map(|r| Reviewer {
                        kind: r.kind,
                        name: r
                            .reviewer
                            .and_then(|a| a.login.or(a.slug))
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let deployment = match raw.deployment_branch_policy {
            None => DeploymentPolicy::Any,
            Some(p) if p.custom_branch_policies => {
                let first = self.repo_url(&format!(
                    "environments/{env}/deployment-branch-policies?per_page=100"
                ));
                let mut patterns = Vec::new();
                let listed =
                    self.pages(first.clone(), "deployment branch policies", |url, body| {
                        let page: PoliciesPage = decode(url, body)?;
                        for p in page.branch_policies {
                            let kind = match p.kind.as_deref() {
                                None | Some("branch") => PatternKind::Branch,
                                Some("tag") => PatternKind::Tag,
                                Some(other) => {
                                    return Err(ForgeError::Decode {
                                        url: url.to_owned(),
                                        message: format!(
                                            "unknown deployment policy type {other:?}"
                                        ),
                                    });
                                }
                            };
                            patterns.push(DeploymentPattern { name: p.name, kind });
                        }
                        Ok(false)
                    })?;
                if !listed {
                    return Err(ForgeError::NotFound {
                        what: format!("the deployment branch policies of environment {name}"),
                        url: first,
                    });
                }
                DeploymentPolicy::Custom(patterns)
            }
            Some(p) if p.protected_branches => DeploymentPolicy::ProtectedBranches,
            Some(_) => DeploymentPolicy::Any,
        };
        Ok(Some(Environment {
            name: raw.name,
            required_reviewers,
            reviewers,
            deployment,
        }))
    }

    /// Whether the repository has immutable releases enabled (`GET /immutable-releases`:
    /// `{"enabled": true}`; GitHub answers 404 when they are not enabled).
    pub fn immutable_releases(&self) -> Result<bool, ForgeError> {
        let url = self.repo_url("immutable-releases");
        match self.get(&url)? {
            Some((body, _)) => Ok(decode::<Immutable>(&url, &body)?.enabled),
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next_and_origin() {
        let h = "<http://127.0.0.1:1/r?page=2>; rel=\"next\", <http://127.0.0.1:1/r?page=5>; rel=\"last\"";
        assert_eq!(next_link(h).as_deref(), Some("http://127.0.0.1:1/r?page=2"));
        assert_eq!(next_link("<http://x/r?page=1>; rel=\"prev\""), None);
        assert_eq!(
            origin("http://127.0.0.1:8/api/v3"),
            Some("http://127.0.0.1:8")
        );
        assert_eq!(origin("http://127.0.0.1:8"), Some("http://127.0.0.1:8"));
        assert_eq!(encode("clients/go/v1.2.3", true), "clients/go/v1.2.3");
        assert_eq!(encode("a b#?", true), "a%20b%23%3F");
        assert_eq!(encode("py/pi", false), "py%2Fpi");
    }

    #[test]
    fn debug_hides_the_token_and_bad_config_is_refused() {
        let gh = GithubClient::new("http://127.0.0.1:1/", "o/r")
            .unwrap()
            .with_token("ghp_secret");
        let shown = format!("{gh:?}");
        assert!(
            !shown.contains("ghp_secret") && shown.contains("***"),
            "{shown}"
        );
        assert_eq!(gh.base(), "http://127.0.0.1:1");
        assert!(GithubClient::new("127.0.0.1", "o/r").is_err());
        assert!(GithubClient::new("http://127.0.0.1", "o").is_err());
        assert!(GithubClient::new("http://127.0.0.1", "o/../x").is_err());
    }
}
