//! crates sparse index lines: accepted files name only the asked crate, one entry per
//! non-empty line, and every checksum re-encodes to the hex it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = regclient::crates::parse_index("fuzz", "demo", data) {
        let lines = data.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count();
        assert!(entries.len() <= lines);
        for e in &entries {
            assert!(e.name.eq_ignore_ascii_case("demo"));
            let hex = e.cksum.to_hex();
            assert_eq!(artidigest::Digest::from_hex(artidigest::Algorithm::Sha256, &hex).ok(), Some(e.cksum));
            let url = regclient::crates::expand_dl("http://127.0.0.1:1/{prefix}/{crate}/{version}", &e.name, &e.vers, &e.cksum);
            assert!(url.starts_with("http://127.0.0.1:1/"));
        }
    }
});
