//! Registry endpoints: never in the policy; from a registries file or the environment.

use std::collections::BTreeMap;
use std::fmt;

/// Why a registries configuration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {message}")]
pub struct EndpointsError {
    source_name: String,
    line: usize,
    message: String,
}

impl EndpointsError {
    /// 1-based line (0 when not tied to a line).
    pub fn line(&self) -> usize {
        self.line
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    registries: BTreeMap<String, RawEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    url: String,
}

/// Base URLs of the policy's registries, by registry name.
///
/// From a file (`[registries.<name>] url = "..."`) or from environment variables
/// `RELKIT_REGISTRY_<NAME>_URL` (name upper-cased, `-` as `_`; the older
/// `RELGATE_REGISTRY_<NAME>_URL` still works, with a deprecation warning in
/// [`warnings`](Self::warnings)). URLs must be `http` or `https`; they are shown in reports
/// without any user-info part, and the user-info of each is remembered so that no report or
/// command output relgate renders shows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    urls: BTreeMap<String, String>,
    warnings: Vec<String>,
}

impl fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.urls.iter().map(|(k, v)| (k, redact(v))))
            .finish()
    }
}

/// A URL with any `user:password@` part replaced by `***@`.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            match authority.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://***@{host}{path}"),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// A registry name as an environment variable part: upper case, other characters as `_`.
fn env_name_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
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

    /// Parses a registries configuration file's text; `source_name` names it in errors.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, EndpointsError> {
        let line_of = |offset: usize| {
            text.get(..offset.min(text.len()))
                .map_or(0, |s| s.matches('\n').count() + 1)
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| EndpointsError {
            source_name: source_name.to_owned(),
            line: e.span().map_or(0, |s| line_of(s.start)),
            message: e.message().trim().to_owned(),
        })?;
        let mut out = Endpoints::new();
        for (name, entry) in raw.registries {
            check_url(&entry.url).map_err(|message| EndpointsError {
                source_name: source_name.to_owned(),
                line: 0,
                message: format!("registries.{name}.url: {message}"),
            })?;
            crate::scrub::remember_url_userinfo(&entry.url);
            out.urls.insert(name, entry.url);
        }
        Ok(out)
    }

    /// Reads `RELKIT_REGISTRY_<NAME>_URL` for each of `names` from `vars` (pass
    /// `std::env::vars()`); names without a variable are left out. The deprecated
    /// `RELGATE_REGISTRY_<NAME>_URL` is read when the new name is not set, and adds a warning
    /// naming both variables to [`warnings`](Self::warnings) for the caller to show.
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
                    out.warnings.push(format!(
                        "{old} is deprecated: set {new} instead (the value was used)"
                    ));
                    Some((old, url))
                }
                (None, None) => None,
            };
            if let Some((var, url)) = found {
                check_url(url).map_err(|message| EndpointsError {
                    source_name: var.clone(),
                    line: 0,
                    message,
                })?;
                crate::scrub::remember_url_userinfo(url);
                out.urls.insert(name.to_owned(), url.clone());
            }
        }
        Ok(out)
    }

    /// The environment variable for registry `name` (`core-index`: `RELKIT_REGISTRY_CORE_INDEX_URL`).
    pub fn env_var_name(name: &str) -> String {
        format!("RELKIT_REGISTRY_{}_URL", env_name_part(name))
    }

    /// The deprecated spelling of [`env_var_name`](Self::env_var_name)
    /// (`RELGATE_REGISTRY_CORE_INDEX_URL`), still read with a warning.
    pub fn deprecated_env_var_name(name: &str) -> String {
        format!("RELGATE_REGISTRY_{}_URL", env_name_part(name))
    }

    /// Deprecation warnings from reading these endpoints (an old variable name was used),
    /// for the caller to show; relgate's libraries print nothing.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Sets one endpoint (later sources override earlier ones with [`merge`](Self::merge)).
    pub fn insert(&mut self, name: &str, url: &str) -> Result<(), EndpointsError> {
        check_url(url).map_err(|message| EndpointsError {
            source_name: name.to_owned(),
            line: 0,
            message,
        })?;
        crate::scrub::remember_url_userinfo(url);
        self.urls.insert(name.to_owned(), url.to_owned());
        Ok(())
    }

    /// Adds `other`'s endpoints (and warnings) over these.
    pub fn merge(&mut self, other: Endpoints) {
        self.urls.extend(other.urls);
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
}
