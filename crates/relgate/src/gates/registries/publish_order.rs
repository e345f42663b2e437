//! `publish-order`: a registry that must publish after another (`[registries.X] after`) holds
//! the version only when its predecessors serve it too.

use serde_json::{Value, json};

use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult};
use crate::gates::declare::{Checked, unit_gate};
use crate::gates::registries::common::{Setup, gate_error, lookups, setup};
use crate::registry_client::targets;

unit_gate! {
    /// For every registry rule with `after = ["other", …]`: when it holds the release version,
    /// each registry it comes after must hold it too (`publish-order-violated`: "the manifest
    /// crate was published before the core crate was served"). A name in `after` that is not a
    /// registry of the policy is an error (fail closed). Run it before `registry-readback`
    /// (`[gates.registry-readback] after = ["publish-order"]`) so that an out-of-order upload is
    /// reported as the root cause, and readback then verifies what every registry serves.
    PublishOrderGate = "publish-order", async order
}

async fn order(ctx: &GateContext) -> Checked {
    let all = targets(ctx)?;
    let mut unknown = Vec::new();
    for t in &all {
        for before in &t.rule.after {
            if !all.iter().any(|o| &o.name == before) {
                unknown.push(format!(
                    "[registries.{}] after names {before:?}, which is not a registry of the policy",
                    t.name
                ));
            }
        }
    }
    if !unknown.is_empty() {
        return Err(GateResult::error(unknown.join("; ")));
    }
    if all.iter().all(|t| t.rule.after.is_empty()) {
        return Err(GateResult::skipped("no registry rule names `after`"));
    }
    let s: Setup = setup(ctx)?;
    let results = lookups(ctx, &s, |_| true).await?;
    let v = &s.version;
    let mut findings = Vec::new();
    let held = |name: &str| {
        results
            .iter()
            .find(|(t, _)| t.name == name)
            .map(|(_, r)| r.as_ref().map(|pv| pv.state.is_taken()))
    };
    let mut evidence = Vec::new();
    for (t, r) in &results {
        let holds = match r {
            Ok(pv) => pv.state.is_taken(),
            Err(e) => {
                findings.push(gate_error(t.subject(v), e.clone()));
                continue;
            }
        };
        evidence.push(json!({"registry": t.name, "holds": holds, "after": t.rule.after}));
        if !holds {
            continue;
        }
        for before in &t.rule.after {
            match held(before) {
                Some(Ok(true)) => {}
                Some(Ok(false)) => findings.push(
                    Finding::new(Code::PublishOrderViolated, t.subject(v))
                        .expected(format!(
                            "{} {v} published only after {before} serves it",
                            t.rule.package
                        ))
                        .found(format!("{} holds {v}; {before} does not", t.name))
                        .hint(format!(
                            "publish to {before} first and verify it; {} cannot be un-published",
                            t.name
                        )),
                ),
                // The lookup error was reported above for that registry.
                Some(Err(_)) | None => {}
            }
        }
    }
    Ok(GateResult::from_findings(findings).with_evidence("order", Value::from(evidence)))
}
