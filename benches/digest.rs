//! Digest throughput: sha256 of a large buffer, one multi-algorithm pass against separate
//! passes, and checksum-file verification over many small files.
//!
//! Under `cargo bench` the buffer is 1 GiB (override with `RELKIT_BENCH_BYTES`); under
//! `cargo test -p relkit-benches --benches` (a smoke run) every input is tiny.

use std::hint::black_box;

use artidigest::checksums::{Style, VerifyOptions};
use artidigest::{Algorithm, ChecksumFile, digest_bytes, digest_reader, verify_folder};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use relkit_testkit::bench::{full_run, input_size};

mod common;

fn buffer_len() -> usize {
    input_size("RELKIT_BENCH_BYTES", 1 << 30, 64 * 1024)
}

fn buffer(len: usize) -> Vec<u8> {
    // Cheap, incompressible-enough pattern; hashing speed does not depend on content.
    common::pseudo_random_bytes(len)
}

fn sha256_large(c: &mut Criterion) {
    let len = buffer_len();
    let data = buffer(len);
    let mut g = c.benchmark_group("sha256");
    g.throughput(Throughput::Bytes(len as u64));
    g.sample_size(10);
    g.bench_function("buffer", |b| {
        b.iter(|| digest_bytes(black_box(&data), &[Algorithm::Sha256]))
    });
    // Through the streaming reader, as files are hashed.
    g.bench_function("reader", |b| {
        b.iter(|| digest_reader(black_box(&data[..]), &[Algorithm::Sha256]).unwrap())
    });
    g.finish();
}

fn multi_vs_separate(c: &mut Criterion) {
    let len = buffer_len() / 4;
    let data = buffer(len);
    let algs = [Algorithm::Sha256, Algorithm::Sha512, Algorithm::Sha1];
    let mut g = c.benchmark_group("sha256+sha512+sha1");
    g.throughput(Throughput::Bytes(len as u64));
    g.sample_size(10);
    g.bench_function("one-pass", |b| {
        b.iter(|| digest_reader(black_box(&data[..]), &algs).unwrap())
    });
    g.bench_function("three-passes", |b| {
        b.iter(|| {
            for a in algs {
                black_box(digest_reader(black_box(&data[..]), &[a]).unwrap());
            }
        })
    });
    g.finish();
}

fn checksum_folder(c: &mut Criterion) {
    let files = if full_run() { 10_000 } else { 20 };
    let dir = tempfile::tempdir().unwrap();
    for i in 0..files {
        std::fs::write(
            dir.path().join(format!("f{i:05}.bin")),
            buffer(1024 + i % 4096),
        )
        .unwrap();
    }
    let sums = ChecksumFile::for_folder(dir.path(), Algorithm::Sha256, Style::Text, None).unwrap();
    std::fs::write(dir.path().join("SHA256SUMS"), sums.to_string()).unwrap();
    let mut g = c.benchmark_group("checksum-file");
    g.throughput(Throughput::Elements(files as u64));
    g.sample_size(10);
    g.bench_function(format!("verify-{files}-files"), |b| {
        b.iter(|| {
            let text = std::fs::read_to_string(dir.path().join("SHA256SUMS")).unwrap();
            let sums = ChecksumFile::parse(&text).unwrap();
            let v = verify_folder(
                dir.path(),
                &sums,
                Some("SHA256SUMS"),
                VerifyOptions::default(),
            )
            .unwrap();
            assert!(v.ok);
        })
    });
    g.finish();
}

criterion_group!(benches, sha256_large, multi_vs_separate, checksum_folder);
criterion_main!(benches);
