//! The tree `rebuild-identity` builds. In a git repository it is always a fresh checkout in a
//! folder the gate owns: the run's tag (or commit), else — unpinned — `HEAD` of a clean
//! working tree. A source folder that is no repository is built where it is.
//!
//! The checkout is `git worktree add --detach`, not a `git archive` export: the tree is the
//! one a CI checkout builds (no `export-ignore` or `export-subst` rewriting), and it keeps
//! `.git`, so `cargo package` writes the same `.cargo_vcs_info.json` (the commit id) and build
//! scripts can run `git describe`. Hooks are switched off for the checkout, and the worktree
//! is removed (and pruned) when the [`BuildTree`] is dropped.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Lines of `git status --porcelain` quoted when the working tree is dirty.
const QUOTED_CHANGES: usize = 5;

/// What ties the tree built to the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pin {
    /// The tree of the run's tag or commit (`rev` as given), checked out fresh.
    Release {
        /// `tag v1.0.0` or `commit 1a2b…`.
        rev: String,
        /// The full commit id.
        commit: String,
    },
    /// No tag or commit was given: `HEAD` of a clean working tree, checked out fresh.
    Head {
        /// The full commit id.
        commit: String,
    },
    /// The source folder is not a git repository (or only a folder inside one that the policy
    /// does not declare as `[versions] git`): built where it is.
    Folder,
}

impl Pin {
    /// The commit built, when there is one.
    pub(crate) fn commit(&self) -> Option<&str> {
        match self {
            Pin::Release { commit, .. } | Pin::Head { commit } => Some(commit),
            Pin::Folder => None,
        }
    }

    /// Whether the tree is a fresh checkout inside the gate's scratch folder.
    pub(crate) fn is_checkout(&self) -> bool {
        !matches!(self, Pin::Folder)
    }

    /// For people: `tag v1.0.0 (commit 1a2b…)`, `HEAD 1a2b… (no tag or commit given)`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Pin::Release { rev, commit } if rev.ends_with(commit.as_str()) => rev.clone(),
            Pin::Release { rev, commit } => format!("{rev} (commit {commit})"),
            Pin::Head { commit } => format!("HEAD {commit} (no tag or commit was given)"),
            Pin::Folder => String::from("the source folder as it is (not a git checkout)"),
        }
    }
}

/// Why no tree can be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Fail closed with this cause: an unknown tag or commit, a failed checkout.
    Error(String),
    /// Nothing pins the build and the working tree at `repo` has uncommitted changes.
    Dirty {
        /// The source folder.
        repo: PathBuf,
        /// The first lines of `git status --porcelain`, and how many there are in all.
        changes: Vec<String>,
        /// How many changed paths.
        count: usize,
    },
}

/// The tree to build: the folder the build runs in and what pins it. A checkout is removed
/// when this is dropped.
#[derive(Debug)]
pub(crate) struct BuildTree {
    /// Where the build runs (the checkout, or the folder inside it the source names).
    pub(crate) dir: PathBuf,
    /// What ties it to the release.
    pub(crate) pin: Pin,
    checkout: Option<Checkout>,
}

/// A `git worktree` to remove.
#[derive(Debug)]
struct Checkout {
    repo: PathBuf,
    path: PathBuf,
}

impl Drop for BuildTree {
    fn drop(&mut self) {
        if let Some(c) = self.checkout.take() {
            let force = [
                OsStr::new("worktree"),
                OsStr::new("remove"),
                OsStr::new("--force"),
            ];
            let mut args: Vec<&OsStr> = force.to_vec();
            args.extend([OsStr::new("--force"), c.path.as_os_str()]);
            let _ = git(&c.repo, &args);
            if c.path.exists() {
                let _ = std::fs::remove_dir_all(&c.path);
            }
            let _ = git(&c.repo, &[OsStr::new("worktree"), OsStr::new("prune")]);
        }
    }
}

/// How a git command ended.
struct GitOut {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs `git -C dir args…` with the caller's `GIT_DIR`-style variables removed (they would
/// point git elsewhere than `dir`).
fn git(dir: &Path, args: &[&OsStr]) -> Result<GitOut, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_COMMON_DIR")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git in {}: {e}", dir.display()))?;
    Ok(GitOut {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    })
}

fn git_str(dir: &Path, args: &[&str]) -> Result<GitOut, String> {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    git(dir, &args)
}

/// The repository's top folder and the source's path inside it, or `None` when `source` is
/// in no repository.
pub(crate) fn locate(source: &Path) -> Result<Option<(PathBuf, String)>, String> {
    let out = git_str(source, &["rev-parse", "--show-toplevel", "--show-prefix"])?;
    if !out.ok {
        if out.stderr.contains("not a git repository") {
            return Ok(None);
        }
        return Err(format!(
            "cannot tell whether {} is a git repository: {}",
            source.display(),
            out.stderr
        ));
    }
    let mut lines = out.stdout.lines();
    let top = lines.next().unwrap_or_default().trim();
    let prefix = lines.next().unwrap_or_default().trim();
    if top.is_empty() {
        return Ok(None);
    }
    Ok(Some((PathBuf::from(top), prefix.to_owned())))
}

/// The commit `rev` names, when it names one.
fn resolve(repo: &Path, rev: &str) -> Result<Option<String>, String> {
    if rev.starts_with('-') {
        return Ok(None);
    }
    let out = git_str(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )?;
    let id = out.stdout.trim();
    Ok((out.ok && !id.is_empty()).then(|| id.to_owned()))
}

/// The commit to build for the run's `tag` and `commit`; both must exist, and agree when both
/// are given.
fn release_commit(
    repo: &Path,
    tag: Option<&str>,
    commit: Option<&str>,
) -> Result<(String, String), String> {
    let by_tag = match tag {
        Some(t) => Some(resolve(repo, &format!("refs/tags/{t}"))?.ok_or_else(|| {
            format!(
                "the release tag {t} does not exist in the repository {} (the rebuild builds the tag's tree, never the working tree)",
                repo.display()
            )
        })?),
        None => None,
    };
    let by_commit = match commit {
        Some(c) => Some(resolve(repo, c)?.ok_or_else(|| {
            format!(
                "the release commit {c} does not exist in the repository {}",
                repo.display()
            )
        })?),
        None => None,
    };
    match (tag, by_tag, commit, by_commit) {
        (Some(t), Some(a), Some(c), Some(b)) if a != b => Err(format!(
            "the release tag {t} points at {a}, but the run's commit {c} is {b}: which tree to rebuild is ambiguous"
        )),
        (Some(t), Some(a), _, _) => Ok((format!("tag {t}"), a)),
        (_, _, Some(_), Some(b)) => Ok((format!("commit {b}"), b)),
        _ => Err(String::from("no tag or commit to resolve")),
    }
}

/// Checks out `commit` of `repo` into `path` (which must not exist) as a detached worktree.
fn checkout(repo: &Path, commit: &str, path: &Path) -> Result<Checkout, String> {
    let args = [
        OsStr::new("-c"),
        OsStr::new("core.hooksPath=/dev/null"),
        OsStr::new("worktree"),
        OsStr::new("add"),
        OsStr::new("--detach"),
        OsStr::new("--quiet"),
        path.as_os_str(),
        OsStr::new(commit),
    ];
    let out = git(repo, &args)?;
    let made = Checkout {
        repo: repo.to_path_buf(),
        path: path.to_path_buf(),
    };
    if out.ok {
        Ok(made)
    } else {
        // Dropped at once: whatever git left behind is removed and pruned.
        drop(BuildTree {
            dir: path.to_path_buf(),
            pin: Pin::Folder,
            checkout: Some(made),
        });
        Err(format!(
            "cannot check out {commit} of {} into {}: {}",
            repo.display(),
            path.display(),
            out.stderr
        ))
    }
}

/// The tree to build from `source` for the run's `tag`/`commit`, checked out under `scratch`
/// (a fresh folder the gate owns) unless the source is no repository. `declared_git`: the
/// policy names the source as `[versions] git`, so it must be a repository, and a folder
/// inside one is built from the repository's tree.
pub(crate) fn prepare(
    source: &Path,
    declared_git: bool,
    tag: Option<&str>,
    commit: Option<&str>,
    scratch: &Path,
) -> Result<BuildTree, Refused> {
    let folder = || BuildTree {
        dir: source.to_path_buf(),
        pin: Pin::Folder,
        checkout: None,
    };
    let (top, prefix) = match locate(source).map_err(Refused::Error)? {
        Some(found) => found,
        None if declared_git => {
            return Err(Refused::Error(format!(
                "[versions] git names {}, which is not a git repository",
                source.display()
            )));
        }
        None => return Ok(folder()),
    };
    // A folder inside some other repository (a generated tree, a vendored copy) is not that
    // repository's release: only the policy's `[versions] git` says otherwise.
    if !prefix.is_empty() && !declared_git {
        return Ok(folder());
    }
    let pin = if tag.is_none() && commit.is_none() {
        let status = git_str(
            source,
            &[
                "status",
                "--porcelain",
                "--untracked-files=normal",
                "--",
                ".",
            ],
        )
        .map_err(Refused::Error)?;
        if !status.ok {
            return Err(Refused::Error(format!(
                "git status failed in {}: {}",
                source.display(),
                status.stderr
            )));
        }
        let changes: Vec<String> = status.stdout.lines().map(str::to_owned).collect();
        if !changes.is_empty() {
            return Err(Refused::Dirty {
                repo: source.to_path_buf(),
                count: changes.len(),
                changes: changes.into_iter().take(QUOTED_CHANGES).collect(),
            });
        }
        let head = resolve(&top, "HEAD")
            .map_err(Refused::Error)?
            .ok_or_else(|| Refused::Error(format!("{} has no HEAD commit", top.display())))?;
        Pin::Head { commit: head }
    } else {
        let (rev, commit) = release_commit(&top, tag, commit).map_err(Refused::Error)?;
        Pin::Release { rev, commit }
    };
    let path = scratch.join("tree");
    let commit = pin.commit().unwrap_or_default().to_owned();
    let made = checkout(&top, &commit, &path).map_err(Refused::Error)?;
    let tree = BuildTree {
        dir: path.join(&prefix),
        pin,
        checkout: Some(made),
    };
    if !tree.dir.is_dir() {
        return Err(Refused::Error(format!(
            "{prefix} is not a folder in {}",
            tree.pin.describe()
        )));
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, script: &str) {
        let out = Command::new("sh")
            .args(["-c", script])
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }

    /// A repository that `script` makes in a new folder, and a new scratch folder.
    fn repo_and_scratch(script: &str) -> (tempfile::TempDir, tempfile::TempDir) {
        let repo = tempfile::tempdir().unwrap();
        sh(repo.path(), script);
        (repo, tempfile::tempdir().unwrap())
    }

    #[test]
    fn a_tag_is_checked_out_fresh_and_removed_afterwards() {
        let (repo, scratch) = repo_and_scratch(
            "git init -q -b main && echo one > f && git add f && git commit -qm one && git tag v1 && echo two > f && git commit -qam two",
        );
        let tree = prepare(repo.path(), false, Some("v1"), None, scratch.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(tree.dir.join("f")).unwrap(),
            "one\n"
        );
        assert!(tree.dir.starts_with(scratch.path()));
        assert!(matches!(&tree.pin, Pin::Release { rev, .. } if rev == "tag v1"));
        let dir = tree.dir.clone();
        drop(tree);
        assert!(!dir.exists());
        let list = git_str(repo.path(), &["worktree", "list", "--porcelain"]).unwrap();
        assert_eq!(
            list.stdout.matches("worktree ").count(),
            1,
            "{}",
            list.stdout
        );

        let e = prepare(repo.path(), false, Some("v9"), None, scratch.path()).unwrap_err();
        assert!(
            matches!(&e, Refused::Error(m) if m.contains("release tag v9 does not exist")),
            "{e:?}"
        );
        let e = prepare(repo.path(), false, Some("v1"), Some("HEAD"), scratch.path()).unwrap_err();
        assert!(
            matches!(&e, Refused::Error(m) if m.contains("ambiguous")),
            "{e:?}"
        );
    }

    #[test]
    fn unpinned_builds_need_a_clean_tree_and_folders_are_built_in_place() {
        let (repo, scratch) = repo_and_scratch(
            "git init -q -b main && mkdir sub && echo one > sub/f && git add . && git commit -qm one",
        );
        let tree = prepare(repo.path(), false, None, None, scratch.path()).unwrap();
        assert!(matches!(tree.pin, Pin::Head { .. }));
        drop(tree);
        // A folder inside a repository is built in place unless the policy declares it git.
        let sub = repo.path().join("sub");
        let tree = prepare(&sub, false, Some("v1"), None, scratch.path()).unwrap();
        assert_eq!(
            (tree.pin.clone(), tree.dir.clone()),
            (Pin::Folder, sub.clone())
        );
        let e = prepare(&sub, true, Some("v1"), None, scratch.path()).unwrap_err();
        assert!(matches!(e, Refused::Error(_)));
        std::fs::write(sub.join("new"), "x").unwrap();
        let e = prepare(repo.path(), false, None, None, scratch.path()).unwrap_err();
        assert!(
            matches!(&e, Refused::Dirty { count: 1, changes, .. } if changes[0] == "?? sub/new"),
            "{e:?}"
        );
        let plain = tempfile::tempdir().unwrap();
        let tree = prepare(plain.path(), false, Some("v1"), None, scratch.path()).unwrap();
        assert_eq!(tree.pin, Pin::Folder);
        assert!(prepare(plain.path(), true, None, None, scratch.path()).is_err());
    }
}
