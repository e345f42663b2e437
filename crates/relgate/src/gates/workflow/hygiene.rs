//! The `workflow-hygiene` gate: the GitHub Actions workflows at the release commit, read from
//! git objects (no checkout), held to the rules of `[workflow-hygiene]`.

use relver::Tree;

use crate::finding::{Code, Finding};
use crate::gate::GateResult;
use crate::gates::declare::unit_gate;
use crate::gates::workflow::rules::Rules;
use crate::gates::workflow::yaml;
use crate::policy::workflow::WorkflowHygieneRules;
use crate::release_source::Inputs;

/// Where GitHub reads workflows from.
const WORKFLOWS: &str = ".github/workflows/";

unit_gate! {
    /// Every `.github/workflows/*.yml` and `*.yaml` at the release commit (the run's commit, else
    /// the tag's, else `HEAD`) follows the rules `[workflow-hygiene]` enables: actions pinned by
    /// commit SHA (`workflow-action-unpinned`, `workflow-action-floating-ref`), checkout without
    /// persisted credentials, default permissions no wider than `contents: read`, `id-token:
    /// write` only in the signing jobs, and release workflows triggered by release tags alone
    /// (`workflow-manual-trigger`, `workflow-trigger-too-wide`). Each finding names the file, line
    /// and column. A workflow that cannot be read or parsed, or no workflow at all, is
    /// `workflow-invalid`; no repository is a gate error.
    WorkflowHygieneGate = "workflow-hygiene", inputs hygiene
}

fn invalid(path: &str, found: impl Into<String>) -> Finding {
    Finding::new(Code::WorkflowInvalid, path.to_owned())
        .in_file(path)
        .expected("a readable GitHub Actions workflow (a YAML mapping)")
        .found(found)
}

fn hygiene(inputs: &Inputs) -> GateResult {
    let section = inputs.policy.workflow_hygiene.clone().unwrap_or_default();
    let (repo, commit) = match inputs.repo_at_release() {
        Ok(found) => found,
        Err(e) => return GateResult::error(e),
    };
    let tree = match repo.tree_at(&commit) {
        Ok(t) => t,
        Err(e) => return GateResult::error(e.to_string()),
    };
    let files = match tree.list_files() {
        Ok(f) => f,
        Err(e) => return GateResult::error(e.to_string()),
    };
    let workflows: Vec<String> = files
        .into_iter()
        .filter(|p| {
            p.strip_prefix(WORKFLOWS)
                .is_some_and(|n| !n.contains('/') && (n.ends_with(".yml") || n.ends_with(".yaml")))
        })
        .collect();
    let evidence = |r: GateResult, workflows: &[String]| {
        r.with_evidence("commit", serde_json::json!(commit))
            .with_evidence("workflows", serde_json::json!(workflows))
    };
    if workflows.is_empty() {
        return evidence(
            GateResult::from_findings(vec![
                invalid(WORKFLOWS, format!("no workflow files at commit {commit}"))
                    .hint("the policy asks for workflow hygiene: commit the release workflow"),
            ]),
            &workflows,
        );
    }
    let mut findings = Vec::new();
    let mut parsed = Vec::new();
    for path in &workflows {
        match tree.read_text(path) {
            Ok(Some(text)) => match yaml::parse(&text) {
                Ok(doc) if matches!(doc.value, yaml::Value::Map(_)) => parsed.push((path, doc)),
                Ok(doc) => findings.push(
                    invalid(path, "a document that is not a mapping")
                        .line_col(doc.line, doc.column),
                ),
                Err(e) => findings.push(
                    invalid(path, format!("not valid YAML: {}", e.message))
                        .line_col(e.line, e.column),
                ),
            },
            Ok(None) => findings.push(invalid(path, "listed but absent")),
            Err(e) => findings.push(invalid(path, format!("unreadable: {e}"))),
        }
    }
    let release = match release_workflows(&section, inputs, &workflows, &parsed) {
        Ok(r) => r,
        Err(f) => {
            findings.push(f);
            Vec::new()
        }
    };
    let rules = Rules {
        section: &section,
        enabled: section.enabled(),
        tag_pattern: inputs.pattern(),
    };
    let mut excused = Vec::new();
    for (path, doc) in &parsed {
        let outcome = rules.check(path, doc, release.contains(path));
        findings.extend(outcome.findings);
        excused.extend(outcome.excused.into_iter().map(|e| {
            serde_json::json!({"file": e.path, "line": e.line, "uses": e.uses, "reason": e.reason})
        }));
    }
    let enabled: Vec<&str> = rules.enabled.iter().map(|r| r.code().as_str()).collect();
    evidence(GateResult::from_findings(findings), &workflows)
        .with_evidence("release-workflows", serde_json::json!(release))
        .with_evidence("rules", serde_json::json!(enabled))
        .with_evidence("excepted", serde_json::Value::Array(excused))
}

/// The release workflows: those the section names, else the `[signing] workflow`, else every
/// workflow with a push tag filter. A named one that is absent, or none at all while a
/// trigger rule is on, is a `workflow-invalid` finding (a release workflow nobody can find is
/// never taken as clean).
fn release_workflows<'a>(
    section: &WorkflowHygieneRules,
    inputs: &Inputs,
    present: &[String],
    parsed: &[(&'a String, yaml::Node)],
) -> Result<Vec<&'a String>, Finding> {
    let full = |name: &str| {
        if name.contains('/') {
            name.trim_start_matches("./").to_owned()
        } else {
            format!("{WORKFLOWS}{name}")
        }
    };
    let mut named: Vec<String> = section.release_workflows.iter().map(|n| full(n)).collect();
    if named.is_empty()
        && let Some(w) = inputs
            .policy
            .signing
            .as_ref()
            .and_then(|s| s.workflow.as_deref())
    {
        named.push(full(w));
    }
    let trigger_rules = section.enabled().iter().any(|r| {
        matches!(
            r,
            crate::policy::workflow::WorkflowRule::ManualTrigger
                | crate::policy::workflow::WorkflowRule::TriggerTooWide
        )
    });
    if named.is_empty() {
        let tagged: Vec<&String> = parsed
            .iter()
            .filter(|(_, doc)| {
                doc.get("on")
                    .and_then(|on| on.get("push"))
                    .is_some_and(|p| p.get("tags").is_some() || p.get("tags-ignore").is_some())
            })
            .map(|(p, _)| *p)
            .collect();
        if tagged.is_empty() && trigger_rules {
            return Err(invalid(
                WORKFLOWS,
                "no release workflow: none is named and none triggers on tag pushes",
            )
            .hint("name it in [workflow-hygiene] release-workflows"));
        }
        return Ok(tagged);
    }
    let mut out = Vec::new();
    for n in named {
        match parsed.iter().find(|(p, _)| **p == n) {
            Some((p, _)) => out.push(*p),
            // Present but unreadable: already reported as such.
            None if present.contains(&n) => {}
            None => {
                return Err(invalid(
                    &n,
                    "the release workflow the policy names is absent at this commit",
                ));
            }
        }
    }
    Ok(out)
}
