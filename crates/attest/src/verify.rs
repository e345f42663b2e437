//! The verification pipeline: one path, no skippable step.

use std::collections::BTreeMap;
use std::io::Read;

use artidigest::{Algorithm, Digest, digest_bytes, digest_reader};
use sha2::{Digest as _, Sha256};

use crate::bundle::{Bundle, BundleVersion, Content, SignerMaterial};
use crate::cert::Cert;
use crate::checkpoint::Checkpoint;
use crate::crypto::{Hash, PublicKey};
use crate::error::{
    BundleError, CertificateError, Error, InputError, ProvenanceError, TimeError, TlogError, err,
    exactly_one,
};
use crate::extensions::{ExtensionValues, FulcioExtension};
use crate::intoto::{INTOTO_PAYLOAD_TYPE, Statement};
use crate::limits::Limits;
use crate::policy::IdentityPolicy;
use crate::rfc3161::{TimestampEvidence, verify_timestamp};
use crate::sct::{SctEvidence, verify_scts};
use crate::tlog::{self, Expected};
use crate::trust_root::{Authority, TrustedRoot};

/// The artifact a bundle is verified against.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum Artifact<'a> {
    /// The artifact bytes.
    Bytes(&'a [u8]),
    /// The artifact's digests (at least SHA-256), e.g. `"sha256:…".parse()?`.
    Digests(Vec<Digest>),
}

impl Artifact<'_> {
    /// An artifact known by one digest (must be SHA-256 for message signatures).
    pub fn digest(d: Digest) -> Artifact<'static> {
        Artifact::Digests(vec![d])
    }

    /// Stream a reader once, computing SHA-256 and SHA-512.
    pub fn from_reader(r: impl Read) -> Result<Artifact<'static>, Error> {
        let set = digest_reader(r, &[Algorithm::Sha256, Algorithm::Sha512])
            .map_err(|e| err(InputError::Io, "cannot read the artifact").with_source(e))?;
        Ok(Artifact::Digests(set.iter().copied().collect()))
    }

    /// The artifact's digests (SHA-256 and SHA-512 when the bytes are at hand).
    pub fn digests(&self) -> Vec<Digest> {
        match self {
            Artifact::Bytes(b) => digest_bytes(b, &[Algorithm::Sha256, Algorithm::Sha512])
                .iter()
                .copied()
                .collect(),
            Artifact::Digests(d) => d.clone(),
        }
    }

    fn sha256(&self) -> Result<Digest, Error> {
        if let Artifact::Bytes(b) = self {
            // Only SHA-256 is needed here: don't hash the bytes a second time for SHA-512.
            if let Some(d) = digest_bytes(b, &[Algorithm::Sha256]).get(Algorithm::Sha256) {
                return Ok(*d);
            }
        }
        self.digests()
            .into_iter()
            .find(|d| d.algorithm() == Algorithm::Sha256)
            .ok_or_else(|| {
                err(
                    BundleError::ArtifactMismatch,
                    "the artifact's SHA-256 digest is needed",
                )
            })
    }
}

/// What must have signed.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum Policy {
    /// A Fulcio certificate matching this identity policy (keyless).
    Identity(IdentityPolicy),
    /// This managed key; a bundle with a certificate is refused.
    Key(PublicKey),
}

/// Evidence about the signer.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SignerEvidence {
    /// A Fulcio certificate.
    Certificate {
        /// Subject alternative names.
        sans: Vec<String>,
        /// OIDC issuer claim.
        issuer: Option<String>,
        /// Every Fulcio extension by name.
        extensions: BTreeMap<String, String>,
        /// Validity start, unix seconds.
        not_before: i64,
        /// Validity end, unix seconds.
        not_after: i64,
        /// The issuing CA's URI from the trust root.
        ca: String,
    },
    /// A managed key.
    Key {
        /// Key algorithm.
        algorithm: String,
        /// SHA-256 of the SPKI, hex.
        key_id: String,
    },
}

impl SignerEvidence {
    /// The certificate's Fulcio extensions keyed by [`FulcioExtension`] (for
    /// [`IdentityPolicy::check`]); empty for a managed key.
    pub fn extension_values(&self) -> ExtensionValues {
        match self {
            SignerEvidence::Certificate { extensions, .. } => extensions
                .iter()
                .filter_map(|(k, v)| k.parse::<FulcioExtension>().ok().map(|e| (e, v.clone())))
                .collect(),
            SignerEvidence::Key { .. } => ExtensionValues::new(),
        }
    }
}

/// Evidence of one verified transparency-log entry.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TlogEvidence {
    /// Log id, hex.
    pub log_id: String,
    /// Log base URL from the trust root.
    pub log_url: String,
    /// Global log index.
    pub log_index: u64,
    /// Entry kind and version.
    pub kind: String,
    /// Integrated time proven by a verified SET, unix seconds.
    pub integrated_time: Option<i64>,
    /// Tree size of the verified inclusion proof.
    pub tree_size: Option<u64>,
    /// Root hash (hex) of the verified inclusion proof and checkpoint.
    pub root_hash: Option<String>,
    /// Checkpoint origin.
    pub checkpoint_origin: Option<String>,
}

/// A successful verification and every piece of evidence it rests on.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Verification {
    /// Bundle media type.
    pub media_type: String,
    /// The signer.
    pub signer: SignerEvidence,
    /// `message-signature` or `dsse`.
    pub content: &'static str,
    /// The artifact digest that was matched (OCI form).
    pub artifact_digest: String,
    /// Verified log entries.
    pub tlog_entries: Vec<TlogEvidence>,
    /// Verified RFC 3161 timestamps.
    pub timestamps: Vec<TimestampEvidence>,
    /// Verified SCTs.
    pub scts: Vec<SctEvidence>,
    /// Every verified signing time, unix seconds.
    pub verified_times: Vec<i64>,
    /// RFC 3161 timestamps present but not counted, with the reason.
    pub ignored_timestamps: Vec<String>,
    /// The in-toto statement of a DSSE bundle.
    pub statement: Option<Statement>,
}

impl Verification {
    /// The report as pretty-printed JSON (for `relgate` and the examples).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// Verifies bundles against one (pre-parsed) trust root.
#[derive(Clone, Debug)]
pub struct Verifier {
    root: TrustedRoot,
    limits: Limits,
    now: Option<i64>,
    timestamp_threshold: usize,
    min_bundle_version: BundleVersion,
}

impl Verifier {
    /// A verifier over `root` with default limits, the system clock, threshold 1.
    pub fn new(root: TrustedRoot) -> Self {
        Verifier {
            root,
            limits: Limits::default(),
            now: None,
            timestamp_threshold: 1,
            min_bundle_version: BundleVersion::V0_1,
        }
    }

    relkit_finding::setters! {
        /// Inject "now" (unix seconds). It is used only for trust-root validity: a trust-root
        /// entry whose `validFor` starts after now is not used, and a proven time later than now
        /// is refused. Certificate validity is always judged at the proven signing time.
        with_now(now: i64) => now = Some(now);
        /// Replace the limits.
        with_limits(limits: Limits) => limits = limits;
        /// Refuse bundles older than `v` (`bundle-version-unsupported`). The default, v0.1,
        /// accepts every released version, because real v0.1 bundles were published (npm
        /// provenance and the SLSA GitHub generator wrote them) and a verifier of old releases
        /// meets them; a verifier whose ecosystem never produced v0.1 should raise it to v0.2,
        /// as the bundle specification advises, so that a v0.3 bundle relabelled v0.1 with its
        /// inclusion proof removed cannot verify on its SET alone.
        with_min_bundle_version(v: BundleVersion) => min_bundle_version = v;
        /// Require verified time from at least `n` (>= 1) distinct authorities: each
        /// transparency log whose SET verified counts once, and each timestamp authority with a
        /// verified timestamp counts once, however many timestamps it signed.
        with_timestamp_threshold(n: usize) => timestamp_threshold = n.max(1);
    }

    /// The trust root.
    pub fn trusted_root(&self) -> &TrustedRoot {
        &self.root
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn now(&self) -> i64 {
        self.now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or(0)
        })
    }

    /// Verify `bundle` over `artifact` for `policy`. Every step runs; the first failure is
    /// returned as a typed [`Error`].
    pub fn verify(
        &self,
        bundle: &Bundle,
        artifact: &Artifact<'_>,
        policy: &Policy,
    ) -> Result<Verification, Error> {
        let now = self.now();
        if bundle.version < self.min_bundle_version {
            return Err(err(
                BundleError::VersionUnsupported,
                format!(
                    "bundle version {} is older than the lowest accepted, {}",
                    bundle.version, self.min_bundle_version
                ),
            ));
        }
        // 1. Signer material must be of the kind the policy expects.
        let (leaf, key_policy) = match (&bundle.signer, policy) {
            (SignerMaterial::Certificate { leaf, .. }, Policy::Identity(_)) => {
                (Some(Cert::from_der(leaf)?), None)
            }
            (SignerMaterial::PublicKey { .. }, Policy::Key(k)) => (None, Some(k)),
            (SignerMaterial::PublicKey { .. }, Policy::Identity(_)) => {
                return Err(err(
                    BundleError::KeyNotExpected,
                    "bundle is signed with a managed key; a certificate is required",
                ));
            }
            (SignerMaterial::Certificate { .. }, Policy::Key(_)) => {
                return Err(err(
                    BundleError::CertificateNotExpected,
                    "bundle carries a certificate; a managed key is expected",
                ));
            }
        };
        let signing_key: PublicKey = match (&leaf, key_policy) {
            (Some(c), _) => c.public_key.clone().ok_or_else(|| {
                err(
                    CertificateError::KeyUnsupported,
                    "the signing certificate's key type is not supported",
                )
            })?,
            (None, Some(k)) => k.clone(),
            (None, None) => return Err(err(CertificateError::Missing, "no signer")),
        };
        let signer_der: Vec<u8> = match &leaf {
            Some(c) => c.der.clone(),
            None => signing_key.spki_der().to_vec(),
        };

        // 2. Content: artifact digest binding and the signature itself.
        let artifact_sha256 = artifact.sha256()?;
        let mut statement = None;
        let message_sha256: [u8; 32] = match &bundle.content {
            Content::MessageSignature { digest, signature } => {
                if let Some((alg, bytes)) = digest {
                    if alg != "SHA2_256" {
                        return Err(err(
                            BundleError::Malformed,
                            format!("messageDigest algorithm {alg:?} is not SHA2_256"),
                        ));
                    }
                    if bytes.as_slice() != artifact_sha256.as_bytes() {
                        return Err(err(
                            BundleError::ArtifactMismatch,
                            format!(
                                "bundle messageDigest is sha256:{}, artifact is {artifact_sha256}",
                                hex::encode(bytes)
                            ),
                        ));
                    }
                }
                let ok = match artifact {
                    Artifact::Bytes(b) if signing_key.is_ed25519() => {
                        signing_key.verify(Hash::Sha256, b, signature)
                    }
                    _ => signing_key.verify_prehash(artifact_sha256.as_bytes(), signature),
                };
                if !ok {
                    return Err(signature_refused(
                        key_policy.is_some(),
                        "artifact",
                        err(
                            BundleError::SignatureInvalid,
                            "the artifact signature does not verify with the certificate key",
                        ),
                    ));
                }
                artifact_sha256
                    .as_bytes()
                    .try_into()
                    .map_err(|_| err(BundleError::ArtifactMismatch, "bad digest"))?
            }
            Content::Dsse(env) => {
                let dsse_sig = exactly_one(&env.signatures, |n| {
                    err(
                        BundleError::DsseInvalid,
                        format!("a bundle's DSSE envelope needs exactly one signature, has {n}"),
                    )
                })?;
                let pae = env.pae();
                if !signing_key.verify(Hash::Sha256, &pae, &dsse_sig.sig) {
                    return Err(signature_refused(
                        key_policy.is_some(),
                        "DSSE",
                        err(
                            BundleError::DsseInvalid,
                            "the DSSE signature does not verify over the PAE",
                        ),
                    ));
                }
                if env.payload_type != INTOTO_PAYLOAD_TYPE {
                    return Err(err(
                        ProvenanceError::StatementMalformed,
                        format!("DSSE payload type {:?} is not in-toto", env.payload_type),
                    ));
                }
                let st = Statement::from_json_with_limits(&env.payload, &self.limits)?;
                if st.subjects_covering(&artifact.digests()).is_empty() {
                    return Err(err(
                        BundleError::ArtifactMismatch,
                        format!(
                            "artifact {artifact_sha256} is not among the statement's {} subjects",
                            st.subjects.len()
                        ),
                    ));
                }
                statement = Some(st);
                Sha256::digest(&pae).into()
            }
        };

        // 3. Transparency log entries.
        let expected = Expected {
            signer_der: &signer_der,
            signer_is_cert: leaf.is_some(),
            message_sha256: Some(message_sha256),
        };
        let mut times = Vec::new();
        let mut tlog_evidence = Vec::new();
        for (i, entry) in bundle.tlog_entries.iter().enumerate() {
            let log = self.root.tlog(&entry.log_id).ok_or_else(|| {
                err(
                    TlogError::UnknownLog,
                    format!(
                        "tlogEntries[{i}]: log {} is not in the trust root",
                        hex::encode(&entry.log_id)
                    ),
                )
            })?;
            let key = log.key.as_ref().ok_or_else(|| {
                err(
                    TlogError::UnknownLog,
                    format!("tlogEntries[{i}]: the log's key type is not supported"),
                )
            })?;
            if log.valid_for.start > now {
                return Err(err(
                    TlogError::UnknownLog,
                    format!("tlogEntries[{i}]: the log key is not valid yet"),
                ));
            }
            tlog::check_body(entry, bundle, &expected, i)?;
            let mut ev = TlogEvidence {
                log_id: hex::encode(&entry.log_id),
                log_url: log.base_url.clone(),
                log_index: entry.log_index,
                kind: format!("{}/{}", entry.kind, entry.version),
                integrated_time: None,
                tree_size: None,
                root_hash: None,
                checkpoint_origin: None,
            };
            if entry.signed_entry_timestamp.is_some() {
                tlog::verify_set(entry, key, i)?;
                if !log.valid_for.contains(entry.integrated_time) {
                    return Err(err(
                        TlogError::UnknownLog,
                        format!(
                            "tlogEntries[{i}]: integrated time is outside the log key's validFor {}",
                            TrustedRoot::describe_validity(&log.valid_for)
                        ),
                    ));
                }
                times.push(entry.integrated_time);
                ev.integrated_time = Some(entry.integrated_time);
            }
            match &entry.inclusion_proof {
                Some(p) => {
                    // The entry's `logIndex` is the global index across a log's shards; the
                    // proof's `logIndex` is the index in the tree the checkpoint signs
                    // (protobuf-specs `sigstore_rekor.proto`). A Rekor v1 log is sharded by
                    // tree, so the global index is at least the tree index (earlier shards
                    // come first); a Rekor v2 log (hashedrekord/dsse 0.0.2) is one tree per
                    // log key, so the two are equal. A SET, when present, binds it as well.
                    let rekor_v2 = entry.version == "0.0.2"
                        && matches!(entry.kind.as_str(), "hashedrekord" | "dsse");
                    let consistent = if rekor_v2 {
                        entry.log_index == p.log_index
                    } else {
                        entry.log_index >= p.log_index
                    };
                    if !consistent {
                        return Err(err(
                            TlogError::InclusionProofInvalid,
                            format!(
                                "tlogEntries[{i}]: logIndex {} cannot hold the inclusion proof's tree index {} ({})",
                                entry.log_index,
                                p.log_index,
                                if rekor_v2 {
                                    "a Rekor v2 log has one tree: they must be equal"
                                } else {
                                    "a global index is never below the tree index"
                                }
                            ),
                        ));
                    }
                    let leaf_hash = tlog::leaf_hash(&entry.body);
                    let root = tlog::root_from_inclusion_proof(p.log_index, p.tree_size, leaf_hash, &p.hashes)
                        .ok_or_else(|| err(TlogError::InclusionProofInvalid, format!("tlogEntries[{i}]: inclusion proof is malformed for index {} in size {}", p.log_index, p.tree_size)))?;
                    if root.as_slice() != p.root_hash.as_slice() {
                        return Err(err(
                            TlogError::InclusionProofInvalid,
                            format!(
                                "tlogEntries[{i}]: inclusion proof leads to {}, not the claimed root {}",
                                hex::encode(root),
                                hex::encode(&p.root_hash)
                            ),
                        ));
                    }
                    match &p.checkpoint {
                        Some(text) => {
                            let cp = Checkpoint::parse(text, &self.limits)?;
                            cp.verify(key)?;
                            if cp.size != p.tree_size || cp.root_hash != p.root_hash {
                                return Err(err(
                                    TlogError::CheckpointInvalid,
                                    format!(
                                        "tlogEntries[{i}]: checkpoint (size {}, root {}) does not match the inclusion proof (size {}, root {})",
                                        cp.size,
                                        hex::encode(&cp.root_hash),
                                        p.tree_size,
                                        hex::encode(&p.root_hash)
                                    ),
                                ));
                            }
                            if !log.base_url.is_empty() && cp.log_name() != log.host() {
                                return Err(err(
                                    TlogError::CheckpointInvalid,
                                    format!(
                                        "tlogEntries[{i}]: checkpoint origin {:?} is not the log {:?}",
                                        cp.origin, log.base_url
                                    ),
                                ));
                            }
                            ev.checkpoint_origin = Some(cp.origin.clone());
                        }
                        None if bundle.version >= BundleVersion::V0_2 => {
                            return Err(err(
                                TlogError::CheckpointInvalid,
                                format!("tlogEntries[{i}]: inclusion proof without checkpoint"),
                            ));
                        }
                        None => {}
                    }
                    ev.tree_size = Some(p.tree_size);
                    ev.root_hash = Some(hex::encode(&p.root_hash));
                }
                None if entry.signed_entry_timestamp.is_none() => {
                    return Err(err(
                        TlogError::InclusionProofInvalid,
                        format!("tlogEntries[{i}]: neither an inclusion proof nor a SET"),
                    ));
                }
                None => {}
            }
            tlog_evidence.push(ev);
        }

        // 4. RFC 3161 timestamps (duplicates and count were refused at parse time).
        if bundle.timestamps.len() > self.limits.max_timestamps {
            return Err(err(
                TimeError::TimestampTooMany,
                format!("{} timestamps", bundle.timestamps.len()),
            ));
        }
        // A timestamp that does not verify is not counted (as in the reference clients); the
        // threshold below still needs verified time sources, and every counted time must lie in
        // the certificate's validity.
        let mut ts_evidence = Vec::new();
        let mut ts_failures = Vec::new();
        for (i, t) in bundle.timestamps.iter().enumerate() {
            match verify_timestamp(t, bundle.signature_bytes(), &self.root) {
                Ok(ev) => {
                    times.push(ev.time);
                    ts_evidence.push(ev);
                }
                Err(e) => ts_failures.push(format!("rfc3161Timestamps[{i}]: {}", e.detail())),
            }
        }
        // Time sources count per authority: one per log with a verified SET, one per TSA.
        let mut authorities: Vec<(&str, &str)> = tlog_evidence
            .iter()
            .filter(|e| e.integrated_time.is_some())
            .map(|e| ("log", e.log_id.as_str()))
            .collect();
        authorities.extend(ts_evidence.iter().map(|e| ("tsa", e.tsa.as_str())));
        authorities.sort_unstable();
        authorities.dedup();
        if authorities.len() < self.timestamp_threshold {
            let kind = if ts_failures.is_empty() {
                TimeError::NoVerifiedTime
            } else {
                TimeError::TimestampInvalid
            };
            return Err(err(
                kind,
                format!(
                    "verified time from {} authorities; at least {} needed (a log's SET or a TSA's RFC 3161 timestamp){}",
                    authorities.len(),
                    self.timestamp_threshold,
                    if ts_failures.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", ts_failures.join("; "))
                    }
                ),
            ));
        }
        if let Some(t) = times.iter().find(|t| **t > now + 300) {
            return Err(err(
                TimeError::CertificateNotValidAtTime,
                format!("proven time {t} is in the future"),
            ));
        }

        // 5. Certificate: validity at every proven time, chain, usage, SCT, identity.
        let mut scts = Vec::new();
        let signer = match (&leaf, policy) {
            (Some(leaf), Policy::Identity(id)) => {
                let ca = self.chain(leaf, bundle, &times, now)?;
                for t in &times {
                    if !leaf.valid_at(*t) {
                        return Err(err(
                            TimeError::CertificateNotValidAtTime,
                            format!(
                                "proven time {} is outside the certificate validity {}..={}",
                                crate::encoding::format_rfc3339(*t),
                                crate::encoding::format_rfc3339(leaf.not_before),
                                crate::encoding::format_rfc3339(leaf.not_after)
                            ),
                        ));
                    }
                }
                if leaf.is_ca() || !leaf.has_code_signing_eku() {
                    return Err(err(
                        CertificateError::Usage,
                        "the signing certificate lacks the code-signing EKU or is a CA",
                    ));
                }
                let issuer_cert = ca
                    .chain
                    .first()
                    .ok_or_else(|| err(CertificateError::ChainUntrusted, "empty CA chain"))?;
                scts = verify_scts(leaf, issuer_cert, &self.root, &self.limits)?;
                let sans = leaf.sans()?;
                let exts = leaf.fulcio_extensions()?;
                let issuer = Cert::issuer_claim(&exts).map(str::to_owned);
                id.check(&sans, issuer.as_deref(), &exts)?;
                SignerEvidence::Certificate {
                    sans,
                    issuer,
                    extensions: exts
                        .iter()
                        .map(|(k, v)| (k.name().to_owned(), v.clone()))
                        .collect(),
                    not_before: leaf.not_before,
                    not_after: leaf.not_after,
                    ca: ca.uri.clone(),
                }
            }
            _ => SignerEvidence::Key {
                algorithm: signing_key.algorithm().to_owned(),
                key_id: hex::encode(signing_key.key_id()),
            },
        };

        Ok(Verification {
            media_type: bundle.media_type.clone(),
            signer,
            content: match bundle.content {
                Content::MessageSignature { .. } => "message-signature",
                Content::Dsse(_) => "dsse",
            },
            artifact_digest: artifact_sha256.to_string(),
            tlog_entries: tlog_evidence,
            timestamps: ts_evidence,
            scts,
            verified_times: times,
            ignored_timestamps: ts_failures,
            statement,
        })
    }

    /// Find the Fulcio CA that issued `leaf`, valid at every proven time; the bundle's extra
    /// chain certificates must all belong to that CA's chain.
    fn chain(
        &self,
        leaf: &Cert,
        bundle: &Bundle,
        times: &[i64],
        now: i64,
    ) -> Result<&Authority, Error> {
        let extra: &[Vec<u8>] = match &bundle.signer {
            SignerMaterial::Certificate { chain, .. } => chain,
            SignerMaterial::PublicKey { .. } => &[],
        };
        let mut issued_by_any = false;
        let mut last_err = None;
        for ca in &self.root.cas {
            let Some(first) = ca.chain.first() else {
                continue;
            };
            if !leaf.is_signed_by(first) {
                continue;
            }
            issued_by_any = true;
            if extra.iter().any(|x| !ca.chain.iter().any(|c| &c.der == x)) {
                last_err = Some(err(
                    CertificateError::ChainUntrusted,
                    "the bundle's certificate chain holds certificates the trust root does not (e.g. its own root)",
                ));
                continue;
            }
            if ca.valid_for.start > now {
                last_err = Some(err(TimeError::CaNotValidAtTime, "the CA is not valid yet"));
                continue;
            }
            if !ca.valid_for.contains(leaf.not_before)
                || ca.chain.iter().any(|c| !c.valid_at(leaf.not_before))
            {
                last_err = Some(err(
                    TimeError::CaNotValidAtTime,
                    format!(
                        "the certificate was issued ({}) outside the CA's validity (validFor {} or its certificates)",
                        crate::encoding::format_rfc3339(leaf.not_before),
                        TrustedRoot::describe_validity(&ca.valid_for)
                    ),
                ));
                continue;
            }
            if let Some(t) = times
                .iter()
                .find(|t| !ca.valid_for.contains(**t) || ca.chain.iter().any(|c| !c.valid_at(**t)))
            {
                last_err = Some(err(
                    TimeError::CaNotValidAtTime,
                    format!(
                        "proven time {} is outside the CA's validFor {}",
                        crate::encoding::format_rfc3339(*t),
                        TrustedRoot::describe_validity(&ca.valid_for)
                    ),
                ));
                continue;
            }
            return Ok(ca);
        }
        if !issued_by_any {
            if extra
                .iter()
                .any(|x| Cert::from_der(x).is_ok_and(|c| c.is_self_signed()))
            {
                return Err(err(
                    CertificateError::ChainUntrusted,
                    "the bundle carries its own root certificate, which the trust root does not hold",
                ));
            }
            return Err(err(
                CertificateError::ChainUntrusted,
                "the signing certificate is not issued by any trusted Fulcio CA",
            ));
        }
        Err(last_err.unwrap_or_else(|| err(CertificateError::ChainUntrusted, "no usable CA")))
    }
}

/// A signature of `what` that does not verify: with a key policy the given key is the wrong
/// one (`WrongKey`); with a certificate, `otherwise`.
fn signature_refused(key_policy: bool, what: &str, otherwise: Error) -> Error {
    if key_policy {
        err(
            CertificateError::WrongKey,
            format!("the {what} signature does not verify with the given key"),
        )
    } else {
        otherwise
    }
}
