//! Findings grouped by cause: when every manifest is one release behind, a reader needs one line
//! ("14 files record 1.2.2, the tag says 1.2.3") before the fourteen details.

use std::collections::BTreeSet;
use std::fmt;

use crate::finding::{Code, Finding, Severity};

/// Findings that share one cause: the same code, the same expected value and the same found
/// value. The findings themselves are unchanged; a cause points at them by index.
///
/// ```
/// use relver::{causes, check, Config, MemTree, SourceKind, SourceSpec};
/// let mut tree = MemTree::new();
/// let mut sources = Vec::new();
/// for name in ["a", "b", "c"] {
///     let path = format!("crates/{name}/Cargo.toml");
///     tree.insert(path.clone(), format!("[package]\nname = \"{name}\"\nversion = \"1.2.2\"\n"));
///     sources.push(SourceSpec::new(path, SourceKind::Cargo));
/// }
/// let report = check(&tree, &Config::new(sources), Some(&"v1.2.3".parse()?));
/// let causes = causes(&report.findings);
/// assert_eq!(causes.len(), 1);
/// assert_eq!(causes[0].to_string(), "3 files record 1.2.2, the tag says 1.2.3");
/// assert_eq!(causes[0].findings, [0, 1, 2]);
/// # Ok::<(), relver::TagError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Cause {
    /// The code every finding of the cause carries.
    pub code: Code,
    /// The highest severity among them.
    pub severity: Severity,
    /// The value they all expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The value they all found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// The subject every finding states, when they all state the same one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The distinct files, sorted.
    pub files: Vec<String>,
    /// Indices of the findings (into the slice given to [`causes`]), in their order there.
    pub findings: Vec<usize>,
}

impl Cause {
    /// `1 file` / `14 files`, and `in 17 places` when some file holds the value twice.
    fn counted(&self, noun: &str) -> String {
        let files = self.files.len().max(1);
        let mut s = format!("{files} {noun}{}", if files == 1 { "" } else { "s" });
        if self.findings.len() > files {
            s.push_str(&format!(" ({} places)", self.findings.len()));
        }
        s
    }
}

impl fmt::Display for Cause {
    /// One line in a release engineer's words: `14 files record 1.2.2, the tag says 1.2.3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let found = self.found.as_deref().unwrap_or("nothing");
        let expected = self.expected.as_deref().unwrap_or("nothing");
        let one = self.files.len() <= 1;
        let record = if one { "records" } else { "record" };
        match self.code {
            Code::VersionMismatch => write!(
                f,
                "{} {record} {found}, the tag says {expected}",
                self.counted("file")
            ),
            Code::VersionsDisagree => write!(
                f,
                "{} {record} {found}, most members record {expected}",
                self.counted("file")
            ),
            Code::DerivedDiffers => write!(
                f,
                "{} {record} {found} (derived, set at package time), the release is {expected}",
                self.counted("derived file")
            ),
            Code::ChangelogSectionMissing => write!(
                f,
                "{} {} no section for {expected}",
                self.counted("changelog"),
                if one { "has" } else { "have" }
            ),
            code => {
                match (self.findings.len(), &self.subject) {
                    (1, Some(subject)) => write!(f, "{code}: {subject}")?,
                    (n, subject) => {
                        write!(f, "{n} × {code} in {}", self.counted("file"))?;
                        if let Some(subject) = subject {
                            write!(f, ": {subject}")?;
                        }
                    }
                }
                match (&self.expected, &self.found) {
                    (Some(e), Some(x)) => write!(f, " (expected {e}, found {x})"),
                    (Some(e), None) => write!(f, " (expected {e})"),
                    (None, Some(x)) => write!(f, " (found {x})"),
                    (None, None) => Ok(()),
                }
            }
        }
    }
}

/// Group `findings` by cause (code, expected, found): one [`Cause`] per group, the most severe
/// first, then the largest, then in order of first appearance. Every finding is in exactly one
/// cause; the findings are not changed.
#[must_use]
pub fn causes(findings: &[Finding]) -> Vec<Cause> {
    let mut out: Vec<Cause> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let at = out
            .iter()
            .position(|c| c.code == f.code && c.expected == f.expected && c.found == f.found);
        let at = at.unwrap_or_else(|| {
            out.push(Cause {
                code: f.code,
                severity: f.severity,
                expected: f.expected.clone(),
                found: f.found.clone(),
                subject: Some(f.subject.clone()),
                files: Vec::new(),
                findings: Vec::new(),
            });
            out.len() - 1
        });
        let Some(cause) = out.get_mut(at) else {
            continue;
        };
        cause.severity = cause.severity.max(f.severity);
        if cause.subject.as_ref() != Some(&f.subject) {
            cause.subject = None;
        }
        cause.findings.push(i);
        if let Some(p) = f.path() {
            cause.files.push(p.to_owned());
        }
    }
    for c in &mut out {
        c.files = std::mem::take(&mut c.files)
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
    }
    // Stable: equal causes keep their order of first appearance.
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.findings.len().cmp(&a.findings.len()))
    });
    out
}
