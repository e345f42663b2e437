//! The SLSA v1 statement of a GitHub release run, consistent with the certificate attest's test
//! stack issues for that run.

use artidigest::{Algorithm, digest_bytes};
use serde_json::{Value, json};

/// A SLSA v1 in-toto statement for `repo`'s `release.yml` run at `git_ref`
/// (`refs/tags/v1.2.3`), triggered by `trigger` (`push`), naming `subjects` (in-toto subject
/// objects). The source commit is derived from `repo@git_ref`, so the same inputs give the same
/// statement.
pub fn slsa_statement(repo: &str, git_ref: &str, trigger: &str, subjects: Vec<Value>) -> Value {
    let sha = digest_bytes(format!("{repo}@{git_ref}").as_bytes(), &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .map(|d| d.to_hex()[..40].to_owned())
        .unwrap_or_default();
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"ref": git_ref, "repository": format!("https://github.com/{repo}"), "path": ".github/workflows/release.yml"}},
                "internalParameters": {"github": {"event_name": trigger}},
                "resolvedDependencies": [{"uri": format!("git+https://github.com/{repo}@{git_ref}"), "digest": {"gitCommit": sha}}],
            },
            "runDetails": {"builder": {"id": format!("https://github.com/{repo}/.github/workflows/release.yml@{git_ref}")}},
        },
    })
}

/// An in-toto subject naming `name` by the sha256 of `bytes`.
pub fn sha256_subject(name: &str, bytes: &[u8]) -> Value {
    let hex = digest_bytes(bytes, &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .map(|d| d.to_hex())
        .unwrap_or_default();
    json!({"name": name, "digest": {"sha256": hex}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_names_the_run_and_its_subjects() {
        let s = slsa_statement(
            "owner/repo",
            "refs/tags/v1.2.3",
            "push",
            vec![sha256_subject("a.whl", b"a")],
        );
        assert_eq!(
            s["subject"][0]["digest"]["sha256"],
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
        );
        let def = &s["predicate"]["buildDefinition"];
        assert_eq!(
            def["externalParameters"]["workflow"]["ref"],
            "refs/tags/v1.2.3"
        );
        assert_eq!(def["internalParameters"]["github"]["event_name"], "push");
        assert_eq!(
            def["resolvedDependencies"][0]["digest"]["gitCommit"]
                .as_str()
                .map(str::len),
            Some(40)
        );
    }
}
