//! The Sigstore bundle (v0.1, v0.2, v0.3 in both media-type spellings).

use std::path::Path;

use serde::Deserialize;

use crate::dsse::Envelope;
use crate::encoding::b64;
use crate::error::{BundleError, CertificateError, Error, InputError, TimeError, TlogError, err};
use crate::limits::{Limits, check_limit};

pub use crate::bundle_version::BundleVersion;

/// What the bundle says signed: a certificate (with optional chain) or a managed key.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerMaterial {
    /// A leaf certificate (DER) and any further chain certificates the bundle carries.
    Certificate {
        /// The signing (leaf) certificate, DER.
        leaf: Vec<u8>,
        /// Further chain certificates, DER, leaf-most first.
        chain: Vec<Vec<u8>>,
    },
    /// A managed key, identified only by a hint; the caller supplies the key.
    PublicKey {
        /// The bundle's key hint, if any.
        hint: Option<String>,
    },
}

/// The signed content.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A signature over an artifact (hashedrekord).
    MessageSignature {
        /// The message digest the bundle claims (algorithm name, bytes), if present.
        digest: Option<(String, Vec<u8>)>,
        /// The signature bytes.
        signature: Vec<u8>,
    },
    /// A DSSE envelope.
    Dsse(Envelope),
}

/// An RFC 6962 inclusion proof with its checkpoint.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// The leaf index within the tree (shard) the proof is for.
    pub log_index: u64,
    /// The claimed root hash.
    pub root_hash: Vec<u8>,
    /// The tree size.
    pub tree_size: u64,
    /// The audit path.
    pub hashes: Vec<Vec<u8>>,
    /// The signed-note checkpoint text, if present.
    pub checkpoint: Option<String>,
}

/// One transparency-log entry.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogEntry {
    /// The global log index.
    pub log_index: u64,
    /// The log id (key id).
    pub log_id: Vec<u8>,
    /// The entry kind (`hashedrekord`, `dsse`, `intoto`).
    pub kind: String,
    /// The entry kind version (`0.0.1`, `0.0.2`).
    pub version: String,
    /// The integrated time (0 for Rekor v2 entries, which have none).
    pub integrated_time: i64,
    /// The signed entry timestamp, if present.
    pub signed_entry_timestamp: Option<Vec<u8>>,
    /// The inclusion proof, if present.
    pub inclusion_proof: Option<InclusionProof>,
    /// The canonicalised body bytes.
    pub body: Vec<u8>,
}

/// A parsed Sigstore bundle. Parsing checks structure, encodings and limits; nothing is
/// verified until [`Verifier::verify`](crate::Verifier::verify).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The media type as written.
    pub media_type: String,
    /// The format version.
    pub version: BundleVersion,
    /// Certificate or key material.
    pub signer: SignerMaterial,
    /// Transparency-log entries.
    pub tlog_entries: Vec<TlogEntry>,
    /// RFC 3161 timestamp responses/tokens (DER).
    pub timestamps: Vec<Vec<u8>>,
    /// The signed content.
    pub content: Content,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    media_type: Option<String>,
    verification_material: Option<RawMaterial>,
    message_signature: Option<RawMessageSignature>,
    dsse_envelope: Option<crate::dsse::RawEnvelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMaterial {
    x509_certificate_chain: Option<RawChain>,
    certificate: Option<RawCert>,
    public_key: Option<RawKeyHint>,
    #[serde(default)]
    tlog_entries: Vec<RawTlogEntry>,
    timestamp_verification_data: Option<RawTsData>,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawCert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCert {
    raw_bytes: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKeyHint {
    hint: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTsData {
    #[serde(default)]
    rfc3161_timestamps: Vec<RawTs>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTs {
    signed_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTlogEntry {
    log_index: Option<serde_json::Value>,
    log_id: Option<RawLogId>,
    kind_version: Option<RawKindVersion>,
    integrated_time: Option<serde_json::Value>,
    inclusion_promise: Option<RawPromise>,
    inclusion_proof: Option<RawProof>,
    canonicalized_body: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: Option<String>,
}

#[derive(Deserialize)]
struct RawKindVersion {
    kind: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPromise {
    signed_entry_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    log_index: Option<serde_json::Value>,
    root_hash: Option<String>,
    tree_size: Option<serde_json::Value>,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
struct RawCheckpoint {
    envelope: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: Option<RawDigest>,
    signature: Option<String>,
}

#[derive(Deserialize)]
struct RawDigest {
    algorithm: Option<String>,
    digest: Option<String>,
}

/// Which field of `verificationMaterial` held the signing certificate.
#[derive(Clone, Copy)]
enum CertForm {
    Chain,
    Single,
}

fn malformed(detail: impl Into<String>) -> Error {
    err(BundleError::Malformed, detail)
}

/// A field of the raw bundle that must be present: absent is `Malformed`, "`field` is missing".
trait Required<T> {
    fn required(self, field: &str) -> Result<T, Error>;
}

impl<T> Required<T> for Option<T> {
    fn required(self, field: &str) -> Result<T, Error> {
        self.ok_or_else(|| malformed(format!("{field} is missing")))
    }
}

/// Protobuf-JSON int64: a decimal string or a JSON number; negative values are refused.
pub(crate) fn json_u64(v: Option<&serde_json::Value>, field: &str) -> Result<u64, Error> {
    match v {
        Some(serde_json::Value::String(s)) => s
            .parse::<u64>()
            .map_err(|_| malformed(format!("{field}: {s:?} is not a non-negative integer"))),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| malformed(format!("{field}: {n} is not a non-negative integer"))),
        None => Err(malformed(format!("{field} is missing"))),
        Some(other) => Err(malformed(format!("{field}: {other} is not an integer"))),
    }
}

impl Bundle {
    /// Parse a bundle from JSON bytes with default [`Limits`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_json_with_limits(bytes, &Limits::default())
    }

    /// Read and parse a bundle file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let bytes = crate::trust_root::read_capped(path, Limits::default().max_bundle_bytes)?;
        Self::from_json(&bytes)
            .map_err(|e| Error::new(e.kind(), format!("{}: {}", path.display(), e.detail())))
    }

    /// Parse a bundle from JSON bytes.
    pub fn from_json_with_limits(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        check_limit(bytes.len(), limits.max_bundle_bytes, |n, l| {
            format!("bundle is {n} bytes; limit {l}")
        })?;
        let raw: RawBundle = serde_json::from_slice(bytes)
            .map_err(|e| malformed(format!("bundle is not valid JSON: {e}")).with_source(e))?;
        Self::from_raw(raw, limits)
    }

    fn from_raw(raw: RawBundle, limits: &Limits) -> Result<Self, Error> {
        let media_type = raw.media_type.required("mediaType")?;
        let version = BundleVersion::from_media_type(&media_type).ok_or_else(|| {
            err(
                BundleError::VersionUnsupported,
                format!("unsupported bundle mediaType {media_type:?}"),
            )
        })?;
        let vm = raw.verification_material.required("verificationMaterial")?;

        let cert_form = match (&vm.x509_certificate_chain, &vm.certificate) {
            (Some(_), None) => Some(CertForm::Chain),
            (None, Some(_)) => Some(CertForm::Single),
            _ => None,
        };
        let signer = match (vm.x509_certificate_chain, vm.certificate, vm.public_key) {
            (Some(chain), None, None) => {
                if chain.certificates.is_empty() {
                    return Err(err(
                        CertificateError::Missing,
                        "x509CertificateChain is empty",
                    ));
                }
                check_limit(chain.certificates.len(), limits.max_chain_len, |n, l| {
                    format!("certificate chain has {n} certificates; limit {l}")
                })?;
                let mut ders = Vec::new();
                for (i, c) in chain.certificates.iter().enumerate() {
                    let field = format!("x509CertificateChain.certificates[{i}].rawBytes");
                    let text = c.raw_bytes.as_deref().ok_or_else(|| {
                        err(CertificateError::Missing, format!("{field} is missing"))
                    })?;
                    let der_bytes = b64(BundleError::Malformed, &field, text)?;
                    if der_bytes.is_empty() {
                        return Err(err(CertificateError::Missing, format!("{field} is empty")));
                    }
                    ders.push(der_bytes);
                }
                let leaf = ders.remove(0);
                SignerMaterial::Certificate { leaf, chain: ders }
            }
            (None, Some(c), None) => {
                let text = c.raw_bytes.as_deref().ok_or_else(|| {
                    err(CertificateError::Missing, "certificate.rawBytes is missing")
                })?;
                let leaf = b64(BundleError::Malformed, "certificate.rawBytes", text)?;
                if leaf.is_empty() {
                    return Err(err(
                        CertificateError::Missing,
                        "certificate.rawBytes is empty",
                    ));
                }
                SignerMaterial::Certificate {
                    leaf,
                    chain: Vec::new(),
                }
            }
            (None, None, Some(k)) => SignerMaterial::PublicKey { hint: k.hint },
            (None, None, None) => {
                return Err(err(
                    CertificateError::Missing,
                    "verificationMaterial has no certificate or public key",
                ));
            }
            _ => {
                return Err(malformed(
                    "verificationMaterial holds more than one of certificate, chain and public key",
                ));
            }
        };
        // The certificate form follows the version (protobuf-specs `sigstore_bundle.proto`,
        // `VerificationMaterial`): v0.1 and v0.2 carry `x509CertificateChain` (the `certificate`
        // field does not exist before v0.3); v0.3 carries the leaf alone in `certificate`.
        match (version >= BundleVersion::V0_3, cert_form) {
            (true, Some(CertForm::Chain)) => {
                return Err(malformed(
                    "a v0.3 bundle must carry its signing certificate in `certificate`, not in \
                     `x509CertificateChain`",
                ));
            }
            (false, Some(CertForm::Single)) => {
                return Err(malformed(format!(
                    "a {version} bundle carries its certificate in `x509CertificateChain`; \
                     `certificate` exists from v0.3 on"
                )));
            }
            _ => {}
        }

        check_limit(vm.tlog_entries.len(), limits.max_tlog_entries, |n, l| {
            format!("{n} tlog entries; limit {l}")
        })?;
        let mut tlog_entries = Vec::new();
        for (i, e) in vm.tlog_entries.into_iter().enumerate() {
            tlog_entries.push(parse_entry(e, i, limits)?);
        }
        if tlog_entries.is_empty() {
            return Err(err(
                TlogError::EntryMissing,
                "bundle has no transparency log entry",
            ));
        }
        for (i, e) in tlog_entries.iter().enumerate() {
            match version {
                BundleVersion::V0_1 => {
                    if e.signed_entry_timestamp.is_none() {
                        return Err(err(
                            TlogError::SetInvalid,
                            format!("tlogEntries[{i}]: a v0.1 bundle needs an inclusion promise"),
                        ));
                    }
                }
                _ => {
                    if e.inclusion_proof.is_none() {
                        return Err(err(
                            TlogError::InclusionProofInvalid,
                            format!("tlogEntries[{i}]: a v0.2+ bundle needs an inclusion proof"),
                        ));
                    }
                }
            }
        }

        let raw_ts = vm
            .timestamp_verification_data
            .map(|t| t.rfc3161_timestamps)
            .unwrap_or_default();
        if raw_ts.len() > limits.max_timestamps {
            return Err(err(
                TimeError::TimestampTooMany,
                format!(
                    "{} RFC 3161 timestamps; limit {}",
                    raw_ts.len(),
                    limits.max_timestamps
                ),
            ));
        }
        let mut timestamps = Vec::new();
        let mut tst_infos: Vec<Vec<u8>> = Vec::new();
        for (i, t) in raw_ts.iter().enumerate() {
            let field = format!("rfc3161Timestamps[{i}].signedTimestamp");
            let text = t.signed_timestamp.as_deref().required(&field)?;
            let bytes = b64(BundleError::Malformed, &field, text)?;
            // The format is checked here (a DER TimeStampResp, nothing after it), and a
            // timestamp is identified by its TSTInfo: the same TSTInfo wrapped twice, or signed
            // twice, is one time source, not two.
            let tst = crate::rfc3161::tst_info_der(&bytes)
                .map_err(|e| err(e.kind(), format!("{field}: {}", e.detail())))?;
            if let Some(j) = tst_infos.iter().position(|x| *x == tst) {
                return Err(err(
                    TimeError::TimestampDuplicate,
                    format!("{field} repeats the TSTInfo of rfc3161Timestamps[{j}]"),
                ));
            }
            tst_infos.push(tst);
            timestamps.push(bytes);
        }

        if timestamps.is_empty()
            && tlog_entries
                .iter()
                .all(|e| e.signed_entry_timestamp.is_none())
        {
            return Err(err(
                TimeError::NoVerifiedTime,
                "bundle has neither an inclusion promise (SET) nor an RFC 3161 timestamp: no time source",
            ));
        }

        let content = match (raw.message_signature, raw.dsse_envelope) {
            (Some(ms), None) => {
                let signature = b64(
                    BundleError::Malformed,
                    "messageSignature.signature",
                    ms.signature
                        .as_deref()
                        .required("messageSignature.signature")?,
                )?;
                let digest = match ms.message_digest {
                    Some(d) => {
                        let alg = d.algorithm.unwrap_or_default();
                        let bytes = b64(
                            BundleError::Malformed,
                            "messageSignature.messageDigest.digest",
                            d.digest.as_deref().required("messageDigest.digest")?,
                        )?;
                        Some((alg, bytes))
                    }
                    None => None,
                };
                Content::MessageSignature { digest, signature }
            }
            (None, Some(env)) => Content::Dsse(Envelope::from_raw(env, limits)?),
            (None, None) => {
                return Err(malformed(
                    "bundle has neither messageSignature nor dsseEnvelope",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(malformed(
                    "bundle has both messageSignature and dsseEnvelope",
                ));
            }
        };

        Ok(Bundle {
            media_type,
            version,
            signer,
            tlog_entries,
            timestamps,
            content,
        })
    }

    /// The signature bytes RFC 3161 timestamps must cover (message signature or DSSE signature).
    pub(crate) fn signature_bytes(&self) -> &[u8] {
        match &self.content {
            Content::MessageSignature { signature, .. } => signature,
            Content::Dsse(env) => env
                .signatures
                .first()
                .map(|s| s.sig.as_slice())
                .unwrap_or(&[]),
        }
    }
}

fn parse_entry(e: RawTlogEntry, i: usize, limits: &Limits) -> Result<TlogEntry, Error> {
    let f = |n: &str| format!("tlogEntries[{i}].{n}");
    let log_index = json_u64(e.log_index.as_ref(), &f("logIndex"))?;
    let log_id = b64(
        BundleError::Malformed,
        &f("logId.keyId"),
        e.log_id
            .and_then(|l| l.key_id)
            .as_deref()
            .required(&f("logId.keyId"))?,
    )?;
    let kv = e.kind_version.required(&f("kindVersion"))?;
    let kind = kv.kind.required(&f("kindVersion.kind"))?;
    let version = kv.version.required(&f("kindVersion.version"))?;
    let integrated_time = match e.integrated_time.as_ref() {
        None => 0,
        Some(v) => i64::try_from(json_u64(Some(v), &f("integratedTime"))?)
            .map_err(|_| malformed(format!("{} is out of range", f("integratedTime"))))?,
    };
    let signed_entry_timestamp = match e.inclusion_promise.and_then(|p| p.signed_entry_timestamp) {
        Some(s) => Some(b64(
            TlogError::SetInvalid,
            &f("inclusionPromise.signedEntryTimestamp"),
            &s,
        )?),
        None => None,
    };
    let inclusion_proof = match e.inclusion_proof {
        None => None,
        Some(p) => {
            check_limit(p.hashes.len(), limits.max_proof_hashes, |n, l| {
                format!("{} has {n} hashes; limit {l}", f("inclusionProof"))
            })?;
            let hashes = p
                .hashes
                .iter()
                .enumerate()
                .map(|(j, h)| {
                    b64(
                        TlogError::InclusionProofInvalid,
                        &f(&format!("inclusionProof.hashes[{j}]")),
                        h,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            let checkpoint = p.checkpoint.and_then(|c| c.envelope);
            if checkpoint
                .as_ref()
                .is_some_and(|c| c.len() > limits.max_checkpoint_bytes)
            {
                return Err(err(
                    InputError::LimitExceeded,
                    format!("{} is too large", f("inclusionProof.checkpoint")),
                ));
            }
            Some(InclusionProof {
                log_index: json_u64(p.log_index.as_ref(), &f("inclusionProof.logIndex"))?,
                root_hash: b64(
                    TlogError::InclusionProofInvalid,
                    &f("inclusionProof.rootHash"),
                    p.root_hash
                        .as_deref()
                        .required(&f("inclusionProof.rootHash"))?,
                )?,
                tree_size: json_u64(p.tree_size.as_ref(), &f("inclusionProof.treeSize"))?,
                hashes,
                checkpoint,
            })
        }
    };
    let body = b64(
        BundleError::Malformed,
        &f("canonicalizedBody"),
        e.canonicalized_body
            .as_deref()
            .required(&f("canonicalizedBody"))?,
    )?;
    Ok(TlogEntry {
        log_index,
        log_id,
        kind,
        version,
        integrated_time,
        signed_entry_timestamp,
        inclusion_proof,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::test_support::assert_refused;

    fn minimal(extra_material: &str, content: &str, mt: &str) -> String {
        format!(
            r#"{{"mediaType":"{mt}","verificationMaterial":{{{extra_material}"tlogEntries":[{{"logIndex":"1","logId":{{"keyId":"AA=="}},"kindVersion":{{"kind":"hashedrekord","version":"0.0.1"}},"integratedTime":"5","inclusionPromise":{{"signedEntryTimestamp":"AA=="}},"inclusionProof":{{"logIndex":"1","rootHash":"AA==","treeSize":"2","hashes":[],"checkpoint":{{"envelope":"x"}}}},"canonicalizedBody":"e30="}}]}},{content}}}"#
        )
    }

    const SIG: &str = r#""messageSignature":{"signature":"AA=="}"#;

    #[test]
    fn versions_round_trip_and_unknown_ones_are_refused() {
        for v in [
            BundleVersion::V0_1,
            BundleVersion::V0_2,
            BundleVersion::V0_3,
        ] {
            assert_eq!(v.to_string().parse::<BundleVersion>().unwrap(), v);
        }
        assert_eq!(
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
                .parse::<BundleVersion>()
                .unwrap(),
            BundleVersion::V0_3
        );
        assert_refused(
            "x".parse::<BundleVersion>(),
            ErrorKind::Bundle(BundleError::VersionUnsupported),
        );
    }

    #[test]
    fn structure_errors_are_typed() {
        let cert = r#""certificate":{"rawBytes":"MAA="},"#;
        let ok = minimal(cert, SIG, "application/vnd.dev.sigstore.bundle.v0.3+json");
        Bundle::from_json(ok.as_bytes()).unwrap();
        let both = minimal(
            cert,
            &format!(
                r#"{SIG},"dsseEnvelope":{{"payload":"","payloadType":"t","signatures":[{{"sig":"AA=="}}]}}"#
            ),
            "application/vnd.dev.sigstore.bundle.v0.3+json",
        );
        assert_refused(
            Bundle::from_json(both.as_bytes()),
            ErrorKind::Bundle(BundleError::Malformed),
        );
        let chain_v3 = minimal(
            r#""x509CertificateChain":{"certificates":[{"rawBytes":"MAA="},{"rawBytes":"MAA="}]},"#,
            SIG,
            "application/vnd.dev.sigstore.bundle.v0.3+json",
        );
        assert_refused(
            Bundle::from_json(chain_v3.as_bytes()),
            ErrorKind::Bundle(BundleError::Malformed),
        );
        let no_cert = minimal("", SIG, "application/vnd.dev.sigstore.bundle.v0.3+json");
        assert_refused(
            Bundle::from_json(no_cert.as_bytes()),
            ErrorKind::Certificate(CertificateError::Missing),
        );
        let key_and_cert = minimal(
            r#""certificate":{"rawBytes":"MAA="},"publicKey":{"hint":"h"},"#,
            SIG,
            "application/vnd.dev.sigstore.bundle.v0.3+json",
        );
        assert_refused(
            Bundle::from_json(key_and_cert.as_bytes()),
            ErrorKind::Bundle(BundleError::Malformed),
        );
        let limits = Limits {
            max_bundle_bytes: 10,
            ..Limits::default()
        };
        assert_refused(
            Bundle::from_json_with_limits(ok.as_bytes(), &limits),
            ErrorKind::Input(InputError::LimitExceeded),
        );
        let neg = ok.replace(r#""logIndex":"1","logId""#, r#""logIndex":"-1","logId""#);
        assert_refused(
            Bundle::from_json(neg.as_bytes()),
            ErrorKind::Bundle(BundleError::Malformed),
        );
        let bad_set = ok.replace(
            r#""signedEntryTimestamp":"AA==""#,
            r#""signedEntryTimestamp":"AB==""#,
        );
        assert_refused(
            Bundle::from_json(bad_set.as_bytes()),
            ErrorKind::Tlog(TlogError::SetInvalid),
        );
    }
}
