//! Opt-in checking of archives inside archives ([`inspect_nested`]): every file entry that is
//! itself a zip (wheel, jar), a tar or a tar.gz (`.tgz`, `.crate`) is opened and checked with
//! the same readers, recursively, under one budget of entries and uncompressed bytes shared by
//! every level, so that a bomb spread over many small nested archives hits the same caps as one
//! big archive.

use std::io::{Cursor, Read, Seek};

use crate::archive::dispatch::visit_archive;
use crate::archive::error::{ArchiveError, ArchiveErrorKind};
use crate::archive::model::{ArchiveSummary, Entry, EntryKind, Format, Limits};

/// One archive found inside another by [`inspect_nested`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedArchive {
    /// The entries holding it, outermost first (normalised paths): `["lib/a.jar", "b.zip"]` is
    /// `b.zip` inside `lib/a.jar` inside the archive given to [`inspect_nested`].
    pub chain: Vec<String>,
    /// Its format.
    pub format: Format,
    /// What its reader reported.
    pub summary: ArchiveSummary,
}

/// What [`inspect_nested`] found: totals over every level and the nested archives opened.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NestedReport {
    /// Entries of every level (the shared budget [`Limits::max_entries`] bounds).
    pub entries: usize,
    /// Content bytes of every level (the shared budget [`Limits::max_total_size`] bounds).
    pub content_size: u64,
    /// The nested archives opened, in the order they were met.
    pub archives: Vec<NestedArchive>,
}

/// The budget every level draws from.
struct Budget {
    limits: Limits,
    entries: usize,
    bytes: u64,
    archives: Vec<NestedArchive>,
}

/// Checks an archive and, recursively, every archive inside it (to
/// [`Limits::max_nesting_depth`] levels), with one budget for all levels:
/// [`Limits::max_entries`] entries and [`Limits::max_total_size`] content bytes in total.
///
/// A file entry is opened as an archive when its first bytes are those of a zip or a tar, or
/// when they are gzip's and its name ends in `.tar.gz`, `.tgz` or `.crate`, or when its name
/// says zip, tar or tar.gz whatever its bytes (a damaged nested archive is refused, not
/// skipped). A nested archive is held in memory while it is read, so it may not be larger
/// than [`Limits::max_nested_size`] (`EntryTooLarge`). One deeper than the cap is refused
/// (`NestedTooDeep`). A problem inside a nested archive names the holding entries through
/// [`ArchiveError::chain`].
///
/// ```
/// use std::io::{Cursor, Write};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let zip_of = |name: &str, data: &[u8]| -> Result<Vec<u8>, Box<dyn std::error::Error>> {
///     let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
///     w.start_file(name, zip::write::SimpleFileOptions::default())?;
///     w.write_all(data)?;
///     Ok(w.finish()?.into_inner())
/// };
/// let inner = zip_of("a.txt", b"abc")?;
/// let outer = zip_of("lib/inner.jar", &inner)?;
/// let report = artidigest::inspect_nested(
///     Cursor::new(outer),
///     artidigest::Format::Zip,
///     &artidigest::Limits::default(),
/// )?;
/// assert_eq!(report.entries, 2);
/// assert_eq!(report.archives[0].chain, ["lib/inner.jar"]);
/// # Ok(())
/// # }
/// ```
pub fn inspect_nested<R>(
    reader: R,
    format: Format,
    limits: &Limits,
) -> Result<NestedReport, ArchiveError>
where
    R: Read + Seek + Send,
{
    let mut budget = Budget {
        limits: *limits,
        entries: 0,
        bytes: 0,
        archives: Vec::new(),
    };
    let mut chain = Vec::new();
    level(reader, format, &mut chain, &mut budget)?;
    Ok(NestedReport {
        entries: budget.entries,
        content_size: budget.bytes,
        archives: budget.archives,
    })
}

/// The format to open an entry with, from its name and first bytes.
fn nested_format(name: &str, head: &[u8]) -> Option<Format> {
    let by_name = Format::from_file_name(name);
    match Format::sniff(head) {
        Some(Format::TarGz) => by_name.map(|_| Format::TarGz),
        Some(f) => Some(f),
        None => by_name,
    }
}

/// Reads one level, charging the shared budget and descending into nested archives.
fn level<R>(
    reader: R,
    format: Format,
    chain: &mut Vec<String>,
    budget: &mut Budget,
) -> Result<ArchiveSummary, ArchiveError>
where
    R: Read + Seek + Send,
{
    let orig = budget.limits;
    // This level's reader may use what is left; its cap errors are restated in totals below.
    let mut limits = orig;
    limits.max_entries = orig.max_entries.saturating_sub(budget.entries);
    limits.max_total_size = orig.max_total_size.saturating_sub(budget.bytes);
    let (entries_at_open, bytes_at_open) = (budget.entries, budget.bytes);
    let result = visit_archive(reader, format, &limits, |entry, content| {
        visit_entry(entry, content, chain, budget).map_err(ArchiveError::into_io)
    });
    result.map_err(|e| match *e.kind() {
        _ if !e.chain().is_empty() => e,
        ArchiveErrorKind::TotalTooLarge { limit, actual } if limit == limits.max_total_size => e
            .with_kind(ArchiveErrorKind::TotalTooLarge {
                limit: orig.max_total_size,
                actual: bytes_at_open.saturating_add(actual),
            }),
        ArchiveErrorKind::TooManyEntries { limit, actual } if limit == limits.max_entries => e
            .with_kind(ArchiveErrorKind::TooManyEntries {
                limit: orig.max_entries,
                actual: entries_at_open.saturating_add(actual),
            }),
        _ => e,
    })
}

fn visit_entry(
    entry: &Entry,
    content: &mut dyn Read,
    chain: &mut Vec<String>,
    budget: &mut Budget,
) -> Result<(), ArchiveError> {
    let limits = budget.limits;
    budget.entries += 1;
    if budget.entries > limits.max_entries {
        return Err(ArchiveErrorKind::TooManyEntries {
            limit: limits.max_entries,
            actual: budget.entries,
        }
        .into());
    }
    budget.bytes = budget.bytes.saturating_add(entry.size);
    if budget.bytes > limits.max_total_size {
        return Err(ArchiveErrorKind::TotalTooLarge {
            limit: limits.max_total_size,
            actual: budget.bytes,
        }
        .into());
    }
    if entry.kind != EntryKind::File {
        return Ok(());
    }
    let mut head = Vec::with_capacity(512);
    content
        .take(512)
        .read_to_end(&mut head)
        .map_err(ArchiveError::from_io)?;
    let Some(format) = nested_format(&entry.path, &head) else {
        return Ok(());
    };
    if chain.len() >= limits.max_nesting_depth {
        return Err(ArchiveErrorKind::NestedTooDeep {
            limit: limits.max_nesting_depth,
        }
        .into());
    }
    if entry.size > limits.max_nested_size {
        return Err(ArchiveErrorKind::EntryTooLarge {
            limit: limits.max_nested_size,
            actual: entry.size,
        }
        .into());
    }
    // Bounded: the content reader stops at the declared size, checked above.
    let mut bytes = head;
    content
        .read_to_end(&mut bytes)
        .map_err(ArchiveError::from_io)?;
    chain.push(entry.path.clone());
    let inner = level(Cursor::new(bytes), format, chain, budget)
        .map_err(|e| e.nested_in(entry.index, &entry.raw_path));
    let summary = match inner {
        Ok(s) => s,
        Err(e) => {
            chain.pop();
            return Err(e);
        }
    };
    budget.archives.push(NestedArchive {
        chain: chain.clone(),
        format,
        summary,
    });
    chain.pop();
    Ok(())
}
