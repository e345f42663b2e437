//! The source commits a SLSA provenance statement records, each with the JSON pointer it was
//! read at: what `relgate`'s `vcs-binding` compares with the release tag's commit.

use serde_json::Value;

use crate::intoto::Statement;

/// One source commit a statement records.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SourceCommit {
    /// Where in the statement it was read (a JSON pointer from the statement's root:
    /// `/predicate/buildDefinition/resolvedDependencies/0/digest/gitCommit`).
    pub pointer: String,
    /// The commit as written (not normalised: a short or upper-case value is the caller's to
    /// judge).
    pub commit: String,
}

/// SLSA provenance v1.
const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
/// SLSA provenance v0.2.
const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";

/// Every source commit the statement's SLSA predicate records: for v1, each
/// `buildDefinition.resolvedDependencies[].digest.gitCommit` (and `sha1` of a `git+` URI);
/// for v0.2, each `materials[].digest.sha1` (or `gitCommit`) and
/// `invocation.configSource.digest.sha1`. `None` when the predicate is not SLSA provenance (a
/// PEP 740 publish attestation records no commit in its statement); an empty list when it is
/// SLSA provenance that records none.
pub fn source_commits(st: &Statement) -> Option<Vec<SourceCommit>> {
    let p = &st.predicate;
    let mut out = Vec::new();
    match st.predicate_type.as_str() {
        SLSA_V1 => {
            collect(
                p.pointer("/buildDefinition/resolvedDependencies"),
                "/predicate/buildDefinition/resolvedDependencies",
                &mut out,
            );
        }
        SLSA_V02 => {
            collect(p.pointer("/materials"), "/predicate/materials", &mut out);
            if let Some(c) = p
                .pointer("/invocation/configSource/digest/sha1")
                .and_then(Value::as_str)
            {
                out.push(SourceCommit {
                    pointer: String::from("/predicate/invocation/configSource/digest/sha1"),
                    commit: c.to_owned(),
                });
            }
        }
        _ => return None,
    }
    Some(out)
}

/// The git commits of a list of resource descriptors (`resolvedDependencies`, `materials`).
fn collect(list: Option<&Value>, at: &str, out: &mut Vec<SourceCommit>) {
    let Some(items) = list.and_then(Value::as_array) else {
        return;
    };
    for (i, d) in items.iter().enumerate() {
        let git = d
            .get("uri")
            .and_then(Value::as_str)
            .is_some_and(|u| u.starts_with("git+"));
        for alg in ["gitCommit", "sha1"] {
            if alg == "sha1" && !git {
                continue;
            }
            if let Some(c) = d
                .get("digest")
                .and_then(|x| x.get(alg))
                .and_then(Value::as_str)
            {
                out.push(SourceCommit {
                    pointer: format!("{at}/{i}/digest/{alg}"),
                    commit: c.to_owned(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "0123456789abcdef0123456789abcdef01234567";

    fn statement(predicate_type: &str, predicate: Value) -> Statement {
        let v = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "a", "digest": {"sha256": "00".repeat(32)}}],
            "predicateType": predicate_type,
            "predicate": predicate,
        });
        Statement::from_json(&serde_json::to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn v1_reads_every_resolved_dependency_commit() {
        let st = statement(
            SLSA_V1,
            serde_json::json!({"buildDefinition": {"resolvedDependencies": [
                {"uri": "git+https://github.com/o/r@refs/tags/v1.0.0", "digest": {"gitCommit": C}},
                {"uri": "pkg:docker/builder", "digest": {"sha256": "ab"}},
                {"uri": "git+https://github.com/o/other", "digest": {"sha1": "feed"}},
            ]}, "runDetails": {"builder": {"id": "b"}}}),
        );
        assert_eq!(
            source_commits(&st).unwrap(),
            [
                SourceCommit {
                    pointer: "/predicate/buildDefinition/resolvedDependencies/0/digest/gitCommit"
                        .into(),
                    commit: C.into()
                },
                SourceCommit {
                    pointer: "/predicate/buildDefinition/resolvedDependencies/2/digest/sha1".into(),
                    commit: "feed".into()
                },
            ]
        );
    }

    #[test]
    fn v02_reads_materials_and_the_config_source() {
        let st = statement(
            SLSA_V02,
            serde_json::json!({
                "builder": {"id": "b"},
                "invocation": {"configSource": {"uri": "git+https://github.com/o/r@refs/tags/v1", "digest": {"sha1": C}}},
                "materials": [{"uri": "git+https://github.com/o/r@refs/tags/v1", "digest": {"sha1": C}}],
            }),
        );
        let got = source_commits(&st).unwrap();
        let pointers: Vec<&str> = got.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/predicate/materials/0/digest/sha1",
                "/predicate/invocation/configSource/digest/sha1"
            ]
        );
        assert!(got.iter().all(|c| c.commit == C));
    }

    #[test]
    fn a_publish_predicate_is_not_slsa_and_slsa_without_a_source_records_none() {
        let publish = statement("https://docs.example/attestations/publish/v1", Value::Null);
        assert_eq!(source_commits(&publish), None);
        let bare = statement(SLSA_V1, serde_json::json!({"buildDefinition": {}}));
        assert_eq!(source_commits(&bare), Some(Vec::new()));
    }
}
