//! `relver.toml` (or `[workspace.metadata.relver]` in `Cargo.toml`): the sources and their roles.

use crate::changelog::ChangelogPolicy;
use crate::finding::Severity;
use crate::parse_error::{ParseError, ParseErrorKind};
use crate::tag::TagPolicy;
use crate::tree::{Tree, is_glob, is_safe_relative};

/// What kind of file a source is, which decides the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceKind {
    /// `Cargo.toml`: `package.version` (or inherited `workspace.package.version`),
    /// `workspace.package.version`, and version requirements of path dependencies.
    Cargo,
    /// `Cargo.lock`: `[[package]]` entries without `source` (filtered by `packages`).
    CargoLock,
    /// `pyproject.toml`: `[project].version`, `[tool.poetry].version`, `dynamic`.
    Pyproject,
    /// `uv.lock`: the root package (by `package` name, else the virtual/editable one).
    UvLock,
    /// A Python module with exactly one `__version__ = "…"`.
    PythonVersion,
    /// `package.json`: `version`.
    PackageJson,
    /// `package-lock.json`: `version` and `packages[""].version`.
    PackageLock,
    /// A YAML scalar at `key` (one or two levels: `appVersion`, `info.version`).
    Yaml,
    /// A JSON value at `key`.
    Json,
    /// A TOML value at `key`.
    Toml,
    /// An OpenAPI document (YAML or JSON text): `info.version`.
    Openapi,
    /// A changelog: the section for the release version must exist.
    Changelog,
    /// A regular expression whose first capture group (or group `version`) is the version;
    /// it must match exactly `count` times.
    Regex,
}

/// How a source takes part in the check.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Role {
    /// Must exist and equal the release version.
    #[default]
    Member,
    /// Set at package time (a placeholder CI overrides): reported, never counted as drift.
    Derived,
    /// Versioned on its own: never read nor checked.
    Independent,
    /// Checked when the file exists; a missing file is fine.
    Optional,
}

impl Role {
    /// How grave a missing file (or a glob that matched nothing) of this role is: an error
    /// for a member, info for a derived source, nothing for an optional or independent one.
    #[must_use]
    pub(crate) const fn missing_severity(self) -> Option<Severity> {
        match self {
            Self::Member => Some(Severity::Error),
            Self::Derived => Some(Severity::Info),
            Self::Optional | Self::Independent => None,
        }
    }
}

/// A key path: `"info.version"` or `["packages", "", "version"]` (for keys with dots or empty
/// keys).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum KeyPath {
    /// Dot-separated keys.
    Dotted(String),
    /// Explicit keys.
    Parts(Vec<String>),
}

impl KeyPath {
    /// The keys.
    #[must_use]
    pub fn parts(&self) -> Vec<String> {
        match self {
            Self::Dotted(s) => s.split('.').map(str::to_owned).collect(),
            Self::Parts(p) => p.clone(),
        }
    }
}

/// One declared version source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub struct SourceSpec {
    /// File path relative to the project root, `/`-separated.
    pub path: String,
    /// The kind of file.
    pub kind: SourceKind,
    /// The role (default `member`).
    #[serde(default)]
    pub role: Role,
    /// Key path for `yaml`, `json`, `toml` (and to override `openapi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyPath>,
    /// Value format with one `{version}` (`v{version}`); default `{version}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// `cargo-lock`: the package names to check (default: every entry without `source`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<String>>,
    /// `uv-lock`: the root package name (normalised before matching).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// `regex`: the pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// `regex` (and `python-version`): the exact number of matches (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// `cargo`: also check version requirements of path dependencies (default true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub path_dependencies: bool,
    /// `changelog`: run the full changelog lint (default false: only the section must exist
    /// with a valid date).
    #[serde(default, skip_serializing_if = "is_false")]
    pub lint: bool,
    /// Why the source has its role (discovery writes it for `independent` sources: the file
    /// says it is not released, or it is a documentation copy of the changelog). Reports show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

const fn yes() -> bool {
    true
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
const fn is_true(b: &bool) -> bool {
    *b
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
const fn is_false(b: &bool) -> bool {
    !*b
}

impl SourceSpec {
    /// A member source of `kind` at `path`.
    #[must_use]
    pub fn new(path: impl Into<String>, kind: SourceKind) -> Self {
        Self {
            path: path.into(),
            kind,
            role: Role::Member,
            key: None,
            format: None,
            packages: None,
            package: None,
            pattern: None,
            count: None,
            path_dependencies: true,
            lint: false,
            reason: None,
        }
    }

    /// Set the reason for the role.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Set the role.
    #[must_use]
    pub const fn with_role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }

    relkit_finding::setters! {
        /// Set the key path (dotted).
        #[must_use]
        with_key(key: impl Into<String>) => key = Some(KeyPath::Dotted(key.into()));
        /// Set the format (`v{version}`).
        #[must_use]
        with_format(format: impl Into<String>) => format = Some(format.into());
    }

    /// Set the `cargo-lock` package filter.
    #[must_use]
    pub fn with_packages<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        packages: I,
    ) -> Self {
        self.packages = Some(packages.into_iter().map(Into::into).collect());
        self
    }

    /// Set the regex pattern and match count.
    #[must_use]
    pub fn with_pattern(mut self, pattern: impl Into<String>, count: usize) -> Self {
        self.pattern = Some(pattern.into());
        self.count = Some(count);
        self
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// Allowed release tag prefixes (default `["v"]`).
    #[serde(default = "default_prefixes")]
    pub tag_prefixes: Vec<String>,
    /// Prefixes of coupled tags that must point at the same commit (`clients/go/v`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupled_prefixes: Vec<String>,
    /// Changelog lint options.
    #[serde(default)]
    pub changelog: ChangelogPolicy,
    /// The sources.
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceSpec>,
}

fn default_prefixes() -> Vec<String> {
    vec!["v".to_owned()]
}

impl Default for Config {
    /// No sources, tag prefix `v`, default changelog policy.
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

/// The file name of the stand-alone configuration.
pub const CONFIG_FILE: &str = "relver.toml";

#[derive(serde::Deserialize)]
struct CargoWrapper {
    workspace: Option<WsWrapper>,
}

#[derive(serde::Deserialize)]
struct WsWrapper {
    metadata: Option<MetaWrapper>,
}

#[derive(serde::Deserialize)]
struct MetaWrapper {
    relver: Option<Config>,
}

fn de_error(path: &str, text: &str, e: &toml_edit::de::Error) -> ParseError {
    let at = e.span().map_or(0, |s| s.start);
    ParseError::at(
        ParseErrorKind::Config,
        path,
        text,
        at,
        e.message().trim().to_owned(),
    )
}

impl Config {
    /// A configuration with these sources and the default tag policy.
    #[must_use]
    pub fn new(sources: Vec<SourceSpec>) -> Self {
        Self {
            tag_prefixes: default_prefixes(),
            coupled_prefixes: Vec::new(),
            changelog: ChangelogPolicy::default(),
            sources,
        }
    }

    /// Parse a `relver.toml` text; `path` names it in errors.
    pub fn from_toml(path: &str, text: &str) -> Result<Self, ParseError> {
        let cfg: Self = toml_edit::de::from_str(text).map_err(|e| de_error(path, text, &e))?;
        cfg.validate(path, text, &[])?;
        Ok(cfg)
    }

    /// Parse the `[workspace.metadata.relver]` table of a `Cargo.toml` text; `Ok(None)` when
    /// there is none.
    pub fn from_cargo_manifest(path: &str, text: &str) -> Result<Option<Self>, ParseError> {
        let w: CargoWrapper =
            toml_edit::de::from_str(text).map_err(|e| de_error(path, text, &e))?;
        let cfg = w.workspace.and_then(|w| w.metadata).and_then(|m| m.relver);
        if let Some(c) = &cfg {
            c.validate(path, text, &["workspace", "metadata", "relver"])?;
        }
        Ok(cfg)
    }

    /// Load `relver.toml` from the tree, else `[workspace.metadata.relver]` from `Cargo.toml`.
    /// `Ok(None)` when neither exists.
    pub fn load(tree: &dyn Tree) -> Result<Option<Self>, ConfigError> {
        if let Some(text) = tree.read_text(CONFIG_FILE)? {
            return Ok(Some(Self::from_toml(CONFIG_FILE, &text)?));
        }
        if let Some(text) = tree.read_text("Cargo.toml")? {
            return Ok(Self::from_cargo_manifest("Cargo.toml", &text)?);
        }
        Ok(None)
    }

    /// The tag policy from `tag-prefixes`.
    #[must_use]
    pub fn tag_policy(&self) -> TagPolicy {
        TagPolicy::new(self.tag_prefixes.iter().cloned())
    }

    /// Render as `relver.toml` text.
    pub fn to_toml(&self) -> Result<String, crate::RenderError> {
        toml_edit::ser::to_string_pretty(self)
            .map_err(|e| crate::RenderError::new("the configuration", "TOML", e))
    }

    /// Checks what serde cannot: each error names the key (`source[2].path`, under `table`
    /// for `[workspace.metadata.relver]`) and points at its value in `text`.
    fn validate(&self, path: &str, text: &str, table: &[&str]) -> Result<(), ParseError> {
        for (i, s) in self.sources.iter().enumerate() {
            let bad_at = |field: &str, msg: String| {
                let key = table
                    .iter()
                    .copied()
                    .chain([format!("source[{i}].{field}").as_str()])
                    .collect::<Vec<_>>()
                    .join(".");
                let offset = value_offset(text, table, i, field);
                let message = format!("{key} ({}): {msg}", s.path);
                match offset {
                    Some(at) => ParseError::at(ParseErrorKind::Config, path, text, at, message),
                    None => ParseError::new(ParseErrorKind::Config, path, 1, 1, message),
                }
                .with_key(key)
            };
            let bad = |msg: String| bad_at("kind", msg);
            if !is_safe_relative(&s.path) {
                let what = if is_glob(&s.path) {
                    "the glob leaves the project root"
                } else {
                    "the path leaves the project root"
                };
                return Err(bad_at(
                    "path",
                    format!("{what}: paths are relative, '/'-separated, without `..`"),
                ));
            }
            if let Some(f) = &s.format {
                f.parse::<crate::field::Format>()
                    .map_err(|e| bad_at("format", e.to_string()))?;
            }
            match s.kind {
                SourceKind::Yaml | SourceKind::Json | SourceKind::Toml if s.key.is_none() => {
                    return Err(bad("`key` is required for this kind".into()));
                }
                SourceKind::Regex => {
                    let p = s
                        .pattern
                        .as_deref()
                        .ok_or_else(|| bad("`pattern` is required for this kind".into()))?;
                    let re = regex::Regex::new(p)
                        .map_err(|e| bad_at("pattern", format!("bad pattern: {e}")))?;
                    if re.captures_len() < 2 {
                        return Err(bad_at(
                            "pattern",
                            "the pattern needs a capture group for the version".into(),
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Byte offset of `source[index].field`'s value (under `table`) in a configuration text that
/// already deserialised, when it can be found.
fn value_offset(text: &str, table: &[&str], index: usize, field: &str) -> Option<usize> {
    let doc = crate::toml_src::TomlFile::parse("", text).ok()?;
    let mut item = doc.doc.as_item();
    for k in table {
        item = item.get(k)?;
    }
    let value = item.get("source")?.get(index)?.get(field)?;
    value
        .span()
        .or_else(|| value.as_value().and_then(toml_edit::Value::span))
        .map(|r| r.start)
}

/// Loading a configuration failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error(transparent)]
    Read(#[from] crate::input::ReadError),
    /// The file is not a valid configuration.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let t = "tag-prefixes = [\"v\", \"clients/go/v\"]\n[[source]]\npath = \"Chart.yaml\"\nkind = \"yaml\"\nkey = \"appVersion\"\nformat = \"v{version}\"\nrole = \"derived\"\n\n[[source]]\npath = \"package-lock.json\"\nkind = \"json\"\nkey = [\"packages\", \"\", \"version\"]\n";
        let c = Config::from_toml("relver.toml", t).unwrap();
        assert_eq!(c.sources.len(), 2);
        assert_eq!(c.sources[0].role, Role::Derived);
        assert_eq!(
            c.sources[1].key.as_ref().unwrap().parts(),
            ["packages", "", "version"]
        );
        assert_eq!(c.tag_policy().prefixes().len(), 2);
        let again = Config::from_toml("r", &c.to_toml().unwrap()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn errors_have_positions() {
        let e = Config::from_toml("relver.toml", "[[source]]\npath = \"x\"\nkind = \"nope\"\n")
            .unwrap_err();
        assert_eq!((e.kind(), e.line()), (ParseErrorKind::Config, 3));
        let e = Config::from_toml(
            "relver.toml",
            "[[source]]\npath = \"../x\"\nkind = \"cargo\"\n",
        )
        .unwrap_err();
        assert!(e.message().contains("leaves the project root"));
        assert!(Config::from_toml("r", "[[source]]\npath = \"x\"\nkind = \"yaml\"\n").is_err());
        assert!(
            Config::from_toml(
                "r",
                "[[source]]\npath = \"x\"\nkind = \"regex\"\npattern = \"v1\"\n"
            )
            .is_err()
        );
    }

    #[test]
    fn a_glob_or_path_leaving_the_root_is_a_typed_error_with_its_key() {
        let text = "[[source]]\npath = \"Cargo.toml\"\nkind = \"cargo\"\n\n[[source]]\nkind = \"cargo\"\npath = \"../*/Cargo.toml\"\n";
        let e = Config::from_toml("relver.toml", text).unwrap_err();
        assert_eq!(e.kind(), ParseErrorKind::Config);
        assert_eq!(e.key_path(), Some("source[1].path"));
        assert_eq!((e.line(), e.column()), (7, 8));
        assert!(
            e.message().contains("the glob leaves the project root"),
            "{e}"
        );
        let e = Config::from_toml(
            "relver.toml",
            "[[source]]\npath = \"/srv/*/Cargo.toml\"\nkind = \"cargo\"\n",
        )
        .unwrap_err();
        assert_eq!(e.key_path(), Some("source[0].path"));
        assert_eq!((e.line(), e.column()), (2, 8));
        let manifest = "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.metadata.relver]\nsource = [\n  { path = \"crates/*/Cargo.toml\", kind = \"cargo\" },\n  { path = \"crates/../../x/Cargo.toml\", kind = \"cargo\" },\n]\n";
        let e = Config::from_cargo_manifest("Cargo.toml", manifest).unwrap_err();
        assert_eq!(
            e.key_path(),
            Some("workspace.metadata.relver.source[1].path")
        );
        assert_eq!((e.path(), e.line(), e.column()), ("Cargo.toml", 7, 12));
        assert!(
            e.message().contains("the path leaves the project root"),
            "{e}"
        );
        // A glob that stays inside is fine.
        assert!(
            Config::from_cargo_manifest("Cargo.toml", &manifest.replace("crates/../../x/", "py/"))
                .is_ok()
        );
    }

    #[test]
    fn workspace_metadata() {
        let t = "[workspace]\nmembers = []\n[workspace.metadata.relver]\n[[workspace.metadata.relver.source]]\npath = \"Cargo.toml\"\nkind = \"cargo\"\n";
        let c = Config::from_cargo_manifest("Cargo.toml", t)
            .unwrap()
            .unwrap();
        assert_eq!(c.sources[0].kind, SourceKind::Cargo);
        assert!(
            Config::from_cargo_manifest("Cargo.toml", "[package]\nname='x'\n")
                .unwrap()
                .is_none()
        );
    }
}
