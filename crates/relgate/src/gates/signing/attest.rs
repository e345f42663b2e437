//! The `signatures-valid` and `provenance-valid` gates, over `attest`'s offline Sigstore
//! verification.

use std::path::Path;

use attest::{
    Artifact, Bundle, BundleError, ErrorKind, Policy as AttestPolicy, ProvenancePolicy, RefPolicy,
    TrustRootError, TrustedRoot, Verifier,
};

use crate::artifacts::{LocalArtifact, local_artifacts};
use crate::finding::{Code, Finding, Severity};
use crate::folder::{glob_matcher, list_files};
use crate::gate::{GateContext, GateResult, Outcome};
use crate::gates::declare::{Checked, unit_gate};
use crate::policy::model::{ArtifactKind, Policy, ProvenanceRules, SigningIdentity};
use crate::registry_client::{Client, Target, chain, client_for};

unit_gate! {
    /// Every artifact's Sigstore bundle (`<artifact><bundle-suffix>`) verifies offline against the
    /// policy's trust root with the identity `[signing]` derives from the tag:
    /// `signature-missing`, `signature-invalid`, `identity-mismatch`, `trigger-denied`.
    /// A missing or unreadable trust root, or no tag, is an error, never a pass.
    SignaturesValidGate = "signatures-valid", blocking signatures
}

unit_gate! {
    /// Every artifact of the covered kinds is a subject of a provenance statement that verifies
    /// offline, whose builder, source repository and ref match the policy and whose certificate
    /// agrees with its predicate: `subject-not-covered`, `provenance-invalid`, `trigger-denied`.
    ProvenanceValidGate = "provenance-valid", blocking provenance
}

fn signatures(ctx: &GateContext) -> Checked {
    let policy = &ctx.policy;
    let Some(rules) = &policy.signing else {
        return Err(GateResult::skipped("the policy has no [signing] section"));
    };
    let (tag, verifier) = tag_and_verifier(ctx, rules, "the signing identity depends on it")?;
    Ok(check_signatures(
        policy,
        &ctx.release_dir,
        rules,
        tag,
        &verifier,
    ))
}

fn provenance(ctx: &GateContext) -> Checked {
    let policy = &ctx.policy;
    let Some(rules) = &policy.provenance else {
        return Err(GateResult::skipped(
            "the policy has no [provenance] section",
        ));
    };
    let signing = policy.signing.as_ref().ok_or_else(|| {
        GateResult::error(
            "[provenance] needs [signing] for the trust root and the source repository",
        )
    })?;
    let (tag, verifier) = tag_and_verifier(ctx, signing, "the provenance ref depends on it")?;
    Ok(check_provenance(
        policy,
        &ctx.release_dir,
        rules,
        signing,
        tag,
        &verifier,
    ))
}

/// The run's tag (without one, an error: "no release tag: `why`") and the verifier of
/// `signing`'s trust root ([`load_verifier`]).
fn tag_and_verifier<'a>(
    ctx: &'a GateContext,
    signing: &SigningIdentity,
    why: &str,
) -> Result<(&'a String, Verifier), GateResult> {
    let Some(tag) = &ctx.tag else {
        return Err(GateResult::error(format!("no release tag: {why}")));
    };
    Ok((tag, load_verifier(&ctx.policy, &ctx.release_dir, signing)?))
}

/// The verifier's trust root for `policy` judging `release_dir`: the root `[signing]
/// trusted-root` names, resolved against the policy's folder (not the release folder), else the
/// Sigstore public-good root embedded in attest. A named root inside the release folder is
/// refused with a blocking `trust-root-in-release` finding naming it: whoever controls the
/// release folder must not choose the root that vouches for it. A root that cannot be read is
/// an error, never a pass.
pub(crate) fn load_verifier(
    policy: &Policy,
    release_dir: &Path,
    rules: &SigningIdentity,
) -> Result<Verifier, GateResult> {
    let Some(named) = &rules.trusted_root else {
        return TrustedRoot::public_good()
            .map(|r| rules.configure_verifier(Verifier::new(r)))
            .map_err(|e| GateResult::error(format!("cannot load the embedded trust root: {e}")));
    };
    let path = policy.base_dir.join(named);
    let unloadable = |e: attest::Error| {
        GateResult::error(format!(
            "cannot load the trust root {}: {e}",
            path.display()
        ))
    };
    match attest::refuse_trust_root_in_release(&path, release_dir) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::TrustRoot(TrustRootError::InRelease) => {
            return Err(GateResult::from_findings(vec![
                Finding::new(Code::TrustRootInRelease, named.clone())
                    .expected("a trust root the verifier holds, outside the release folder")
                    .found(e.detail().to_owned())
                    .hint(
                        "keep the trust root next to the policy (`[signing] trusted-root` is \
                         relative to the policy's folder) or leave it out for the Sigstore \
                         public-good root",
                    ),
            ]));
        }
        Err(e) => return Err(unloadable(e)),
    }
    TrustedRoot::verifier_root(Some(&path))
        .map(|r| rules.configure_verifier(Verifier::new(r)))
        .map_err(unloadable)
}

/// [`load_verifier`] for gates that collect findings across registries: `Ok(Err(findings))`
/// is a refused root (the blocking `trust-root-in-release` finding, reported as such, not as an
/// error); `Err` is a root that could not be loaded.
pub(crate) fn verifier_or_findings(
    policy: &Policy,
    release_dir: &Path,
    rules: &SigningIdentity,
) -> Result<Result<Verifier, Vec<Finding>>, String> {
    match load_verifier(policy, release_dir, rules) {
        Ok(v) => Ok(Ok(v)),
        Err(r) => match r.outcome {
            Outcome::Fail { findings } => Ok(Err(findings)),
            Outcome::Error { cause } => Err(cause),
            other => Err(other.name().to_owned()),
        },
    }
}

/// What a gate over the files registries serve gathers: its findings and its evidence rows.
#[derive(Default)]
pub(crate) struct Gathered {
    pub(crate) findings: Vec<Finding>,
    pub(crate) evidence: Vec<serde_json::Value>,
}

/// Verifies what each registry of `targets` serves against the `[signing]` trust root: loads
/// the verifier (a refused root is the result's findings, and no registry is asked) and the
/// release folder's artifacts, then runs `each(verifier, target, client, locals, gathered)` for
/// every registry in turn.
pub(crate) fn verify_served(
    ctx: &GateContext,
    signing: &SigningIdentity,
    (targets, http): (&[Target], &regclient::HttpClient),
    mut each: impl FnMut(
        &Verifier,
        &Target,
        Client,
        &[LocalArtifact],
        &mut Gathered,
    ) -> Result<(), String>,
) -> Result<(Vec<Finding>, Vec<serde_json::Value>), String> {
    let verifier = match verifier_or_findings(&ctx.policy, &ctx.release_dir, signing)? {
        Ok(v) => v,
        Err(refused) => return Ok((refused, Vec::new())),
    };
    let locals = local_artifacts(&ctx.policy, &ctx.release_dir).map_err(|e| chain(&e))?;
    let mut gathered = Gathered::default();
    for t in targets {
        each(&verifier, t, client_for(t, http)?, &locals, &mut gathered)?;
    }
    Ok((gathered.findings, gathered.evidence))
}

/// What the verifier's root is, for findings: the name `[signing] trusted-root` gives, or the
/// embedded public-good root.
fn root_name(rules: &SigningIdentity) -> String {
    rules
        .trusted_root
        .clone()
        .unwrap_or_else(|| String::from("the Sigstore public-good root"))
}

/// The release's products: every artifact but the verification material itself (Sigstore
/// bundles and provenance are checked, not signed again).
fn artifacts(policy: &Policy, dir: &Path) -> Result<Vec<LocalArtifact>, GateResult> {
    match local_artifacts(policy, dir) {
        Ok(all) => {
            let products: Vec<LocalArtifact> = all
                .into_iter()
                .filter(|a| !matches!(a.kind, ArtifactKind::Signature | ArtifactKind::Provenance))
                .collect();
            if products.is_empty() {
                Err(GateResult::error(
                    "no artifact in the release folder matches the policy's [[artifacts]] globs",
                ))
            } else {
                Ok(products)
            }
        }
        Err(e) => Err(GateResult::error(e.to_string())),
    }
}

pub(crate) fn read_artifact(dir: &Path, a: &LocalArtifact) -> Result<Artifact<'static>, String> {
    let file = std::fs::File::open(dir.join(&a.path)).map_err(|e| format!("cannot read: {e}"))?;
    Artifact::from_reader(file).map_err(|e| e.to_string())
}

/// [`read_artifact`], or `None` after a `code` finding that `a` could not be read.
fn readable(
    dir: &Path,
    a: &LocalArtifact,
    code: Code,
    findings: &mut Vec<Finding>,
) -> Option<Artifact<'static>> {
    match read_artifact(dir, a) {
        Ok(x) => Some(x),
        Err(e) => {
            findings.push(
                Finding::new(code, a.path.clone())
                    .expected("a readable artifact")
                    .found(e),
            );
            None
        }
    }
}

pub(crate) fn check_signatures(
    policy: &Policy,
    dir: &Path,
    rules: &SigningIdentity,
    tag: &str,
    verifier: &Verifier,
) -> GateResult {
    let arts = match artifacts(policy, dir) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let identity = rules.identity_for(tag);
    let id_policy = match rules.identity_policy(tag) {
        Ok(p) => AttestPolicy::Identity(p),
        Err(e) => return GateResult::error(format!("[signing]: {}", e.detail())),
    };
    let mut findings = Vec::new();
    if let Some(re) = &rules.identity_regex {
        findings.push(regex_is_weaker(re));
    }
    let mut verified = Vec::new();
    let mut read = Vec::new();
    for a in &arts {
        let bundle_name = format!("{}{}", a.path, rules.bundle_suffix);
        let bundle_path = dir.join(&bundle_name);
        if !bundle_path.is_file() {
            findings.push(
                Finding::new(Code::SignatureMissing, a.path.clone())
                    .expected(format!("a Sigstore bundle {bundle_name}"))
                    .found("no such file"),
            );
            continue;
        }
        let bundle = match Bundle::from_file(&bundle_path) {
            Ok(b) => b,
            Err(e) => {
                findings.push(
                    Finding::new(Code::SignatureInvalid, a.path.clone())
                        .expected(format!("a valid Sigstore bundle {bundle_name}"))
                        .found(e.to_string()),
                );
                continue;
            }
        };
        let Some(artifact) = readable(dir, a, Code::SignatureInvalid, &mut findings) else {
            continue;
        };
        read.push(a.path.clone());
        read.push(bundle_name.clone());
        match verifier.verify(&bundle, &artifact, &id_policy) {
            Ok(_) => verified.push(a.path.clone()),
            Err(e) => {
                let finding = e.to_finding(a.path.clone());
                let expected = match finding.code {
                    Code::IdentityMismatch => expected_signer(rules, &identity),
                    Code::TriggerDenied => format!(
                        "a trigger not in {:?} (allowed: {:?})",
                        rules.denied_triggers, rules.allowed_triggers
                    ),
                    _ => format!("{bundle_name} verifies against {}", root_name(rules)),
                };
                findings.push(finding.expected(expected));
            }
        }
    }
    GateResult::from_findings(findings)
        .with_evidence("identity", serde_json::Value::String(identity))
        .with_evidence("verified", serde_json::json!(verified))
        .reading(read)
}

/// The warning every `identity-regex` use carries: a pattern admits identities nobody listed.
fn regex_is_weaker(pattern: &str) -> Finding {
    Finding::new(Code::IdentityMismatch, "[signing] identity-regex")
        .severity(Severity::Warning)
        .expected("an exact certificate identity (workflow and ref)")
        .found(format!(
            "the regular expression {pattern:?}: weaker than an exact identity, it accepts every \
             identity it matches (other workflows, refs or repositories a loose pattern admits)"
        ))
        .hint(
            "prefer workflow and ref; if a pattern is needed, anchor each part and pin \
               [signing.extensions] (source-repository-uri, source-repository-ref)",
        )
}

/// What `identity-mismatch` expected: the identity or pattern, the issuer, the pins.
fn expected_signer(rules: &SigningIdentity, identity: &str) -> String {
    let mut s = match &rules.identity_regex {
        Some(_) => format!("signed by an identity matching {identity:?} (whole match)"),
        None => format!("signed by {identity}"),
    };
    s.push_str(&format!(" (issuer {})", rules.issuer));
    for (ext, value) in &rules.extensions {
        s.push_str(&format!(", {} = {value:?}", ext.kebab_name()));
    }
    if rules.require_github_hosted {
        s.push_str(", runner-environment = \"github-hosted\"");
    }
    s
}

/// The provenance policy `[provenance]` and `[signing]` give for `tag`, with the builder id
/// and source URI it expects.
pub(crate) fn provenance_policy(
    rules: &ProvenanceRules,
    signing: &SigningIdentity,
    tag: &str,
) -> (ProvenancePolicy, String, String) {
    let server = signing.server.trim_end_matches('/');
    let source_uri = format!("{server}/{}", signing.repository);
    let builder = rules
        .builder_id
        .as_ref()
        .map(|b| b.replace("{tag}", tag))
        .or_else(|| signing.exact_identity_for(tag));
    let mut pp = ProvenancePolicy::new(builder.clone().unwrap_or_default(), source_uri.clone());
    // Under identity-regex there is no exact identity to be the builder: attest refuses a
    // policy without a builder id (policy-invalid), which the finding reports.
    pp.builder_id = builder.clone();
    let builder = builder.unwrap_or_else(|| {
        String::from("(none: [provenance] builder-id is required with [signing] identity-regex)")
    });
    pp.source_ref = Some(RefPolicy::Tag(tag.to_owned()));
    pp.forbidden_triggers = signing.denied_triggers.clone();
    if !signing.allowed_triggers.is_empty() {
        pp.allowed_triggers = Some(signing.allowed_triggers.clone());
    }
    (pp, builder, source_uri)
}

/// The kinds a registry holds rather than the release folder (their provenance subjects are
/// registry digests, checked after publishing by `oci-platforms`).
fn registry_held(kind: ArtifactKind) -> bool {
    matches!(kind, ArtifactKind::OciImage | ArtifactKind::HelmChart)
}

/// The subject digests the statements of a provenance file claim (read, not verified).
fn claimed_subjects(bytes: &[u8]) -> Vec<Vec<artidigest::Digest>> {
    use base64::Engine as _;
    let mut out = Vec::new();
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        let payload = v
            .pointer("/dsseEnvelope/payload")
            .and_then(|p| p.as_str())
            .or_else(|| v.get("payload").and_then(|p| p.as_str()))
            .unwrap_or_default();
        let Ok(json) = base64::engine::general_purpose::STANDARD.decode(payload) else {
            continue;
        };
        if let Ok(st) = attest::Statement::from_json(&json) {
            out.extend(st.subjects.into_iter().map(|s| s.digests));
        }
    }
    out
}

/// Verifies the provenance files in `dir` (matching `[provenance] glob`) with `artifacts` as
/// the digests they must cover: `Ok(())` when one file verifies, else the most telling error.
pub(crate) fn provenance_covers(
    dir: &Path,
    rules: &ProvenanceRules,
    signing: &SigningIdentity,
    tag: &str,
    artifacts: &[Vec<artidigest::Digest>],
    verifier: &Verifier,
) -> Result<(), String> {
    let matcher = glob_matcher(&rules.glob).map_err(|e| e.to_string())?;
    let files: Vec<String> = list_files(dir)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|f| matcher.is_match(f))
        .collect();
    let (pp, _, _) = provenance_policy(rules, signing, tag);
    let mut last = format!("no provenance file matches {:?}", rules.glob);
    for f in &files {
        let bytes = std::fs::read(dir.join(f)).map_err(|e| format!("{f}: {e}"))?;
        match attest::verify_provenance(verifier, &bytes, artifacts, &pp) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("{f}: {}: {}", e.kind().code(), e.detail()),
        }
    }
    Err(last)
}

pub(crate) fn check_provenance(
    policy: &Policy,
    dir: &Path,
    rules: &ProvenanceRules,
    signing: &SigningIdentity,
    tag: &str,
    verifier: &Verifier,
) -> GateResult {
    let only_registry_held =
        !rules.cover.is_empty() && rules.cover.iter().all(|k| registry_held(*k));
    let arts: Vec<LocalArtifact> = match artifacts(policy, dir) {
        Ok(a) => a
            .into_iter()
            .filter(|a| rules.cover.is_empty() || rules.cover.contains(&a.kind))
            .collect(),
        // Images and charts only: the release folder may hold nothing but their provenance.
        Err(_) if only_registry_held => Vec::new(),
        Err(r) => return r,
    };
    let matcher = match glob_matcher(&rules.glob) {
        Ok(m) => m,
        Err(e) => return GateResult::error(format!("bad provenance glob {:?}: {e}", rules.glob)),
    };
    let files: Vec<String> = match list_files(dir) {
        Ok(f) => f.into_iter().filter(|f| matcher.is_match(f)).collect(),
        Err(e) => return GateResult::error(format!("cannot list {}: {e}", dir.display())),
    };
    if files.is_empty() {
        return GateResult::from_findings(vec![
            Finding::new(Code::ProvenanceInvalid, rules.glob.clone())
                .expected(format!("a provenance file matching {:?}", rules.glob))
                .found("none in the release folder"),
        ]);
    }
    let (pp, builder, source_uri) = provenance_policy(rules, signing, tag);

    if arts.is_empty() && only_registry_held {
        // Only images and charts: the release folder holds their provenance, the registry
        // holds them. Verify the provenance itself here (signature, identity, builder, source)
        // over the subjects it claims; `oci-platforms` checks the pushed digests are among them.
        let mut findings = Vec::new();
        let mut subjects = 0;
        for f in &files {
            let claimed = match std::fs::read(dir.join(f)) {
                Ok(b) => claimed_subjects(&b),
                Err(e) => return GateResult::error(format!("{f}: {e}")),
            };
            subjects += claimed.len();
            if claimed.is_empty() {
                findings.push(
                    Finding::new(Code::ProvenanceInvalid, f.clone())
                        .expected("statements with subjects")
                        .found("no subject"),
                );
            } else if let Err(e) = provenance_covers(dir, rules, signing, tag, &claimed, verifier) {
                findings.push(
                    Finding::new(Code::ProvenanceInvalid, f.clone())
                        .expected(format!(
                            "provenance by builder {builder} from {source_uri} at refs/tags/{tag}"
                        ))
                        .found(e),
                );
            }
        }
        return GateResult::from_findings(findings)
            .with_evidence("builder", serde_json::Value::String(builder))
            .with_evidence("registry-subjects", serde_json::json!(subjects))
            .reading(files);
    }
    let mut contents = Vec::new();
    let mut findings = Vec::new();
    for f in &files {
        match std::fs::read(dir.join(f)) {
            Ok(b) => contents.push((f.clone(), b)),
            Err(e) => findings.push(
                Finding::new(Code::ProvenanceInvalid, f.clone())
                    .expected("a readable provenance file")
                    .found(e.to_string()),
            ),
        }
    }
    let mut covered = Vec::new();
    for a in &arts {
        let Some(digests) =
            readable(dir, a, Code::ProvenanceInvalid, &mut findings).map(|x| x.digests())
        else {
            continue;
        };
        // The artifact is covered when one provenance file verifies with it as a subject; the
        // most telling failure (not a mere "not a subject") is reported otherwise.
        let mut worst: Option<attest::Error> = None;
        let mut ok = false;
        for (_, bytes) in &contents {
            match attest::verify_provenance(verifier, bytes, std::slice::from_ref(&digests), &pp) {
                Ok(_) => {
                    ok = true;
                    break;
                }
                Err(e) => {
                    let replace = match &worst {
                        None => true,
                        Some(w) => w.kind() == ErrorKind::Bundle(BundleError::ArtifactMismatch),
                    };
                    if replace {
                        worst = Some(e);
                    }
                }
            }
        }
        if ok {
            covered.push(a.path.clone());
            continue;
        }
        let Some(e) = worst else { continue };
        let finding = e.to_finding(a.path.clone());
        let expected = match finding.code {
            Code::SubjectNotCovered => format!("a subject of {}", files.join(", ")),
            Code::TriggerDenied => format!(
                "a build trigger not in {:?} (allowed: {:?})",
                signing.denied_triggers, signing.allowed_triggers
            ),
            _ => format!("provenance by builder {builder} from {source_uri} at refs/tags/{tag}"),
        };
        findings.push(finding.expected(expected));
    }
    GateResult::from_findings(findings)
        .with_evidence("builder", serde_json::Value::String(builder))
        .with_evidence("covered", serde_json::json!(covered))
        .reading(files)
}
