//! The `registry-visible` gate: every registry shows the version within its deadline.

use std::time::Duration;

use serde_json::Value;

use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult};
use crate::gates::declare::{Checked, unit_gate};
use crate::gates::registries::common::{
    DEFAULT_VISIBLE_WITHIN_SECS, gate_error, on_each_target, setup, version_evidence,
};
use regclient::RegistryError;

use crate::registry_client::{client_for, poll_options};

unit_gate! {
    /// Every registry serves the version within its `visible-within-secs` deadline (default
    /// [`DEFAULT_VISIBLE_WITHIN_SECS`]), polled conditionally: `not-visible` with what the
    /// registry showed last.
    RegistryVisibleGate = "registry-visible", async visible
}

async fn visible(ctx: &GateContext) -> Checked {
    let s = setup(ctx)?;
    let cancel = ctx.cancel.clone();
    let results = on_each_target(
        ctx,
        &s.targets,
        &s.http,
        &s.version,
        move |t, http, version| {
            let within = Duration::from_secs(
                t.rule
                    .visible_within_secs
                    .unwrap_or(DEFAULT_VISIBLE_WITHIN_SECS),
            );
            let c = client_for(t, http).map_err(RegistryError::Failed)?;
            c.wait_for_version(&t.rule.package, version, poll_options(within), &|| {
                cancel.is_cancelled()
            })
        },
    )
    .await?;
    let mut findings = Vec::new();
    let mut evidence = Vec::new();
    for (t, r) in s.targets.iter().zip(results) {
        let subject = t.subject(&s.version);
        match r {
            Ok(pv) => evidence.push(version_evidence(t, &pv)),
            Err(RegistryError::NotVisible { diagnosis }) => findings.push(
                Finding::new(Code::NotVisible, subject)
                    .expected(format!(
                        "served within {} s",
                        t.rule.visible_within_secs.unwrap_or(DEFAULT_VISIBLE_WITHIN_SECS)
                    ))
                    .found(diagnosis)
                    .hint("check that the upload succeeded; a registry's CDN or index may lag: raise visible-within-secs if this is normal for it"),
            ),
            Err(RegistryError::Stopped) => {
                findings.push(gate_error(subject, "the run was cancelled".to_owned()))
            }
            Err(e) => findings.push(gate_error(subject, e.to_string())),
        }
    }
    Ok(GateResult::from_findings(findings).with_evidence("registries", Value::from(evidence)))
}
