//! JSON pointers (RFC 6901) for findings about a JSON document: escaping one reference token,
//! and the pointer of the value at a line and column, for the errors of the typed parse
//! (serde_json names the line and column where a value did not fit, not its path).

/// `token` escaped as one reference token of a JSON pointer (`~` as `~0`, `/` as `~1`).
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `base` followed by the reference token `token`.
pub(crate) fn join(base: &str, token: impl std::fmt::Display) -> String {
    format!("{base}/{}", escape(&token.to_string()))
}

/// The byte offset of 1-based `line` and `column` (serde_json counts columns in bytes) in
/// `text`, clamped to its length.
fn offset_of(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    let mut seen = 1;
    for (i, b) in text.iter().enumerate() {
        if seen >= line {
            break;
        }
        if *b == b'\n' {
            seen += 1;
            start = i + 1;
        }
    }
    start.saturating_add(column).min(text.len())
}

/// One open container while scanning: an object (with the key being read or last read) or an
/// array (with the index of the element being read).
enum Open {
    Object { key: Option<String>, want_key: bool },
    Array { index: usize },
}

/// The JSON pointer of the value serde_json stopped at, at 1-based `line` and `column`: the
/// value that started or ended last before that position (an object that lacks a field is
/// reported at its closing brace: the pointer is then the object's). The scan is a small
/// tokenizer over the document's own bytes; it never fails, and text past a syntax error
/// leaves the pointer where the scan stopped.
pub(crate) fn pointer_at(text: &[u8], line: usize, column: usize) -> String {
    let end = offset_of(text, line, column);
    let mut stack: Vec<Open> = Vec::new();
    let mut last = String::new();
    let mut i = 0;
    while i < end {
        let Some(&b) = text.get(i) else { break };
        match b {
            b'{' | b'[' => {
                last = path_of(&stack);
                stack.push(if b == b'{' {
                    Open::Object {
                        key: None,
                        want_key: true,
                    }
                } else {
                    Open::Array { index: 0 }
                });
                i += 1;
            }
            b'}' | b']' => {
                // The container ends: its own path (the enclosing member) ended last.
                stack.pop();
                last = path_of(&stack);
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Open::Array { index }) => *index += 1,
                    Some(Open::Object { want_key, .. }) => *want_key = true,
                    None => {}
                }
                i += 1;
            }
            b'"' => {
                let (s, next) = read_string(text, i + 1);
                let is_key = matches!(stack.last(), Some(Open::Object { want_key: true, .. }));
                if let Some(Open::Object { key, want_key }) = stack.last_mut()
                    && is_key
                {
                    *key = Some(s);
                    *want_key = false;
                } else {
                    last = path_of(&stack);
                }
                i = next;
            }
            b' ' | b'\t' | b'\r' | b'\n' | b':' => i += 1,
            _ => {
                // A number, true, false or null: one value.
                last = path_of(&stack);
                while i < end
                    && text.get(i).is_some_and(|c| {
                        !matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                    })
                {
                    i += 1;
                }
            }
        }
    }
    last
}

/// The pointer of the member being read in the innermost open container.
fn path_of(stack: &[Open]) -> String {
    let mut out = String::new();
    for open in stack {
        match open {
            Open::Object { key: Some(k), .. } => out = join(&out, k),
            Open::Object { key: None, .. } => {}
            Open::Array { index } => out = join(&out, index),
        }
    }
    out
}

/// A JSON string's text starting after its opening quote (escapes kept simple: `\"` and `\\`
/// are unescaped, `\uXXXX` as itself), and the offset after its closing quote.
fn read_string(text: &[u8], mut i: usize) -> (String, usize) {
    let mut out = Vec::new();
    while let Some(&b) = text.get(i) {
        match b {
            b'"' => return (String::from_utf8_lossy(&out).into_owned(), i + 1),
            b'\\' => {
                if let Some(&e) = text.get(i + 1) {
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'u' => out.extend_from_slice(b"\\u"),
                        other => out.push(other),
                    }
                }
                i += 2;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> String {
        // serde_json reports a value's error at its last byte: line and column of that byte.
        let end = text.find(needle).unwrap() + needle.len();
        let before = &text[..end];
        let line = before.matches('\n').count() + 1;
        let column = end - before.rfind('\n').map_or(0, |i| i + 1);
        pointer_at(text.as_bytes(), line, column)
    }

    #[test]
    fn the_value_at_a_position_is_named_by_its_pointer() {
        let text = "{\n \"a\": [1, {\"b/c\": \"x\", \"d~\": 440}],\n \"e\": {\"f\": true}\n}";
        assert_eq!(at(text, "440"), "/a/1/d~0");
        assert_eq!(at(text, "\"x\""), "/a/1/b~1c");
        assert_eq!(at(text, "true"), "/e/f");
        assert_eq!(at(text, "[1"), "/a/0");
        // An object closed without a field it needs: the object itself.
        assert_eq!(at(text, "440}"), "/a/1");
    }

    #[test]
    fn serde_json_errors_point_at_the_offending_value() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Doc {
            items: Vec<Item>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            name: String,
            version: String,
        }
        let text = "{\"items\": [\n  {\"name\": \"a\", \"version\": \"1\"},\n  {\"name\": \"b\", \"version\": 2}\n]}";
        let e = serde_json::from_str::<Doc>(text).unwrap_err();
        assert_eq!(
            pointer_at(text.as_bytes(), e.line(), e.column()),
            "/items/1/version"
        );
        let text = "{\"items\": [{\"name\": \"a\"}]}";
        let e = serde_json::from_str::<Doc>(text).unwrap_err();
        assert_eq!(
            pointer_at(text.as_bytes(), e.line(), e.column()),
            "/items/0"
        );
    }
}
