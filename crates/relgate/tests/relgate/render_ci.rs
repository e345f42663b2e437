//! CI-native renderings of real runs: SARIF 2.1.0 validated against the committed OASIS
//! schema, stable fingerprints, GitHub annotations at the finding's line, and the SLSA
//! Verification Summary parsed back as an in-toto statement.

use std::path::Path;

use crate::support::write_release_toml;
use relgate::report::{
    FINGERPRINT_KEY, INTOTO_STATEMENT_V1, SRCROOT, VSA_PREDICATE_TYPE, help_uri,
};
use relgate::{Code, Format, Policy, Report, RunContext, RunStatus};
use serde_json::Value;

/// Two version sources behind the tag `v1.4.0`: `Cargo.toml` and `pyproject.toml`.
const LOCKSTEP_POLICY: &str = r#"schema-version = 1
[project]
name = "app"

[tag]
pattern = "v{version}"

[versions]
tree = "."

[versions.inline]
[[versions.inline.source]]
path = "Cargo.toml"
kind = "cargo"

[[versions.inline.source]]
path = "pyproject.toml"
kind = "pyproject"
"#;

/// A source tree whose manifests are one release behind, and its policy.
fn lockstep_tree() -> (tempfile::TempDir, Policy) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"1.3.9\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"app\"\nversion = \"1.3.9\"\n",
    )
    .unwrap();
    let path = write_release_toml(dir.path(), LOCKSTEP_POLICY);
    let policy = Policy::load(&path).unwrap();
    (dir, policy)
}

async fn lockstep_report(dir: &Path, policy: &Policy) -> Report {
    let r = relgate::run(policy, RunContext::new(dir).tag("v1.4.0")).await;
    assert_eq!(r.decision.status, RunStatus::Blocked, "{r:#?}");
    r
}

fn sarif_of(r: &Report) -> Value {
    serde_json::from_str(&Format::Sarif.render(r, false)).unwrap()
}

/// Validates `doc` against the committed SARIF 2.1.0 schema with Python's `jsonschema`.
fn validate_with_jsonschema(doc: &Value) {
    relkit_testkit::sarif::assert_valid(&serde_json::to_string_pretty(doc).unwrap());
}

#[tokio::test]
async fn sarif_of_located_relver_findings_validates_against_the_schema() {
    let (dir, policy) = lockstep_tree();
    let r = lockstep_report(dir.path(), &policy).await;
    let sarif = sarif_of(&r);
    validate_with_jsonschema(&sarif);
    // A report with every kind of gate end, a waiver and text that needs escaping validates
    // too; the waived finding is reported, suppressed with the waiver's reason.
    let mixed = sarif_of(&crate::reports::mixed_report().await);
    validate_with_jsonschema(&mixed);
    let waived: Vec<&Value> = mixed["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x.get("suppressions").is_some())
        .collect();
    assert_eq!(waived.len(), 1, "{mixed:#}");
    assert_eq!(waived[0]["ruleId"], "gate-error");
    assert_eq!(waived[0]["suppressions"][0]["kind"], "external");
    assert_eq!(
        waived[0]["suppressions"][0]["justification"],
        "versions checked by the old script, tracked in #12"
    );

    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 1);
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "relkit");
    assert_eq!(driver["version"], r.inputs.producer.version.as_str());
    // One rule per code that occurs, documented at its anchor, with the code's default level.
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["version-mismatch"], "{rules:#?}");
    assert_eq!(rules[0]["helpUri"], help_uri(Code::VersionMismatch));
    assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
    assert_eq!(
        rules[0]["shortDescription"]["text"],
        Code::VersionMismatch.description()
    );
    assert!(run["originalUriBaseIds"].get(SRCROOT).is_some());

    let results = run["results"].as_array().unwrap();
    let at = |file: &str| {
        results
            .iter()
            .find(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == file)
            .unwrap_or_else(|| panic!("no result at {file}: {results:#?}"))
    };
    let cargo = at("Cargo.toml");
    assert_eq!(cargo["ruleId"], "version-mismatch");
    assert_eq!(cargo["ruleIndex"], 0);
    assert_eq!(cargo["level"], "error");
    let loc = &cargo["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uriBaseId"],
        "%SRCROOT%"
    );
    assert_eq!(loc["physicalLocation"]["region"]["startLine"], 3);
    assert_eq!(loc["physicalLocation"]["region"]["startColumn"], 11);
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "package.version"
    );
    let text = cargo["message"]["text"].as_str().unwrap();
    assert!(text.contains("expected 1.4.0, found 1.3.9"), "{text}");
    assert!(cargo.get("suppressions").is_none());
    assert_eq!(cargo["properties"]["gate"], "versions-lockstep");
    assert_eq!(at("pyproject.toml")["properties"]["expected"], "1.4.0");
    assert_eq!(run["invocations"][0]["exitCode"], 1);
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

fn fingerprints(sarif: &Value) -> Vec<String> {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let f = r["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap();
            assert_eq!(f.len(), 64, "{f}");
            f.to_owned()
        })
        .collect()
}

#[tokio::test]
async fn fingerprints_are_stable_across_runs_and_differ_between_findings() {
    let (dir, policy) = lockstep_tree();
    let first = fingerprints(&sarif_of(&lockstep_report(dir.path(), &policy).await));
    // A second run, with timings and times of its own, and the file edited around the line.
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "# the app\n\n[package]\nname = \"app\"\nversion = \"1.3.9\"\nedition = \"2021\"\n",
    )
    .unwrap();
    let second_report = lockstep_report(dir.path(), &policy).await;
    let second_sarif = sarif_of(&second_report);
    assert_eq!(
        second_sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        5,
        "the finding moved"
    );
    let second = fingerprints(&second_sarif);
    assert_eq!(first.len(), 2);
    assert_eq!(first, second);
    assert_ne!(first[0], first[1]);
    // Every finding of a larger report has its own fingerprint.
    let mixed = fingerprints(&sarif_of(&crate::reports::mixed_report().await));
    let unique: std::collections::BTreeSet<&String> = mixed.iter().collect();
    assert_eq!(unique.len(), mixed.len(), "{mixed:?}");
}

#[tokio::test]
async fn a_lockstep_mismatch_is_annotated_at_its_line() {
    let (dir, policy) = lockstep_tree();
    let r = lockstep_report(dir.path(), &policy).await;
    let text = Format::Github.render(&r, false);
    assert!(
        text.lines().any(|l| l.starts_with(
            "::error file=Cargo.toml,line=3,col=11,title=version-mismatch (versions-lockstep)::"
        )),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("::error file=pyproject.toml,line=3,col=11,")),
        "{text}"
    );
}

#[test]
fn annotation_properties_and_data_are_escaped() {
    let f = relgate::Finding::new(Code::VersionMismatch, "50% done\r\nnext")
        .at(relgate::Location::file("dir,a/b:c%.toml").line_col(2, 1));
    let r = Report::of_check("p", "odd,gate", relgate::Phase::Preflight, vec![f]);
    let text = Format::Github.render(&r, false);
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "::error file=dir%2Ca/b%3Ac%25.toml,line=2,col=1,title=version-mismatch (odd%2Cgate)::version-mismatch: dir,a/b:c%25.toml:2:1: 50%25 done%0D%0Anext"
    );
}

#[test]
fn every_help_uri_has_its_anchor_in_docs_gates_md() {
    let docs = std::fs::read_to_string(crate::support::repo_root().join("docs/gates.md")).unwrap();
    for c in Code::ALL {
        let uri = help_uri(*c);
        let anchor = uri.rsplit_once('#').unwrap().1;
        assert!(
            docs.contains(&format!("<a id=\"{anchor}\"></a>`{c}`")),
            "docs/gates.md has no anchor {anchor} before `{c}`"
        );
    }
}

/// A release folder with two files and their checksum file, and a policy that checks it.
fn checked_release() -> (tempfile::TempDir, Policy) {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    std::fs::write(dist.join("app-1.4.0.txt"), b"app").unwrap();
    std::fs::write(dist.join("notes.txt"), b"notes").unwrap();
    let sums = format!(
        "{}  app-1.4.0.txt\n{}  notes.txt\n",
        sha256_hex(b"app"),
        sha256_hex(b"notes")
    );
    std::fs::write(dist.join("SHA256SUMS"), sums).unwrap();
    let path = write_release_toml(
        dir.path(),
        "schema-version = 1\n[project]\nname = \"app\"\n[checksums]\nfile = \"SHA256SUMS\"\n[[files.allow]]\nglob = \"SHA256SUMS\"\nreason = \"the checksum file vouches for itself by being read\"\n",
    );
    let policy = Policy::load(&path).unwrap();
    (dir, policy)
}

fn sha256_hex(bytes: &[u8]) -> String {
    artidigest::Digest::of(artidigest::Algorithm::Sha256, bytes).to_hex()
}

#[test]
fn the_vsa_is_an_in_toto_statement_of_the_decision() {
    let (dir, policy) = checked_release();
    let ctx = RunContext::new(dir.path().join("dist"))
        .tag("v1.4.0")
        .options(
            relgate::RunOptions::default()
                .phases(vec![relgate::Phase::Preflight, relgate::Phase::Prepublish]),
        );
    let r = relgate::run_blocking(&policy, ctx);
    assert_eq!(r.decision.status, RunStatus::Allowed, "{r:#?}");
    let text = Format::Vsa.render(&r, false);
    let statement = attest::Statement::from_json(text.as_bytes()).unwrap();
    assert_eq!(statement.statement_type, INTOTO_STATEMENT_V1);
    assert_eq!(statement.predicate_type, VSA_PREDICATE_TYPE);
    // The artifacts by sha256, as the checksum file listed and the gate matched them.
    let subjects: Vec<(String, String)> = statement
        .subjects
        .iter()
        .map(|s| (s.name.clone(), s.digests[0].to_hex()))
        .collect();
    assert_eq!(
        subjects,
        [
            ("app-1.4.0.txt".to_owned(), sha256_hex(b"app")),
            ("notes.txt".to_owned(), sha256_hex(b"notes")),
        ]
    );
    let p: serde_json::Value = statement.predicate_as().unwrap();
    assert_eq!(p["verificationResult"], "PASSED");
    assert_eq!(
        p["verifier"]["version"]["relkit"],
        r.inputs.producer.version.as_str()
    );
    assert_eq!(p["resourceUri"], "pkg:generic/app@v1.4.0");
    assert_eq!(p["verifiedLevels"], serde_json::json!([]));
    assert_eq!(
        p["policy"]["uri"],
        dir.path()
            .join("release.toml")
            .display()
            .to_string()
            .as_str()
    );
    assert_eq!(
        p["policy"]["digest"]["sha256"],
        r.inputs.policy.sha256.as_deref().unwrap()
    );
    assert_eq!(p["timeVerified"], r.inputs.finished.as_deref().unwrap());

    // A blocked release: FAILED, and the commit under release is a subject.
    std::fs::write(dir.path().join("dist/notes.txt"), b"changed").unwrap();
    let ctx = RunContext::new(dir.path().join("dist"))
        .tag("v1.4.0")
        .commit("0123456789abcdef0123456789abcdef01234567");
    let r = relgate::run_blocking(&policy, ctx);
    assert_eq!(r.decision.status, RunStatus::Blocked, "{r:#?}");
    let v: Value = serde_json::from_str(&Format::Vsa.render(&r, false)).unwrap();
    attest::Statement::from_json(Format::Vsa.render(&r, false).as_bytes()).unwrap();
    assert_eq!(v["predicate"]["verificationResult"], "FAILED");
    let subjects = v["subject"].as_array().unwrap();
    assert_eq!(
        subjects.len(),
        2,
        "only the file that matched, and the commit: {v:#}"
    );
    assert_eq!(subjects[0]["name"], "app-1.4.0.txt");
    assert_eq!(
        subjects[1],
        serde_json::json!({"name": "v1.4.0", "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}})
    );
}
