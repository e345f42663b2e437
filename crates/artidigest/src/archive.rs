//! The archive entry model shared by the tar, tar.gz and zip readers: entries, limits, formats,
//! the typed error, and the checks every format applies (paths, links, duplicates, caps).
//!
//! Readers analyse archives in memory and never extract: nothing here touches the filesystem.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, Read, Seek};
use std::str::FromStr;

use crate::digest::Algorithm;
use crate::hasher::{DigestSet, MultiHasher};

/// An archive container format.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Format {
    /// A plain (uncompressed) tar stream.
    Tar,
    /// A tar stream inside one gzip member (`.tar.gz`, `.tgz`, `.crate`, npm and Helm tarballs).
    TarGz,
    /// A zip archive (`.zip`, wheels, jars).
    Zip,
}

impl Format {
    /// Guesses the format from a file name's extension (`.whl`, `.zip`, `.tar.gz`, `.tgz`,
    /// `.crate`, `.tar`).
    pub fn from_file_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if [".whl", ".zip", ".jar"].iter().any(|s| lower.ends_with(s)) {
            Some(Format::Zip)
        } else if [".tar.gz", ".tgz", ".crate"]
            .iter()
            .any(|s| lower.ends_with(s))
        {
            Some(Format::TarGz)
        } else if lower.ends_with(".tar") {
            Some(Format::Tar)
        } else {
            None
        }
    }

    /// Recognises the format from the first bytes of an archive (at least 262 bytes are needed
    /// to recognise a tar stream; 4 suffice for zip and gzip).
    pub fn sniff(head: &[u8]) -> Option<Format> {
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Some(Format::Zip)
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Some(Format::TarGz)
        } else if head.len() >= 262 && &head[257..262] == b"ustar" {
            Some(Format::Tar)
        } else {
            None
        }
    }

    /// The short name used by `Display` and `FromStr`: `tar`, `tar.gz` or `zip`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Tar => "tar",
            Format::TarGz => "tar.gz",
            Format::Zip => "zip",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// [`Format::from_str`] was given an unknown name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown archive format {0:?} (expected tar, tar.gz or zip)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tar" => Ok(Format::Tar),
            "tar.gz" | "tgz" => Ok(Format::TarGz),
            "zip" => Ok(Format::Zip),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

impl From<Format> for String {
    fn from(f: Format) -> String {
        f.name().to_owned()
    }
}

impl TryFrom<String> for Format {
    type Error = UnknownFormat;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// What an entry is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link; [`Entry::link_target`] holds the target.
    Symlink,
    /// A tar hard link to an earlier entry; [`Entry::link_target`] holds its path.
    Hardlink,
    /// Anything else (device, fifo, sparse file, unknown type flag). Its content is reported
    /// as stored; nested archives are never opened whatever their kind.
    Other,
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hardlink",
            EntryKind::Other => "other",
        })
    }
}

/// The header layout of a tar entry.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TarHeaderFormat {
    /// POSIX ustar (`ustar\0` + `00`).
    Ustar,
    /// GNU (`ustar ` + ` \0`), possibly with `L`/`K` long-name entries.
    Gnu,
    /// A ustar header preceded by a PAX extended header (`x`).
    Pax,
    /// Pre-POSIX v7 header (no magic).
    Old,
}

impl fmt::Display for TarHeaderFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TarHeaderFormat::Ustar => "ustar",
            TarHeaderFormat::Gnu => "gnu",
            TarHeaderFormat::Pax => "pax",
            TarHeaderFormat::Old => "old",
        })
    }
}

/// One `key=value` record of a PAX extended header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaxRecord {
    /// The keyword (`path`, `mtime`, `SCHILY.xattr.…`, …).
    pub key: String,
    /// The value, as stored (PAX values are UTF-8).
    pub value: String,
}

/// Tar-specific facts about an entry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TarDetail {
    /// Header layout.
    pub header_format: TarHeaderFormat,
    /// The raw type flag byte (`0`, `5`, `2`, …).
    pub type_flag: u8,
    /// The PAX records of this entry's own extended header, in stored order.
    pub pax: Vec<PaxRecord>,
    /// The name came from a GNU `L` long-name entry.
    pub gnu_long_name: bool,
    /// The link target came from a GNU `K` long-link entry.
    pub gnu_long_link: bool,
    /// Offset of this entry's (main) header in the uncompressed tar stream.
    pub header_offset: u64,
}

/// The fields of a zip local file header, as stored.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ZipLocalHeader {
    /// General-purpose flags.
    pub flags: u16,
    /// Compression method.
    pub method: u16,
    /// MS-DOS time and date, as stored.
    pub dos_time: u16,
    /// MS-DOS date, as stored.
    pub dos_date: u16,
    /// Length of the local extra field.
    pub extra_len: u16,
}

/// Zip-specific facts about an entry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ZipDetail {
    /// Compression method (0 stored, 8 deflate).
    pub method: u16,
    /// General-purpose flags from the central directory.
    pub flags: u16,
    /// "Version made by" (the high byte is the host system: 3 = Unix).
    pub version_made_by: u16,
    /// "Version needed to extract".
    pub version_needed: u16,
    /// External attributes (for Unix hosts the mode is in the high 16 bits).
    pub external_attributes: u32,
    /// Stored CRC-32 of the content.
    pub crc32: u32,
    /// Compressed size in bytes.
    pub compressed_size: u64,
    /// Offset of the local header from the start of the archive.
    pub local_header_offset: u64,
    /// Length of the central directory's extra field.
    pub central_extra_len: u16,
    /// The entry's comment.
    pub comment: String,
    /// Sizes and CRC follow the data in a data descriptor (flag bit 3).
    pub data_descriptor: bool,
    /// The entry uses zip64 extensions.
    pub zip64: bool,
    /// The local header, as stored (its name, method, CRC and sizes were checked against the
    /// central directory).
    pub local: ZipLocalHeader,
}

/// Format-specific facts about an entry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatDetail {
    /// Tar and tar.gz entries.
    Tar(TarDetail),
    /// Zip entries.
    Zip(ZipDetail),
}

/// One archive entry's metadata, as read (after PAX / GNU long-name records were applied).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// Position among the archive's entries (0-based, extension headers not counted).
    pub index: usize,
    /// Normalised path: `/`-separated, no `.` components, no leading `./`, no trailing `/`
    /// (`.` for the archive root itself).
    pub path: String,
    /// The path exactly as stored.
    pub raw_path: String,
    /// What the entry is.
    pub kind: EntryKind,
    /// Content size in bytes (0 for directories and links).
    pub size: u64,
    /// Permission bits (`0o7777` mask); 0 when the archive does not record them.
    pub mode: u32,
    /// Modification time, seconds since the Unix epoch (zip DOS times are read as UTC).
    pub mtime: i64,
    /// Owner id (0 for zip).
    pub uid: u64,
    /// Group id (0 for zip).
    pub gid: u64,
    /// Owner name (empty when not recorded).
    pub uname: String,
    /// Group name (empty when not recorded).
    pub gname: String,
    /// Symlink or hardlink target, as stored.
    pub link_target: Option<String>,
    /// Format-specific facts.
    pub detail: FormatDetail,
}

impl Entry {
    /// The tar facts, for tar entries.
    pub fn tar(&self) -> Option<&TarDetail> {
        match &self.detail {
            FormatDetail::Tar(t) => Some(t),
            FormatDetail::Zip(_) => None,
        }
    }

    /// The zip facts, for zip entries.
    pub fn zip(&self) -> Option<&ZipDetail> {
        match &self.detail {
            FormatDetail::Zip(z) => Some(z),
            FormatDetail::Tar(_) => None,
        }
    }
}

/// Caps and policies applied while reading an archive. Every cap is checked *before* the
/// memory or work it bounds is spent.
///
/// ```
/// let mut limits = artidigest::Limits::default();
/// limits.max_entries = 10;
/// assert_eq!(limits.max_path_len, 1024);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries an archive may hold (tar extension headers count too). Default 50,000.
    pub max_entries: usize,
    /// Largest uncompressed size of one entry. Default 2 GiB.
    pub max_entry_size: u64,
    /// Largest total uncompressed size: for tar, the whole tar stream including headers; for
    /// zip, the sum of entry sizes. Default 8 GiB.
    pub max_total_size: u64,
    /// Largest uncompressed/compressed ratio (whole gzip stream; each zip entry). Default 200.
    pub max_compression_ratio: u64,
    /// The ratio is not checked until this many uncompressed bytes were seen, so that tiny
    /// highly compressible files pass. Default 1 MiB.
    pub ratio_grace_bytes: u64,
    /// Longest path or link target in bytes. Default 1024.
    pub max_path_len: usize,
    /// Largest PAX extended header or GNU long-name entry in bytes. Default 64 KiB.
    pub max_pax_size: u64,
    /// Accept bytes after the tar end marker, the gzip member or the zip end record
    /// (non-zero bytes for tar). Default false.
    pub allow_trailing_data: bool,
    /// Accept two entries with the same normalised path. Default false.
    pub allow_duplicate_names: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 50_000,
            max_entry_size: 2 << 30,
            max_total_size: 8 << 30,
            max_compression_ratio: 200,
            ratio_grace_bytes: 1 << 20,
            max_path_len: 1024,
            max_pax_size: 64 << 10,
            allow_trailing_data: false,
            allow_duplicate_names: false,
        }
    }
}

/// Why an archive was refused; see [`ArchiveError::kind`].
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ArchiveErrorKind {
    /// More entries than [`Limits::max_entries`].
    #[error("more than {limit} entries (entry {actual} seen)")]
    TooManyEntries {
        /// The cap.
        limit: usize,
        /// Entries seen when it was hit.
        actual: usize,
    },
    /// An entry larger than [`Limits::max_entry_size`].
    #[error("entry size {actual} exceeds the cap of {limit} bytes")]
    EntryTooLarge {
        /// The cap.
        limit: u64,
        /// Declared or observed size.
        actual: u64,
    },
    /// More uncompressed bytes than [`Limits::max_total_size`].
    #[error("total uncompressed size {actual} exceeds the cap of {limit} bytes")]
    TotalTooLarge {
        /// The cap.
        limit: u64,
        /// Size when it was hit.
        actual: u64,
    },
    /// A compression ratio above [`Limits::max_compression_ratio`] (a decompression bomb).
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
    /// A path or link target longer than [`Limits::max_path_len`].
    #[error("path of {actual} bytes exceeds the cap of {limit}")]
    PathTooLong {
        /// The cap.
        limit: usize,
        /// The length.
        actual: usize,
    },
    /// A PAX header or GNU long name larger than [`Limits::max_pax_size`].
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
}

impl ArchiveError {
    pub(crate) fn new(kind: ArchiveErrorKind) -> Self {
        ArchiveError {
            kind,
            index: None,
            name: None,
        }
    }

    pub(crate) fn at(kind: ArchiveErrorKind, index: usize, name: &str) -> Self {
        ArchiveError {
            kind,
            index: Some(index),
            name: Some(name.to_owned()),
        }
    }

    pub(crate) fn with_entry(mut self, index: usize, name: &str) -> Self {
        if self.index.is_none() {
            self.index = Some(index);
            self.name = Some(name.to_owned());
        }
        self
    }

    pub(crate) fn with_entry_index(mut self, index: usize) -> Self {
        if self.index.is_none() {
            self.index = Some(index);
        }
        self
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

/// Facts about a whole archive, returned by every reader once the last entry was checked.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ArchiveSummary {
    /// Number of entries.
    pub entries: usize,
    /// Sum of entry content sizes.
    pub content_size: u64,
    /// Uncompressed stream size (tar: the tar stream including headers and padding).
    pub uncompressed_size: u64,
    /// Bytes of the archive itself that were consumed.
    pub compressed_size: u64,
    /// The gzip member header, for tar.gz.
    pub gzip: Option<crate::gzip::GzipHeader>,
    /// PAX global header records (`g` entries), for tar.
    pub pax_global: Vec<PaxRecord>,
    /// The zip archive comment.
    pub zip_comment: Option<String>,
}

/// Validates a stored path and returns its normalised form.
pub(crate) fn normalise_path(raw: &str, limits: &Limits) -> Result<String, ArchiveErrorKind> {
    if raw.len() > limits.max_path_len {
        return Err(ArchiveErrorKind::PathTooLong {
            limit: limits.max_path_len,
            actual: raw.len(),
        });
    }
    let invalid = |reason| ArchiveErrorKind::InvalidPath {
        path: raw.to_owned(),
        reason,
    };
    if raw.is_empty() {
        return Err(invalid("empty"));
    }
    if raw.contains('\0') {
        return Err(invalid("contains NUL"));
    }
    if raw.contains('\\') {
        return Err(invalid("contains a backslash"));
    }
    let b = raw.as_bytes();
    if b[0] == b'/' || (b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic()) {
        return Err(ArchiveErrorKind::AbsolutePath {
            path: raw.to_owned(),
        });
    }
    let mut out = String::with_capacity(raw.len());
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                return Err(ArchiveErrorKind::PathTraversal {
                    path: raw.to_owned(),
                });
            }
            c => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(c);
            }
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    Ok(out)
}

/// Checks that a symlink at `path` (normalised) pointing at `target` stays inside the root.
pub(crate) fn check_symlink_target(path: &str, target: &str) -> Result<(), ArchiveErrorKind> {
    let escapes = || ArchiveErrorKind::LinkEscapes {
        target: target.to_owned(),
    };
    if target.is_empty() || target.contains('\0') {
        return Err(ArchiveErrorKind::InvalidPath {
            path: target.to_owned(),
            reason: "empty or NUL link target",
        });
    }
    let t = target.as_bytes();
    if t[0] == b'/'
        || t[0] == b'\\'
        || target.contains('\\')
        || (t.len() >= 2 && t[1] == b':' && t[0].is_ascii_alphabetic())
    {
        return Err(escapes());
    }
    let mut depth: i64 = if path == "." {
        0
    } else {
        path.split('/').count() as i64 - 1
    };
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Err(escapes());
                }
            }
            _ => depth += 1,
        }
    }
    Ok(())
}

/// The per-archive bookkeeping every reader shares: entry count, total size, duplicate names,
/// symlinks, hardlink targets.
#[derive(Default)]
pub(crate) struct Tracker {
    seen: HashMap<String, (usize, EntryKind)>,
    symlinks: HashSet<String>,
    count: usize,
    admitted: usize,
    content: u64,
}

impl Tracker {
    /// Called once per (non-extension) header before anything else is allocated for it.
    pub(crate) fn count_header(&mut self, limits: &Limits) -> Result<(), ArchiveErrorKind> {
        self.count += 1;
        if self.count > limits.max_entries {
            return Err(ArchiveErrorKind::TooManyEntries {
                limit: limits.max_entries,
                actual: self.count,
            });
        }
        Ok(())
    }

    /// Checks a fully described entry (path already normalised) and records it.
    pub(crate) fn admit(&mut self, e: &Entry, limits: &Limits) -> Result<(), ArchiveErrorKind> {
        if e.size > limits.max_entry_size {
            return Err(ArchiveErrorKind::EntryTooLarge {
                limit: limits.max_entry_size,
                actual: e.size,
            });
        }
        self.content = self.content.saturating_add(e.size);
        if self.content > limits.max_total_size {
            return Err(ArchiveErrorKind::TotalTooLarge {
                limit: limits.max_total_size,
                actual: self.content,
            });
        }
        if !self.symlinks.is_empty() {
            // An entry below a symlink of this archive.
            for (i, ch) in e.path.char_indices() {
                if ch == '/' {
                    let prefix = &e.path[..i];
                    if self.symlinks.contains(prefix) {
                        return Err(ArchiveErrorKind::PathThroughSymlink {
                            symlink: prefix.to_owned(),
                        });
                    }
                }
            }
        }
        match e.kind {
            EntryKind::Symlink => {
                let target = e.link_target.as_deref().unwrap_or("");
                if target.len() > limits.max_path_len {
                    return Err(ArchiveErrorKind::PathTooLong {
                        limit: limits.max_path_len,
                        actual: target.len(),
                    });
                }
                check_symlink_target(&e.path, target)?;
            }
            EntryKind::Hardlink => {
                let target = e.link_target.as_deref().unwrap_or("");
                let norm = normalise_path(target, limits).map_err(|k| match k {
                    ArchiveErrorKind::PathTraversal { .. }
                    | ArchiveErrorKind::AbsolutePath { .. } => ArchiveErrorKind::LinkEscapes {
                        target: target.to_owned(),
                    },
                    other => other,
                })?;
                match self.seen.get(&norm) {
                    Some((_, EntryKind::File | EntryKind::Hardlink)) => {}
                    _ => {
                        return Err(ArchiveErrorKind::DanglingHardlink {
                            target: target.to_owned(),
                        });
                    }
                }
            }
            _ => {}
        }
        if let Some((first, _)) = self.seen.get(&e.path) {
            if !limits.allow_duplicate_names {
                return Err(ArchiveErrorKind::DuplicateName {
                    first_index: *first,
                });
            }
        } else {
            self.seen.insert(e.path.clone(), (e.index, e.kind));
        }
        if e.kind == EntryKind::Symlink {
            self.symlinks.insert(e.path.clone());
        }
        self.admitted += 1;
        Ok(())
    }

    /// Entries admitted so far (the index of the next one).
    pub(crate) fn entries_admitted(&self) -> usize {
        self.admitted
    }

    pub(crate) fn content_size(&self) -> u64 {
        self.content
    }
}

/// A content reader that checks the byte count against the declared size: more bytes than
/// declared or fewer (at EOF) are errors.
pub(crate) struct SizedReader<R> {
    inner: R,
    declared: u64,
    read: u64,
}

impl<R: Read> SizedReader<R> {
    pub(crate) fn new(inner: R, declared: u64) -> Self {
        SizedReader {
            inner,
            declared,
            read: 0,
        }
    }

    /// Reads and discards what the visitor left, then checks the count.
    pub(crate) fn finish(&mut self) -> io::Result<u64> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(self.read),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: Read> Read for SizedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Allow one byte past the declared size so that an overlong stream is detected.
        let room = self.declared.saturating_sub(self.read).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        if self.read > self.declared {
            return Err(ArchiveError::new(ArchiveErrorKind::SizeMismatch {
                declared: self.declared,
                actual: self.read,
            })
            .into_io());
        }
        if n == 0 && self.read < self.declared {
            return Err(ArchiveError::new(ArchiveErrorKind::SizeMismatch {
                declared: self.declared,
                actual: self.read,
            })
            .into_io());
        }
        Ok(n)
    }
}

/// Calls `visitor` with an entry and a reader of its content, then drains and checks what the
/// visitor left, mapping errors back to typed ones.
pub(crate) fn run_visitor<R: Read, F>(
    entry: &Entry,
    content: &mut SizedReader<R>,
    visitor: &mut F,
) -> Result<(), ArchiveError>
where
    F: FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
{
    let at = |e: ArchiveError| e.with_entry(entry.index, &entry.raw_path);
    if let Err(e) = visitor(entry, content) {
        // A typed error raised by the content reader wins over the visitor's own wrapping.
        let typed = ArchiveError::from_io(e);
        return Err(at(match typed.kind {
            ArchiveErrorKind::Io(inner) => ArchiveError::new(ArchiveErrorKind::Visitor(inner)),
            _ => typed,
        }));
    }
    content
        .finish()
        .map(|_| ())
        .map_err(|e| at(ArchiveError::from_io(e)))
}

/// One archive entry together with the digests of its content.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HashedEntry {
    /// The entry.
    pub entry: Entry,
    /// Digests of its content (of nothing, for directories and links).
    pub digests: DigestSet,
}

/// Every entry of an archive with its digests: what [`list_archive`] returns.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listing {
    /// The container format.
    pub format: Format,
    /// Whole-archive facts.
    pub summary: ArchiveSummary,
    /// Entries in archive order.
    pub entries: Vec<HashedEntry>,
}

impl Listing {
    /// The entry with this normalised path.
    pub fn get(&self, path: &str) -> Option<&HashedEntry> {
        self.entries.iter().find(|e| e.entry.path == path)
    }

    /// The regular-file entries.
    pub fn files(&self) -> impl Iterator<Item = &HashedEntry> {
        self.entries
            .iter()
            .filter(|e| e.entry.kind == EntryKind::File)
    }
}

/// Streams every entry of an archive to `visitor`, with a reader of its content, after the
/// entry passed every check; returns the archive summary once the end was checked too.
///
/// tar.gz is inflated on a second thread ([`crate::visit_tar_gz`]). Zip needs `Seek` to reach
/// the central directory; tar streams are read front to back.
pub fn visit_archive<R, F>(
    reader: R,
    format: Format,
    limits: &Limits,
    visitor: F,
) -> Result<ArchiveSummary, ArchiveError>
where
    R: Read + Seek + Send,
    F: FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
{
    match format {
        Format::Tar => crate::tar::visit_tar(reader, limits, visitor),
        Format::TarGz => crate::gz::visit_tar_gz(reader, limits, visitor),
        Format::Zip => crate::zip::visit_zip(reader, limits, visitor),
    }
}

/// Reads a whole archive, checks it, and returns every entry with the digests of its content
/// (computed in one pass with [`MultiHasher`]); memory is the entry list plus constant buffers.
pub fn list_archive<R>(
    reader: R,
    format: Format,
    limits: &Limits,
    algorithms: &[Algorithm],
) -> Result<Listing, ArchiveError>
where
    R: Read + Seek + Send,
{
    let mut entries = Vec::new();
    let summary = visit_archive(
        reader,
        format,
        limits,
        hashing_visitor(&mut entries, algorithms),
    )?;
    Ok(Listing {
        format,
        summary,
        entries,
    })
}

/// A visitor that hashes each entry's content and pushes it to `out`.
pub(crate) fn hashing_visitor<'a>(
    out: &'a mut Vec<HashedEntry>,
    algorithms: &'a [Algorithm],
) -> impl FnMut(&Entry, &mut dyn Read) -> io::Result<()> + 'a {
    let mut buf = vec![0u8; 128 * 1024];
    move |entry, content| {
        let mut hasher = MultiHasher::new(algorithms);
        loop {
            let n = match content.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
        }
        out.push(HashedEntry {
            entry: entry.clone(),
            digests: hasher.finish(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise_and_refuse_escapes() {
        let l = Limits::default();
        assert_eq!(normalise_path("./a//b/./c/", &l).unwrap(), "a/b/c");
        assert_eq!(normalise_path("./", &l).unwrap(), ".");
        assert!(matches!(
            normalise_path("a/../../b", &l),
            Err(ArchiveErrorKind::PathTraversal { .. })
        ));
        assert!(matches!(
            normalise_path("/etc/passwd", &l),
            Err(ArchiveErrorKind::AbsolutePath { .. })
        ));
        assert!(matches!(
            normalise_path("C:/x", &l),
            Err(ArchiveErrorKind::AbsolutePath { .. })
        ));
        assert!(matches!(
            normalise_path("a\\..\\b", &l),
            Err(ArchiveErrorKind::InvalidPath { .. })
        ));
        let long = "a".repeat(1025);
        assert!(matches!(
            normalise_path(&long, &l),
            Err(ArchiveErrorKind::PathTooLong {
                limit: 1024,
                actual: 1025
            })
        ));
    }

    #[test]
    fn symlink_targets_resolve_from_the_parent() {
        assert!(check_symlink_target("a/b/link", "../c").is_ok());
        assert!(check_symlink_target("a/b/link", "../../c").is_ok());
        assert!(check_symlink_target("a/b/link", "../../../c").is_err());
        assert!(check_symlink_target("link", "/etc/passwd").is_err());
        assert!(check_symlink_target("a/link", "x/../../..").is_err());
    }

    #[test]
    fn format_round_trips() {
        for f in [Format::Tar, Format::TarGz, Format::Zip] {
            assert_eq!(f.to_string().parse::<Format>().unwrap(), f);
        }
        assert_eq!(Format::from_file_name("x-1.0.crate"), Some(Format::TarGz));
        assert_eq!(
            Format::from_file_name("x-1.0-py3-none-any.whl"),
            Some(Format::Zip)
        );
        assert!("rar".parse::<Format>().is_err());
        assert_eq!(Format::sniff(b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(Format::sniff(&[0x1f, 0x8b, 8, 0]), Some(Format::TarGz));
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(Format::sniff(&tar), Some(Format::Tar));
        assert_eq!(Format::sniff(b"plain text"), None);
    }
}
