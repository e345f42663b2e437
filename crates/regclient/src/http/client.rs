//! The client: its builder, and sending with retries and manual redirects.

use std::io;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use url::Url;

use super::error::HttpError;
use super::gate::Gate;
use super::response::{Body, Response};
use super::retry::RetryPolicy;
use crate::secret::{Credential, redact_url};

/// The default User-Agent: crate name, version and purpose.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "relkit-regclient/",
    env!("CARGO_PKG_VERSION"),
    " (release readback; +https://github.com/relkit/relkit)"
);

/// Size of a connection's receive buffer (one per pooled connection): the same as
/// [`artidigest::BUFFER_SIZE`], the chunk readback hashes and writes at once.
const INPUT_BUFFER: usize = artidigest::BUFFER_SIZE;

/// The default cap on one downloaded file: 4 GiB. Release files (wheels, crates, npm
/// tarballs, Helm charts, Go module zips) are far smaller; large container layers need
/// [`HttpClientBuilder::max_download_bytes`] (or `max_download_bytes` in a registries file).
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// The longest timeout or deadline a client takes (a week): longer ones are cut to it, and a
/// registries file asking for more is refused, so that no deadline overflows the clock.
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// `from + d`, or `from` + [`MAX_TIMEOUT`] when `d` would overflow the clock.
pub(crate) fn later(from: Instant, d: Duration) -> Instant {
    from.checked_add(d)
        .or_else(|| from.checked_add(MAX_TIMEOUT))
        .unwrap_or(from)
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
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
            max_concurrency: 8,
            proxy_from_env: true,
        }
    }
}

impl HttpClientBuilder {
    relkit_finding::setters! {
        /// Sets the User-Agent (default [`DEFAULT_USER_AGENT`]).
        user_agent(ua: impl Into<String>) => user_agent = ua.into();
        /// Time allowed for one request, body included (default 60 s; at most a week, longer
        /// values are cut to a week).
        request_timeout(t: Duration) => request_timeout = t.min(MAX_TIMEOUT);
        /// Time allowed to connect (default 10 s; at most a week).
        connect_timeout(t: Duration) => connect_timeout = t.min(MAX_TIMEOUT);
        /// Overall deadline of one operation, retries and body included (default 300 s; at
        /// most a week).
        deadline(t: Duration) => deadline = t.min(MAX_TIMEOUT);
        /// The retry policy.
        retry(r: RetryPolicy) => retry = r;
        /// Redirects followed per request (default 5).
        max_redirects(n: u32) => max_redirects = n;
        /// Cap on metadata bodies (indexes, packuments, manifests; default 64 MiB).
        max_metadata_bytes(n: u64) => max_metadata_bytes = n;
        /// Cap on one downloaded file (default [`DEFAULT_MAX_DOWNLOAD_BYTES`], 4 GiB). A
        /// download takes at most the smaller of this cap and the size the registry claims: a
        /// file claimed larger than the cap is refused before any byte is fetched
        /// ([`ReadbackError::TooLarge`](crate::ReadbackError::TooLarge)), and a file without a
        /// claimed size stops at the cap ([`HttpError::TooLarge`]).
        max_download_bytes(n: u64) => max_download_bytes = n;
        /// Whether `HTTP(S)_PROXY`/`ALL_PROXY` are honoured (default true).
        proxy_from_env(yes: bool) => proxy_from_env = yes;
        /// Requests in flight at once, bodies included (default 8).
        max_concurrency(n: usize) => max_concurrency = n.max(1);
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
            secrets: Arc::default(),
        }
    }
}

/// The HTTP core. Cheap to clone; clones share the connection pool and the concurrency bound.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    gate: Arc<Gate>,
    cfg: Arc<HttpClientBuilder>,
    /// Every secret the clients sharing this one were given, scrubbed from every error text.
    secrets: Arc<Mutex<Vec<String>>>,
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

    /// Adds the secrets of `credential` to those scrubbed from every error text of this client
    /// and its clones (each registry client calls it when given a credential).
    pub(crate) fn remember(&self, credential: &Credential) {
        if let Ok(mut known) = self.secrets.lock() {
            for s in credential.secrets() {
                if !known.contains(&s) {
                    known.push(s);
                }
            }
        }
    }

    /// The secrets to scrub from text about a request to `url`: every remembered one and the
    /// URL's own password, as written and percent-decoded.
    fn secrets_for(&self, url: &Url) -> Vec<String> {
        let mut out = self.secrets.lock().map(|k| k.clone()).unwrap_or_default();
        if let Some(p) = url.password() {
            out.push(p.to_owned());
            if let Ok(decoded) = percent_encoding::percent_decode_str(p).decode_utf8() {
                out.push(decoded.into_owned());
            }
        }
        out
    }

    /// The deadline of an operation starting now.
    pub(crate) fn deadline_from_now(&self) -> Instant {
        later(Instant::now(), self.cfg.deadline)
    }

    /// Sends a request with retries and redirects; returns a response whose status is 2xx,
    /// 304, or one of `pass_statuses`.
    pub(crate) fn send(&self, url: &Url, req: &Request<'_>) -> Result<Response, HttpError> {
        let started = Instant::now();
        let deadline = req.deadline.unwrap_or_else(|| self.deadline_from_now());
        let shown = redact_url(url);
        if let Some(c) = req.credential {
            self.remember(c);
        }
        let secrets = self.secrets_for(url);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self.send_once(url, req, deadline);
            match &outcome {
                Ok(resp) => tracing::debug!(
                    url = %shown,
                    status = resp.status,
                    attempt,
                    elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "http response"
                ),
                Err(e) => {
                    tracing::debug!(url = %shown, attempt, error = e.describe(), "http attempt failed")
                }
            }
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
                if delay <= self.cfg.retry.max_delay && later(Instant::now(), delay) < deadline {
                    let status = outcome.as_ref().ok().map(|r| r.status);
                    if status == Some(429) {
                        tracing::warn!(
                            url = %shown,
                            attempt,
                            wait_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                            retry_after_s = wait.map(|w| w.as_secs()),
                            "rate limited (HTTP 429): waiting before the next attempt"
                        );
                    } else {
                        tracing::info!(
                            url = %shown,
                            attempt,
                            status,
                            wait_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                            "retrying"
                        );
                    }
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
        let attempt_end = later(
            Instant::now(),
            req.timeout.unwrap_or(self.cfg.request_timeout),
        )
        .min(deadline);
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
                tracing::debug!(
                    from = %redact_url(&url),
                    to = %redact_url(&next),
                    status,
                    "redirect"
                );
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

    /// GETs the JSON document at `url` (with `accept` and `credential`) and parses it as `what`:
    /// `None` when the server answers 404.
    pub(crate) fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &Url,
        accept: &str,
        credential: Option<&Credential>,
        what: &'static str,
    ) -> Result<Option<Json<T>>, HttpError> {
        let req = Request {
            accept: Some(accept),
            credential,
            pass_statuses: &[404],
            ..Request::default()
        };
        let (resp, body) = self.get_bytes(url, &req)?;
        if resp.status == 404 {
            return Ok(None);
        }
        let shown = redact_url(&resp.url);
        let doc = super::parse_json(&shown, &body, what)?;
        Ok(Some(Json {
            url: resp.url,
            shown,
            doc,
        }))
    }
}

/// A JSON document read by [`HttpClient::get_json`].
pub(crate) struct Json<T> {
    /// Where it was read from (after redirects).
    pub(crate) url: Url,
    /// That URL redacted, for messages.
    pub(crate) shown: String,
    /// The document.
    pub(crate) doc: T,
}

enum Attempt {
    Transport(io::Error),
    TimedOut,
    Fatal(HttpError),
}

impl Attempt {
    /// A short description for logs (URLs in it are already redacted).
    fn describe(&self) -> String {
        match self {
            Attempt::Transport(e) => format!("transport: {e}"),
            Attempt::TimedOut => String::from("timed out"),
            Attempt::Fatal(e) => e.to_string(),
        }
    }
}
