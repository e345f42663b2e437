//! Checksum-file parser: whatever parses writes back to text that parses to the same entries,
//! and no accepted entry can name a path outside the folder.
#![no_main]

use artidigest::ChecksumFile;
use artidigest::checksums::ParseOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for opts in [ParseOptions::default(), ParseOptions::lenient()] {
        let Ok(file) = ChecksumFile::parse_named(data, "fuzz", opts) else { continue };
        for e in &file.entries {
            assert!(!e.name.starts_with('/'), "absolute name accepted: {:?}", e.name);
            assert!(!e.name.split('/').any(|c| c == ".."), "'..' accepted: {:?}", e.name);
        }
        let text = file.to_string();
        let again = ChecksumFile::parse(&text).expect("written form must parse");
        assert_eq!(again.entries.len(), file.entries.len());
        for (a, b) in again.entries.iter().zip(&file.entries) {
            assert_eq!((&a.name, a.digest, a.style), (&b.name, b.digest, b.style));
        }
    }
});
