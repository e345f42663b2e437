//! One side of a comparison: the artifact's bytes, its sniffed format, its inflated tar (for
//! tar.gz) and its listing, read through the hostile-safe readers and their caps.

use std::collections::HashMap;
use std::io::Cursor;

use crate::archive::{Format, GzipInfo, HashedEntry, Listing, inflate_gzip, list_archive};
use crate::diff::cause::Container;
use crate::diff::report::{ArtifactSide, DiffError, DiffOptions};
use crate::digest::{Algorithm, Digest};

/// One artifact, opened for comparison.
pub(crate) struct Side<'a> {
    pub(crate) label: &'static str,
    pub(crate) name: &'a str,
    pub(crate) bytes: &'a [u8],
    pub(crate) format: Format,
    pub(crate) gzip: Option<(GzipInfo, Vec<u8>)>,
    pub(crate) listing: Listing,
}

impl Side<'_> {
    /// The side's entry paths, in archive order.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.listing.entries.iter().map(|h| h.entry.path.as_str())
    }

    /// The side's entries by their normalised path.
    pub(crate) fn by_path(&self) -> HashMap<&str, &HashedEntry> {
        self.listing
            .entries
            .iter()
            .map(|h| (h.entry.path.as_str(), h))
            .collect()
    }

    pub(crate) fn tar_bytes(&self) -> Option<&[u8]> {
        match self.format {
            Format::Tar => Some(self.bytes),
            Format::TarGz => self.gzip.as_ref().map(|(_, t)| t.as_slice()),
            _ => None,
        }
    }
}

/// The container a difference inside the archives was found in: tar when both sides are tars
/// (plain or gzip-compressed), zip when both are zips, mixed otherwise.
pub(crate) fn inner_container(l: &Side<'_>, r: &Side<'_>) -> Container {
    match (l.tar_bytes(), r.tar_bytes()) {
        (Some(_), Some(_)) => Container::Tar,
        _ if l.format == Format::Zip && r.format == Format::Zip => Container::Zip,
        _ => Container::Mixed,
    }
}

pub(crate) fn open<'a>(
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

pub(crate) fn side_summary(name: &str, bytes: &[u8], side: Option<&Side<'_>>) -> ArtifactSide {
    ArtifactSide {
        name: name.to_owned(),
        format: side.map(|s| s.format).or_else(|| Format::sniff(bytes)),
        size: bytes.len() as u64,
        sha256: Digest::of(Algorithm::Sha256, bytes),
        entries: side.map_or(0, |s| s.listing.entries.len()),
    }
}
