//! Verify one bundle N times (for instruction counting with callgrind):
//! `verify_loop BUNDLE ARTIFACT TRUSTED_ROOT IDENTITY ISSUER N [attest|sigstore-verify]`.
//! The trust root is parsed once; each iteration parses the bundle and verifies it. With
//! `sigstore-verify` the same loop runs the Sigstore project's verifier (our test oracle), so
//! both can be counted the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    reason = "measurement script"
)]

use attest::{Artifact, Bundle, IdentityPolicy, Policy, TrustedRoot, Verifier};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    assert!(
        a.len() == 7 || a.len() == 8,
        "usage: verify_loop BUNDLE ARTIFACT TRUSTED_ROOT IDENTITY ISSUER N [attest|sigstore-verify]"
    );
    let bundle = std::fs::read_to_string(&a[1]).unwrap();
    let artifact = std::fs::read(&a[2]).unwrap();
    let root = std::fs::read_to_string(&a[3]).unwrap();
    let n: usize = a[6].parse().unwrap();
    let which = a.get(7).map(String::as_str).unwrap_or("attest");
    let start = std::time::Instant::now();
    match which {
        "attest" => {
            let verifier = Verifier::new(TrustedRoot::from_json(root.as_bytes()).unwrap());
            let policy = Policy::Identity(IdentityPolicy::exact(a[4].clone(), a[5].clone()));
            for _ in 0..n {
                let b = Bundle::from_json(bundle.as_bytes()).unwrap();
                std::hint::black_box(
                    verifier
                        .verify(&b, &Artifact::Bytes(&artifact), &policy)
                        .unwrap(),
                );
            }
        }
        "sigstore-verify" => {
            let root = sigstore_verify::trust_root::TrustedRoot::from_json(&root).unwrap();
            let policy = sigstore_verify::VerificationPolicy::any_identity()
                .require_identity(a[4].clone())
                .require_issuer(a[5].clone());
            for _ in 0..n {
                let b = sigstore_verify::types::Bundle::from_json(&bundle).unwrap();
                std::hint::black_box(
                    sigstore_verify::verify(artifact.as_slice(), &b, &policy, &root).unwrap(),
                );
            }
        }
        other => panic!("unknown verifier {other:?}"),
    }
    let el = start.elapsed();
    println!(
        "{which}: {n} verifications in {el:?} ({:.0}/s wall)",
        n as f64 / el.as_secs_f64().max(1e-9)
    );
}
