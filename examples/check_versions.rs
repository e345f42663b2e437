//! `check_versions [--tag vX.Y.Z] [--allow-floating] [--allow-prerelease] [--json] [PATH]`:
//! check that every version source under PATH agrees (with the tag, when given), using
//! `relver.toml` or `[workspace.metadata.relver]`, or a discovered configuration when there is
//! none. Reads the working tree and says so; warns when it is not the tag's tree.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example binary reports on stdout and stderr"
)]

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use relver::{TagOptions, check_worktree};

const HELP: &str = "\
usage: check_versions [--tag vX.Y.Z] [--allow-floating] [--allow-prerelease] [--json] [PATH]

Checks that every version file under PATH (default: .) carries the same version: the tag's
when --tag is given. The files are read from the working tree (the report says which); with a
tag, a warning says when the working tree is not at that tag.

Without relver.toml (or [workspace.metadata.relver] in Cargo.toml) the sources are discovered:
every version file is checked, except one that says it is not released (publish = false,
\"private\": true, version 0.0.0) and does not carry the tag's version: it is listed as
independent, with that reason. Files that cannot be read or parsed fail the check. A source
path may be a glob (crates/*/Cargo.toml): it covers every matching file at each check.

The report opens with one line per cause (\"14 files record 1.2.2, the tag says 1.2.3\"), then
lists every finding with its hint: a stale lock file is fixed by its own tool (cargo update -w,
uv lock, npm install --package-lock-only), a missing changelog section is asked for in the
file's own heading style.

  --tag TAG            check against this release tag (strict: vMAJOR.MINOR.PATCH); any other
                       tag fails unless one of the two options below allows it
  --allow-floating     accept a floating or partial tag (v1, v1.2): nothing is checked, exit 0
  --allow-prerelease   accept a pre-release tag (v1.2.3-rc.1): files must carry 1.2.3-rc.1
  --json               print the report as JSON
  -h, --help           print this help

Exit status: 0 when the check passes, 1 when it fails, 2 on a usage or configuration error.";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("check_versions: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let mut tag = None;
    let mut options = TagOptions::default();
    let mut json = false;
    let mut path = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tag" => tag = Some(args.next().context("--tag needs a value")?),
            "--allow-floating" => options = options.allow_floating(true),
            "--allow-prerelease" => options = options.allow_prerelease(true),
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{HELP}");
                return Ok(ExitCode::SUCCESS);
            }
            s if s.starts_with('-') => bail!("unknown option {s} (see --help)"),
            _ if path.is_some() => bail!("more than one PATH (see --help)"),
            _ => path = Some(a),
        }
    }
    let root = path.unwrap_or_else(|| ".".to_owned());
    let run = check_worktree(Path::new(&root), tag.as_deref(), options)
        .with_context(|| format!("loading the relver configuration in {root}"))?;
    if json {
        println!("{}", run.report.to_json()?);
    } else {
        if run.discovery.is_some() {
            println!(
                "no relver.toml in {root}: using a discovered configuration:\n{}",
                run.config.to_toml()?
            );
        }
        // File names, keys and tags come from the checked tree: no escape sequence reaches the
        // terminal.
        println!(
            "{}",
            relkit_finding::escape_controls(&run.report.to_string())
        );
    }
    Ok(if run.report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
