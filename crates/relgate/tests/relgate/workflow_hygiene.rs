//! The `workflow-hygiene` gate on realistic workflows committed to temporary repositories
//! (read back from git objects): the clean release workflow passes, each tampered copy fails
//! with exactly its rule's code at its line and column, and zizmor (run offline) agrees on the
//! rules both tools cover.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::write_release_toml;
use relgate::{Code, GateStatus, Policy, Report, RunContext};
use relkit_testkit::git::git;

const POLICY: &str = r#"
[project]
name = "ordvec"

[tag]
pattern = "v{version}"

[workflow-hygiene]
release-workflows = ["release.yml"]
signing-jobs = ["provenance", "publish"]

[[workflow-hygiene.exceptions]]
action = "slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"
reason = "tag-pinned by design: the generator verifies its own ref"
"#;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workflows")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

/// Runs the preflight phase of `policy` over a repository whose `.github/workflows/` holds
/// `files` at HEAD (the working tree is then changed, which the gate must not read).
fn run_on(policy: &str, files: &[(&str, &str)]) -> Report {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    for (name, text) in files {
        std::fs::write(workflows.join(name), text).unwrap();
    }
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "release"]);
    for (name, _) in files {
        std::fs::write(workflows.join(name), "not: [valid").unwrap();
    }
    let path = write_release_toml(dir.path(), policy);
    let policy = Policy::load(&path).unwrap();
    let release = tempfile::tempdir().unwrap();
    relgate::run_blocking(
        &policy,
        RunContext::new(release.path())
            .tag("v1.2.3")
            .options(relgate::RunOptions::default().phases([relgate::Phase::Preflight])),
    )
}

/// The gate's findings as (code, file, line, column).
fn findings(report: &Report) -> Vec<(Code, String, usize, usize)> {
    let gate = report.gate("workflow-hygiene").expect("the gate ran");
    gate.findings
        .iter()
        .map(|f| {
            let f = &f.finding;
            (
                f.code,
                f.path().unwrap_or_default().to_owned(),
                f.line().unwrap_or(0),
                f.column().unwrap_or(0),
            )
        })
        .collect()
}

const RELEASE: &str = ".github/workflows/release.yml";

#[test]
fn the_clean_release_workflow_passes_with_its_exception_recorded() {
    let report = run_on(POLICY, &[("release.yml", &fixture("release.yml"))]);
    let gate = report.gate("workflow-hygiene").unwrap();
    assert_eq!(gate.status, GateStatus::Pass, "{:#?}", gate.findings);
    let evidence = serde_json::to_string(&gate.evidence).unwrap();
    assert!(evidence.contains("tag-pinned by design"), "{evidence}");
}

/// Each tampered copy and the one finding it must produce: (code, line, column).
const TAMPERED: &[(&str, Code, usize, usize)] = &[
    ("action-unpinned.yml", Code::WorkflowActionUnpinned, 23, 15),
    (
        "action-floating-ref.yml",
        Code::WorkflowActionFloatingRef,
        33,
        15,
    ),
    ("manual-trigger.yml", Code::WorkflowManualTrigger, 10, 3),
    ("trigger-too-wide.yml", Code::WorkflowTriggerTooWide, 8, 5),
    ("trigger-dangerous.yml", Code::WorkflowTriggerTooWide, 7, 3),
    (
        "persist-credentials.yml",
        Code::WorkflowPersistCredentials,
        20,
        15,
    ),
    (
        "permissions-too-wide.yml",
        Code::WorkflowPermissionsTooWide,
        12,
        3,
    ),
    (
        "permissions-missing.yml",
        Code::WorkflowPermissionsTooWide,
        4,
        1,
    ),
    (
        "id-token-outside-signing.yml",
        Code::WorkflowIdTokenOutsideSigning,
        19,
        7,
    ),
];

#[test]
fn each_tampered_copy_fails_with_exactly_its_code_at_its_line() {
    for (name, code, line, column) in TAMPERED {
        let text = fixture(&format!("tampered/{name}"));
        let report = run_on(POLICY, &[("release.yml", &text)]);
        assert_eq!(
            findings(&report),
            [(*code, RELEASE.to_owned(), *line, *column)],
            "{name}"
        );
        assert_eq!(report.root_cause_codes(), [*code], "{name}");
    }
}

#[test]
fn rules_the_policy_leaves_out_are_not_applied() {
    let only = POLICY.replace(
        "[workflow-hygiene]\n",
        "[workflow-hygiene]\nrules = [\"action-floating-ref\"]\n",
    );
    let text = fixture("tampered/manual-trigger.yml");
    let report = run_on(&only, &[("release.yml", &text)]);
    assert_eq!(findings(&report), []);
    let text = fixture("tampered/action-floating-ref.yml");
    let report = run_on(&only, &[("release.yml", &text)]);
    assert_eq!(findings(&report).len(), 1);
}

#[test]
fn without_the_exception_the_tag_pinned_generator_is_a_floating_ref() {
    let strict = POLICY
        .split("[[workflow-hygiene.exceptions]]")
        .next()
        .unwrap();
    let report = run_on(strict, &[("release.yml", &fixture("release.yml"))]);
    assert_eq!(
        findings(&report),
        [(Code::WorkflowActionFloatingRef, RELEASE.to_owned(), 44, 11)]
    );
}

#[test]
fn unreadable_missing_and_unfindable_workflows_fail_closed() {
    // Not YAML: workflow-invalid at the parser's position.
    let report = run_on(POLICY, &[("release.yml", "on:\n  push:\n tags: [v1\n")]);
    let got = findings(&report);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, Code::WorkflowInvalid);
    assert!(got[0].2 >= 3, "{got:?}");
    // The named release workflow is absent: workflow-invalid, never a pass.
    let report = run_on(POLICY, &[("ci.yml", &fixture("release.yml"))]);
    assert_eq!(
        findings(&report).iter().map(|f| f.0).collect::<Vec<_>>(),
        [Code::WorkflowInvalid]
    );
    // No release workflow named and none triggered by tags.
    let unnamed = POLICY.replace("release-workflows = [\"release.yml\"]\n", "");
    let ci = "on:\n  pull_request:\npermissions:\n  contents: read\njobs: {}\n";
    let report = run_on(&unnamed, &[("ci.yml", ci)]);
    assert_eq!(
        findings(&report).iter().map(|f| f.0).collect::<Vec<_>>(),
        [Code::WorkflowInvalid]
    );
    // Unnamed: the tag-triggered workflow is the release workflow; CI's other events are fine.
    let report = run_on(
        &unnamed,
        &[("ci.yml", ci), ("release.yml", &fixture("release.yml"))],
    );
    assert_eq!(findings(&report), []);
}

#[test]
fn tag_filters_wider_than_the_guard_and_branch_pushes_are_too_wide() {
    let clean = fixture("release.yml");
    let guard = "      - \"v[0-9]+.[0-9]+.[0-9]+\"\n";
    for (replacement, wide) in [
        ("      - \"v[0-9]+.[0-9]+.[0-9]+*\"\n", true),
        ("      - \"v*.*.*\"\n", true),
        ("      - \"**\"\n", true),
        (
            "      - \"v[0-9]+.[0-9]+.[0-9]+\"\n    branches: [main]\n",
            true,
        ),
        (
            "      - \"v*\"\n      - \"!v*-*\"\n      - \"!v*+*\"\n",
            true,
        ),
        ("      - \"v[0-9].[0-9].[0-9]\"\n", false),
        (
            "      - \"v[0-9]+.[0-9]+.[0-9]+\"\n      - \"!v0.*\"\n",
            false,
        ),
    ] {
        let text = clean.replace(guard, replacement);
        let report = run_on(POLICY, &[("release.yml", &text)]);
        let codes: Vec<Code> = findings(&report).iter().map(|f| f.0).collect();
        let want: &[Code] = if wide {
            &[Code::WorkflowTriggerTooWide]
        } else {
            &[]
        };
        assert_eq!(
            codes.first().map(std::slice::from_ref).unwrap_or(&[]),
            want,
            "{replacement}"
        );
    }
}

// ------------------------------------------------------------------------------ zizmor oracle

/// zizmor from its venv (`$RELKIT_CACHE/zizmor`, or the venv `RELKIT_ZIZMOR_VENV` names).
fn zizmor() -> Option<PathBuf> {
    crate::support::cached_tool("RELKIT_ZIZMOR_VENV", "zizmor", "zizmor")
}

/// The rule classes both tools cover, named by zizmor's audit, with the 1-based lines each
/// tool reports them at (`None` for a class whose position the tools place differently).
type Classes = std::collections::BTreeMap<&'static str, Vec<usize>>;

fn zizmor_classes(zizmor: &Path, file: &Path) -> Classes {
    let config = tempfile::NamedTempFile::new().unwrap();
    // Every action hash-pinned; the SLSA generator's reusable workflow ref-pinned by design
    // (the policy's exception).
    std::fs::write(
        config.path(),
        "rules:\n  unpinned-uses:\n    config:\n      policies:\n        \"slsa-framework/slsa-github-generator/*\": ref-pin\n        \"*\": hash-pin\n",
    )
    .unwrap();
    let out = Command::new(zizmor)
        .args(["--offline", "--no-progress", "--format", "json", "--config"])
        .arg(config.path())
        .arg(file)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "zizmor on {}: {e}\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut classes = Classes::new();
    for f in doc.as_array().unwrap() {
        // zizmor names an unpinned `docker://` step under its image audit.
        let ident = match f["ident"].as_str().unwrap() {
            "unpinned-images" => "unpinned-uses",
            other => other,
        };
        let Some(class) = SHARED.iter().find(|c| c.0 == ident) else {
            continue;
        };
        let primary = f["locations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["symbolic"]["kind"] == "Primary")
            .unwrap();
        let row = primary["concrete"]["location"]["start_point"]["row"]
            .as_u64()
            .unwrap() as usize;
        let lines = classes.entry(class.0).or_default();
        if class.2 {
            lines.push(row + 1);
        }
    }
    classes
}

/// zizmor's audit, the codes of ours that fall under it, whether lines are compared.
const SHARED: &[(&str, &[Code], bool)] = &[
    (
        "unpinned-uses",
        &[
            Code::WorkflowActionUnpinned,
            Code::WorkflowActionFloatingRef,
        ],
        true,
    ),
    ("artipacked", &[Code::WorkflowPersistCredentials], true),
    // zizmor points at the permissions block, or the whole file when it is missing.
    (
        "excessive-permissions",
        &[Code::WorkflowPermissionsTooWide],
        false,
    ),
    // Ours also covers tag filters and other events; only these two are zizmor's.
    ("dangerous-triggers", &[Code::WorkflowTriggerTooWide], true),
];

fn our_classes(report: &Report) -> Classes {
    let gate = report.gate("workflow-hygiene").unwrap();
    let mut classes = Classes::new();
    for f in &gate.findings {
        let f = &f.finding;
        let Some(class) = SHARED.iter().find(|c| c.1.contains(&f.code)) else {
            continue;
        };
        if f.code == Code::WorkflowTriggerTooWide
            && !matches!(
                f.key_path(),
                Some("on.pull_request_target" | "on.workflow_run")
            )
        {
            continue;
        }
        let lines = classes.entry(class.0).or_default();
        if class.2 {
            lines.push(f.line().unwrap());
        }
    }
    classes
}

#[test]
fn zizmor_agrees_on_the_rules_both_cover() {
    let Some(zizmor) = zizmor() else { return };
    let mut names = vec![String::from("release.yml")];
    for entry in std::fs::read_dir(fixtures().join("tampered")).unwrap() {
        names.push(format!(
            "tampered/{}",
            entry.unwrap().file_name().to_string_lossy()
        ));
    }
    names.sort();
    let mut disagreeing = Vec::new();
    let mut flagged = 0;
    for name in &names {
        let path = fixtures().join(name);
        let report = run_on(POLICY, &[("release.yml", &fixture(name))]);
        let ours = our_classes(&report);
        let theirs = zizmor_classes(&zizmor, &path);
        flagged += usize::from(!theirs.is_empty());
        if ours != theirs {
            disagreeing.push(format!("{name}: relgate {ours:?}, zizmor {theirs:?}"));
        }
    }
    assert!(disagreeing.is_empty(), "{disagreeing:#?}");
    // The oracle has something to say: six fixtures break a rule zizmor covers.
    assert_eq!(flagged, 6, "{names:?}");
}
