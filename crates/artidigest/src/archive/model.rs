//! The archive entry model shared by the tar, tar.gz and zip readers: formats, entries and
//! their format-specific facts, the caps ([`Limits`]), the whole-archive summary and the listing.

use std::fmt;
use std::str::FromStr;

use crate::archive::gzip::header::GzipHeader;
use crate::hasher::DigestSet;

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
        } else if head.get(257..262) == Some(&b"ustar"[..]) {
            Some(Format::Tar)
        } else {
            None
        }
    }
}

relkit_finding::names! {
    Format,
    /// The short name used by `Display` and `FromStr`: `tar`, `tar.gz` or `zip`.
    fn name {
        Tar => "tar",
        TarGz => "tar.gz",
        Zip => "zip",
    }
}

/// [`Format::from_str`] was given an unknown name.
#[non_exhaustive]
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
#[non_exhaustive]
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
/// Bomb protection rests on sizes, not on the ratio alone: an entry may not declare (or
/// inflate to) more than [`max_entry_size`](Limits::max_entry_size), an archive not more than
/// [`max_total_size`](Limits::max_total_size), and data that compresses above
/// [`bomb_ratio`](Limits::bomb_ratio) may not grow past
/// [`max_bomb_size`](Limits::max_bomb_size) (one zip entry, or a whole gzip stream). The hard
/// ratio cap ([`max_compression_ratio`](Limits::max_compression_ratio)) stays as a last line and
/// accepts real artifacts (a zero-padded library in a real wheel compresses 223:1).
///
/// ```
/// let mut limits = artidigest::Limits::default();
/// limits.max_entries = 10;
/// assert_eq!(limits.max_path_len, 1024);
/// assert_eq!(limits.max_compression_ratio, 1000);
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
    /// Largest uncompressed/compressed ratio (whole gzip stream; each zip entry). Default
    /// 1000 (deflate cannot exceed about 1032:1, so only near-constant data reaches it).
    pub max_compression_ratio: u64,
    /// The ratio caps are not checked until this many uncompressed bytes were seen, so that
    /// tiny highly compressible files pass. Default 1 MiB.
    pub ratio_grace_bytes: u64,
    /// Data compressing above this ratio counts as bomb-like and is held to
    /// [`max_bomb_size`](Limits::max_bomb_size). Default 100.
    pub bomb_ratio: u64,
    /// Largest uncompressed size of bomb-like data (above [`bomb_ratio`](Limits::bomb_ratio)):
    /// one zip entry's declared size, or a gzip stream's output. Default 256 MiB.
    pub max_bomb_size: u64,
    /// Longest path or link target in bytes. Default 1024.
    pub max_path_len: usize,
    /// Largest PAX extended header or GNU long-name entry in bytes (per entry). Default 64 KiB.
    pub max_pax_size: u64,
    /// Most records in one PAX extended header. Default 256.
    pub max_pax_records: usize,
    /// Most PAX records in the whole archive (local and global). Default 200,000.
    pub max_pax_total_records: usize,
    /// Most bytes of PAX extended headers in the whole archive (local and global). Default
    /// 16 MiB.
    pub max_pax_total_size: u64,
    /// Accept bytes after the tar end marker, the gzip member or the zip end record
    /// (non-zero bytes for tar). Default false.
    pub allow_trailing_data: bool,
    /// Accept two entries with the same normalised path. Default false.
    pub allow_duplicate_names: bool,
    /// How many levels of archives inside archives
    /// [`inspect_nested`](crate::archive::inspect_nested) opens; a recognised archive one level
    /// deeper is refused (`NestedTooDeep`), and 0 refuses any nested archive. The other readers
    /// never open nested archives. Default 3 (a jar in a zip in a tarball is 2).
    pub max_nesting_depth: usize,
    /// Largest nested archive [`inspect_nested`](crate::archive::inspect_nested) opens (it is
    /// held in memory while read); a larger one is refused (`EntryTooLarge`). Default 128 MiB.
    pub max_nested_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 50_000,
            max_entry_size: 2 << 30,
            max_total_size: 8 << 30,
            max_compression_ratio: 1000,
            ratio_grace_bytes: 1 << 20,
            bomb_ratio: 100,
            max_bomb_size: 256 << 20,
            max_path_len: 1024,
            max_pax_size: 64 << 10,
            max_pax_records: 256,
            max_pax_total_records: 200_000,
            max_pax_total_size: 16 << 20,
            allow_trailing_data: false,
            allow_duplicate_names: false,
            max_nesting_depth: 3,
            max_nested_size: 128 << 20,
        }
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
    pub gzip: Option<GzipHeader>,
    /// PAX global header records (`g` entries), for tar.
    pub pax_global: Vec<PaxRecord>,
    /// The zip archive comment.
    pub zip_comment: Option<String>,
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

/// Every entry of an archive with its digests: what `list_archive` returns.
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

#[cfg(test)]
mod tests {
    use super::*;

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
