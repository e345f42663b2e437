//! Digest parsers: any accepted string formats to a canonical form that parses back equal.
#![no_main]

use artidigest::Digest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(d) = s.parse::<Digest>() {
        for form in [d.to_oci(), d.to_sri(), d.to_record()] {
            let back: Digest = form.parse().expect("canonical form must parse");
            assert_eq!(back, d, "{form}");
        }
    }
    for token in [Digest::from_oci(s), Digest::from_sri(s), Digest::from_record(s)] {
        if let Ok(d) = token {
            assert_eq!(d.to_string().parse::<Digest>().ok(), Some(d));
        }
    }
});
