//! Discovery: scan a tree, propose a `relver.toml`, and list version fields no rule covers.
//!
//! Roles are proposed from what each file says about itself, never from a vote: every version
//! file is a member (checked against the tag), except a file that says it is not released
//! (`publish = false` or `publish = []` in `Cargo.toml`, `"private": true` in `package.json`,
//! the `Private :: Do Not Upload` classifier in `pyproject.toml`, version `0.0.0`) *and* does not
//! carry the release version: that one is proposed `independent`, with the reason. A candidate
//! that cannot be read or parsed stays a member, so the check reports it at its position.
//! One changelog is the project's (the root one first); copies under `docs/` never are.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::check;
use crate::config::{Config, Role, SourceKind, SourceSpec};
use crate::field::VersionField;
use crate::finding::{Code, Finding, Severity};
use crate::input::ReadError;
use crate::source::{SourceError, extract};
use crate::tree::Tree;
use crate::version::Version;
use crate::{json, toml_src};

/// What [`discover`] found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Discovery {
    /// A proposed configuration: every recognised source; `independent` (with a `reason`) only
    /// where the file says it is not released and does not carry the release version, for
    /// changelogs other than the project's, and for files with no version at all.
    pub proposed: Config,
    /// Every version field found, with its proposed source's role.
    pub fields: Vec<(Role, VersionField)>,
    /// Fields that the existing configuration does not cover (empty without one).
    pub uncovered: Vec<Finding>,
    /// Candidates that could not be read or parsed (errors, with file, line and column). They
    /// stay members of the proposal, so checking it reports them too.
    pub problems: Vec<Finding>,
    /// The version the not-released files were compared with: the one given, or the most
    /// common version of the files that do not say they are unreleased.
    pub reference: Option<Version>,
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Changelog file names, most preferred first.
const CHANGELOG_NAMES: &[&str] = &["CHANGELOG.md", "CHANGES.md", "HISTORY.md"];

/// Directories whose changelogs are documentation copies, never the project changelog.
const DOCS_DIRS: &[&str] = &["docs", "doc", "website", "site"];

fn changelog_rank(name: &str) -> Option<usize> {
    CHANGELOG_NAMES
        .iter()
        .position(|c| c.eq_ignore_ascii_case(name))
}

fn under_docs(path: &str) -> bool {
    let mut dirs: Vec<&str> = path.split('/').collect();
    dirs.pop();
    dirs.iter()
        .any(|d| DOCS_DIRS.iter().any(|x| x.eq_ignore_ascii_case(d)))
}

/// The sources a file name proposes; content decides only for Python modules (a
/// `__version__` line) and Helm charts (a `v` in `appVersion`).
fn candidate(tree: &dyn Tree, path: &str) -> Vec<SourceSpec> {
    let spec = |k| SourceSpec::new(path, k);
    match file_name(path) {
        "Cargo.toml" => vec![spec(SourceKind::Cargo)],
        "Cargo.lock" => vec![spec(SourceKind::CargoLock)],
        "pyproject.toml" => vec![spec(SourceKind::Pyproject)],
        "uv.lock" => vec![spec(SourceKind::UvLock)],
        "__init__.py" | "_version.py" | "version.py" | "__about__.py" => {
            // Unreadable: proposed anyway, so the check reports why.
            let has = tree.read_text(path).map_or(true, |t| {
                t.is_some_and(|t| t.lines().any(|l| l.starts_with("__version__")))
            });
            if has {
                vec![spec(SourceKind::PythonVersion)]
            } else {
                Vec::new()
            }
        }
        "package.json" => vec![spec(SourceKind::PackageJson)],
        "package-lock.json" => vec![spec(SourceKind::PackageLock)],
        "Chart.yaml" => {
            let app_v = tree.read_text(path).ok().flatten().is_some_and(|t| {
                t.lines().any(|l| {
                    l.starts_with("appVersion:")
                        && l.trim_start_matches("appVersion:")
                            .trim()
                            .trim_matches(['"', '\''])
                            .starts_with('v')
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
        n if changelog_rank(n).is_some() => vec![spec(SourceKind::Changelog)],
        _ => Vec::new(),
    }
}

/// A candidate that failed to read or parse: an error finding at its position.
fn problem(path: &str, e: &SourceError) -> Finding {
    let mut f = Finding::new(Code::SourceUnreadable, e.to_string())
        .severity(Severity::Error)
        .in_file(path)
        .hint("fix the file so it parses, or declare the source's role in relver.toml");
    match e {
        SourceError::Parse(p) => f = f.line_col(p.line(), p.column()),
        SourceError::Read(
            ReadError::Binary { line, column, .. } | ReadError::NotUtf8 { line, column, .. },
        ) => f = f.line_col(*line, *column),
        SourceError::Read(_) => {}
    }
    f
}

/// What one candidate file yielded.
struct Scanned {
    fields: Vec<VersionField>,
    /// Why the file says it is not released (empty: it does not).
    unreleased: Vec<String>,
    /// The Cargo package name.
    package_name: Option<String>,
    /// The file could not be read or parsed.
    failed: bool,
}

/// The file's own statements that it is not released.
fn unreleased_markers(spec: &SourceSpec, text: &str) -> Result<Vec<String>, SourceError> {
    let marker = match spec.kind {
        SourceKind::Cargo => toml_src::cargo_manifest(&spec.path, text)?
            .unpublished
            .map(str::to_owned),
        SourceKind::PackageJson => json::parse(&spec.path, text)?
            .get("private")
            .is_some_and(|v| text.get(v.span.clone()) == Some("true"))
            .then(|| "\"private\": true".to_owned()),
        SourceKind::Pyproject => toml_src::pyproject_private(&spec.path, text)?
            .then(|| "classifier \"Private :: Do Not Upload\"".to_owned()),
        _ => None,
    };
    Ok(marker.into_iter().collect())
}

fn scan(tree: &dyn Tree, spec: &SourceSpec, problems: &mut Vec<Finding>) -> Scanned {
    let mut s = Scanned {
        fields: Vec::new(),
        unreleased: Vec::new(),
        package_name: None,
        failed: false,
    };
    if spec.kind == SourceKind::Changelog {
        return s;
    }
    let text = match tree.read_text(&spec.path) {
        Ok(Some(t)) => t,
        Ok(None) => return s,
        Err(e) => {
            problems.push(problem(&spec.path, &SourceError::Read(e)));
            s.failed = true;
            return s;
        }
    };
    let read = extract(tree, spec, &text).and_then(|ex| {
        let markers = unreleased_markers(spec, &text)?;
        Ok((ex.fields, markers))
    });
    match read {
        Ok((fields, markers)) => {
            s.fields = fields;
            s.unreleased = markers;
        }
        Err(e) => {
            problems.push(problem(&spec.path, &e));
            s.failed = true;
            return s;
        }
    }
    if spec.kind == SourceKind::Cargo {
        s.package_name = toml_src::cargo_manifest(&spec.path, &text)
            .ok()
            .and_then(|m| m.package_name);
    }
    // The file's own version (the first field: `package.version`, `version`,
    // `project.version`) is 0.0.0: a placeholder, never a release.
    let zero = Version::new(0, 0, 0);
    if s.fields.iter().find_map(|f| f.version.as_ref()) == Some(&zero) {
        s.unreleased.push("version 0.0.0".to_owned());
    }
    s
}

/// The sibling manifest whose markers a lock file shares (`package-lock.json` → `package.json`,
/// `uv.lock` → `pyproject.toml`).
fn manifest_of(spec: &SourceSpec) -> Option<String> {
    let manifest = match spec.kind {
        SourceKind::PackageLock => "package.json",
        SourceKind::UvLock => "pyproject.toml",
        _ => return None,
    };
    Some(match spec.path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{manifest}"),
        None => manifest.to_owned(),
    })
}

/// Scan `tree` for version sources, propose a configuration, and (when `existing` is given)
/// list every version field it does not cover. Not-released files are compared with the most
/// common version of the released ones; see [`discover_for`] to compare with a tag's version.
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
    discover_for(tree, existing, None)
}

/// [`discover`], comparing not-released files with `release` (a tag's version) when given.
///
/// A file that does not say it is unreleased is a member whatever its version: checking the
/// proposal against the tag reports it when it disagrees.
///
/// ```
/// use relver::{check, discover_for, MemTree, Role, Tag};
/// let tree = MemTree::new()
///     .with_file("Cargo.toml", "[package]\nname = \"app\"\nversion = \"1.2.2\"\n")
///     .with_file("web/package.json", "{\"version\": \"0.1.0\", \"private\": true}");
/// let tag: Tag = "v1.2.3".parse()?;
/// let d = discover_for(&tree, None, Some(tag.version()))?;
/// let web = d.proposed.sources.iter().find(|s| s.path == "web/package.json").unwrap();
/// assert_eq!((web.role, web.reason.as_deref()), (Role::Independent, Some("\"private\": true")));
/// // The Cargo.toml that disagrees with the tag is a member, so the check fails.
/// assert!(!check(&tree, &d.proposed, Some(&tag)).ok);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn discover_for(
    tree: &dyn Tree,
    existing: Option<&Config>,
    release: Option<&Version>,
) -> Result<Discovery, ReadError> {
    let mut specs = Vec::new();
    for path in tree.list_files()? {
        specs.extend(candidate(tree, &path));
    }
    let mut problems = Vec::new();
    let scanned: Vec<Scanned> = specs.iter().map(|s| scan(tree, s, &mut problems)).collect();
    // A lock file shares its manifest's statements (`package-lock.json` of a private package).
    let markers: BTreeMap<String, Vec<String>> = specs
        .iter()
        .zip(&scanned)
        .filter(|(s, _)| matches!(s.kind, SourceKind::PackageJson | SourceKind::Pyproject))
        .map(|(s, sc)| (s.path.clone(), sc.unreleased.clone()))
        .collect();
    let unreleased = |spec: &SourceSpec, sc: &Scanned| -> Vec<String> {
        let mut m = sc.unreleased.clone();
        if let Some(manifest) = manifest_of(spec)
            && let Some(own) = markers.get(&manifest)
        {
            m.extend(own.iter().map(|r| format!("{r} in {manifest}")));
        }
        m
    };
    // The reference: the release version, or the most common one of the released files.
    let reference = release.cloned().or_else(|| {
        let mut counts: BTreeMap<&Version, usize> = BTreeMap::new();
        for (spec, sc) in specs.iter().zip(&scanned) {
            if spec.kind == SourceKind::CargoLock || !unreleased(spec, sc).is_empty() {
                continue;
            }
            for v in sc.fields.iter().filter_map(|f| f.version.as_ref()) {
                *counts.entry(v).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(v, _)| v.clone())
    });
    // Roles of everything but lock files and changelogs.
    for (spec, sc) in specs.iter_mut().zip(&scanned) {
        if matches!(spec.kind, SourceKind::CargoLock | SourceKind::Changelog) || sc.failed {
            continue;
        }
        let why = unreleased(spec, sc);
        let differs = sc
            .fields
            .iter()
            .any(|f| f.version.is_some() && f.version != reference);
        if sc.fields.is_empty() {
            spec.role = Role::Independent;
            spec.reason = Some("no version field".to_owned());
        } else if !why.is_empty() && (differs || reference.is_none()) {
            spec.role = Role::Independent;
            spec.reason = Some(why.join(", "));
        }
    }
    // Cargo lock files: the entries of the member crates.
    let released_crates: BTreeSet<String> = specs
        .iter()
        .zip(&scanned)
        .filter(|(s, _)| s.kind == SourceKind::Cargo && s.role == Role::Member)
        .filter_map(|(_, sc)| sc.package_name.clone())
        .collect();
    for (spec, sc) in specs.iter_mut().zip(&scanned) {
        if spec.kind != SourceKind::CargoLock || sc.failed {
            continue;
        }
        let keep: Vec<String> = released_crates
            .iter()
            .filter(|p| {
                sc.fields
                    .iter()
                    .any(|f| f.key == format!("package[name={p}].version"))
            })
            .cloned()
            .collect();
        if keep.is_empty() {
            spec.role = Role::Independent;
            spec.reason = Some("no entry for a released crate of this tree".to_owned());
        } else {
            spec.packages = Some(keep);
        }
    }
    choose_changelog(&mut specs);
    let mut fields = Vec::new();
    for (s, sc) in specs.iter().zip(scanned) {
        let role = s.role;
        fields.extend(
            sc.fields
                .into_iter()
                .filter(|f| {
                    role == Role::Independent
                        || s.packages.as_ref().is_none_or(|pk| {
                            pk.iter()
                                .any(|p| f.key == format!("package[name={p}].version"))
                        })
                })
                .map(|f| (role, f)),
        );
    }
    let uncovered = existing.map_or_else(Vec::new, |cfg| uncovered(tree, cfg, &specs, &fields));
    let mut proposed = Config::new(specs);
    if let Some(cfg) = existing {
        proposed.tag_prefixes.clone_from(&cfg.tag_prefixes);
    }
    Ok(Discovery {
        proposed,
        fields,
        uncovered,
        problems,
        reference,
    })
}

/// One project changelog: the preferred name at the shallowest depth outside documentation
/// folders. Every other changelog is proposed `independent`, with the reason.
fn choose_changelog(specs: &mut [SourceSpec]) {
    let project = specs
        .iter()
        .filter(|s| s.kind == SourceKind::Changelog && !under_docs(&s.path))
        .min_by_key(|s| {
            (
                s.path.matches('/').count(),
                changelog_rank(file_name(&s.path)),
                s.path.clone(),
            )
        })
        .map(|s| s.path.clone());
    for s in specs.iter_mut().filter(|s| s.kind == SourceKind::Changelog) {
        if Some(&s.path) == project.as_ref() {
            continue;
        }
        s.role = Role::Independent;
        s.reason = Some(if under_docs(&s.path) {
            "a documentation copy, not the project changelog".to_owned()
        } else {
            format!(
                "not the project changelog ({} is)",
                project.as_deref().unwrap_or("none")
            )
        });
    }
}

/// Version fields and changelogs of the proposal's members that `cfg` does not cover.
fn uncovered(
    tree: &dyn Tree,
    cfg: &Config,
    specs: &[SourceSpec],
    fields: &[(Role, VersionField)],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let report = check(tree, cfg, None);
    let (expanded, _) = cfg.expand(tree);
    let cfg = &expanded;
    let covered: BTreeSet<(&str, &str)> = report
        .fields
        .iter()
        .map(|f| (f.field.path.as_str(), f.field.key.as_str()))
        .collect();
    let paths_of = |keep: fn(&SourceSpec) -> bool| -> BTreeSet<&str> {
        cfg.sources
            .iter()
            .filter(|s| keep(s))
            .map(|s| s.path.as_str())
            .collect()
    };
    let declared = paths_of(|s| s.role == Role::Independent);
    let changelogs = paths_of(|s| s.kind == SourceKind::Changelog);
    for (_, f) in fields.iter().filter(|(r, _)| *r != Role::Independent) {
        if covered.contains(&(f.path.as_str(), f.key.as_str()))
            || declared.contains(f.path.as_str())
        {
            continue;
        }
        out.push(
            Finding::new(Code::Uncovered, "version field not covered by any source")
                .severity(Severity::Warning)
                .in_file(&f.path)
                .key(&f.key)
                .line_col(f.line, f.column)
                .values(
                    f.version
                        .as_ref()
                        .map(ToString::to_string)
                        .or_else(|| f.value.clone()),
                    None,
                )
                .hint(
                    "add a [[source]] for it (member, derived, optional) or declare it independent",
                ),
        );
    }
    for s in specs
        .iter()
        .filter(|s| s.kind == SourceKind::Changelog && s.role != Role::Independent)
    {
        if !changelogs.contains(s.path.as_str()) && !declared.contains(s.path.as_str()) {
            out.push(
                Finding::new(Code::Uncovered, "changelog not covered by any source")
                    .severity(Severity::Warning)
                    .in_file(&s.path)
                    .hint("add a [[source]] with kind = \"changelog\""),
            );
        }
    }
    out
}
