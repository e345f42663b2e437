//! The DAG runner: fail closed, order, skip propagation, concurrency, cancellation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relgate::{
    Action, CancelToken, Code, Finding, GateContext, GateResult, GateStatus, Phase, RunOptions,
    RunStatus,
    plan::{GateOptions, Plan, PlanError},
    policy::Waiver,
    run_plan,
};

use crate::support::{Script, gate, minimal_policy, passing};

fn ctx() -> GateContext {
    GateContext::new(minimal_policy(), std::env::temp_dir())
}

fn opts() -> RunOptions {
    RunOptions::default().default_timeout(Duration::from_secs(30))
}

fn one(script: Script) -> Plan {
    let mut plan = Plan::new();
    plan.add(gate("g", Phase::Prepublish, script), GateOptions::default());
    plan
}

/// A plan of `(id, phase, script, after)` gates, added in this order.
fn plan_of(gates: Vec<(&str, Phase, Script, &[&str])>) -> Plan {
    let mut plan = Plan::new();
    for (id, phase, script, after) in gates {
        plan.add(
            gate(id, phase, script),
            GateOptions::after(after.iter().copied()),
        );
    }
    plan
}

fn failing(code: Code) -> Script {
    Script::Result(GateResult::from_findings(vec![Finding::new(code, "x")]))
}

#[tokio::test]
async fn pass_allows_the_next_action() {
    let r = run_plan(&one(passing()), ctx(), &[], &opts()).await;
    assert_eq!(r.decision.status, RunStatus::Allowed);
    assert_eq!(r.decision.action, Action::Publish);
    assert_eq!(r.exit_code(), 0);
}

#[tokio::test]
async fn every_kind_of_non_pass_blocks_fail_closed() {
    let cases: Vec<(Plan, GateStatus, Code)> = vec![
        (
            one(Script::Result(GateResult::error("disk on fire"))),
            GateStatus::Error,
            Code::GateError,
        ),
        (
            one(Script::Result(GateResult::skipped("nothing to do"))),
            GateStatus::Skipped,
            Code::GateSkipped,
        ),
        (one(Script::Panic), GateStatus::Error, Code::GateError),
        (
            one(failing(Code::DigestMismatch)),
            GateStatus::Fail,
            Code::DigestMismatch,
        ),
        {
            let mut p = Plan::new();
            p.add_unknown("g", Phase::Prepublish, GateOptions::default());
            (p, GateStatus::Unknown, Code::GateUnknown)
        },
        {
            let mut p = Plan::new();
            p.add(
                gate("g", Phase::Prepublish, Script::Hang),
                GateOptions::default().timeout(Duration::from_millis(50)),
            );
            (p, GateStatus::Timeout, Code::GateTimeout)
        },
    ];
    for (plan, status, code) in cases {
        let r = run_plan(&plan, ctx(), &[], &opts()).await;
        let g = r.gate("g").unwrap();
        assert_eq!(g.status, status, "{code}");
        assert_eq!(r.decision.status, RunStatus::Blocked, "{code}");
        assert_eq!(r.decision.action, Action::DoNotPublish, "{code}");
        assert_eq!(r.exit_code(), 1);
        assert_eq!(r.root_cause_codes(), [code]);
        assert_eq!(r.decision.blocking_gates, ["g"]);

        // The same, waived with a reason, is allowed and says so.
        let waiver = Waiver::new(Some("g"), Some(code), "accepted for this test");
        let r = run_plan(&plan, ctx(), &[waiver], &opts()).await;
        assert_eq!(r.decision.status, RunStatus::Allowed, "{code} waived");
        assert!(r.gate("g").unwrap().waived());
        assert!(
            r.decision.summary.contains("waiver"),
            "{}",
            r.decision.summary
        );

        // A waiver for another code, or without a reason, changes nothing.
        for w in [
            Waiver::new(Some("g"), Some(Code::NotVisible), "other code"),
            Waiver::new(Some("g"), Some(code), "   "),
            Waiver::new(Some("other-gate"), Some(code), "other gate"),
        ] {
            let r = run_plan(&plan, ctx(), &[w], &opts()).await;
            assert_eq!(r.decision.status, RunStatus::Blocked, "{code}");
        }
    }
}

#[tokio::test]
async fn a_panicking_gate_is_reported_with_its_message() {
    let r = run_plan(&one(Script::Panic), ctx(), &[], &opts()).await;
    let g = r.gate("g").unwrap();
    let detail = g.detail.as_deref().unwrap();
    assert!(
        detail.contains("panicked") && detail.contains("gate g exploded"),
        "{detail}"
    );
}

#[tokio::test]
async fn an_empty_plan_is_not_an_approval() {
    let r = run_plan(&Plan::new(), ctx(), &[], &opts()).await;
    assert_eq!(r.decision.status, RunStatus::Blocked);
}

#[tokio::test]
async fn after_edges_order_the_run() {
    let log = Arc::new(Mutex::new(Vec::new()));
    // Inserted in reverse, so only the edges can produce a -> b -> c.
    let plan = plan_of(vec![
        ("c", Phase::Prepublish, Script::Log(log.clone()), &["b"]),
        ("b", Phase::Prepublish, Script::Log(log.clone()), &["a"]),
        ("a", Phase::Prepublish, Script::Log(log.clone()), &[]),
    ]);
    assert_eq!(plan.order().unwrap(), ["a", "b", "c"]);
    let r = run_plan(&plan, ctx(), &[], &opts()).await;
    assert_eq!(r.decision.status, RunStatus::Allowed);
    assert_eq!(
        *log.lock().unwrap(),
        ["start a", "end a", "start b", "end b", "start c", "end c"]
    );
    let ids: Vec<&str> = r.gates.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[tokio::test]
async fn phases_order_the_run_and_gate_later_phases() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let plan = plan_of(vec![
        ("post", Phase::Postpublish, Script::Log(log.clone()), &[]),
        ("pre", Phase::Prepublish, Script::Log(log.clone()), &[]),
        ("flight", Phase::Preflight, Script::Log(log.clone()), &[]),
    ]);
    let r = run_plan(&plan, ctx(), &[], &opts()).await;
    assert_eq!(r.decision.action, Action::Undraft);
    assert_eq!(
        *log.lock().unwrap(),
        [
            "start flight",
            "end flight",
            "start pre",
            "end pre",
            "start post",
            "end post"
        ]
    );

    // A preflight failure skips everything after it; the decision is "do not tag".
    let plan = plan_of(vec![
        ("flight", Phase::Preflight, failing(Code::CiNotGreen), &[]),
        ("pre", Phase::Prepublish, passing(), &[]),
    ]);
    let r = run_plan(&plan, ctx(), &[], &opts()).await;
    assert_eq!(r.decision.action, Action::DoNotTag);
    let pre = r.gate("pre").unwrap();
    assert_eq!(pre.status, GateStatus::Skipped);
    assert_eq!(pre.caused_by, ["flight"]);
    assert_eq!(r.root_cause_codes(), [Code::CiNotGreen]);

    // Only the selected phases run.
    let r = run_plan(&plan, ctx(), &[], &opts().phases([Phase::Prepublish])).await;
    assert_eq!(r.gates.len(), 1);
    assert_eq!(r.decision.action, Action::Publish);
}

#[tokio::test]
async fn a_failure_skips_its_dependants_transitively_but_not_its_siblings() {
    let plan = plan_of(vec![
        (
            "core-verified",
            Phase::Postpublish,
            failing(Code::RegistryBytesDiffer),
            &[],
        ),
        (
            "manifest-published",
            Phase::Postpublish,
            passing(),
            &["core-verified"],
        ),
        (
            "manifest-verified",
            Phase::Postpublish,
            passing(),
            &["manifest-published"],
        ),
        ("sibling", Phase::Postpublish, passing(), &[]),
    ]);
    let r = run_plan(&plan, ctx(), &[], &opts()).await;
    let published = r.gate("manifest-published").unwrap();
    assert_eq!(published.status, GateStatus::Skipped);
    assert_eq!(
        published.detail.as_deref(),
        Some("skipped because of core-verified")
    );
    assert_eq!(published.caused_by, ["core-verified"]);
    let verified = r.gate("manifest-verified").unwrap();
    assert_eq!(
        verified.detail.as_deref(),
        Some("skipped because of manifest-published")
    );
    assert_eq!(r.gate("sibling").unwrap().status, GateStatus::Pass);
    assert_eq!(r.decision.action, Action::KeepDraft);
    assert_eq!(r.decision.blocking_gates, ["core-verified"]);
    assert_eq!(r.root_cause_codes(), [Code::RegistryBytesDiffer]);

    // Waive the root failure: the dependants run.
    let w = Waiver::new(Some("core-verified"), None, "served bytes checked by hand");
    let r = run_plan(&plan, ctx(), &[w], &opts()).await;
    assert_eq!(
        r.gate("manifest-verified").unwrap().status,
        GateStatus::Pass
    );
    assert_eq!(r.decision.status, RunStatus::Allowed);
}

#[tokio::test]
async fn cycles_and_bad_edges_are_typed_errors_and_could_not_run() {
    let plan = plan_of(vec![
        ("a", Phase::Preflight, passing(), &["c"]),
        ("b", Phase::Preflight, passing(), &["a"]),
        ("c", Phase::Preflight, passing(), &["b"]),
        ("d", Phase::Preflight, passing(), &[]),
    ]);
    let err = plan.order().unwrap_err();
    assert_eq!(
        err,
        PlanError::Cycle {
            cycle: vec!["a".into(), "c".into(), "b".into(), "a".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "the gates' `after` edges form a cycle: a -> c -> b -> a"
    );
    let r = run_plan(&plan, ctx(), &[], &opts()).await;
    assert_eq!(r.decision.status, RunStatus::CouldNotRun);
    assert_eq!(r.exit_code(), 2);
    assert_eq!(r.errors[0].code, Code::PolicyInvalid);
    assert!(r.gates.is_empty());

    let mut plan = Plan::new();
    plan.add(
        gate("a", Phase::Preflight, passing()),
        GateOptions::after(["zz"]),
    );
    assert!(matches!(
        plan.order(),
        Err(PlanError::UnknownDependency { .. })
    ));

    let plan = plan_of(vec![
        ("early", Phase::Preflight, passing(), &["late"]),
        ("late", Phase::Postpublish, passing(), &[]),
    ]);
    assert!(matches!(plan.order(), Err(PlanError::PhaseOrder { .. })));

    let plan = plan_of(vec![
        ("a", Phase::Preflight, passing(), &[]),
        ("a", Phase::Preflight, passing(), &[]),
    ]);
    assert_eq!(
        plan.order(),
        Err(PlanError::DuplicateGate { id: "a".into() })
    );
}

/// Two gates that each wait for the other at a barrier pass only when they run at the same
/// time; with room for one at a time they deadlock into timeouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_gates_run_concurrently() {
    let plan_with = || {
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let mut plan = Plan::new();
        for id in ["left", "right"] {
            plan.add(
                gate(id, Phase::Prepublish, Script::Barrier(barrier.clone())),
                GateOptions::default().timeout(Duration::from_secs(1)),
            );
        }
        plan
    };
    let r = run_plan(&plan_with(), ctx(), &[], &opts().concurrency(2)).await;
    assert_eq!(r.decision.status, RunStatus::Allowed, "{r:?}");
    assert_eq!(r.timings.max_parallel, 2);

    let r = run_plan(&plan_with(), ctx(), &[], &opts().concurrency(1)).await;
    assert_eq!(r.decision.status, RunStatus::Blocked);
    assert_eq!(r.timings.max_parallel, 1);
    assert_eq!(r.root_cause_codes(), [Code::GateTimeout]);
}

#[tokio::test]
async fn cancellation_ends_the_run_fail_closed() {
    let token = CancelToken::new();
    let plan = plan_of(vec![
        ("hangs", Phase::Preflight, Script::Hang, &[]),
        ("later", Phase::Prepublish, passing(), &[]),
    ]);
    let mut c = ctx();
    c.cancel = token.clone();
    let canceller = tokio::spawn(async move {
        tokio::task::yield_now().await;
        token.cancel();
    });
    let r = run_plan(&plan, c, &[], &opts()).await;
    canceller.await.unwrap();
    assert_eq!(r.decision.status, RunStatus::Blocked);
    let hangs = r.gate("hangs").unwrap();
    assert_eq!(hangs.status, GateStatus::Error);
    assert_eq!(hangs.detail.as_deref(), Some("cancelled while running"));
    let later = r.gate("later").unwrap();
    assert_eq!(later.status, GateStatus::Skipped);
    assert_eq!(later.detail.as_deref(), Some("cancelled"));
}

#[tokio::test]
async fn dropping_the_run_aborts_running_gates() {
    let dropped = Arc::new(AtomicBool::new(false));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut plan = Plan::new();
    plan.add(
        gate(
            "holder",
            Phase::Preflight,
            Script::HangWatched {
                started: Arc::new(Mutex::new(Some(tx))),
                dropped: dropped.clone(),
            },
        ),
        GateOptions::default(),
    );
    let c = ctx();
    let o = opts();
    tokio::select! {
        _ = run_plan(&plan, c, &[], &o) => panic!("a hanging gate cannot finish"),
        _ = rx => {}
    }
    // The run future is gone; the gate task is aborted and its future dropped.
    for _ in 0..1000 {
        if dropped.load(Ordering::SeqCst) {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the gate kept running after the run was dropped");
}

#[tokio::test]
async fn a_gate_reads_the_evidence_of_the_gates_it_runs_after() {
    let mut plan = Plan::new();
    plan.add(
        gate(
            "writer",
            Phase::Prepublish,
            Script::Result(
                GateResult::pass().with_evidence("digest", serde_json::json!("sha256:abc")),
            ),
        ),
        GateOptions::default(),
    );
    // The reader reads the evidence of the gate it runs after.
    let reader = Script::Run(Arc::new(|ctx: &GateContext| {
        match ctx
            .evidence_of("writer")
            .and_then(|e| e.get("digest").cloned())
        {
            Some(d) if d == "sha256:abc" => GateResult::pass(),
            other => GateResult::error(format!("no evidence from writer: {other:?}")),
        }
    }));
    plan.add(
        gate("reader", Phase::Postpublish, reader),
        GateOptions::default(),
    );
    let r = run_plan(&plan, ctx(), &[], &opts()).await;
    assert_eq!(
        r.gate("reader").unwrap().status,
        GateStatus::Pass,
        "{:?}",
        r.gate("reader")
    );
}

/// 500 gates with room for 8 at a time: all run, never more than 8 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_gates_run_bounded() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut plan = Plan::new();
    for n in 0..500 {
        let phase = if n < 250 {
            Phase::Prepublish
        } else {
            Phase::Postpublish
        };
        let after: Vec<String> = if n % 10 == 5 {
            vec![format!("g{}", n - 1)]
        } else {
            Vec::new()
        };
        plan.add(
            gate(&format!("g{n}"), phase, Script::Log(log.clone())),
            GateOptions::after(after),
        );
    }
    let r = run_plan(&plan, ctx(), &[], &opts().concurrency(8)).await;
    assert_eq!(r.decision.status, RunStatus::Allowed);
    assert_eq!(r.gates.len(), 500);
    assert!(
        r.timings.max_parallel <= 8 && r.timings.max_parallel >= 2,
        "{:?}",
        r.timings
    );
    assert_eq!(log.lock().unwrap().len(), 1000);
}

#[tokio::test]
async fn a_run_cancelled_before_it_starts_runs_nothing() {
    let mut plan = Plan::new();
    plan.add(
        gate("a", Phase::Preflight, passing()),
        GateOptions::default(),
    );
    let c = ctx();
    c.cancel.cancel();
    let r = run_plan(&plan, c, &[], &opts()).await;
    assert_eq!(r.gate("a").unwrap().status, GateStatus::Skipped);
    assert_eq!(r.decision.status, RunStatus::Blocked);
}

#[tokio::test]
async fn warnings_alone_do_not_fail_a_gate() {
    let warning =
        Finding::new(Code::ChecksumUnlisted, "notes.txt").severity(relgate::Severity::Warning);
    let plan = one(Script::Result(GateResult::new(relgate::Outcome::fail(
        vec![warning.clone()],
    ))));
    let r = run_plan(&plan, ctx(), &[], &opts()).await;
    let g = r.gate("g").unwrap();
    assert_eq!(g.status, GateStatus::Pass);
    assert_eq!(g.notes, [warning]);
    assert_eq!(r.decision.status, RunStatus::Allowed);
}

#[tokio::test]
async fn observers_see_every_gate_start_and_finish() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let observer: relgate::Observer = Arc::new(move |e: &relgate::Event<'_>| {
        let line = match e {
            relgate::Event::GateStarted { gate, .. } => format!("start {gate}"),
            relgate::Event::GateFinished { gate, status, .. } => format!("{status} {gate}"),
            other => format!("{other:?}"),
        };
        sink.lock().unwrap().push(line);
    });
    let plan = plan_of(vec![
        ("a", Phase::Preflight, failing(Code::CiNotGreen), &[]),
        ("b", Phase::Preflight, passing(), &["a"]),
    ]);
    let r = run_plan(&plan, ctx().with_observer(observer), &[], &opts()).await;
    assert_eq!(r.decision.status, RunStatus::Blocked);
    assert_eq!(*seen.lock().unwrap(), ["start a", "fail a", "skipped b"]);
}
