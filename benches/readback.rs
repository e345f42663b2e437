//! Registry readback benches on loopback: verified download throughput with bounded
//! concurrency, and `exists` for 1,000 crate versions against a sparse index with ETag caching
//! (the second pass sends only conditional requests, answered 304).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // bench set-up fails loudly

use std::collections::HashMap;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use artidigest::Algorithm;
use criterion::{Criterion, Throughput, criterion_main};
use regclient::crates::SparseIndex;
use regclient::{FetchOptions, HttpClient, PublishedFile, fetch_all};

#[derive(Default)]
struct Counters {
    requests: AtomicUsize,
    conditional: AtomicUsize,
    not_modified: AtomicUsize,
}

type Files = Arc<Mutex<HashMap<String, (Arc<Vec<u8>>, String)>>>;

/// A keep-alive static file server with strong ETags.
fn serve(files: Files, counters: Arc<Counters>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let (f, c) = (Arc::clone(&files), Arc::clone(&counters));
            std::thread::spawn(move || handle(conn, &f, &c));
        }
    });
    addr
}

fn handle(conn: TcpStream, files: &Files, c: &Counters) {
    let _ = conn.set_nodelay(true);
    let mut r = BufReader::new(conn.try_clone().unwrap());
    let mut w = conn;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut inm = None;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("if-none-match")
            {
                inm = Some(v.trim().to_owned());
            }
        }
        c.requests.fetch_add(1, Ordering::Relaxed);
        let found = files.lock().unwrap().get(&path).cloned();
        let ok = match found {
            None => w
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                .is_ok(),
            Some((body, etag)) => {
                if inm.is_some() {
                    c.conditional.fetch_add(1, Ordering::Relaxed);
                }
                if inm.as_deref() == Some(etag.as_str()) {
                    c.not_modified.fetch_add(1, Ordering::Relaxed);
                    w.write_all(
                        format!(
                            "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .is_ok()
                } else {
                    w.write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nETag: {etag}\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .is_ok()
                        && w.write_all(&body).is_ok()
                }
            }
        };
        if !ok {
            return;
        }
    }
}

fn client() -> HttpClient {
    HttpClient::builder()
        .proxy_from_env(false)
        .max_concurrency(4)
        .build()
}

/// One pseudo-random 1 MiB block; file `i` is its index (8 bytes, little endian) followed by
/// the block repeated, so files differ and the server holds 1 MiB whatever the total.
fn block() -> Arc<Vec<u8>> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    Arc::new(
        (0..1 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect(),
    )
}

fn for_each_chunk(block: &[u8], i: u64, size: u64, mut f: impl FnMut(&[u8]) -> bool) {
    let head = i.to_le_bytes();
    if !f(&head[..size.min(8) as usize]) {
        return;
    }
    let mut left = size.saturating_sub(8);
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        if !f(&block[..n]) {
            return;
        }
        left -= n as u64;
    }
}

/// Serves `/file-<i>.bin` of `size` bytes, generated on the fly.
fn serve_generated(block: Arc<Vec<u8>>, size: u64) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let block = Arc::clone(&block);
            std::thread::spawn(move || {
                let _ = conn.set_nodelay(true);
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut w = conn;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        if h.trim_end().is_empty() {
                            break;
                        }
                    }
                    let i: u64 = path
                        .trim_start_matches("/file-")
                        .trim_end_matches(".bin")
                        .parse()
                        .unwrap_or(0);
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n");
                    if w.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                    let mut ok = true;
                    for_each_chunk(&block, i, size, |c| {
                        ok = w.write_all(c).is_ok();
                        ok
                    });
                    if !ok {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// Peak resident set of this process, from `/proc/self/status`.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_owned())
}

fn readback_throughput(c: &mut Criterion) {
    // `cargo test --benches` runs each bench once without `--bench`: keep that smoke run small.
    // The full run defaults to 8 x 16 MiB; RELKIT_BENCH_FILES / RELKIT_BENCH_FILE_MIB scale it
    // (200 x 10 is the 2 GB case).
    let full = std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let n = if full {
        env("RELKIT_BENCH_FILES", 8)
    } else {
        8
    };
    let size: u64 = if full {
        env("RELKIT_BENCH_FILE_MIB", 16) << 20
    } else {
        256 * 1024
    };
    let block = block();
    let addr = serve_generated(Arc::clone(&block), size);
    let published: Vec<PublishedFile> = (0..n)
        .map(|i| {
            let mut h = artidigest::MultiHasher::new(&[Algorithm::Sha256]);
            for_each_chunk(&block, i, size, |c| {
                h.update(c);
                true
            });
            let name = format!("file-{i}.bin");
            PublishedFile {
                url: format!("http://{addr}/{name}"),
                name,
                size: Some(size),
                digests: vec![*h.finish().get(Algorithm::Sha256).unwrap()],
                yanked: false,
                media_type: None,
            }
        })
        .collect();
    let http = client();
    let rss_before = peak_rss();
    let mut g = c.benchmark_group("readback");
    g.throughput(Throughput::Bytes(n * size));
    g.sample_size(10);
    let label = format!("fetch_all {n}x{}MiB sha256, 4 concurrent", size >> 20);
    g.bench_function(label.as_str(), |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().unwrap();
            let r = fetch_all(&http, &published, dir.path(), FetchOptions::default());
            assert!(r.iter().all(Result::is_ok));
            black_box(r);
        });
    });
    g.finish();
    eprintln!(
        "readback peak RSS: {} before, {} after {} MiB per iteration (server holds 1 MiB)",
        rss_before.unwrap_or_default(),
        peak_rss().unwrap_or_default(),
        (n * size) >> 20
    );
}

fn exists_with_etags(c: &mut Criterion) {
    const N: usize = 1000;
    let files: Files = Arc::default();
    let counters = Arc::new(Counters::default());
    let addr = serve(Arc::clone(&files), Arc::clone(&counters));
    let names: Vec<String> = (0..N).map(|i| format!("crate-{i:04}")).collect();
    {
        let mut f = files.lock().unwrap();
        f.insert(
            "/index/config.json".into(),
            (
                Arc::new(format!("{{\"dl\":\"http://{addr}/dl\"}}").into_bytes()),
                "\"cfg\"".into(),
            ),
        );
        for (i, n) in names.iter().enumerate() {
            let line = format!(
                "{{\"name\":\"{n}\",\"vers\":\"1.0.{i}\",\"deps\":[],\"cksum\":\"{}\",\"features\":{{}},\"yanked\":false}}\n",
                "ab".repeat(32)
            );
            let path = regclient::crates::index_path(n).unwrap();
            f.insert(
                format!("/index/{path}"),
                (Arc::new(line.into_bytes()), format!("\"e{i}\"")),
            );
        }
    }
    let idx = SparseIndex::new(client(), &format!("http://{addr}/index/")).unwrap();
    // First pass fills the cache; the second must be conditional only.
    for (i, n) in names.iter().enumerate() {
        assert!(idx.exists(n, &format!("1.0.{i}")).unwrap());
    }
    let before = counters.requests.load(Ordering::Relaxed);
    let (cond0, nm0) = (
        counters.conditional.load(Ordering::Relaxed),
        counters.not_modified.load(Ordering::Relaxed),
    );
    for (i, n) in names.iter().enumerate() {
        assert!(idx.exists(n, &format!("1.0.{i}")).unwrap());
    }
    let sent = counters.requests.load(Ordering::Relaxed) - before;
    let cond = counters.conditional.load(Ordering::Relaxed) - cond0;
    let nm = counters.not_modified.load(Ordering::Relaxed) - nm0;
    assert_eq!(
        (sent, cond, nm),
        (N, N, N),
        "second pass was not all conditional 304s"
    );
    eprintln!("exists x{N}, second pass: {sent} requests, {cond} conditional, {nm} answered 304");

    let mut g = c.benchmark_group("exists");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("exists x1000 (ETag-cached, 304s)", |b| {
        b.iter(|| {
            for (i, n) in names.iter().enumerate() {
                black_box(idx.exists(n, &format!("1.0.{i}")).unwrap());
            }
        });
    });
    g.finish();
}

#[allow(missing_docs)] // criterion generates the group function
mod group {
    use super::{exists_with_etags, readback_throughput};
    criterion::criterion_group!(benches, readback_throughput, exists_with_etags);
}
criterion_main!(group::benches);
