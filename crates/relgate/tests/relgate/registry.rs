//! Registry gates without a server: endpoints fail closed, recovery mode parses, the readback
//! waits for visibility, a cancelled run stops polling.

use std::time::Duration;

use relgate::{
    CancelToken, Code, Endpoints, GateStatus, Phase, Policy, RunContext, RunOptions,
    policy::RegistryKind,
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
            && found.contains("RELKIT_REGISTRY_CRATES_URL")
            && found.contains("RELKIT_REGISTRY_PY_INDEX_URL"),
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

/// A crates sparse index on loopback, answering like a static-file registry: `config.json`,
/// the crate's index file (one JSON line with `cksum`), the download; 404 otherwise.
struct SparseIndex {
    addr: std::net::SocketAddr,
    _thread: std::thread::JoinHandle<()>,
}

impl SparseIndex {
    /// Serves crate `demo` 1.0.0: its index line claims the sha256 of `claimed`, the
    /// download serves `served`.
    fn start(claimed: &'static [u8], served: &'static [u8]) -> SparseIndex {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let cksum = artidigest::digest_bytes(claimed, &[artidigest::Algorithm::Sha256])
            .get(artidigest::Algorithm::Sha256)
            .unwrap()
            .to_hex();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut s) = conn else { return };
                let mut line = String::new();
                let mut r = BufReader::new(s.try_clone().unwrap());
                if r.read_line(&mut line).is_err() {
                    continue;
                }
                // Drain the headers.
                let mut h = String::new();
                while r.read_line(&mut h).is_ok_and(|n| n > 2) {
                    h.clear();
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                let (status, ctype, body): (u16, &str, Vec<u8>) = match path.as_str() {
                    "/index/config.json" => (
                        200,
                        "application/json",
                        format!("{{\"dl\":\"http://{addr}/dl\"}}").into_bytes(),
                    ),
                    "/index/de/mo/demo" => (
                        200,
                        "text/plain",
                        format!("{{\"name\":\"demo\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\"{cksum}\",\"features\":{{}},\"yanked\":false}}\n").into_bytes(),
                    ),
                    "/dl/demo/1.0.0/download" => (200, "application/gzip", served.to_vec()),
                    _ => (404, "text/plain", b"not found\n".to_vec()),
                };
                let reason = if status == 200 { "OK" } else { "Not Found" };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(&body);
            }
        });
        SparseIndex {
            addr,
            _thread: thread,
        }
    }
}

fn readback(index: &SparseIndex, local: &[u8], tag: &str) -> relgate::Report {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("demo-1.0.0.crate"), local).unwrap();
    let p = Policy::from_toml_str(
        "[project]\nname = \"demo\"\n[[artifacts]]\nglob = \"*.crate\"\nkind = \"crate\"\n[registries.crates]\nkind = \"cargo\"\npackage = \"demo\"\n",
        "release.toml",
    )
    .unwrap();
    let mut e = Endpoints::new();
    e.insert("crates", &format!("http://{}/index/", index.addr))
        .unwrap();
    relgate::run_blocking(
        &p,
        RunContext::new(dir.path()).tag(tag).options(
            RunOptions::default()
                .endpoints(e)
                .phases([Phase::Postpublish]),
        ),
    )
}

fn readback_codes(r: &relgate::Report) -> Vec<Code> {
    r.gate("registry-readback")
        .unwrap()
        .findings
        .iter()
        .map(|f| f.finding.code)
        .collect()
}

#[test]
fn readback_against_a_sparse_index_passes_and_fails_with_each_code() {
    const CRATE: &[u8] = b"the released .crate bytes";
    const OTHER: &[u8] = b"other bytes on the registry";
    // Served bytes equal the claim and the local file.
    let r = readback(&SparseIndex::start(CRATE, CRATE), CRATE, "v1.0.0");
    let g = r.gate("registry-readback").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.evidence["files"][0]["outcome"], "same");
    // The registry consistently serves other bytes.
    let r = readback(&SparseIndex::start(OTHER, OTHER), CRATE, "v1.0.0");
    assert_eq!(readback_codes(&r), [Code::RegistryBytesDiffer]);
    // The served bytes are not what the index claims.
    let r = readback(&SparseIndex::start(CRATE, OTHER), CRATE, "v1.0.0");
    assert_eq!(readback_codes(&r), [Code::DigestMismatch]);
    // The release's version is not on the registry (only 1.0.0 is).
    let r = readback(&SparseIndex::start(CRATE, CRATE), CRATE, "v2.0.0");
    assert_eq!(readback_codes(&r), [Code::RegistryFileMissing]);
}
