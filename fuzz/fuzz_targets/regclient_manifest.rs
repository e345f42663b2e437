//! OCI manifests and indexes: any accepted document has descriptors whose digests round-trip
//! through the OCI spelling.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = serde_json::from_slice::<regclient::oci::Manifest>(data) {
        let all = m.config.iter().chain(&m.layers).chain(&m.manifests).chain(m.subject.iter());
        for d in all {
            assert_eq!(artidigest::Digest::from_oci(&d.digest.to_oci()).ok(), Some(d.digest));
            if let Some(p) = &d.platform {
                let _ = p.to_string().parse::<regclient::oci::Platform>();
            }
        }
    }
});
