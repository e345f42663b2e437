//! git for fixture repositories: a fixed committer identity, no signing, no user config.

use std::path::Path;
use std::process::Command;

/// Runs `git -C dir ARGS` as committer `t <t@t.invalid>` with commit and tag signing off, and
/// returns its standard output, trimmed.
///
/// # Panics
/// When git cannot be started or exits unsuccessfully: the fixture the test needs is not there,
/// so the test fails, naming the command and its output.
#[track_caller]
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => crate::fail(&format!("git {args:?} could not start: {e}")),
    };
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_carry_the_fixed_identity() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        std::fs::write(dir.path().join("a"), "a").unwrap();
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "one"]);
        assert_eq!(
            git(dir.path(), &["log", "-1", "--format=%an <%ae>"]),
            "t <t@t.invalid>"
        );
    }
}
