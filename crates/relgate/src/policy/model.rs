//! The release policy file, `release.toml`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use crate::finding::Code;
use crate::gate::Phase;
use crate::waiver::Waiver;

/// Largest policy file read, in bytes.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

/// The project a policy is for.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Project {
    /// The project's name.
    pub name: String,
    /// `owner/name` of the source repository, when it has one.
    #[serde(default)]
    pub repository: Option<String>,
}

/// How release tags look.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TagRules {
    /// The tag pattern with `{version}` standing for the strict SemVer version (`v{version}`).
    #[serde(default = "default_tag_pattern")]
    pub pattern: String,
    /// Coupled tags that must point at the same commit (`clients/go/v{version}`).
    #[serde(default)]
    pub coupled: Vec<String>,
}

fn default_tag_pattern() -> String {
    String::from("v{version}")
}

impl TagRules {
    /// The tag for `version` (`v{version}` with `1.2.3` gives `v1.2.3`).
    pub fn tag_for(&self, version: &str) -> String {
        self.pattern.replace("{version}", version)
    }

    /// The version inside `tag`, when `tag` fits the pattern (no SemVer check here).
    pub fn version_in<'t>(&self, tag: &'t str) -> Option<&'t str> {
        let (prefix, suffix) = self.pattern.split_once("{version}")?;
        tag.strip_prefix(prefix)?.strip_suffix(suffix)
    }
}

/// Where the version sources are described (`relver`'s configuration, by path, inline, or the
/// `relver.toml` of the source tree) and where the source tree is (a folder, or a git
/// repository read at the release commit without a checkout).
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VersionSources {
    /// A `relver` configuration file, relative to the policy file.
    #[serde(default)]
    pub config: Option<PathBuf>,
    /// The same configuration inline (the `relver.toml` schema: `tag-prefixes`, `[[source]]`, ...).
    #[serde(default)]
    pub inline: Option<toml::Table>,
    /// The source tree as a folder, relative to the policy file (default: the policy's folder).
    #[serde(default)]
    pub tree: Option<PathBuf>,
    /// The source tree as a git repository, relative to the policy file; files are read from the
    /// release commit (the run's commit, else the tag when it exists, else `HEAD`).
    #[serde(default)]
    pub git: Option<PathBuf>,
    /// The validated `relver` configuration, once known (inline at parse time, a `config` file
    /// when the policy is [loaded](Policy::load)); `None` means "read it from the tree".
    #[serde(skip)]
    pub resolved: Option<relver::Config>,
}

impl VersionSources {
    /// The `relver` configuration for `tree`: the resolved one, else the file named by `config`
    /// (relative to `base_dir`), else the tree's own `relver.toml` or
    /// `[workspace.metadata.relver]`.
    pub fn config_for(
        &self,
        base_dir: &Path,
        tree: &dyn relver::Tree,
    ) -> Result<relver::Config, String> {
        if let Some(c) = &self.resolved {
            return Ok(c.clone());
        }
        if let Some(path) = &self.config {
            return load_relver_config(&base_dir.join(path)).map_err(|e| e.to_string());
        }
        match relver::Config::load(tree) {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(String::from(
                "no version sources: the policy's [versions] names no `config` or `inline`, and the source tree has no relver.toml",
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Reads and validates a `relver` configuration file; errors name its line and column.
fn load_relver_config(path: &Path) -> Result<relver::Config, PolicyError> {
    let io = |message: String| PolicyError {
        kind: PolicyErrorKind::Io,
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        key: None,
        message,
    };
    let text = match relver::read_text_file(path, MAX_POLICY_BYTES) {
        Ok(Some(t)) => t,
        Ok(None) => return Err(io(String::from("the version configuration does not exist"))),
        Err(e) => return Err(io(format!("cannot read: {e}"))),
    };
    relver::Config::from_toml(&path.display().to_string(), &text).map_err(|e| PolicyError {
        kind: PolicyErrorKind::Invalid,
        file: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        key: None,
        message: e.message().to_owned(),
    })
}

/// What kind of artifact a glob selects.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A Python wheel.
    Wheel,
    /// A Python source distribution.
    Sdist,
    /// A Rust `.crate`.
    Crate,
    /// An npm package tarball.
    NpmTarball,
    /// An OCI image.
    OciImage,
    /// A Helm chart.
    HelmChart,
    /// A Go module zip.
    GoModule,
    /// A checksum file.
    ChecksumFile,
    /// A software bill of materials.
    Sbom,
    /// Provenance (`*.intoto.jsonl`).
    Provenance,
    /// A sigstore bundle or detached signature.
    Signature,
    /// A plain binary or archive.
    Binary,
}

/// Artifacts of one kind, selected by a glob over the release folder.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ArtifactRule {
    /// A glob relative to the release folder (`*.whl`, `dist/**/*.crate`).
    pub glob: String,
    /// Their kind.
    pub kind: ArtifactKind,
}

/// The checksum file and how strictly to verify it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChecksumRules {
    /// Its name in the release folder.
    pub file: String,
    /// Fail when the folder holds files the checksum file does not list (default true).
    #[serde(default = "yes")]
    pub fail_on_unlisted: bool,
    /// Files that need not be listed (globs; signatures and provenance usually).
    #[serde(default)]
    pub unlisted_allowed: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Who must have signed: the workflow identity, with `{tag}` substituted.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SigningIdentity {
    /// The forge serving the repository (`https://github.com`); part of the identity URL.
    pub server: String,
    /// `owner/name`.
    pub repository: String,
    /// The workflow file path (`.github/workflows/release.yml`).
    pub workflow: String,
    /// The ref the workflow ran on, with `{tag}` substituted (`refs/tags/{tag}`).
    #[serde(default = "default_ref", rename = "ref")]
    pub git_ref: String,
    /// The OIDC issuer of the signing certificate.
    pub issuer: String,
    /// Triggers allowed to sign (`push`). Empty means any not denied.
    #[serde(default)]
    pub allowed_triggers: Vec<String>,
    /// Triggers refused (`workflow_dispatch`).
    #[serde(default)]
    pub denied_triggers: Vec<String>,
    /// The Sigstore trust root (`trusted_root.json`), relative to the release folder.
    #[serde(default = "default_trusted_root")]
    pub trusted_root: String,
    /// What follows an artifact's name to name its bundle (`.sigstore.json`).
    #[serde(default = "default_bundle_suffix")]
    pub bundle_suffix: String,
}

fn default_trusted_root() -> String {
    String::from("trusted_root.json")
}

fn default_bundle_suffix() -> String {
    String::from(".sigstore.json")
}

fn default_ref() -> String {
    String::from("refs/tags/{tag}")
}

impl SigningIdentity {
    /// The exact certificate identity for `tag`:
    /// `{server}/{repository}/{workflow}@{ref}` with `{tag}` substituted.
    pub fn identity_for(&self, tag: &str) -> String {
        format!(
            "{}/{}/{}@{}",
            self.server.trim_end_matches('/'),
            self.repository,
            self.workflow.trim_start_matches('/'),
            self.git_ref.replace("{tag}", tag)
        )
    }

    /// Whether `trigger` may have started the signing run.
    pub fn trigger_allowed(&self, trigger: &str) -> bool {
        !self.denied_triggers.iter().any(|t| t == trigger)
            && (self.allowed_triggers.is_empty()
                || self.allowed_triggers.iter().any(|t| t == trigger))
    }
}

/// What provenance must say.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProvenanceRules {
    /// Provenance files in the release folder (glob, `*.intoto.jsonl`).
    pub glob: String,
    /// The predicate type (`https://slsa.dev/provenance/v1`).
    pub predicate_type: String,
    /// The builder id, with `{tag}` substituted, when pinned.
    #[serde(default)]
    pub builder_id: Option<String>,
    /// Artifact kinds every one of which must be a subject.
    #[serde(default)]
    pub cover: Vec<ArtifactKind>,
}

/// The kind of a registry.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryKind {
    /// A Python package index (JSON API).
    Pypi,
    /// A Cargo registry.
    Cargo,
    /// An npm registry.
    Npm,
    /// An OCI distribution registry (images, charts).
    Oci,
    /// A Go module proxy.
    GoProxy,
}

/// A registry the release publishes to, by name. Its endpoint is NOT here: it comes from the
/// registries configuration or the environment ([`Endpoints`](crate::Endpoints)).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistryRule {
    /// The registry kind.
    pub kind: RegistryKind,
    /// The package (or repository) name on it.
    pub package: String,
    /// Artifact kinds served there.
    #[serde(default)]
    pub artifacts: Vec<ArtifactKind>,
    /// OCI platforms that must be present (`linux/amd64`).
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Whether a signature must be served alongside.
    #[serde(default)]
    pub signed: bool,
    /// OCI: further tags that must point at the release digest (templates: `{version}`,
    /// `{major}`, `{minor}`, `{patch}`; e.g. `"{major}.{minor}"`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// OCI: tags that must not exist (`latest`).
    #[serde(default)]
    pub forbidden_tags: Vec<String>,
    /// Registries (by name) that must serve the version before this one may hold it (the
    /// manifest crate publishes only after the core crate is served and verified).
    #[serde(default)]
    pub after: Vec<String>,
    /// Seconds within which the version must become visible.
    #[serde(default)]
    pub visible_within_secs: Option<u64>,
    /// Recovery mode: the registry may already hold the version (an earlier, interrupted
    /// release run uploaded it). `version-unpublished` then passes with a note instead of
    /// demanding a patch bump, and the served bytes are verified instead of uploading.
    #[serde(default)]
    pub recovery: bool,
}

/// The release (on the forge) and its folder.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReleaseRules {
    /// Globs that must each match at least one file in the release folder.
    #[serde(default)]
    pub required_assets: Vec<String>,
    /// Whether the release is created as a draft and un-drafted only when allowed.
    #[serde(default = "yes")]
    pub draft: bool,
}

/// CI evidence required before tagging.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CiRules {
    /// The branch whose head the tag must point at.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Workflows (by name or file name) that need a successful push run for the commit.
    pub workflows: Vec<String>,
}

fn default_branch() -> String {
    String::from("main")
}

/// How the `rebuild-identity` gate rebuilds the release from its source (`[rebuild]`).
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RebuildRules {
    /// The build command, as argv (no shell), run in the source tree with `SOURCE_DATE_EPOCH`
    /// and `RELKIT_REBUILD_OUT` set. May be empty only when the caller supplies an in-process
    /// [`Rebuilder`](crate::Rebuilder).
    #[serde(default)]
    pub command: Vec<String>,
    /// Where the command leaves the artifacts, relative to the source tree (default: the
    /// folder named by `RELKIT_REBUILD_OUT`). Must stay inside the source tree.
    #[serde(default)]
    pub output: Option<PathBuf>,
    /// `SOURCE_DATE_EPOCH` for the build (default: the release commit's committer time).
    #[serde(default)]
    pub source_date_epoch: Option<u64>,
    /// Seconds the build may take before it is killed (default 600).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Globs (over the release folder) of the artifacts to compare (default: every
    /// `[[artifacts]]` file of a buildable kind: wheel, sdist, crate, npm tarball, Helm
    /// chart, Go module, binary).
    #[serde(default)]
    pub artifacts: Vec<String>,
}

/// Placement of one gate: ordering, timeout, phase (for gates the runner does not know).
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GateRule {
    /// Gates this one runs after.
    pub after: Vec<String>,
    /// Timeout in seconds.
    pub timeout_secs: Option<u64>,
    /// Phase, for gates not in the standard catalogue.
    pub phase: Option<Phase>,
    /// A command (argv, no shell) that implements this gate: exit 0 passes, anything else
    /// fails with `command-failed` (see [`CommandGate`](crate::CommandGate)).
    pub command: Option<Vec<String>>,
    /// The command's working folder, relative to the source tree (default: the source tree).
    pub cwd: Option<PathBuf>,
}

/// A parsed, validated `release.toml`.
///
/// ```
/// let policy = relgate::Policy::from_toml_str(r#"
/// [project]
/// name = "demo"
///
/// [release]
/// required-assets = ["*.whl", "checksums.txt"]
///
/// [checksums]
/// file = "checksums.txt"
///
/// [gates.checksum-file]
/// after = ["required-assets-present"]
/// "#, "release.toml")?;
/// assert_eq!(policy.project.name, "demo");
/// assert_eq!(policy.gates["checksum-file"].after, ["required-assets-present"]);
/// # Ok::<(), relgate::PolicyError>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Policy {
    /// The project.
    pub project: Project,
    /// Tag rules; the `tag-strict-semver` gate is required when present.
    pub tag: Option<TagRules>,
    /// Version sources; the `versions-lockstep` gate is required when present.
    pub versions: Option<VersionSources>,
    /// Artifacts by glob and kind.
    pub artifacts: Vec<ArtifactRule>,
    /// The checksum file; the `checksum-file` gate is required when present.
    pub checksums: Option<ChecksumRules>,
    /// The signing identity; the `signatures-valid` gate is required when present.
    pub signing: Option<SigningIdentity>,
    /// Provenance expectations; the `provenance-valid` gate is required when present.
    pub provenance: Option<ProvenanceRules>,
    /// Registries by name; the `registry-readback` gate is required when any.
    pub registries: BTreeMap<String, RegistryRule>,
    /// The release and its required assets.
    pub release: ReleaseRules,
    /// CI evidence; the `ci-green` gate is required when present.
    pub ci: Option<CiRules>,
    /// How to rebuild the release; the `rebuild-identity` gate is required when present.
    pub rebuild: Option<RebuildRules>,
    /// Gate placement, by gate id; every gate named here is required.
    pub gates: BTreeMap<String, GateRule>,
    /// Waivers, each with its reason.
    pub waivers: Vec<Waiver>,
    /// The folder of the policy file (relative paths resolve against it).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    project: Project,
    #[serde(default)]
    tag: Option<Spanned<TagRules>>,
    #[serde(default)]
    versions: Option<Spanned<VersionSources>>,
    #[serde(default)]
    artifacts: Vec<Spanned<ArtifactRule>>,
    #[serde(default)]
    checksums: Option<Spanned<ChecksumRules>>,
    #[serde(default)]
    signing: Option<SigningIdentity>,
    #[serde(default)]
    provenance: Option<ProvenanceRules>,
    #[serde(default)]
    registries: BTreeMap<String, RegistryRule>,
    #[serde(default)]
    release: Option<Spanned<ReleaseRules>>,
    #[serde(default)]
    ci: Option<CiRules>,
    #[serde(default)]
    rebuild: Option<Spanned<RebuildRules>>,
    #[serde(default)]
    gates: BTreeMap<Spanned<String>, RawGate>,
    #[serde(default)]
    waivers: Vec<Spanned<RawWaiver>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawGate {
    #[serde(default)]
    after: Vec<Spanned<String>>,
    #[serde(default)]
    timeout_secs: Option<Spanned<u64>>,
    #[serde(default)]
    phase: Option<Spanned<String>>,
    #[serde(default)]
    command: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    cwd: Option<Spanned<PathBuf>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawWaiver {
    #[serde(default)]
    gate: Option<Spanned<String>>,
    #[serde(default)]
    code: Option<Spanned<String>>,
    #[serde(default)]
    reason: Option<Spanned<String>>,
}

/// What is wrong with a policy file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyErrorKind {
    /// The file could not be read (or is too large).
    Io,
    /// TOML syntax, a wrong type, a missing or an unknown key.
    Syntax,
    /// Well-formed but invalid (waiver without reason, unknown code, bad pattern, bad edge).
    Invalid,
}

/// An error in a policy file, naming the file, line, column and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}{}", file.display(), key.as_ref().map(|k| format!(" (key `{k}`)")).unwrap_or_default())]
pub struct PolicyError {
    kind: PolicyErrorKind,
    file: PathBuf,
    line: usize,
    column: usize,
    key: Option<String>,
    message: String,
}

impl PolicyError {
    /// What kind of error.
    pub fn kind(&self) -> &PolicyErrorKind {
        &self.kind
    }
    /// The policy file.
    pub fn file(&self) -> &Path {
        &self.file
    }
    /// 1-based line (0 when the error is not tied to a place, such as an unreadable file).
    pub fn line(&self) -> usize {
        self.line
    }
    /// 1-based column.
    pub fn column(&self) -> usize {
        self.column
    }
    /// The key at fault, when known.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }
    /// The message without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Maps byte offsets to 1-based line and column.
struct Locator<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Locator<'_> {
    fn at(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before
            .get(line_start..)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    fn error(
        &self,
        kind: PolicyErrorKind,
        offset: usize,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> PolicyError {
        let (line, column) = self.at(offset);
        PolicyError {
            kind,
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// The dotted key a parse error is about: the field a serde message names (`unknown field
/// `x``), else the key written on the error's line, prefixed by the table it is in.
fn key_at(text: &str, span: Option<std::ops::Range<usize>>, message: &str) -> Option<String> {
    let whole = span
        .as_ref()
        .is_none_or(|s| s.start == 0 && (s.end == 0 || s.end >= text.trim_end().len()));
    let offset = span.map_or(0, |s| s.start).min(text.len());
    let line_start = text
        .get(..offset)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line_end = text
        .get(offset..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| offset + i);
    let line = text.get(line_start..line_end).unwrap_or("").trim();
    let header = |l: &str| {
        let l = l.trim();
        (l.starts_with('[') && l.ends_with(']'))
            .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned())
    };
    // The table the error's line is in: the nearest header above it.
    let table = text
        .get(..line_start)
        .unwrap_or("")
        .lines()
        .rev()
        .find_map(header);
    let named = if message.starts_with("unknown field") || message.starts_with("missing field") {
        let start = message.find('`')? + 1;
        let len = message.get(start..)?.find('`')?;
        message.get(start..start + len).map(str::to_owned)
    } else {
        None
    };
    let key = match named {
        Some(k) => k,
        None if header(line).is_some() => return None,
        None => line.split_once('=')?.0.trim().trim_matches('"').to_owned(),
    };
    // A missing field of the table on this very line, or an unknown table header.
    let table = if whole {
        None
    } else if header(line).is_some() {
        header(line).filter(|_| message.starts_with("missing"))
    } else {
        table
    };
    Some(match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key,
    })
}

/// A command line: at least the program, no empty program, no NUL bytes.
fn check_argv(argv: &[String]) -> Result<(), String> {
    match argv.first() {
        None => Err(String::from(
            "a command needs at least the program (argv[0]); it runs without a shell",
        )),
        Some(p) if p.trim().is_empty() => Err(String::from("the program (argv[0]) is empty")),
        Some(_) if argv.iter().any(|a| a.contains('\0')) => {
            Err(String::from("a command argument contains a NUL byte"))
        }
        Some(_) => Ok(()),
    }
}

/// A relative path that stays below its base: no root, no `..`.
fn check_relative(path: &Path) -> Result<(), String> {
    use std::path::Component;
    if path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        Ok(())
    } else {
        Err(format!(
            "{} must be a relative path inside the source tree (no root, no `..`)",
            path.display()
        ))
    }
}

fn validate_rebuild(r: &RebuildRules) -> Result<(), (&'static str, String)> {
    if !r.command.is_empty() {
        check_argv(&r.command).map_err(|m| ("rebuild.command", m))?;
    }
    if let Some(o) = &r.output {
        check_relative(o).map_err(|m| ("rebuild.output", m))?;
    }
    if r.timeout_secs == Some(0) {
        return Err((
            "rebuild.timeout-secs",
            String::from("a timeout of 0 seconds would fail every run"),
        ));
    }
    for g in &r.artifacts {
        globset::Glob::new(g).map_err(|e| ("rebuild.artifacts", format!("bad glob {g:?}: {e}")))?;
    }
    Ok(())
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let io = |message: String| PolicyError {
            kind: PolicyErrorKind::Io,
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            key: None,
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| io(format!("cannot read: {e}")))?;
        if meta.len() > MAX_POLICY_BYTES {
            return Err(io(format!(
                "the policy is {} bytes; at most {MAX_POLICY_BYTES} are read",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| io(format!("cannot read: {e}")))?;
        let mut policy = Self::from_toml_str(&text, path)?;
        policy.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if let Some(v) = &mut policy.versions
            && let Some(config) = &v.config
        {
            v.resolved = Some(load_relver_config(&policy.base_dir.join(config))?);
        }
        Ok(policy)
    }

    /// Parses and validates policy text; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: impl AsRef<Path>) -> Result<Policy, PolicyError> {
        let loc = Locator {
            text,
            file: file.as_ref(),
        };
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().trim().to_owned();
            let key = key_at(text, e.span(), &message);
            let leaf = key.as_deref().map(|k| k.rsplit('.').next().unwrap_or(k));
            let hint = match leaf {
                Some("url" | "endpoint" | "base-url" | "index-url" | "registry-url") => {
                    "; registry endpoints never go in the policy: set them in the registries configuration or the environment"
                }
                _ => "",
            };
            loc.error(
                PolicyErrorKind::Syntax,
                offset,
                key.as_deref(),
                format!("{message}{hint}"),
            )
        })?;
        Self::validate(raw, &loc)
    }

    fn validate(raw: RawPolicy, loc: &Locator<'_>) -> Result<Policy, PolicyError> {
        let invalid = |offset: usize, key: &str, message: String| {
            loc.error(PolicyErrorKind::Invalid, offset, Some(key), message)
        };

        if let Some(tag) = &raw.tag
            && tag.get_ref().pattern.matches("{version}").count() != 1
        {
            return Err(invalid(
                tag.span().start,
                "tag.pattern",
                format!(
                    "the tag pattern {:?} must contain `{{version}}` exactly once",
                    tag.get_ref().pattern
                ),
            ));
        }
        let mut resolved_versions = None;
        if let Some(v) = &raw.versions {
            let inner = v.get_ref();
            if inner.config.is_some() && inner.inline.is_some() {
                return Err(invalid(
                    v.span().start,
                    "versions",
                    String::from(
                        "give the version sources as `config` (a path) or `inline`, not both",
                    ),
                ));
            }
            if inner.tree.is_some() && inner.git.is_some() {
                return Err(invalid(
                    v.span().start,
                    "versions",
                    String::from(
                        "the source tree is a folder (`tree`) or a repository (`git`), not both",
                    ),
                ));
            }
            if let Some(table) = &inner.inline {
                let text = toml::to_string(table)
                    .map_err(|e| invalid(v.span().start, "versions.inline", e.to_string()))?;
                let config = relver::Config::from_toml("versions.inline", &text).map_err(|e| {
                    let line_text = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
                    invalid(
                        v.span().start,
                        "versions.inline",
                        format!("{} (at `{}`)", e.message(), line_text.trim()),
                    )
                })?;
                resolved_versions = Some(config);
            }
        }
        for a in &raw.artifacts {
            if let Err(e) = globset::Glob::new(&a.get_ref().glob) {
                return Err(invalid(
                    a.span().start,
                    "artifacts.glob",
                    format!("bad glob {:?}: {e}", a.get_ref().glob),
                ));
            }
        }
        if let Some(c) = &raw.checksums {
            for g in &c.get_ref().unlisted_allowed {
                if let Err(e) = globset::Glob::new(g) {
                    return Err(invalid(
                        c.span().start,
                        "checksums.unlisted-allowed",
                        format!("bad glob {g:?}: {e}"),
                    ));
                }
            }
        }
        if let Some(r) = &raw.release {
            for g in &r.get_ref().required_assets {
                if let Err(e) = globset::Glob::new(g) {
                    return Err(invalid(
                        r.span().start,
                        "release.required-assets",
                        format!("bad glob {g:?}: {e}"),
                    ));
                }
            }
        }

        if let Some(r) = &raw.rebuild {
            validate_rebuild(r.get_ref()).map_err(|(key, m)| invalid(r.span().start, key, m))?;
        }

        let mut policy = Policy {
            project: raw.project,
            tag: raw.tag.map(Spanned::into_inner),
            versions: raw.versions.map(|v| VersionSources {
                resolved: resolved_versions,
                ..v.into_inner()
            }),
            artifacts: raw.artifacts.into_iter().map(Spanned::into_inner).collect(),
            checksums: raw.checksums.map(Spanned::into_inner),
            signing: raw.signing,
            provenance: raw.provenance,
            registries: raw.registries,
            release: raw.release.map(Spanned::into_inner).unwrap_or_default(),
            ci: raw.ci,
            rebuild: raw.rebuild.map(Spanned::into_inner),
            gates: BTreeMap::new(),
            waivers: Vec::new(),
            base_dir: PathBuf::new(),
        };
        let implied = policy.implied();

        let mut gates = BTreeMap::new();
        for (id, g) in &raw.gates {
            if !is_kebab(id.get_ref()) {
                return Err(invalid(
                    id.span().start,
                    "gates",
                    format!("gate id {:?} is not kebab-case", id.get_ref()),
                ));
            }
            let mut after = Vec::new();
            for a in &g.after {
                if !raw.gates.keys().any(|k| k.get_ref() == a.get_ref())
                    && !implied.contains(&a.get_ref().as_str())
                {
                    return Err(invalid(
                        a.span().start,
                        &format!("gates.{}.after", id.get_ref()),
                        format!(
                            "gate {:?} runs after {:?}, which is not a gate of this policy",
                            id.get_ref(),
                            a.get_ref()
                        ),
                    ));
                }
                if a.get_ref() == id.get_ref() {
                    return Err(invalid(
                        a.span().start,
                        &format!("gates.{}.after", id.get_ref()),
                        format!("gate {:?} cannot run after itself", id.get_ref()),
                    ));
                }
                after.push(a.get_ref().clone());
            }
            let phase = match &g.phase {
                None => None,
                Some(p) => Some(Phase::from_str(p.get_ref()).map_err(|e| {
                    invalid(
                        p.span().start,
                        &format!("gates.{}.phase", id.get_ref()),
                        e.to_string(),
                    )
                })?),
            };
            let timeout_secs = match &g.timeout_secs {
                Some(t) if *t.get_ref() == 0 => {
                    return Err(invalid(
                        t.span().start,
                        &format!("gates.{}.timeout-secs", id.get_ref()),
                        String::from("a timeout of 0 seconds would fail every run"),
                    ));
                }
                t => t.as_ref().map(|t| *t.get_ref()),
            };
            let command = match &g.command {
                None => None,
                Some(c) => {
                    check_argv(c.get_ref()).map_err(|m| {
                        invalid(
                            c.span().start,
                            &format!("gates.{}.command", id.get_ref()),
                            m,
                        )
                    })?;
                    Some(c.get_ref().clone())
                }
            };
            let cwd = match &g.cwd {
                None => None,
                Some(c) => {
                    let key = format!("gates.{}.cwd", id.get_ref());
                    if command.is_none() {
                        return Err(invalid(
                            c.span().start,
                            &key,
                            String::from("`cwd` only applies to a gate with a `command`"),
                        ));
                    }
                    check_relative(c.get_ref()).map_err(|m| invalid(c.span().start, &key, m))?;
                    Some(c.get_ref().clone())
                }
            };
            gates.insert(
                id.get_ref().clone(),
                GateRule {
                    after,
                    timeout_secs,
                    phase,
                    command,
                    cwd,
                },
            );
        }

        let mut waivers = Vec::new();
        for (n, w) in raw.waivers.iter().enumerate() {
            let at = w.span().start;
            let w = w.get_ref();
            let key = format!("waivers[{n}]");
            let reason = match &w.reason {
                Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_owned(),
                Some(r) => {
                    return Err(invalid(
                        r.span().start,
                        &format!("{key}.reason"),
                        String::from("a waiver needs a written reason; this one is empty"),
                    ));
                }
                None => {
                    return Err(invalid(
                        at,
                        &format!("{key}.reason"),
                        String::from("a waiver needs a written reason; this one has none"),
                    ));
                }
            };
            let code =
                match &w.code {
                    None => None,
                    Some(c) => Some(Code::from_str(c.get_ref()).map_err(|e| {
                        invalid(c.span().start, &format!("{key}.code"), e.to_string())
                    })?),
                };
            if w.gate.is_none() && code.is_none() {
                return Err(invalid(
                    at,
                    &key,
                    String::from("a waiver must name a `gate`, a `code`, or both"),
                ));
            }
            if let Some(g) = &w.gate
                && !gates.contains_key(g.get_ref())
                && !implied.contains(&g.get_ref().as_str())
            {
                return Err(invalid(
                    g.span().start,
                    &format!("{key}.gate"),
                    format!(
                        "the waiver names gate {:?}, which is not a gate of this policy",
                        g.get_ref()
                    ),
                ));
            }
            waivers.push(Waiver::new(
                w.gate.as_ref().map(|g| g.get_ref().as_str()),
                code,
                reason,
            ));
        }

        policy.gates = gates;
        policy.waivers = waivers;
        Ok(policy)
    }

    /// The gates this policy requires, with their rules: those its sections imply (see
    /// `docs/policy.md`) and those named under `[gates]`, in a stable order.
    pub fn required_gates(&self) -> Vec<(String, GateRule)> {
        let mut out: Vec<(String, GateRule)> = Vec::new();
        for id in self.implied() {
            out.push((
                id.to_owned(),
                self.gates.get(id).cloned().unwrap_or_default(),
            ));
        }
        for (id, rule) in &self.gates {
            if !out.iter().any(|(o, _)| o == id) {
                out.push((id.clone(), rule.clone()));
            }
        }
        out
    }

    fn implied(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.tag.is_some() {
            v.push("tag-strict-semver");
        }
        if self.versions.is_some() {
            v.push("versions-lockstep");
        }
        if self.tag.as_ref().is_some_and(|t| !t.coupled.is_empty()) {
            v.push("coupled-tags");
        }
        if self.ci.is_some() {
            v.push("ci-green");
        }
        if !self.release.required_assets.is_empty() {
            v.push("required-assets-present");
        }
        if self.checksums.is_some() {
            v.push("checksum-file");
        }
        // Files to sign are `[[artifacts]]`; a release of images alone (signed in the
        // registry: `signed = true`) has none, and `[signing]` then serves provenance only.
        if self.signing.is_some() && !self.artifacts.is_empty() {
            v.push("signatures-valid");
        }
        if self.provenance.is_some() {
            v.push("provenance-valid");
        }
        if !self.registries.is_empty() {
            v.push("registry-readback");
        }
        if self.rebuild.is_some() {
            v.push("rebuild-identity");
        }
        v
    }
}

impl fmt::Display for Policy {
    /// The project name and the gates it requires.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> = self
            .required_gates()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        write!(f, "{}: {}", self.project.name, ids.join(", "))
    }
}
