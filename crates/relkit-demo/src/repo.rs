//! The demo release's repository: `examples/demo-release/source` ships as a plain folder (a
//! git repository cannot be committed inside another), so the demo run makes it the repository
//! it stands for — one commit of exactly that tree, tagged with the release tag — with a fixed
//! author, committer, tagger and date and no user or system git configuration. The commit id
//! therefore depends only on the tree's bytes: the same on every machine, and another one as
//! soon as a file of the source changes (a tampered copy gets its own commit).

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::release::copy_tree;

/// The identity that commits and tags the demo repository.
pub const DEMO_GIT_IDENTITY: (&str, &str) = ("relkit demo", "demo@relkit.invalid");

/// The date of the demo repository's commit and tag (the demo signing time's day).
pub const DEMO_GIT_DATE: &str = "2026-01-15T12:00:00+00:00";

/// The demo release's repository, made in a folder of its own.
#[derive(Debug)]
pub struct DemoRepository {
    dir: tempfile::TempDir,
}

impl DemoRepository {
    /// Copies `source` into a new temporary folder, commits it as one commit on `main` and
    /// tags that commit `tag` (an annotated tag, as release tags are).
    ///
    /// # Errors
    /// When the copy fails, or git cannot be started or fails (its standard error is named).
    pub fn make(source: &Path, tag: &str) -> io::Result<DemoRepository> {
        let dir = tempfile::Builder::new()
            .prefix("relkit-demo-source-")
            .tempdir()?;
        if tag.starts_with('-') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{tag:?} is not a tag name"),
            ));
        }
        copy_tree(source, dir.path()).map_err(io::Error::other)?;
        let repo = DemoRepository { dir };
        repo.git(&["init", "-q", "-b", "main"])?;
        repo.git(&["add", "-A"])?;
        repo.git(&["commit", "-q", "-m", "relkit-demo release"])?;
        repo.git(&["tag", "-a", "-m", tag, tag])?;
        Ok(repo)
    }

    /// The repository's top folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The commit the tag points at.
    ///
    /// # Errors
    /// When git fails.
    pub fn tag_commit(&self, tag: &str) -> io::Result<String> {
        self.git(&[
            "rev-parse",
            "--verify",
            "--end-of-options",
            &format!("{tag}^{{commit}}"),
        ])
    }

    fn git(&self, args: &[&str]) -> io::Result<String> {
        let (name, email) = DEMO_GIT_IDENTITY;
        let out = Command::new("git")
            .arg("-C")
            .arg(self.dir.path())
            .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
            .args(["-c", "core.autocrlf=false", "-c", "core.fileMode=true"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", name)
            .env("GIT_AUTHOR_EMAIL", email)
            .env("GIT_AUTHOR_DATE", DEMO_GIT_DATE)
            .env("GIT_COMMITTER_NAME", name)
            .env("GIT_COMMITTER_EMAIL", email)
            .env("GIT_COMMITTER_DATE", DEMO_GIT_DATE)
            .output()
            .map_err(|e| io::Error::new(e.kind(), format!("git {args:?} could not start: {e}")))?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "git {args:?} in {} failed: {}",
                self.dir.path().display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

/// Whether `dir` is the top folder of a git repository of its own (not a folder inside one,
/// not a plain folder).
pub fn is_repository_top(dir: &Path) -> bool {
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["rev-parse", "--show-toplevel"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
                .canonicalize()
                .ok()
        })
        .is_some_and(|top| top == dir)
}
