//! Repacking is idempotent and loses nothing: for an archive (tar, tar.gz, zip) or an entry list
//! decoded from the input, a successful repack repacks to the same bytes, and the repacked
//! archive's entries (path, kind, content or link target, executable bit) equal the input's.
#![no_main]

use std::collections::BTreeMap;
use std::io::Cursor;

use artidigest::{
    Format, Limits, RepackEntry, RepackKind, RepackOptions, read_archive_entries, repack_bytes,
    repack_entries,
};
use libfuzzer_sys::fuzz_target;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_entries = 200;
    l.max_total_size = 4 << 20;
    l.max_entry_size = 1 << 20;
    l
}

/// Entries from a byte string: [name_len, name.., kind, exec, content_len, content..]*.
fn decode(mut data: &[u8]) -> Vec<RepackEntry> {
    let mut out = Vec::new();
    while data.len() >= 4 && out.len() < 32 {
        let name_len = usize::from(data[0] % 12) + 1;
        let Some(name) = data.get(1..1 + name_len) else { break };
        let path: String = name.iter().map(|b| ['a', 'b', 'c', '/'][usize::from(b % 4)]).collect();
        let rest = &data[1 + name_len..];
        let (Some(&kind), Some(&exec), Some(&len)) = (rest.first(), rest.get(1), rest.get(2)) else {
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
        out.push(entry.with_mode(if exec % 2 == 1 { 0o755 } else { 0o644 }).with_mtime(u64::from(exec) * 1_000_003));
        data = &rest[3 + len..];
    }
    out
}

/// What repacking must preserve. Hard links compare as copies of their target.
fn canonical(entries: &[RepackEntry]) -> BTreeMap<String, (u8, Vec<u8>, bool)> {
    let files: BTreeMap<&str, &Vec<u8>> = entries
        .iter()
        .filter_map(|e| match &e.kind {
            RepackKind::File(d) => Some((e.path.trim_end_matches('/'), d)),
            _ => None,
        })
        .collect();
    entries
        .iter()
        .map(|e| {
            let path = e.path.trim_end_matches('/').to_owned();
            let exec = e.mode & 0o111 != 0;
            let v = match &e.kind {
                RepackKind::File(d) => (0, d.clone(), exec),
                RepackKind::Directory => (1, Vec::new(), false),
                RepackKind::Symlink(t) => (2, t.clone().into_bytes(), false),
                RepackKind::Hardlink(t) => (0, files.get(t.as_str()).map(|d| (*d).clone()).unwrap_or_default(), exec),
                _ => (9, Vec::new(), false),
            };
            (path, v)
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let format = [Format::Tar, Format::TarGz, Format::Zip][usize::from(selector % 3)];
    let opts = RepackOptions::new(format).with_limits(limits());
    let input = match Format::sniff(rest) {
        Some(f) => match read_archive_entries(Cursor::new(rest), f, &limits()) {
            Ok(entries) => entries,
            Err(_) => return,
        },
        None => decode(rest),
    };
    let Ok(once) = repack_entries(input.clone(), &opts) else { return };
    let twice = repack_bytes(&once.bytes, Some(format), &opts).expect("repacked output must repack");
    assert_eq!(once.bytes, twice.bytes, "repack∘repack is not byte-identical");
    let back = read_archive_entries(Cursor::new(&once.bytes), format, &limits()).expect("repacked output must read");
    let mut expected = canonical(&input);
    // Executable bits only matter for files; symlinks lose their mode.
    for v in expected.values_mut() {
        if v.0 != 0 {
            v.2 = false;
        }
    }
    assert_eq!(canonical(&back), expected, "the entry list changed");
});
