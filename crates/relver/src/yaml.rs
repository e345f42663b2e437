//! A deliberately small YAML reader for the only places versions live in YAML files: scalar
//! values of top-level mapping keys (`Chart.yaml` `version`, `appVersion`) and of keys one level
//! down (`info.version` in OpenAPI). It reports exact spans so values can be edited in place.
//!
//! It understands block mappings, comments, document markers, plain, single- and double-quoted
//! scalars; it refuses tabs in indentation, unterminated quotes, duplicate keys, and lines that
//! are not `key: value` at the levels it reads. Deeper structure (lists, nested mappings under
//! other keys, block scalars) is skipped without interpretation.

use std::ops::Range;

use crate::parse_error::{ParseError, ParseErrorKind};

/// A scalar found at a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlScalar {
    /// Span of the scalar token (quotes included).
    pub(crate) span: Range<usize>,
    /// The decoded value.
    pub(crate) value: String,
    /// Where the decoded value sits verbatim in the text (no escapes).
    pub(crate) literal_start: Option<usize>,
}

struct Line<'a> {
    start: usize,
    indent: usize,
    body: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        let l = raw.trim_end_matches(['\n', '\r']);
        let body = l.trim_start_matches(' ');
        Line {
            start,
            indent: l.len() - body.len(),
            body,
        }
    })
}

/// Parse a `key: value` line body. Returns the key and the value's span relative to the body
/// (`None` when the value is empty, i.e. a nested block follows).
fn key_value(body: &str) -> Option<(String, Option<Range<usize>>)> {
    let (key, after) = if let Some(q) = body.strip_prefix('"') {
        let (k, _) = q.split_once('"')?;
        (k.to_owned(), 1 + k.len() + 1)
    } else if let Some(q) = body.strip_prefix('\'') {
        let (k, _) = q.split_once('\'')?;
        (k.to_owned(), 1 + k.len() + 1)
    } else {
        // Plain key: up to ": " or a trailing ":" (an ASCII byte is never inside a character).
        let i = body
            .match_indices(':')
            .map(|(i, _)| i)
            .find(|&i| matches!(body.as_bytes().get(i + 1), None | Some(b' ' | b'\t')))?;
        let (k, _) = body.split_at_checked(i)?;
        (k.trim_end().to_owned(), i)
    };
    let rest = body.get(after..)?;
    let rest = rest.strip_prefix(':')?;
    let v = rest.trim_start();
    let val_start = body.len() - v.len();
    if v.is_empty() || v.starts_with('#') {
        return Some((key, None));
    }
    Some((key, Some(val_start..body.len())))
}

/// Decode a scalar token starting at `body[range.start]`; returns (token span relative to body,
/// value, literal offset relative to body).
fn scalar(
    body: &str,
    range: Range<usize>,
) -> Result<(Range<usize>, String, Option<usize>), &'static str> {
    let s = body.get(range.clone()).ok_or("not a scalar")?;
    let base = range.start;
    if let Some(q) = s.strip_prefix('\'') {
        let mut out = String::new();
        let mut literal = true;
        let mut chars = q.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\'' {
                out.push(c);
                continue;
            }
            let mut peek = chars.clone();
            if peek.next().map(|(_, c)| c) == Some('\'') {
                out.push('\'');
                literal = false;
                chars = peek;
                continue;
            }
            check_trailing(chars.as_str())?;
            return Ok((base..base + i + 2, out, literal.then_some(base + 1)));
        }
        Err("unterminated single-quoted scalar")
    } else if let Some(q) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut literal = true;
        let mut chars = q.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    check_trailing(chars.as_str())?;
                    return Ok((base..base + i + 2, out, literal.then_some(base + 1)));
                }
                '\\' => {
                    literal = false;
                    match chars.next().map(|(_, c)| c) {
                        Some('"') => out.push('"'),
                        Some('\\') => out.push('\\'),
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some('/') => out.push('/'),
                        _ => return Err("unsupported escape in double-quoted scalar"),
                    }
                }
                _ => out.push(c),
            }
        }
        Err("unterminated double-quoted scalar")
    } else {
        if s.starts_with(['|', '>', '[', '{', '&', '*', '!']) {
            return Err("not a plain scalar");
        }
        // Plain scalar: ends at " #" comment.
        let v = s.split_once(" #").map_or(s, |(v, _)| v).trim_end();
        Ok((base..base + v.len(), v.to_owned(), Some(base)))
    }
}

fn check_trailing(rest: &str) -> Result<(), &'static str> {
    let r = rest.trim_start();
    if r.is_empty() || r.starts_with('#') {
        Ok(())
    } else {
        Err("unexpected text after a quoted scalar")
    }
}

/// Find the scalar at `keys` (one or two levels). `Ok(None)` when the key is absent.
pub(crate) fn lookup(
    path: &str,
    text: &str,
    keys: &[String],
) -> Result<Option<YamlScalar>, ParseError> {
    let err = |at: usize, msg: &str| ParseError::at(ParseErrorKind::Yaml, path, text, at, msg);
    let (first, second) = match keys {
        [first] => (first, None),
        [first, second] => (first, Some(second)),
        _ => {
            return Err(ParseError::new(
                ParseErrorKind::Shape,
                path,
                1,
                1,
                "YAML key paths have one or two keys",
            ));
        }
    };
    let mut seen_top: Vec<String> = Vec::new();
    let mut seen_child: Vec<String> = Vec::new();
    let mut in_parent = false;
    let mut child_indent: Option<usize> = None;
    let mut documents = 0;
    let mut found: Option<YamlScalar> = None;
    for line in lines(text) {
        let body = line.body;
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if line.indent == 0 && (body == "---" || body.starts_with("--- ")) {
            documents += 1;
            if documents > 1 {
                return Err(err(line.start, "more than one YAML document"));
            }
            continue;
        }
        if body.starts_with('\t') {
            return Err(err(line.start + line.indent, "tab in indentation"));
        }
        if line.indent == 0 {
            in_parent = false;
            if body == "..." {
                continue;
            }
            let Some((key, val)) = key_value(body) else {
                return Err(err(line.start, "expected `key: value` at the top level"));
            };
            if seen_top.contains(&key) {
                return Err(err(line.start, &format!("duplicate key {key:?}")));
            }
            seen_top.push(key.clone());
            if key == *first {
                if second.is_none() {
                    let Some(vr) = val else {
                        return Err(err(line.start, &format!("{key:?} has no scalar value")));
                    };
                    let (span, value, lit) =
                        scalar(body, vr).map_err(|m| err(line.start + line.indent, m))?;
                    found = Some(YamlScalar {
                        span: line.start + span.start..line.start + span.end,
                        value,
                        literal_start: lit.map(|l| line.start + l),
                    });
                } else if val.is_none() {
                    in_parent = true;
                    child_indent = None;
                }
            } else if let Some(vr) = val {
                // Validate quoting of every top-level scalar so malformed files are refused.
                let v = body.get(vr.clone()).unwrap_or_default();
                if v.starts_with(['"', '\'']) {
                    scalar(body, vr).map_err(|m| err(line.start, m))?;
                }
            }
            continue;
        }
        if in_parent {
            let ci = *child_indent.get_or_insert(line.indent);
            if line.indent < ci {
                return Err(err(line.start, "inconsistent indentation"));
            }
            if line.indent > ci || body.starts_with("- ") || body == "-" {
                continue;
            }
            let Some((key, val)) = key_value(body) else {
                return Err(err(line.start + line.indent, "expected `key: value`"));
            };
            if seen_child.contains(&key) {
                return Err(err(line.start, &format!("duplicate key {key:?}")));
            }
            seen_child.push(key.clone());
            if Some(&key) == second {
                let Some(vr) = val else {
                    return Err(err(line.start, &format!("{key:?} has no scalar value")));
                };
                let (span, value, lit) =
                    scalar(body, vr).map_err(|m| err(line.start + line.indent, m))?;
                let base = line.start + line.indent;
                found = Some(YamlScalar {
                    span: base + span.start..base + span.end,
                    value,
                    literal_start: lit.map(|l| base + l),
                });
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Vec<String> {
        s.split('.').map(str::to_owned).collect()
    }

    /// The scalar at `key` of `t`: its value, and its text as written.
    fn value_and_text<'t>(t: &'t str, key: &str) -> (String, &'t str) {
        let v = lookup("t.yaml", t, &k(key)).unwrap().unwrap();
        (v.value, &t[v.span])
    }

    #[test]
    fn chart_values_quoted_or_not() {
        let t = "apiVersion: v2\nname: app\nversion: 1.2.3 # chart\nappVersion: \"v1.2.3\"\n";
        assert_eq!(value_and_text(t, "version"), ("1.2.3".into(), "1.2.3"));
        let a = lookup("Chart.yaml", t, &k("appVersion")).unwrap().unwrap();
        assert_eq!(a.value, "v1.2.3");
        assert_eq!(&t[a.span.clone()], "\"v1.2.3\"");
        assert_eq!(a.literal_start, Some(a.span.start + 1));
        let t2 = "appVersion: 'v1.2.3'\n";
        assert_eq!(
            lookup("c", t2, &k("appVersion")).unwrap().unwrap().value,
            "v1.2.3"
        );
        assert!(lookup("c", t, &k("missing")).unwrap().is_none());
    }

    #[test]
    fn nested_info_version() {
        let t = "openapi: 3.1.0\ninfo:\n  title: API\n  description: |\n    version: 9.9.9\n  version: 2.0.0\npaths: {}\n";
        assert_eq!(value_and_text(t, "info.version"), ("2.0.0".into(), "2.0.0"));
    }

    #[test]
    fn multi_byte_keys_and_scalars_keep_exact_spans() {
        let t = "título: 'Ça va'\n\"clé\": x\nü:x: 1\ninfo:\n  'ñ': \"ü\" # é\n  version: 'it''s ü' # ü\n";
        let v = lookup("o.yaml", t, &k("info.version")).unwrap().unwrap();
        assert_eq!(v.value, "it's ü");
        assert_eq!(&t[v.span.clone()], "'it''s ü'");
        assert_eq!(v.literal_start, None);
        assert_eq!(value_and_text(t, "ü:x"), ("1".into(), "1"));
        let v = lookup("o.yaml", t, &k("título")).unwrap().unwrap();
        assert_eq!(&t[v.span.clone()], "'Ça va'");
        assert_eq!(v.literal_start, Some(v.span.start + 1));
        let e = lookup("o.yaml", "v: 'ü' é\n", &k("v")).unwrap_err();
        assert_eq!((e.kind(), e.line()), (ParseErrorKind::Yaml, 1));
    }

    #[test]
    fn malformed_yaml_is_refused_with_position() {
        let e = lookup("c", "a: 1\nversion: \"1.2.3\n", &k("version")).unwrap_err();
        assert_eq!((e.kind(), e.line()), (ParseErrorKind::Yaml, 2));
        let e = lookup("c", "version: 1\nversion: 2\n", &k("version")).unwrap_err();
        assert_eq!(e.line(), 2);
        let e = lookup("c", "just text\n", &k("version")).unwrap_err();
        assert_eq!(e.line(), 1);
        assert!(lookup("c", "info:\n\tversion: 1\n", &k("info.version")).is_err());
    }
}
