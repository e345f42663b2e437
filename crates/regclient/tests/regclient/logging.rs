//! `tracing` events: retries, 429 waits and responses are visible to a subscriber, and the
//! URLs in them are redacted (no password, no token-bearing query value).

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use regclient::{FetchOptions, PublishedFile, fetch_verified};

use crate::support::*;

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

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
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("regclient=debug")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let dir = tempfile::tempdir().unwrap();
    tracing::subscriber::with_default(subscriber, || {
        fetch_verified(&client(), &file, dir.path(), FetchOptions::default()).unwrap();
    });
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("retrying"), "{log}");
    assert!(log.contains("status=503"), "{log}");
    assert!(log.contains("rate limited (HTTP 429)"), "{log}");
    assert!(log.contains("retry_after_s=1"), "{log}");
    assert!(log.contains("status=200"), "{log}");
    assert!(!log.contains("SECRET"), "a secret reached the log: {log}");
    assert_eq!(n.load(Ordering::SeqCst), 3);
}
