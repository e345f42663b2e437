//! "Why do these two artifacts differ": pairs of archives built here, and the exact differences
//! and causes reported for each; plus real sdists and wheels against their repacks.

use std::io::Write;

use artidigest::{
    Algorithm, Cause, Container, DiffCode, DiffError, DiffOptions, DiffReport, Format, Layer,
    RepackEntry, RepackOptions, diff_artifacts, diff_files, digest_bytes, repack_bytes,
    repack_entries,
};

use crate::real_archives::shared_vectors;

/// One tar entry's metadata for the test builder.
#[derive(Clone)]
struct E {
    path: &'static str,
    data: Vec<u8>,
    mtime: u64,
    mode: u32,
    uid: u64,
    uname: &'static str,
}

fn e(path: &'static str, data: &str) -> E {
    E {
        path,
        data: data.as_bytes().to_vec(),
        mtime: 1_000_000,
        mode: 0o644,
        uid: 0,
        uname: "",
    }
}

fn tar_of(entries: &[E], gnu: bool) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for x in entries {
        let mut h = if gnu {
            tar::Header::new_gnu()
        } else {
            tar::Header::new_ustar()
        };
        h.set_size(x.data.len() as u64);
        h.set_mtime(x.mtime);
        h.set_mode(x.mode);
        h.set_uid(x.uid);
        h.set_gid(x.uid);
        h.set_username(x.uname).unwrap();
        h.set_groupname(x.uname).unwrap();
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, x.path, x.data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8], builder: flate2::GzBuilder, level: u32) -> Vec<u8> {
    let mut enc = builder.write(Vec::new(), flate2::Compression::new(level));
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn plain_gz(data: &[u8]) -> Vec<u8> {
    gz(data, flate2::GzBuilder::new(), 6)
}

fn diff(a: &[u8], b: &[u8]) -> DiffReport {
    diff_artifacts(("a", a), ("b", b), &DiffOptions::default()).unwrap()
}

fn base() -> Vec<E> {
    vec![e("pkg/a.txt", "alpha\n"), e("pkg/b.txt", "beta\n")]
}

#[test]
fn identical_artifacts() {
    let t = plain_gz(&tar_of(&base(), true));
    let r = diff(&t, &t);
    assert!(r.identical);
    assert!(r.differences.is_empty());
    assert_eq!(r.left.sha256, r.right.sha256);
    assert_eq!(r.left.entries, 2);
    assert!(r.to_string().starts_with("identical: a (tar.gz"));
}

#[test]
fn gzip_header_fields_only() {
    let tar = tar_of(&base(), true);
    let a = gz(
        &tar,
        flate2::GzBuilder::new().mtime(0).operating_system(255),
        6,
    );
    let b = gz(
        &tar,
        flate2::GzBuilder::new()
            .mtime(1_700_000_000)
            .operating_system(3)
            .filename("pkg.tar"),
        6,
    );
    let r = diff(&a, &b);
    assert_eq!(
        r.codes(),
        [DiffCode::GzipMtime, DiffCode::GzipOs, DiffCode::GzipName]
    );
    let m = r.with_code(DiffCode::GzipMtime).next().unwrap();
    assert_eq!(
        (m.left.as_deref(), m.right.as_deref()),
        (Some("0"), Some("1700000000"))
    );
    assert!(m.fix.contains("gzip -n"));
    let os = r.with_code(DiffCode::GzipOs).next().unwrap();
    assert_eq!(os.right.as_deref(), Some("3 (unix)"));
    assert!(r.differences.iter().all(|d| d.layer == Layer::Container));
}

#[test]
fn same_tar_different_deflate_stream() {
    let tar = tar_of(&base(), true);
    let a = gz(&tar, flate2::GzBuilder::new(), 1);
    let b = gz(&tar, flate2::GzBuilder::new(), 9);
    let r = diff(&a, &b);
    assert_eq!(r.codes(), [DiffCode::GzipXfl, DiffCode::DeflateStream]);
    let d = r.with_code(DiffCode::DeflateStream).next().unwrap();
    assert_eq!(d.summary, "same tar, different deflate stream");
    assert_eq!(d.why, Cause::DeflateImplementation);
    // Same tar: the level hint explains the other stream.
    let x = r.with_code(DiffCode::GzipXfl).next().unwrap();
    assert_eq!(x.why, Cause::CompressionLevel);
    assert_eq!(
        (x.left.as_deref(), x.right.as_deref()),
        (Some("4"), Some("2"))
    );
    assert_eq!(x.fix, Cause::CompressionLevel.fix(Container::Gzip));
}

#[test]
fn entry_order() {
    let mut rev = base();
    rev.reverse();
    let r = diff(&tar_of(&base(), true), &tar_of(&rev, true));
    assert_eq!(r.codes(), [DiffCode::EntryOrder]);
    let d = &r.differences[0];
    assert_eq!(d.layer, Layer::Structure);
    assert_eq!(d.why, Cause::FileSystemOrder);
    assert_eq!(d.fix, "sort entries (tar --sort=name), or repack");
    assert_eq!(
        (d.left.as_deref(), d.right.as_deref()),
        (Some("sorted"), Some("unsorted"))
    );
    assert_eq!(d.count, 2);
}

#[test]
fn every_mtime_differs() {
    let later: Vec<E> = base()
        .into_iter()
        .enumerate()
        .map(|(i, mut x)| {
            x.mtime = 1_700_000_000 + i as u64;
            x
        })
        .collect();
    let r = diff(&tar_of(&base(), true), &tar_of(&later, true));
    assert_eq!(r.codes(), [DiffCode::Mtime]);
    let d = &r.differences[0];
    assert_eq!(d.summary, "every mtime differs");
    // One fixed time on the left, file times on the right.
    assert_eq!(d.why, Cause::FixedVersusFileTimes);
    assert_eq!(d.left.as_deref(), Some("1000000 on every entry"));
    assert!(d.fix.starts_with("set SOURCE_DATE_EPOCH for both builds"));
    assert!(d.fix.contains("tar --mtime"), "{}", d.fix);
    assert_eq!(d.entries, ["pkg/a.txt", "pkg/b.txt"]);
    // Only one of two: a different explanation.
    let mut one = base();
    one[1].mtime = 5;
    let r = diff(&tar_of(&base(), true), &tar_of(&one, true));
    assert_eq!(r.differences[0].summary, "1 of 2 mtimes differ");
    assert_eq!(r.differences[0].why, Cause::FilesModified);
}

#[test]
fn owners_and_modes() {
    let owned: Vec<E> = base()
        .into_iter()
        .map(|mut x| {
            x.uid = 1000;
            x.uname = "alice";
            x.mode = 0o664;
            x
        })
        .collect();
    let r = diff(&tar_of(&base(), true), &tar_of(&owned, true));
    assert_eq!(
        r.codes(),
        [DiffCode::Mode, DiffCode::OwnerIds, DiffCode::OwnerNames]
    );
    let names = r.with_code(DiffCode::OwnerNames).next().unwrap();
    assert_eq!(names.why, Cause::OwnerNames);
    assert_eq!(
        names.fix,
        "use tar --owner=0 --group=0 --numeric-owner, or repack"
    );
    assert_eq!(
        r.with_code(DiffCode::OwnerIds).next().unwrap().why,
        Cause::BuildUsers
    );
    assert_eq!(names.entries[0], "pkg/a.txt (: vs alice:alice)");
    let mode = r.with_code(DiffCode::Mode).next().unwrap();
    assert_eq!(mode.entries[0], "pkg/a.txt (644 vs 664)");
}

#[test]
fn content_added_removed_changed_with_digests_and_diff() {
    let mut right = base();
    right[0].data = b"alpha\nmore\n".to_vec();
    right.push(e("pkg/build/lib/pkg/a.py", "x = 1\n"));
    let left = {
        let mut l = base();
        l.push(e("pkg/gone.txt", "bye\n"));
        l
    };
    let r = diff(&tar_of(&left, true), &tar_of(&right, true));
    assert_eq!(
        r.codes(),
        [DiffCode::Removed, DiffCode::Added, DiffCode::ContentChanged]
    );
    let added = r.with_code(DiffCode::Added).next().unwrap();
    assert_eq!(added.why, Cause::BuildOutput);
    assert_eq!(added.cause, Cause::BuildOutput.sentence());
    assert_eq!(added.entries, ["pkg/build/lib/pkg/a.py"]);
    let removed = r.with_code(DiffCode::Removed).next().unwrap();
    assert_eq!(removed.entries, ["pkg/gone.txt"]);
    let changed = r.with_code(DiffCode::ContentChanged).next().unwrap();
    let sha = |d: &[u8]| {
        digest_bytes(d, &[Algorithm::Sha256])
            .get(Algorithm::Sha256)
            .unwrap()
            .to_string()
    };
    assert_eq!(changed.left.as_deref(), Some(sha(b"alpha\n").as_str()));
    assert_eq!(
        changed.right.as_deref(),
        Some(sha(b"alpha\nmore\n").as_str())
    );
    let ud = changed.unified_diff.as_deref().unwrap();
    assert!(
        ud.contains("--- a/pkg/a.txt") && ud.contains("+more"),
        "{ud}"
    );
    let human = r.to_string();
    assert!(human.contains("[content] content-changed"), "{human}");
    assert!(human.contains("    | +more"), "{human}");
}

#[test]
fn line_endings_are_recognised() {
    let mut crlf = base();
    crlf[0].data = b"alpha\r\n".to_vec();
    let r = diff(&tar_of(&base(), true), &tar_of(&crlf, true));
    assert_eq!(r.codes(), [DiffCode::ContentChanged]);
    assert_eq!(r.differences[0].cause, "line endings differ (CRLF vs LF)");
    assert_eq!(r.differences[0].why, Cause::LineEndings);
    assert_eq!(r.differences[0].unified_diff, None);
}

#[test]
fn tar_structure_formats_pax_and_padding() {
    let gnu = tar_of(&base(), true);
    let ustar = tar_of(&base(), false);
    let r = diff(&gnu, &ustar);
    assert_eq!(r.codes(), [DiffCode::TarHeaderFormat]);
    assert_eq!(
        (
            r.differences[0].left.as_deref(),
            r.differences[0].right.as_deref()
        ),
        (Some("gnu×2"), Some("ustar×2"))
    );

    // GNU tar's 10240-byte record padding.
    let mut padded = gnu.clone();
    padded.resize(10240, 0);
    let r = diff(&gnu, &padded);
    assert_eq!(r.codes(), [DiffCode::EndPadding]);
    assert_eq!(r.differences[0].left.as_deref(), Some("1024 bytes"));
    assert_eq!(
        r.differences[0].right.as_deref(),
        Some(format!("{} bytes", 10240 - (gnu.len() - 1024)).as_str())
    );

    // PAX atime/ctime records, as GNU tar --format=posix writes them.
    let mut b = tar::Builder::new(Vec::new());
    for x in base() {
        let mut pax = tar::Header::new_ustar();
        let rec = "30 atime=1700000000.123456789\n";
        pax.set_size(rec.len() as u64);
        pax.set_entry_type(tar::EntryType::XHeader);
        pax.set_path("PaxHeaders/x").unwrap();
        pax.set_mode(0o644);
        pax.set_cksum();
        b.append(&pax, rec.as_bytes()).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(x.data.len() as u64);
        h.set_mtime(x.mtime);
        h.set_mode(x.mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, x.path, x.data.as_slice()).unwrap();
    }
    let with_pax = b.into_inner().unwrap();
    let r = diff(&ustar, &with_pax);
    assert!(r.codes().contains(&DiffCode::PaxRecords), "{:?}", r.codes());
    let d = r.with_code(DiffCode::PaxRecords).next().unwrap();
    assert!(d.cause.starts_with("PAX time records"), "{}", d.cause);
    assert_eq!(d.why, Cause::PaxTimes);
    assert!(d.fix.contains("delete=atime"));
    assert_eq!(d.right.as_deref(), Some("atime×2; global 0"));
}

#[test]
fn zip_methods_and_format_changes() {
    let files = || {
        vec![
            RepackEntry::file("pkg/a.txt", "alpha alpha alpha alpha\n"),
            RepackEntry::file("pkg/b.txt", "beta\n"),
        ]
    };
    let deflated = repack_entries(files(), &RepackOptions::new(Format::Zip)).unwrap();
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in [
        ("pkg/a.txt", "alpha alpha alpha alpha\n"),
        ("pkg/b.txt", "beta\n"),
    ] {
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .unix_permissions(0o644);
        z.start_file(name, o).unwrap();
        z.write_all(data.as_bytes()).unwrap();
    }
    let stored = z.finish().unwrap().into_inner();
    let r = diff(&deflated.bytes, &stored);
    assert_eq!(r.codes(), [DiffCode::ZipMethod]);
    assert_eq!(r.differences[0].count, 2);
    assert_eq!(r.differences[0].why, Cause::ZipMethods);

    // The same files as tar.gz and as zip: only the format differs.
    let targz = repack_entries(files(), &RepackOptions::new(Format::TarGz)).unwrap();
    let r = diff(&targz.bytes, &deflated.bytes);
    assert_eq!(r.codes(), [DiffCode::FormatDiffers]);
    assert_eq!(
        (
            r.differences[0].left.as_deref(),
            r.differences[0].right.as_deref()
        ),
        (Some("tar.gz"), Some("zip"))
    );
}

#[test]
fn report_serialises_and_errors_are_typed() {
    let a = plain_gz(&tar_of(&base(), true));
    let mut later = base();
    later[0].mtime = 7;
    let b = plain_gz(&tar_of(&later, true));
    let r = diff(&a, &b);
    let json = serde_json::to_string_pretty(&r).unwrap();
    assert!(json.contains("\"code\": \"mtime\""));
    assert!(json.contains("\"layer\": \"metadata\""));
    assert!(json.contains("\"why\": \"files-modified\""), "{json}");
    let back: DiffReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);

    assert!(matches!(
        diff_artifacts(("x", b"hello"), ("y", &a), &DiffOptions::default()),
        Err(DiffError::UnknownFormat { side: "left", .. })
    ));
    let truncated = &a[..a.len() - 5];
    assert!(matches!(
        diff_artifacts(("x", &a), ("y", truncated), &DiffOptions::default()),
        Err(DiffError::Gzip { side: "right", .. })
    ));
    let evil = crate::kit::Tar::new().file("../evil", b"x").finish();
    assert!(matches!(
        diff_artifacts(("x", &evil), ("y", &a), &DiffOptions::default()),
        Err(DiffError::Read { side: "left", .. })
    ));
}

#[test]
fn real_archives_against_their_repacks() {
    let Some(dir) = shared_vectors() else {
        return;
    };
    let mut seen = 0;
    for name in [
        "six-1.16.0.tar.gz",
        "rfc8785-0.1.4.tar.gz",
        "six-1.16.0-py2.py3-none-any.whl",
        "is-number-7.0.0.tgz",
    ] {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).unwrap();
        let format = Format::from_file_name(name).unwrap();
        let repacked = repack_bytes(&bytes, Some(format), &RepackOptions::new(format)).unwrap();
        let r = diff_files(&path, &path, &DiffOptions::default()).unwrap();
        assert!(r.identical);
        let r = diff_artifacts(
            (name, &bytes),
            ("repacked", &repacked.bytes),
            &DiffOptions::default(),
        )
        .unwrap();
        assert!(!r.identical, "{name}");
        // Repacking changes containers, structure and metadata, never the file set or contents.
        assert!(
            r.differences.iter().all(|d| d.layer != Layer::Content),
            "{name}: {:?}",
            r.codes()
        );
        seen += 1;
        eprintln!("{name} vs its repack: {:?}", r.codes());
    }
    assert_eq!(seen, 4);
}
