//! Command gates (`[gates.<id>] command = [...]`): pass, fail, timeout, missing program,
//! waived, working folder.

use std::path::Path;

use crate::support::assert_error_says;
use relgate::{
    Code, GateStatus, Phase, Policy, Report, RunContext, RunStatus, gates::CommandGate,
    report::GateReport,
};

async fn run(policy: &str, source: &Path) -> Report {
    let policy = Policy::from_toml_str(policy, "release.toml").unwrap();
    let mut ctx = RunContext::new(source)
        .source_dir(source)
        .tag("v1.2.3")
        .commit("0123456789abcdef0123456789abcdef01234567");
    for g in relgate::gates::policy_gates(&policy) {
        ctx = ctx.gate(g);
    }
    relgate::run(&policy, ctx).await
}

fn smoke(command: &str, extra: &str) -> String {
    format!(
        "[project]\nname = \"c\"\n[gates.smoke]\nphase = \"consume\"\ncommand = [\"sh\", \"-c\", {command:?}]\n{extra}"
    )
}

/// Runs the smoke gate `sh -c command` (policy lines `extra` added) in an empty source folder.
async fn run_smoke(command: &str, extra: &str) -> Report {
    let dir = tempfile::tempdir().unwrap();
    run(&smoke(command, extra), dir.path()).await
}

fn gate(r: &Report) -> &GateReport {
    r.gate("smoke").unwrap()
}

#[tokio::test]
async fn exit_zero_passes_with_the_release_in_the_environment() {
    let r = run_smoke(
        "test \"$RELKIT_TAG\" = v1.2.3 && test \"$RELKIT_VERSION\" = 1.2.3 && test \"$RELKIT_GATE\" = smoke && test \"$RELKIT_COMMIT\" = 0123456789abcdef0123456789abcdef01234567 && test \"$(pwd -P)\" = \"$(cd \"$RELKIT_SOURCE_DIR\" && pwd -P)\" && echo smoke ok",
        "",
    )
    .await;
    let g = gate(&r);
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.phase, Phase::Consume);
    assert_eq!(g.evidence["command"]["stdout_tail"], "smoke ok");
    assert_eq!(r.decision.status, RunStatus::Allowed);
}

#[tokio::test]
async fn a_non_zero_exit_fails_with_status_and_stderr_tail() {
    let r = run_smoke(
        "for i in $(seq 1 40); do echo line $i >&2; done; echo 'pip install failed' >&2; exit 4",
        "",
    )
    .await;
    let g = gate(&r);
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(r.root_cause_codes(), [Code::CommandFailed]);
    let f = &g.findings[0].finding;
    assert!(f.subject.starts_with("sh -c 'for i in"), "{}", f.subject);
    assert_eq!(f.expected.as_deref(), Some("exit status 0"));
    let found = f.found.as_deref().unwrap();
    assert!(found.starts_with("exit status: 4"), "{found}");
    assert!(found.ends_with("pip install failed"), "{found}");
    // Bounded: only the tail is quoted.
    assert!(!found.contains("line 1\n"), "{found}");
    assert!(found.contains("line 40"), "{found}");
}

#[tokio::test]
async fn a_hanging_command_is_killed_and_the_timeout_named() {
    // A timeout long enough for `sh` to print its line on a loaded machine; no bound on how
    // long the run takes beyond "the 60 s sleep did not run out" (the kill is what ends it).
    let r = run_smoke(
        "echo waiting for registry >&2; sleep 60",
        "timeout-secs = 5\n",
    )
    .await;
    let g = gate(&r);
    // The command's own timeout wins over the runner's, so the report names the command.
    assert_eq!(g.status, GateStatus::Fail, "{g:#?}");
    let f = &g.findings[0].finding;
    assert_eq!(f.code, Code::CommandFailed);
    assert_eq!(
        f.expected.as_deref(),
        Some("finished within the timeout of 5 s")
    );
    let found = f.found.as_deref().unwrap();
    assert!(found.contains("still running after 4.5 s"), "{found}");
    assert!(found.contains("waiting for registry"), "{found}");
    assert!(g.duration_ms < 55_000, "{}", g.duration_ms);
}

#[tokio::test]
async fn a_missing_program_is_a_gate_error() {
    let dir = tempfile::tempdir().unwrap();
    let policy = "[project]\nname = \"c\"\n[gates.container-scan]\nphase = \"prepublish\"\ncommand = [\"relgate-no-such-scanner\", \"image.tar\"]\n";
    let r = run(policy, dir.path()).await;
    let g = r.gate("container-scan").unwrap();
    assert_eq!(g.status, GateStatus::Error);
    assert_eq!(r.root_cause_codes(), [Code::GateError]);
    let detail = g.detail.as_deref().unwrap();
    assert!(
        detail.contains("cannot start `relgate-no-such-scanner image.tar`")
            && detail.contains("without a shell"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_failure_waived_with_a_reason_is_allowed_and_marked() {
    let r = run_smoke(
            "exit 1",
            "[[waivers]]\ngate = \"smoke\"\ncode = \"command-failed\"\nreason = \"the arm64 runner is down; smoke-tested by hand\"\n",
    )
    .await;
    assert_eq!(r.decision.status, RunStatus::Allowed);
    let g = gate(&r);
    assert!(g.waived());
    assert_eq!(
        g.findings[0].waived.as_deref(),
        Some("the arm64 runner is down; smoke-tested by hand")
    );
}

#[tokio::test]
async fn cwd_is_below_the_source_tree_and_cannot_leave_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    std::fs::write(dir.path().join("scripts/smoke.sh"), "echo from scripts\n").unwrap();
    let policy = "[project]\nname = \"c\"\n[gates.smoke]\nphase = \"consume\"\ncommand = [\"sh\", \"smoke.sh\"]\ncwd = \"scripts\"\n";
    let r = run(policy, dir.path()).await;
    assert_eq!(gate(&r).status, GateStatus::Pass, "{r:#?}");

    let e = Policy::from_toml_str(&policy.replace("\"scripts\"", "\"../x\""), "release.toml")
        .unwrap_err();
    assert_eq!(e.key(), Some("gates.smoke.cwd"), "{e}");
    assert_eq!(e.line(), 6, "{e}");
    let e = Policy::from_toml_str(
        "[project]\nname = \"c\"\n[gates.smoke]\ncommand = []\n",
        "release.toml",
    )
    .unwrap_err();
    assert_eq!(e.key(), Some("gates.smoke.command"), "{e}");
    let e = Policy::from_toml_str(
        "[project]\nname = \"c\"\n[gates.smoke]\ncwd = \"x\"\n",
        "release.toml",
    )
    .unwrap_err();
    assert_eq!(e.key(), Some("gates.smoke.cwd"), "{e}");

    // A symlink out of the tree is refused when the gate runs.
    std::os::unix::fs::symlink("/", dir.path().join("up")).unwrap();
    let r = run(&policy.replace("\"scripts\"", "\"up/tmp\""), dir.path()).await;
    assert_error_says(gate(&r), "symlink escapes");
}

#[tokio::test]
async fn command_gates_take_their_phase_from_the_rule_or_the_catalogue() {
    let p = Policy::from_toml_str(
        "[project]\nname = \"c\"\n[gates.consumer-verify]\ncommand = [\"true\"]\n[gates.contract-artifacts-current]\ncommand = [\"make\", \"check-contracts\"]\n[gates.no-command]\nphase = \"consume\"\n",
        "release.toml",
    )
    .unwrap();
    let gates = relgate::gates::policy_gates(&p);
    let got: Vec<(&str, Phase)> = gates.iter().map(|g| (g.id(), g.phase())).collect();
    assert_eq!(
        got,
        [
            ("consumer-verify", Phase::Consume),
            ("contract-artifacts-current", Phase::Preflight),
        ]
    );
    let g = CommandGate::from_rule(
        "contract-artifacts-current",
        &p.gates["contract-artifacts-current"],
    )
    .unwrap();
    assert_eq!(g.argv(), ["make", "check-contracts"]);
    assert!(CommandGate::from_rule("no-command", &p.gates["no-command"]).is_none());
}
