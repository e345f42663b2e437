//! Verify a Sigstore bundle offline: `cargo run --example verify_bundle -- --bundle F
//! --artifact F --identity SAN --issuer URL [--trusted-root F [--release-dir D]]
//! [--deny-trigger workflow_dispatch] [--identity-regex RE] [--key key.pub] [--inspect]`,
//! the policy options release.toml's `[signing]` has: `[--allow-trigger T]...
//! [--extension NAME=VALUE]... [--require-github-hosted] [--min-bundle-version 0.2]`, and
//! `--digest sha256:HEX` in place of `--artifact` (verify against a digest, not bytes).
//!
//! Without `--trusted-root` the Sigstore public-good root embedded in attest is used. With
//! `--release-dir`, a trust root inside that folder is refused (`trust-root-in-release`).
#![allow(clippy::print_stdout, reason = "an example prints its report")]

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use artidigest::Digest;
use attest::{
    Artifact, Bundle, BundleVersion, FulcioExtension, IdentityPolicy, Policy, PublicKey,
    TrustedRoot, Verifier, inspect_bundle, refuse_trust_root_in_release,
};

/// Prints a rejection: its stable code, the verification stage it arose in, and the detail.
fn rejected(e: &attest::Error) {
    println!(
        "REJECTED [{}] at the {} stage: {}",
        e.code(),
        e.kind().stage(),
        e.detail()
    );
}

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
    allow_triggers: Vec<String>,
    extensions: Vec<String>,
    require_github_hosted: bool,
    min_bundle_version: Option<String>,
    digest: Option<String>,
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
            "--allow-trigger" => a.allow_triggers.push(value()?),
            "--extension" => a.extensions.push(value()?),
            "--require-github-hosted" => a.require_github_hosted = true,
            "--min-bundle-version" => a.min_bundle_version = Some(value()?),
            "--digest" => a.digest = Some(value()?),
            "--inspect" => a.inspect = true,
            "-h" | "--help" => {
                println!(
                    "verify_bundle --bundle F (--artifact F | --digest sha256:HEX) \
                     (--identity SAN | --identity-regex RE) --issuer URL [--trusted-root F [--release-dir D]] \
                     [--deny-trigger T]... [--allow-trigger T]... [--extension NAME=VALUE]... \
                     [--require-github-hosted] [--min-bundle-version 0.1|0.2|0.3] | --key key.pub | --inspect\n\
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
        rejected(&e);
        return Ok(false);
    }
    let mut verifier = Verifier::new(TrustedRoot::verifier_root(root_path)?);
    if let Some(v) = &a.min_bundle_version {
        let v = BundleVersion::from_short_name(v)
            .with_context(|| format!("--min-bundle-version {v:?} is not 0.1, 0.2 or 0.3"))?;
        verifier = verifier.with_min_bundle_version(v);
    }
    let bundle = Bundle::from_json(&bundle_bytes)?;
    let identity = |p: IdentityPolicy| -> Result<Policy> {
        let mut p = p;
        for t in &a.deny_triggers {
            p = p.deny_trigger(t.clone());
        }
        if !a.allow_triggers.is_empty() {
            p = p.allow_triggers(a.allow_triggers.iter().cloned());
        }
        for pin in &a.extensions {
            let (name, value) = pin
                .split_once('=')
                .with_context(|| format!("--extension {pin:?} is not NAME=VALUE"))?;
            p = p.with_extension(name.parse::<FulcioExtension>()?, value);
        }
        if a.require_github_hosted {
            p = p.require_github_hosted();
        }
        Ok(Policy::Identity(p))
    };
    let issuer = a.issuer.clone();
    let policy = match (&a.key, &a.identity, &a.identity_regex) {
        (Some(k), _, _) => Policy::Key(PublicKey::from_pem(
            &std::fs::read(k).with_context(|| k.clone())?,
        )?),
        (None, Some(id), None) => identity(IdentityPolicy::exact(
            id.clone(),
            issuer.context("--issuer is required")?,
        ))?,
        (None, None, Some(re)) => identity(IdentityPolicy::regex(
            re,
            issuer.context("--issuer is required")?,
        )?)?,
        _ => bail!("give exactly one of --identity, --identity-regex or --key"),
    };
    let (artifact, artifact_path) = match (&a.artifact, &a.digest) {
        (Some(path), None) => {
            let file = std::fs::File::open(path).with_context(|| path.clone())?;
            (Artifact::from_reader(file)?, path.clone())
        }
        (None, Some(d)) => (
            Artifact::digest(
                d.parse::<Digest>()
                    .map_err(|e| anyhow::anyhow!("--digest {d:?}: {e}"))?,
            ),
            d.clone(),
        ),
        _ => bail!("give exactly one of --artifact and --digest"),
    };
    match verifier.verify(&bundle, &artifact, &policy) {
        Ok(report) => {
            println!("{}", report.to_json_pretty());
            println!("OK: {bundle_path} verifies for {artifact_path}");
            Ok(true)
        }
        Err(e) => {
            rejected(&e);
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
