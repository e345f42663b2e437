//! The policy sections about the forge's own settings and objects: `[release-notes]` and
//! `[environments.<name>]` (with `[release] immutable-releases`, in [`ReleaseRules`]).
//!
//! [`ReleaseRules`]: crate::policy::ReleaseRules

use serde::Deserialize;

/// `[release-notes]`: what the forge release's notes (its body) must contain, checked by the
/// `release-notes` gate after publishing: the changelog section for the version, byte for
/// byte, and every line of `require-lines`.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReleaseNotesRules {
    /// Lines the notes must contain, each as a whole line, with `{tag}` and `{version}`
    /// replaced by the release tag and version (`pip install x=={version}`).
    #[serde(default)]
    pub require_lines: Vec<String>,
}

impl ReleaseNotesRules {
    /// The required lines for `tag` at `version`, placeholders substituted.
    pub fn lines_for(&self, tag: &str, version: &str) -> Vec<String> {
        self.require_lines
            .iter()
            .map(|l| l.replace("{tag}", tag).replace("{version}", version))
            .collect()
    }

    /// Why these rules are unusable, if they are: (key, message).
    pub(crate) fn validate(&self) -> Result<(), (&'static str, String)> {
        for (i, l) in self.require_lines.iter().enumerate() {
            if l.trim().is_empty() || l.contains('\n') || l.contains('\r') {
                return Err((
                    "release-notes.require-lines",
                    format!("line {} ({l:?}) must be one non-blank line", i + 1),
                ));
            }
        }
        Ok(())
    }
}

/// `[environments.<name>]`: how a deployment environment on the forge must be protected,
/// checked by the `environment-protection` gate before release. The environment must exist.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EnvironmentRule {
    /// Whether a required-reviewers protection rule with at least one reviewer is needed
    /// (default `true`).
    #[serde(default = "yes")]
    pub required_reviewers: bool,
    /// The one deployment tag pattern the environment must allow (its deployment policy
    /// custom, with exactly this tag pattern and no other pattern), in the forge's syntax:
    /// the workflow's tag trigger glob (`v[0-9]*.[0-9]*.[0-9]*`).
    #[serde(default)]
    pub tag_pattern: Option<String>,
}

impl Default for EnvironmentRule {
    fn default() -> Self {
        EnvironmentRule {
            required_reviewers: true,
            tag_pattern: None,
        }
    }
}

impl EnvironmentRule {
    /// Why this rule is unusable, if it is: (key, message).
    pub(crate) fn validate(&self) -> Result<(), (&'static str, String)> {
        match &self.tag_pattern {
            Some(p) if p.trim().is_empty() => Err((
                "tag-pattern",
                String::from("an empty tag pattern matches no tag; name the workflow's tag glob"),
            )),
            _ => Ok(()),
        }
    }
}

fn yes() -> bool {
    true
}
