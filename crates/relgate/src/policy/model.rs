//! The release policy, `release.toml`, as parsed: its sections and their rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::phase::Phase;
use crate::policy::error::{PolicyError, PolicyErrorKind};
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
    /// The same configuration inline (the `relver.toml` schema: `tag-prefixes`, `[[source]]`, ...);
    /// once parsed, it is [`resolved`](Self::resolved).
    #[serde(default)]
    pub(crate) inline: Option<toml::Table>,
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
pub(crate) fn load_relver_config(path: &Path) -> Result<relver::Config, PolicyError> {
    let io = |message: String| PolicyError::io(path, message);
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[non_exhaustive]
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

/// `[archive-limits.<kind>]`: caps for the archives of one artifact kind, each replacing
/// `artidigest`'s default ([`artidigest::Limits::default`]) when set. Raising a cap is for an
/// ecosystem whose real artifacts need it (a wheel shipping a zero-padded model file); lowering
/// one tightens the check. Every value must be at least 1.
///
/// ```
/// let policy = relgate::Policy::from_toml_str(
///     "schema-version = 1\n[project]\nname = \"demo\"\n[archive-limits.wheel]\nmax-ratio = 2000\n",
///     "release.toml",
/// )?;
/// let wheel = policy.archive_limits_for(Some(relgate::policy::ArtifactKind::Wheel));
/// assert_eq!(wheel.max_compression_ratio, 2000);
/// let other = policy.archive_limits_for(None);
/// assert_eq!(other.max_compression_ratio, 1000);
/// # Ok::<(), relgate::PolicyError>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ArchiveLimits {
    /// Largest uncompressed/compressed ratio of a gzip stream or zip entry past the first MiB
    /// (`max_compression_ratio`; default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ratio: Option<u64>,
    /// The ratio above which data counts as bomb-like and is held to `max-bomb-size`
    /// (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bomb_ratio: Option<u64>,
    /// Largest uncompressed size of bomb-like data, in bytes (default 256 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bomb_size: Option<u64>,
    /// Most entries an archive may hold (default 50,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<usize>,
    /// Largest uncompressed size of one entry, in bytes (default 2 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entry_size: Option<u64>,
    /// Largest total uncompressed size, in bytes (default 8 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_total_size: Option<u64>,
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

/// `[files]`: release-folder files that need no covering check, each with a written reason.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileRules {
    /// The allow-list (`[[files.allow]]` with `glob` and `reason`).
    #[serde(default)]
    pub allow: Vec<FileAllowRule>,
}

/// One `[[files.allow]]` entry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileAllowRule {
    /// The files it allows (a glob; `*` does not cross `/`).
    pub glob: String,
    /// Why they need no check (required, non-empty).
    pub reason: String,
}

/// Who must have signed: the workflow identity, with `{tag}` substituted, or an identity
/// regular expression; the OIDC issuer; pinned Fulcio extensions; triggers; the runner; the
/// lowest accepted bundle version.
///
/// The certificate identity (SAN) is matched in exactly one of two ways:
/// - exact (the default): `{server}/{repository}/{workflow}@{ref}`, derived from `workflow`
///   and `ref` (default `refs/tags/{tag}`);
/// - `identity-regex`: a regular expression the SAN must match over its whole length (it is
///   anchored at both ends; `{tag}` in it stands for the release tag, matched literally).
///   It excludes `workflow` and `ref`, and is weaker than an exact identity: the gate reports a
///   warning finding whenever it is used.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SigningIdentity {
    /// The forge serving the repository (`https://github.com`); part of the identity URL.
    pub server: String,
    /// `owner/name`.
    pub repository: String,
    /// The workflow file path (`.github/workflows/release.yml`). Required unless
    /// `identity-regex` is given, which excludes it.
    #[serde(default)]
    pub workflow: Option<String>,
    /// The ref the workflow ran on, with `{tag}` substituted; `None` means `refs/tags/{tag}`.
    /// Excluded by `identity-regex`.
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    /// A regular expression over the whole certificate identity (anchored; `{tag}` is the
    /// release tag, matched literally), instead of the exact identity `workflow` and `ref`
    /// derive. Checked when the policy loads.
    #[serde(default, deserialize_with = "SigningIdentity::de_identity_regex")]
    pub identity_regex: Option<String>,
    /// The OIDC issuer of the signing certificate.
    pub issuer: String,
    /// Triggers allowed to sign (`push`). Empty means any not denied.
    #[serde(default)]
    pub allowed_triggers: Vec<String>,
    /// Triggers refused (`workflow_dispatch`).
    #[serde(default)]
    pub denied_triggers: Vec<String>,
    /// Require the certificate's runner environment to be `github-hosted`.
    #[serde(default)]
    pub require_github_hosted: bool,
    /// `[signing.extensions]`: Fulcio certificate extensions pinned to exact values, keyed by
    /// their names (`source-repository-uri`, `source-repository-digest`, `build-trigger`, ...;
    /// the snake_case names and dotted OIDs are accepted too). The certificate must carry each.
    #[serde(default)]
    pub extensions: BTreeMap<attest::FulcioExtension, String>,
    /// The lowest bundle version accepted (`"0.1"`, `"0.2"`, `"0.3"`). `None`: v0.1, every
    /// released version, because real v0.1 bundles exist (older npm provenance, the SLSA GitHub
    /// generator); set `"0.2"` when the signer never produced v0.1, so that a newer bundle
    /// relabelled v0.1 without its inclusion proof cannot verify on its SET alone.
    #[serde(default)]
    pub min_bundle_version: Option<attest::BundleVersion>,
    /// The verifier's Sigstore trust root (a `trusted_root.json`), relative to the policy's
    /// folder (`Policy::base_dir`), never the release folder; a root inside the release folder is
    /// refused (`trust-root-in-release`). None: the Sigstore public-good root embedded in attest.
    #[serde(default)]
    pub trusted_root: Option<String>,
    /// What follows an artifact's name to name its bundle (`.sigstore.json`).
    #[serde(default = "default_bundle_suffix")]
    pub bundle_suffix: String,
}

fn default_bundle_suffix() -> String {
    String::from(".sigstore.json")
}

impl SigningIdentity {
    /// The exact certificate identity for `tag`:
    /// `{server}/{repository}/{workflow}@{ref}` with `{tag}` substituted; under
    /// `identity-regex` (no workflow), the pattern with `{tag}` substituted, for reports.
    pub fn identity_for(&self, tag: &str) -> String {
        self.exact_identity_for(tag).unwrap_or_else(|| {
            self.identity_regex
                .as_deref()
                .unwrap_or_default()
                .replace("{tag}", tag)
        })
    }

    /// The exact certificate identity for `tag`, or `None` when `identity-regex` replaces it.
    pub fn exact_identity_for(&self, tag: &str) -> Option<String> {
        let workflow = self.workflow.as_deref()?;
        Some(format!(
            "{}/{}/{}@{}",
            self.server.trim_end_matches('/'),
            self.repository,
            workflow.trim_start_matches('/'),
            self.git_ref
                .as_deref()
                .unwrap_or("refs/tags/{tag}")
                .replace("{tag}", tag)
        ))
    }

    /// Whether `trigger` may have started the signing run.
    pub fn trigger_allowed(&self, trigger: &str) -> bool {
        !self.denied_triggers.iter().any(|t| t == trigger)
            && (self.allowed_triggers.is_empty()
                || self.allowed_triggers.iter().any(|t| t == trigger))
    }

    /// The `identity-regex` for `tag`: `{tag}` replaced by the tag with every regex
    /// metacharacter escaped.
    fn regex_for(pattern: &str, tag: &str) -> String {
        let mut escaped = String::with_capacity(tag.len());
        for c in tag.chars() {
            if "\\.+*?()|[]{}^$#&-~".contains(c) {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        pattern.replace("{tag}", &escaped)
    }

    /// The attest identity policy for `tag`: the exact identity or `identity-regex`, the
    /// issuer, every pinned extension, the allowed and denied triggers and the hosted-runner
    /// requirement.
    pub fn identity_policy(&self, tag: &str) -> Result<attest::IdentityPolicy, attest::Error> {
        let mut p = match (&self.identity_regex, self.exact_identity_for(tag)) {
            (Some(re), _) => {
                attest::IdentityPolicy::regex(&Self::regex_for(re, tag), self.issuer.clone())?
            }
            (None, Some(exact)) => attest::IdentityPolicy::exact(exact, self.issuer.clone()),
            (None, None) => {
                return Err(attest::Error::new(
                    attest::PolicyError::Invalid,
                    "[signing] names neither workflow nor identity-regex",
                ));
            }
        };
        for (ext, value) in &self.extensions {
            p = p.with_extension(*ext, value.clone());
        }
        if !self.allowed_triggers.is_empty() {
            p = p.allow_triggers(self.allowed_triggers.iter().cloned());
        }
        for t in &self.denied_triggers {
            p = p.deny_trigger(t.clone());
        }
        if self.require_github_hosted {
            p = p.require_github_hosted();
        }
        Ok(p)
    }

    /// `verifier` with this section's verifier options (the lowest accepted bundle version).
    pub fn configure_verifier(&self, verifier: attest::Verifier) -> attest::Verifier {
        match self.min_bundle_version {
            Some(v) => verifier.with_min_bundle_version(v),
            None => verifier,
        }
    }

    /// The PEP 740 publisher a trusted-publishing upload of this identity records: GitHub or
    /// GitLab (by `server`) with the workflow's file name or path; under `identity-regex`, the
    /// identity policy itself.
    pub fn pep740_publisher(&self, tag: &str) -> Result<attest::Publisher, attest::Error> {
        let server = self.server.trim_end_matches('/');
        match &self.workflow {
            Some(w) if self.identity_regex.is_none() && server == "https://gitlab.com" => {
                Ok(attest::Publisher::GitLab {
                    repository: self.repository.clone(),
                    workflow_filepath: w.trim_start_matches('/').to_owned(),
                })
            }
            Some(w) if self.identity_regex.is_none() && server == "https://github.com" => {
                Ok(attest::Publisher::GitHub {
                    repository: self.repository.clone(),
                    workflow: w.rsplit('/').next().unwrap_or(w).to_owned(),
                })
            }
            _ => self.identity_policy(tag).map(attest::Publisher::Identity),
        }
    }

    /// The cross-key rules serde cannot state: exactly one of `workflow` and `identity-regex`,
    /// and no `ref` beside `identity-regex`. `Err((key, message))` names the key at fault.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        match (&self.identity_regex, &self.workflow, &self.git_ref) {
            (Some(_), Some(_), _) => Err((
                "signing.identity-regex",
                String::from(
                    "identity-regex replaces the exact identity that workflow and ref derive: \
                     give one or the other",
                ),
            )),
            (Some(_), None, Some(_)) => Err((
                "signing.identity-regex",
                String::from(
                    "identity-regex replaces the exact identity that workflow and ref derive: \
                     drop ref",
                ),
            )),
            (None, None, _) => Err((
                "signing.workflow",
                String::from("missing field `workflow` (or an `identity-regex` in its place)"),
            )),
            _ => Ok(()),
        }
    }

    /// Deserializes `identity-regex`, refusing a pattern that does not compile (with a sample
    /// tag in place of `{tag}`).
    fn de_identity_regex<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<String>, D::Error> {
        let pattern = String::deserialize(d)?;
        if pattern.trim().is_empty() {
            return Err(serde::de::Error::custom("identity-regex is empty"));
        }
        attest::IdentityPolicy::regex(&Self::regex_for(&pattern, "v0.0.0"), "").map_err(|e| {
            let why = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            serde::de::Error::custom(format!("{}: {why}", e.detail()))
        })?;
        Ok(Some(pattern))
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
    /// npm: who may publish, checked in preflight by `publisher-identity` with the registry's
    /// token (`RELKIT_REGISTRY_<NAME>_TOKEN`): `publisher = { user = "…", scope = "@…" }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<PublisherRule>,
}

/// `publisher` of an npm registry: the identity its token must have (docs/policy.md).
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PublisherRule {
    /// The user the token must belong to (`GET /-/whoami`); any user when absent.
    #[serde(default)]
    pub user: Option<String>,
    /// The org scope (`@sketchlog`) the user must belong to with a role that may publish
    /// (`GET /-/org/{org}/user`); the package's own scope when absent (none for an unscoped
    /// package).
    #[serde(default)]
    pub scope: Option<String>,
    /// The roles that may publish; default `owner`, `admin`, `developer` (all of npm's).
    #[serde(default)]
    pub roles: Vec<String>,
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
    /// Whether the repository must have immutable releases enabled (checked by
    /// `environment-protection`).
    #[serde(default)]
    pub immutable_releases: bool,
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
    /// [`Rebuilder`](crate::gates::Rebuilder).
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
    /// Names of relkit's environment variables passed to the build (`env = ["NAME"]`), as for
    /// a command gate; the build otherwise gets only the minimal environment of every policy
    /// command plus `SOURCE_DATE_EPOCH` and `RELKIT_REBUILD_OUT`.
    #[serde(default)]
    pub env: Vec<String>,
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
    /// fails with `command-failed` (see [`CommandGate`](crate::gates::CommandGate)).
    pub command: Option<Vec<String>>,
    /// The command's working folder, relative to the source tree (default: the source tree).
    pub cwd: Option<PathBuf>,
    /// Names of relkit's environment variables passed to the command (`env = ["NAME"]`);
    /// a command otherwise gets only `PATH`, `HOME`, `LANG`, `LC_*`, `TZ`, `TMPDIR`,
    /// `SOURCE_DATE_EPOCH` and the `RELKIT_*` variables relkit sets.
    pub env: Vec<String>,
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
    /// The policy schema version (`schema-version`, top level); `None` when the file does not
    /// declare one (read as version 1, with a `policy-unversioned` notice in every report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
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
    /// `[release-notes]`; the `release-notes` gate is required when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_notes: Option<crate::policy::forge::ReleaseNotesRules>,
    /// `[environments.<name>]`; the `environment-protection` gate is required when any (or
    /// when `[release] immutable-releases` is set).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, crate::policy::forge::EnvironmentRule>,
    /// How to rebuild the release; the `rebuild-identity` gate is required when present.
    pub rebuild: Option<RebuildRules>,
    /// The SBOMs of the release; the `sbom-valid` gate is required when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sbom: Option<crate::policy::sbom::SbomRules>,
    /// Gate placement, by gate id; every gate named here is required.
    pub gates: BTreeMap<String, GateRule>,
    /// `[files]`: files allowed without a covering check.
    pub files: FileRules,
    /// Waivers, each with its reason.
    pub waivers: Vec<Waiver>,
    /// `[archive-limits.<kind>]`: the caps `archive-safety` holds archives of an artifact kind
    /// to, over `artidigest`'s defaults.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub archive_limits: BTreeMap<ArtifactKind, ArchiveLimits>,
    /// `[workflow-hygiene]`: the rules the release workflows at the tag follow; the
    /// `workflow-hygiene` gate is required when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_hygiene: Option<crate::policy::workflow::WorkflowHygieneRules>,
    /// `[docs]`: the versioned docs branch; the `docs-published` gate is required when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<crate::policy::docs::DocsRules>,
    /// `[vcs-binding]`: the served artifacts record the tag's commit; the `vcs-binding` gate
    /// is required when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vcs_binding: Option<crate::policy::vcs::VcsBindingRules>,
    /// Whether this is the built-in policy for a plain folder ([`Policy::for_plain_folder`]).
    #[serde(skip)]
    pub(crate) plain_folder: bool,
    /// The folder of the policy file (relative paths resolve against it).
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The policy text's sha256 (lower-case hex) and, when [`Policy::load`] read it, the file
    /// as given: what a report names as the policy that produced it.
    #[serde(skip)]
    pub(crate) origin: PolicyOrigin,
}

/// Where a policy's text came from, for the report's `inputs.policy`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PolicyOrigin {
    /// The file as given to [`Policy::load`]; `None` for text given in memory.
    pub(crate) file: Option<PathBuf>,
    /// The sha256 (lower-case hex) of the bytes parsed.
    pub(crate) sha256: String,
}
