//! Verifies a release with `relgate` and prints the report: a thin command line over
//! `relgate::run`.
//!
//! ```text
//! cargo run --example verify_release                       # the demo release, tag v1.2.3
//! cargo run --example verify_release -- --tamper version   # the demo, broken one way: fails
//! cargo run --example verify_release -- --policy release.toml --release dist --tag v1.2.3
//! cargo run --example verify_release -- PATH               # a release folder (or one holding dist/)
//! ```
//!
//! Options: `--policy FILE`, `--release DIR`, `--source DIR` (version files and changelog),
//! `--tag TAG`, `--commit SHA`, `--phase PHASE` (repeatable), `--json`, `--markdown`,
//! `--tamper KIND` (version, changelog, checksum, asset, tag, record, traversal, signature,
//! identity, trigger, provenance).
//!
//! A folder given without a policy is checked with its own `release.toml` when it has one,
//! else with a built-in policy: its checksum file is present and verifies every file.
//!
//! Exit status (from the report): 0 allowed, 1 release blocked, 2 could not run.
#![allow(clippy::print_stdout, reason = "an example binary prints its report")]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use relgate::{Format, Phase, Policy, RunContext, RunOptions, stdout_wants_color};
use relkit::demo::{DemoRelease, Tamper, copy_tree, demo_release_dir};

/// Names a checksum file goes by, in the order they are looked for.
const CHECKSUM_FILES: [&str; 4] = ["SHA256SUMS", "SHA512SUMS", "checksums.txt", "CHECKSUMS"];

#[derive(Default)]
struct Args {
    policy: Option<PathBuf>,
    release: Option<PathBuf>,
    source: Option<PathBuf>,
    tag: Option<String>,
    commit: Option<String>,
    phases: Vec<Phase>,
    format: Option<Format>,
    tamper: Option<Tamper>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--policy" => a.policy = Some(value("--policy")?.into()),
            "--release" => a.release = Some(value("--release")?.into()),
            "--source" => a.source = Some(value("--source")?.into()),
            "--tag" => a.tag = Some(value("--tag")?),
            "--commit" => a.commit = Some(value("--commit")?),
            "--phase" => a.phases.push(value("--phase")?.parse()?),
            "--tamper" => a.tamper = Some(value("--tamper")?.parse()?),
            "--json" => a.format = Some(Format::Json),
            "--markdown" => a.format = Some(Format::Markdown),
            "-h" | "--help" => {
                println!(
                    "verify_release [--policy FILE] [--release DIR] [--source DIR] [--tag TAG] [--commit SHA] [--phase PHASE]... [--json|--markdown] [--tamper KIND] [PATH]"
                );
                std::process::exit(0);
            }
            s if s.starts_with('-') => bail!("unknown option {s}"),
            _ if a.release.is_none() => a.release = Some(PathBuf::from(arg)),
            _ => bail!("more than one release folder given"),
        }
    }
    Ok(a)
}

/// The built-in policy for a plain folder: its checksum file is there and verifies every file.
fn default_policy(release: &Path) -> anyhow::Result<Policy> {
    let sums = CHECKSUM_FILES
        .iter()
        .find(|n| release.join(n).is_file())
        .unwrap_or(&CHECKSUM_FILES[0]);
    let text = format!(
        "[project]\nname = \"{}\"\n[release]\nrequired-assets = [\"{sums}\"]\n[checksums]\nfile = \"{sums}\"\n[gates.checksum-file]\nafter = [\"required-assets-present\"]\n",
        release
            .file_name()
            .map_or_else(
                || String::from("release"),
                |n| n.to_string_lossy().into_owned()
            )
            .replace(['"', '\\'], "")
    );
    Ok(Policy::from_toml_str(&text, "(built-in policy)")?)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            println!("verify_release: could not run: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<u8> {
    let args = parse_args()?;
    let demo = DemoRelease::default();
    let mut tag = args.tag.clone();
    // `--tamper` works on a copy of the demo release; the temp dir lives until the run ends.
    let scratch;
    let (policy, release) = if let Some(kind) = args.tamper {
        scratch = tempfile::tempdir()?;
        copy_tree(&demo_release_dir(), scratch.path())?;
        let (tampered_tag, what) = kind.apply(&demo, scratch.path())?;
        println!("tampered demo release ({kind}): {what}");
        tag.get_or_insert(tampered_tag);
        (
            Policy::load(&scratch.path().join("release.toml"))?,
            scratch.path().join("dist"),
        )
    } else {
        let given = args.release.clone();
        let root = given.clone().unwrap_or_else(demo_release_dir);
        let release = if root.join("dist").is_dir() {
            root.join("dist")
        } else {
            root.clone()
        };
        if !release.is_dir() {
            bail!("{} is not a folder", release.display());
        }
        let policy = match &args.policy {
            Some(p) => Policy::load(p)?,
            None if root.join("release.toml").is_file() => {
                Policy::load(&root.join("release.toml"))?
            }
            None => default_policy(&release)?,
        };
        if given.is_none() && args.policy.is_none() {
            tag.get_or_insert(demo.tag());
        }
        (policy, release)
    };

    let mut ctx = RunContext::new(&release);
    if let Some(t) = &tag {
        ctx = ctx.tag(t.clone());
    }
    if let Some(c) = &args.commit {
        ctx = ctx.commit(c.clone());
    }
    if let Some(s) = &args.source {
        ctx = ctx.source_dir(s.clone());
    }
    if !args.phases.is_empty() {
        ctx = ctx.options(RunOptions::default().phases(args.phases.clone()));
    }
    let report = relgate::run_blocking(&policy, ctx);
    let format = args.format.unwrap_or(Format::Terminal);
    let color = format == Format::Terminal && stdout_wants_color();
    if format == Format::Terminal {
        println!(
            "policy: {}   release folder: {}   tag: {}",
            policy.project.name,
            release.display(),
            tag.as_deref().unwrap_or("(none)")
        );
    }
    println!("{}", format.render(&report, color));
    Ok(u8::try_from(report.exit_code()).unwrap_or(2))
}
