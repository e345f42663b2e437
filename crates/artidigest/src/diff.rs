//! "Why do these two artifacts differ?": a layer-by-layer comparison of two tar, tar.gz or zip
//! artifacts, each difference with its likely cause and a fix.
//!
//! Layers, outermost first: the compression container (gzip header fields, the deflate stream,
//! trailing bytes), the archive structure (entry order, tar header formats, PAX records, end
//! padding, zip methods and extra fields), per-entry metadata (mtime, mode, owners, link targets)
//! and per-entry content (added, removed, changed with both sha256 digests and a bounded unified
//! diff of UTF-8 text). Both archives are read through the hostile-safe readers and their caps.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::archive::{ArchiveError, EntryKind, Format, HashedEntry, Limits, Listing, list_archive};
use crate::gzip::{GzipError, GzipHeader, GzipInfo, inflate_gzip};
use crate::{Algorithm, Digest};

/// Options for [`diff_artifacts`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffOptions {
    /// Caps applied while reading both archives.
    pub limits: Limits,
    /// Most lines of unified diff kept per changed text entry.
    pub max_diff_lines: usize,
    /// Entries larger than this are not text-diffed (digests are still compared).
    pub max_text_bytes: u64,
    /// Most affected entry names listed in one difference.
    pub max_listed: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            limits: Limits::default(),
            max_diff_lines: 40,
            max_text_bytes: 1 << 20,
            max_listed: 20,
        }
    }
}

/// The layer a difference belongs to, outermost first.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// The compression container (gzip) or the archive format itself.
    Container,
    /// Archive structure: order, header formats, PAX records, padding, zip records.
    Structure,
    /// Per-entry metadata.
    Metadata,
    /// Per-entry content.
    Content,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Container => "container",
            Layer::Structure => "structure",
            Layer::Metadata => "metadata",
            Layer::Content => "content",
        })
    }
}

macro_rules! codes {
    ($($variant:ident => $name:literal, $layer:ident, $doc:literal;)*) => {
        /// A stable kebab-case code for each kind of difference.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum DiffCode {
            $(#[doc = $doc] #[serde(rename = $name)] $variant,)*
        }

        impl DiffCode {
            /// Every code, in report order.
            pub const ALL: &'static [DiffCode] = &[$(DiffCode::$variant,)*];

            /// The kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(DiffCode::$variant => $name,)* }
            }

            /// The layer this code belongs to.
            pub fn layer(self) -> Layer {
                match self { $(DiffCode::$variant => Layer::$layer,)* }
            }
        }
    };
}

codes! {
    FormatDiffers => "format-differs", Container, "The artifacts are different archive formats.";
    GzipMtime => "gzip-mtime", Container, "The gzip header MTIME differs.";
    GzipOs => "gzip-os", Container, "The gzip header OS byte differs.";
    GzipName => "gzip-name", Container, "The gzip header FNAME (stored file name) differs.";
    GzipComment => "gzip-comment", Container, "The gzip header FCOMMENT differs.";
    GzipExtra => "gzip-extra", Container, "The gzip header FEXTRA field differs.";
    GzipFlags => "gzip-flags", Container, "Other gzip header flags (FTEXT, FHCRC) differ.";
    GzipXfl => "gzip-xfl", Container, "The gzip XFL compression hint differs.";
    GzipMembers => "gzip-members", Container, "The number of gzip members differs.";
    DeflateStream => "deflate-stream", Container, "Same uncompressed data, different deflate stream.";
    TrailingData => "trailing-data", Container, "Bytes after the gzip member differ.";
    EntryOrder => "entry-order", Structure, "The same entries appear in another order.";
    TarHeaderFormat => "tar-header-format", Structure, "Tar header formats (ustar, gnu, pax, old) differ.";
    PaxRecords => "pax-records", Structure, "PAX extended header records differ.";
    GnuLongNames => "gnu-long-names", Structure, "GNU long-name records differ.";
    EndPadding => "end-padding", Structure, "The tar end-of-archive padding differs.";
    ZipMethod => "zip-method", Structure, "Zip compression methods differ.";
    ZipExtraFields => "zip-extra-fields", Structure, "Zip extra fields differ.";
    ZipHost => "zip-host", Structure, "The zip 'version made by' host system differs.";
    ZipDataDescriptor => "zip-data-descriptor", Structure, "Zip data-descriptor use differs.";
    ZipComment => "zip-comment", Structure, "The zip archive comment differs.";
    CompressedData => "compressed-data", Structure, "Same entries and metadata, different compressed bytes.";
    Kind => "entry-kind", Metadata, "An entry's kind (file, dir, symlink) differs.";
    Mtime => "mtime", Metadata, "Entry mtimes differ.";
    Mode => "mode", Metadata, "Entry permission bits differ.";
    OwnerIds => "owner-ids", Metadata, "Numeric uid/gid differ.";
    OwnerNames => "owner-names", Metadata, "Owner or group names differ.";
    LinkTarget => "link-target", Metadata, "Symlink or hardlink targets differ.";
    Added => "added", Content, "Entries only in the right artifact.";
    Removed => "removed", Content, "Entries only in the left artifact.";
    ContentChanged => "content-changed", Content, "An entry's content differs.";
}

impl fmt::Display for DiffCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One explained difference.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The layer.
    pub layer: Layer,
    /// The stable code.
    pub code: DiffCode,
    /// What differs, in a few words.
    pub summary: String,
    /// The left side's value, when one value describes it.
    pub left: Option<String>,
    /// The right side's value.
    pub right: Option<String>,
    /// Affected entries (at most [`DiffOptions::max_listed`]).
    pub entries: Vec<String>,
    /// Number of affected entries (may exceed `entries.len()`).
    pub count: usize,
    /// The likely cause.
    pub cause: String,
    /// How to make the two agree.
    pub fix: String,
    /// A bounded unified diff, for changed UTF-8 text entries.
    pub unified_diff: Option<String>,
}

impl Difference {
    fn new(code: DiffCode, summary: impl Into<String>, cause: &str, fix: &str) -> Self {
        Difference {
            layer: code.layer(),
            code,
            summary: summary.into(),
            left: None,
            right: None,
            entries: Vec::new(),
            count: 0,
            cause: cause.to_owned(),
            fix: fix.to_owned(),
            unified_diff: None,
        }
    }

    fn values(mut self, left: impl fmt::Display, right: impl fmt::Display) -> Self {
        self.left = Some(left.to_string());
        self.right = Some(right.to_string());
        self
    }

    fn affecting(mut self, entries: Vec<String>, max: usize) -> Self {
        self.count = entries.len();
        self.entries = entries.into_iter().take(max).collect();
        self
    }
}

/// One side of a comparison.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactSide {
    /// The artifact's name (file name or label).
    pub name: String,
    /// The archive format, when recognised.
    pub format: Option<Format>,
    /// Size in bytes.
    pub size: u64,
    /// sha256 of the whole artifact.
    pub sha256: Digest,
    /// Number of entries.
    pub entries: usize,
}

/// The result of [`diff_artifacts`]: identical, or every difference layer by layer.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffReport {
    /// The left artifact.
    pub left: ArtifactSide,
    /// The right artifact.
    pub right: ArtifactSide,
    /// Whether the two are byte-identical.
    pub identical: bool,
    /// The differences, outermost layer first.
    pub differences: Vec<Difference>,
}

impl DiffReport {
    /// The differences with this code.
    pub fn with_code(&self, code: DiffCode) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(move |d| d.code == code)
    }

    /// The report as pretty-printed JSON (the serde form of this type).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
    }

    /// The codes found, in report order.
    pub fn codes(&self) -> Vec<DiffCode> {
        self.differences.iter().map(|d| d.code).collect()
    }
}

impl fmt::Display for DiffReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: &ArtifactSide| {
            format!(
                "{} ({}, {} bytes, {} entries, {})",
                s.name,
                s.format.map_or("unknown".to_owned(), |f| f.to_string()),
                s.size,
                s.entries,
                s.sha256
            )
        };
        if self.identical {
            return writeln!(f, "identical: {}", side(&self.left));
        }
        writeln!(f, "artifacts differ")?;
        writeln!(f, "  left:  {}", side(&self.left))?;
        writeln!(f, "  right: {}", side(&self.right))?;
        for d in &self.differences {
            write!(f, "[{}] {}: {}", d.layer, d.code, d.summary)?;
            if let (Some(l), Some(r)) = (&d.left, &d.right) {
                write!(f, " (left {l}, right {r})")?;
            }
            writeln!(f)?;
            if !d.entries.is_empty() {
                let more = d.count.saturating_sub(d.entries.len());
                write!(f, "    entries: {}", d.entries.join(", "))?;
                if more > 0 {
                    write!(f, " … and {more} more")?;
                }
                writeln!(f)?;
            }
            writeln!(f, "    cause: {}", d.cause)?;
            writeln!(f, "    fix:   {}", d.fix)?;
            if let Some(diff) = &d.unified_diff {
                for line in diff.lines() {
                    writeln!(f, "    | {line}")?;
                }
            }
        }
        Ok(())
    }
}

/// Why two artifacts could not be compared.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// An artifact is not a tar, tar.gz or zip archive.
    #[error("{side} artifact {name:?} is not a tar, tar.gz or zip archive")]
    UnknownFormat {
        /// `left` or `right`.
        side: &'static str,
        /// The artifact's name.
        name: String,
    },
    /// An artifact's gzip container is broken.
    #[error("{side} artifact {name:?}: bad gzip container")]
    Gzip {
        /// `left` or `right`.
        side: &'static str,
        /// The artifact's name.
        name: String,
        /// The cause.
        #[source]
        source: GzipError,
    },
    /// An archive was refused by the reader.
    #[error("{side} artifact {name:?}: cannot read the archive")]
    Read {
        /// `left` or `right`.
        side: &'static str,
        /// The artifact's name.
        name: String,
        /// The cause.
        #[source]
        source: ArchiveError,
    },
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

struct Side<'a> {
    label: &'static str,
    name: &'a str,
    bytes: &'a [u8],
    format: Format,
    gzip: Option<(GzipInfo, Vec<u8>)>,
    listing: Listing,
}

impl Side<'_> {
    fn tar_bytes(&self) -> Option<&[u8]> {
        match self.format {
            Format::Tar => Some(self.bytes),
            Format::TarGz => self.gzip.as_ref().map(|(_, t)| t.as_slice()),
            _ => None,
        }
    }
}

fn sha256(bytes: &[u8]) -> Digest {
    use sha2::Digest as _;
    let out = sha2::Sha256::digest(bytes);
    match Digest::from_bytes(Algorithm::Sha256, &out) {
        Ok(d) => d,
        // A sha256 output always has the length sha256 expects.
        Err(_) => unreachable!("sha256 output is 32 bytes"),
    }
}

fn open<'a>(
    label: &'static str,
    name: &'a str,
    bytes: &'a [u8],
    opts: &DiffOptions,
) -> Result<Side<'a>, DiffError> {
    let format = Format::sniff(bytes).ok_or_else(|| DiffError::UnknownFormat {
        side: label,
        name: name.to_owned(),
    })?;
    let gzip = if format == Format::TarGz {
        Some(
            inflate_gzip(bytes, opts.limits.max_total_size).map_err(|source| DiffError::Gzip {
                side: label,
                name: name.to_owned(),
                source,
            })?,
        )
    } else {
        None
    };
    let listing = list_archive(
        Cursor::new(bytes),
        format,
        &opts.limits,
        &[Algorithm::Sha256],
    )
    .map_err(|source| DiffError::Read {
        side: label,
        name: name.to_owned(),
        source,
    })?;
    Ok(Side {
        label,
        name,
        bytes,
        format,
        gzip,
        listing,
    })
}

fn side_summary(name: &str, bytes: &[u8], side: Option<&Side<'_>>) -> ArtifactSide {
    ArtifactSide {
        name: name.to_owned(),
        format: side.map(|s| s.format).or_else(|| Format::sniff(bytes)),
        size: bytes.len() as u64,
        sha256: sha256(bytes),
        entries: side.map_or(0, |s| s.listing.entries.len()),
    }
}

/// Reads two files and compares them with [`diff_artifacts`].
pub fn diff_files(left: &Path, right: &Path, opts: &DiffOptions) -> Result<DiffReport, DiffError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| DiffError::Io {
            path: p.to_path_buf(),
            source,
        })
    };
    let (l, r) = (read(left)?, read(right)?);
    let name = |p: &Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    diff_artifacts((&name(left), &l), (&name(right), &r), opts)
}

/// Compares two artifacts (name, bytes) and explains every difference, layer by layer.
pub fn diff_artifacts(
    left: (&str, &[u8]),
    right: (&str, &[u8]),
    opts: &DiffOptions,
) -> Result<DiffReport, DiffError> {
    if left.1 == right.1 {
        let l = open("left", left.0, left.1, opts).ok();
        let summary = side_summary(left.0, left.1, l.as_ref());
        return Ok(DiffReport {
            right: ArtifactSide {
                name: right.0.to_owned(),
                ..summary.clone()
            },
            left: summary,
            identical: true,
            differences: Vec::new(),
        });
    }
    let l = open("left", left.0, left.1, opts)?;
    let r = open("right", right.0, right.1, opts)?;
    let mut out = Vec::new();
    container(&l, &r, &mut out);
    structure(&l, &r, opts, &mut out);
    metadata(&l, &r, opts, &mut out);
    content(&l, &r, opts, &mut out)?;
    // Nothing explained it: same entries and metadata, but other compressed bytes (zip).
    if out.is_empty() {
        out.push(Difference::new(
            DiffCode::CompressedData,
            "entries, metadata and contents agree, but the archive bytes differ",
            "a different compressor, compression level or record layout produced other bytes for the same data",
            "use the same archiver and compression level, or repack both deterministically",
        ));
    }
    out.sort_by_key(|d| d.layer);
    Ok(DiffReport {
        left: side_summary(left.0, left.1, Some(&l)),
        right: side_summary(right.0, right.1, Some(&r)),
        identical: false,
        differences: out,
    })
}

fn container(l: &Side<'_>, r: &Side<'_>, out: &mut Vec<Difference>) {
    if l.format != r.format {
        out.push(
            Difference::new(
                DiffCode::FormatDiffers,
                "the artifacts are different archive formats",
                "they were produced by different packaging steps",
                "compare artifacts of the same kind (entries are still compared below)",
            )
            .values(l.format, r.format),
        );
    }
    let (Some((li, ltar)), Some((ri, rtar))) = (&l.gzip, &r.gzip) else {
        return;
    };
    let (Some(lh), Some(rh)) = (li.header(), ri.header()) else {
        return;
    };
    gzip_header(lh, rh, out);
    if li.members.len() != ri.members.len() {
        out.push(
            Difference::new(
                DiffCode::GzipMembers,
                "the number of gzip members differs",
                "one side was written by a parallel or appending compressor (pigz -i, concatenation)",
                "compress the tar in one gzip member",
            )
            .values(li.members.len(), ri.members.len()),
        );
    }
    if li.trailing_bytes != ri.trailing_bytes {
        out.push(
            Difference::new(
                DiffCode::TrailingData,
                "bytes after the gzip member differ",
                "padding or garbage was appended after the compressed stream",
                "write the gzip stream without trailing bytes",
            )
            .values(li.trailing_bytes, ri.trailing_bytes),
        );
    }
    if ltar == rtar {
        fn deflate<'b>(s: &Side<'b>, info: &GzipInfo) -> Option<&'b [u8]> {
            info.members.first().map(|m| {
                let start = m.offset as usize + m.header.len;
                s.bytes
                    .get(start..start + m.deflate_len as usize)
                    .unwrap_or_default()
            })
        }
        if deflate(l, li) != deflate(r, ri) || li.members.len() != ri.members.len() {
            out.push(
                Difference::new(
                    DiffCode::DeflateStream,
                    "same tar, different deflate stream",
                    &format!(
                        "another deflate implementation or level compressed the same tar (XFL {} vs {}); zlib, zlib-ng, zlib-rs and miniz_oxide emit different valid streams",
                        lh.xfl, rh.xfl
                    ),
                    "compress with the same implementation and level (the repack report records both), or compare the uncompressed tar",
                )
                .values(
                    format!("{} deflate bytes", li.members.iter().map(|m| m.deflate_len).sum::<u64>()),
                    format!("{} deflate bytes", ri.members.iter().map(|m| m.deflate_len).sum::<u64>()),
                ),
            );
        }
    }
}

fn gzip_header(lh: &GzipHeader, rh: &GzipHeader, out: &mut Vec<Difference>) {
    if lh.mtime != rh.mtime {
        out.push(
            Difference::new(
                DiffCode::GzipMtime,
                "gzip header MTIME differs",
                "gzip stored the build time or the input file's mtime",
                "use gzip -n (or GzBuilder::mtime(0)); with SOURCE_DATE_EPOCH set, tools write 0 or the epoch",
            )
            .values(lh.mtime, rh.mtime),
        );
    }
    if lh.os != rh.os {
        out.push(
            Difference::new(
                DiffCode::GzipOs,
                "gzip header OS byte differs",
                "the archives were compressed on different systems or by different gzip implementations",
                "write a fixed OS byte (255, unknown), e.g. by repacking",
            )
            .values(
                format!("{} ({})", lh.os, lh.os_name()),
                format!("{} ({})", rh.os, rh.os_name()),
            ),
        );
    }
    if lh.name != rh.name {
        out.push(
            Difference::new(
                DiffCode::GzipName,
                "gzip header stored file name differs",
                "gzip recorded the input file's name (gzip without -n, or a tool that sets FNAME)",
                "use gzip -n, or write the same name on both sides",
            )
            .values(
                lh.name_lossy().unwrap_or_else(|| "(none)".into()),
                rh.name_lossy().unwrap_or_else(|| "(none)".into()),
            ),
        );
    }
    if lh.comment != rh.comment {
        out.push(Difference::new(
            DiffCode::GzipComment,
            "gzip header comment differs",
            "a tool stored a comment in the gzip header",
            "write no gzip comment",
        ));
    }
    if lh.extra != rh.extra {
        out.push(Difference::new(
            DiffCode::GzipExtra,
            "gzip header extra field differs",
            "a tool stored an FEXTRA field (e.g. BGZF or a timestamp)",
            "write no FEXTRA field",
        ));
    }
    let other = |h: &GzipHeader| h.flags & (0x01 | 0x02);
    if other(lh) != other(rh) {
        out.push(
            Difference::new(
                DiffCode::GzipFlags,
                "gzip FTEXT/FHCRC flags differ",
                "different gzip implementations set the text guess or header CRC differently",
                "compress with the same implementation",
            )
            .values(format!("{:#04x}", lh.flags), format!("{:#04x}", rh.flags)),
        );
    }
    if lh.xfl != rh.xfl {
        out.push(
            Difference::new(
                DiffCode::GzipXfl,
                "gzip XFL compression hint differs",
                "different compression levels were used (2 = best, 4 = fastest)",
                "compress at the same level",
            )
            .values(lh.xfl, rh.xfl),
        );
    }
}

/// Bytes after the last entry's data in a tar stream (end blocks plus record padding).
fn tar_end_padding(tar: &[u8], listing: &Listing) -> u64 {
    let end = listing
        .entries
        .iter()
        .filter_map(|h| {
            h.entry
                .tar()
                .map(|t| t.header_offset + 512 + h.entry.size.div_ceil(512) * 512)
        })
        .max()
        .unwrap_or(0);
    (tar.len() as u64).saturating_sub(end)
}

fn count_by<T: Ord>(items: impl Iterator<Item = T>) -> BTreeMap<T, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i).or_insert(0) += 1;
    }
    m
}

fn show_counts<T: fmt::Display>(m: &BTreeMap<T, usize>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn structure(l: &Side<'_>, r: &Side<'_>, opts: &DiffOptions, out: &mut Vec<Difference>) {
    // Entry order over the entries both sides have.
    let rpaths: BTreeSet<&str> = r
        .listing
        .entries
        .iter()
        .map(|h| h.entry.path.as_str())
        .collect();
    let lpaths: BTreeSet<&str> = l
        .listing
        .entries
        .iter()
        .map(|h| h.entry.path.as_str())
        .collect();
    let lorder: Vec<&str> = l
        .listing
        .entries
        .iter()
        .map(|h| h.entry.path.as_str())
        .filter(|p| rpaths.contains(p))
        .collect();
    let rorder: Vec<&str> = r
        .listing
        .entries
        .iter()
        .map(|h| h.entry.path.as_str())
        .filter(|p| lpaths.contains(p))
        .collect();
    if lorder != rorder {
        let moved: Vec<String> = lorder
            .iter()
            .zip(&rorder)
            .filter(|(a, b)| a != b)
            .map(|(a, _)| (*a).to_owned())
            .collect();
        let sorted = |v: &[&str]| v.windows(2).all(|w| w[0] <= w[1]);
        out.push(
            Difference::new(
                DiffCode::EntryOrder,
                "entry order differs",
                "the archiver listed files in directory (file system) order, which differs between machines",
                "entry order differs: sort entries (tar --sort=name, or repack)",
            )
            .values(
                if sorted(&lorder) { "sorted" } else { "unsorted" },
                if sorted(&rorder) { "sorted" } else { "unsorted" },
            )
            .affecting(moved, opts.max_listed),
        );
    }
    if let (Some(ltar), Some(rtar)) = (l.tar_bytes(), r.tar_bytes()) {
        tar_structure(l, r, ltar, rtar, out);
    }
    if l.format == Format::Zip && r.format == Format::Zip {
        zip_structure(l, r, opts, out);
    }
}

fn tar_structure(l: &Side<'_>, r: &Side<'_>, ltar: &[u8], rtar: &[u8], out: &mut Vec<Difference>) {
    let formats = |s: &Side<'_>| {
        count_by(
            s.listing
                .entries
                .iter()
                .filter_map(|h| h.entry.tar().map(|t| t.header_format.to_string())),
        )
    };
    let (lf, rf) = (formats(l), formats(r));
    if lf.keys().collect::<Vec<_>>() != rf.keys().collect::<Vec<_>>() {
        out.push(
            Difference::new(
                DiffCode::TarHeaderFormat,
                "tar header formats differ",
                "different tar writers or --format options (GNU tar defaults to gnu, Python's tarfile to pax, bsdtar to ustar/pax)",
                "write the same format on both sides (tar --format=ustar or pax), or repack",
            )
            .values(show_counts(&lf), show_counts(&rf)),
        );
    }
    let pax_keys = |s: &Side<'_>| {
        count_by(s.listing.entries.iter().flat_map(|h| {
            h.entry
                .tar()
                .map(|t| t.pax.iter().map(|p| p.key.clone()).collect::<Vec<_>>())
                .unwrap_or_default()
        }))
    };
    let (lk, rk) = (pax_keys(l), pax_keys(r));
    let (lg, rg) = (&l.listing.summary.pax_global, &r.listing.summary.pax_global);
    if lk != rk || lg != rg {
        let all: BTreeSet<&String> = lk.keys().chain(rk.keys()).collect();
        let times = all
            .iter()
            .any(|k| matches!(k.as_str(), "atime" | "ctime" | "mtime"));
        let xattr = all.iter().any(|k| {
            k.contains("xattr") || k.starts_with("SCHILY.") || k.starts_with("LIBARCHIVE.")
        });
        let cause = if xattr {
            "extended attributes (xattrs, ACLs) were archived as PAX records on one side"
        } else if times {
            "PAX time records (atime/ctime/sub-second mtime) were stored, as GNU tar --format=posix and Python's tarfile do"
        } else {
            "one writer needed or chose PAX records (long names, large values, global headers)"
        };
        let fix = if xattr {
            "use tar --no-xattrs --no-acls --no-selinux, or repack"
        } else if times {
            "use --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime, or repack"
        } else {
            "write PAX records only where ustar cannot hold a value (as repack does)"
        };
        out.push(
            Difference::new(DiffCode::PaxRecords, "PAX records differ", cause, fix).values(
                format!("{}; global {}", show_counts(&lk), lg.len()),
                format!("{}; global {}", show_counts(&rk), rg.len()),
            ),
        );
    }
    let gnu_long = |s: &Side<'_>| {
        s.listing
            .entries
            .iter()
            .filter(|h| {
                h.entry
                    .tar()
                    .is_some_and(|t| t.gnu_long_name || t.gnu_long_link)
            })
            .count()
    };
    let (lgl, rgl) = (gnu_long(l), gnu_long(r));
    if lgl != rgl {
        out.push(
            Difference::new(
                DiffCode::GnuLongNames,
                "GNU long-name records differ",
                "one side stores long paths as GNU ././@LongLink entries, the other in PAX or ustar prefix fields",
                "write the same tar format on both sides",
            )
            .values(lgl, rgl),
        );
    }
    let (lp, rp) = (
        tar_end_padding(ltar, &l.listing),
        tar_end_padding(rtar, &r.listing),
    );
    if lp != rp {
        out.push(
            Difference::new(
                DiffCode::EndPadding,
                "tar end-of-archive padding differs",
                "GNU tar and bsdtar pad the archive to a 10240-byte record (blocking factor 20); library writers stop after the two zero blocks",
                "use the same writer, or tar --record-size=1024 / repack",
            )
            .values(format!("{lp} bytes"), format!("{rp} bytes")),
        );
    }
}

fn zip_structure(l: &Side<'_>, r: &Side<'_>, opts: &DiffOptions, out: &mut Vec<Difference>) {
    let rmap: HashMap<&str, &HashedEntry> = r
        .listing
        .entries
        .iter()
        .map(|h| (h.entry.path.as_str(), h))
        .collect();
    let (mut method, mut extra, mut host, mut dd) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for h in &l.listing.entries {
        let Some(o) = rmap.get(h.entry.path.as_str()) else {
            continue;
        };
        let (Some(a), Some(b)) = (h.entry.zip(), o.entry.zip()) else {
            continue;
        };
        let p = h.entry.path.clone();
        if a.method != b.method {
            method.push(p.clone());
        }
        if a.local.extra_len != b.local.extra_len || a.central_extra_len != b.central_extra_len {
            extra.push(p.clone());
        }
        if a.version_made_by >> 8 != b.version_made_by >> 8 {
            host.push(p.clone());
        }
        if a.data_descriptor != b.data_descriptor {
            dd.push(p);
        }
    }
    let max = opts.max_listed;
    if !method.is_empty() {
        out.push(
            Difference::new(
                DiffCode::ZipMethod,
                "zip compression methods differ",
                "different zip writers or settings stored some entries instead of deflating them",
                "use the same zip writer and compression settings, or repack",
            )
            .affecting(method, max),
        );
    }
    if !extra.is_empty() {
        out.push(
            Difference::new(
                DiffCode::ZipExtraFields,
                "zip extra fields differ",
                "extra fields carry timestamps and uid/gid (Info-ZIP UT/ux records)",
                "use zip -X (no extra attributes), or repack",
            )
            .affecting(extra, max),
        );
    }
    if !host.is_empty() {
        out.push(
            Difference::new(
                DiffCode::ZipHost,
                "zip 'version made by' host differs",
                "the archives were made on different systems (Unix vs FAT/NTFS), which also changes how modes are stored",
                "build on the same platform, or repack",
            )
            .affecting(host, max),
        );
    }
    if !dd.is_empty() {
        out.push(
            Difference::new(
                DiffCode::ZipDataDescriptor,
                "zip data-descriptor use differs",
                "one writer streamed (sizes after the data), the other seeked back",
                "use the same zip writer, or repack",
            )
            .affecting(dd, max),
        );
    }
    if l.listing.summary.zip_comment != r.listing.summary.zip_comment {
        out.push(Difference::new(
            DiffCode::ZipComment,
            "zip archive comment differs",
            "a tool wrote an archive comment",
            "write no archive comment",
        ));
    }
}

fn metadata(l: &Side<'_>, r: &Side<'_>, opts: &DiffOptions, out: &mut Vec<Difference>) {
    let rmap: HashMap<&str, &HashedEntry> = r
        .listing
        .entries
        .iter()
        .map(|h| (h.entry.path.as_str(), h))
        .collect();
    let (mut kind, mut mtime, mut mode, mut ids, mut names, mut link) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut common = 0usize;
    let mut mtime_pair = None;
    for h in &l.listing.entries {
        let Some(o) = rmap.get(h.entry.path.as_str()) else {
            continue;
        };
        common += 1;
        let (a, b) = (&h.entry, &o.entry);
        let p = a.path.clone();
        if a.kind != b.kind {
            kind.push(p.clone());
            continue;
        }
        if a.mtime != b.mtime {
            mtime_pair.get_or_insert((a.mtime, b.mtime));
            mtime.push(p.clone());
        }
        if a.mode != b.mode {
            mode.push(format!("{p} ({:o} vs {:o})", a.mode, b.mode));
        }
        if (a.uid, a.gid) != (b.uid, b.gid) {
            ids.push(format!("{p} ({}:{} vs {}:{})", a.uid, a.gid, b.uid, b.gid));
        }
        if (&a.uname, &a.gname) != (&b.uname, &b.gname) {
            names.push(format!(
                "{p} ({}:{} vs {}:{})",
                a.uname, a.gname, b.uname, b.gname
            ));
        }
        if a.link_target != b.link_target {
            link.push(format!(
                "{p} ({} vs {})",
                a.link_target.as_deref().unwrap_or(""),
                b.link_target.as_deref().unwrap_or("")
            ));
        }
    }
    let max = opts.max_listed;
    if !kind.is_empty() {
        out.push(
            Difference::new(
                DiffCode::Kind,
                "entry kinds differ",
                "a path is a file on one side and a directory or link on the other",
                "check the source trees: a symlink may have been dereferenced",
            )
            .affecting(kind, max),
        );
    }
    if !mtime.is_empty() {
        let every = mtime.len() == common;
        let (summary, cause, fix) = if every {
            (
                "every mtime differs".to_owned(),
                "every mtime differs: the trees were checked out or built at different times",
                "every mtime differs: set SOURCE_DATE_EPOCH (tar --mtime=@$SOURCE_DATE_EPOCH --clamp-mtime), or repack with a fixed mtime",
            )
        } else {
            (
                format!("{} of {common} mtimes differ", mtime.len()),
                "those files were modified or regenerated between the builds",
                "set SOURCE_DATE_EPOCH and clamp mtimes, or repack with a fixed mtime",
            )
        };
        let mut d = Difference::new(DiffCode::Mtime, summary, cause, fix).affecting(mtime, max);
        if let Some((a, b)) = mtime_pair {
            d = d.values(a, b);
        }
        out.push(d);
    }
    if !mode.is_empty() {
        out.push(
            Difference::new(
                DiffCode::Mode,
                "permission bits differ",
                "different umasks or checkout modes (group-writable files, lost executable bits)",
                "normalise modes (umask 022, tar --mode=go-w), or repack to 0644/0755",
            )
            .affecting(mode, max),
        );
    }
    if !ids.is_empty() {
        out.push(
            Difference::new(
                DiffCode::OwnerIds,
                "numeric owners differ",
                "the archives were built by different users",
                "use --owner=0 --group=0 --numeric-owner",
            )
            .affecting(ids, max),
        );
    }
    if !names.is_empty() {
        out.push(
            Difference::new(
                DiffCode::OwnerNames,
                "owner names differ",
                "the archiver recorded the building user's names",
                "owner names differ: use --owner=0 --group=0 --numeric-owner",
            )
            .affecting(names, max),
        );
    }
    if !link.is_empty() {
        out.push(
            Difference::new(
                DiffCode::LinkTarget,
                "link targets differ",
                "the symlinks in the source trees point elsewhere",
                "fix the links in the source tree; relative links inside the package are the reproducible form",
            )
            .affecting(link, max),
        );
    }
}

/// Why a path might be present on one side only.
fn classify_extra(path: &str) -> (&'static str, &'static str, &'static str) {
    let comps: Vec<&str> = path.split('/').collect();
    let has = |n: &str| comps.contains(&n);
    if has("build") || has("dist") {
        (
            "build-output",
            "the sdist contains build/ output: a previous build's build/ or dist/ folder was packed",
            "clean the tree before packaging (rm -rf build dist) or prune them in MANIFEST.in / the include rules",
        )
    } else if has("__pycache__") || path.ends_with(".pyc") || path.ends_with(".pyo") {
        (
            "bytecode",
            "compiled Python bytecode was packed",
            "exclude __pycache__ and *.pyc (global-exclude *.py[cod])",
        )
    } else if has("target") {
        (
            "target",
            "a target/ build folder was packed",
            "exclude target/ from the package",
        )
    } else if comps.iter().any(|c| matches!(*c, ".git" | ".hg" | ".svn")) {
        (
            "vcs",
            "version-control metadata was packed",
            "exclude VCS folders (build from a clean export)",
        )
    } else if comps.last().is_some_and(|c| {
        matches!(*c, ".DS_Store" | "Thumbs.db") || c.ends_with('~') || c.ends_with(".swp")
    }) {
        (
            "junk",
            "editor or desktop junk files were packed",
            "exclude editor/OS junk files, or build from a clean checkout",
        )
    } else if comps.iter().any(|c| c.ends_with(".egg-info")) {
        (
            "egg-info",
            "a stale .egg-info folder differs between the trees",
            "delete *.egg-info before building",
        )
    } else {
        (
            "other",
            "the file lists differ: the include/exclude rules or the source trees differ",
            "build both from the same commit with the same include rules",
        )
    }
}

fn content(
    l: &Side<'_>,
    r: &Side<'_>,
    opts: &DiffOptions,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let lmap: HashMap<&str, &HashedEntry> = l
        .listing
        .entries
        .iter()
        .map(|h| (h.entry.path.as_str(), h))
        .collect();
    let rmap: HashMap<&str, &HashedEntry> = r
        .listing
        .entries
        .iter()
        .map(|h| (h.entry.path.as_str(), h))
        .collect();
    for (code, from, other) in [(DiffCode::Removed, l, &rmap), (DiffCode::Added, r, &lmap)] {
        let mut groups: BTreeMap<&'static str, (Vec<String>, &'static str, &'static str)> =
            BTreeMap::new();
        for h in &from.listing.entries {
            if other.contains_key(h.entry.path.as_str()) {
                continue;
            }
            let (group, cause, fix) = classify_extra(&h.entry.path);
            groups
                .entry(group)
                .or_insert_with(|| (Vec::new(), cause, fix))
                .0
                .push(h.entry.path.clone());
        }
        for (_, (paths, cause, fix)) in groups {
            let summary = format!(
                "{} {} only in the {} artifact",
                paths.len(),
                if paths.len() == 1 { "entry" } else { "entries" },
                from.label
            );
            out.push(Difference::new(code, summary, cause, fix).affecting(paths, opts.max_listed));
        }
    }
    // Changed files: compare digests; fetch text of the changed ones for a unified diff.
    let mut changed = Vec::new();
    for h in &l.listing.entries {
        let Some(o) = rmap.get(h.entry.path.as_str()) else {
            continue;
        };
        if h.entry.kind != EntryKind::File || o.entry.kind != EntryKind::File {
            continue;
        }
        let (a, b) = (
            h.digests.get(Algorithm::Sha256),
            o.digests.get(Algorithm::Sha256),
        );
        if a != b {
            changed.push((
                h.entry.path.clone(),
                a.copied(),
                b.copied(),
                h.entry.size,
                o.entry.size,
            ));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let wanted: BTreeSet<String> = changed
        .iter()
        .filter(|c| c.3 <= opts.max_text_bytes && c.4 <= opts.max_text_bytes)
        .map(|c| c.0.clone())
        .collect();
    let ltext = contents(l, &wanted, opts)?;
    let rtext = contents(r, &wanted, opts)?;
    for (path, a, b, _, _) in changed {
        let show = |d: Option<Digest>| d.map_or_else(|| "?".to_owned(), |d| d.to_string());
        let texts = match (ltext.get(&path), rtext.get(&path)) {
            (Some(x), Some(y)) => std::str::from_utf8(x).ok().zip(std::str::from_utf8(y).ok()),
            _ => None,
        };
        let (cause, fix, diff) = match texts {
            Some((x, y)) if x.replace("\r\n", "\n") == y.replace("\r\n", "\n") => (
                "line endings differ (CRLF vs LF)",
                "check out with the same line-ending settings (.gitattributes, core.autocrlf=false)",
                None,
            ),
            Some((x, y)) => {
                let (cause, fix) = changed_text_cause(&path);
                (cause, fix, Some(unified(&path, x, y, opts.max_diff_lines)))
            }
            None => {
                let (cause, fix) = changed_text_cause(&path);
                (cause, fix, None)
            }
        };
        let mut d = Difference::new(DiffCode::ContentChanged, "content differs", cause, fix)
            .values(show(a), show(b))
            .affecting(vec![path], opts.max_listed);
        d.unified_diff = diff;
        out.push(d);
    }
    Ok(())
}

fn changed_text_cause(path: &str) -> (&'static str, &'static str) {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        "PKG-INFO"
        | "METADATA"
        | "WHEEL"
        | "RECORD"
        | "setup.cfg"
        | "Cargo.toml"
        | "Cargo.lock"
        | "package.json"
        | ".cargo_vcs_info.json" => (
            "generated packaging metadata differs: another build-tool version, another commit, or other build inputs",
            "pin the build backend and its version, and build both from the same commit",
        ),
        _ => (
            "the file's content changed: other sources, or a generated file embedding build data (timestamps, paths, versions)",
            "build both from the same commit; look for embedded dates or absolute paths in generated files",
        ),
    }
}

/// A unified diff of two texts, cut to `max_lines` lines.
fn unified(path: &str, a: &str, b: &str, max_lines: usize) -> String {
    let diff = similar::TextDiff::from_lines(a, b);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    let total = text.lines().count();
    if total <= max_lines {
        return text;
    }
    let mut kept: String = text
        .lines()
        .take(max_lines)
        .map(|l| format!("{l}\n"))
        .collect();
    kept.push_str(&format!("… ({} more lines)\n", total - max_lines));
    kept
}

/// The contents of the `wanted` entries of one side (each at most `max_text_bytes`).
fn contents(
    side: &Side<'_>,
    wanted: &BTreeSet<String>,
    opts: &DiffOptions,
) -> Result<HashMap<String, Vec<u8>>, DiffError> {
    let mut map = HashMap::new();
    if wanted.is_empty() {
        return Ok(map);
    }
    crate::archive::visit_archive(
        Cursor::new(side.bytes),
        side.format,
        &opts.limits,
        |entry, content| {
            if wanted.contains(&entry.path) {
                let mut data = Vec::new();
                content.take(opts.max_text_bytes).read_to_end(&mut data)?;
                map.insert(entry.path.clone(), data);
            }
            Ok(())
        },
    )
    .map_err(|source| DiffError::Read {
        side: side.label,
        name: side.name.to_owned(),
        source,
    })?;
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let names: BTreeSet<&str> = DiffCode::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), DiffCode::ALL.len());
        for c in DiffCode::ALL {
            assert!(
                c.name()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-')
            );
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.name()));
            assert_eq!(serde_json::from_str::<DiffCode>(&json).unwrap(), *c);
        }
    }

    #[test]
    fn unified_diff_is_bounded() {
        let a: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let b: String = (0..100).map(|i| format!("LINE {i}\n")).collect();
        let d = unified("f.txt", &a, &b, 10);
        assert_eq!(d.lines().count(), 11);
        assert!(d.starts_with("--- a/f.txt"));
        assert!(d.ends_with("more lines)\n"));
    }

    #[test]
    fn extra_files_are_classified() {
        assert_eq!(
            classify_extra("pkg-1.0/build/lib/pkg/x.py").0,
            "build-output"
        );
        assert_eq!(
            classify_extra("pkg/__pycache__/x.cpython-312.pyc").0,
            "bytecode"
        );
        assert_eq!(classify_extra("pkg/.git/HEAD").0, "vcs");
        assert_eq!(classify_extra("pkg/.DS_Store").0, "junk");
        assert_eq!(classify_extra("pkg/src/new.rs").0, "other");
    }
}
