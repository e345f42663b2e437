//! The CI-native formats from the command line: `--format github` locates a lockstep mismatch
//! at its file, line and column, and `--format sarif` validates against the SARIF 2.1.0
//! schema with `%SRCROOT%`-relative locations, one rule per code and fingerprints.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::process::{Command, Output};

/// A project one release behind in Cargo.toml (1.2.2) while package.json says 1.2.3, checked
/// against the tag v1.2.3 in `format`.
fn versions_check(format: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    relkit_testkit::write_files(
        p,
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"x\"\nversion = \"1.2.2\"\nedition = \"2021\"\n",
            ),
            ("package.json", "{\"name\":\"x\",\"version\":\"1.2.3\"}\n"),
            (
                "relver.toml",
                "tag-prefixes = [\"v\"]\n[[source]]\npath = \"Cargo.toml\"\nkind = \"cargo\"\n[[source]]\npath = \"package.json\"\nkind = \"package-json\"\n",
            ),
        ],
    );
    Command::new(env!("CARGO_BIN_EXE_relkit"))
        .args(["versions", "check", "--tag", "v1.2.3", "--format", format])
        .arg(p)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

#[test]
fn github_format_annotates_the_mismatch_at_its_line() {
    let out = versions_check("github");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("::error file=Cargo.toml,"))
        .unwrap_or_else(|| panic!("no located annotation:\n{text}"));
    assert!(
        line.starts_with("::error file=Cargo.toml,line=3,col=11,title=version-mismatch"),
        "{line}"
    );
    assert!(!text.contains("file=package.json"), "{text}");
}

#[test]
fn sarif_format_validates_and_locates_under_srcroot() {
    let out = versions_check("sarif");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    relkit_testkit::sarif::assert_valid(&text);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let run = &doc["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"version-mismatch"), "{rules:?}");
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "version-mismatch")
        .unwrap();
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "Cargo.toml");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"]["startLine"], 3);
    let fingerprint = result["partialFingerprints"]["relkitFinding/v1"]
        .as_str()
        .unwrap();
    // Stable: a second run of the same check gives the same fingerprint.
    let again: serde_json::Value = serde_json::from_slice(&versions_check("sarif").stdout).unwrap();
    let second = again["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "version-mismatch")
        .unwrap()["partialFingerprints"]["relkitFinding/v1"]
        .clone();
    assert_eq!(second, fingerprint);
}
