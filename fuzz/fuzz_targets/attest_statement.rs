//! in-toto statement parser: subjects are non-empty and digests round-trip through text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(st) = attest::Statement::from_json(data) {
        assert!(!st.subjects.is_empty());
        for s in &st.subjects {
            for d in &s.digests {
                assert_eq!(d.to_string().parse::<artidigest::Digest>().ok(), Some(*d));
                assert_eq!(st.subjects_covering(&[*d]).is_empty(), false);
            }
        }
    }
});
