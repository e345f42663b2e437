//! Whether a rebuilt file is this build's: inside a folder the gate owns and changed after the
//! build started. A stale file (left by another build, committed, or written where an inherited
//! `CARGO_TARGET_DIR` pointed) must never compare equal on the release's behalf.

use std::path::{Path, PathBuf};

use crate::finding::{Code, Finding, Severity};
use crate::gates::rebuild::identity::pinned::Pin;

/// A file's status-change time (seconds, nanoseconds since the epoch). It cannot be set by the
/// build (unlike the modification time, which tools set to `SOURCE_DATE_EPOCH`).
pub(crate) type Stamp = (i64, i64);

/// Where the compared files must come from.
#[derive(Debug, Clone)]
pub(crate) struct Within {
    /// The empty folder the gate made for the artifacts (`RELKIT_REBUILD_OUT`).
    pub(crate) out_dir: PathBuf,
    /// The tree the build ran in.
    pub(crate) source: PathBuf,
    /// Canonical folders whose files count as written by this build.
    pub(crate) owned: Vec<PathBuf>,
    /// When the build started, on the file system's clock.
    pub(crate) started: Stamp,
}

fn changed_at(meta: &std::fs::Metadata) -> Stamp {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.ctime(), meta.ctime_nsec())
    }
    #[cfg(not(unix))]
    {
        let t = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        (
            i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
            i64::from(t.subsec_nanos()),
        )
    }
}

/// The build's start on the file system's own clock: the change time of a marker file written
/// into `scratch` just before the build, rewritten until that clock has ticked past the first
/// write. A file changed before (a checkout, a stale artifact) is then strictly older, even on
/// a coarse clock.
pub(crate) fn build_started(scratch: &Path) -> Result<Stamp, String> {
    let marker = scratch.join("build-started");
    let stamp = || {
        std::fs::write(&marker, b"")
            .and_then(|()| std::fs::metadata(&marker))
            .map(|m| changed_at(&m))
            .map_err(|e| format!("cannot mark the build's start in {}: {e}", marker.display()))
    };
    let first = stamp()?;
    for _ in 0..2000 {
        std::thread::sleep(std::time::Duration::from_millis(1));
        let now = stamp()?;
        if now > first {
            return Ok(now);
        }
    }
    Err(format!(
        "the file system clock of {} does not advance",
        scratch.display()
    ))
}

/// Why the regular file `path` cannot be shown to come from this build, if it cannot.
pub(crate) fn not_from_this_build(path: &Path, within: &Within) -> Option<String> {
    let real = match path.canonicalize() {
        Ok(p) => p,
        Err(e) => return Some(format!("{} cannot be resolved: {e}", path.display())),
    };
    if !within.owned.iter().any(|d| real.starts_with(d)) {
        let owned: Vec<String> = within
            .owned
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        return Some(format!(
            "{} lies outside the folders this build owns ({})",
            real.display(),
            owned.join(", ")
        ));
    }
    match std::fs::metadata(&real) {
        Ok(m) if changed_at(&m) >= within.started => None,
        Ok(_) => Some(format!(
            "{} was last changed before the build started: it is left from something else",
            real.display()
        )),
        Err(e) => Some(format!("{} cannot be read: {e}", real.display())),
    }
}

/// The finding for a compared file this build did not provably write.
pub(crate) fn stale_finding(rel: &str, why: String) -> Finding {
    Finding::new(Code::RebuildOutputStale, rel)
        .expected("a file this build wrote, in a folder the gate created for it")
        .found(why)
        .hint("let the build write into RELKIT_REBUILD_OUT, or name in [rebuild] output a folder the build itself creates")
}

/// The finding when the `[rebuild] output` folder `rel` is in `dir` before the build.
pub(crate) fn existing_output(dir: &Path, rel: &Path, pin: &Pin) -> Option<Finding> {
    let at = dir.join(rel);
    std::fs::symlink_metadata(&at).ok()?;
    let hint = if pin.is_checkout() {
        "remove the folder from the repository: the build must create its output folder"
    } else {
        "remove the folder before the run, or rebuild from the release tag of a git repository (then the gate builds a fresh checkout)"
    };
    Some(
        Finding::new(Code::RebuildOutputStale, rel.display().to_string())
            .expected("no such folder before the build: the build creates it")
            .found(format!(
                "{} exists in {} before the build; files in it may come from another build",
                at.display(),
                pin.describe()
            ))
            .hint(hint),
    )
}

/// The error when nothing pins the build and the working tree has uncommitted changes.
pub(crate) fn dirty_finding(repo: &Path, changes: &[String], count: usize) -> Finding {
    let more = count.saturating_sub(changes.len());
    let mut listed = changes.join("; ");
    if more > 0 {
        listed.push_str(&format!("; and {more} more"));
    }
    Finding::new(Code::RebuildUnpinned, repo.display().to_string())
        .severity(Severity::Error)
        .expected("a release tag or commit to rebuild, or a clean working tree")
        .found(format!(
            "no tag or commit was given and the working tree has {count} uncommitted change(s): {listed}"
        ))
        .hint("pass the release tag (the gate then rebuilds the tag's tree in a fresh checkout), or commit the changes")
}

/// The warning that nothing pins the tree built: no tag or commit was given (`given` false), or
/// the source is a plain folder where a given tag cannot be resolved (also recorded in the
/// evidence as `pinned: false`).
pub(crate) fn unpinned_finding(source: &Path, pin: &Pin, given: bool) -> Option<Finding> {
    let found = match pin {
        Pin::Release { .. } => return None,
        Pin::Folder if given => format!(
            "{} is not a git repository (nor named by [versions] git), so the release tag could not be resolved there: built the folder as it is",
            source.display()
        ),
        Pin::Head { commit } => format!(
            "no tag or commit was given: built HEAD {commit} of a clean working tree, which nothing ties to the release"
        ),
        Pin::Folder => format!(
            "no tag or commit was given, and {} is not a git repository (nor named by [versions] git): built the folder as it is",
            source.display()
        ),
    };
    Some(
        Finding::new(Code::RebuildUnpinned, source.display().to_string())
            .expected("the tree of the release tag or commit")
            .found(found)
            .hint("rebuild from the git repository holding the release tag, with the tag given (--tag)"),
    )
}
