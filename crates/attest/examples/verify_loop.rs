//! Verify one bundle N times (for instruction counting with callgrind):
//! `verify_loop BUNDLE ARTIFACT TRUSTED_ROOT IDENTITY ISSUER N`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "measurement script"
)]

use attest::{Artifact, Bundle, IdentityPolicy, Policy, TrustedRoot, Verifier};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    assert_eq!(
        a.len(),
        7,
        "usage: verify_loop BUNDLE ARTIFACT TRUSTED_ROOT IDENTITY ISSUER N"
    );
    let bundle = std::fs::read(&a[1]).unwrap();
    let artifact = std::fs::read(&a[2]).unwrap();
    let verifier = Verifier::new(TrustedRoot::from_file(&a[3]).unwrap());
    let policy = Policy::Identity(IdentityPolicy::exact(a[4].clone(), a[5].clone()));
    let n: usize = a[6].parse().unwrap();
    let start = std::time::Instant::now();
    for _ in 0..n {
        let b = Bundle::from_json(&bundle).unwrap();
        std::hint::black_box(
            verifier
                .verify(&b, &Artifact::Bytes(&artifact), &policy)
                .unwrap(),
        );
    }
    let el = start.elapsed();
    println!(
        "{n} verifications in {el:?} ({:.0}/s wall)",
        n as f64 / el.as_secs_f64().max(1e-9)
    );
}
