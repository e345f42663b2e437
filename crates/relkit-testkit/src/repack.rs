//! The `repack_idempotent` fuzz target's input decoding, shared with the test that replays its
//! findings, so both read the same bytes as the same entries.

use artidigest::RepackEntry;

/// Entries from a byte string: `[name_len, name.., kind, exec, content_len, content..]*`, at
/// most 32. Names use the letters `a`, `b`, `c` and `/`; kinds are directory, symlink to `a`,
/// hard link to `a` and file; `exec` picks the mode and the mtime.
pub fn decode_entries(mut data: &[u8]) -> Vec<RepackEntry> {
    let mut out = Vec::new();
    while data.len() >= 4 && out.len() < 32 {
        let name_len = usize::from(data[0] % 12) + 1;
        let Some(name) = data.get(1..1 + name_len) else {
            break;
        };
        let path: String = name
            .iter()
            .map(|b| ['a', 'b', 'c', '/'][usize::from(b % 4)])
            .collect();
        let rest = &data[1 + name_len..];
        let (Some(&kind), Some(&exec), Some(&len)) = (rest.first(), rest.get(1), rest.get(2))
        else {
            break;
        };
        let len = usize::from(len).min(rest.len() - 3);
        let content = rest[3..3 + len].to_vec();
        let entry = match kind % 4 {
            0 => RepackEntry::directory(path),
            1 => RepackEntry::symlink(path, "a"),
            2 => RepackEntry::hardlink(path, "a"),
            _ => RepackEntry::file(path, content),
        };
        out.push(
            entry
                .with_mode(if exec % 2 == 1 { 0o755 } else { 0o644 })
                .with_mtime(u64::from(exec) * 1_000_003),
        );
        data = &rest[3 + len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_decode_to_the_entries_they_spell() {
        // name_len 2 ("ab"), file, executable, 3 bytes; then a directory "c".
        let data = [1, 0, 1, 3, 1, 3, b'x', b'y', b'z', 0, 2, 0, 0, 0];
        let entries = decode_entries(&data);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].path, "ab");
        assert_eq!(entries[0].mode, 0o755);
        assert_eq!(
            entries[0].kind,
            artidigest::RepackKind::File(b"xyz".to_vec())
        );
        assert_eq!(entries[1].path, "c");
        assert_eq!(entries[1].kind, artidigest::RepackKind::Directory);
        assert!(decode_entries(&[1, 2]).is_empty());
    }
}
