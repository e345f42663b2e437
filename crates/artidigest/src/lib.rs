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
//! # Features
//!
//! - `tokio` (off by default): [`digest_async_reader`] over `tokio::io::AsyncRead`.
#![forbid(unsafe_code)]

pub mod checksums;
mod digest;
mod gzip;
mod hasher;
mod repack;

pub use crate::checksums::{ChecksumFile, Verification, verify_folder};
pub use crate::digest::{Algorithm, Digest, DigestMismatch, ParseError, ParseErrorKind};
pub use crate::gzip::{
    DEFLATE_BACKEND, GZIP_MAGIC, GzipError, GzipErrorKind, GzipHeader, GzipInfo, GzipMember,
    inflate_gzip, is_gzip,
};
#[cfg(feature = "tokio")]
pub use crate::hasher::digest_async_reader;
pub use crate::hasher::{
    BUFFER_SIZE, DigestSet, HashingReader, MultiHasher, VerifyError, digest_bytes, digest_reader,
};
pub use crate::repack::{
    ArchiveFormat, CARGO_GENERATED_MTIME, CARGO_LEGACY_MTIME, CARGO_MTIME, CompressionInfo,
    DEFAULT_EPOCH, MtimePolicy, OptionParseError, Profile, RepackEntry, RepackError, RepackKind,
    RepackLimits, RepackOptions, RepackReport, Repacked, read_dir_entries, repack_dir,
    repack_entries, write_atomic,
};
