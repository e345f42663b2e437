//! Conditional GETs: remember each document's `ETag` and ask again with `If-None-Match`, so a
//! poll or a second pass costs a 304 instead of a body.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use url::Url;

use crate::http::{HttpClient, HttpError, Request};
use crate::secret::Credential;

/// The outcome of a cached GET.
#[derive(Debug, Clone)]
pub(crate) enum Fetched {
    /// The document; `revalidated` when the server answered 304 and the cached copy was used.
    Found {
        body: Arc<Vec<u8>>,
        revalidated: bool,
        url: String,
        /// The index's change serial (`X-PyPI-Last-Serial`, `X-Devpi-Serial`), if sent.
        serial: Option<String>,
    },
    /// The server answered one of the "not there" statuses.
    Missing {
        #[allow(dead_code)] // kept for diagnostics in Debug output
        status: u16,
    },
}

/// URL and `Accept` header.
type CacheKey = (String, String);
/// `ETag` and body.
type Validated = (String, Arc<Vec<u8>>);

/// Documents by URL with their validators.
#[derive(Debug, Default)]
pub(crate) struct EtagCache {
    entries: Mutex<HashMap<CacheKey, Validated>>,
}

impl EtagCache {
    /// GET `url` (conditionally when cached). `missing` are statuses meaning "not there".
    pub(crate) fn get(
        &self,
        http: &HttpClient,
        url: &Url,
        accept: Option<&str>,
        credential: Option<&Credential>,
        missing: &[u16],
        deadline: Option<Instant>,
    ) -> Result<Fetched, HttpError> {
        let key = (url.as_str().to_owned(), accept.unwrap_or("").to_owned());
        let cached = self.entries.lock().ok().and_then(|m| m.get(&key).cloned());
        let req = Request {
            accept,
            if_none_match: cached.as_ref().map(|(e, _)| e.as_str()),
            credential,
            pass_statuses: missing,
            deadline,
            ..Request::default()
        };
        let (resp, bytes) = http.get_bytes(url, &req)?;
        let shown = crate::secret::redact_url(&resp.url);
        let serial = resp
            .header("x-pypi-last-serial")
            .or_else(|| resp.header("x-devpi-serial"))
            .map(str::to_owned);
        if missing.contains(&resp.status) {
            return Ok(Fetched::Missing {
                status: resp.status,
            });
        }
        if resp.status == 304 {
            if let Some((_, body)) = cached {
                return Ok(Fetched::Found {
                    body,
                    revalidated: true,
                    url: shown,
                    serial,
                });
            }
            return Err(HttpError::Status {
                url: shown,
                status: 304,
                attempts: 1,
                body_excerpt: "304 to an unconditional request".to_owned(),
            });
        }
        let body = Arc::new(bytes);
        if let Some(etag) = resp.header("etag")
            && let Ok(mut m) = self.entries.lock()
        {
            m.insert(key, (etag.to_owned(), Arc::clone(&body)));
        }
        Ok(Fetched::Found {
            body,
            revalidated: false,
            url: shown,
            serial,
        })
    }
}
