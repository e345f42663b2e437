//! Through the embeddable entry point: a gate that panics and one that hangs still end the run
//! with a fail-closed decision and a report that names each cause.

use std::time::{Duration, Instant};

use relgate::{Action, Code, Format, GateStatus, Phase, Policy, RunContext, RunStatus};

use crate::support::{Script, gate};

#[tokio::test]
async fn a_panicking_and_a_hanging_gate_end_in_a_blocked_report_naming_both() {
    let policy = Policy::from_toml_str(
        "[project]\nname = \"p\"\n[gates.exploding]\nphase = \"preflight\"\n[gates.stuck]\nphase = \"preflight\"\ntimeout-secs = 1\n[gates.later]\nphase = \"prepublish\"\n",
        "release.toml",
    )
    .unwrap();
    let ctx = RunContext::new(std::env::temp_dir())
        .gate(gate("exploding", Phase::Preflight, Script::Panic))
        .gate(gate("stuck", Phase::Preflight, Script::Hang))
        .gate(gate(
            "later",
            Phase::Prepublish,
            Script::Result(relgate::GateResult::pass()),
        ));
    let t = Instant::now();
    let r = relgate::run(&policy, ctx).await;
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());

    assert_eq!(r.decision.status, RunStatus::Blocked);
    assert_eq!(r.decision.action, Action::DoNotTag);
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.root_cause_codes(), [Code::GateError, Code::GateTimeout]);
    assert_eq!(r.gate("exploding").unwrap().status, GateStatus::Error);
    assert_eq!(r.gate("stuck").unwrap().status, GateStatus::Timeout);
    let later = r.gate("later").unwrap();
    assert_eq!(later.status, GateStatus::Skipped);
    assert_eq!(later.caused_by, ["exploding", "stuck"]);

    for format in [Format::Terminal, Format::Json, Format::Markdown] {
        let text = format.render(&r, false);
        assert!(
            text.contains("the gate panicked: gate exploding exploded"),
            "{format:?}: {text}"
        );
        assert!(
            text.contains("did not finish within 1000 ms"),
            "{format:?}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_blocking_its_thread_still_times_out_on_a_multi_thread_runtime() {
    let policy = Policy::from_toml_str(
        "[project]\nname = \"p\"\n[gates.blocking]\nphase = \"preflight\"\ntimeout-secs = 1\n",
        "release.toml",
    )
    .unwrap();
    // Blocks its thread instead of awaiting: the worst kind of hang an embedded gate can have.
    let blocking = gate(
        "blocking",
        Phase::Preflight,
        Script::Run(std::sync::Arc::new(|_: &relgate::GateContext| {
            std::thread::sleep(Duration::from_secs(3));
            relgate::GateResult::pass()
        })),
    );
    let t = Instant::now();
    let r = relgate::run(
        &policy,
        RunContext::new(std::env::temp_dir()).gate(blocking),
    )
    .await;
    assert!(
        t.elapsed() < Duration::from_millis(2900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(r.gate("blocking").unwrap().status, GateStatus::Timeout);
    assert_eq!(r.root_cause_codes(), [Code::GateTimeout]);
}
