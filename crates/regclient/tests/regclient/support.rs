//! Loopback test servers: a small threaded HTTP/1.1 server with scripted replies (for the
//! protocols no installable server implements, and for fault injection), and helpers to find
//! and start the real registry servers.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does.
pub enum Reply {
    /// A complete response.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Close the connection without answering.
    Reset,
    /// Announce `declared` bytes, send `body`, close.
    Truncate { declared: u64, body: Vec<u8> },
    /// Send `body` in `chunk`-byte pieces with `delay` between them.
    Slow {
        body: Vec<u8>,
        chunk: usize,
        delay: Duration,
    },
}

impl Reply {
    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply::status(200, body)
    }
    pub fn json(status: u16, v: &serde_json::Value) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(v).unwrap(),
        }
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Reply {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((k.to_owned(), v.to_owned()));
        }
        self
    }
}

type Handler = dyn Fn(&Req) -> Reply + Send + Sync;

pub struct TestServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    log: Arc<Mutex<Vec<Req>>>,
}

impl TestServer {
    pub fn start(handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (s2, l2) = (Arc::clone(&stop), Arc::clone(&log));
        let handle = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, l) = (Arc::clone(&handler), Arc::clone(&l2));
                std::thread::spawn(move || serve(conn, &*h, &l));
            }
        });
        TestServer {
            addr,
            stop,
            handle: Some(handle),
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }

    pub fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn serve(conn: TcpStream, handler: &Handler, log: &Mutex<Vec<Req>>) {
    let _ = conn.set_nodelay(true);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(20)));
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut w = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, path) = (method.to_owned(), path.to_owned());
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let req = Req {
            method,
            path,
            headers,
            body,
        };
        log.lock().unwrap().push(req.clone());
        let head_only = req.method == "HEAD";
        match handler(&req) {
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} X\r\n");
                for (k, v) in &headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                if w.write_all(out.as_bytes()).is_err() {
                    return;
                }
                if !head_only && status != 304 && w.write_all(&body).is_err() {
                    return;
                }
                let _ = w.flush();
            }
            Reply::Reset => return,
            Reply::Truncate { declared, body } => {
                let _ = write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\n\r\n");
                let _ = w.write_all(&body);
                let _ = w.flush();
                return;
            }
            Reply::Slow { body, chunk, delay } => {
                let _ = write!(
                    w,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                for c in body.chunks(chunk) {
                    if w.write_all(c).is_err() || w.flush().is_err() {
                        return;
                    }
                    std::thread::sleep(delay);
                }
                return;
            }
        }
    }
}

/// A static file server: path -> body, with strong ETags and 304 on `If-None-Match`.
pub type Files = Arc<Mutex<HashMap<String, Vec<u8>>>>;

pub fn etag_of(body: &[u8]) -> String {
    let d = artidigest::digest_bytes(body, &[artidigest::Algorithm::Sha256]);
    format!(
        "\"{}\"",
        &d.get(artidigest::Algorithm::Sha256).unwrap().to_hex()[..16]
    )
}

pub fn static_server(files: Files) -> TestServer {
    TestServer::start(move |req| {
        let path = req.path.split('?').next().unwrap_or("");
        let files = files.lock().unwrap();
        match files.get(path) {
            Some(body) => {
                let etag = etag_of(body);
                if req.header("if-none-match") == Some(etag.as_str()) {
                    return Reply::status(304, Vec::new()).with_header("ETag", &etag);
                }
                Reply::ok(body.clone()).with_header("ETag", &etag)
            }
            None => Reply::status(404, "not found"),
        }
    })
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn cache_dir() -> PathBuf {
    std::env::var_os("RELKIT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/relkit"))
}

/// The server binary at `path`, or: fail under `CI=true`, skip loudly elsewhere.
pub fn require_server(what: &str, path: PathBuf) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{what} not found at {} (CI=true requires it; run scripts/install-test-servers.sh)",
            path.display()
        );
    }
    eprintln!(
        "SKIPPED: {what} not found at {} (run scripts/install-test-servers.sh)",
        path.display()
    );
    None
}

/// A child process killed on drop.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Requests a test server is answering at once, and the most there ever were.
#[derive(Default)]
pub struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    /// A request starts.
    pub fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }

    /// A request ends.
    pub fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    /// The most requests there were at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// Runs `cmd` to completion, panicking with its stderr (after `what`) when it fails.
pub fn run_ok(cmd: &mut std::process::Command, what: &str) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Starts `server` with its output discarded and waits until `ping` answers (a panic after
/// `timeout`).
pub fn start_server(server: &mut std::process::Command, ping: &str, timeout: Duration) -> Child {
    let spawned = server
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Child(spawned);
    wait_until_up(ping, timeout, &mut child);
    child
}

/// Waits until `url` answers anything, or panics after `timeout`.
fn wait_until_up(url: &str, timeout: Duration, child: &mut Child) {
    let start = std::time::Instant::now();
    let agent = agent_timing_out(Duration::from_secs(2));
    while start.elapsed() < timeout {
        if agent.get(url).call().is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("server exited early with {status} while waiting for {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{url} did not come up within {timeout:?}");
}

pub fn agent() -> ureq::Agent {
    agent_timing_out(Duration::from_secs(30))
}

/// An agent without proxy that returns error statuses as answers and gives up after `timeout`.
fn agent_timing_out(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .proxy(None)
        .build()
        .into()
}

pub fn sha256(b: &[u8]) -> artidigest::Digest {
    artidigest::Digest::of(artidigest::Algorithm::Sha256, b)
}

/// A client with short timeouts for tests.
pub fn client() -> regclient::HttpClient {
    regclient::HttpClient::builder()
        .proxy_from_env(false)
        .request_timeout(Duration::from_secs(10))
        .deadline(Duration::from_secs(20))
        .retry(regclient::RetryPolicy::new(
            3,
            Duration::from_millis(20),
            Duration::from_secs(2),
        ))
        .build()
}

/// Files in `dir` (names), sorted.
pub fn dir_names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` under a `tracing` subscriber at `regclient=debug` and returns what it logged.
pub fn logged(f: impl FnOnce()) -> String {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("regclient=debug")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
}
