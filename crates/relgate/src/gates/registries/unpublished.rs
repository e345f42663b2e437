//! The `version-unpublished` gate: no registry holds the release version yet.

use serde_json::Value;

use crate::finding::{Code, Finding, Severity};
use crate::gate::{GateContext, GateResult};
use crate::gates::declare::{Checked, unit_gate};
use crate::gates::registries::common::{gate_error, lookups, setup, version_evidence};

unit_gate! {
    /// No registry of the policy holds the release version yet: `version-already-published`
    /// (versions are immutable: bump the patch version). A registry in recovery mode
    /// (`recovery = true`) may hold it: the gate then passes with a note, and the served bytes are
    /// verified by `registry-readback` instead of uploading.
    VersionUnpublishedGate = "version-unpublished", async unpublished
}

async fn unpublished(ctx: &GateContext) -> Checked {
    let s = setup(ctx)?;
    let results = lookups(ctx, &s, |_| true).await?;
    let v = &s.version;
    let mut findings = Vec::new();
    let mut evidence = Vec::new();
    for (t, r) in results {
        let subject = t.subject(v);
        match r {
            Err(e) => findings.push(gate_error(subject, e)),
            Ok(pv) => {
                evidence.push(version_evidence(&t, &pv));
                if !pv.state.is_taken() {
                    continue;
                }
                if t.rule.recovery {
                    findings.push(
                        Finding::new(Code::VersionAlreadyPublished, subject)
                            .severity(Severity::Info)
                            .found(format!("{} ({})", pv.state, pv.files.len()))
                            .hint(format!(
                                "recovery mode: {} already holds {} {v}; the served bytes will be verified instead of uploading",
                                t.name, t.rule.package
                            )),
                    );
                } else {
                    findings.push(
                        Finding::new(Code::VersionAlreadyPublished, subject)
                            .expected(format!("{} {v} not yet on {}", t.rule.package, t.name))
                            .found(format!("{v} is {} there", pv.state))
                            .hint(format!(
                                "versions are immutable: bump the patch version (to {}) and release again, or set recovery = true for {} to verify what it serves",
                                bump_patch(v),
                                t.name
                            )),
                    );
                }
            }
        }
    }
    Ok(GateResult::from_findings(findings).with_evidence("registries", Value::from(evidence)))
}

fn bump_patch(v: &str) -> String {
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let mut parts: Vec<String> = core.split('.').map(str::to_owned).collect();
    if let Some(last) = parts.last_mut()
        && let Ok(n) = last.parse::<u64>()
    {
        *last = (n + 1).to_string();
        return parts.join(".");
    }
    format!("the next patch version after {v}")
}
