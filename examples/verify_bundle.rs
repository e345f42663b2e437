//! Verify a Sigstore bundle offline: `cargo run --example verify_bundle -- --bundle F
//! --artifact F --identity SAN --issuer URL [--trusted-root F [--release-dir D]]
//! [--deny-trigger workflow_dispatch] [--identity-regex RE] [--key key.pub] [--inspect]`.
//!
//! Without `--trusted-root` the Sigstore public-good root embedded in attest is used. With
//! `--release-dir`, a trust root inside that folder is refused (`trust-root-in-release`).
#![allow(clippy::print_stdout, reason = "an example prints its report")]

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use attest::{
    Artifact, Bundle, IdentityPolicy, Policy, PublicKey, TrustedRoot, Verifier, inspect_bundle,
    refuse_trust_root_in_release,
};

#[derive(Default)]
struct Args {
    bundle: Option<String>,
    artifact: Option<String>,
    identity: Option<String>,
    identity_regex: Option<String>,
    issuer: Option<String>,
    trusted_root: Option<String>,
    release_dir: Option<String>,
    key: Option<String>,
    deny_triggers: Vec<String>,
    inspect: bool,
}

fn parse_args() -> Result<Args> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bundle" => a.bundle = Some(value()?),
            "--artifact" => a.artifact = Some(value()?),
            "--identity" => a.identity = Some(value()?),
            "--identity-regex" => a.identity_regex = Some(value()?),
            "--issuer" => a.issuer = Some(value()?),
            "--trusted-root" => a.trusted_root = Some(value()?),
            "--release-dir" => a.release_dir = Some(value()?),
            "--key" => a.key = Some(value()?),
            "--deny-trigger" => a.deny_triggers.push(value()?),
            "--inspect" => a.inspect = true,
            "-h" | "--help" => {
                println!(
                    "verify_bundle --bundle F --artifact F (--identity SAN | --identity-regex RE) --issuer URL \
                     [--trusted-root F [--release-dir D]] [--deny-trigger T]... | --key key.pub | --inspect\n\
                     Without --trusted-root the embedded Sigstore public-good root is used."
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

fn run() -> Result<bool> {
    let a = parse_args()?;
    let bundle_path = a.bundle.context("--bundle is required")?;
    let bundle_bytes = std::fs::read(&bundle_path).with_context(|| bundle_path.clone())?;
    if a.inspect {
        let i = inspect_bundle(&bundle_bytes)?;
        println!("UNVERIFIED claims of {bundle_path}:\n{i:#?}");
        return Ok(true);
    }
    let root_path = a.trusted_root.as_deref().map(Path::new);
    if let (Some(root), Some(release)) = (root_path, &a.release_dir)
        && let Err(e) = refuse_trust_root_in_release(root, Path::new(release))
    {
        println!("REJECTED [{}]: {}", e.code(), e.detail());
        return Ok(false);
    }
    let verifier = Verifier::new(TrustedRoot::verifier_root(root_path)?);
    let bundle = Bundle::from_json(&bundle_bytes)?;
    let policy = match (a.key, a.identity, a.identity_regex) {
        (Some(k), _, _) => Policy::Key(PublicKey::from_pem(
            &std::fs::read(&k).with_context(|| k.clone())?,
        )?),
        (None, Some(id), None) => {
            let mut p = IdentityPolicy::exact(id, a.issuer.context("--issuer is required")?);
            for t in a.deny_triggers {
                p = p.deny_trigger(t);
            }
            Policy::Identity(p)
        }
        (None, None, Some(re)) => {
            let mut p = IdentityPolicy::regex(&re, a.issuer.context("--issuer is required")?)?;
            for t in a.deny_triggers {
                p = p.deny_trigger(t);
            }
            Policy::Identity(p)
        }
        _ => bail!("give exactly one of --identity, --identity-regex or --key"),
    };
    let artifact_path = a.artifact.context("--artifact is required")?;
    let file = std::fs::File::open(&artifact_path).with_context(|| artifact_path.clone())?;
    let artifact = Artifact::from_reader(file)?;
    match verifier.verify(&bundle, &artifact, &policy) {
        Ok(report) => {
            println!("{}", report.to_json_pretty());
            println!("OK: {bundle_path} verifies for {artifact_path}");
            Ok(true)
        }
        Err(e) => {
            println!("REJECTED [{}]: {}", e.code(), e.detail());
            Ok(false)
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            println!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
