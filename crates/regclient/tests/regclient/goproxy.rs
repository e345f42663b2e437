//! Go module proxies over an in-process static server: the GOPROXY protocol is static files
//! (`@v/list`, `@v/VERSION.info`, `.mod`, `.zip`), 404/410 meaning "not there".

use std::collections::HashMap;
use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex};

use regclient::goproxy::{Error, GoProxy, hash_go_mod, hash_module_zip};
use regclient::{FetchOptions, PackageSpec, RegistriesConfig, RegistryKind, VersionState};

use crate::support::*;

const MODULE: &str = "example.com/Org/mod";
const GO_MOD: &[u8] = b"module example.com/Org/mod\n\ngo 1.22\n";

/// A module zip as the go command lays it out: `module@version/` before every name.
fn module_zip() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, body) in [
        (
            "mod.go",
            &b"package mod\n\nconst Version = \"v1.0.0\"\n"[..],
        ),
        ("go.mod", GO_MOD),
        ("LICENSE", b"MIT\n"),
    ] {
        w.start_file(format!("{MODULE}@v1.0.0/{name}"), opts)
            .unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn proxy() -> (TestServer, Files) {
    let files: Files = Arc::new(Mutex::new(HashMap::new()));
    let server = static_server(Arc::clone(&files));
    let mut f = files.lock().unwrap();
    let at = "/example.com/!org/mod/@v";
    f.insert(format!("{at}/list"), b"v0.9.0\nv1.0.0\n".to_vec());
    f.insert(
        format!("{at}/v1.0.0.info"),
        br#"{"Version":"v1.0.0","Time":"2026-11-01T00:00:00Z"}"#.to_vec(),
    );
    f.insert(format!("{at}/v1.0.0.mod"), GO_MOD.to_vec());
    f.insert(format!("{at}/v1.0.0.zip"), module_zip());
    // A proxy answering with another version than asked for.
    f.insert(
        format!("{at}/v0.9.0.info"),
        br#"{"Version":"v0.9.1","Time":"2026-10-01T00:00:00Z"}"#.to_vec(),
    );
    drop(f);
    (server, files)
}

#[test]
fn module_zip_hash_is_go_sums_h1() {
    // Computed independently from the three names and contents with the dirhash recipe.
    assert_eq!(
        hash_module_zip(Cursor::new(module_zip()), &artidigest::Limits::default()).unwrap(),
        "h1:/5cuez1zKlvfrx0u8wGQ9G1+/x97qre/rzRT5+JERRU="
    );
    assert!(matches!(
        hash_module_zip(
            Cursor::new(b"not a zip".to_vec()),
            &artidigest::Limits::default()
        ),
        Err(Error::Zip(_))
    ));
}

#[test]
fn versions_listed_served_and_absent() {
    let (server, _files) = proxy();
    let go = GoProxy::new(client(), &server.url("/")).unwrap();
    assert_eq!(go.list(MODULE).unwrap(), ["v0.9.0", "v1.0.0"]);
    assert!(go.list("example.com/unknown").unwrap().is_empty());

    let v = go.version(MODULE, "v1.0.0").unwrap();
    assert_eq!(v.kind, RegistryKind::GoProxy);
    assert_eq!(v.state, VersionState::Present);
    let names: Vec<&str> = v.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["v1.0.0.mod", "v1.0.0.zip"]);
    assert!(
        v.files[1]
            .url
            .ends_with("/example.com/!org/mod/@v/v1.0.0.zip")
    );
    assert!(
        v.files.iter().all(|f| f.digests.is_empty()),
        "a proxy claims no digests"
    );
    assert!(go.exists(MODULE, "v1.0.0").unwrap());
    assert!(!go.exists(MODULE, "v2.0.0").unwrap());
    assert_eq!(
        go.version(MODULE, "v2.0.0").unwrap().state,
        VersionState::Absent
    );

    match go.version(MODULE, "v0.9.0") {
        Err(Error::WrongVersion {
            expected, found, ..
        }) => assert_eq!((expected.as_str(), found.as_str()), ("v0.9.0", "v0.9.1")),
        other => panic!("expected WrongVersion, got {other:?}"),
    }
    assert!(matches!(
        go.version(MODULE, "1.0.0"),
        Err(Error::InvalidVersion { .. })
    ));
    assert!(matches!(
        go.version("example.com/../x", "v1.0.0"),
        Err(Error::InvalidPath { .. })
    ));
}

#[test]
fn gone_410_is_absent_and_5xx_is_an_error() {
    let server = TestServer::start(|req| {
        if req.path.contains("v1.0.0.info") {
            Reply::status(410, "gone")
        } else {
            Reply::status(500, "boom")
        }
    });
    let go = GoProxy::new(client(), &server.url("/")).unwrap();
    assert_eq!(
        go.version(MODULE, "v1.0.0").unwrap().state,
        VersionState::Absent
    );
    assert!(matches!(
        go.version(MODULE, "v1.1.0"),
        Err(Error::Http { .. })
    ));
}

#[test]
fn served_zip_is_read_back_against_the_local_module_and_go_sum() {
    let (server, files) = proxy();
    let go = GoProxy::new(client(), &server.url("/")).unwrap();
    let local = module_zip();
    let dir = tempfile::tempdir().unwrap();
    let mut served = go.version(MODULE, "v1.0.0").unwrap().files;
    // The proxy claims nothing, so the caller supplies the local digest as the expectation.
    for f in &mut served {
        let body = if f.name.ends_with(".zip") {
            &local[..]
        } else {
            GO_MOD
        };
        f.digests = vec![sha256(body)];
    }
    for f in &served {
        let got =
            regclient::fetch_verified(&client(), f, dir.path(), FetchOptions::default()).unwrap();
        assert!(got.path.starts_with(dir.path()));
    }
    let zip_back = std::fs::read(dir.path().join("v1.0.0.zip")).unwrap();
    assert_eq!(
        hash_module_zip(Cursor::new(zip_back), &artidigest::Limits::default()).unwrap(),
        "h1:/5cuez1zKlvfrx0u8wGQ9G1+/x97qre/rzRT5+JERRU="
    );
    assert_eq!(
        hash_go_mod(&std::fs::read(dir.path().join("v1.0.0.mod")).unwrap()),
        hash_go_mod(GO_MOD)
    );

    // The proxy now serves other bytes: the download is refused and nothing is kept.
    files.lock().unwrap().insert(
        "/example.com/!org/mod/@v/v1.0.0.zip".into(),
        b"other bytes".to_vec(),
    );
    let dir2 = tempfile::tempdir().unwrap();
    let zip = served.iter().find(|f| f.name.ends_with(".zip")).unwrap();
    assert!(matches!(
        regclient::fetch_verified(&client(), zip, dir2.path(), FetchOptions::default()),
        Err(regclient::ReadbackError::DigestMismatch { .. })
    ));
    assert!(dir_names(dir2.path()).is_empty());
}

#[test]
fn configured_from_a_file_and_by_spec() {
    let (server, _files) = proxy();
    let cfg: RegistriesConfig = format!("[goproxy]\nurl = \"{}\"\n", server.url("/"))
        .parse()
        .unwrap();
    let regs = cfg.build().unwrap();
    let spec: PackageSpec = format!("goproxy:{MODULE}@v1.0.0").parse().unwrap();
    assert_eq!(spec.to_string(), format!("goproxy:{MODULE}@v1.0.0"));
    assert!(regs.exists(&spec).unwrap());
}

#[test]
fn waiting_sees_a_late_module_and_diagnoses_a_missing_one() {
    let (server, files) = proxy();
    let go = GoProxy::new(client(), &server.url("/")).unwrap();
    let quick = regclient::crates::PollOptions::new(
        std::time::Duration::from_millis(20),
        std::time::Duration::from_millis(300),
    );
    match go.wait_for_version(MODULE, "v1.1.0", quick) {
        Err(Error::NotVisible(regclient::NotVisible {
            diagnosis, polls, ..
        })) => {
            assert!(polls >= 2, "{polls}");
            assert!(diagnosis.contains("latest: v1.0.0"), "{diagnosis}");
        }
        other => panic!("expected NotVisible, got {other:?}"),
    }
    let late = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(60));
        files.lock().unwrap().insert(
            "/example.com/!org/mod/@v/v1.1.0.info".into(),
            br#"{"Version":"v1.1.0","Time":"2026-11-02T00:00:00Z"}"#.to_vec(),
        );
    });
    let v = go.wait_for_version(MODULE, "v1.1.0", quick).unwrap();
    late.join().unwrap();
    assert_eq!(v.state, VersionState::Present);
}
