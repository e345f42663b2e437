//! What a comparison returns: the options, the layers and stable codes, each difference with
//! its cause and fix, the report (JSON and human text) and the error.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::archive::{ArchiveError, Format, GzipError, Limits};
use crate::diff::cause::{Cause, Container};
use crate::digest::Digest;

/// Options for `diff_artifacts`.
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
    TarNumberFormat => "tar-number-format", Structure, "Tar header numbers are written differently (digits, terminators) with the same values.";
    TarHeaderBytes => "tar-header-bytes", Structure, "Tar header bytes differ where they decode to the same entries.";
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
    /// The likely cause, as a stable code from the one cause table.
    pub why: Cause,
    /// The likely cause: [`Cause::sentence`] of `why`.
    pub cause: String,
    /// How to make the two agree: [`Cause::fix`] of `why` for the container it was found in.
    pub fix: String,
    /// A bounded unified diff, for changed UTF-8 text entries.
    pub unified_diff: Option<String>,
}

impl Difference {
    pub(crate) fn new(
        code: DiffCode,
        summary: impl Into<String>,
        why: Cause,
        container: Container,
    ) -> Self {
        Difference {
            layer: code.layer(),
            code,
            summary: summary.into(),
            left: None,
            right: None,
            entries: Vec::new(),
            count: 0,
            why,
            cause: why.sentence().to_owned(),
            fix: why.fix(container).to_owned(),
            unified_diff: None,
        }
    }

    pub(crate) fn values(mut self, left: impl fmt::Display, right: impl fmt::Display) -> Self {
        self.left = Some(left.to_string());
        self.right = Some(right.to_string());
        self
    }

    pub(crate) fn affecting(mut self, entries: Vec<String>, max: usize) -> Self {
        self.count = entries.len();
        self.entries = entries.into_iter().take(max).collect();
        self
    }
}

/// One row of a layer's checks: the difference's code, summary and likely cause, and the entries
/// it was found on.
pub(crate) type Row = (DiffCode, &'static str, Cause, Vec<String>);

/// Pushes, for each row that found some entry, its difference in `container` (at most `max`
/// entries listed).
pub(crate) fn push_rows(
    out: &mut Vec<Difference>,
    rows: impl IntoIterator<Item = Row>,
    container: Container,
    max: usize,
) {
    for (code, summary, why, paths) in rows {
        if !paths.is_empty() {
            out.push(Difference::new(code, summary, why, container).affecting(paths, max));
        }
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

/// The result of `diff_artifacts`: identical, or every difference layer by layer.
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
            writeln!(f, "    cause: {} [{}]", d.cause, d.why)?;
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Names unique, kebab-case, and each the value's serde form both ways.
    fn kebab_and_round_trip<T>(all: &[T], name: impl Fn(&T) -> &'static str)
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug,
    {
        let names: BTreeSet<&str> = all.iter().map(&name).collect();
        assert_eq!(names.len(), all.len());
        for c in all {
            assert!(
                name(c)
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-')
            );
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", name(c)));
            assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), c);
        }
    }

    #[test]
    fn codes_and_causes_are_unique_and_kebab_case() {
        kebab_and_round_trip(DiffCode::ALL, |c| c.name());
        kebab_and_round_trip(Cause::ALL, |c| c.name());
        kebab_and_round_trip(Container::ALL, |c| c.name());
    }
}
