//! Certificate claims (SANs and Fulcio extensions): never panic; legacy and v2 values that
//! both appear agree (the cross-check held).
#![no_main]

use attest::FulcioExtension as F;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_sans, exts)) = attest::certificate_claims(data) {
        for (a, b) in [
            (F::IssuerV1, F::Issuer),
            (F::GithubWorkflowTriggerV1, F::BuildTrigger),
            (F::GithubWorkflowRefV1, F::SourceRepositoryRef),
        ] {
            if let (Some(x), Some(y)) = (exts.get(&a), exts.get(&b)) {
                assert_eq!(x, y);
            }
        }
    }
});
