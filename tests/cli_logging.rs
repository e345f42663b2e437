//! `relkit -v` and `RELKIT_LOG`: the libraries' `tracing` events reach stderr (gate start and
//! end), and never stdout, where the report is.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::process::{Command, Output};

/// A plain release folder (one file and its SHA256SUMS) and `relkit verify` run on it.
fn verify(args: &[&str], log: Option<&str>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"hello\n").unwrap();
    // sha256 of "hello\n"
    std::fs::write(
        dir.path().join("SHA256SUMS"),
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  a.txt\n",
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relkit"));
    cmd.args(args)
        .args(["verify", "--format", "json"])
        .arg(dir.path())
        .env_remove("RELKIT_LOG")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_API_URL")
        .env_remove("GITHUB_REPOSITORY");
    if let Some(filter) = log {
        cmd.env("RELKIT_LOG", filter);
    }
    cmd.output().unwrap()
}

#[test]
fn verbose_shows_each_gate_start_and_end_on_stderr_only() {
    let out = verify(&["-v"], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("gate started"), "{stderr}");
    assert!(stderr.contains("gate finished"), "{stderr}");
    assert!(stderr.contains("checksum-file"), "{stderr}");
    // stdout stays one JSON report.
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["decision"]["status"], "allowed");
}

#[test]
fn quiet_by_default_and_relkit_log_takes_a_filter() {
    let out = verify(&[], None);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("gate started"), "{stderr}");

    let out = verify(&[], Some("relgate=info"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("gate started"), "{stderr}");

    // A filter for another target only: relgate stays quiet even with -v.
    let out = verify(&["-v"], Some("regclient=trace"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("gate started"), "{stderr}");
}
