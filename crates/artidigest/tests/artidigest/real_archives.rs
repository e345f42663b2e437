//! Real archives: every `.crate` in the local cargo cache and the shared registry vectors.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use artidigest::{
    Algorithm, ContentProfile, Format, Limits, check_crate_named, check_profile, list_archive,
    verify_wheel,
};

/// The shared test data folder: `$RELKIT_SHARED`, else `shared/` beside the repository.
pub(crate) fn shared_dir() -> PathBuf {
    match std::env::var_os("RELKIT_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(
            &std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
        )
        .join("../../../shared"),
    }
}

/// Returns `None` (after a loud skip line) when the data is missing outside CI.
pub(crate) fn require(path: &Path, what: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path.to_path_buf());
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{what} not found at {} (required under CI=true)",
            path.display()
        );
    }
    eprintln!("SKIPPED: {what} not found at {}", path.display());
    None
}

/// The shared archive vectors' folder; `None` (after a loud skip line) when it is missing
/// outside CI.
pub(crate) fn shared_vectors() -> Option<PathBuf> {
    require(
        &shared_dir().join("vectors/archives"),
        "shared archive vectors",
    )
}

/// [`cargo_cache_crates`]; `None` (after a loud skip line) when there are none outside CI.
pub(crate) fn cached_crates() -> Option<Vec<PathBuf>> {
    let crates = cargo_cache_crates();
    if crates.is_empty() {
        require(
            Path::new("$CARGO_HOME/registry/cache/*/*.crate"),
            "cargo registry cache",
        );
        return None;
    }
    Some(crates)
}

pub(crate) fn cargo_cache_crates() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let cache = home.join("registry/cache");
    let mut out = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(&cache) {
        for dir in dirs.flatten() {
            if let Ok(files) = std::fs::read_dir(dir.path()) {
                for f in files.flatten() {
                    let p = f.path();
                    if p.extension().is_some_and(|e| e == "crate") {
                        out.push(p);
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// Validates one cached `.crate`; returns 1 when it has a `.cargo_vcs_info.json`.
fn validate_crate(path: &Path) -> usize {
    let name = path.file_name().unwrap().to_str().unwrap();
    let file = BufReader::new(File::open(path).unwrap());
    let info = check_crate_named(file, name, &Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!info.listing.entries.is_empty(), "{name}");
    // Issue 11: a legacy crate (no Cargo.toml.orig) is accepted with an info-level finding.
    let errors: Vec<_> = check_profile(&info.listing, ContentProfile::Crate)
        .into_iter()
        .filter(|f| f.is_error())
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    match &info.vcs {
        Some(vcs) => {
            assert_eq!(vcs.sha1.len(), 40, "{name}");
            1
        }
        None => 0,
    }
}

#[test]
fn every_cached_crate_passes_crate_validation() {
    let Some(crates) = cached_crates() else {
        return;
    };
    // Two workers: the cache holds a few hundred crates and this runs unoptimised.
    let with_vcs: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = crates
            .chunks(crates.len().div_ceil(2))
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(|p| validate_crate(p)).sum::<usize>())
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    eprintln!(
        "validated {} cached crates ({with_vcs} with .cargo_vcs_info.json)",
        crates.len()
    );
}

#[test]
fn shared_vectors_list_with_manifest_counts() {
    let Some(dir) = shared_vectors() else {
        return;
    };
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert!(!files.is_empty());
    for f in files {
        let name = f["file"].as_str().unwrap();
        let format = Format::from_file_name(name).unwrap();
        let file = BufReader::new(File::open(dir.join(name)).unwrap());
        let listing = list_archive(file, format, &Limits::default(), &[Algorithm::Sha256])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            listing.entries.len() as u64,
            f["entries"].as_u64().unwrap(),
            "{name}: entry count"
        );
        let profile = ContentProfile::detect(name, &listing).unwrap();
        let expected_profile = match f["kind"].as_str().unwrap() {
            "wheel" => ContentProfile::Wheel,
            "sdist" => ContentProfile::Sdist,
            "npm-tarball" => ContentProfile::Npm,
            other => panic!("unknown kind {other}"),
        };
        assert_eq!(profile, expected_profile, "{name}");
        let findings = check_profile(&listing, profile);
        assert!(findings.is_empty(), "{name}: {findings:?}");
        if profile == ContentProfile::Wheel {
            let check = verify_wheel(
                BufReader::new(File::open(dir.join(name)).unwrap()),
                &Limits::default(),
            )
            .unwrap();
            assert_eq!(
                check.record.is_ok(),
                f["record_ok"].as_bool().unwrap(),
                "{name}: {:?}",
                check.record.problems
            );
            assert_eq!(check.record.files, listing.entries.len(), "{name}");
        }
    }
}
