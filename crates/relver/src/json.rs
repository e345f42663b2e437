//! A small span-aware JSON reader: values with their byte spans, a depth cap, typed errors.
//!
//! `serde_json` gives values but no positions; this reader keeps the byte span of every value so
//! that a version can be reported at `line:column` and edited in place.

use std::ops::Range;

use crate::parse_error::{ParseError, ParseErrorKind};

/// Maximum nesting of arrays and objects.
pub(crate) const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonKind {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    /// Decoded string; `literal` is true when the raw bytes between the quotes equal it.
    String {
        value: String,
        literal: bool,
    },
    Number,
    Bool,
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Json {
    pub(crate) kind: JsonKind,
    pub(crate) span: Range<usize>,
}

impl Json {
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match &self.kind {
            JsonKind::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    path: &'a str,
}

impl Parser<'_> {
    fn err(&self, at: usize, msg: &str) -> ParseError {
        ParseError::at(ParseErrorKind::Json, self.path, self.text, at, msg)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, ParseError> {
        self.ws();
        let start = self.pos;
        let Some(&c) = self.s.get(self.pos) else {
            return Err(self.err(start, "unexpected end of input"));
        };
        let kind = match c {
            b'{' | b'[' => {
                if depth >= MAX_DEPTH {
                    return Err(ParseError::at(
                        ParseErrorKind::TooDeep,
                        self.path,
                        self.text,
                        start,
                        format!("nesting deeper than {MAX_DEPTH}"),
                    ));
                }
                self.pos += 1;
                if c == b'{' {
                    self.object(depth)?
                } else {
                    self.array(depth)?
                }
            }
            b'"' => {
                let (value, literal) = self.string()?;
                JsonKind::String { value, literal }
            }
            b't' => self.word("true", JsonKind::Bool)?,
            b'f' => self.word("false", JsonKind::Bool)?,
            b'n' => self.word("null", JsonKind::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(self.err(start, "expected a value")),
        };
        Ok(Json {
            kind,
            span: start..self.pos,
        })
    }

    fn word(&mut self, w: &str, k: JsonKind) -> Result<JsonKind, ParseError> {
        if self
            .s
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(w.as_bytes()))
        {
            self.pos += w.len();
            Ok(k)
        } else {
            Err(self.err(self.pos, "invalid literal"))
        }
    }

    fn number(&mut self) -> Result<JsonKind, ParseError> {
        let start = self.pos;
        if self.s.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let st = p.pos;
            while p.s.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos - st
        };
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 || (n > 1 && self.s.get(int_start) == Some(&b'0')) {
            return Err(self.err(start, "invalid number"));
        }
        if self.s.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.err(start, "invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.s.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.err(start, "invalid number"));
            }
        }
        Ok(JsonKind::Number)
    }

    fn string(&mut self) -> Result<(String, bool), ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut literal = true;
        loop {
            let Some(&b) = self.s.get(self.pos) else {
                return Err(self.err(start, "unterminated string"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok((out, literal));
                }
                b'\\' => {
                    literal = false;
                    let esc = self.s.get(self.pos + 1).copied();
                    self.pos += 2;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let hex = self
                                .text
                                .get(self.pos..self.pos + 4)
                                .ok_or_else(|| self.err(self.pos, "bad \\u escape"))?;
                            let cp = u32::from_str_radix(hex, 16)
                                .map_err(|_| self.err(self.pos, "bad \\u escape"))?;
                            self.pos += 4;
                            // Surrogates are replaced; version strings never contain them.
                            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.err(self.pos - 2, "invalid escape")),
                    }
                }
                0..=0x1f => return Err(self.err(self.pos, "control character in string")),
                _ => {
                    // Copy one UTF-8 character; `pos` only ever moves past whole characters
                    // (ASCII bytes, escapes, `len_utf8`), so it is on a character boundary.
                    let Some(ch) = self.text.get(self.pos..).and_then(|r| r.chars().next()) else {
                        return Err(self.err(self.pos, "invalid UTF-8 in string"));
                    };
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonKind, ParseError> {
        let mut members = Vec::new();
        let mut seen = std::collections::HashSet::new();
        self.ws();
        if self.s.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(JsonKind::Object(members));
        }
        loop {
            self.ws();
            if self.s.get(self.pos) != Some(&b'"') {
                return Err(self.err(self.pos, "expected a string key"));
            }
            let key_at = self.pos;
            let (key, _) = self.string()?;
            // Duplicate keys make the document ambiguous (which version counts?): refused.
            if !seen.insert(key.clone()) {
                return Err(self.err(key_at, "duplicate key"));
            }
            self.ws();
            if self.s.get(self.pos) != Some(&b':') {
                return Err(self.err(self.pos, "expected ':'"));
            }
            self.pos += 1;
            let v = self.value(depth + 1)?;
            members.push((key, v));
            if !self.more(b'}', "expected ',' or '}'")? {
                return Ok(JsonKind::Object(members));
            }
        }
    }

    /// After a member or an item: `true` past a `,` (another one follows), `false` past the
    /// `close` bracket, else the error `expected`.
    fn more(&mut self, close: u8, expected: &'static str) -> Result<bool, ParseError> {
        self.ws();
        match self.s.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(&b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.err(self.pos, expected)),
        }
    }

    fn array(&mut self, depth: usize) -> Result<JsonKind, ParseError> {
        let mut items = Vec::new();
        self.ws();
        if self.s.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(JsonKind::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if !self.more(b']', "expected ',' or ']'")? {
                return Ok(JsonKind::Array(items));
            }
        }
    }
}

/// Parse a whole JSON document (a leading UTF-8 BOM is allowed).
pub(crate) fn parse(path: &str, text: &str) -> Result<Json, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        path,
    };
    if text.starts_with('\u{feff}') {
        p.pos = 3;
    }
    let v = p.value(0)?;
    p.ws();
    if p.pos != text.len() {
        return Err(p.err(p.pos, "trailing characters after the document"));
    }
    Ok(v)
}

/// Find a value by key path.
pub(crate) fn lookup<'j>(root: &'j Json, keys: &[String]) -> Option<&'j Json> {
    let mut cur = root;
    for k in keys {
        cur = cur.get(k)?;
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_values() {
        let t = "{\n  \"name\": \"x\",\n  \"version\": \"1.2.3\",\n  \"packages\": {\"\": {\"version\": \"1.2.3\"}}\n}\n";
        let j = parse("p.json", t).unwrap();
        let v = j.get("version").unwrap();
        assert_eq!(&t[v.span.clone()], "\"1.2.3\"");
        let inner = lookup(&j, &["packages".into(), String::new(), "version".into()]).unwrap();
        assert_eq!(&t[inner.span.clone()], "\"1.2.3\"");
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("p.json", "{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!(
            (e.kind(), e.line(), e.column()),
            (ParseErrorKind::Json, 2, 8)
        );
        let deep = "[".repeat(100_000);
        let e = parse("d.json", &deep).unwrap_err();
        assert_eq!(e.kind(), ParseErrorKind::TooDeep);
        assert_eq!(e.column(), MAX_DEPTH + 1);
        assert!(parse("p.json", "{\"a\":1} x").is_err());
        assert!(parse("p.json", "\"a\\q\"").is_err());
        assert!(parse("p.json", "01").is_err());
        let e = parse(
            "p.json",
            "{\"version\": \"1.0.0\",\n \"version\": \"2.0.0\"}",
        )
        .unwrap_err();
        assert_eq!((e.line(), e.column(), e.message()), (2, 2, "duplicate key"));
    }

    #[test]
    fn agrees_with_serde_json_on_valid_documents() {
        for t in [
            "{\"a\":[1,2.5e3,-0.1,true,false,null,\"\\u00e9\\n\"]}",
            "[]",
            "{}",
            "\"x\"",
        ] {
            assert!(serde_json::from_str::<serde_json::Value>(t).is_ok());
            assert!(parse("t", t).is_ok(), "{t}");
        }
    }
}
