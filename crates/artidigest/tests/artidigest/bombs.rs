//! Decompression bombs under *default* limits: refused by the size caps (per entry, in total,
//! for bomb-like data) rather than by the ratio cap alone, which real wheels exceed 200:1.
//! The bombs are built in memory: a zip stores the declared size, so a 1 GiB entry costs about
//! 1 MiB of deflate blocks, never 1 GiB on disk.

use std::io::Cursor;
use std::time::Instant;

use artidigest::{ArchiveErrorKind, Format, Limits, list_archive, visit_tar, visit_zip};
use flate2::Crc;

use crate::kit::{Tar, ZipEntry, assert_kind, eocd, pax_record, repeated_deflate, zip};

const MIB: u64 = 1 << 20;

/// A raw deflate stream inflating to `mib` MiB of zeros, and its CRC-32: one compressed
/// 1 MiB block (full flush: byte-aligned, no back-references across it) repeated, then an
/// empty final block.
fn zeros_deflate(mib: u64) -> (Vec<u8>, u32) {
    repeated_deflate(&vec![0u8; MIB as usize], mib)
}

#[test]
fn the_zero_stream_builder_is_honest() {
    // 3 MiB of zeros, inflated for real.
    let (bytes, crc) = zeros_deflate(3);
    let mut inflated = Vec::new();
    std::io::copy(
        &mut flate2::read::DeflateDecoder::new(&bytes[..]),
        &mut inflated,
    )
    .unwrap();
    assert_eq!(inflated.len() as u64, 3 * MIB);
    assert!(inflated.iter().all(|&b| b == 0));
    let mut check = Crc::new();
    check.update(&inflated);
    assert_eq!(check.sum(), crc);
}

#[test]
fn a_1_gib_zero_filled_zip_entry_is_refused_under_defaults() {
    let (compressed, crc) = zeros_deflate(1024);
    assert!(compressed.len() < 4 << 20, "{} bytes", compressed.len());
    let entry = ZipEntry::deflated("bomb.bin", compressed, crc, 1 << 30);
    let bytes = zip(&[ZipEntry::stored("pkg/ok.txt", b"fine\n"), entry]);
    let mut calls = 0;
    let err = visit_zip(Cursor::new(&bytes), &Limits::default(), |_, _| {
        calls += 1;
        Ok(())
    })
    .unwrap_err();
    match err.kind() {
        ArchiveErrorKind::BombSize {
            limit,
            uncompressed,
            ..
        } => {
            assert_eq!(*limit, Limits::default().max_bomb_size);
            assert_eq!(*uncompressed, 1 << 30);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!((err.index(), err.name()), (Some(1), Some("bomb.bin")));
    // Refused from the declared sizes, before any content was inflated.
    assert_eq!(calls, 0);
}

#[test]
fn a_gzip_stream_of_zeros_is_refused_under_defaults() {
    // A tar.gz whose one entry is 1 GiB of zeros: the gzip layer stops at 256 MiB of output.
    let (deflated, _) = zeros_deflate(1024);
    let mut header = crate::kit::tar_header("zeros.bin", b'0', 1 << 30, "").to_vec();
    // gzip member: header, the deflate stream of (tar header ++ zeros) is not what we have,
    // so wrap a stored block holding the tar header before the zero stream.
    let mut stream = vec![0x00];
    stream.extend_from_slice(&(header.len() as u16).to_le_bytes());
    stream.extend_from_slice(&(!(header.len() as u16)).to_le_bytes());
    stream.append(&mut header);
    stream.extend_from_slice(&deflated);
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    gz.extend_from_slice(&stream);
    // The trailer is never reached.
    gz.extend_from_slice(&[0u8; 8]);
    let start = Instant::now();
    let err = list_archive(Cursor::new(&gz), Format::TarGz, &Limits::default(), &[]).unwrap_err();
    // Pure zeros reach deflate's ceiling (about 1030:1), so the ratio cap may fire first;
    // either way far before 1 GiB is produced.
    assert_kind!(
        err,
        ArchiveErrorKind::BombSize { .. } | ArchiveErrorKind::CompressionRatio { .. }
    );
    eprintln!("gzip bomb refused in {:?}", start.elapsed());
}

/// A "quoted" overlapping zip bomb (Fifield's construction): entry i's compressed data is a
/// stored block quoting the local header of entry i+1, followed by entry i+1's data, so every
/// entry inflates the shared kernel again.
fn quoted_bomb(n: usize) -> Vec<u8> {
    let (kernel, kernel_crc) = zeros_deflate(1);
    let mut kernel_crc_obj = Crc::new();
    kernel_crc_obj.update(&vec![0u8; MIB as usize]);
    assert_eq!(kernel_crc_obj.sum(), kernel_crc);
    let name = |i: usize| format!("{i:04}.bin");
    // Built from the last entry back.
    let mut entries: Vec<ZipEntry> = Vec::with_capacity(n);
    let mut next = ZipEntry::deflated(&name(n - 1), kernel, kernel_crc, MIB as u32);
    let mut next_crc = kernel_crc_obj;
    for i in (0..n - 1).rev() {
        let quoted = next.local_header();
        let mut compressed = vec![0x00];
        compressed.extend_from_slice(&(quoted.len() as u16).to_le_bytes());
        compressed.extend_from_slice(&(!(quoted.len() as u16)).to_le_bytes());
        compressed.extend_from_slice(&quoted);
        compressed.extend_from_slice(&next.compressed);
        let mut crc = Crc::new();
        crc.update(&quoted);
        crc.combine(&next_crc);
        let entry = ZipEntry {
            name: name(i),
            crc: crc.sum(),
            compressed,
            uncompressed_len: quoted.len() as u32 + next.uncompressed_len,
            ..next.clone()
        };
        entries.push(std::mem::replace(&mut next, entry));
        next_crc = crc;
    }
    entries.push(next);
    entries.reverse();
    // The file: entry 0's local header and data, which contain every other header and data.
    let mut out = entries[0].local_header();
    out.extend_from_slice(&entries[0].compressed);
    let mut offsets = Vec::with_capacity(n);
    let mut at = 0u32;
    for e in &entries {
        offsets.push(at);
        at += e.local_header().len() as u32 + 5;
    }
    let cd_offset = out.len() as u32;
    for (e, off) in entries.iter().zip(&offsets) {
        out.extend_from_slice(&e.central(*off));
    }
    let cd_size = out.len() as u32 - cd_offset;
    out.extend_from_slice(&eocd(n as u16, cd_size, cd_offset));
    out
}

#[test]
fn a_quoted_overlapping_zip_bomb_is_refused_under_defaults() {
    let bomb = quoted_bomb(64);
    // Tiny on disk; unzip would write 64 entries of about 1 MiB and more.
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    let err = list_archive(Cursor::new(&bomb), Format::Zip, &Limits::default(), &[]).unwrap_err();
    assert_kind!(err, ArchiveErrorKind::ZipOverlap { .. });
}

#[test]
fn a_nested_zip_bomb_is_never_opened_and_its_layers_are_capped() {
    // The inner layer is a 1 GiB bomb; stored in an outer zip it is an opaque file.
    let (compressed, crc) = zeros_deflate(1024);
    let inner = zip(&[ZipEntry::deflated("bomb.bin", compressed, crc, 1 << 30)]);
    let copies: Vec<ZipEntry> = (0..16)
        .map(|i| ZipEntry::stored(&format!("layer/{i}.zip"), &inner))
        .collect();
    let outer = zip(&copies);
    let listing = list_archive(Cursor::new(&outer), Format::Zip, &Limits::default(), &[]).unwrap();
    // Read as 16 files of about 1 MiB: nothing was inflated from the inner layer.
    assert_eq!(listing.summary.content_size, 16 * inner.len() as u64);
    // Any layer read as an archive is refused on its own.
    let err = list_archive(Cursor::new(&inner), Format::Zip, &Limits::default(), &[]).unwrap_err();
    assert_kind!(err, ArchiveErrorKind::BombSize { .. });
}

/// `entries` files, each preceded by a PAX header of `records` records of `value_len`-byte
/// values.
fn pax_heavy_tar(entries: usize, records: usize, value_len: usize) -> Vec<u8> {
    let value = "v".repeat(value_len);
    let body: String = (0..records)
        .map(|i| pax_record(&format!("k{i}"), &value))
        .collect();
    let mut t = Tar::new();
    for i in 0..entries {
        t.entry("PaxHeaders/x", b'x', body.as_bytes(), "");
        t.file(&format!("pkg/{i}"), b"");
    }
    t.finish()
}

#[test]
fn pax_heavy_tars_are_refused_by_the_pax_caps_quickly() {
    // 1,000 entries × 5,000 records: the per-entry record cap, at the first entry.
    let tar = pax_heavy_tar(1000, 5000, 1);
    let start = Instant::now();
    let err = visit_tar(&tar[..], &Limits::default(), |_, _| Ok(())).unwrap_err();
    let took = start.elapsed();
    match err.kind() {
        ArchiveErrorKind::TooManyPaxRecords {
            scope,
            limit,
            actual,
        } => {
            assert_eq!((*scope, *limit), ("per entry", 256));
            assert_eq!(*actual, 257);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!((err.index(), err.name()), (Some(0), Some("PaxHeaders/x")));
    eprintln!("per-entry PAX cap hit in {took:?}");
    assert!(took.as_secs_f64() < 1.0, "{took:?}");

    // 1,000 entries × 250 records (each header within the per-entry cap): the total cap.
    let tar = pax_heavy_tar(1000, 250, 1);
    let start = Instant::now();
    let err = visit_tar(&tar[..], &Limits::default(), |_, _| Ok(())).unwrap_err();
    let took = start.elapsed();
    match err.kind() {
        ArchiveErrorKind::TooManyPaxRecords { scope, limit, .. } => {
            assert_eq!((*scope, *limit), ("in total", 200_000));
        }
        other => panic!("unexpected {other:?}"),
    }
    // 800 headers fit in 200,000 records; the 801st (entry 800) does not.
    assert_eq!(err.index(), Some(800));
    eprintln!("total PAX cap hit in {took:?}");
    assert!(took.as_secs_f64() < 2.0, "{took:?}");

    // Bytes in total: 4 headers of about 60 KiB under a 200 KiB total cap.
    let mut limits = Limits::default();
    limits.max_pax_total_size = 200 << 10;
    let big = pax_heavy_tar(4, 60, 1000);
    let err = visit_tar(&big[..], &limits, |_, _| Ok(())).unwrap_err();
    assert_kind!(err, ArchiveErrorKind::PaxTotalTooLarge { .. });
}

#[test]
fn global_pax_records_cost_constant_time_per_entry() {
    // 2,000 global headers of 90 distinct keys each, then 2,000 entries: every entry's
    // lookups hit the map of records in effect, not the 180,000 records seen.
    let body: String = (0..90)
        .map(|i| pax_record(&format!("SCHILY.k{i}"), "v"))
        .chain([pax_record("uname", "builder")])
        .collect();
    let mut t = Tar::new();
    for i in 0..2000 {
        t.entry("PaxHeaders/g", b'g', body.as_bytes(), "");
        t.file(&format!("pkg/{i}"), b"x");
    }
    let tar = t.finish();
    let start = Instant::now();
    let listing = list_archive(Cursor::new(&tar), Format::Tar, &Limits::default(), &[]).unwrap();
    let took = start.elapsed();
    assert_eq!(listing.entries.len(), 2000);
    assert_eq!(listing.entries[1999].entry.uname, "builder");
    eprintln!("2,000 entries under 2,000 global headers in {took:?}");
    assert!(took.as_secs_f64() < 2.0, "{took:?}");
}
