//! `pep740-attestations`: after upload, every wheel and sdist a Python index serves has PEP 740
//! provenance from the index's integrity API that verifies for the local file, published by the
//! policy's signing identity.

use attest::{
    ExtensionValues, IdentityPolicy, Publisher, SignerEvidence, Verification,
    verify_pypi_provenance,
};
use serde_json::{Value, json};

use crate::finding::{Code, Finding};
use crate::gate::{BlockingGate, GateContext, GateResult};
use crate::gates::signing::attest::{read_artifact, verify_served};
use crate::policy::model::{ArtifactKind, RegistryKind, SigningIdentity};
use crate::registry_client::{Client, Target, chain, checked, http_client, targets_of_kind};

/// For every Python index of the policy and every local wheel or sdist of its package: the
/// index's PEP 740 provenance for the file exists (`signature-missing`), and verifies offline
/// against the release's trust root for the local bytes and file name, published by the
/// `[signing]` repository and workflow (`identity-mismatch`) from a run the `[signing]` triggers
/// allow (`trigger-denied`), else `signature-invalid`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pep740AttestationsGate;

fn check(
    ctx: &GateContext,
    (pypi, http, version): (&[Target], &regclient::HttpClient, &str),
    signing: &SigningIdentity,
    publisher: &Publisher,
) -> Result<(Vec<Finding>, Vec<Value>), String> {
    verify_served(
        ctx,
        signing,
        (pypi, http),
        |verifier, t, client, locals, out| {
            let Client::Pypi(index) = client else {
                return Ok(());
            };
            let mine = t.own(locals, version, &[ArtifactKind::Wheel, ArtifactKind::Sdist]);
            for a in mine {
                let name = a.path.rsplit('/').next().unwrap_or(&a.path).to_owned();
                let subject = format!("{name} on {}", t.name);
                let doc = index
                    .provenance(&t.rule.package, version, &name)
                    .map_err(|e| format!("registry {}: {}", t.name, chain(&e)))?;
                let Some(doc) = doc else {
                    out.findings.push(
                        Finding::new(Code::SignatureMissing, subject)
                            .expected(String::from("PEP 740 provenance from the integrity API"))
                            .found("none (404)")
                            .hint("upload with trusted publishing and attestations enabled"),
                    );
                    continue;
                };
                let bytes = serde_json::to_vec(&json!({
                    "version": doc.version,
                    "attestation_bundles": doc.attestation_bundles,
                }))
                .map_err(|e| e.to_string())?;
                let artifact = read_artifact(&ctx.release_dir, a)?;
                let verified =
                    verify_pypi_provenance(verifier, &bytes, &artifact, &name, Some(publisher))
                        .and_then(|v| check_triggers(signing, &v).map(|()| v));
                match verified {
                    Ok(v) => out.evidence.push(json!({
                        "registry": t.name,
                        "file": name,
                        "attestations": v.len(),
                    })),
                    Err(e) => out.findings.push(e.to_finding(subject).expected(format!(
                        "provenance published by {}, for these bytes",
                        signing.repository
                    ))),
                }
            }
            Ok(())
        },
    )
}

/// The `[signing]` trigger rules over each verified attestation's certificate. A GitHub or
/// GitLab publisher names the repository and workflow but not how the run was started, so
/// without this a run the policy refuses (`workflow_dispatch`) would pass here while
/// `signatures-valid` refuses the same run; a refusal is attest's `trigger-not-allowed`,
/// reported as `trigger-denied` as in every other signing gate.
fn check_triggers(
    signing: &SigningIdentity,
    verified: &[Verification],
) -> Result<(), attest::Error> {
    if signing.allowed_triggers.is_empty() && signing.denied_triggers.is_empty() {
        return Ok(());
    }
    for v in verified {
        let SignerEvidence::Certificate {
            sans,
            issuer,
            extensions,
            ..
        } = &v.signer
        else {
            continue; // PEP 740 attestations are keyless: attest refuses a key before this.
        };
        let mut rules = IdentityPolicy::any_identity(issuer.clone().unwrap_or_default());
        if !signing.allowed_triggers.is_empty() {
            rules = rules.allow_triggers(signing.allowed_triggers.iter().cloned());
        }
        for t in &signing.denied_triggers {
            rules = rules.deny_trigger(t.clone());
        }
        let values: ExtensionValues = extensions
            .iter()
            .filter_map(|(name, value)| Some((name.parse().ok()?, value.clone())))
            .collect();
        rules.check(sans, issuer.as_deref(), &values)?;
    }
    Ok(())
}

impl BlockingGate for Pep740AttestationsGate {
    const ID: &'static str = "pep740-attestations";

    fn run_blocking(&self, ctx: &GateContext) -> GateResult {
        let Some(signing) = &ctx.policy.signing else {
            return GateResult::error(
                "pep740-attestations needs [signing] for the trust root and the publisher",
            );
        };
        let (pypi, version) =
            match targets_of_kind(ctx, RegistryKind::Pypi, "the policy names no Python index") {
                Ok(t) => t,
                Err(r) => return r,
            };
        // The publisher a trusted-publishing upload of the [signing] workflow records (GitHub
        // or GitLab by server), or under identity-regex the identity policy itself.
        let publisher = match signing.pep740_publisher(ctx.tag.as_deref().unwrap_or_default()) {
            Ok(p) => p,
            Err(e) => return GateResult::error(format!("[signing]: {}", e.detail())),
        };
        let http = http_client(ctx);
        checked(
            "provenance",
            check(ctx, (&pypi, &http, &version), signing, &publisher),
        )
    }
}
