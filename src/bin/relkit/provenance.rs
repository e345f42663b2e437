//! `relkit provenance verify`: SLSA provenance (`.intoto.jsonl` or a Sigstore bundle) over
//! artifacts, offline, with slsa-verifier's flag names and the signer-identity flags of
//! `relkit bundle verify`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use artidigest::Digest;
use attest::{ProvenancePolicy, RefPolicy, SignerEvidence, verify_provenance};
use clap::{ArgGroup, Args, Subcommand};
use serde_json::Value;

use crate::bundle::{Need, SignerArgs, Stop, artifact, emit, evidence, read_named};
use crate::output::Global;

/// The id a `provenance verify` result is reported under.
const CHECK: &str = "provenance-verify";

/// SLSA provenance.
#[derive(Debug, Subcommand)]
pub(crate) enum ProvenanceCommand {
    /// Verify SLSA provenance over artifacts, offline.
    #[command(
        long_about = "Verify SLSA provenance over artifacts, offline: every Sigstore bundle in the file verifies (a bare DSSE envelope without transparency-log evidence is refused), the certificate and the predicate agree, the builder is the trusted one, the source repository and ref are the expected ones, and every artifact is a subject.\n\nThe flags are slsa-verifier's (--source-uri, --source-tag, --source-versioned-tag, --source-branch, --builder-id, --build-workflow-input); the certificate identity flags of `relkit bundle verify` add checks on the signing certificate.\n\nExit status: 0 verified, 1 refused (the finding says why), 2 could not run (bad usage, unreadable file, no --builder-id).",
        after_help = "Example:\n  relkit provenance verify pkg-1.2.3.tar.gz --provenance multiple.intoto.jsonl \\\n    --source-uri github.com/owner/repo --source-tag v1.2.3 \\\n    --builder-id https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml\n  relkit provenance verify --digest sha256:<64 hex> --provenance pkg.intoto.jsonl \\\n    --source-uri github.com/owner/repo --source-branch main --builder-id <workflow> --deny-trigger workflow_dispatch"
    )]
    Verify(VerifyArgs),
}

/// `relkit provenance verify`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source_ref").args(["source_tag", "source_versioned_tag", "source_branch"])))]
pub(crate) struct VerifyArgs {
    /// The artifacts the provenance must cover (or give --digest).
    #[arg(
        value_name = "ARTIFACT",
        required_unless_present = "digest",
        conflicts_with = "digest"
    )]
    artifacts: Vec<PathBuf>,
    /// Check these digests instead of artifacts' bytes (`sha256:<hex>`); repeatable.
    #[arg(long, value_name = "ALG:HEX")]
    digest: Vec<Digest>,
    /// The provenance: `.intoto.jsonl` (one bundle or envelope per line) or a Sigstore bundle.
    #[arg(long, visible_alias = "provenance-path", value_name = "FILE")]
    provenance: PathBuf,
    /// The source repository the build must come from (`github.com/owner/repo`).
    #[arg(long, value_name = "URI")]
    source_uri: String,
    /// The build must come from exactly this tag.
    #[arg(long, value_name = "TAG")]
    source_tag: Option<String>,
    /// The build must come from a tag semver-compatible with this one (`v1.2` accepts `v1.2.3`).
    #[arg(long, value_name = "TAG")]
    source_versioned_tag: Option<String>,
    /// The build must come from this branch.
    #[arg(long, value_name = "BRANCH")]
    source_branch: Option<String>,
    /// The trusted builder (a workflow URL, with `@REF` to pin its ref).
    #[arg(long, value_name = "ID")]
    builder_id: Option<String>,
    /// A workflow input the provenance must record with this value; repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    build_workflow_input: Vec<String>,
    #[command(flatten)]
    signer: SignerArgs,
}

/// Runs `relkit provenance …`.
pub(crate) fn run(command: ProvenanceCommand, global: &Global) -> ExitCode {
    match command {
        ProvenanceCommand::Verify(args) => {
            let subject = if args.artifacts.is_empty() {
                args.digest
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                args.artifacts
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let result = args.policy().and_then(|policy| args.verify(&policy));
            let expected = args.expected();
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
    /// slsa-verifier's policy from the flags.
    fn policy(&self) -> Result<ProvenancePolicy, Stop> {
        let mut policy = ProvenancePolicy::default();
        policy.builder_id.clone_from(&self.builder_id);
        policy.source_uri.clone_from(&self.source_uri);
        policy.source_ref = match (
            &self.source_tag,
            &self.source_versioned_tag,
            &self.source_branch,
        ) {
            (Some(t), _, _) => Some(RefPolicy::Tag(t.clone())),
            (None, Some(t), _) => Some(RefPolicy::VersionedTag(t.clone())),
            (None, None, Some(b)) => Some(RefPolicy::Branch(b.clone())),
            (None, None, None) => None,
        };
        policy.forbidden_triggers = self.signer.identity.denied_triggers().to_vec();
        policy.inputs = self
            .build_workflow_input
            .iter()
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .ok_or_else(|| {
                        Stop::Usage(format!("--build-workflow-input {kv:?} is not NAME=VALUE"))
                    })
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        Ok(policy)
    }

    /// What the flags ask for, for the finding's `expected`.
    fn expected(&self) -> String {
        let mut s = format!(
            "built by {} from {}",
            self.builder_id.as_deref().unwrap_or("(no builder id)"),
            self.source_uri
        );
        for (what, v) in [
            ("tag", &self.source_tag),
            ("versioned tag", &self.source_versioned_tag),
            ("branch", &self.source_branch),
        ] {
            if let Some(v) = v {
                s.push_str(&format!(" at {what} {v}"));
            }
        }
        s
    }

    fn verify(&self, policy: &ProvenancePolicy) -> Result<Value, Stop> {
        let identity = self.signer.identity.policy(Need::Provenance)?;
        let verifier = self.signer.trust.verifier()?;
        let bytes = read_named("--provenance", &self.provenance)?;
        let mut artifacts = Vec::new();
        for path in &self.artifacts {
            artifacts.push(artifact(Some(path), None)?.digests());
        }
        for d in &self.digest {
            artifacts.push(vec![*d]);
        }
        let verified = verify_provenance(&verifier, &bytes, &artifacts, policy)?;
        if let Some(identity) = &identity {
            for v in &verified {
                let signer = &v.bundle.signer;
                let (sans, issuer) = match signer {
                    SignerEvidence::Certificate { sans, issuer, .. } => {
                        (sans.as_slice(), issuer.as_deref())
                    }
                    _ => (&[][..], None),
                };
                identity.check(sans, issuer, &signer.extension_values())?;
            }
        }
        Ok(evidence(&verified))
    }
}
