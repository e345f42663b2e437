//! `npm-provenance`: after upload, every npm tarball of the release has SLSA provenance on the
//! registry's attestations endpoint that verifies offline and names the local tarball's bytes.

use serde_json::{Value, json};

use crate::finding::{Code, Finding};
use crate::gate::{BlockingGate, GateContext, GateResult};
use crate::gates::signing::attest::{provenance_policy, read_artifact, verify_served};
use crate::policy::model::{ArtifactKind, ProvenanceRules, RegistryKind, SigningIdentity};
use crate::registry_client::{Client, Target, chain, checked, http_client, targets_of_kind};

/// The SLSA provenance predicate npm serves beside its publish attestation.
const SLSA_V1: &str = "https://slsa.dev/provenance/v1";

/// For every npm registry of the policy and every local tarball of its package: the registry's
/// attestations for the version include SLSA provenance (`signature-missing`) that verifies
/// against the release's trust root with the policy's builder and source, and whose subjects
/// cover the local tarball (`subject-not-covered`, else `provenance-invalid`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NpmProvenanceGate;

fn check(
    ctx: &GateContext,
    (npm, http, version): (&[Target], &regclient::HttpClient, &str),
    (rules, signing, tag): (&ProvenanceRules, &SigningIdentity, &str),
) -> Result<(Vec<Finding>, Vec<Value>), String> {
    let (pp, _, _) = provenance_policy(rules, signing, tag);
    verify_served(
        ctx,
        signing,
        (npm, http),
        |verifier, t, client, locals, out| {
            let Client::Npm(npm) = client else {
                return Ok(());
            };
            let tarballs = t.own(locals, version, &[ArtifactKind::NpmTarball]);
            for a in tarballs {
                let subject = format!("{}@{version} on {}", t.rule.package, t.name);
                let served = npm
                    .attestations(&t.rule.package, version)
                    .map_err(|e| format!("registry {}: {}", t.name, chain(&e)))?;
                let Some(slsa) = served.iter().find(|x| x.predicate_type == SLSA_V1) else {
                    out.findings.push(
                        Finding::new(Code::SignatureMissing, subject)
                            .expected(String::from("SLSA provenance on the attestations endpoint"))
                            .found(format!("{} attestation(s), none SLSA v1", served.len()))
                            .hint(
                                "publish with `npm publish --provenance` from the release workflow",
                            ),
                    );
                    continue;
                };
                let digests = read_artifact(&ctx.release_dir, a)?.digests();
                match attest::verify_provenance(
                    verifier,
                    slsa.bundle.get().as_bytes(),
                    std::slice::from_ref(&digests),
                    &pp,
                ) {
                    Ok(_) => out
                        .evidence
                        .push(json!({"registry": t.name, "tarball": a.path})),
                    Err(e) => out.findings.push(
                        e.to_finding(subject)
                            .expected(format!("provenance naming {}", a.path)),
                    ),
                }
            }
            Ok(())
        },
    )
}

impl BlockingGate for NpmProvenanceGate {
    const ID: &'static str = "npm-provenance";

    fn run_blocking(&self, ctx: &GateContext) -> GateResult {
        let (Some(rules), Some(signing)) = (&ctx.policy.provenance, &ctx.policy.signing) else {
            return GateResult::error(
                "npm-provenance needs [provenance] and [signing] (builder, source, trust root)",
            );
        };
        let Some(tag) = &ctx.tag else {
            return GateResult::error("no release tag: the provenance ref depends on it");
        };
        let (npm, version) =
            match targets_of_kind(ctx, RegistryKind::Npm, "the policy names no npm registry") {
                Ok(t) => t,
                Err(r) => return r,
            };
        let http = http_client(ctx);
        checked(
            "provenance",
            check(ctx, (&npm, &http, &version), (rules, signing, tag.as_str())),
        )
    }
}
