//! One entry point per task for every format: [`visit_archive`] streams entries to a callback,
//! [`list_archive`] hashes them into a [`Listing`].

use std::io::{self, Read, Seek};

use crate::archive::error::ArchiveError;
use crate::archive::model::{ArchiveSummary, Entry, Format, HashedEntry, Limits, Listing};
use crate::archive::tar::visit_tar;
use crate::archive::targz::visit_tar_gz;
use crate::archive::zip::visit_zip;
use crate::digest::Algorithm;
use crate::hasher::MultiHasher;

/// Streams every entry of an archive to `visitor`, with a reader of its content, after the
/// entry passed every check; returns the archive summary once the end was checked too.
///
/// tar.gz is inflated on a second thread ([`visit_tar_gz`]). Zip needs `Seek` to reach
/// the central directory; tar streams are read front to back.
pub fn visit_archive<R, F>(
    reader: R,
    format: Format,
    limits: &Limits,
    visitor: F,
) -> Result<ArchiveSummary, ArchiveError>
where
    R: Read + Seek + Send,
    F: FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
{
    match format {
        Format::Tar => visit_tar(reader, limits, visitor),
        Format::TarGz => visit_tar_gz(reader, limits, visitor),
        Format::Zip => visit_zip(reader, limits, visitor),
    }
}

/// Reads a whole archive, checks it, and returns every entry with the digests of its content
/// (computed in one pass with [`MultiHasher`]); memory is the entry list plus constant buffers.
pub fn list_archive<R>(
    reader: R,
    format: Format,
    limits: &Limits,
    algorithms: &[Algorithm],
) -> Result<Listing, ArchiveError>
where
    R: Read + Seek + Send,
{
    let mut entries = Vec::new();
    let summary = visit_archive(
        reader,
        format,
        limits,
        hashing_visitor(&mut entries, algorithms),
    )?;
    Ok(Listing {
        format,
        summary,
        entries,
    })
}

/// A visitor that hashes each entry's content and pushes it to `out`.
pub(crate) fn hashing_visitor<'a>(
    out: &'a mut Vec<HashedEntry>,
    algorithms: &'a [Algorithm],
) -> impl FnMut(&Entry, &mut dyn Read) -> io::Result<()> + 'a {
    let mut buf = vec![0u8; 128 * 1024];
    move |entry, content| {
        let mut hasher = MultiHasher::new(algorithms);
        loop {
            let n = match content.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(crate::hasher::filled(&buf, n)?);
        }
        out.push(HashedEntry {
            entry: entry.clone(),
            digests: hasher.finish(),
        });
        Ok(())
    }
}
