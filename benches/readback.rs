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

use artidigest::{Algorithm, digest_bytes};
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

fn readback_throughput(c: &mut Criterion) {
    const N: usize = 8;
    // `cargo test --benches` runs each bench once without `--bench`: keep that smoke run small.
    let full = std::env::args().any(|a| a == "--bench");
    let size: usize = if full { 16 * 1024 * 1024 } else { 256 * 1024 };
    let files: Files = Arc::default();
    let mut published = Vec::new();
    let addr = serve(Arc::clone(&files), Arc::default());
    for i in 0..N {
        let body: Vec<u8> = (0..size)
            .map(|j| {
                (j as u32)
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(i as u32) as u8
            })
            .collect();
        let d = digest_bytes(&body, &[Algorithm::Sha256]);
        let name = format!("file-{i}.bin");
        published.push(PublishedFile {
            name: name.clone(),
            url: format!("http://{addr}/{name}"),
            size: Some(size as u64),
            digests: vec![*d.get(Algorithm::Sha256).unwrap()],
            yanked: false,
            media_type: None,
        });
        files
            .lock()
            .unwrap()
            .insert(format!("/{name}"), (Arc::new(body), format!("\"{i}\"")));
    }
    let http = client();
    let mut g = c.benchmark_group("readback");
    g.throughput(Throughput::Bytes((N * size) as u64));
    g.sample_size(10);
    g.bench_function("fetch_all 8x16MiB sha256, 4 concurrent", |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().unwrap();
            let r = fetch_all(&http, &published, dir.path(), FetchOptions::default());
            assert!(r.iter().all(Result::is_ok));
            black_box(r);
        });
    });
    g.finish();
    // Peak resident set of the whole bench process so far (files are streamed, never held).
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        eprintln!(
            "bench process peak RSS ({line}); includes the {} MiB the in-process server holds",
            (N * size) >> 20
        );
    }
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
