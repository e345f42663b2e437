//! Credentials that never show up in a log, an error or a report.

use std::fmt;

/// A token or password. `Debug` and `Display` print `<redacted>`; the value leaves this type only
/// as an HTTP header sent to the host it was configured for.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Reads a secret from the environment variable `var`; `None` when unset or empty.
    pub fn from_env(var: &str) -> Option<Self> {
        std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| Secret(v.trim().to_owned()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How a request authenticates to a registry.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <token>` (npm, PyPI tokens, OCI registry tokens).
    Bearer(Secret),
    /// `Authorization: Basic …` (OCI token endpoints, private indexes).
    Basic {
        /// The user name (not secret).
        user: String,
        /// The password or personal access token.
        password: Secret,
    },
    /// `Authorization: <token>` as the crates registry protocol sends it.
    Raw(Secret),
}

impl Credential {
    /// A bearer token read from the environment variable `var`, if set.
    pub fn bearer_from_env(var: &str) -> Option<Self> {
        Secret::from_env(var).map(Credential::Bearer)
    }

    pub(crate) fn header_value(&self) -> String {
        use base64::Engine as _;
        match self {
            Credential::Bearer(t) => format!("Bearer {}", t.expose()),
            Credential::Basic { user, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", password.expose()))
            ),
            Credential::Raw(t) => t.expose().to_owned(),
        }
    }

    /// Every secret string this credential could put on the wire, for scrubbing text.
    pub(crate) fn secrets(&self) -> Vec<String> {
        match self {
            Credential::Bearer(t) | Credential::Raw(t) => vec![t.expose().to_owned()],
            Credential::Basic { password, .. } => {
                vec![password.expose().to_owned(), self.header_value()]
            }
        }
    }
}

/// Replaces every occurrence of any of `secrets` in `text` with `<redacted>`.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.len() >= 4 {
            out = out.replace(s.as_str(), "<redacted>");
        }
    }
    out
}

/// A URL for messages: user info dropped and the values of query parameters that look like
/// credentials (pre-signed storage URLs carry signatures) replaced by `<redacted>`.
pub(crate) fn redact_url(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let lower = k.to_ascii_lowercase();
                let sensitive = [
                    "sig",
                    "token",
                    "key",
                    "secret",
                    "pass",
                    "credential",
                    "auth",
                ]
                .iter()
                .any(|w| lower.contains(w));
                let v = if sensitive {
                    "<redacted>".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Credential::Bearer(Secret::new("tok-123456"));
        assert!(!format!("{c:?}").contains("tok-123456"));
        let s = Secret::new("pw-abcdef");
        assert_eq!(s.to_string(), "<redacted>");
        assert_eq!(
            scrub("x tok-123456 y", &c.secrets()),
            "x <redacted> y".to_owned()
        );
    }

    #[test]
    fn urls_lose_userinfo_and_signatures() {
        let u = url::Url::parse("https://me:pw@h.example/p?X-Amz-Signature=abc&n=1").unwrap();
        let r = redact_url(&u);
        assert!(!r.contains("pw") && !r.contains("abc"), "{r}");
        assert!(r.contains("n=1"));
    }
}
