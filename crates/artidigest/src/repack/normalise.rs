//! From the caller's entry list to what the writers receive: every path and link target checked
//! against the one path rule the readers apply, duplicates and entries below non-directories
//! refused, hard links resolved into copies, and the profile's mode, mtime and order applied.

use std::collections::BTreeMap;

use crate::archive::links::LinkModel;
use crate::archive::paths::{PathProblem, check_link_target, normalise};
use crate::archive::{ArchiveErrorKind, Limits};
use crate::repack::error::RepackError;
use crate::repack::options::{Profile, RepackEntry, RepackKind, RepackOptions};

/// An entry after validation and normalisation, ready to write.
#[derive(Debug, Clone)]
pub(crate) struct Normal {
    pub(crate) path: String,
    pub(crate) kind: NormalKind,
    pub(crate) executable: bool,
    pub(crate) mtime: u64,
}

/// What a [`Normal`] entry is; hard links were resolved into file copies.
#[derive(Debug, Clone)]
pub(crate) enum NormalKind {
    File(Vec<u8>),
    Directory,
    Symlink(String),
}

fn invalid_path(path: &str, problem: PathProblem) -> RepackError {
    RepackError::InvalidPath {
        path: path.to_owned(),
        reason: problem.reason(),
    }
}

/// Validates an entry path by the readers' rule and returns it without `./` prefixes or a
/// trailing `/`; the archive root itself (`.`, `./`) is implied, never an entry.
pub(crate) fn entry_path(path: &str, limits: &Limits) -> Result<String, RepackError> {
    match normalise(path, limits.max_path_len) {
        Ok(normal) if normal == "." => Err(invalid_path(path, PathProblem::Empty)),
        Ok(normal) => Ok(normal),
        Err(problem) => Err(invalid_path(path, problem)),
    }
}

/// Checks a symlink at `path` pointing to `target` by the readers' rule: a relative target
/// within the path cap that stays inside the archive root.
pub(crate) fn link_target(path: &str, target: &str, limits: &Limits) -> Result<(), RepackError> {
    check_link_target(path, target, limits.max_path_len).map_err(|problem| {
        RepackError::BadLinkTarget {
            path: path.to_owned(),
            target: target.to_owned(),
            reason: problem.link_reason(),
        }
    })
}

/// Validates, de-duplicates, resolves hard links and applies the profile's metadata rules.
pub(crate) fn normalise_entries(
    entries: Vec<RepackEntry>,
    opts: &RepackOptions,
) -> Result<(Vec<Normal>, usize), RepackError> {
    let limits = &opts.limits;
    if entries.len() > limits.max_entries {
        return Err(RepackError::TooManyEntries {
            limit: limits.max_entries,
        });
    }
    let mut by_path: BTreeMap<String, RepackEntry> = BTreeMap::new();
    let mut total: u64 = 0;
    for entry in entries {
        let path = entry_path(&entry.path, limits)?;
        if let RepackKind::File(data) = &entry.kind {
            let len = data.len() as u64;
            if len > limits.max_entry_size {
                return Err(RepackError::TooLarge {
                    path,
                    limit: limits.max_entry_size,
                });
            }
            total = total.saturating_add(len);
            if total > limits.max_total_size {
                return Err(RepackError::TooLarge {
                    path,
                    limit: limits.max_total_size,
                });
            }
        }
        if by_path.contains_key(&path) {
            return Err(RepackError::DuplicatePath { path });
        }
        by_path.insert(path, entry);
    }
    // Every parent of an entry must be a directory when the archive lists it: a path through a
    // symlink or a file would extract outside the tree or fail (readers refuse it too).
    for path in by_path.keys() {
        for (i, _) in path.match_indices('/') {
            let Some(parent) = path.get(..i) else {
                continue;
            };
            if let Some(p) = by_path.get(parent)
                && p.kind != RepackKind::Directory
            {
                return Err(RepackError::ParentNotDirectory {
                    path: path.clone(),
                    parent: parent.to_owned(),
                });
            }
        }
    }
    // The readers resolve symlinks through each other (`up -> .` then `x -> up/up/../..`);
    // what they would refuse is refused here, lexical checks first.
    let mut links = LinkModel::default();
    for (path, entry) in &by_path {
        if let RepackKind::Symlink(target) = &entry.kind {
            link_target(path, target, limits)?;
            links.add_symlink(0, path, path, target);
        }
    }
    if let Err(failure) = links.finish() {
        let target = match by_path.get(&failure.name).map(|e| &e.kind) {
            Some(RepackKind::Symlink(t)) => t.clone(),
            _ => String::new(),
        };
        return Err(RepackError::BadLinkTarget {
            path: failure.name,
            target,
            reason: match failure.kind {
                ArchiveErrorKind::LinkLoop { .. } => {
                    "does not resolve: a symlink loop or a chain of more than 40 links"
                }
                _ => "leaves the archive root once the archive's symlinks are followed",
            },
        });
    }
    // Hard links first (they copy their target's content), so that files can then be moved.
    let mut link_data: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (path, entry) in &by_path {
        if let RepackKind::Hardlink(target) = &entry.kind {
            let bad = |reason| RepackError::BadLinkTarget {
                path: path.clone(),
                target: target.clone(),
                reason,
            };
            let key = entry_path(target, limits).map_err(|_| bad("is not a valid path"))?;
            match by_path.get(&key).map(|e| &e.kind) {
                Some(RepackKind::File(data)) => {
                    total = total.saturating_add(data.len() as u64);
                    if total > limits.max_total_size {
                        return Err(RepackError::TooLarge {
                            path: path.clone(),
                            limit: limits.max_total_size,
                        });
                    }
                    link_data.insert(path.clone(), data.clone());
                }
                Some(_) => return Err(bad("is not a regular file")),
                None => return Err(bad("names no entry of the archive")),
            }
        }
    }
    let hardlinks = link_data.len();
    let mut out = Vec::with_capacity(by_path.len());
    for (path, entry) in by_path {
        let kind = match entry.kind {
            RepackKind::File(data) => NormalKind::File(data),
            RepackKind::Directory => {
                // Written with a trailing `/`, which the readers' path cap counts too.
                if path.len() >= limits.max_path_len {
                    let too_long = PathProblem::TooLong {
                        limit: limits.max_path_len,
                        actual: path.len() + 1,
                    };
                    return Err(invalid_path(&entry.path, too_long));
                }
                NormalKind::Directory
            }
            RepackKind::Symlink(target) => {
                link_target(&path, &target, limits)?;
                NormalKind::Symlink(target)
            }
            RepackKind::Hardlink(_) => {
                NormalKind::File(link_data.remove(&path).unwrap_or_default())
            }
        };
        let executable = match opts.profile {
            Profile::Deterministic => entry.mode & 0o111 != 0,
            Profile::Cargo => entry.mode & 0o100 != 0,
        };
        out.push(Normal {
            path,
            kind,
            executable,
            mtime: match opts.profile {
                Profile::Deterministic => opts.mtime.apply(entry.mtime),
                Profile::Cargo => entry.mtime,
            },
        });
    }
    match opts.profile {
        // BTreeMap order is byte order already.
        Profile::Deterministic => {}
        // `cargo package` sorts `PathBuf`s, i.e. component by component.
        Profile::Cargo => out.sort_by(|a, b| a.path.split('/').cmp(b.path.split('/'))),
    }
    Ok((out, hardlinks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_validated() {
        let l = Limits::default();
        assert_eq!(l.max_path_len, 1024);
        assert_eq!(entry_path("./a/b/", &l).unwrap(), "a/b");
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "a//b",
            "a/./b",
            "..",
            "a\\b",
            "a\0",
        ] {
            assert!(
                matches!(entry_path(bad, &l), Err(RepackError::InvalidPath { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn symlinks_are_resolved_through_each_other() {
        let opts = RepackOptions::new(crate::archive::Format::Tar);
        let entries = |x: &str| {
            vec![
                RepackEntry::symlink("pkg/up", "."),
                RepackEntry::symlink("pkg/x", x),
            ]
        };
        assert!(normalise_entries(entries("up/up/../etc"), &opts).is_ok());
        let err = normalise_entries(entries("up/up/../../etc/passwd"), &opts).unwrap_err();
        assert!(
            matches!(&err, RepackError::BadLinkTarget { path, reason, .. }
                if path == "pkg/x" && reason.contains("once the archive's symlinks")),
            "{err:?}"
        );
        let looped = vec![
            RepackEntry::symlink("a", "b"),
            RepackEntry::symlink("b", "a"),
        ];
        assert!(matches!(
            normalise_entries(looped, &opts),
            Err(RepackError::BadLinkTarget { reason, .. }) if reason.contains("loop")
        ));
    }

    /// Symlink targets resolve from the link's parent and may not leave the root: one rule for
    /// readers (`check_symlink_target`) and repacking (`link_target`).
    #[test]
    fn symlinks_may_not_escape() {
        let l = Limits::default();
        for (link, target, allowed) in [
            ("a/b/link", "../c", true),
            ("a/b/link", "../../c", true),
            ("a/b/link", "../../../c", false),
            ("a/b/link", "../../../etc/passwd", false),
            ("link", "/etc/passwd", false),
            ("a/link", "x/../../..", false),
            ("link", "C:x", false),
            ("link", "..", false),
        ] {
            let read = crate::archive::paths::check_symlink_target(link, target, &l);
            assert_eq!(read.is_ok(), allowed, "reading {link} -> {target}");
            let repacked = link_target(link, target, &l);
            assert_eq!(repacked.is_ok(), allowed, "repacking {link} -> {target}");
        }
    }
}
