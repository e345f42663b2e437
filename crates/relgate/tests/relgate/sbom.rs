//! `sbom-valid` through `relgate::run`: an SBOM in the release folder implies the gate, and
//! the folder is ALLOWED only when the gate read the SBOM and passed.

use std::path::{Path, PathBuf};

use artidigest::{Algorithm, Digest};
use relgate::{Code, GateStatus, Policy, RunContext, RunStatus};

const TGZ: &str = "sketchlog-client-3.0.2.tgz";

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sbom")
}

/// A release folder: the packed tarball, `sbom` (a fixture) as `sketchlog-client-3.0.2.cdx.json`
/// and a SHA256SUMS listing both.
fn release(sbom: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut sums = String::new();
    for (from, to) in [
        (data().join("release").join(TGZ), TGZ),
        (data().join(sbom), "sketchlog-client-3.0.2.cdx.json"),
    ] {
        let bytes = std::fs::read(from).unwrap();
        std::fs::write(dir.path().join(to), &bytes).unwrap();
        sums.push_str(&format!(
            "{}  {to}\n",
            Digest::of(Algorithm::Sha256, &bytes).to_hex()
        ));
    }
    std::fs::write(dir.path().join("SHA256SUMS"), sums).unwrap();
    dir
}

/// No `[sbom]` section: the SBOM in the folder implies the gate.
const POLICY: &str = "schema-version = 1\n[project]\nname = \"sketchlog-client\"\n[checksums]\nfile = \"SHA256SUMS\"\n";

async fn run(dir: &Path, toml: &str) -> relgate::Report {
    let policy = Policy::from_toml_str(toml, "release.toml").unwrap();
    relgate::run(&policy, RunContext::new(dir).tag("v3.0.2")).await
}

/// The ledger's coverage status of `path` in `r`'s JSON report, and the checks that read it.
fn coverage(r: &relgate::Report, path: &str) -> (String, Vec<String>) {
    let json: serde_json::Value =
        serde_json::from_str(&relgate::Format::Json.render(r, false)).unwrap();
    let e = json["ledger"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .unwrap()
        .clone();
    let checks = e["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["gate"].as_str().unwrap(), c["passed"]))
        .collect();
    (
        e["kind"].as_str().unwrap().to_owned() + " " + e["coverage"]["status"].as_str().unwrap(),
        checks,
    )
}

#[tokio::test]
async fn an_sbom_in_the_folder_is_read_by_sbom_valid_and_covered_when_it_passes() {
    let dir = release("npm-client-release.cdx.json");
    let r = run(dir.path(), POLICY).await;
    assert_eq!(r.gate("sbom-valid").unwrap().status, GateStatus::Pass);
    assert_eq!(
        r.decision.status,
        RunStatus::Allowed,
        "{:?}",
        r.root_cause_codes()
    );
    let (status, checks) = coverage(&r, "sketchlog-client-3.0.2.cdx.json");
    assert_eq!(status, "sbom covered");
    assert_eq!(checks, ["checksum-file true", "sbom-valid true"]);
    // What planned it: the file's kind.
    let policy = Policy::from_toml_str(POLICY, "release.toml").unwrap();
    let plan = relgate::explain(&policy, &RunContext::new(dir.path()).tag("v3.0.2"));
    let plan = serde_json::to_value(&plan).unwrap();
    let row = plan["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "sbom-valid")
        .unwrap()
        .clone();
    assert_eq!(row["reasons"][0]["by"], "files", "{row}");
}

#[tokio::test]
async fn a_failing_sbom_blocks_and_a_checksum_match_does_not_cover_it() {
    let dir = release("tampered-wrong-hash.cdx.json");
    let r = run(dir.path(), POLICY).await;
    assert_eq!(r.gate("checksum-file").unwrap().status, GateStatus::Pass);
    assert_eq!(r.decision.status, RunStatus::Blocked);
    assert_eq!(r.root_cause_codes(), [Code::SbomHashMismatch]);
    let (status, checks) = coverage(&r, "sketchlog-client-3.0.2.cdx.json");
    assert_eq!(status, "sbom unchecked");
    assert_eq!(checks, ["checksum-file true", "sbom-valid false"]);

    // With [sbom] naming the component and version of another release.
    let dir = release("npm-client-release.cdx.json");
    let toml = format!("{POLICY}[sbom]\ncomponent = \"sketchlog-client\"\n");
    let policy = Policy::from_toml_str(&toml, "release.toml").unwrap();
    let r = relgate::run(&policy, RunContext::new(dir.path()).tag("v3.0.3")).await;
    assert_eq!(r.root_cause_codes(), [Code::SbomComponentMismatch]);
    let f = &r.gate("sbom-valid").unwrap().findings[0].finding;
    assert_eq!(f.key_path(), Some("/metadata/component/version"));
    assert_eq!(f.expected.as_deref(), Some("3.0.3"));
    assert_eq!(f.found.as_deref(), Some("3.0.2"));
}

#[test]
fn the_sbom_section_is_checked_at_load() {
    for (section, key) in [
        ("[sbom]\nfiles = []\n", "sbom.files"),
        ("[sbom]\nfiles = [\"a[\"]\n", "sbom.files"),
        ("[sbom]\nformats = []\n", "sbom.formats"),
        ("[sbom]\nformats = [\"swid\"]\n", "sbom.formats"),
        ("[sbom]\ncomponent = \" \"\n", "sbom.component"),
        ("[sbom]\nfile = \"x\"\n", "sbom.file"),
    ] {
        let e = Policy::from_toml_str(&format!("{POLICY}{section}"), "release.toml").unwrap_err();
        assert!(e.to_string().contains(key), "{section}: {e}");
    }
    let p = Policy::from_toml_str(
        &format!("{POLICY}[sbom]\nformats = [\"spdx\"]\n"),
        "release.toml",
    )
    .unwrap();
    assert!(p.required_gates().iter().any(|(id, _)| id == "sbom-valid"));
}
