//! A response and its bounded body stream.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use url::Url;

use super::error::HttpError;
use super::gate::Permit;
use crate::secret::{scrub, truncate_on_char};

/// A response: status, headers and a bounded body stream.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) url: Url,
    pub(super) headers: Vec<(String, String)>,
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

    pub(super) fn retry_after(&self) -> Option<Duration> {
        let v = self.header("retry-after")?.trim();
        v.parse::<u64>().ok().map(Duration::from_secs)
    }

    /// The start of the body for an error message: up to [`EXCERPT_BYTES`] bytes, control
    /// characters blanked, scrubbed of `secrets`, URL user info and credential values. The
    /// scrubbing reads [`EXCERPT_BYTES`] + [`SCRUB_MARGIN`] bytes and runs *before* the cut, so
    /// a credential that straddles the cut is replaced whole, not shown in part.
    pub(super) fn excerpt(mut self, secrets: &[String]) -> String {
        let mut buf = vec![0u8; EXCERPT_BYTES + SCRUB_MARGIN];
        let mut n = 0;
        while let Some(free) = buf.get_mut(n..).filter(|b| !b.is_empty()) {
            match self.body.inner.read(free) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        let text: String = String::from_utf8_lossy(buf.get(..n).unwrap_or_default())
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut shown = scrub(text.trim(), secrets);
        truncate_on_char(&mut shown, EXCERPT_BYTES);
        shown
    }
}

/// Bytes of a failed response's body shown in its error.
pub(crate) const EXCERPT_BYTES: usize = 512;

/// Bytes read past [`EXCERPT_BYTES`] so that a credential crossing the cut (up to this long)
/// is scrubbed whole before the cut.
const SCRUB_MARGIN: usize = 8 * 1024;

/// A response body: capped, checked against `Content-Length`, and bound to the deadline.
pub(crate) struct Body {
    pub(super) inner: Box<dyn Read + Send>,
    pub(super) url: String,
    pub(super) limit: u64,
    pub(super) read: u64,
    pub(super) content_length: Option<u64>,
    pub(super) attempt_end: Instant,
    pub(super) timeout: Duration,
    pub(super) _permit: Permit,
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
                Ok(n) => out.extend_from_slice(buf.get(..n).unwrap_or_default()),
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
        let n = match self.inner.read(buf.get_mut(..want).unwrap_or_default()) {
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
