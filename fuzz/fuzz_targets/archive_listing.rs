//! What the tar and zip reader targets check of an accepted archive.

use artidigest::{Algorithm, Format, Limits, Listing, list_archive};

/// Lists `data` as a `format` archive under `limits`. When the reader accepts it, every entry
/// path is safe and normalised, every entry's size is the bytes hashed, and a second read gives
/// the same listing, which is returned.
pub fn listed_twice(data: &[u8], format: Format, limits: &Limits) -> Option<Listing> {
    let listing = list_archive(std::io::Cursor::new(data), format, limits, &[Algorithm::Sha256]).ok()?;
    for e in &listing.entries {
        let p = &e.entry.path;
        assert!(!p.starts_with('/') && !p.split('/').any(|c| c == ".." || c.is_empty()), "{p:?}");
        assert_eq!(e.digests.size(), e.entry.size);
    }
    let again = list_archive(std::io::Cursor::new(data), format, limits, &[Algorithm::Sha256])
        .expect("second read must succeed");
    assert_eq!(again, listing);
    Some(listing)
}
