//! Deterministic repacking of tar, tar.gz and zip archives, from an in-memory entry list, a
//! folder or an existing archive.
//!
//! The output depends only on the entries' paths, kinds, contents, executable bits and (under
//! [`MtimePolicy::Keep`] or [`MtimePolicy::Clamp`]) their mtimes — never on input order, owners,
//! umask, atime/ctime, xattrs or the machine. See `docs/repack.md` for every normalisation and for
//! how close the [`Profile::Cargo`] profile comes to `cargo package`'s own bytes.
//!
//! Layering (each module uses only those listed before it): `options` → `error`, `report` →
//! `normalise` (the readers' path rule, from `archive::paths`) → `cargo`, `zip` → `tar` → `input`
//! → `write`.

mod cargo;
mod error;
mod input;
mod normalise;
mod options;
mod report;
mod tar;
mod write;
mod zip;

#[cfg(test)]
mod tests;

pub use error::RepackError;
pub use input::{read_archive_entries, read_dir_entries, write_atomic};
pub use options::{
    CARGO_GENERATED_MTIME, CARGO_LEGACY_MTIME, CARGO_MTIME, DEFAULT_EPOCH, MtimePolicy,
    OptionParseError, Profile, RepackEntry, RepackKind, RepackOptions,
};
pub use report::{CompressionInfo, RepackReport, Repacked};
pub use write::{repack_bytes, repack_dir, repack_entries};
