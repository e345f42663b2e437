//! The read-only lockstep check and its report.

use std::collections::BTreeMap;
use std::fmt;

use crate::changelog::Changelog;
use crate::config::{Config, Role, SourceKind, SourceSpec};
use crate::field::{FieldProblem, VersionField};
use crate::finding::{Code, Finding, Severity};
use crate::source::{SourceError, extract};
use crate::tag::Tag;
use crate::tree::{Tree, TreeOrigin};
use crate::version::Version;

/// A field with the source that declared it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CheckedField {
    /// The source kind.
    pub kind: SourceKind,
    /// The source role.
    pub role: Role,
    /// The field.
    #[serde(flatten)]
    pub field: VersionField,
}

/// A source the check did not compare with the release version, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct IndependentSource {
    /// The file.
    pub path: String,
    /// The source kind.
    pub kind: SourceKind,
    /// Why it is independent (from the source's `reason`, or "declared independent").
    pub reason: String,
}

/// The result of [`check`]: every field read and every finding, not just the first.
///
/// Serialises to the JSON documented in `docs/relver.md` (schema version 1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Schema version of the JSON form.
    pub schema: u32,
    /// True when there is no error finding.
    pub ok: bool,
    /// The tag checked against, if any.
    pub tag: Option<Tag>,
    /// The tree the files were read from: a working tree or a tag's git objects.
    pub tree: TreeOrigin,
    /// The version every member must have: the tag's, or the members' most common one.
    pub expected: Option<Version>,
    /// Every field read.
    pub fields: Vec<CheckedField>,
    /// Every finding.
    pub findings: Vec<Finding>,
    /// The sources not checked because they are independent, each with its reason.
    pub independent: Vec<IndependentSource>,
}

impl Report {
    /// Findings of at least `severity`.
    pub fn findings_at_least(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity >= severity)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings_at_least(Severity::Error)
    }

    /// The findings grouped by cause (see [`causes`](crate::causes)): what a reader should
    /// see before the details.
    #[must_use]
    pub fn causes(&self) -> Vec<crate::Cause> {
        crate::causes(&self.findings)
    }

    /// The JSON form.
    pub fn to_json(&self) -> Result<String, crate::RenderError> {
        serde_json::to_string_pretty(self)
            .map_err(|e| crate::RenderError::new("the report", "JSON", e))
    }

    /// An empty report (ok until an error is pushed).
    pub(crate) fn new(tree: TreeOrigin, tag: Option<Tag>) -> Self {
        Self {
            schema: 1,
            ok: true,
            tag,
            tree,
            expected: None,
            fields: Vec::new(),
            findings: Vec::new(),
            independent: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, f: Finding) {
        if f.severity == Severity::Error {
            self.ok = false;
        }
        self.findings.push(f);
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.tag, &self.expected) {
            (Some(t), _) => write!(f, "relver check against tag {t}")?,
            (None, Some(v)) => write!(f, "relver check: members should agree on {v}")?,
            (None, None) => write!(f, "relver check: no version found")?,
        }
        writeln!(f, ", reading {}", self.tree)?;
        // One line per cause first (fourteen manifests one release behind are one cause), then
        // every finding; a single finding is its own summary.
        if self.findings.len() > 1 {
            for cause in self.causes() {
                writeln!(f, "{}: {cause}", cause.severity)?;
            }
        }
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
            if let Some(hint) = &finding.hint {
                writeln!(f, "  hint: {hint}")?;
            }
        }
        for i in &self.independent {
            writeln!(f, "independent {}: {}", i.path, i.reason)?;
        }
        let errors = self.errors().count();
        let warnings = self
            .findings
            .iter()
            .filter(|x| x.severity == Severity::Warning)
            .count();
        write!(
            f,
            "{} fields in {} files: {errors} errors, {warnings} warnings: {}",
            self.fields.len(),
            self.fields
                .iter()
                .map(|x| x.field.path.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            if self.ok { "ok" } else { "FAILED" }
        )
    }
}

fn source_error_finding(spec: &SourceSpec, e: &SourceError) -> Finding {
    let sev = if spec.role == Role::Derived {
        Severity::Warning
    } else {
        Severity::Error
    };
    let mut f = spec_finding(spec, Code::SourceUnreadable, e.to_string(), sev);
    match e {
        SourceError::Parse(p) => f = f.line_col(p.line(), p.column()),
        SourceError::Read(
            crate::input::ReadError::Binary { line, column, .. }
            | crate::input::ReadError::NotUtf8 { line, column, .. },
        ) => {
            f = f.line_col(*line, *column);
        }
        SourceError::Read(_) => {}
    }
    f.hint("fix the file so it parses, or change the source's role")
}

fn field_finding(code: Code, sev: Severity, fld: &VersionField, msg: impl Into<String>) -> Finding {
    Finding::new(code, msg)
        .severity(sev)
        .in_file(&fld.path)
        .key(&fld.key)
        .line_col(fld.line, fld.column)
}

/// Read every declared source from `tree`, without writing anything.
pub(crate) fn collect(
    tree: &dyn Tree,
    config: &Config,
    report: &mut Report,
) -> Vec<(usize, Option<String>)> {
    let mut changelogs = Vec::new();
    for (idx, spec) in config.sources.iter().enumerate() {
        if spec.role == Role::Independent {
            continue;
        }
        let text = match tree.read_text(&spec.path) {
            Ok(Some(t)) => t,
            Ok(None) => {
                if let Some(sev) = spec.role.missing_severity() {
                    report.push(
                        spec_finding(spec, Code::SourceMissing, "file not found", sev)
                            .hint("create the file, fix the path, or make the source optional"),
                    );
                }
                continue;
            }
            Err(e) => {
                report.push(source_error_finding(spec, &SourceError::Read(e)));
                continue;
            }
        };
        if spec.kind == SourceKind::Changelog {
            changelogs.push((idx, Some(text)));
            continue;
        }
        match extract(tree, spec, &text) {
            Ok(ex) => {
                if let Some(n) = ex.expected_count
                    && ex.fields.len() != n
                    && !(n == 1 && ex.fields.is_empty())
                {
                    let lines: Vec<String> = ex.fields.iter().map(|f| f.line.to_string()).collect();
                    report.push(
                        spec_finding(
                            spec,
                            Code::MatchCount,
                            format!(
                                "expected exactly {n} matches, found {} (lines {})",
                                ex.fields.len(),
                                lines.join(", ")
                            ),
                            Severity::Error,
                        )
                        .values(Some(ex.fields.len().to_string()), Some(n.to_string()))
                        .hint("keep exactly one literal assignment, or set `count`"),
                    );
                }
                let missing_packages: Vec<&String> = spec
                    .packages
                    .iter()
                    .flatten()
                    .filter(|p| {
                        !ex.fields
                            .iter()
                            .any(|f| f.key == format!("package[name={p}].version"))
                    })
                    .collect();
                for p in missing_packages {
                    if let Some(sev) = spec.role.missing_severity() {
                        report.push(
                            spec_finding(
                                spec,
                                Code::SourceMissing,
                                format!("no workspace entry for package {p:?}"),
                                sev,
                            )
                            .key(format!("package[name={p}].version"))
                            .hint(
                                crate::hint::regenerate(spec.kind).unwrap_or_else(|| {
                                    "regenerate the lock file from its manifests".to_owned()
                                }),
                            ),
                        );
                    }
                }
                if ex.fields.is_empty()
                    && let Some(sev) = spec.role.missing_severity()
                {
                    let key = spec.key.as_ref().map(|k| k.parts().join("."));
                    let mut f =
                        spec_finding(spec, Code::SourceMissing, "no version field found", sev);
                    if let Some(k) = key {
                        f = f.key(k);
                    }
                    report.push(
                        f.hint(
                            crate::hint::regenerate(spec.kind)
                                .unwrap_or_else(|| "check the source's kind and key".to_owned()),
                        ),
                    );
                }
                report
                    .fields
                    .extend(ex.fields.into_iter().map(|field| CheckedField {
                        kind: spec.kind,
                        role: spec.role,
                        field,
                    }));
            }
            Err(e) => report.push(source_error_finding(spec, &e)),
        }
    }
    changelogs
}

/// Check that every member source equals the tag's version (or, without a tag, that all members
/// agree), and that each changelog has a section for it. Read-only.
///
/// ```
/// use relver::{check, Config, DirTree, SourceKind, SourceSpec, Tag};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("package.json"), "{\n  \"version\": \"1.2.3\"\n}\n")?;
/// std::fs::write(dir.path().join("CHANGELOG.md"), "## 1.2.3 - 2024-01-01\n- x\n")?;
/// let config = Config::new(vec![
///     SourceSpec::new("package.json", SourceKind::PackageJson),
///     SourceSpec::new("CHANGELOG.md", SourceKind::Changelog),
/// ]);
/// let tag: Tag = "v1.2.3".parse()?;
/// let report = check(&DirTree::new(dir.path()), &config, Some(&tag));
/// assert!(report.ok, "{report}");
/// let report = check(&DirTree::new(dir.path()), &config, Some(&"v1.2.4".parse()?));
/// assert_eq!(report.errors().count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn check(tree: &dyn Tree, config: &Config, tag: Option<&Tag>) -> Report {
    let mut report = Report::new(tree.origin(), tag.cloned());
    // Globs (`crates/*/Cargo.toml`) become one source per file this tree holds.
    let (expanded, glob_findings) = config.expand(tree);
    let config = &expanded;
    for f in glob_findings {
        report.push(f);
    }
    for s in config
        .sources
        .iter()
        .filter(|s| s.role == Role::Independent)
    {
        // One line per file (a chart's two keys are one file).
        if report.independent.iter().any(|i| i.path == s.path) {
            continue;
        }
        report.independent.push(IndependentSource {
            path: s.path.clone(),
            kind: s.kind,
            reason: s
                .reason
                .clone()
                .unwrap_or_else(|| "declared independent".to_owned()),
        });
    }
    let changelogs = collect(tree, config, &mut report);
    let expected = match tag {
        Some(t) => Some(t.version().clone()),
        None => majority(&report.fields),
    };
    report.expected.clone_from(&expected);
    let mut new_findings = Vec::new();
    for cf in &report.fields {
        let fld = &cf.field;
        let member = matches!(cf.role, Role::Member | Role::Optional);
        if let Some(problem) = &fld.problem {
            let code = if *problem == FieldProblem::Dynamic {
                Code::VersionDynamic
            } else {
                Code::VersionInvalid
            };
            let sev = if member {
                Severity::Error
            } else {
                Severity::Info
            };
            let hint = match problem {
                FieldProblem::Dynamic => {
                    "declare a static version, or mark the source derived".to_owned()
                }
                FieldProblem::FormatMismatch { format } => format!("write the value as {format}"),
                _ => "write the version as a plain MAJOR.MINOR.PATCH string".to_owned(),
            };
            let finding = field_finding(code, sev, fld, problem.to_string()).values(
                Some(fld.raw.clone()),
                expected.as_ref().map(ToString::to_string),
            );
            // A derived value is not written by hand: no hint to write it.
            new_findings.push(if member { finding.hint(hint) } else { finding });
            continue;
        }
        let (Some(found), Some(exp)) = (&fld.version, &expected) else {
            continue;
        };
        if found == exp {
            continue;
        }
        let finding = if member {
            let code = if tag.is_some() {
                Code::VersionMismatch
            } else {
                Code::VersionsDisagree
            };
            field_finding(
                code,
                Severity::Error,
                fld,
                "version differs from the release version",
            )
            .hint(crate::hint::version_fix(cf.kind, fld, exp))
        } else {
            // A derived value is written at package time: there is nothing to set by hand.
            field_finding(
                Code::DerivedDiffers,
                Severity::Info,
                fld,
                "derived version differs (set at package time)",
            )
        };
        new_findings.push(finding.values(Some(found.to_string()), Some(exp.to_string())));
    }
    for f in new_findings {
        report.push(f);
    }
    for (idx, text) in changelogs {
        let (Some(spec), Some(text)) = (config.sources.get(idx), text) else {
            continue;
        };
        check_changelog(&mut report, spec, config, &text, expected.as_ref());
    }
    report
}

fn check_changelog(
    report: &mut Report,
    spec: &SourceSpec,
    config: &Config,
    text: &str,
    expected: Option<&Version>,
) {
    let log = Changelog::parse(text);
    let member = matches!(spec.role, Role::Member | Role::Optional);
    if spec.lint {
        for f in log.lint(&spec.path, &config.changelog) {
            report.push(f);
        }
    }
    let Some(exp) = expected else { return };
    match log.section(exp) {
        Some(s) => {
            if !spec.lint && !s.date_valid && (s.date.is_some() || config.changelog.require_date) {
                let sev = if s.date.is_some() && member {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                report.push(
                    spec_finding(
                        spec,
                        Code::ChangelogDate,
                        format!("section {exp} has no valid YYYY-MM-DD date"),
                        sev,
                    )
                    .line_col(s.line, 1)
                    .values(s.date.clone(), Some("YYYY-MM-DD".into()))
                    .hint(format!(
                        "write the heading as {}",
                        s.style.clone().dated().describe(exp, "YYYY-MM-DD")
                    )),
                );
            }
        }
        None => {
            let latest = log.latest();
            let line = latest
                .map(|s| s.line)
                .or_else(|| log.unreleased().map(|u| u.line))
                .unwrap_or(1);
            let sev = if member {
                Severity::Error
            } else {
                Severity::Info
            };
            report.push(
                spec_finding(
                    spec,
                    Code::ChangelogSectionMissing,
                    format!("no section for {exp}"),
                    sev,
                )
                .key(format!("## {exp}"))
                .line_col(line, 1)
                .values(
                    latest.and_then(|s| s.version()).map(ToString::to_string),
                    Some(exp.to_string()),
                )
                .hint(format!(
                    "add {} above line {line}",
                    log.heading_style().describe(exp, "YYYY-MM-DD")
                )),
            );
        }
    }
}

/// The most common member version (ties: the one seen first).
fn majority(fields: &[CheckedField]) -> Option<Version> {
    let mut counts: BTreeMap<&Version, (usize, usize)> = BTreeMap::new();
    for (i, cf) in fields.iter().enumerate() {
        if !matches!(cf.role, Role::Member | Role::Optional) {
            continue;
        }
        if let Some(v) = &cf.field.version {
            let e = counts.entry(v).or_insert((0, i));
            e.0 += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
        .map(|(v, _)| v.clone())
}

/// Which tags besides strict release tags [`check_release_with`] accepts. The default accepts
/// none: a floating (`v1`), partial (`v1.2`) or pre-release (`v1.2.3-rc.1`) tag fails.
///
/// ```
/// use relver::TagOptions;
/// let options = TagOptions::default().allow_prerelease(true);
/// assert!(options.prerelease && !options.floating);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TagOptions {
    /// Accept a floating or partial tag (`v1`, `v1.2`): nothing is checked, with a warning.
    pub floating: bool,
    /// Accept a pre-release tag (`v1.2.3-rc.1`): files must carry the pre-release version.
    pub prerelease: bool,
}

impl TagOptions {
    /// Accept floating and partial tags (nothing is checked for them).
    #[must_use]
    pub const fn allow_floating(mut self, yes: bool) -> Self {
        self.floating = yes;
        self
    }

    /// Accept pre-release tags (checked against the pre-release version).
    #[must_use]
    pub const fn allow_prerelease(mut self, yes: bool) -> Self {
        self.prerelease = yes;
        self
    }
}

/// What a tag text means for a check.
pub(crate) enum TagDecision {
    /// Check the files against this tag; the finding says why a non-release tag was accepted.
    Check(Tag, Option<Finding>),
    /// Do not read any file: this report (failed for a refused tag, a warning for an allowed
    /// floating tag) is the outcome.
    Stop(Report),
}

/// Classify `tag` under the configuration's prefixes and `options`.
pub(crate) fn decide_tag(
    tree: TreeOrigin,
    config: &Config,
    tag: &str,
    options: TagOptions,
) -> TagDecision {
    let stop = |finding: Finding| {
        let mut r = Report::new(tree.clone(), None);
        r.push(finding);
        TagDecision::Stop(r)
    };
    let refused = |message: String, hint: &str| {
        Finding::new(Code::TagNotStrictSemver, message)
            .severity(Severity::Error)
            .values(
                Some(tag.to_owned()),
                Some(format!(
                    "{} then MAJOR.MINOR.PATCH",
                    crate::tag::prefix_list(&config.tag_prefixes)
                )),
            )
            .hint(hint)
    };
    match crate::tag::parse_tag(tag, &config.tag_policy()) {
        Ok(crate::tag::TagClass::Release(t)) => TagDecision::Check(t, None),
        Ok(crate::tag::TagClass::Floating(fl)) if options.floating => stop(
            Finding::new(
                Code::TagNotStrictSemver,
                format!("{fl} is a floating tag, not a release: nothing checked (allowed)"),
            )
            .severity(Severity::Warning)
            .values(Some(tag.to_owned()), None),
        ),
        Ok(crate::tag::TagClass::Floating(fl)) => stop(refused(
            format!("{fl} is a floating or partial tag, not a release tag"),
            "check against the full release tag (v1.2.3), or allow floating tags explicitly",
        )),
        Err(e) => {
            if options.prerelease
                && matches!(e.reason(), crate::tag::TagRejection::PreRelease { .. })
                && let Ok(t) = tag.parse::<Tag>()
                && t.version().build().is_none()
            {
                let note = Finding::new(
                    Code::TagNotStrictSemver,
                    format!(
                        "{tag} is a pre-release tag: checked against {} (allowed)",
                        t.version()
                    ),
                )
                .severity(Severity::Info)
                .values(Some(tag.to_owned()), None);
                return TagDecision::Check(t, Some(note));
            }
            let hint = if matches!(e.reason(), crate::tag::TagRejection::PreRelease { .. }) {
                "release tags are strict SemVer; allow pre-release tags explicitly to check one"
            } else {
                "release tags are strict SemVer: no pre-release, build metadata or leading zeros"
            };
            stop(refused(e.to_string(), hint))
        }
    }
}

/// The whole release gate for a tag given as text: the strict tag guard (with the
/// configuration's prefixes), then [`check`]. A tag that is not a release tag (floating `v1`,
/// partial `v1.2`, pre-release `v1.2.3-rc.1`, anything malformed) is an error finding and no
/// file is read (fail closed); [`check_release_with`] can allow floating and pre-release tags.
///
/// ```
/// use relver::{check_release, Config, Code, MemTree};
/// let report = check_release(&MemTree::new(), &Config::default(), "v1.2.3-rc.1");
/// assert!(!report.ok);
/// assert_eq!(report.findings[0].code, Code::TagNotStrictSemver);
/// assert!(!check_release(&MemTree::new(), &Config::default(), "v1").ok);
/// assert!(!check_release(&MemTree::new(), &Config::default(), "v0.5").ok);
/// ```
#[must_use]
pub fn check_release(tree: &dyn Tree, config: &Config, tag: &str) -> Report {
    check_release_with(tree, config, tag, TagOptions::default())
}

/// [`check_release`] with [`TagOptions`]: an allowed floating tag checks nothing (ok, with a
/// warning); an allowed pre-release tag is checked like a release tag.
///
/// ```
/// use relver::{check_release_with, Config, MemTree, SourceKind, SourceSpec, TagOptions};
/// let tree = MemTree::new().with_file("package.json", "{\"version\": \"1.2.3-rc.1\"}");
/// let config = Config::new(vec![SourceSpec::new("package.json", SourceKind::PackageJson)]);
/// let pre = TagOptions::default().allow_prerelease(true);
/// assert!(check_release_with(&tree, &config, "v1.2.3-rc.1", pre).ok);
/// assert!(!check_release_with(&tree, &config, "v1.2.3-rc.2", pre).ok);
/// let floating = TagOptions::default().allow_floating(true);
/// assert!(check_release_with(&tree, &config, "v1", floating).ok);
/// ```
#[must_use]
pub fn check_release_with(
    tree: &dyn Tree,
    config: &Config,
    tag: &str,
    options: TagOptions,
) -> Report {
    match decide_tag(tree.origin(), config, tag, options) {
        TagDecision::Stop(r) => r,
        TagDecision::Check(t, note) => {
            let mut r = check(tree, config, Some(&t));
            if let Some(n) = note {
                r.push(n);
            }
            r
        }
    }
}

/// A finding of `severity` about the file of the source `spec`.
fn spec_finding(
    spec: &SourceSpec,
    code: Code,
    subject: impl Into<String>,
    severity: Severity,
) -> Finding {
    Finding::new(code, subject)
        .severity(severity)
        .in_file(&spec.path)
}
