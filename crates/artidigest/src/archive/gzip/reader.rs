//! The checked gzip decoder: one member, header fields, CRC-32 and length trailer, truncation,
//! trailing data, ratio and size caps, every problem a typed [`ArchiveError`].

use std::io::{self, BufRead, BufReader, Read};

use flate2::{Crc, Decompress, FlushDecompress, Status};

use crate::archive::error::{ArchiveError, ArchiveErrorKind, check_inflation};
use crate::archive::gzip::header::GzipHeader;
use crate::archive::model::Limits;

/// Read-ahead buffer for the compressed input.
const INPUT_BUFFER: usize = 128 * 1024;

const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

fn truncated(at: u64) -> ArchiveError {
    ArchiveErrorKind::TruncatedGzip { compressed: at }.into()
}

fn read_exact_gz<R: Read>(r: &mut R, buf: &mut [u8], at: u64) -> Result<(), ArchiveError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            truncated(at)
        } else {
            ArchiveError::from_io(e)
        }
    })
}

/// Reads a zero-terminated header string (the name or the comment) of at most `cap` bytes,
/// starting `*len` bytes into the header; adds it and its terminator to the header's `crc` and
/// to `*len`.
fn read_cstr<R: BufRead>(
    r: &mut R,
    cap: u64,
    crc: &mut Crc,
    len: &mut u64,
) -> Result<Vec<u8>, ArchiveError> {
    let at = *len;
    let mut out = Vec::new();
    let n = r
        .take(cap + 1)
        .read_until(0, &mut out)
        .map_err(ArchiveError::from_io)?;
    if out.last() != Some(&0) {
        if (n as u64) > cap {
            return Err(ArchiveErrorKind::PaxTooLarge {
                limit: cap,
                actual: n as u64,
            }
            .into());
        }
        return Err(truncated(at + n as u64));
    }
    crc.update(&out);
    *len += out.len() as u64;
    out.pop();
    Ok(out)
}

/// Reads and checks a gzip member header from `r`; name and comment are capped at
/// [`Limits::max_pax_size`].
pub fn read_gzip_header<R: BufRead>(
    r: &mut R,
    limits: &Limits,
) -> Result<GzipHeader, ArchiveError> {
    let mut fixed = [0u8; 10];
    let mut got = 0;
    while let Some(room) = fixed.get_mut(got..).filter(|room| !room.is_empty()) {
        let n = r.read(room).map_err(ArchiveError::from_io)?;
        if n == 0 {
            if got == 0 {
                return Err(ArchiveErrorKind::Malformed {
                    what: "empty input is not a gzip stream".into(),
                }
                .into());
            }
            return Err(truncated(got as u64));
        }
        got += n;
    }
    if fixed[0] != 0x1f || fixed[1] != 0x8b {
        return Err(ArchiveErrorKind::Malformed {
            what: "no gzip magic number".into(),
        }
        .into());
    }
    if fixed[2] != 8 {
        return Err(ArchiveErrorKind::Malformed {
            what: format!("gzip compression method {} is not deflate", fixed[2]),
        }
        .into());
    }
    let flags = fixed[3];
    if flags & 0xe0 != 0 {
        return Err(ArchiveErrorKind::Malformed {
            what: "reserved gzip flag bits are set".into(),
        }
        .into());
    }
    let mut crc = Crc::new();
    crc.update(&fixed);
    let mut len = 10u64;
    let mut header = GzipHeader::deterministic(6);
    header.method = fixed[2];
    header.flags = flags;
    header.mtime = u32::from_le_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    header.xfl = fixed[8];
    header.os = fixed[9];
    if flags & FEXTRA != 0 {
        let mut xlen = [0u8; 2];
        read_exact_gz(r, &mut xlen, len)?;
        crc.update(&xlen);
        len += 2;
        let mut extra = vec![0u8; u16::from_le_bytes(xlen) as usize];
        read_exact_gz(r, &mut extra, len)?;
        crc.update(&extra);
        len += extra.len() as u64;
        header.extra = Some(extra);
    }
    if flags & FNAME != 0 {
        header.name = Some(read_cstr(r, limits.max_pax_size, &mut crc, &mut len)?);
    }
    if flags & FCOMMENT != 0 {
        header.comment = Some(read_cstr(r, limits.max_pax_size, &mut crc, &mut len)?);
    }
    if flags & FHCRC != 0 {
        let mut hcrc = [0u8; 2];
        read_exact_gz(r, &mut hcrc, len)?;
        len += 2;
        header.header_crc = Some(u16::from_le_bytes(hcrc));
        let expected = u16::from_le_bytes(hcrc) as u32;
        let actual = crc.sum() & 0xffff;
        if expected != actual {
            return Err(ArchiveErrorKind::GzipChecksum {
                field: "header crc16",
                expected,
                actual,
            }
            .into());
        }
    }
    header.len = len as usize;
    Ok(header)
}

/// A checked decoder of one gzip member: yields the uncompressed bytes, and fails with a typed
/// error on truncation, a CRC-32 or length mismatch, trailing data after the member (unless
/// [`Limits::allow_trailing_data`]), more than [`Limits::max_total_size`] output, more than
/// [`Limits::max_bomb_size`] output above [`Limits::bomb_ratio`], or a ratio above
/// [`Limits::max_compression_ratio`].
///
/// ```
/// use std::io::{Read, Write};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// enc.write_all(b"hello")?;
/// let gz = enc.finish()?;
/// let mut dec = artidigest::GzipReader::new(&gz[..], &artidigest::Limits::default())?;
/// let mut out = String::new();
/// dec.read_to_string(&mut out)?;
/// assert_eq!(out, "hello");
/// assert_eq!(dec.header().os, 255);
/// # Ok(())
/// # }
/// ```
pub struct GzipReader<R> {
    inner: R,
    header: GzipHeader,
    inflate: Decompress,
    crc: Crc,
    limits: Limits,
    out_total: u64,
    done: bool,
    /// A trailer error found while producing the member's last bytes: those bytes are returned
    /// first and the error on the next call, so every reader sees the same data before it.
    pending: Option<ArchiveError>,
}

impl<R: Read> GzipReader<BufReader<R>> {
    /// Reads the header of the member at the start of `reader`.
    pub fn new(reader: R, limits: &Limits) -> Result<Self, ArchiveError> {
        GzipReader::from_buf_read(BufReader::with_capacity(INPUT_BUFFER, reader), limits)
    }
}

impl<R: BufRead> GzipReader<R> {
    /// Like [`GzipReader::new`] for a reader that is already buffered.
    pub fn from_buf_read(mut reader: R, limits: &Limits) -> Result<Self, ArchiveError> {
        let header = read_gzip_header(&mut reader, limits)?;
        Ok(GzipReader {
            inner: reader,
            header,
            inflate: Decompress::new(false),
            crc: Crc::new(),
            limits: *limits,
            out_total: 0,
            done: false,
            pending: None,
        })
    }

    /// The member header.
    pub fn header(&self) -> &GzipHeader {
        &self.header
    }

    /// Compressed bytes consumed so far (header, deflate data and, at the end, the trailer).
    pub fn compressed_size(&self) -> u64 {
        self.header.len as u64 + self.inflate.total_in() + if self.done { 8 } else { 0 }
    }

    /// Uncompressed bytes produced so far.
    pub fn uncompressed_size(&self) -> u64 {
        self.out_total
    }

    fn check_caps(&self) -> Result<(), ArchiveError> {
        if self.out_total > self.limits.max_total_size {
            return Err(ArchiveErrorKind::TotalTooLarge {
                limit: self.limits.max_total_size,
                actual: self.out_total,
            }
            .into());
        }
        check_inflation(&self.limits, self.compressed_size(), self.out_total)?;
        Ok(())
    }

    fn finish_member(&mut self) -> Result<(), ArchiveError> {
        let at = self.compressed_size();
        let mut trailer = [0u8; 8];
        read_exact_gz(&mut self.inner, &mut trailer, at)?;
        let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let isize = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        if crc != self.crc.sum() {
            return Err(ArchiveErrorKind::GzipChecksum {
                field: "crc32",
                expected: crc,
                actual: self.crc.sum(),
            }
            .into());
        }
        if isize != self.out_total as u32 {
            return Err(ArchiveErrorKind::GzipChecksum {
                field: "isize",
                expected: isize,
                actual: self.out_total as u32,
            }
            .into());
        }
        self.done = true;
        if !self.limits.allow_trailing_data {
            let rest = self.inner.fill_buf().map_err(ArchiveError::from_io)?;
            if !rest.is_empty() {
                return Err(ArchiveErrorKind::TrailingData {
                    after: "gzip member",
                    len: rest.len() as u64,
                }
                .into());
            }
        }
        Ok(())
    }

    pub(crate) fn inflate_some(&mut self, out: &mut [u8]) -> Result<usize, ArchiveError> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        if self.done || out.is_empty() {
            return Ok(0);
        }
        loop {
            let input = self.inner.fill_buf().map_err(ArchiveError::from_io)?;
            let eof = input.is_empty();
            let (in0, out0) = (self.inflate.total_in(), self.inflate.total_out());
            let flush = if eof {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = self.inflate.decompress(input, out, flush).map_err(|e| {
                ArchiveError::from(ArchiveErrorKind::Corrupt(io::Error::new(
                    io::ErrorKind::InvalidData,
                    e,
                )))
            })?;
            let consumed = (self.inflate.total_in() - in0) as usize;
            let produced = (self.inflate.total_out() - out0) as usize;
            self.inner.consume(consumed);
            // `decompress` wrote `produced` bytes into `out`, so the range is in bounds.
            self.crc.update(out.get(..produced).unwrap_or_default());
            self.out_total += produced as u64;
            self.check_caps()?;
            if status == Status::StreamEnd {
                if let Err(e) = self.finish_member() {
                    self.done = true;
                    if produced == 0 {
                        return Err(e);
                    }
                    self.pending = Some(e);
                }
                return Ok(produced);
            }
            if produced > 0 {
                return Ok(produced);
            }
            if eof {
                return Err(truncated(self.compressed_size()));
            }
            if consumed == 0 {
                return Err(ArchiveErrorKind::Corrupt(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "inflate made no progress",
                ))
                .into());
            }
        }
    }
}

impl<R: BufRead> Read for GzipReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.inflate_some(out).map_err(ArchiveError::into_io)
    }
}
