//! Reading `release.toml`: the raw TOML shape, its validation, and errors that name the
//! line, column and key at fault.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use crate::finding::Code;
use crate::phase::Phase;
use crate::policy::error::{PolicyError, PolicyErrorKind};
use crate::policy::limits::SCHEMA_VERSION;
use crate::policy::model::{
    ArchiveLimits, ArtifactKind, ArtifactRule, ChecksumRules, CiRules, FileRules, GateRule,
    MAX_POLICY_BYTES, Policy, PolicyOrigin, Project, ProvenanceRules, RebuildRules, RegistryKind,
    RegistryRule, ReleaseRules, SigningIdentity, TagRules, VersionSources, load_relver_config,
};
use crate::waiver::Waiver;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    #[serde(default)]
    schema_version: Option<Spanned<i64>>,
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
    release_notes: Option<Spanned<crate::policy::forge::ReleaseNotesRules>>,
    #[serde(default)]
    environments: BTreeMap<String, Spanned<crate::policy::forge::EnvironmentRule>>,
    #[serde(default)]
    rebuild: Option<Spanned<RebuildRules>>,
    #[serde(default)]
    sbom: Option<Spanned<crate::policy::sbom::SbomRules>>,
    #[serde(default)]
    gates: BTreeMap<Spanned<String>, RawGate>,
    #[serde(default)]
    waivers: Vec<Spanned<RawWaiver>>,
    #[serde(default)]
    files: Option<Spanned<FileRules>>,
    #[serde(default)]
    archive_limits: BTreeMap<Spanned<String>, Spanned<ArchiveLimits>>,
    #[serde(default)]
    workflow_hygiene: Option<Spanned<crate::policy::workflow::WorkflowHygieneRules>>,
    #[serde(default)]
    docs: Option<Spanned<crate::policy::docs::DocsRules>>,
    #[serde(default)]
    vcs_binding: Option<Spanned<crate::policy::vcs::VcsBindingRules>>,
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
    #[serde(default)]
    env: Option<Spanned<Vec<String>>>,
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
    #[serde(default)]
    expires: Option<Spanned<String>>,
    #[serde(default)]
    reference: Option<Spanned<String>>,
    #[serde(default)]
    file: Option<Spanned<String>>,
}

/// Maps byte offsets to 1-based line and column.
pub(crate) struct Locator<'a> {
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

/// Where `[signing]`'s `key` (`signing.identity-regex`) is written, else the `[signing]` header.
fn signing_key_offset(text: &str, key: &str) -> usize {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let section = text.find("[signing]").unwrap_or(0);
    text.get(section..)
        .and_then(|t| {
            t.find(&format!("{leaf} "))
                .or_else(|| t.find(&format!("{leaf}=")))
        })
        .map_or(section, |i| section + i)
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
    if let Some(bad) = bad_env_name(&r.env) {
        return Err((
            "rebuild.env",
            format!("{bad:?} is not an environment variable name"),
        ));
    }
    Ok(())
}

/// The first of `names` that cannot name an environment variable (empty, or holding `=`, NUL
/// or white space).
fn bad_env_name(names: &[String]) -> Option<&String> {
    names
        .iter()
        .find(|n| n.is_empty() || n.contains(['=', '\0']) || n.chars().any(char::is_whitespace))
}

/// Whether `s` is kebab-case, the form of gate ids and finding codes: lowercase ASCII letters,
/// digits and single inner hyphens (`tag-not-existing`), not empty.
pub fn is_kebab(s: &str) -> bool {
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
        let io = |message: String| PolicyError::io(path, message);
        // The one bounded reader: a regular file (a FIFO or device is refused before it is
        // opened), at most MAX_POLICY_BYTES actually read, whatever the metadata claims.
        let bytes = artidigest::read_bounded(path, MAX_POLICY_BYTES)
            .map_err(|e| io(format!("cannot read: {e}")))?;
        let text =
            String::from_utf8(bytes).map_err(|e| io(format!("cannot read: not UTF-8: {e}")))?;
        let mut policy = Self::from_toml_str(&text, path)?;
        policy.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        policy.origin.file = Some(path.to_path_buf());
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
        // `glob` must compile; the error names the glob as the policy writes it.
        let check_glob = |offset: usize, key: &str, written: &str, glob: &str| {
            globset::Glob::new(glob)
                .map(drop)
                .map_err(|e| invalid(offset, key, format!("bad glob {written:?}: {e}")))
        };

        let schema_version = match &raw.schema_version {
            None => None,
            Some(v) if *v.get_ref() == i64::from(SCHEMA_VERSION) => Some(SCHEMA_VERSION),
            Some(v) => {
                let found = *v.get_ref();
                let message = if found > i64::from(SCHEMA_VERSION) {
                    format!(
                        "this policy is written for schema version {found}, newer than this relgate reads (version {SCHEMA_VERSION}); upgrade relgate or write the policy for version {SCHEMA_VERSION}"
                    )
                } else {
                    format!(
                        "schema version {found} does not exist; this relgate reads version {SCHEMA_VERSION}"
                    )
                };
                return Err(loc.error(
                    PolicyErrorKind::UnsupportedSchemaVersion {
                        found,
                        supported: SCHEMA_VERSION,
                    },
                    v.span().start,
                    Some("schema-version"),
                    message,
                ));
            }
        };
        let mut archive_limits = BTreeMap::new();
        for (name, limits) in &raw.archive_limits {
            let key = format!("archive-limits.{}", name.get_ref());
            let Some(kind) = ArtifactKind::from_name(name.get_ref()) else {
                let known: Vec<&str> = ArtifactKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(invalid(
                    name.span().start,
                    &key,
                    format!(
                        "{:?} is not an artifact kind (known: {})",
                        name.get_ref(),
                        known.join(", ")
                    ),
                ));
            };
            if let Some(k) = limits.get_ref().zero_key() {
                return Err(invalid(
                    limits.span().start,
                    &format!("{key}.{k}"),
                    String::from("a cap of 0 would refuse every archive"),
                ));
            }
            archive_limits.insert(kind, *limits.get_ref());
        }

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
            let g = &a.get_ref().glob;
            check_glob(a.span().start, "artifacts.glob", g, g)?;
        }
        if let Some(c) = &raw.checksums {
            for g in &c.get_ref().unlisted_allowed {
                check_glob(c.span().start, "checksums.unlisted-allowed", g, g)?;
            }
        }
        if let Some(f) = &raw.files {
            for a in &f.get_ref().allow {
                check_glob(f.span().start, "files.allow.glob", &a.glob, &a.glob)?;
                if a.reason.trim().is_empty() {
                    return Err(invalid(
                        f.span().start,
                        "files.allow.reason",
                        format!(
                            "{:?} is allowed without a reason; write why it needs no check",
                            a.glob
                        ),
                    ));
                }
            }
        }
        if let Some(r) = &raw.release {
            for g in &r.get_ref().required_assets {
                let any_version = g.replace("{version}", "*");
                check_glob(r.span().start, "release.required-assets", g, &any_version)?;
            }
        }

        if let Some(r) = &raw.release_notes {
            r.get_ref()
                .validate()
                .map_err(|(key, m)| invalid(r.span().start, key, m))?;
        }
        for (name, e) in &raw.environments {
            e.get_ref().validate().map_err(|(key, m)| {
                invalid(e.span().start, &format!("environments.{name}.{key}"), m)
            })?;
        }
        if let Some(r) = &raw.rebuild {
            validate_rebuild(r.get_ref()).map_err(|(key, m)| invalid(r.span().start, key, m))?;
        }
        // The sections that validate themselves, in this order; an error points at its section.
        for (start, checked) in [
            raw.sbom
                .as_ref()
                .map(|s| (s.span().start, s.get_ref().validate())),
            raw.workflow_hygiene
                .as_ref()
                .map(|w| (w.span().start, w.get_ref().validate())),
            raw.docs
                .as_ref()
                .map(|d| (d.span().start, d.get_ref().validate())),
            raw.vcs_binding
                .as_ref()
                .map(|v| (v.span().start, v.get_ref().validate())),
        ]
        .into_iter()
        .flatten()
        {
            checked.map_err(|(key, m)| invalid(start, key, m))?;
        }
        if let Some(s) = &raw.signing {
            s.validate()
                .map_err(|(key, m)| invalid(signing_key_offset(loc.text, key), key, m))?;
        }

        for (name, r) in &raw.registries {
            if r.publisher.is_some() && r.kind != RegistryKind::Npm {
                return Err(invalid(
                    registry_offset(loc.text, name),
                    &format!("registries.{name}.publisher"),
                    String::from("publisher is checked on npm registries only (kind = \"npm\")"),
                ));
            }
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
            release_notes: raw.release_notes.map(Spanned::into_inner),
            environments: raw
                .environments
                .into_iter()
                .map(|(k, v)| (k, v.into_inner()))
                .collect(),
            rebuild: raw.rebuild.map(Spanned::into_inner),
            sbom: raw.sbom.map(Spanned::into_inner),
            gates: BTreeMap::new(),
            files: raw.files.map(Spanned::into_inner).unwrap_or_default(),
            waivers: Vec::new(),
            schema_version,
            archive_limits,
            workflow_hygiene: raw.workflow_hygiene.map(Spanned::into_inner),
            docs: raw.docs.map(Spanned::into_inner),
            vcs_binding: raw.vcs_binding.map(Spanned::into_inner),
            plain_folder: false,
            base_dir: PathBuf::new(),
            origin: PolicyOrigin {
                file: None,
                sha256: crate::report::inputs::sha256_hex(loc.text.as_bytes()),
            },
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
            let env = match &g.env {
                None => Vec::new(),
                Some(e) => {
                    let key = format!("gates.{}.env", id.get_ref());
                    if command.is_none() {
                        return Err(invalid(
                            e.span().start,
                            &key,
                            String::from("`env` only applies to a gate with a `command`"),
                        ));
                    }
                    if let Some(bad) = bad_env_name(e.get_ref()) {
                        return Err(invalid(
                            e.span().start,
                            &key,
                            format!("{bad:?} is not an environment variable name"),
                        ));
                    }
                    e.get_ref().clone()
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
                    env,
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
            let mut waiver =
                Waiver::new(w.gate.as_ref().map(|g| g.get_ref().as_str()), code, reason);
            if let Some(e) = &w.expires {
                if !crate::waiver::is_date(e.get_ref()) {
                    return Err(invalid(
                        e.span().start,
                        &format!("{key}.expires"),
                        format!("{:?} is not a date written YYYY-MM-DD", e.get_ref()),
                    ));
                }
                waiver = waiver.expires(e.get_ref().clone());
            }
            if let Some(r) = &w.reference {
                waiver = waiver.reference(r.get_ref().clone());
            }
            if let Some(f) = &w.file {
                let file_key = format!("{key}.file");
                if code.is_none() {
                    return Err(loc.error(
                        PolicyErrorKind::FileWaiverWithoutCode,
                        f.span().start,
                        Some(&file_key),
                        format!(
                            "the waiver of file {:?} names no `code`: it would waive every finding about the file; name the code it waives",
                            f.get_ref()
                        ),
                    ));
                }
                let name = f.get_ref().trim();
                if name.is_empty() || name.starts_with('/') || name.split('/').any(|c| c == "..") {
                    return Err(invalid(
                        f.span().start,
                        &file_key,
                        format!(
                            "{:?} is not a file name or glob relative to the release folder",
                            f.get_ref()
                        ),
                    ));
                }
                if let Err(e) = globset::Glob::new(name) {
                    return Err(invalid(
                        f.span().start,
                        &file_key,
                        format!("bad glob {name:?}: {e}"),
                    ));
                }
                waiver = waiver.file(name);
            }
            waivers.push(waiver);
        }

        policy.gates = gates;
        policy.waivers = waivers;
        Ok(policy)
    }
}

/// Where `[registries.<name>]` starts in the policy text (0 when not found).
fn registry_offset(text: &str, name: &str) -> usize {
    text.find(&format!("[registries.{name}]")).unwrap_or(0)
}
