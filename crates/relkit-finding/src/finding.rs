//! The finding: what a check found, about what, where, and how to fix it.

use std::fmt;

use crate::code::{Code, Severity};

/// Where in a file a finding points: the path relative to the checked root (or a git ref),
/// 1-based line and column, and the key path inside the file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// The file, relative to the root that was checked (`crates/core/Cargo.toml`), or a ref.
    pub path: String,
    /// 1-based line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column (in characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The key path inside the file (`package.version`, `dependencies.foo.version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Location {
    /// A location naming a whole file.
    pub fn file(path: impl Into<String>) -> Self {
        Location {
            path: path.into(),
            line: None,
            column: None,
            key: None,
        }
    }

    /// Sets the 1-based line and column.
    #[must_use]
    pub fn line_col(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Sets the key path.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

impl fmt::Display for Location {
    /// `path[:line[:column]][ key]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        if let Some(k) = &self.key {
            write!(f, " {k}")?;
        }
        Ok(())
    }
}

/// One thing a check found: under a stable code, about a subject, optionally at a location,
/// with what was expected and what was found, and a hint at the fix.
///
/// Every relkit crate returns this type: `relver`'s version and changelog checks, `artidigest`'s
/// profile and diff findings, `attest`'s rejections (at its boundary) and `relgate`'s gates.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// How much it matters (the code's default unless the check says otherwise).
    pub severity: Severity,
    /// What the finding is about, in words: a file, a registry package, a tag, a workflow,
    /// or one line saying what is wrong.
    pub subject: String,
    /// Where it points, when it points into a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What the policy or the reference says it should be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What was found instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Finding {
    /// A finding with the code's default severity, no location and no expected/found/hint.
    pub fn new(code: Code, subject: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            subject: subject.into(),
            location: None,
            expected: None,
            found: None,
            hint: None,
        }
    }

    crate::setters! {
        /// Overrides the severity.
        #[must_use]
        severity(severity: Severity) => severity = severity;
        /// Sets the location.
        #[must_use]
        at(location: Location) => location = Some(location);
    }

    /// Points the finding at a file (keeping a line, column or key already set).
    #[must_use]
    pub fn in_file(mut self, path: impl Into<String>) -> Self {
        match &mut self.location {
            Some(l) => l.path = path.into(),
            None => self.location = Some(Location::file(path)),
        }
        self
    }

    /// Sets the 1-based line and column of the location (of an unnamed file until
    /// [`in_file`](Finding::in_file) names it).
    #[must_use]
    pub fn line_col(mut self, line: usize, column: usize) -> Self {
        let l = self.location.get_or_insert_with(|| Location::file(""));
        l.line = Some(line);
        l.column = Some(column);
        self
    }

    /// Sets the key path of the location (of an unnamed file until
    /// [`in_file`](Finding::in_file) names it).
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.location.get_or_insert_with(|| Location::file("")).key = Some(key.into());
        self
    }

    crate::setters! {
        /// Sets what was expected.
        #[must_use]
        expected(expected: impl Into<String>) => expected = Some(expected.into());
        /// Sets what was found.
        #[must_use]
        found(found: impl Into<String>) => found = Some(found.into());
    }

    /// Sets what was found and what was expected, each when known.
    #[must_use]
    pub fn values(mut self, found: Option<String>, expected: Option<String>) -> Self {
        self.found = found;
        self.expected = expected;
        self
    }

    /// Sets the hint.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The file the finding points into, when it has a location.
    pub fn path(&self) -> Option<&str> {
        self.location.as_ref().map(|l| l.path.as_str())
    }

    /// The 1-based line the finding points at, when known.
    pub fn line(&self) -> Option<usize> {
        self.location.as_ref().and_then(|l| l.line)
    }

    /// The 1-based column the finding points at, when known.
    pub fn column(&self) -> Option<usize> {
        self.location.as_ref().and_then(|l| l.column)
    }

    /// The key path inside the file the finding points at, when known.
    pub fn key_path(&self) -> Option<&str> {
        self.location.as_ref().and_then(|l| l.key.as_deref())
    }
}

impl fmt::Display for Finding {
    /// `code: [location: ]subject (expected X, found Y)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.code)?;
        if let Some(l) = &self.location {
            write!(f, "{l}: ")?;
        }
        f.write_str(&self.subject)?;
        match (&self.expected, &self.found) {
            (Some(e), Some(x)) => write!(f, " (expected {e}, found {x})"),
            (Some(e), None) => write!(f, " (expected {e})"),
            (None, Some(x)) => write!(f, " (found {x})"),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_location_expected_and_found() {
        let f = Finding::new(Code::DigestMismatch, "a.whl")
            .expected("sha256:aa")
            .found("sha256:bb");
        assert_eq!(
            f.to_string(),
            "digest-mismatch: a.whl (expected sha256:aa, found sha256:bb)"
        );
        assert_eq!(f.severity, Severity::Error);
        let g = Finding::new(Code::ChangelogDate, "no date")
            .at(Location::file("CHANGELOG.md").line_col(7, 1))
            .severity(Severity::Warning);
        assert_eq!(g.to_string(), "changelog-date: CHANGELOG.md:7:1: no date");
        assert_eq!(g.path(), Some("CHANGELOG.md"));
    }

    #[test]
    fn json_omits_what_is_absent_and_round_trips() {
        let f = Finding::new(Code::VersionMismatch, "differs").at(Location::file("Cargo.toml")
            .line_col(3, 11)
            .key("package.version"));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "version-mismatch", "severity": "error", "subject": "differs",
                "location": {"path": "Cargo.toml", "line": 3, "column": 11, "key": "package.version"}
            })
        );
        let back: Finding = serde_json::from_value(json).unwrap();
        assert_eq!(back, f);
    }
}
