//! Archive reading throughput: a generated tar.gz read and every entry sha256-hashed, with
//! inflate pipelined on a second thread against everything on one thread.
//!
//! Under `cargo bench` the archive holds 256 MiB of content (override with
//! `RELKIT_ARCHIVE_BENCH_MIB`, e.g. 1024 for the 1 GiB figure); under `cargo test -p relkit-benches --benches`
//! (a smoke run) it is tiny. Two extra modes, used to measure peak RSS with `/usr/bin/time -v`:
//! `RELKIT_ARCHIVE_WRITE=<path>` streams a generated tar.gz of `RELKIT_ARCHIVE_BENCH_MIB` to a
//! file, and `RELKIT_ARCHIVE_HASH=<path>` hashes every entry of a tar.gz file; both then exit.

use std::hint::black_box;
use std::io::{Cursor, Read, Write};

use artidigest::{
    Algorithm, Format, Limits, MultiHasher, list_archive, visit_tar_gz, visit_tar_gz_single_thread,
};
use criterion::{Criterion, Throughput, criterion_group};
use relkit_testkit::bench::full_run;

#[path = "common/cpu.rs"]
mod cpu;
use cpu::cpu_seconds;

fn content_mib() -> u64 {
    std::env::var("RELKIT_ARCHIVE_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full_run() { 256 } else { 2 })
}

/// Text-like content (words from a small vocabulary, in lines), which deflates about 3:1 like
/// source code and documentation do.
struct TextGen(u64);

impl TextGen {
    const WORDS: [&'static [u8]; 24] = [
        b"fn", b"let", b"mut", b"self", b"return", b"match", b"impl", b"struct", b"pub", b"use",
        b"archive", b"entry", b"digest", b"reader", b"limits", b"error", b"0x1f8b", b"=>", b"{",
        b"}", b"(", b")", b"release", b"verify",
    ];

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn fill(&mut self, buf: &mut Vec<u8>, len: usize) {
        buf.clear();
        while buf.len() < len {
            let r = self.next();
            buf.extend_from_slice(Self::WORDS[(r % 24) as usize]);
            // Identifiers with numbers keep the stream from being trivially repetitive.
            if r & 0x300 == 0 {
                buf.extend_from_slice(format!("_{}", (r >> 20) % 10_000).as_bytes());
            }
            buf.push(if r & 0xf000 == 0 { b'\n' } else { b' ' });
        }
        buf.truncate(len);
    }
}

/// Writes a tar.gz with `mib` MiB of content in files of 64 KiB to 4 MiB; returns the content
/// size.
fn generate<W: Write>(out: W, mib: u64) -> u64 {
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::new(6));
    let mut builder = tar::Builder::new(gz);
    let mut generator = TextGen(0x9e37_79b9_7f4a_7c15);
    let mut buf = Vec::new();
    let total = mib << 20;
    let mut written = 0u64;
    let mut i = 0u64;
    while written < total {
        let size = [64 << 10, 1 << 20, 4 << 20, 256 << 10][(i % 4) as usize].min(total - written);
        generator.fill(&mut buf, size as usize);
        let mut header = tar::Header::new_ustar();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("bench/d{}/f{i}.txt", i / 64), &buf[..])
            .unwrap();
        written += size;
        i += 1;
    }
    builder.into_inner().unwrap().finish().unwrap();
    written
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_total_size = u64::MAX;
    l
}

/// The sha256 of one entry's content, read through `buf`; returns the bytes hashed.
fn hash_entry(content: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<u64> {
    let mut h = MultiHasher::new(&[Algorithm::Sha256]);
    loop {
        let n = content.read(buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(black_box(h.finish()).size())
}

fn hash_all_pipelined(bytes: &[u8]) -> u64 {
    let mut total = 0;
    let mut buf = vec![0u8; 128 * 1024];
    visit_tar_gz(bytes, &limits(), |_, content| {
        total += hash_entry(content, &mut buf)?;
        Ok(())
    })
    .unwrap();
    total
}

fn tar_gz_hash(c: &mut Criterion) {
    let mut archive = Vec::new();
    let content = generate(&mut archive, content_mib());
    let mut g = c.benchmark_group("tar_gz_hash_every_entry");
    g.throughput(Throughput::Bytes(content));
    g.sample_size(10);
    g.bench_function("pipelined", |b| {
        b.iter(|| assert_eq!(hash_all_pipelined(black_box(&archive)), content))
    });
    g.bench_function("list_archive", |b| {
        b.iter(|| {
            let listing = list_archive(
                Cursor::new(black_box(&archive[..])),
                Format::TarGz,
                &limits(),
                &[Algorithm::Sha256],
            )
            .unwrap();
            assert_eq!(listing.summary.content_size, content);
        })
    });
    g.bench_function("single_thread", |b| {
        b.iter(|| {
            let mut total = 0;
            visit_tar_gz_single_thread(black_box(&archive[..]), &limits(), |_, content| {
                let mut h = MultiHasher::new(&[Algorithm::Sha256]);
                std::io::copy(content, &mut h)?;
                total += h.finish().size();
                Ok(())
            })
            .unwrap();
            assert_eq!(total, content);
        })
    });
    g.finish();
}

criterion_group!(benches, tar_gz_hash);

fn main() {
    if let Some(path) = std::env::var_os("RELKIT_ARCHIVE_WRITE") {
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let content = generate(file, content_mib());
        println!(
            "wrote {content} content bytes to {}",
            path.to_string_lossy()
        );
        return;
    }
    if let Some(path) = std::env::var_os("RELKIT_ARCHIVE_HASH") {
        let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
        let start = std::time::Instant::now();
        let mut entries = 0u64;
        let mut total = 0u64;
        let mut buf = vec![0u8; 128 * 1024];
        // `RELKIT_ARCHIVE_SINGLE=1` reads on one thread, for comparison.
        let single = std::env::var_os("RELKIT_ARCHIVE_SINGLE").is_some();
        let visitor = |_: &artidigest::Entry, content: &mut dyn Read| {
            total += hash_entry(content, &mut buf)?;
            entries += 1;
            Ok(())
        };
        let summary = if single {
            visit_tar_gz_single_thread(file, &limits(), visitor)
        } else {
            visit_tar_gz(file, &limits(), visitor)
        }
        .unwrap();
        let secs = start.elapsed().as_secs_f64();
        // CPU seconds of the whole process and of this (parsing + hashing) thread: on a busy
        // machine wall time understates what two free cores give, CPU time does not.
        let (process_cpu, this_thread_cpu) = (
            cpu_seconds("/proc/self/stat"),
            cpu_seconds("/proc/thread-self/stat"),
        );
        let inflate_cpu = process_cpu - this_thread_cpu;
        println!(
            "cpu: parse+hash thread {this_thread_cpu:.2} s, other threads (inflate) {inflate_cpu:.2} s; \
             two free cores would give {:.0} MB/s",
            total as f64 / this_thread_cpu.max(inflate_cpu).max(0.01) / 1e6
        );
        println!(
            "{}: hashed {entries} entries, {total} content bytes ({} compressed) in {secs:.2} s: {:.0} MB/s",
            if single { "one thread" } else { "pipelined" },
            summary.compressed_size,
            total as f64 / secs / 1e6
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
