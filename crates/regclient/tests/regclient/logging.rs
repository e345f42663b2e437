//! `tracing` events: retries, 429 waits and responses are visible to a subscriber, and the
//! URLs in them are redacted (no password, no token-bearing query value).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use regclient::{FetchOptions, PublishedFile, fetch_verified};

use crate::support::*;

#[test]
fn retries_and_rate_limit_waits_are_logged_with_redacted_urls() {
    let n = Arc::new(AtomicU32::new(0));
    let n2 = Arc::clone(&n);
    let server = TestServer::start(move |_| match n2.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::status(503, "warming up"),
        1 => Reply::status(429, "slow down").with_header("Retry-After", "1"),
        _ => Reply::ok(&b"payload"[..]),
    });
    // A URL carrying a password and a token in its query, as a misconfigured mirror might.
    let url =
        server
            .url("/f?token=qq-SECRET-77")
            .replacen("http://", "http://user:pw-SECRET-99@", 1);
    let file = PublishedFile::new("artifact.bin", url, vec![sha256(b"payload")]).with_size(7);
    let dir = tempfile::tempdir().unwrap();
    let log = logged(|| {
        fetch_verified(&client(), &file, dir.path(), FetchOptions::default()).unwrap();
    });
    assert!(log.contains("retrying"), "{log}");
    assert!(log.contains("status=503"), "{log}");
    assert!(log.contains("rate limited (HTTP 429)"), "{log}");
    assert!(log.contains("retry_after_s=1"), "{log}");
    assert!(log.contains("status=200"), "{log}");
    assert!(!log.contains("SECRET"), "a secret reached the log: {log}");
    assert_eq!(n.load(Ordering::SeqCst), 3);
}
