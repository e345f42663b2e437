//! Verifies a release folder and prints what it checked and the verdict.
//!
//! ```text
//! cargo run --example verify_release              # the demo release in examples/demo-release
//! cargo run --example verify_release -- PATH      # a release folder (or one holding dist/)
//! ```
//!
//! Exit status: 0 when every check passes, 1 when the release is blocked, 2 when the checks
//! could not run.
#![allow(clippy::print_stdout, reason = "an example binary prints its report")]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use artidigest::checksums::{ParseOptions, VerifyOptions};
use artidigest::{ChecksumFile, verify_folder};
use relkit::demo::demo_release_dir;

/// Names a checksum file goes by, in the order they are looked for.
const CHECKSUM_FILES: [&str; 4] = ["SHA256SUMS", "SHA512SUMS", "checksums.txt", "CHECKSUMS"];

/// One check's outcome.
struct Check {
    name: String,
    passed: bool,
    details: Vec<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(checks) => {
            let failed = checks.iter().filter(|c| !c.passed).count();
            for c in &checks {
                println!("[{}] {}", if c.passed { "PASS" } else { "FAIL" }, c.name);
                for d in &c.details {
                    println!("       {d}");
                }
            }
            if failed == 0 {
                println!("verdict: PASS ({} checks)", checks.len());
                ExitCode::SUCCESS
            } else {
                println!(
                    "verdict: BLOCKED ({failed} of {} checks failed)",
                    checks.len()
                );
                ExitCode::from(1)
            }
        }
        Err(e) => {
            println!("verdict: COULD NOT RUN: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<Vec<Check>> {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(demo_release_dir);
    let dist = if root.join("dist").is_dir() {
        root.join("dist")
    } else {
        root.clone()
    };
    if !dist.is_dir() {
        bail!("{} is not a folder", dist.display());
    }
    println!("release folder: {}", dist.display());
    Ok(vec![checksum_check(&dist)?])
}

/// The checksum file verifies every artifact, and lists every file in the folder.
fn checksum_check(dist: &Path) -> anyhow::Result<Check> {
    let Some(name) = CHECKSUM_FILES.iter().find(|n| dist.join(n).is_file()) else {
        return Ok(Check {
            name: String::from("checksum file"),
            passed: false,
            details: vec![format!(
                "no checksum file ({}) in the release",
                CHECKSUM_FILES.join(", ")
            )],
        });
    };
    let path = dist.join(name);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let sums = match ChecksumFile::parse_named(&bytes, name, ParseOptions::default()) {
        Ok(s) => s,
        Err(e) => {
            return Ok(Check {
                name: format!("checksum file {name}"),
                passed: false,
                details: vec![e.to_string()],
            });
        }
    };
    let options = VerifyOptions::default().fail_on_unlisted(true);
    let v = verify_folder(dist, &sums, Some(name), options)?;
    Ok(Check {
        name: format!(
            "checksum file {name}: {} of {} files match",
            v.matched().count(),
            v.entries.len()
        ),
        passed: v.ok,
        details: v.to_string().lines().map(str::to_owned).collect(),
    })
}
