//! A waiver keyed on a code behaves the same in every gate (issue 14). One release — a wheel
//! and an npm tarball — whose bundles, npm provenance and PEP 740 provenance were all signed by
//! a `workflow_dispatch` run of its release workflow, checked by a policy that denies that
//! trigger: `signatures-valid`, `pep740-attestations` and `npm-provenance` each fail with
//! `trigger-denied` and nothing else; one `[[waivers]]` entry keyed on that code, naming no gate,
//! is honoured by all three; a waiver of another code covers none of them.

use std::path::{Path, PathBuf};

use relgate::{Code, Format, GateStatus, Phase, Policy, Report, RunStatus};
use relkit_demo::DemoKind;

use crate::setup::*;

const TAG: &str = "v1.0.0";
const VERSION: &str = "1.0.0";
const PACKAGE: &str = "waivekit";

/// The release workflow run that signed everything: started by hand.
const MANUAL: Release<'static> = Release {
    repository: "example/waivekit",
    tag: TAG,
    trigger: "workflow_dispatch",
};

/// The gates that verify with attest and report a denied trigger, with the phase each runs
/// in and how many findings the release gives it (one per bundle: wheel and tarball; one per
/// published file with provenance).
const SIGNING_GATES: [(&str, Phase, usize); 3] = [
    ("signatures-valid", Phase::Prepublish, 2),
    ("pep740-attestations", Phase::Postpublish, 1),
    ("npm-provenance", Phase::Postpublish, 1),
];

const WAIVER_REASON: &str = "the 1.0.0 release was re-run by hand after a runner outage (#14)";

/// The project's policy: the release workflow may not be started by hand; `waivers` is
/// appended as written (TOML `[[waivers]]` entries).
fn policy_text(waivers: &str) -> String {
    format!(
        r#"schema-version = 1

[project]
name = "{PACKAGE}"
repository = "example/waivekit"

[tag]
pattern = "v{{version}}"

[[artifacts]]
glob = "*.whl"
kind = "wheel"

[[artifacts]]
glob = "*.tgz"
kind = "npm-tarball"

[signing]
server = "https://github.com"
repository = "example/waivekit"
workflow = ".github/workflows/release.yml"
issuer = "https://token.actions.githubusercontent.com"
denied-triggers = ["workflow_dispatch"]
trusted-root = "trusted_root.json"

[provenance]
glob = "*.intoto.jsonl"
predicate-type = "https://slsa.dev/provenance/v1"
cover = ["wheel", "npm-tarball"]

[registries.python]
kind = "pypi"
package = "{PACKAGE}"
artifacts = ["wheel"]

[registries.npm]
kind = "npm"
package = "{PACKAGE}"
artifacts = ["npm-tarball"]

[gates.pep740-attestations]

[gates.npm-provenance]
{waivers}"#
    )
}

/// The release, built, signed by [`MANUAL`] and published with its provenance: the replica
/// folder (the policy's folder, holding the trust root) and its release folder `dist/`, and
/// the registries serving it.
fn manual_release() -> (tempfile::TempDir, PathBuf, Loopback) {
    let dir = tempfile::tempdir().unwrap();
    let dist = dist_of(dir.path());
    let mut release = relkit_demo::DemoRelease::default();
    release.name = PACKAGE.to_owned();
    release.version = VERSION.to_owned();
    let mut files = Vec::new();
    for (name, bytes) in release.artifacts().unwrap() {
        if name.ends_with(".whl") || name.ends_with(".tgz") {
            std::fs::write(dist.join(&name), &bytes).unwrap();
            files.push((name, bytes));
        }
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // The SLSA provenance file is the workflow's own (a `push` run of the tag): it verifies,
    // so every `trigger-denied` below comes from the bundles and the registries' provenance.
    sign_release(&dist, MANUAL, &names, &names, "waivekit.intoto.jsonl", &[]);
    let lb = Loopback::for_policy(&load_policy(dir.path(), "")).unwrap();
    for (name, bytes) in files {
        if name.ends_with(".whl") {
            publish_pep740_as(&lb, MANUAL, (PACKAGE, VERSION), &name, &bytes);
            lb.demo
                .publish(DemoKind::Pypi, PACKAGE, VERSION, &name, bytes);
        } else {
            publish_npm_provenance_as(&lb, MANUAL, PACKAGE, VERSION, &bytes);
            lb.demo
                .publish(DemoKind::Npm, PACKAGE, VERSION, &name, bytes);
        }
    }
    (dir, dist, lb)
}

/// The policy with `waivers`, written to `dir/release.toml` and loaded as relgate loads it.
fn load_policy(dir: &Path, waivers: &str) -> Policy {
    let path = dir.join("release.toml");
    std::fs::write(&path, policy_text(waivers)).unwrap();
    Policy::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// A `[[waivers]]` entry keyed on `code` alone (no gate, no file), with `more` keys.
fn waiver_of(code: &str, reason: &str, more: &str) -> String {
    format!("\n[[waivers]]\ncode = \"{code}\"\nreason = \"{reason}\"\n{more}")
}

/// The prepublish and postpublish reports of the published release under `waivers`.
fn check(dir: &Path, dist: &Path, lb: &Loopback, waivers: &str) -> [Report; 2] {
    let policy = load_policy(dir, waivers);
    [Phase::Prepublish, Phase::Postpublish]
        .map(|phase| run_phases_in(&policy, dir, dist, TAG, &[phase], lb, &[]))
}

fn report_of(reports: &[Report; 2], phase: Phase) -> &Report {
    match phase {
        Phase::Prepublish => &reports[0],
        Phase::Postpublish => &reports[1],
        other => panic!("{other:?}"),
    }
}

fn status_of(reports: &[Report; 2], phase: Phase, id: &str) -> Option<GateStatus> {
    report_of(reports, phase).gate(id).map(|g| g.status)
}

/// Each signing gate failed with exactly its `trigger-denied` findings, none waived, and
/// blocks the release.
fn assert_blocked_by_trigger(reports: &[Report; 2], why: &str) {
    for (id, phase, count) in SIGNING_GATES {
        let report = report_of(reports, phase);
        let g = report
            .gate(id)
            .unwrap_or_else(|| panic!("{why}: {id} did not run"));
        assert_eq!(g.status, GateStatus::Fail, "{why}: {id}: {g:#?}");
        let codes: Vec<Code> = g.findings.iter().map(|f| f.finding.code).collect();
        assert_eq!(
            codes,
            vec![Code::TriggerDenied; count],
            "{why}: {id}: {g:#?}"
        );
        assert!(g.findings.iter().all(|f| f.waived.is_none()), "{why}: {id}");
        assert!(g.blocks() && !g.waived(), "{why}: {id}");
        for f in &g.findings {
            let found = f.finding.found.as_deref().unwrap_or_default();
            assert!(
                found.starts_with("trigger-not-allowed: ") && found.contains("workflow_dispatch"),
                "{why}: {id}: {found}"
            );
        }
    }
    for report in reports {
        assert_eq!(report.decision.status, RunStatus::Blocked, "{why}");
        assert_eq!(report.root_cause_codes(), [Code::TriggerDenied], "{why}");
    }
}

#[test]
fn a_waiver_keyed_on_trigger_denied_is_honoured_by_every_signing_gate() {
    let (dir, dist, lb) = manual_release();

    // 1. No waiver: the three gates report the denied trigger under the one code.
    let unwaived = check(dir.path(), &dist, &lb, "");
    assert_blocked_by_trigger(&unwaived, "no waiver");
    // The SLSA provenance file of the `push` run verifies: the trigger is the only fault.
    assert_eq!(
        status_of(&unwaived, Phase::Prepublish, "provenance-valid"),
        Some(GateStatus::Pass)
    );

    // 2. One waiver keyed on the code, naming no gate: honoured by all three gates.
    let dated = "expires = \"2999-12-31\"\nreference = \"https://example.invalid/issues/14\"\n";
    let waiver = waiver_of("trigger-denied", WAIVER_REASON, dated);
    let waived = check(dir.path(), &dist, &lb, &waiver);
    for (id, phase, count) in SIGNING_GATES {
        let report = report_of(&waived, phase);
        let g = report.gate(id).unwrap();
        assert_eq!(g.findings.len(), count, "{id}: {g:#?}");
        for f in &g.findings {
            assert_eq!(f.finding.code, Code::TriggerDenied, "{id}: {f:?}");
            assert_eq!(f.waived.as_deref(), Some(WAIVER_REASON), "{id}: {f:?}");
        }
        assert!(g.waived() && g.clears() && !g.blocks(), "{id}: {g:#?}");
        let shown = Format::Terminal.render(report, false);
        assert!(shown.contains(id), "{id}: {shown}");
        assert!(
            shown.matches(&format!("waived: {WAIVER_REASON}")).count() >= count,
            "{id}: {shown}"
        );
    }
    for report in &waived {
        assert_eq!(report.decision.status, RunStatus::Allowed, "{report:#?}");
        assert_eq!(report.root_cause_codes(), Vec::<Code>::new());
        assert_eq!(report.blocking_findings().count(), 0, "{report:#?}");
    }
    // The waived bundles count as checked: the release folder is covered.
    assert_eq!(
        status_of(&waived, Phase::Prepublish, "files-covered"),
        Some(GateStatus::Pass)
    );

    // 3. A waiver of another signing code covers none of them.
    let waiver = waiver_of("signature-invalid", "a different fault", "");
    let other = check(dir.path(), &dist, &lb, &waiver);
    assert_blocked_by_trigger(&other, "signature-invalid waiver");

    // 4. An allow-list denies the same run in every gate: `allowed-triggers = ["push"]` and no
    // deny-list block all three, while the `push` run's SLSA provenance still verifies.
    let path = dir.path().join("release.toml");
    std::fs::write(
        &path,
        policy_text("").replace(
            "denied-triggers = [\"workflow_dispatch\"]",
            "allowed-triggers = [\"push\"]",
        ),
    )
    .unwrap();
    let policy = Policy::load(&path).unwrap();
    assert!(policy.signing.as_ref().unwrap().denied_triggers.is_empty());
    let allow_listed = [Phase::Prepublish, Phase::Postpublish]
        .map(|phase| run_phases_in(&policy, dir.path(), &dist, TAG, &[phase], &lb, &[]));
    assert_blocked_by_trigger(&allow_listed, "allow-list");
    assert_eq!(
        status_of(&allow_listed, Phase::Prepublish, "provenance-valid"),
        Some(GateStatus::Pass)
    );
}
