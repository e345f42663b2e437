//! The crates sparse index over an in-process static server (the protocol is static files).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use regclient::crates::{Error, PollOptions, SparseIndex};
use regclient::{FetchOptions, ReadbackError, VersionState, fetch_verified};

use crate::support::*;

fn line(name: &str, vers: &str, body: &[u8], yanked: bool) -> String {
    format!(
        "{{\"name\":\"{name}\",\"vers\":\"{vers}\",\"deps\":[],\"cksum\":\"{}\",\"features\":{{}},\"yanked\":{yanked},\"v\":2}}\n",
        sha256(body).to_hex()
    )
}

fn registry() -> (TestServer, Files) {
    let files: Files = Arc::new(Mutex::new(HashMap::new()));
    let server = static_server(Arc::clone(&files));
    let a = b"crate bytes 0.1.0".to_vec();
    let b = b"crate bytes 0.2.0".to_vec();
    let mut f = files.lock().unwrap();
    f.insert(
        "/index/config.json".into(),
        format!(
            "{{\"dl\":\"http://{}/dl/{{lowerprefix}}/{{crate}}/{{crate}}-{{version}}.crate?ck={{sha256-checksum}}\"}}",
            server.addr
        )
        .into_bytes(),
    );
    f.insert(
        "/index/de/mo/demo-crate".into(),
        format!(
            "{}{}",
            line("Demo-Crate", "0.1.0", &a, false),
            line("Demo-Crate", "0.2.0", &b, true)
        )
        .into_bytes(),
    );
    f.insert("/dl/de/mo/Demo-Crate/Demo-Crate-0.1.0.crate".into(), a);
    f.insert("/dl/de/mo/Demo-Crate/Demo-Crate-0.2.0.crate".into(), b);
    drop(f);
    (server, files)
}

#[test]
fn versions_states_and_verified_download() {
    let (server, _files) = registry();
    let idx = SparseIndex::new(client(), &server.url("/index/")).unwrap();
    let v = idx.version("demo-crate", "0.1.0").unwrap();
    assert_eq!(v.state, VersionState::Present);
    assert_eq!(v.files[0].name, "Demo-Crate-0.1.0.crate");
    assert!(
        v.files[0]
            .url
            .contains("/dl/de/mo/Demo-Crate/Demo-Crate-0.1.0.crate?ck=")
    );
    let y = idx.version("demo-crate", "0.2.0").unwrap();
    assert_eq!(y.state, VersionState::Yanked { reason: None });
    assert_eq!(
        idx.version("demo-crate", "9.9.9").unwrap().state,
        VersionState::Absent
    );
    assert!(idx.exists("demo-crate", "0.2.0").unwrap());
    assert!(!idx.exists("demo-crate", "0.3.0").unwrap());
    assert!(!idx.exists("no-such-crate", "0.1.0").unwrap());

    let dir = tempfile::tempdir().unwrap();
    let got = fetch_verified(&client(), &v.files[0], dir.path(), FetchOptions::default()).unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), b"crate bytes 0.1.0");
    assert_eq!(
        got.computed.get(artidigest::Algorithm::Sha256),
        Some(&sha256(b"crate bytes 0.1.0"))
    );
    assert_eq!(dir_names(dir.path()), vec!["Demo-Crate-0.1.0.crate"]);
}

#[test]
fn served_file_differing_from_the_index_is_refused_and_not_kept() {
    let (server, files) = registry();
    files.lock().unwrap().insert(
        "/dl/de/mo/Demo-Crate/Demo-Crate-0.1.0.crate".into(),
        b"tampered bytes!!!".to_vec(),
    );
    let idx = SparseIndex::new(client(), &server.url("/index")).unwrap();
    let v = idx.version("Demo-Crate", "0.1.0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err =
        fetch_verified(&client(), &v.files[0], dir.path(), FetchOptions::default()).unwrap_err();
    match &err {
        ReadbackError::DigestMismatch { source, url } => {
            assert_eq!(source.expected, sha256(b"crate bytes 0.1.0"));
            assert_eq!(source.actual, sha256(b"tampered bytes!!!"));
            assert!(url.contains("Demo-Crate-0.1.0.crate"));
        }
        e => panic!("wrong error {e:?}"),
    }
    assert!(dir_names(dir.path()).is_empty(), "partial file left behind");
}

#[test]
fn second_lookup_is_conditional() {
    let (server, _files) = registry();
    let idx = SparseIndex::new(client(), &server.url("/index/")).unwrap();
    let (_, revalidated) = idx.entries("demo-crate").unwrap();
    assert!(!revalidated);
    let (e, revalidated) = idx.entries("demo-crate").unwrap();
    assert!(revalidated);
    assert_eq!(e.len(), 2);
    let reqs = server.requests();
    let idx_reqs: Vec<_> = reqs
        .iter()
        .filter(|r| r.path.ends_with("/demo-crate"))
        .collect();
    assert_eq!(idx_reqs.len(), 2);
    assert!(idx_reqs[0].header("if-none-match").is_none());
    assert!(idx_reqs[1].header("if-none-match").is_some());
}

#[test]
fn waiting_sees_a_late_version_and_diagnoses_a_missing_one() {
    let (server, files) = registry();
    let idx = SparseIndex::new(client(), &server.url("/index/")).unwrap();
    let poll = PollOptions::new(Duration::from_millis(50), Duration::from_secs(1));
    let err = idx
        .wait_for_version("demo-crate", "0.3.0", poll)
        .unwrap_err();
    match &err {
        Error::NotVisible(regclient::NotVisible {
            polls, diagnosis, ..
        }) => {
            assert!(*polls >= 2);
            assert!(
                diagnosis.contains("lists 2 version(s)") && diagnosis.contains("not 0.3.0"),
                "{diagnosis}"
            );
            assert!(diagnosis.contains("304"), "{diagnosis}");
        }
        e => panic!("wrong error {e:?}"),
    }
    let err = idx
        .wait_for_version("absent-crate", "1.0.0", poll)
        .unwrap_err();
    assert!(err.to_string().contains("does not list the crate"), "{err}");

    // Publish 0.3.0 while a poller waits.
    let f2 = Arc::clone(&files);
    let publisher = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        let c = b"crate bytes 0.3.0".to_vec();
        let mut f = f2.lock().unwrap();
        let idx = f.get_mut("/index/de/mo/demo-crate").unwrap();
        idx.extend_from_slice(line("Demo-Crate", "0.3.0", &c, false).as_bytes());
        f.insert("/dl/de/mo/Demo-Crate/Demo-Crate-0.3.0.crate".into(), c);
    });
    let poll = PollOptions::new(Duration::from_millis(50), Duration::from_secs(5));
    let v = idx.wait_for_version("demo-crate", "0.3.0", poll).unwrap();
    publisher.join().unwrap();
    assert_eq!(v.state, VersionState::Present);
}

#[test]
fn malformed_index_line_names_the_line() {
    let (server, files) = registry();
    files
        .lock()
        .unwrap()
        .get_mut("/index/de/mo/demo-crate")
        .unwrap()
        .extend_from_slice(b"{not json\n");
    let idx = SparseIndex::new(client(), &server.url("/index/")).unwrap();
    match idx.version("demo-crate", "0.1.0").unwrap_err() {
        Error::IndexLine { line, url, .. } => {
            assert_eq!(line, 3);
            assert!(url.ends_with("/index/de/mo/demo-crate"));
        }
        e => panic!("wrong error {e:?}"),
    }
}
