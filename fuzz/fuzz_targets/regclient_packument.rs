//! npm packuments: accepted documents yield digests without panicking, and every version
//! reported as unpublished is not served.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = serde_json::from_slice::<regclient::npm::Packument>(data) {
        for v in p.versions.values() {
            if let Ok(ds) = v.digests() {
                for d in ds {
                    assert_eq!(artidigest::Digest::from_sri(&d.to_sri()).ok(), Some(d));
                }
            }
            let _ = v.deprecation();
        }
        for u in p.unpublished_versions() {
            assert!(!p.versions.contains_key(&u) || p.time.get("unpublished").is_some());
        }
    }
});
