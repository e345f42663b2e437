//! in-toto Statements (v0.1 and v1) and their subjects.

use std::collections::BTreeMap;

use artidigest::{Algorithm, Digest};
use serde_json::Value;

use crate::error::{Error, ProvenanceError, err};
use crate::limits::{Limits, check_limit};

/// The in-toto payload type.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// One statement subject: a name and its digests (algorithms `attest` can compare).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Subject {
    /// The subject name.
    pub name: String,
    /// Digests in algorithms relkit knows (sha256, sha512, ...).
    #[serde(serialize_with = "ser_digests")]
    pub digests: Vec<Digest>,
}

fn ser_digests<S: serde::Serializer>(d: &[Digest], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(d.iter().map(ToString::to_string))
}

/// A parsed in-toto statement.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Statement {
    /// `_type` (`https://in-toto.io/Statement/v0.1` or `/v1`).
    pub statement_type: String,
    /// `predicateType`.
    pub predicate_type: String,
    /// The subjects.
    pub subjects: Vec<Subject>,
    /// The predicate, read through [`predicate_as`](Self::predicate_as) or
    /// [`predicate_json`](Self::predicate_json).
    pub(crate) predicate: Value,
}

fn bad(detail: impl Into<String>) -> Error {
    err(ProvenanceError::StatementMalformed, detail)
}

impl Statement {
    /// The predicate read into the caller's type (any `serde::Deserialize` type: a struct of
    /// the fields the caller needs, or a JSON document type of its choice).
    pub fn predicate_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&self.predicate)
            .map_err(|e| bad(format!("predicate {}: {e}", self.predicate_type)).with_source(e))
    }

    /// The predicate as compact JSON text.
    #[must_use]
    pub fn predicate_json(&self) -> String {
        self.predicate.to_string()
    }

    /// Parse a statement from JSON with default limits.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_json_with_limits(bytes, &Limits::default())
    }

    /// Parse a statement from JSON.
    pub fn from_json_with_limits(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        check_limit(bytes.len(), limits.max_bundle_bytes, |n, _| {
            format!("statement is {n} bytes")
        })?;
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("statement is not JSON: {e}")).with_source(e))?;
        let statement_type = v
            .get("_type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !matches!(
            statement_type.as_str(),
            "https://in-toto.io/Statement/v0.1" | "https://in-toto.io/Statement/v1"
        ) {
            return Err(bad(format!(
                "unsupported statement _type {statement_type:?}"
            )));
        }
        let predicate_type = v
            .get("predicateType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let raw_subjects = v
            .get("subject")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("statement has no subject list"))?;
        if raw_subjects.is_empty() {
            return Err(bad("statement has no subjects"));
        }
        check_limit(raw_subjects.len(), limits.max_subjects, |n, l| {
            format!("{n} subjects; limit {l}")
        })?;
        let mut subjects = Vec::new();
        let mut by_name: BTreeMap<&str, Vec<Digest>> = BTreeMap::new();
        for (i, s) in raw_subjects.iter().enumerate() {
            let name = s.get("name").and_then(Value::as_str).unwrap_or_default();
            let map = s
                .get("digest")
                .and_then(Value::as_object)
                .ok_or_else(|| bad(format!("subject[{i}] has no digest map")))?;
            let mut digests = Vec::new();
            for (alg, hex_value) in map {
                let Ok(a) = alg.parse::<Algorithm>() else {
                    continue;
                };
                if !matches!(a, Algorithm::Sha256 | Algorithm::Sha512) {
                    continue;
                }
                let text = hex_value
                    .as_str()
                    .ok_or_else(|| bad(format!("subject[{i}].digest.{alg} is not a string")))?;
                digests.push(
                    Digest::from_hex(a, text).map_err(|e| {
                        bad(format!("subject[{i}].digest.{alg}: {e}")).with_source(e)
                    })?,
                );
            }
            let prior = by_name.entry(name).or_default();
            for d in &digests {
                if prior
                    .iter()
                    .any(|p| p.algorithm() == d.algorithm() && p != d)
                {
                    return Err(err(
                        ProvenanceError::SubjectConflict,
                        format!(
                            "subject {name:?} is listed with conflicting {} digests",
                            d.algorithm()
                        ),
                    ));
                }
            }
            prior.extend(digests.iter().copied());
            subjects.push(Subject {
                name: name.to_owned(),
                digests,
            });
        }
        Ok(Statement {
            statement_type,
            predicate_type,
            subjects,
            predicate: v.get("predicate").cloned().unwrap_or(Value::Null),
        })
    }

    /// The subjects whose digests include one of `digests` (compared per algorithm).
    pub fn subjects_covering<'s>(&'s self, digests: &[Digest]) -> Vec<&'s Subject> {
        self.subjects
            .iter()
            .filter(|s| s.digests.iter().any(|d| digests.contains(d)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::test_support::assert_refused;

    const A: &str = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
    const B: &str = "b0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";

    #[test]
    fn subjects_and_conflicts() {
        let ok = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","predicateType":"p","subject":[{{"name":"a","digest":{{"sha256":"{A}","gitCommit":"x"}}}}],"predicate":{{}}}}"#
        );
        let s = Statement::from_json(ok.as_bytes()).unwrap();
        let d = Digest::from_hex(Algorithm::Sha256, A).unwrap();
        assert_eq!(s.subjects_covering(&[d]).len(), 1);
        let conflict = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a","digest":{{"sha256":"{A}"}}}},{{"name":"a","digest":{{"sha256":"{B}"}}}}]}}"#
        );
        assert_refused(
            Statement::from_json(conflict.as_bytes()),
            ErrorKind::Provenance(ProvenanceError::SubjectConflict),
        );
        let wrong = r#"{"_type":"https://example/Statement/v9","subject":[]}"#;
        assert_refused(
            Statement::from_json(wrong.as_bytes()),
            ErrorKind::Provenance(ProvenanceError::StatementMalformed),
        );
    }
}
