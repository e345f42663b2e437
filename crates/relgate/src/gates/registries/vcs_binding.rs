//! `vcs-binding`: what the registries serve was built from the release tag's commit. Each
//! served artifact's record of its source commit — a `.crate`'s `.cargo_vcs_info.json`, an npm
//! version's `gitHead`, the source digest of the SLSA provenance and PEP 740 attestations the
//! registries serve, an image's `org.opencontainers.image.revision` label — must equal the
//! commit the tag points at.

use attest::{FulcioExtension, SignerEvidence, Statement, Verification, Verifier};
use serde_json::{Value, json};

use crate::artifacts::{LocalArtifact, local_artifacts};
use crate::finding::{Finding, Location};
use crate::gate::{BlockingGate, GateContext, GateResult, StandardGate};
use crate::gates::registries::common::gate_error;
use crate::gates::registries::readback::RegistryReadbackGate;
use crate::gates::registries::vcs_records::{Record, crate_record, judge, requires};
use crate::gates::signing::attest::{provenance_policy, read_artifact, verifier_or_findings};
use crate::policy::model::{ArtifactKind, Policy, RegistryKind};
use crate::policy::vcs::{VcsBindingRules, VcsRecord};
use crate::registry_client::{
    Client, Target, chain, client_for, http_client, release_version, targets,
};
use crate::release_source::Inputs;

/// Every served artifact of the release records the tag's commit: `vcs-commit-mismatch` (another
/// commit, or a prefix `[vcs-binding] allow-short-commit` does not allow), `vcs-commit-missing`
/// (no commit, where `[vcs-binding] require` names the kind), `vcs-dirty` (a `.crate` packaged
/// from a dirty tree). Runs after `registry-readback`, whose verified comparison of the served
/// `.crate` bytes it relies on (nothing is downloaded twice); no tag commit is a gate error.
#[derive(Debug, Clone, Copy, Default)]
pub struct VcsBindingGate;

/// The SLSA provenance predicate npm serves beside its publish attestation.
const SLSA_V1: &str = "https://slsa.dev/provenance/v1";

/// What every reader needs.
struct Run<'a> {
    ctx: &'a GateContext,
    rules: &'a VcsBindingRules,
    version: String,
    locals: Vec<LocalArtifact>,
    http: regclient::HttpClient,
    /// The verifier of `[signing]`, built on first use (`Err`: why there is none).
    verifier: Option<Result<Verifier, String>>,
    records: Vec<Record>,
    /// Gate errors about single artifacts (blocking, as `gate-error`).
    errors: Vec<Finding>,
}

impl BlockingGate for VcsBindingGate {
    const ID: &'static str = "vcs-binding";

    fn run_blocking(&self, ctx: &GateContext) -> GateResult {
        let Some(rules) = &ctx.policy.vcs_binding else {
            return GateResult::error("vcs-binding needs a [vcs-binding] section in the policy");
        };
        let expected = match tag_commit(ctx) {
            Ok(c) => c,
            Err(e) => return GateResult::error(e),
        };
        let targets = match targets(ctx) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let version = match release_version(ctx) {
            Ok(v) => v,
            Err(r) => return r,
        };
        let locals = match local_artifacts(&ctx.policy, &ctx.release_dir) {
            Ok(a) => a,
            Err(e) => return GateResult::error(chain(&e)),
        };
        let mut run = Run {
            ctx,
            rules,
            version,
            locals,
            http: http_client(ctx),
            verifier: None,
            records: Vec::new(),
            errors: Vec::new(),
        };
        let readback = ctx.evidence_of(RegistryReadbackGate::ID);
        for t in &targets {
            if ctx.cancel.is_cancelled() {
                return GateResult::error("the run was cancelled");
            }
            let read = match t.rule.kind {
                RegistryKind::Cargo => run.crates(t, readback.as_ref()),
                RegistryKind::Npm => run.npm(t),
                RegistryKind::Pypi => run.pep740(t),
                RegistryKind::Oci => run.image(t),
                _ => Ok(()),
            };
            if let Err(e) = read {
                run.errors.push(gate_error(t.subject(&run.version), e));
            }
        }
        let (mut findings, evidence) = judge(rules, &ctx.policy, &expected, &run.records);
        findings.extend(run.errors);
        GateResult::from_findings(findings)
            .with_evidence("commit", json!(expected))
            .with_evidence("records", Value::from(evidence))
    }
}

/// The commit the release tag points at (annotated tags peeled), from the source repository;
/// when the run also names a commit, it must be that one. No tag, or a tag that does not
/// resolve, is an error: there is nothing to bind the served artifacts to.
fn tag_commit(ctx: &GateContext) -> Result<String, String> {
    let Some(tag) = &ctx.tag else {
        return Err(String::from(
            "no release tag: the commit the served artifacts must record is the tag's",
        ));
    };
    let inputs = Inputs::of(ctx);
    let repo = inputs
        .repo()
        .map_err(|e| format!("cannot resolve the tag {tag}: {e}"))?;
    let commit = repo
        .tag_commit(tag)
        .map_err(|e| format!("cannot resolve the tag {tag}: {e}"))?
        .ok_or_else(|| {
            format!(
                "the tag {tag} does not exist in {}: no commit to bind the served artifacts to",
                repo.dir().display()
            )
        })?
        .to_ascii_lowercase();
    if let Some(given) = &ctx.commit
        && !given.eq_ignore_ascii_case(&commit)
    {
        return Err(format!(
            "the run names commit {given}, but the tag {tag} points at {commit}"
        ));
    }
    Ok(commit)
}

impl Run<'_> {
    /// The local artifacts of `kinds` that belong to `t`'s package.
    fn mine(&self, t: &Target, kinds: &[ArtifactKind]) -> Vec<LocalArtifact> {
        t.own(&self.locals, &self.version, kinds)
            .into_iter()
            .cloned()
            .collect()
    }

    fn policy(&self) -> &Policy {
        &self.ctx.policy
    }

    /// Whether records of `kind` are required (provenance is read only then).
    fn wants(&self, kind: VcsRecord) -> bool {
        requires(self.rules, self.policy(), kind)
    }

    /// The `[signing]` verifier, or why there is none.
    fn verifier(&mut self) -> Result<Verifier, String> {
        if self.verifier.is_none() {
            let v = match &self.ctx.policy.signing {
                None => Err(String::from(
                    "reading provenance needs [signing] (the trust root and publisher to verify it with)",
                )),
                Some(s) => match verifier_or_findings(&self.ctx.policy, &self.ctx.release_dir, s) {
                    Ok(Ok(v)) => Ok(v),
                    Ok(Err(refused)) => Err(refused
                        .iter()
                        .map(|f| f.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")),
                    Err(e) => Err(e),
                },
            };
            self.verifier = Some(v);
        }
        match &self.verifier {
            Some(Ok(v)) => Ok(v.clone()),
            Some(Err(e)) => Err(e.clone()),
            None => Err(String::from("no verifier")),
        }
    }

    /// Each `.crate` of the release `t` serves: read from the bytes `registry-readback`
    /// verified as the served ones (the local file whose sha256 it found served).
    fn crates(
        &mut self,
        t: &Target,
        readback: Option<&crate::gate::Evidence>,
    ) -> Result<(), String> {
        let rows: Vec<&crate::Json> = readback
            .and_then(|e| e.get("files"))
            .and_then(crate::Json::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        for a in self.mine(t, &[ArtifactKind::Crate]) {
            let name = a.path.rsplit('/').next().unwrap_or(&a.path).to_owned();
            let subject = format!("{name} on {}", t.name);
            let row = rows.iter().find(|r| {
                r["registry"].as_str() == Some(t.name.as_str())
                    && r["name"].as_str() == Some(name.as_str())
                    && r["outcome"].as_str() == Some("same")
            });
            let served = row
                .and_then(|r| r["sha256"].as_str())
                .and_then(|s| s.parse::<artidigest::Digest>().ok());
            let Some(served) = served else {
                self.errors.push(gate_error(
                    subject,
                    String::from(
                        "registry-readback did not verify the served bytes of this .crate in this run (vcs-binding reads the bytes it verified; keep registry-readback before vcs-binding)",
                    ),
                ));
                continue;
            };
            match crate_record(&self.ctx.release_dir, &a.path, &served, &subject) {
                Ok(r) => self.records.push(r),
                Err(e) => self.errors.push(gate_error(subject, e)),
            }
        }
        Ok(())
    }

    /// The npm version document's `gitHead`, and the source digest of the SLSA provenance on
    /// the registry's attestations endpoint.
    fn npm(&mut self, t: &Target) -> Result<(), String> {
        let Client::Npm(npm) = client_for(t, &self.http)? else {
            return Ok(());
        };
        let package = &t.rule.package;
        let v = self.version.clone();
        let subject = format!("{package}@{v} on {}", t.name);
        let doc = npm
            .version_document(package, &v)
            .map_err(|e| format!("registry {}: {}", t.name, chain(&e)))?
            .ok_or_else(|| format!("registry {}: {package}@{v} is not served", t.name))?;
        self.records.push(Record::new(
            VcsRecord::Npm,
            subject.clone(),
            Location::file(format!("{package}@{v} version document")).key("gitHead"),
            doc.git_head.clone(),
        ));
        if !self.wants(VcsRecord::Provenance) {
            return Ok(());
        }
        let (Some(prov), Some(signing), Some(tag)) = (
            &self.ctx.policy.provenance,
            &self.ctx.policy.signing,
            &self.ctx.tag,
        ) else {
            return Err(String::from(
                "reading npm provenance needs [provenance] and [signing] to verify it (or drop \"provenance\" from [vcs-binding] require)",
            ));
        };
        let (pp, _, _) = provenance_policy(prov, signing, tag);
        let verifier = self.verifier()?;
        let served = npm
            .attestations_for(&doc)
            .map_err(|e| format!("registry {}: {}", t.name, chain(&e)))?;
        let where_ = format!("{package}@{v} SLSA provenance");
        let Some(slsa) = served.iter().find(|x| x.predicate_type == SLSA_V1) else {
            self.records.push(Record::new(
                VcsRecord::Provenance,
                subject,
                Location::file(where_),
                None,
            ));
            return Ok(());
        };
        let digests: Vec<Vec<artidigest::Digest>> = self
            .mine(t, &[ArtifactKind::NpmTarball])
            .iter()
            .map(|a| read_artifact(&self.ctx.release_dir, a).map(|x| x.digests()))
            .collect::<Result<_, _>>()?;
        if digests.is_empty() {
            return Err(format!(
                "no local tarball of {package} {v} to verify its provenance for"
            ));
        }
        let verified =
            attest::verify_provenance(&verifier, slsa.bundle.get().as_bytes(), &digests, &pp)
                .map_err(|e| format!("{where_} does not verify: {e}"))?;
        for pv in verified {
            self.statement_records(&subject, &where_, pv.bundle.statement.as_ref(), None);
        }
        Ok(())
    }

    /// The records of one verified statement: its SLSA source commits; for a statement that is
    /// not SLSA provenance (a PEP 740 publish attestation), the source-repository digest of the
    /// verified certificate; a record without a commit when it has neither.
    fn statement_records(
        &mut self,
        subject: &str,
        where_: &str,
        st: Option<&Statement>,
        verified: Option<&Verification>,
    ) {
        let commits = st.and_then(attest::source_commits);
        match commits {
            Some(list) if !list.is_empty() => {
                for c in list {
                    self.records.push(Record::new(
                        VcsRecord::Provenance,
                        subject,
                        Location::file(where_).key(c.pointer),
                        Some(c.commit),
                    ));
                }
            }
            Some(_) => self.records.push(Record::new(
                VcsRecord::Provenance,
                subject,
                Location::file(where_).key("/predicate"),
                None,
            )),
            None => {
                let cert = verified.and_then(|v| match &v.signer {
                    SignerEvidence::Certificate { .. } => v
                        .signer
                        .extension_values()
                        .get(&FulcioExtension::SourceRepositoryDigest)
                        .cloned(),
                    _ => None,
                });
                self.records.push(Record::new(
                    VcsRecord::Provenance,
                    subject,
                    Location::file(format!("{where_} certificate"))
                        .key(FulcioExtension::SourceRepositoryDigest.name()),
                    cert,
                ));
            }
        }
    }

    /// The PEP 740 attestations the index serves for each local wheel and sdist of `t`,
    /// verified as `pep740-attestations` verifies them.
    fn pep740(&mut self, t: &Target) -> Result<(), String> {
        if !self.wants(VcsRecord::Provenance) {
            return Ok(());
        }
        let Client::Pypi(index) = client_for(t, &self.http)? else {
            return Ok(());
        };
        let Some(signing) = self.ctx.policy.signing.clone() else {
            return Err(String::from(
                "reading PEP 740 attestations needs [signing] to verify them (or drop \"provenance\" from [vcs-binding] require)",
            ));
        };
        let publisher = signing
            .pep740_publisher(self.ctx.tag.as_deref().unwrap_or_default())
            .map_err(|e| format!("[signing]: {}", e.detail()))?;
        let verifier = self.verifier()?;
        for a in self.mine(t, &[ArtifactKind::Wheel, ArtifactKind::Sdist]) {
            let name = a.path.rsplit('/').next().unwrap_or(&a.path).to_owned();
            let subject = format!("{name} on {}", t.name);
            let where_ = format!("{name} PEP 740 provenance");
            let doc = index
                .provenance(&t.rule.package, &self.version, &name)
                .map_err(|e| format!("registry {}: {}", t.name, chain(&e)))?;
            let Some(doc) = doc else {
                self.records.push(Record::new(
                    VcsRecord::Provenance,
                    subject,
                    Location::file(where_),
                    None,
                ));
                continue;
            };
            let bytes = serde_json::to_vec(&json!({
                "version": doc.version,
                "attestation_bundles": doc.attestation_bundles,
            }))
            .map_err(|e| e.to_string())?;
            let artifact = read_artifact(&self.ctx.release_dir, &a)?;
            let verified = attest::verify_pypi_provenance(
                &verifier,
                &bytes,
                &artifact,
                &name,
                Some(&publisher),
            )
            .map_err(|e| format!("{where_} does not verify: {e}"))?;
            for v in &verified {
                self.statement_records(&subject, &where_, v.statement.as_ref(), Some(v));
            }
        }
        Ok(())
    }

    /// The revision label of the image `t` serves for the version: of every platform's
    /// configuration when the tag is an index.
    fn image(&mut self, t: &Target) -> Result<(), String> {
        let images =
            t.rule.artifacts.is_empty() || t.rule.artifacts.contains(&ArtifactKind::OciImage);
        if !images {
            return Ok(());
        }
        let Client::Oci(oci) = client_for(t, &self.http)? else {
            return Ok(());
        };
        let repo = &t.rule.package;
        let v = &self.version;
        let err = |e: regclient::oci::Error| format!("registry {}: {}", t.name, chain(&e));
        let top = oci
            .manifest(repo, v)
            .map_err(err)?
            .ok_or_else(|| format!("registry {}: {repo}:{v} is not served", t.name))?;
        let mut manifests = Vec::new();
        if top.is_index() {
            for d in &top.manifest.manifests {
                // Attestation manifests of an index (platform unknown/unknown) are not images.
                if d.platform.as_ref().is_some_and(|p| p.os == "unknown") {
                    continue;
                }
                let label = d
                    .platform
                    .as_ref()
                    .map_or_else(|| d.digest.to_string(), ToString::to_string);
                manifests.push((label, oci.manifest_for(repo, d).map_err(err)?));
            }
        } else {
            manifests.push((String::new(), top));
        }
        for (platform, m) in manifests {
            let subject = if platform.is_empty() {
                format!("{repo}:{v} on {}", t.name)
            } else {
                format!("{repo}:{v} {platform} on {}", t.name)
            };
            let Some(config) = &m.manifest.config else {
                return Err(format!(
                    "{subject}: the manifest {} has no config",
                    m.digest
                ));
            };
            let image_config = oci.image_config(repo, config).map_err(err)?;
            self.records.push(Record::new(
                VcsRecord::Image,
                subject,
                Location::file(format!("{repo}@{} config", config.digest))
                    .key(format!("config.Labels.{}", regclient::oci::REVISION_LABEL)),
                image_config.revision().map(str::to_owned),
            ));
        }
        Ok(())
    }
}
