//! `read_back`: many versions looked up and downloaded in one pipeline, against an in-process
//! npm registry whose tarballs answer slowly.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use artidigest::Algorithm;
use regclient::{
    PackageSpec, ReadbackError, RegistriesConfig, SpecReadback, VersionState, read_back,
};
use serde_json::json;

use crate::support::*;

fn tarball(i: usize) -> Vec<u8> {
    (0..300_000)
        .map(|k| ((k * 7 + i * 13) % 251) as u8)
        .collect()
}

fn sha512_sri(b: &[u8]) -> String {
    artidigest::digest_bytes(b, &[Algorithm::Sha512])
        .get(Algorithm::Sha512)
        .unwrap()
        .to_sri()
}

/// Packages `pkg0`…`pkg5` at 1.0.0; `pkg3`'s tarball is served tampered; `twin` lists the same
/// tarball file name as `pkg1`; `ghost` is unknown (404).
#[test]
fn read_back_pipelines_lookups_and_downloads_and_keeps_every_check() {
    const N: usize = 6;
    let in_flight = Arc::new(InFlight::default());
    // Lookups and downloads in flight, and whether one kind ever started while the other ran.
    let lookups = Arc::new(AtomicUsize::new(0));
    let downloads = Arc::new(AtomicUsize::new(0));
    let overlapped = Arc::new(AtomicUsize::new(0));
    // (what, started) per request, in the order the server saw them start.
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    let base: Arc<Mutex<String>> = Arc::default();
    let server = {
        let (in_flight, order, base) = (
            Arc::clone(&in_flight),
            Arc::clone(&order),
            Arc::clone(&base),
        );
        let (lookups, downloads, overlapped) = (
            Arc::clone(&lookups),
            Arc::clone(&downloads),
            Arc::clone(&overlapped),
        );
        TestServer::start(move |req| {
            in_flight.enter();
            order.lock().unwrap().push(req.path.clone());
            let base = base.lock().unwrap().clone();
            let packument = |name: &str, i: usize| {
                let body = tarball(i);
                json!({
                    "name": name,
                    "versions": {"1.0.0": {
                        "name": name,
                        "version": "1.0.0",
                        "dist": {
                            "tarball": format!("{base}pkg{i}/-/pkg{i}-1.0.0.tgz"),
                            "integrity": sha512_sri(&body),
                        }
                    }}
                })
            };
            let path = req.path.trim_start_matches('/');
            let (mine, other) = if path.contains("/-/") {
                (&downloads, &lookups)
            } else {
                (&lookups, &downloads)
            };
            mine.fetch_add(1, Ordering::SeqCst);
            if other.load(Ordering::SeqCst) > 0 {
                overlapped.fetch_add(1, Ordering::SeqCst);
            }
            let reply = if let Some(rest) = path.strip_prefix("pkg").filter(|r| r.contains("/-/")) {
                // A tarball: slow enough that lookups and downloads overlap.
                std::thread::sleep(Duration::from_millis(60));
                let i: usize = rest.split('/').next().unwrap().parse().unwrap();
                let mut body = tarball(i);
                if i == 3 {
                    body[1000] ^= 1;
                }
                Reply::ok(body)
            } else if let Some(i) = path.strip_prefix("pkg").and_then(|r| r.parse().ok()) {
                // pkg0's metadata is slow: the other worker downloads meanwhile.
                std::thread::sleep(Duration::from_millis(if i == 0 { 150 } else { 20 }));
                Reply::json(200, &packument(path, i))
            } else if path == "twin" {
                Reply::json(200, &packument("twin", 1))
            } else {
                Reply::status(404, "not found")
            };
            mine.fetch_sub(1, Ordering::SeqCst);
            in_flight.leave();
            reply
        })
    };
    *base.lock().unwrap() = server.url("/");
    let cfg: RegistriesConfig = format!(
        "[http]\nmax-concurrency = 2\ntimeout-secs = 10\n[npm]\nregistry = \"{}\"\n",
        server.url("/")
    )
    .parse()
    .unwrap();
    let registries = cfg.build().unwrap();
    let mut specs: Vec<PackageSpec> = (0..N)
        .map(|i| format!("npm:pkg{i}@1.0.0").parse().unwrap())
        .collect();
    specs.push("npm:twin@1.0.0".parse().unwrap());
    specs.push("npm:ghost@1.0.0".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();

    let got = read_back(&registries, &specs, dir.path(), None);

    // One result per spec, in the order asked.
    assert_eq!(got.len(), specs.len());
    for (r, s) in got.iter().zip(&specs) {
        assert_eq!(&r.spec, s);
    }
    for (i, r) in got.iter().take(N).enumerate() {
        let SpecReadback {
            published,
            downloads,
            ..
        } = r;
        let published = published.as_ref().unwrap();
        assert_eq!(published.state, VersionState::Present);
        assert_eq!(downloads.len(), 1);
        if i == 3 {
            // Tampered bytes: refused, nothing left behind.
            assert!(
                matches!(downloads[0], Err(ReadbackError::DigestMismatch { .. })),
                "{:?}",
                downloads[0]
            );
        } else {
            let f = downloads[0].as_ref().unwrap();
            assert_eq!(std::fs::read(&f.path).unwrap(), tarball(i));
            assert_eq!(
                f.computed.get(Algorithm::Sha256),
                Some(&sha256(&tarball(i)))
            );
        }
    }
    // `twin` names pkg1's file: it is not written a second time.
    assert!(
        matches!(
            &got[N].downloads[..],
            [Err(ReadbackError::DuplicateName { name, .. })] if name == "pkg1-1.0.0.tgz"
        ),
        "{:?}",
        got[N].downloads
    );
    assert_eq!(
        got[N + 1].published.as_ref().unwrap().state,
        VersionState::Absent
    );
    assert!(got[N + 1].downloads.is_empty());
    let expected: Vec<String> = (0..N)
        .filter(|&i| i != 3)
        .map(|i| format!("pkg{i}-1.0.0.tgz"))
        .collect();
    assert_eq!(dir_names(dir.path()), expected);

    // Pipelined: a download ran while a lookup did, the first download started before the
    // last lookup, and never more requests were in flight than the client's concurrency.
    assert!(overlapped.load(Ordering::SeqCst) > 0);
    let order = order.lock().unwrap().clone();
    let first_download = order.iter().position(|p| p.contains("/-/")).unwrap();
    let last_lookup = order.iter().rposition(|p| !p.contains("/-/")).unwrap();
    assert!(first_download < last_lookup, "{order:?}");
    assert!(in_flight.peak() <= 2, "{}", in_flight.peak());
}

/// Nothing asked, nothing done; a lookup error (no registry of that kind configured) is
/// reported for its spec.
#[test]
fn read_back_of_nothing_is_nothing_and_lookup_errors_are_per_spec() {
    let cfg: RegistriesConfig = "[npm]\nregistry = \"http://127.0.0.1:9/\"\n"
        .parse()
        .unwrap();
    let registries = cfg.build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(read_back(&registries, &[], dir.path(), None).is_empty());
    let specs: Vec<PackageSpec> = vec!["pypi:demo==1.0".parse().unwrap()];
    let got = read_back(&registries, &specs, dir.path(), None);
    assert!(matches!(
        got[0].published,
        Err(regclient::LookupError::NotConfigured(_))
    ));
    assert!(got[0].downloads.is_empty());
    assert!(dir_names(dir.path()).is_empty());
}
