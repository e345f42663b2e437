//! Rendering a report: terminal, JSON, Markdown, GitHub Actions annotations, JUnit XML,
//! SARIF 2.1.0 (`report::sarif`) and an in-toto SLSA Verification Summary (`report::vsa`).
//!
//! Every renderer returns a `String`; nothing here prints. Every renderer scrubs the report
//! first (`report::scrubbed`): no secret relgate knows, URL user-info or credential value is
//! shown.

use std::fmt::Write as _;
use std::io::IsTerminal;

use crate::finding::{Finding, Severity};
use crate::ledger::Coverage;
use crate::phase::GateStatus;
use crate::phase::Phase;
use crate::report::model::{GateReport, Report, ReportedFinding, RunStatus};
use crate::report::sarif::{pretty_json, render_sarif};
use crate::report::scrubbed::{for_terminal, scrubbed};
use crate::report::vsa::render_vsa;

/// A report format.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Aligned text for a terminal; colour on request.
    Terminal,
    /// JSON under the [`REPORT_SCHEMA`](crate::report::REPORT_SCHEMA) schema.
    Json,
    /// Markdown for a CI step summary.
    Markdown,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::…`).
    Github,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0 (code scanning): one rule per code, `%SRCROOT%`-relative locations, stable
    /// `partialFingerprints`.
    Sarif,
    /// An unsigned in-toto Statement v1 with a SLSA Verification Summary (`vsa`) predicate.
    Vsa,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 7] = [
        Format::Terminal,
        Format::Json,
        Format::Markdown,
        Format::Github,
        Format::Junit,
        Format::Sarif,
        Format::Vsa,
    ];

    /// Renders `report` in this format; `color` matters only for [`Format::Terminal`].
    pub fn render(self, report: &Report, color: bool) -> String {
        match self {
            Format::Terminal => render_terminal(report, color),
            Format::Json => render_json(report),
            Format::Markdown => render_markdown(report),
            Format::Github => render_github(report),
            Format::Junit => render_junit(report),
            Format::Sarif => render_sarif(report),
            Format::Vsa => render_vsa(report),
        }
    }
}

relkit_finding::names! {
    Format, unknown = UnknownFormat,
    /// The name (`terminal`, `json`, `markdown`, `github`, `junit`, `sarif`, `vsa`).
    fn as_str {
        Terminal => "terminal",
        Json => "json",
        Markdown => "markdown",
        Github => "github",
        Junit => "junit",
        Sarif => "sarif",
        Vsa => "vsa",
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown report format {0:?} (expected terminal, json, markdown, github, junit, sarif or vsa)"
)]
#[non_exhaustive]
pub struct UnknownFormat(pub String);

/// Whether standard output should get colour: it is a terminal and `NO_COLOR` is unset.
pub fn stdout_wants_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

fn status_label(g: &GateReport) -> &'static str {
    if g.waived() {
        return "WAIVED";
    }
    match g.status {
        GateStatus::Pass => "PASS",
        GateStatus::Fail => "FAIL",
        GateStatus::Error => "ERROR",
        GateStatus::Timeout => "TIMEOUT",
        GateStatus::Unknown => "UNKNOWN",
        GateStatus::Skipped => "SKIP",
    }
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn label_color(g: &GateReport) -> &'static str {
    if g.waived() {
        "33"
    } else {
        match g.status {
            GateStatus::Pass => "32",
            GateStatus::Skipped => "33",
            _ => "31;1",
        }
    }
}

fn finding_line(f: &Finding) -> String {
    f.to_string()
}

/// Indents every line after the first by `indent` spaces, so multi-line text stays aligned.
fn hang(text: &str, indent: usize) -> String {
    text.replace('\n', &format!("\n{}", " ".repeat(indent)))
}

/// Aligned text; ANSI colour only when `color` is true (see [`stdout_wants_color`]).
pub fn render_terminal(report: &Report, color: bool) -> String {
    // No secret relgate knows leaves in a rendering, and no control character reaches the
    // terminal (an archive entry or file name may carry an escape sequence).
    let report = &for_terminal(report);
    let mut out = String::new();
    let _ = write!(out, "relgate: {}", report.project);
    if let Some(t) = &report.tag {
        let _ = write!(out, " {t}");
    }
    if let Some(c) = &report.commit {
        let _ = write!(out, " ({c})");
    }
    out.push('\n');
    if !report.inputs.is_unrecorded() {
        let _ = writeln!(out, "inputs:");
        for (label, text) in report.inputs.lines() {
            let _ = writeln!(out, "  {label:<10} {}", hang(&text, 13));
        }
    }
    for e in &report.errors {
        let _ = writeln!(out, "  {}", paint(&finding_line(e), "31;1", color));
    }
    for n in &report.notices {
        let _ = writeln!(
            out,
            "  {}: {}",
            paint(n.severity.as_str(), "33;1", color),
            hang(&finding_line(n), 4)
        );
        if let Some(h) = &n.hint {
            let _ = writeln!(out, "    hint: {}", hang(h, 10));
        }
    }
    let width = report.gates.iter().map(|g| g.id.len()).max().unwrap_or(0);
    let mut phase: Option<Phase> = None;
    for g in &report.gates {
        if phase != Some(g.phase) {
            phase = Some(g.phase);
            let _ = writeln!(out, "{}", paint(g.phase.as_str(), "1", color));
        }
        let label = format!("{:<7}", status_label(g));
        let _ = write!(
            out,
            "  {} {:<width$} {:>6} ms",
            paint(&label, label_color(g), color),
            g.id,
            g.duration_ms
        );
        if let Some(d) = &g.detail {
            let _ = write!(out, "  {}", hang(d, width + 20));
        }
        out.push('\n');
        // Which files of the release the gate read (the ledger's evidence), compactly.
        match g.read.len() {
            0 => {}
            n @ 1..=8 => {
                let names = g.read.join(", ");
                let _ = writeln!(out, "      read {n}: {}", hang(&names, 14));
            }
            n => {
                let _ = writeln!(out, "      read {n} files");
            }
        }
        if g.status == GateStatus::Fail || g.waived() {
            // One line per cause before the details when several findings share one (every
            // manifest one release behind): relver's grouping, in a release engineer's words.
            let findings: Vec<Finding> = g.findings.iter().map(|f| f.finding.clone()).collect();
            let causes = relver::causes(&findings);
            if causes.len() < findings.len() {
                for cause in &causes {
                    let _ = writeln!(out, "      cause: {}", hang(&cause.to_string(), 13));
                }
            }
            for f in &g.findings {
                let _ = writeln!(out, "      {}", hang(&finding_line(&f.finding), 8));
                if let Some(h) = &f.finding.hint {
                    let _ = writeln!(out, "        hint: {}", hang(h, 14));
                }
                if let Some(w) = &f.waived {
                    let _ = writeln!(out, "        waived: {}", hang(w, 16));
                }
            }
        }
        for n in &g.notes {
            let _ = writeln!(out, "      note: {}", hang(&finding_line(n), 12));
        }
    }
    if let Some(l) = &report.ledger {
        let (files, counts) = ledger_summary(l);
        let _ = writeln!(out, "files: {files}: {counts}");
        for e in &l.entries {
            if let Coverage::Allowed { reason } = &e.coverage {
                let _ = writeln!(out, "  allowed {}: {}", e.path, hang(reason, 12));
            }
        }
    }
    let verdict = match report.decision.status {
        RunStatus::Allowed => paint("ALLOWED", "32;1", color),
        RunStatus::Blocked => paint("BLOCKED", "31;1", color),
        RunStatus::CouldNotRun => paint("COULD NOT RUN", "31;1", color),
    };
    let _ = writeln!(out, "decision: {verdict}: {}", report.decision.summary);
    let _ = writeln!(
        out,
        "timing: {} ms wall, {} ms if run one at a time, up to {} gates at once",
        report.timings.wall_ms, report.timings.serial_ms, report.timings.max_parallel
    );
    out
}

/// Pretty JSON of the whole report (`"schema": "relgate-report/2"`).
pub fn render_json(report: &Report) -> String {
    // No secret relgate knows leaves in a rendering.
    let report = &scrubbed(report);
    pretty_json(report, &report.schema)
}

/// The ledger's size and coverage in words, for the text and markdown renderings:
/// (`N in the release folder`, `C covered, A allowed, B not covered`).
fn ledger_summary(l: &crate::ledger::Ledger) -> (String, String) {
    let (covered, allowed, blocking) = l.counts();
    (
        format!("{} in the release folder", l.entries.len()),
        format!("{covered} covered, {allowed} allowed, {blocking} not covered"),
    )
}

fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn md_finding(f: &ReportedFinding) -> String {
    let mut s = format!("`{}` {}", f.finding.code, md_cell(&f.finding.subject));
    if let Some(e) = &f.finding.expected {
        let _ = write!(s, "; expected {}", md_cell(e));
    }
    if let Some(x) = &f.finding.found {
        let _ = write!(s, "; found {}", md_cell(x));
    }
    if let Some(h) = &f.finding.hint {
        let _ = write!(s, " (hint: {})", md_cell(h));
    }
    if let Some(w) = &f.waived {
        let _ = write!(s, " — waived: {}", md_cell(w));
    }
    s
}

/// Markdown for a CI step summary: the decision, a table of gates, the findings.
pub fn render_markdown(report: &Report) -> String {
    // No secret relgate knows leaves in a rendering.
    let report = &scrubbed(report);
    let mut out = String::new();
    let icon = match report.decision.status {
        RunStatus::Allowed => "✅",
        RunStatus::Blocked => "⛔",
        RunStatus::CouldNotRun => "⚠️",
    };
    let _ = writeln!(out, "## relgate: {}", md_cell(&report.project));
    out.push('\n');
    let _ = writeln!(
        out,
        "{icon} **{}** — {}",
        report.decision.status,
        md_cell(&report.decision.summary)
    );
    out.push('\n');
    if let Some(t) = &report.tag {
        let _ = writeln!(out, "- tag: `{}`", md_cell(t));
    }
    if let Some(c) = &report.commit {
        let _ = writeln!(out, "- commit: `{}`", md_cell(c));
    }
    let _ = writeln!(out, "- action: `{}`", report.decision.action);
    if !report.inputs.is_unrecorded() {
        out.push_str("- inputs:\n");
        for (label, text) in report.inputs.lines() {
            let _ = writeln!(out, "  - {label}: {}", md_cell(&text));
        }
    }
    for e in &report.errors {
        let _ = writeln!(out, "- error: {}", md_cell(&finding_line(e)));
    }
    for n in &report.notices {
        let _ = writeln!(out, "- {}: {}", n.severity, md_cell(&finding_line(n)));
    }
    out.push('\n');
    if !report.gates.is_empty() {
        out.push_str("| Gate | Phase | Status | Details |\n|---|---|---|---|\n");
        for g in &report.gates {
            let details = if g.status == GateStatus::Pass {
                String::new()
            } else if g.status == GateStatus::Fail || g.waived() {
                g.findings
                    .iter()
                    .map(md_finding)
                    .collect::<Vec<_>>()
                    .join("<br>")
            } else {
                g.detail.as_deref().map(md_cell).unwrap_or_default()
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                g.id,
                g.phase,
                status_label(g),
                details
            );
        }
        out.push('\n');
    }
    if let Some(l) = &report.ledger {
        let (files, counts) = ledger_summary(l);
        let _ = writeln!(
            out,
            "<details><summary>Files: {files} ({counts})</summary>\n"
        );
        out.push_str("| File | Kind | Read by | Coverage |\n|---|---|---|---|\n");
        for e in &l.entries {
            let kind = e
                .kind
                .map_or_else(|| e.node.to_string(), |k| k.as_str().to_owned());
            let checks: Vec<String> = e
                .checks
                .iter()
                .map(|c| format!("`{}` {}", c.gate, if c.passed { "pass" } else { "fail" }))
                .collect();
            let coverage = match &e.coverage {
                Coverage::Covered => String::from("covered"),
                Coverage::Allowed { reason } => format!("allowed: {}", md_cell(reason)),
                Coverage::Unchecked { reason } => format!("**not covered**: {}", md_cell(reason)),
                Coverage::NotRegular => String::from("**not a regular file**"),
            };
            let _ = writeln!(
                out,
                "| `{}` | {kind} | {} | {coverage} |",
                md_cell(&e.path),
                checks.join(", ")
            );
        }
        out.push_str("\n</details>\n\n");
    }
    let _ = writeln!(
        out,
        "_{} ms wall, {} ms if run one at a time, up to {} gates at once._",
        report.timings.wall_ms, report.timings.serial_ms, report.timings.max_parallel
    );
    out
}

fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The annotation level of a finding: `notice` when waived, else by severity (`error`,
/// `warning`, `notice` for info).
fn gh_level(f: &Finding, waived: bool) -> &'static str {
    if waived {
        return "notice";
    }
    match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        _ => "notice",
    }
}

/// One workflow command: `::level file=…,line=…,col=…,title=…::message`, with the location
/// of `f` when it names a file (every property and the message escaped).
fn gh_command(level: &str, f: Option<&Finding>, title: &str, message: &str) -> String {
    let mut props = Vec::new();
    if let Some(l) = f.and_then(|f| f.location.as_ref())
        && !l.path.is_empty()
    {
        props.push(format!("file={}", gh_prop(&l.path)));
        if let Some(line) = l.line {
            props.push(format!("line={line}"));
            if let Some(col) = l.column {
                props.push(format!("col={col}"));
            }
        }
    }
    props.push(format!("title={}", gh_prop(title)));
    format!("::{level} {}::{}\n", props.join(","), gh_data(message))
}

/// GitHub Actions workflow commands: one annotation per finding (error, warning or notice by
/// severity; notice when waived), at the finding's file, line and column when it has them,
/// and a final one with the decision.
pub fn render_github(report: &Report) -> String {
    // No secret relgate knows leaves in a rendering.
    let report = &scrubbed(report);
    let mut out = String::new();
    for e in &report.errors {
        let title = format!("relgate {}", e.code);
        out.push_str(&gh_command("error", Some(e), &title, &finding_line(e)));
    }
    for n in &report.notices {
        let title = format!("relgate {}", n.code);
        let level = gh_level(n, false);
        out.push_str(&gh_command(level, Some(n), &title, &finding_line(n)));
    }
    for g in &report.gates {
        for f in &g.findings {
            let level = gh_level(&f.finding, f.waived.is_some());
            let title = format!("{} ({})", f.finding.code, g.id);
            out.push_str(&gh_command(
                level,
                Some(&f.finding),
                &title,
                &plain_finding(f),
            ));
        }
        for n in &g.notes {
            let title = format!("{} ({})", n.code, g.id);
            let level = gh_level(n, false);
            out.push_str(&gh_command(level, Some(n), &title, &finding_line(n)));
        }
    }
    let level = if report.decision.status == RunStatus::Allowed {
        "notice"
    } else {
        "error"
    };
    let title = format!("relgate: {}", report.decision.status);
    out.push_str(&gh_command(level, None, &title, &report.decision.summary));
    out
}

/// Escapes text for XML content and attribute values, dropping characters XML 1.0 forbids.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push('\u{FFFD}');
            }
            c => out.push(c),
        }
    }
    out
}

/// A finding as plain lines: the finding, its hint, its waiver.
fn plain_finding(f: &ReportedFinding) -> String {
    let mut s = finding_line(&f.finding);
    if let Some(h) = &f.finding.hint {
        let _ = write!(s, "\nhint: {h}");
    }
    if let Some(w) = &f.waived {
        let _ = write!(s, "\nwaived: {w}");
    }
    s
}

fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// JUnit XML: one test suite per phase, one test case per gate; failures carry the codes.
pub fn render_junit(report: &Report) -> String {
    // No secret relgate knows leaves in a rendering.
    let report = &scrubbed(report);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let count =
        |pred: &dyn Fn(&GateReport) -> bool| report.gates.iter().filter(|g| pred(g)).count();
    let is_failure = |g: &GateReport| g.blocks() && g.status == GateStatus::Fail;
    let is_error = |g: &GateReport| {
        g.blocks()
            && matches!(
                g.status,
                GateStatus::Error | GateStatus::Timeout | GateStatus::Unknown
            )
    };
    let is_skipped = |g: &GateReport| g.status == GateStatus::Skipped;
    let _ = writeln!(
        out,
        "<testsuites name=\"relgate {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        xml_escape(&report.project),
        report.gates.len(),
        count(&is_failure),
        count(&is_error),
        count(&is_skipped),
        secs(report.timings.wall_ms)
    );
    for e in &report.errors {
        let _ = writeln!(
            out,
            "  <testsuite name=\"policy\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase classname=\"relgate.policy\" name=\"policy\">\n      <error type=\"{}\" message=\"{}\"/>\n    </testcase>\n  </testsuite>",
            e.code,
            xml_escape(&finding_line(e))
        );
    }
    for phase in Phase::ALL {
        let gates: Vec<&GateReport> = report.gates.iter().filter(|g| g.phase == phase).collect();
        if gates.is_empty() {
            continue;
        }
        let in_phase =
            |pred: &dyn Fn(&GateReport) -> bool| gates.iter().filter(|g| pred(g)).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{phase}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
            gates.len(),
            in_phase(&is_failure),
            in_phase(&is_error),
            in_phase(&is_skipped),
            secs(gates.iter().map(|g| g.duration_ms).sum())
        );
        for g in gates {
            let _ = write!(
                out,
                "    <testcase classname=\"relgate.{phase}\" name=\"{}\" time=\"{}\"",
                xml_escape(&g.id),
                secs(g.duration_ms)
            );
            let body: Vec<String> = g
                .findings
                .iter()
                .map(|f| {
                    let text = xml_escape(&plain_finding(f));
                    let message = xml_escape(&finding_line(&f.finding));
                    let code = f.finding.code;
                    if f.waived.is_some() || !f.finding.severity.blocks() {
                        format!("      <system-out>{text}</system-out>")
                    } else if is_skipped(g) {
                        format!("      <skipped message=\"{message}\"/>")
                    } else if is_error(g) {
                        format!("      <error type=\"{code}\" message=\"{message}\">{text}</error>")
                    } else {
                        format!(
                            "      <failure type=\"{code}\" message=\"{message}\">{text}</failure>"
                        )
                    }
                })
                .collect();
            if body.is_empty() {
                out.push_str("/>\n");
            } else {
                out.push_str(">\n");
                for b in body {
                    out.push_str(&b);
                    out.push('\n');
                }
                out.push_str("    </testcase>\n");
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_handles_markup_and_control_characters() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}\n"
        );
    }

    #[test]
    fn github_escapes_data_and_properties() {
        assert_eq!(gh_data("50%\nx"), "50%25%0Ax");
        assert_eq!(gh_prop("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn formats_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>().unwrap(), f);
        }
        assert!("xml".parse::<Format>().is_err());
    }
}
