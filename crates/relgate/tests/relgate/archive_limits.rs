//! `[archive-limits.<kind>]`: archive-safety holds each archive to its kind's caps, and file
//! waivers cover one archive's findings only.

use std::path::Path;

use artidigest::{Format, RepackEntry, RepackOptions, repack_entries};
use relgate::{Code, GateStatus, Policy, RunContext, RunStatus};

use crate::archive_gate::honest_record;

/// Eight MiB of zeros: deflate packs it past 1000:1, over the default ratio cap.
fn zeros() -> Vec<u8> {
    vec![0u8; 8 << 20]
}

/// Four MiB of text-like data compressing well under 1000:1 but far above 20:1.
fn compressible() -> Vec<u8> {
    let mut out = Vec::with_capacity(4 << 20);
    let mut x: u32 = 7;
    while out.len() < 4 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        out.extend_from_slice(b"the same line of log text, again and again ");
        out.push(b'a' + ((x >> 16) % 26) as u8);
        out.push(b'\n');
    }
    out
}

/// A wheel whose one data file is `model` (an honest RECORD).
fn wheel(model: &[u8]) -> Vec<u8> {
    let list: Vec<(&str, &[u8])> = vec![
        ("demo/__init__.py", b"x = 1\n"),
        ("demo/model.bin", model),
        ("demo-1.0.0.dist-info/METADATA", b"Name: demo\n"),
        ("demo-1.0.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
    ];
    let mut entries: Vec<RepackEntry> = list
        .iter()
        .map(|(p, b)| RepackEntry::file(*p, b.to_vec()))
        .collect();
    entries.push(RepackEntry::file(
        "demo-1.0.0.dist-info/RECORD",
        honest_record(&list).into_bytes(),
    ));
    repack_entries(entries, &RepackOptions::new(Format::Zip))
        .unwrap()
        .bytes
}

/// A plain zip holding `data`.
fn zip(data: &[u8]) -> Vec<u8> {
    repack_entries(
        vec![RepackEntry::file("data.bin", data.to_vec())],
        &RepackOptions::new(Format::Zip),
    )
    .unwrap()
    .bytes
}

fn run(dir: &Path, extra: &str) -> relgate::Report {
    let text =
        format!("schema-version = 1\n[project]\nname = \"demo\"\n[gates.archive-safety]\n{extra}");
    let policy = Policy::from_toml_str(&text, "release.toml").unwrap();
    relgate::run_blocking(&policy, RunContext::new(dir).tag("v1.0.0"))
}

fn archive_findings(r: &relgate::Report) -> Vec<(Code, String, bool)> {
    r.gate("archive-safety")
        .unwrap()
        .findings
        .iter()
        .map(|f| {
            (
                f.finding.code,
                f.finding.subject.clone(),
                f.waived.is_some(),
            )
        })
        .collect()
}

#[test]
fn a_wheel_over_the_default_ratio_is_refused_unless_its_kind_allows_more() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("demo-1.0.0-py3-none-any.whl"),
        wheel(&zeros()),
    )
    .unwrap();
    let r = run(dir.path(), "");
    let f = archive_findings(&r);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, Code::ArchiveUnsafe);
    assert!(f[0].1.starts_with("demo-1.0.0-py3-none-any.whl"), "{f:?}");
    assert_eq!(r.decision.status, RunStatus::Blocked);
    // Another kind's cap changes nothing for the wheel.
    let r = run(dir.path(), "[archive-limits.binary]\nmax-ratio = 5000\n");
    assert_eq!(archive_findings(&r).len(), 1, "{r:#?}");
    // The wheel kind's raised cap accepts it.
    let r = run(dir.path(), "[archive-limits.wheel]\nmax-ratio = 5000\n");
    let g = r.gate("archive-safety").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.evidence["archives"][0]["kind"], "wheel");
    assert_eq!(g.evidence["archives"][0]["max-ratio"], 5000);
    assert_eq!(r.decision.status, RunStatus::Allowed, "{r:#?}");
}

#[test]
fn a_lowered_cap_refuses_an_archive_the_default_accepts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("logs.zip"), zip(&compressible())).unwrap();
    let r = run(dir.path(), "");
    assert_eq!(
        r.gate("archive-safety").unwrap().status,
        GateStatus::Pass,
        "{r:#?}"
    );
    let r = run(dir.path(), "[archive-limits.binary]\nmax-ratio = 20\n");
    let f = archive_findings(&r);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, Code::ArchiveUnsafe);
    assert!(f[0].1.starts_with("logs.zip"), "{f:?}");
}

#[test]
fn a_file_waiver_waives_one_of_two_archives() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model-a.zip"), zip(&zeros())).unwrap();
    std::fs::write(dir.path().join("model-b.zip"), zip(&zeros())).unwrap();
    let waiver = "[[waivers]]\ngate = \"archive-safety\"\ncode = \"archive-unsafe\"\nfile = \"model-a.zip\"\nreason = \"a zero-filled model, reviewed\"\n";
    let r = run(dir.path(), waiver);
    let mut f = archive_findings(&r);
    f.sort();
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f[0].1.starts_with("model-a.zip") && f[0].2, "{f:?}");
    assert!(f[1].1.starts_with("model-b.zip") && !f[1].2, "{f:?}");
    assert_eq!(r.decision.status, RunStatus::Blocked);
    assert_eq!(r.decision.blocking_gates, ["archive-safety"]);
    // The report shows the file with the waiver.
    assert_eq!(r.waivers[0].file.as_deref(), Some("model-a.zip"));
    let g = r.gate("archive-safety").unwrap();
    let shown = g.findings.iter().find_map(|f| f.waived.clone()).unwrap();
    assert_eq!(shown, "a zero-filled model, reviewed (file model-a.zip)");
    let text = relgate::Format::Terminal.render(&r, false);
    assert!(
        text.contains("waived: a zero-filled model, reviewed (file model-a.zip)"),
        "{text}"
    );
    // Waiving both by a glob allows the release.
    let r = run(dir.path(), &waiver.replace("model-a.zip", "model-*.zip"));
    assert_eq!(r.decision.status, RunStatus::Allowed, "{r:#?}");
}
