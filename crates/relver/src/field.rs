//! A version field found in a file, with its exact position, and the format it is written in.

use std::fmt;
use std::ops::Range;

use crate::input::LineIndex;
use crate::version::{Version, VersionError};

/// One place in one file that records a version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct VersionField {
    /// File path relative to the checked root, `/`-separated.
    pub path: String,
    /// Key path inside the file (`package.version`, `package[name=ordvec].version`,
    /// `dependencies.ordvec.version`, `info.version`, `__version__`, `## 0.5.0`, `match 1`).
    pub key: String,
    /// 1-based line of the value.
    pub line: usize,
    /// 1-based column (characters) of the value.
    pub column: usize,
    /// The value exactly as written in the file (quotes included).
    pub raw: String,
    /// The decoded value (quotes removed, escapes resolved); `None` when there is no value
    /// (dynamic, inherited from a missing root).
    pub value: Option<String>,
    /// The version parsed out of the value, if it parses.
    pub version: Option<Version>,
    /// Byte span of the version text in the file; `None` when it cannot be edited in place
    /// (escapes in the string, no value).
    #[serde(skip)]
    pub version_span: Option<Range<usize>>,
    /// Why the value is not a plain version, if it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<FieldProblem>,
    /// Extra facts about the field (`inherited from Cargo.toml`, `requirement =`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For `version.workspace = true`: the workspace root manifest whose
    /// `workspace.package.version` this field shows (and where a bump edits it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
}

/// Why a field does not hold a usable version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum FieldProblem {
    /// The version is computed at build time (`dynamic = ["version"]`).
    Dynamic,
    /// The value does not match the declared format (`v{version}`).
    FormatMismatch {
        /// The declared format.
        format: String,
    },
    /// The version text is not a valid SemVer version.
    Unparseable {
        /// The parser's message.
        message: String,
    },
    /// The value is not a string literal (an expression, a number).
    NotLiteral,
    /// The value is inherited from a workspace root that does not define it.
    InheritedMissing,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dynamic => f.write_str("version is dynamic (computed at build time)"),
            Self::FormatMismatch { format } => {
                write!(f, "value does not match the format {format:?}")
            }
            Self::Unparseable { message } => f.write_str(message),
            Self::NotLiteral => f.write_str("value is not a string literal"),
            Self::InheritedMissing => {
                f.write_str("inherited from a workspace root that does not define it")
            }
        }
    }
}

/// How a version is written inside a value: a template with exactly one `{version}`
/// (`{version}`, `v{version}`, `release-{version}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Format {
    prefix: String,
    suffix: String,
}

/// A format template without exactly one `{version}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("format {template:?} must contain exactly one {{version}}")]
pub struct FormatError {
    template: String,
}

impl std::str::FromStr for Format {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split("{version}");
        match (parts.next(), parts.next(), parts.next()) {
            (Some(p), Some(x), None) => Ok(Self {
                prefix: p.to_owned(),
                suffix: x.to_owned(),
            }),
            _ => Err(FormatError {
                template: s.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{{version}}{}", self.prefix, self.suffix)
    }
}

impl Format {
    /// Where the version sits inside `value`: `(offset, version text)`, or `None` when the value
    /// does not have this shape.
    #[must_use]
    pub fn locate<'v>(&self, value: &'v str) -> Option<(usize, &'v str)> {
        let inner = value
            .strip_prefix(&self.prefix)?
            .strip_suffix(&self.suffix)?;
        Some((self.prefix.len(), inner))
    }

    /// The value this format writes for `version`.
    #[must_use]
    pub fn render(&self, version: &Version) -> String {
        format!("{}{version}{}", self.prefix, self.suffix)
    }
}

/// What an extractor knows about one string value before the format is applied.
pub(crate) struct RawValue<'a> {
    pub(crate) key: String,
    /// Span of the whole value token (quotes included).
    pub(crate) raw_span: Range<usize>,
    /// The decoded value.
    pub(crate) value: String,
    /// Where the decoded value's bytes sit verbatim in the file, if they do (no escapes).
    pub(crate) literal_start: Option<usize>,
    pub(crate) text: &'a str,
    pub(crate) lines: &'a LineIndex,
}

/// Build a field from a raw value, applying the format and an optional skip of requirement
/// operators (`=`, `^`, `~`, `>=`) for Cargo dependency requirements.
pub(crate) fn make_field(
    path: &str,
    rv: RawValue<'_>,
    format: &Format,
    requirement: bool,
) -> VersionField {
    let (line, column) = rv.lines.position(rv.text, rv.raw_span.start);
    let raw = rv
        .text
        .get(rv.raw_span.clone())
        .unwrap_or_default()
        .to_owned();
    let mut field = VersionField {
        path: path.to_owned(),
        key: rv.key,
        line,
        column,
        raw,
        value: Some(rv.value.clone()),
        version: None,
        version_span: None,
        problem: None,
        note: None,
        inherited_from: None,
    };
    let (mut off, mut vtext) = match format.locate(&rv.value) {
        Some(x) => x,
        None => {
            field.problem = Some(FieldProblem::FormatMismatch {
                format: format.to_string(),
            });
            return field;
        }
    };
    if requirement {
        let trimmed = vtext.trim_start_matches(['=', '^', '~', '>', '<']);
        let op = vtext.strip_suffix(trimmed).unwrap_or_default();
        let trimmed2 = trimmed.trim_start();
        if !op.is_empty() {
            field.note = Some(format!("requirement {op}"));
        }
        off += vtext.len() - trimmed2.len();
        vtext = trimmed2.trim_end();
    }
    match vtext.parse::<Version>() {
        Ok(v) => {
            field.version = Some(v);
            field.version_span = rv.literal_start.map(|s| s + off..s + off + vtext.len());
        }
        Err(e) => field.problem = Some(unparseable(&e)),
    }
    field
}

pub(crate) fn unparseable(e: &VersionError) -> FieldProblem {
    FieldProblem::Unparseable {
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_round_trip() {
        let f: Format = "v{version}".parse().unwrap();
        assert_eq!(f.to_string(), "v{version}");
        assert_eq!(f.locate("v1.2.3"), Some((1, "1.2.3")));
        assert_eq!(f.locate("1.2.3"), None);
        assert_eq!(f.render(&Version::new(1, 2, 3)), "v1.2.3");
        assert!("x".parse::<Format>().is_err());
        assert!("{version}{version}".parse::<Format>().is_err());
    }
}
