//! The real-artifact corpus: every wheel, sdist, npm tarball and `.crate` in
//! `../shared/vectors/archives/` and its `real-world/` folder (unusual but well-formed files as
//! their registries serve them) passes the archive checks under default settings: the safe
//! reader with `Limits::default()`, and its content profile with no error-level finding.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use artidigest::{
    Algorithm, ContentProfile, Format, Limits, check_crate_named, check_profile, digest_bytes,
    inspect_nested, list_archive, verify_wheel,
};

use crate::real_archives::{require, shared_vectors};

/// One file of a manifest, checked against its sha256 first; returns its profile.
fn check_vector(dir: &Path, f: &serde_json::Value) -> ContentProfile {
    let name = f["file"].as_str().unwrap();
    let path = dir.join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sha256 = digest_bytes(&bytes, &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .unwrap()
        .to_hex();
    assert_eq!(
        sha256,
        f["sha256"].as_str().unwrap(),
        "{name}: sha256 differs from the manifest"
    );
    assert_eq!(bytes.len() as u64, f["size"].as_u64().unwrap(), "{name}");
    let profile = match f["kind"].as_str().unwrap() {
        "wheel" => ContentProfile::Wheel,
        "sdist" => ContentProfile::Sdist,
        "npm-tarball" => ContentProfile::Npm,
        "crate" => ContentProfile::Crate,
        other => panic!("{name}: unknown kind {other}"),
    };
    let format = Format::from_file_name(name).unwrap();
    let limits = Limits::default();
    let open = || BufReader::new(File::open(&path).unwrap());
    let listing = list_archive(open(), format, &limits, &[Algorithm::Sha256])
        .unwrap_or_else(|e| panic!("{name}: refused under default limits: {e}"));
    // Opening what lies inside too, under one budget, accepts them as well.
    let nested = inspect_nested(open(), format, &limits)
        .unwrap_or_else(|e| panic!("{name}: inspect_nested refused it: {e}"));
    assert_eq!(nested.entries, listing.entries.len(), "{name}");
    if let Some(n) = f["entries"].as_u64() {
        assert_eq!(listing.entries.len() as u64, n, "{name}: entry count");
    }
    assert_eq!(
        ContentProfile::detect(name, &listing),
        Some(profile),
        "{name}"
    );
    let errors: Vec<_> = check_profile(&listing, profile)
        .into_iter()
        .filter(|f| f.is_error())
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    match profile {
        ContentProfile::Wheel => {
            let check = verify_wheel(open(), &limits)
                .unwrap_or_else(|e| panic!("{name}: wheel refused: {e}"));
            assert!(check.record.is_ok(), "{name}: {:?}", check.record.problems);
        }
        ContentProfile::Crate => {
            let info = check_crate_named(open(), name, &limits)
                .unwrap_or_else(|e| panic!("{name}: crate refused: {e}"));
            assert_eq!(info.listing.entries.len(), listing.entries.len(), "{name}");
        }
        _ => {}
    }
    profile
}

fn check_folder(dir: &Path) -> Vec<(String, ContentProfile)> {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert!(!files.is_empty(), "{}: empty manifest", dir.display());
    // Every archive of the folder is in the manifest: none is skipped unchecked.
    let listed: Vec<&str> = files.iter().map(|f| f["file"].as_str().unwrap()).collect();
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if Format::from_file_name(&name).is_some() {
            assert!(
                listed.contains(&name.as_str()),
                "{name} is not in the manifest"
            );
        }
    }
    files
        .iter()
        .map(|f| (f["file"].as_str().unwrap().to_owned(), check_vector(dir, f)))
        .collect()
}

#[test]
fn every_real_artifact_passes_under_default_settings() {
    let Some(dir) = shared_vectors() else {
        return;
    };
    let mut checked = check_folder(&dir);
    let real_world = require(&dir.join("real-world"), "real-world archive vectors")
        .expect("the real-world folder is part of the shared vectors");
    let unusual = check_folder(&real_world);
    // The unusual ones this corpus exists for are all there.
    for kind in [
        ContentProfile::Wheel,
        ContentProfile::Npm,
        ContentProfile::Crate,
    ] {
        assert!(
            unusual.iter().any(|(_, p)| *p == kind),
            "no real-world {kind}"
        );
    }
    checked.extend(unusual);
    eprintln!("corpus: {} real artifacts pass: {checked:?}", checked.len());
}

#[test]
fn the_legacy_crate_is_accepted_with_an_info_note() {
    let Some(dir) = shared_vectors() else {
        return;
    };
    let path = dir.join("real-world/cesu8-1.1.0.crate");
    let info = check_crate_named(
        BufReader::new(File::open(&path).unwrap()),
        "cesu8-1.1.0.crate",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(info.vcs, None);
    assert_eq!(
        (info.name.as_deref(), info.version.as_deref()),
        (Some("cesu8"), Some("1.1.0"))
    );
    assert_eq!(info.notes.len(), 1, "{:?}", info.notes);
    let findings = check_profile(&info.listing, ContentProfile::Crate);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code(), "legacy-crate");
    assert!(!findings[0].is_error());
}
