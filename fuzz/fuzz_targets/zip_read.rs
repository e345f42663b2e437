//! Zip reader: never panics; an accepted archive has only safe normalised paths, entry sizes
//! equal the bytes hashed, and reading it twice gives the same listing.
#![no_main]

use artidigest::{Algorithm, Format, Limits, list_archive};
use libfuzzer_sys::fuzz_target;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_entries = 1000;
    l.max_total_size = 4 << 20;
    l.max_entry_size = 4 << 20;
    l
}

fuzz_target!(|data: &[u8]| {
    let first = list_archive(std::io::Cursor::new(data), Format::Zip, &limits(), &[Algorithm::Sha256]);
    if let Ok(listing) = first {
        for e in &listing.entries {
            let p = &e.entry.path;
            assert!(!p.starts_with('/') && !p.split('/').any(|c| c == ".." || c.is_empty()), "{p:?}");
            assert_eq!(e.digests.size(), e.entry.size);
        }
        let again = list_archive(std::io::Cursor::new(data), Format::Zip, &limits(), &[Algorithm::Sha256])
            .expect("second read must succeed");
        assert_eq!(again, listing);
    }
});
