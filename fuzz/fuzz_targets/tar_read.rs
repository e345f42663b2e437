//! Tar reader: never panics; an accepted archive has only safe normalised paths, and reading it
//! twice gives the same entries and digests.
#![no_main]

use artidigest::{Algorithm, Format, Limits, list_archive};
use libfuzzer_sys::fuzz_target;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_entries = 1000;
    l.max_total_size = 4 << 20;
    l
}

fuzz_target!(|data: &[u8]| {
    let first = list_archive(std::io::Cursor::new(data), Format::Tar, &limits(), &[Algorithm::Sha256]);
    if let Ok(listing) = first {
        for e in &listing.entries {
            let p = &e.entry.path;
            assert!(!p.starts_with('/') && !p.split('/').any(|c| c == ".." || c.is_empty()), "{p:?}");
            assert_eq!(e.digests.size(), e.entry.size);
        }
        assert_eq!(listing.summary.entries, listing.entries.len());
        let again = list_archive(std::io::Cursor::new(data), Format::Tar, &limits(), &[Algorithm::Sha256])
            .expect("second read must succeed");
        assert_eq!(again, listing);
    }
});
