//! The `consumer-verify` gate: what a downstream user verifies from public data alone.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use regclient::{PublishedFile, ReadbackError};
use serde_json::{Value, json};

use crate::artifact_names::served_as;
use crate::artifacts::local_artifacts;
use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult, Outcome, StandardGate};
use crate::gates::declare::{Checked, unit_gate};
use crate::gates::registries::common::{gate_error, lookups, scratch_dir, setup, sha256_of};
use crate::gates::signing::attest::{check_provenance, check_signatures, load_verifier};
use crate::policy::model::RegistryKind;
use crate::registry_client::{Job, chain, fetch, run_blocking_all};

unit_gate! {
    /// What a downstream user verifies from public data alone: the bytes each package registry
    /// serves are downloaded and checked against the release's public Sigstore bundles and
    /// provenance with the identity `[signing]` derives from the tag: `signature-invalid`,
    /// `signature-missing`, `identity-mismatch`, `subject-not-covered`, …
    ConsumerVerifyGate = "consumer-verify", async consumer_verify
}

async fn consumer_verify(ctx: &GateContext) -> Checked {
    let Some(signing) = ctx.policy.signing.clone() else {
        return Err(GateResult::error(
            "consumer-verify needs [signing]: a consumer verifies the served bytes against the release's signatures",
        ));
    };
    let Some(tag) = ctx.tag.clone() else {
        return Err(GateResult::error(
            "no release tag: the signing identity depends on it",
        ));
    };
    // The verifier's root, never one the release (or a registry) supplies.
    let verifier = Arc::new(load_verifier(&ctx.policy, &ctx.release_dir, &signing)?);
    let s = setup(ctx)?;
    let results = lookups(ctx, &s, |t| t.rule.kind != RegistryKind::Oci).await?;
    let scratch = match scratch_dir(ctx, ".relgate-consumer-") {
        Ok(d) => Arc::new(d),
        Err(e) => {
            return Err(GateResult::error(format!(
                "cannot create a download folder: {e}"
            )));
        }
    };
    let mut findings = Vec::new();
    let mut views = Vec::new();
    for (i, (t, r)) in results.into_iter().enumerate() {
        let subject = t.subject(&s.version);
        let pv = match r {
            Ok(pv) if pv.state.is_served() => pv,
            Ok(pv) => {
                findings.push(
                    Finding::new(Code::RegistryFileMissing, subject)
                        .expected("the version served to consumers")
                        .found(format!("the version is {}", pv.state)),
                );
                continue;
            }
            Err(e) => {
                findings.push(gate_error(subject, e));
                continue;
            }
        };
        let view = scratch.path().join(i.to_string());
        if let Err(e) = std::fs::create_dir(&view) {
            return Err(GateResult::error(format!("{}: {e}", view.display())));
        }
        views.push((t, pv, view));
    }
    // Download what every registry serves, bounded across all of them.
    let mut jobs: Vec<Job<Result<(), (bool, String)>>> = Vec::new();
    // A registry that claims no digest (a Go module proxy) serves files a consumer
    // holds to the release's own: the module zip is checked against the local file it
    // was published from, under that name (so its bundle applies); anything else it
    // serves (`.mod`) is not a release artifact.
    let locals =
        local_artifacts(&ctx.policy, &ctx.release_dir).map_err(|e| GateResult::error(chain(&e)))?;
    let claimless = |f: &PublishedFile| -> Option<PublishedFile> {
        let local = locals.iter().find(|a| {
            let n = a.path.rsplit('/').next().unwrap_or(&a.path);
            served_as(n, &f.name)
        })?;
        let digest = sha256_of(&ctx.release_dir.join(&local.path)).ok()?;
        let mut held = f.clone();
        held.name = local
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&local.path)
            .to_owned();
        held.digests.push(digest);
        Some(held)
    };
    for (t, pv, view) in &views {
        for f in &pv.files {
            let f = if f.digests.is_empty() {
                match claimless(f) {
                    Some(held) => held,
                    None => continue,
                }
            } else {
                f.clone()
            };
            let (ctx, http, f, view, name) =
                (ctx.clone(), s.http.clone(), f, view.clone(), t.name.clone());
            jobs.push(Box::new(move || {
                fetch(&ctx, ConsumerVerifyGate::ID, &http, &name, &f, &view, None)
                    .map(|_| ())
                    .map_err(|e| {
                        let claim = matches!(
                            e,
                            ReadbackError::DigestMismatch { .. }
                                | ReadbackError::SizeMismatch { .. }
                        );
                        (claim, chain(&e))
                    })
            }));
        }
    }
    let fetched = run_blocking_all(ctx, jobs)
        .await
        .map_err(GateResult::error)?;
    let files: Vec<(String, String)> = views
        .iter()
        .flat_map(|(t, pv, _)| pv.files.iter().map(|f| (t.name.clone(), f.name.clone())))
        .collect();
    for ((registry, name), r) in files.iter().zip(&fetched) {
        if let Err((claim, e)) = r {
            let subject = format!("{name} on {registry}");
            findings.push(if *claim {
                Finding::new(Code::DigestMismatch, subject)
                    .expected("the served bytes, as the registry claims them")
                    .found(e.clone())
            } else {
                gate_error(subject, e.clone())
            });
        }
    }
    // A registry none of whose files arrived has nothing left to verify: its
    // failures are reported above.
    let mut k = 0;
    views.retain(|(_, pv, _)| {
        let got = fetched
            .get(k..k + pv.files.len())
            .is_some_and(|done| done.iter().any(Result::is_ok));
        k += pv.files.len();
        got
    });
    let release_dir = ctx.release_dir.clone();
    let policy = Arc::clone(&ctx.policy);
    // One verification per registry, on the blocking pool, bounded like the downloads.
    let jobs: Vec<Job<(String, GateResult)>> = views
        .into_iter()
        .map(|(t, _, view)| {
            let (policy, release_dir) = (Arc::clone(&policy), release_dir.clone());
            let (signing, tag) = (signing.clone(), tag.clone());
            let verifier = Arc::clone(&verifier);
            Box::new(move || {
                if let Err(e) = publish_public_files(&policy, &release_dir, &view) {
                    return (t.name, GateResult::error(e));
                }
                let mut r = check_signatures(&policy, &view, &signing, &tag, &verifier);
                if let (Some(rules), Outcome::Pass) = (&policy.provenance, &r.outcome) {
                    r = check_provenance(&policy, &view, rules, &signing, &tag, &verifier);
                }
                (t.name, r)
            }) as Job<(String, GateResult)>
        })
        .collect();
    let checked = run_blocking_all(ctx, jobs)
        .await
        .map_err(GateResult::error)?;
    let mut evidence = BTreeMap::new();
    for (registry, r) in checked {
        evidence.insert(
            registry.clone(),
            json!({"outcome": r.outcome.name(), "evidence": r.evidence}),
        );
        match r.outcome {
            Outcome::Pass => {}
            Outcome::Fail { findings: f } => findings.extend(f.into_iter().map(|mut x| {
                x.subject = format!("{} (as served by {registry})", x.subject);
                x
            })),
            Outcome::Error { cause } => findings.push(gate_error(registry, cause)),
            Outcome::Skipped { reason } => findings.push(gate_error(registry, reason)),
        }
    }
    Ok(GateResult::from_findings(findings).with_evidence(
        "registries",
        serde_json::to_value(evidence).unwrap_or(Value::Null),
    ))
}

/// Copies what the release publishes for consumers (Sigstore bundles, provenance) next to the
/// served files in `view`. Not the trust root: the consumer verifies with the verifier's own.
fn publish_public_files(
    policy: &crate::policy::model::Policy,
    release_dir: &Path,
    view: &Path,
) -> Result<(), String> {
    let Some(signing) = &policy.signing else {
        return Ok(());
    };
    let served: Vec<String> = std::fs::read_dir(view)
        .map_err(|e| format!("{}: {e}", view.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut public: Vec<String> = served
        .iter()
        .map(|n| format!("{n}{}", signing.bundle_suffix))
        .collect();
    if let Some(p) = &policy.provenance {
        let m = crate::folder::glob_matcher(&p.glob).map_err(|e| e.to_string())?;
        let all = crate::folder::list_files(release_dir).map_err(|e| e.to_string())?;
        public.extend(all.into_iter().filter(|f| m.is_match(f)));
    }
    for name in public {
        let from = release_dir.join(&name);
        if from.is_file() {
            std::fs::copy(&from, view.join(&name))
                .map_err(|e| format!("{}: {e}", from.display()))?;
        }
    }
    Ok(())
}
