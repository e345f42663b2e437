//! Architecture invariants that the dependency graph must keep (docs/architecture.md):
//! `relver`, `artidigest` and `attest` build with no HTTP client, TLS stack or async runtime,
//! and nothing in the workspace links OpenSSL.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::BTreeSet;
use std::process::Command;

/// Crates that would mean network I/O or an async runtime.
const NETWORK_OR_ASYNC: [&str; 10] = [
    "tokio",
    "reqwest",
    "ureq",
    "hyper",
    "rustls",
    "h2",
    "async-std",
    "smol",
    "mio",
    "native-tls",
];

fn normal_deps(package: &str, features: &[&str]) -> BTreeSet<String> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args([
        "tree",
        "--offline",
        "--locked",
        "-e",
        "normal",
        "--prefix",
        "none",
        "-p",
        package,
    ]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn offline_crates_have_no_network_or_async_stack() {
    for package in ["relver", "artidigest", "attest"] {
        let deps = normal_deps(package, &[]);
        assert!(
            deps.contains(package),
            "cargo tree listed nothing for {package}"
        );
        let bad: Vec<_> = NETWORK_OR_ASYNC
            .iter()
            .filter(|c| deps.contains(**c))
            .collect();
        assert!(bad.is_empty(), "{package} depends on {bad:?}");
    }
}

#[test]
fn relver_and_artidigest_depend_on_no_sibling() {
    for package in ["relver", "artidigest"] {
        let deps = normal_deps(package, &[]);
        for sibling in ["relver", "artidigest", "attest", "regclient", "relgate"] {
            if sibling != package {
                assert!(!deps.contains(sibling), "{package} depends on {sibling}");
            }
        }
    }
}

#[test]
fn nothing_links_openssl() {
    for package in ["relkit", "regclient", "relgate"] {
        let deps = normal_deps(package, &[]);
        for banned in ["openssl", "openssl-sys", "native-tls"] {
            assert!(!deps.contains(banned), "{package} depends on {banned}");
        }
    }
}

#[test]
fn one_http_stack_regclients() {
    // relgate reaches HTTP only through regclient (ureq + rustls): no second client library.
    for package in ["relkit", "regclient", "relgate"] {
        let deps = normal_deps(package, &[]);
        for second in ["reqwest", "hyper", "h2", "isahc", "curl"] {
            assert!(!deps.contains(second), "{package} depends on {second}");
        }
    }
    assert!(normal_deps("relgate", &[]).contains("regclient"));
}
