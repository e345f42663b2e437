//! Tar reader: never panics; an accepted archive has only safe normalised paths, and reading it
//! twice gives the same entries and digests.
#![no_main]

use artidigest::{Format, Limits};
use libfuzzer_sys::fuzz_target;

mod archive_listing;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_entries = 1000;
    l.max_total_size = 4 << 20;
    l
}

fuzz_target!(|data: &[u8]| {
    if let Some(listing) = archive_listing::listed_twice(data, Format::Tar, &limits()) {
        assert_eq!(listing.summary.entries, listing.entries.len());
    }
});
