//! The typed error every archive reader returns: the kind of problem, with the entry it concerns.

use std::fmt;
use std::io;

/// Why an archive was refused; see [`ArchiveError::kind`].
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ArchiveErrorKind {
    /// More entries than [`Limits::max_entries`](crate::archive::model::Limits::max_entries).
    #[error("more than {limit} entries (entry {actual} seen)")]
    TooManyEntries {
        /// The cap.
        limit: usize,
        /// Entries seen when it was hit.
        actual: usize,
    },
    /// An entry larger than
    /// [`Limits::max_entry_size`](crate::archive::model::Limits::max_entry_size).
    #[error("entry size {actual} exceeds the cap of {limit} bytes")]
    EntryTooLarge {
        /// The cap.
        limit: u64,
        /// Declared or observed size.
        actual: u64,
    },
    /// More uncompressed bytes than
    /// [`Limits::max_total_size`](crate::archive::model::Limits::max_total_size).
    #[error("total uncompressed size {actual} exceeds the cap of {limit} bytes")]
    TotalTooLarge {
        /// The cap.
        limit: u64,
        /// Size when it was hit.
        actual: u64,
    },
    /// A compression ratio above
    /// [`Limits::max_compression_ratio`](crate::archive::model::Limits::max_compression_ratio)
    /// (a decompression bomb).
    #[error(
        "compression ratio {actual}:1 exceeds the cap of {limit}:1 ({uncompressed} bytes from {compressed})"
    )]
    CompressionRatio {
        /// The cap.
        limit: u64,
        /// The ratio seen (rounded down).
        actual: u64,
        /// Compressed bytes.
        compressed: u64,
        /// Uncompressed bytes.
        uncompressed: u64,
    },
    /// Data compressing above [`Limits::bomb_ratio`](crate::archive::model::Limits::bomb_ratio)
    /// that grows past [`Limits::max_bomb_size`](crate::archive::model::Limits::max_bomb_size)
    /// (a decompression bomb).
    #[error(
        "{uncompressed} bytes from {compressed} ({ratio}:1) exceed the cap of {limit} bytes for data compressing above {bomb_ratio}:1"
    )]
    BombSize {
        /// The size cap.
        limit: u64,
        /// The ratio above which it applies.
        bomb_ratio: u64,
        /// The ratio seen (rounded down).
        ratio: u64,
        /// Compressed bytes.
        compressed: u64,
        /// Uncompressed bytes.
        uncompressed: u64,
    },
    /// More PAX records than
    /// [`Limits::max_pax_records`](crate::archive::model::Limits::max_pax_records) in one
    /// header, or than
    /// [`Limits::max_pax_total_records`](crate::archive::model::Limits::max_pax_total_records)
    /// in the archive.
    #[error("{actual} PAX records exceed the cap of {limit} ({scope})")]
    TooManyPaxRecords {
        /// `per entry` or `in total`.
        scope: &'static str,
        /// The cap.
        limit: usize,
        /// Records seen when it was hit.
        actual: usize,
    },
    /// More bytes of PAX headers in the archive than
    /// [`Limits::max_pax_total_size`](crate::archive::model::Limits::max_pax_total_size).
    #[error("PAX headers of {actual} bytes in total exceed the cap of {limit}")]
    PaxTotalTooLarge {
        /// The cap.
        limit: u64,
        /// Bytes seen when it was hit.
        actual: u64,
    },
    /// A path or link target longer than
    /// [`Limits::max_path_len`](crate::archive::model::Limits::max_path_len).
    #[error("path of {actual} bytes exceeds the cap of {limit}")]
    PathTooLong {
        /// The cap.
        limit: usize,
        /// The length.
        actual: usize,
    },
    /// A PAX header or GNU long name larger than
    /// [`Limits::max_pax_size`](crate::archive::model::Limits::max_pax_size).
    #[error("extended header of {actual} bytes exceeds the cap of {limit}")]
    PaxTooLarge {
        /// The cap.
        limit: u64,
        /// Its size.
        actual: u64,
    },
    /// A path with a `..` component.
    #[error("path {path:?} climbs out of the archive root")]
    PathTraversal {
        /// The path as stored.
        path: String,
    },
    /// An absolute path (`/…`, `C:…`).
    #[error("absolute path {path:?}")]
    AbsolutePath {
        /// The path as stored.
        path: String,
    },
    /// An empty path, or one with NUL or backslash, or not UTF-8.
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath {
        /// The path (lossily decoded).
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A symlink or hardlink whose target resolves outside the archive root.
    #[error("link target {target:?} escapes the archive root")]
    LinkEscapes {
        /// The target as stored.
        target: String,
    },
    /// A symlink whose target does not resolve within 40 links followed (Linux's
    /// `MAXSYMLINKS`): a loop (`a -> b`, `b -> a`; `a -> a`) or a longer chain than the kernel
    /// follows.
    #[error("link does not resolve: {}", chain.join(" -> "))]
    LinkLoop {
        /// The symlinks being followed when the loop was found (normalised paths, the link that
        /// came back last).
        chain: Vec<String>,
    },
    /// A hardlink whose target is a symlink, or lies below one: extraction would link the
    /// symlink itself (whose relative target then resolves from the hardlink's folder) or
    /// follow it.
    #[error("hardlink target {target:?} goes through symlink {symlink:?}")]
    HardlinkToSymlink {
        /// The target as stored.
        target: String,
        /// The symlink met on the target's path (normalised).
        symlink: String,
    },
    /// A nested archive deeper than
    /// [`Limits::max_nesting_depth`](crate::archive::model::Limits::max_nesting_depth).
    #[error("nested archive deeper than {limit} levels")]
    NestedTooDeep {
        /// The cap.
        limit: usize,
    },
    /// A hardlink to an entry that does not precede it.
    #[error("hardlink target {target:?} is not an earlier file entry")]
    DanglingHardlink {
        /// The target as stored.
        target: String,
    },
    /// An entry whose parent path is a symlink in the same archive (writing it would follow
    /// the link).
    #[error("path goes through symlink {symlink:?}")]
    PathThroughSymlink {
        /// The symlink's path.
        symlink: String,
    },
    /// Two entries with the same normalised path.
    #[error("duplicate of entry {first_index}")]
    DuplicateName {
        /// Index of the first entry with this path.
        first_index: usize,
    },
    /// Two zip entries whose byte ranges overlap (a zip bomb or a polyglot).
    #[error("bytes {start}..{end} overlap entry {other_index} ({other_name:?})")]
    ZipOverlap {
        /// The other entry's index.
        other_index: usize,
        /// The other entry's name.
        other_name: String,
        /// Start of this entry's range.
        start: u64,
        /// End of this entry's range.
        end: u64,
    },
    /// Bytes of a zip file that belong to no entry and no directory record.
    #[error("{len} bytes at offset {offset} belong to no entry")]
    ZipGap {
        /// Where the gap starts.
        offset: u64,
        /// Its length.
        len: u64,
    },
    /// A zip local header that disagrees with the central directory.
    #[error("local header {field} is {local}, central directory says {central}")]
    ZipLocalMismatch {
        /// The field (`name`, `method`, `crc32`, …).
        field: &'static str,
        /// The central directory's value.
        central: String,
        /// The local header's value.
        local: String,
    },
    /// A PAX `size` record that disagrees with the ustar header size.
    #[error("PAX size {pax} disagrees with header size {header}")]
    PaxSizeMismatch {
        /// The header's size field.
        header: u64,
        /// The PAX record's value.
        pax: String,
    },
    /// Content shorter or longer than declared.
    #[error("content is {actual} bytes, {declared} declared")]
    SizeMismatch {
        /// Declared size.
        declared: u64,
        /// Bytes really read (or the first byte past the declared size).
        actual: u64,
    },
    /// The gzip stream ends early (header, deflate data or trailer).
    #[error("gzip stream is truncated after {compressed} compressed bytes")]
    TruncatedGzip {
        /// Compressed bytes consumed.
        compressed: u64,
    },
    /// The stream ends inside a tar header or entry.
    #[error("tar stream is truncated")]
    TruncatedTar,
    /// Bytes after the end of the archive (gzip member, tar end blocks, zip end record).
    #[error("{len}+ bytes of trailing data after the {after}")]
    TrailingData {
        /// What the data follows.
        after: &'static str,
        /// Bytes seen (at least).
        len: u64,
    },
    /// A gzip member whose CRC-32 or length trailer disagrees with the data.
    #[error("gzip {field} mismatch: trailer says {expected:#x}, data gives {actual:#x}")]
    GzipChecksum {
        /// `crc32` or `isize`.
        field: &'static str,
        /// Trailer value.
        expected: u32,
        /// Computed value.
        actual: u32,
    },
    /// An encrypted zip entry.
    #[error("entry is encrypted")]
    Encrypted,
    /// A zip compression method other than stored or deflate.
    #[error("unsupported compression method {method}")]
    UnsupportedMethod {
        /// The method number.
        method: u16,
    },
    /// A structurally invalid archive (bad header, bad checksum, bad record).
    #[error("malformed archive: {what}")]
    Malformed {
        /// What is wrong.
        what: String,
    },
    /// The compressed data is corrupt.
    #[error("corrupt compressed data")]
    Corrupt(#[source] io::Error),
    /// Reading the underlying stream failed.
    #[error("I/O error")]
    Io(#[source] io::Error),
    /// The visitor callback returned an error.
    #[error("visitor failed")]
    Visitor(#[source] io::Error),
}

/// An archive was refused or could not be read: the [kind](ArchiveErrorKind) of problem, the
/// entry it concerns (index and name) when there is one, and the cap with the actual value for
/// limit errors.
#[derive(Debug)]
pub struct ArchiveError {
    kind: ArchiveErrorKind,
    index: Option<usize>,
    name: Option<String>,
    /// For nested archives: the entries (index, name as stored) that hold the archive the
    /// problem was found in, outermost first.
    outer: Vec<(usize, String)>,
}

impl ArchiveError {
    pub(crate) fn new(kind: ArchiveErrorKind) -> Self {
        ArchiveError {
            kind,
            index: None,
            name: None,
            outer: Vec::new(),
        }
    }

    pub(crate) fn at(kind: ArchiveErrorKind, index: usize, name: &str) -> Self {
        ArchiveError {
            kind,
            index: Some(index),
            name: Some(name.to_owned()),
            outer: Vec::new(),
        }
    }

    /// The problem was found inside the archive held by entry `index` (`name` as stored) of
    /// an enclosing archive.
    pub(crate) fn nested_in(mut self, index: usize, name: &str) -> Self {
        self.outer.insert(0, (index, name.to_owned()));
        self
    }

    /// Replaces the kind, keeping where it happened.
    pub(crate) fn with_kind(mut self, kind: ArchiveErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub(crate) fn with_entry(mut self, index: usize, name: &str) -> Self {
        if self.index.is_none() && self.outer.is_empty() {
            self.index = Some(index);
            self.name = Some(name.to_owned());
        }
        self
    }

    pub(crate) fn with_entry_index(mut self, index: usize) -> Self {
        if self.index.is_none() && self.outer.is_empty() {
            self.index = Some(index);
        }
        self
    }

    /// A plain I/O error from a visitor is the visitor's failure; typed errors stay as they are.
    pub(crate) fn io_as_visitor(self) -> Self {
        match self.kind {
            ArchiveErrorKind::Io(inner) if self.outer.is_empty() => {
                ArchiveError::new(ArchiveErrorKind::Visitor(inner))
            }
            _ => self,
        }
    }

    pub(crate) fn into_kind(self) -> ArchiveErrorKind {
        self.kind
    }

    /// What went wrong.
    pub fn kind(&self) -> &ArchiveErrorKind {
        &self.kind
    }

    /// Index of the entry concerned, if any.
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// Name (as stored) of the entry concerned, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// For a problem inside a nested archive (see
    /// [`inspect_nested`](crate::archive::inspect_nested)): the entries holding it, outermost
    /// first, as (index, name as stored); [`index`](Self::index) and [`name`](Self::name) then
    /// name the entry inside the innermost archive. Empty for a top-level problem.
    pub fn chain(&self) -> &[(usize, String)] {
        &self.outer
    }

    /// Turns an I/O error from a reader stack back into the typed error it carries, if any.
    pub(crate) fn from_io(e: io::Error) -> Self {
        if e.get_ref().is_some_and(|inner| inner.is::<ArchiveError>()) {
            if let Some(inner) = e.into_inner() {
                if let Ok(typed) = inner.downcast::<ArchiveError>() {
                    return *typed;
                }
                return ArchiveError::new(ArchiveErrorKind::Io(io::Error::other(
                    "unreachable: checked type",
                )));
            }
            return ArchiveError::new(ArchiveErrorKind::Io(io::Error::other("empty io error")));
        }
        if e.kind() == io::ErrorKind::UnexpectedEof {
            return ArchiveError::new(ArchiveErrorKind::TruncatedTar);
        }
        ArchiveError::new(ArchiveErrorKind::Io(e))
    }

    /// Wraps the typed error in an `io::Error` so it can travel through `Read` layers.
    pub(crate) fn into_io(self) -> io::Error {
        io::Error::other(self)
    }
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in &self.outer {
            write!(f, "entry {i} ({n:?}) -> ")?;
        }
        match (self.index, &self.name) {
            (Some(i), Some(n)) => write!(f, "entry {i} ({n:?}): {}", self.kind),
            (Some(i), None) => write!(f, "entry {i}: {}", self.kind),
            _ => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for ArchiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

impl From<ArchiveErrorKind> for ArchiveError {
    fn from(kind: ArchiveErrorKind) -> Self {
        ArchiveError::new(kind)
    }
}

/// The bomb caps on data that inflates from `compressed` to `uncompressed` bytes (one zip
/// entry, or a gzip stream so far): nothing is checked within the grace bytes; above them the
/// ratio must stay under [`Limits::max_compression_ratio`](crate::archive::model::Limits::max_compression_ratio),
/// and bomb-like data (above [`Limits::bomb_ratio`](crate::archive::model::Limits::bomb_ratio))
/// under [`Limits::max_bomb_size`](crate::archive::model::Limits::max_bomb_size).
pub(crate) fn check_inflation(
    limits: &crate::archive::model::Limits,
    compressed: u64,
    uncompressed: u64,
) -> Result<(), ArchiveErrorKind> {
    if uncompressed <= limits.ratio_grace_bytes {
        return Ok(());
    }
    let compressed = compressed.max(1);
    let ratio = uncompressed / compressed;
    if ratio > limits.bomb_ratio && uncompressed > limits.max_bomb_size {
        return Err(ArchiveErrorKind::BombSize {
            limit: limits.max_bomb_size,
            bomb_ratio: limits.bomb_ratio,
            ratio,
            compressed,
            uncompressed,
        });
    }
    if ratio > limits.max_compression_ratio {
        return Err(ArchiveErrorKind::CompressionRatio {
            limit: limits.max_compression_ratio,
            actual: ratio,
            compressed,
            uncompressed,
        });
    }
    Ok(())
}
