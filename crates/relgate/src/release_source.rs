//! Where the relver gates read from: the release tag under the policy's pattern, the source
//! tree (a folder, or a git commit), and the repository holding the tags.

use std::path::PathBuf;
use std::sync::Arc;

use relver::{GitRepo, Tag, TagClass, TagPolicy, Tree};

use crate::gate::GateContext;
use crate::policy::model::{Policy, VersionSources};

/// What the relver gates need from the context, owned so it can move to a blocking task.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    pub(crate) policy: Arc<Policy>,
    pub(crate) source_dir: Option<PathBuf>,
    pub(crate) tag: Option<String>,
    pub(crate) commit: Option<String>,
}

impl Inputs {
    pub(crate) fn of(ctx: &GateContext) -> Self {
        Inputs {
            policy: Arc::clone(&ctx.policy),
            source_dir: ctx.source_dir.clone(),
            tag: ctx.tag.clone(),
            commit: ctx.commit.clone(),
        }
    }

    /// The policy's tag pattern (`v{version}` by default).
    pub(crate) fn pattern(&self) -> &str {
        self.policy
            .tag
            .as_ref()
            .map_or("v{version}", |t| t.pattern.as_str())
    }

    fn versions(&self) -> VersionSources {
        self.policy.versions.clone().unwrap_or_default()
    }

    /// The release tag, or why there is none to check against.
    pub(crate) fn release_tag(&self) -> Result<Tag, String> {
        let Some(tag) = &self.tag else {
            return Err(String::from(
                "no tag was given for this run, so there is no release version to check",
            ));
        };
        match classify(self.pattern(), tag) {
            Ok(TagClass::Release(t)) => Ok(t),
            Ok(other) => Err(format!("{other} is a floating tag, not a release tag")),
            Err(e) => Err(format!("{tag} is not a release tag: {e}")),
        }
    }

    fn base(&self) -> PathBuf {
        self.policy.base_dir.clone()
    }

    /// The folder holding the sources (or the git work tree) and whether it is read from git.
    pub(crate) fn source_root(&self) -> (PathBuf, bool) {
        if let Some(d) = &self.source_dir {
            return (d.clone(), false);
        }
        let v = self.versions();
        match (&v.git, &v.tree) {
            (Some(g), _) => (self.base().join(g), true),
            (None, Some(t)) => (self.base().join(t), false),
            (None, None) => (self.base(), false),
        }
    }

    /// The repository holding the release tags; an error when the folder is not one (a
    /// lookup in a non-repository must never read as "no such tag").
    pub(crate) fn repo(&self) -> Result<GitRepo, String> {
        open_repo(self.source_root().0)
    }

    /// The repository holding the release tags ([`Inputs::repo`]) and the commit under release
    /// in it ([`Inputs::release_commit`]).
    pub(crate) fn repo_at_release(&self) -> Result<(GitRepo, String), String> {
        let repo = self.repo()?;
        let commit = self.release_commit(&repo)?;
        Ok((repo, commit))
    }

    /// The commit under release: the run's commit, else the tag's when it exists, else `HEAD`.
    pub(crate) fn release_commit(&self, repo: &GitRepo) -> Result<String, String> {
        if let Some(c) = &self.commit {
            return repo
                .resolve_commit(c)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("commit {c} does not exist in {}", repo.dir().display()));
        }
        if let Some(t) = &self.tag
            && let Some(c) = repo.tag_commit(t).map_err(|e| e.to_string())?
        {
            return Ok(c);
        }
        repo.resolve_commit("HEAD")
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{} has no HEAD commit", repo.dir().display()))
    }

    /// The source tree and a label saying where it came from.
    pub(crate) fn tree(&self) -> Result<(Box<dyn Tree>, String), String> {
        let (root, git) = self.source_root();
        if git {
            let repo = open_repo(root.clone())?;
            let commit = self.release_commit(&repo)?;
            let tree = repo.tree_at(&commit).map_err(|e| e.to_string())?;
            Ok((
                Box::new(tree),
                format!("git {} at {commit}", root.display()),
            ))
        } else if root.is_dir() {
            let label = root.display().to_string();
            Ok((Box::new(relver::DirTree::new(root)), label))
        } else {
            Err(format!(
                "the source tree {} is not a folder",
                root.display()
            ))
        }
    }

    /// Whether the policy names no `relver` configuration (neither `config` nor `inline`).
    pub(crate) fn declares_no_config(&self) -> bool {
        let v = self.versions();
        v.config.is_none() && v.inline.is_none()
    }

    /// The `relver` configuration for `tree`.
    pub(crate) fn config(&self, tree: &dyn Tree) -> Result<relver::Config, String> {
        self.versions().config_for(&self.base(), tree)
    }
}

/// Opens the repository at `dir`, checking that it is one.
fn open_repo(dir: PathBuf) -> Result<GitRepo, String> {
    let repo = GitRepo::open(dir);
    match repo.tag_names() {
        Ok(_) => Ok(repo),
        Err(e) => Err(format!(
            "{} is not a readable git repository: {e}",
            repo.dir().display()
        )),
    }
}

/// Classifies `tag` under a tag pattern with one `{version}` (`v{version}`,
/// `clients/go/v{version}`).
pub(crate) fn classify(pattern: &str, tag: &str) -> Result<TagClass, String> {
    let (prefix, suffix) = pattern.split_once("{version}").unwrap_or(("v", ""));
    let core = if suffix.is_empty() {
        tag
    } else {
        tag.strip_suffix(suffix)
            .ok_or_else(|| format!("tag {tag:?} does not end with {suffix:?}"))?
    };
    relver::parse_tag(core, &TagPolicy::new([prefix])).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_with_prefixes_and_suffixes_classify_tags() {
        let release = |p: &str, t: &str| {
            classify(p, t)
                .ok()
                .and_then(|c| c.release().map(|t| t.version().to_string()))
        };
        assert_eq!(release("v{version}", "v1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(release("{version}", "1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(
            release("clients/go/v{version}", "clients/go/v0.9.1").as_deref(),
            Some("0.9.1")
        );
        assert_eq!(
            release("release-{version}-final", "release-2.0.0-final").as_deref(),
            Some("2.0.0")
        );
        assert!(classify("release-{version}-final", "release-2.0.0").is_err());
        assert!(classify("v{version}", "v1.2.3-rc.1").is_err());
        assert!(classify("{version}", "v1.2.3").is_err());
    }

    #[test]
    fn a_floating_tag_is_named_as_written() {
        let policy = crate::policy::model::Policy::from_toml_str(
            "[project]\nname = \"p\"\n",
            "release.toml",
        )
        .unwrap();
        for (tag, want) in [
            ("v1", "v1 is a floating tag, not a release tag"),
            ("v1.2", "v1.2 is a floating tag, not a release tag"),
        ] {
            let inputs = Inputs {
                policy: Arc::new(policy.clone()),
                source_dir: None,
                tag: Some(tag.to_owned()),
                commit: None,
            };
            assert_eq!(inputs.release_tag().unwrap_err(), want);
        }
    }
}
