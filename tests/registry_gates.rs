//! relgate's registry gates against the loopback registries of `relkit_demo` (a
//! Python index, a crates sparse index, npm): each gate passes on an honest registry and fails
//! with exactly its code for each kind of breakage; readback is bounded in concurrency and
//! memory over 20 registries' worth of files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relgate::{
    Code, Endpoints, Event, GateStatus, Phase, Policy, Report, RunContext, RunOptions,
    report::GateReport,
};
use relkit_demo::{DemoKind, DemoRegistries, endpoints_for, upload};
use relkit_demo::{DemoRelease, demo_release_dir};

mod support;

const VERSION: &str = "1.2.3";
const WHEEL: &str = "relkit_demo-1.2.3-py3-none-any.whl";
const SDIST: &str = "relkit_demo-1.2.3.tar.gz";
const CRATE: &str = "relkit-demo-1.2.3.crate";
const TGZ: &str = "relkit-demo-1.2.3.tgz";

fn demo_policy() -> Policy {
    Policy::load(&demo_release_dir().join("release.toml")).unwrap()
}

fn dist() -> std::path::PathBuf {
    demo_release_dir().join("dist")
}

/// Runs only `gate` (with the demo policy's registries) in `phase`.
fn run_gate(policy: &Policy, regs: &DemoRegistries, phase: Phase, gate: &str) -> Report {
    run_gate_with(policy, endpoints_for(policy, regs), phase, gate, None)
}

fn run_gate_with(
    policy: &Policy,
    endpoints: Endpoints,
    phase: Phase,
    gate: &str,
    observer: Option<relgate::Observer>,
) -> Report {
    // Keep the registries and signing of the demo policy, require only `gate`.
    let mut p = policy.clone();
    p.tag = None;
    p.versions = None;
    p.checksums = None;
    p.provenance = if gate == "consumer-verify" {
        policy.provenance.clone()
    } else {
        None
    };
    p.signing = if gate == "consumer-verify" {
        policy.signing.clone()
    } else {
        None
    };
    p.release.required_assets.clear();
    p.gates.retain(|id, _| id == gate);
    for rule in p.gates.values_mut() {
        rule.after.clear();
    }
    if !p.gates.contains_key(gate) {
        let mut q = Policy::from_toml_str(
            &format!("[project]\nname = \"x\"\n[gates.{gate}]\n"),
            "x.toml",
        )
        .unwrap();
        p.gates.append(&mut q.gates);
    }
    let mut ctx = RunContext::new(dist())
        .tag(DemoRelease::default().tag())
        .options(RunOptions::default().endpoints(endpoints).phases([phase]));
    if let Some(o) = observer {
        ctx = ctx.on_event(o);
    }
    relgate::run_blocking(&p, ctx)
}

fn gate<'r>(r: &'r Report, id: &str) -> &'r GateReport {
    r.gate(id)
        .unwrap_or_else(|| panic!("no gate {id} in {r:#?}"))
}

fn codes(g: &GateReport) -> Vec<Code> {
    g.findings.iter().map(|f| f.finding.code).collect()
}

fn uploaded() -> DemoRegistries {
    let regs = DemoRegistries::start().unwrap();
    upload(&regs, &demo_policy(), &dist(), VERSION, &[]).unwrap();
    regs
}

// ------------------------------------------------------------------ version-unpublished

#[test]
fn version_unpublished_passes_on_registries_without_the_version() {
    let regs = DemoRegistries::start().unwrap();
    // Another version is there: only the release version counts.
    regs.publish(
        DemoKind::Npm,
        "relkit-demo",
        "1.2.2",
        "relkit-demo-1.2.2.tgz",
        b"old".to_vec(),
    );
    let r = run_gate(
        &demo_policy(),
        &regs,
        Phase::Preflight,
        "version-unpublished",
    );
    let g = gate(&r, "version-unpublished");
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    let states: Vec<&str> = g.evidence["registries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["absent", "absent", "absent"]);
}

#[test]
fn version_unpublished_demands_a_patch_bump_when_a_registry_holds_the_version() {
    let regs = DemoRegistries::start().unwrap();
    regs.publish(
        DemoKind::Crates,
        "relkit-demo",
        VERSION,
        CRATE,
        b"crate".to_vec(),
    );
    let r = run_gate(
        &demo_policy(),
        &regs,
        Phase::Preflight,
        "version-unpublished",
    );
    let g = gate(&r, "version-unpublished");
    assert_eq!(codes(g), [Code::VersionAlreadyPublished]);
    let f = &g.findings[0].finding;
    assert_eq!(f.subject, "crates-index: relkit-demo 1.2.3");
    assert!(
        f.hint
            .as_deref()
            .unwrap()
            .contains("bump the patch version (to 1.2.4)"),
        "{f:?}"
    );
    assert_eq!(r.root_cause_codes(), [Code::VersionAlreadyPublished]);
}

#[test]
fn version_unpublished_in_recovery_mode_passes_with_a_note() {
    let regs = DemoRegistries::start().unwrap();
    regs.publish(DemoKind::Npm, "relkit-demo", VERSION, TGZ, b"tgz".to_vec());
    let mut p = demo_policy();
    p.registries.get_mut("npm-registry").unwrap().recovery = true;
    let r = run_gate(&p, &regs, Phase::Preflight, "version-unpublished");
    let g = gate(&r, "version-unpublished");
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.notes.len(), 1);
    assert!(g.notes[0].hint.as_deref().unwrap().starts_with(
        "recovery mode: npm-registry already holds relkit-demo 1.2.3; the served bytes will be verified instead of uploading"
    ));
}

#[test]
fn a_registry_without_an_endpoint_fails_closed_naming_the_variable() {
    let regs = DemoRegistries::start().unwrap();
    let mut e = endpoints_for(&demo_policy(), &regs);
    let mut partial = Endpoints::new();
    for n in ["python-index", "npm-registry"] {
        partial.insert(n, e.get(n).unwrap()).unwrap();
    }
    e = partial;
    let r = run_gate_with(
        &demo_policy(),
        e,
        Phase::Preflight,
        "version-unpublished",
        None,
    );
    let g = gate(&r, "version-unpublished");
    assert_eq!(g.status, GateStatus::Error);
    let found = g.findings[0].finding.found.clone().unwrap_or_default();
    assert!(
        found.contains("\"crates-index\"") && found.contains("RELKIT_REGISTRY_CRATES_INDEX_URL"),
        "{found}"
    );
}

#[test]
fn an_unreachable_registry_is_an_error_not_a_pass() {
    let regs = DemoRegistries::start().unwrap();
    let mut e = endpoints_for(&demo_policy(), &regs);
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/npm/", dead.local_addr().unwrap());
    drop(dead);
    e.insert("npm-registry", &url).unwrap();
    let r = run_gate_with(
        &demo_policy(),
        e,
        Phase::Preflight,
        "version-unpublished",
        None,
    );
    let g = gate(&r, "version-unpublished");
    assert_eq!(codes(g), [Code::GateError]);
    assert!(g.findings[0].finding.subject.starts_with("npm-registry"));
}

// ------------------------------------------------------------------ registry-readback

#[test]
fn readback_passes_when_every_registry_serves_the_local_bytes_and_reports_progress() {
    let regs = uploaded();
    type Seen = Arc<Mutex<Vec<(String, u64, Option<u64>)>>>;
    let events: Seen = Arc::default();
    let sink = Arc::clone(&events);
    let observer: relgate::Observer = Arc::new(move |e: &Event<'_>| {
        if let Event::Progress {
            what, done, total, ..
        } = e
        {
            sink.lock()
                .unwrap()
                .push(((*what).to_owned(), *done, *total));
        }
    });
    let p = demo_policy();
    let r = run_gate_with(
        &p,
        endpoints_for(&p, &regs),
        Phase::Postpublish,
        "registry-readback",
        Some(observer),
    );
    let g = gate(&r, "registry-readback");
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    let files = g.evidence["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    for f in files {
        let name = f["name"].as_str().unwrap();
        let local = std::fs::read(dist().join(name)).unwrap();
        assert_eq!(f["size"], local.len() as u64, "{f}");
        assert_eq!(f["outcome"], "same");
    }
    // Each download ended with all its bytes reported.
    let events = events.lock().unwrap();
    for (registry, name) in [
        ("python-index", WHEEL),
        ("python-index", SDIST),
        ("crates-index", CRATE),
        ("npm-registry", TGZ),
    ] {
        let what = format!("{registry}/{name}");
        let size = std::fs::metadata(dist().join(name)).unwrap().len();
        let last = events
            .iter()
            .rev()
            .find(|(w, _, _)| *w == what)
            .unwrap_or_else(|| panic!("no progress for {what}"));
        assert_eq!((last.1, last.2), (size, Some(size)), "{what}");
    }
}

#[test]
fn readback_reports_other_bytes_served_consistently() {
    let regs = uploaded();
    assert_eq!(regs.replace_bytes(TGZ, b"not the release"), 1);
    let r = run_gate(
        &demo_policy(),
        &regs,
        Phase::Postpublish,
        "registry-readback",
    );
    let g = gate(&r, "registry-readback");
    assert_eq!(codes(g), [Code::RegistryBytesDiffer]);
    let f = &g.findings[0].finding;
    assert_eq!(f.subject, format!("{TGZ} on npm-registry"));
    assert!(f.expected.as_deref().unwrap().starts_with("local sha256:"));
    assert!(f.found.as_deref().unwrap().starts_with("served sha256:"));
}

#[test]
fn readback_reports_a_served_file_that_is_not_part_of_the_release() {
    let regs = uploaded();
    let extra = "relkit_demo-1.2.3-cp312-cp312-manylinux_2_17_x86_64.whl";
    regs.publish(
        DemoKind::Pypi,
        "relkit-demo",
        VERSION,
        extra,
        b"someone else's wheel".to_vec(),
    );
    let r = run_gate(
        &demo_policy(),
        &regs,
        Phase::Postpublish,
        "registry-readback",
    );
    let g = gate(&r, "registry-readback");
    assert_eq!(codes(g), [Code::RegistryBytesDiffer], "{g:#?}");
    assert_eq!(
        g.findings[0].finding.subject,
        format!("{extra} on python-index")
    );
}

#[test]
fn readback_reports_served_bytes_that_differ_from_the_registrys_claim() {
    let regs = uploaded();
    let mut other = std::fs::read(dist().join(WHEEL)).unwrap();
    other[10] ^= 1;
    assert_eq!(regs.corrupt(WHEEL, &other), 1);
    let r = run_gate(
        &demo_policy(),
        &regs,
        Phase::Postpublish,
        "registry-readback",
    );
    let g = gate(&r, "registry-readback");
    assert_eq!(codes(g), [Code::DigestMismatch], "{g:#?}");
    assert_eq!(
        g.findings[0].finding.subject,
        format!("{WHEEL} on python-index")
    );
}

#[test]
fn readback_reports_a_missing_version_and_a_missing_file() {
    let regs = DemoRegistries::start().unwrap();
    let p = demo_policy();
    // Only the wheel reached the Python index; the crates index got nothing.
    regs.publish(
        DemoKind::Pypi,
        "relkit-demo",
        VERSION,
        WHEEL,
        std::fs::read(dist().join(WHEEL)).unwrap(),
    );
    regs.publish(
        DemoKind::Npm,
        "relkit-demo",
        VERSION,
        TGZ,
        std::fs::read(dist().join(TGZ)).unwrap(),
    );
    let r = run_gate(&p, &regs, Phase::Postpublish, "registry-readback");
    let g = gate(&r, "registry-readback");
    assert_eq!(
        codes(g),
        [Code::RegistryFileMissing, Code::RegistryFileMissing],
        "{g:#?}"
    );
    assert_eq!(
        support::finding_subjects(g),
        [
            "crates-index: relkit-demo 1.2.3",
            &format!("{SDIST} on python-index")
        ]
    );
}

// ------------------------------------------------------------------ registry-visible

#[test]
fn visible_passes_at_once_when_served() {
    let regs = uploaded();
    let r = run_gate(
        &demo_policy(),
        &regs,
        Phase::Postpublish,
        "registry-visible",
    );
    assert_eq!(gate(&r, "registry-visible").status, GateStatus::Pass);
}

#[test]
fn not_visible_after_the_deadline_with_the_diagnosis_and_conditional_polls() {
    let regs = DemoRegistries::start().unwrap();
    let mut p = demo_policy();
    for r in p.registries.values_mut() {
        r.visible_within_secs = Some(1);
    }
    // The Python index knows the project, but not this version; the others nothing.
    regs.publish(
        DemoKind::Pypi,
        "relkit-demo",
        "1.2.2",
        "relkit_demo-1.2.2.tar.gz",
        b"old".to_vec(),
    );
    let started = std::time::Instant::now();
    let r = run_gate(&p, &regs, Phase::Postpublish, "registry-visible");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "polls ran past the deadline"
    );
    let g = gate(&r, "registry-visible");
    assert_eq!(codes(g), [Code::NotVisible; 3], "{g:#?}");
    let py = g
        .findings
        .iter()
        .find(|f| f.finding.subject.starts_with("python-index"))
        .unwrap();
    assert!(
        py.finding
            .found
            .as_deref()
            .unwrap()
            .contains("lists no file for 1.2.3"),
        "{py:?}"
    );
    assert!(
        regs.stats().not_modified() > 0,
        "polls must be conditional (ETag / 304)"
    );
}

// ------------------------------------------------------------------ consumer-verify

#[test]
fn consumer_verify_passes_on_the_served_bytes() {
    let regs = uploaded();
    let r = run_gate(&demo_policy(), &regs, Phase::Consume, "consumer-verify");
    let g = gate(&r, "consumer-verify");
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.evidence["registries"].as_object().unwrap().len(), 3);
}

#[test]
fn consumer_verify_rejects_served_bytes_the_signatures_do_not_cover() {
    let regs = uploaded();
    let mut other = std::fs::read(dist().join(CRATE)).unwrap();
    other.extend_from_slice(b"\0appended");
    regs.replace_bytes(CRATE, &other);
    let r = run_gate(&demo_policy(), &regs, Phase::Consume, "consumer-verify");
    let g = gate(&r, "consumer-verify");
    // The bundle's message digest does not cover the served bytes: attest's artifact-mismatch,
    // reported as in every gate that verifies with attest.
    assert_eq!(codes(g), [Code::SubjectNotCovered], "{g:#?}");
    assert!(
        g.findings[0]
            .finding
            .subject
            .contains("(as served by crates-index)")
    );
}

#[test]
fn consumer_verify_rejects_served_bytes_that_break_the_registrys_claim() {
    let regs = uploaded();
    regs.corrupt(TGZ, b"truncated");
    let r = run_gate(&demo_policy(), &regs, Phase::Consume, "consumer-verify");
    let g = gate(&r, "consumer-verify");
    assert_eq!(codes(g), [Code::DigestMismatch], "{g:#?}");
}

#[test]
fn consumer_verify_refuses_a_trust_root_inside_the_release_folder_naming_it() {
    let regs = uploaded();
    let mut policy = demo_policy();
    // Any file of dist/ will do: the root is refused before it is read.
    policy.signing.as_mut().unwrap().trusted_root = Some(String::from("dist/SHA256SUMS"));
    let r = run_gate(&policy, &regs, Phase::Consume, "consumer-verify");
    let g = gate(&r, "consumer-verify");
    assert_eq!(codes(g), [Code::TrustRootInRelease], "{g:#?}");
    assert_eq!(g.findings[0].finding.subject, "dist/SHA256SUMS");
}

// ------------------------------------------------------------------ the loopback protocols

/// One raw request to the loopback registries: status, headers (lower-cased names), body.
fn raw(
    addr: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let hs = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, hs, body.to_owned())
}

fn header<'h>(hs: &'h [(String, String)], name: &str) -> Option<&'h str> {
    hs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn the_loopback_registries_speak_their_protocols() {
    let regs = uploaded();
    let url = regs.pypi_url();
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();

    // PEP 691: JSON when asked for, with an ETag that revalidates to 304.
    let json = [("Accept", "application/vnd.pypi.simple.v1+json")];
    let (st, hs, body) = raw(&addr, "GET", "/pypi/simple/relkit-demo/", &json);
    assert_eq!(st, 200);
    assert_eq!(
        header(&hs, "content-type"),
        Some("application/vnd.pypi.simple.v1+json")
    );
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["meta"]["api-version"], "1.1");
    assert_eq!(doc["files"].as_array().unwrap().len(), 2);
    let etag = header(&hs, "etag").unwrap().to_owned();
    let (st, _, body) = raw(
        &addr,
        "GET",
        "/pypi/simple/relkit-demo/",
        &[json[0], ("If-None-Match", &etag)],
    );
    assert_eq!((st, body.as_str()), (304, ""));
    // PEP 503: a non-normalized name redirects; HTML by default.
    let (st, hs, _) = raw(&addr, "GET", "/pypi/simple/Relkit_Demo/", &[]);
    assert_eq!(st, 301);
    assert!(
        header(&hs, "location")
            .unwrap()
            .ends_with("/pypi/simple/relkit-demo/")
    );
    let (st, hs, _) = raw(&addr, "GET", "/pypi/simple/relkit-demo/", &[]);
    assert_eq!(st, 200);
    assert_eq!(
        header(&hs, "content-type"),
        Some("application/vnd.pypi.simple.v1+html")
    );
    // JSON API: 404 with its error body for an unknown version.
    let (st, _, body) = raw(&addr, "GET", "/pypi/pypi/relkit-demo/9.9.9/json", &[]);
    assert_eq!((st, body.as_str()), (404, r#"{"message":"Not Found"}"#));
    let (st, hs, _) = raw(&addr, "GET", "/pypi/pypi/relkit-demo/1.2.3/json", &[]);
    assert_eq!(st, 200);
    assert!(header(&hs, "x-pypi-last-serial").is_some());

    // crates: config.json, index lines with cksum, the download.
    let (st, _, body) = raw(&addr, "GET", "/crates/index/config.json", &[]);
    assert_eq!(st, 200);
    assert!(body.contains("\"dl\""));
    let (st, _, body) = raw(&addr, "GET", "/crates/index/re/lk/relkit-demo", &[]);
    assert_eq!(st, 200);
    let line: serde_json::Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
    let local = std::fs::read(dist().join(CRATE)).unwrap();
    let sha = artidigest::digest_bytes(&local, &[artidigest::Algorithm::Sha256]);
    assert_eq!(
        line["cksum"],
        sha.get(artidigest::Algorithm::Sha256).unwrap().to_hex()
    );
    let (st, hs, _) = raw(
        &addr,
        "HEAD",
        "/crates/api/v1/crates/relkit-demo/1.2.3/download",
        &[],
    );
    assert_eq!(st, 200);
    assert_eq!(
        header(&hs, "content-length"),
        Some(local.len().to_string().as_str())
    );
    let (st, _, _) = raw(&addr, "GET", "/crates/index/no/ne/nonexistent", &[]);
    assert_eq!(st, 404);

    // npm: abbreviated and full packuments, integrity and shasum.
    let (st, hs, body) = raw(
        &addr,
        "GET",
        "/npm/relkit-demo",
        &[("Accept", "application/vnd.npm.install-v1+json")],
    );
    assert_eq!(st, 200);
    assert_eq!(
        header(&hs, "content-type"),
        Some("application/vnd.npm.install-v1+json")
    );
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let dist_doc = &doc["versions"]["1.2.3"]["dist"];
    assert!(
        dist_doc["integrity"]
            .as_str()
            .unwrap()
            .starts_with("sha512-")
    );
    assert_eq!(dist_doc["shasum"].as_str().unwrap().len(), 40);
    assert!(doc.get("time").is_none());
    let (_, _, body) = raw(&addr, "GET", "/npm/relkit-demo", &[]);
    let full: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(full["time"]["1.2.3"].is_string());
    let (st, _, body) = raw(&addr, "GET", "/npm/nope", &[]);
    assert_eq!((st, body.as_str()), (404, r#"{"error":"Not found"}"#));

    // Only GET and HEAD.
    let (st, hs, _) = raw(&addr, "POST", "/npm/relkit-demo", &[]);
    assert_eq!(st, 405);
    assert_eq!(header(&hs, "allow"), Some("GET, HEAD"));
}

// ------------------------------------------------------------------ scale

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A release of 500 artifacts over 20 registries (25 wheels each): 500 downloads, at most the
/// configured number in flight, with bounded memory.
#[test]
fn readback_of_twenty_registries_is_bounded_in_concurrency_and_memory() {
    const REGISTRIES: usize = 20;
    const FILES: usize = 25;
    const LIMIT: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let mut policy = String::from(
        "[project]\nname = \"bulk\"\n[[artifacts]]\nglob = \"*.whl\"\nkind = \"wheel\"\n",
    );
    for i in 0..REGISTRIES {
        policy.push_str(&format!("[registries.index-{i:02}]\nkind = \"pypi\"\npackage = \"bulk-{i:02}\"\nartifacts = [\"wheel\"]\n"));
    }
    let policy = Policy::from_toml_str(&policy, "release.toml").unwrap();
    let regs = DemoRegistries::start().unwrap();
    // 500 distinct artifacts: each registry's package has its own 25 wheels.
    for i in 0..REGISTRIES {
        for f in 0..FILES {
            let name = format!("bulk_{i:02}-1.0.0-{f}-py3-none-any.whl");
            let bytes: Vec<u8> = (0..64 * 1024)
                .map(|b| ((b * 31 + f * 7 + i * 13) % 251) as u8)
                .collect();
            std::fs::write(dir.path().join(&name), &bytes).unwrap();
            regs.publish(
                DemoKind::Pypi,
                &format!("bulk-{i:02}"),
                "1.0.0",
                &name,
                bytes,
            );
        }
    }
    regs.slow_downloads(Duration::from_millis(5));
    let before = vm_hwm_kib();
    let scratch = tempfile::tempdir_in(if Path::new("/dev/shm").is_dir() {
        "/dev/shm"
    } else {
        "/tmp"
    })
    .unwrap();
    let ctx = RunContext::new(dir.path()).tag("v1.0.0").options(
        RunOptions::default()
            .endpoints(endpoints_for(&policy, &regs))
            .registry_concurrency(LIMIT)
            .scratch_dir(scratch.path())
            .phases([Phase::Postpublish]),
    );
    let r = relgate::run_blocking(&policy, ctx);
    let g = gate(&r, "registry-readback");
    assert_eq!(g.status, GateStatus::Pass, "{:#?}", g.findings.first());
    assert_eq!(
        g.evidence["files"].as_array().unwrap().len(),
        REGISTRIES * FILES
    );
    let max = regs.stats().max_in_flight();
    assert!(max <= LIMIT, "{max} downloads in flight, limit {LIMIT}");
    assert!(max >= 2, "downloads did not overlap ({max})");
    if let (Some(a), Some(b)) = (before, vm_hwm_kib()) {
        assert!(
            b.saturating_sub(a) < 100 * 1024,
            "peak RSS grew by {} KiB",
            b - a
        );
        eprintln!(
            "readback of {} files from {REGISTRIES} registries: at most {max} downloads in flight (limit {LIMIT}), peak RSS +{} KiB",
            REGISTRIES * FILES,
            b.saturating_sub(a)
        );
    }
    // Nothing is left behind in the scratch folder.
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
}

// ------------------------------------------------------------------ oci-platforms (real registry)

mod oci {
    use regclient::testing::TestRegistry;
    use relgate::{Code, Endpoints, GateStatus, Phase, Policy, RunContext, RunOptions};
    use relkit_testkit::oci::docker_registry_or_skip;

    /// A fresh `docker-registry` holding `team/app:1.2.3`, an index of one image per platform,
    /// signed with a cosign `sha256-<hex>.sig` tag when `signed`; `None` when it is not
    /// installed (outside CI).
    fn release(platforms: &[&str], signed: bool) -> Option<TestRegistry> {
        let registry = docker_registry_or_skip()?;
        let index = registry
            .push_index("team/app", platforms, &["1.2.3"])
            .unwrap();
        if signed {
            registry
                .push_cosign_signature("team/app", &index, b"cosign signature payload")
                .unwrap();
        }
        Some(registry)
    }

    fn check(registry: &TestRegistry) -> relgate::Report {
        let policy = Policy::from_toml_str(
            "[project]\nname = \"app\"\n[registries.images]\nkind = \"oci\"\npackage = \"team/app\"\nplatforms = [\"linux/amd64\", \"linux/arm64\"]\nsigned = true\n[gates.oci-platforms]\n",
            "release.toml",
        )
        .unwrap();
        let mut e = Endpoints::new();
        e.insert("images", registry.base()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        relgate::run_blocking(
            &policy,
            RunContext::new(dir.path()).tag("v1.2.3").options(
                RunOptions::default()
                    .endpoints(e)
                    .phases([Phase::Postpublish]),
            ),
        )
    }

    #[test]
    fn oci_platforms_and_signature_on_a_real_registry() {
        // Both platforms, signed: pass.
        let Some(ok) = release(&["linux/amd64", "linux/arm64"], true) else {
            return;
        };
        let r = check(&ok);
        let g = r.gate("oci-platforms").unwrap();
        assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
        assert_eq!(g.evidence["images"][0]["signature"], "sig-tag");

        // arm64 missing: exactly platform-missing.
        let partial = release(&["linux/amd64"], true).unwrap();
        let r = check(&partial);
        let g = r.gate("oci-platforms").unwrap();
        let codes: Vec<Code> = g.findings.iter().map(|f| f.finding.code).collect();
        assert_eq!(codes, [Code::PlatformMissing]);
        assert!(g.findings[0].finding.subject.ends_with("linux/arm64"));

        // Not signed: exactly signature-missing.
        let unsigned = release(&["linux/amd64", "linux/arm64"], false).unwrap();
        let r = check(&unsigned);
        let g = r.gate("oci-platforms").unwrap();
        let codes: Vec<Code> = g.findings.iter().map(|f| f.finding.code).collect();
        assert_eq!(codes, [Code::SignatureMissing], "{g:#?}");
    }
}
