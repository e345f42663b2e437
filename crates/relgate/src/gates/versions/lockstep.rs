//! The `versions-lockstep` and `changelog-section` gates over `relver`.

use relver::{SourceKind, SourceSpec};

use crate::finding::Finding;
use crate::gate::GateResult;
use crate::gates::declare::unit_gate;
use crate::release_source::Inputs;

unit_gate! {
    /// Every version source of the `relver` configuration (except changelogs, see
    /// [`ChangelogSectionGate`]) equals the tag's version; without a tag, the members agree.
    /// Reads the source tree of `[versions]` (a folder, or git at the release commit) and
    /// reports relver's findings as they are: each under its own code (`version-mismatch`,
    /// `source-missing`, `version-invalid`, ...) with its file, line, column, key, expected, found
    /// and hint.
    VersionsLockstepGate = "versions-lockstep", inputs lockstep
}

unit_gate! {
    /// The changelog has a section for the tag's version: `changelog-section-missing` otherwise,
    /// and relver's other changelog codes (`changelog-date`, `changelog-order`, ...) for the lint
    /// errors the `relver` configuration asks for, each at its line. Uses the
    /// configuration's `changelog` sources, else `CHANGELOG.md` at the tree's root.
    ChangelogSectionGate = "changelog-section", inputs changelog
}

fn lockstep(inputs: &Inputs) -> GateResult {
    let tag = match &inputs.tag {
        Some(_) => match inputs.release_tag() {
            Ok(t) => Some(t),
            Err(e) => return GateResult::error(e),
        },
        None => None,
    };
    let (tree, label) = match inputs.tree() {
        Ok(t) => t,
        Err(e) => return GateResult::error(e),
    };
    let mut config = match inputs.config(tree.as_ref()) {
        Ok(c) => c,
        Err(e) => return GateResult::error(e),
    };
    config.sources.retain(|s| s.kind != SourceKind::Changelog);
    if config.sources.is_empty() {
        return GateResult::error(
            "the version configuration declares no version sources besides changelogs",
        );
    }
    let report = relver::check(tree.as_ref(), &config, tag.as_ref());
    // relver reports in relkit's one vocabulary: each finding keeps its own code, its file,
    // line, column and key, so reports, annotations and waivers can point at the line.
    let findings: Vec<Finding> = report.findings;
    let fields: Vec<String> = report
        .fields
        .iter()
        .map(|cf| {
            format!(
                "{}:{} {} = {}",
                cf.field.path, cf.field.line, cf.field.key, cf.field.raw
            )
        })
        .collect();
    GateResult::from_findings(findings)
        .with_evidence("source", serde_json::json!(label))
        .with_evidence(
            "expected",
            serde_json::json!(report.expected.map(|v| v.to_string())),
        )
        .with_evidence("fields", serde_json::json!(fields))
}

fn changelog(inputs: &Inputs) -> GateResult {
    let tag = match inputs.release_tag() {
        Ok(t) => t,
        Err(e) => return GateResult::error(e),
    };
    let (tree, label) = match inputs.tree() {
        Ok(t) => t,
        Err(e) => return GateResult::error(e),
    };
    let mut config = match inputs.config(tree.as_ref()) {
        Ok(c) => c,
        // Nothing declares version sources at all: the changelog alone is checked.
        Err(_)
            if inputs.declares_no_config()
                && matches!(relver::Config::load(tree.as_ref()), Ok(None)) =>
        {
            relver::Config::default()
        }
        Err(e) => return GateResult::error(e),
    };
    config.sources.retain(|s| s.kind == SourceKind::Changelog);
    if config.sources.is_empty() {
        config
            .sources
            .push(SourceSpec::new("CHANGELOG.md", SourceKind::Changelog));
    }
    let report = relver::check(tree.as_ref(), &config, Some(&tag));
    let findings: Vec<Finding> = report.findings;
    let files: Vec<&str> = config.sources.iter().map(|s| s.path.as_str()).collect();
    GateResult::from_findings(findings)
        .with_evidence("source", serde_json::json!(label))
        .with_evidence("changelogs", serde_json::json!(files))
        .with_evidence("version", serde_json::json!(tag.version().to_string()))
}
