//! `artidigest` is relkit's byte layer: it answers "are these the bytes we meant?".
//!
//! It computes several digests of a stream in one pass and in constant memory, reads and writes
//! checksum files, reads release archives (wheels, sdists, `.crate`s, npm and Helm tarballs)
//! without extracting them and refuses hostile ones, repacks archives deterministically, and
//! explains layer by layer why two artifacts differ.
//!
//! Boundaries: `artidigest` does no I/O beyond the readers and folders it is given, no network
//! I/O at all, and depends on no other relkit crate. [`Digest`] is the only digest type in relkit.
//!
//! # Digests
//!
//! ```
//! use artidigest::{Algorithm, Digest, digest_reader};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let set = digest_reader(&b"hello"[..], &[Algorithm::Sha256, Algorithm::Sha512])?;
//! let sha256 = set.get(Algorithm::Sha256).ok_or("not computed")?;
//! // Every registry spelling parses to the same value.
//! let oci: Digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".parse()?;
//! let record: Digest = "sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ".parse()?;
//! assert_eq!(sha256, &oci);
//! assert_eq!(sha256, &record);
//! set.verify(&oci, "hello.txt")?;
//! # Ok(())
//! # }
//! ```
//!
//! # Archives
//!
//! Archives are analysed in memory and never extracted. [`list_archive`] reads a tar, tar.gz or
//! zip once, checks every entry against [`Limits`] (entry count, sizes, compression ratio, path
//! length, PAX size) and the structural rules (no `..` or absolute paths, no link escaping the
//! root, no duplicate names, zip local headers equal to the central directory, no overlapping zip
//! entries, PAX sizes equal to header sizes, no truncation or trailing data), and returns every
//! entry with its digests. [`visit_archive`] streams entries to a callback instead; tar.gz is
//! inflated on a second thread ([`visit_tar_gz`]). Nested archives are reported as files and
//! never opened.
//!
//! ```
//! use std::io::{Cursor, Write};
//! use artidigest::{Algorithm, ArchiveErrorKind, ContentProfile, Format, Limits};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A small npm-style tarball.
//! let mut tar = tar::Builder::new(Vec::new());
//! let mut header = tar::Header::new_ustar();
//! header.set_size(2);
//! header.set_mode(0o644);
//! header.set_cksum();
//! tar.append_data(&mut header, "package/package.json", &b"{}"[..])?;
//! let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
//! gz.write_all(&tar.into_inner()?)?;
//! let bytes = gz.finish()?;
//!
//! let listing = artidigest::list_archive(
//!     Cursor::new(&bytes),
//!     Format::TarGz,
//!     &Limits::default(),
//!     &[Algorithm::Sha256],
//! )?;
//! assert_eq!(listing.entries[0].entry.path, "package/package.json");
//! assert!(artidigest::check_profile(&listing, ContentProfile::Npm).is_empty());
//!
//! // Caps are configurable; hitting one is a typed error naming the entry.
//! let mut strict = Limits::default();
//! strict.max_path_len = 10;
//! let err = artidigest::list_archive(Cursor::new(&bytes), Format::TarGz, &strict, &[])
//!     .unwrap_err();
//! assert!(matches!(err.kind(), ArchiveErrorKind::PathTooLong { limit: 10, actual: 20 }));
//! assert_eq!(err.index(), Some(0));
//! # Ok(())
//! # }
//! ```
//!
//! Wheels are checked against their `RECORD` with [`verify_wheel`], `.crate`s with
//! [`check_crate`], and every kind's expected layout with [`check_profile`].
//!
//! # Deterministic repacking
//!
//! [`repack_entries`], [`repack_bytes`] and [`repack_dir`] write tar, tar.gz or zip whose bytes
//! depend only on paths, kinds, contents and executable bits (see `docs/repack.md`);
//! [`RepackOptions::cargo`] follows `cargo package`'s conventions.
//!
//! ```
//! use artidigest::{Format, MtimePolicy, RepackEntry, RepackOptions, repack_bytes, repack_entries};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let opts = RepackOptions::new(Format::TarGz).with_mtime(MtimePolicy::Fixed(0));
//! let a = repack_entries(
//!     vec![
//!         RepackEntry::file("pkg/b.txt", "b").with_owner(1000, 1000, "alice", "staff"),
//!         RepackEntry::file("pkg/a.sh", "#!/bin/sh\n").with_mode(0o775).with_mtime(1_700_000_000),
//!     ],
//!     &opts,
//! )?;
//! // Another order, other owners and mtimes: the same bytes.
//! let b = repack_entries(
//!     vec![
//!         RepackEntry::file("pkg/a.sh", "#!/bin/sh\n").with_mode(0o700),
//!         RepackEntry::file("pkg/b.txt", "b").with_mtime(42),
//!     ],
//!     &opts,
//! )?;
//! assert_eq!(a.bytes, b.bytes);
//! // Repacking the output again changes nothing; the report names backend and level.
//! assert_eq!(repack_bytes(&a.bytes, None, &opts)?.bytes, a.bytes);
//! let compression = a.report.compression.as_ref().ok_or("no compression info")?;
//! assert_eq!((compression.backend.as_str(), compression.level), ("flate2/zlib-rs", 9));
//! # Ok(())
//! # }
//! ```
//!
//! # Why two artifacts differ
//!
//! [`diff_artifacts`] compares two tar, tar.gz or zip artifacts layer by layer (gzip container,
//! archive structure, entry metadata, entry content) and names a likely cause and a fix for each
//! difference; [`DiffReport`] serialises to JSON and renders for humans with `Display`.
//!
//! ```
//! use artidigest::{DiffCode, DiffOptions, Format, RepackEntry, RepackOptions, diff_artifacts, repack_entries};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let files = || vec![RepackEntry::file("pkg/a.txt", "same\n")];
//! let left = repack_entries(files(), &RepackOptions::new(Format::TarGz).with_level(1))?;
//! let right = repack_entries(files(), &RepackOptions::new(Format::TarGz).with_level(9))?;
//! let report = diff_artifacts(("left.tar.gz", &left.bytes), ("right.tar.gz", &right.bytes), &DiffOptions::default())?;
//! assert_eq!(report.codes(), [DiffCode::GzipXfl, DiffCode::DeflateStream]);
//! assert!(report.to_string().contains("same tar, different deflate stream"));
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `tokio` (off by default): [`digest_async_reader`] over `tokio::io::AsyncRead`.
#![forbid(unsafe_code)]
// No panic on input (issue 12): `unwrap_used`, `expect_used` and `panic` are workspace lints
// (clippy.toml lets tests use them); library code also may not index or slice. Each remaining
// use carries an `allow` with the reason input cannot reach it.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::string_slice))]

mod archive;
pub mod checksums;
mod cratefile;
mod diff;
mod digest;
mod finding;
mod folder;
mod hasher;
pub mod names;
mod profile;
mod record;
mod repack;

pub use crate::archive::{
    ArchiveError, ArchiveErrorKind, ArchiveSummary, DEFLATE_BACKEND, Entry, EntryKind, Format,
    FormatDetail, GZIP_MAGIC, GzipError, GzipErrorKind, GzipHeader, GzipInfo, GzipMember,
    GzipReader, HashedEntry, Limits, Listing, NestedArchive, NestedReport, PaxRecord, TarDetail,
    TarHeaderFormat, UnknownFormat, ZipDetail, ZipLocalHeader, inflate_gzip, inspect_nested,
    is_gzip, list_archive, read_gzip_header, visit_archive, visit_tar, visit_tar_gz,
    visit_tar_gz_single_thread, visit_zip,
};
pub use crate::checksums::{ChecksumFile, Verification, verify_folder};
pub use crate::cratefile::{
    CrateError, CrateInfo, MAX_VCS_INFO_SIZE, VcsInfo, check_crate, check_crate_named,
};
pub use crate::diff::{
    ArtifactSide, Cause, Container, DiffCode, DiffError, DiffOptions, DiffReport, Difference,
    Layer, diff_artifacts, diff_files,
};
pub use crate::digest::{Algorithm, Digest, DigestMismatch, ParseError, ParseErrorKind};
pub use crate::folder::{
    BoundedFile, FolderEntry, FolderError, NodeKind, WalkLimits, open_bounded, open_in,
    read_bounded, walk_folder,
};
#[cfg(feature = "tokio")]
pub use crate::hasher::digest_async_reader;
pub use crate::hasher::{
    BUFFER_SIZE, DigestSet, HashingReader, MultiHasher, VerifyError, digest_bytes, digest_file,
    digest_reader,
};
pub use crate::profile::{ContentProfile, ProfileFinding, UnknownProfile, check_profile};
pub use crate::record::{
    MAX_RECORD_SIZE, RecordCheck, RecordError, RecordErrorKind, RecordProblem, RecordRow,
    WheelCheck, WheelError, parse_record, verify_record, verify_wheel,
};
pub use crate::repack::{
    CARGO_GENERATED_MTIME, CARGO_LEGACY_MTIME, CARGO_MTIME, CompressionInfo, DEFAULT_EPOCH,
    MtimePolicy, OptionParseError, Profile, RepackEntry, RepackError, RepackKind, RepackOptions,
    RepackReport, Repacked, read_archive_entries, read_dir_entries, repack_bytes, repack_dir,
    repack_entries, write_atomic,
};
