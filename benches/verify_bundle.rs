//! Verifications per second of a keyless v0.3 bundle against a pre-parsed trust root.
//!
//! Uses the shared conformance vector `happy-path-v0.3` (public-good trust root: P-384 Fulcio
//! intermediate, P-256 leaf, SCT, SET, inclusion proof, checkpoint). Run:
//! `cargo bench --bench verify_bundle`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs,
    reason = "bench code; criterion's macros generate undocumented items"
)]

use std::hint::black_box;
use std::path::PathBuf;

use attest::{Artifact, Bundle, IdentityPolicy, Policy, TrustedRoot, Verifier};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("RELKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    dir.join("vectors/sigstore")
        .is_dir()
        .then(|| dir.join("vectors/sigstore"))
}

fn bench(c: &mut Criterion) {
    let Some(dir) = shared() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("shared vectors not found (CI=true)");
        }
        println!("SKIPPED: verify_bundle bench: shared vectors not found");
        return;
    };
    let root = TrustedRoot::from_file(dir.join("trusted_roots/public-good.json")).unwrap();
    let bundle_bytes =
        std::fs::read(dir.join("conformance/happy-path-v0.3/bundle.sigstore.json")).unwrap();
    let artifact = std::fs::read(dir.join("artifacts/a.txt")).unwrap();
    let verifier = Verifier::new(root);
    let policy = Policy::Identity(IdentityPolicy::exact(
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
        "https://token.actions.githubusercontent.com",
    ));
    let bundle = Bundle::from_json(&bundle_bytes).unwrap();
    verifier
        .verify(&bundle, &Artifact::Bytes(&artifact), &policy)
        .unwrap();

    let mut g = c.benchmark_group("verify_bundle");
    g.throughput(Throughput::Elements(1));
    g.bench_function("keyless_v0.3_parse_and_verify", |b| {
        b.iter(|| {
            let bundle = Bundle::from_json(black_box(&bundle_bytes)).unwrap();
            black_box(
                verifier
                    .verify(&bundle, &Artifact::Bytes(&artifact), &policy)
                    .unwrap(),
            );
        });
    });
    g.bench_function("keyless_v0.3_verify_preparsed", |b| {
        b.iter(|| {
            black_box(
                verifier
                    .verify(black_box(&bundle), &Artifact::Bytes(&artifact), &policy)
                    .unwrap(),
            )
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
