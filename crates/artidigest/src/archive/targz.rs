//! The tar.gz reader: the checked gzip decoder feeding the tar reader, either on one thread or
//! pipelined (a scoped thread inflates into a bounded queue while the caller parses and hashes).

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use crate::archive::error::{ArchiveError, ArchiveErrorKind};
use crate::archive::gzip::header::GzipHeader;
use crate::archive::gzip::reader::GzipReader;
use crate::archive::model::{ArchiveSummary, Entry, Limits};
use crate::archive::tar::visit_tar_stream;

/// Size of the buffers handed from the inflate thread to the parsing thread.
const CHUNK: usize = 256 * 1024;
/// Buffers in flight between the two threads (memory is about `(DEPTH + 2) * CHUNK`).
const DEPTH: usize = 4;

/// Reads a tar.gz stream on one thread: inflate, parse and the visitor take turns. Same checks
/// and results as [`visit_tar_gz`], which overlaps inflating with the rest.
pub fn visit_tar_gz_single_thread<R, F>(
    reader: R,
    limits: &Limits,
    visitor: F,
) -> Result<ArchiveSummary, ArchiveError>
where
    R: Read,
    F: FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
{
    let mut gz = GzipReader::new(reader, limits)?;
    let mut summary = ArchiveSummary::default();
    visit_tar_stream(&mut gz, limits, visitor, &mut summary)?;
    summary.compressed_size = gz.compressed_size();
    summary.gzip = Some(gz.header().clone());
    Ok(summary)
}

type Chunk = Result<(Vec<u8>, usize), ArchiveError>;

/// The consumer end of the pipeline: a `Read` over the buffers the inflate thread sends.
struct ChannelReader {
    rx: Receiver<Chunk>,
    recycle: Sender<Vec<u8>>,
    current: Option<(Vec<u8>, usize)>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some((buf, len)) = &self.current {
                // `len` is how much of `buf` the inflate thread filled, so `pos..len` is in `buf`.
                let rest = buf.get(self.pos..*len).unwrap_or_default();
                let n = rest.len().min(out.len());
                if let (Some(dst), Some(src)) = (out.get_mut(..n), rest.get(..n))
                    && n > 0
                {
                    dst.copy_from_slice(src);
                    self.pos += n;
                    return Ok(n);
                }
                if let Some((buf, _)) = self.current.take() {
                    // The producer may have finished; a lost buffer is just freed.
                    let _ = self.recycle.send(buf);
                }
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.current = Some(chunk);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e.into_io()),
                Err(_) => return Ok(0),
            }
        }
    }
}

/// What the inflate thread reports when it is done.
struct Inflated {
    header: GzipHeader,
    compressed: u64,
}

fn inflate_thread<R: Read>(
    reader: R,
    limits: &Limits,
    tx: SyncSender<Chunk>,
    recycled: Receiver<Vec<u8>>,
) -> Option<Inflated> {
    let mut gz = match GzipReader::new(reader, limits) {
        Ok(gz) => gz,
        Err(e) => {
            let _ = tx.send(Err(e));
            return None;
        }
    };
    loop {
        let mut buf = recycled.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
        let mut filled = 0;
        let mut end = false;
        while let Some(room) = buf.get_mut(filled..).filter(|room| !room.is_empty()) {
            match gz.inflate_some(room) {
                Ok(0) => {
                    end = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) => {
                    if filled > 0 && tx.send(Ok((buf, filled))).is_err() {
                        return None;
                    }
                    let _ = tx.send(Err(e));
                    return None;
                }
            }
        }
        if filled > 0 && tx.send(Ok((buf, filled))).is_err() {
            // The parser stopped (it failed or finished early): stop inflating.
            return None;
        }
        if end {
            return Some(Inflated {
                header: gz.header().clone(),
                compressed: gz.compressed_size(),
            });
        }
    }
}

/// Reads a tar.gz stream with inflate and parsing pipelined on two threads: a scoped thread
/// inflates into a bounded queue of buffers (constant memory, about 1.5 MiB) while the calling
/// thread parses tar, checks every entry and runs `visitor` (typically hashing). Checks and
/// results are those of [`visit_tar`](crate::archive::tar::visit_tar) plus the gzip checks of [`GzipReader`].
///
/// ```
/// use std::io::Write;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut builder = tar::Builder::new(Vec::new());
/// let mut header = tar::Header::new_ustar();
/// header.set_size(3);
/// header.set_cksum();
/// builder.append_data(&mut header, "pkg/a.txt", &b"abc"[..])?;
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// gz.write_all(&builder.into_inner()?)?;
/// let bytes = gz.finish()?;
///
/// let mut seen = 0;
/// let summary = artidigest::visit_tar_gz(&bytes[..], &artidigest::Limits::default(), |_, content| {
///     seen += std::io::copy(content, &mut std::io::sink())?;
///     Ok(())
/// })?;
/// assert_eq!((summary.entries, seen), (1, 3));
/// # Ok(())
/// # }
/// ```
pub fn visit_tar_gz<R, F>(
    reader: R,
    limits: &Limits,
    visitor: F,
) -> Result<ArchiveSummary, ArchiveError>
where
    R: Read + Send,
    F: FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
{
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Chunk>(DEPTH);
        let (recycle_tx, recycle_rx) = channel::<Vec<u8>>();
        let producer = scope.spawn(move || inflate_thread(reader, limits, tx, recycle_rx));
        let consumer = ChannelReader {
            rx,
            recycle: recycle_tx,
            current: None,
            pos: 0,
        };
        let mut summary = ArchiveSummary::default();
        // `visit_tar_stream` owns (and drops) the consumer, which unblocks the producer.
        let parsed = visit_tar_stream(consumer, limits, visitor, &mut summary);
        let inflated = producer.join();
        parsed?;
        match inflated {
            Ok(Some(done)) => {
                summary.compressed_size = done.compressed;
                summary.gzip = Some(done.header);
                Ok(summary)
            }
            // The parser saw the whole stream without error, so the producer finished; this
            // arm is only reached if it panicked.
            _ => Err(ArchiveErrorKind::Io(io::Error::other("inflate thread failed")).into()),
        }
    })
}
