//! The check of a project folder as `check_versions` runs it: the configuration (or a
//! discovered one), the tag guard, the lockstep check, and where the files came from.

use std::path::Path;

use crate::check::{Report, TagDecision, TagOptions, check, decide_tag};
use crate::config::{Config, ConfigError};
use crate::discover::{Discovery, discover_for};
use crate::git::worktree_at_tag;
use crate::tree::{DirTree, Tree};

/// What [`check_worktree`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WorktreeCheck {
    /// The configuration used: `relver.toml` (or `[workspace.metadata.relver]`), else the
    /// discovered proposal.
    pub config: Config,
    /// The discovery, when the folder has no configuration.
    pub discovery: Option<Discovery>,
    /// The outcome. Its `tree` names the working tree; with a tag, a `worktree-not-at-tag`
    /// warning says when the folder is not that tag's tree.
    pub report: Report,
}

/// Check the folder `root` (its working tree, as it is on disk), against `tag` when given.
///
/// Without a configuration, roles are discovered ([`discover_for`], compared with the tag's
/// version): every version file that does not say it is unreleased must equal the tag. A tag that
/// is not a release tag fails unless `options` allow it, before any version file is read.
///
/// ```
/// use relver::{check_worktree, Code, TagOptions};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"a\"\nversion = \"1.2.3\"\n")?;
/// std::fs::write(dir.path().join("package.json"), "{\"version\": \"1.2.2\"}")?;
/// let run = check_worktree(dir.path(), Some("v1.2.3"), TagOptions::default())?;
/// assert!(!run.report.ok);
/// assert!(run.report.errors().any(|f| f.code == Code::VersionMismatch
///     && f.path() == Some("package.json")));
/// assert!(!check_worktree(dir.path(), Some("v1"), TagOptions::default())?.report.ok);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_worktree(
    root: &Path,
    tag: Option<&str>,
    options: TagOptions,
) -> Result<WorktreeCheck, ConfigError> {
    let tree = DirTree::new(root);
    let loaded = Config::load(&tree)?;
    let policy_config = loaded.clone().unwrap_or_default();
    let (tag, note) = match tag {
        None => (None, None),
        Some(text) => match decide_tag(tree.origin(), &policy_config, text, options) {
            TagDecision::Check(t, note) => (Some(t), note),
            TagDecision::Stop(report) => {
                return Ok(WorktreeCheck {
                    config: policy_config,
                    discovery: None,
                    report,
                });
            }
        },
    };
    let (config, discovery) = match loaded {
        Some(c) => (c, None),
        None => {
            let d = discover_for(&tree, None, tag.as_ref().map(crate::tag::Tag::version))?;
            (d.proposed.clone(), Some(d))
        }
    };
    let mut report = check(&tree, &config, tag.as_ref());
    if let Some(n) = note {
        report.push(n);
    }
    if let Some(t) = &tag
        && let Some(w) = worktree_at_tag(root, t)
    {
        report.push(w);
    }
    Ok(WorktreeCheck {
        config,
        discovery,
        report,
    })
}
