//! `relkit`: verifiable software releases from the command line.
//!
//! Every subcommand is a thin layer over one library call of the relkit crates and renders
//! its result through relgate's report formats. Exit status: 0 the check passed (the release
//! action is allowed), 1 the check failed (the release is blocked), 2 relkit could not run
//! (bad usage, unreadable input, invalid policy).
#![allow(clippy::print_stdout, reason = "a command-line tool prints its report")]

mod archive;
mod bundle;
mod changelog;
mod digest;
mod output;
mod policy;
mod progress;
mod provenance;
mod readback;
mod verify;
mod versions;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::Global;

/// Exit status when relkit could not run (bad usage, unreadable input, invalid policy).
const EXIT_COULD_NOT_RUN: u8 = 2;

/// Verifiable software releases: the checks of a release runbook, fail closed.
#[derive(Debug, Parser)]
#[command(
    name = "relkit",
    version,
    about,
    long_about = "Verifiable software releases: the checks of a release runbook as one fail-closed decision.\n\nExit status: 0 passed (the release action is allowed), 1 failed (the release is blocked), 2 could not run (bad usage, unreadable input, invalid policy).",
    after_help = "Example:\n  relkit verify --policy release.toml --release dist --tag v1.2.3 --phase prepublish"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Verify(verify::VerifyArgs),
    Policy(policy::PolicyArgs),
    /// Sigstore bundles and PEP 740 attestations: `bundle verify`.
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
    /// SLSA provenance: `provenance verify`.
    #[command(subcommand)]
    Provenance(provenance::ProvenanceCommand),
    Versions(versions::VersionsArgs),
    Changelog(changelog::ChangelogArgs),
    Digest(digest::DigestArgs),
    Archive(archive::ArchiveArgs),
    Readback(readback::ReadbackArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` print to stdout and exit 0; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_COULD_NOT_RUN)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    cli.global.init_logging();
    match cli.command {
        Command::Verify(args) => verify::run(&cli.global, &args),
        Command::Policy(args) => policy::run(&cli.global, &args),
        Command::Bundle(command) => bundle::run(command, &cli.global),
        Command::Provenance(command) => provenance::run(command, &cli.global),
        Command::Versions(a) => versions::run(&cli.global, a),
        Command::Changelog(a) => changelog::run(&cli.global, a),
        Command::Digest(a) => digest::run(&cli.global, a),
        Command::Archive(a) => archive::run(&cli.global, a),
        Command::Readback(a) => readback::run(&cli.global, a),
    }
}
