//! A release folder as it is on disk: a walk that never follows a link and records every node
//! as what it is, and a bounded open that resolves a relative path component by component
//! inside its root.
//!
//! Both are the one way relkit reads a folder it did not make. A symlink, a FIFO, a socket or a
//! device is never opened: the walk reports it, the open refuses it before any `open(2)` that
//! could block or leave the root. Reads are bounded by the bytes actually read, not by what the
//! file's metadata claims (an endless device reports size 0).

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// What a node of a folder is. Only [`NodeKind::File`] is ever opened.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// A regular file.
    File,
    /// A directory (walked into, never listed as an entry).
    Dir,
    /// A symbolic link (never followed).
    Symlink,
    /// A named pipe.
    Fifo,
    /// A Unix domain socket.
    Socket,
    /// A block device.
    BlockDevice,
    /// A character device.
    CharDevice,
    /// Anything else the platform reports.
    Other,
}

impl NodeKind {
    fn of(ft: &std::fs::FileType) -> NodeKind {
        #[cfg(unix)]
        use std::os::unix::fs::FileTypeExt;
        type Test = fn(&std::fs::FileType) -> bool;
        let tests: &[(Test, NodeKind)] = &[
            (std::fs::FileType::is_symlink, NodeKind::Symlink),
            (std::fs::FileType::is_file, NodeKind::File),
            (std::fs::FileType::is_dir, NodeKind::Dir),
            #[cfg(unix)]
            (FileTypeExt::is_fifo, NodeKind::Fifo),
            #[cfg(unix)]
            (FileTypeExt::is_socket, NodeKind::Socket),
            #[cfg(unix)]
            (FileTypeExt::is_block_device, NodeKind::BlockDevice),
            #[cfg(unix)]
            (FileTypeExt::is_char_device, NodeKind::CharDevice),
        ];
        tests
            .iter()
            .find(|(is, _)| is(ft))
            .map_or(NodeKind::Other, |&(_, kind)| kind)
    }
}

relkit_finding::names! {
    NodeKind,
    /// A stable lower-case name (`file`, `symlink`, `fifo`, …).
    fn as_str {
        File => "file",
        Dir => "directory",
        Symlink => "symlink",
        Fifo => "fifo",
        Socket => "socket",
        BlockDevice => "block-device",
        CharDevice => "char-device",
        Other => "other",
    }
}

/// One node found by [`walk_folder`]: every regular file, symlink and special file below the
/// root (directories are walked into, not listed).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FolderEntry {
    /// The path relative to the root, `/`-separated.
    pub path: String,
    /// What the node is.
    pub kind: NodeKind,
    /// The size the metadata reports (regular files only; 0 otherwise).
    pub len: u64,
    /// A symlink's target as written in the link, never resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
}

/// Bounds on a walk.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkLimits {
    /// Most nodes listed.
    pub max_entries: usize,
    /// Deepest folder nesting walked into.
    pub max_depth: usize,
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits {
            max_entries: 100_000,
            max_depth: 32,
        }
    }
}

/// Why a folder could not be walked or a file in it could not be opened or read.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The operating system refused.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// More nodes than [`WalkLimits::max_entries`].
    #[error("{}: more than {limit} entries", root.display())]
    TooManyEntries {
        /// The folder walked.
        root: PathBuf,
        /// The cap.
        limit: usize,
    },
    /// Nested deeper than [`WalkLimits::max_depth`].
    #[error("{path}: nested deeper than {limit} folders")]
    TooDeep {
        /// The folder that was too deep, relative to the root.
        path: String,
        /// The cap.
        limit: usize,
    },
    /// A name that is not UTF-8 (relkit names every file it reads in reports).
    #[error("{}: the name is not UTF-8", path.display())]
    NotUtf8 {
        /// The node.
        path: PathBuf,
    },
    /// A relative path that is empty, absolute, or has an empty, `.` or `..` component.
    #[error("{path:?}: not a plain relative path inside the folder")]
    BadPath {
        /// The path as given.
        path: String,
    },
    /// A component of the path (or the file itself) is a symlink; links are never followed.
    #[error("{path}: {component:?} is a symlink, and links are never followed")]
    Symlink {
        /// The path as given.
        path: String,
        /// The component that is a link.
        component: String,
    },
    /// The node is not a regular file (a FIFO, socket, device or directory).
    #[error("{path}: is a {kind}, not a regular file")]
    NotRegular {
        /// The path.
        path: String,
        /// What it is.
        kind: NodeKind,
    },
    /// More bytes were read than the limit allows.
    #[error("{path}: more than {limit} bytes")]
    TooLarge {
        /// The path.
        path: String,
        /// The cap, in bytes.
        limit: u64,
    },
}

impl FolderError {
    fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        FolderError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Lists every node below `root` — regular files, symlinks (not followed), FIFOs, sockets,
/// devices — sorted by path. Directories are walked into; a symlink to a directory is listed
/// as a symlink and not entered.
pub fn walk_folder(root: &Path, limits: &WalkLimits) -> Result<Vec<FolderEntry>, FolderError> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|e| FolderError::io(&dir, e))?;
        for item in rd {
            let item = item.map_err(|e| FolderError::io(&dir, e))?;
            let full = item.path();
            let ft = item.file_type().map_err(|e| FolderError::io(&full, e))?;
            let Some(name) = item.file_name().to_str().map(str::to_owned) else {
                return Err(FolderError::NotUtf8 { path: full });
            };
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let kind = NodeKind::of(&ft);
            if kind == NodeKind::Dir {
                if depth + 1 > limits.max_depth {
                    return Err(FolderError::TooDeep {
                        path: rel,
                        limit: limits.max_depth,
                    });
                }
                stack.push((full, rel, depth + 1));
                continue;
            }
            if out.len() >= limits.max_entries {
                return Err(FolderError::TooManyEntries {
                    root: root.to_path_buf(),
                    limit: limits.max_entries,
                });
            }
            let len = if kind == NodeKind::File {
                item.metadata()
                    .map_err(|e| FolderError::io(&full, e))?
                    .len()
            } else {
                0
            };
            let link_target = if kind == NodeKind::Symlink {
                let t = std::fs::read_link(&full).map_err(|e| FolderError::io(&full, e))?;
                Some(t.to_string_lossy().into_owned())
            } else {
                None
            };
            out.push(FolderEntry {
                path: rel,
                kind,
                len,
                link_target,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A file opened by [`open_in`] or [`open_bounded`]: reading past its limit is an error, so an
/// endless or growing file is bounded by what is actually read.
#[derive(Debug)]
pub struct BoundedFile {
    file: File,
    path: String,
    limit: u64,
    read: u64,
}

impl BoundedFile {
    /// The path as it was given.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The byte limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Reads the rest of the file into memory, within the limit.
    pub fn read_all(mut self) -> Result<Vec<u8>, FolderError> {
        let mut out = Vec::new();
        match self.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Turns an error from [`Read::read`] on this file back into the typed error.
    pub fn error(&self, e: io::Error) -> FolderError {
        if e.get_ref().is_some_and(|inner| inner.is::<LimitExceeded>()) {
            FolderError::TooLarge {
                path: self.path.clone(),
                limit: self.limit,
            }
        } else {
            FolderError::io(&self.path, e)
        }
    }
}

/// The marker inside the `io::Error` a [`BoundedFile`] returns past its limit.
#[derive(Debug)]
struct LimitExceeded;

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("read limit exceeded")
    }
}

impl std::error::Error for LimitExceeded {}

impl Read for BoundedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Ask for one byte past the limit so that a file of exactly `limit` bytes passes and a
        // longer one is caught on the read that crosses it.
        let room = self.limit.saturating_sub(self.read).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        let n = self.file.read(buf)?;
        self.read = self.read.saturating_add(n as u64);
        if self.read > self.limit {
            return Err(io::Error::other(LimitExceeded));
        }
        Ok(n)
    }
}

impl Seek for BoundedFile {
    /// Seeks the file; the limit still counts every byte read, wherever it was read from.
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

/// Opens `rel` (a `/`-separated path) inside `root`, resolving it component by component:
/// no component may be a symlink, the file must be a regular file (checked before it is
/// opened, so a FIFO never blocks), and at most `limit` bytes can be read from it.
///
/// The root itself is the caller's (the verifier's) choice and may be reached through links.
pub fn open_in(root: &Path, rel: &str, limit: u64) -> Result<BoundedFile, FolderError> {
    let parts = plain_components(rel)?;
    let file = imp::open_in(root, rel, &parts)?;
    Ok(BoundedFile {
        file,
        path: rel.to_owned(),
        limit,
        read: 0,
    })
}

/// Opens a file the verifier named (a policy, a registries file, a trust root): links are
/// followed, but the file must be a regular file (checked before it is opened), and at most
/// `limit` bytes can be read from it.
pub fn open_bounded(path: &Path, limit: u64) -> Result<BoundedFile, FolderError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| FolderError::io(path, e))?;
    let kind = NodeKind::of(&meta.file_type());
    if kind != NodeKind::File {
        return Err(FolderError::NotRegular { path: shown, kind });
    }
    let file = imp::open_regular(path).map_err(|e| FolderError::io(path, e))?;
    check_opened(&file, &shown)?;
    Ok(BoundedFile {
        file,
        path: shown,
        limit,
        read: 0,
    })
}

/// Reads a whole file the verifier named, within `limit` bytes ([`open_bounded`]).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, FolderError> {
    open_bounded(path, limit)?.read_all()
}

/// Before open: one component of `rel` is of the kind `want` (a directory on the way, the
/// regular file last); a symbolic link or any other kind is refused, naming it.
fn expect_kind(
    kind: NodeKind,
    want: NodeKind,
    rel: &str,
    component: &str,
) -> Result<(), FolderError> {
    match kind {
        k if k == want => Ok(()),
        NodeKind::Symlink => Err(FolderError::Symlink {
            path: rel.to_owned(),
            component: component.to_owned(),
        }),
        kind => Err(FolderError::NotRegular {
            path: rel.to_owned(),
            kind,
        }),
    }
}

/// After open: the node really is a regular file (it may have been swapped since the check).
fn check_opened(file: &File, shown: &str) -> Result<(), FolderError> {
    let meta = file.metadata().map_err(|e| FolderError::io(shown, e))?;
    let kind = NodeKind::of(&meta.file_type());
    if kind == NodeKind::File {
        Ok(())
    } else {
        Err(FolderError::NotRegular {
            path: shown.to_owned(),
            kind,
        })
    }
}

/// Splits a relative path into plain components, refusing anything that could leave the root.
fn plain_components(rel: &str) -> Result<Vec<&str>, FolderError> {
    let bad = || FolderError::BadPath {
        path: rel.to_owned(),
    };
    if rel.is_empty() || rel.starts_with('/') {
        return Err(bad());
    }
    let parts: Vec<&str> = rel.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\0'))
    {
        return Err(bad());
    }
    Ok(parts)
}

#[cfg(unix)]
mod imp {
    //! Unix: `openat(2)` with `O_NOFOLLOW` component by component, through rustix's safe API.

    use std::fs::File;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};

    use super::{FolderError, NodeKind, check_opened, expect_kind};

    fn kind_of(ft: FileType) -> NodeKind {
        match ft {
            FileType::RegularFile => NodeKind::File,
            FileType::Directory => NodeKind::Dir,
            FileType::Symlink => NodeKind::Symlink,
            FileType::Fifo => NodeKind::Fifo,
            FileType::Socket => NodeKind::Socket,
            FileType::BlockDevice => NodeKind::BlockDevice,
            FileType::CharacterDevice => NodeKind::CharDevice,
            _ => NodeKind::Other,
        }
    }

    pub(super) fn open_regular(path: &Path) -> io::Result<File> {
        // O_NONBLOCK: a FIFO swapped in after the check does not block the open.
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        )?;
        Ok(File::from(fd))
    }

    pub(super) fn open_in(root: &Path, rel: &str, parts: &[&str]) -> Result<File, FolderError> {
        let io_err = |e: rustix::io::Errno| FolderError::Io {
            path: root.join(rel),
            source: io::Error::from(e),
        };
        let mut dir: OwnedFd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| FolderError::Io {
            path: root.to_path_buf(),
            source: io::Error::from(e),
        })?;
        let Some((last, dirs)) = parts.split_last() else {
            return Err(FolderError::BadPath {
                path: rel.to_owned(),
            });
        };
        for comp in dirs {
            let st = rustix::fs::statat(&dir, *comp, AtFlags::SYMLINK_NOFOLLOW).map_err(io_err)?;
            let kind = kind_of(FileType::from_raw_mode(st.st_mode));
            expect_kind(kind, NodeKind::Dir, rel, comp)?;
            dir = rustix::fs::openat(
                &dir,
                *comp,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(io_err)?;
        }
        let st = rustix::fs::statat(&dir, *last, AtFlags::SYMLINK_NOFOLLOW).map_err(io_err)?;
        let kind = kind_of(FileType::from_raw_mode(st.st_mode));
        expect_kind(kind, NodeKind::File, rel, last)?;
        let fd = rustix::fs::openat(
            &dir,
            *last,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(io_err)?;
        let file = File::from(fd);
        check_opened(&file, rel)?;
        Ok(file)
    }
}

#[cfg(not(unix))]
mod imp {
    //! Elsewhere: the same checks with `symlink_metadata` per component (a race between the
    //! check and the open is possible; relkit supports Linux, see README).

    use std::fs::File;
    use std::io;
    use std::path::Path;

    use super::{FolderError, NodeKind, check_opened, expect_kind};

    pub(super) fn open_regular(path: &Path) -> io::Result<File> {
        File::open(path)
    }

    pub(super) fn open_in(root: &Path, rel: &str, parts: &[&str]) -> Result<File, FolderError> {
        let mut at = root.to_path_buf();
        for (i, comp) in parts.iter().enumerate() {
            at.push(comp);
            let meta = std::fs::symlink_metadata(&at).map_err(|e| FolderError::Io {
                path: at.clone(),
                source: e,
            })?;
            let kind = NodeKind::of(&meta.file_type());
            let want = if i + 1 == parts.len() {
                NodeKind::File
            } else {
                NodeKind::Dir
            };
            expect_kind(kind, want, rel, comp)?;
        }
        let file = File::open(&at).map_err(|e| FolderError::Io {
            path: at.clone(),
            source: e,
        })?;
        check_opened(&file, rel)?;
        Ok(file)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[allow(
        clippy::unwrap_used,
        reason = "a test helper: a missing mkfifo fails the test"
    )]
    fn mkfifo(path: &Path) {
        let st = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap();
        assert!(st.success());
    }

    #[test]
    fn walk_lists_links_and_specials_as_what_they_are() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.txt"), b"abc").unwrap();
        symlink("/etc", root.join("etc-link")).unwrap();
        symlink("sub/a.txt", root.join("a-link")).unwrap();
        mkfifo(&root.join("pipe"));
        let entries = walk_folder(root, &WalkLimits::default()).unwrap();
        let got: Vec<(&str, NodeKind)> =
            entries.iter().map(|e| (e.path.as_str(), e.kind)).collect();
        assert_eq!(
            got,
            [
                ("a-link", NodeKind::Symlink),
                ("etc-link", NodeKind::Symlink),
                ("pipe", NodeKind::Fifo),
                ("sub/a.txt", NodeKind::File),
            ]
        );
        assert_eq!(entries[1].link_target.as_deref(), Some("/etc"));
        assert_eq!(entries[3].len, 3);
    }

    #[test]
    fn walk_caps_entries_and_depth() {
        let d = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(d.path().join(format!("f{i}")), b"").unwrap();
        }
        let depth_1 = |max_entries| WalkLimits {
            max_entries,
            max_depth: 1,
        };
        assert!(matches!(
            walk_folder(d.path(), &depth_1(4)),
            Err(FolderError::TooManyEntries { limit: 4, .. })
        ));
        std::fs::create_dir_all(d.path().join("x/y")).unwrap();
        assert!(matches!(
            walk_folder(d.path(), &depth_1(100)),
            Err(FolderError::TooDeep { limit: 1, .. })
        ));
    }

    #[test]
    fn open_in_refuses_links_specials_and_escapes() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"s3cret").unwrap();
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir(root.join("dir")).unwrap();
        std::fs::write(root.join("dir/ok"), b"fine").unwrap();
        symlink(outside.path(), root.join("out")).unwrap();
        symlink(outside.path().join("secret"), root.join("file-link")).unwrap();
        mkfifo(&root.join("pipe"));

        let f = open_in(root, "dir/ok", 100).unwrap();
        assert_eq!(f.read_all().unwrap(), b"fine");
        assert!(matches!(
            open_in(root, "out/secret", 100),
            Err(FolderError::Symlink { component, .. }) if component == "out"
        ));
        assert!(matches!(
            open_in(root, "file-link", 100),
            Err(FolderError::Symlink { component, .. }) if component == "file-link"
        ));
        // A FIFO is refused before it is opened: this returns instead of blocking.
        assert!(matches!(
            open_in(root, "pipe", 100),
            Err(FolderError::NotRegular {
                kind: NodeKind::Fifo,
                ..
            })
        ));
        assert!(matches!(
            open_in(root, "dir", 100),
            Err(FolderError::NotRegular {
                kind: NodeKind::Dir,
                ..
            })
        ));
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "dir/../dir/ok",
            "dir//ok",
            "./dir/ok",
        ] {
            assert!(
                matches!(open_in(root, bad, 100), Err(FolderError::BadPath { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn reads_are_bounded_by_bytes_read() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("ten"), b"0123456789").unwrap();
        assert_eq!(
            open_in(d.path(), "ten", 10)
                .unwrap()
                .read_all()
                .unwrap()
                .len(),
            10
        );
        assert!(matches!(
            open_in(d.path(), "ten", 9).unwrap().read_all(),
            Err(FolderError::TooLarge { limit: 9, .. })
        ));
        // An endless device reports size 0; the bound still holds.
        assert!(matches!(
            read_bounded(Path::new("/dev/zero"), 1024),
            Err(FolderError::NotRegular {
                kind: NodeKind::CharDevice,
                ..
            })
        ));
        let fifo = d.path().join("pipe");
        mkfifo(&fifo);
        assert!(matches!(
            read_bounded(&fifo, 1024),
            Err(FolderError::NotRegular {
                kind: NodeKind::Fifo,
                ..
            })
        ));
        assert_eq!(
            read_bounded(&d.path().join("ten"), 10).unwrap(),
            b"0123456789"
        );
    }
}
