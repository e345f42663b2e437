//! Loopback package registries for the demo release and the tests: one small HTTP/1.1 server
//! on `127.0.0.1` speaking three documented protocols.
//!
//! - A Python index: the JSON API (`pypi/<project>/<version>/json`, with `X-PyPI-Last-Serial`)
//!   and the PEP 691 simple API (`simple/<project>/`, `application/vnd.pypi.simple.v1+json`,
//!   PEP 503 HTML otherwise, a redirect to the normalized name), files under `files/`.
//! - A crates sparse index: `config.json` with a `dl` root, index files at cargo's paths
//!   (one JSON line per version, with `cksum`), downloads at `<dl>/<crate>/<version>/download`.
//! - An npm registry: packuments (full `application/json` with `time`, abbreviated
//!   `application/vnd.npm.install-v1+json`), version documents, tarballs with
//!   `dist.integrity` (SRI sha512) and `dist.shasum` (sha1).
//!
//! Every document carries an `ETag` and answers `If-None-Match` with `304`; unknown paths get
//! `404` with the registry's usual error body; only `GET` and `HEAD` are allowed (`405`). Each
//! connection is answered once and closed. Nothing here knows a real registry host: the base
//! URLs are the server's loopback address, handed to callers as configuration.
//!
//! "Publishing" ([`DemoRegistries::publish`]) stands for the upload step of a release; the
//! tamper helpers make a registry serve other bytes than it was given.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use artidigest::{Algorithm, Digest, digest_bytes};

mod routes;

use routes::{pep503, route};

/// Which protocol a package is published through.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DemoKind {
    /// The Python index.
    Pypi,
    /// The crates sparse index.
    Crates,
    /// The npm registry.
    Npm,
    /// A Go module proxy (GOPROXY protocol: `<module>/@v/list`, `.info`, `.mod`, `.zip`).
    GoProxy,
}

/// One published file.
#[derive(Debug, Clone)]
struct StoredFile {
    name: String,
    /// The bytes the metadata describes.
    claimed: Arc<Vec<u8>>,
    /// The bytes actually served (differ from `claimed` when corrupted).
    served: Arc<Vec<u8>>,
    sha256: Digest,
    sha512: Digest,
    sha1: Digest,
}

impl StoredFile {
    fn new(name: &str, bytes: Vec<u8>) -> Option<StoredFile> {
        let set = digest_bytes(
            &bytes,
            &[Algorithm::Sha256, Algorithm::Sha512, Algorithm::Sha1],
        );
        let bytes = Arc::new(bytes);
        Some(StoredFile {
            name: name.to_owned(),
            claimed: Arc::clone(&bytes),
            served: bytes,
            sha256: *set.get(Algorithm::Sha256)?,
            sha512: *set.get(Algorithm::Sha512)?,
            sha1: *set.get(Algorithm::Sha1)?,
        })
    }
}

#[derive(Default)]
struct State {
    /// (kind, package as published) → version → files.
    packages: BTreeMap<(DemoKind, String), BTreeMap<String, Vec<StoredFile>>>,
    /// PEP 740 provenance documents: (normalised project, version, file name) → JSON.
    provenance: BTreeMap<(String, String, String), Arc<Vec<u8>>>,
    /// npm attestation documents by `name@version`.
    npm_attestations: BTreeMap<String, Arc<Vec<u8>>>,
    serial: u64,
}

/// Counters a test can read: downloads in flight now and at most, requests answered.
#[derive(Debug, Default)]
pub struct ServerStats {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    requests: AtomicU64,
    not_modified: AtomicU64,
}

impl ServerStats {
    /// The most file downloads that were in flight at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
    /// Requests answered.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
    /// `304 Not Modified` answers.
    pub fn not_modified(&self) -> u64 {
        self.not_modified.load(Ordering::SeqCst)
    }
}

/// The loopback registries. Dropping the value stops the server.
pub struct DemoRegistries {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stats: Arc<ServerStats>,
    stop: Arc<AtomicBool>,
    /// Delay added to every file download (to observe concurrency in tests).
    slow: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for DemoRegistries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoRegistries")
            .field("addr", &self.addr)
            .finish()
    }
}

impl DemoRegistries {
    /// Starts the server on a free loopback port.
    pub fn start() -> io::Result<DemoRegistries> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let stats = Arc::new(ServerStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let slow = Arc::new(AtomicU64::new(0));
        let (st, ss, sp, sl) = (
            Arc::clone(&state),
            Arc::clone(&stats),
            Arc::clone(&stop),
            Arc::clone(&slow),
        );
        let thread = std::thread::Builder::new()
            .name("demo-registries".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if sp.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    let (st, ss, sl) = (Arc::clone(&st), Arc::clone(&ss), Arc::clone(&sl));
                    let _ = std::thread::Builder::new()
                        .name("demo-registries-conn".into())
                        .spawn(move || {
                            let _ = serve(stream, addr, &st, &ss, &sl);
                        });
                }
            })?;
        Ok(DemoRegistries {
            addr,
            state,
            stats,
            stop,
            slow,
            thread: Some(thread),
        })
    }

    /// The Python index root (JSON API under `pypi/`, simple API under `simple/`).
    pub fn pypi_url(&self) -> String {
        format!("http://{}/pypi/", self.addr)
    }

    /// The crates sparse index root (holding `config.json`).
    pub fn crates_url(&self) -> String {
        format!("http://{}/crates/index/", self.addr)
    }

    /// The npm registry root.
    pub fn npm_url(&self) -> String {
        format!("http://{}/npm/", self.addr)
    }

    /// The Go module proxy root (as in `GOPROXY`).
    pub fn goproxy_url(&self) -> String {
        format!("http://{}/go/", self.addr)
    }

    /// The base URL of `kind`.
    pub fn url(&self, kind: DemoKind) -> String {
        match kind {
            DemoKind::Pypi => self.pypi_url(),
            DemoKind::Crates => self.crates_url(),
            DemoKind::Npm => self.npm_url(),
            DemoKind::GoProxy => self.goproxy_url(),
        }
    }

    /// The server's request counters.
    pub fn stats(&self) -> &ServerStats {
        &self.stats
    }

    /// Delays every file download by `delay` (tests observe concurrency with it).
    pub fn slow_downloads(&self, delay: Duration) {
        self.slow.store(
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes `file_name` with `bytes` as part of `package` `version` on `kind` (the upload
    /// step of a release). Publishing the same file name again replaces it.
    pub fn publish(
        &self,
        kind: DemoKind,
        package: &str,
        version: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) {
        let Some(file) = StoredFile::new(file_name, bytes) else {
            return;
        };
        let mut s = self.lock();
        s.serial += 1;
        let files = s
            .packages
            .entry((kind, package.to_owned()))
            .or_default()
            .entry(version.to_owned())
            .or_default();
        files.retain(|f| f.name != file_name);
        files.push(file);
    }

    /// Whether `package` `version` has any file on `kind`.
    pub fn holds(&self, kind: DemoKind, package: &str, version: &str) -> bool {
        self.lock()
            .packages
            .get(&(kind, package.to_owned()))
            .and_then(|v| v.get(version))
            .is_some_and(|f| !f.is_empty())
    }

    /// Serves `document` (a PEP 740 provenance document) from the Python index's integrity API
    /// for `file_name` of `project` `version`.
    pub fn publish_provenance(
        &self,
        project: &str,
        version: &str,
        file_name: &str,
        document: Vec<u8>,
    ) {
        let mut s = self.lock();
        s.serial += 1;
        s.provenance.insert(
            (pep503(project), version.to_owned(), file_name.to_owned()),
            Arc::new(document),
        );
    }

    /// Serves `document` (`{"attestations": [{"predicateType", "bundle"}]}`) from the npm
    /// registry's attestations endpoint for `name@version`.
    pub fn publish_npm_attestations(&self, name: &str, version: &str, document: Vec<u8>) {
        let mut s = self.lock();
        s.serial += 1;
        s.npm_attestations
            .insert(format!("{name}@{version}"), Arc::new(document));
    }

    /// Replaces the bytes of `file_name` everywhere it is published, metadata included (the
    /// registry consistently serves other bytes than the release's). Returns how many files
    /// were replaced.
    pub fn replace_bytes(&self, file_name: &str, bytes: &[u8]) -> usize {
        let Some(new) = StoredFile::new(file_name, bytes.to_vec()) else {
            return 0;
        };
        self.edit(file_name, |f| *f = new.clone())
    }

    /// Makes the registry serve `bytes` for `file_name` while its metadata still claims the
    /// original digests. Returns how many files were changed.
    pub fn corrupt(&self, file_name: &str, bytes: &[u8]) -> usize {
        let served = Arc::new(bytes.to_vec());
        self.edit(file_name, |f| f.served = Arc::clone(&served))
    }

    fn edit(&self, file_name: &str, mut change: impl FnMut(&mut StoredFile)) -> usize {
        let mut s = self.lock();
        s.serial += 1;
        let mut n = 0;
        for versions in s.packages.values_mut() {
            for files in versions.values_mut() {
                for f in files.iter_mut().filter(|f| f.name == file_name) {
                    change(f);
                    n += 1;
                }
            }
        }
        n
    }
}

impl Drop for DemoRegistries {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One HTTP response.
struct Response {
    status: u16,
    content_type: &'static str,
    headers: Vec<(String, String)>,
    body: Arc<Vec<u8>>,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: Arc::new(body),
        }
    }
    fn json(content_type: &'static str, value: &serde_json::Value) -> Response {
        Response::new(200, content_type, value.to_string().into_bytes())
    }
    fn header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Internal Server Error",
    }
}

/// The request line and the headers this server reads.
struct Request {
    method: String,
    path: String,
    accept: String,
    if_none_match: Option<String>,
}

fn read_request(stream: &mut TcpStream) -> io::Result<Request> {
    let mut reader = BufReader::new(stream.take(64 * 1024));
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") => (m.to_owned(), t.to_owned()),
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bad request line",
            ));
        }
    };
    let mut req = Request {
        method,
        path: target.split('?').next().unwrap_or("").to_owned(),
        accept: String::new(),
        if_none_match: None,
    };
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "accept" => req.accept = value.trim().to_owned(),
                "if-none-match" => req.if_none_match = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    Ok(req)
}

fn serve(
    mut stream: TcpStream,
    addr: SocketAddr,
    state: &Mutex<State>,
    stats: &ServerStats,
    slow: &AtomicU64,
) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let req = match read_request(&mut stream) {
        Ok(r) => r,
        Err(_) => {
            return write_response(
                &mut stream,
                &Response::new(400, "text/plain", b"bad request\n".to_vec()),
                false,
                || {},
            );
        }
    };
    stats.requests.fetch_add(1, Ordering::SeqCst);
    let head = req.method == "HEAD";
    if req.method != "GET" && !head {
        let r = Response::new(405, "text/plain", b"method not allowed\n".to_vec())
            .header("Allow", "GET, HEAD");
        return write_response(&mut stream, &r, false, || {});
    }
    let base = format!("http://{addr}");
    let (resp, download) = {
        let s = state.lock().unwrap_or_else(|p| p.into_inner());
        route(&s, &req, &base)
    };
    let resp = match (&req.if_none_match, etag_of(&resp)) {
        (Some(inm), Some(tag)) if resp.status == 200 && inm.split(',').any(|t| t.trim() == tag) => {
            stats.not_modified.fetch_add(1, Ordering::SeqCst);
            Response {
                status: 304,
                content_type: resp.content_type,
                headers: resp.headers,
                body: Arc::new(Vec::new()),
            }
        }
        _ => resp,
    };
    if download && resp.status == 200 {
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let delay = slow.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        // The download stops counting before its last byte leaves: once the client holds the
        // whole body (and starts its next download), this one is no longer in flight.
        let mut counted = true;
        let r = write_response(&mut stream, &resp, head, || {
            stats.in_flight.fetch_sub(1, Ordering::SeqCst);
            counted = false;
        });
        if counted {
            stats.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
        r
    } else {
        write_response(&mut stream, &resp, head, || {})
    }
}

fn etag_of(resp: &Response) -> Option<&str> {
    resp.headers
        .iter()
        .find(|(n, _)| n == "ETag")
        .map(|(_, v)| v.as_str())
}

/// Writes `resp`; `before_last_byte` runs just before the final byte is written.
fn write_response(
    stream: &mut TcpStream,
    resp: &Response,
    head: bool,
    before_last_byte: impl FnOnce(),
) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nConnection: close\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type
    );
    if resp.status != 304 {
        out.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    }
    for (n, v) in &resp.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let body: &[u8] = if !head && resp.status != 304 {
        &resp.body
    } else {
        &[]
    };
    // Everything but the last byte of the response, then `before_last_byte`, then that byte
    // (the head's last byte when there is no body). The body is never copied.
    let head_bytes = out.as_bytes();
    let (head_first, head_last, body_first, body_last) = match body.split_last() {
        Some((last, rest)) => (head_bytes, &[][..], rest, std::slice::from_ref(last)),
        None => {
            let (first, last) = head_bytes.split_at(head_bytes.len().saturating_sub(1));
            (first, last, &[][..], &[][..])
        }
    };
    stream.write_all(head_first)?;
    stream.write_all(body_first)?;
    stream.flush()?;
    before_last_byte();
    stream.write_all(head_last)?;
    stream.write_all(body_last)?;
    stream.flush()
}

fn not_found_json(body: serde_json::Value) -> Response {
    Response::new(404, "application/json", body.to_string().into_bytes())
}

/// A strong ETag for a document body.
fn with_etag(resp: Response) -> Response {
    let set = digest_bytes(&resp.body, &[Algorithm::Sha256]);
    let tag = set
        .get(Algorithm::Sha256)
        .map(|d| format!("\"{}\"", &d.to_hex()[..32]))
        .unwrap_or_default();
    resp.header("ETag", tag)
}
