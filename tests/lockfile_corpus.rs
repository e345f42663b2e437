//! Every registry crate the workspace locks, held to relkit's default `.crate` checks.
//!
//! For each package of `Cargo.lock` and `fuzz/Cargo.lock` whose `source` is a registry
//! (`registry+…`) and which carries a `checksum`, the test finds `<name>-<version>.crate` in
//! cargo's download cache (`$CARGO_HOME/registry/cache/*/`, `CARGO_HOME` defaulting to
//! `~/.cargo`), checks that its sha256 is the lock file's checksum, and then checks it the way
//! relgate's archive-safety gate checks a `.crate`: artidigest reads it with the default
//! [`Limits`] ([`check_crate_named`]: one root named after the file, only regular files and
//! directories, `Cargo.toml` whose `[package]` name and version match the file name,
//! `.cargo_vcs_info.json` valid when present) and holds the listing to the `.crate` layout
//! ([`check_profile`] with [`ContentProfile::Crate`]). Every crate must pass.
//!
//! Only the crates the lock files name are read: what else a machine's cache holds does not
//! change the verdict. A locked crate missing from the cache fails the test under `CI=true`
//! (CI runs `cargo fetch --locked` for both lock files first); elsewhere it is counted and
//! printed as skipped. The last line printed is the summary (`--nocapture` shows it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "a test fails by panicking and prints what it checked"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use artidigest::{
    Algorithm, ContentProfile, Limits, check_crate_named, check_profile, digest_bytes,
};
use serde::Deserialize;

/// The lock files of the workspace, relative to its root.
const LOCK_FILES: [&str; 2] = ["Cargo.lock", "fuzz/Cargo.lock"];

#[derive(Debug, Deserialize)]
struct LockFile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Debug, Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
}

/// A registry crate a lock file pins: `<name>-<version>.crate` with this sha256 (lowercase
/// hex), and the lock files naming it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Pinned {
    name: String,
    version: String,
    checksum: String,
}

impl Pinned {
    fn file_name(&self) -> String {
        format!("{}-{}.crate", self.name, self.version)
    }
}

/// The registry crates of one lock file's text. A package with a checksum but a source that is
/// not a registry (nothing this test knows how to find) is an error, so nothing checksummed is
/// passed over; path and git packages (no checksum) are not crates of a registry.
fn registry_crates(lock_text: &str, lock_name: &str) -> Result<Vec<Pinned>, String> {
    let lock: LockFile =
        toml::from_str(lock_text).map_err(|e| format!("{lock_name} does not parse: {e}"))?;
    let mut out = Vec::new();
    for p in lock.package {
        let from_registry = p
            .source
            .as_deref()
            .is_some_and(|s| s.starts_with("registry+"));
        match (from_registry, p.checksum) {
            (true, Some(checksum)) => {
                if checksum.len() != 64 || !checksum.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "{lock_name}: {} {} has a checksum that is not sha256 hex: {checksum:?}",
                        p.name, p.version
                    ));
                }
                out.push(Pinned {
                    name: p.name,
                    version: p.version,
                    checksum: checksum.to_ascii_lowercase(),
                });
            }
            (true, None) => {
                return Err(format!(
                    "{lock_name}: registry package {} {} has no checksum",
                    p.name, p.version
                ));
            }
            (false, Some(_)) => {
                return Err(format!(
                    "{lock_name}: {} {} has a checksum but its source {:?} is not a registry this test reads",
                    p.name, p.version, p.source
                ));
            }
            (false, None) => {}
        }
    }
    Ok(out)
}

/// Cargo's home: `$CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .expect("CARGO_HOME or HOME is set")
}

/// Where a crate file may be cached: `registry/cache/<each registry>/<file>`, existing only.
fn cached_copies(cache_root: &Path, file_name: &str) -> Vec<PathBuf> {
    let Ok(registries) = std::fs::read_dir(cache_root) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = registries
        .filter_map(Result::ok)
        .map(|r| r.path().join(file_name))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

/// Checks one cached `.crate` against its pin and relkit's default checks; `Err` says why not.
fn check_one(pin: &Pinned, path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let sha256 = digest_bytes(&bytes, &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .map(|d| d.to_hex())
        .ok_or("no sha256 computed")?;
    if sha256 != pin.checksum {
        return Err(format!(
            "sha256 {sha256} of {} is not the lock file's checksum {}",
            path.display(),
            pin.checksum
        ));
    }
    let info = check_crate_named(&bytes[..], &pin.file_name(), &Limits::default())
        .map_err(|e| format!("refused by artidigest's .crate check: {e}"))?;
    let errors: Vec<String> = check_profile(&info.listing, ContentProfile::Crate)
        .iter()
        .filter(|f| f.is_error())
        .map(ToString::to_string)
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "does not have the .crate layout: {}",
            errors.join("; ")
        ));
    }
    Ok(())
}

#[test]
fn every_locked_registry_crate_matches_its_checksum_and_passes_the_default_crate_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // name-version-checksum → the lock files naming it (a crate locked twice is read once).
    let mut pins: BTreeMap<Pinned, Vec<&str>> = BTreeMap::new();
    for lock in LOCK_FILES {
        let text = std::fs::read_to_string(root.join(lock))
            .unwrap_or_else(|e| panic!("cannot read {lock}: {e}"));
        let crates = registry_crates(&text, lock).unwrap_or_else(|e| panic!("{e}"));
        assert!(!crates.is_empty(), "{lock} locks no registry crate");
        for pin in crates {
            pins.entry(pin).or_default().push(lock);
        }
    }

    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let cache_root = cargo_home().join("registry").join("cache");
    let (mut checked, mut skipped, mut bytes_read) = (0usize, Vec::new(), 0u64);
    let mut failures = Vec::new();
    for (pin, locks) in &pins {
        let copies = cached_copies(&cache_root, &pin.file_name());
        if copies.is_empty() {
            skipped.push(format!("{} (in {})", pin.file_name(), locks.join(", ")));
            continue;
        }
        // Every cached copy of a locked crate is held to the lock (one per registry folder).
        for path in &copies {
            bytes_read += path.metadata().map(|m| m.len()).unwrap_or(0);
            if let Err(why) = check_one(pin, path) {
                failures.push(format!(
                    "{} {} (in {}): {why}",
                    pin.name,
                    pin.version,
                    locks.join(", ")
                ));
            }
        }
        checked += 1;
    }

    for s in &skipped {
        println!("SKIPPED (not in {}): {s}", cache_root.display());
    }
    println!(
        "lock-file crate corpus: {} registry crates locked, {checked} crates checked ({:.1} MB), {} skipped (not cached), {} failed",
        pins.len(),
        bytes_read as f64 / 1e6,
        skipped.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} locked crates fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        !in_ci || skipped.is_empty(),
        "CI=true and {} locked crates are not in {} (run `cargo fetch --locked` for both lock files first):\n{}",
        skipped.len(),
        cache_root.display(),
        skipped.join("\n")
    );
}

#[test]
fn only_checksummed_registry_packages_are_pinned_and_nothing_checksummed_is_passed_over() {
    let lock = r#"
version = 4

[[package]]
name = "relkit"
version = "0.1.0"

[[package]]
name = "from-git"
version = "1.0.0"
source = "git+https://example.invalid/repo#0123"

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://example.invalid/index"
checksum = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
"#;
    let pins = registry_crates(lock, "Cargo.lock").unwrap();
    assert_eq!(
        pins,
        [Pinned {
            name: String::from("serde"),
            version: String::from("1.0.0"),
            checksum: String::from(
                "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
            ),
        }]
    );
    assert_eq!(pins[0].file_name(), "serde-1.0.0.crate");

    let unknown_source = lock.replace("registry+", "elsewhere+");
    assert!(registry_crates(&unknown_source, "Cargo.lock").is_err());
    let no_checksum = lock.replace("checksum = ", "# checksum = ");
    assert!(registry_crates(&no_checksum, "Cargo.lock").is_err());
    let short = lock.replace("ABCDEF0123456789", "ABCDEF");
    assert!(registry_crates(&short, "Cargo.lock").is_err());
}

#[test]
fn a_crate_whose_bytes_are_not_the_locked_ones_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo-1.0.0.crate");
    std::fs::write(&path, b"not a crate").unwrap();
    let pin = Pinned {
        name: String::from("demo"),
        version: String::from("1.0.0"),
        checksum: "0".repeat(64),
    };
    let err = check_one(&pin, &path).unwrap_err();
    assert!(err.contains("is not the lock file's checksum"), "{err}");

    // The right checksum of bytes that are no crate: refused by the .crate check.
    let set = digest_bytes(b"not a crate", &[Algorithm::Sha256]);
    let pin = Pinned {
        checksum: set.get(Algorithm::Sha256).unwrap().to_hex(),
        ..pin
    };
    let err = check_one(&pin, &path).unwrap_err();
    assert!(err.contains("refused"), "{err}");
}

#[test]
fn cached_copies_are_looked_up_by_exact_file_name_in_every_registry_folder() {
    let dir = tempfile::tempdir().unwrap();
    for (registry, file) in [
        ("a", "demo-1.0.0.crate"),
        ("b", "demo-1.0.0.crate"),
        ("b", "demo-1.0.01.crate"),
        ("c", "other-1.0.0.crate"),
    ] {
        std::fs::create_dir_all(dir.path().join(registry)).unwrap();
        std::fs::write(dir.path().join(registry).join(file), b"x").unwrap();
    }
    let found = cached_copies(dir.path(), "demo-1.0.0.crate");
    assert_eq!(
        found,
        [
            dir.path().join("a/demo-1.0.0.crate"),
            dir.path().join("b/demo-1.0.0.crate")
        ]
    );
    assert!(cached_copies(&dir.path().join("missing"), "demo-1.0.0.crate").is_empty());
}
