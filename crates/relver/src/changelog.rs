//! The changelog model: sections by heading, dates, link reference definitions, lints, and
//! byte-exact extraction of a section's body.

use std::ops::Range;

use crate::finding::{Code, Finding, Severity};
use crate::version::Version;

/// What a level-2 heading names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Heading {
    /// `## [Unreleased]` or `## Unreleased`.
    Unreleased,
    /// A version heading; `text` is the version exactly as written (without brackets or `v`).
    Version {
        /// The version text as written.
        text: String,
        /// The parsed version.
        version: Version,
    },
}

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

/// How a changelog writes its section headings, read from the file (see
/// [`Changelog::heading_style`]) so that a hint or a bump writes the next heading the same way:
/// `## [1.2.3] - 2024-01-01`, `## 1.2.3`, `# v1.2.3`, or a setext heading (`1.2.3` underlined
/// with `===` or `---`).
///
/// ```
/// use relver::{Changelog, Version};
/// let log = Changelog::parse("# Changelog\n\n# v1.2.3 (2024-01-01)\n\n## Fixes\n\n- A.\n");
/// let style = log.heading_style();
/// assert_eq!(style.heading(&Version::new(1, 2, 4), "2024-02-01"), "# v1.2.4 (2024-02-01)");
/// let setext = Changelog::parse("1.2.3\n=====\n\n- A.\n");
/// assert_eq!(setext.heading_style().heading(&Version::new(1, 3, 0), ""), "1.3.0\n=====");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct HeadingStyle {
    /// The heading level: 1 (`#`, `===`) or 2 (`##`, `---`).
    pub level: u8,
    /// Underlined (setext) rather than `#`-marked.
    pub setext: bool,
    /// The version in brackets (`[1.2.3]`).
    pub bracketed: bool,
    /// The version written with a `v` (`v1.2.3`).
    pub v_prefix: bool,
    /// What stands between the version and the date (` - `, ` – `, ` (`); `None` when the
    /// headings carry no date.
    pub date_separator: Option<String>,
    /// What follows the date (`)` for `(2024-01-01)`).
    pub date_suffix: String,
}

impl Default for HeadingStyle {
    /// `## 1.2.3 - 2024-01-01`.
    fn default() -> Self {
        Self {
            level: 2,
            setext: false,
            bracketed: false,
            v_prefix: false,
            date_separator: Some(" - ".to_owned()),
            date_suffix: String::new(),
        }
    }
}

impl HeadingStyle {
    /// The heading's title: `[v1.2.3] - DATE` (without `#` marks or underline).
    fn title(&self, version: &Version, date: &str) -> String {
        let v = if self.v_prefix { "v" } else { "" };
        let mut t = if self.bracketed {
            format!("[{v}{version}]")
        } else {
            format!("{v}{version}")
        };
        if let Some(sep) = &self.date_separator {
            t.push_str(sep);
            t.push_str(date);
            t.push_str(&self.date_suffix);
        }
        t
    }

    /// The heading for `version` dated `date` as this file writes it: one line
    /// (`## [1.2.3] - 2024-01-01`), or two for a setext heading (the title, then its
    /// underline). `date` is left out when the file's headings carry none.
    #[must_use]
    pub fn heading(&self, version: &Version, date: &str) -> String {
        let title = self.title(version, date);
        if self.setext {
            let mark = if self.level == 1 { "=" } else { "-" };
            format!("{title}\n{}", mark.repeat(title.chars().count().max(3)))
        } else {
            format!("{} {title}", "#".repeat(usize::from(self.level.max(1))))
        }
    }

    /// The heading in a hint: `` `## 1.2.3 - YYYY-MM-DD` ``, or for a setext heading
    /// `` `1.2.3 - YYYY-MM-DD` underlined with `===` ``.
    #[must_use]
    pub fn describe(&self, version: &Version, date: &str) -> String {
        if self.setext {
            let mark = if self.level == 1 { "===" } else { "---" };
            format!("`{}` underlined with `{mark}`", self.title(version, date))
        } else {
            format!("`{}`", self.heading(version, date))
        }
    }

    /// This style with a date: ` - ` between version and date when the headings carry none.
    #[must_use]
    pub fn dated(mut self) -> Self {
        if self.date_separator.is_none() {
            self.date_separator = Some(" - ".to_owned());
            self.date_suffix.clear();
        }
        self
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

/// What a heading's text says: what it names, and how it is written.
struct HeadingParts {
    heading: Heading,
    bracketed: bool,
    v_prefix: bool,
    date: Option<String>,
    date_separator: Option<String>,
    date_suffix: String,
}

fn parse_heading(rest: &str) -> Option<HeadingParts> {
    let c = rest.trim();
    let (label, after, bracketed) = if let Some(r) = c.strip_prefix('[') {
        let (label, mut after) = r.split_once(']')?;
        if after.starts_with('(') {
            after = after.split_once(')').map_or("", |(_, rest)| rest);
        }
        (label, after, true)
    } else {
        let (label, after) = c
            .find(char::is_whitespace)
            .and_then(|end| c.split_at_checked(end))
            .unwrap_or((c, ""));
        (label, after, false)
    };
    let label = label.trim();
    let heading = if label.eq_ignore_ascii_case("unreleased") {
        Heading::Unreleased
    } else {
        let text = label.strip_prefix('v').unwrap_or(label);
        let version = text.parse::<Version>().ok()?;
        Heading::Version {
            text: text.to_owned(),
            version,
        }
    };
    let d = after.trim().trim_start_matches(['-', '–', '—', ':']).trim();
    let d = d
        .strip_prefix('(')
        .map_or(d, |x| x.split(')').next().unwrap_or(x))
        .trim();
    let date = d.split_whitespace().next().map(str::to_owned);
    // The separator is what the heading writes between the label and the date, the suffix
    // what closes the date (`)`); both are found in `after`, where the date was read.
    let (date_separator, date_suffix) = match date.as_deref().and_then(|x| {
        after
            .find(x)
            .and_then(|at| Some((after.get(..at)?, after.get(at + x.len()..)?)))
    }) {
        Some((sep, tail)) => (
            Some(sep.to_owned()),
            tail.trim_end().chars().take_while(|c| *c == ')').collect(),
        ),
        None => (None, String::new()),
    };
    Some(HeadingParts {
        v_prefix: matches!(heading, Heading::Version { .. }) && label.starts_with('v'),
        heading,
        bracketed,
        date,
        date_separator,
        date_suffix,
    })
}

/// One line of a changelog: where it starts, where the next begins, and its text without the
/// line break.
struct Line<'t> {
    start: usize,
    next: usize,
    text: &'t str,
}

/// A heading found at a line: its level, its title text, and how many lines it spans (2 for a
/// setext heading, whose underline follows).
struct HeadingAt<'t> {
    level: u8,
    setext: bool,
    title: &'t str,
    lines: usize,
}

/// An ATX heading of level 1 or 2 (`# x`, `## x`; `### x` is content), or a setext heading:
/// a line after a blank line (or at the start), underlined by `=` (level 1) or at least three
/// `-` (level 2). A list item, a quote or a link definition is never a setext title.
fn heading_at<'t>(lines: &[Line<'t>], i: usize) -> Option<HeadingAt<'t>> {
    let line = lines.get(i)?.text;
    for (mark, level) in [("## ", 2), ("# ", 1)] {
        if let Some(title) = line.strip_prefix(mark) {
            return Some(HeadingAt {
                level,
                setext: false,
                title,
                lines: 1,
            });
        }
    }
    let title = line.trim();
    let after_blank = i == 0 || lines.get(i - 1).is_some_and(|l| l.text.trim().is_empty());
    if title.is_empty()
        || !after_blank
        || line.starts_with([' ', '\t'])
        || title.starts_with(['#', '>', '|', '<', '`', '~'])
        || title.starts_with("- ")
        || title.starts_with("* ")
        || title.starts_with("+ ")
        || link_def(line).is_some()
    {
        return None;
    }
    let under = lines.get(i + 1)?.text.trim_end();
    let level = if !under.is_empty() && under.chars().all(|c| c == '=') {
        1
    } else if under.len() >= 3 && under.chars().all(|c| c == '-') {
        2
    } else {
        return None;
    };
    Some(HeadingAt {
        level,
        setext: true,
        title,
        lines: 2,
    })
}

/// The level of the version sections: that of the first heading naming a version or
/// Unreleased, else 2.
fn section_level(lines: &[Line<'_>]) -> u8 {
    let mut in_fence = false;
    for i in 0..lines.len() {
        let Some(line) = lines.get(i) else { break };
        if is_fence(line.text) {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some(h) = heading_at(lines, i)
            && parse_heading(h.title).is_some()
        {
            return h.level;
        }
    }
    2
}

fn is_fence(line: &str) -> bool {
    line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~")
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

fn link_def(line: &str) -> Option<(String, String)> {
    let r = line.strip_prefix('[')?;
    let (label, url) = r.split_once("]:")?;
    let url = url.trim();
    (!label.is_empty() && !url.is_empty() && !url.contains(' '))
        .then(|| (label.to_owned(), url.to_owned()))
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
                    Finding::new(
                        Code::ChangelogDuplicate,
                        format!("duplicate section for {v} (first at line {first})"),
                    )
                    .severity(Severity::Error)
                    .in_file(path)
                    .line_col(s.line, 1)
                    .hint("merge the two sections"),
                );
            } else {
                seen.push((v, s.line));
            }
            if let Some(p) = prev
                && v >= p
            {
                out.push(
                    Finding::new(
                        Code::ChangelogOrder,
                        "sections are not in descending version order",
                    )
                    .severity(Severity::Error)
                    .in_file(path)
                    .line_col(s.line, 1)
                    .values(Some(v.to_string()), Some(format!("a version below {p}")))
                    .hint("newest release first"),
                );
            }
            prev = Some(v);
            if !s.date_valid && (policy.require_date || s.date.is_some()) {
                out.push(
                    Finding::new(
                        Code::ChangelogDate,
                        format!("section {v} has no valid YYYY-MM-DD date"),
                    )
                    .severity(Severity::Error)
                    .in_file(path)
                    .line_col(s.line, 1)
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
                Finding::new(
                    Code::ChangelogUnreleasedNotEmpty,
                    "Unreleased holds changes although the latest release is dated",
                )
                .severity(Severity::Warning)
                .in_file(path)
                .line_col(u.line, 1)
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
                    Finding::new(
                        Code::ChangelogLinkMissing,
                        format!("no link reference definition for [{text}]"),
                    )
                    .severity(Severity::Warning)
                    .in_file(path)
                    .line_col(s.line, 1)
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
                    Finding::new(
                        Code::ChangelogUnreleasedBase,
                        "the Unreleased compare link does not start from the latest release",
                    )
                    .severity(Severity::Warning)
                    .in_file(path)
                    .line_col(link.line, 1)
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
