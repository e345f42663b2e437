//! URL parsing and joining, path segments, and JSON bodies named by their URL.

use url::Url;

use super::error::HttpError;
use crate::secret::{redact_url, redact_url_text};

/// Parses a JSON body, naming the URL in the error.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    url: &str,
    bytes: &[u8],
    what: &'static str,
) -> Result<T, HttpError> {
    serde_json::from_slice(bytes).map_err(|source| HttpError::Json {
        url: url.to_owned(),
        what,
        source: Box::new(source),
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
            url: format!("{} + {}", redact_url(base), redact_url_text(path)),
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
        url: redact_url_text(s),
        reason: e.to_string(),
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(HttpError::InvalidUrl {
            url: redact_url_text(s),
            reason: "needs an http(s) URL with a host".to_owned(),
        });
    }
    Ok(u)
}

/// The URL of a file a registry document lists: `reference` as an absolute URL, or resolved
/// against `base` (the document's URL). The result never carries user info: neither
/// `base`'s `user:pass@` (it would be printed in reports and sent as Basic auth with the
/// download) nor one written in the document. Credentials for downloads travel only as
/// [`crate::FetchOptions::credential`], bound to an origin.
pub(crate) fn file_url(base: &Url, reference: &str) -> Result<Url, url::ParseError> {
    let mut u = Url::parse(reference).or_else(|_| base.join(reference))?;
    strip_userinfo(&mut u);
    Ok(u)
}

/// Removes `user:pass@` from `u`.
pub(crate) fn strip_userinfo(u: &mut Url) {
    // Both fail only for URLs that cannot have user info (no host), which then have none.
    let _ = u.set_username("");
    let _ = u.set_password(None);
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn file_urls_never_carry_userinfo() {
        let base = Url::parse("http://me:hunter2pw@127.0.0.1:1/simple/demo/").unwrap();
        for reference in [
            "../../files/demo-1.0.tar.gz",
            "/files/demo-1.0.tar.gz",
            "http://other:pw2@127.0.0.2:2/demo-1.0.tar.gz",
            "//127.0.0.3/demo-1.0.tar.gz",
        ] {
            let u = file_url(&base, reference).unwrap();
            assert_eq!((u.username(), u.password()), ("", None), "{u}");
            assert!(!u.as_str().contains("pw"), "{u}");
        }
        assert_eq!(
            file_url(&base, "../../files/x.whl").unwrap().as_str(),
            "http://127.0.0.1:1/files/x.whl"
        );
    }

    #[test]
    fn url_errors_never_print_a_password() {
        for bad in [
            "http://me:hunter2pw@127.0.0.1:99999/",
            "ftp://me:hunter2pw@127.0.0.1/",
            "http://me:hunter2pw@[::1/",
        ] {
            let e = parse_base(bad).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("hunter2pw"), "{shown}");
            assert!(
                shown.contains("127.0.0.1") || shown.contains("[::1"),
                "{shown}"
            );
        }
        let base = Url::parse("http://me:hunter2pw@127.0.0.1:1/").unwrap();
        let e = join(&base, "http://x:hunter2pw@[::1/").unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("hunter2pw"), "{shown}");
    }
}
