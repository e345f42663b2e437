//! A real `docker-registry` on loopback for the tests that push images and charts.

use regclient::testing::{TestRegistry, docker_registry_bin};

/// Starts a `docker-registry` on `127.0.0.1`; `None`, after a loud SKIPPED line, when it is not
/// installed and this is not CI.
///
/// # Panics
/// Under `CI=true` when `docker-registry` is missing (CI must run every test), and when it is
/// installed but does not start.
#[track_caller]
pub fn docker_registry_or_skip() -> Option<TestRegistry> {
    let bin = docker_registry_bin();
    if !bin.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "docker-registry not found at {} (CI=true requires it; run scripts/install-test-servers.sh)",
            bin.display()
        );
        eprintln!("SKIPPED: docker-registry not found at {}", bin.display());
        return None;
    }
    match TestRegistry::start(&bin) {
        Ok(registry) => Some(registry),
        Err(e) => crate::fail(&format!(
            "docker-registry at {} did not start: {e}",
            bin.display()
        )),
    }
}
