//! DSSE envelope parser and PAE: PAE frames the payload exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = attest::Envelope::from_json(data) {
        assert!(!env.signatures.is_empty());
        let pae = env.pae();
        let head = format!(
            "DSSEv1 {} {} {} ",
            env.payload_type.len(),
            env.payload_type,
            env.payload.len()
        );
        assert!(pae.starts_with(head.as_bytes()));
        assert_eq!(&pae[head.len()..], env.payload.as_slice());
    }
});
