//! Verifications per second of a keyless v0.3 bundle against a pre-parsed trust root, next to
//! `sigstore-verify` (the Sigstore project's Rust verifier, our test oracle) on the same bundle.
//!
//! Uses the shared conformance vector `happy-path-v0.3` (public-good trust root: P-384 Fulcio
//! intermediate, P-256 leaf, SCT, SET, inclusion proof, checkpoint). Run:
//! `cargo bench -p relkit-benches --bench verify_bundle`. Besides criterion's figures it prints a same-run ratio:
//! both verifiers timed in alternating rounds, so machine load hits both alike.
//! `cargo test -p relkit-benches --benches` runs every function once and one short round (smoke mode).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use attest::{Artifact, Bundle, IdentityPolicy, Policy, TrustedRoot, Verifier};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The shared Sigstore vectors (`RELKIT_SHARED`, else beside the checkout).
fn shared() -> Option<PathBuf> {
    relkit_testkit::shared_folder(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        "vectors/sigstore/manifest.json",
        "verify_bundle bench",
    )
    .map(|dir| dir.join("vectors/sigstore"))
}

/// Both verifiers, set up once on the same inputs.
struct Inputs {
    bundle_json: String,
    artifact: Vec<u8>,
    ours: Verifier,
    policy: Policy,
    oracle_root: sigstore_verify::trust_root::TrustedRoot,
    oracle_policy: sigstore_verify::VerificationPolicy,
}

impl Inputs {
    fn ours(&self) {
        let bundle = Bundle::from_json(black_box(self.bundle_json.as_bytes())).unwrap();
        black_box(
            self.ours
                .verify(&bundle, &Artifact::Bytes(&self.artifact), &self.policy)
                .unwrap(),
        );
    }

    fn oracle(&self) {
        let bundle =
            sigstore_verify::types::Bundle::from_json(black_box(&self.bundle_json)).unwrap();
        black_box(
            sigstore_verify::verify(
                self.artifact.as_slice(),
                &bundle,
                &self.oracle_policy,
                &self.oracle_root,
            )
            .unwrap(),
        );
    }
}

/// Verifications per second of `f` over about `budget` of wall time.
fn rate(f: impl Fn(), budget: Duration) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while n == 0 || start.elapsed() < budget {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Alternate rounds of both verifiers and print the medians and their ratio.
fn same_run_ratio(inp: &Inputs, smoke: bool) {
    let (rounds, budget) = if smoke {
        (1, Duration::from_millis(1))
    } else {
        (9, Duration::from_millis(400))
    };
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ours.push(rate(|| inp.ours(), budget));
        theirs.push(rate(|| inp.oracle(), budget));
    }
    let (o, t) = (median(ours), median(theirs));
    println!(
        "verify_bundle same-run ratio{}: attest {o:.0}/s, sigstore-verify {t:.0}/s, attest/sigstore-verify = {:.2}x ({rounds} alternating rounds, medians; parse + verify, pre-parsed trust root)",
        if smoke {
            " (smoke, not a measurement)"
        } else {
            ""
        },
        o / t
    );
}

fn bench(c: &mut Criterion) {
    let Some(dir) = shared() else {
        return;
    };
    let root_path = dir.join("trusted_roots/public-good.json");
    let root_json = std::fs::read_to_string(&root_path).unwrap();
    let inp = Inputs {
        bundle_json: std::fs::read_to_string(
            dir.join("conformance/happy-path-v0.3/bundle.sigstore.json"),
        )
        .unwrap(),
        artifact: std::fs::read(dir.join("artifacts/a.txt")).unwrap(),
        ours: Verifier::new(TrustedRoot::from_json(root_json.as_bytes()).unwrap()),
        policy: Policy::Identity(IdentityPolicy::exact(IDENTITY, ISSUER)),
        oracle_root: sigstore_verify::trust_root::TrustedRoot::from_json(&root_json).unwrap(),
        oracle_policy: sigstore_verify::VerificationPolicy::any_identity()
            .require_identity(IDENTITY)
            .require_issuer(ISSUER),
    };
    // Both must accept before anything is timed.
    inp.ours();
    inp.oracle();
    let bundle = Bundle::from_json(inp.bundle_json.as_bytes()).unwrap();
    let oracle_bundle = sigstore_verify::types::Bundle::from_json(&inp.bundle_json).unwrap();

    let mut g = c.benchmark_group("verify_bundle");
    g.throughput(Throughput::Elements(1));
    g.bench_function("keyless_v0.3_parse_and_verify", |b| b.iter(|| inp.ours()));
    g.bench_function("keyless_v0.3_verify_preparsed", |b| {
        b.iter(|| {
            black_box(
                inp.ours
                    .verify(
                        black_box(&bundle),
                        &Artifact::Bytes(&inp.artifact),
                        &inp.policy,
                    )
                    .unwrap(),
            )
        });
    });
    g.bench_function("sigstore_verify_parse_and_verify", |b| {
        b.iter(|| inp.oracle())
    });
    g.bench_function("sigstore_verify_verify_preparsed", |b| {
        b.iter(|| {
            black_box(
                sigstore_verify::verify(
                    inp.artifact.as_slice(),
                    black_box(&oracle_bundle),
                    &inp.oracle_policy,
                    &inp.oracle_root,
                )
                .unwrap(),
            )
        });
    });
    g.finish();
    let smoke = !std::env::args().any(|a| a == "--bench");
    same_run_ratio(&inp, smoke);
}

criterion_group!(benches, bench);
criterion_main!(benches);
