//! The entry points: repack an entry list, an archive held in memory or a folder, writing tar,
//! tar.gz or zip by the chosen profile.

use std::io;
use std::path::Path;

use crate::archive::{DEFLATE_BACKEND, Format, GzipHeader};
use crate::digest::Algorithm;
use crate::hasher::digest_bytes;
use crate::repack::cargo::gzip_name;
use crate::repack::error::RepackError;
use crate::repack::input::{read_archive_entries, read_dir_entries};
use crate::repack::normalise::normalise_entries;
use crate::repack::options::{CARGO_MTIME, MtimePolicy, Profile, RepackEntry, RepackOptions};
use crate::repack::report::{CompressionInfo, RepackReport, Repacked, Stats};
use crate::repack::tar::write_tar;
use crate::repack::zip::write_zip;

/// Repacks an in-memory entry list. Input order, owners and (under a fixed mtime policy) mtimes
/// do not influence the output.
pub fn repack_entries(
    entries: Vec<RepackEntry>,
    opts: &RepackOptions,
) -> Result<Repacked, RepackError> {
    let (normal, hardlinks) = normalise_entries(entries, opts)?;
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

/// Repacks the contents of a folder (paths relative to it). Symlinks are never followed.
pub fn repack_dir(root: &Path, opts: &RepackOptions) -> Result<Repacked, RepackError> {
    let entries = read_dir_entries(root, &opts.limits)?;
    repack_entries(entries, opts)
}
