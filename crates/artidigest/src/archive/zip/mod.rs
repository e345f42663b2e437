//! The zip reader. The end record, the central directory and every local header are parsed
//! here (`structure`: caps checked before anything is allocated), local headers are compared
//! with the central directory, and the byte ranges of all entries must tile the file exactly: no
//! overlap, no gap, nothing after the end record. Content is then decompressed by the `zip`
//! crate (stored and deflate only; CRC-32 checked) and handed to the visitor.

mod structure;

use std::collections::HashSet;
use std::io::{self, Read, Seek, SeekFrom};

use crate::archive::error::{ArchiveError, ArchiveErrorKind, check_inflation};
use crate::archive::model::{ArchiveSummary, Entry, EntryKind, Limits};
use crate::archive::track::{SizedReader, Tracker, run_visitor};
use crate::archive::zip::structure::{describe, io_err, malformed, scan};

/// Reads a zip archive, calling `visitor` for each entry (in central directory order) with a
/// reader of its decompressed content, after the whole structure and the entry passed every
/// check. Symlink targets (stored as content) are read first and reported in
/// [`Entry::link_target`].
///
/// ```
/// use std::io::Write;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
/// w.start_file("pkg/a.txt", zip::write::SimpleFileOptions::default())?;
/// w.write_all(b"abc")?;
/// let bytes = w.finish()?.into_inner();
///
/// let listing = artidigest::list_archive(
///     std::io::Cursor::new(bytes),
///     artidigest::Format::Zip,
///     &artidigest::Limits::default(),
///     &[artidigest::Algorithm::Sha256],
/// )?;
/// assert_eq!(listing.entries[0].entry.path, "pkg/a.txt");
/// assert_eq!(listing.entries[0].digests.size(), 3);
/// # Ok(())
/// # }
/// ```
pub fn visit_zip<R, F>(
    mut reader: R,
    limits: &Limits,
    mut visitor: F,
) -> Result<ArchiveSummary, ArchiveError>
where
    R: Read + Seek,
    F: FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
{
    let (dir, records) = scan(&mut reader, limits)?;
    let file_len = reader.seek(SeekFrom::End(0)).map_err(io_err)?;
    let mut tracker = Tracker::default();
    // Describe and check every entry before any content is read.
    let mut entries = Vec::with_capacity(records.len());
    for rec in &records {
        let at = |k| ArchiveError::at(k, rec.index, &rec.name);
        tracker.count_header(limits).map_err(at)?;
        if rec.flags & 1 != 0 {
            return Err(at(ArchiveErrorKind::Encrypted));
        }
        if rec.method != 0 && rec.method != 8 {
            return Err(at(ArchiveErrorKind::UnsupportedMethod {
                method: rec.method,
            }));
        }
        if rec.method == 0 && rec.compressed != rec.uncompressed {
            return Err(at(ArchiveErrorKind::SizeMismatch {
                declared: rec.uncompressed,
                actual: rec.compressed,
            }));
        }
        check_inflation(limits, rec.compressed, rec.uncompressed).map_err(at)?;
        let entry = describe(rec, limits).map_err(at)?;
        if entry.kind != EntryKind::Symlink {
            tracker.admit(&entry, limits).map_err(at)?;
        }
        entries.push(entry);
    }
    // Symlinks are admitted once their target (their content) is read, below; an entry below
    // a symlink of the archive is refused now, wherever it sits in the directory.
    let symlinks: HashSet<&str> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Symlink)
        .map(|e| e.path.as_str())
        .collect();
    if !symlinks.is_empty() {
        for e in &entries {
            let through = e
                .path
                .match_indices('/')
                .filter_map(|(i, _)| e.path.get(..i))
                .find(|prefix| symlinks.contains(prefix));
            if let Some(link) = through {
                return Err(ArchiveError::at(
                    ArchiveErrorKind::PathThroughSymlink {
                        symlink: link.to_owned(),
                    },
                    e.index,
                    &e.raw_path,
                ));
            }
        }
    }
    reader.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let mut archive = ::zip::ZipArchive::new(reader)
        .map_err(|e| malformed(format!("zip reader refused the archive: {e}")))?;
    if archive.len() != entries.len() {
        return Err(malformed(format!(
            "zip reader sees {} entries, the central directory has {}",
            archive.len(),
            entries.len()
        )));
    }
    for mut entry in entries {
        let index = entry.index;
        let name = entry.raw_path.clone();
        let at = |k| ArchiveError::at(k, index, &name);
        let file = archive
            .by_index(index)
            .map_err(|e| at(ArchiveErrorKind::Corrupt(io::Error::other(e.to_string()))))?;
        if file.name_raw() != name.as_bytes() {
            return Err(at(ArchiveErrorKind::Malformed {
                what: "zip reader returned another entry for this index".into(),
            }));
        }
        let zip_size = file.size();
        let mut content = SizedReader::new(
            CorruptOnError {
                inner: file,
                declared: (zip_size == entry.size).then_some(entry.size),
            },
            entry.size,
        );
        if entry.kind == EntryKind::Symlink {
            if entry.size > limits.max_path_len as u64 {
                return Err(at(ArchiveErrorKind::PathTooLong {
                    limit: limits.max_path_len,
                    actual: usize::try_from(entry.size).unwrap_or(usize::MAX),
                }));
            }
            let mut target = Vec::new();
            content
                .read_to_end(&mut target)
                .map_err(|e| ArchiveError::from_io(e).with_entry(index, &name))?;
            let target = String::from_utf8(target).map_err(|e| {
                at(ArchiveErrorKind::InvalidPath {
                    path: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    reason: "not UTF-8",
                })
            })?;
            entry.link_target = Some(target.clone());
            tracker.admit(&entry, limits).map_err(at)?;
            let mut again = SizedReader::new(target.as_bytes(), entry.size);
            run_visitor(&entry, &mut again, &mut visitor)?;
            continue;
        }
        run_visitor(&entry, &mut content, &mut visitor)?;
    }
    tracker.finish()?;
    Ok(ArchiveSummary {
        entries: records.len(),
        content_size: tracker.content_size(),
        uncompressed_size: tracker.content_size(),
        compressed_size: file_len,
        gzip: None,
        pax_global: Vec::new(),
        zip_comment: Some(dir.comment),
    })
}

/// The message of the zip crate's error for content that grows past the declared size (its
/// reader stops there since zip 9; `hostile::zip_entry_lying_about_its_size_*` pins it).
const ZIP_OVERSIZE: &str = "File is larger than its declared uncompressed size";

/// Maps the zip crate's read errors (bad deflate data, CRC mismatch) to `Corrupt`, and its
/// refusal of content longer than declared to `SizeMismatch` (declared + 1), as
/// [`SizedReader`] reports it. `declared` is `None` when the zip crate's size for the entry is
/// not the central directory's one parsed here; its refusal is then `Corrupt`.
struct CorruptOnError<R> {
    inner: R,
    declared: Option<u64>,
}

impl<R: Read> Read for CorruptOnError<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.get_ref().is_some_and(|i| i.is::<ArchiveError>()) {
                return e;
            }
            let oversize = e.kind() == io::ErrorKind::InvalidData
                && e.get_ref().is_some_and(|i| i.to_string() == ZIP_OVERSIZE);
            match self.declared {
                Some(declared) if oversize => ArchiveError::new(ArchiveErrorKind::SizeMismatch {
                    declared,
                    actual: declared.saturating_add(1),
                })
                .into_io(),
                _ => ArchiveError::new(ArchiveErrorKind::Corrupt(e)).into_io(),
            }
        })
    }
}
