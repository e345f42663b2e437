//! Registry gates without a server: endpoints fail closed, recovery mode parses, the readback
//! waits for visibility, a cancelled run stops polling.

use std::time::Duration;

use relgate::{
    CancelToken, Code, Endpoints, GateStatus, Phase, Policy, RegistryKind, RunContext, RunOptions,
};

fn policy(extra: &str) -> Policy {
    Policy::from_toml_str(
        &format!(
            "[project]\nname = \"d\"\n[registries.py-index]\nkind = \"pypi\"\npackage = \"d\"\nrecovery = true\nvisible-within-secs = 30\n[registries.crates]\nkind = \"cargo\"\npackage = \"d\"\n{extra}"
        ),
        "release.toml",
    )
    .unwrap()
}

#[test]
fn registry_rules_parse_recovery_mode() {
    let p = policy("");
    let r = &p.registries["py-index"];
    assert_eq!(r.kind, RegistryKind::Pypi);
    assert!(r.recovery);
    assert!(!p.registries["crates"].recovery);
    // An endpoint in the policy is refused, naming the key.
    let e = Policy::from_toml_str(
        "[project]\nname = \"d\"\n[registries.x]\nkind = \"npm\"\npackage = \"d\"\nurl = \"http://127.0.0.1:1/\"\n",
        "release.toml",
    )
    .unwrap_err();
    assert!(e.to_string().contains("never go in the policy"), "{e}");
}

#[tokio::test]
async fn every_registry_gate_fails_closed_without_endpoints() {
    let p = policy(
        "[gates.version-unpublished]\n[gates.registry-visible]\n[gates.oci-platforms]\n[gates.consumer-verify]\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let r = relgate::run(&p, RunContext::new(dir.path()).tag("v1.0.0")).await;
    let g = r.gate("version-unpublished").unwrap();
    assert_eq!(g.status, GateStatus::Error);
    let found = g.findings[0].finding.found.clone().unwrap();
    assert!(
        found.contains("\"crates\" has no endpoint")
            && found.contains("RELGATE_REGISTRY_CRATES_URL")
            && found.contains("RELGATE_REGISTRY_PY_INDEX_URL"),
        "{found}"
    );
    assert_eq!(r.root_cause_codes(), [Code::GateError]);
    // The postpublish gates ran in their own job (phases) fail closed the same way.
    let r = relgate::run(
        &p,
        RunContext::new(dir.path())
            .tag("v1.0.0")
            .options(RunOptions::default().phases([Phase::Postpublish])),
    )
    .await;
    assert_eq!(
        r.gate("registry-visible").unwrap().status,
        GateStatus::Error
    );
    // The readback waits for visibility: skipped because of it, not run twice.
    let rb = r.gate("registry-readback").unwrap();
    assert_eq!(rb.status, GateStatus::Skipped);
    assert_eq!(rb.caused_by, ["registry-visible"]);
}

#[test]
fn a_cancelled_run_stops_a_visibility_poll() {
    // A listener that accepts and never answers: the poll would wait 30 s.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let mut e = Endpoints::new();
    e.insert("py-index", &url).unwrap();
    e.insert("crates", &url).unwrap();
    let p = policy("[gates.registry-visible]\n");
    let dir = tempfile::tempdir().unwrap();
    let token = CancelToken::new();
    let t2 = token.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        t2.cancel();
    });
    let started = std::time::Instant::now();
    let r = relgate::run_blocking(
        &p,
        RunContext::new(dir.path())
            .tag("v1.0.0")
            .cancel_token(token)
            .options(
                RunOptions::default()
                    .endpoints(e)
                    .phases([Phase::Postpublish]),
            ),
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_ne!(r.exit_code(), 0);
    assert_ne!(r.gate("registry-visible").unwrap().status, GateStatus::Pass);
    drop(silent);
}
