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
use relkit_testkit::repack::decode_entries;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_entries = 200;
    l.max_total_size = 4 << 20;
    l.max_entry_size = 1 << 20;
    l
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
        None => decode_entries(rest),
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
