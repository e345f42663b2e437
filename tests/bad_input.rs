//! Bad input to the example binaries (issue 12): each run ends with a typed message, never a
//! panic (exit status 101), and leaves nothing behind in `HOME` or `TMPDIR` (both fresh empty
//! folders; the run is told to use a scratch folder of its own through `RELKIT_SCRATCH`).
//!
//! The examples are built with `cargo build --example` (the same target folder as this test),
//! then run as child processes. Every registry named is on loopback, on a closed port.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

mod support;

/// One `cargo build` at a time (tests run in parallel under `cargo test`).
static BUILD: Mutex<()> = Mutex::new(());

/// The path of example `name`: the one the test build left when it is newer than this test
/// binary (`cargo test` builds every example), else built now with `cargo build --example`.
fn example(name: &str) -> PathBuf {
    let _one = BUILD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // This test is target/<profile>/deps/bad_input-…; examples are target/<profile>/examples.
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    if modified(&path).is_some() && modified(&path) >= modified(&exe) {
        return path;
    }
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --example {name}: {status}");
    assert!(path.is_file(), "{} not built", path.display());
    path
}

/// Every entry below `dir`, relative.
fn listing(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = support::entries_below(dir)
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

/// Runs example `name` with `args` in a fresh environment; checks the run ended with a
/// typed message and left `HOME` and `TMPDIR` as empty as it found them.
fn run_bad(name: &str, args: &[&str], expect: &[&str]) -> Output {
    let bin = example(name);
    let home = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let out = Command::new(&bin)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("TMPDIR", tmp.path())
        .env("RELKIT_SCRATCH", scratch.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = format!(
        "{name} {args:?}: {:?}\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    assert!(out.status.code().is_some(), "killed by a signal: {shown}");
    assert_ne!(out.status.code(), Some(101), "panicked: {shown}");
    assert_ne!(out.status.code(), Some(0), "bad input accepted: {shown}");
    assert!(!stderr.contains("panicked"), "{shown}");
    let message = format!("{stdout}{stderr}");
    for e in expect {
        assert!(message.contains(e), "no {e:?} in the message: {shown}");
    }
    assert_eq!(listing(home.path()), Vec::<String>::new(), "HOME: {shown}");
    assert_eq!(listing(tmp.path()), Vec::<String>::new(), "TMPDIR: {shown}");
    out
}

/// A registries configuration on loopback (a closed port), with `extra` appended.
fn loopback_config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("registries.toml");
    std::fs::write(
        &path,
        format!(
            "[npm]\nregistry = \"http://127.0.0.1:9/\"\n[crates]\nindex = \"http://127.0.0.1:9/index/\"\n{extra}"
        ),
    )
    .unwrap();
    path
}

#[test]
fn readback_refuses_specs_without_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = loopback_config(dir.path(), "");
    let config = config.to_str().unwrap();
    for spec in ["npm:", "crates:"] {
        let out = run_bad("readback", &["--config", config, spec], &["readback:"]);
        assert!(!out.stderr.is_empty(), "{spec}: no message on stderr");
    }
}

#[test]
fn readback_of_a_non_ascii_name_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = loopback_config(dir.path(), "");
    let out = run_bad(
        "readback",
        &["--config", config.to_str().unwrap(), "npm:é@1"],
        &["readback:"],
    );
    assert!(!out.stderr.is_empty());
}

#[test]
fn a_timeout_past_every_integer_is_a_typed_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = loopback_config(dir.path(), "[http]\ntimeout-secs = 18446744073709551615\n");
    let out = run_bad(
        "readback",
        &["--config", config.to_str().unwrap(), "npm:demo@1.0.0"],
        &["readback:", "timeout-secs"],
    );
    assert!(!out.stderr.is_empty());
}

// ---- Sigstore bundles and trust roots (verify_bundle prints its error on stdout) ----

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = B64.iter().position(|b| *b == c).unwrap() as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-release")
}

/// Runs the `verify_bundle` example over `bundle`, `root` and `artifact`: it must end with a
/// typed error (see [`run_bad`]).
fn verify_bundle_fails(bundle: &Path, root: &Path, artifact: &Path) {
    run_bad(
        "verify_bundle",
        &[
            "--bundle",
            bundle.to_str().unwrap(),
            "--artifact",
            artifact.to_str().unwrap(),
            "--identity",
            "https://127.0.0.1/none",
            "--issuer",
            "https://127.0.0.1/none",
            "--trusted-root",
            root.to_str().unwrap(),
        ],
        &["error:"],
    );
}

#[test]
fn a_bundle_whose_timestamp_time_is_not_ascii_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo().join("dist/relkit-demo-1.2.3.crate");
    let mut bundle: serde_json::Value = serde_json::from_slice(
        &std::fs::read(demo().join("dist/relkit-demo-1.2.3.crate.sigstore.json")).unwrap(),
    )
    .unwrap();
    let ts = &mut bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        [0]["signedTimestamp"];
    let mut der = b64_decode(ts.as_str().unwrap());
    // GeneralizedTime: tag 0x18, a length, then `YYYYMMDD…Z`; two year digits become `é`.
    let at = der
        .windows(3)
        .position(|w| w[0] == 0x18 && (15..=24).contains(&w[1]) && w[2] == b'2')
        .expect("a GeneralizedTime in the demo's timestamp");
    der[at + 3] = 0xc3;
    der[at + 4] = 0xa9;
    *ts = serde_json::Value::String(b64_encode(&der));
    let path = dir.path().join("bundle.json");
    std::fs::write(&path, serde_json::to_vec(&bundle).unwrap()).unwrap();
    let root = demo().join("trusted_root.json");
    verify_bundle_fails(&path, &root, &artifact);
}

/// Writes at `to` the trusted root read from `from` with its first transparency log's validity
/// start made non-ASCII (`20é1-…`).
fn write_root_with_a_non_ascii_start(from: &Path, to: &Path) {
    let mut root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from).unwrap()).unwrap();
    root["tlogs"][0]["publicKey"]["validFor"]["start"] =
        serde_json::Value::String("20é1-01-12T11:53:27Z".to_owned());
    std::fs::write(to, serde_json::to_vec(&root).unwrap()).unwrap();
}

#[test]
fn a_trusted_root_whose_validity_start_is_not_ascii_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trusted_root.json");
    write_root_with_a_non_ascii_start(&demo().join("trusted_root.json"), &path);
    let bundle = demo().join("dist/relkit-demo-1.2.3.crate.sigstore.json");
    let artifact = demo().join("dist/relkit-demo-1.2.3.crate");
    verify_bundle_fails(&bundle, &path, &artifact);
}

#[test]
fn base64_round_trips() {
    for s in [&b""[..], b"a", b"ab", b"abc", b"abcd", &[0, 255, 128, 7, 9]] {
        assert_eq!(b64_decode(&b64_encode(s)), s);
    }
    assert_eq!(b64_encode(b"abc"), "YWJj");
}

// ---- check_versions and verify_release on the same hostile inputs ----

#[test]
fn check_versions_prints_no_escape_sequence_from_a_tag() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"x\"\nversion = \"1.2.3\"\n",
    )
    .unwrap();
    let out = run_bad(
        "check_versions",
        &[dir.path().to_str().unwrap(), "--tag", "v1.2.3\u{1b}[2J"],
        &["tag-not-strict-semver", "\\u{1b}"],
    );
    assert!(
        !out.stdout.contains(&0x1b),
        "a raw ESC reached the terminal"
    );
    assert!(
        !out.stderr.contains(&0x1b),
        "a raw ESC reached the terminal"
    );
}

#[test]
fn verify_release_with_a_trust_root_whose_validity_start_is_not_ascii_blocks() {
    let dir = tempfile::tempdir().unwrap();
    relkit_demo::copy_tree(&demo(), dir.path()).unwrap();
    let root_path = dir.path().join("trusted_root.json");
    write_root_with_a_non_ascii_start(&root_path, &root_path);
    let policy = dir.path().join("release.toml");
    let dist = dir.path().join("dist");
    let out = run_bad(
        "verify_release",
        &[
            "--policy",
            policy.to_str().unwrap(),
            "--release",
            dist.to_str().unwrap(),
            "--tag",
            "v1.2.3",
            "--phase",
            "prepublish",
        ],
        &["BLOCKED", "signatures-valid"],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn verify_release_refuses_a_policy_inside_the_folder_it_judges() {
    // The demo's dist with a permissive release.toml dropped into it: the release would choose
    // its own checks. It is refused unread (exit 2), and nothing is verified.
    let dir = tempfile::tempdir().unwrap();
    relkit_demo::copy_tree(&demo().join("dist"), dir.path()).unwrap();
    std::fs::write(
        dir.path().join("release.toml"),
        "schema-version = 1\n[project]\nname = \"x\"\n",
    )
    .unwrap();
    let out = run_bad(
        "verify_release",
        &[dir.path().to_str().unwrap()],
        &["inside the release folder being judged", "--policy"],
    );
    assert_eq!(out.status.code(), Some(2));
    // With the policy given outside the folder, the same folder is verified (and blocked here
    // because the dropped-in file is not a release file any check reads).
    let policy = demo().join("release.toml");
    let out = Command::new(example("verify_release"))
        .args([
            "--policy",
            policy.to_str().unwrap(),
            "--release",
            dir.path().to_str().unwrap(),
            "--tag",
            "v1.2.3",
            "--phase",
            "prepublish",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("release.toml"), "{text}");
}
