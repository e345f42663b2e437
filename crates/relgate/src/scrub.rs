//! One scrubber for every text relgate shows: command output (before it is cut to a tail)
//! and every finding, evidence value and error string of a report (when it is rendered). The
//! masking itself is regclient's `scrub_text`, the one scrubber of relkit; this module decides
//! which secrets relgate knows.
//!
//! It replaces with `***`:
//! - every secret value relgate knows: the user-info of the registries configuration's URLs
//!   ([`remember`]), and the value of every variable of relkit's environment whose name ends
//!   in `_TOKEN`, `_PASSWORD`, `_SECRET` or `_KEY` (or is one of those words), 8 bytes or more;
//! - the user-info of every URL (`scheme://user:pass@host` → `scheme://***@host`);
//! - the value after `Authorization:`, `token:`/`token=`, `password`, `secret`, `api_key`
//!   keys, and after a `Bearer`/`Basic` scheme word.
//!
//! A value already scrubbed and then continued (`Bearer ***abc`, when output arrived in two
//! pieces) is scrubbed again whole, so scrubbing a growing buffer more than once leaks nothing.

use std::sync::{Mutex, PoisonError};

/// What a secret is replaced with.
pub(crate) const MASK: &str = "***";

/// Shortest environment value taken as a secret (shorter values are too common to replace).
pub(crate) const MIN_ENV_SECRET: usize = 8;

/// Shortest configured secret replaced.
const MIN_CONFIGURED_SECRET: usize = 4;

/// Name endings of environment variables whose values are secrets.
const SECRET_NAME_ENDINGS: [&str; 4] = ["TOKEN", "PASSWORD", "SECRET", "KEY"];

/// Secrets from configuration (registry URL user-info), kept for the life of the process.
static REMEMBERED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers `secret` (a configured credential) so that no later output shows it.
pub(crate) fn remember(secret: &str) {
    if secret.len() < MIN_CONFIGURED_SECRET {
        return;
    }
    let mut all = REMEMBERED.lock().unwrap_or_else(PoisonError::into_inner);
    if !all.iter().any(|s| s == secret) {
        all.push(secret.to_owned());
    }
}

/// Remembers the user-info of `url` (`user:pass` and `pass`), if it has any.
pub(crate) fn remember_url_userinfo(url: &str) {
    let Some((_, rest)) = url.split_once("://") else {
        return;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        remember(userinfo);
        if let Some((_, pass)) = userinfo.split_once(':') {
            remember(pass);
        }
    }
}

/// Whether a variable named `name` holds a secret by its name.
pub(crate) fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_ENDINGS
        .iter()
        .any(|end| upper == *end || upper.ends_with(&format!("_{end}")))
}

/// The secret values found in `vars` (an environment) by [`secret_name`].
pub(crate) fn secrets_in_env(vars: impl IntoIterator<Item = (String, String)>) -> Vec<String> {
    vars.into_iter()
        .filter(|(k, v)| secret_name(k) && v.trim().len() >= MIN_ENV_SECRET)
        .flat_map(|(_, v)| {
            let t = v.trim().to_owned();
            if t == v { vec![v] } else { vec![v, t] }
        })
        .collect()
}

/// A scrubber over a fixed list of secret values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scrubber {
    /// Longest first, so that a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl Scrubber {
    /// Over `secrets` (and nothing relgate knows besides).
    pub(crate) fn with_secrets(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Scrubber { secrets }
    }

    /// Over every secret relgate knows now: the remembered ones and relkit's environment's.
    pub(crate) fn current() -> Self {
        let mut all = REMEMBERED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        all.extend(secrets_in_env(std::env::vars_os().filter_map(|(k, v)| {
            Some((k.into_string().ok()?, v.into_string().ok()?))
        })));
        Scrubber::with_secrets(all)
    }

    /// `text` with every secret, URL user-info and credential value replaced by [`MASK`].
    pub(crate) fn scrub(&self, text: &str) -> String {
        regclient::scrub_text(text, &self.secrets, MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a scrubber adds to [`regclient::scrub_text`] (whose patterns regclient's tests
    /// walk): its mask and its configured secrets.
    #[test]
    fn known_secrets_urls_and_credential_values_are_masked() {
        let s = Scrubber::with_secrets(["configured-secret-1".to_owned()]);
        assert_eq!(s.scrub("the configured-secret-1 leaked"), "the *** leaked");
        assert_eq!(
            s.scrub("authorization: token ghp_abcdef"),
            "authorization: token ***"
        );
        assert_eq!(
            s.scrub("http://me:pw@127.0.0.1/x"),
            "http://***@127.0.0.1/x"
        );
        let plain = "token authentication failed for é user; see https://127.0.0.1/docs";
        assert_eq!(s.scrub(plain), plain);
    }

    #[test]
    fn a_value_continued_after_a_mask_is_masked_again() {
        let s = Scrubber::default();
        let first = s.scrub("Authorization: Bearer abc");
        assert_eq!(first, "Authorization: Bearer ***");
        let grown = format!("{first}def more");
        assert_eq!(s.scrub(&grown), "Authorization: Bearer *** more");
    }

    #[test]
    fn environment_secrets_by_name_and_length() {
        let vars = [
            ("GITHUB_TOKEN", "ghp_0123456789"),
            ("NPM_TOKEN", "short"),
            ("AWS_SECRET", "abcdefgh"),
            ("SIGNING_KEY", "k-12345678"),
            ("DB_PASSWORD", "p4ssw0rd!"),
            ("HOME", "/root/secretive"),
            ("KEYBOARD", "longvalue-xyz"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let mut found = secrets_in_env(vars);
        found.sort();
        assert_eq!(
            found,
            ["abcdefgh", "ghp_0123456789", "k-12345678", "p4ssw0rd!"]
        );
    }

    #[test]
    fn url_userinfo_is_remembered() {
        remember_url_userinfo("https://robot:rem3mbered-pw@127.0.0.1:9/index");
        let out = Scrubber::current().scrub("login as robot:rem3mbered-pw failed (rem3mbered-pw)");
        assert!(!out.contains("rem3mbered"), "{out}");
    }
}
