//! Replays fuzzing inputs: every file in `tests/fixtures/fuzzed/` (inputs that once crashed or
//! hung a reader) and the committed seed corpora of the archive fuzz targets, each through every
//! reader under a time bound. Seeds are valid archives and must be accepted.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use artidigest::{
    Algorithm, Format, Limits, list_archive, parse_record, visit_tar_gz_single_thread,
};

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.retain(|p| p.file_name().is_some_and(|n| n != "README.md"));
    out.sort();
    out
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_entries = 1000;
    l.max_total_size = 4 << 20;
    l
}

/// Runs every reader on `data`; returns which formats accepted it.
fn all_readers(data: Vec<u8>) -> Vec<&'static str> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut ok = Vec::new();
        let algs = [Algorithm::Sha256];
        if list_archive(Cursor::new(&data), Format::Tar, &limits(), &algs).is_ok() {
            ok.push("tar");
        }
        let piped = list_archive(Cursor::new(&data), Format::TarGz, &limits(), &algs);
        let single = visit_tar_gz_single_thread(&data[..], &limits(), |_, c| {
            std::io::copy(c, &mut std::io::sink()).map(|_| ())
        });
        assert_eq!(piped.is_ok(), single.is_ok(), "readers disagree");
        if piped.is_ok() {
            ok.push("tar.gz");
        }
        if list_archive(Cursor::new(&data), Format::Zip, &limits(), &algs).is_ok() {
            ok.push("zip");
        }
        if let Ok(text) = std::str::from_utf8(&data)
            && parse_record(text).is_ok()
        {
            ok.push("record");
        }
        let _ = tx.send(ok);
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("a reader panicked or took more than 20 s")
}

#[test]
fn fuzzed_fixtures_replay_without_panic_or_hang() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzzed");
    for file in files_in(&dir) {
        let data = std::fs::read(&file).unwrap();
        let accepted = all_readers(data);
        eprintln!("{}: accepted by {accepted:?}", file.display());
    }
}

#[test]
fn seed_corpora_are_accepted_by_their_reader() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut seen = 0;
    for (target, want) in [
        ("tar_read", "tar"),
        ("targz_read", "tar.gz"),
        ("zip_read", "zip"),
        ("record_parse", "record"),
    ] {
        for file in files_in(&fuzz.join(target)) {
            let accepted = all_readers(std::fs::read(&file).unwrap());
            assert!(accepted.contains(&want), "{}: {accepted:?}", file.display());
            seen += 1;
        }
    }
    assert!(seen >= 4, "seed corpora missing ({seen} files)");
}

/// A gzip member whose CRC is wrong, holding a tar whose third header is corrupt: both readers
/// must see all the data first and so report the same (tar) error. Found by `targz_read`.
#[test]
fn pipelined_and_single_thread_report_the_same_first_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzzed");
    let data = std::fs::read(dir.join("targz_read-pipelined-vs-single-disagree")).unwrap();
    let sink = |_: &artidigest::Entry, c: &mut dyn std::io::Read| {
        std::io::copy(c, &mut std::io::sink()).map(|_| ())
    };
    let piped = artidigest::visit_tar_gz(&data[..], &limits(), sink).unwrap_err();
    let single = visit_tar_gz_single_thread(&data[..], &limits(), sink).unwrap_err();
    assert_eq!(piped.to_string(), single.to_string());
    assert_eq!(piped.index(), Some(2));
    assert!(
        matches!(piped.kind(), artidigest::ArchiveErrorKind::Malformed { .. }),
        "{piped}"
    );
}
