//! Files the verifier names (a policy, a registries file) are read through the one bounded
//! reader: a FIFO or a device is refused before it is opened, never read until memory runs out
//! or waited on forever.

use std::path::Path;
use std::process::Command;

use regclient::RegistriesConfig;
use relgate::Policy;

#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a missing mkfifo fails the test"
)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo failed");
}

#[test]
fn a_fifo_policy_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("release.toml");
    mkfifo(&fifo);
    let err = Policy::load(&fifo).unwrap_err().to_string();
    assert!(err.contains("fifo"), "{err}");
    assert!(err.contains("release.toml"), "{err}");
}

#[test]
fn an_endless_device_as_policy_or_registries_file_is_refused() {
    let err = Policy::load(Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("char-device"), "{err}");
    let err = RegistriesConfig::from_file(Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/dev/zero"), "{err}");
}

#[test]
fn a_registries_file_past_the_cap_is_refused_by_bytes_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("registries.toml");
    let line = "# padding padding padding padding padding padding padding padding\n";
    let text = line.repeat((regclient::MAX_CONFIG_BYTES as usize / line.len()) + 2);
    std::fs::write(&big, text).unwrap();
    let err = RegistriesConfig::from_file(&big).unwrap_err();
    let cause = std::error::Error::source(&err).map(ToString::to_string);
    assert!(
        cause
            .as_deref()
            .is_some_and(|c| c.contains("more than 1048576 bytes")),
        "{err}: {cause:?}"
    );
}
