//! Plain GETs of small documents for relkit code outside `regclient` that must talk to a
//! service over HTTP (a forge's REST API for CI evidence): the same client, timeouts,
//! retries, redirect and credential rules, body caps and redaction as every registry request.

use crate::http::{HttpClient, HttpError, Request, parse_base};
use crate::secret::{Credential, redact_url};

/// What to send with [`HttpClient::get_document`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default)]
pub struct DocumentRequest<'a> {
    /// `Accept` header.
    pub accept: Option<&'a str>,
    /// Credential sent as `Authorization` (never across a redirect to another host).
    pub credential: Option<&'a Credential>,
    /// Statuses handed back as a [`Document`] instead of failing (e.g. 404, 403).
    pub pass_statuses: &'a [u16],
    /// Body cap in bytes; `None` = the client's metadata cap.
    pub limit: Option<u64>,
    /// Response headers to keep (lower-case names).
    pub keep_headers: &'a [&'a str],
}

/// A document: final status, the URL that answered (credentials removed), the headers asked
/// for, and the whole (capped) body.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// HTTP status (2xx, 304 or one of the pass statuses).
    pub status: u16,
    /// The URL that answered, after redirects, without credentials.
    pub url: String,
    headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Document {
    /// The value of a kept header (lower-case name), if the server sent it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl HttpClient {
    /// GETs `url` and reads the whole body (capped), with the client's retries, deadline and
    /// redirect rules. Statuses other than 2xx, 304 and `req.pass_statuses` are errors.
    pub fn get_document(&self, url: &str, req: DocumentRequest<'_>) -> Result<Document, HttpError> {
        let parsed = parse_base(url)?;
        let request = Request {
            accept: req.accept,
            credential: req.credential,
            pass_statuses: req.pass_statuses,
            limit: req.limit,
            ..Request::default()
        };
        let (resp, body) = self.get_bytes(&parsed, &request)?;
        let headers = req
            .keep_headers
            .iter()
            .filter_map(|name| {
                resp.header(name)
                    .map(|v| ((*name).to_owned(), v.to_owned()))
            })
            .collect();
        Ok(Document {
            status: resp.status,
            url: redact_url(&resp.url),
            headers,
            body,
        })
    }
}
