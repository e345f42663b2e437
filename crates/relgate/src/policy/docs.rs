//! `[docs]`: where versioned documentation is deployed (a branch `mike` writes) and the alias
//! that must name the release.

use serde::Deserialize;

/// `[docs]`: the `docs-published` gate reads `branch` at its head from the source repository's
/// git objects and requires the `{path}{version}/` folder and a `{path}versions.json` that
/// maps `alias` to the release version.
///
/// ```
/// let policy = relgate::Policy::from_toml_str(
///     "[project]\nname = \"demo\"\n[docs]\n",
///     "release.toml",
/// )?;
/// let docs = policy.docs.as_ref().unwrap();
/// assert_eq!((docs.branch.as_str(), docs.alias.as_deref()), ("gh-pages", Some("latest")));
/// # Ok::<(), relgate::PolicyError>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DocsRules {
    /// The docs branch (`gh-pages`); read as `refs/heads/{branch}`, else
    /// `refs/remotes/origin/{branch}`.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// The alias that must point at the release (`latest`); `""` requires no alias.
    #[serde(default = "default_alias", deserialize_with = "de_alias")]
    pub alias: Option<String>,
    /// A folder prefix inside the branch (`mike deploy --deploy-prefix`), `/`-separated.
    #[serde(default)]
    pub path: Option<String>,
}

impl Default for DocsRules {
    fn default() -> Self {
        DocsRules {
            branch: default_branch(),
            alias: default_alias(),
            path: None,
        }
    }
}

impl DocsRules {
    /// The prefix before `{version}/` and `versions.json` inside the branch (`""` or `docs/`).
    pub fn prefix(&self) -> String {
        match self.path.as_deref().map(|p| p.trim_matches('/')) {
            None | Some("") => String::new(),
            Some(p) => format!("{p}/"),
        }
    }

    /// The cross-key rules serde cannot state. `Err((key, message))` names the key at fault.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.branch.trim().is_empty() || self.branch.starts_with('-') {
            return Err((
                "docs.branch",
                format!("{:?} is not a branch name", self.branch),
            ));
        }
        if let Some(p) = &self.path
            && (p.starts_with('/') || p.split('/').any(|c| c == ".." || c == "."))
        {
            return Err((
                "docs.path",
                format!("{p:?} must be a relative folder inside the branch"),
            ));
        }
        Ok(())
    }
}

fn default_branch() -> String {
    String::from("gh-pages")
}

fn default_alias() -> Option<String> {
    Some(String::from("latest"))
}

fn de_alias<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    Ok((!s.is_empty()).then_some(s))
}
