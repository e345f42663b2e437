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

/// The response for `req`, and whether it is a file download.
fn route(s: &State, req: &Request, base: &str) -> (Response, bool) {
    let path = req.path.as_str();
    if let Some(rest) = path.strip_prefix("/pypi/") {
        return pypi(s, req, rest, base);
    }
    if let Some(rest) = path.strip_prefix("/crates/") {
        return crates(s, rest, base);
    }
    if let Some(rest) = path.strip_prefix("/npm/") {
        return npm(s, req, rest, base);
    }
    if let Some(rest) = path.strip_prefix("/go/") {
        return goproxy(s, rest);
    }
    (
        Response::new(404, "text/plain", b"404 Not Found\n".to_vec()),
        false,
    )
}

fn file_response(f: &StoredFile, content_type: &'static str) -> (Response, bool) {
    let r = Response {
        status: 200,
        content_type,
        headers: vec![("ETag".into(), format!("\"{}\"", f.sha256.to_hex()))],
        body: Arc::clone(&f.served),
    };
    (r, true)
}

fn find(
    s: &State,
    kind: DemoKind,
    matches: impl Fn(&str) -> bool,
) -> Option<(&str, &BTreeMap<String, Vec<StoredFile>>)> {
    s.packages
        .iter()
        .find(|((k, name), _)| *k == kind && matches(name))
        .map(|((_, name), v)| (name.as_str(), v))
}

fn pep503(name: &str) -> String {
    regclient::pypi::normalize(name).unwrap_or_else(|_| name.to_ascii_lowercase())
}

fn pypi(s: &State, req: &Request, rest: &str, base: &str) -> (Response, bool) {
    const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";
    let files_url =
        |f: &StoredFile| format!("{base}/pypi/files/{}/{}", &f.sha256.to_hex()[..16], f.name);
    let serial = s.serial.to_string();
    let segs: Vec<&str> = rest.split('/').collect();
    match segs.as_slice() {
        // PEP 740: the integrity API's provenance of one distribution file.
        ["integrity", project, version, file, "provenance"] => {
            match s
                .provenance
                .get(&(pep503(project), (*version).to_owned(), (*file).to_owned()))
            {
                Some(doc) => {
                    let r = Response {
                        status: 200,
                        content_type: "application/vnd.pypi.integrity.v1+json",
                        headers: Vec::new(),
                        body: Arc::clone(doc),
                    };
                    (with_etag(r), false)
                }
                None => (
                    not_found_json(serde_json::json!({"message": "Not Found"})),
                    false,
                ),
            }
        }
        ["pypi", project, version, "json"] => {
            let Some((name, versions)) = find(s, DemoKind::Pypi, |n| pep503(n) == pep503(project))
            else {
                return (
                    not_found_json(serde_json::json!({"message": "Not Found"})),
                    false,
                );
            };
            let Some(files) = versions.get(*version) else {
                return (
                    not_found_json(serde_json::json!({"message": "Not Found"})),
                    false,
                );
            };
            let urls: Vec<serde_json::Value> = files
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "filename": f.name,
                        "packagetype": if f.name.ends_with(".whl") { "bdist_wheel" } else { "sdist" },
                        "url": files_url(f),
                        "size": f.claimed.len(),
                        "digests": {"sha256": f.sha256.to_hex()},
                        "yanked": false,
                        "yanked_reason": null,
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "info": {"name": name, "version": version, "yanked": false, "yanked_reason": null},
                "urls": urls,
                "last_serial": s.serial,
            });
            (
                with_etag(Response::json("application/json", &doc))
                    .header("X-PyPI-Last-Serial", serial),
                false,
            )
        }
        ["simple", project, ""] => {
            let Some((name, versions)) = find(s, DemoKind::Pypi, |n| pep503(n) == pep503(project))
            else {
                return (
                    Response::new(404, "text/plain", b"404 Not Found\n".to_vec()),
                    false,
                );
            };
            if pep503(project) != *project {
                let to = format!("{base}/pypi/simple/{}/", pep503(project));
                return (
                    Response::new(301, "text/plain", Vec::new()).header("Location", to),
                    false,
                );
            }
            let all: Vec<&StoredFile> = versions.values().flatten().collect();
            if req.accept.contains(SIMPLE_JSON) {
                let doc = serde_json::json!({
                    "meta": {"api-version": "1.1", "_last-serial": s.serial},
                    "name": pep503(name),
                    "versions": versions.keys().collect::<Vec<_>>(),
                    "files": all.iter().map(|f| serde_json::json!({
                        "filename": f.name,
                        "url": files_url(f),
                        "hashes": {"sha256": f.sha256.to_hex()},
                        "size": f.claimed.len(),
                        "yanked": false,
                    })).collect::<Vec<_>>(),
                });
                (
                    with_etag(Response::json(SIMPLE_JSON, &doc))
                        .header("X-PyPI-Last-Serial", serial),
                    false,
                )
            } else {
                let mut html = format!(
                    "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Links for {name}</title></head><body><h1>Links for {name}</h1>\n"
                );
                for f in &all {
                    html.push_str(&format!(
                        "<a href=\"{}#sha256={}\">{}</a><br/>\n",
                        files_url(f),
                        f.sha256.to_hex(),
                        f.name
                    ));
                }
                html.push_str("</body></html>\n");
                (
                    with_etag(Response::new(
                        200,
                        "application/vnd.pypi.simple.v1+html",
                        html.into_bytes(),
                    )),
                    false,
                )
            }
        }
        ["simple", project] => (
            Response::new(301, "text/plain", Vec::new())
                .header("Location", format!("{base}/pypi/simple/{project}/")),
            false,
        ),
        ["files", prefix, file] => {
            let found = s
                .packages
                .iter()
                .filter(|((k, _), _)| *k == DemoKind::Pypi)
                .flat_map(|(_, v)| v.values().flatten())
                .find(|f| f.name == *file && f.sha256.to_hex().starts_with(prefix));
            match found {
                Some(f) => file_response(f, "application/octet-stream"),
                None => (
                    Response::new(404, "text/plain", b"404 Not Found\n".to_vec()),
                    false,
                ),
            }
        }
        _ => (
            Response::new(404, "text/plain", b"404 Not Found\n".to_vec()),
            false,
        ),
    }
}

fn crates(s: &State, rest: &str, base: &str) -> (Response, bool) {
    let not_found = || {
        (
            not_found_json(serde_json::json!({"errors": [{"detail": "Not Found"}]})),
            false,
        )
    };
    if rest == "index/config.json" {
        let doc = serde_json::json!({"dl": format!("{base}/crates/api/v1/crates"), "api": format!("{base}/crates")});
        return (with_etag(Response::json("application/json", &doc)), false);
    }
    if let Some(path) = rest.strip_prefix("index/") {
        let Some((name, versions)) = find(s, DemoKind::Crates, |n| {
            regclient::crates::index_path(n).is_ok_and(|p| p == path)
        }) else {
            return (
                Response::new(404, "text/plain", b"not found\n".to_vec()),
                false,
            );
        };
        let mut lines = String::new();
        for (v, files) in versions {
            if let Some(f) = files.first() {
                lines.push_str(
                    &serde_json::json!({
                        "name": name, "vers": v, "deps": [], "cksum": f.sha256.to_hex(),
                        "features": {}, "yanked": false, "links": null, "v": 2,
                    })
                    .to_string(),
                );
                lines.push('\n');
            }
        }
        return (
            with_etag(Response::new(200, "text/plain", lines.into_bytes())),
            false,
        );
    }
    if let Some(path) = rest.strip_prefix("api/v1/crates/") {
        let segs: Vec<&str> = path.split('/').collect();
        if let [krate, version, "download"] = segs.as_slice()
            && let Some((_, versions)) = find(s, DemoKind::Crates, |n| n == *krate)
            && let Some(f) = versions.get(*version).and_then(|f| f.first())
        {
            return file_response(f, "application/gzip");
        }
    }
    not_found()
}

fn npm(s: &State, req: &Request, rest: &str, base: &str) -> (Response, bool) {
    const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";
    let not_found = || {
        (
            not_found_json(serde_json::json!({"error": "Not found"})),
            false,
        )
    };
    // The attestations endpoint: `-/npm/v1/attestations/<name>@<version>`, percent-encoded.
    if let Some(spec) = rest.strip_prefix("-/npm/v1/attestations/") {
        let spec = percent_encoding::percent_decode_str(spec).decode_utf8_lossy();
        return match s.npm_attestations.get(spec.as_ref()) {
            Some(doc) => {
                let r = Response {
                    status: 200,
                    content_type: "application/json",
                    headers: Vec::new(),
                    body: Arc::clone(doc),
                };
                (with_etag(r), false)
            }
            None => not_found(),
        };
    }
    // `@scope%2fname` or `name`, then optional `/version` or `/-/file`.
    let decoded = rest.replace("%2f", "/").replace("%2F", "/");
    let (name, tail) = if decoded.starts_with('@') {
        let mut it = decoded.splitn(3, '/');
        match (it.next(), it.next(), it.next()) {
            (Some(scope), Some(n), tail) => (format!("{scope}/{n}"), tail.unwrap_or("")),
            _ => return not_found(),
        }
    } else {
        match decoded.split_once('/') {
            Some((n, t)) => (n.to_owned(), t),
            None => (decoded.clone(), ""),
        }
    };
    let Some((_, versions)) = find(s, DemoKind::Npm, |n| n == name) else {
        return not_found();
    };
    let tarball_url = |f: &StoredFile| {
        let enc = regclient::npm::encode_name(&name).unwrap_or_else(|_| name.clone());
        format!("{base}/npm/{enc}/-/{}", f.name)
    };
    let version_doc = |v: &str, f: &StoredFile| {
        serde_json::json!({
            "name": name,
            "version": v,
            "dist": {
                "tarball": tarball_url(f),
                "shasum": f.sha1.to_hex(),
                "integrity": f.sha512.to_sri(),
            },
        })
    };
    if let Some(file) = tail.strip_prefix("-/") {
        return match versions.values().flatten().find(|f| f.name == file) {
            Some(f) => file_response(f, "application/octet-stream"),
            None => not_found(),
        };
    }
    if !tail.is_empty() {
        return match versions.get(tail).and_then(|f| f.first()) {
            Some(f) => (
                with_etag(Response::json("application/json", &version_doc(tail, f))),
                false,
            ),
            None => not_found(),
        };
    }
    let docs: serde_json::Map<String, serde_json::Value> = versions
        .iter()
        .filter_map(|(v, files)| files.first().map(|f| (v.clone(), version_doc(v, f))))
        .collect();
    let latest = versions.keys().last().cloned().unwrap_or_default();
    let modified = "2026-11-20T00:00:00.000Z";
    if req.accept.contains(ABBREVIATED) {
        let doc = serde_json::json!({
            "name": name, "modified": modified,
            "dist-tags": {"latest": latest}, "versions": docs,
        });
        (with_etag(Response::json(ABBREVIATED, &doc)), false)
    } else {
        let mut time = serde_json::Map::new();
        time.insert("created".into(), modified.into());
        time.insert("modified".into(), modified.into());
        for v in versions.keys() {
            time.insert(v.clone(), modified.into());
        }
        let doc = serde_json::json!({
            "_id": name, "name": name,
            "dist-tags": {"latest": latest}, "versions": docs, "time": time,
        });
        (with_etag(Response::json("application/json", &doc)), false)
    }
}

/// The GOPROXY protocol over published modules: `<escaped module>/@v/list`, and
/// `@v/<version>.info` / `.mod` / `.zip` for a published version (files published as
/// `<version>.mod` and `<version>.zip`); 404 otherwise, as the protocol's "not found".
fn goproxy(s: &State, rest: &str) -> (Response, bool) {
    let not_found = || {
        (
            Response::new(404, "text/plain", b"not found\n".to_vec()),
            false,
        )
    };
    let Some((module, file)) = rest.split_once("/@v/") else {
        return not_found();
    };
    let Some((_, versions)) = find(s, DemoKind::GoProxy, |n| {
        regclient::goproxy::escape_path(n).is_ok_and(|e| e == module)
    }) else {
        return not_found();
    };
    if file == "list" {
        let list: String = versions.keys().map(|v| format!("{v}\n")).collect();
        return (
            with_etag(Response::new(
                200,
                "text/plain; charset=utf-8",
                list.into_bytes(),
            )),
            false,
        );
    }
    for (v, files) in versions {
        let Ok(escaped) = regclient::goproxy::escape_version(v) else {
            continue;
        };
        if file == format!("{escaped}.info") {
            let info = serde_json::json!({"Version": v, "Time": "2026-11-01T00:00:00Z"});
            return (with_etag(Response::json("application/json", &info)), false);
        }
        for (ext, content_type) in [
            ("mod", "text/plain; charset=utf-8"),
            ("zip", "application/zip"),
        ] {
            if file == format!("{escaped}.{ext}")
                && let Some(f) = files.iter().find(|f| f.name == format!("{v}.{ext}"))
            {
                return file_response(f, content_type);
            }
        }
    }
    not_found()
}

/// The demo registry serving a policy registry of `kind`, if the loopback server speaks it.
fn demo_kind(kind: relgate::RegistryKind) -> Option<DemoKind> {
    match kind {
        relgate::RegistryKind::Pypi => Some(DemoKind::Pypi),
        relgate::RegistryKind::Cargo => Some(DemoKind::Crates),
        relgate::RegistryKind::Npm => Some(DemoKind::Npm),
        relgate::RegistryKind::GoProxy => Some(DemoKind::GoProxy),
        _ => None,
    }
}

/// Endpoints for every registry of `policy` that these loopback registries can serve: the
/// configuration a real run would read from a registries file or the environment.
pub fn endpoints_for(policy: &relgate::Policy, regs: &DemoRegistries) -> relgate::Endpoints {
    let mut e = relgate::Endpoints::new();
    for (name, rule) in &policy.registries {
        if let Some(kind) = demo_kind(rule.kind) {
            // A loopback http URL always passes the endpoint check.
            let _ = e.insert(name, &regs.url(kind));
        }
    }
    e
}

/// Why a demo run could not be carried out (not a release failure: that is in the reports).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoRunError {
    /// The loopback server could not start, or a release file could not be read.
    #[error("{what}")]
    Io {
        /// What failed.
        what: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The release folder's artifacts could not be listed.
    #[error(transparent)]
    Artifacts(#[from] relgate::ArtifactsError),
}

/// "Uploads" the release: every local artifact of the kinds each registry rule lists is
/// published to the loopback registry of that rule's kind, as `package` `version`. Registries
/// named in `skip` get nothing. Returns `registry: file` for every upload.
pub fn upload(
    regs: &DemoRegistries,
    policy: &relgate::Policy,
    release_dir: &std::path::Path,
    version: &str,
    skip: &[&str],
) -> Result<Vec<String>, DemoRunError> {
    let locals = relgate::local_artifacts(policy, release_dir)?;
    let mut done = Vec::new();
    for (name, rule) in &policy.registries {
        let Some(kind) = demo_kind(rule.kind) else {
            continue;
        };
        if skip.contains(&name.as_str()) {
            continue;
        }
        for a in locals.iter().filter(|a| rule.artifacts.contains(&a.kind)) {
            let path = release_dir.join(&a.path);
            let bytes = std::fs::read(&path).map_err(|source| DemoRunError::Io {
                what: format!("cannot read {}", path.display()),
                source,
            })?;
            let file = a.path.rsplit('/').next().unwrap_or(&a.path);
            regs.publish(kind, &rule.package, version, file, bytes);
            done.push(format!("{name}: {file}"));
        }
    }
    Ok(done)
}

/// One run of a demo release through its phases, in release order.
#[derive(Debug)]
#[non_exhaustive]
pub struct DemoRun {
    /// The reports in order: `preflight + prepublish` (before any upload), then, when those
    /// allowed publishing, `postpublish + consume` (after it).
    pub stages: Vec<(String, relgate::Report)>,
    /// What the simulated upload step placed in the loopback registries.
    pub uploaded: Vec<String>,
    /// The loopback base URLs, by registry name.
    pub endpoints: Vec<(String, String)>,
}

impl DemoRun {
    /// The report that decides: the last stage that ran.
    pub fn last(&self) -> Option<&relgate::Report> {
        self.stages.last().map(|(_, r)| r)
    }

    /// The worst exit code of the stages (0 allowed, 1 blocked, 2 could not run).
    pub fn exit_code(&self) -> i32 {
        self.stages
            .iter()
            .map(|(_, r)| r.exit_code())
            .max()
            .unwrap_or(2)
    }
}

/// Runs `policy` over `release_dir` as a release would: loopback registries are started and
/// handed to the run as endpoints; `preflight` and `prepublish` run against registries that do
/// not hold the version yet; when they allow publishing, the upload step is simulated
/// ([`upload`]), then `postpublish` and `consume` run against what the registries serve.
/// `options.phases`, when not empty, restricts the phases (an upload happens only when a later
/// phase is run). A registry [`Tamper`](crate::demo::Tamper) kind breaks the registries at
/// the right moment.
pub fn run_demo(
    policy: &relgate::Policy,
    release_dir: &std::path::Path,
    tag: &str,
    tamper: Option<crate::demo::Tamper>,
    options: relgate::RunOptions,
    observer: Option<relgate::Observer>,
) -> Result<DemoRun, DemoRunError> {
    let regs = DemoRegistries::start().map_err(|source| DemoRunError::Io {
        what: String::from("cannot start the loopback registries"),
        source,
    })?;
    run_demo_on(&regs, policy, release_dir, tag, tamper, options, observer)
}

/// [`run_demo`] on registries the caller started (and may have filled beforehand). The upload
/// step skips a registry in recovery mode (`recovery = true`) that already holds the version:
/// what it serves is verified instead.
pub fn run_demo_on(
    regs: &DemoRegistries,
    policy: &relgate::Policy,
    release_dir: &std::path::Path,
    tag: &str,
    tamper: Option<crate::demo::Tamper>,
    options: relgate::RunOptions,
    observer: Option<relgate::Observer>,
) -> Result<DemoRun, DemoRunError> {
    use crate::demo::Tamper;
    use relgate::Phase;
    let endpoints = endpoints_for(policy, regs);
    let version = policy
        .tag
        .as_ref()
        .and_then(|t| t.version_in(tag))
        .unwrap_or_else(|| tag.strip_prefix('v').unwrap_or(tag))
        .to_owned();
    let mut run = DemoRun {
        stages: Vec::new(),
        uploaded: Vec::new(),
        endpoints: endpoints
            .names()
            .map(|n| (n.to_owned(), endpoints.get(n).unwrap_or("").to_owned()))
            .collect(),
    };
    if tamper == Some(Tamper::Published) {
        // The Python index already holds the version (an earlier release run uploaded it).
        let others: Vec<&str> = policy
            .registries
            .iter()
            .filter(|(_, r)| r.kind != relgate::RegistryKind::Pypi)
            .map(|(n, _)| n.as_str())
            .collect();
        upload(regs, policy, release_dir, &version, &others)?;
    }
    let wanted = |p: Phase| options.phases.is_empty() || options.phases.contains(&p);
    let stage =
        |phases: [Phase; 2]| -> Vec<Phase> { phases.into_iter().filter(|p| wanted(*p)).collect() };
    let mut base = options.clone().endpoints(endpoints);
    base.phases = Vec::new();
    // The demo is rebuilt in-process by its own build recipe.
    let rebuilder = std::sync::Arc::new(crate::demo::DemoRebuilder::new(
        tamper != Some(Tamper::Rebuild),
    ));
    let context = |phases: Vec<Phase>| {
        let mut c = relgate::RunContext::new(release_dir)
            .tag(tag)
            .options(base.clone().phases(phases))
            .gate(std::sync::Arc::new(
                relgate::RebuildIdentityGate::with_rebuilder(rebuilder.clone()),
            ));
        if let Some(o) = &observer {
            c = c.on_event(std::sync::Arc::clone(o));
        }
        c
    };
    let before = stage([Phase::Preflight, Phase::Prepublish]);
    let after = stage([Phase::Postpublish, Phase::Consume]);
    if !before.is_empty() {
        let report = relgate::run_blocking(policy, context(before));
        let blocked = report.exit_code() != 0;
        run.stages.push((
            String::from("before upload: preflight + prepublish"),
            report,
        ));
        if blocked {
            return Ok(run);
        }
    }
    if after.is_empty() {
        return Ok(run);
    }
    let skip: Vec<&str> = policy
        .registries
        .iter()
        .filter(|(_, r)| {
            let recovered = r.recovery
                && demo_kind(r.kind).is_some_and(|k| regs.holds(k, &r.package, &version));
            let hidden = tamper == Some(Tamper::NotVisible) && r.kind == relgate::RegistryKind::Npm;
            recovered || hidden
        })
        .map(|(n, _)| n.as_str())
        .collect();
    run.uploaded = upload(regs, policy, release_dir, &version, &skip)?;
    if tamper == Some(Tamper::RegistryBytes) {
        let locals = relgate::local_artifacts(policy, release_dir)?;
        if let Some(c) = locals
            .iter()
            .find(|a| a.kind == relgate::ArtifactKind::Crate)
        {
            let name = c.path.rsplit('/').next().unwrap_or(&c.path);
            let mut bytes =
                std::fs::read(release_dir.join(&c.path)).map_err(|source| DemoRunError::Io {
                    what: format!("cannot read {}", c.path),
                    source,
                })?;
            bytes.extend_from_slice(b"\0registry-side change\n");
            regs.replace_bytes(name, &bytes);
        }
    }
    let report = relgate::run_blocking(policy, context(after));
    run.stages
        .push((String::from("after upload: postpublish + consume"), report));
    Ok(run)
}
