//! The per-archive bookkeeping every reader shares: counting entries, admitting each one
//! (caps, links, duplicates, paths below symlinks), checking content sizes and running the
//! visitor.

use std::collections::HashMap;
use std::io::{self, Read};

use crate::archive::error::{ArchiveError, ArchiveErrorKind};
use crate::archive::links::LinkModel;
use crate::archive::model::{Entry, EntryKind, Limits};
use crate::archive::paths::{check_symlink_target, normalise_path};

/// The per-archive bookkeeping every reader shares: entry count, total size, duplicate names,
/// symlinks (the [`LinkModel`], resolved by [`Tracker::finish`]), hardlink targets.
#[derive(Default)]
pub(crate) struct Tracker {
    seen: HashMap<String, (usize, EntryKind)>,
    links: LinkModel,
    count: usize,
    admitted: usize,
    content: u64,
}

impl Tracker {
    /// Called once per (non-extension) header before anything else is allocated for it.
    pub(crate) fn count_header(&mut self, limits: &Limits) -> Result<(), ArchiveErrorKind> {
        self.count += 1;
        if self.count > limits.max_entries {
            return Err(ArchiveErrorKind::TooManyEntries {
                limit: limits.max_entries,
                actual: self.count,
            });
        }
        Ok(())
    }

    /// Checks a fully described entry (path already normalised) and records it.
    pub(crate) fn admit(&mut self, e: &Entry, limits: &Limits) -> Result<(), ArchiveErrorKind> {
        if e.size > limits.max_entry_size {
            return Err(ArchiveErrorKind::EntryTooLarge {
                limit: limits.max_entry_size,
                actual: e.size,
            });
        }
        self.content = self.content.saturating_add(e.size);
        if self.content > limits.max_total_size {
            return Err(ArchiveErrorKind::TotalTooLarge {
                limit: limits.max_total_size,
                actual: self.content,
            });
        }
        // An entry below a symlink of this archive (recorded so far; later ones: `finish`).
        if let Some(symlink) = self.links.symlink_on(&e.path, false) {
            return Err(ArchiveErrorKind::PathThroughSymlink { symlink });
        }
        match e.kind {
            EntryKind::Symlink => {
                if e.path == "." {
                    return Err(ArchiveErrorKind::InvalidPath {
                        path: e.raw_path.clone(),
                        reason: "the archive root as a symlink",
                    });
                }
                let target = e.link_target.as_deref().unwrap_or("");
                check_symlink_target(&e.path, target, limits)?;
            }
            EntryKind::Hardlink => {
                let target = e.link_target.as_deref().unwrap_or("");
                let norm = normalise_path(target, limits).map_err(|k| match k {
                    ArchiveErrorKind::PathTraversal { .. }
                    | ArchiveErrorKind::AbsolutePath { .. } => ArchiveErrorKind::LinkEscapes {
                        target: target.to_owned(),
                    },
                    other => other,
                })?;
                if let Some(symlink) = self.links.symlink_on(&norm, true) {
                    return Err(ArchiveErrorKind::HardlinkToSymlink {
                        target: target.to_owned(),
                        symlink,
                    });
                }
                match self.seen.get(&norm) {
                    Some((_, EntryKind::File | EntryKind::Hardlink)) => {}
                    _ => {
                        return Err(ArchiveErrorKind::DanglingHardlink {
                            target: target.to_owned(),
                        });
                    }
                }
            }
            _ => {}
        }
        if let Some((first, _)) = self.seen.get(&e.path) {
            if !limits.allow_duplicate_names {
                return Err(ArchiveErrorKind::DuplicateName {
                    first_index: *first,
                });
            }
        } else {
            self.seen.insert(e.path.clone(), (e.index, e.kind));
        }
        if e.kind == EntryKind::Symlink {
            let target = e.link_target.as_deref().unwrap_or("");
            self.links
                .add_symlink(e.index, &e.raw_path, &e.path, target);
        }
        self.admitted += 1;
        Ok(())
    }

    /// The whole-archive checks, once the last entry was admitted: no entry lies below a
    /// symlink (wherever the symlink came in the archive), and every symlink resolves inside
    /// the root through the archive's other symlinks ([`LinkModel::finish`]). Every reader calls
    /// it before returning its summary.
    pub(crate) fn finish(&mut self) -> Result<(), ArchiveError> {
        if self.links.is_empty() {
            return Ok(());
        }
        let mut below: Option<(usize, &str, String)> = None;
        for (path, (index, _)) in &self.seen {
            if let Some(symlink) = self.links.symlink_on(path, false)
                && below.as_ref().is_none_or(|(i, _, _)| index < i)
            {
                below = Some((*index, path, symlink));
            }
        }
        if let Some((index, path, symlink)) = below {
            return Err(ArchiveError::at(
                ArchiveErrorKind::PathThroughSymlink { symlink },
                index,
                path,
            ));
        }
        self.links
            .finish()
            .map_err(|f| ArchiveError::at(f.kind, f.index, &f.name))
    }

    /// Entries admitted so far (the index of the next one).
    pub(crate) fn entries_admitted(&self) -> usize {
        self.admitted
    }

    pub(crate) fn content_size(&self) -> u64 {
        self.content
    }
}

/// A content reader that checks the byte count against the declared size: more bytes than
/// declared or fewer (at EOF) are errors.
pub(crate) struct SizedReader<R> {
    inner: R,
    declared: u64,
    read: u64,
}

impl<R: Read> SizedReader<R> {
    pub(crate) fn new(inner: R, declared: u64) -> Self {
        SizedReader {
            inner,
            declared,
            read: 0,
        }
    }

    /// Reads and discards what the visitor left, then checks the count.
    pub(crate) fn finish(&mut self) -> io::Result<u64> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(self.read),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: Read> Read for SizedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Allow one byte past the declared size so that an overlong stream is detected.
        let room = self.declared.saturating_sub(self.read).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let room = buf.get_mut(..want).unwrap_or_default();
        let n = self.inner.read(room)?;
        self.read += n as u64;
        if self.read > self.declared {
            return Err(ArchiveError::new(ArchiveErrorKind::SizeMismatch {
                declared: self.declared,
                actual: self.read,
            })
            .into_io());
        }
        if n == 0 && self.read < self.declared {
            return Err(ArchiveError::new(ArchiveErrorKind::SizeMismatch {
                declared: self.declared,
                actual: self.read,
            })
            .into_io());
        }
        Ok(n)
    }
}

/// Calls `visitor` with an entry and a reader of its content, then drains and checks what the
/// visitor left, mapping errors back to typed ones.
pub(crate) fn run_visitor<R: Read, F>(
    entry: &Entry,
    content: &mut SizedReader<R>,
    visitor: &mut F,
) -> Result<(), ArchiveError>
where
    F: FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
{
    let at = |e: ArchiveError| e.with_entry(entry.index, &entry.raw_path);
    if let Err(e) = visitor(entry, content) {
        // A typed error raised by the content reader wins over the visitor's own wrapping.
        let typed = ArchiveError::from_io(e);
        return Err(at(typed.io_as_visitor()));
    }
    content
        .finish()
        .map(|_| ())
        .map_err(|e| at(ArchiveError::from_io(e)))
}
