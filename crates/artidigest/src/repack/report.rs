//! What a repack wrote: the report, the compression facts and the counters the writers keep.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::archive::{Format, GzipHeader};
use crate::digest::Digest;
use crate::repack::options::{MtimePolicy, Profile};

/// How the output was compressed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompressionInfo {
    /// The deflate implementation ([`DEFLATE_BACKEND`](crate::archive::DEFLATE_BACKEND)).
    pub backend: String,
    /// The deflate level.
    pub level: u32,
    /// The gzip header written (tar.gz only).
    pub gzip_header: Option<GzipHeader>,
}

/// What a repack wrote.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepackReport {
    /// The output format.
    pub format: Format,
    /// The profile followed.
    pub profile: Profile,
    /// The mtime policy applied.
    pub mtime: MtimePolicy,
    /// Entries written (excluding PAX and GNU long-name records).
    pub entries: usize,
    /// Regular files written.
    pub files: usize,
    /// Directories written.
    pub directories: usize,
    /// Symbolic links written.
    pub symlinks: usize,
    /// Hard links replaced by a copy of their target.
    pub hardlinks_copied: usize,
    /// Directories dropped because the profile writes files only.
    pub directories_dropped: usize,
    /// PAX extended headers written (paths, link targets, sizes or mtimes that ustar cannot hold).
    pub pax_headers: usize,
    /// Total content bytes.
    pub content_bytes: u64,
    /// Size of the output.
    pub output_bytes: u64,
    /// sha256 of the output.
    pub sha256: Digest,
    /// Compression backend, level and gzip header (`None` for plain tar).
    pub compression: Option<CompressionInfo>,
}

impl fmt::Display for RepackReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} profile, mtime {}): {} entries ({} files, {} dirs, {} symlinks), {} content bytes -> {} bytes, {}",
            self.format,
            self.profile,
            self.mtime,
            self.entries,
            self.files,
            self.directories,
            self.symlinks,
            self.content_bytes,
            self.output_bytes,
            self.sha256
        )?;
        if let Some(c) = &self.compression {
            write!(f, ", deflate {} level {}", c.backend, c.level)?;
        }
        Ok(())
    }
}

/// A repacked archive: its bytes and what was done.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repacked {
    /// The output archive.
    pub bytes: Vec<u8>,
    /// What was written.
    pub report: RepackReport,
}

/// Counters the tar and zip writers keep for the report.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) files: usize,
    pub(crate) directories: usize,
    pub(crate) symlinks: usize,
    pub(crate) hardlinks_copied: usize,
    pub(crate) directories_dropped: usize,
    pub(crate) pax_headers: usize,
    pub(crate) content_bytes: u64,
}
