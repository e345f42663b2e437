//! Hostile archives, built by the tests themselves: each is refused with the exact error kind,
//! naming the entry, and before the reader spends more than the cap it hit.

use std::io::{Cursor, Read};

use artidigest::{
    Algorithm, ArchiveError, ArchiveErrorKind, ArchiveSummary, Entry, EntryKind, Format, Limits,
    visit_tar, visit_tar_gz, visit_tar_gz_single_thread, visit_zip,
};

use crate::kit::{Tar, ZipEntry, assert_kind, deflated, eocd, gzip, list_sha256, zip, zip_with};

/// A visitor that reads every entry's content to the end.
type Drain<'a> = dyn FnMut(&Entry, &mut dyn Read) -> std::io::Result<()> + 'a;

/// Runs `read` with a visitor draining every entry; `read` must fail (else `refused` is the
/// panic message). Returns the error and the content bytes the visitor saw.
fn drained(
    refused: &str,
    read: impl FnOnce(&mut Drain<'_>) -> Result<ArchiveSummary, ArchiveError>,
) -> (ArchiveError, u64) {
    let mut seen = 0u64;
    let err = read(&mut |_, c| {
        seen += std::io::copy(c, &mut std::io::sink())?;
        Ok(())
    })
    .expect_err(refused);
    (err, seen)
}

/// Reads a tar stream, returning the error and the content bytes the visitor saw.
fn tar_err(bytes: &[u8], limits: &Limits) -> (ArchiveError, u64) {
    drained("archive must be refused", |v| visit_tar(bytes, limits, v))
}

/// Reads a tar.gz both pipelined and on one thread; both must fail the same way.
fn targz_err(bytes: &[u8], limits: &Limits) -> (ArchiveError, u64) {
    let (err, seen) = drained("archive must be refused", |v| {
        visit_tar_gz(bytes, limits, v)
    });
    let (single, _) = drained("archive must be refused on one thread too", |v| {
        visit_tar_gz_single_thread(bytes, limits, v)
    });
    assert_eq!(
        std::mem::discriminant(err.kind()),
        std::mem::discriminant(single.kind()),
        "pipelined: {err}; single thread: {single}"
    );
    (err, seen)
}

fn zip_err(bytes: &[u8], limits: &Limits) -> (ArchiveError, usize) {
    let mut calls = 0;
    let err = visit_zip(Cursor::new(bytes), limits, |_, c| {
        calls += 1;
        std::io::copy(c, &mut std::io::sink())?;
        Ok(())
    })
    .expect_err("archive must be refused");
    (err, calls)
}

fn plain_tar() -> Vec<u8> {
    Tar::new()
        .dir("pkg/")
        .file("pkg/a.txt", b"hello\n")
        .file("pkg/b.txt", &vec![b'x'; 3000])
        .finish()
}

#[test]
fn well_formed_archives_pass() {
    let tar = plain_tar();
    let mut n = 0;
    let summary = visit_tar(&tar[..], &Limits::default(), |_, _| {
        n += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!((summary.entries, n, summary.content_size), (3, 3, 3006));
    let listing = list_sha256(&gzip(&tar), Format::TarGz);
    assert_eq!(listing.entries.len(), 3);
    assert_eq!(listing.entries[0].entry.kind, EntryKind::Dir);
    assert_eq!(listing.entries[1].entry.path, "pkg/a.txt");
    assert_eq!(listing.entries[1].entry.uname, "user");
    assert_eq!(
        listing.entries[1].digests.get(Algorithm::Sha256).unwrap(),
        artidigest::digest_bytes(b"hello\n", &[Algorithm::Sha256])
            .get(Algorithm::Sha256)
            .unwrap()
    );
    let z = zip(&[
        ZipEntry::stored("pkg/a.txt", b"hello\n"),
        deflated("pkg/b.txt", &vec![b'x'; 3000]),
    ]);
    let listing = list_sha256(&z, Format::Zip);
    assert_eq!(listing.entries.len(), 2);
    assert_eq!(listing.entries[1].digests.size(), 3000);
    assert_eq!(listing.entries[1].entry.zip().unwrap().method, 8);
}

#[test]
fn zip_bomb_by_ratio_is_refused_before_inflating() {
    // 8 MiB of zeros deflate to a few KiB: a ratio far above a 200:1 cap. (Issue 11 raised
    // the default ratio cap to 1000:1, which real wheels need; the size caps do the bomb work
    // under defaults, see `bombs.rs`. The ratio cap itself still works as configured.)
    let bomb = zip(&[deflated("bomb.bin", &vec![0u8; 8 << 20])]);
    assert!(bomb.len() < 64 << 10);
    let mut limits = Limits::default();
    limits.max_compression_ratio = 200;
    let (err, calls) = zip_err(&bomb, &limits);
    assert_kind!(err, ArchiveErrorKind::CompressionRatio { limit: 200, actual, uncompressed, .. }
        if *actual > 200 && *uncompressed == 8 << 20);
    assert_eq!((err.index(), err.name()), (Some(0), Some("bomb.bin")));
    // Refused from the declared sizes: no content was ever inflated.
    assert_eq!(calls, 0);
}

#[test]
fn zip_entry_lying_about_its_size_is_cut_at_the_declared_size() {
    let mut e = deflated("liar.bin", &vec![7u8; 100_000]);
    e.uncompressed_len = 1000;
    let bytes = zip(&[e]);
    let mut limits = Limits::default();
    limits.max_compression_ratio = 1_000_000;
    let mut seen = 0u64;
    let err = visit_zip(Cursor::new(&bytes), &limits, |_, c| {
        seen += std::io::copy(c, &mut std::io::sink())?;
        Ok(())
    })
    .unwrap_err();
    assert_kind!(
        err,
        ArchiveErrorKind::SizeMismatch {
            declared: 1000,
            actual: 1001
        }
    );
    assert!(seen <= 1000);
}

#[test]
fn gzip_bomb_stops_at_the_ratio_cap() {
    let tar = Tar::new().file("zeros.bin", &vec![0u8; 16 << 20]).finish();
    let gz = gzip(&tar);
    // A 200:1 cap, as the default was before issue 11 (see above).
    let mut limits = Limits::default();
    limits.max_compression_ratio = 200;
    let (err, seen) = targz_err(&gz, &limits);
    assert_kind!(err, ArchiveErrorKind::CompressionRatio { limit: 200, compressed, uncompressed, .. }
        if uncompressed / compressed > 200);
    // Stopped soon after the grace bytes, far before the 16 MiB.
    assert!(seen < 4 << 20, "visitor saw {seen} bytes");
}

#[test]
fn nested_archives_are_not_followed() {
    let inner = gzip(&Tar::new().file("../../evil", b"pwned").finish());
    let inner_zip = zip(&[ZipEntry::stored("../evil", b"x")]);
    let outer = Tar::new()
        .file("pkg/inner.tar.gz", &inner)
        .file("pkg/inner.zip", &inner_zip)
        .finish();
    let listing = list_sha256(&gzip(&outer), Format::TarGz);
    let paths: Vec<&str> = listing
        .entries
        .iter()
        .map(|e| e.entry.path.as_str())
        .collect();
    assert_eq!(paths, ["pkg/inner.tar.gz", "pkg/inner.zip"]);
    assert_eq!(listing.entries[0].entry.kind, EntryKind::File);
    assert_eq!(
        listing.entries[0].digests,
        artidigest::digest_bytes(&inner, &[Algorithm::Sha256])
    );
    // The same inside a zip.
    let outer_zip = zip(&[ZipEntry::stored("inner.tar.gz", &inner)]);
    let listing = list_sha256(&outer_zip, Format::Zip);
    assert_eq!(listing.entries.len(), 1);
}

#[test]
fn overlapping_zip_entries_are_refused() {
    // Entry "b" lives inside the stored data of entry "a".
    let b = ZipEntry::stored("b", b"inner payload");
    let mut a_data = b"0123456789".to_vec();
    a_data.extend_from_slice(&b.local_header());
    a_data.extend_from_slice(&b.compressed);
    let a = ZipEntry::stored("a", &a_data);
    let b_offset = (30 + 1 + 10) as u32;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&a.local_header());
    bytes.extend_from_slice(&a.compressed);
    let cd_offset = bytes.len() as u32;
    bytes.extend_from_slice(&a.central(0));
    bytes.extend_from_slice(&b.central(b_offset));
    let cd_size = bytes.len() as u32 - cd_offset;
    bytes.extend_from_slice(&eocd(2, cd_size, cd_offset));
    let (err, calls) = zip_err(&bytes, &Limits::default());
    match err.kind() {
        ArchiveErrorKind::ZipOverlap {
            other_index,
            other_name,
            start,
            ..
        } => {
            assert_eq!((*other_index, other_name.as_str()), (0, "a"));
            assert_eq!(*start, b_offset as u64);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!((err.index(), err.name()), (Some(1), Some("b")));
    assert_eq!(calls, 0);

    // Two central records for one local header.
    let one = ZipEntry::stored("x", b"data");
    let bytes = zip_with(
        &[one.clone(), ZipEntry::stored("x", b"data")],
        &|i, e, off| e.central(if i == 1 { 0 } else { off }),
    );
    let (err, _) = zip_err(&bytes, &Limits::default());
    assert_kind!(
        err,
        ArchiveErrorKind::ZipOverlap { .. } | ArchiveErrorKind::ZipGap { .. }
    );
}

#[test]
fn zip_local_header_disagreeing_with_central_directory_is_refused() {
    let good = ZipEntry::stored("a.txt", b"hello");
    let mut lying = good.clone();
    lying.crc ^= 1;
    let bytes = zip_with(std::slice::from_ref(&good), &|_, _, off| lying.central(off));
    let (err, _) = zip_err(&bytes, &Limits::default());
    assert_kind!(
        err,
        ArchiveErrorKind::ZipLocalMismatch { field: "crc32", .. }
    );
    let mut renamed = good.clone();
    renamed.name = "b.txt".into();
    let bytes = zip_with(std::slice::from_ref(&good), &|_, _, off| {
        renamed.central(off)
    });
    let (err, _) = zip_err(&bytes, &Limits::default());
    assert_kind!(
        err,
        ArchiveErrorKind::ZipLocalMismatch { field: "name", .. }
    );
    assert_eq!(err.name(), Some("b.txt"));
    // A stored CRC that does not match the data (local and central agree) is corrupt data.
    let mut bad_crc = good;
    bad_crc.crc ^= 0xffff;
    let (err, _) = zip_err(&zip(&[bad_crc]), &Limits::default());
    assert_kind!(err, ArchiveErrorKind::Corrupt(_));
}

#[test]
fn one_hundred_thousand_entries_hit_the_entry_cap() {
    let mut tar = Tar::new();
    for i in 0..100_000 {
        tar.file(&format!("f/{i}"), b"");
    }
    let bytes = tar.finish();
    let mut calls = 0usize;
    let err = visit_tar(&bytes[..], &Limits::default(), |_, _| {
        calls += 1;
        Ok(())
    })
    .unwrap_err();
    assert_kind!(
        err,
        ArchiveErrorKind::TooManyEntries {
            limit: 50_000,
            actual: 50_001
        }
    );
    assert_eq!(calls, 50_000, "the reader stopped at the cap");
    assert_eq!(err.index(), Some(50_000));

    // A zip whose end record claims 65,535 entries is refused before the directory is read.
    let mut z = eocd(0, 0, 0);
    z[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
    z[10..12].copy_from_slice(&u16::MAX.to_le_bytes());
    let mut limits = Limits::default();
    limits.max_entries = 60_000;
    let (err, calls) = zip_err(&z, &limits);
    assert_kind!(
        err,
        ArchiveErrorKind::TooManyEntries {
            limit: 60_000,
            actual: 65_535
        }
    );
    assert_eq!(calls, 0);
}

#[test]
fn traversal_and_absolute_paths_are_refused() {
    for (name, want_traversal) in [
        ("../evil", true),
        ("pkg/../../evil", true),
        ("/etc/passwd", false),
    ] {
        let bytes = Tar::new().file("pkg/ok", b"1").file(name, b"x").finish();
        let (err, _) = tar_err(&bytes, &Limits::default());
        if want_traversal {
            assert_kind!(err, ArchiveErrorKind::PathTraversal { .. });
        } else {
            assert_kind!(err, ArchiveErrorKind::AbsolutePath { .. });
        }
        assert_eq!((err.index(), err.name()), (Some(1), Some(name)));
        let (err, _) = zip_err(&zip(&[ZipEntry::stored(name, b"x")]), &Limits::default());
        assert_eq!(err.index(), Some(0));
        assert_kind!(
            err,
            ArchiveErrorKind::PathTraversal { .. } | ArchiveErrorKind::AbsolutePath { .. }
        );
    }
    // A PAX path record is checked like a header path.
    let bytes = Tar::new()
        .pax(&[("path", "../pax-evil")])
        .file("innocent", b"x")
        .finish();
    let (err, _) = tar_err(&bytes, &Limits::default());
    assert!(
        matches!(err.kind(), ArchiveErrorKind::PathTraversal { path } if path == "../pax-evil")
    );
}

#[test]
fn symlink_to_etc_passwd_is_refused() {
    let bytes = Tar::new().symlink("pkg/passwd", "/etc/passwd").finish();
    let (err, _) = tar_err(&bytes, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::LinkEscapes { target } if target == "/etc/passwd");
    assert_eq!(err.name(), Some("pkg/passwd"));
    let bytes = Tar::new().symlink("pkg/up", "../../etc/passwd").finish();
    let (err, _) = tar_err(&bytes, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::LinkEscapes { .. });
    // Inside the root is fine.
    let ok = Tar::new()
        .file("pkg/real", b"x")
        .symlink("pkg/sub/link", "../real")
        .finish();
    visit_tar(&ok[..], &Limits::default(), |_, _| Ok(())).unwrap();
    // A zip symlink stores its target as content.
    let mut link = ZipEntry::stored("pkg/passwd", b"/etc/passwd");
    link.unix_mode = 0o120_777;
    let (err, _) = zip_err(&zip(&[link]), &Limits::default());
    assert_kind!(err, ArchiveErrorKind::LinkEscapes { .. });
    // In a zip, wherever the symlink sits in the directory.
    let mut link = ZipEntry::stored("pkg/etc", b"sub");
    link.unix_mode = 0o120_777;
    let (err, calls) = zip_err(
        &zip(&[ZipEntry::stored("pkg/etc/passwd", b"x"), link]),
        &Limits::default(),
    );
    assert_kind!(err, ArchiveErrorKind::PathThroughSymlink { symlink } if symlink == "pkg/etc");
    assert_eq!((err.index(), calls), (Some(0), 0));
    // An entry written through a symlink of the same archive.
    let bytes = Tar::new()
        .symlink("pkg/etc", "sub")
        .file("pkg/etc/passwd", b"x")
        .finish();
    let (err, _) = tar_err(&bytes, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::PathThroughSymlink { symlink } if symlink == "pkg/etc");
}

#[test]
fn hardlink_escape_is_refused() {
    let hardlink_to = |target: &str| {
        let bytes = Tar::new().hardlink("pkg/h", target).finish();
        tar_err(&bytes, &Limits::default()).0
    };
    assert_kind!(
        hardlink_to("../outside"),
        ArchiveErrorKind::LinkEscapes { .. }
    );
    assert_kind!(
        hardlink_to("/etc/shadow"),
        ArchiveErrorKind::LinkEscapes { .. }
    );
    assert_kind!(
        hardlink_to("pkg/missing"),
        ArchiveErrorKind::DanglingHardlink { .. }
    );
    let ok = Tar::new()
        .file("pkg/a", b"x")
        .hardlink("pkg/h", "pkg/a")
        .finish();
    visit_tar(&ok[..], &Limits::default(), |_, _| Ok(())).unwrap();
}

#[test]
fn truncated_gzip_is_refused() {
    let gz = gzip(&plain_tar());
    // Inside the header, inside the deflate stream, inside the trailer.
    for cut in [5, gz.len() / 2, gz.len() - 3] {
        let (err, _) = targz_err(&gz[..cut], &Limits::default());
        assert!(
            matches!(err.kind(), ArchiveErrorKind::TruncatedGzip { .. }),
            "cut at {cut}: {err}"
        );
    }
    let mut flipped = gz.clone();
    let n = flipped.len();
    flipped[n - 6] ^= 0x40; // the CRC-32 in the trailer
    let (err, _) = targz_err(&flipped, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::GzipChecksum { field: "crc32", .. });
    // A tar stream cut inside an entry.
    let tar = plain_tar();
    let (err, _) = tar_err(&tar[..1100], &Limits::default());
    assert_kind!(err, ArchiveErrorKind::TruncatedTar);
    // ... or right after an entry, without the end-of-archive blocks.
    let (err, _) = tar_err(&tar[..tar.len() - 1024], &Limits::default());
    assert_kind!(err, ArchiveErrorKind::TruncatedTar);
}

#[test]
fn trailing_garbage_is_refused_unless_allowed() {
    let tar = plain_tar();
    let gz = [gzip(&tar).as_slice(), b"garbage"].concat();
    let (err, _) = targz_err(&gz, &Limits::default());
    assert_kind!(
        err,
        ArchiveErrorKind::TrailingData {
            after: "gzip member",
            len: 7
        }
    );
    // A second gzip member is trailing data too.
    let two = [gzip(&tar), gzip(b"more")].concat();
    let (err, _) = targz_err(&two, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::TrailingData { .. });

    let t = [tar.as_slice(), b"after the end"].concat();
    let (err, _) = tar_err(&t, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::TrailingData { .. });
    // Zero padding after the end blocks (tar's 10 KiB records) is not garbage.
    let padded = [tar.as_slice(), &[0u8; 8192]].concat();
    visit_tar(&padded[..], &Limits::default(), |_, _| Ok(())).unwrap();

    let z = [zip(&[ZipEntry::stored("a", b"x")]).as_slice(), b"junk"].concat();
    let (err, _) = zip_err(&z, &Limits::default());
    assert_kind!(
        err,
        ArchiveErrorKind::TrailingData {
            after: "zip end record",
            len: 4
        }
    );
    let mut lenient = Limits::default();
    lenient.allow_trailing_data = true;
    visit_tar_gz(&gz[..], &lenient, |_, _| Ok(())).unwrap();
    visit_tar(&t[..], &lenient, |_, _| Ok(())).unwrap();
    // Bytes in front of the first zip entry belong to nothing.
    let prefixed = [b"MZ-stub".as_slice(), &zip(&[ZipEntry::stored("a", b"x")])].concat();
    let (err, _) = zip_err(&prefixed, &Limits::default());
    assert_kind!(
        err,
        ArchiveErrorKind::Malformed { .. } | ArchiveErrorKind::ZipGap { .. }
    );
}

#[test]
fn lying_pax_size_is_refused() {
    let bytes = Tar::new()
        .pax(&[("size", "1000")])
        .file("pkg/a", b"hello")
        .finish();
    let (err, seen) = tar_err(&bytes, &Limits::default());
    match err.kind() {
        ArchiveErrorKind::PaxSizeMismatch { header, pax } => {
            assert_eq!((*header, pax.as_str()), (5, "1000"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!((err.index(), err.name()), (Some(0), Some("pkg/a")));
    assert_eq!(seen, 0);
    // An agreeing PAX size is fine, and the records are reported.
    let ok = Tar::new()
        .pax(&[("size", "5"), ("mtime", "1153704088.5")])
        .file("pkg/a", b"hello")
        .finish();
    let mut seen = Vec::new();
    visit_tar(&ok[..], &Limits::default(), |e, _| {
        seen.push((
            e.mtime,
            e.tar().unwrap().header_format,
            e.tar().unwrap().pax.len(),
        ));
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, [(1_153_704_088, artidigest::TarHeaderFormat::Pax, 2)]);
}

#[test]
fn oversized_pax_header_and_long_paths_hit_their_caps() {
    let huge = "v".repeat(100_000);
    let bytes = Tar::new()
        .pax(&[("comment", &huge)])
        .file("a", b"")
        .finish();
    let (err, _) = tar_err(&bytes, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::PaxTooLarge { limit: 65_536, actual } if *actual > 100_000);
    let long = "d/".repeat(600) + "f";
    let bytes = Tar::new().pax(&[("path", &long)]).file("a", b"").finish();
    let (err, _) = tar_err(&bytes, &Limits::default());
    assert_kind!(
        err,
        ArchiveErrorKind::PathTooLong {
            limit: 1024,
            actual: 1201
        }
    );
}

#[test]
fn size_caps_are_checked_before_reading_content() {
    // A header announcing 3 GiB: refused from the header alone.
    let mut t = Tar::new();
    t.entry_sized("big", b'0', 3 << 30, b"", "");
    let bytes = t.finish();
    let (err, seen) = tar_err(&bytes, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::EntryTooLarge { limit, actual } if *limit == 2 << 30 && *actual == 3 << 30);
    assert_eq!(seen, 0);
    let mut limits = Limits::default();
    limits.max_total_size = 4096;
    let bytes = Tar::new()
        .file("a", &[1u8; 3000])
        .file("b", &[2u8; 3000])
        .finish();
    let (err, _) = tar_err(&bytes, &limits);
    assert_kind!(err, ArchiveErrorKind::TotalTooLarge { limit: 4096, .. });
}

#[test]
fn duplicate_names_are_refused() {
    let bytes = Tar::new()
        .file("pkg/a", b"1")
        // `./pkg//a` was the duplicate here until empty components were refused (one path
        // rule for readers and repack); `./pkg/a` still normalises to `pkg/a`.
        .file("./pkg/a", b"2")
        .finish();
    let (err, _) = tar_err(&bytes, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::DuplicateName { first_index: 0 });
    assert_eq!((err.index(), err.name()), (Some(1), Some("./pkg/a")));
    assert_eq!(
        err.to_string(),
        "entry 1 (\"./pkg/a\"): duplicate of entry 0"
    );
    let z = zip(&[ZipEntry::stored("a", b"1"), ZipEntry::stored("a", b"2")]);
    let (err, calls) = zip_err(&z, &Limits::default());
    assert_kind!(err, ArchiveErrorKind::DuplicateName { first_index: 0 });
    assert_eq!(calls, 0);
    let mut lenient = Limits::default();
    lenient.allow_duplicate_names = true;
    visit_tar(&bytes[..], &lenient, |_, _| Ok(())).unwrap();
}

#[test]
fn visitor_errors_and_partial_reads_are_reported() {
    let tar = plain_tar();
    let err = visit_tar(&tar[..], &Limits::default(), |e, _| {
        if e.path == "pkg/a.txt" {
            Err(std::io::Error::other("stop"))
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert_kind!(err, ArchiveErrorKind::Visitor(_));
    assert_eq!(err.index(), Some(1));
    // A visitor that reads only part of the content: the rest is skipped and checked.
    let mut firsts = Vec::new();
    visit_tar_gz(&gzip(&tar)[..], &Limits::default(), |_, c| {
        let mut b = [0u8; 1];
        let n = c.read(&mut b)?;
        firsts.push(b[..n].to_vec());
        Ok(())
    })
    .unwrap();
    assert_eq!(firsts, [vec![], b"h".to_vec(), b"x".to_vec()]);
}
