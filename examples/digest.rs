//! `sha256sum`, the relkit way: digests of files in one pass each, or `--check` of a checksum
//! file against its folder.
//!
//! ```text
//! cargo run --release --example digest -- [-a sha256,sha512] FILE...
//! cargo run --release --example digest -- --check SHA256SUMS [--ignore-missing]
//! ```
#![allow(clippy::print_stdout, reason = "an example binary prints its results")]

use std::path::Path;

use anyhow::{Context, bail};
use artidigest::checksums::{ParseOptions, VerifyOptions};
use artidigest::{Algorithm, ChecksumFile, digest_reader, verify_folder};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut algorithms = vec![Algorithm::Sha256];
    let mut check = None;
    let mut ignore_missing = false;
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-a" | "--algorithms" => {
                let list = args
                    .next()
                    .context("-a needs a list such as sha256,sha512")?;
                algorithms = list
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .with_context(|| format!("reading algorithm list {list:?}"))?;
            }
            "-c" | "--check" => check = Some(args.next().context("--check needs a file")?),
            "--ignore-missing" => ignore_missing = true,
            _ => files.push(a),
        }
    }
    if let Some(sums_path) = check {
        let path = Path::new(&sums_path);
        let bytes = std::fs::read(path).with_context(|| format!("reading {sums_path}"))?;
        let sums = ChecksumFile::parse_named(&bytes, &sums_path, ParseOptions::default())?;
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        let folder = folder.unwrap_or(Path::new("."));
        let name = path.file_name().and_then(|n| n.to_str());
        let options = VerifyOptions::default().ignore_missing(ignore_missing);
        let v = verify_folder(folder, &sums, name, options)?;
        println!("{v}");
        if !v.ok {
            std::process::exit(1);
        }
        return Ok(());
    }
    if files.is_empty() {
        bail!("usage: digest [-a ALG,...] FILE... | digest --check SUMS [--ignore-missing]");
    }
    for f in files {
        let file = std::fs::File::open(&f).with_context(|| format!("opening {f}"))?;
        let set = digest_reader(file, &algorithms).with_context(|| format!("reading {f}"))?;
        for d in set.iter() {
            println!("{}  {f}", d);
        }
    }
    Ok(())
}
