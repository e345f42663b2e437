//! The changelog model: sections by heading, dates, link reference definitions, lints, and
//! byte-exact extraction of a section's body.

use std::ops::Range;

use crate::finding::{Code, Finding, Severity};
use crate::heading::{
    Heading, HeadingStyle, Line, heading_at, is_fence, link_def, parse_heading, section_level,
};
use crate::version::Version;

/// One `## …` section of a changelog.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Section {
    /// What the heading names.
    pub heading: Heading,
    /// The date text after the version (`2026-06-19`), if any.
    pub date: Option<String>,
    /// True when `date` is a valid `YYYY-MM-DD` calendar date.
    pub date_valid: bool,
    /// The version is written in brackets (`## [1.2.3]`).
    pub bracketed: bool,
    /// How the heading is written, to write the next one the same way.
    pub style: HeadingStyle,
    /// 1-based line of the heading.
    pub line: usize,
    /// Byte span of the heading line (without its line break).
    #[serde(skip)]
    pub heading_span: Range<usize>,
    /// Byte span of the body, without leading and trailing blank lines.
    #[serde(skip)]
    pub body_span: Range<usize>,
}

impl Section {
    /// The version of a version section.
    #[must_use]
    pub const fn version(&self) -> Option<&Version> {
        match &self.heading {
            Heading::Version { version, .. } => Some(version),
            Heading::Unreleased => None,
        }
    }
}

/// A link reference definition `[label]: url`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct LinkDef {
    /// The label (`Unreleased`, `0.5.0`).
    pub label: String,
    /// The URL.
    pub url: String,
    /// 1-based line.
    pub line: usize,
    /// Byte span of the whole line (without its line break).
    #[serde(skip)]
    pub span: Range<usize>,
}

/// Options for [`Changelog::lint`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub struct ChangelogPolicy {
    /// Every version section must carry a valid date.
    pub require_date: bool,
    /// The Unreleased section must be empty once the latest version is dated.
    pub unreleased_empty_when_dated: bool,
    /// Every version section needs a link reference definition, and the Unreleased compare link
    /// must start from the latest version.
    pub require_links: bool,
}

impl Default for ChangelogPolicy {
    fn default() -> Self {
        Self {
            require_date: true,
            unreleased_empty_when_dated: true,
            require_links: false,
        }
    }
}

/// A parsed changelog. Parsing never fails: headings that name no version are not sections.
///
/// ```
/// use relver::{Changelog, Version};
/// let text = "# Changelog\n\n## [Unreleased]\n\n## 1.2.0 - 2024-03-01\n\n- Added X.\n\n## [1.1.0] - 2024-01-01\n- Fixed Y.\n";
/// let log = Changelog::parse(text);
/// let section = log.section(&Version::new(1, 2, 0)).expect("section");
/// assert_eq!(section.date.as_deref(), Some("2024-03-01"));
/// assert_eq!(log.body(section), "- Added X.");
/// # Ok::<(), relver::VersionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changelog {
    text: String,
    sections: Vec<Section>,
    links: Vec<LinkDef>,
}

/// Whether `s` is a calendar date written `YYYY-MM-DD` (leap years counted): the one date check
/// of relkit, used for changelog section dates and policy waiver expiries.
pub fn is_calendar_date(s: &str) -> bool {
    if !matches!(s.as_bytes(), [_, _, _, _, b'-', _, _, b'-', _, _]) {
        return false;
    }
    let num = |r: Range<usize>| {
        s.get(r)
            .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|x| x.parse::<u32>().ok())
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// `span` without its leading blank lines and trailing white space; `span` runs from a line
/// start (`parse` gives nothing else), so an empty span is the only other answer.
fn trim_blank_lines(text: &str, span: Range<usize>) -> Range<usize> {
    let s = text.get(span.clone()).unwrap_or_default();
    let off: usize = s
        .split_inclusive('\n')
        .take_while(|l| l.trim().is_empty())
        .map(str::len)
        .sum();
    let start = span.start + off;
    // `off` is a sum of whole lines of `s`: a char boundary.
    let trimmed = s.get(off..).unwrap_or_default().trim_end();
    start..start + trimmed.len()
}

impl Changelog {
    /// Parse a changelog text.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut lines = Vec::new();
        let mut offset = 0;
        for raw in text.split_inclusive('\n') {
            lines.push(Line {
                start: offset,
                next: offset + raw.len(),
                text: raw.trim_end_matches(['\n', '\r']),
            });
            offset += raw.len();
        }
        let level = section_level(&lines);
        let mut sections: Vec<Section> = Vec::new();
        let mut links = Vec::new();
        let mut in_fence = false;
        // Start of the current section body and where it ends (next heading of level <= the
        // sections' level).
        let mut open: Option<usize> = None;
        let mut last_content_end = 0;
        let close = |sections: &mut Vec<Section>, open: &mut Option<usize>, end: usize| {
            if let Some(idx) = open.take()
                && let Some(s) = sections.get_mut(idx)
            {
                let start = s.body_span.start;
                s.body_span = trim_blank_lines(text, start..end.max(start));
            }
        };
        let mut i = 0;
        while let Some(line) = lines.get(i) {
            let (line_no, start, text_line) = (i + 1, line.start, line.text);
            if is_fence(text_line) {
                in_fence = !in_fence;
                last_content_end = line.next;
                i += 1;
                continue;
            }
            if in_fence {
                last_content_end = line.next;
                i += 1;
                continue;
            }
            if let Some((label, url)) = link_def(text_line) {
                links.push(LinkDef {
                    label,
                    url,
                    line: line_no,
                    span: start..start + text_line.len(),
                });
                i += 1;
                continue;
            }
            match heading_at(&lines, i).filter(|h| h.level <= level) {
                Some(h) => {
                    let last = lines.get(i + h.lines - 1).unwrap_or(line);
                    close(
                        &mut sections,
                        &mut open,
                        start.min(last_content_end.max(start)),
                    );
                    if h.level == level
                        && let Some(parts) = parse_heading(h.title)
                    {
                        let date_valid = parts.date.as_deref().is_some_and(is_calendar_date);
                        sections.push(Section {
                            style: HeadingStyle {
                                level: h.level,
                                setext: h.setext,
                                bracketed: parts.bracketed,
                                v_prefix: parts.v_prefix,
                                date_separator: parts.date_separator,
                                date_suffix: parts.date_suffix,
                            },
                            heading: parts.heading,
                            date: parts.date,
                            date_valid,
                            bracketed: parts.bracketed,
                            line: line_no,
                            heading_span: start..last.start + last.text.len(),
                            body_span: last.next..last.next,
                        });
                        open = Some(sections.len() - 1);
                    }
                    last_content_end = last.next;
                    i += h.lines;
                    continue;
                }
                None => {
                    if !text_line.trim().is_empty() {
                        last_content_end = line.next;
                    }
                }
            }
            i += 1;
        }
        // The last section ends before a trailing block of link definitions.
        let end = last_content_end.max(sections.last().map_or(0, |s| s.body_span.start));
        close(&mut sections, &mut open, end);
        Self {
            text: text.to_owned(),
            sections,
            links,
        }
    }

    /// The text this changelog was parsed from.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// All sections in file order (Unreleased included).
    #[must_use]
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// All link reference definitions.
    #[must_use]
    pub fn links(&self) -> &[LinkDef] {
        &self.links
    }

    /// The first section whose version text is literally `version` (`0.5.0` never matches
    /// `0x5y0`).
    #[must_use]
    pub fn section(&self, version: &Version) -> Option<&Section> {
        let want = version.to_string();
        self.sections
            .iter()
            .find(|s| matches!(&s.heading, Heading::Version { text, .. } if *text == want))
    }

    /// The Unreleased section.
    #[must_use]
    pub fn unreleased(&self) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.heading == Heading::Unreleased)
    }

    /// The first version section in file order (the latest release in a well-kept changelog).
    #[must_use]
    pub fn latest(&self) -> Option<&Section> {
        self.sections.iter().find(|s| s.version().is_some())
    }

    /// How this file writes its version headings, for the next one: the style of the latest
    /// version section; else the Unreleased heading's level and brackets, dated ` - `; else
    /// `## X.Y.Z - YYYY-MM-DD`.
    #[must_use]
    pub fn heading_style(&self) -> HeadingStyle {
        if let Some(s) = self.latest() {
            return s.style.clone();
        }
        self.unreleased().map_or_else(HeadingStyle::default, |u| {
            HeadingStyle {
                v_prefix: false,
                ..u.style.clone()
            }
            .dated()
        })
    }

    /// A section's body, byte-exact from the file, without surrounding blank lines.
    #[must_use]
    pub fn body(&self, section: &Section) -> &str {
        self.text.get(section.body_span.clone()).unwrap_or_default()
    }

    /// The body of the section for `version` (for release notes), if there is one.
    #[must_use]
    pub fn extract(&self, version: &Version) -> Option<&str> {
        self.section(version).map(|s| self.body(s))
    }

    /// True when the section holds no entries: only blank lines, HTML comments, sub-headings
    /// and placeholder lines in emphasis (`_No unreleased changes._`).
    #[must_use]
    pub fn is_empty_section(&self, section: &Section) -> bool {
        let mut body = self.body(section).to_owned();
        while let Some(s) = body.find("<!--") {
            // `s` is where the ASCII `<!--` starts: a char boundary.
            let e = body
                .get(s..)
                .and_then(|rest| rest.find("-->"))
                .map_or(body.len(), |e| s + e + 3);
            body.replace_range(s..e, "");
        }
        body.lines().map(str::trim).all(|l| {
            l.is_empty()
                || l.starts_with('#')
                || (l.len() > 1
                    && ((l.starts_with('_') && l.ends_with(['_', '.']))
                        || (l.starts_with('*') && !l.starts_with("* ") && l.ends_with(['*', '.']))))
        })
    }

    /// Lint the whole changelog; `path` is used in the findings.
    #[must_use]
    pub fn lint(&self, path: &str, policy: &ChangelogPolicy) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut seen: Vec<(&Version, usize)> = Vec::new();
        let mut prev: Option<&Version> = None;
        for s in &self.sections {
            let Some(v) = s.version() else { continue };
            if let Some((_, first)) = seen.iter().find(|(x, _)| *x == v) {
                out.push(
                    line_finding(
                        Code::ChangelogDuplicate,
                        format!("duplicate section for {v} (first at line {first})"),
                        Severity::Error,
                        path,
                        s.line,
                    )
                    .hint("merge the two sections"),
                );
            } else {
                seen.push((v, s.line));
            }
            if let Some(p) = prev
                && v >= p
            {
                out.push(
                    line_finding(
                        Code::ChangelogOrder,
                        "sections are not in descending version order",
                        Severity::Error,
                        path,
                        s.line,
                    )
                    .values(Some(v.to_string()), Some(format!("a version below {p}")))
                    .hint("newest release first"),
                );
            }
            prev = Some(v);
            if !s.date_valid && (policy.require_date || s.date.is_some()) {
                out.push(
                    line_finding(
                        Code::ChangelogDate,
                        format!("section {v} has no valid YYYY-MM-DD date"),
                        Severity::Error,
                        path,
                        s.line,
                    )
                    .values(s.date.clone(), Some("YYYY-MM-DD".into()))
                    .hint(format!(
                        "write the heading as {}",
                        s.style.clone().dated().describe(v, "YYYY-MM-DD")
                    )),
                );
            }
        }
        if policy.unreleased_empty_when_dated
            && let (Some(u), Some(latest)) = (self.unreleased(), self.latest())
            && latest.date_valid
            && !self.is_empty_section(u)
            && u.line < latest.line
        {
            out.push(
                line_finding(
                    Code::ChangelogUnreleasedNotEmpty,
                    "Unreleased holds changes although the latest release is dated",
                    Severity::Warning,
                    path,
                    u.line,
                )
                .hint("move the entries into the release section or release them"),
            );
        }
        if policy.require_links {
            out.extend(self.lint_links(path));
        }
        out
    }

    fn lint_links(&self, path: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        for s in &self.sections {
            let Heading::Version { text, .. } = &s.heading else {
                continue;
            };
            if !self
                .links
                .iter()
                .any(|l| l.label == *text || l.label == format!("v{text}"))
            {
                out.push(
                    line_finding(
                        Code::ChangelogLinkMissing,
                        format!("no link reference definition for [{text}]"),
                        Severity::Warning,
                        path,
                        s.line,
                    )
                    .hint(format!(
                        "add `[{text}]: <compare or release URL>` at the end of the file"
                    )),
                );
            }
        }
        if let (Some(latest), Some(link)) = (
            self.latest(),
            self.links
                .iter()
                .find(|l| l.label.eq_ignore_ascii_case("unreleased")),
        ) && let Some(Heading::Version { text, .. }) = Some(&latest.heading)
        {
            let base = compare_base(&link.url);
            let ok = base
                .is_some_and(|b| b == text.as_str() || b.strip_prefix('v') == Some(text.as_str()));
            if !ok {
                out.push(
                    line_finding(
                        Code::ChangelogUnreleasedBase,
                        "the Unreleased compare link does not start from the latest release",
                        Severity::Warning,
                        path,
                        link.line,
                    )
                    .values(base.map(str::to_owned), Some(format!("v{text}")))
                    .hint(format!("compare from v{text}...HEAD")),
                );
            }
        }
        out
    }
}

/// The base of a `…/compare/BASE...HEAD` URL.
pub(crate) fn compare_base(url: &str) -> Option<&str> {
    let tail = url.rsplit_once("/compare/")?.1;
    let (base, _) = tail.split_once("...")?;
    Some(base)
}

/// A finding of `severity` about line `line` (column 1) of the changelog at `path`.
fn line_finding(
    code: Code,
    subject: impl Into<String>,
    severity: Severity,
    path: &str,
    line: usize,
) -> Finding {
    Finding::new(code, subject)
        .severity(severity)
        .in_file(path)
        .line_col(line, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &str = "# Changelog\n\n## [Unreleased]\n\n_No unreleased changes._\n\n## 0.5.0 - 2026-06-19\n\n### Security\n\n- A.\n\n```\n## 9.9.9\n```\n\n## v0.4.1\n- B.\n\n## [0.4.0](https://x/compare) (2026-02-30)\n- C.\n\n## [0.3.0] – 2026-01-01\n- D.\n\n[0.4.0]: https://x/compare/v0.3.0...v0.4.0\n[Unreleased]: https://x/compare/v0.4.0...HEAD\n";

    #[test]
    fn heading_styles_and_bodies() {
        let c = Changelog::parse(MIXED);
        let versions: Vec<String> = c
            .sections()
            .iter()
            .filter_map(|s| s.version().map(ToString::to_string))
            .collect();
        assert_eq!(versions, ["0.5.0", "0.4.1", "0.4.0", "0.3.0"]);
        let s = c.section(&Version::new(0, 5, 0)).unwrap();
        assert_eq!(s.line, 7);
        assert!(s.date_valid && !s.bracketed);
        assert_eq!(c.body(s), "### Security\n\n- A.\n\n```\n## 9.9.9\n```");
        let last = c.section(&Version::new(0, 3, 0)).unwrap();
        assert_eq!(c.body(last), "- D.");
        assert!(last.bracketed && last.date_valid);
        assert_eq!(
            c.section(&Version::new(0, 4, 0)).unwrap().date.as_deref(),
            Some("2026-02-30")
        );
        assert!(!c.section(&Version::new(0, 4, 0)).unwrap().date_valid);
        assert!(c.is_empty_section(c.unreleased().unwrap()));
        assert_eq!(c.links().len(), 2);
    }

    #[test]
    fn literal_version_match() {
        let c = Changelog::parse("## 1x2y3\n## 1.2.3\n");
        assert_eq!(c.section(&Version::new(1, 2, 3)).unwrap().line, 2);
    }

    #[test]
    fn lints() {
        let c = Changelog::parse(MIXED);
        let policy = ChangelogPolicy {
            require_links: true,
            ..ChangelogPolicy::default()
        };
        let f = c.lint("CHANGELOG.md", &policy);
        let codes: Vec<(Code, Option<usize>)> = f.iter().map(|f| (f.code, f.line())).collect();
        assert!(
            codes.contains(&(Code::ChangelogDate, Some(17))),
            "{codes:?}"
        );
        assert!(codes.contains(&(Code::ChangelogDate, Some(20))));
        assert!(codes.contains(&(Code::ChangelogLinkMissing, Some(7))));
        assert!(!codes.contains(&(Code::ChangelogLinkMissing, Some(20))));
        let base = f
            .iter()
            .find(|f| f.code == Code::ChangelogUnreleasedBase)
            .unwrap();
        assert_eq!(
            (base.found.as_deref(), base.expected.as_deref()),
            (Some("v0.4.0"), Some("v0.5.0"))
        );
        let dup = Changelog::parse(
            "## 1.0.0 - 2020-01-01\n## 1.1.0 - 2020-01-02\n## 1.0.0 - 2020-01-01\n",
        );
        let codes: Vec<Code> = dup
            .lint("c", &ChangelogPolicy::default())
            .iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(codes, [Code::ChangelogOrder, Code::ChangelogDuplicate]);
        let busy =
            Changelog::parse("## Unreleased\n<!-- x -->\n- new thing\n## 1.0.0 - 2020-01-01\n");
        assert_eq!(
            busy.lint("c", &ChangelogPolicy::default())[0].code,
            Code::ChangelogUnreleasedNotEmpty
        );
    }

    #[test]
    fn dates() {
        assert!(is_calendar_date("2024-02-29"));
        assert!(!is_calendar_date("2023-02-29"));
        assert!(!is_calendar_date("2023-13-01"));
        assert!(!is_calendar_date("23-01-01"));
    }
}
