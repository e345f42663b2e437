//! The error of loading a policy: the file, line, column and key at fault.

use std::path::{Path, PathBuf};

/// What is wrong with a policy file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyErrorKind {
    /// The file could not be read (or is too large).
    Io,
    /// TOML syntax, a wrong type, a missing or an unknown key.
    Syntax,
    /// Well-formed but invalid (waiver without reason, unknown code, bad pattern, bad edge).
    Invalid,
    /// The policy declares a `schema-version` this relgate does not read.
    UnsupportedSchemaVersion {
        /// The version the policy declares.
        found: i64,
        /// The version this relgate reads ([`SCHEMA_VERSION`](crate::policy::SCHEMA_VERSION)).
        supported: u32,
    },
    /// A waiver names a `file` but no `code`: it would waive every finding about that file.
    FileWaiverWithoutCode,
}

/// An error in a policy file, naming the file, line, column and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}{}", file.display(), key.as_ref().map(|k| format!(" (key `{k}`)")).unwrap_or_default())]
pub struct PolicyError {
    pub(crate) kind: PolicyErrorKind,
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) key: Option<String>,
    pub(crate) message: String,
}

impl PolicyError {
    /// An [`PolicyErrorKind::Io`] error: `file` could not be read (not tied to a place).
    pub(crate) fn io(file: &Path, message: String) -> Self {
        PolicyError {
            kind: PolicyErrorKind::Io,
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            key: None,
            message,
        }
    }

    /// What kind of error.
    pub fn kind(&self) -> &PolicyErrorKind {
        &self.kind
    }
    /// The policy file.
    pub fn file(&self) -> &Path {
        &self.file
    }
    /// 1-based line (0 when the error is not tied to a place, such as an unreadable file).
    pub fn line(&self) -> usize {
        self.line
    }
    /// 1-based column.
    pub fn column(&self) -> usize {
        self.column
    }
    /// The key at fault, when known.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }
    /// The message without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}
