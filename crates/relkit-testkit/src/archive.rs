//! Archive bytes written by hand: a ustar header and a gzip member of stored blocks, for entries
//! that artidigest's repack writer rightly refuses to write (a `..` path, for one).

/// A ustar header for a regular file `name` of `size` bytes (mode 0644, uid/gid 0, mtime 0),
/// with its checksum. A `name` longer than 100 bytes is cut at 100.
pub fn ustar_header(name: &str, size: u64) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let mut put = |at: usize, field: &[u8]| {
        let end = (at + field.len()).min(at + 100);
        if let (Some(dst), Some(src)) = (h.get_mut(at..end), field.get(..end - at)) {
            dst.copy_from_slice(src);
        }
    };
    put(0, name.as_bytes());
    put(100, b"0000644\0");
    put(108, b"0000000\0");
    put(116, b"0000000\0");
    put(124, format!("{size:011o}\0").as_bytes());
    put(136, b"00000000000\0");
    put(148, b"        ");
    put(156, b"0");
    put(257, b"ustar\0");
    put(263, b"00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let field = format!("{sum:06o}\0 ");
    if let Some(dst) = h.get_mut(148..156) {
        dst.copy_from_slice(field.as_bytes());
    }
    h
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
}
