//! `inspect_nested`: archives inside archives are opened and checked under one budget shared by
//! every level; refusals name the chain of holding entries.

use std::io::Cursor;

use crate::kit::{Tar, ZipEntry, assert_kind, deflated, gzip, repeated_deflate, zip};
use artidigest::{ArchiveErrorKind, Format, Limits, inspect_nested, list_archive};

const MIB: u64 = 1 << 20;

/// A zip of one entry inflating to `mib` MiB of mostly zeros (a marker byte every 2 KiB keeps
/// the ratio under the hard cap of 1000:1 but far above the bomb ratio of 100:1): one
/// compressed 1 MiB block with a full flush, repeated.
fn dense_zip(mib: u32) -> Vec<u8> {
    let chunk: Vec<u8> = (0..MIB as usize)
        .map(|i| {
            if i % 2048 == 0 {
                (i / 2048 % 251) as u8
            } else {
                0
            }
        })
        .collect();
    let (compressed, crc) = repeated_deflate(&chunk, u64::from(mib));
    let size = u64::from(mib) * MIB;
    let ratio = size / compressed.len() as u64;
    assert!((101..1000).contains(&ratio), "ratio {ratio}");
    zip(&[ZipEntry::deflated(
        "data.bin",
        compressed,
        crc,
        u32::try_from(size).unwrap(),
    )])
}

/// `count` deflated copies of `data` named by `name(i)`, compressed once.
fn copies(data: &[u8], count: usize, name: impl Fn(usize) -> String) -> Vec<u8> {
    let one = deflated("x", data);
    let entries: Vec<ZipEntry> = (0..count).map(|i| one.renamed(&name(i))).collect();
    zip(&entries)
}

#[test]
fn a_nested_zip_bomb_hits_the_shared_budget_and_names_the_chain() {
    // 16 zips of 16 zips of 64 MiB each: 16 GiB in all, twice the default total cap, though
    // every archive on its own stays well inside every cap.
    let inner = dense_zip(64);
    let middle = copies(&inner, 16, |i| format!("inner/{i}.zip"));
    let outer = copies(&middle, 16, |i| format!("layer/{i}.jar"));
    let limits = Limits::default();
    for bytes in [&inner, &middle, &outer] {
        list_archive(Cursor::new(bytes), Format::Zip, &limits, &[]).unwrap();
    }
    let err = inspect_nested(Cursor::new(&outer), Format::Zip, &limits).unwrap_err();
    assert_kind!(err, ArchiveErrorKind::TotalTooLarge { limit, actual }
            if *limit == limits.max_total_size && *actual > *limit);
    let chain: Vec<&str> = err.chain().iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(chain.len(), 2, "{err}");
    assert!(
        chain[0].starts_with("layer/") && chain[1].starts_with("inner/"),
        "{err}"
    );
    assert_eq!(err.name(), Some("data.bin"), "{err}");
    // Half the default cap reached at least: the budget is shared, not per archive.
    let (i, _) = err.chain()[0];
    assert!(i >= 7, "refused in outer entry {i}: {err}");
    assert!(err.to_string().contains("\"layer/"), "{err}");
}

#[test]
fn nesting_deeper_than_the_cap_is_refused() {
    let mut bytes = zip(&[ZipEntry::stored("leaf.txt", b"leaf")]);
    for level in 0..4 {
        bytes = zip(&[ZipEntry::stored(&format!("l{level}.zip"), &bytes)]);
    }
    // Four archives inside the outer one.
    let err = inspect_nested(Cursor::new(&bytes), Format::Zip, &Limits::default()).unwrap_err();
    assert_kind!(err, ArchiveErrorKind::NestedTooDeep { limit: 3 });
    let chain: Vec<&str> = err.chain().iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(chain, ["l3.zip", "l2.zip", "l1.zip"]);
    assert_eq!(err.name(), Some("l0.zip"));
    let mut limits = Limits::default();
    limits.max_nesting_depth = 4;
    let report = inspect_nested(Cursor::new(&bytes), Format::Zip, &limits).unwrap();
    assert_eq!(report.archives.len(), 4);
    assert_eq!(report.entries, 5);
    assert_eq!(
        report.archives[0].chain,
        ["l3.zip", "l2.zip", "l1.zip", "l0.zip"]
    );
}

#[test]
fn hostile_entries_inside_nested_archives_are_refused_with_the_chain() {
    // A link chain escaping inside a tar.gz inside a zip.
    let inner = gzip(
        &Tar::new()
            .dir("pkg/")
            .symlink("pkg/up", ".")
            .symlink("pkg/x", "up/up/../../etc/passwd")
            .finish(),
    );
    let outer = zip(&[
        ZipEntry::stored("readme.txt", b"hi"),
        ZipEntry::stored("vendor/inner.tgz", &inner),
    ]);
    let err = inspect_nested(Cursor::new(&outer), Format::Zip, &Limits::default()).unwrap_err();
    assert_kind!(err, ArchiveErrorKind::LinkEscapes { .. });
    assert_eq!(err.chain(), [(1, "vendor/inner.tgz".to_owned())]);
    assert_eq!((err.index(), err.name()), (Some(2), Some("pkg/x")));
    // A traversal in a zip found by its bytes alone, inside a plain tar.
    let inner = zip(&[ZipEntry::stored("../evil", b"x")]);
    let outer = Tar::new().file("data.bin", &inner).finish();
    let err = inspect_nested(Cursor::new(&outer), Format::Tar, &Limits::default()).unwrap_err();
    assert_kind!(err, ArchiveErrorKind::PathTraversal { .. });
    assert_eq!(err.chain(), [(0, "data.bin".to_owned())]);
    // A gzip file not named as a tarball is data, not an archive.
    let outer = Tar::new().file("notes.gz", &gzip(b"plain text")).finish();
    let report = inspect_nested(Cursor::new(&outer), Format::Tar, &Limits::default()).unwrap();
    assert!(report.archives.is_empty());
}

#[test]
fn the_entry_budget_is_shared_by_every_level() {
    let inner = Tar::new()
        .file("a", b"1")
        .file("b", b"2")
        .file("c", b"3")
        .finish();
    let mut outer = Tar::new();
    for i in 0..10 {
        outer.file(&format!("n{i}.tar"), &inner);
    }
    let outer = outer.finish();
    let report = inspect_nested(Cursor::new(&outer), Format::Tar, &Limits::default()).unwrap();
    assert_eq!((report.entries, report.archives.len()), (40, 10));
    let mut limits = Limits::default();
    limits.max_entries = 30;
    let err = inspect_nested(Cursor::new(&outer), Format::Tar, &limits).unwrap_err();
    assert_kind!(
        err,
        ArchiveErrorKind::TooManyEntries {
            limit: 30,
            actual: 31
        }
    );
    assert!(!err.chain().is_empty(), "{err}");
    // A nested archive larger than the in-memory cap is refused, naming it.
    limits = Limits::default();
    limits.max_nested_size = 1000;
    let err = inspect_nested(Cursor::new(&outer), Format::Tar, &limits).unwrap_err();
    assert_kind!(err, ArchiveErrorKind::EntryTooLarge { limit: 1000, .. });
    assert_eq!(err.name(), Some("n0.tar"));
}
