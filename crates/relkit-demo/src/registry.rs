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

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

mod routes;
mod wire;

pub use wire::DemoKind;

use routes::{pep503, route};
use wire::{Response, State, StoredFile, etag_of, read_request, write_response};

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

    /// Makes the npm registry answer `/-/whoami` and `/-/org/{org}/user` as `identity` says
    /// (who each token is, each org's roster).
    pub fn npm_identity(&self, identity: relkit_testkit::npm_org::NpmIdentity) {
        self.lock().npm_identity = identity;
    }

    /// Serves `document` (`{"attestations": [{"predicateType", "bundle"}]}`) from the npm
    /// registry's attestations endpoint for `name@version`.
    pub fn publish_npm_attestations(&self, name: &str, version: &str, document: Vec<u8>) {
        let mut s = self.lock();
        s.serial += 1;
        s.npm_attestations
            .insert(format!("{name}@{version}"), Arc::new(document));
    }

    /// Records `commit` as the `gitHead` of npm `name@version` (what `npm publish` from a git
    /// checkout writes into the version document).
    pub fn set_npm_git_head(&self, name: &str, version: &str, commit: &str) {
        let mut s = self.lock();
        s.serial += 1;
        s.npm_git_heads
            .insert(format!("{name}@{version}"), commit.to_owned());
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
