//! The loopback server's shared wire types: what a registry holds ([`State`], [`StoredFile`]),
//! the request it reads ([`Request`]) and the response it writes ([`Response`]), used by the
//! server in the parent module and by the protocol routes alike.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

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
pub(super) struct StoredFile {
    pub(super) name: String,
    /// The bytes the metadata describes.
    pub(super) claimed: Arc<Vec<u8>>,
    /// The bytes actually served (differ from `claimed` when corrupted).
    pub(super) served: Arc<Vec<u8>>,
    pub(super) sha256: Digest,
    pub(super) sha512: Digest,
    pub(super) sha1: Digest,
}

impl StoredFile {
    pub(super) fn new(name: &str, bytes: Vec<u8>) -> Option<StoredFile> {
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
pub(super) struct State {
    /// (kind, package as published) → version → files.
    pub(super) packages: BTreeMap<(DemoKind, String), BTreeMap<String, Vec<StoredFile>>>,
    /// PEP 740 provenance documents: (normalised project, version, file name) → JSON.
    pub(super) provenance: BTreeMap<(String, String, String), Arc<Vec<u8>>>,
    /// npm attestation documents by `name@version`.
    pub(super) npm_attestations: BTreeMap<String, Arc<Vec<u8>>>,
    /// Who npm tokens are and the npm org rosters (`/-/whoami`, `/-/org/{org}/user`).
    pub(super) npm_identity: relkit_testkit::npm_org::NpmIdentity,
    /// `gitHead` of npm versions, by `name@version`.
    pub(super) npm_git_heads: BTreeMap<String, String>,
    pub(super) serial: u64,
}

/// One HTTP response.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Arc<Vec<u8>>,
}

impl Response {
    pub(super) fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: Arc::new(body),
        }
    }
    pub(super) fn json(content_type: &'static str, value: &serde_json::Value) -> Response {
        Response::new(200, content_type, value.to_string().into_bytes())
    }
    pub(super) fn header(mut self, name: &str, value: impl Into<String>) -> Response {
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
pub(super) struct Request {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) accept: String,
    pub(super) if_none_match: Option<String>,
    pub(super) authorization: Option<String>,
}

pub(super) fn read_request(stream: &mut TcpStream) -> io::Result<Request> {
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
        authorization: None,
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
                "authorization" => req.authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    Ok(req)
}

pub(super) fn etag_of(resp: &Response) -> Option<&str> {
    resp.headers
        .iter()
        .find(|(n, _)| n == "ETag")
        .map(|(_, v)| v.as_str())
}

/// Writes `resp`; `before_last_byte` runs just before the final byte is written.
pub(super) fn write_response(
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

pub(super) fn not_found_json(body: serde_json::Value) -> Response {
    Response::new(404, "application/json", body.to_string().into_bytes())
}

/// A strong ETag for a document body.
pub(super) fn with_etag(resp: Response) -> Response {
    let set = digest_bytes(&resp.body, &[Algorithm::Sha256]);
    let tag = set
        .get(Algorithm::Sha256)
        .map(|d| format!("\"{}\"", &d.to_hex()[..32]))
        .unwrap_or_default();
    resp.header("ETag", tag)
}
