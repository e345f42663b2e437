//! `[workflow-hygiene]`: which rules the `workflow-hygiene` gate applies to the release
//! workflows at the tag, which jobs may mint an OIDC token, and the actions excepted, each with
//! its reason.

use serde::Deserialize;

use crate::finding::Code;

/// One rule of the `workflow-hygiene` gate; each reports under its own code
/// (`workflow-` + the rule's name).
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum WorkflowRule {
    /// A third-party `uses:` names no version at all: a repository action without `@ref`, or
    /// a `docker://` image with neither tag nor `@sha256:` digest.
    ActionUnpinned,
    /// A third-party `uses:` names a ref that can move (a tag like `@v4`, a branch like
    /// `@main`, a short SHA, a `docker://` image tag) instead of a full 40-hex commit SHA (or
    /// an `@sha256:` digest).
    ActionFloatingRef,
    /// A release workflow can be started by hand (`workflow_dispatch`).
    ManualTrigger,
    /// A release workflow runs on more than the release tags: push tag filters wider than the
    /// policy's tag pattern, branch pushes, or any other event.
    TriggerTooWide,
    /// `actions/checkout` without `persist-credentials: false` (the token stays in
    /// `.git/config` for every later step).
    PersistCredentials,
    /// The workflow's default `permissions:` are missing or wider than `contents: read`.
    PermissionsTooWide,
    /// A job not named as signing or publishing holds `id-token: write`.
    IdTokenOutsideSigning,
}

impl WorkflowRule {
    /// Every rule, in report order.
    pub const ALL: [WorkflowRule; 7] = [
        WorkflowRule::ActionUnpinned,
        WorkflowRule::ActionFloatingRef,
        WorkflowRule::ManualTrigger,
        WorkflowRule::TriggerTooWide,
        WorkflowRule::PersistCredentials,
        WorkflowRule::PermissionsTooWide,
        WorkflowRule::IdTokenOutsideSigning,
    ];

    /// The code a finding of this rule carries.
    pub fn code(self) -> Code {
        match self {
            WorkflowRule::ActionUnpinned => Code::WorkflowActionUnpinned,
            WorkflowRule::ActionFloatingRef => Code::WorkflowActionFloatingRef,
            WorkflowRule::ManualTrigger => Code::WorkflowManualTrigger,
            WorkflowRule::TriggerTooWide => Code::WorkflowTriggerTooWide,
            WorkflowRule::PersistCredentials => Code::WorkflowPersistCredentials,
            WorkflowRule::PermissionsTooWide => Code::WorkflowPermissionsTooWide,
            WorkflowRule::IdTokenOutsideSigning => Code::WorkflowIdTokenOutsideSigning,
        }
    }

    /// Whether an `[[workflow-hygiene.exceptions]]` entry (about one action) can except it.
    pub fn about_actions(self) -> bool {
        matches!(
            self,
            WorkflowRule::ActionUnpinned | WorkflowRule::ActionFloatingRef
        )
    }
}

/// `[workflow-hygiene]`.
///
/// ```
/// let policy = relgate::Policy::from_toml_str(r#"
/// [project]
/// name = "demo"
///
/// [workflow-hygiene]
/// signing-jobs = ["provenance"]
///
/// [[workflow-hygiene.exceptions]]
/// action = "slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"
/// reason = "tag-pinned by design: the generator verifies its own ref"
/// "#, "release.toml")?;
/// let rules = policy.workflow_hygiene.as_ref().unwrap();
/// assert_eq!(rules.enabled().len(), 7);
/// # Ok::<(), relgate::PolicyError>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WorkflowHygieneRules {
    /// The rules to apply; absent means every rule (defaults check more, not less).
    #[serde(default)]
    pub rules: Option<Vec<WorkflowRule>>,
    /// The release workflows (file names under `.github/workflows/`, or paths from the
    /// repository root) the trigger rules apply to. Empty: the `[signing] workflow`, else
    /// every workflow with a push tag filter; none found is an error, never a pass.
    #[serde(default)]
    pub release_workflows: Vec<String>,
    /// Jobs (by id) that sign or publish and so may hold `id-token: write`.
    #[serde(default)]
    pub signing_jobs: Vec<String>,
    /// Actions excepted from the pinning rules, each with its reason.
    #[serde(default)]
    pub exceptions: Vec<WorkflowException>,
}

impl WorkflowHygieneRules {
    /// The rules in force, in report order.
    pub fn enabled(&self) -> Vec<WorkflowRule> {
        WorkflowRule::ALL
            .into_iter()
            .filter(|r| self.rules.as_ref().is_none_or(|on| on.contains(r)))
            .collect()
    }

    /// The exception for `action` (a `uses:` without its `@ref`) under `rule`, if any.
    pub fn exception_for(&self, action: &str, rule: WorkflowRule) -> Option<&WorkflowException> {
        self.exceptions
            .iter()
            .find(|e| e.action == action && (e.rules.is_empty() || e.rules.contains(&rule)))
    }

    /// The cross-key rules serde cannot state: every exception has a reason and excepts only
    /// action rules. `Err((key, message))` names the key at fault.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for e in &self.exceptions {
            if e.reason.trim().is_empty() {
                return Err((
                    "workflow-hygiene.exceptions.reason",
                    format!("{:?} is excepted without a reason; write why", e.action),
                ));
            }
            if e.action.trim().is_empty() || e.action.contains('@') {
                return Err((
                    "workflow-hygiene.exceptions.action",
                    format!(
                        "{:?}: name the action as `uses:` does, without its @ref",
                        e.action
                    ),
                ));
            }
            if let Some(r) = e.rules.iter().find(|r| !r.about_actions()) {
                return Err((
                    "workflow-hygiene.exceptions.rules",
                    format!(
                        "{:?} is not about one action; only action-unpinned and action-floating-ref take exceptions",
                        r.code().as_str().trim_start_matches("workflow-")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// One `[[workflow-hygiene.exceptions]]` entry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WorkflowException {
    /// The action as `uses:` names it, without `@ref`
    /// (`slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml`).
    pub action: String,
    /// The rules it is excepted from (default: both pinning rules).
    #[serde(default)]
    pub rules: Vec<WorkflowRule>,
    /// Why (required, non-empty).
    pub reason: String,
}
