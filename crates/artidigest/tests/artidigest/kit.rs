//! Byte-level builders for tar, gzip and zip test archives, including ones no well-behaved
//! writer would produce (`..` paths, lying PAX sizes, overlapping zip entries).

use std::io::Write;

use flate2::Crc;

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

pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut c = Crc::new();
    c.update(data);
    c.sum()
}

/// The fields of one zip entry as the builder writes them (patch them to lie).
#[derive(Clone)]
pub(crate) struct ZipEntry {
    pub(crate) name: String,
    pub(crate) method: u16,
    pub(crate) crc: u32,
    pub(crate) compressed: Vec<u8>,
    pub(crate) uncompressed_len: u32,
    pub(crate) unix_mode: u32,
    pub(crate) flags: u16,
}

impl ZipEntry {
    pub(crate) fn stored(name: &str, data: &[u8]) -> Self {
        ZipEntry {
            name: name.into(),
            method: 0,
            crc: crc32(data),
            compressed: data.to_vec(),
            uncompressed_len: data.len() as u32,
            unix_mode: 0o100_644,
            flags: 0,
        }
    }

    pub(crate) fn deflated(name: &str, data: &[u8]) -> Self {
        ZipEntry {
            method: 8,
            compressed: deflate(data),
            ..ZipEntry::stored(name, data)
        }
    }

    pub(crate) fn local_header(&self) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes());
        h.extend_from_slice(&self.flags.to_le_bytes());
        h.extend_from_slice(&self.method.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // time
        h.extend_from_slice(&0x5821u16.to_le_bytes()); // date 2024-01-01
        h.extend_from_slice(&self.crc.to_le_bytes());
        h.extend_from_slice(&(self.compressed.len() as u32).to_le_bytes());
        h.extend_from_slice(&self.uncompressed_len.to_le_bytes());
        h.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(self.name.as_bytes());
        h
    }

    pub(crate) fn central(&self, offset: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        h.extend_from_slice(&(0x0300u16 | 20).to_le_bytes()); // made by Unix
        h.extend_from_slice(&20u16.to_le_bytes());
        h.extend_from_slice(&self.flags.to_le_bytes());
        h.extend_from_slice(&self.method.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&0x5821u16.to_le_bytes());
        h.extend_from_slice(&self.crc.to_le_bytes());
        h.extend_from_slice(&(self.compressed.len() as u32).to_le_bytes());
        h.extend_from_slice(&self.uncompressed_len.to_le_bytes());
        h.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // extra
        h.extend_from_slice(&0u16.to_le_bytes()); // comment
        h.extend_from_slice(&0u16.to_le_bytes()); // disk
        h.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
        h.extend_from_slice(&(self.unix_mode << 16).to_le_bytes());
        h.extend_from_slice(&offset.to_le_bytes());
        h.extend_from_slice(self.name.as_bytes());
        h
    }
}

/// The end-of-central-directory record.
pub(crate) fn eocd(entries: u16, cd_size: u32, cd_offset: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    h.extend_from_slice(&[0u8; 4]);
    h.extend_from_slice(&entries.to_le_bytes());
    h.extend_from_slice(&entries.to_le_bytes());
    h.extend_from_slice(&cd_size.to_le_bytes());
    h.extend_from_slice(&cd_offset.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h
}

/// A well-formed zip of `entries`; `central_override` may replace each central record (given
/// the entry and its real local header offset).
pub(crate) fn zip_with(
    entries: &[ZipEntry],
    central_override: &dyn Fn(usize, &ZipEntry, u32) -> Vec<u8>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(out.len() as u32);
        out.extend_from_slice(&e.local_header());
        out.extend_from_slice(&e.compressed);
    }
    let cd_offset = out.len() as u32;
    for (i, e) in entries.iter().enumerate() {
        out.extend_from_slice(&central_override(i, e, offsets[i]));
    }
    let cd_size = out.len() as u32 - cd_offset;
    out.extend_from_slice(&eocd(entries.len() as u16, cd_size, cd_offset));
    out
}

pub(crate) fn zip(entries: &[ZipEntry]) -> Vec<u8> {
    zip_with(entries, &|_, e, off| e.central(off))
}
