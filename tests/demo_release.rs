//! The committed demo release is exactly what its generator writes (so it is reproducible),
//! and the generator writes the same bytes twice.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::Path;

use relkit_demo::{DemoRelease, demo_release_dir};

fn read_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn committed_demo_release_is_what_the_generator_writes() {
    let tmp = tempfile::tempdir().unwrap();
    DemoRelease::default().write(tmp.path()).unwrap();
    let fresh = read_tree(tmp.path());
    let committed: Vec<_> = read_tree(&demo_release_dir())
        .into_iter()
        .filter(|(p, _)| {
            p.starts_with("dist/")
                || p.starts_with("source/")
                || p == "release.toml"
                || p == "trusted_root.json"
        })
        .collect();
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&fresh),
        names(&committed),
        "run `cargo run --example make_demo_release`"
    );
    for ((p, a), (_, b)) in fresh.iter().zip(&committed) {
        assert!(
            a == b,
            "{p} differs from the generator's output: run `cargo run --example make_demo_release`"
        );
    }
}

#[test]
fn generator_is_deterministic_and_version_sensitive() {
    let a = DemoRelease::default().artifacts().unwrap();
    let b = DemoRelease::default().artifacts().unwrap();
    assert_eq!(a, b);
    let mut other = DemoRelease::default();
    other.version = String::from("1.2.4");
    let c = other.artifacts().unwrap();
    assert!(c.iter().all(|(n, _)| n.contains("1.2.4")));
    assert_ne!(a[0].1, c[0].1);
}
