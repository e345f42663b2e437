//! Why an HTTP exchange failed.

use std::io;
use std::time::Duration;

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
        /// The parser's error (its message names the line and column).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
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
