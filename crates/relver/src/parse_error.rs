//! The one error type of the file parsers: opaque, with a kind and a position.

use std::fmt;

/// Which parser failed, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Malformed TOML.
    Toml,
    /// Malformed JSON.
    Json,
    /// Malformed or unsupported YAML.
    Yaml,
    /// Nesting deeper than the limit (JSON, TOML).
    TooDeep,
    /// The document has an unexpected shape (a key that must be a table is not one).
    Shape,
    /// A malformed changelog.
    Changelog,
    /// A malformed configuration file.
    Config,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Toml => "malformed TOML",
            Self::Json => "malformed JSON",
            Self::Yaml => "malformed YAML",
            Self::TooDeep => "nesting too deep",
            Self::Shape => "unexpected document shape",
            Self::Changelog => "malformed changelog",
            Self::Config => "invalid configuration",
        })
    }
}

/// A file that could not be parsed: the file, the 1-based line and column, and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {kind}: {message}")]
pub struct ParseError {
    kind: ParseErrorKind,
    path: String,
    line: usize,
    column: usize,
    message: String,
    key: Option<String>,
}

impl ParseError {
    pub(crate) fn new(
        kind: ParseErrorKind,
        path: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            path: path.to_owned(),
            line,
            column,
            message: message.into(),
            key: None,
        }
    }

    /// Names the key the error is about (`source[2].path`).
    #[must_use]
    pub(crate) fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub(crate) fn at(
        kind: ParseErrorKind,
        path: &str,
        text: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> Self {
        let li = crate::input::LineIndex::new(text);
        let (line, column) = li.position(text, offset);
        Self::new(kind, path, line, column, message)
    }

    /// What went wrong.
    #[must_use]
    pub const fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// 1-based line.
    #[must_use]
    pub const fn line(&self) -> usize {
        self.line
    }

    /// 1-based column.
    #[must_use]
    pub const fn column(&self) -> usize {
        self.column
    }

    /// The key path the error is about, when it is about one value (a configuration's
    /// `source[2].path`, counted from 0 in file order).
    #[must_use]
    pub fn key_path(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The parser's message.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}
