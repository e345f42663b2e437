//! What to repack and how: the entry list's model ([`RepackEntry`]), the profile, the mtime
//! policy, the options struct and the fixed mtimes `cargo package` uses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::archive::{Format, Limits};

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

    relkit_finding::setters! {
        /// The same entry with another mode.
        with_mode(mode: u32) => mode = mode;
        /// The same entry with another mtime.
        with_mtime(mtime: u64) => mtime = mtime;
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

/// `String` conversions through `Display` and `FromStr`, which `#[serde(into = "String",
/// try_from = "String")]` uses: an option is written and read as its one-word form.
macro_rules! string_conversions {
    ($($t:ty),+) => {$(
        impl From<$t> for String {
            fn from(value: $t) -> String {
                value.to_string()
            }
        }

        impl TryFrom<String> for $t {
            type Error = OptionParseError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    )+};
}

string_conversions!(MtimePolicy, Profile);

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
            profile: Profile::Cargo,
            mtime: MtimePolicy::Fixed(CARGO_MTIME),
            ..RepackOptions::new(Format::TarGz)
        }
    }

    relkit_finding::setters! {
        /// The same options with another mtime policy.
        with_mtime(mtime: MtimePolicy) => mtime = mtime;
        /// The same options with other caps.
        with_limits(limits: Limits) => limits = limits;
    }

    relkit_finding::setters! {
        /// The same options with another deflate level (clamped to 0–9).
        with_level(level: u32) => level = level.min(9);
        /// The same options with a gzip FNAME field.
        with_gzip_name(name: impl Into<String>) => gzip_name = Some(name.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
