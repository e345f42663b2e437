//! The root library is re-exports only: its normal build (what a dependant of `relkit`
//! compiles) holds no demo, no loopback registry server and no throwaway signing stack. Those
//! live in `relkit-demo` and `relkit-testkit`, which only examples, tests and benches build.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::process::Command;

/// Test-only code a library's normal build must not contain: a package, or one feature of it.
const TEST_ONLY: [(&str, Option<&str>); 4] = [
    ("relkit-demo", None),
    ("relkit-testkit", None),
    ("regclient", Some("test-registry")),
    ("attest", Some("test-stack")),
];

/// The lines of `cargo tree -e normal -p relkit -f '{p} {f}'` that name test-only code.
fn test_only_lines(tree: &str) -> Vec<String> {
    tree.lines()
        .filter(|line| {
            let mut words = line.split_whitespace();
            let Some(name) = words.next() else {
                return false;
            };
            let features: Vec<&str> = words
                .skip(1) // the version
                .filter(|w| !w.starts_with('('))
                .flat_map(|w| w.split(','))
                .collect();
            TEST_ONLY.iter().any(|(package, feature)| {
                name == *package && feature.is_none_or(|f| features.contains(&f))
            })
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_root_librarys_normal_build_has_no_demo_registry_server_or_test_stack() {
    let tree = cargo_tree(&["-e", "normal", "-f", "{p} {f}", "-p", "relkit"]);
    for sibling in ["relver", "regclient", "artidigest", "attest", "relgate"] {
        assert!(
            tree.lines().any(|l| l.starts_with(&format!("{sibling} "))),
            "relkit no longer re-exports {sibling}:\n{tree}"
        );
    }
    assert_eq!(test_only_lines(&tree), Vec::<String>::new(), "{tree}");
}

#[test]
fn the_check_names_each_kind_of_test_only_code() {
    // Planted lines: each is caught, and the same packages without the feature are not.
    let tree = "\
relkit v0.1.0 (/w)
relkit-demo v0.1.0 (/w/crates/relkit-demo)
relkit-testkit v0.1.0 (/w/crates/relkit-testkit) docker-registry
regclient v0.1.0 (/w/crates/regclient) default,test-registry
attest v0.1.0 (/w/crates/attest) test-stack (*)
regclient v0.1.0 (/w/crates/regclient) default
attest v0.1.0 (/w/crates/attest) default
";
    assert_eq!(
        test_only_lines(tree),
        [
            "relkit-demo v0.1.0 (/w/crates/relkit-demo)",
            "relkit-testkit v0.1.0 (/w/crates/relkit-testkit) docker-registry",
            "regclient v0.1.0 (/w/crates/regclient) default,test-registry",
            "attest v0.1.0 (/w/crates/attest) test-stack (*)",
        ]
    );
}

#[test]
fn the_root_library_is_re_exports_only() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    // `bin/relkit/` is the `relkit` command; the library itself is `lib.rs` alone.
    assert_eq!(
        files,
        ["bin", "lib.rs"],
        "src/ holds more than lib.rs and bin/"
    );
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let code: Vec<&str> = lib
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("#!["))
        .collect();
    assert_eq!(
        code,
        [
            "pub use artidigest;",
            "pub use attest;",
            "pub use regclient;",
            "pub use relgate;",
            "pub use relkit_finding;",
            "pub use relver;",
        ]
    );
}

/// `cargo tree --offline --locked --prefix none ARGS` in the workspace, as text.
fn cargo_tree(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "--prefix", "none"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The packages of `cargo tree -p PACKAGE -e normal,build,dev` (what building that package's
/// examples compiles), one name per line.
fn example_build_graph(package: &str) -> Vec<String> {
    let tree = cargo_tree(&["-e", "normal,build,dev", "-f", "{p}", "-p", package]);
    let mut names: Vec<String> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn building_the_main_job_compiles_no_c_crypto_library_and_no_bench_harness() {
    // `cargo run --example verify_release` on a fresh clone builds relkit's normal, build and
    // dev dependencies: the differential oracle (sigstore-verify, which brings aws-lc-sys)
    // and criterion live in the `relkit-benches` member, which only `cargo bench` builds.
    let heavy = ["aws-lc-sys", "aws-lc-rs", "criterion", "sigstore-verify"];
    let example = example_build_graph("relkit");
    for name in heavy {
        assert!(
            !example.iter().any(|n| n == name),
            "the example's build graph holds {name}"
        );
    }
    // The same names are still where the benches build them (so the check looks for real names).
    let benches = example_build_graph("relkit-benches");
    for name in heavy {
        assert!(
            benches.iter().any(|n| n == name),
            "relkit-benches no longer builds {name}: {benches:?}"
        );
    }
}
