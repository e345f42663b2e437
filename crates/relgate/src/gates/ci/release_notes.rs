//! `release-notes`: after publishing, the forge release's notes hold the changelog section for
//! the version, byte for byte, and every line the policy requires.

use relver::SourceKind;

use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult};
use crate::gates::ci::ci_green::{CiProvider, provider_gate};
use crate::gates::ci::forge_release::tagged_release;
use crate::gates::declare::Checked;
use crate::release_source::Inputs;

provider_gate! {
    /// The forge release for the tag (through the run's [`CiProvider`]) has notes that contain
    /// the changelog section for the version exactly as relver extracts it from the tagged source
    /// (`release-notes-missing-section`), and every `[release-notes] require-lines` line with
    /// `{tag}` and `{version}` substituted, as a whole line (`release-notes-missing-line`). No
    /// release is `release-missing`; a provider or source that cannot answer is an error.
    ReleaseNotesGate = "release-notes", notes
}

/// The changelog sections for the release version: (changelog path, section body), read from
/// the tagged source through relver's changelog model.
fn sections(inputs: &Inputs) -> Result<(String, Vec<(String, String)>), String> {
    let tag = inputs.release_tag()?;
    let (tree, label) = inputs.tree()?;
    let mut paths: Vec<String> = match inputs.config(tree.as_ref()) {
        Ok(c) => c
            .sources
            .into_iter()
            .filter(|s| s.kind == SourceKind::Changelog)
            .map(|s| s.path)
            .collect(),
        Err(_) if inputs.declares_no_config() => Vec::new(),
        Err(e) => return Err(e),
    };
    if paths.is_empty() {
        paths.push(String::from("CHANGELOG.md"));
    }
    let mut out = Vec::new();
    for path in paths {
        let text = tree
            .read_text(&path)
            .map_err(|e| format!("{path} in {label}: {e}"))?
            .ok_or_else(|| format!("{path} does not exist in {label}"))?;
        let changelog = relver::Changelog::parse(&text);
        let section = changelog.extract(tag.version()).ok_or_else(|| {
            format!(
                "{path} in {label} has no section for {} (see changelog-section)",
                tag.version()
            )
        })?;
        out.push((path, section.to_owned()));
    }
    Ok((tag.version().to_string(), out))
}

/// Whether `body` has `line` as one of its lines (a CR before the LF is ignored).
fn has_line(body: &str, line: &str) -> bool {
    body.lines()
        .any(|l| l.strip_suffix('\r').unwrap_or(l) == line)
}

/// The findings of notes `body` of `tag` against the changelog `sections` and required
/// `lines`.
pub(crate) fn judge_notes(
    tag: &str,
    body: &str,
    sections: &[(String, String)],
    lines: &[String],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (path, section) in sections {
        if !body.contains(section.as_str()) {
            let first = section.lines().next().unwrap_or_default();
            findings.push(
                Finding::new(
                    Code::ReleaseNotesMissingSection,
                    format!("release {tag}: notes"),
                )
                .expected(format!(
                    "the {path} section for {tag}, byte for byte ({} bytes, starting {first:?})",
                    section.len()
                ))
                .found(format!("notes of {} bytes without it", body.len()))
                .hint("paste the changelog section unchanged (relkit changelog extract)"),
            );
        }
    }
    for line in lines {
        if !has_line(body, line) {
            findings.push(
                Finding::new(
                    Code::ReleaseNotesMissingLine,
                    format!("release {tag}: notes"),
                )
                .expected(format!("the line {line:?}"))
                .found("no such line"),
            );
        }
    }
    findings
}

async fn notes(provider: &dyn CiProvider, ctx: &GateContext) -> Checked {
    let Some(tag) = ctx.tag.clone() else {
        return Err(GateResult::error(
            "no tag was given, so there is no release to look up",
        ));
    };
    let rules = ctx.policy.release_notes.clone().unwrap_or_default();
    let inputs = Inputs::of(ctx);
    let read = tokio::task::spawn_blocking(move || sections(&inputs)).await;
    let (version, sections) = match read {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(GateResult::error(e)),
        Err(e) => {
            return Err(GateResult::error(format!(
                "reading the changelog failed: {e}"
            )));
        }
    };
    let (_, release) = tagged_release(provider, ctx).await?;
    let body = release.body.clone().unwrap_or_default();
    let lines = rules.lines_for(&tag, &version);
    let findings = judge_notes(&tag, &body, &sections, &lines);
    let files: Vec<&str> = sections.iter().map(|(p, _)| p.as_str()).collect();
    Ok(GateResult::from_findings(findings)
        .with_evidence("changelogs", serde_json::json!(files))
        .with_evidence("required_lines", serde_json::json!(lines))
        .with_evidence("notes_bytes", serde_json::json!(body.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_need_the_section_byte_for_byte_and_every_line() {
        let sections = vec![(
            String::from("CHANGELOG.md"),
            String::from("### Fixed\n\n- A fix."),
        )];
        let lines = vec![String::from("pip install x==1.0.0")];
        let codes = |notes: &str| -> Vec<Code> {
            judge_notes("v1.0.0", notes, &sections, &lines)
                .iter()
                .map(|f| f.code)
                .collect()
        };
        let good = "Notes\n\n### Fixed\n\n- A fix.\n\npip install x==1.0.0\r\n";
        assert_eq!(codes(good), []);
        let edited = "### Fixed\n\n- A fix!\n\npip install x==1.0.0\n";
        assert_eq!(codes(edited), [Code::ReleaseNotesMissingSection]);
        // A line only inside another line does not count.
        let partial = "### Fixed\n\n- A fix.\n\nrun: pip install x==1.0.0\n";
        assert_eq!(codes(partial), [Code::ReleaseNotesMissingLine]);
    }
}
