//! Reads back what registries serve for package versions, verifies every claimed digest while
//! downloading, and compares the files with a local folder.
//!
//! ```text
//! cargo run --example readback -- --config registries.toml pypi:NAME==VERSION --compare dist/
//! cargo run --example readback -- --config registries.toml npm:@scope/pkg@1.2.3 crates:demo@0.1.0 --json
//! ```
//!
//! Endpoints come from the `--config` TOML file (docs/registries.md) or, without it, from
//! `RELKIT_REGISTRY_<KIND>_URL` / `_TOKEN` environment variables. Exit status: 0 when every file was served,
//! verified and (with `--compare`) matched; 1 otherwise; 2 on usage errors.
#![allow(clippy::print_stdout, clippy::print_stderr)] // an example's job is to print

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use regclient::{
    FileReport, PackageSpec, Progress, PublishedVersion, RegistriesConfig, SpecReadback,
    compare_local, comparison_passes, error_chain, read_back,
};

struct Args {
    config: Option<PathBuf>,
    specs: Vec<PackageSpec>,
    compare: Option<PathBuf>,
    out: Option<PathBuf>,
    json: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        config: None,
        specs: Vec::new(),
        compare: None,
        out: None,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--config" => args.config = Some(it.next().context("--config needs a file")?.into()),
            "--compare" => {
                args.compare = Some(it.next().context("--compare needs a folder")?.into())
            }
            "--out" => args.out = Some(it.next().context("--out needs a folder")?.into()),
            "--json" => args.json = true,
            "-h" | "--help" => bail!(
                "usage: readback [--config FILE] [--compare DIR] [--out DIR] [--json] KIND:SPEC..."
            ),
            s if s.starts_with("--") => bail!("unknown option {s}"),
            s => args.specs.push(s.parse()?),
        }
    }
    if args.specs.is_empty() {
        bail!("give at least one package spec, e.g. pypi:NAME==VERSION");
    }
    Ok(args)
}

/// Progress bars, one per file.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, name: &str, size: Option<u64>) {
        let bar = self.multi.add(ProgressBar::new(size.unwrap_or(0)));
        let style = ProgressStyle::with_template(
            "{msg:40} {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(shown(name));
        if let Ok(mut m) = self.bars.lock() {
            m.insert(name.to_owned(), bar);
        }
    }
    fn advance(&self, name: &str, bytes: u64) {
        if let Some(b) = self.bars.lock().ok().and_then(|m| m.get(name).cloned()) {
            if b.length() == Some(0) {
                b.set_length(b.position() + bytes);
            }
            b.inc(bytes);
        }
    }
    fn finish(&self, name: &str) {
        if let Some(b) = self.bars.lock().ok().and_then(|mut m| m.remove(name)) {
            b.finish();
        }
    }
}

#[derive(serde::Serialize)]
struct Download {
    name: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(serde::Serialize)]
struct SpecReport {
    spec: String,
    published: PublishedVersion,
    downloads: Vec<Download>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<Vec<FileReport>>,
}

/// `s` with control characters escaped (`\n`, `\u{1b}`): names and messages come from
/// registries, and a raw escape sequence would rewrite the terminal.
fn shown(s: &str) -> String {
    relkit_finding::escape_controls(s)
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

fn run(args: &Args) -> anyhow::Result<bool> {
    let config = match &args.config {
        Some(p) => RegistriesConfig::from_file(p)?,
        None => RegistriesConfig::from_env(),
    };
    for notice in config.deprecations() {
        eprintln!("warning: {notice}");
    }
    let registries = config.build()?;
    let tmp = tempfile::tempdir()?;
    let out = args.out.clone().unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&out)?;
    let bars = Bars {
        multi: MultiProgress::with_draw_target(if args.json {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        }),
        bars: Mutex::new(HashMap::new()),
    };
    let mut all_ok = true;
    let mut reports = Vec::new();
    // Every version looked up and downloaded in one pipeline: downloads start as soon as
    // their version's metadata is in, over one connection pool.
    for SpecReadback {
        spec,
        published,
        downloads: results,
        ..
    } in read_back(&registries, &args.specs, &out, Some(&bars))
    {
        let published = published.map_err(|e| anyhow::anyhow!(error_chain(&e)))?;
        if !published.state.is_served() {
            all_ok = false;
        }
        let downloads: Vec<Download> = published
            .files
            .iter()
            .zip(results)
            .map(|(f, r)| match r {
                Ok(got) => Download {
                    name: f.name.clone(),
                    ok: true,
                    sha256: got
                        .computed
                        .get(artidigest::Algorithm::Sha256)
                        .map(|d| d.to_hex()),
                    error: None,
                },
                Err(e) => Download {
                    name: f.name.clone(),
                    ok: false,
                    sha256: None,
                    error: Some(error_chain(&e)),
                },
            })
            .collect();
        all_ok &= downloads.iter().all(|d| d.ok);
        let comparison = match &args.compare {
            Some(dir) => {
                let r = compare_local(&published.files, dir)?;
                // Nothing to compare (no file served) fails: an empty comparison proves nothing.
                all_ok &= comparison_passes(&r);
                Some(r)
            }
            None => None,
        };
        reports.push(SpecReport {
            spec: spec.to_string(),
            published,
            downloads,
            comparison,
        });
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            println!(
                "{} — {} ({})",
                shown(&r.spec),
                shown(&r.published.state.to_string()),
                shown(&r.published.registry)
            );
            for d in &r.downloads {
                match (&d.sha256, &d.error) {
                    (Some(h), _) => println!("  ok      {}  sha256:{h}", shown(&d.name)),
                    (_, Some(e)) => println!("  FAILED  {}  {}", shown(&d.name), shown(e)),
                    _ => {}
                }
            }
            for c in r.comparison.iter().flatten() {
                println!("  compare {}: {:?}", shown(&c.name), c.comparison);
            }
        }
        println!(
            "{}",
            if all_ok {
                "readback: OK"
            } else {
                "readback: FAILED"
            }
        );
    }
    Ok(all_ok)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("readback: {}", shown(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("readback: {}", shown(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}
