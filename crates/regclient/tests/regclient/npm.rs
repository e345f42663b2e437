//! npm: a real verdaccio 5.33.0 started on a free loopback port (no uplinks), packages
//! published with `npm publish`; the attestations endpoint from an in-process server.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use artidigest::Algorithm;
use regclient::crates::PollOptions;
use regclient::npm::{Error, NpmRegistry};
use regclient::{FetchOptions, Secret, VersionState, fetch_verified};

use crate::support::*;

pub(crate) fn verdaccio_bin() -> PathBuf {
    std::env::var_os("RELKIT_VERDACCIO")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("verdaccio/node_modules/.bin/verdaccio"))
}

pub(crate) struct Verdaccio {
    _child: Child,
    pub(crate) url: String,
    npmrc: PathBuf,
    pub(crate) token: String,
    _dir: tempfile::TempDir,
}

pub(crate) fn start_verdaccio(bin: &Path) -> Verdaccio {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "storage: {storage}\nauth:\n  htpasswd:\n    file: {htpasswd}\n    max_users: 10\nuplinks: {{}}\n\
             packages:\n  '@*/*':\n    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n\
             \x20 '**':\n    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n\
             log: {{ type: stdout, format: pretty, level: error }}\n",
            storage = dir.path().join("storage").display(),
            htpasswd = dir.path().join("htpasswd").display()
        ),
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let child = start_server(
        Command::new(bin)
            .arg("--config")
            .arg(&config)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}")),
        &format!("{url}-/ping"),
        Duration::from_secs(30),
    );
    let resp = agent()
        .put(&format!("{url}-/user/org.couchdb.user:relkit"))
        .header("Content-Type", "application/json")
        .send(r#"{"name":"relkit","password":"relkit-test-password"}"#)
        .unwrap();
    let v: serde_json::Value = serde_json::from_reader(resp.into_body().into_reader()).unwrap();
    let token = v["token"]
        .as_str()
        .expect("verdaccio returned no token")
        .to_owned();
    let npmrc = dir.path().join("npmrc");
    std::fs::write(&npmrc, format!("//127.0.0.1:{port}/:_authToken={token}\n")).unwrap();
    Verdaccio {
        _child: child,
        url,
        npmrc,
        token,
        _dir: dir,
    }
}

fn npm(v: &Verdaccio, cwd: &Path, args: &[&str]) {
    run_ok(
        Command::new("npm")
            .args(args)
            .arg("--registry")
            .arg(&v.url)
            .arg("--userconfig")
            .arg(&v.npmrc)
            .current_dir(cwd)
            .env("npm_config_cache", v._dir.path().join("npm-cache")),
        &format!("npm {args:?} failed"),
    );
}

/// Writes a package and packs it locally (`npm pack`), returning the local tarball.
fn package(root: &Path, name: &str, version: &str) -> (PathBuf, PathBuf) {
    let dir = root.join(format!("{}-{version}", name.replace(['@', '/'], "_")));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        format!("{{\"name\":\"{name}\",\"version\":\"{version}\",\"main\":\"index.js\",\"license\":\"MIT\"}}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("index.js"),
        format!("module.exports = {:?};\n", version),
    )
    .unwrap();
    let packed = root.join("packed");
    std::fs::create_dir_all(&packed).unwrap();
    let out = run_ok(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&packed)
            .current_dir(&dir),
        "npm pack",
    );
    let file = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    (dir.clone(), packed.join(file))
}

#[test]
fn verdaccio_packuments_readback_deprecate_unpublish() {
    let Some(bin) = require_server("verdaccio", verdaccio_bin()) else {
        return;
    };
    let v = start_verdaccio(&bin);
    let work = tempfile::tempdir().unwrap();
    let (d1, local1) = package(work.path(), "@relkit-test/scoped", "1.0.0");
    let (d2, _) = package(work.path(), "@relkit-test/scoped", "1.1.0");
    npm(&v, &d1, &["publish"]);
    npm(&v, &d2, &["publish"]);

    let reg = NpmRegistry::new(client(), &v.url)
        .unwrap()
        .with_token(Secret::new(v.token.clone()));
    assert!(!format!("{reg:?}").contains(&v.token));

    // Full and abbreviated packuments agree on dist.
    let (full, revalidated) = reg.packument("@relkit-test/scoped", false).unwrap();
    let full = full.unwrap();
    assert!(!revalidated);
    assert_eq!(full.dist_tags["latest"], "1.1.0");
    assert!(full.time.contains_key("1.0.0"));
    let (abbr, _) = reg.packument("@relkit-test/scoped", true).unwrap();
    let abbr = abbr.unwrap();
    assert_eq!(abbr.versions["1.0.0"].dist, full.versions["1.0.0"].dist);
    // ETag: asking again is a 304.
    let (_, revalidated) = reg.packument("@relkit-test/scoped", false).unwrap();
    assert!(
        revalidated,
        "second packument fetch was not a 304 revalidation"
    );

    // Version state and files; readback verified against sha512 and sha1; equals `npm pack`.
    let pv = reg.version("@relkit-test/scoped", "1.0.0").unwrap();
    assert_eq!(pv.state, VersionState::Present);
    let f = &pv.files[0];
    assert_eq!(f.name, "scoped-1.0.0.tgz");
    let algs: Vec<Algorithm> = f.digests.iter().map(|d| d.algorithm()).collect();
    assert_eq!(algs, vec![Algorithm::Sha512, Algorithm::Sha1]);
    let dl = tempfile::tempdir().unwrap();
    let cred = reg.credential();
    let opts = FetchOptions::default()
        .with_credential(cred)
        .with_credential_origin(Some(reg.base()));
    let got = fetch_verified(&client(), f, dl.path(), opts).unwrap();
    let local =
        artidigest::digest_reader(std::fs::File::open(&local1).unwrap(), &[Algorithm::Sha512])
            .unwrap();
    assert_eq!(
        got.computed.get(Algorithm::Sha512),
        local.get(Algorithm::Sha512),
        "served tarball differs from npm pack"
    );

    // Version document.
    let doc = reg
        .version_document("@relkit-test/scoped", "1.1.0")
        .unwrap()
        .unwrap();
    assert_eq!(doc.version, "1.1.0");
    assert!(
        reg.version_document("@relkit-test/scoped", "9.9.9")
            .unwrap()
            .is_none()
    );
    assert!(
        reg.packument("@relkit-test/none", true)
            .unwrap()
            .0
            .is_none()
    );
    assert!(matches!(
        reg.version("../etc", "1.0.0"),
        Err(Error::InvalidName { .. })
    ));

    // Deprecation.
    npm(
        &v,
        &d1,
        &[
            "deprecate",
            "@relkit-test/scoped@1.0.0",
            "use 1.1.0 instead",
        ],
    );
    let pv = reg.version("@relkit-test/scoped", "1.0.0").unwrap();
    assert_eq!(
        pv.state,
        VersionState::Deprecated {
            message: "use 1.1.0 instead".into()
        }
    );
    assert!(reg.exists("@relkit-test/scoped", "1.0.0").unwrap());

    // Unpublish: verdaccio drops the version and its `time` entry, so it reads as absent here
    // (registries that keep `time` give `Deleted`, see the unit test).
    npm(
        &v,
        &d2,
        &["unpublish", "@relkit-test/scoped@1.1.0", "--force"],
    );
    let pv = reg.version("@relkit-test/scoped", "1.1.0").unwrap();
    assert_eq!(pv.state, VersionState::Absent);
    assert!(pv.files.is_empty());

    // Waiting for visibility while a publish happens.
    let (d3, _) = package(work.path(), "relkit-plain", "0.1.0");
    let poll = PollOptions::new(Duration::from_millis(100), Duration::from_secs(2));
    let err = reg
        .wait_for_version("relkit-plain", "0.1.0", poll)
        .unwrap_err();
    assert!(
        err.to_string().contains("does not know the package"),
        "{err}"
    );
    std::thread::scope(|s| {
        s.spawn(|| npm(&v, &d3, &["publish"]));
        let poll = PollOptions::new(Duration::from_millis(100), Duration::from_secs(30));
        let pv = reg.wait_for_version("relkit-plain", "0.1.0", poll).unwrap();
        assert_eq!(pv.files[0].name, "relkit-plain-0.1.0.tgz");
    });
}

#[test]
fn attestations_endpoint_hands_bundles_on_verbatim() {
    let bundle = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"x":1},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]}}"#;
    let doc = format!(
        r#"{{"attestations":[{{"predicateType":"https://github.com/npm/attestation/tree/main/specs/publish/v0.1","bundle":{bundle}}},{{"predicateType":"https://slsa.dev/provenance/v1","bundle":{bundle}}}]}}"#
    );
    let server = TestServer::start(move |req| {
        if req.path == "/-/npm/v1/attestations/@scope%2Fpkg@1.0.0" {
            Reply::ok(doc.clone().into_bytes()).with_header("Content-Type", "application/json")
        } else {
            Reply::status(404, r#"{"error":"not found"}"#)
        }
    });
    let reg = NpmRegistry::new(client(), &server.url("/")).unwrap();
    let a = reg.attestations("@scope/pkg", "1.0.0").unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[1].predicate_type, "https://slsa.dev/provenance/v1");
    assert_eq!(a[0].bundle.get(), bundle);
    assert!(reg.attestations("@scope/pkg", "2.0.0").unwrap().is_empty());

    // A version's own `dist.attestations.url` is followed; the token stays on this origin.
    let other = TestServer::start(|_| Reply::ok(&br#"{"attestations":[]}"#[..]));
    let reg = reg.with_token(regclient::Secret::new("npm-token-0042"));
    let v: regclient::npm::NpmVersion = serde_json::from_value(serde_json::json!({
        "name": "@scope/pkg", "version": "1.0.0",
        "dist": {"tarball": server.url("/t.tgz"), "attestations": {"url": server.url("/-/npm/v1/attestations/@scope%2Fpkg@1.0.0")}}
    }))
    .unwrap();
    assert_eq!(reg.attestations_for(&v).unwrap().len(), 2);
    assert!(
        server
            .requests()
            .last()
            .unwrap()
            .header("authorization")
            .is_some()
    );
    let elsewhere: regclient::npm::NpmVersion = serde_json::from_value(serde_json::json!({
        "name": "@scope/pkg", "version": "1.0.0",
        "dist": {"tarball": "t", "attestations": {"url": other.url("/att")}}
    }))
    .unwrap();
    assert!(reg.attestations_for(&elsewhere).unwrap().is_empty());
    assert!(
        other.requests()[0].header("authorization").is_none(),
        "token sent to another origin"
    );
}
