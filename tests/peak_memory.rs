//! Peak memory of artidigest's tar reader on archives built to make a reader balloon: many PAX
//! records per entry, and many global PAX records. Each read runs with the default [`Limits`]
//! in a child process (this test binary run again, selecting one test, with
//! `RELKIT_PEAK_MEMORY_CHILD` set), which checks the outcome and prints its own `VmHWM`; the
//! parent asserts the peak is under 64 MiB. Memory is measured, not time.
//!
//! The figures are in `docs/performance.md`; `--nocapture` prints them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "a test fails by panicking and prints the figures it measured"
)]

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::process::Command;

use artidigest::{Algorithm, ArchiveErrorKind, Format, FormatDetail, Limits, list_archive};

/// Set in the child: what to read (`<mode>:<path>`).
const CHILD_VAR: &str = "RELKIT_PEAK_MEMORY_CHILD";

/// The ceiling on the reader's peak resident memory, including the test binary's own.
const CEILING_KB: u64 = 64 * 1024;

/// Entries of the local-PAX tar, and PAX records in each entry's extended header.
const LOCAL_ENTRIES: usize = 1_000;
const LOCAL_RECORDS: usize = 5_000;

/// Records per entry of the local-PAX tar at the default caps: 1,000 × 200 is the archive-wide
/// cap of 200,000 records.
const LOCAL_AT_CAPS_RECORDS: usize = 200;

/// Global PAX headers of the 100,000-record tar, and records in each header (under the
/// per-header cap of 256, so that the archive is accepted and every record is held).
const GLOBAL_HEADERS: usize = 400;
const GLOBAL_RECORDS: usize = 250;

/// One PAX record, `"<len> <key>=<value>\n"`, where `<len>` counts the whole record.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    let record = format!("{len} {key}={value}\n").into_bytes();
    assert_eq!(record.len(), len);
    record
}

/// Appends an extended header of type `kind` holding `body` to `tar`.
fn append_pax<W: Write>(tar: &mut tar::Builder<W>, kind: tar::EntryType, name: &str, body: &[u8]) {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_path(name).unwrap();
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append(&header, body).unwrap();
}

fn append_file<W: Write>(tar: &mut tar::Builder<W>, name: &str, body: &[u8]) {
    let mut header = tar::Header::new_ustar();
    header.set_path(name).unwrap();
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append(&header, body).unwrap();
}

/// 1,000 files, each after an extended header of 5,000 12-byte records (about 61 MB).
fn write_local_pax_tar(path: &Path) {
    write_local_tar(path, |_| {
        let mut body = Vec::with_capacity(LOCAL_RECORDS * 12);
        for r in 0..LOCAL_RECORDS {
            body.extend_from_slice(&pax_record("c", &format!("{r:06}")));
        }
        body
    });
}

/// `LOCAL_ENTRIES` files `pkg/f{i}.txt`, each after a local extended header of `records(i)`.
fn write_local_tar(path: &Path, records: impl Fn(usize) -> Vec<u8>) {
    let mut tar = tar::Builder::new(BufWriter::new(File::create(path).unwrap()));
    for i in 0..LOCAL_ENTRIES {
        append_pax(
            &mut tar,
            tar::EntryType::XHeader,
            &format!("PaxHeaders/f{i}"),
            &records(i),
        );
        append_file(&mut tar, &format!("pkg/f{i}.txt"), b"content\n");
    }
    tar.into_inner().unwrap().flush().unwrap();
}

/// The most local records the default caps accept: 1,000 files, each after an extended header
/// of 200 records of 83 bytes, every key distinct (200,000 records, 16.6 MB of headers).
fn write_local_at_caps(path: &Path) {
    write_local_tar(path, |i| {
        let mut body = Vec::new();
        for r in 0..LOCAL_AT_CAPS_RECORDS {
            let key = format!("relkit.e{i:03}.r{r:03}");
            let record = pax_record(&key, &"v".repeat(83 - key.len() - 5));
            assert_eq!(record.len(), 83);
            body.extend_from_slice(&record);
        }
        body
    });
}

/// `headers` global headers of 250 records each, every key distinct, each record `record_len`
/// bytes long, then ten files.
fn write_global_pax_tar(path: &Path, headers: usize, record_len: usize) {
    let mut tar = tar::Builder::new(BufWriter::new(File::create(path).unwrap()));
    for h in 0..headers {
        let mut body = Vec::new();
        for r in 0..GLOBAL_RECORDS {
            let key = format!("relkit.g{h:03}.r{r:03}");
            // The length prefix, a space, '=' and '\n'.
            let overhead = record_len.to_string().len() + 3;
            let value = "v".repeat(record_len - key.len() - overhead);
            let record = pax_record(&key, &value);
            assert_eq!(record.len(), record_len);
            body.extend_from_slice(&record);
        }
        append_pax(
            &mut tar,
            tar::EntryType::XGlobalHeader,
            &format!("GlobalHead.0.{h}"),
            &body,
        );
    }
    for i in 0..10 {
        append_file(&mut tar, &format!("pkg/f{i}.txt"), b"content\n");
    }
    tar.into_inner().unwrap().flush().unwrap();
}

/// 100,000 global records of 120 bytes (400 headers): 12 MB of PAX headers.
fn write_global_100k(path: &Path) {
    write_global_pax_tar(path, GLOBAL_HEADERS, 120);
}

/// The most the default caps accept: 200,000 global records (800 headers) of 83 bytes, which
/// is 16.6 MB of PAX headers, just under the 16 MiB cap.
fn write_global_at_caps(path: &Path) {
    write_global_pax_tar(path, 2 * GLOBAL_HEADERS, 83);
}

/// The current process's peak resident set, `VmHWM`, in kB (Linux).
fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The child's side: reads the tar at `path` with the default limits, checks the outcome
/// `mode` expects (a failed check fails the child, and so the parent), prints `VmHWM`.
fn child(mode: &str, path: &Path) {
    let file = BufReader::new(File::open(path).unwrap());
    let result = list_archive(file, Format::Tar, &Limits::default(), &[Algorithm::Sha256]);
    match mode {
        "local" => {
            let err = result.expect_err("5,000 PAX records in one header are over the cap");
            assert!(
                matches!(
                    err.kind(),
                    ArchiveErrorKind::TooManyPaxRecords {
                        scope: "per entry",
                        limit: 256,
                        ..
                    }
                ),
                "{err}"
            );
            println!("outcome: refused: {err}");
        }
        "local-at-caps" => {
            let listing = result.expect("200,000 local records are within the default caps");
            let records: usize = listing
                .entries
                .iter()
                .map(|e| match &e.entry.detail {
                    FormatDetail::Tar(t) => t.pax.len(),
                    _ => 0,
                })
                .sum();
            assert_eq!(listing.entries.len(), LOCAL_ENTRIES);
            assert_eq!(records, LOCAL_ENTRIES * LOCAL_AT_CAPS_RECORDS);
            println!("outcome: accepted, {records} local records held in the listing");
        }
        "global" | "global-at-caps" => {
            let listing = result.expect("these global records are within the default caps");
            let headers = if mode == "global" {
                GLOBAL_HEADERS
            } else {
                2 * GLOBAL_HEADERS
            };
            assert_eq!(listing.summary.pax_global.len(), headers * GLOBAL_RECORDS);
            assert_eq!(
                listing
                    .entries
                    .iter()
                    .filter(|e| e.entry.path.starts_with("pkg/"))
                    .count(),
                10
            );
            println!(
                "outcome: accepted, {} global records",
                listing.summary.pax_global.len()
            );
        }
        other => panic!("unknown child mode {other}"),
    }
    println!("VmHWM {} kB", vm_hwm_kb());
}

/// Runs the test `test` of this binary again as a child reading `path` in `mode`; returns the
/// child's `VmHWM` in kB, after checking it exited successfully.
fn peak_in_child(test: &str, mode: &str, path: &Path) -> u64 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, format!("{mode}:{}", path.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the child failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // libtest prints the child's output after "test <name> ... " on the same line.
    for line in stdout.lines() {
        if let Some(at) = line.find("outcome: ") {
            println!("{mode}: {}", &line[at..]);
        }
    }
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM ")?.strip_suffix(" kB")?.parse().ok())
        .unwrap_or_else(|| panic!("the child printed no VmHWM line:\n{stdout}"))
}

/// In the child, does the child's work and returns true; in the parent, returns false.
fn run_child_if_asked() -> bool {
    let Some(what) = std::env::var_os(CHILD_VAR) else {
        return false;
    };
    let what = what.to_string_lossy().into_owned();
    let (mode, path) = what.split_once(':').expect("<mode>:<path>");
    child(mode, Path::new(path));
    true
}

fn measure(test: &str, mode: &str, write: fn(&Path)) {
    if run_child_if_asked() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{mode}.tar"));
    write(&path);
    let size = path.metadata().unwrap().len();
    let kb = peak_in_child(test, mode, &path);
    println!(
        "{mode}: tar of {:.1} MB read with the default limits: peak resident memory (VmHWM) {kb} kB = {:.1} MiB (ceiling {} MiB)",
        size as f64 / 1e6,
        kb as f64 / 1024.0,
        CEILING_KB / 1024
    );
    assert!(
        kb < CEILING_KB,
        "{mode}: peak memory {kb} kB is over {CEILING_KB} kB"
    );
}

#[test]
fn a_tar_of_1000_entries_with_5000_pax_records_each_is_read_in_under_64_mib() {
    measure(
        "a_tar_of_1000_entries_with_5000_pax_records_each_is_read_in_under_64_mib",
        "local",
        write_local_pax_tar,
    );
}

#[test]
fn a_tar_of_200000_local_pax_records_at_the_default_caps_is_read_in_under_64_mib() {
    measure(
        "a_tar_of_200000_local_pax_records_at_the_default_caps_is_read_in_under_64_mib",
        "local-at-caps",
        write_local_at_caps,
    );
}

#[test]
fn a_tar_of_100000_global_pax_records_is_read_in_under_64_mib() {
    measure(
        "a_tar_of_100000_global_pax_records_is_read_in_under_64_mib",
        "global",
        write_global_100k,
    );
}

#[test]
fn a_tar_of_200000_global_pax_records_at_the_default_caps_is_read_in_under_64_mib() {
    measure(
        "a_tar_of_200000_global_pax_records_at_the_default_caps_is_read_in_under_64_mib",
        "global-at-caps",
        write_global_at_caps,
    );
}

#[test]
fn pax_records_count_their_own_length() {
    assert_eq!(pax_record("c", "000001"), b"12 c=000001\n".to_vec());
    assert_eq!(pax_record("k", "v").len(), 6);
    // Where the length gains a digit: 97 bytes of body fit in 99, 98 bytes need 101.
    assert!(pax_record("k", &"v".repeat(93)).starts_with(b"99 "));
    assert!(pax_record("k", &"v".repeat(94)).starts_with(b"101 "));
}
