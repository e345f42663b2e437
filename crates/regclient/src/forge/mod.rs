//! Forges' REST APIs: what a forge says about a repository's refs, CI runs, releases and
//! deployment environments, as typed values of regclient's own.
//!
//! [`GithubClient`] speaks GitHub's REST API (v3, `application/vnd.github+json`) over the one
//! [`HttpClient`](crate::HttpClient): refs with annotated tags peeled, push workflow runs
//! (following `Link: rel="next"` on the same origin only), the release of a tag with its body,
//! deployment environments with their protection rules and deployment branch and tag
//! policies, and whether the repository has immutable releases. The base URL and the token are
//! configuration; the token is a [`Secret`](crate::Secret) and never appears in `Debug`
//! output, errors or logs.
//!
//! ```
//! use regclient::forge::GithubClient;
//!
//! let gh = GithubClient::new("http://127.0.0.1:1/api/v3", "owner/repo")?.with_token("s3cret");
//! assert!(!format!("{gh:?}").contains("s3cret"));
//! assert!(GithubClient::new("http://127.0.0.1:1", "owner/../x").is_err());
//! # Ok::<(), regclient::forge::ForgeError>(())
//! ```

mod error;
mod github;
mod model;

pub use error::ForgeError;
pub use github::GithubClient;
pub use model::{
    DeploymentPattern, DeploymentPolicy, Environment, PatternKind, Release, Reviewer, WorkflowRun,
};
