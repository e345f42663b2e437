//! Structured findings: every check returns these, never a bare bool or a string.

use std::fmt;

/// How bad a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Severity {
    /// For information only (a derived source that differs, a skipped optional source).
    Info,
    /// Worth fixing, does not fail the check.
    Warning,
    /// Fails the check.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// A stable, kebab-case finding code (documented in `docs/relver.md`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[non_exhaustive]
        pub enum FindingCode {
            $($(#[$doc])* #[serde(rename = $code)] $variant,)*
        }

        impl FindingCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [FindingCode] = &[$(FindingCode::$variant,)*];

            /// The kebab-case code.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(FindingCode::$variant => $code,)* }
            }
        }
    };
}

codes! {
    /// A member's version differs from the expected version.
    VersionMismatch => "version-mismatch",
    /// A member source (file or key) is missing.
    SourceMissing => "source-missing",
    /// A source file could not be read or parsed.
    SourceUnreadable => "source-unreadable",
    /// The version is dynamic (computed at build time) and cannot be checked.
    VersionDynamic => "version-dynamic",
    /// The value is not a valid version, not a literal, or not in the declared format.
    VersionInvalid => "version-invalid",
    /// A source matched a different number of times than declared.
    MatchCount => "match-count",
    /// A derived source differs from the release version (reported, not drift).
    DerivedDiffers => "derived-differs",
    /// The members disagree among themselves (no tag given).
    VersionsDisagree => "versions-disagree",
    /// The tag is not a strict release tag.
    TagRejected => "tag-rejected",
    /// The changelog has no section for the version.
    ChangelogSectionMissing => "changelog-section-missing",
    /// A changelog section's date is missing or invalid.
    ChangelogDate => "changelog-date",
    /// Two changelog sections for the same version.
    ChangelogDuplicate => "changelog-duplicate",
    /// Changelog sections are not in descending version order.
    ChangelogOrder => "changelog-order",
    /// The Unreleased section still holds changes although the release is dated.
    ChangelogUnreleasedNotEmpty => "changelog-unreleased-not-empty",
    /// A changelog section has no link reference definition.
    ChangelogLinkMissing => "changelog-link-missing",
    /// The Unreleased compare link does not start from the latest release.
    ChangelogUnreleasedBase => "changelog-unreleased-base",
    /// The tag already exists (release not yet made is required).
    TagExists => "tag-exists",
    /// The tag does not exist.
    TagMissing => "tag-missing",
    /// A coupled tag points at a different commit, or is missing.
    CoupledTagMismatch => "coupled-tag-mismatch",
    /// A release tag carries the previous release's version: the bump ran after tagging.
    BumpAfterTag => "bump-after-tag",
    /// A version appears in the changelog but was never tagged.
    VersionNeverTagged => "version-never-tagged",
    /// A version-looking field that no configured source covers.
    Uncovered => "uncovered",
    /// The working tree checked against a tag is not that tag's tree (another commit, changed
    /// files, or no way to tell): its files may not be what the tag releases.
    WorktreeNotAtTag => "worktree-not-at-tag",
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem (or fact) found by a check, with everything needed to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// Stable code.
    pub code: FindingCode,
    /// Severity.
    pub severity: Severity,
    /// File path relative to the checked root (or a git ref for tag findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Key path inside the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// What was expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// One-line description.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Finding {
    /// A finding with a code, severity and message; fill the rest with the `with_*` methods.
    #[must_use]
    pub fn new(code: FindingCode, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            path: None,
            key: None,
            line: None,
            column: None,
            found: None,
            expected: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Set the file.
    #[must_use]
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Set the key path.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Set line and column.
    #[must_use]
    pub const fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Set found and expected values.
    #[must_use]
    pub fn values(mut self, found: Option<String>, expected: Option<String>) -> Self {
        self.found = found;
        self.expected = expected;
        self
    }

    /// Set the fix hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.severity, self.code)?;
        if let Some(p) = &self.path {
            write!(f, " {p}")?;
            if let Some(l) = self.line {
                write!(f, ":{l}")?;
                if let Some(c) = self.column {
                    write!(f, ":{c}")?;
                }
            }
        }
        if let Some(k) = &self.key {
            write!(f, " {k}")?;
        }
        write!(f, ": {}", self.message)?;
        match (&self.found, &self.expected) {
            (Some(fd), Some(ex)) => write!(f, " (found {fd}, expected {ex})")?,
            (Some(fd), None) => write!(f, " (found {fd})")?,
            (None, Some(ex)) => write!(f, " (expected {ex})")?,
            (None, None) => {}
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_snapshotted() {
        let codes: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
        assert_eq!(
            codes.join(" "),
            "version-mismatch source-missing source-unreadable version-dynamic version-invalid match-count \
             derived-differs versions-disagree tag-rejected changelog-section-missing changelog-date \
             changelog-duplicate changelog-order changelog-unreleased-not-empty changelog-link-missing \
             changelog-unreleased-base tag-exists tag-missing coupled-tag-mismatch bump-after-tag \
             version-never-tagged uncovered worktree-not-at-tag"
        );
        for c in FindingCode::ALL {
            assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{c}\""));
        }
    }
}
