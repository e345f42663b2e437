//! The `registry-visible` gate: every registry shows the version within its deadline.

use std::time::Duration;

use regclient::PublishedVersion;
use serde_json::Value;

use crate::finding::{Code, Finding};
use crate::gate::{BoxFuture, GateContext, GateResult, StandardGate};
use crate::gates::registries::common::{
    DEFAULT_VISIBLE_WITHIN_SECS, gate_error, setup, version_evidence,
};
use regclient::RegistryError;

use crate::registry_client::{Job, client_for, poll_options, run_blocking_all};

/// Every registry serves the version within its `visible-within-secs` deadline (default
/// [`DEFAULT_VISIBLE_WITHIN_SECS`]), polled conditionally: `not-visible` with what the
/// registry showed last.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistryVisibleGate;

impl StandardGate for RegistryVisibleGate {
    const ID: &'static str = "registry-visible";

    fn check<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let s = match setup(ctx) {
                Ok(s) => s,
                Err(r) => return r,
            };
            let jobs: Vec<Job<Result<PublishedVersion, RegistryError>>> = s
                .targets
                .iter()
                .map(|t| {
                    let (t, http, version) = (t.clone(), s.http.clone(), s.version.clone());
                    let cancel = ctx.cancel.clone();
                    Box::new(move || {
                        let within = Duration::from_secs(
                            t.rule
                                .visible_within_secs
                                .unwrap_or(DEFAULT_VISIBLE_WITHIN_SECS),
                        );
                        let c = client_for(&t, &http).map_err(RegistryError::Failed)?;
                        c.wait_for_version(&t.rule.package, &version, poll_options(within), &|| {
                            cancel.is_cancelled()
                        })
                    }) as Job<Result<PublishedVersion, RegistryError>>
                })
                .collect();
            let results = match run_blocking_all(ctx, jobs).await {
                Ok(r) => r,
                Err(e) => return GateResult::error(e),
            };
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
            GateResult::from_findings(findings).with_evidence("registries", Value::from(evidence))
        })
    }
}
