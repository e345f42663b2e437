//! Trusted-root JSON (validity dates included): never panics; an accepted root's validity
//! windows are ordered.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = attest::TrustedRoot::from_json(data) {
        for key in root.tlogs().iter().chain(root.ctlogs()) {
            let v = key.valid_for();
            assert!(v.end.is_none_or(|e| v.start <= e), "window {v:?} is reversed");
        }
        for ca in root.certificate_authorities().iter().chain(root.timestamp_authorities()) {
            let v = ca.valid_for();
            assert!(v.end.is_none_or(|e| v.start <= e), "window {v:?} is reversed");
        }
    }
});
