//! The decision as an unsigned in-toto Statement v1 whose predicate is a SLSA Verification
//! Summary (`https://slsa.dev/verification_summary/v1`): which artifacts were verified, by
//! which relkit, against which policy, when, and whether they passed.
//!
//! The statement is not signed: sign it with the tool the pipeline signs with (for example
//! `cosign attest-blob --type https://slsa.dev/verification_summary/v1`) to make it an
//! attestation.

use std::collections::BTreeMap;

use artidigest::Digest;
use serde_json::{Map, Value, json};

use crate::json::Json;
use crate::ledger::{FileKind, Ledger};
use crate::report::model::{Report, RunStatus};
use crate::report::sarif::{GATES_DOC_URL, pretty_json, uri_encode};
use crate::report::scrubbed::scrubbed;

/// The statement type written: in-toto Statement v1.
pub const INTOTO_STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// The predicate type written: SLSA Verification Summary v1.
pub const VSA_PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";

/// The verifier's id (`predicate.verifier.id`): relkit's repository.
pub const VERIFIER_ID: &str = env!("CARGO_PKG_REPOSITORY");

/// The gate whose evidence `digests` maps each file that matched the checksum file to its
/// listed digest (`sha256:…`).
const CHECKSUM_GATE: &str = "checksum-file";
/// The gate whose evidence `rebuild.compared` maps each rebuilt artifact to the `sha256` of
/// the released file.
const REBUILD_GATE: &str = "rebuild-identity";

/// An in-toto digest set: algorithm name to lower-case hex.
type DigestSet = BTreeMap<String, String>;

/// Adds the digest `text` (`sha256:…`) of `name` to `known`; text that is no digest is
/// ignored.
fn learn(known: &mut BTreeMap<String, DigestSet>, name: &str, text: Option<&str>) {
    if let Some(d) = text.and_then(|t| t.parse::<Digest>().ok()) {
        known
            .entry(name.to_owned())
            .or_default()
            .insert(d.algorithm().name().to_owned(), d.to_hex());
    }
}

/// The digests of release-folder files the report knows: those the checksum file listed and
/// the files matched, and those `rebuild-identity` hashed.
fn known_digests(report: &Report) -> BTreeMap<String, DigestSet> {
    let mut known = BTreeMap::new();
    for g in &report.gates {
        let files = match g.id.as_str() {
            CHECKSUM_GATE => g.evidence.get("digests"),
            REBUILD_GATE => g.evidence.get("rebuild").and_then(|r| r.get("compared")),
            _ => None,
        };
        let Some(files) = files.and_then(Json::as_object) else {
            continue;
        };
        for (name, value) in files {
            let text = value
                .as_str()
                .or_else(|| value.get("sha256").and_then(Json::as_str));
            learn(&mut known, name, text);
        }
    }
    known
}

/// Whether a ledger file is an attestation (a Sigstore bundle or provenance) rather than a
/// release artifact.
fn is_attestation(kind: Option<FileKind>) -> bool {
    matches!(kind, Some(FileKind::SigstoreBundle | FileKind::Provenance))
}

/// A resource descriptor: `name` or `uri`, and the digests when known.
fn descriptor(key: &str, value: &str, digests: Option<&DigestSet>) -> Value {
    let mut d = Map::new();
    d.insert(key.into(), json!(value));
    if let Some(set) = digests.filter(|s| !s.is_empty()) {
        d.insert("digest".into(), json!(set));
    }
    Value::Object(d)
}

/// The subjects: the release artifacts whose digests the report knows (the ledger's regular
/// files but attestations, when there is a ledger; else every file with a known digest), then
/// the commit under release (`gitCommit`), named by the tag.
fn subjects(report: &Report, known: &BTreeMap<String, DigestSet>) -> Vec<Value> {
    let mut out: Vec<Value> = match &report.ledger {
        Some(Ledger { entries, .. }) => entries
            .iter()
            .filter(|e| e.kind.is_some() && !is_attestation(e.kind))
            .filter_map(|e| {
                known
                    .get(&e.path)
                    .map(|d| descriptor("name", &e.path, Some(d)))
            })
            .collect(),
        None => known
            .iter()
            .map(|(name, d)| descriptor("name", name, Some(d)))
            .collect(),
    };
    let commit = report
        .commit
        .as_deref()
        .or(report.inputs.tag.commit.as_deref());
    if let Some(c) = commit {
        let name = report.tag.as_deref().unwrap_or("_");
        out.push(json!({ "name": name, "digest": { "gitCommit": c } }));
    }
    out
}

/// The attestations verified: the ledger's Sigstore bundles and provenance files that a
/// passing check read, with their digests when known.
fn input_attestations(report: &Report, known: &BTreeMap<String, DigestSet>) -> Vec<Value> {
    let Some(ledger) = &report.ledger else {
        return Vec::new();
    };
    ledger
        .entries
        .iter()
        .filter(|e| is_attestation(e.kind) && e.checks.iter().any(|c| c.passed))
        .map(|e| descriptor("uri", &e.path, known.get(&e.path)))
        .collect()
}

/// The policy as a resource descriptor: its path and sha256 from the report's inputs; a
/// report that names no policy (a standalone check) points at relkit's documented checks.
fn policy(report: &Report) -> Value {
    let p = &report.inputs.policy;
    let digests: Option<DigestSet> = p
        .sha256
        .as_ref()
        .map(|h| BTreeMap::from([(String::from("sha256"), h.clone())]));
    let mut d = match (&p.path, &digests) {
        (Some(path), _) => descriptor("uri", path, digests.as_ref()),
        (None, Some(set)) => json!({ "digest": set }),
        (None, None) => descriptor("uri", GATES_DOC_URL, None),
    };
    if let (Some(note), Some(obj)) = (&p.note, d.as_object_mut()) {
        obj.insert("annotations".into(), json!({ "note": note }));
    }
    d
}

/// The resource the decision is about: the package URL `pkg:generic/<project>@<tag>` (no
/// version without a tag).
fn resource_uri(report: &Report) -> String {
    let mut uri = format!("pkg:generic/{}", uri_encode(&report.project, false));
    if let Some(t) = &report.tag {
        uri.push('@');
        uri.push_str(&uri_encode(t, false));
    }
    uri
}

/// The statement as JSON (see [`render_vsa`]).
pub(crate) fn vsa_statement(report: &Report) -> Value {
    // No secret relgate knows leaves in a rendering.
    let report = &scrubbed(report);
    let known = known_digests(report);
    let mut predicate = Map::new();
    predicate.insert(
        "verifier".into(),
        json!({
            "id": VERIFIER_ID,
            "version": { "relkit": report.inputs.producer.version },
        }),
    );
    if let Some(t) = report
        .inputs
        .finished
        .as_ref()
        .or(report.inputs.started.as_ref())
    {
        predicate.insert("timeVerified".into(), json!(t));
    }
    predicate.insert("resourceUri".into(), json!(resource_uri(report)));
    predicate.insert("policy".into(), policy(report));
    let attestations = input_attestations(report, &known);
    if !attestations.is_empty() {
        predicate.insert("inputAttestations".into(), Value::Array(attestations));
    }
    let result = if report.decision.status == RunStatus::Allowed {
        "PASSED"
    } else {
        "FAILED"
    };
    predicate.insert("verificationResult".into(), json!(result));
    // relkit checks a release against its policy; it does not rate SLSA tracks.
    predicate.insert("verifiedLevels".into(), json!([]));
    json!({
        "_type": INTOTO_STATEMENT_V1,
        "subject": subjects(report, &known),
        "predicateType": VSA_PREDICATE_TYPE,
        "predicate": Value::Object(predicate),
    })
}

/// An unsigned in-toto Statement v1 with a SLSA Verification Summary v1 predicate.
///
/// - `subject`: the release artifacts whose sha256 the report knows (the files that matched
///   the checksum file, the files `rebuild-identity` hashed; restricted to the ledger's
///   artifacts when there is a ledger), then the commit under release as `gitCommit`, named
///   by the tag. A report that knows neither has an empty subject list, which in-toto
///   consumers refuse.
/// - `predicate.verifier`: `id` relkit's repository, `version.relkit` the report's producer
///   version; `timeVerified` the run's end (absent when not recorded); `resourceUri`
///   `pkg:generic/<project>@<tag>`; `policy` the policy's path and sha256 from the report's
///   inputs; `inputAttestations` the bundles and provenance a passing check read;
///   `verificationResult` `PASSED` when the release is allowed, else `FAILED`;
///   `verifiedLevels` empty (relkit does not rate SLSA tracks).
pub fn render_vsa(report: &Report) -> String {
    pretty_json(&vsa_statement(report), VSA_PREDICATE_TYPE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::Phase;

    const A: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn subjects_come_from_the_checksum_and_rebuild_evidence() {
        let mut r = Report::of_check("p", CHECKSUM_GATE, Phase::Prepublish, Vec::new());
        let mut rebuild = r.gates.first().cloned().into_iter().collect::<Vec<_>>();
        if let Some(g) = rebuild.first_mut() {
            g.id = REBUILD_GATE.to_owned();
            g.evidence.insert(
                "rebuild".into(),
                Json::of(
                    &json!({"compared": {"b.whl": {"sha256": format!("sha256:{A}"), "identical": true}}}),
                ),
            );
        }
        if let Some(g) = r.gates.first_mut() {
            g.evidence.insert(
                "digests".into(),
                Json::of(&json!({"a.tar.gz": format!("sha256:{A}"), "bad": "not a digest"})),
            );
        }
        r.gates.extend(rebuild);
        let v = vsa_statement(&r);
        assert_eq!(
            v["subject"],
            json!([
                {"name": "a.tar.gz", "digest": {"sha256": A}},
                {"name": "b.whl", "digest": {"sha256": A}},
            ])
        );
        assert_eq!(v["predicate"]["verificationResult"], "PASSED");
        assert_eq!(v["predicate"]["resourceUri"], "pkg:generic/p");
        assert!(v["predicate"].get("timeVerified").is_none());
        assert!(v["predicate"].get("inputAttestations").is_none());
    }

    #[test]
    fn a_report_that_knows_no_digest_and_no_commit_has_no_subject() {
        let r = Report::could_not_run("p", "boom");
        let v = vsa_statement(&r);
        assert_eq!(v["subject"], json!([]));
        assert_eq!(v["predicate"]["verificationResult"], "FAILED");
        assert_eq!(v["predicate"]["policy"]["uri"], GATES_DOC_URL);
    }
}
