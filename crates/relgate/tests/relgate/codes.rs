//! The code registry: unique, kebab-case, snapshotted, documented.

use std::collections::BTreeSet;

use relgate::{Code, gates::STANDARD_GATES, policy::is_kebab};

use crate::support::{assert_snapshot, repo_root};

#[test]
fn codes_are_unique_kebab_case_and_described() {
    let mut seen = BTreeSet::new();
    for c in Code::ALL {
        assert!(is_kebab(c.as_str()), "{} is not kebab-case", c.as_str());
        assert!(seen.insert(c.as_str()), "{} is listed twice", c.as_str());
        let d = c.description();
        assert!(!d.is_empty() && !d.contains('\n'), "{c}: one line please");
    }
    for required in [
        "version-mismatch",
        "tag-not-strict-semver",
        "changelog-section-missing",
        "tag-already-exists",
        "coupled-tag-mismatch",
        "digest-mismatch",
        "checksum-missing",
        "checksum-unlisted",
        "checksum-file-invalid",
        "archive-unsafe",
        "record-mismatch",
        "not-reproducible",
        "signature-invalid",
        "identity-mismatch",
        "trigger-denied",
        "subject-not-covered",
        "provenance-invalid",
        "registry-bytes-differ",
        "version-already-published",
        "not-visible",
        "platform-missing",
        "signature-missing",
        "asset-missing",
        "ci-not-green",
        "gate-error",
        "gate-timeout",
        "gate-unknown",
        "gate-skipped",
        "policy-invalid",
    ] {
        assert!(seen.contains(required), "missing code {required}");
    }
}

#[test]
fn code_list_snapshot() {
    let mut text = String::new();
    for c in Code::ALL {
        text.push_str(&format!("{}\t{}\t{}\n", c, c.severity(), c.description()));
    }
    assert_snapshot("codes.tsv", &text);
}

#[test]
fn gate_ids_are_unique_kebab_case_and_their_codes_registered() {
    let mut seen = BTreeSet::new();
    for g in STANDARD_GATES {
        assert!(is_kebab(g.id), "{}", g.id);
        assert!(seen.insert(g.id), "{} twice", g.id);
        assert!(!g.codes.is_empty(), "{} reports no code", g.id);
    }
    // Phase order.
    assert!(STANDARD_GATES.windows(2).all(|w| w[0].phase <= w[1].phase));
}

#[test]
fn docs_gates_md_documents_every_code_and_gate() {
    let path = repo_root().join("docs/gates.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    for c in Code::ALL {
        assert!(
            doc.contains(&format!("`{c}`")),
            "docs/gates.md does not document `{c}`"
        );
    }
    for g in STANDARD_GATES {
        assert!(
            doc.contains(&format!("`{}`", g.id)),
            "docs/gates.md does not list gate `{}`",
            g.id
        );
    }
}
