//! Discovery: scan a tree, propose a `relver.toml`, and list version fields no rule covers.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::check;
use crate::config::{Config, Role, SourceKind, SourceSpec};
use crate::field::VersionField;
use crate::finding::{Finding, FindingCode, Severity};
use crate::input::ReadError;
use crate::source::extract;
use crate::toml_src;
use crate::tree::Tree;
use crate::version::Version;

/// What [`discover`] found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Discovery {
    /// A proposed configuration: every recognised source, members where the version agrees with
    /// the majority, `independent` where it does not (review those).
    pub proposed: Config,
    /// Every version field found, with its proposed source's role.
    pub fields: Vec<(Role, VersionField)>,
    /// Fields that the existing configuration does not cover (empty without one).
    pub uncovered: Vec<Finding>,
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn candidate(
    tree: &dyn Tree,
    path: &str,
    lock_members: &mut Vec<String>,
) -> Result<Vec<SourceSpec>, ReadError> {
    let name = file_name(path);
    let spec = |k| SourceSpec::new(path, k);
    let specs = match name {
        "Cargo.toml" => {
            if let Some(text) = tree.read_text(path)?
                && let Ok(m) = toml_src::cargo_manifest(path, &text)
                && let Some(n) = m.package_name
            {
                lock_members.push(n);
            }
            vec![spec(SourceKind::Cargo)]
        }
        "Cargo.lock" => vec![spec(SourceKind::CargoLock)],
        "pyproject.toml" => vec![spec(SourceKind::Pyproject)],
        "uv.lock" => vec![spec(SourceKind::UvLock)],
        "__init__.py" | "_version.py" | "version.py" | "__about__.py" => {
            let has = tree
                .read_text(path)?
                .is_some_and(|t| t.lines().any(|l| l.starts_with("__version__")));
            if has {
                vec![spec(SourceKind::PythonVersion)]
            } else {
                Vec::new()
            }
        }
        "package.json" => vec![spec(SourceKind::PackageJson)],
        "package-lock.json" => vec![spec(SourceKind::PackageLock)],
        "Chart.yaml" => {
            let app_v = tree.read_text(path)?.is_some_and(|t| {
                t.lines().any(|l| {
                    l.trim_start_matches("appVersion:")
                        .trim()
                        .trim_matches(['"', '\''])
                        .starts_with('v')
                        && l.starts_with("appVersion:")
                })
            });
            let mut app = spec(SourceKind::Yaml).with_key("appVersion");
            if app_v {
                app = app.with_format("v{version}");
            }
            vec![spec(SourceKind::Yaml).with_key("version"), app]
        }
        n if n.starts_with("openapi.")
            && [".yaml", ".yml", ".json"].iter().any(|e| n.ends_with(e)) =>
        {
            vec![spec(SourceKind::Openapi)]
        }
        n if ["CHANGELOG.md", "CHANGES.md", "HISTORY.md"]
            .iter()
            .any(|c| c.eq_ignore_ascii_case(n)) =>
        {
            vec![spec(SourceKind::Changelog)]
        }
        _ => Vec::new(),
    };
    Ok(specs)
}

/// Scan `tree` for version sources, propose a configuration, and (when `existing` is given)
/// list every version field it does not cover.
///
/// ```
/// use relver::{discover, DirTree, Role};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("package.json"), "{\"version\": \"2.0.0\"}")?;
/// std::fs::write(dir.path().join("pyproject.toml"), "[project]\nname = \"x\"\nversion = \"2.0.0\"\n")?;
/// let d = discover(&DirTree::new(dir.path()), None)?;
/// assert_eq!(d.proposed.sources.len(), 2);
/// assert!(d.proposed.sources.iter().all(|s| s.role == Role::Member));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn discover(tree: &dyn Tree, existing: Option<&Config>) -> Result<Discovery, ReadError> {
    let mut specs = Vec::new();
    let mut lock_members = Vec::new();
    for path in tree.list_files()? {
        specs.extend(candidate(tree, &path, &mut lock_members)?);
    }
    for s in &mut specs {
        if s.kind == SourceKind::CargoLock {
            lock_members.sort();
            lock_members.dedup();
            s.packages = Some(lock_members.clone());
        }
    }
    // Read every candidate; the majority version decides members.
    let mut per_spec: Vec<Vec<VersionField>> = Vec::new();
    let mut counts: BTreeMap<Version, usize> = BTreeMap::new();
    for s in &specs {
        let fields = match tree.read_text(&s.path) {
            Ok(Some(text)) => extract(tree, s, &text)
                .map(|e| e.fields)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for f in &fields {
            if let Some(v) = &f.version {
                *counts.entry(v.clone()).or_default() += 1;
            }
        }
        per_spec.push(fields);
    }
    let majority = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(v, _)| v.clone());
    let mut fields = Vec::new();
    for (s, fs) in specs.iter_mut().zip(per_spec) {
        if s.kind == SourceKind::CargoLock {
            // Keep only lock entries at the release version.
            let keep: Vec<String> = s
                .packages
                .iter()
                .flatten()
                .filter(|p| {
                    fs.iter().any(|f| {
                        f.key == format!("package[name={p}].version") && f.version == majority
                    })
                })
                .cloned()
                .collect();
            s.packages = Some(keep);
        }
        let agrees = s.kind == SourceKind::Changelog
            || (!fs.is_empty()
                && fs
                    .iter()
                    .filter(|f| f.version.is_some())
                    .all(|f| f.version == majority || s.kind == SourceKind::CargoLock));
        s.role = if agrees {
            Role::Member
        } else {
            Role::Independent
        };
        if s.kind == SourceKind::CargoLock && s.packages.as_ref().is_some_and(Vec::is_empty) {
            s.role = Role::Independent;
        }
        let role = s.role;
        let packages = s.packages.clone();
        fields.extend(
            fs.into_iter()
                .filter(|f| {
                    s.kind != SourceKind::CargoLock
                        || packages
                            .iter()
                            .flatten()
                            .any(|p| f.key == format!("package[name={p}].version"))
                        || role == Role::Independent
                })
                .map(|f| (role, f)),
        );
    }
    let mut uncovered = Vec::new();
    if let Some(cfg) = existing {
        let report = check(tree, cfg, None);
        let covered: BTreeSet<(String, String)> = report
            .fields
            .iter()
            .map(|f| (f.field.path.clone(), f.field.key.clone()))
            .collect();
        let declared: BTreeSet<&str> = cfg
            .sources
            .iter()
            .filter(|s| s.role == Role::Independent)
            .map(|s| s.path.as_str())
            .collect();
        let changelogs: BTreeSet<&str> = cfg
            .sources
            .iter()
            .filter(|s| s.kind == SourceKind::Changelog)
            .map(|s| s.path.as_str())
            .collect();
        for (_, f) in &fields {
            if covered.contains(&(f.path.clone(), f.key.clone()))
                || declared.contains(f.path.as_str())
            {
                continue;
            }
            uncovered.push(
                Finding::new(
                    FindingCode::Uncovered,
                    Severity::Warning,
                    "version field not covered by any source",
                )
                .with_path(&f.path)
                .with_key(&f.key)
                .at(f.line, f.column)
                .values(
                    f.version
                        .as_ref()
                        .map(ToString::to_string)
                        .or_else(|| f.value.clone()),
                    None,
                )
                .with_hint(
                    "add a [[source]] for it (member, derived, optional) or declare it independent",
                ),
            );
        }
        for s in specs.iter().filter(|s| s.kind == SourceKind::Changelog) {
            if !changelogs.contains(s.path.as_str()) && !declared.contains(s.path.as_str()) {
                uncovered.push(
                    Finding::new(
                        FindingCode::Uncovered,
                        Severity::Warning,
                        "changelog not covered by any source",
                    )
                    .with_path(&s.path)
                    .with_hint("add a [[source]] with kind = \"changelog\""),
                );
            }
        }
    }
    let mut proposed = Config::new(specs);
    if let Some(cfg) = existing {
        proposed.tag_prefixes.clone_from(&cfg.tag_prefixes);
    }
    Ok(Discovery {
        proposed,
        fields,
        uncovered,
    })
}
