//! Inputs found by fuzzing, replayed through every TOML-reading source with a time bound.

use std::time::{Duration, Instant};

use relver::{Code, Config, MemTree, SourceKind, SourceSpec, check};

#[test]
fn fuzzed_inputs_are_typed_errors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzzed");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        // The first byte selected the target's file kind; the rest is the file.
        let text = String::from_utf8_lossy(&bytes[1..]).into_owned();
        for kind in [
            SourceKind::CargoLock,
            SourceKind::UvLock,
            SourceKind::Cargo,
            SourceKind::Pyproject,
        ] {
            let started = Instant::now();
            let tree = MemTree::new().with_file("f.toml", text.clone());
            let report = check(
                &tree,
                &Config::new(vec![SourceSpec::new("f.toml", kind)]),
                None,
            );
            assert!(started.elapsed() < Duration::from_secs(2));
            let f = report.errors().next().unwrap();
            assert_eq!(f.code, Code::SourceUnreadable, "{report}");
            assert_eq!(f.line(), Some(1), "{report}");
            n += 1;
        }
    }
    assert!(n >= 8);
}
