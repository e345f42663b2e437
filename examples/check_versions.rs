//! `check_versions [--tag vX.Y.Z] [--json] [PATH]`: check that every version source under PATH
//! agrees (with the tag, when given), using `relver.toml` or `[workspace.metadata.relver]`, or a
//! discovered configuration when there is none.
#![allow(clippy::print_stdout, reason = "an example binary reports on stdout")]

use std::process::ExitCode;

use anyhow::{Context, bail};
use relver::{Config, DirTree, TagClass, check, discover, parse_tag};

fn main() -> anyhow::Result<ExitCode> {
    let mut tag_arg = None;
    let mut json = false;
    let mut path = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tag" => tag_arg = Some(args.next().context("--tag needs a value")?),
            "--json" => json = true,
            "-h" | "--help" => {
                println!("usage: check_versions [--tag vX.Y.Z] [--json] [PATH]");
                return Ok(ExitCode::SUCCESS);
            }
            s if s.starts_with('-') => bail!("unknown option {s}"),
            _ => path = Some(a),
        }
    }
    let root = path.unwrap_or_else(|| ".".to_owned());
    let tree = DirTree::new(&root);
    let config = match Config::load(&tree)
        .with_context(|| format!("loading the relver config in {root}"))?
    {
        Some(c) => c,
        None => {
            let d = discover(&tree, None).with_context(|| format!("scanning {root}"))?;
            if !json {
                println!(
                    "no relver.toml in {root}: using a discovered configuration:\n{}",
                    d.proposed.to_toml()?
                );
            }
            d.proposed
        }
    };
    let tag = match tag_arg {
        None => None,
        Some(t) => match parse_tag(&t, &config.tag_policy()) {
            Ok(TagClass::Release(tag)) => Some(tag),
            Ok(other) => {
                println!("{t}: not a release tag ({other:?}); nothing to check");
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => {
                println!("{e}");
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let report = check(&tree, &config, tag.as_ref());
    if json {
        println!("{}", report.to_json()?);
    } else {
        println!("{report}");
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
