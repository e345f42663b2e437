//! Helpers shared by the root package's integration tests: each test file that needs them
//! declares `mod support;`.
#![allow(dead_code, reason = "each test crate uses only some of the helpers")]
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Output;

use relgate::report::GateReport;
use serde_json::Value;

/// The JSON a command printed on stdout; a panic showing stdout and stderr when it is not JSON.
pub(crate) fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The subjects of the gate's findings, in order.
pub(crate) fn finding_subjects(g: &GateReport) -> Vec<&str> {
    g.findings
        .iter()
        .map(|f| f.finding.subject.as_str())
        .collect()
}

/// Every entry below `dir` (files and folders, at any depth; a link to a folder is listed, not
/// entered), sorted.
pub(crate) fn entries_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}
