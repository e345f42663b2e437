//! Deterministic repacking of tar, tar.gz and zip archives, from an in-memory entry list, a
//! folder or an existing archive.
//!
//! The output depends only on the entries' paths, kinds, contents, executable bits and (under
//! [`MtimePolicy::Keep`] or [`MtimePolicy::Clamp`]) their mtimes — never on input order, owners,
//! umask, atime/ctime, xattrs or the machine. See `docs/repack.md` for every normalisation and for
//! how close the [`Profile::Cargo`] profile comes to `cargo package`'s own bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::archive::{ArchiveError, Entry, EntryKind, Format, Limits};
use crate::gzip::{DEFLATE_BACKEND, GzipHeader};
use crate::{Algorithm, Digest, digest_bytes};

/// The fixed mtime of `cargo package` for files it copies from disk (2006-07-23, tar's
/// `DETERMINISTIC_TIMESTAMP`).
pub const CARGO_MTIME: u64 = 1_153_704_088;

/// The mtime cargo releases of about 2021–2024 gave the files they generate (`Cargo.toml`,
/// `Cargo.lock`, `.cargo_vcs_info.json`); current cargo gives them [`CARGO_MTIME`] too. The
/// cargo profile keeps 1 when the input has it, so such `.crate`s repack to their own tar.
pub const CARGO_GENERATED_MTIME: u64 = 1;

/// The fixed mtime of files copied from disk by `cargo package` releases that used an older
/// `tar` crate (123456789, 1973-11-29); the cargo profile keeps it when the input has it.
pub const CARGO_LEGACY_MTIME: u64 = 123_456_789;

/// The default fixed mtime of the deterministic profile: 1980-01-01T00:00:00Z, the earliest time a
/// zip entry can carry, so tar and zip output agree.
pub const DEFAULT_EPOCH: u64 = 315_532_800;

/// The largest value an 11-digit octal tar header field can hold.
const OCTAL_11_MAX: u64 = 0o777_7777_7777;

/// What kind of entry a [`RepackEntry`] is.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepackKind {
    /// A regular file with its content.
    File(Vec<u8>),
    /// A directory.
    Directory,
    /// A symbolic link and its target, relative to the link's folder.
    Symlink(String),
    /// A hard link to another file entry of the same archive (by path). Repacking stores a
    /// copy of the target's content instead, so the output never depends on entry order.
    Hardlink(String),
}

/// One entry to repack: a path, a kind, and the metadata that repacking normalises.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepackEntry {
    /// Relative `/`-separated path (a leading `./` and a trailing `/` are accepted and removed).
    pub path: String,
    /// Kind and content.
    pub kind: RepackKind,
    /// Unix mode bits; only the executable bits survive repacking.
    pub mode: u32,
    /// Modification time in seconds since the Unix epoch.
    pub mtime: u64,
    /// Owner id (dropped by repacking).
    pub uid: u64,
    /// Group id (dropped by repacking).
    pub gid: u64,
    /// Owner name (dropped by repacking).
    pub uname: String,
    /// Group name (dropped by repacking).
    pub gname: String,
}

impl RepackEntry {
    fn new(path: impl Into<String>, kind: RepackKind, mode: u32) -> Self {
        RepackEntry {
            path: path.into(),
            kind,
            mode,
            mtime: 0,
            uid: 0,
            gid: 0,
            uname: String::new(),
            gname: String::new(),
        }
    }

    /// A regular file (mode 0644).
    pub fn file(path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        RepackEntry::new(path, RepackKind::File(content.into()), 0o644)
    }

    /// A directory (mode 0755).
    pub fn directory(path: impl Into<String>) -> Self {
        RepackEntry::new(path, RepackKind::Directory, 0o755)
    }

    /// A symbolic link to `target` (mode 0777).
    pub fn symlink(path: impl Into<String>, target: impl Into<String>) -> Self {
        RepackEntry::new(path, RepackKind::Symlink(target.into()), 0o777)
    }

    /// A hard link to the file entry at `target`.
    pub fn hardlink(path: impl Into<String>, target: impl Into<String>) -> Self {
        RepackEntry::new(path, RepackKind::Hardlink(target.into()), 0o644)
    }

    /// The same entry with another mode.
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// The same entry with another mtime.
    pub fn with_mtime(mut self, mtime: u64) -> Self {
        self.mtime = mtime;
        self
    }

    /// The same entry with other owner ids and names.
    pub fn with_owner(mut self, uid: u64, gid: u64, uname: &str, gname: &str) -> Self {
        self.uid = uid;
        self.gid = gid;
        self.uname = uname.to_owned();
        self.gname = gname.to_owned();
        self
    }
}

/// How repacking sets each entry's mtime.
///
/// SOURCE_DATE_EPOCH semantics: [`MtimePolicy::Clamp`] is `tar --clamp-mtime` (files newer than
/// the epoch get the epoch, older ones keep theirs); [`MtimePolicy::Fixed`] gives every entry the
/// same time, which is what makes archives with different mtimes repack to the same bytes.
/// `Display`/`FromStr` spell them `fixed:<secs>`, `clamp:<secs>` and `keep`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum MtimePolicy {
    /// Every entry gets this time.
    Fixed(u64),
    /// Each entry gets `min(mtime, epoch)`.
    Clamp(u64),
    /// Each entry keeps its mtime.
    Keep,
}

impl MtimePolicy {
    /// `Clamp(SOURCE_DATE_EPOCH)` when that variable holds a number, else `None`.
    pub fn from_source_date_epoch() -> Option<Self> {
        std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(MtimePolicy::Clamp)
    }

    /// The mtime an entry with `mtime` gets.
    pub fn apply(self, mtime: u64) -> u64 {
        match self {
            MtimePolicy::Fixed(t) => t,
            MtimePolicy::Clamp(epoch) => mtime.min(epoch),
            MtimePolicy::Keep => mtime,
        }
    }
}

impl fmt::Display for MtimePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MtimePolicy::Fixed(t) => write!(f, "fixed:{t}"),
            MtimePolicy::Clamp(t) => write!(f, "clamp:{t}"),
            MtimePolicy::Keep => f.write_str("keep"),
        }
    }
}

impl FromStr for MtimePolicy {
    type Err = OptionParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "keep" {
            return Ok(MtimePolicy::Keep);
        }
        let err = || OptionParseError::new("mtime policy", s);
        let (kind, secs) = s.split_once(':').ok_or_else(err)?;
        let secs: u64 = secs.parse().map_err(|_| err())?;
        match kind {
            "fixed" => Ok(MtimePolicy::Fixed(secs)),
            "clamp" => Ok(MtimePolicy::Clamp(secs)),
            _ => Err(err()),
        }
    }
}

impl From<MtimePolicy> for String {
    fn from(p: MtimePolicy) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for MtimePolicy {
    type Error = OptionParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Which conventions the output follows.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Profile {
    /// relkit's own: byte-order sorted paths, ustar headers (PAX only where needed), directories
    /// and symlinks kept, modes 0644/0755, uid/gid 0, empty owner names, the chosen mtime policy,
    /// gzip MTIME 0 / OS 255 / no name.
    Deterministic,
    /// `cargo package`'s: GNU headers written the way cargo writes them, paths sorted by
    /// component, regular files only, mtime 1153704088 for every file (an input
    /// that carries an older cargo release's fixed values keeps them, see `docs/repack.md`), mode
    /// 0644 or 0755 from the owner's executable bit, gzip level 9 with the `.crate` file name in
    /// the gzip header.
    Cargo,
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Deterministic => "deterministic",
            Profile::Cargo => "cargo",
        })
    }
}

impl FromStr for Profile {
    type Err = OptionParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "deterministic" => Ok(Profile::Deterministic),
            "cargo" => Ok(Profile::Cargo),
            _ => Err(OptionParseError::new("repack profile", s)),
        }
    }
}

impl From<Profile> for String {
    fn from(p: Profile) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for Profile {
    type Error = OptionParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// A repack option string that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {input:?}")]
pub struct OptionParseError {
    what: &'static str,
    input: String,
}

impl OptionParseError {
    fn new(what: &'static str, input: &str) -> Self {
        OptionParseError {
            what,
            input: input.to_owned(),
        }
    }
}

/// Options for a repack: format, profile, mtime policy, compression level and caps.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepackOptions {
    /// The output format.
    pub format: Format,
    /// The conventions to follow.
    pub profile: Profile,
    /// How mtimes are set (ignored by [`Profile::Cargo`], which fixes them).
    pub mtime: MtimePolicy,
    /// Deflate level 0–9 for tar.gz and zip.
    pub level: u32,
    /// The FNAME field of the gzip header; `None` writes no name. [`Profile::Cargo`] fills it
    /// with `<top folder>.crate` when left `None`.
    pub gzip_name: Option<String>,
    /// Caps on entries and sizes.
    pub limits: Limits,
}

impl RepackOptions {
    /// The deterministic profile for `format`: mtime fixed at [`DEFAULT_EPOCH`], level 9.
    pub fn new(format: Format) -> Self {
        RepackOptions {
            format,
            profile: Profile::Deterministic,
            mtime: MtimePolicy::Fixed(DEFAULT_EPOCH),
            level: 9,
            gzip_name: None,
            limits: Limits::default(),
        }
    }

    /// The `cargo package` profile (tar.gz, level 9, fixed mtimes).
    pub fn cargo() -> Self {
        RepackOptions {
            format: Format::TarGz,
            profile: Profile::Cargo,
            mtime: MtimePolicy::Fixed(CARGO_MTIME),
            level: 9,
            gzip_name: None,
            limits: Limits::default(),
        }
    }

    /// The same options with another mtime policy.
    pub fn with_mtime(mut self, mtime: MtimePolicy) -> Self {
        self.mtime = mtime;
        self
    }

    /// The same options with another deflate level (clamped to 0–9).
    pub fn with_level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// The same options with a gzip FNAME field.
    pub fn with_gzip_name(mut self, name: impl Into<String>) -> Self {
        self.gzip_name = Some(name.into());
        self
    }

    /// The same options with other caps.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// How the output was compressed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompressionInfo {
    /// The deflate implementation ([`DEFLATE_BACKEND`]).
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
    /// More entries than [`Limits::max_entries`].
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

/// An entry after validation and normalisation, ready to write.
#[derive(Debug, Clone)]
struct Normal {
    path: String,
    kind: NormalKind,
    executable: bool,
    mtime: u64,
}

#[derive(Debug, Clone)]
enum NormalKind {
    File(Vec<u8>),
    Directory,
    Symlink(String),
}

/// Validates a relative archive path and returns it without `./` prefixes or a trailing `/`.
pub(crate) fn normalize_path(path: &str, limits: &Limits) -> Result<String, RepackError> {
    let bad = |reason| RepackError::InvalidPath {
        path: path.to_owned(),
        reason,
    };
    if path.len() > limits.max_path_len {
        return Err(bad("longer than the path cap"));
    }
    if path.contains('\0') {
        return Err(bad("contains a NUL byte"));
    }
    if path.contains('\\') {
        return Err(bad("contains a backslash"));
    }
    if path.starts_with('/') {
        return Err(bad("absolute"));
    }
    let mut rest = path;
    while let Some(r) = rest.strip_prefix("./") {
        rest = r;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest == "." {
        return Err(bad("empty"));
    }
    for component in rest.split('/') {
        match component {
            "" => return Err(bad("empty component")),
            "." => return Err(bad("`.` component")),
            ".." => return Err(bad("`..` component")),
            _ => {}
        }
    }
    Ok(rest.to_owned())
}

/// Checks that a symlink at `path` pointing to `target` stays inside the archive root.
fn check_symlink(path: &str, target: &str) -> Result<(), RepackError> {
    let bad = |reason| RepackError::BadLinkTarget {
        path: path.to_owned(),
        target: target.to_owned(),
        reason,
    };
    if target.is_empty() {
        return Err(bad("is empty"));
    }
    if target.starts_with('/') || target.contains('\\') || target.contains('\0') {
        return Err(bad("is absolute or not a plain relative path"));
    }
    // Depth of the link's folder below the root, then walk the target lexically.
    let mut depth: i64 = path.split('/').count() as i64 - 1;
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Err(bad("leaves the archive root"));
                }
            }
            _ => depth += 1,
        }
    }
    Ok(())
}

/// Validates, de-duplicates, resolves hard links and applies the profile's metadata rules.
fn normalize(
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
        let path = normalize_path(&entry.path, limits)?;
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
            let parent = &path[..i];
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
    // Hard links first (they copy their target's content), so that files can then be moved.
    let mut link_data: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (path, entry) in &by_path {
        if let RepackKind::Hardlink(target) = &entry.kind {
            let bad = |reason| RepackError::BadLinkTarget {
                path: path.clone(),
                target: target.clone(),
                reason,
            };
            let key = normalize_path(target, limits).map_err(|_| bad("is not a valid path"))?;
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
            RepackKind::Directory => NormalKind::Directory,
            RepackKind::Symlink(target) => {
                check_symlink(&path, &target)?;
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

/// Repacks an in-memory entry list. Input order, owners and (under a fixed mtime policy) mtimes
/// do not influence the output.
pub fn repack_entries(
    entries: Vec<RepackEntry>,
    opts: &RepackOptions,
) -> Result<Repacked, RepackError> {
    let (normal, hardlinks) = normalize(entries, opts)?;
    let mut stats = Stats {
        hardlinks_copied: hardlinks,
        ..Stats::default()
    };
    let (bytes, compression) = match (opts.format, opts.profile) {
        (Format::Zip, Profile::Cargo) => {
            return Err(RepackError::Unsupported {
                path: String::new(),
                what: "zip archive",
                profile: opts.profile,
                format: opts.format,
            });
        }
        (Format::Zip, Profile::Deterministic) => {
            let bytes =
                write_zip(&normal, opts, &mut stats).map_err(|source| RepackError::Write {
                    format: opts.format,
                    source,
                })?;
            let info = CompressionInfo {
                backend: DEFLATE_BACKEND.to_owned(),
                level: opts.level,
                gzip_header: None,
            };
            (bytes, Some(info))
        }
        (Format::Tar, _) => {
            let bytes = write_tar(Vec::new(), &normal, opts, &mut stats)?;
            (bytes, None)
        }
        (Format::TarGz, _) => {
            let name = gzip_name(&normal, opts);
            let mut builder = flate2::GzBuilder::new().mtime(0).operating_system(255);
            if let Some(name) = &name {
                builder = builder.filename(name.as_bytes());
            }
            let encoder = builder.write(Vec::new(), flate2::Compression::new(opts.level));
            let encoder = write_tar(encoder, &normal, opts, &mut stats)?;
            let bytes = encoder.finish().map_err(|source| RepackError::Write {
                format: opts.format,
                source,
            })?;
            let mut header = GzipHeader::deterministic(opts.level);
            if let Some(name) = name {
                header.flags |= 0x08;
                header.len += name.len() + 1;
                header.name = Some(name.into_bytes());
            }
            let info = CompressionInfo {
                backend: DEFLATE_BACKEND.to_owned(),
                level: opts.level,
                gzip_header: Some(header),
            };
            (bytes, Some(info))
        }
    };
    let sha256 = digest_bytes(&bytes, &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .copied()
        .ok_or_else(|| RepackError::Write {
            format: opts.format,
            source: io::Error::other("sha256 was not computed"),
        })?;
    let report = RepackReport {
        format: opts.format,
        profile: opts.profile,
        mtime: match opts.profile {
            Profile::Deterministic => opts.mtime,
            Profile::Cargo => MtimePolicy::Fixed(CARGO_MTIME),
        },
        entries: stats.files + stats.directories + stats.symlinks,
        files: stats.files,
        directories: stats.directories,
        symlinks: stats.symlinks,
        hardlinks_copied: stats.hardlinks_copied,
        directories_dropped: stats.directories_dropped,
        pax_headers: stats.pax_headers,
        content_bytes: stats.content_bytes,
        output_bytes: bytes.len() as u64,
        sha256,
        compression,
    };
    Ok(Repacked { bytes, report })
}

fn gzip_name(normal: &[Normal], opts: &RepackOptions) -> Option<String> {
    if opts.gzip_name.is_some() || opts.profile != Profile::Cargo {
        return opts.gzip_name.clone();
    }
    let top: BTreeSet<&str> = normal
        .iter()
        .filter_map(|e| e.path.split('/').next())
        .collect();
    match top.into_iter().collect::<Vec<_>>().as_slice() {
        [only] => Some(format!("{only}.crate")),
        _ => None,
    }
}

#[derive(Debug, Default)]
struct Stats {
    files: usize,
    directories: usize,
    symlinks: usize,
    hardlinks_copied: usize,
    directories_dropped: usize,
    pax_headers: usize,
    content_bytes: u64,
}

fn write_tar<W: Write>(
    sink: W,
    entries: &[Normal],
    opts: &RepackOptions,
    stats: &mut Stats,
) -> Result<W, RepackError> {
    let werr = |source| RepackError::Write {
        format: opts.format,
        source,
    };
    let mut builder = tar::Builder::new(sink);
    for entry in entries {
        match opts.profile {
            Profile::Deterministic => append_ustar(&mut builder, entry, stats).map_err(werr)?,
            Profile::Cargo => append_cargo(&mut builder, entry, opts, stats)?,
        }
    }
    builder.into_inner().map_err(werr)
}

/// Splits a path into ustar `prefix` and `name` fields, or `None` when it does not fit.
fn split_ustar(path: &[u8]) -> Option<(&[u8], &[u8])> {
    if path.len() <= 100 {
        return Some((&[], path));
    }
    // The longest prefix (≤ 155 bytes) ending just before a `/`, leaving a name of ≤ 100 bytes.
    let limit = path.len().min(156);
    let split = path[..limit].iter().rposition(|&b| b == b'/')?;
    let (prefix, name) = (&path[..split], &path[split + 1..]);
    (!name.is_empty() && name.len() <= 100 && !prefix.is_empty()).then_some((prefix, name))
}

/// One PAX record: `"<len> <key>=<value>\n"`, where `<len>` counts the whole record.
fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let body = key.len() + value.len() + 3; // space, '=', newline
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// Truncates `s` to at most `max` bytes on a character boundary, keeping the end.
fn tail(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

fn base_ustar_header(mode: u32, mtime: u64, size: u64, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_size(size);
    h.set_mtime(mtime);
    h.set_entry_type(kind);
    if let Some(u) = h.as_ustar_mut() {
        u.set_device_major(0);
        u.set_device_minor(0);
    }
    h
}

fn append_ustar<W: Write>(
    builder: &mut tar::Builder<W>,
    entry: &Normal,
    stats: &mut Stats,
) -> io::Result<()> {
    let (kind, mode, data, link): (_, _, &[u8], Option<&str>) = match &entry.kind {
        NormalKind::File(data) => {
            stats.files += 1;
            stats.content_bytes += data.len() as u64;
            let mode = if entry.executable { 0o755 } else { 0o644 };
            (tar::EntryType::Regular, mode, data, None)
        }
        NormalKind::Directory => {
            stats.directories += 1;
            (tar::EntryType::Directory, 0o755, &[], None)
        }
        NormalKind::Symlink(target) => {
            stats.symlinks += 1;
            (tar::EntryType::Symlink, 0o777, &[], Some(target.as_str()))
        }
    };
    let stored_path = match entry.kind {
        NormalKind::Directory => format!("{}/", entry.path),
        _ => entry.path.clone(),
    };
    let size = data.len() as u64;
    let mut pax = Vec::new();
    let split = split_ustar(stored_path.as_bytes());
    if split.is_none() {
        pax_record(&mut pax, "path", stored_path.as_bytes());
    }
    if let Some(target) = link
        && target.len() > 100
    {
        pax_record(&mut pax, "linkpath", target.as_bytes());
    }
    if entry.mtime > OCTAL_11_MAX {
        pax_record(&mut pax, "mtime", entry.mtime.to_string().as_bytes());
    }
    if size > OCTAL_11_MAX {
        pax_record(&mut pax, "size", size.to_string().as_bytes());
    }
    // Records must be sorted by key for determinism; they were added in key order above.
    let mtime = entry.mtime.min(OCTAL_11_MAX);
    if !pax.is_empty() {
        stats.pax_headers += 1;
        let mut ph = base_ustar_header(0o644, mtime, pax.len() as u64, tar::EntryType::XHeader);
        let name = format!("PaxHeaders/{}", tail(&entry.path, 89));
        if let Some(u) = ph.as_ustar_mut() {
            u.name[..name.len()].copy_from_slice(name.as_bytes());
        }
        ph.set_cksum();
        builder.append(&ph, pax.as_slice())?;
    }
    let mut h = base_ustar_header(mode, mtime, size.min(OCTAL_11_MAX), kind);
    if let Some(u) = h.as_ustar_mut() {
        match split {
            Some((prefix, name)) => {
                u.prefix[..prefix.len()].copy_from_slice(prefix);
                u.name[..name.len()].copy_from_slice(name);
            }
            None => {
                let short = tail(&stored_path, 100);
                u.name[..short.len()].copy_from_slice(short.as_bytes());
            }
        }
        if let Some(target) = link {
            let short = &target.as_bytes()[..target.len().min(100)];
            u.linkname[..short.len()].copy_from_slice(short);
        }
    }
    h.set_cksum();
    builder.append(&h, data)
}

/// The mtime cargo gives a generated file: 1 (cargo releases of 2021–2024) is kept when the
/// input has it, anything else becomes today's [`CARGO_MTIME`].
fn cargo_generated_mtime(input: u64) -> u64 {
    if input == CARGO_GENERATED_MTIME {
        input
    } else {
        CARGO_MTIME
    }
}

/// The mtime cargo gives a file copied from disk: [`CARGO_LEGACY_MTIME`] (older releases) is
/// kept when the input has it, anything else (0 included: it is also "not set") becomes
/// [`CARGO_MTIME`].
fn cargo_disk_mtime(input: u64) -> u64 {
    if input == CARGO_LEGACY_MTIME {
        input
    } else {
        CARGO_MTIME
    }
}

/// Files named by `cargo package` itself rather than copied from disk.
fn cargo_generated(path: &str) -> bool {
    let mut parts = path.splitn(2, '/');
    let _top = parts.next();
    matches!(
        parts.next(),
        Some("Cargo.toml" | "Cargo.lock" | ".cargo_vcs_info.json")
    )
}

fn append_cargo<W: Write>(
    builder: &mut tar::Builder<W>,
    entry: &Normal,
    opts: &RepackOptions,
    stats: &mut Stats,
) -> Result<(), RepackError> {
    let data = match &entry.kind {
        NormalKind::File(data) => data,
        NormalKind::Directory => {
            stats.directories_dropped += 1;
            return Ok(());
        }
        NormalKind::Symlink(_) => {
            return Err(RepackError::Unsupported {
                path: entry.path.clone(),
                what: "symbolic link",
                profile: opts.profile,
                format: opts.format,
            });
        }
    };
    stats.files += 1;
    stats.content_bytes += data.len() as u64;
    // The same header calls cargo makes: `set_metadata_in_mode(.., Deterministic)` for files on
    // disk, and a bare GNU header (no uid/gid/device fields) with mode 0644 for generated files.

    let mut h = tar::Header::new_gnu();
    if cargo_generated(&entry.path) {
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(cargo_generated_mtime(entry.mtime));
    } else {
        h.set_mtime(cargo_disk_mtime(entry.mtime));
        h.set_uid(0);
        h.set_gid(0);
        h.set_mode(if entry.executable { 0o755 } else { 0o644 });
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(data.len() as u64);
        if let Some(gnu) = h.as_gnu_mut() {
            gnu.set_device_major(0);
            gnu.set_device_minor(0);
        }
    }
    h.set_cksum();
    builder
        .append_data(&mut h, &entry.path, data.as_slice())
        .map_err(|source| RepackError::Write {
            format: opts.format,
            source,
        })
}

/// Converts Unix seconds to a zip (DOS) timestamp in UTC, clamped to 1980-01-01..2107-12-31.
fn dos_time(secs: u64) -> zip::DateTime {
    let secs = secs.max(DEFAULT_EPOCH);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (proleptic Gregorian), valid for all dates here.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    if year > 2107 {
        return zip::DateTime::from_date_and_time(2107, 12, 31, 23, 59, 58).unwrap_or_default();
    }
    let hour = (rem / 3600) as u8;
    let minute = (rem % 3600 / 60) as u8;
    let second = (rem % 60) as u8 & !1;
    zip::DateTime::from_date_and_time(year as u16, month, day, hour, minute, second)
        .unwrap_or_default()
}

fn write_zip(entries: &[Normal], opts: &RepackOptions, stats: &mut Stats) -> io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    for entry in entries {
        let base = zip::write::SimpleFileOptions::default()
            .last_modified_time(dos_time(entry.mtime))
            .large_file(false);
        match &entry.kind {
            NormalKind::File(data) => {
                stats.files += 1;
                stats.content_bytes += data.len() as u64;
                let options = base
                    .compression_method(zip::CompressionMethod::Deflated)
                    .compression_level(Some(i64::from(opts.level)))
                    .unix_permissions(if entry.executable { 0o755 } else { 0o644 })
                    .large_file(data.len() as u64 >= u64::from(u32::MAX));
                zip.start_file(entry.path.as_str(), options)
                    .map_err(io::Error::other)?;
                zip.write_all(data)?;
            }
            NormalKind::Directory => {
                stats.directories += 1;
                zip.add_directory(entry.path.as_str(), base.unix_permissions(0o755))
                    .map_err(io::Error::other)?;
            }
            NormalKind::Symlink(target) => {
                stats.symlinks += 1;
                zip.add_symlink(entry.path.as_str(), target, base.unix_permissions(0o777))
                    .map_err(io::Error::other)?;
            }
        }
    }
    let cursor = zip.finish().map_err(io::Error::other)?;
    Ok(cursor.into_inner())
}

/// Reads every entry of an archive through the hostile-safe readers ([`crate::visit_archive`])
/// into repack entries, holding contents in memory within `limits`.
pub fn read_archive_entries<R: Read + Seek + Send>(
    reader: R,
    format: Format,
    limits: &Limits,
) -> Result<Vec<RepackEntry>, RepackError> {
    let mut out = Vec::new();
    let mut unsupported = None;
    crate::archive::visit_archive(reader, format, limits, |entry: &Entry, content| {
        let kind = match entry.kind {
            EntryKind::File => {
                let mut data = Vec::with_capacity(entry.size.min(1 << 20) as usize);
                content.read_to_end(&mut data)?;
                RepackKind::File(data)
            }
            EntryKind::Dir => RepackKind::Directory,
            EntryKind::Symlink => {
                RepackKind::Symlink(entry.link_target.clone().unwrap_or_default())
            }
            EntryKind::Hardlink => {
                RepackKind::Hardlink(entry.link_target.clone().unwrap_or_default())
            }
            other => {
                unsupported.get_or_insert((entry.path.clone(), other));
                return Ok(());
            }
        };
        if entry.path == "." {
            // The archive root itself (`./`): implied by every path, never written.
            return Ok(());
        }
        let mode = match (entry.mode, &kind) {
            (0, RepackKind::Directory) => 0o755,
            (0, _) => 0o644,
            (m, _) => m,
        };
        out.push(RepackEntry {
            path: entry.path.clone(),
            kind,
            mode,
            mtime: u64::try_from(entry.mtime).unwrap_or(0),
            uid: entry.uid,
            gid: entry.gid,
            uname: entry.uname.clone(),
            gname: entry.gname.clone(),
        });
        Ok(())
    })
    .map_err(RepackError::Read)?;
    if let Some((path, kind)) = unsupported {
        return Err(RepackError::UnsupportedEntry { path, kind });
    }
    Ok(out)
}

/// Repacks an archive held in memory; `format` is sniffed from the bytes when `None`.
pub fn repack_bytes(
    input: &[u8],
    format: Option<Format>,
    opts: &RepackOptions,
) -> Result<Repacked, RepackError> {
    let format = format
        .or_else(|| Format::sniff(input))
        .ok_or(RepackError::UnknownFormat)?;
    let entries = read_archive_entries(io::Cursor::new(input), format, &opts.limits)?;
    repack_entries(entries, opts)
}

/// Reads a folder into entries without following any symlink: links become symlink entries
/// (refused when they point outside the folder), devices, FIFOs and sockets are refused.
pub fn read_dir_entries(root: &Path, limits: &Limits) -> Result<Vec<RepackEntry>, RepackError> {
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RepackError::Io { path, source }
        };
        let mut children = Vec::new();
        for item in fs::read_dir(&dir).map_err(io_err(&dir))? {
            let item = item.map_err(io_err(&dir))?;
            children.push(item.path());
        }
        children.sort();
        for path in children {
            let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                RepackError::InvalidPath {
                    path: path.display().to_string(),
                    reason: "not valid UTF-8",
                }
            })?;
            let rel_path = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            if out.len() >= limits.max_entries {
                return Err(RepackError::TooManyEntries {
                    limit: limits.max_entries,
                });
            }
            let meta = fs::symlink_metadata(&path).map_err(io_err(&path))?;
            let ft = meta.file_type();
            let mut entry = if ft.is_symlink() {
                let target = fs::read_link(&path).map_err(io_err(&path))?;
                let target = target
                    .to_str()
                    .ok_or_else(|| RepackError::InvalidPath {
                        path: rel_path.clone(),
                        reason: "symlink target is not valid UTF-8",
                    })?
                    .to_owned();
                check_symlink(&rel_path, &target)?;
                RepackEntry::symlink(rel_path.clone(), target)
            } else if ft.is_dir() {
                stack.push((path.clone(), rel_path.clone()));
                RepackEntry::directory(rel_path.clone())
            } else if ft.is_file() {
                let cap = limits.max_entry_size.min(limits.max_total_size - total);
                let file = fs::File::open(&path).map_err(io_err(&path))?;
                let mut data = Vec::new();
                file.take(cap + 1)
                    .read_to_end(&mut data)
                    .map_err(io_err(&path))?;
                if data.len() as u64 > cap {
                    return Err(RepackError::TooLarge {
                        path: rel_path,
                        limit: cap,
                    });
                }
                total += data.len() as u64;
                RepackEntry::file(rel_path.clone(), data)
            } else {
                return Err(RepackError::SpecialFile { path });
            };
            fill_unix_metadata(&mut entry, &meta);
            out.push(entry);
        }
    }
    Ok(out)
}

#[cfg(unix)]
fn fill_unix_metadata(entry: &mut RepackEntry, meta: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    entry.mode = meta.mode() & 0o7777;
    entry.mtime = u64::try_from(meta.mtime()).unwrap_or(0);
    entry.uid = u64::from(meta.uid());
    entry.gid = u64::from(meta.gid());
}

#[cfg(not(unix))]
fn fill_unix_metadata(entry: &mut RepackEntry, meta: &fs::Metadata) {
    entry.mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
}

/// Repacks the contents of a folder (paths relative to it). Symlinks are never followed.
pub fn repack_dir(root: &Path, opts: &RepackOptions) -> Result<Repacked, RepackError> {
    let entries = read_dir_entries(root, &opts.limits)?;
    repack_entries(entries, opts)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed, then
/// renamed over `path`. Nothing else is written; the temporary file is removed on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RepackError> {
    let io_err = |source| RepackError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io_err(io::Error::other("output path has no file name")))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(io_err(e)),
        }
    };
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<RepackEntry> {
        vec![
            RepackEntry::file("pkg/b.txt", "bee\n").with_mtime(1_700_000_000),
            RepackEntry::directory("pkg/").with_mtime(5),
            RepackEntry::file("pkg/a.sh", "#!/bin/sh\n")
                .with_mode(0o700)
                .with_owner(1000, 1000, "alice", "staff"),
            RepackEntry::symlink("pkg/link", "b.txt"),
        ]
    }

    #[test]
    fn paths_are_validated() {
        let l = Limits::default();
        assert_eq!(l.max_path_len, 1024);
        assert_eq!(normalize_path("./a/b/", &l).unwrap(), "a/b");
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
                matches!(
                    normalize_path(bad, &l),
                    Err(RepackError::InvalidPath { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn symlinks_may_not_escape() {
        assert!(check_symlink("a/b/link", "../c").is_ok());
        assert!(check_symlink("a/b/link", "../../c").is_ok());
        assert!(check_symlink("a/b/link", "../../../etc/passwd").is_err());
        assert!(check_symlink("link", "/etc/passwd").is_err());
        assert!(check_symlink("link", "..").is_err());
    }

    #[test]
    fn ustar_split_and_pax_records() {
        assert_eq!(split_ustar(b"short"), Some((&b""[..], &b"short"[..])));
        let long = format!("{}/{}", "d".repeat(150), "f".repeat(99));
        let (p, n) = split_ustar(long.as_bytes()).unwrap();
        assert_eq!((p.len(), n.len()), (150, 99));
        assert!(split_ustar("x".repeat(101).as_bytes()).is_none());
        let mut rec = Vec::new();
        pax_record(&mut rec, "path", b"abc");
        assert_eq!(rec, b"12 path=abc\n");
        let mut rec = Vec::new();
        // 1 + 1 + 4 + 1 + 91 + 1 = 99 without the length digits; 2 digits make 101 -> 3 digits.
        pax_record(&mut rec, "path", "x".repeat(91).as_bytes());
        assert!(rec.starts_with(b"101 path="));
        assert_eq!(rec.len(), 101);
    }

    #[test]
    fn dos_time_conversion() {
        let t = dos_time(0);
        assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1));
        // 2024-02-29T13:37:43Z
        let t = dos_time(1_709_213_863);
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2024, 2, 29, 13, 37, 42)
        );
        assert_eq!(dos_time(u64::MAX / 2).year(), 2107);
    }

    #[test]
    fn options_round_trip_through_strings() {
        for p in [
            MtimePolicy::Fixed(7),
            MtimePolicy::Clamp(1_700_000_000),
            MtimePolicy::Keep,
        ] {
            assert_eq!(p.to_string().parse::<MtimePolicy>().unwrap(), p);
        }
        for p in [Profile::Deterministic, Profile::Cargo] {
            assert_eq!(p.to_string().parse::<Profile>().unwrap(), p);
        }
        assert!("clamp:x".parse::<MtimePolicy>().is_err());
        assert_eq!(MtimePolicy::Clamp(10).apply(5), 5);
        assert_eq!(MtimePolicy::Clamp(10).apply(50), 10);
        assert_eq!(MtimePolicy::Fixed(10).apply(5), 10);
    }

    #[test]
    fn tar_headers_are_normalised() {
        let out = repack_entries(sample(), &RepackOptions::new(Format::Tar)).unwrap();
        let mut ar = tar::Archive::new(out.bytes.as_slice());
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let h = e.header();
            assert_eq!(h.uid().unwrap(), 0);
            assert_eq!(h.gid().unwrap(), 0);
            assert_eq!(h.username_bytes(), Some(&b""[..]));
            assert_eq!(h.mtime().unwrap(), DEFAULT_EPOCH);
            assert!(h.as_ustar().is_some());
            seen.push((
                String::from_utf8(e.path_bytes().into_owned()).unwrap(),
                h.mode().unwrap(),
            ));
        }
        assert_eq!(
            seen,
            [
                ("pkg/".to_owned(), 0o755),
                ("pkg/a.sh".to_owned(), 0o755),
                ("pkg/b.txt".to_owned(), 0o644),
                ("pkg/link".to_owned(), 0o777),
            ]
        );
        assert_eq!(out.report.files, 2);
        assert_eq!(out.report.directories, 1);
        assert_eq!(out.report.symlinks, 1);
        assert!(out.report.compression.is_none());
        // Two end-of-archive blocks, no record padding.
        assert_eq!(out.bytes.len() % 512, 0);
        assert!(out.bytes[out.bytes.len() - 1024..].iter().all(|&b| b == 0));
    }

    #[test]
    fn long_paths_get_pax_records() {
        let long = format!("pkg/{}", "n".repeat(120));
        let link_target = "t".repeat(120);
        let entries = vec![
            RepackEntry::file(long.clone(), "x"),
            RepackEntry::file(link_target.clone(), "y"),
            RepackEntry::symlink("l", link_target.clone()),
        ];
        let out = repack_entries(entries, &RepackOptions::new(Format::Tar)).unwrap();
        assert_eq!(out.report.pax_headers, 3);
        let mut ar = tar::Archive::new(out.bytes.as_slice());
        let mut names = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let link = e.link_name().unwrap().map(|l| l.display().to_string());
            names.push((e.path().unwrap().display().to_string(), link));
        }
        assert_eq!(
            names,
            [
                ("l".to_owned(), Some(link_target.clone())),
                (long, None),
                (link_target, None),
            ]
        );
    }

    #[test]
    fn zip_output_is_normalised() {
        let out = repack_entries(sample(), &RepackOptions::new(Format::Zip)).unwrap();
        let mut z = zip::ZipArchive::new(io::Cursor::new(out.bytes.clone())).unwrap();
        let names: Vec<_> = z.file_names().map(str::to_owned).collect();
        assert_eq!(names.len(), 4);
        let f = z.by_name("pkg/a.sh").unwrap();
        assert_eq!(f.unix_mode().unwrap() & 0o777, 0o755);
        assert_eq!(f.last_modified().unwrap().year(), 1980);
        assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
        drop(f);
        let second = repack_entries(sample(), &RepackOptions::new(Format::Zip)).unwrap();
        assert_eq!(out.bytes, second.bytes);
    }

    #[test]
    fn bad_entries_are_refused() {
        let opts = RepackOptions::new(Format::TarGz);
        let dup = vec![RepackEntry::file("a", "1"), RepackEntry::file("./a", "2")];
        assert!(matches!(
            repack_entries(dup, &opts),
            Err(RepackError::DuplicatePath { path }) if path == "a"
        ));
        let escape = vec![RepackEntry::symlink("a/l", "../../x")];
        assert!(matches!(
            repack_entries(escape, &opts),
            Err(RepackError::BadLinkTarget { .. })
        ));
        let dangling = vec![RepackEntry::hardlink("h", "missing")];
        assert!(matches!(
            repack_entries(dangling, &opts),
            Err(RepackError::BadLinkTarget { reason, .. }) if reason.contains("no entry")
        ));
        let big = vec![RepackEntry::file("a", vec![0u8; 11])];
        let small = opts.clone().with_limits(Limits {
            max_entry_size: 10,
            ..Limits::default()
        });
        assert!(matches!(
            repack_entries(big, &small),
            Err(RepackError::TooLarge { limit: 10, .. })
        ));
        let many = vec![RepackEntry::file("a", ""), RepackEntry::file("b", "")];
        let one = opts.clone().with_limits(Limits {
            max_entries: 1,
            ..Limits::default()
        });
        assert!(matches!(
            repack_entries(many, &one),
            Err(RepackError::TooManyEntries { limit: 1 })
        ));
        let through = vec![
            RepackEntry::symlink("a", "b"),
            RepackEntry::file("a/x", "1"),
        ];
        assert!(matches!(
            repack_entries(through, &opts),
            Err(RepackError::ParentNotDirectory { parent, .. }) if parent == "a"
        ));
        let link = vec![RepackEntry::symlink("c-1/l", "x")];
        assert!(matches!(
            repack_entries(link, &RepackOptions::cargo()),
            Err(RepackError::Unsupported { .. })
        ));
    }

    #[test]
    fn hardlinks_become_copies() {
        let entries = vec![
            RepackEntry::hardlink("b", "a"),
            RepackEntry::file("a", "data"),
        ];
        let out = repack_entries(entries, &RepackOptions::new(Format::Tar)).unwrap();
        assert_eq!(out.report.hardlinks_copied, 1);
        let mut ar = tar::Archive::new(out.bytes.as_slice());
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            assert_eq!(e.header().entry_type(), tar::EntryType::Regular);
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            assert_eq!(s, "data");
        }
    }

    #[test]
    fn cargo_profile_sorts_by_component_and_marks_generated_files() {
        let entries = vec![
            RepackEntry::file("c-1.0.0/a/b", "1").with_mtime(5),
            RepackEntry::file("c-1.0.0/a-b", "2").with_mtime(1_700_000_000),
            RepackEntry::file("c-1.0.0/Cargo.toml", "[package]\n"),
            RepackEntry::file("c-1.0.0/Cargo.lock", "").with_mtime(1),
            RepackEntry::file("c-1.0.0/.cargo_vcs_info.json", "{}").with_mtime(99),
            RepackEntry::file("c-1.0.0/run.sh", "#!")
                .with_mode(0o755)
                .with_mtime(CARGO_LEGACY_MTIME),
            RepackEntry::directory("c-1.0.0/a"),
        ];
        let out = repack_entries(entries, &RepackOptions::cargo()).unwrap();
        assert_eq!(out.report.directories_dropped, 1);
        let header = GzipHeader::parse(&out.bytes).unwrap();
        assert_eq!(header.name.as_deref(), Some(&b"c-1.0.0.crate"[..]));
        assert_eq!((header.mtime, header.os, header.xfl), (0, 255, 2));
        let gz = flate2::read::GzDecoder::new(out.bytes.as_slice());
        let mut ar = tar::Archive::new(gz);
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let h = e.header();
            assert!(h.as_gnu().is_some());
            seen.push((
                e.path().unwrap().display().to_string(),
                h.mtime().unwrap(),
                h.mode().unwrap(),
            ));
        }
        assert_eq!(
            seen,
            [
                (
                    "c-1.0.0/.cargo_vcs_info.json".to_owned(),
                    CARGO_MTIME,
                    0o644
                ),
                ("c-1.0.0/Cargo.lock".to_owned(), 1, 0o644),
                ("c-1.0.0/Cargo.toml".to_owned(), CARGO_MTIME, 0o644),
                ("c-1.0.0/a/b".to_owned(), CARGO_MTIME, 0o644),
                ("c-1.0.0/a-b".to_owned(), CARGO_MTIME, 0o644),
                ("c-1.0.0/run.sh".to_owned(), CARGO_LEGACY_MTIME, 0o755),
            ]
        );
    }

    #[test]
    fn reports_serialise() {
        let out = repack_entries(sample(), &RepackOptions::new(Format::TarGz)).unwrap();
        let json = serde_json::to_string(&out.report).unwrap();
        assert!(json.contains("\"format\":\"tar.gz\""));
        assert!(json.contains("\"backend\":\"flate2/zlib-rs\""));
        let back: RepackReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, out.report);
        assert!(out.report.to_string().contains("level 9"));
    }
}
