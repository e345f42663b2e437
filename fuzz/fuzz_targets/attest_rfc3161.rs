//! RFC 3161 token and TSTInfo decoders: never panic; decoded times are plausible.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = attest::timestamp_time(data) {
        assert!(
            t > -62_200_000_000 && t < 253_402_300_800,
            "time {t} outside years 0..9999"
        );
    }
    if let Ok(tst) = attest::parse_tst_info(data) {
        assert!(!tst.policy.is_empty());
    }
});
