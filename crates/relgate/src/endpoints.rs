//! Registry endpoints: never in the policy; from a registries file or the environment. The file
//! is regclient's one registries format ([`regclient::RegistriesConfig`], read here through it:
//! there is no second parser), and the variables are its one dialect
//! (`RELKIT_REGISTRY_<NAME>_URL`, `RELKIT_REGISTRY_<NAME>_TOKEN`); docs/registries.md.

use std::collections::BTreeMap;
use std::fmt;

use regclient::Secret;

/// Why a registries configuration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {}{message}", .key.as_deref().map(|k| format!("{k}: ")).unwrap_or_default())]
pub struct EndpointsError {
    source_name: String,
    line: usize,
    key: Option<String>,
    message: String,
}

impl EndpointsError {
    /// 1-based line (0 when not tied to a line).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The dotted key it concerns (`registries.py.url`), when known.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    fn at(source_name: &str, message: String) -> Self {
        EndpointsError {
            source_name: source_name.to_owned(),
            line: 0,
            key: None,
            message,
        }
    }
}

impl From<regclient::ConfigError> for EndpointsError {
    fn from(e: regclient::ConfigError) -> Self {
        match e {
            regclient::ConfigError::Parse {
                path,
                line,
                key,
                message,
            } => EndpointsError {
                source_name: path,
                line,
                key,
                message,
            },
            other => EndpointsError::at("registries configuration", other.to_string()),
        }
    }
}

/// Base URLs (and tokens) of the policy's registries, by registry name.
///
/// From a registries file (`[registries.<name>] url = "..."`, optional `token-env`) or from
/// environment variables `RELKIT_REGISTRY_<NAME>_URL` and `RELKIT_REGISTRY_<NAME>_TOKEN` (name
/// upper-cased, `-` as `_`; the older `RELGATE_REGISTRY_<NAME>_URL` still works, with a
/// deprecation warning in [`warnings`](Self::warnings)). URLs must be `http` or `https`; they
/// are shown in reports without any user-info part, and the user-info of each is remembered so
/// that no report or command output relgate renders shows it. Tokens are held as
/// [`Secret`]s: never printed, and remembered by the scrubber.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    urls: BTreeMap<String, String>,
    tokens: BTreeMap<String, Secret>,
    warnings: Vec<String>,
}

impl fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.urls.iter().map(|(k, v)| {
                let token = if self.tokens.contains_key(k) {
                    " (token: <redacted>)"
                } else {
                    ""
                };
                (k, format!("{}{token}", redact(v)))
            }))
            .finish()
    }
}

/// A URL as it may be shown: user info and credential-like values masked by the one scrubber.
fn redact(url: &str) -> String {
    regclient::scrub_text(url, &[], crate::scrub::MASK)
}

fn check_url(url: &str) -> Result<(), String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(format!("{:?} is not an http(s) URL", redact(url)))
    }
}

impl Endpoints {
    /// No endpoints.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a registries configuration file's text (regclient's one format, through
    /// [`regclient::RegistriesConfig`]); `source_name` names it in errors. Its
    /// `[registries.<name>]` entries are read; a `token-env` names the variable holding that
    /// registry's token (an error when unset). Deprecated keys add to
    /// [`warnings`](Self::warnings).
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, EndpointsError> {
        let cfg = regclient::RegistriesConfig::from_toml_str(text, source_name)?;
        let mut out = Endpoints::new();
        out.warnings.extend(cfg.deprecations().iter().cloned());
        for (name, entry) in &cfg.registries {
            check_url(&entry.url).map_err(|message| {
                EndpointsError::at(source_name, format!("registries.{name}.url: {message}"))
            })?;
            crate::scrub::remember_url_userinfo(&entry.url);
            out.urls.insert(name.clone(), entry.url.clone());
            if let Some(var) = &entry.token_env {
                let token = std::env::var(var)
                    .ok()
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| EndpointsError {
                        source_name: source_name.to_owned(),
                        line: 0,
                        key: Some(format!("registries.{name}.token-env")),
                        message: format!("environment variable {var} is not set"),
                    })?;
                crate::scrub::remember(&token);
                out.insert_token(name, Secret::new(token));
            }
        }
        Ok(out)
    }

    /// Reads `RELKIT_REGISTRY_<NAME>_URL` and `RELKIT_REGISTRY_<NAME>_TOKEN` for each of
    /// `names` from `vars` (pass `std::env::vars()`); names without a variable are left out.
    /// The deprecated `RELGATE_REGISTRY_<NAME>_URL` is read when the new name is not set, and
    /// adds a warning naming both variables to [`warnings`](Self::warnings) for the caller to
    /// show (and a `tracing` warning).
    pub fn from_vars<'n>(
        names: impl IntoIterator<Item = &'n str>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, EndpointsError> {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let mut out = Endpoints::new();
        for name in names {
            let new = Self::env_var_name(name);
            let old = Self::deprecated_env_var_name(name);
            let found = match (vars.get(&new), vars.get(&old)) {
                (Some(url), _) => Some((new, url)),
                (None, Some(url)) => {
                    out.warnings.push(regclient::deprecated_var(&old, &new));
                    Some((old, url))
                }
                (None, None) => None,
            };
            if let Some((var, url)) = found {
                check_url(url).map_err(|message| EndpointsError::at(&var, message))?;
                crate::scrub::remember_url_userinfo(url);
                out.urls.insert(name.to_owned(), url.clone());
            }
            let token = vars
                .get(&Self::token_env_var_name(name))
                .map(|t| t.trim())
                .filter(|t| !t.is_empty());
            if let Some(token) = token {
                crate::scrub::remember(token);
                out.insert_token(name, Secret::new(token));
            }
        }
        Ok(out)
    }

    /// The environment variable for registry `name` (`core-index`: `RELKIT_REGISTRY_CORE_INDEX_URL`).
    pub fn env_var_name(name: &str) -> String {
        regclient::registry_env_var(name, "URL")
    }

    /// The environment variable for registry `name`'s token
    /// (`npm-client`: `RELKIT_REGISTRY_NPM_CLIENT_TOKEN`).
    pub fn token_env_var_name(name: &str) -> String {
        regclient::registry_env_var(name, "TOKEN")
    }

    /// The deprecated spelling of [`env_var_name`](Self::env_var_name)
    /// (`RELGATE_REGISTRY_CORE_INDEX_URL`), still read with a warning.
    pub fn deprecated_env_var_name(name: &str) -> String {
        regclient::registry_env_var(name, "URL").replacen("RELKIT_", "RELGATE_", 1)
    }

    /// Sets registry `name`'s token (sent only to that registry's origin; never printed).
    pub fn insert_token(&mut self, name: &str, token: Secret) {
        self.tokens.insert(name.to_owned(), token);
    }

    /// Registry `name`'s token, if one was configured.
    pub fn token(&self, name: &str) -> Option<&Secret> {
        self.tokens.get(name)
    }

    /// Deprecation warnings from reading these endpoints (an old variable name was used),
    /// for the caller to show; relgate's libraries print nothing.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Sets one endpoint (later sources override earlier ones with [`merge`](Self::merge)).
    pub fn insert(&mut self, name: &str, url: &str) -> Result<(), EndpointsError> {
        check_url(url).map_err(|message| EndpointsError::at(name, message))?;
        crate::scrub::remember_url_userinfo(url);
        self.urls.insert(name.to_owned(), url.to_owned());
        Ok(())
    }

    /// Adds `other`'s endpoints (and warnings) over these.
    pub fn merge(&mut self, other: Endpoints) {
        self.urls.extend(other.urls);
        self.tokens.extend(other.tokens);
        self.warnings.extend(other.warnings);
    }

    /// The base URL of registry `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.urls.get(name).map(String::as_str)
    }

    /// The registry names with an endpoint.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.urls.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_env_and_redaction() {
        let e = Endpoints::from_toml_str(
            "[registries.py]\nurl = \"http://127.0.0.1:9/simple\"\n",
            "registries.toml",
        )
        .unwrap();
        assert_eq!(e.get("py"), Some("http://127.0.0.1:9/simple"));
        let err = Endpoints::from_toml_str("[registries.py]\nurl = 3\n", "r.toml").unwrap_err();
        assert_eq!(err.line(), 2);
        assert!(Endpoints::from_toml_str("[registries.py]\nurl = \"ftp://x\"\n", "r").is_err());

        let vars = vec![(
            String::from("RELKIT_REGISTRY_CORE_CRATE_URL"),
            String::from("http://user:secret@127.0.0.1:8/api"),
        )];
        let e = Endpoints::from_vars(["core-crate", "other"], vars).unwrap();
        assert!(e.warnings().is_empty());
        assert_eq!(
            e.get("core-crate"),
            Some("http://user:secret@127.0.0.1:8/api")
        );
        assert_eq!(e.get("other"), None);
        let shown = format!("{e:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("***@127.0.0.1:8/api"), "{shown}");
    }

    #[test]
    fn the_old_variable_still_works_with_a_warning_and_the_new_one_wins() {
        let var = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let old_only = vec![var("RELGATE_REGISTRY_PY_URL", "http://127.0.0.1:7/old")];
        let e = Endpoints::from_vars(["py"], old_only).unwrap();
        assert_eq!(e.get("py"), Some("http://127.0.0.1:7/old"));
        assert_eq!(
            e.warnings(),
            [
                "RELGATE_REGISTRY_PY_URL is deprecated: set RELKIT_REGISTRY_PY_URL instead (the value was used)"
            ]
        );
        let both = vec![
            var("RELGATE_REGISTRY_PY_URL", "http://127.0.0.1:7/old"),
            var("RELKIT_REGISTRY_PY_URL", "http://127.0.0.1:7/new"),
        ];
        let mut merged = Endpoints::new();
        merged.merge(e);
        merged.merge(Endpoints::from_vars(["py"], both).unwrap());
        assert_eq!(merged.get("py"), Some("http://127.0.0.1:7/new"));
        assert_eq!(
            merged.warnings().len(),
            1,
            "the earlier source's warning is kept"
        );
        let bad = vec![var("RELGATE_REGISTRY_PY_URL", "ftp://127.0.0.1/")];
        let err = Endpoints::from_vars(["py"], bad).unwrap_err();
        assert!(err.to_string().contains("RELGATE_REGISTRY_PY_URL"), "{err}");
    }

    #[test]
    fn the_file_is_read_through_regclient_with_tokens_and_deprecations() {
        let home = std::env::var("HOME").unwrap();
        let text = "[registries.npm-client]\nurl = \"http://127.0.0.1:9/\"\ntoken_env = \"HOME\"\n";
        let e = Endpoints::from_toml_str(text, "registries.toml").unwrap();
        assert_eq!(e.get("npm-client"), Some("http://127.0.0.1:9/"));
        assert_eq!(e.token("npm-client"), Some(&Secret::new(home.trim())));
        assert_eq!(
            e.warnings(),
            [
                "registries.toml:3: `token_env` is deprecated: write `token-env` (the value was used)"
            ]
        );
        let shown = format!("{e:?}");
        assert!(shown.contains("token: <redacted>"), "{shown}");
        if home.len() >= 4 {
            assert!(!shown.contains(&home), "{shown}");
        }
        // The same file in today's spelling: no warning.
        let e = Endpoints::from_toml_str(&text.replace("token_env", "token-env"), "r").unwrap();
        assert!(e.warnings().is_empty());

        // Typed errors name the file, line and key.
        let err = Endpoints::from_toml_str("[registries.py]\nurl = \"x\"\nuser = 1\n", "r.toml")
            .unwrap_err();
        assert_eq!(
            (err.line(), err.key()),
            (3, Some("registries.py.user")),
            "{err}"
        );
        let err = Endpoints::from_toml_str(
            "[registries.py]\nurl = \"http://127.0.0.1/\"\ntoken-env = \"RELKIT_SURELY_UNSET_VAR_9\"\n",
            "r.toml",
        )
        .unwrap_err();
        assert_eq!(err.key(), Some("registries.py.token-env"), "{err}");
        assert!(
            err.to_string().contains("RELKIT_SURELY_UNSET_VAR_9"),
            "{err}"
        );
    }

    #[test]
    fn tokens_come_from_relkit_registry_name_token_and_never_show() {
        let var = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let vars = vec![
            var("RELKIT_REGISTRY_NPM_CLIENT_URL", "http://127.0.0.1:9/"),
            var("RELKIT_REGISTRY_NPM_CLIENT_TOKEN", " npm-SECRET-token-77 "),
        ];
        let e = Endpoints::from_vars(["npm-client", "other"], vars).unwrap();
        assert_eq!(
            e.token("npm-client"),
            Some(&Secret::new("npm-SECRET-token-77"))
        );
        assert_eq!(e.token("other"), None);
        assert_eq!(
            Endpoints::token_env_var_name("npm-client"),
            "RELKIT_REGISTRY_NPM_CLIENT_TOKEN"
        );
        let shown = format!("{e:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        // The scrubber knows it: no rendered text shows it.
        let scrubbed = crate::scrub::Scrubber::current().scrub("sent npm-SECRET-token-77");
        assert!(!scrubbed.contains("SECRET"), "{scrubbed}");
        let mut merged = Endpoints::new();
        merged.merge(e);
        assert!(merged.token("npm-client").is_some());
    }
}
