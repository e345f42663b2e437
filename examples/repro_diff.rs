//! Why do two artifacts differ? Compares two tar, tar.gz or zip files layer by layer and prints
//! each difference with its likely cause (a code from `artidigest::Cause`, shown in brackets,
//! and its sentence) and the fix for that container; the causes are listed in `docs/repack.md`.
//!
//! ```text
//! cargo run --example repro_diff -- A B [--json]
//! ```
//!
//! Exit code: 0 identical, 1 different, 2 error (unreadable file, not an archive, hostile input).
#![allow(clippy::print_stdout, reason = "an example binary prints its results")]

use std::path::PathBuf;
use std::process::ExitCode;

use artidigest::{DiffOptions, diff_files};

fn main() -> ExitCode {
    let mut json = false;
    let mut paths = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                println!("usage: repro_diff A B [--json]");
                return ExitCode::SUCCESS;
            }
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    let [left, right] = paths.as_slice() else {
        eprintln!("usage: repro_diff A B [--json]");
        return ExitCode::from(2);
    };
    let report = match diff_files(left, right, &DiffOptions::default()) {
        Ok(r) => r,
        Err(e) => {
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg.push_str(&format!(": {s}"));
                source = s.source();
            }
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    if json {
        println!("{}", report.to_json_pretty());
    } else {
        print!("{report}");
    }
    if report.identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
