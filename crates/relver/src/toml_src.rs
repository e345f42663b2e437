//! Version fields in TOML files: Cargo manifests and lock files, `pyproject.toml`, `uv.lock`,
//! and any key path. Parsed with `toml_edit`, which keeps the byte span of every value.

use toml_edit::{Document, Item, Value};

use crate::field::{FieldProblem, Format, RawValue, VersionField, make_field};
use crate::input::LineIndex;
use crate::parse_error::{ParseError, ParseErrorKind};

/// Maximum bracket nesting accepted in a TOML file (checked before parsing).
pub(crate) const MAX_DEPTH: usize = 64;

pub(crate) struct TomlFile<'a> {
    pub(crate) path: &'a str,
    pub(crate) text: &'a str,
    pub(crate) lines: LineIndex,
    pub(crate) doc: Document<&'a str>,
}

/// Refuse absurd nesting before handing the text to the parser.
fn check_depth(path: &str, text: &str) -> Result<(), ParseError> {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied();
    let rest = |i: usize| b.get(i..).unwrap_or_default();
    let mut depth = 0usize;
    let mut i = 0;
    let mut line_start = true;
    while let Some(c) = at(i) {
        match c {
            b'#' => {
                while at(i).is_some_and(|c| c != b'\n') {
                    i += 1;
                }
                continue;
            }
            q @ (b'"' | b'\'') => {
                let triple: &[u8] = if q == b'"' { b"\"\"\"" } else { b"'''" };
                if rest(i).starts_with(triple) {
                    i += 3;
                    while let Some(c) = at(i)
                        && !rest(i).starts_with(triple)
                    {
                        i += if q == b'"' && c == b'\\' { 2 } else { 1 };
                    }
                    i += 3;
                } else {
                    i += 1;
                    while let Some(c) = at(i)
                        && c != q
                        && c != b'\n'
                    {
                        i += if q == b'"' && c == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                line_start = false;
                continue;
            }
            b'=' | b'.' if line_start && depth == 0 => {
                // An assignment without a key. Invalid TOML, and input that makes the
                // toml_edit parser panic: refused here.
                return Err(ParseError::at(
                    ParseErrorKind::Toml,
                    path,
                    text,
                    i,
                    "expected a key before `=` or `.`",
                ));
            }
            b'[' | b'{' if !(line_start && depth == 0 && c == b'[') => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ParseError::at(
                        ParseErrorKind::TooDeep,
                        path,
                        text,
                        i,
                        format!("nesting deeper than {MAX_DEPTH}"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => line_start = true,
            b' ' | b'\t' | b'\r' => {}
            _ => line_start = false,
        }
        if c == b'[' && line_start && depth == 0 {
            // A table header: skip to the end of the line.
            while at(i).is_some_and(|c| c != b'\n') {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    Ok(())
}

impl<'a> TomlFile<'a> {
    pub(crate) fn parse(path: &'a str, text: &'a str) -> Result<Self, ParseError> {
        check_depth(path, text)?;
        // Second guard: a parser panic on some other input becomes a parse error, never a
        // panic of the caller.
        let parsed = std::panic::catch_unwind(|| Document::parse(text)).map_err(|_| {
            ParseError::at(
                ParseErrorKind::Toml,
                path,
                text,
                0,
                "the TOML parser failed on this input",
            )
        })?;
        let doc = parsed.map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            ParseError::at(
                ParseErrorKind::Toml,
                path,
                text,
                at,
                e.message().trim().to_owned(),
            )
        })?;
        Ok(Self {
            path,
            text,
            lines: LineIndex::new(text),
            doc,
        })
    }

    pub(crate) fn root(&self) -> &Item {
        self.doc.as_item()
    }

    /// A field for a string value; non-strings become `NotLiteral` fields.
    pub(crate) fn field(
        &self,
        key: String,
        value: &Value,
        format: &Format,
        requirement: bool,
    ) -> VersionField {
        let span = value.span().unwrap_or(0..0);
        match value.as_str() {
            Some(s) => {
                let raw = self.text.get(span.clone()).unwrap_or_default();
                let literal_start = literal_start(raw, s).map(|o| span.start + o);
                make_field(
                    self.path,
                    RawValue {
                        key,
                        raw_span: span,
                        value: s.to_owned(),
                        literal_start,
                        text: self.text,
                        lines: &self.lines,
                    },
                    format,
                    requirement,
                )
            }
            None => self.problem_field(key, span, FieldProblem::NotLiteral),
        }
    }

    pub(crate) fn problem_field(
        &self,
        key: String,
        span: std::ops::Range<usize>,
        problem: FieldProblem,
    ) -> VersionField {
        let (line, column) = self.lines.position(self.text, span.start);
        VersionField {
            path: self.path.to_owned(),
            key,
            line,
            column,
            raw: self.text.get(span).unwrap_or_default().to_owned(),
            value: None,
            version: None,
            version_span: None,
            problem: Some(problem),
            note: None,
            inherited_from: None,
        }
    }

    fn item_span(item: &Item) -> std::ops::Range<usize> {
        item.span()
            .or_else(|| item.as_value().and_then(Value::span))
            .unwrap_or(0..0)
    }
}

/// Offset of the decoded string inside its raw token, when the token holds it verbatim.
fn literal_start(raw: &str, value: &str) -> Option<usize> {
    for q in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(inner) = raw.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return (inner == value).then_some(q.len());
        }
    }
    None
}

fn get<'i>(item: &'i Item, keys: &[&str]) -> Option<&'i Item> {
    let mut cur = item;
    for k in keys {
        cur = cur.as_table_like()?.get(k)?;
    }
    Some(cur)
}

/// Is `version` set to `{ workspace = true }` (inline or dotted)?
fn is_workspace_inherited(item: &Item) -> bool {
    item.as_table_like()
        .and_then(|t| t.get("workspace"))
        .and_then(Item::as_bool)
        .unwrap_or(false)
}

/// What a Cargo manifest says about versions.
#[derive(Debug)]
pub(crate) struct CargoManifest {
    pub(crate) fields: Vec<VersionField>,
    /// `package.version.workspace = true`: the member inherits `workspace.package.version`.
    pub(crate) inherits: Option<VersionField>,
    /// The manifest declares `[workspace]`.
    pub(crate) is_workspace_root: bool,
    /// The package name, if any.
    pub(crate) package_name: Option<String>,
    /// The manifest says the package is never published: `publish = false` or `publish = []`.
    pub(crate) unpublished: Option<&'static str>,
}

/// `Cargo.toml`: `package.version`, `workspace.package.version`, version requirements of
/// path dependencies (all dependency tables, target-specific ones and `[workspace.dependencies]`).
pub(crate) fn cargo_manifest(path: &str, text: &str) -> Result<CargoManifest, ParseError> {
    let f = TomlFile::parse(path, text)?;
    let root = f.root();
    let plain = Format::default();
    let mut fields = Vec::new();
    let mut inherits = None;
    if let Some(v) = get(root, &["package", "version"]) {
        if is_workspace_inherited(v) {
            let span = TomlFile::item_span(v);
            let mut fld = f.problem_field(
                "package.version".into(),
                span,
                FieldProblem::InheritedMissing,
            );
            fld.problem = None;
            fld.note = Some("version.workspace = true".into());
            inherits = Some(fld);
        } else if let Some(val) = v.as_value() {
            fields.push(f.field("package.version".into(), val, &plain, false));
        }
    }
    if let Some(v) = get(root, &["workspace", "package", "version"]).and_then(Item::as_value) {
        fields.push(f.field("workspace.package.version".into(), v, &plain, false));
    }
    let mut dep_tables: Vec<(String, &Item)> = Vec::new();
    for t in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(i) = get(root, &[t]) {
            dep_tables.push((t.to_owned(), i));
        }
    }
    if let Some(i) = get(root, &["workspace", "dependencies"]) {
        dep_tables.push(("workspace.dependencies".to_owned(), i));
    }
    if let Some(targets) = get(root, &["target"]).and_then(Item::as_table_like) {
        for (cfg, t) in targets.iter() {
            for d in ["dependencies", "dev-dependencies", "build-dependencies"] {
                if let Some(i) = get(t, &[d]) {
                    dep_tables.push((format!("target.{cfg}.{d}"), i));
                }
            }
        }
    }
    for (table_key, table) in dep_tables {
        let Some(table) = table.as_table_like() else {
            continue;
        };
        for (name, dep) in table.iter() {
            let Some(dt) = dep.as_table_like() else {
                continue;
            };
            if dt.get("path").is_none() {
                continue;
            }
            if let Some(v) = dt.get("version").and_then(Item::as_value) {
                fields.push(f.field(format!("{table_key}.{name}.version"), v, &plain, true));
            }
        }
    }
    let package_name = get(root, &["package", "name"])
        .and_then(Item::as_str)
        .map(str::to_owned);
    let unpublished = match get(root, &["package", "publish"]).and_then(Item::as_value) {
        Some(Value::Boolean(b)) if !*b.value() => Some("publish = false"),
        Some(Value::Array(a)) if a.is_empty() => Some("publish = []"),
        _ => None,
    };
    Ok(CargoManifest {
        fields,
        inherits,
        is_workspace_root: get(root, &["workspace"]).is_some(),
        package_name,
        unpublished,
    })
}

/// `Cargo.lock`: every `[[package]]` without `source` (a workspace member or path dependency).
pub(crate) fn cargo_lock(path: &str, text: &str) -> Result<Vec<VersionField>, ParseError> {
    let f = TomlFile::parse(path, text)?;
    let mut out = Vec::new();
    let Some(pkgs) = get(f.root(), &["package"]) else {
        return Ok(out);
    };
    let Some(arr) = pkgs.as_array_of_tables() else {
        return Err(ParseError::at(
            ParseErrorKind::Shape,
            path,
            text,
            TomlFile::item_span(pkgs).start,
            "`package` is not an array of tables",
        ));
    };
    for t in arr.iter() {
        if t.get("source").is_some() {
            continue;
        }
        let (Some(name), Some(v)) = (
            t.get("name").and_then(Item::as_str),
            t.get("version").and_then(Item::as_value),
        ) else {
            continue;
        };
        out.push(f.field(
            format!("package[name={name}].version"),
            v,
            &Format::default(),
            false,
        ));
    }
    Ok(out)
}

/// Python package name normalisation (PEP 503): lowercase, runs of `-_.` become `-`.
pub(crate) fn normalize_python_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// `pyproject.toml`: `[project].version`, `[tool.poetry].version`, and `dynamic = ["version"]`.
/// Also returns the project name.
pub(crate) fn pyproject(
    path: &str,
    text: &str,
) -> Result<(Vec<VersionField>, Option<String>), ParseError> {
    let f = TomlFile::parse(path, text)?;
    let root = f.root();
    let mut out = Vec::new();
    if let Some(v) = get(root, &["project", "version"]).and_then(Item::as_value) {
        out.push(f.field("project.version".into(), v, &Format::default(), false));
    }
    if let Some(dynamic) = get(root, &["project", "dynamic"]).and_then(Item::as_array) {
        for d in dynamic.iter() {
            if d.as_str() == Some("version") {
                out.push(f.problem_field(
                    "project.dynamic".into(),
                    d.span().unwrap_or(0..0),
                    FieldProblem::Dynamic,
                ));
            }
        }
    }
    if let Some(v) = get(root, &["tool", "poetry", "version"]).and_then(Item::as_value) {
        out.push(f.field("tool.poetry.version".into(), v, &Format::default(), false));
    }
    let name = get(root, &["project", "name"])
        .or_else(|| get(root, &["tool", "poetry", "name"]))
        .and_then(Item::as_str)
        .map(str::to_owned);
    Ok((out, name))
}

/// `pyproject.toml` carries the classifier that package indexes refuse to upload
/// (`Private :: Do Not Upload`).
pub(crate) fn pyproject_private(path: &str, text: &str) -> Result<bool, ParseError> {
    let f = TomlFile::parse(path, text)?;
    Ok(get(f.root(), &["project", "classifiers"])
        .and_then(Item::as_array)
        .is_some_and(|a| {
            a.iter().any(|c| {
                c.as_str()
                    .is_some_and(|c| c.trim() == "Private :: Do Not Upload")
            })
        }))
}

/// `uv.lock`: the root package, matched by normalised name, or else the one whose source is
/// `{ virtual = "." }` or `{ editable = "." }`.
pub(crate) fn uv_lock(
    path: &str,
    text: &str,
    package: Option<&str>,
) -> Result<Vec<VersionField>, ParseError> {
    let f = TomlFile::parse(path, text)?;
    let mut out = Vec::new();
    let Some(arr) = get(f.root(), &["package"]).and_then(Item::as_array_of_tables) else {
        return Ok(out);
    };
    let wanted = package.map(normalize_python_name);
    for t in arr.iter() {
        let Some(name) = t.get("name").and_then(Item::as_str) else {
            continue;
        };
        let is_root = t
            .get("source")
            .and_then(Item::as_table_like)
            .is_some_and(|s| {
                ["virtual", "editable"]
                    .iter()
                    .any(|k| s.get(k).and_then(Item::as_str) == Some("."))
            });
        let matches = match &wanted {
            Some(w) => normalize_python_name(name) == *w,
            None => is_root,
        };
        if !matches {
            continue;
        }
        if let Some(v) = t.get("version").and_then(Item::as_value) {
            out.push(f.field(
                format!("package[name={name}].version"),
                v,
                &Format::default(),
                false,
            ));
        }
    }
    Ok(out)
}

/// Any TOML key path.
pub(crate) fn toml_key(
    path: &str,
    text: &str,
    keys: &[String],
    format: &Format,
) -> Result<Vec<VersionField>, ParseError> {
    let f = TomlFile::parse(path, text)?;
    let ks: Vec<&str> = keys.iter().map(String::as_str).collect();
    Ok(get(f.root(), &ks)
        .and_then(Item::as_value)
        .map(|v| f.field(keys.join("."), v, format, false))
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_fields() {
        let t = r#"[package]
name = "m"
version = "0.5.0" # keep

[dependencies]
ordvec = { version = "=0.5.0", path = ".." }
serde = "1"

[target.'cfg(unix)'.dependencies.sib]
path = "../sib"
version = "0.5.0"
"#;
        let m = cargo_manifest("m/Cargo.toml", t).unwrap();
        let keys: Vec<_> = m.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "package.version",
                "dependencies.ordvec.version",
                "target.cfg(unix).dependencies.sib.version"
            ]
        );
        let dep = &m.fields[1];
        assert_eq!((dep.line, dep.column), (6, 22));
        assert_eq!(dep.raw, "\"=0.5.0\"");
        assert_eq!(dep.version.as_ref().unwrap().to_string(), "0.5.0");
        assert_eq!(&t[dep.version_span.clone().unwrap()], "0.5.0");
        assert_eq!(dep.note.as_deref(), Some("requirement ="));
        assert_eq!(m.package_name.as_deref(), Some("m"));
    }

    #[test]
    fn inherited_and_workspace() {
        let m = cargo_manifest(
            "c/Cargo.toml",
            "[package]\nname='c'\nversion.workspace = true\n",
        )
        .unwrap();
        assert!(m.fields.is_empty());
        assert_eq!(m.inherits.unwrap().line, 3);
        let r = cargo_manifest("Cargo.toml", "[workspace.package]\nversion = \"1.0.0\"\n[workspace.dependencies]\nc = { path = \"c\", version = \"1.0.0\" }\n").unwrap();
        assert!(r.is_workspace_root);
        assert_eq!(r.fields.len(), 2);
        assert_eq!(r.fields[1].key, "workspace.dependencies.c.version");
    }

    #[test]
    fn malformed_and_deep_toml() {
        let e =
            cargo_manifest("Cargo.toml", "[package]\nversion = \"1.0.0\nname = 'x'\n").unwrap_err();
        assert_eq!((e.kind(), e.line()), (ParseErrorKind::Toml, 2));
        let deep = format!("a = {}", "[".repeat(10_000));
        assert_eq!(
            cargo_manifest("Cargo.toml", &deep).unwrap_err().kind(),
            ParseErrorKind::TooDeep
        );
    }

    #[test]
    fn pyproject_dynamic_and_uv_root() {
        let (f, name) = pyproject(
            "p",
            "[project]\nname = \"Advisory_Hub\"\ndynamic = [\"version\"]\n",
        )
        .unwrap();
        assert_eq!(f[0].problem, Some(FieldProblem::Dynamic));
        assert_eq!(f[0].line, 3);
        assert_eq!(name.as_deref(), Some("Advisory_Hub"));
        let lock = "version = 1\n[[package]]\nname = \"dep\"\nversion = \"9.9.9\"\nsource = { registry = \"x\" }\n\n[[package]]\nname = \"advisory-hub\"\nversion = \"1.2.3\"\nsource = { editable = \".\" }\n";
        let by_name = uv_lock("uv.lock", lock, Some("Advisory_Hub")).unwrap();
        assert_eq!(by_name.len(), 1);
        assert_eq!(by_name[0].line, 9);
        assert_eq!(
            uv_lock("uv.lock", lock, None).unwrap()[0].key,
            "package[name=advisory-hub].version"
        );
        assert_eq!(normalize_python_name("A.b__C"), "a-b-c");
    }
}
