//! The `tag-not-existing` and `coupled-tags` gates, read from the repository with `git`.

use crate::finding::{Code, Finding};
use crate::gate::GateResult;
use crate::gates::declare::unit_gate;
use crate::release_source::Inputs;

unit_gate! {
    /// The release tag does not exist yet in the source repository: `tag-already-exists`
    /// otherwise (release versions are immutable; bump the patch version).
    TagNotExistingGate = "tag-not-existing", inputs tag_absent
}

unit_gate! {
    /// Every coupled tag of `[tag] coupled` (`clients/go/v{version}`) exists and points at the
    /// release commit (the release tag's commit when it exists, else the run's commit, else
    /// `HEAD`): `coupled-tag-mismatch` otherwise.
    CoupledTagsGate = "coupled-tags", inputs coupled
}

fn tag_absent(inputs: &Inputs) -> GateResult {
    if let Err(e) = inputs.release_tag() {
        return GateResult::error(e);
    }
    let Some(tag) = &inputs.tag else {
        return GateResult::error("no tag was given for this run");
    };
    let repo = match inputs.repo() {
        Ok(r) => r,
        Err(e) => return GateResult::error(e),
    };
    match repo.tag_commit(tag) {
        Ok(None) => GateResult::pass().with_evidence("tag", serde_json::json!(tag)),
        Ok(Some(commit)) => GateResult::from_findings(vec![
            Finding::new(Code::TagAlreadyExists, format!("refs/tags/{tag}"))
                .expected("no such tag")
                .found(format!("the tag exists and points at {commit}"))
                .hint("release versions are immutable: bump the patch version and release that"),
        ])
        .with_evidence("commit", serde_json::json!(commit)),
        Err(e) => GateResult::error(format!(
            "cannot look up tags in {}: {e}",
            repo.dir().display()
        )),
    }
}

fn coupled(inputs: &Inputs) -> GateResult {
    let tag = match inputs.release_tag() {
        Ok(t) => t,
        Err(e) => return GateResult::error(e),
    };
    let patterns = inputs
        .policy
        .tag
        .as_ref()
        .map(|t| t.coupled.clone())
        .unwrap_or_default();
    if patterns.is_empty() {
        return GateResult::skipped("the policy's [tag] section names no coupled tags");
    }
    let (repo, target) = match inputs.repo_at_release() {
        Ok(found) => found,
        Err(e) => return GateResult::error(e),
    };
    let version = tag.version().to_string();
    let mut findings = Vec::new();
    let mut seen = serde_json::Map::new();
    for p in &patterns {
        let name = p.replace("{version}", &version);
        match repo.tag_commit(&name) {
            Ok(None) => findings.push(
                Finding::new(Code::CoupledTagMismatch, format!("refs/tags/{name}"))
                    .expected(format!("a tag at the release commit {target}"))
                    .found("no such tag")
                    .hint(format!("git tag {name} {target}")),
            ),
            Ok(Some(c)) if c != target => {
                findings.push(
                    Finding::new(Code::CoupledTagMismatch, format!("refs/tags/{name}"))
                        .expected(target.clone())
                        .found(c.clone())
                        .hint("re-create the coupled tag on the release commit"),
                );
                seen.insert(name, serde_json::json!(c));
            }
            Ok(Some(c)) => {
                seen.insert(name, serde_json::json!(c));
            }
            Err(e) => {
                return GateResult::error(format!(
                    "cannot look up {name} in {}: {e}",
                    repo.dir().display()
                ));
            }
        }
    }
    GateResult::from_findings(findings)
        .with_evidence("release-commit", serde_json::json!(target))
        .with_evidence("coupled", serde_json::Value::Object(seen))
}
