//! Byte-level builders for tar, gzip and zip test archives, including ones no well-behaved
//! writer would produce (`..` paths, lying PAX sizes, overlapping zip entries).

use std::io::{Cursor, Write};

use artidigest::{Algorithm, Format, Limits, Listing, list_archive};

use flate2::{Compress, Compression, Crc, FlushCompress};

/// Writes `value` as zero-padded octal filling `field` minus its terminating NUL.
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let s = format!("{value:0width$o}");
    field[..width].copy_from_slice(s.as_bytes());
    field[width] = 0;
}

/// A ustar header block.
pub(crate) fn tar_header(name: &str, typeflag: u8, size: u64, link: &str) -> [u8; 512] {
    let mut h = [0u8; 512];
    assert!(name.len() <= 100 && link.len() <= 100);
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(
        &mut h[100..108],
        if typeflag == b'5' { 0o755 } else { 0o644 },
    );
    octal(&mut h[108..116], 1000);
    octal(&mut h[116..124], 1000);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 1_700_000_000);
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..269].copy_from_slice(b"user");
    h[297..302].copy_from_slice(b"group");
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|&b| b as u64).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

/// One PAX record with its self-inclusive length prefix.
pub(crate) fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    format!("{len}{body}")
}

/// A tar stream under construction.
#[derive(Default)]
pub(crate) struct Tar {
    pub(crate) buf: Vec<u8>,
}

impl Tar {
    pub(crate) fn new() -> Self {
        Tar::default()
    }

    /// An entry with a header and content padded to the block size.
    pub(crate) fn entry(&mut self, name: &str, typeflag: u8, data: &[u8], link: &str) -> &mut Self {
        self.entry_sized(name, typeflag, data.len() as u64, data, link)
    }

    /// An entry whose header size may differ from the bytes written.
    pub(crate) fn entry_sized(
        &mut self,
        name: &str,
        typeflag: u8,
        size: u64,
        data: &[u8],
        link: &str,
    ) -> &mut Self {
        self.buf
            .extend_from_slice(&tar_header(name, typeflag, size, link));
        self.buf.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.buf.extend(std::iter::repeat_n(0u8, pad));
        self
    }

    pub(crate) fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(name, b'0', data, "")
    }

    pub(crate) fn dir(&mut self, name: &str) -> &mut Self {
        self.entry(name, b'5', b"", "")
    }

    pub(crate) fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(name, b'2', b"", target)
    }

    pub(crate) fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(name, b'1', b"", target)
    }

    /// A PAX extended header (`x`) for the next entry.
    pub(crate) fn pax(&mut self, records: &[(&str, &str)]) -> &mut Self {
        let body: String = records.iter().map(|(k, v)| pax_record(k, v)).collect();
        self.entry("PaxHeaders/x", b'x', body.as_bytes(), "")
    }

    /// The two end-of-archive blocks.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        out.extend_from_slice(&[0u8; 1024]);
        out
    }
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

pub(crate) use relkit_testkit::archive::{
    ZipMember as ZipEntry, zip_eocd as eocd, zip_members as zip, zip_members_with as zip_with,
};

/// `data` deflated (level 6) as one zip member with its true CRC-32 and size.
pub(crate) fn deflated(name: &str, data: &[u8]) -> ZipEntry {
    ZipEntry::deflated(
        name,
        deflate(data),
        relkit_testkit::archive::crc32_ieee(data),
        data.len() as u32,
    )
}

/// A raw deflate stream inflating to `chunk` repeated `times` times, and its CRC-32: `chunk`
/// compressed once (full flush: byte-aligned, no back-references across it), that block
/// repeated, then a final fixed-Huffman block holding only end-of-block. A 1 GiB entry costs
/// about 1 MiB of blocks.
pub(crate) fn repeated_deflate(chunk: &[u8], times: u64) -> (Vec<u8>, u32) {
    let mut c = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(64 << 10);
    c.compress_vec(chunk, &mut block, FlushCompress::Full)
        .unwrap();
    assert_eq!(
        c.total_in(),
        chunk.len() as u64,
        "one call compresses the whole chunk"
    );
    let mut out = Vec::with_capacity(block.len() * times as usize + 2);
    for _ in 0..times {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&[0x03, 0x00]);
    let mut one = Crc::new();
    one.update(chunk);
    let mut crc = Crc::new();
    for _ in 0..times {
        crc.combine(&one);
    }
    (out, crc.sum())
}

/// Asserts that the kind of the archive error `err` matches `pattern` (an `if` guard may
/// follow), showing the error when it does not.
macro_rules! assert_kind {
    ($err:expr, $($pattern:tt)+) => {{
        let err = &$err;
        assert!(matches!(err.kind(), $($pattern)+), "{err}");
    }};
}
pub(crate) use assert_kind;

/// The listing of `bytes` read as `format` under the default limits, with SHA-256 digests.
pub(crate) fn list_sha256(bytes: &[u8], format: Format) -> Listing {
    list_archive(
        Cursor::new(bytes),
        format,
        &Limits::default(),
        &[Algorithm::Sha256],
    )
    .unwrap()
}
