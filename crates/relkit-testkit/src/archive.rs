//! Archive bytes written by hand: a ustar header and a gzip member of stored blocks, for entries
//! that artidigest's repack writer rightly refuses to write (a `..` path, for one).

/// A ustar header for a regular file `name` of `size` bytes (mode 0644, uid/gid 0, mtime 0),
/// with its checksum. A `name` longer than 100 bytes is cut at 100.
pub fn ustar_header(name: &str, size: u64) -> Vec<u8> {
    tar_header(name, size, b'0', "")
}

/// A ustar header of any type (`b'0'` file, `b'1'` hardlink, `b'2'` symlink, `b'5'` folder,
/// `b'6'` FIFO...) naming `link` as its link target, with its checksum. Names and link
/// targets longer than 100 bytes are cut at 100.
pub fn tar_header(name: &str, size: u64, typeflag: u8, link: &str) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let mut put = |at: usize, field: &[u8]| {
        let end = (at + field.len()).min(at + 100);
        if let (Some(dst), Some(src)) = (h.get_mut(at..end), field.get(..end - at)) {
            dst.copy_from_slice(src);
        }
    };
    put(0, name.as_bytes());
    put(
        100,
        if typeflag == b'5' {
            b"0000755\0"
        } else {
            b"0000644\0"
        },
    );
    put(108, b"0000000\0");
    put(116, b"0000000\0");
    put(124, format!("{size:011o}\0").as_bytes());
    put(136, b"00000000000\0");
    put(148, b"        ");
    put(156, &[typeflag]);
    put(157, link.as_bytes());
    put(257, b"ustar\0");
    put(263, b"00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let field = format!("{sum:06o}\0 ");
    if let Some(dst) = h.get_mut(148..156) {
        dst.copy_from_slice(field.as_bytes());
    }
    h
}

/// One entry of a hand-written archive: nothing is checked, so any path and any link target
/// go in (that is the point: these are the archives a hostile release would ship).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawEntry {
    /// A regular file and its bytes.
    File(String, Vec<u8>),
    /// A folder.
    Dir(String),
    /// A symbolic link and its target.
    Symlink(String, String),
    /// A hard link and the entry it names.
    Hardlink(String, String),
}

impl RawEntry {
    /// A regular file.
    pub fn file(path: &str, bytes: &[u8]) -> Self {
        RawEntry::File(path.to_owned(), bytes.to_vec())
    }
    /// A folder.
    pub fn dir(path: &str) -> Self {
        RawEntry::Dir(path.to_owned())
    }
    /// A symbolic link `path -> target`.
    pub fn symlink(path: &str, target: &str) -> Self {
        RawEntry::Symlink(path.to_owned(), target.to_owned())
    }
    /// A hard link `path` to the entry `target`.
    pub fn hardlink(path: &str, target: &str) -> Self {
        RawEntry::Hardlink(path.to_owned(), target.to_owned())
    }
}

/// A plain (uncompressed) ustar archive of `entries`, in order, ended by two zero blocks.
pub fn raw_tar(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        match e {
            RawEntry::File(p, bytes) => {
                out.extend_from_slice(&tar_header(p, bytes.len() as u64, b'0', ""));
                out.extend_from_slice(bytes);
                out.resize(out.len().div_ceil(512) * 512, 0);
            }
            RawEntry::Dir(p) => out.extend_from_slice(&tar_header(p, 0, b'5', "")),
            RawEntry::Symlink(p, t) => out.extend_from_slice(&tar_header(p, 0, b'2', t)),
            RawEntry::Hardlink(p, t) => out.extend_from_slice(&tar_header(p, 0, b'1', t)),
        }
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// A zip of `entries` in stored (uncompressed) form, written byte by byte with Unix modes in
/// the external attributes ("made by" Unix), so that symlinks are what `unzip` restores as
/// symlinks (their content is the target). Hard links have no zip form: they are written as
/// symlinks.
pub fn raw_zip(entries: &[RawEntry]) -> Vec<u8> {
    let members: Vec<ZipMember> = entries
        .iter()
        .map(|e| match e {
            RawEntry::File(p, b) => ZipMember::stored(p, b),
            RawEntry::Dir(p) => ZipMember {
                unix_mode: 0o040_755,
                ..ZipMember::stored(&format!("{}/", p.trim_end_matches('/')), &[])
            },
            RawEntry::Symlink(p, t) | RawEntry::Hardlink(p, t) => ZipMember {
                unix_mode: 0o120_777,
                ..ZipMember::stored(p, t.as_bytes())
            },
        })
        .collect();
    zip_members(&members)
}

/// `data` as one gzip member of stored (uncompressed) deflate blocks, with its CRC-32 and size.
pub fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        // A chunk is at most 0xffff bytes long.
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    // ISIZE is the input size modulo 2^32.
    out.extend_from_slice(&((data.len() & 0xffff_ffff) as u32).to_le_bytes());
    out
}

/// CRC-32 (IEEE 802.3, reflected), bit by bit: slow and obviously right.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// One zip member as [`zip_members`] writes it, every field public so that a test can make it
/// lie (a wrong CRC or size, a flag, a mode): the one hand-written zip writer of the workspace.
/// Every member is dated 1980-01-01 00:00 and "made by" Unix, version 2.0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipMember {
    /// The entry name, written as given (`..`, absolute, anything).
    pub name: String,
    /// The compression method: 0 stored, 8 deflated.
    pub method: u16,
    /// The CRC-32 written in both headers.
    pub crc: u32,
    /// The bytes written after the local header (compressed with `method`).
    pub compressed: Vec<u8>,
    /// The uncompressed size written in both headers.
    pub uncompressed_len: u32,
    /// The Unix mode in the high half of the external attributes (`0o100_644` a file,
    /// `0o040_755` a folder, `0o120_777` a symlink).
    pub unix_mode: u32,
    /// The general-purpose flags.
    pub flags: u16,
}

/// `n` as a little-endian u16, saturated (a test writes what it is given).
fn le16(n: usize) -> [u8; 2] {
    u16::try_from(n).unwrap_or(u16::MAX).to_le_bytes()
}

/// `n` as a little-endian u32, saturated.
fn le32(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes()
}

impl ZipMember {
    /// A regular file (mode 0644) holding `data` stored, with its true CRC-32 and size.
    pub fn stored(name: &str, data: &[u8]) -> Self {
        ZipMember {
            name: name.to_owned(),
            method: 0,
            crc: crc32(data),
            compressed: data.to_vec(),
            uncompressed_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
            unix_mode: 0o100_644,
            flags: 0,
        }
    }

    /// A regular file (mode 0644) of `deflated` bytes (method 8) said to inflate to
    /// `uncompressed_len` bytes with CRC-32 `crc`: the caller compresses, and may lie.
    pub fn deflated(name: &str, deflated: Vec<u8>, crc: u32, uncompressed_len: u32) -> Self {
        ZipMember {
            name: name.to_owned(),
            method: 8,
            crc,
            compressed: deflated,
            uncompressed_len,
            unix_mode: 0o100_644,
            flags: 0,
        }
    }

    /// The same member under another name.
    pub fn renamed(&self, name: &str) -> Self {
        ZipMember {
            name: name.to_owned(),
            ..self.clone()
        }
    }

    /// The fields the local and the central header share, from "version needed" to the name
    /// length (flags, method, time, date, CRC-32, sizes).
    fn common_fields(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&20u16.to_le_bytes());
        h.extend_from_slice(&self.flags.to_le_bytes());
        h.extend_from_slice(&self.method.to_le_bytes());
        // 00:00, 1980-01-01.
        h.extend_from_slice(&[0, 0, 0x21, 0]);
        h.extend_from_slice(&self.crc.to_le_bytes());
        h.extend_from_slice(&le32(self.compressed.len()));
        h.extend_from_slice(&self.uncompressed_len.to_le_bytes());
        h.extend_from_slice(&le16(self.name.len()));
        h
    }

    /// The local file header (signature to name; no extra field).
    pub fn local_header(&self) -> Vec<u8> {
        let mut h = b"PK\x03\x04".to_vec();
        h.extend_from_slice(&self.common_fields());
        h.extend_from_slice(&[0, 0]);
        h.extend_from_slice(self.name.as_bytes());
        h
    }

    /// The central directory record naming a local header at `offset`.
    pub fn central(&self, offset: u32) -> Vec<u8> {
        // Made by Unix (3), version 2.0.
        let mut h = b"PK\x01\x02\x14\x03".to_vec();
        h.extend_from_slice(&self.common_fields());
        // Extra and comment lengths, disk, internal attributes.
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&(self.unix_mode << 16).to_le_bytes());
        h.extend_from_slice(&offset.to_le_bytes());
        h.extend_from_slice(self.name.as_bytes());
        h
    }
}

/// The end-of-central-directory record: `entries` entries on this disk and in all,
/// a central directory of `cd_size` bytes at `cd_offset`, no comment.
pub fn zip_eocd(entries: u16, cd_size: u32, cd_offset: u32) -> Vec<u8> {
    let mut h = b"PK\x05\x06\x00\x00\x00\x00".to_vec();
    h.extend_from_slice(&entries.to_le_bytes());
    h.extend_from_slice(&entries.to_le_bytes());
    h.extend_from_slice(&cd_size.to_le_bytes());
    h.extend_from_slice(&cd_offset.to_le_bytes());
    h.extend_from_slice(&[0, 0]);
    h
}

/// A zip of `members` in order: local headers and data, the central directory, the end
/// record.
pub fn zip_members(members: &[ZipMember]) -> Vec<u8> {
    zip_members_with(members, &|_, m, offset| m.central(offset))
}

/// [`zip_members`] with each central record written by `central(index, member, offset)`, given
/// the member's true local header offset (return another record to make the two disagree).
pub fn zip_members_with(
    members: &[ZipMember],
    central: &dyn Fn(usize, &ZipMember, u32) -> Vec<u8>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut records = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
        records.extend_from_slice(&central(i, m, offset));
        out.extend_from_slice(&m.local_header());
        out.extend_from_slice(&m.compressed);
    }
    let cd_offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&records);
    let count = u16::try_from(members.len()).unwrap_or(u16::MAX);
    let cd_size = u32::try_from(records.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&zip_eocd(count, cd_size, cd_offset));
    out
}

/// The CRC-32 (IEEE) of `data`, as zip and gzip write it.
pub fn crc32_ieee(data: &[u8]) -> u32 {
    crc32(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_checksum_and_fields_are_what_tar_reads() {
        let h = ustar_header("a/b.txt", 0o1234);
        assert_eq!(&h[..7], b"a/b.txt");
        assert_eq!(&h[124..136], b"00000001234\0");
        let stored: u32 =
            u32::from_str_radix(std::str::from_utf8(&h[148..154]).unwrap_or_default(), 8)
                .unwrap_or_default();
        let mut blank = h.clone();
        blank[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, blank.iter().map(|&b| u32::from(b)).sum::<u32>());
    }

    #[test]
    fn stored_gzip_inflates_to_its_input() {
        for data in [&b""[..], b"hello", &[7u8; 70_000]] {
            let gz = gzip_stored(data);
            let back = artidigest::inflate_gzip(&gz, 1 << 20).map(|(_, bytes)| bytes);
            assert_eq!(back.ok().as_deref(), Some(data));
        }
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn zip_members_list_as_written_and_a_lying_central_record_is_refused() {
        let list = |bytes: &[u8]| {
            artidigest::list_archive(
                std::io::Cursor::new(bytes),
                artidigest::Format::Zip,
                &artidigest::Limits::default(),
                &[],
            )
        };
        let bytes = raw_zip(&[
            RawEntry::dir("pkg"),
            RawEntry::file("pkg/a.txt", b"hello"),
            RawEntry::symlink("pkg/b", "a.txt"),
        ]);
        let listing = list(&bytes).map_err(|e| e.to_string());
        let rows: Vec<(String, artidigest::EntryKind, u64)> = listing
            .iter()
            .flat_map(|l| &l.entries)
            .map(|e| (e.entry.path.clone(), e.entry.kind, e.entry.size))
            .collect();
        assert_eq!(
            rows,
            [
                ("pkg".to_owned(), artidigest::EntryKind::Dir, 0),
                ("pkg/a.txt".to_owned(), artidigest::EntryKind::File, 5),
                ("pkg/b".to_owned(), artidigest::EntryKind::Symlink, 5),
            ],
            "{listing:?}"
        );
        // A central record that disagrees with its local header is refused.
        let good = ZipMember::stored("a.txt", b"hello");
        let mut lying = good.clone();
        lying.crc ^= 1;
        assert!(list(&zip_members(std::slice::from_ref(&good))).is_ok());
        let bytes = zip_members_with(&[good], &|_, _, offset| lying.central(offset));
        assert!(list(&bytes).is_err());
        assert_eq!(crc32_ieee(b"123456789"), 0xcbf4_3926);
    }
}
