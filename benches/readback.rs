//! Registry readback benches on loopback: verified download throughput with bounded
//! concurrency, and `exists` for 1,000 crate versions against a sparse index with ETag caching
//! (the second pass sends only conditional requests, answered 304).

use std::collections::HashMap;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use artidigest::Algorithm;
use criterion::{BatchSize, Criterion, Throughput, criterion_main};
use regclient::crates::SparseIndex;
use regclient::{FetchOptions, HttpClient, PublishedFile, fetch_all};

mod common;

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
/// the block repeated, so files differ while the server keeps one shared body on disk.
fn block() -> Vec<u8> {
    common::pseudo_random_bytes(1 << 20)
}

/// What the readback server serves: `/file-<i>.bin` is the 8-byte index `i` followed by the
/// first `size - 8` bytes of `body` (the block repeated), a real file so that the server can
/// hand it to the kernel (`std::io::copy` from a file to a socket is `sendfile` on Linux), as
/// static file servers do.
struct Corpus {
    _dir: tempfile::TempDir,
    body: PathBuf,
    size: u64,
}

impl Corpus {
    fn new(size: u64) -> Corpus {
        let dir = tempfile::tempdir().unwrap();
        let body = dir.path().join("body.bin");
        let block = block();
        let mut w = std::io::BufWriter::new(std::fs::File::create(&body).unwrap());
        let mut left = size.saturating_sub(8);
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            w.write_all(&block[..n]).unwrap();
            left -= n as u64;
        }
        w.flush().unwrap();
        Corpus {
            _dir: dir,
            body,
            size,
        }
    }

    fn head(&self, i: u64) -> Vec<u8> {
        i.to_le_bytes()[..self.size.min(8) as usize].to_vec()
    }

    /// The sha256 of file `i`, computed here from the same bytes the server sends.
    fn sha256(&self, i: u64) -> artidigest::Digest {
        let mut h = artidigest::MultiHasher::new(&[Algorithm::Sha256]);
        h.update(&self.head(i));
        let body = std::fs::File::open(&self.body).unwrap();
        let mut r = body.take(self.size.saturating_sub(8));
        let mut buf = vec![0u8; artidigest::BUFFER_SIZE];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        *h.finish().get(Algorithm::Sha256).unwrap()
    }
}

/// User and system CPU time of the server threads, in clock ticks, from
/// `/proc/thread-self/stat`.
static SERVER_USER: AtomicU64 = AtomicU64::new(0);
static SERVER_SYS: AtomicU64 = AtomicU64::new(0);

/// `utime` and `stime` (clock ticks) of `/proc/<what>/stat`.
fn cpu_ticks(what: &str) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{what}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    (
        f.get(11).copied().unwrap_or(0),
        f.get(12).copied().unwrap_or(0),
    )
}

/// Clock ticks per second of `/proc` times (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

/// Serves the corpus over HTTP/1.1 with keep-alive, one thread per connection (named
/// `bench-server`, so profiles and CPU accounts tell it from the client).
fn serve_corpus(corpus: &Corpus) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (body, size) = (corpus.body.clone(), corpus.size);
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let body = body.clone();
            std::thread::Builder::new()
                .name("bench-server".into())
                .spawn(move || serve_connection(conn, &body, size))
                .unwrap();
        }
    });
    addr
}

fn serve_connection(conn: TcpStream, body: &Path, size: u64) {
    let _ = conn.set_nodelay(true);
    let mut r = BufReader::new(conn.try_clone().unwrap());
    let mut w = conn;
    let mut last = cpu_ticks("thread-self");
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let index: Option<u64> = path
            .strip_prefix("/file-")
            .and_then(|p| p.strip_suffix(".bin"))
            .and_then(|p| p.parse().ok());
        let mut h = String::new();
        loop {
            h.clear();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h.trim_end().is_empty() {
                break;
            }
        }
        let ok = match (method, index) {
            ("GET" | "HEAD", Some(i)) => {
                let head_bytes = i.to_le_bytes();
                let mut head = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
                if method == "GET" {
                    head.extend_from_slice(&head_bytes[..size.min(8) as usize]);
                }
                w.write_all(&head).is_ok()
                    && (method == "HEAD" || send_body(&w, body, size.saturating_sub(8)).is_ok())
            }
            (_, None) => w
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                .is_ok(),
            _ => w
                .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n\r\n")
                .is_ok(),
        };
        let now = cpu_ticks("thread-self");
        SERVER_USER.fetch_add(now.0 - last.0, Ordering::Relaxed);
        SERVER_SYS.fetch_add(now.1 - last.1, Ordering::Relaxed);
        last = now;
        if !ok {
            return;
        }
    }
}

/// Sends the first `len` bytes of the file at `path`: with `sendfile(2)` on Linux (the page
/// cache goes to the socket without a copy through user space, as static file servers do;
/// `std::io::copy` will not do that for a file into a socket), else through a large buffer.
fn send_body(w: &TcpStream, path: &Path, len: u64) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    #[cfg(target_os = "linux")]
    {
        let mut offset = 0u64;
        while offset < len {
            let chunk = usize::try_from(len - offset)
                .unwrap_or(usize::MAX)
                .min(1 << 30);
            if rustix::fs::sendfile(w, &file, Some(&mut offset), chunk)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut r = std::io::BufReader::with_capacity(1 << 20, file.take(len));
        let mut w = w;
        let n = std::io::copy(&mut r, &mut w)?;
        if n == len {
            Ok(())
        } else {
            Err(std::io::ErrorKind::UnexpectedEof.into())
        }
    }
}

/// Peak resident set of this process, from `/proc/self/status`.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_owned())
}

fn env_u64(k: &str, d: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn readback_throughput(c: &mut Criterion) {
    // `cargo test -p relkit-benches --benches` runs each bench once without `--bench`: keep that smoke run small.
    // The full run defaults to 8 x 16 MiB; RELKIT_BENCH_FILES / RELKIT_BENCH_FILE_MIB scale it
    // (200 x 10 is the 2 GB case), RELKIT_BENCH_CONCURRENCY sets the bound (default 4)
    // and RELKIT_BENCH_DIR the folder downloads are written to (default: the temp folder).
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full {
        env_u64("RELKIT_BENCH_FILES", 8)
    } else {
        8
    };
    let size: u64 = if full {
        env_u64("RELKIT_BENCH_FILE_MIB", 16) << 20
    } else {
        256 * 1024
    };
    let concurrency = env_u64("RELKIT_BENCH_CONCURRENCY", 4) as usize;
    let out_root = std::env::var_os("RELKIT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let corpus = Corpus::new(size);
    let addr = serve_corpus(&corpus);
    let published: Vec<PublishedFile> = (0..n)
        .map(|i| {
            let name = format!("file-{i}.bin");
            PublishedFile::new(
                name.clone(),
                format!("http://{addr}/{name}"),
                vec![corpus.sha256(i)],
            )
            .with_size(size)
        })
        .collect();
    let http = HttpClient::builder()
        .proxy_from_env(false)
        .max_concurrency(concurrency)
        .build();
    // Returns the folder, so that deleting the downloads is not part of the measurement.
    let fetch = || {
        let dir = tempfile::tempdir_in(&out_root).unwrap();
        let r = fetch_all(&http, &published, dir.path(), FetchOptions::default());
        assert!(
            r.iter().all(Result::is_ok),
            "{:?}",
            r.iter().find(|r| r.is_err())
        );
        black_box(r);
        dir
    };
    let rss_before = peak_rss();
    let mut g = c.benchmark_group("readback");
    g.throughput(Throughput::BytesDecimal(n * size));
    g.sample_size(10);
    let label = format!(
        "fetch_all {n}x{}MiB sha256, {concurrency} concurrent",
        size >> 20
    );
    g.bench_function(label.as_str(), |b| {
        b.iter_batched(|| (), |()| fetch(), BatchSize::PerIteration);
    });
    g.finish();
    eprintln!(
        "readback peak RSS: {} before, {} after {} MiB per iteration (server streams from one file)",
        rss_before.unwrap_or_default(),
        peak_rss().unwrap_or_default(),
        (n * size) >> 20
    );
    // CPU accounting: wall-clock throughput depends on what else runs on the machine; CPU time
    // per GB does much less. The client's share is the process's minus the server threads'.
    let gb = (n * size) as f64 / 1e9;
    for pass in 1..=env_u64("RELKIT_BENCH_CPU_PASSES", if full { 3 } else { 1 }) {
        let (u0, s0) = cpu_ticks("self");
        let (su0, ss0) = (
            SERVER_USER.load(Ordering::Relaxed),
            SERVER_SYS.load(Ordering::Relaxed),
        );
        let t = Instant::now();
        let dir = fetch();
        let wall = t.elapsed().as_secs_f64();
        let (u1, s1) = cpu_ticks("self");
        drop(dir);
        let su = (SERVER_USER.load(Ordering::Relaxed) - su0) as f64 / TICKS;
        let ss = (SERVER_SYS.load(Ordering::Relaxed) - ss0) as f64 / TICKS;
        let user = (u1 - u0) as f64 / TICKS - su;
        let sys = (s1 - s0) as f64 / TICKS - ss;
        eprintln!(
            "readback cpu pass {pass}: {:.0} MB/s wall; client {:.2} CPU-s/GB (user {:.2}, sys {:.2}); server {:.2} CPU-s/GB (user {:.2}, sys {:.2})",
            gb * 1e3 / wall,
            (user + sys) / gb,
            user / gb,
            sys / gb,
            (su + ss) / gb,
            su / gb,
            ss / gb,
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

mod group {
    use super::{exists_with_etags, readback_throughput};
    criterion::criterion_group!(benches, readback_throughput, exists_with_etags);
}
criterion_main!(group::benches);
