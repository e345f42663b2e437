//! URL parsing and joining, path segments, and JSON bodies named by their URL.

use url::Url;

use super::error::HttpError;

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
