//! Repack throughput: deterministic tar, tar.gz (levels 6 and 9) and zip written from an
//! in-memory entry list, and a tar.gz read back through the safe reader and repacked.
//!
//! Under `cargo bench` the input is 2,000 files of 16 KiB of text-like data (32 MiB; override the
//! file count with `RELKIT_BENCH_FILES`); under `cargo test -p relkit-benches --benches` (a smoke run) it is tiny.

use std::hint::black_box;

use artidigest::{Format, RepackEntry, RepackOptions, repack_bytes, repack_entries};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use relkit_testkit::bench::input_size;

/// Text-like content (words from a small vocabulary), compressible about as well as source code.
fn entries() -> (Vec<RepackEntry>, u64) {
    let files = input_size("RELKIT_BENCH_FILES", 2_000, 20);
    let words = [
        "fn ", "let ", "match ", "self", "=> ", "Some(", "None", ");\n", "    ", "impl ", "pub ",
        "x", "y", "value", "entry", "{\n", "}\n", "// ", "the ", "error",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut total = 0;
    let mut out = Vec::with_capacity(files);
    for i in 0..files {
        let mut data = Vec::with_capacity(16 * 1024);
        while data.len() < 16 * 1024 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            data.extend_from_slice(words[(state % words.len() as u64) as usize].as_bytes());
        }
        total += data.len() as u64;
        out.push(
            RepackEntry::file(format!("pkg-1.0.0/src/m{}/f{i:05}.rs", i % 37), data)
                .with_mtime(1_700_000_000 + i as u64)
                .with_owner(1000, 1000, "builder", "builder"),
        );
    }
    (out, total)
}

fn write(c: &mut Criterion) {
    let (input, bytes) = entries();
    let mut g = c.benchmark_group("repack-write");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    for (name, opts) in [
        ("tar", RepackOptions::new(Format::Tar)),
        (
            "tar.gz-level6",
            RepackOptions::new(Format::TarGz).with_level(6),
        ),
        ("tar.gz-level9", RepackOptions::new(Format::TarGz)),
        ("zip-level6", RepackOptions::new(Format::Zip).with_level(6)),
        ("cargo-profile", RepackOptions::cargo()),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| repack_entries(black_box(input.clone()), &opts).unwrap())
        });
    }
    g.finish();
}

fn read_and_repack(c: &mut Criterion) {
    let (input, bytes) = entries();
    let opts = RepackOptions::new(Format::TarGz).with_level(6);
    let archive = repack_entries(input, &opts).unwrap().bytes;
    let mut g = c.benchmark_group("repack-archive");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("tar.gz-to-tar.gz-level6", |b| {
        b.iter(|| repack_bytes(black_box(&archive), Some(Format::TarGz), &opts).unwrap())
    });
    g.finish();
}

criterion_group!(benches, write, read_and_repack);
criterion_main!(benches);
