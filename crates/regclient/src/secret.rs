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

/// Scrubs text meant for people (error excerpts, messages) of credentials, before any
/// truncation: every one of `secrets` (4 characters or more) becomes `<redacted>`; the rest as
/// [`scrub_text`] does.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let long: Vec<String> = secrets.iter().filter(|s| s.len() >= 4).cloned().collect();
    scrub_text(text, &long, REDACTED)
}

const REDACTED: &str = "<redacted>";

/// Replaces every credential in `text` with `mask`: each of `secrets` (in the order given, so
/// pass the longest first; empty ones are ignored), the user info of every URL
/// (`scheme://user:pass@host` keeps `scheme://{mask}@host`), and the value after an
/// `Authorization`, `token`, `password`, `passwd`, `secret`, `api_key` or `apikey` key
/// (`key: value`, `"key":"value"`, `key=value`, ASCII case-insensitive) or after a
/// `Bearer`/`Basic` scheme word.
///
/// A value already masked and then continued (`Bearer {mask}abc`, when output arrived in two
/// pieces) is masked again whole, so scrubbing a growing buffer more than once leaks nothing.
/// This is the one scrubber of relkit: regclient's errors and relgate's reports both use it.
pub fn scrub_text(text: &str, secrets: &[String], mask: &str) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if !s.is_empty() && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), mask);
        }
    }
    scrub_key_values(&scrub_userinfo(&out, mask), mask)
}

/// Characters that end a URL authority or a credential value in free text.
fn ends_value(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | ',' | ';' | '&' | '}' | ')' | '<' | '>' | '`'
        )
}

/// `scheme://user:pass@host` → `scheme://{mask}@host`, for every URL in `text`.
fn scrub_userinfo(text: &str, mask: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = rest.find("://") {
        let (head, tail) = rest.split_at(p + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| ends_value(c) || matches!(c, '/' | '?' | '#'))
            .unwrap_or(tail.len());
        let (authority, after) = tail.split_at(end);
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(mask);
                out.push_str(authority.get(at..).unwrap_or(""));
            }
            None => out.push_str(authority),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Keys whose value is a credential, and whether a `:`/`=` must follow them (scheme words
/// are followed by a space and the credential).
const CREDENTIAL_KEYS: [(&str, bool); 9] = [
    ("authorization", true),
    ("token", true),
    ("password", true),
    ("passwd", true),
    ("secret", true),
    ("api_key", true),
    ("apikey", true),
    ("bearer ", false),
    ("basic ", false),
];

/// Advances `j` over the characters of `text` that satisfy `pred`.
fn skip_while(text: &str, j: &mut usize, pred: impl Fn(char) -> bool) {
    while let Some(c) = text.get(*j..).and_then(|t| t.chars().next())
        && pred(c)
    {
        *j += c.len_utf8();
    }
}

/// Replaces the value after each credential key or scheme word (ASCII case-insensitive).
fn scrub_key_values(text: &str, mask: &str) -> String {
    // ASCII lower-casing keeps every byte offset of `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0; // bytes of `text` already in `out`
    let mut i = 0;
    while i < lower.len() {
        let hit = CREDENTIAL_KEYS
            .iter()
            .find(|(k, _)| lower.get(i..).is_some_and(|l| l.starts_with(k)));
        let Some((key, needs_separator)) = hit else {
            i += lower
                .get(i..)
                .and_then(|l| l.chars().next())
                .map_or(1, char::len_utf8);
            continue;
        };
        let mut j = i + key.len();
        if *needs_separator {
            skip_while(text, &mut j, |c| c == '"' || c == '\'' || c == ' ');
            if !text.get(j..).is_some_and(|t| t.starts_with([':', '='])) {
                i += key.len();
                continue;
            }
            j += 1;
            skip_while(text, &mut j, |c| c == '"' || c == '\'' || c.is_whitespace());
            // `Authorization: Bearer x` keeps the scheme word; its value is replaced.
            let scheme = ["bearer ", "basic ", "token "]
                .iter()
                .find(|w| lower.get(j..).is_some_and(|l| l.starts_with(**w)));
            if let Some(w) = scheme {
                j += w.len();
                skip_while(text, &mut j, |c| c == ' ');
            }
        } else {
            skip_while(text, &mut j, |c| c == ' ');
        }
        let value_len = text
            .get(j..)
            .map_or(0, |t| t.find(ends_value).unwrap_or(t.len()));
        let value = text.get(j..j + value_len).unwrap_or("");
        // An already masked value (or masked user info before `@host`) stays as it is.
        let masked = value
            .strip_prefix(mask)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('@'));
        if value.is_empty() || masked {
            i = j.max(i + 1);
            continue;
        }
        out.push_str(text.get(copied..j).unwrap_or(""));
        out.push_str(mask);
        copied = j + value_len;
        i = copied;
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    out
}

/// Cuts `text` to at most `max` bytes on a character boundary (after scrubbing, so that a
/// credential split by the cut was already replaced whole).
pub(crate) fn truncate_on_char(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// A URL given as text, for messages, when it may not parse: as [`redact_url`] when it does,
/// else with everything before the last `@` of its authority replaced by `<redacted>`.
pub(crate) fn redact_url_text(s: &str) -> String {
    if let Ok(u) = url::Url::parse(s)
        && u.has_host()
    {
        return redact_url(&u);
    }
    let start = s.find("://").map_or(0, |p| p + 3);
    let (head, tail) = s.split_at(start);
    let end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
    match tail.get(..end).and_then(|a| a.rfind('@')) {
        Some(at) => format!("{head}{REDACTED}{}", tail.get(at..).unwrap_or("")),
        None => s.to_owned(),
    }
}

/// A configured base URL, which may hold `user:pass@`: `Debug` shows it as [`redact_url`]
/// does, so a client's `Debug` never prints the password.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl(pub(crate) url::Url);

impl std::ops::Deref for BaseUrl {
    type Target = url::Url;
    fn deref(&self) -> &url::Url {
        &self.0
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact_url(&self.0))
    }
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

    #[test]
    fn text_loses_userinfo_and_credential_values() {
        let secrets = vec!["configured-secret-1".to_owned()];
        let cases = [
            ("see http://me:pw-abc@127.0.0.1:1/x?a=1", "pw-abc"),
            ("{\"token\": \"tok-abc-123\", \"n\": 1}", "tok-abc-123"),
            ("Authorization: Bearer eyJabc.def", "eyJabc.def"),
            ("authorization: token ghp_abcdef", "ghp_abcdef"),
            ("authorization=Basic dXNlcjpwdw==", "dXNlcjpwdw=="),
            ("x-auth-token=sekr3t&y=1", "sekr3t"),
            ("header 'bearer abcdef0123'", "abcdef0123"),
            ("PASSWORD='hunter2'", "hunter2"),
            ("the configured-secret-1 leaked", "configured-secret-1"),
        ];
        for (text, secret) in cases {
            let out = scrub(text, &secrets);
            assert!(!out.contains(secret), "{text:?} -> {out:?}");
            assert!(out.contains("<redacted>"), "{text:?} -> {out:?}");
        }
        // Words that merely mention a credential stay.
        let plain = "token authentication failed for é user; see https://127.0.0.1/docs";
        assert_eq!(scrub(plain, &secrets), plain);
    }

    #[test]
    fn urls_as_text_lose_userinfo_even_when_they_do_not_parse() {
        for bad in [
            "http://me:hunter2pw@127.0.0.1:99999/x",
            "me:hunter2pw@127.0.0.1/x",
            "http://me:hunter2pw@[::1/",
        ] {
            let shown = redact_url_text(bad);
            assert!(!shown.contains("hunter2pw"), "{shown}");
            assert!(shown.contains("1"), "{shown}");
        }
        assert_eq!(
            redact_url_text("http://127.0.0.1:99999/x"),
            "http://127.0.0.1:99999/x"
        );
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        let mut s = "aé".repeat(10);
        truncate_on_char(&mut s, 4);
        assert_eq!(s, "aéa");
    }
}
