//! Fault injection: each failure gives the right typed error, within the deadline, with no
//! partial file and no leaked token.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use regclient::{
    Credential, FetchOptions, HttpError, PublishedFile, ReadbackError, RetryPolicy, Secret,
    fetch_verified,
};

use crate::support::*;

const TOKEN: &str = "tok-SECRET-4242";

fn file(url: String, body: &[u8]) -> PublishedFile {
    PublishedFile::new("artifact.bin", url, vec![sha256(body)]).with_size(body.len() as u64)
}

fn http_source(e: ReadbackError) -> HttpError {
    match e {
        ReadbackError::Http { source, .. } => source,
        e => panic!("expected an HTTP error, got {e:?}"),
    }
}

fn fetch(
    server: &TestServer,
    body: &[u8],
    cred: Option<&Credential>,
) -> (
    Result<regclient::FetchedFile, ReadbackError>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let opts = FetchOptions::default().with_credential(cred);
    let r = fetch_verified(&client(), &file(server.url("/f"), body), dir.path(), opts);
    (r, dir)
}

#[test]
fn transient_500s_are_retried_then_succeed() {
    let n = Arc::new(AtomicU32::new(0));
    let n2 = Arc::clone(&n);
    let server = TestServer::start(move |_| {
        if n2.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::status(500, "boom")
        } else {
            Reply::ok(&b"payload"[..])
        }
    });
    let (r, dir) = fetch(&server, b"payload", None);
    r.unwrap();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(dir_names(dir.path()), vec!["artifact.bin"]);
}

#[test]
fn persistent_500_is_a_status_error_after_every_attempt() {
    let server = TestServer::start(|_| Reply::status(503, "down for maintenance"));
    let (r, dir) = fetch(&server, b"x", None);
    match http_source(r.unwrap_err()) {
        HttpError::Status {
            status,
            attempts,
            body_excerpt,
            url,
        } => {
            assert_eq!((status, attempts), (503, 3));
            assert!(body_excerpt.contains("maintenance"));
            assert!(url.ends_with("/f"));
        }
        e => panic!("{e:?}"),
    }
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn not_found_is_not_retried() {
    let server = TestServer::start(|_| Reply::status(404, "nope"));
    let (r, _dir) = fetch(&server, b"x", None);
    assert_eq!(http_source(r.unwrap_err()).status(), Some(404));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn retry_after_is_honoured_and_an_excessive_one_fails_fast() {
    let n = Arc::new(AtomicU32::new(0));
    let n2 = Arc::clone(&n);
    let server = TestServer::start(move |_| {
        if n2.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(429, "slow down").with_header("Retry-After", "1")
        } else {
            Reply::ok(&b"payload"[..])
        }
    });
    let t = Instant::now();
    let (r, _dir) = fetch(&server, b"payload", None);
    r.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "Retry-After ignored: {:?}",
        t.elapsed()
    );

    let server = TestServer::start(|_| Reply::status(429, "").with_header("Retry-After", "3600"));
    let t = Instant::now();
    let (r, _dir) = fetch(&server, b"x", None);
    match http_source(r.unwrap_err()) {
        HttpError::RateLimited {
            retry_after,
            attempts,
            ..
        } => {
            assert_eq!(retry_after, Some(Duration::from_secs(3600)));
            assert_eq!(attempts, 1);
        }
        e => panic!("{e:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn connection_resets_are_retried_then_reported() {
    let server = TestServer::start(|_| Reply::Reset);
    let (r, dir) = fetch(&server, b"x", None);
    match http_source(r.unwrap_err()) {
        HttpError::Connect { attempts, .. } => assert_eq!(attempts, 3),
        e => panic!("{e:?}"),
    }
    assert_eq!(server.requests().len(), 3);
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn truncated_body_leaves_no_partial_file() {
    let body = vec![7u8; 100_000];
    let b2 = body.clone();
    let server = TestServer::start(move |_| Reply::Truncate {
        declared: b2.len() as u64,
        body: b2[..40_000].to_vec(),
    });
    let (r, dir) = fetch(&server, &body, None);
    match http_source(r.unwrap_err()) {
        HttpError::Truncated {
            expected, received, ..
        } => {
            assert_eq!(expected, 100_000);
            assert!(received < 100_000);
        }
        e => panic!("{e:?}"),
    }
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn a_body_cut_once_is_fetched_again() {
    let body = vec![9u8; 50_000];
    let b2 = body.clone();
    let n = Arc::new(AtomicU32::new(0));
    let n2 = Arc::clone(&n);
    let server = TestServer::start(move |_| {
        if n2.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::Truncate {
                declared: b2.len() as u64,
                body: b2[..10_000].to_vec(),
            }
        } else {
            Reply::ok(b2.clone())
        }
    });
    let (r, dir) = fetch(&server, &body, None);
    assert_eq!(std::fs::read(r.unwrap().path).unwrap(), body);
    assert_eq!(server.requests().len(), 2);
    assert_eq!(dir_names(dir.path()), vec!["artifact.bin"]);
}

#[test]
fn slow_body_past_the_deadline_stops_in_time() {
    let body = vec![1u8; 64 * 1024];
    let b2 = body.clone();
    let server = TestServer::start(move |_| Reply::Slow {
        body: b2.clone(),
        chunk: 1024,
        delay: Duration::from_millis(50),
    });
    let http = regclient::HttpClient::builder()
        .proxy_from_env(false)
        .deadline(Duration::from_millis(600))
        .retry(RetryPolicy::new(
            1,
            RetryPolicy::default().base_delay,
            RetryPolicy::default().max_delay,
        ))
        .build();
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let err = fetch_verified(
        &http,
        &file(server.url("/f"), &body),
        dir.path(),
        FetchOptions::default(),
    )
    .unwrap_err();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(2), "hung for {took:?}");
    let e = http_source(err);
    assert!(
        matches!(e, HttpError::Timeout { .. } | HttpError::Deadline { .. }),
        "{e:?}"
    );
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn oversized_body_is_capped() {
    let server = TestServer::start(|_| Reply::ok(vec![0u8; 10_000]));
    let dir = tempfile::tempdir().unwrap();
    let mut f = file(server.url("/f"), &[0u8; 100]);
    f.size = Some(100);
    let err = fetch_verified(&client(), &f, dir.path(), FetchOptions::default()).unwrap_err();
    assert!(matches!(
        http_source(err),
        HttpError::TooLarge { limit: 100, .. }
    ));
    assert!(dir_names(dir.path()).is_empty());
}

#[test]
fn redirect_to_another_host_drops_the_token() {
    let other = TestServer::start(|_| Reply::ok(&b"payload"[..]));
    let target = other.url("/storage/blob");
    let origin =
        TestServer::start(move |_| Reply::status(307, "").with_header("Location", &target));
    let cred = Credential::Bearer(Secret::new(TOKEN));
    let (r, _dir) = fetch(&origin, b"payload", Some(&cred));
    r.unwrap();
    let first = &origin.requests()[0];
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let hop = &other.requests()[0];
    assert_eq!(hop.path, "/storage/blob");
    assert!(
        hop.header("authorization").is_none(),
        "token forwarded to another host"
    );
}

#[test]
fn same_host_redirect_keeps_the_token_and_loops_are_bounded() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/f" => Reply::status(302, "").with_header("Location", "/g"),
        "/g" => Reply::ok(&b"payload"[..]),
        _ => Reply::status(301, "").with_header("Location", "/loop"),
    });
    let cred = Credential::Bearer(Secret::new(TOKEN));
    let (r, _dir) = fetch(&server, b"payload", Some(&cred));
    r.unwrap();
    assert!(server.requests()[1].header("authorization").is_some());
    let dir = tempfile::tempdir().unwrap();
    let err = fetch_verified(
        &client(),
        &file(server.url("/loop"), b"x"),
        dir.path(),
        FetchOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(
        http_source(err),
        HttpError::TooManyRedirects { limit: 5, .. }
    ));
}

#[test]
fn tokens_never_appear_in_errors() {
    // A hostile server echoes the Authorization header in its error body.
    let server = TestServer::start(|req| {
        Reply::status(
            401,
            format!(
                "bad credentials: {}",
                req.header("authorization").unwrap_or("")
            ),
        )
    });
    let cred = Credential::Bearer(Secret::new(TOKEN));
    let (r, _dir) = fetch(&server, b"x", Some(&cred));
    let err = r.unwrap_err();
    let text = format!(
        "{err} / {err:?} / {}",
        std::error::Error::source(&err)
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    assert!(text.contains("401"));
    assert!(text.contains("bad credentials"));
    assert!(!text.contains(TOKEN), "token leaked: {text}");
    assert!(!format!("{cred:?}").contains(TOKEN));
}

#[test]
fn no_strong_digest_no_download() {
    let server = TestServer::start(|_| Reply::ok(&b"payload"[..]));
    let dir = tempfile::tempdir().unwrap();
    let mut f = file(server.url("/f"), b"payload");
    f.digests = vec![
        *artidigest::digest_bytes(b"payload", &[artidigest::Algorithm::Sha1])
            .get(artidigest::Algorithm::Sha1)
            .unwrap(),
    ];
    let err = fetch_verified(&client(), &f, dir.path(), FetchOptions::default()).unwrap_err();
    assert!(matches!(err, ReadbackError::NoStrongDigest { .. }));
    assert!(server.requests().is_empty());
    f.name = "../escape".into();
    assert!(matches!(
        fetch_verified(&client(), &f, dir.path(), FetchOptions::default()).unwrap_err(),
        ReadbackError::UnsafeName { .. }
    ));
}

#[test]
fn concurrency_is_bounded() {
    let in_flight = Arc::new(InFlight::default());
    let counted = Arc::clone(&in_flight);
    let server = TestServer::start(move |_| {
        counted.enter();
        std::thread::sleep(Duration::from_millis(60));
        counted.leave();
        Reply::ok(&b"payload"[..])
    });
    let http = regclient::HttpClient::builder()
        .proxy_from_env(false)
        .max_concurrency(2)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PublishedFile> = (0..8)
        .map(|i| {
            let mut f = file(server.url(&format!("/f{i}")), b"payload");
            f.name = format!("f{i}");
            f
        })
        .collect();
    let results = regclient::fetch_all(&http, &files, dir.path(), FetchOptions::default());
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(dir_names(dir.path()).len(), 8);
    assert!(in_flight.peak() <= 2, "peak {}", in_flight.peak());
}

#[test]
fn user_agent_is_descriptive() {
    let server = TestServer::start(|_| Reply::ok(&b"payload"[..]));
    let (r, _dir) = fetch(&server, b"payload", None);
    r.unwrap();
    let ua = server.requests()[0]
        .header("user-agent")
        .unwrap()
        .to_owned();
    assert!(ua.starts_with("relkit-regclient/"), "{ua}");
}
