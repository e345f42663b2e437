//! Tests of the whole repack path: entry list in, archive bytes out (the writers, the profiles,
//! the refusals and the report).

use std::io::{self, Read};

use crate::archive::{Format, GzipHeader, Limits};
use crate::repack::error::RepackError;
use crate::repack::options::{
    CARGO_LEGACY_MTIME, CARGO_MTIME, DEFAULT_EPOCH, RepackEntry, RepackOptions,
};
use crate::repack::report::RepackReport;
use crate::repack::write::repack_entries;

fn sample() -> Vec<RepackEntry> {
    vec![
        RepackEntry::file("pkg/b.txt", "bee\n").with_mtime(1_700_000_000),
        RepackEntry::directory("pkg/").with_mtime(5),
        RepackEntry::file("pkg/a.sh", "#!/bin/sh\n")
            .with_mode(0o700)
            .with_owner(1000, 1000, "alice", "staff"),
        RepackEntry::symlink("pkg/link", "b.txt"),
    ]
}

#[test]
fn tar_headers_are_normalised() {
    let out = repack_entries(sample(), &RepackOptions::new(Format::Tar)).unwrap();
    let mut ar = tar::Archive::new(out.bytes.as_slice());
    let mut seen = Vec::new();
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!(h.uid().unwrap(), 0);
        assert_eq!(h.gid().unwrap(), 0);
        assert_eq!(h.username_bytes(), Some(&b""[..]));
        assert_eq!(h.mtime().unwrap(), DEFAULT_EPOCH);
        assert!(h.as_ustar().is_some());
        seen.push((
            String::from_utf8(e.path_bytes().into_owned()).unwrap(),
            h.mode().unwrap(),
        ));
    }
    assert_eq!(
        seen,
        [
            ("pkg/".to_owned(), 0o755),
            ("pkg/a.sh".to_owned(), 0o755),
            ("pkg/b.txt".to_owned(), 0o644),
            ("pkg/link".to_owned(), 0o777),
        ]
    );
    assert_eq!(out.report.files, 2);
    assert_eq!(out.report.directories, 1);
    assert_eq!(out.report.symlinks, 1);
    assert!(out.report.compression.is_none());
    // Two end-of-archive blocks, no record padding.
    assert_eq!(out.bytes.len() % 512, 0);
    assert!(out.bytes[out.bytes.len() - 1024..].iter().all(|&b| b == 0));
}

#[test]
fn long_paths_get_pax_records() {
    let long = format!("pkg/{}", "n".repeat(120));
    let link_target = "t".repeat(120);
    let entries = vec![
        RepackEntry::file(long.clone(), "x"),
        RepackEntry::file(link_target.clone(), "y"),
        RepackEntry::symlink("l", link_target.clone()),
    ];
    let out = repack_entries(entries, &RepackOptions::new(Format::Tar)).unwrap();
    assert_eq!(out.report.pax_headers, 3);
    let mut ar = tar::Archive::new(out.bytes.as_slice());
    let mut names = Vec::new();
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let link = e.link_name().unwrap().map(|l| l.display().to_string());
        names.push((e.path().unwrap().display().to_string(), link));
    }
    assert_eq!(
        names,
        [
            ("l".to_owned(), Some(link_target.clone())),
            (long, None),
            (link_target, None),
        ]
    );
}

#[test]
fn zip_output_is_normalised() {
    let out = repack_entries(sample(), &RepackOptions::new(Format::Zip)).unwrap();
    let mut z = zip::ZipArchive::new(io::Cursor::new(out.bytes.clone())).unwrap();
    let names: Vec<String> = z
        .file_names()
        .map(|n| n.map(std::borrow::Cow::into_owned))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names.len(), 4);
    let f = z.by_name("pkg/a.sh").unwrap();
    assert_eq!(f.unix_mode().unwrap() & 0o777, 0o755);
    assert_eq!(f.last_modified().unwrap().year(), 1980);
    assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
    drop(f);
    let second = repack_entries(sample(), &RepackOptions::new(Format::Zip)).unwrap();
    assert_eq!(out.bytes, second.bytes);
}

#[test]
fn bad_entries_are_refused() {
    let opts = RepackOptions::new(Format::TarGz);
    let dup = vec![RepackEntry::file("a", "1"), RepackEntry::file("./a", "2")];
    assert!(matches!(
        repack_entries(dup, &opts),
        Err(RepackError::DuplicatePath { path }) if path == "a"
    ));
    let escape = vec![RepackEntry::symlink("a/l", "../../x")];
    assert!(matches!(
        repack_entries(escape, &opts),
        Err(RepackError::BadLinkTarget { .. })
    ));
    let dangling = vec![RepackEntry::hardlink("h", "missing")];
    assert!(matches!(
        repack_entries(dangling, &opts),
        Err(RepackError::BadLinkTarget { reason, .. }) if reason.contains("no entry")
    ));
    let big = vec![RepackEntry::file("a", vec![0u8; 11])];
    let small = opts.clone().with_limits(Limits {
        max_entry_size: 10,
        ..Limits::default()
    });
    assert!(matches!(
        repack_entries(big, &small),
        Err(RepackError::TooLarge { limit: 10, .. })
    ));
    let many = vec![RepackEntry::file("a", ""), RepackEntry::file("b", "")];
    let one = opts.clone().with_limits(Limits {
        max_entries: 1,
        ..Limits::default()
    });
    assert!(matches!(
        repack_entries(many, &one),
        Err(RepackError::TooManyEntries { limit: 1 })
    ));
    let through = vec![
        RepackEntry::symlink("a", "b"),
        RepackEntry::file("a/x", "1"),
    ];
    assert!(matches!(
        repack_entries(through, &opts),
        Err(RepackError::ParentNotDirectory { parent, .. }) if parent == "a"
    ));
    let link = vec![RepackEntry::symlink("c-1/l", "x")];
    assert!(matches!(
        repack_entries(link, &RepackOptions::cargo()),
        Err(RepackError::Unsupported { .. })
    ));
}

#[test]
fn hardlinks_become_copies() {
    let entries = vec![
        RepackEntry::hardlink("b", "a"),
        RepackEntry::file("a", "data"),
    ];
    let out = repack_entries(entries, &RepackOptions::new(Format::Tar)).unwrap();
    assert_eq!(out.report.hardlinks_copied, 1);
    let mut ar = tar::Archive::new(out.bytes.as_slice());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        assert_eq!(e.header().entry_type(), tar::EntryType::Regular);
        let mut s = String::new();
        e.read_to_string(&mut s).unwrap();
        assert_eq!(s, "data");
    }
}

#[test]
fn cargo_profile_sorts_by_component_and_marks_generated_files() {
    let entries = vec![
        RepackEntry::file("c-1.0.0/a/b", "1").with_mtime(5),
        RepackEntry::file("c-1.0.0/a-b", "2").with_mtime(1_700_000_000),
        RepackEntry::file("c-1.0.0/Cargo.toml", "[package]\n"),
        RepackEntry::file("c-1.0.0/Cargo.lock", "").with_mtime(1),
        RepackEntry::file("c-1.0.0/.cargo_vcs_info.json", "{}").with_mtime(99),
        RepackEntry::file("c-1.0.0/run.sh", "#!")
            .with_mode(0o755)
            .with_mtime(CARGO_LEGACY_MTIME),
        RepackEntry::directory("c-1.0.0/a"),
    ];
    let out = repack_entries(entries, &RepackOptions::cargo()).unwrap();
    assert_eq!(out.report.directories_dropped, 1);
    let header = GzipHeader::parse(&out.bytes).unwrap();
    assert_eq!(header.name.as_deref(), Some(&b"c-1.0.0.crate"[..]));
    assert_eq!((header.mtime, header.os, header.xfl), (0, 255, 2));
    let gz = flate2::read::GzDecoder::new(out.bytes.as_slice());
    let mut ar = tar::Archive::new(gz);
    let mut seen = Vec::new();
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert!(h.as_gnu().is_some());
        seen.push((
            e.path().unwrap().display().to_string(),
            h.mtime().unwrap(),
            h.mode().unwrap(),
        ));
    }
    assert_eq!(
        seen,
        [
            (
                "c-1.0.0/.cargo_vcs_info.json".to_owned(),
                CARGO_MTIME,
                0o644
            ),
            ("c-1.0.0/Cargo.lock".to_owned(), 1, 0o644),
            ("c-1.0.0/Cargo.toml".to_owned(), CARGO_MTIME, 0o644),
            ("c-1.0.0/a/b".to_owned(), CARGO_MTIME, 0o644),
            ("c-1.0.0/a-b".to_owned(), CARGO_MTIME, 0o644),
            ("c-1.0.0/run.sh".to_owned(), CARGO_LEGACY_MTIME, 0o755),
        ]
    );
}

#[test]
fn reports_serialise() {
    let out = repack_entries(sample(), &RepackOptions::new(Format::TarGz)).unwrap();
    let json = serde_json::to_string(&out.report).unwrap();
    assert!(json.contains("\"format\":\"tar.gz\""));
    assert!(json.contains("\"backend\":\"flate2/zlib-rs\""));
    let back: RepackReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, out.report);
    assert!(out.report.to_string().contains("level 9"));
}
