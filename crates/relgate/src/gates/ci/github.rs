//! `GithubCi`: the [`CiProvider`] over `regclient::forge::GithubClient`, which speaks GitHub's
//! REST protocol (regclient owns the protocols; this file only adapts its answers).

use std::sync::Arc;

use regclient::forge::{Environment, ForgeError, GithubClient};

use crate::gate::BoxFuture;
use crate::gates::ci::ci_green::{CiError, CiProvider, ForgeRelease, WorkflowRun};

/// CI and forge evidence from the GitHub REST API through [`GithubClient`]: refs (annotated
/// tags peeled), push runs (following `Link: rel="next"` on the same origin only), the
/// release of a tag with its notes, deployment environments and the immutable-release
/// setting.
///
/// The base URL is configuration (GitHub Actions sets `GITHUB_API_URL`); the token comes
/// from the caller or `GITHUB_TOKEN` and is never shown by `Debug` or in errors.
#[derive(Debug, Clone)]
pub struct GithubCi {
    client: Arc<GithubClient>,
}

impl From<ForgeError> for CiError {
    fn from(e: ForgeError) -> Self {
        match e {
            ForgeError::Status {
                url,
                status,
                message,
            } => CiError::Status {
                url,
                status,
                message,
            },
            ForgeError::RateLimited { url, reset } => CiError::RateLimited { url, reset },
            ForgeError::NotFound { what, url } => CiError::NotFound { what, url },
            ForgeError::Transport { url, message } => CiError::Transport { url, message },
            ForgeError::Decode { url, message } => CiError::Decode { url, message },
            other => CiError::Transport {
                url: String::new(),
                message: other.to_string(),
            },
        }
    }
}

impl GithubCi {
    /// A provider for `repository` (`owner/name`) at API base `base_url`.
    pub fn new(base_url: &str, repository: &str) -> Result<Self, CiError> {
        Ok(GithubCi::from_client(GithubClient::new(
            base_url, repository,
        )?))
    }

    /// A provider asking `client`.
    pub fn from_client(client: GithubClient) -> Self {
        GithubCi {
            client: Arc::new(client),
        }
    }

    /// From the environment: base URL `GITHUB_API_URL`, repository `GITHUB_REPOSITORY`
    /// unless given, token `GITHUB_TOKEN` when set.
    pub fn from_env(repository: Option<&str>) -> Result<Self, CiError> {
        Ok(GithubCi::from_client(GithubClient::from_env(repository)?))
    }

    /// Sends this token (as `Authorization: Bearer`).
    #[must_use]
    pub fn with_token(self, token: impl Into<String>) -> Self {
        let client = Arc::unwrap_or_clone(self.client).with_token(token);
        GithubCi::from_client(client)
    }

    /// Runs a blocking `regclient` call off the async workers.
    async fn ask<T: Send + 'static>(
        &self,
        what: &str,
        call: impl FnOnce(&GithubClient) -> Result<T, ForgeError> + Send + 'static,
    ) -> Result<T, CiError> {
        let client = Arc::clone(&self.client);
        tokio::task::spawn_blocking(move || call(&client))
            .await
            .map_err(|e| CiError::Transport {
                url: self.client.base().to_owned(),
                message: format!("the request task for {what} failed: {e}"),
            })?
            .map_err(CiError::from)
    }
}

impl CiProvider for GithubCi {
    fn branch_head<'a>(&'a self, branch: &'a str) -> BoxFuture<'a, Result<String, CiError>> {
        let b = branch.to_owned();
        Box::pin(self.ask("a branch head", move |c| c.branch_head(&b)))
    }

    fn tag_commit<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Option<String>, CiError>> {
        let t = tag.to_owned();
        Box::pin(self.ask("a tag", move |c| c.tag_commit(&t)))
    }

    fn push_runs<'a>(&'a self, sha: &'a str) -> BoxFuture<'a, Result<Vec<WorkflowRun>, CiError>> {
        let s = sha.to_owned();
        Box::pin(async move {
            let runs = self.ask("workflow runs", move |c| c.push_runs(&s)).await?;
            Ok(runs
                .into_iter()
                .map(|r| {
                    WorkflowRun::new(
                        r.id,
                        &r.name,
                        &r.path,
                        &r.event,
                        &r.status,
                        r.conclusion.as_deref(),
                        &r.head_sha,
                    )
                })
                .collect())
        })
    }

    fn release<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Option<ForgeRelease>, CiError>> {
        let t = tag.to_owned();
        Box::pin(async move {
            let release = self.ask("a release", move |c| c.release(&t)).await?;
            Ok(release.map(|r| {
                ForgeRelease::new(&r.tag, r.draft, r.prerelease, r.assets).with_body(r.body)
            }))
        })
    }

    fn environment<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Environment>, CiError>> {
        let n = name.to_owned();
        Box::pin(self.ask("an environment", move |c| c.environment(&n)))
    }

    fn immutable_releases(&self) -> BoxFuture<'_, Result<bool, CiError>> {
        Box::pin(self.ask("the immutable-release setting", |c| c.immutable_releases()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
