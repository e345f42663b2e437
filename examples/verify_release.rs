//! Verifies a release with `relgate` and prints the report: a thin command line over
//! `relgate::run`.
//!
//! ```text
//! cargo run --example verify_release                       # the demo release, tag v1.2.3
//! cargo run --example verify_release -- --tamper version   # the demo, broken one way: fails
//! cargo run --example verify_release -- --policy release.toml --release dist --tag v1.2.3
//! cargo run --example verify_release -- PATH               # a release folder (or one holding dist/)
//! cargo run --example verify_release -- --explain PATH     # the plan and why, nothing run
//! ```
//!
//! Options: `--policy FILE`, `--release DIR`, `--source DIR` (version files and changelog),
//! `--tag TAG`, `--commit SHA`, `--phase PHASE` (repeatable), `--json`, `--markdown`,
//! `--explain` (print the planned gates in run order, each with what implied it, and exit 0
//! without running any; with `--json` as JSON),
//! `--registries FILE` (registry endpoints; `RELKIT_REGISTRY_<NAME>_URL` also works),
//! `--tamper KIND` (version, changelog, checksum, asset, tag, record, traversal, signature,
//! identity, trigger, provenance, published, registry-bytes, not-visible).
//!
//! The demo release (no arguments, or `--tamper`) runs every phase in release order against
//! loopback registries started in-process (a Python index, a crates sparse index, npm):
//! preflight + prepublish while the registries do not hold the version, then the upload step
//! is simulated (the demo's dist is placed into the loopback registries), then postpublish +
//! consume read back what they serve. Downloads show progress bars when stderr is a terminal.
//! With `--json` the demo prints one JSON array holding each stage's report, in order.
//!
//! A folder DIR given without a policy is checked with `DIR/release.toml` when the release is
//! `DIR/dist` (the policy beside the release folder, as in the demo). A `release.toml` inside
//! the folder being judged is refused unread (a release cannot bring its own policy: pass
//! `--policy`). Otherwise the built-in policy for a plain folder (`Policy::for_plain_folder`)
//! applies: its checksum file is present and verifies every file.
//!
//! Exit status (from the report): 0 allowed, 1 release blocked, 2 could not run.
#![allow(clippy::print_stdout, reason = "an example binary prints its report")]

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::IsTerminal;

use anyhow::{Context, bail};
use relgate::{
    Endpoints, Format, Phase, Policy, Report, RunContext, RunOptions, report::stdout_wants_color,
};
use relkit_demo::run_demo;

// The progress bars of the `relkit` binary, the very same file (one copy in the repository).
#[path = "../src/bin/relkit/progress.rs"]
mod progress;
use progress::Bars;
use relkit_demo::{DemoRelease, Tamper, copy_tree, demo_release_dir};

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
    registries: Option<PathBuf>,
    explain: bool,
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
            "--registries" => a.registries = Some(value("--registries")?.into()),
            "--json" => a.format = Some(Format::Json),
            "--explain" => a.explain = true,
            "--markdown" => a.format = Some(Format::Markdown),
            "-h" | "--help" => {
                println!(
                    "verify_release [--policy FILE] [--release DIR] [--source DIR] [--tag TAG] [--commit SHA] [--phase PHASE]... [--registries FILE] [--json|--markdown] [--explain] [--tamper KIND] [PATH]"
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
        let beside = root.join("release.toml");
        let policy = match &args.policy {
            Some(p) => Policy::load(p)?,
            // A policy beside the release folder (DIR/release.toml with DIR/dist).
            None if release != root && beside.is_file() => Policy::load(&beside)?,
            // A policy inside the folder being judged would let the release choose its own
            // checks: refused, never read.
            None if beside.exists() => bail!(
                "{} is inside the release folder being judged: a release cannot bring its own policy; pass --policy FILE, or put the release in {}",
                beside.display(),
                root.join("dist").display()
            ),
            None => Policy::for_plain_folder(&release)?,
        };
        if given.is_none() && args.policy.is_none() {
            tag.get_or_insert(demo.tag());
        }
        (policy, release)
    };

    let format = args.format.unwrap_or(Format::Terminal);
    if args.explain {
        // The plan the run would follow, from the same planner, and why each gate is in it.
        let mut ctx = RunContext::new(&release);
        if !args.phases.is_empty() {
            ctx = ctx.options(RunOptions::default().phases(args.phases.clone()));
        }
        let plan = relgate::explain(&policy, &ctx);
        if format == Format::Json {
            print!("{}", plan.render_json());
        } else {
            println!(
                "policy: {}   release folder: {}",
                policy.project.name,
                release.display()
            );
            print!("{}", plan.render_terminal());
        }
        return Ok(0);
    }
    let color = format == Format::Terminal && stdout_wants_color();
    let mut options = RunOptions::default();
    // Downloads go to relgate's scratch folder on disk (never a RAM-backed one by default);
    // `RELGATE_SCRATCH_DIR` names another folder.
    if let Some(dir) = std::env::var_os("RELGATE_SCRATCH_DIR").map(PathBuf::from) {
        options = options.scratch_dir(dir);
    }
    if !args.phases.is_empty() {
        options = options.phases(args.phases.clone());
    }
    let bars = (format == Format::Terminal && std::io::stderr().is_terminal()).then(Bars::new);
    let observer = bars.as_ref().map(Bars::observer);
    let show = |label: Option<&str>, report: &Report| {
        if format == Format::Terminal {
            println!(
                "policy: {}   release folder: {}   tag: {}{}",
                policy.project.name,
                release.display(),
                tag.as_deref().unwrap_or("(none)"),
                label.map(|l| format!("   [{l}]")).unwrap_or_default()
            );
        }
        println!("{}", format.render(report, color));
    };

    // The demo release: every phase in release order, against loopback registries.
    let demo_run = args.tamper.is_some() || (args.release.is_none() && args.policy.is_none());
    if demo_run && !policy.registries.is_empty() {
        let started = std::time::Instant::now();
        let t = tag.clone().unwrap_or_else(|| demo.tag());
        let run = run_demo(&policy, &release, &t, args.tamper, options, observer)?;
        if let Some(b) = &bars {
            b.clear();
        }
        if format == Format::Terminal {
            for (name, url) in &run.endpoints {
                println!("loopback registry {name}: {url}");
            }
        }
        if format == Format::Json {
            // One JSON document: the stages' reports in release order.
            let docs: Vec<String> = run
                .stages
                .iter()
                .map(|(_, r)| format.render(r, false))
                .collect();
            println!("[{}]", docs.join(",\n"));
            return Ok(u8::try_from(run.exit_code()).unwrap_or(2));
        }
        for (i, (label, report)) in run.stages.iter().enumerate() {
            if i == 1 && format == Format::Terminal {
                println!(
                    "upload step (simulated: the demo's dist placed into the loopback registries): {}",
                    run.uploaded.join(", ")
                );
            }
            show(Some(label), report);
        }
        if format == Format::Terminal {
            let serial: u64 = run.stages.iter().map(|(_, r)| r.timings.serial_ms).sum();
            let wall: u64 = run.stages.iter().map(|(_, r)| r.timings.wall_ms).sum();
            println!(
                "all stages: gates {serial} ms serial, {wall} ms concurrent; whole demo run {} ms",
                started.elapsed().as_millis()
            );
        }
        return Ok(u8::try_from(run.exit_code()).unwrap_or(2));
    }

    // A real release: endpoints from --registries and the environment.
    let mut endpoints = Endpoints::new();
    // The bytes parsed are the bytes the report's `inputs.registries` names by sha256.
    let mut registries_file = None;
    if let Some(file) = &args.registries {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let text = std::str::from_utf8(&bytes)
            .with_context(|| format!("cannot read {}: not UTF-8", file.display()))?;
        endpoints.merge(Endpoints::from_toml_str(text, &file.display().to_string())?);
        registries_file = Some((file.clone(), bytes));
    }
    endpoints.merge(Endpoints::from_vars(
        policy.registries.keys().map(String::as_str),
        std::env::vars(),
    )?);
    for warning in endpoints.warnings() {
        eprintln!("warning: {warning}");
    }
    let mut ctx = RunContext::new(&release).options(options.endpoints(endpoints));
    if let Some((file, bytes)) = &registries_file {
        ctx = ctx.registries_file(file.clone(), bytes);
    }
    if let Some(t) = &tag {
        ctx = ctx.tag(t.clone());
    }
    if let Some(c) = &args.commit {
        ctx = ctx.commit(c.clone());
    }
    if let Some(s) = &args.source {
        ctx = ctx.source_dir(s.clone());
    }
    if let Some(o) = observer {
        ctx = ctx.on_event(o);
    }
    let report = relgate::run_blocking(&policy, ctx);
    if let Some(b) = &bars {
        b.clear();
    }
    show(None, &report);
    Ok(u8::try_from(report.exit_code()).unwrap_or(2))
}
