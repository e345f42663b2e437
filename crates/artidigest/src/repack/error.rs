//! Why a repack failed.

use std::io;
use std::path::PathBuf;

use crate::archive::{ArchiveError, EntryKind, Format};
use crate::repack::options::Profile;

/// Why a repack failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RepackError {
    /// A path is absolute, empty, has `..`, `.` or empty components, a backslash or a NUL byte.
    #[error("entry {path:?}: invalid path ({reason})")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two entries have the same path.
    #[error("entry {path:?} appears more than once")]
    DuplicatePath {
        /// The path.
        path: String,
    },
    /// An entry lies below another entry that is not a directory (a file or a symlink).
    #[error("entry {path:?} lies below {parent:?}, which is not a directory")]
    ParentNotDirectory {
        /// The entry.
        path: String,
        /// Its parent entry.
        parent: String,
    },
    /// A link target is absolute, leaves the archive root or (for hard links) names no file.
    #[error("entry {path:?}: link target {target:?} {reason}")]
    BadLinkTarget {
        /// The link's path.
        path: String,
        /// Its target.
        target: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The profile or format cannot represent this entry.
    #[error("entry {path:?}: a {what} cannot be written by the {profile} profile as {format}")]
    Unsupported {
        /// The entry's path.
        path: String,
        /// The kind of entry.
        what: &'static str,
        /// The profile.
        profile: Profile,
        /// The output format.
        format: Format,
    },
    /// A folder holds something other than a file, directory or symlink (device, FIFO, socket).
    #[error("{path}: special files (devices, FIFOs, sockets) are refused")]
    SpecialFile {
        /// The file.
        path: PathBuf,
    },
    /// More entries than [`Limits::max_entries`](crate::archive::Limits::max_entries).
    #[error("more than {limit} entries")]
    TooManyEntries {
        /// The cap.
        limit: usize,
    },
    /// An entry, or all entries together, exceed a size cap.
    #[error("entry {path:?}: content exceeds the cap of {limit} bytes")]
    TooLarge {
        /// The entry at which the cap was crossed.
        path: String,
        /// The cap.
        limit: u64,
    },
    /// The input archive could not be read (or was refused as hostile).
    #[error("cannot read the input archive")]
    Read(#[source] ArchiveError),
    /// The input is not a tar, tar.gz or zip archive.
    #[error("the input is not a tar, tar.gz or zip archive")]
    UnknownFormat,
    /// The input archive holds an entry repacking cannot represent (device, FIFO, sparse file).
    #[error("entry {path:?}: a {kind} entry cannot be repacked")]
    UnsupportedEntry {
        /// The entry's path.
        path: String,
        /// Its kind.
        kind: EntryKind,
    },
    /// Reading a folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Writing the archive failed.
    #[error("cannot write the {format} output")]
    Write {
        /// The format being written.
        format: Format,
        /// The cause.
        #[source]
        source: io::Error,
    },
}
