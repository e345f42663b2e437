//! Hardened edges: no credential in a file URL or an error, typed errors (never a panic) for
//! odd specs and configuration numbers, downloads bounded by a cap, registry-supplied file
//! names refused before anything is written.

use std::time::Duration;

use regclient::{
    ConfigError, Credential, FetchOptions, HttpError, LookupError, PublishedFile, ReadbackError,
    RegistriesConfig, Secret, compare_local, fetch_all, fetch_verified,
};
use serde_json::json;

use crate::support::*;

const PASSWORD: &str = "hunter2-PASSWORD-77";
/// 30 characters, as the leaked token of the issue.
const TOKEN: &str = "tok-0123456789-abcdefghijklmno";

/// Whether any 6-byte piece of `secret` shows in `text`.
fn leaks(text: &str, secret: &str) -> bool {
    secret
        .as_bytes()
        .windows(6)
        .any(|w| text.contains(std::str::from_utf8(w).unwrap()))
}

/// Display, Debug and every source of an error, as one text.
fn all_text(e: &dyn std::error::Error) -> String {
    let mut out = format!("{e} {e:?}");
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(&format!(" | {c} {c:?}"));
        cur = c.source();
    }
    out
}

fn published(name: &str, url: String, body: &[u8]) -> PublishedFile {
    PublishedFile::new(name, url, vec![sha256(body)]).with_size(body.len() as u64)
}

#[test]
fn file_urls_joined_onto_a_response_url_keep_no_userinfo() {
    let body = b"sdist bytes".to_vec();
    let served = body.clone();
    let server = TestServer::start(move |req| match req.path.as_str() {
        "/pypi/demo-pkg/1.0.0/json" => Reply::json(
            200,
            &json!({"info": {"name": "demo-pkg", "version": "1.0.0", "yanked": false,
                              "yanked_reason": null},
                    "urls": [{"filename": "demo-pkg-1.0.0.tar.gz",
                              "url": "../../../files/demo-pkg-1.0.0.tar.gz",
                              "size": served.len(),
                              "digests": {"sha256": sha256(&served).to_hex()},
                              "yanked": false, "packagetype": "sdist"}],
                    "vulnerabilities": []}),
        ),
        "/files/demo-pkg-1.0.0.tar.gz" => Reply::ok(served.clone()),
        _ => Reply::status(404, "not found"),
    });
    let base = format!("http://me:{PASSWORD}@{}/pypi", server.addr);
    let idx = regclient::pypi::PypiIndex::new(client())
        .json_api(&base)
        .unwrap();
    let v = idx.version("demo-pkg", "1.0.0").unwrap();
    let url = &v.files[0].url;
    assert_eq!(
        url,
        &format!("http://{}/files/demo-pkg-1.0.0.tar.gz", server.addr)
    );
    let report = serde_json::to_string(&v).unwrap();
    assert!(!leaks(&report, PASSWORD), "{report}");

    let dir = tempfile::tempdir().unwrap();
    let results = fetch_all(&client(), &v.files, dir.path(), FetchOptions::default());
    assert!(results[0].is_ok(), "{:?}", results[0]);
    let file_requests: Vec<Req> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/files/"))
        .collect();
    assert_eq!(file_requests.len(), 1);
    assert_eq!(file_requests[0].header("authorization"), None);
    assert_eq!(
        std::fs::read(dir.path().join("demo-pkg-1.0.0.tar.gz")).unwrap(),
        body
    );
}

#[test]
fn an_endpoint_with_a_password_and_a_bad_port_never_prints_the_password() {
    for section in [
        format!("[npm]\nregistry = \"http://me:{PASSWORD}@127.0.0.1:99999/\"\n"),
        format!("[crates]\nindex = \"http://me:{PASSWORD}@127.0.0.1:99999/index/\"\n"),
        format!("[oci]\nregistry = \"https://me:{PASSWORD}@127.0.0.1:70000\"\n"),
        format!("[pypi]\nsimple = \"http://me:{PASSWORD}@127.0.0.1:-1/simple/\"\n"),
        format!("[goproxy]\nurl = \"ftp://me:{PASSWORD}@127.0.0.1:21/\"\n"),
    ] {
        let err = section
            .parse::<RegistriesConfig>()
            .unwrap()
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::Endpoint { .. }), "{err:?}");
        let text = all_text(&err);
        assert!(!leaks(&text, PASSWORD), "{text}");
        assert!(text.contains("127.0.0.1"), "{text}");
    }
    // A good endpoint with a password: the clients' Debug shows no password either.
    let reg = format!(
        "[npm]\nregistry = \"http://me:{PASSWORD}@127.0.0.1:9/\"\n\
         [crates]\nindex = \"http://me:{PASSWORD}@127.0.0.1:9/index/\"\n\
         [oci]\nregistry = \"http://me:{PASSWORD}@127.0.0.1:9\"\n\
         [pypi]\nsimple = \"http://me:{PASSWORD}@127.0.0.1:9/simple/\"\n\
         [goproxy]\nurl = \"http://me:{PASSWORD}@127.0.0.1:9/\"\n"
    )
    .parse::<RegistriesConfig>()
    .unwrap()
    .build()
    .unwrap();
    let shown = format!("{reg:?}");
    assert!(!leaks(&shown, PASSWORD), "{shown}");
    assert!(shown.contains("127.0.0.1:9"), "{shown}");
}

/// A 403 body with a credential straddling the 512-byte cut: the excerpt in the error shows
/// none of it.
fn excerpt_of(body: String, cred: Option<&Credential>, http: &regclient::HttpClient) -> String {
    let server = TestServer::start(move |_| Reply::status(403, body.clone()));
    let dir = tempfile::tempdir().unwrap();
    let opts = FetchOptions::default().with_credential(cred);
    let e = fetch_verified(
        http,
        &published("a.bin", server.url("/a.bin"), b"x"),
        dir.path(),
        opts,
    )
    .unwrap_err();
    let text = all_text(&e);
    match e {
        ReadbackError::Http {
            source:
                HttpError::Status {
                    status: 403,
                    body_excerpt,
                    ..
                },
            ..
        } => assert!(body_excerpt.len() <= 512, "{body_excerpt}"),
        e => panic!("expected a 403, got {e:?}"),
    }
    assert!(dir_names(dir.path()).is_empty());
    text
}

#[test]
fn error_excerpts_are_scrubbed_before_the_cut() {
    let pad = |n: usize| "p".repeat(n);
    // The request's own token.
    let cred = Credential::Bearer(Secret::new(TOKEN));
    let text = excerpt_of(format!("{}{TOKEN} tail", pad(500)), Some(&cred), &client());
    assert!(!leaks(&text, TOKEN), "{text}");
    assert!(text.contains("ppp"), "the excerpt is still shown: {text}");

    // A token configured for another registry client sharing the HTTP client.
    let http = client();
    let _npm = regclient::npm::NpmRegistry::new(http.clone(), "http://127.0.0.1:9/")
        .unwrap()
        .with_token(Secret::new(TOKEN));
    let text = excerpt_of(format!("{}{TOKEN} tail", pad(495)), None, &http);
    assert!(!leaks(&text, TOKEN), "{text}");

    // Values the client never saw: an Authorization header echoed back, a token in JSON,
    // a URL's user info.
    for (body, secret) in [
        (format!("{}Authorization: Bearer {TOKEN}", pad(480)), TOKEN),
        (
            format!("{}{{\"access_token\": \"{TOKEN}\"}}", pad(490)),
            TOKEN,
        ),
        (
            format!("{}see http://me:{PASSWORD}@127.0.0.1:1/x", pad(490)),
            PASSWORD,
        ),
    ] {
        let text = excerpt_of(body, None, &client());
        assert!(!leaks(&text, secret), "{text}");
    }
}

#[test]
fn huge_timeouts_are_typed_errors_not_overflow_panics() {
    for field in ["deadline-secs", "timeout-secs"] {
        let toml = format!("[http]\n{field} = 18446744073709551615\n");
        let err = toml.parse::<RegistriesConfig>().unwrap_err();
        match err {
            ConfigError::OutOfRange {
                field: f, value, ..
            } => assert_eq!((f, value), (field, u64::MAX)),
            e => panic!("expected OutOfRange, got {e:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registries.toml");
        std::fs::write(&path, &toml).unwrap();
        assert!(matches!(
            RegistriesConfig::from_file(&path),
            Err(ConfigError::OutOfRange { .. })
        ));
        // A config built in code is refused by `build` as well.
        let mut cfg = RegistriesConfig::default();
        cfg.http.deadline_secs = Some(u64::MAX);
        assert!(matches!(cfg.build(), Err(ConfigError::OutOfRange { .. })));
    }
    // The builder takes any duration and still works.
    let http = regclient::HttpClient::builder()
        .proxy_from_env(false)
        .deadline(Duration::MAX)
        .request_timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .build();
    let server = TestServer::start(|_| Reply::ok(&b"payload"[..]));
    let dir = tempfile::tempdir().unwrap();
    let f = published("p.bin", server.url("/p.bin"), b"payload");
    fetch_verified(&http, &f, dir.path(), FetchOptions::default()).unwrap();
}

#[test]
fn odd_specs_are_typed_errors() {
    for bad in ["npm:", "crates:", "npm:@", "crates:é"] {
        assert!(bad.parse::<regclient::PackageSpec>().is_err(), "{bad}");
    }
    let reg = "[npm]\nregistry = \"http://127.0.0.1:9/\"\n[crates]\nindex = \"http://127.0.0.1:9/index/\"\n"
        .parse::<RegistriesConfig>()
        .unwrap()
        .build()
        .unwrap();
    let e = reg.version(&"npm:é@1".parse().unwrap()).unwrap_err();
    assert!(
        matches!(
            e,
            LookupError::Npm(regclient::npm::Error::InvalidName { .. })
        ),
        "{e:?}"
    );
    let e = reg.version(&"crates:é@1".parse().unwrap()).unwrap_err();
    assert!(
        matches!(
            e,
            LookupError::Crates(regclient::crates::Error::InvalidName { .. })
        ),
        "{e:?}"
    );
}

#[test]
fn a_claimed_terabyte_stops_at_the_cap() {
    let server = TestServer::start(|req| match req.path.as_str() {
        // Claims a terabyte in Content-Length and sends a little.
        "/liar.bin" => Reply::Truncate {
            declared: 1_000_000_000_000,
            body: vec![b'x'; 1024],
        },
        _ => Reply::ok(vec![b'y'; 3 * 1024 * 1024]),
    });
    let http = regclient::HttpClient::builder()
        .proxy_from_env(false)
        .max_download_bytes(1024 * 1024)
        .deadline(Duration::from_secs(20))
        .build();
    let dir = tempfile::tempdir().unwrap();

    // The registry claims a terabyte: refused before any request.
    let mut f = published("tera.bin", server.url("/tera.bin"), b"y");
    f.size = Some(1_000_000_000_000);
    match fetch_verified(&http, &f, dir.path(), FetchOptions::default()) {
        Err(ReadbackError::TooLarge { claimed, cap, .. }) => {
            assert_eq!((claimed, cap), (1_000_000_000_000, 1024 * 1024));
        }
        r => panic!("expected TooLarge, got {r:?}"),
    }
    assert!(server.requests().is_empty());

    // No claimed size: the body stops at the cap.
    f.size = None;
    f.name = "big.bin".into();
    f.url = server.url("/big.bin");
    let e = fetch_verified(&http, &f, dir.path(), FetchOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            ReadbackError::Http {
                source: HttpError::TooLarge {
                    limit: 1_048_576,
                    ..
                },
                ..
            }
        ),
        "{e:?}"
    );

    // No claimed size, a terabyte announced by the server: refused at the headers.
    f.url = server.url("/liar.bin");
    f.name = "liar.bin".into();
    let e = fetch_verified(&http, &f, dir.path(), FetchOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            ReadbackError::Http {
                source: HttpError::TooLarge { .. },
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        dir_names(dir.path()).is_empty(),
        "{:?}",
        dir_names(dir.path())
    );

    // The default cap is documented and applies.
    assert_eq!(
        regclient::DEFAULT_MAX_DOWNLOAD_BYTES,
        4 * 1024 * 1024 * 1024
    );
    f.size = Some(regclient::DEFAULT_MAX_DOWNLOAD_BYTES + 1);
    assert!(matches!(
        fetch_verified(&client(), &f, dir.path(), FetchOptions::default()),
        Err(ReadbackError::TooLarge { .. })
    ));
}

#[test]
fn unsafe_and_duplicate_names_are_refused_before_download() {
    let body = b"content".to_vec();
    let served = body.clone();
    let server = TestServer::start(move |_| Reply::ok(served.clone()));
    let names = [
        "a\nb.tgz",
        "x\u{1b}[2J.tgz",
        "csi\u{9b}31m.tgz",
        "../up.tgz",
        "..",
        "a/b.tgz",
        "a\\b.tgz",
        "dup.tgz",
        "dup.tgz",
        "ok.tgz",
    ];
    let files: Vec<PublishedFile> = names
        .iter()
        .map(|n| published(n, server.url("/f"), &body))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let results = fetch_all(&client(), &files, dir.path(), FetchOptions::default());
    for (name, r) in names.iter().zip(&results) {
        match (*name, r) {
            ("ok.tgz", Ok(_)) => {}
            ("dup.tgz", Err(ReadbackError::DuplicateName { count: 2, .. })) => {}
            (_, Err(e @ ReadbackError::UnsafeName { .. })) => {
                let shown = e.to_string();
                assert!(!shown.contains(char::is_control), "{shown:?}");
            }
            (n, r) => panic!("{n:?}: {r:?}"),
        }
    }
    assert_eq!(server.requests().len(), 1, "only ok.tgz is fetched");
    assert_eq!(dir_names(dir.path()), vec!["ok.tgz"]);
    assert!(matches!(
        compare_local(&files[7..], dir.path()),
        Err(ReadbackError::DuplicateName { count: 2, .. })
    ));
}
