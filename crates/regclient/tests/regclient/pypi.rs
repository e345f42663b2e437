//! Python indexes: a real devpi-server 6.20.3 (PEP 691 JSON, `--offline-mode`) started on a
//! free loopback port; the JSON API and the PEP 740 integrity API from in-process servers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use artidigest::Algorithm;
use regclient::crates::PollOptions;
use regclient::pypi::PypiIndex;
use regclient::{
    FetchOptions, FileComparison, VersionState, ViewDifference, compare_local, compare_views,
    fetch_all,
};
use serde_json::json;

use crate::support::*;

fn devpi_venv() -> PathBuf {
    std::env::var_os("RELKIT_DEVPI_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("devpi"))
}

struct Devpi {
    _child: Child,
    base: String,
    auth: String,
    _dir: tempfile::TempDir,
}

fn start_devpi(venv: &Path) -> Devpi {
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    run_ok(
        Command::new(venv.join("bin/devpi-init"))
            .arg("--serverdir")
            .arg(&server_dir)
            .arg("--no-root-pypi"),
        "devpi-init",
    );
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/");
    let child = start_server(
        Command::new(venv.join("bin/devpi-server"))
            .arg("--serverdir")
            .arg(&server_dir)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--offline-mode",
            ]),
        &format!("{base}+api"),
        Duration::from_secs(60),
    );
    let resp = agent()
        .post(&format!("{base}+login"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .send(r#"{"user":"root","password":""}"#)
        .unwrap();
    let v: serde_json::Value = serde_json::from_reader(resp.into_body().into_reader()).unwrap();
    let pw = v["result"]["password"].as_str().unwrap();
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("root:{pw}"));
    let resp = agent()
        .put(&format!("{base}root/dev"))
        .header("X-Devpi-Auth", &auth)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .send(r#"{"bases":[],"volatile":true}"#)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    Devpi {
        _child: child,
        base,
        auth,
        _dir: dir,
    }
}

fn upload(d: &Devpi, name: &str, version: &str, filename: &str, content: &[u8]) {
    let boundary = "relkit-boundary-7d1f";
    let mut body = Vec::new();
    for (k, v) in [
        (":action", "file_upload"),
        ("name", name),
        ("version", version),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = agent()
        .post(&format!("{}root/dev/", d.base))
        .header("X-Devpi-Auth", &d.auth)
        .header(
            "Content-Type",
            &format!("multipart/form-data; boundary={boundary}"),
        )
        .send(&body[..])
        .unwrap();
    assert!(
        resp.status().is_success(),
        "upload {filename}: {}",
        resp.status()
    );
}

const WHEEL: &str = "demo_pkg-1.0.0-py3-none-any.whl";
const SDIST: &str = "demo_pkg-1.0.0.tar.gz";

fn local_dist(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let files = vec![
        (
            WHEEL.to_owned(),
            b"PK\x03\x04 pretend wheel bytes for demo-pkg 1.0.0".repeat(50),
        ),
        (
            SDIST.to_owned(),
            b"\x1f\x8b pretend sdist bytes for demo-pkg 1.0.0".repeat(70),
        ),
    ];
    for (n, b) in &files {
        std::fs::write(dir.join(n), b).unwrap();
    }
    files
}

/// A faithful JSON API (`/pypi/<project>/<version>/json`) describing `files` served at `file_base`.
fn json_api(files: Vec<(String, Vec<u8>)>, file_base: String, tamper: bool) -> TestServer {
    TestServer::start(move |req| {
        let urls: Vec<serde_json::Value> = files
            .iter()
            .enumerate()
            .map(|(i, (n, b))| {
                let mut sha = sha256(b).to_hex();
                if tamper && i == 0 {
                    sha = sha256(b"other").to_hex();
                }
                json!({"filename": n, "url": format!("{file_base}{n}"), "size": b.len(),
                       "digests": {"sha256": sha, "md5": "0123456789abcdef0123456789abcdef", "blake2b_256": sha256(b"x").to_hex()},
                       "yanked": false, "yanked_reason": null,
                       "packagetype": if n.ends_with(".whl") {"bdist_wheel"} else {"sdist"}})
            })
            .collect();
        match req.path.as_str() {
            "/pypi/demo-pkg/1.0.0/json" => Reply::json(
                200,
                &json!({"info": {"name": "demo-pkg", "version": "1.0.0", "yanked": false, "yanked_reason": null}, "urls": urls, "vulnerabilities": []}),
            ),
            "/pypi/demo-pkg/0.9.0/json" => Reply::json(
                200,
                &json!({"info": {"name": "demo-pkg", "version": "0.9.0", "yanked": true, "yanked_reason": "broken metadata"}, "urls": [], "vulnerabilities": []}),
            ),
            "/pypi/demo-pkg/0.8.0/json" => Reply::json(
                200,
                &json!({"info": {"name": "other", "version": "0.8.0"}, "urls": []}),
            ),
            _ => Reply::json(404, &json!({"message": "Not Found"})),
        }
    })
}

#[test]
fn devpi_simple_api_readback_and_view_comparison() {
    let Some(venv) = require_server("devpi-server", devpi_venv().join("bin/devpi-server")) else {
        return;
    };
    let venv = venv.parent().unwrap().parent().unwrap().to_owned();
    let d = start_devpi(&venv);
    let local = tempfile::tempdir().unwrap();
    let files = local_dist(local.path());
    for (n, b) in &files {
        upload(&d, "demo-pkg", "1.0.0", n, b);
    }
    upload(
        &d,
        "demo-pkg",
        "1.1.0",
        "demo_pkg-1.1.0.tar.gz",
        b"newer sdist",
    );

    let simple_base = format!("{}root/dev/+simple/", d.base);
    let idx = PypiIndex::new(client()).simple(&simple_base).unwrap();
    let simple = idx.simple_version("Demo.Pkg", "1.0.0").unwrap();
    assert_eq!(simple.state, VersionState::Present);
    let mut names: Vec<&str> = simple.files.iter().map(|f| f.name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec![WHEEL, SDIST]);
    for f in &simple.files {
        assert!(
            f.url.starts_with(&d.base) && f.url.contains("/+f/"),
            "relative URL not resolved: {}",
            f.url
        );
        assert_eq!(f.digests[0].algorithm(), Algorithm::Sha256);
    }
    assert_eq!(
        idx.simple_version("demo-pkg", "2.0.0").unwrap().state,
        VersionState::Absent
    );
    assert_eq!(
        idx.simple_version("no-such-project", "1.0.0")
            .unwrap()
            .state,
        VersionState::Absent
    );
    assert!(idx.exists("demo_pkg", "1.1.0").unwrap());

    // Readback of every file; the local dist folder agrees file by file.
    let dl = tempfile::tempdir().unwrap();
    let results = fetch_all(&client(), &simple.files, dl.path(), FetchOptions::default());
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let report = compare_local(&simple.files, local.path()).unwrap();
    assert_eq!(report.len(), 2);
    assert!(report.iter().all(|r| r.comparison.is_match()), "{report:?}");
    std::fs::write(local.path().join(SDIST), b"rebuilt differently").unwrap();
    let report = compare_local(&simple.files, local.path()).unwrap();
    let sdist = report.iter().find(|r| r.name == SDIST).unwrap();
    assert!(matches!(
        sdist.comparison,
        FileComparison::DigestMismatch { .. }
    ));

    // The JSON API view (in-process, pointing at devpi's files) agrees with the simple view…
    let api = json_api(files.clone(), format!("{}files/", d.base), false);
    let both = PypiIndex::new(client())
        .json_api(&api.url("/pypi/"))
        .unwrap();
    let json_view = both.json_version("demo-pkg", "1.0.0").unwrap();
    assert_eq!(json_view.files.len(), 2);
    assert!(json_view.files[0].digests.len() == 3);
    assert_eq!(compare_views(&json_view, &simple), vec![]);
    // …and a JSON API claiming another digest is caught.
    let bad = json_api(files, format!("{}files/", d.base), true);
    let bad_view = PypiIndex::new(client())
        .json_api(&bad.url("/pypi/"))
        .unwrap()
        .json_version("demo-pkg", "1.0.0")
        .unwrap();
    let diff = compare_views(&bad_view, &simple);
    assert_eq!(diff.len(), 1);
    assert!(
        matches!(&diff[0], ViewDifference::Digest { file, .. } if file == WHEEL),
        "{diff:?}"
    );

    // Waiting for a version that is uploaded while polling.
    let poll = PollOptions::new(Duration::from_millis(100), Duration::from_secs(2));
    let err = idx.wait_for_version("demo-pkg", "1.2.0", poll).unwrap_err();
    assert!(err.to_string().contains("lists no file for 1.2.0"), "{err}");
    assert!(
        err.to_string().contains("index serial"),
        "devpi's X-Devpi-Serial not reported: {err}"
    );
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            upload(
                &d,
                "demo-pkg",
                "1.2.0",
                "demo_pkg-1.2.0.tar.gz",
                b"fresh sdist",
            );
        });
        let poll = PollOptions::new(Duration::from_millis(100), Duration::from_secs(20));
        let v = idx.wait_for_version("demo-pkg", "1.2.0", poll).unwrap();
        assert_eq!(v.files[0].digests[0], sha256(b"fresh sdist"));
    });
}

#[test]
fn json_api_states_and_document_checks() {
    let dir = tempfile::tempdir().unwrap();
    let files = local_dist(dir.path());
    let api = json_api(files, "http://127.0.0.1:9/files/".into(), false);
    let idx = PypiIndex::new(client())
        .json_api(&api.url("/pypi"))
        .unwrap();
    let v = idx.version("demo_pkg", "1.0.0").unwrap();
    assert_eq!(v.state, VersionState::Present);
    assert_eq!(v.files[0].size, Some(v.files[0].size.unwrap()));
    let y = idx.json_version("demo-pkg", "0.9.0").unwrap();
    assert_eq!(
        y.state,
        VersionState::Yanked {
            reason: Some("broken metadata".into())
        }
    );
    assert!(idx.exists("demo-pkg", "0.9.0").unwrap());
    assert_eq!(
        idx.json_version("demo-pkg", "7.0.0").unwrap().state,
        VersionState::Absent
    );
    let err = idx.json_version("demo-pkg", "0.8.0").unwrap_err();
    assert!(
        matches!(err, regclient::pypi::Error::Document { .. }),
        "{err:?}"
    );
    assert!(matches!(
        idx.simple_version("demo-pkg", "1.0.0"),
        Err(regclient::pypi::Error::NotConfigured { endpoint: "simple" })
    ));
}

#[test]
fn pep740_provenance_is_handed_on_verbatim() {
    let bundle = r#"{"publisher":{"kind":"GitHub","repository":"relkit/demo","workflow":"release.yml"},"attestations":[{"version":1,"verification_material":{"certificate":"MII="},"envelope":{"statement":"e30=","signature":"c2ln"}}]}"#;
    let server = TestServer::start(move |req| {
        if req.path == "/integrity/demo-pkg/1.0.0/demo_pkg-1.0.0-py3-none-any.whl/provenance"
            && req.header("accept") == Some(regclient::pypi::INTEGRITY_JSON)
        {
            Reply::ok(format!(r#"{{"version":1,"attestation_bundles":[{bundle}]}}"#).into_bytes())
                .with_header("Content-Type", regclient::pypi::INTEGRITY_JSON)
        } else {
            Reply::json(404, &json!({"message": "Not Found"}))
        }
    });
    let idx = PypiIndex::new(client())
        .integrity(&server.url("/integrity/"))
        .unwrap();
    let p = idx.provenance("Demo_Pkg", "1.0.0", WHEEL).unwrap().unwrap();
    assert_eq!(p.attestation_bundles.len(), 1);
    assert_eq!(p.attestation_bundles[0].get(), bundle);
    assert!(
        idx.provenance("demo-pkg", "1.0.0", SDIST)
            .unwrap()
            .is_none()
    );
    assert!(
        idx.provenance("demo-pkg", "1.0.0", "../../etc/passwd")
            .is_err()
    );
}
