//! The path rules, one set for every archive reader and for repacking: how a stored path is
//! validated and normalised ([`normalise`]) and when a symlink target stays inside the archive
//! root ([`check_link_target`]). Each caller turns a [`PathProblem`] into its own typed error.

use crate::archive::error::ArchiveErrorKind;
use crate::archive::model::Limits;

/// Why a path or a link target breaks the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathProblem {
    /// Longer than the cap, in bytes.
    TooLong { limit: usize, actual: usize },
    /// Empty.
    Empty,
    /// Holds a NUL byte.
    Nul,
    /// Holds a backslash (a separator on Windows, so `a\..\b` could climb).
    Backslash,
    /// Starts with `/` or a drive letter (`C:`).
    Absolute,
    /// Has an empty component (`a//b`).
    EmptyComponent,
    /// Has a `.` component after its leading `./` (`a/./b`).
    DotComponent,
    /// Has a `..` component.
    DotDot,
    /// A link target that climbs above the archive root.
    LeavesRoot,
}

impl PathProblem {
    /// What is wrong with an entry path, as a short phrase.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            PathProblem::TooLong { .. } => "longer than the path cap",
            PathProblem::Empty => "empty",
            PathProblem::Nul => "contains a NUL byte",
            PathProblem::Backslash => "contains a backslash",
            PathProblem::Absolute => "absolute",
            PathProblem::EmptyComponent => "empty component",
            PathProblem::DotComponent => "`.` component",
            PathProblem::DotDot => "`..` component",
            PathProblem::LeavesRoot => "leaves the archive root",
        }
    }

    /// What is wrong with a link target, as a phrase that follows "link target X".
    pub(crate) fn link_reason(self) -> &'static str {
        match self {
            PathProblem::TooLong { .. } => "is longer than the path cap",
            PathProblem::Empty => "is empty",
            PathProblem::Nul => "contains a NUL byte",
            PathProblem::Backslash => "contains a backslash",
            PathProblem::Absolute => "is absolute",
            PathProblem::EmptyComponent | PathProblem::DotComponent | PathProblem::DotDot => {
                "is not a normalised relative path"
            }
            PathProblem::LeavesRoot => "leaves the archive root",
        }
    }
}

fn has_drive_letter(path: &[u8]) -> bool {
    matches!(path, [d, b':', ..] if d.is_ascii_alphabetic())
}

/// The checks a path and a link target share, in this order: longer than `max_len` bytes,
/// empty, NUL, backslash, absolute (`/…`, `C:…`).
fn check_plain(raw: &str, max_len: usize) -> Result<(), PathProblem> {
    if raw.len() > max_len {
        return Err(PathProblem::TooLong {
            limit: max_len,
            actual: raw.len(),
        });
    }
    if raw.is_empty() {
        return Err(PathProblem::Empty);
    }
    if raw.contains('\0') {
        return Err(PathProblem::Nul);
    }
    if raw.contains('\\') {
        return Err(PathProblem::Backslash);
    }
    if raw.starts_with('/') || has_drive_letter(raw.as_bytes()) {
        return Err(PathProblem::Absolute);
    }
    Ok(())
}

/// The one path rule. Accepts a relative, `/`-separated path whose components are neither empty
/// nor `.` nor `..`, optionally after leading `./` and before one trailing `/`; returns it
/// without those (`.` for the archive root itself: `.`, `./`). Refuses what [`check_plain`]
/// refuses, then a drive letter after the `./`, then empty, `.` and `..` components.
pub(crate) fn normalise(raw: &str, max_len: usize) -> Result<String, PathProblem> {
    check_plain(raw, max_len)?;
    let mut rest = raw;
    while let Some(r) = rest.strip_prefix("./") {
        rest = r;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest == "." {
        return Ok(".".to_owned());
    }
    if has_drive_letter(rest.as_bytes()) {
        return Err(PathProblem::Absolute);
    }
    for component in rest.split('/') {
        match component {
            "" => return Err(PathProblem::EmptyComponent),
            "." => return Err(PathProblem::DotComponent),
            ".." => return Err(PathProblem::DotDot),
            _ => {}
        }
    }
    Ok(rest.to_owned())
}

/// Validates a stored path with the reader's caps and returns its normalised form.
pub(crate) fn normalise_path(raw: &str, limits: &Limits) -> Result<String, ArchiveErrorKind> {
    normalise(raw, limits.max_path_len).map_err(|problem| match problem {
        PathProblem::TooLong { limit, actual } => ArchiveErrorKind::PathTooLong { limit, actual },
        PathProblem::Absolute => ArchiveErrorKind::AbsolutePath {
            path: raw.to_owned(),
        },
        PathProblem::DotDot | PathProblem::LeavesRoot => ArchiveErrorKind::PathTraversal {
            path: raw.to_owned(),
        },
        other => ArchiveErrorKind::InvalidPath {
            path: raw.to_owned(),
            reason: other.reason(),
        },
    })
}

/// The one link rule: a symlink at `path` (normalised) pointing at `target` must name a
/// relative target of at most `max_len` bytes, without NUL or backslash, that does not climb
/// above the archive root when resolved from the link's folder.
pub(crate) fn check_link_target(
    path: &str,
    target: &str,
    max_len: usize,
) -> Result<(), PathProblem> {
    check_plain(target, max_len)?;
    // Depth of the link's folder below the root, then walk the target lexically.
    let mut depth: usize = if path == "." {
        0
    } else {
        path.split('/').count() - 1
    };
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => depth = depth.checked_sub(1).ok_or(PathProblem::LeavesRoot)?,
            _ => depth += 1,
        }
    }
    Ok(())
}

/// [`check_link_target`] with the reader's caps and error kinds.
pub(crate) fn check_symlink_target(
    path: &str,
    target: &str,
    limits: &Limits,
) -> Result<(), ArchiveErrorKind> {
    check_link_target(path, target, limits.max_path_len).map_err(|problem| match problem {
        PathProblem::TooLong { limit, actual } => ArchiveErrorKind::PathTooLong { limit, actual },
        PathProblem::Empty | PathProblem::Nul => ArchiveErrorKind::InvalidPath {
            path: target.to_owned(),
            reason: "empty or NUL link target",
        },
        _ => ArchiveErrorKind::LinkEscapes {
            target: target.to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise_and_refuse_escapes() {
        let l = Limits::default();
        assert_eq!(normalise_path("./a/b/c/", &l).unwrap(), "a/b/c");
        assert_eq!(normalise_path("./", &l).unwrap(), ".");
        for (raw, kind) in [
            ("a/../../b", "PathTraversal"),
            ("/etc/passwd", "AbsolutePath"),
            ("C:/x", "AbsolutePath"),
            ("a\\..\\b", "InvalidPath"),
        ] {
            // The variant, by the name its `Debug` form starts with.
            let err = normalise_path(raw, &l).unwrap_err();
            assert!(format!("{err:?}").starts_with(kind), "{raw:?}: {err:?}");
        }
        let long = "a".repeat(1025);
        assert!(matches!(
            normalise_path(&long, &l),
            Err(ArchiveErrorKind::PathTooLong {
                limit: 1024,
                actual: 1025
            })
        ));
    }

    /// The rule change of the merge: readers now refuse what repacking always refused (empty
    /// and `.` components), and repacking refuses what readers always refused (drive letters).
    #[test]
    fn one_rule_for_readers_and_repack() {
        let l = Limits::default();
        for (raw, problem) in [
            ("a//b", PathProblem::EmptyComponent),
            ("./a//b/./c/", PathProblem::EmptyComponent),
            ("a/./b", PathProblem::DotComponent),
            ("a/.", PathProblem::DotComponent),
            ("C:x", PathProblem::Absolute),
            ("./C:/x", PathProblem::Absolute),
            ("", PathProblem::Empty),
            ("a\0", PathProblem::Nul),
            ("..", PathProblem::DotDot),
        ] {
            assert_eq!(normalise(raw, 1024), Err(problem), "{raw:?}");
            assert!(normalise_path(raw, &l).is_err(), "{raw:?}");
        }
        assert!(matches!(
            normalise_path("a//b", &l),
            Err(ArchiveErrorKind::InvalidPath {
                reason: "empty component",
                ..
            })
        ));
        assert_eq!(normalise("././a/", 1024).unwrap(), "a");
        assert_eq!(normalise(".", 1024).unwrap(), ".");
    }

    #[test]
    fn symlink_targets_resolve_from_the_parent() {
        // Which targets are refused: `repack::normalise`'s test walks one table of cases for
        // both readers (`check_symlink_target`) and repacking.
        assert_eq!(
            check_link_target("link", "..", 1024),
            Err(PathProblem::LeavesRoot)
        );
        assert_eq!(
            check_link_target("link", &"t".repeat(11), 10),
            Err(PathProblem::TooLong {
                limit: 10,
                actual: 11
            })
        );
    }
}
