//! The `oci-platforms` gate: image indexes carry every platform and signature.

use artidigest::Digest;
use serde_json::{Value, json};

use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult};
use crate::gates::declare::{Checked, unit_gate};
use crate::gates::registries::common::{gate_error, on_each_target, setup};
use crate::gates::signing::attest::{provenance_covers, verifier_or_findings};
use crate::policy::model::{ArtifactKind, RegistryKind};
use crate::registry_client::{Client, Target, chain, client_for};

unit_gate! {
    /// Every OCI registry's tag for the version resolves to an index with every platform the rule
    /// lists (`platform-missing`), and, when the rule says `signed`, a cosign signature (the
    /// referrers API or the `sha256-<hex>.sig` fallback tag): `signature-missing`.
    OciPlatformsGate = "oci-platforms", async platforms
}

async fn platforms(ctx: &GateContext) -> Checked {
    let s = setup(ctx)?;
    let oci: Vec<Target> = s
        .targets
        .iter()
        .filter(|t| t.rule.kind == RegistryKind::Oci)
        .cloned()
        .collect();
    if oci.is_empty() {
        return Err(GateResult::skipped("the policy names no OCI registry"));
    }
    let results = on_each_target(ctx, &oci, &s.http, &s.version, oci_view).await?;
    let mut findings = Vec::new();
    let mut evidence = Vec::new();
    for (t, r) in oci.iter().zip(results) {
        let subject = format!("{}: {}:{}", t.name, t.rule.package, s.version);
        let view = match r {
            Ok(v) => v,
            Err(e) => {
                findings.push(gate_error(subject, e));
                continue;
            }
        };
        evidence.push(json!({
            "registry": t.name,
            "repository": t.rule.package,
            "tag": s.version,
            "digest": view.digest.map(|d| d.to_string()),
            "platforms": view.platforms,
            "signature": view.signature,
        }));
        let Some(digest) = view.digest else {
            for p in &t.rule.platforms {
                findings.push(
                    Finding::new(Code::PlatformMissing, format!("{subject} {p}"))
                        .expected(format!(
                            "{p} in the index of {}:{}",
                            t.rule.package, s.version
                        ))
                        .found("the tag does not exist"),
                );
            }
            continue;
        };
        for p in &t.rule.platforms {
            if !view.platforms.iter().any(|x| x == p) {
                findings.push(
                    Finding::new(Code::PlatformMissing, format!("{subject} {p}"))
                        .expected(format!("{p} in the index {digest}"))
                        .found(if view.platforms.is_empty() {
                            String::from("a single-platform image (no index)")
                        } else {
                            format!("platforms {}", view.platforms.join(", "))
                        })
                        .hint("build and push the image for every platform, then push the index again"),
                );
            }
        }
        // Provenance that covers images must name this pushed digest as a subject.
        if let (Some(rules), Some(signing), Some(tag)) =
            (&ctx.policy.provenance, &ctx.policy.signing, &ctx.tag)
            && rules.cover.contains(&ArtifactKind::OciImage)
            && t.rule.artifacts.contains(&ArtifactKind::OciImage)
        {
            let covered = match verifier_or_findings(&ctx.policy, &ctx.release_dir, signing) {
                // A refused root is its own blocking finding, not a coverage problem.
                Ok(Err(refused)) => {
                    findings.extend(refused);
                    Ok(())
                }
                Ok(Ok(v)) => {
                    provenance_covers(&ctx.release_dir, rules, signing, tag, &[vec![digest]], &v)
                }
                Err(e) => Err(e),
            };
            if let Err(e) = covered {
                findings.push(
                    Finding::new(Code::SubjectNotCovered, subject.clone())
                        .expected(format!(
                            "{digest} among the subjects of the release's provenance"
                        ))
                        .found(e)
                        .hint("attest the digest that was pushed (not a rebuild of it)"),
                );
            }
        }
        if t.rule.signed && view.signature.is_none() {
            findings.push(
                Finding::new(Code::SignatureMissing, subject)
                    .expected(format!(
                        "a cosign signature for {digest} (referrers or the {} tag)",
                        regclient::oci::fallback_tag(&digest) + ".sig"
                    ))
                    .found("none")
                    .hint("sign the pushed digest with cosign (by digest, not by tag)"),
            );
        }
    }
    Ok(GateResult::from_findings(findings).with_evidence("images", Value::from(evidence)))
}

/// What an OCI registry shows for one tag.
struct OciView {
    digest: Option<Digest>,
    platforms: Vec<String>,
    /// How a signature was found (`sig-tag`, `bundle-referrer`), if any.
    signature: Option<String>,
}

fn oci_view(t: &Target, http: &regclient::HttpClient, tag: &str) -> Result<OciView, String> {
    let Client::Oci(c) = client_for(t, http)? else {
        return Err(format!("registry {} is not an OCI registry", t.name));
    };
    let repo = &t.rule.package;
    let Some(m) = c.manifest(repo, tag).map_err(|e| chain(&e))? else {
        return Ok(OciView {
            digest: None,
            platforms: Vec::new(),
            signature: None,
        });
    };
    let platforms = m.platforms().iter().map(ToString::to_string).collect();
    let signature = if t.rule.signed {
        let found = c.cosign(repo, &m.digest).map_err(|e| chain(&e))?;
        if found.signature.is_some() {
            Some(String::from("sig-tag"))
        } else if !found.bundles.is_empty() {
            Some(String::from("bundle-referrer"))
        } else {
            None
        }
    } else {
        None
    };
    Ok(OciView {
        digest: Some(m.digest),
        platforms,
        signature,
    })
}
