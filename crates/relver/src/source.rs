//! Reading the version fields of one declared source.

use crate::config::{SourceKind, SourceSpec};
use crate::field::{Format, RawValue, VersionField, make_field};
use crate::input::{LineIndex, ReadError};
use crate::json::{self, JsonKind};
use crate::parse_error::{ParseError, ParseErrorKind};
use crate::tree::Tree;
use crate::{python, toml_src, yaml};

/// Reading a source failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file could not be read (missing permissions, too large, binary, not UTF-8).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The file could not be parsed.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// The fields a source yields, and how many the source expects (for exact-count sources).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extracted {
    pub(crate) fields: Vec<VersionField>,
    pub(crate) expected_count: Option<usize>,
}

fn format_of(spec: &SourceSpec) -> Result<Format, ParseError> {
    spec.format
        .as_deref()
        .map_or(Ok(Format::default()), str::parse)
        .map_err(|e: crate::field::FormatError| {
            ParseError::new(ParseErrorKind::Config, &spec.path, 1, 1, e.to_string())
        })
}

fn json_fields(
    path: &str,
    text: &str,
    paths: &[Vec<String>],
    format: &Format,
) -> Result<Vec<VersionField>, ParseError> {
    let root = json::parse(path, text)?;
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    for keys in paths {
        let Some(v) = json::lookup(&root, keys) else {
            continue;
        };
        let key = keys
            .iter()
            .map(|k| {
                if k.is_empty() || k.contains('.') {
                    format!("[{k:?}]")
                } else {
                    k.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(".");
        match &v.kind {
            JsonKind::String { value, literal } => out.push(make_field(
                path,
                RawValue {
                    key,
                    raw_span: v.span.clone(),
                    value: value.clone(),
                    literal_start: literal.then_some(v.span.start + 1),
                    text,
                    lines: &lines,
                },
                format,
                false,
            )),
            _ => {
                let (line, column) = lines.position(text, v.span.start);
                out.push(VersionField {
                    path: path.to_owned(),
                    key,
                    line,
                    column,
                    raw: text
                        .get(v.span.clone())
                        .unwrap_or_default()
                        .chars()
                        .take(64)
                        .collect(),
                    value: None,
                    version: None,
                    version_span: None,
                    problem: Some(crate::field::FieldProblem::NotLiteral),
                    note: None,
                    inherited_from: None,
                });
            }
        }
    }
    Ok(out)
}

fn yaml_field(
    path: &str,
    text: &str,
    keys: &[String],
    format: &Format,
) -> Result<Vec<VersionField>, ParseError> {
    let lines = LineIndex::new(text);
    Ok(yaml::lookup(path, text, keys)?
        .map(|s| {
            make_field(
                path,
                RawValue {
                    key: keys.join("."),
                    raw_span: s.span,
                    value: s.value,
                    literal_start: s.literal_start,
                    text,
                    lines: &lines,
                },
                format,
                false,
            )
        })
        .into_iter()
        .collect())
}

fn regex_fields(
    spec: &SourceSpec,
    text: &str,
    format: &Format,
) -> Result<Vec<VersionField>, ParseError> {
    let pattern = spec.pattern.as_deref().unwrap_or_default();
    let re = regex::Regex::new(pattern).map_err(|e| {
        ParseError::new(
            ParseErrorKind::Config,
            &spec.path,
            1,
            1,
            format!("bad pattern: {e}"),
        )
    })?;
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    for (i, caps) in re.captures_iter(text).enumerate() {
        let Some(m) = caps.name("version").or_else(|| caps.get(1)) else {
            continue;
        };
        out.push(make_field(
            &spec.path,
            RawValue {
                key: format!("match {}", i + 1),
                raw_span: m.range(),
                value: m.as_str().to_owned(),
                literal_start: Some(m.start()),
                text,
                lines: &lines,
            },
            format,
            false,
        ));
    }
    Ok(out)
}

/// Find the workspace root manifest above `member_path` and return its
/// `workspace.package.version` field, attributed to the member.
fn inherited(
    tree: &dyn Tree,
    member_path: &str,
    own: &toml_src::CargoManifest,
) -> Result<Option<VersionField>, SourceError> {
    let from_root = |m: &toml_src::CargoManifest| {
        m.fields
            .iter()
            .find(|f| f.key == "workspace.package.version")
            .cloned()
    };
    if own.is_workspace_root {
        return Ok(from_root(own));
    }
    let mut dir = member_path.rsplit_once('/').map(|(d, _)| d.to_owned());
    while let Some(d) = dir {
        let parent = d.rsplit_once('/').map(|(p, _)| p.to_owned());
        let candidate = parent
            .as_ref()
            .map_or_else(|| "Cargo.toml".to_owned(), |p| format!("{p}/Cargo.toml"));
        if let Some(text) = tree.read_text(&candidate)? {
            let m = toml_src::cargo_manifest(&candidate, &text)?;
            if m.is_workspace_root {
                return Ok(from_root(&m));
            }
        }
        dir = parent;
    }
    Ok(None)
}

/// Read the fields of one source from `text` (already read from `tree` at `spec.path`).
pub(crate) fn extract(
    tree: &dyn Tree,
    spec: &SourceSpec,
    text: &str,
) -> Result<Extracted, SourceError> {
    let path = spec.path.as_str();
    let format = format_of(spec)?;
    let mut expected_count = None;
    // The `key` of a json, toml or yaml source, split into its parts (no key: no parts).
    let key_parts = || {
        spec.key
            .as_ref()
            .map(crate::config::KeyPath::parts)
            .unwrap_or_default()
    };
    let fields = match spec.kind {
        SourceKind::Cargo => {
            let m = toml_src::cargo_manifest(path, text)?;
            let mut fields: Vec<VersionField> = m.fields.clone();
            if !spec.path_dependencies {
                fields
                    .retain(|f| f.key == "package.version" || f.key == "workspace.package.version");
            }
            if let Some(mut inh) = m.inherits.clone() {
                match inherited(tree, path, &m)? {
                    Some(root) => {
                        inh.value.clone_from(&root.value);
                        inh.version.clone_from(&root.version);
                        inh.note = Some(format!(
                            "version.workspace = true: {}:{} {}",
                            root.path, root.line, root.key
                        ));
                        inh.raw.clone_from(&root.raw);
                        inh.inherited_from = Some(root.path.clone());
                        // Edits go to the root's field; the member itself has nothing to edit.
                        inh.version_span = None;
                        inh.problem = root.problem.clone();
                    }
                    None => inh.problem = Some(crate::field::FieldProblem::InheritedMissing),
                }
                fields.insert(0, inh);
            }
            fields
        }
        SourceKind::CargoLock => {
            let mut fields = toml_src::cargo_lock(path, text)?;
            if let Some(pk) = &spec.packages {
                fields.retain(|f| {
                    pk.iter()
                        .any(|p| f.key == format!("package[name={p}].version"))
                });
            }
            fields
        }
        SourceKind::Pyproject => toml_src::pyproject(path, text)?.0,
        SourceKind::UvLock => {
            let package = match &spec.package {
                Some(p) => Some(p.clone()),
                None => {
                    // The sibling pyproject.toml names the root package.
                    let dir = path
                        .rsplit_once('/')
                        .map_or(String::new(), |(d, _)| format!("{d}/"));
                    match tree.read_text(&format!("{dir}pyproject.toml"))? {
                        Some(t) => toml_src::pyproject(&format!("{dir}pyproject.toml"), &t)?.1,
                        None => None,
                    }
                }
            };
            expected_count = Some(1);
            toml_src::uv_lock(path, text, package.as_deref())?
        }
        SourceKind::PythonVersion => {
            expected_count = Some(spec.count.unwrap_or(1));
            python::dunder_version(path, text)
        }
        SourceKind::PackageJson => json_fields(path, text, &[vec!["version".into()]], &format)?,
        SourceKind::PackageLock => json_fields(
            path,
            text,
            &[
                vec!["version".into()],
                vec!["packages".into(), String::new(), "version".into()],
            ],
            &format,
        )?,
        SourceKind::Json => json_fields(path, text, &[key_parts()], &format)?,
        SourceKind::Toml => toml_src::toml_key(path, text, &key_parts(), &format)?,
        SourceKind::Yaml => yaml_field(path, text, &key_parts(), &format)?,
        SourceKind::Openapi => {
            let keys = spec.key.as_ref().map_or_else(
                || vec!["info".to_owned(), "version".to_owned()],
                crate::config::KeyPath::parts,
            );
            if text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
            {
                json_fields(path, text, &[keys], &format)?
            } else {
                yaml_field(path, text, &keys, &format)?
            }
        }
        SourceKind::Regex => {
            expected_count = Some(spec.count.unwrap_or(1));
            regex_fields(spec, text, &format)?
        }
        SourceKind::Changelog => Vec::new(),
    };
    Ok(Extracted {
        fields,
        expected_count,
    })
}
