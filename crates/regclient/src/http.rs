//! The one HTTP core every registry client goes through: timeouts and an overall deadline,
//! retries with backoff and jitter, manual redirects that never carry credentials to another
//! host, response size caps, bounded concurrency and a descriptive User-Agent.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use url::Url;

use crate::secret::{Credential, redact_url, scrub};

/// The default User-Agent: crate name, version and purpose.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "relkit-regclient/",
    env!("CARGO_PKG_VERSION"),
    " (release readback; +https://github.com/relkit/relkit)"
);

/// Size of a connection's receive buffer (one per pooled connection): the same as
/// [`artidigest::BUFFER_SIZE`], the chunk readback hashes and writes at once.
const INPUT_BUFFER: usize = artidigest::BUFFER_SIZE;

/// Why an HTTP exchange failed. Every variant names the (redacted) URL.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL could not be parsed or joined.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The text that failed.
        url: String,
        /// Why.
        reason: String,
    },
    /// The connection failed (refused, reset, closed early) after every allowed attempt.
    #[error("{url}: connection failed after {attempts} attempt(s)")]
    Connect {
        /// The URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last transport error.
        #[source]
        source: io::Error,
    },
    /// One request took longer than the per-request timeout.
    #[error("{url}: no complete answer within {timeout:?}")]
    Timeout {
        /// The URL.
        url: String,
        /// The per-request timeout.
        timeout: Duration,
    },
    /// The operation's overall deadline passed.
    #[error("{url}: overall deadline of {deadline:?} exceeded after {attempts} attempt(s)")]
    Deadline {
        /// The URL.
        url: String,
        /// The deadline the operation was given.
        deadline: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The server answered with a status the caller cannot use.
    #[error("{url}: HTTP {status} after {attempts} attempt(s){}", excerpt_suffix(.body_excerpt))]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The start of the body (secrets scrubbed), for diagnosis.
        body_excerpt: String,
    },
    /// The server kept answering 429 and its `Retry-After` did not fit the deadline.
    #[error(
        "{url}: rate limited (HTTP 429) after {attempts} attempt(s); Retry-After {retry_after:?}"
    )]
    RateLimited {
        /// The URL.
        url: String,
        /// The server's last `Retry-After`.
        retry_after: Option<Duration>,
        /// Attempts made.
        attempts: u32,
    },
    /// More redirects than allowed.
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects {
        /// The URL first requested.
        url: String,
        /// The limit.
        limit: u32,
    },
    /// A redirect went from https to http.
    #[error("{from}: refused redirect to an insecure URL {to}")]
    InsecureRedirect {
        /// Where the redirect came from.
        from: String,
        /// Where it pointed.
        to: String,
    },
    /// A redirect without a usable `Location`.
    #[error("{url}: HTTP {status} redirect without a usable Location")]
    BadRedirect {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// The body exceeded the size cap.
    #[error("{url}: body larger than the {limit}-byte cap")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap in bytes.
        limit: u64,
    },
    /// The body ended before its announced length.
    #[error("{url}: body truncated: {received} of {expected} bytes")]
    Truncated {
        /// The URL.
        url: String,
        /// `Content-Length`.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
    /// Reading the body failed for another reason.
    #[error("{url}: reading the body failed")]
    Body {
        /// The URL.
        url: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The body is not the JSON expected.
    #[error("{url}: body is not valid JSON for {what}")]
    Json {
        /// The URL.
        url: String,
        /// What was expected.
        what: &'static str,
        /// The parser's error (line and column).
        #[source]
        source: serde_json::Error,
    },
}

fn excerpt_suffix(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

impl HttpError {
    /// The HTTP status, when the failure was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            HttpError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Recovers a typed error carried inside an `io::Error` from a [`Body`] read.
    pub(crate) fn from_body_io(url: &str, e: io::Error) -> HttpError {
        if e.get_ref().is_some_and(|inner| inner.is::<HttpError>()) {
            if let Some(inner) = e.into_inner()
                && let Ok(h) = inner.downcast::<HttpError>()
            {
                return *h;
            }
            return HttpError::Body {
                url: url.to_owned(),
                source: io::Error::other("body error"),
            };
        }
        HttpError::Body {
            url: url.to_owned(),
            source: e,
        }
    }
}

/// Retry policy: exponential backoff with jitter, for idempotent requests only.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in total (1 = no retry).
    pub max_attempts: u32,
    /// First backoff.
    pub base_delay: Duration,
    /// Cap on one backoff (and on an honoured `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Backoff before attempt `attempt + 1` (attempt counted from 1): half fixed, half random.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let r = if jitter_nanos == 0 {
            0
        } else {
            random_u64() % jitter_nanos
        };
        half + Duration::from_nanos(r)
    }
}

fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish()
}

/// Builds an [`HttpClient`].
#[derive(Debug, Clone)]
pub struct HttpClientBuilder {
    user_agent: String,
    request_timeout: Duration,
    connect_timeout: Duration,
    deadline: Duration,
    retry: RetryPolicy,
    max_redirects: u32,
    max_metadata_bytes: u64,
    max_download_bytes: u64,
    max_concurrency: usize,
    proxy_from_env: bool,
}

impl Default for HttpClientBuilder {
    fn default() -> Self {
        HttpClientBuilder {
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            max_redirects: 5,
            max_metadata_bytes: 64 * 1024 * 1024,
            max_download_bytes: 8 * 1024 * 1024 * 1024,
            max_concurrency: 8,
            proxy_from_env: true,
        }
    }
}

impl HttpClientBuilder {
    /// Sets the User-Agent (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }
    /// Time allowed for one request, body included (default 60 s).
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.request_timeout = t;
        self
    }
    /// Time allowed to connect (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }
    /// Overall deadline of one operation, retries and body included (default 300 s).
    pub fn deadline(mut self, t: Duration) -> Self {
        self.deadline = t;
        self
    }
    /// The retry policy.
    pub fn retry(mut self, r: RetryPolicy) -> Self {
        self.retry = r;
        self
    }
    /// Redirects followed per request (default 5).
    pub fn max_redirects(mut self, n: u32) -> Self {
        self.max_redirects = n;
        self
    }
    /// Cap on metadata bodies (indexes, packuments, manifests; default 64 MiB).
    pub fn max_metadata_bytes(mut self, n: u64) -> Self {
        self.max_metadata_bytes = n;
        self
    }
    /// Cap on a downloaded file whose size the registry does not state (default 8 GiB).
    pub fn max_download_bytes(mut self, n: u64) -> Self {
        self.max_download_bytes = n;
        self
    }
    /// Requests in flight at once, bodies included (default 8).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n.max(1);
        self
    }
    /// Whether `HTTP(S)_PROXY`/`ALL_PROXY` are honoured (default true).
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.proxy_from_env = yes;
        self
    }

    /// Builds the client.
    pub fn build(self) -> HttpClient {
        let mut cfg = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(self.user_agent.as_str())
            .timeout_connect(Some(self.connect_timeout))
            // One receive call fills as much as a readback chunk (ureq's default is 128 KiB):
            // fewer system calls per downloaded byte.
            .input_buffer_size(INPUT_BUFFER)
            .max_idle_connections_per_host(self.max_concurrency.max(4));
        if !self.proxy_from_env {
            cfg = cfg.proxy(None);
        }
        let agent: ureq::Agent = cfg.build().into();
        HttpClient {
            agent,
            gate: Arc::new(Gate {
                in_flight: Mutex::new(0),
                cv: Condvar::new(),
                max: self.max_concurrency,
            }),
            cfg: Arc::new(self),
        }
    }
}

struct Gate {
    in_flight: Mutex<usize>,
    cv: Condvar,
    max: usize,
}

/// Held while a request and its body are in flight.
struct Permit(Arc<Gate>);

impl Drop for Permit {
    fn drop(&mut self) {
        if let Ok(mut n) = self.0.in_flight.lock() {
            *n = n.saturating_sub(1);
        }
        self.0.cv.notify_one();
    }
}

impl Gate {
    fn acquire(self: &Arc<Self>, until: Instant) -> Option<Permit> {
        let mut n = self.in_flight.lock().ok()?;
        while *n >= self.max {
            let now = Instant::now();
            if now >= until {
                return None;
            }
            n = self.cv.wait_timeout(n, until - now).ok()?.0;
        }
        *n += 1;
        Some(Permit(Arc::clone(self)))
    }
}

/// The HTTP core. Cheap to clone; clones share the connection pool and the concurrency bound.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    gate: Arc<Gate>,
    cfg: Arc<HttpClientBuilder>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("config", &self.cfg)
            .finish()
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient::builder().build()
    }
}

/// The method of a request. Every request regclient makes is a read, hence idempotent and
/// safe to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
}

/// One request's options.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request<'a> {
    pub(crate) method: Option<Method>,
    pub(crate) accept: Option<&'a str>,
    pub(crate) if_none_match: Option<&'a str>,
    pub(crate) credential: Option<&'a Credential>,
    /// Body cap; `None` = the metadata cap.
    pub(crate) limit: Option<u64>,
    /// Statuses returned to the caller instead of failing (404, 304, 401…).
    pub(crate) pass_statuses: &'a [u16],
    /// Overall deadline for this operation; `None` = now + the client's deadline.
    pub(crate) deadline: Option<Instant>,
    /// Per-attempt timeout; `None` = the client's request timeout.
    pub(crate) timeout: Option<Duration>,
}

impl HttpClient {
    /// A builder with the defaults.
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder::default()
    }

    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        self.cfg.retry
    }

    pub(crate) fn download_cap(&self) -> u64 {
        self.cfg.max_download_bytes
    }

    pub(crate) fn max_concurrency(&self) -> usize {
        self.cfg.max_concurrency
    }

    /// The deadline of an operation starting now.
    pub(crate) fn deadline_from_now(&self) -> Instant {
        Instant::now() + self.cfg.deadline
    }

    /// Sends a request with retries and redirects; returns a response whose status is 2xx,
    /// 304, or one of `pass_statuses`.
    pub(crate) fn send(&self, url: &Url, req: &Request<'_>) -> Result<Response, HttpError> {
        let started = Instant::now();
        let deadline = req.deadline.unwrap_or_else(|| self.deadline_from_now());
        let shown = redact_url(url);
        let secrets = req.credential.map(Credential::secrets).unwrap_or_default();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self.send_once(url, req, deadline);
            let (retryable, wait): (bool, Option<Duration>) = match &outcome {
                Ok(resp) => {
                    let s = resp.status;
                    if s == 429 || ((500..600).contains(&s) && s != 501 && s != 505) {
                        (true, resp.retry_after())
                    } else {
                        (false, None)
                    }
                }
                Err(Attempt::Transport(_)) => (true, None),
                Err(_) => (false, None),
            };
            if retryable && attempt < self.cfg.retry.max_attempts {
                let backoff = self.cfg.retry.backoff(attempt);
                let delay = match wait {
                    Some(w) => w.max(backoff / 4),
                    None => backoff,
                };
                if delay <= self.cfg.retry.max_delay && Instant::now() + delay < deadline {
                    drop(outcome);
                    std::thread::sleep(delay);
                    continue;
                }
                if let Ok(resp) = &outcome
                    && resp.status == 429
                {
                    return Err(HttpError::RateLimited {
                        url: shown,
                        retry_after: resp.retry_after(),
                        attempts: attempt,
                    });
                }
            }
            return match outcome {
                Ok(resp) => {
                    let s = resp.status;
                    if (200..300).contains(&s) || s == 304 || req.pass_statuses.contains(&s) {
                        Ok(resp)
                    } else if s == 429 {
                        Err(HttpError::RateLimited {
                            url: shown,
                            retry_after: resp.retry_after(),
                            attempts: attempt,
                        })
                    } else {
                        let excerpt = resp.excerpt(&secrets);
                        Err(HttpError::Status {
                            url: shown,
                            status: s,
                            attempts: attempt,
                            body_excerpt: excerpt,
                        })
                    }
                }
                Err(Attempt::Transport(e)) => {
                    if Instant::now() >= deadline {
                        Err(HttpError::Deadline {
                            url: shown,
                            deadline: deadline.saturating_duration_since(started),
                            attempts: attempt,
                        })
                    } else {
                        Err(HttpError::Connect {
                            url: shown,
                            attempts: attempt,
                            source: e,
                        })
                    }
                }
                Err(Attempt::TimedOut) => {
                    if Instant::now() + Duration::from_millis(5) >= deadline {
                        Err(HttpError::Deadline {
                            url: shown,
                            deadline: deadline.saturating_duration_since(started),
                            attempts: attempt,
                        })
                    } else {
                        Err(HttpError::Timeout {
                            url: shown,
                            timeout: self.cfg.request_timeout,
                        })
                    }
                }
                Err(Attempt::Fatal(e)) => Err(e),
            };
        }
    }

    /// One attempt, following redirects by hand.
    fn send_once(
        &self,
        first: &Url,
        req: &Request<'_>,
        deadline: Instant,
    ) -> Result<Response, Attempt> {
        let attempt_end =
            (Instant::now() + req.timeout.unwrap_or(self.cfg.request_timeout)).min(deadline);
        let attempt_timeout = attempt_end.saturating_duration_since(Instant::now());
        let permit = self.gate.acquire(attempt_end).ok_or(Attempt::TimedOut)?;
        let mut url = first.clone();
        let mut credential = req.credential;
        for _ in 0..=self.cfg.max_redirects {
            let remaining = attempt_end.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Attempt::TimedOut);
            }
            let method = req.method.unwrap_or(Method::Get);
            let mut b = match method {
                Method::Get => self.agent.get(url.as_str()),
                Method::Head => self.agent.head(url.as_str()),
            };
            if let Some(a) = req.accept {
                b = b.header("Accept", a);
            }
            if let Some(e) = req.if_none_match {
                b = b.header("If-None-Match", e);
            }
            if let Some(c) = credential {
                b = b.header("Authorization", c.header_value());
            }
            let result = b.config().timeout_global(Some(remaining)).build().call();
            let resp = match result {
                Ok(r) => r,
                Err(ureq::Error::Timeout(_)) => return Err(Attempt::TimedOut),
                Err(ureq::Error::Io(e)) if e.kind() == io::ErrorKind::TimedOut => {
                    return Err(Attempt::TimedOut);
                }
                Err(ureq::Error::Io(e)) => return Err(Attempt::Transport(e)),
                Err(
                    e @ (ureq::Error::ConnectionFailed
                    | ureq::Error::HostNotFound
                    | ureq::Error::Protocol(_)),
                ) => return Err(Attempt::Transport(io::Error::other(e.to_string()))),
                Err(e) => {
                    return Err(Attempt::Fatal(HttpError::Body {
                        url: redact_url(&url),
                        source: io::Error::other(e.to_string()),
                    }));
                }
            };
            let status = resp.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let loc = resp
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l).ok());
                let Some(next) = loc else {
                    return Err(Attempt::Fatal(HttpError::BadRedirect {
                        url: redact_url(&url),
                        status,
                    }));
                };
                if url.scheme() == "https" && next.scheme() != "https" {
                    return Err(Attempt::Fatal(HttpError::InsecureRedirect {
                        from: redact_url(&url),
                        to: redact_url(&next),
                    }));
                }
                // Credentials are bound to the origin they were configured for.
                if next.origin() != first.origin() {
                    credential = None;
                }
                url = next;
                continue;
            }
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .filter_map(|(k, v)| {
                    v.to_str()
                        .ok()
                        .map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned()))
                })
                .collect();
            let content_length = resp
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let limit = req.limit.unwrap_or(self.cfg.max_metadata_bytes);
            let shown = redact_url(&url);
            if content_length.is_some_and(|n| n > limit)
                && method == Method::Get
                && (200..300).contains(&status)
            {
                return Err(Attempt::Fatal(HttpError::TooLarge { url: shown, limit }));
            }
            let body = resp.into_body().into_reader();
            return Ok(Response {
                status,
                url,
                headers,
                body: Body {
                    inner: Box::new(body),
                    url: shown,
                    limit,
                    read: 0,
                    content_length: if method == Method::Head || status == 304 {
                        Some(0)
                    } else {
                        content_length
                    },
                    attempt_end,
                    timeout: attempt_timeout,
                    _permit: permit,
                },
            });
        }
        Err(Attempt::Fatal(HttpError::TooManyRedirects {
            url: redact_url(first),
            limit: self.cfg.max_redirects,
        }))
    }

    /// GET and read the whole body (capped) into memory.
    pub(crate) fn get_bytes(
        &self,
        url: &Url,
        req: &Request<'_>,
    ) -> Result<(Response, Vec<u8>), HttpError> {
        let mut resp = self.send(url, req)?;
        let bytes = resp.body.read_all()?;
        Ok((resp, bytes))
    }
}

enum Attempt {
    Transport(io::Error),
    TimedOut,
    Fatal(HttpError),
}

/// A response: status, headers and a bounded body stream.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) url: Url,
    headers: Vec<(String, String)>,
    pub(crate) body: Body,
}

impl Response {
    /// First header value named `name` (lower-case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn retry_after(&self) -> Option<Duration> {
        let v = self.header("retry-after")?.trim();
        v.parse::<u64>().ok().map(Duration::from_secs)
    }

    fn excerpt(mut self, secrets: &[String]) -> String {
        let mut buf = vec![0u8; 512];
        let mut n = 0;
        while n < buf.len() {
            match self.body.inner.read(&mut buf[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        let text: String = String::from_utf8_lossy(&buf[..n])
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        scrub(text.trim(), secrets)
    }
}

/// A response body: capped, checked against `Content-Length`, and bound to the deadline.
pub(crate) struct Body {
    inner: Box<dyn Read + Send>,
    url: String,
    limit: u64,
    read: u64,
    content_length: Option<u64>,
    attempt_end: Instant,
    timeout: Duration,
    _permit: Permit,
}

impl Body {
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn read_all(&mut self) -> Result<Vec<u8>, HttpError> {
        let mut out = Vec::with_capacity(
            self.content_length
                .unwrap_or(0)
                .min(self.limit)
                .min(16 * 1024 * 1024) as usize,
        );
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(HttpError::from_body_io(&self.url, e)),
            }
        }
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() >= self.attempt_end {
            return Err(io::Error::other(HttpError::Timeout {
                url: self.url.clone(),
                timeout: self.timeout,
            }));
        }
        // Read at most one byte past the cap, to notice an oversized body.
        let room = self.limit.saturating_sub(self.read).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) => {
                let ureq_timeout = e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<ureq::Error>())
                    .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
                let err = match e.kind() {
                    _ if ureq_timeout => HttpError::Timeout {
                        url: self.url.clone(),
                        timeout: self.timeout,
                    },
                    io::ErrorKind::TimedOut => HttpError::Timeout {
                        url: self.url.clone(),
                        timeout: self.timeout,
                    },
                    io::ErrorKind::UnexpectedEof => HttpError::Truncated {
                        url: self.url.clone(),
                        expected: self.content_length.unwrap_or(0),
                        received: self.read,
                    },
                    _ => HttpError::Body {
                        url: self.url.clone(),
                        source: e,
                    },
                };
                return Err(io::Error::other(err));
            }
        };
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(HttpError::TooLarge {
                url: self.url.clone(),
                limit: self.limit,
            }));
        }
        if n == 0
            && let Some(expected) = self.content_length
            && self.read < expected
        {
            return Err(io::Error::other(HttpError::Truncated {
                url: self.url.clone(),
                expected,
                received: self.read,
            }));
        }
        Ok(n)
    }
}

/// Parses a JSON body, naming the URL in the error.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    url: &str,
    bytes: &[u8],
    what: &'static str,
) -> Result<T, HttpError> {
    serde_json::from_slice(bytes).map_err(|source| HttpError::Json {
        url: url.to_owned(),
        what,
        source,
    })
}

/// Joins `path` under `base`, keeping `base`'s own path (a base without a trailing slash is
/// treated as a folder).
pub(crate) fn join(base: &Url, path: &str) -> Result<Url, HttpError> {
    let mut b = base.clone();
    if !b.path().ends_with('/') {
        let p = format!("{}/", b.path());
        b.set_path(&p);
    }
    b.join(path.trim_start_matches('/'))
        .map_err(|e| HttpError::InvalidUrl {
            url: format!("{base} + {path}"),
            reason: e.to_string(),
        })
}

/// Characters escaped in one URL path segment (RFC 3986 unreserved characters stay).
pub(crate) const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment, escaped.
pub(crate) fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// Parses a caller-supplied base URL (http or https only).
pub(crate) fn parse_base(s: &str) -> Result<Url, HttpError> {
    let u = Url::parse(s).map_err(|e| HttpError::InvalidUrl {
        url: s.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(HttpError::InvalidUrl {
            url: s.to_owned(),
            reason: "needs an http(s) URL with a host".to_owned(),
        });
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for a in 1..10 {
            let d = p.backoff(a);
            let exp = (Duration::from_millis(100) * (1 << (a - 1))).min(Duration::from_secs(1));
            assert!(d >= exp / 2 && d <= exp, "attempt {a}: {d:?} vs {exp:?}");
        }
    }

    #[test]
    fn join_keeps_base_path() {
        let b = Url::parse("http://127.0.0.1:1/index").unwrap();
        assert_eq!(
            join(&b, "config.json").unwrap().as_str(),
            "http://127.0.0.1:1/index/config.json"
        );
        let b = Url::parse("http://127.0.0.1:1/index/").unwrap();
        assert_eq!(
            join(&b, "/se/rd/serde").unwrap().as_str(),
            "http://127.0.0.1:1/index/se/rd/serde"
        );
    }
}
