//! Bundle JSON parser: never panics; a bundle that parses also inspects, and inspection says
//! "unverified".
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = attest::Bundle::from_json(data) {
        assert!(
            !b.tlog_entries.is_empty(),
            "a parsed bundle has a log entry"
        );
        let i = attest::inspect_bundle(data).expect("a parsed bundle must inspect");
        assert!(i.unverified);
        assert_eq!(i.tlog_entries.len(), b.tlog_entries.len());
    }
});
