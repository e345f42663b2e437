//! PEP 740 attestation objects, PyPI provenance documents and Trusted Publishers.

use serde_json::Value;

use crate::bundle::Bundle;
use crate::encoding::b64;
use crate::error::{
    BundleError, CertificateError, Error, ErrorKind, IdentityError, InputError, PolicyError,
    ProvenanceError, err, exactly_one,
};
use crate::extensions::FulcioExtension;
use crate::intoto::INTOTO_PAYLOAD_TYPE;
use crate::limits::check_limit;
use crate::policy::{GITHUB_ACTIONS_ISSUER, IdentityPolicy};
use crate::verify::{Artifact, Policy, SignerEvidence, Verification, Verifier};

/// The GitLab OIDC issuer.
pub const GITLAB_ISSUER: &str = "https://gitlab.com";

/// A Trusted Publisher: who may publish a distribution.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum Publisher {
    /// GitHub Actions: `owner/repo` and a workflow file name (`release.yml`).
    GitHub {
        /// `owner/repo`.
        repository: String,
        /// Workflow file name under `.github/workflows/`.
        workflow: String,
    },
    /// GitLab CI/CD: `namespace/project` and the CI file path (`.gitlab-ci.yml`).
    GitLab {
        /// `namespace/project`.
        repository: String,
        /// The CI configuration file path.
        workflow_filepath: String,
    },
    /// Any other identity, checked by an identity policy.
    Identity(IdentityPolicy),
}

impl Publisher {
    /// Read a publisher object of a PyPI provenance document (`kind`, `repository`, `workflow`
    /// or `workflow_filepath`) from its JSON text.
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        let v: Value = serde_json::from_slice(json).map_err(|e| {
            err(PolicyError::Invalid, format!("publisher is not JSON: {e}")).with_source(e)
        })?;
        Self::from_value(&v)
    }

    /// Read a publisher object already parsed as JSON.
    pub(crate) fn from_value(v: &Value) -> Result<Self, Error> {
        let get = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        match get("kind").as_deref() {
            Some("GitHub") => Ok(Publisher::GitHub {
                repository: get("repository").ok_or_else(|| {
                    err(PolicyError::Invalid, "GitHub publisher without repository")
                })?,
                workflow: get("workflow").ok_or_else(|| {
                    err(PolicyError::Invalid, "GitHub publisher without workflow")
                })?,
            }),
            Some("GitLab") => Ok(Publisher::GitLab {
                repository: get("repository").ok_or_else(|| {
                    err(PolicyError::Invalid, "GitLab publisher without repository")
                })?,
                workflow_filepath: get("workflow_filepath").ok_or_else(|| {
                    err(
                        PolicyError::Invalid,
                        "GitLab publisher without workflow_filepath",
                    )
                })?,
            }),
            other => Err(err(
                PolicyError::Invalid,
                format!("unsupported publisher kind {other:?}"),
            )),
        }
    }

    fn key(&self) -> Option<(&str, &str, &str)> {
        match self {
            Publisher::GitHub {
                repository,
                workflow,
            } => Some(("GitHub", repository, workflow)),
            Publisher::GitLab {
                repository,
                workflow_filepath,
            } => Some(("GitLab", repository, workflow_filepath)),
            Publisher::Identity(_) => None,
        }
    }

    fn identity_policy(&self) -> IdentityPolicy {
        match self {
            Publisher::GitHub { repository, .. } => {
                IdentityPolicy::any_identity(GITHUB_ACTIONS_ISSUER).with_extension(
                    FulcioExtension::SourceRepositoryUri,
                    format!("https://github.com/{repository}"),
                )
            }
            Publisher::GitLab { repository, .. } => IdentityPolicy::any_identity(GITLAB_ISSUER)
                .with_extension(
                    FulcioExtension::SourceRepositoryUri,
                    format!("https://gitlab.com/{repository}"),
                ),
            Publisher::Identity(p) => p.clone(),
        }
    }

    fn check_build_config(&self, v: &Verification) -> Result<(), Error> {
        let prefix = match self {
            Publisher::GitHub {
                repository,
                workflow,
            } => format!("https://github.com/{repository}/.github/workflows/{workflow}@"),
            Publisher::GitLab {
                repository,
                workflow_filepath,
            } => format!("https://gitlab.com/{repository}//{workflow_filepath}@"),
            Publisher::Identity(_) => return Ok(()),
        };
        let SignerEvidence::Certificate { extensions, .. } = &v.signer else {
            return Err(err(
                BundleError::KeyNotExpected,
                "PEP 740 attestations are signed keylessly",
            ));
        };
        let cfg = extensions
            .get(FulcioExtension::BuildConfigUri.name())
            .map(String::as_str)
            .unwrap_or_default();
        if !cfg.starts_with(&prefix) {
            return Err(err(
                IdentityError::PublisherMismatch,
                format!("Build Config URI {cfg:?} is not the publisher's workflow {prefix:?}"),
            ));
        }
        Ok(())
    }
}

/// Convert a PEP 740 attestation object to a v0.3 bundle.
pub fn attestation_to_bundle(bytes: &[u8], verifier: &Verifier) -> Result<Bundle, Error> {
    let limits = verifier.limits();
    check_limit(bytes.len(), limits.max_bundle_bytes, |n, _| {
        format!("attestation is {n} bytes")
    })?;
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| err(BundleError::Malformed, "attestation is not JSON").with_source(e))?;
    attestation_value_to_bundle(&v, verifier)
}

/// The string `key` of `v` (a part of the attestation named `what`), or a `kind` error saying
/// `what` has none.
fn str_field<'v>(
    v: &'v Value,
    key: &str,
    kind: impl Into<ErrorKind>,
    what: &str,
) -> Result<&'v str, Error> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| err(kind, format!("{what} has no {key}")))
}

fn attestation_value_to_bundle(v: &Value, verifier: &Verifier) -> Result<Bundle, Error> {
    if v.get("version").and_then(Value::as_u64) != Some(1) {
        return Err(err(
            BundleError::VersionUnsupported,
            "PEP 740 attestation version is not 1",
        ));
    }
    let vm = v.get("verification_material").ok_or_else(|| {
        err(
            BundleError::Malformed,
            "attestation has no verification_material",
        )
    })?;
    let cert = str_field(vm, "certificate", CertificateError::Missing, "attestation")?;
    let entries = vm
        .get("transparency_entries")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let env = v
        .get("envelope")
        .ok_or_else(|| err(BundleError::Malformed, "attestation has no envelope"))?;
    let statement = str_field(env, "statement", BundleError::DsseInvalid, "envelope")?;
    let signature = str_field(env, "signature", BundleError::DsseInvalid, "envelope")?;
    // Validate encodings before re-wrapping.
    b64(BundleError::DsseInvalid, "envelope.statement", statement)?;
    b64(BundleError::DsseInvalid, "envelope.signature", signature)?;
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": cert},
            "tlogEntries": entries,
        },
        "dsseEnvelope": {
            "payload": statement,
            "payloadType": INTOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": signature}],
        },
    });
    let bytes = serde_json::to_vec(&bundle)
        .map_err(|e| err(BundleError::Malformed, "cannot re-wrap attestation").with_source(e))?;
    Bundle::from_json_with_limits(&bytes, verifier.limits())
}

/// The name/version key of a distribution file name, normalised per the wheel and sdist
/// file-name rules (name lower-cased with runs of `-_.` as `_`): see
/// [`artidigest::names::distribution_key`], where the rules live.
pub fn normalize_distribution_filename(filename: &str) -> Option<String> {
    artidigest::names::distribution_key(filename)
}

/// Verify a PEP 740 attestation (a bundle, or an attestation object when `is_attestation`)
/// over a distribution file: the signature and log evidence verify, the publisher matches the
/// certificate, the statement has exactly one subject naming `filename` (normalised) with the
/// distribution's digest, and the predicate is the PEP 740 publish or SLSA v1 predicate.
pub fn verify_pep740(
    verifier: &Verifier,
    attestation: &[u8],
    is_attestation: bool,
    distribution: &Artifact<'_>,
    filename: &str,
    publisher: &Publisher,
) -> Result<Verification, Error> {
    let bundle = if is_attestation {
        attestation_to_bundle(attestation, verifier)?
    } else {
        Bundle::from_json_with_limits(attestation, verifier.limits())?
    };
    let v = verifier.verify(
        &bundle,
        distribution,
        &Policy::Identity(publisher.identity_policy()),
    )?;
    publisher.check_build_config(&v)?;
    let st = v.statement.as_ref().ok_or_else(|| {
        err(
            ProvenanceError::StatementMalformed,
            "attestation holds no statement",
        )
    })?;
    if !(st.predicate_type.ends_with("/attestations/publish/v1")
        || st.predicate_type == "https://slsa.dev/provenance/v1")
    {
        return Err(err(
            ProvenanceError::StatementMalformed,
            format!(
                "predicate type {:?} is not a PEP 740 predicate",
                st.predicate_type
            ),
        ));
    }
    let subject = exactly_one(&st.subjects, |n| {
        err(
            ProvenanceError::DistributionMismatch,
            format!("statement has {n} subjects; PEP 740 needs exactly one"),
        )
    })?;
    let want = normalize_distribution_filename(filename).ok_or_else(|| {
        err(
            ProvenanceError::DistributionMismatch,
            format!("{filename:?} is not a distribution file name"),
        )
    })?;
    let have = normalize_distribution_filename(&subject.name);
    if have.as_deref() != Some(want.as_str()) {
        return Err(err(
            ProvenanceError::DistributionMismatch,
            format!(
                "subject {:?} does not name the distribution {filename:?}",
                subject.name
            ),
        ));
    }
    Ok(v)
}

/// Verify every attestation of a PyPI provenance document (the JSON of the PEP 740 provenance
/// endpoint: `{"version": 1, "attestation_bundles": [{"publisher": {...}, "attestations":
/// [...]}]}`) over one distribution file. Each bundle's publisher becomes the expected signer
/// identity (repository extension and workflow); when `expected_publisher` is given, every
/// bundle's publisher must be it. At least one attestation must be present, no bundle may be
/// empty, and every attestation must verify.
pub fn verify_pypi_provenance(
    verifier: &Verifier,
    provenance: &[u8],
    distribution: &Artifact<'_>,
    filename: &str,
    expected_publisher: Option<&Publisher>,
) -> Result<Vec<Verification>, Error> {
    check_limit(
        provenance.len(),
        verifier.limits().max_bundle_bytes,
        |_, _| "provenance document too large".to_owned(),
    )?;
    let doc: Value = serde_json::from_slice(provenance)
        .map_err(|e| err(BundleError::Malformed, "provenance is not JSON").with_source(e))?;
    if doc.get("version").and_then(Value::as_u64) != Some(1) {
        return Err(err(
            BundleError::VersionUnsupported,
            "provenance version is not 1",
        ));
    }
    let bundles = doc
        .get("attestation_bundles")
        .and_then(Value::as_array)
        .ok_or_else(|| err(BundleError::Malformed, "no attestation_bundles"))?;
    let mut out = Vec::new();
    for (i, b) in bundles.iter().enumerate() {
        let publisher = Publisher::from_value(b.get("publisher").unwrap_or(&Value::Null))?;
        if let Some(exp) = expected_publisher
            && (exp.key().is_none() || exp.key() != publisher.key())
        {
            return Err(err(
                IdentityError::PublisherMismatch,
                format!("attestation_bundles[{i}]: publisher is not the expected one"),
            ));
        }
        let atts = b
            .get("attestations")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                err(
                    BundleError::Malformed,
                    format!("attestation_bundles[{i}] has no attestations"),
                )
            })?;
        if atts.is_empty() {
            return Err(err(
                ProvenanceError::Empty,
                format!("attestation_bundles[{i}].attestations is empty"),
            ));
        }
        if atts.len() > verifier.limits().max_jsonl_lines {
            return Err(err(InputError::LimitExceeded, "too many attestations"));
        }
        for a in atts {
            let bytes = serde_json::to_vec(a)
                .map_err(|e| err(BundleError::Malformed, "bad attestation").with_source(e))?;
            out.push(verify_pep740(
                verifier,
                &bytes,
                true,
                distribution,
                filename,
                &publisher,
            )?);
        }
    }
    if out.is_empty() {
        return Err(err(
            ProvenanceError::Empty,
            "provenance attestation_bundles is empty",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_names_normalise() {
        assert_eq!(
            normalize_distribution_filename("rfc8785-0.1.2-py3-none-any.whl").as_deref(),
            Some("rfc8785-0.1.2-py3-none-any.whl")
        );
        assert_eq!(
            normalize_distribution_filename("Pypi.Attestation-Models-0.0.4a2.tar.gz"),
            normalize_distribution_filename("pypi_attestation_models-0.0.4a2.tar.gz")
        );
        assert_ne!(
            normalize_distribution_filename("wrong_name-0.1.2-py3-none-any.whl"),
            normalize_distribution_filename("rfc8785-0.1.2-py3-none-any.whl")
        );
        assert_eq!(normalize_distribution_filename("x.txt"), None);
    }
}
