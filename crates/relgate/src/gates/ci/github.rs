//! `GithubCi`: CI evidence from the GitHub REST API, over `regclient`'s HTTP core (the one
//! HTTP stack in relkit: timeouts, retries, redirect and credential rules, body caps).

use std::fmt;
use std::time::Duration;

use regclient::{Credential, DocumentRequest, HttpClient, HttpError, Secret};

use crate::gate::BoxFuture;
use crate::gates::ci::ci_green::{CiError, CiProvider, ForgeRelease, WorkflowRun};

/// Pages of workflow runs followed at most (100 runs per page).
const MAX_PAGES: usize = 20;
/// Annotated tags peeled at most (a tag of a tag of ...).
const MAX_PEELS: usize = 8;
/// Largest response body read, in bytes.
const MAX_BODY: usize = 8 << 20;

/// CI evidence from the GitHub REST API: refs through `/git/ref/...` (annotated tags peeled
/// through `/git/tags/{sha}`), push runs through `/actions/runs?head_sha=…&event=push`
/// (following `Link: rel="next"` on the same origin only).
///
/// The base URL is configuration (GitHub Actions sets `GITHUB_API_URL`); the token comes
/// from the caller or `GITHUB_TOKEN` and is never shown by `Debug` or in errors.
#[derive(Clone)]
pub struct GithubCi {
    client: HttpClient,
    base: String,
    repository: String,
    token: Option<Credential>,
}

impl fmt::Debug for GithubCi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubCi")
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
struct GitTag {
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
}

#[derive(serde::Deserialize)]
struct RawAsset {
    name: String,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
}

/// Percent-encodes a ref name for a URL path, keeping `/` (refs may contain it).
fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
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

impl GithubCi {
    /// A provider for `repository` (`owner/name`) at API base `base_url`.
    pub fn new(base_url: &str, repository: &str) -> Result<Self, CiError> {
        let base = base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CiError::Decode {
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
            return Err(CiError::Decode {
                url: base,
                message: format!("repository {repository:?} is not `owner/name`"),
            });
        }
        let client = HttpClient::builder()
            .user_agent(concat!("relgate/", env!("CARGO_PKG_VERSION")))
            .request_timeout(Duration::from_secs(60))
            .max_metadata_bytes(MAX_BODY as u64)
            .build();
        Ok(GithubCi {
            client,
            base,
            repository: repository.to_owned(),
            token: None,
        })
    }

    /// From the environment: base URL `GITHUB_API_URL`, repository `GITHUB_REPOSITORY`
    /// unless given, token `GITHUB_TOKEN` when set.
    pub fn from_env(repository: Option<&str>) -> Result<Self, CiError> {
        let base = std::env::var("GITHUB_API_URL").map_err(|_| CiError::Decode {
            url: String::from("GITHUB_API_URL"),
            message: String::from("set GITHUB_API_URL to the API base URL"),
        })?;
        let repo = match repository {
            Some(r) => r.to_owned(),
            None => std::env::var("GITHUB_REPOSITORY").map_err(|_| CiError::Decode {
                url: base.clone(),
                message: String::from("no repository given and GITHUB_REPOSITORY is unset"),
            })?,
        };
        let mut ci = Self::new(&base, &repo)?;
        ci.token = Secret::from_env("GITHUB_TOKEN").map(Credential::Bearer);
        Ok(ci)
    }

    /// Sends this token (as `Authorization: Bearer`).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Credential::Bearer(Secret::new(token.into())));
        self
    }

    fn repo_url(&self, rest: &str) -> String {
        format!("{}/repos/{}/{rest}", self.base, self.repository)
    }

    /// GET `url`; `Ok(None)` on 404; the body and `Link` header on 2xx.
    async fn get(&self, url: &str) -> Result<Option<(Vec<u8>, Option<String>)>, CiError> {
        let (client, token, target) = (self.client.clone(), self.token.clone(), url.to_owned());
        // regclient's client blocks: run it off the async workers.
        let answer = tokio::task::spawn_blocking(move || {
            client.get_document(
                &target,
                DocumentRequest {
                    accept: Some("application/vnd.github+json"),
                    credential: token.as_ref(),
                    pass_statuses: &[401, 403, 404, 409, 422, 429],
                    limit: Some(MAX_BODY as u64),
                    keep_headers: &["link", "x-ratelimit-remaining", "x-ratelimit-reset"],
                },
            )
        })
        .await
        .map_err(|e| CiError::Transport {
            url: url.to_owned(),
            message: format!("the request task failed: {e}"),
        })?;
        let doc = answer.map_err(|e| match e {
            HttpError::TooLarge { .. } => CiError::Decode {
                url: url.to_owned(),
                message: format!("response larger than {MAX_BODY} bytes"),
            },
            // Other statuses (5xx after the retries) are answers, not transport failures.
            e => match e.status() {
                Some(status) => CiError::Status {
                    url: url.to_owned(),
                    status,
                    message: e.to_string(),
                },
                None => CiError::Transport {
                    url: url.to_owned(),
                    // regclient's errors never carry the token.
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
            429 => Err(CiError::RateLimited {
                url: url.to_owned(),
                reset,
            }),
            403 if doc.header("x-ratelimit-remaining") == Some("0") => Err(CiError::RateLimited {
                url: url.to_owned(),
                reset,
            }),
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
                Err(CiError::Status {
                    url: url.to_owned(),
                    status,
                    message,
                })
            }
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(url: &str, body: &[u8]) -> Result<T, CiError> {
        serde_json::from_slice(body).map_err(|e| CiError::Decode {
            url: url.to_owned(),
            message: e.to_string(),
        })
    }

    /// The commit an object resolves to, peeling annotated tags.
    async fn peel(&self, mut object: GitObject, start_url: &str) -> Result<String, CiError> {
        for _ in 0..MAX_PEELS {
            match object.kind.as_str() {
                "commit" => return Ok(object.sha),
                "tag" => {
                    let url = self.repo_url(&format!("git/tags/{}", encode_path(&object.sha)));
                    let Some((body, _)) = self.get(&url).await? else {
                        return Err(CiError::NotFound {
                            what: format!("tag object {}", object.sha),
                            url,
                        });
                    };
                    object = Self::decode::<GitTag>(&url, &body)?.object;
                }
                other => {
                    return Err(CiError::Decode {
                        url: start_url.to_owned(),
                        message: format!("the ref points at a {other}, not a commit"),
                    });
                }
            }
        }
        Err(CiError::Decode {
            url: start_url.to_owned(),
            message: format!("more than {MAX_PEELS} nested tag objects"),
        })
    }
}

impl CiProvider for GithubCi {
    fn branch_head<'a>(&'a self, branch: &'a str) -> BoxFuture<'a, Result<String, CiError>> {
        Box::pin(async move {
            let url = self.repo_url(&format!("git/ref/heads/{}", encode_path(branch)));
            let Some((body, _)) = self.get(&url).await? else {
                return Err(CiError::NotFound {
                    what: format!("branch {branch}"),
                    url,
                });
            };
            let r: GitRef = Self::decode(&url, &body)?;
            self.peel(r.object, &url).await
        })
    }

    fn tag_commit<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Option<String>, CiError>> {
        Box::pin(async move {
            let url = self.repo_url(&format!("git/ref/tags/{}", encode_path(tag)));
            let Some((body, _)) = self.get(&url).await? else {
                return Ok(None);
            };
            let r: GitRef = Self::decode(&url, &body)?;
            self.peel(r.object, &url).await.map(Some)
        })
    }

    fn push_runs<'a>(&'a self, sha: &'a str) -> BoxFuture<'a, Result<Vec<WorkflowRun>, CiError>> {
        Box::pin(async move {
            if sha.is_empty() || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(CiError::Decode {
                    url: self.base.clone(),
                    message: format!("{sha:?} is not a commit id"),
                });
            }
            let mut url = self.repo_url(&format!(
                "actions/runs?head_sha={sha}&event=push&per_page=100"
            ));
            let base_origin = origin(&self.base).map(str::to_owned);
            let mut runs = Vec::new();
            for _ in 0..MAX_PAGES {
                let Some((body, link)) = self.get(&url).await? else {
                    return Err(CiError::NotFound {
                        what: format!("workflow runs of {}", self.repository),
                        url,
                    });
                };
                let page: RunsPage = Self::decode(&url, &body)?;
                runs.extend(page.workflow_runs.into_iter().map(|r| WorkflowRun {
                    id: r.id,
                    name: r.name.unwrap_or_default(),
                    path: r.path.unwrap_or_default(),
                    event: r.event,
                    status: r.status.unwrap_or_default(),
                    conclusion: r.conclusion,
                    head_sha: r.head_sha,
                }));
                match link.as_deref().and_then(next_link) {
                    // Follow only on the same origin: the token must not leave it.
                    Some(next) if origin(&next).map(str::to_owned) == base_origin => url = next,
                    Some(next) => {
                        return Err(CiError::Decode {
                            url,
                            message: format!(
                                "refusing to follow a next page on another origin: {next}"
                            ),
                        });
                    }
                    None => return Ok(runs),
                }
            }
            Err(CiError::Decode {
                url,
                message: format!("more than {MAX_PAGES} pages of workflow runs"),
            })
        })
    }

    fn release<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Option<ForgeRelease>, CiError>> {
        Box::pin(async move {
            // Drafts are visible here to a token that may push; `/releases/tags/` answers
            // 404 for a draft, so the list is searched (newest first, bounded pages).
            let mut url = self.repo_url("releases?per_page=100");
            let base_origin = origin(&self.base).map(str::to_owned);
            for _ in 0..MAX_PAGES {
                let Some((body, link)) = self.get(&url).await? else {
                    return Ok(None);
                };
                let page: Vec<RawRelease> = Self::decode(&url, &body)?;
                if let Some(r) = page.into_iter().find(|r| r.tag_name == tag) {
                    return Ok(Some(ForgeRelease::new(
                        &r.tag_name,
                        r.draft,
                        r.prerelease,
                        r.assets.into_iter().map(|a| a.name).collect(),
                    )));
                }
                match link.as_deref().and_then(next_link) {
                    Some(next) if origin(&next).map(str::to_owned) == base_origin => url = next,
                    Some(next) => {
                        return Err(CiError::Decode {
                            url,
                            message: format!(
                                "refusing to follow a next page on another origin: {next}"
                            ),
                        });
                    }
                    None => return Ok(None),
                }
            }
            Err(CiError::Decode {
                url,
                message: format!("more than {MAX_PAGES} pages of releases"),
            })
        })
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
        assert_eq!(encode_path("clients/go/v1.2.3"), "clients/go/v1.2.3");
        assert_eq!(encode_path("a b#?"), "a%20b%23%3F");
    }

    #[test]
    fn debug_hides_the_token_and_bad_config_is_refused() {
        let ci = GithubCi::new("http://127.0.0.1:1/", "o/r")
            .unwrap()
            .with_token("ghp_secret");
        let shown = format!("{ci:?}");
        assert!(
            !shown.contains("ghp_secret") && shown.contains("***"),
            "{shown}"
        );
        assert!(GithubCi::new("127.0.0.1", "o/r").is_err());
        assert!(GithubCi::new("http://127.0.0.1", "o").is_err());
        assert!(GithubCi::new("http://127.0.0.1", "o/../x").is_err());
    }
}
