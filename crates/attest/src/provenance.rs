//! SLSA provenance (v0.2 and v1 predicates) in Sigstore bundles and `.intoto.jsonl` files,
//! with certificate <-> provenance consistency.

use std::collections::BTreeMap;

use artidigest::Digest;
use serde_json::Value;

use crate::bundle::Bundle;
use crate::error::{
    BundleError, Error, IdentityError, InputError, PolicyError, ProvenanceError, err,
};
use crate::extensions::{ExtensionValues, FulcioExtension};
use crate::intoto::Statement;
use crate::limits::check_limit;
use crate::policy::{GITHUB_ACTIONS_ISSUER, IdentityPolicy, check_trigger};
use crate::verify::{Artifact, Policy, SignerEvidence, Verification, Verifier};

/// One line of an `.intoto.jsonl` file.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum ProvenanceItem {
    /// A Sigstore bundle (verifiable offline).
    Bundle(Box<Bundle>),
    /// A bare DSSE envelope with the certificate inside the signature and no log evidence.
    LegacyDsse {
        /// 1-based line number.
        line: usize,
    },
}

/// Parse an `.intoto.jsonl` file: one bundle or legacy envelope per non-empty line.
pub fn parse_intoto_jsonl(bytes: &[u8], verifier: &Verifier) -> Result<Vec<ProvenanceItem>, Error> {
    let limits = verifier.limits();
    check_limit(
        bytes.len(),
        limits.max_bundle_bytes.saturating_mul(4),
        |n, _| format!(".intoto.jsonl is {n} bytes"),
    )?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| err(BundleError::Malformed, ".intoto.jsonl is not UTF-8"))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if out.len() >= limits.max_jsonl_lines {
            return Err(err(
                InputError::LimitExceeded,
                format!(
                    "more than {} entries in .intoto.jsonl",
                    limits.max_jsonl_lines
                ),
            ));
        }
        let v: Value = serde_json::from_str(line).map_err(|e| {
            err(BundleError::Malformed, format!("line {}: not JSON", i + 1)).with_source(e)
        })?;
        if v.get("mediaType").is_some() {
            out.push(ProvenanceItem::Bundle(Box::new(
                Bundle::from_json_with_limits(line.as_bytes(), limits)
                    .map_err(|e| Error::new(e.kind(), format!("line {}: {}", i + 1, e.detail())))?,
            )));
        } else if v.get("payloadType").is_some() && v.get("signatures").is_some() {
            out.push(ProvenanceItem::LegacyDsse { line: i + 1 });
        } else {
            return Err(err(
                BundleError::Malformed,
                format!("line {}: neither a bundle nor a DSSE envelope", i + 1),
            ));
        }
    }
    if out.is_empty() {
        return Err(err(
            BundleError::Malformed,
            ".intoto.jsonl holds no entries",
        ));
    }
    Ok(out)
}

/// Which source ref the provenance must come from.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefPolicy {
    /// Any ref.
    Any,
    /// Exactly `refs/tags/<tag>`.
    Tag(String),
    /// A tag semver-compatible with this one: each component given must match
    /// (`v14.0` accepts `v14`, `v13` accepts `v13.0.30`).
    VersionedTag(String),
    /// Exactly `refs/heads/<branch>`.
    Branch(String),
}

/// A provenance policy modelled on slsa-verifier's flags.
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct ProvenancePolicy {
    /// Trusted builder id (without `@ref` it accepts any ref of that workflow). Required.
    pub builder_id: Option<String>,
    /// Expected source repository, e.g. `github.com/owner/repo` (exact).
    pub source_uri: String,
    /// Expected source ref.
    pub source_ref: Option<RefPolicy>,
    /// Build triggers refused (checked in the certificate and in the predicate).
    pub forbidden_triggers: Vec<String>,
    /// Build triggers accepted, when set: every trigger the certificate or the predicate
    /// records must be one of them, and a provenance that records none is refused.
    pub allowed_triggers: Option<Vec<String>>,
    /// Workflow inputs that must be recorded with these values.
    pub inputs: BTreeMap<String, String>,
}

impl ProvenancePolicy {
    /// A policy for `builder_id` building from `source_uri`.
    pub fn new(builder_id: impl Into<String>, source_uri: impl Into<String>) -> Self {
        ProvenancePolicy {
            builder_id: Some(builder_id.into()),
            source_uri: source_uri.into(),
            ..Default::default()
        }
    }
}

/// Facts read from a SLSA predicate.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub struct ProvenanceFacts {
    /// Predicate type.
    pub predicate_type: String,
    /// Builder id (with ref).
    pub builder_id: String,
    /// Source repository URI (`https://github.com/o/r`).
    pub source_repository: Option<String>,
    /// Source ref (`refs/tags/v1`).
    pub source_ref: Option<String>,
    /// Source commit.
    pub source_digest: Option<String>,
    /// Trigger (`push`, `workflow_dispatch`, ...).
    pub trigger: Option<String>,
    /// Workflow inputs.
    pub inputs: BTreeMap<String, String>,
}

fn s(v: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(v, |acc, k| acc.get(*k))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Split `git+https://host/o/r@refs/x` into (`https://host/o/r`, `refs/x`).
fn split_git_uri(uri: &str) -> (String, Option<String>) {
    let u = uri.strip_prefix("git+").unwrap_or(uri);
    match u.split_once('@') {
        Some((repo, r)) => (repo.to_owned(), Some(r.to_owned())),
        None => (u.to_owned(), None),
    }
}

fn inputs_of(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Read the facts of a SLSA v0.2 or v1 predicate.
pub fn provenance_facts(st: &Statement) -> Result<ProvenanceFacts, Error> {
    let p = &st.predicate;
    let mut f = ProvenanceFacts {
        predicate_type: st.predicate_type.clone(),
        ..Default::default()
    };
    match st.predicate_type.as_str() {
        "https://slsa.dev/provenance/v0.2" => {
            f.builder_id = s(p, &["builder", "id"]).unwrap_or_default();
            if let Some(uri) = s(p, &["invocation", "configSource", "uri"]) {
                let (repo, r) = split_git_uri(&uri);
                f.source_repository = Some(repo);
                f.source_ref = r;
            }
            f.source_digest = s(p, &["invocation", "configSource", "digest", "sha1"]);
            f.trigger = s(p, &["invocation", "environment", "github_event_name"]);
            f.inputs = inputs_of(
                p.pointer("/invocation/parameters/inputs")
                    .or_else(|| p.pointer("/invocation/environment/github_event_payload/inputs")),
            );
        }
        "https://slsa.dev/provenance/v1" => {
            f.builder_id = s(p, &["runDetails", "builder", "id"]).unwrap_or_default();
            let ext = p.pointer("/buildDefinition/externalParameters/workflow");
            f.source_repository = ext.and_then(|w| s(w, &["repository"]));
            f.source_ref = ext.and_then(|w| s(w, &["ref"]));
            let dep = p.pointer("/buildDefinition/resolvedDependencies/0");
            if let Some(d) = dep {
                if f.source_repository.is_none()
                    && let Some(uri) = s(d, &["uri"])
                {
                    let (repo, r) = split_git_uri(&uri);
                    f.source_repository = Some(repo);
                    f.source_ref = f.source_ref.clone().or(r);
                }
                f.source_digest =
                    s(d, &["digest", "gitCommit"]).or_else(|| s(d, &["digest", "sha1"]));
            }
            f.trigger = s(
                p,
                &[
                    "buildDefinition",
                    "internalParameters",
                    "github",
                    "event_name",
                ],
            );
            f.inputs = inputs_of(p.pointer("/buildDefinition/externalParameters/inputs"));
        }
        other => {
            return Err(err(
                ProvenanceError::StatementMalformed,
                format!("predicate type {other:?} is not SLSA provenance v0.2 or v1"),
            ));
        }
    }
    if f.builder_id.is_empty() {
        return Err(err(
            ProvenanceError::StatementMalformed,
            "the predicate names no builder id",
        ));
    }
    Ok(f)
}

fn cert_mismatch(what: &str, cert: &str, pred: &str) -> Error {
    err(
        ProvenanceError::CertificateMismatch,
        format!("{what}: the certificate says {cert:?} but the provenance says {pred:?}"),
    )
}

/// `kind` for `what`, found as `found` where the policy expects `expected`.
fn policy_expects(
    kind: ProvenanceError,
    what: impl std::fmt::Display,
    found: impl std::fmt::Debug,
    expected: impl std::fmt::Debug,
) -> Error {
    err(
        kind,
        format!("{what} is {found:?}; policy expects {expected:?}"),
    )
}

/// The signer identity must be the predicate's builder, and repository, ref, commit and trigger
/// in the certificate must equal those in the predicate.
pub(crate) fn check_consistency(
    sans: &[String],
    exts: &ExtensionValues,
    f: &ProvenanceFacts,
) -> Result<(), Error> {
    if !sans.contains(&f.builder_id) {
        return Err(cert_mismatch(
            "signer vs builder id",
            &sans.join(", "),
            &f.builder_id,
        ));
    }
    let cert_repo = exts
        .get(&FulcioExtension::SourceRepositoryUri)
        .cloned()
        .or_else(|| {
            exts.get(&FulcioExtension::GithubWorkflowRepositoryV1)
                .map(|r| format!("https://github.com/{r}"))
        });
    let cert_ref = exts
        .get(&FulcioExtension::SourceRepositoryRef)
        .or_else(|| exts.get(&FulcioExtension::GithubWorkflowRefV1))
        .map(String::as_str);
    let cert_digest = exts
        .get(&FulcioExtension::SourceRepositoryDigest)
        .or_else(|| exts.get(&FulcioExtension::GithubWorkflowShaV1))
        .map(String::as_str);
    let cert_trigger = exts
        .get(&FulcioExtension::BuildTrigger)
        .or_else(|| exts.get(&FulcioExtension::GithubWorkflowTriggerV1))
        .map(String::as_str);
    let pairs = [
        (
            "source repository",
            cert_repo.as_deref(),
            f.source_repository.as_deref(),
            true,
        ),
        ("source ref", cert_ref, f.source_ref.as_deref(), true),
        (
            "source commit",
            cert_digest,
            f.source_digest.as_deref(),
            false,
        ),
        ("build trigger", cert_trigger, f.trigger.as_deref(), false),
    ];
    for (what, c, p, required) in pairs {
        match (c, p) {
            (Some(c), Some(p)) if c != p => return Err(cert_mismatch(what, c, p)),
            (None, _) | (_, None) if required => {
                return Err(err(
                    ProvenanceError::CertificateMismatch,
                    format!("{what} is missing from the certificate or the provenance"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn version_parts(t: &str) -> Option<Vec<u64>> {
    let core = t.strip_prefix('v').unwrap_or(t);
    let core = core.split(['-', '+']).next().unwrap_or(core);
    let parts: Option<Vec<u64>> = core
        .split('.')
        .map(|p| if p.is_empty() { None } else { p.parse().ok() })
        .collect();
    parts.filter(|p| !p.is_empty() && p.len() <= 3)
}

/// slsa-verifier's `--source-versioned-tag` rule.
fn versioned_tag_matches(expected: &str, built: &str) -> bool {
    match (version_parts(expected), version_parts(built)) {
        (Some(e), Some(b)) => e
            .iter()
            .enumerate()
            .all(|(i, x)| b.get(i).copied().unwrap_or(0) == *x),
        _ => false,
    }
}

/// The result of a provenance verification.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ProvenanceVerification {
    /// The bundle verification (signature, log, timestamps, certificate).
    pub bundle: Verification,
    /// The predicate facts.
    pub facts: ProvenanceFacts,
    /// Subject names covering the given artifacts.
    pub covered_subjects: Vec<String>,
}

/// Verify SLSA provenance: every bundle in the file verifies offline (legacy DSSE without log
/// evidence is refused), the certificate and predicate agree, the policy holds, and every
/// artifact digest is covered by a subject of one statement.
pub fn verify_provenance(
    verifier: &Verifier,
    provenance: &[u8],
    artifacts: &[Vec<Digest>],
    policy: &ProvenancePolicy,
) -> Result<Vec<ProvenanceVerification>, Error> {
    let items = parse_intoto_jsonl(provenance, verifier)?;
    if let Some(ProvenanceItem::LegacyDsse { line }) = items
        .iter()
        .find(|i| matches!(i, ProvenanceItem::LegacyDsse { .. }))
    {
        return Err(err(
            ProvenanceError::LegacyDsseNeedsOnlineLog,
            format!(
                "line {line}: a bare DSSE envelope without transparency-log evidence needs an online log search; refused offline"
            ),
        ));
    }
    let builder = policy
        .builder_id
        .as_deref()
        .ok_or_else(|| err(PolicyError::Invalid, "a trusted builder id is required"))?;
    if artifacts.is_empty() {
        return Err(err(
            BundleError::ArtifactMismatch,
            "no artifact given to check against the provenance subjects",
        ));
    }
    let mut results = Vec::new();
    let mut covered = vec![false; artifacts.len()];
    for item in &items {
        let bundle = match item {
            ProvenanceItem::LegacyDsse { line } => {
                return Err(err(
                    ProvenanceError::LegacyDsseNeedsOnlineLog,
                    format!("line {line}: legacy DSSE"),
                ));
            }
            ProvenanceItem::Bundle(b) => b,
        };
        // Which artifact does this bundle cover? Verify against the first one it covers.
        let st = match &bundle.content {
            crate::bundle::Content::Dsse(env) => {
                Statement::from_json_with_limits(&env.payload, verifier.limits())?
            }
            _ => {
                return Err(err(
                    ProvenanceError::StatementMalformed,
                    "provenance bundle holds no DSSE envelope",
                ));
            }
        };
        let Some(first) = artifacts
            .iter()
            .find(|a| !st.subjects_covering(a).is_empty())
        else {
            return Err(err(
                BundleError::ArtifactMismatch,
                "no given artifact is among the statement's subjects",
            ));
        };
        let id = IdentityPolicy::any_identity(GITHUB_ACTIONS_ISSUER);
        let v = verifier.verify(
            bundle,
            &Artifact::Digests(first.clone()),
            &Policy::Identity(id),
        )?;
        let facts = provenance_facts(&st)?;
        let SignerEvidence::Certificate { sans, .. } = &v.signer else {
            return Err(err(
                BundleError::KeyNotExpected,
                "provenance must be signed keylessly",
            ));
        };
        let exts = v.signer.extension_values();
        check_consistency(sans, &exts, &facts)?;
        // Builder id.
        let trusted = match builder.split_once('@') {
            Some(_) => facts.builder_id == builder,
            None => facts
                .builder_id
                .split_once('@')
                .is_some_and(|(w, _)| w == builder),
        };
        if !trusted {
            return Err(err(
                ProvenanceError::BuilderUntrusted,
                format!(
                    "builder {:?} is not the trusted {builder:?}",
                    facts.builder_id
                ),
            ));
        }
        // Source repository (exact, scheme-less comparison).
        let repo = facts.source_repository.clone().unwrap_or_default();
        let bare = repo.strip_prefix("https://").unwrap_or(&repo);
        let want = policy
            .source_uri
            .strip_prefix("https://")
            .unwrap_or(&policy.source_uri);
        if bare != want {
            return Err(policy_expects(
                ProvenanceError::SourceMismatch,
                "source repository",
                &repo,
                &policy.source_uri,
            ));
        }
        // Ref.
        let r = facts.source_ref.clone().unwrap_or_default();
        let ok = match &policy.source_ref {
            None | Some(RefPolicy::Any) => true,
            Some(RefPolicy::Tag(t)) => r == format!("refs/tags/{t}"),
            Some(RefPolicy::Branch(b)) => r == format!("refs/heads/{b}"),
            Some(RefPolicy::VersionedTag(t)) => r
                .strip_prefix("refs/tags/")
                .is_some_and(|built| versioned_tag_matches(t, built)),
        };
        if !ok {
            return Err(policy_expects(
                ProvenanceError::RefMismatch,
                "source ref",
                &r,
                &policy.source_ref,
            ));
        }
        // Triggers, certificate and predicate.
        let triggers: Vec<&str> = [
            facts.trigger.as_deref(),
            exts.get(&FulcioExtension::BuildTrigger).map(String::as_str),
            exts.get(&FulcioExtension::GithubWorkflowTriggerV1)
                .map(String::as_str),
        ]
        .into_iter()
        .flatten()
        .collect();
        for t in &triggers {
            check_trigger(
                t,
                (&policy.forbidden_triggers, "is forbidden"),
                (
                    policy.allowed_triggers.as_deref(),
                    "is not one of the allowed",
                ),
            )?;
        }
        if let Some(allowed) = &policy.allowed_triggers
            && triggers.is_empty()
        {
            return Err(err(
                IdentityError::TriggerNotAllowed,
                format!(
                    "neither the certificate nor the predicate records a build trigger; the policy allows only {allowed:?}"
                ),
            ));
        }
        for (k, want) in &policy.inputs {
            if facts.inputs.get(k) != Some(want) {
                return Err(policy_expects(
                    ProvenanceError::InputMismatch,
                    format!("workflow input {k:?}"),
                    facts.inputs.get(k),
                    want,
                ));
            }
        }
        let mut names = Vec::new();
        for (a, is_covered) in artifacts.iter().zip(covered.iter_mut()) {
            for sub in st.subjects_covering(a) {
                *is_covered = true;
                names.push(sub.name.clone());
            }
        }
        results.push(ProvenanceVerification {
            bundle: v,
            facts,
            covered_subjects: names,
        });
    }
    if let Some(i) = covered.iter().position(|c| !c) {
        return Err(err(
            BundleError::ArtifactMismatch,
            format!("artifact #{i} is not covered by any provenance subject"),
        ));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_tags_follow_slsa_verifier() {
        assert!(versioned_tag_matches("v14.0", "v14"));
        assert!(versioned_tag_matches("v13", "v13.0.30"));
        assert!(versioned_tag_matches("v1.5.0", "v1.5.0"));
        assert!(!versioned_tag_matches("v15", "v14"));
        assert!(!versioned_tag_matches("v13.1", "v13.0.30"));
        assert!(!versioned_tag_matches("v1", "main"));
    }

    #[test]
    fn git_uris_split() {
        assert_eq!(
            split_git_uri("git+https://github.com/o/r@refs/tags/v1"),
            (
                "https://github.com/o/r".to_owned(),
                Some("refs/tags/v1".to_owned())
            )
        );
    }
}
