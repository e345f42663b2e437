//! [`TestIdentity`]: who the test CA certifies.

use sha2::{Digest as _, Sha256};

use crate::extensions::FulcioExtension;
use crate::policy::GITHUB_ACTIONS_ISSUER;

/// Who the test CA certifies: SAN, issuer, Fulcio extensions and the signing time.
#[derive(Clone, Debug)]
pub struct TestIdentity {
    /// The SAN (a URI, or an e-mail address when it contains `@` and no `://`).
    pub san: String,
    /// The OIDC issuer (written to .1.8 and the legacy .1.1).
    pub issuer: String,
    /// Further Fulcio extensions.
    pub extensions: Vec<(FulcioExtension, String)>,
    /// Signing time, unix seconds (the certificate is valid for ten minutes from it).
    pub signed_at: i64,
}

impl TestIdentity {
    /// A GitHub Actions release identity for `repository` (`owner/repo`), `workflow` file and
    /// `git_ref` (e.g. `refs/tags/v1.2.3`), with consistent legacy and v2 extensions.
    pub fn github(
        repository: &str,
        workflow: &str,
        git_ref: &str,
        trigger: &str,
        signed_at: i64,
    ) -> Self {
        use FulcioExtension as F;
        let san = format!("https://github.com/{repository}/.github/workflows/{workflow}@{git_ref}");
        let sha = hex::encode(&Sha256::digest(format!("{repository}@{git_ref}").as_bytes())[..20]);
        let repo_uri = format!("https://github.com/{repository}");
        let owner = repository.split('/').next().unwrap_or(repository);
        TestIdentity {
            san: san.clone(),
            issuer: GITHUB_ACTIONS_ISSUER.to_owned(),
            extensions: vec![
                (F::GithubWorkflowTriggerV1, trigger.to_owned()),
                (F::GithubWorkflowShaV1, sha.clone()),
                (F::GithubWorkflowNameV1, "release".to_owned()),
                (F::GithubWorkflowRepositoryV1, repository.to_owned()),
                (F::GithubWorkflowRefV1, git_ref.to_owned()),
                (F::BuildSignerUri, san.clone()),
                (F::BuildSignerDigest, sha.clone()),
                (F::RunnerEnvironment, "github-hosted".to_owned()),
                (F::SourceRepositoryUri, repo_uri.clone()),
                (F::SourceRepositoryDigest, sha.clone()),
                (F::SourceRepositoryRef, git_ref.to_owned()),
                (F::SourceRepositoryIdentifier, "1".to_owned()),
                (
                    F::SourceRepositoryOwnerUri,
                    format!("https://github.com/{owner}"),
                ),
                (F::SourceRepositoryOwnerIdentifier, "2".to_owned()),
                (F::BuildConfigUri, san),
                (F::BuildConfigDigest, sha),
                (F::BuildTrigger, trigger.to_owned()),
                (
                    F::RunInvocationUri,
                    format!("{repo_uri}/actions/runs/1/attempts/1"),
                ),
                (F::SourceRepositoryVisibilityAtSigning, "public".to_owned()),
            ],
            signed_at,
        }
    }
}
