//! The runbook policies in examples/policies/ parse and require the gates their runbooks list;
//! gates nobody implements yet block as gate-unknown (fail closed).
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};

use relgate::{GateStatus, Phase, Policy, RunContext, RunOptions, gates::standard_gate};

const PROJECTS: [&str; 5] = [
    "sketchlog",
    "advisoryhub",
    "securescan",
    "gateway",
    "ordvec",
];

fn policy_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(format!("{name}.toml"))
}

fn load(name: &str) -> Policy {
    Policy::load(&policy_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn required(name: &str) -> Vec<String> {
    let mut ids: Vec<String> = load(name)
        .required_gates()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

#[test]
fn each_runbook_policy_requires_the_gates_of_its_runbook() {
    let expect: [(&str, &[&str]); 5] = [
        (
            "sketchlog",
            &[
                "tag-strict-semver",
                "versions-lockstep",
                "coupled-tags",
                "tag-not-existing",
                "changelog-section",
                "version-unpublished",
                "publisher-identity",
                "ci-green",
                "required-assets-present",
                "checksum-file",
                "archive-safety",
                "container-scan",
                "signatures-valid",
                "provenance-valid",
                "sbom-valid",
                "registry-readback",
                "registry-visible",
                "oci-platforms",
                "npm-provenance",
                "vcs-binding",
                "consumer-verify",
                "clean-env-smoke",
                "workflow-hygiene",
            ],
        ),
        (
            "advisoryhub",
            &[
                "tag-strict-semver",
                "versions-lockstep",
                "required-assets-present",
                "checksum-file",
                "signatures-valid",
                "provenance-valid",
                "sbom-valid",
                "registry-readback",
                "registry-visible",
                "oci-platforms",
                "oci-tags",
                "consumer-verify",
                "docs-published",
                "workflow-hygiene",
            ],
        ),
        (
            "securescan",
            &[
                "tag-strict-semver",
                "versions-lockstep",
                "changelog-section",
                "required-assets-present",
                "signatures-valid",
                "registry-readback",
                "oci-platforms",
                "oci-tags",
                "release-notes",
                "consumer-verify",
                "workflow-hygiene",
            ],
        ),
        (
            "gateway",
            &[
                "tag-strict-semver",
                "versions-lockstep",
                "changelog-section",
                "tag-not-existing",
                "ci-green",
                "conventional-version",
                "conventional-commits",
                "contract-artifacts-current",
                "provenance-valid",
                "registry-readback",
                "oci-platforms",
                "oci-tags",
                "forge-release-exists",
                "workflow-hygiene",
            ],
        ),
        (
            "ordvec",
            &[
                "tag-strict-semver",
                "versions-lockstep",
                "changelog-section",
                "ci-green",
                "environment-protection",
                "required-assets-present",
                "rebuild-identity",
                "signatures-valid",
                "provenance-valid",
                "version-unpublished",
                "registry-readback",
                "publish-order",
                "pep740-attestations",
                "workflow-hygiene",
                "vcs-binding",
            ],
        ),
    ];
    for (name, ids) in expect {
        assert_eq!(required(name), sorted(ids), "{name}");
    }
}

#[test]
fn runbook_specifics_are_in_the_policies() {
    let sketchlog = load("sketchlog");
    assert_eq!(
        sketchlog.tag.as_ref().unwrap().coupled,
        ["clients/go/v{version}"]
    );
    let securescan = load("securescan");
    let s = securescan.signing.as_ref().unwrap();
    assert!(!s.trigger_allowed("workflow_dispatch"));
    assert_eq!(
        s.identity_for("v0.11.12"),
        "https://github.com/example/securescan/.github/workflows/release.yml@refs/tags/v0.11.12"
    );
    let ordvec = load("ordvec");
    assert_eq!(ordvec.ci.as_ref().unwrap().workflows.len(), 6);
    // The manifest crate only after the core crate; readback after the order check.
    assert_eq!(ordvec.registries["manifest-crate"].after, ["core-crate"]);
    assert_eq!(ordvec.gates["registry-readback"].after, ["publish-order"]);
    assert!(ordvec.registries.values().all(|r| r.recovery));
    assert_eq!(securescan.registries["image"].forbidden_tags, ["latest"]);
    let lock = ordvec.versions.as_ref().unwrap().resolved.as_ref().unwrap();
    assert!(lock.sources.iter().any(|s| s.path == "fuzz/Cargo.lock"));
    let gateway = load("gateway");
    let platforms: Vec<&Vec<String>> = gateway.registries.values().map(|r| &r.platforms).collect();
    assert!(platforms.contains(&&vec![String::from("linux/amd64")]));
    assert!(platforms.contains(&&vec![
        String::from("linux/amd64"),
        String::from("linux/arm64")
    ]));
    let advisoryhub = load("advisoryhub");
    let cfg = advisoryhub
        .versions
        .as_ref()
        .unwrap()
        .resolved
        .as_ref()
        .unwrap();
    assert_eq!(cfg.sources.len(), 4);
}

/// A gate id outside the standard catalogue must say its phase (so a typo of a standard id
/// cannot slip in), and every gate nobody implements blocks as unknown, never passes.
#[test]
fn unimplemented_gates_block_as_unknown() {
    for name in PROJECTS {
        let policy = load(name);
        for (id, rule) in policy.required_gates() {
            assert!(
                standard_gate(&id).is_some() || rule.phase.is_some(),
                "{name}: gate {id} is neither standard nor given a phase"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let report = relgate::run_blocking(
            &policy,
            RunContext::new(dir.path())
                .tag("v1.0.0")
                .source_dir(dir.path())
                .options(RunOptions::default().phases([Phase::Postpublish, Phase::Consume])),
        );
        let commands: Vec<String> = policy
            .gates
            .iter()
            .filter(|(_, r)| r.command.is_some())
            .map(|(id, _)| id.clone())
            .collect();
        for g in &report.gates {
            // Gates over an evidence provider have no provider in this run: they must error.
            if [
                "ci-green",
                "forge-release-exists",
                "release-notes",
                "environment-protection",
            ]
            .contains(&g.id.as_str())
            {
                assert_eq!(g.status, GateStatus::Error, "{name}: {}", g.id);
                continue;
            }
            let implemented =
                relgate::gates::builtin_gate(&g.id).is_some() || commands.contains(&g.id);
            if !implemented {
                // Unknown itself, or skipped because a gate it runs after did not pass.
                let blocked = g.status == GateStatus::Unknown
                    || (g.status == GateStatus::Skipped && !g.caused_by.is_empty());
                assert!(blocked, "{name}: {} is {:?}", g.id, g.status);
            }
        }
        assert_ne!(report.exit_code(), 0, "{name}");
    }
}

/// The shipped policies declare the schema version they are written for, so their reports
/// carry no `policy-unversioned` notice (ordvec.toml is updated by its owner).
#[test]
fn shipped_policies_declare_their_schema_version() {
    for name in PROJECTS.into_iter().filter(|n| *n != "ordvec") {
        let policy = load(name);
        assert_eq!(
            policy.schema_version,
            Some(relgate::policy::SCHEMA_VERSION),
            "{name}"
        );
        assert!(policy.notices().is_empty(), "{name}");
    }
}

/// Every text between a pair of backticks in `cell`.
fn backticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// docs/runbooks.md maps every step of the five runbooks to its gate: in each project's step
/// table, the Gate column starts with the id of a gate of the gate table that the project's
/// policy requires (every other gate id it names is required too), or says `not checkable:`
/// and why.
#[test]
fn every_runbook_step_in_the_docs_names_a_gate_of_the_table_or_why_not() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/runbooks.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut project: Option<&str> = None;
    let mut rows = std::collections::BTreeMap::<&str, usize>::new();
    for (n, line) in text.lines().enumerate() {
        let at = format!("docs/runbooks.md:{}", n + 1);
        if let Some(heading) = line.strip_prefix("## ") {
            project = PROJECTS
                .into_iter()
                .find(|p| heading.contains(&format!("(`{p}.toml`)")));
            continue;
        }
        let Some(name) = project else { continue };
        if !line.starts_with('|') || line.starts_with("| ---") || line.starts_with("| Runbook step")
        {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 4, "{at}: a step row has four cells: {line}");
        *rows.entry(name).or_default() += 1;
        let gate = cells[1];
        if let Some(why) = gate.strip_prefix("not checkable:") {
            assert!(
                why.trim().len() >= 20,
                "{at}: say why it is not checkable: {line}"
            );
            continue;
        }
        let named = backticked(gate);
        let first = named.first().copied().unwrap_or("");
        assert!(
            standard_gate(first).is_some(),
            "{at}: the Gate column must start with a gate id of the gate table (or say `not checkable:`), found {gate:?}"
        );
        let required = required(name);
        for id in named.into_iter().filter(|id| standard_gate(id).is_some()) {
            assert!(
                required.iter().any(|r| r == id),
                "{at}: {name}.toml does not require `{id}`, which the row names"
            );
        }
    }
    for name in PROJECTS {
        assert!(
            rows.get(name).copied().unwrap_or(0) >= 8,
            "{name}: {rows:?}"
        );
    }
}
