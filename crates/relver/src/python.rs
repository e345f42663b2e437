//! `__version__ = "…"` in Python modules (`__init__.py`, `_version.py`).
//!
//! A line scanner, not a Python parser: it skips triple-quoted strings and comments, and finds
//! module-level assignments to `__version__` (optionally annotated `__version__: str = …`).
//! Each assignment becomes a field; a value that is not one plain string literal is reported as
//! [`FieldProblem::NotLiteral`]. The check requires exactly one assignment.

use crate::field::{FieldProblem, Format, RawValue, VersionField, make_field};
use crate::input::LineIndex;

/// All module-level `__version__` assignments.
pub(crate) fn dunder_version(path: &str, text: &str) -> Vec<VersionField> {
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    let mut in_triple: Option<&str> = None;
    let mut offset = 0;
    for raw_line in text.split_inclusive('\n') {
        let start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        if let Some(q) = in_triple {
            if let Some(i) = line.find(q) {
                in_triple = None;
                // Text after the closing quotes on the same line is ignored (rare in practice).
                let _ = i;
            }
            continue;
        }
        // Opening a triple-quoted string that does not close on this line?
        for q in ["\"\"\"", "'''"] {
            if let Some((before, after)) = line.split_once(q)
                && !after.contains(q)
                && !before.contains('#')
            {
                in_triple = Some(q);
            }
        }
        let Some(rest) = line.strip_prefix("__version__") else {
            continue;
        };
        let mut r = rest.trim_start();
        if let Some(after) = r.strip_prefix(':') {
            // Annotation up to '='.
            // From the first `=` on (empty without one: the `=` check below skips the line).
            r = after.trim_start_matches(|c| c != '=');
        }
        let Some(after_eq) = r.strip_prefix('=') else {
            continue;
        };
        if after_eq.starts_with('=') {
            continue; // a comparison, not an assignment
        }
        in_triple = None;
        let value_text = after_eq.trim_start();
        let value_off = start + (line.len() - value_text.len());
        let key = "__version__".to_owned();
        match literal(value_text) {
            Some((len, inner)) => out.push(make_field(
                path,
                RawValue {
                    key,
                    raw_span: value_off..value_off + len,
                    value: inner.to_owned(),
                    literal_start: Some(value_off + 1),
                    text,
                    lines: &lines,
                },
                &Format::default(),
                false,
            )),
            None => {
                let (line_no, column) = lines.position(text, value_off);
                let raw = value_text.split(" #").next().unwrap_or("").trim_end();
                out.push(VersionField {
                    path: path.to_owned(),
                    key,
                    line: line_no,
                    column,
                    raw: raw.to_owned(),
                    value: None,
                    version: None,
                    version_span: None,
                    problem: Some(FieldProblem::NotLiteral),
                    note: None,
                    inherited_from: None,
                });
            }
        }
    }
    out
}

/// A plain one-line string literal followed by nothing but a comment: (token length, content).
fn literal(s: &str) -> Option<(usize, &str)> {
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    if s.starts_with("\"\"\"") || s.starts_with("'''") {
        return None;
    }
    let (inner, rest) = s.strip_prefix(q)?.split_once(q)?;
    if inner.contains('\\') {
        return None;
    }
    let rest = rest.trim_start();
    (rest.is_empty() || rest.starts_with('#')).then_some((inner.len() + 2, inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_module_assignments() {
        let t = "\"\"\"Doc.\n__version__ = '0.0.0'\n\"\"\"\nimport x\n__version__: str = \"0.5.0\"  # release\n";
        let f = dunder_version("p/__init__.py", t);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].line, f[0].column), (5, 20));
        assert_eq!(f[0].version.as_ref().unwrap().to_string(), "0.5.0");
        assert_eq!(&t[f[0].version_span.clone().unwrap()], "0.5.0");
    }

    #[test]
    fn non_literals_and_duplicates_are_visible() {
        let t = "__version__ = get()\n__version__ = '1.0.0'\nif __version__ == '1':\n    pass\n";
        let f = dunder_version("v.py", t);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].problem, Some(FieldProblem::NotLiteral));
        assert!(f[1].version.is_some());
        assert!(
            dunder_version("v.py", "__version__ = f'{x}'\n")[0]
                .problem
                .is_some()
        );
    }
}
