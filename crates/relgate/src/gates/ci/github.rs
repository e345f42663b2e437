//! `GithubCi`: the [`CiProvider`] over `regclient::forge::GithubClient`, which speaks GitHub's
//! REST protocol (regclient owns the protocols; this file only adapts its answers).

use std::sync::Arc;

use regclient::forge::{Environment, GithubClient};

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
        call: impl FnOnce(&GithubClient) -> Result<T, CiError> + Send + 'static,
    ) -> Result<T, CiError> {
        let client = Arc::clone(&self.client);
        tokio::task::spawn_blocking(move || call(&client))
            .await
            .map_err(|e| CiError::Transport {
                url: self.client.base().to_owned(),
                message: format!("the request task for {what} failed: {e}"),
            })?
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
        Box::pin(self.ask("workflow runs", move |c| c.push_runs(&s)))
    }

    fn release<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Option<ForgeRelease>, CiError>> {
        let t = tag.to_owned();
        Box::pin(self.ask("a release", move |c| c.release(&t)))
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
