//! Zip reader: never panics; an accepted archive has only safe normalised paths, entry sizes
//! equal the bytes hashed, and reading it twice gives the same listing.
#![no_main]

use artidigest::{Format, Limits};
use libfuzzer_sys::fuzz_target;

mod archive_listing;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_entries = 1000;
    l.max_total_size = 4 << 20;
    l.max_entry_size = 4 << 20;
    l
}

fuzz_target!(|data: &[u8]| {
    archive_listing::listed_twice(data, Format::Zip, &limits());
});
