//! Changelog headings: what a heading names, how the file writes it (`#` marks or an
//! underline, level, brackets, `v`, date separator), and where headings are in a text.

use crate::version::Version;

/// What a version-section heading names.
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

/// How a changelog writes its section headings, read from the file (see
/// [`Changelog::heading_style`](crate::Changelog::heading_style)) so that a hint or a bump writes the next heading the same way:
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

/// What a heading's text says: what it names, and how it is written.
pub(crate) struct HeadingParts {
    pub(crate) heading: Heading,
    pub(crate) bracketed: bool,
    pub(crate) v_prefix: bool,
    pub(crate) date: Option<String>,
    pub(crate) date_separator: Option<String>,
    pub(crate) date_suffix: String,
}

pub(crate) fn parse_heading(rest: &str) -> Option<HeadingParts> {
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
pub(crate) struct Line<'t> {
    pub(crate) start: usize,
    pub(crate) next: usize,
    pub(crate) text: &'t str,
}

/// A heading found at a line: its level, its title text, and how many lines it spans (2 for a
/// setext heading, whose underline follows).
pub(crate) struct HeadingAt<'t> {
    pub(crate) level: u8,
    pub(crate) setext: bool,
    pub(crate) title: &'t str,
    pub(crate) lines: usize,
}

/// An ATX heading of level 1 or 2 (`# x`, `## x`; `### x` is content), or a setext heading:
/// a line after a blank line (or at the start), underlined by `=` (level 1) or at least three
/// `-` (level 2). A list item, a quote or a link definition is never a setext title.
pub(crate) fn heading_at<'t>(lines: &[Line<'t>], i: usize) -> Option<HeadingAt<'t>> {
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
pub(crate) fn section_level(lines: &[Line<'_>]) -> u8 {
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

pub(crate) fn is_fence(line: &str) -> bool {
    line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~")
}

/// A link reference definition line `[label]: url`: its label and URL.
pub(crate) fn link_def(line: &str) -> Option<(String, String)> {
    let r = line.strip_prefix('[')?;
    let (label, url) = r.split_once("]:")?;
    let url = url.trim();
    (!label.is_empty() && !url.is_empty() && !url.contains(' '))
        .then(|| (label.to_owned(), url.to_owned()))
}
