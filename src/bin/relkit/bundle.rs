//! `relkit bundle verify`: one Sigstore bundle (or PEP 740 attestation) over one artifact,
//! offline, with cosign `verify-blob`'s and `gh attestation verify`'s flag names.
//!
//! The identity and trust-root options and the way a result becomes a report are shared with
//! `relkit provenance verify` (see `provenance.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use artidigest::Digest;
use attest::{
    Artifact, Bundle, BundleVersion, ErrorKind, FulcioExtension, GITHUB_ACTIONS_ISSUER,
    IdentityPolicy, InputError, Policy, PublicKey, Publisher, SanMatcher, Stage, TrustedRoot,
    Verifier, refuse_trust_root_in_release, verify_pep740,
};
use clap::{Args, Subcommand};
use relgate::{Phase, Report};
use serde_json::Value;

use crate::output::Global;

/// The id a `bundle verify` result is reported under.
const CHECK: &str = "bundle-verify";

/// Bundle and attestation files are read up to this size; attest applies its own limits after.
const MAX_EVIDENCE_BYTES: u64 = 64 << 20;

/// Sigstore bundles.
#[derive(Debug, Subcommand)]
pub(crate) enum BundleCommand {
    /// Verify a Sigstore bundle or PEP 740 attestation over an artifact, offline.
    #[command(
        long_about = "Verify a Sigstore bundle (v0.1-v0.3, message signature or DSSE) or a PEP 740 attestation over an artifact, offline: certificate chain, SCTs, transparency-log evidence, timestamps and signature, then the signer identity.\n\nThe identity flags are cosign verify-blob's (--certificate-identity, --certificate-oidc-issuer, ...) and gh attestation verify's (--owner, --repo, --signer-workflow, --deny-self-hosted-runners). A file given with --bundle that is a PEP 740 attestation object is verified as one.\n\nExit status: 0 verified, 1 refused (the finding says why), 2 could not run (bad usage, unreadable file, a pattern that does not compile).",
        after_help = "Example:\n  relkit bundle verify pkg-1.2.3.tar.gz --bundle pkg-1.2.3.tar.gz.sigstore.json \\\n    --certificate-identity https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3 \\\n    --certificate-oidc-issuer https://token.actions.githubusercontent.com\n  relkit bundle verify --digest sha256:<64 hex> --bundle attestation.json --repo owner/repo \\\n    --signer-workflow owner/repo/.github/workflows/release.yml --deny-self-hosted-runners\n  relkit bundle verify pkg-1.2.3-py3-none-any.whl --pep740 pkg.publish.attestation \\\n    --publisher '{\"kind\":\"GitHub\",\"repository\":\"owner/repo\",\"workflow\":\"release.yml\"}'"
    )]
    Verify(VerifyArgs),
}

/// `relkit bundle verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The artifact the bundle signs (or give --digest).
    #[arg(
        value_name = "ARTIFACT",
        required_unless_present = "digest",
        conflicts_with = "digest"
    )]
    artifact: Option<PathBuf>,
    /// Verify against this digest instead of the artifact's bytes (`sha256:<hex>`).
    #[arg(long, value_name = "ALG:HEX")]
    digest: Option<Digest>,
    /// The Sigstore bundle (`.sigstore.json`); a PEP 740 attestation object is detected.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "pep740",
        conflicts_with = "pep740"
    )]
    bundle: Option<PathBuf>,
    /// A PEP 740 attestation: an attestation object or a bundle, checked with PEP 740's rules
    /// (one subject naming the distribution, a publish or SLSA predicate).
    #[arg(long, value_name = "FILE")]
    pep740: Option<PathBuf>,
    /// PEP 740: the distribution's file name (default: ARTIFACT's file name).
    #[arg(long, value_name = "NAME")]
    filename: Option<String>,
    /// PEP 740: the Trusted Publisher as PyPI's provenance writes it, e.g.
    /// `{"kind":"GitHub","repository":"owner/repo","workflow":"release.yml"}` (in place of the
    /// identity flags).
    #[arg(long, value_name = "JSON", conflicts_with = "key")]
    publisher: Option<String>,
    /// Verify with this PEM public key (a managed key) instead of a certificate identity.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Refuse bundles older than this version (0.1, 0.2 or 0.3).
    #[arg(long, value_name = "VERSION", value_parser = parse_bundle_version)]
    min_bundle_version: Option<BundleVersion>,
    #[command(flatten)]
    signer: SignerArgs,
}

fn parse_bundle_version(s: &str) -> Result<BundleVersion, String> {
    BundleVersion::from_short_name(s).ok_or_else(|| format!("{s:?} is not 0.1, 0.2 or 0.3"))
}

/// The options `bundle verify` and `provenance verify` share, last on both command lines: the
/// trust root, who must have signed, and the phase the result is reported for.
#[derive(Debug, Args)]
pub(crate) struct SignerArgs {
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    #[command(flatten)]
    pub(crate) identity: IdentityArgs,
    /// The phase the result is reported for (the action the decision names).
    #[arg(long, default_value = "prepublish", value_name = "PHASE")]
    pub(crate) phase: Phase,
}

/// The trust root, as cosign and gh name it.
#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// The Sigstore `trusted_root.json` (default: the public-good root shipped in relkit).
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// The release folder being judged: a --trusted-root inside it is refused.
    #[arg(long, value_name = "DIR", requires = "trusted_root")]
    release_dir: Option<PathBuf>,
}

impl TrustArgs {
    /// The verifier over the named root (or the embedded public-good root).
    pub(crate) fn verifier(&self) -> Result<Verifier, Stop> {
        if let (Some(root), Some(release)) = (&self.trusted_root, &self.release_dir) {
            refuse_trust_root_in_release(root, release)?;
        }
        Ok(Verifier::new(TrustedRoot::verifier_root(
            self.trusted_root.as_deref(),
        )?))
    }
}

/// Who must have signed: cosign's `--certificate-*` flags, gh's `--owner`/`--repo`/
/// `--signer-workflow`/`--deny-self-hosted-runners`, and relkit's extension and trigger pins.
#[derive(Debug, Default, Args)]
pub(crate) struct IdentityArgs {
    /// The certificate identity (SAN), exactly.
    #[arg(long, value_name = "SAN", help_heading = "Certificate identity (cosign)",
          conflicts_with_all = ["certificate_identity_regexp", "signer_workflow"])]
    certificate_identity: Option<String>,
    /// The certificate identity (SAN), as a regular expression over the whole SAN.
    #[arg(
        long,
        value_name = "REGEX",
        help_heading = "Certificate identity (cosign)",
        conflicts_with = "signer_workflow"
    )]
    certificate_identity_regexp: Option<String>,
    /// The OIDC issuer, exactly.
    #[arg(
        long,
        value_name = "URL",
        help_heading = "Certificate identity (cosign)",
        conflicts_with = "certificate_oidc_issuer_regexp"
    )]
    certificate_oidc_issuer: Option<String>,
    /// The OIDC issuer, as a regular expression over the whole issuer.
    #[arg(
        long,
        value_name = "REGEX",
        help_heading = "Certificate identity (cosign)"
    )]
    certificate_oidc_issuer_regexp: Option<String>,
    /// The GitHub workflow repository extension (`owner/repo`).
    #[arg(
        long,
        value_name = "OWNER/REPO",
        help_heading = "Certificate identity (cosign)"
    )]
    certificate_github_workflow_repository: Option<String>,
    /// The GitHub workflow ref extension (`refs/tags/v1.2.3`).
    #[arg(
        long,
        value_name = "REF",
        help_heading = "Certificate identity (cosign)"
    )]
    certificate_github_workflow_ref: Option<String>,
    /// The GitHub workflow SHA extension (the commit).
    #[arg(
        long,
        value_name = "SHA",
        help_heading = "Certificate identity (cosign)"
    )]
    certificate_github_workflow_sha: Option<String>,
    /// The GitHub workflow trigger extension (`push`, `release`, ...).
    #[arg(
        long,
        value_name = "EVENT",
        help_heading = "Certificate identity (cosign)"
    )]
    certificate_github_workflow_trigger: Option<String>,
    /// The GitHub workflow name extension.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Certificate identity (cosign)"
    )]
    certificate_github_workflow_name: Option<String>,
    /// The source repository owner: the certificate's owner must be `https://github.com/OWNER`
    /// and, without another identity flag, the signing workflow must live under it.
    #[arg(
        long,
        value_name = "OWNER",
        help_heading = "GitHub (gh attestation verify)"
    )]
    owner: Option<String>,
    /// The source repository (`owner/repo`): the certificate's source repository must be it
    /// and, without another identity flag, the signing workflow must live in it.
    #[arg(
        long,
        value_name = "OWNER/REPO",
        help_heading = "GitHub (gh attestation verify)"
    )]
    repo: Option<String>,
    /// The signing workflow, `[HOST/]OWNER/REPO/PATH` (e.g.
    /// `owner/repo/.github/workflows/release.yml`), at any ref.
    #[arg(
        long,
        value_name = "WORKFLOW",
        help_heading = "GitHub (gh attestation verify)"
    )]
    signer_workflow: Option<String>,
    /// Refuse certificates from a self-hosted runner (`runner_environment` must be
    /// `github-hosted`).
    #[arg(long, help_heading = "GitHub (gh attestation verify)")]
    deny_self_hosted_runners: bool,
    /// Pin any Fulcio extension, by name or OID (`source-repository-ref=refs/tags/v1.2.3`);
    /// repeatable.
    #[arg(
        long,
        value_name = "NAME=VALUE",
        help_heading = "Certificate identity (relkit)"
    )]
    certificate_extension: Vec<String>,
    /// Allow only these build triggers; repeatable.
    #[arg(
        long,
        value_name = "EVENT",
        help_heading = "Certificate identity (relkit)"
    )]
    allow_trigger: Vec<String>,
    /// Refuse this build trigger (e.g. `workflow_dispatch`); repeatable.
    #[arg(
        long,
        value_name = "EVENT",
        help_heading = "Certificate identity (relkit)"
    )]
    deny_trigger: Vec<String>,
}

/// Whether an identity must be named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// A signature: the SAN and the issuer must be named (cosign's rule); gh's flags name both.
    Signature,
    /// Provenance: the builder id already pins the signer, so the identity flags are optional
    /// checks on top (the SAN defaults to any, the issuer to GitHub Actions').
    Provenance,
}

impl IdentityArgs {
    /// Denied triggers (provenance applies them to the predicate too).
    pub(crate) fn denied_triggers(&self) -> &[String] {
        &self.deny_trigger
    }

    /// Whether any gh flag is given (they imply GitHub Actions' issuer).
    fn github_flags(&self) -> bool {
        self.owner.is_some()
            || self.repo.is_some()
            || self.signer_workflow.is_some()
            || self.deny_self_hosted_runners
    }

    /// Whether no identity flag at all is given.
    fn is_empty(&self) -> bool {
        self.certificate_identity.is_none()
            && self.certificate_identity_regexp.is_none()
            && self.certificate_oidc_issuer.is_none()
            && self.certificate_oidc_issuer_regexp.is_none()
            && self.pins().next().is_none()
            && !self.github_flags()
            && self.certificate_extension.is_empty()
            && self.allow_trigger.is_empty()
            && self.deny_trigger.is_empty()
    }

    /// cosign's `--certificate-github-workflow-*` pins as extensions.
    fn pins(&self) -> impl Iterator<Item = (FulcioExtension, &String)> {
        [
            (
                FulcioExtension::GithubWorkflowRepositoryV1,
                &self.certificate_github_workflow_repository,
            ),
            (
                FulcioExtension::GithubWorkflowRefV1,
                &self.certificate_github_workflow_ref,
            ),
            (
                FulcioExtension::GithubWorkflowShaV1,
                &self.certificate_github_workflow_sha,
            ),
            (
                FulcioExtension::GithubWorkflowTriggerV1,
                &self.certificate_github_workflow_trigger,
            ),
            (
                FulcioExtension::GithubWorkflowNameV1,
                &self.certificate_github_workflow_name,
            ),
        ]
        .into_iter()
        .filter_map(|(ext, v)| v.as_ref().map(|v| (ext, v)))
    }

    /// The SAN matcher the flags name, if any.
    fn san(&self) -> Result<Option<SanMatcher>, Stop> {
        if let Some(id) = &self.certificate_identity {
            return Ok(Some(SanMatcher::Exact(id.clone())));
        }
        if let Some(re) = &self.certificate_identity_regexp {
            return Ok(Some(IdentityPolicy::regex(re, "")?.san().clone()));
        }
        if let Some(w) = &self.signer_workflow {
            return Ok(Some(SanMatcher::WorkflowAnyRef(workflow_url(w)?)));
        }
        // gh's default: the signing workflow lives in the repository (or under the owner).
        let scope = match (&self.repo, &self.owner) {
            (Some(repo), _) => repo,
            (None, Some(owner)) => owner,
            (None, None) => return Ok(None),
        };
        let prefix = regex::escape(&format!("https://github.com/{scope}/"));
        Ok(Some(
            IdentityPolicy::regex(&format!("{prefix}.*"), "")?
                .san()
                .clone(),
        ))
    }

    /// The identity policy, or `None` when `need` is provenance and no flag is given.
    pub(crate) fn policy(&self, need: Need) -> Result<Option<IdentityPolicy>, Stop> {
        if need == Need::Provenance && self.is_empty() {
            return Ok(None);
        }
        let san = match (self.san()?, need) {
            (Some(san), _) => san,
            (None, Need::Provenance) => SanMatcher::Any,
            (None, Need::Signature) => {
                return Err(Stop::Usage(
                    "name the signer: --certificate-identity, --certificate-identity-regexp, \
                     --signer-workflow, --repo or --owner (or --key for a managed key)"
                        .to_owned(),
                ));
            }
        };
        let default_issuer =
            (self.github_flags() || need == Need::Provenance).then_some(GITHUB_ACTIONS_ISSUER);
        let mut policy = match (
            &self.certificate_oidc_issuer,
            &self.certificate_oidc_issuer_regexp,
            default_issuer,
        ) {
            (Some(issuer), _, _) => IdentityPolicy::any_identity(issuer.clone()),
            (None, Some(re), _) => IdentityPolicy::any_identity("").with_issuer_regex(re)?,
            (None, None, Some(issuer)) => IdentityPolicy::any_identity(issuer),
            (None, None, None) => {
                return Err(Stop::Usage(
                    "name the issuer: --certificate-oidc-issuer or --certificate-oidc-issuer-regexp"
                        .to_owned(),
                ));
            }
        }
        .with_san(san);
        for (ext, value) in self.pins() {
            policy = policy.with_extension(ext, value.clone());
        }
        if let Some(owner) = &self.owner {
            policy = policy.with_extension(
                FulcioExtension::SourceRepositoryOwnerUri,
                format!("https://github.com/{owner}"),
            );
        }
        if let Some(repo) = &self.repo {
            policy = policy.with_extension(
                FulcioExtension::SourceRepositoryUri,
                format!("https://github.com/{repo}"),
            );
        }
        for pin in &self.certificate_extension {
            let (name, value) = pin.split_once('=').ok_or_else(|| {
                Stop::Usage(format!("--certificate-extension {pin:?} is not NAME=VALUE"))
            })?;
            policy = policy.with_extension(name.parse::<FulcioExtension>()?, value);
        }
        if !self.allow_trigger.is_empty() {
            policy = policy.allow_triggers(self.allow_trigger.iter().cloned());
        }
        for t in &self.deny_trigger {
            policy = policy.deny_trigger(t.clone());
        }
        if self.deny_self_hosted_runners {
            policy = policy.require_github_hosted();
        }
        Ok(Some(policy))
    }
}

/// gh's `--signer-workflow` (`[HOST/]OWNER/REPO/PATH`) as the workflow URL a SAN starts with.
fn workflow_url(w: &str) -> Result<String, Stop> {
    let w = w.trim_start_matches("https://");
    let parts: Vec<&str> = w.split('/').collect();
    let has_host = parts.first().is_some_and(|p| p.contains('.'));
    let (host, rest) = if has_host {
        (parts.first().copied().unwrap_or_default(), parts.get(1..))
    } else {
        ("github.com", Some(parts.as_slice()))
    };
    match rest {
        Some(rest) if rest.len() >= 3 && rest.iter().all(|p| !p.is_empty()) => {
            Ok(format!("https://{host}/{}", rest.join("/")))
        }
        _ => Err(Stop::Usage(format!(
            "--signer-workflow {w:?} is not [HOST/]OWNER/REPO/PATH"
        ))),
    }
}

/// Why a verification stopped before a verdict of "verified".
#[derive(Debug)]
pub(crate) enum Stop {
    /// The command line asks for something that cannot be run.
    Usage(String),
    /// A file could not be read.
    Unreadable(String),
    /// attest refused (or, for a policy or I/O kind, could not run).
    Attest(attest::Error),
}

impl From<attest::Error> for Stop {
    fn from(e: attest::Error) -> Self {
        Stop::Attest(e)
    }
}

/// Reads a file a flag names, bounded.
pub(crate) fn read_named(flag: &str, path: &Path) -> Result<Vec<u8>, Stop> {
    artidigest::read_bounded(path, MAX_EVIDENCE_BYTES)
        .map_err(|e| Stop::Unreadable(format!("{flag} {}: {e}", path.display())))
}

/// The artifact: the file's digests, or the given digest.
pub(crate) fn artifact(
    path: Option<&Path>,
    digest: Option<Digest>,
) -> Result<Artifact<'static>, Stop> {
    match (path, digest) {
        (_, Some(d)) => Ok(Artifact::digest(d)),
        (Some(p), None) => {
            let file = std::fs::File::open(p)
                .map_err(|e| Stop::Unreadable(format!("{}: {e}", p.display())))?;
            Ok(Artifact::from_reader(file)?)
        }
        (None, None) => Err(Stop::Usage("give ARTIFACT or --digest".to_owned())),
    }
}

/// Prints the result of one check and returns its exit status: verified (0, with `evidence`),
/// refused (1, attest's one finding), or could not run (2).
pub(crate) fn emit(
    global: &Global,
    subject: &str,
    check: &str,
    phase: Phase,
    expected: &str,
    result: Result<Value, Stop>,
) -> ExitCode {
    let report = match result {
        Ok(evidence) => {
            let mut report = Report::of_check(subject, check, phase, Vec::new());
            if let Some(gate) = report.gates.first_mut() {
                gate.evidence
                    .insert("verification".to_owned(), relgate::Json::of(&evidence));
            }
            report
        }
        Err(Stop::Attest(e)) if could_not_run(e.kind()) => {
            Report::could_not_run(subject, format!("{}: {}", e.code(), e.detail()))
        }
        Err(Stop::Attest(e)) => Report::of_check(
            subject,
            check,
            phase,
            vec![e.to_finding(subject).expected(expected)],
        ),
        Err(Stop::Usage(why) | Stop::Unreadable(why)) => Report::could_not_run(subject, why),
    };
    global.emit(&report)
}

/// A rejection that means the check could not run rather than that the evidence is bad: an
/// unusable policy (a pattern that does not compile, no builder id) or an I/O failure.
fn could_not_run(kind: ErrorKind) -> bool {
    kind.stage() == Stage::Policy || kind == ErrorKind::Input(InputError::Io)
}

/// A value as report evidence.
pub(crate) fn evidence(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| Value::String(format!("unserialisable: {e}")))
}

/// The kind of evidence file `--bundle` names.
fn is_attestation_object(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes)
        .is_ok_and(|v| v.get("verification_material").is_some() && v.get("envelope").is_some())
}

/// Runs `relkit bundle …`.
pub(crate) fn run(command: BundleCommand, global: &Global) -> ExitCode {
    match command {
        BundleCommand::Verify(args) => {
            let subject = match (&args.artifact, &args.digest) {
                (Some(p), _) => p.display().to_string(),
                (None, Some(d)) => d.to_string(),
                (None, None) => String::new(),
            };
            let expected = args.expected();
            let result = args.verify();
            emit(
                global,
                &subject,
                CHECK,
                args.signer.phase,
                &expected,
                result,
            )
        }
    }
}

impl VerifyArgs {
    /// What the flags ask for, for the finding's `expected`.
    fn expected(&self) -> String {
        if let Some(k) = &self.key {
            return format!("signed by the key in {}", k.display());
        }
        if let Some(p) = &self.publisher {
            return format!("published by {p}");
        }
        match self.signer.identity.policy(Need::Signature) {
            Ok(Some(p)) => format!(
                "signed by {} from issuer {:?}",
                p.san_matcher_description(),
                p.issuer()
            ),
            _ => String::from("a verified signature"),
        }
    }

    fn verify(&self) -> Result<Value, Stop> {
        let mut verifier = self.signer.trust.verifier()?;
        if let Some(v) = self.min_bundle_version {
            verifier = verifier.with_min_bundle_version(v);
        }
        let (path, flag) = match (&self.bundle, &self.pep740) {
            (Some(b), _) => (b, "--bundle"),
            (None, Some(p)) => (p, "--pep740"),
            (None, None) => return Err(Stop::Usage("give --bundle or --pep740".to_owned())),
        };
        let bytes = read_named(flag, path)?;
        let is_attestation = is_attestation_object(&bytes);
        let artifact = artifact(self.artifact.as_deref(), self.digest)?;
        if is_attestation || self.pep740.is_some() {
            if self.key.is_some() {
                return Err(Stop::Usage(
                    "PEP 740 attestations are signed keylessly: --key does not apply".to_owned(),
                ));
            }
            let filename = match (&self.filename, &self.artifact) {
                (Some(f), _) => f.clone(),
                (None, Some(p)) => p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                (None, None) => {
                    return Err(Stop::Usage(
                        "a PEP 740 attestation over --digest needs --filename".to_owned(),
                    ));
                }
            };
            let publisher = self.publisher()?;
            let v = verify_pep740(
                &verifier,
                &bytes,
                is_attestation,
                &artifact,
                &filename,
                &publisher,
            )?;
            return Ok(evidence(&v));
        }
        if self.publisher.is_some() {
            return Err(Stop::Usage(
                "--publisher applies to PEP 740 attestations (--pep740)".to_owned(),
            ));
        }
        let policy = match &self.key {
            Some(k) => Policy::Key(PublicKey::from_pem(&read_named("--key", k)?)?),
            None => Policy::Identity(self.signature_identity()?),
        };
        let bundle = Bundle::from_json_with_limits(&bytes, verifier.limits())?;
        Ok(evidence(&verifier.verify(&bundle, &artifact, &policy)?))
    }

    fn signature_identity(&self) -> Result<IdentityPolicy, Stop> {
        self.signer
            .identity
            .policy(Need::Signature)?
            .ok_or_else(|| Stop::Usage("name the signer".to_owned()))
    }

    /// The PEP 740 publisher: `--publisher`, else the identity flags.
    fn publisher(&self) -> Result<Publisher, Stop> {
        match &self.publisher {
            Some(json) => {
                serde_json::from_str::<Value>(json)
                    .map_err(|e| Stop::Usage(format!("--publisher is not JSON: {e}")))?;
                Ok(Publisher::from_json(json.as_bytes())?)
            }
            None => Ok(Publisher::Identity(self.signature_identity()?)),
        }
    }
}
