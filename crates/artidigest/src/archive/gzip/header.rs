//! The gzip container (RFC 1952): the header model, member-by-member analysis with bounded
//! inflation, and the fixed header that deterministic repacking writes.
//!
//! A `.tar.gz` is a deflate stream wrapped in a 10-byte (or longer) header and an 8-byte trailer.
//! Two builds of the same tar commonly differ only here: the header's MTIME, OS byte, stored
//! file name and XFL hint, or a different compressor producing another (equally valid) deflate
//! stream. [`inflate_gzip`] takes a gzip file apart so that the artifact diff can name exactly
//! which of those changed.

use std::fmt;
use std::io::Read;

use serde::{Deserialize, Serialize};

/// The two magic bytes every gzip member starts with.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The deflate implementation behind every stream this crate writes (flate2's `zlib-rs` backend).
///
/// Deflate output is not specified byte for byte: zlib, zlib-ng, zlib-rs and miniz_oxide produce
/// different (all valid) streams for the same input and level. Reports record this name so a
/// byte difference can be traced to the backend.
pub const DEFLATE_BACKEND: &str = "flate2/zlib-rs";

const FTEXT: u8 = 0x01;
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xe0;

/// One gzip member header, field by field (RFC 1952 §2.3).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GzipHeader {
    /// CM: compression method; 8 (deflate) is the only one defined.
    pub method: u8,
    /// FLG: the raw flag byte (FTEXT 0x01, FHCRC 0x02, FEXTRA 0x04, FNAME 0x08, FCOMMENT 0x10).
    pub flags: u8,
    /// MTIME: seconds since the Unix epoch, 0 when not recorded.
    pub mtime: u32,
    /// XFL: compressor hint; 2 = maximum compression, 4 = fastest, 0 = other.
    pub xfl: u8,
    /// OS: the file system the member was made on; 3 = Unix, 255 = unknown.
    pub os: u8,
    /// The FEXTRA field's bytes, when present.
    pub extra: Option<Vec<u8>>,
    /// The FNAME field (original file name, without its terminating NUL), when present.
    pub name: Option<Vec<u8>>,
    /// The FCOMMENT field (without its terminating NUL), when present.
    pub comment: Option<Vec<u8>>,
    /// The FHCRC header checksum, when present.
    pub header_crc: Option<u16>,
    /// Length of the header in bytes.
    pub len: usize,
}

impl GzipHeader {
    /// The header deterministic repacking writes: MTIME 0, no name, no comment, no extra field,
    /// OS 255 (unknown) and the XFL hint that flate2 derives from `level` (2 for 9, 4 for 0–1).
    pub fn deterministic(level: u32) -> Self {
        GzipHeader {
            method: 8,
            flags: 0,
            mtime: 0,
            xfl: xfl_for_level(level),
            os: 255,
            extra: None,
            name: None,
            comment: None,
            header_crc: None,
            len: 10,
        }
    }

    /// Parses the header at the start of `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Self, GzipError> {
        parse_header_at(bytes, 0)
    }

    /// Whether the FTEXT flag is set (the compressor guessed the data is text).
    pub fn is_text(&self) -> bool {
        self.flags & FTEXT != 0
    }

    /// A short name for the OS byte (`"unix"`, `"unknown"`, `"ntfs"`, …).
    pub fn os_name(&self) -> &'static str {
        os_name(self.os)
    }

    /// The stored file name, decoded lossily as UTF-8 (gzip specifies ISO 8859-1).
    pub fn name_lossy(&self) -> Option<String> {
        self.name
            .as_ref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
    }
}

impl fmt::Display for GzipHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gzip method={} flags={:#04x} mtime={} xfl={} os={} ({})",
            self.method,
            self.flags,
            self.mtime,
            self.xfl,
            self.os,
            self.os_name()
        )?;
        if let Some(name) = self.name_lossy() {
            write!(f, " name={name:?}")?;
        }
        if let Some(comment) = &self.comment {
            write!(f, " comment={:?}", String::from_utf8_lossy(comment))?;
        }
        if let Some(extra) = &self.extra {
            write!(f, " extra={} bytes", extra.len())?;
        }
        Ok(())
    }
}

/// The XFL byte flate2 writes for a compression level (2 = best, 4 = fastest, else 0).
pub(crate) fn xfl_for_level(level: u32) -> u8 {
    if level >= 9 {
        2
    } else if level <= 1 {
        4
    } else {
        0
    }
}

/// A short name for a gzip OS byte.
fn os_name(os: u8) -> &'static str {
    match os {
        0 => "fat",
        1 => "amiga",
        2 => "vms",
        3 => "unix",
        4 => "vm/cms",
        5 => "atari",
        6 => "hpfs",
        7 => "macintosh",
        8 => "z-system",
        9 => "cp/m",
        10 => "tops-20",
        11 => "ntfs",
        12 => "qdos",
        13 => "acorn",
        255 => "unknown",
        _ => "reserved",
    }
}

/// One member of a gzip file: its header, where its deflate stream lies and its trailer.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GzipMember {
    /// Byte offset of the member in the file.
    pub offset: u64,
    /// The member's header.
    pub header: GzipHeader,
    /// Length of the raw deflate stream in bytes.
    pub deflate_len: u64,
    /// The trailer's CRC-32 of the uncompressed data (verified).
    pub crc32: u32,
    /// The trailer's ISIZE: uncompressed length modulo 2^32 (verified).
    pub isize: u32,
}

/// What [`inflate_gzip`] found in a gzip file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GzipInfo {
    /// Every member, in file order (almost always exactly one).
    pub members: Vec<GzipMember>,
    /// Bytes after the last member that are not another gzip member (zero padding or garbage).
    pub trailing_bytes: u64,
    /// Total uncompressed length.
    pub decompressed_len: u64,
}

impl GzipInfo {
    /// The first member's header (every gzip file has at least one member).
    pub fn header(&self) -> Option<&GzipHeader> {
        self.members.first().map(|m| &m.header)
    }
}

/// Why a gzip file could not be taken apart.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GzipErrorKind {
    /// The input does not start with the gzip magic bytes.
    NotGzip,
    /// A compression method other than 8 (deflate).
    UnsupportedMethod(u8),
    /// Reserved flag bits are set.
    ReservedFlags(u8),
    /// The input ended inside the named part of a member.
    Truncated(&'static str),
    /// The FHCRC header checksum does not match the header.
    HeaderCrcMismatch {
        /// The stored value.
        stored: u16,
        /// The value computed over the header.
        computed: u16,
    },
    /// The deflate stream is invalid.
    Deflate(String),
    /// The trailer's CRC-32 does not match the inflated data.
    CrcMismatch {
        /// The stored value.
        stored: u32,
        /// The value computed over the data.
        computed: u32,
    },
    /// The trailer's ISIZE does not match the inflated length.
    SizeMismatch {
        /// The stored value.
        stored: u32,
        /// The inflated length modulo 2^32.
        computed: u32,
    },
    /// Inflating would exceed the configured output cap.
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
}

/// A gzip parse error: what went wrong and at which byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gzip: {kind} at byte {offset}")]
pub struct GzipError {
    kind: GzipErrorKind,
    offset: u64,
}

impl GzipError {
    fn new(kind: GzipErrorKind, offset: u64) -> Self {
        GzipError { kind, offset }
    }

    /// What went wrong.
    pub fn kind(&self) -> &GzipErrorKind {
        &self.kind
    }

    /// Byte offset in the input where the problem was found.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl fmt::Display for GzipErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GzipErrorKind::NotGzip => f.write_str("not a gzip member (bad magic bytes)"),
            GzipErrorKind::UnsupportedMethod(m) => write!(f, "unsupported compression method {m}"),
            GzipErrorKind::ReservedFlags(fl) => write!(f, "reserved flag bits set in {fl:#04x}"),
            GzipErrorKind::Truncated(part) => write!(f, "truncated {part}"),
            GzipErrorKind::HeaderCrcMismatch { stored, computed } => write!(
                f,
                "header CRC16 is {computed:#06x}, but the header says {stored:#06x}"
            ),
            GzipErrorKind::Deflate(msg) => write!(f, "invalid deflate stream: {msg}"),
            GzipErrorKind::CrcMismatch { stored, computed } => write!(
                f,
                "CRC-32 of the data is {computed:#010x}, but the trailer says {stored:#010x}"
            ),
            GzipErrorKind::SizeMismatch { stored, computed } => write!(
                f,
                "inflated size is {computed} (mod 2^32), but the trailer says {stored}"
            ),
            GzipErrorKind::TooLarge { limit } => {
                write!(f, "inflated data exceeds the cap of {limit} bytes")
            }
        }
    }
}

/// Whether `bytes` starts with the gzip magic.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

fn parse_header_at(bytes: &[u8], base: u64) -> Result<GzipHeader, GzipError> {
    let err = |kind, at: usize| GzipError::new(kind, base + at as u64);
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Err(err(GzipErrorKind::NotGzip, 0));
    }
    let Some(&[_, _, method, flags, m0, m1, m2, m3, xfl, os]) = bytes.first_chunk::<10>() else {
        return Err(err(GzipErrorKind::Truncated("header"), bytes.len()));
    };
    if method != 8 {
        return Err(err(GzipErrorKind::UnsupportedMethod(method), 2));
    }
    if flags & FRESERVED != 0 {
        return Err(err(GzipErrorKind::ReservedFlags(flags), 3));
    }
    let mtime = u32::from_le_bytes([m0, m1, m2, m3]);
    let mut pos = 10usize;
    let mut extra = None;
    if flags & FEXTRA != 0 {
        let Some(&[l0, l1]) = bytes.get(pos..pos + 2) else {
            return Err(err(GzipErrorKind::Truncated("FEXTRA length"), bytes.len()));
        };
        let xlen = usize::from(u16::from_le_bytes([l0, l1]));
        pos += 2;
        let Some(data) = bytes.get(pos..pos + xlen) else {
            return Err(err(GzipErrorKind::Truncated("FEXTRA field"), bytes.len()));
        };
        extra = Some(data.to_vec());
        pos += xlen;
    }
    let zstring = |pos: &mut usize, what: &'static str| -> Result<Vec<u8>, GzipError> {
        let rest = bytes.get(*pos..).unwrap_or_default();
        let Some(nul) = rest.iter().position(|&b| b == 0) else {
            return Err(err(GzipErrorKind::Truncated(what), bytes.len()));
        };
        let value = rest.get(..nul).unwrap_or_default().to_vec();
        *pos += nul + 1;
        Ok(value)
    };
    let name = if flags & FNAME != 0 {
        Some(zstring(&mut pos, "FNAME field")?)
    } else {
        None
    };
    let comment = if flags & FCOMMENT != 0 {
        Some(zstring(&mut pos, "FCOMMENT field")?)
    } else {
        None
    };
    let mut header_crc = None;
    if flags & FHCRC != 0 {
        let Some(&[c0, c1]) = bytes.get(pos..pos + 2) else {
            return Err(err(GzipErrorKind::Truncated("FHCRC field"), bytes.len()));
        };
        let stored = u16::from_le_bytes([c0, c1]);
        let mut crc = flate2::Crc::new();
        // `pos + 2 <= bytes.len()` was just checked, so the header so far is all in `bytes`.
        crc.update(bytes.get(..pos).unwrap_or_default());
        let computed = (crc.sum() & 0xffff) as u16;
        if stored != computed {
            return Err(err(
                GzipErrorKind::HeaderCrcMismatch { stored, computed },
                pos,
            ));
        }
        header_crc = Some(stored);
        pos += 2;
    }
    Ok(GzipHeader {
        method,
        flags,
        mtime,
        xfl,
        os,
        extra,
        name,
        comment,
        header_crc,
        len: pos,
    })
}

/// Takes a gzip file apart and inflates it, refusing to produce more than `max_output` bytes.
///
/// Every member's header is parsed and its trailer (CRC-32 and ISIZE) verified; concatenated
/// members are inflated one after the other as `gzip -d` does. Bytes after the last member that
/// do not start another member are counted in [`GzipInfo::trailing_bytes`], not rejected, so a
/// diff can report them.
pub fn inflate_gzip(bytes: &[u8], max_output: u64) -> Result<(GzipInfo, Vec<u8>), GzipError> {
    let mut out = Vec::new();
    let mut members = Vec::new();
    let mut pos = 0usize;
    loop {
        let base = pos as u64;
        // `pos` is 0 or just past a trailer that was read from `bytes`; `header.len` bytes of
        // header were parsed from there, so both ranges are in `bytes`.
        let header = parse_header_at(bytes.get(pos..).unwrap_or_default(), base)?;
        let body = bytes.get(pos + header.len..).unwrap_or_default();
        let mut decoder = flate2::bufread::DeflateDecoder::new(body);
        let start_len = out.len() as u64;
        let budget = max_output.saturating_sub(start_len);
        let read = (&mut decoder)
            .take(budget.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| {
                GzipError::new(
                    GzipErrorKind::Deflate(e.to_string()),
                    base + header.len as u64,
                )
            })?;
        if read as u64 > budget {
            return Err(GzipError::new(
                GzipErrorKind::TooLarge { limit: max_output },
                base,
            ));
        }
        let deflate_len = decoder.total_in();
        let trailer_at = pos + header.len + deflate_len as usize;
        let Some(&[c0, c1, c2, c3, s0, s1, s2, s3]) = bytes.get(trailer_at..trailer_at + 8) else {
            return Err(GzipError::new(
                GzipErrorKind::Truncated("trailer"),
                bytes.len() as u64,
            ));
        };
        let stored_crc = u32::from_le_bytes([c0, c1, c2, c3]);
        let stored_size = u32::from_le_bytes([s0, s1, s2, s3]);
        // `out` held `start_len` bytes before this member was inflated onto its end.
        let data = out.get(start_len as usize..).unwrap_or_default();
        let mut crc = flate2::Crc::new();
        crc.update(data);
        if crc.sum() != stored_crc {
            return Err(GzipError::new(
                GzipErrorKind::CrcMismatch {
                    stored: stored_crc,
                    computed: crc.sum(),
                },
                trailer_at as u64,
            ));
        }
        let computed_size = (data.len() as u64 & 0xffff_ffff) as u32;
        if computed_size != stored_size {
            return Err(GzipError::new(
                GzipErrorKind::SizeMismatch {
                    stored: stored_size,
                    computed: computed_size,
                },
                trailer_at as u64 + 4,
            ));
        }
        members.push(GzipMember {
            offset: base,
            header,
            deflate_len,
            crc32: stored_crc,
            isize: stored_size,
        });
        pos = trailer_at + 8;
        if !is_gzip(bytes.get(pos..).unwrap_or_default()) {
            break;
        }
    }
    let info = GzipInfo {
        members,
        trailing_bytes: (bytes.len() - pos) as u64,
        decompressed_len: out.len() as u64,
    };
    Ok((info, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8], builder: flate2::GzBuilder, level: u32) -> Vec<u8> {
        let mut enc = builder.write(Vec::new(), flate2::Compression::new(level));
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn deterministic_header_matches_what_flate2_writes() {
        for level in [0, 1, 6, 9] {
            let bytes = gz(
                b"abc",
                flate2::GzBuilder::new().mtime(0).operating_system(255),
                level,
            );
            let parsed = GzipHeader::parse(&bytes).unwrap();
            assert_eq!(parsed, GzipHeader::deterministic(level), "level {level}");
        }
    }

    #[test]
    fn parses_every_optional_field() {
        let bytes = gz(
            b"hello",
            flate2::GzBuilder::new()
                .mtime(1_700_000_000)
                .operating_system(3)
                .filename("x.tar")
                .comment("made by hand")
                .extra(vec![b'A', b'B', 2, 0, 7, 8]),
            6,
        );
        let h = GzipHeader::parse(&bytes).unwrap();
        assert_eq!(h.mtime, 1_700_000_000);
        assert_eq!(h.os_name(), "unix");
        assert_eq!(h.name.as_deref(), Some(&b"x.tar"[..]));
        assert_eq!(h.comment.as_deref(), Some(&b"made by hand"[..]));
        assert_eq!(h.extra.as_deref(), Some(&[b'A', b'B', 2, 0, 7, 8][..]));
        assert_eq!(h.flags, FNAME | FCOMMENT | FEXTRA);
        assert_eq!(h.len, 10 + 2 + 6 + 6 + 13);
        let (info, data) = inflate_gzip(&bytes, 1 << 20).unwrap();
        assert_eq!(data, b"hello");
        assert_eq!(info.members.len(), 1);
        assert_eq!(info.trailing_bytes, 0);
        assert!(h.to_string().contains("name=\"x.tar\""));
    }

    #[test]
    fn header_crc_is_checked() {
        // Hand-made header with FHCRC: magic, CM, FLG=FHCRC, MTIME, XFL, OS, CRC16.
        let mut header = vec![0x1f, 0x8b, 8, FHCRC, 0, 0, 0, 0, 0, 255];
        let mut crc = flate2::Crc::new();
        crc.update(&header);
        let good = (crc.sum() & 0xffff) as u16;
        header.extend_from_slice(&good.to_le_bytes());
        assert_eq!(GzipHeader::parse(&header).unwrap().header_crc, Some(good));
        let last = header.len() - 1;
        header[last] ^= 0xff;
        let err = GzipHeader::parse(&header).unwrap_err();
        assert!(matches!(
            err.kind(),
            GzipErrorKind::HeaderCrcMismatch { .. }
        ));
    }

    #[test]
    fn multi_member_and_trailing_bytes() {
        let mut bytes = gz(b"one ", flate2::GzBuilder::new(), 6);
        bytes.extend(gz(b"two", flate2::GzBuilder::new().mtime(5), 1));
        bytes.extend_from_slice(&[0, 0, 0]);
        let (info, data) = inflate_gzip(&bytes, 100).unwrap();
        assert_eq!(data, b"one two");
        assert_eq!(info.members.len(), 2);
        assert_eq!(info.members[1].header.mtime, 5);
        assert_eq!(info.members[1].header.xfl, 4);
        assert_eq!(info.trailing_bytes, 3);
        assert_eq!(info.decompressed_len, 7);
    }

    #[test]
    fn errors_are_typed_with_offsets() {
        let good = gz(&[7u8; 4096], flate2::GzBuilder::new(), 6);
        assert_eq!(
            inflate_gzip(b"PK\x03\x04", 10).unwrap_err().kind(),
            &GzipErrorKind::NotGzip
        );
        let truncated = &good[..good.len() - 3];
        assert!(matches!(
            inflate_gzip(truncated, 1 << 20).unwrap_err().kind(),
            GzipErrorKind::Truncated(_) | GzipErrorKind::Deflate(_)
        ));
        let mut bad_crc = good.clone();
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 1;
        let err = inflate_gzip(&bad_crc, 1 << 20).unwrap_err();
        assert!(matches!(err.kind(), GzipErrorKind::CrcMismatch { .. }));
        assert_eq!(err.offset(), at as u64);
        let mut bad_size = good.clone();
        let at = bad_size.len() - 1;
        bad_size[at] ^= 1;
        assert!(matches!(
            inflate_gzip(&bad_size, 1 << 20).unwrap_err().kind(),
            GzipErrorKind::SizeMismatch { .. }
        ));
        assert_eq!(
            inflate_gzip(&good, 4095).unwrap_err().kind(),
            &GzipErrorKind::TooLarge { limit: 4095 }
        );
        let mut reserved = good.clone();
        reserved[3] = 0x80;
        assert_eq!(
            GzipHeader::parse(&reserved).unwrap_err().kind(),
            &GzipErrorKind::ReservedFlags(0x80)
        );
        let mut method = good;
        method[2] = 7;
        assert_eq!(
            GzipHeader::parse(&method).unwrap_err().kind(),
            &GzipErrorKind::UnsupportedMethod(7)
        );
    }

    #[test]
    fn header_serde_round_trip() {
        let h = GzipHeader::deterministic(9);
        let json = serde_json::to_string(&h).unwrap();
        let back: GzipHeader = serde_json::from_str(&json).unwrap();
        assert_eq!(h, back);
    }
}
