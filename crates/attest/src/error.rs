//! Typed verification errors with stable kebab-case codes.

use std::fmt;
use std::str::FromStr;

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, )*) => {
        /// Why a bundle, trust root, statement or attestation was rejected.
        ///
        /// Each kind has a stable kebab-case [`code`](ErrorKind::code) that reports and
        /// `relgate` findings use; codes never change meaning once released.
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorKind {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant,)*];

            /// The stable kebab-case code of this kind.
            pub fn code(self) -> &'static str {
                match self {
                    $( ErrorKind::$variant => $code, )*
                }
            }
        }
    };
}

kinds! {
    /// The input exceeds a size or count limit (bundle bytes, entries, timestamps, ...).
    LimitExceeded => "limit-exceeded",
    /// The bundle is not valid JSON or lacks a required field or holds a bad encoding.
    BundleMalformed => "bundle-malformed",
    /// The bundle media type names an unsupported version.
    BundleVersionUnsupported => "bundle-version-unsupported",
    /// The trusted root is malformed (including a `validFor` without a start).
    TrustRootMalformed => "trust-root-malformed",
    /// The trust root named for verification lies inside the release folder being judged:
    /// whoever controls the release would choose the root that vouches for it.
    TrustRootInRelease => "trust-root-in-release",
    /// A public key is malformed or of an unsupported type.
    KeyUnsupported => "key-unsupported",
    /// The bundle has no signing certificate (empty chain, missing material).
    CertificateMissing => "certificate-missing",
    /// A certificate could not be decoded.
    CertificateMalformed => "certificate-malformed",
    /// The signing certificate does not chain to a trusted Fulcio CA, or the bundle carries
    /// chain certificates the trust root does not hold (e.g. its own root).
    ChainUntrusted => "chain-untrusted",
    /// The Fulcio CA's `validFor` window does not contain the proven signing time.
    CaNotValidAtTime => "ca-not-valid-at-time",
    /// A proven signing time lies outside the signing certificate's validity.
    CertificateNotValidAtTime => "certificate-not-valid-at-time",
    /// The signing certificate lacks the code-signing extended key usage or is a CA.
    CertificateUsage => "certificate-usage",
    /// No valid SCT from a trusted CT log is embedded in the signing certificate.
    SctInvalid => "sct-invalid",
    /// The bundle is signed with a public key where a certificate is expected.
    KeyNotExpected => "key-not-expected",
    /// The bundle carries a certificate where a managed key is expected.
    CertificateNotExpected => "certificate-not-expected",
    /// The managed key given by the caller is not the key that signed.
    WrongKey => "wrong-key",
    /// The artifact signature does not verify.
    SignatureInvalid => "signature-invalid",
    /// The bundle's message digest or statement subjects do not cover the artifact's digest.
    ArtifactMismatch => "artifact-mismatch",
    /// The DSSE envelope is malformed or its signature does not verify.
    DsseInvalid => "dsse-invalid",
    /// The bundle has no transparency-log entry (or too many).
    TlogEntryMissing => "tlog-entry-missing",
    /// The log entry names a log the trust root does not hold, or one not valid at that time.
    TlogUnknown => "tlog-unknown",
    /// The signed entry timestamp (inclusion promise) is missing or does not verify.
    SetInvalid => "set-invalid",
    /// The inclusion proof is missing or does not lead to the claimed root.
    InclusionProofInvalid => "inclusion-proof-invalid",
    /// The checkpoint is missing, malformed, not signed by the log or inconsistent with the proof.
    CheckpointInvalid => "checkpoint-invalid",
    /// The log entry's canonicalised body does not match the bundle (CVE-2022-36056 class).
    TlogBodyMismatch => "tlog-body-mismatch",
    /// An RFC 3161 timestamp is malformed, untrusted, or does not cover the signature.
    TimestampInvalid => "timestamp-invalid",
    /// The same RFC 3161 timestamp appears more than once.
    TimestampDuplicate => "timestamp-duplicate",
    /// More RFC 3161 timestamps than the limit.
    TimestampTooMany => "timestamp-too-many",
    /// Not enough verified time sources (SET integrated time or RFC 3161 timestamp).
    NoVerifiedTime => "no-verified-time",
    /// The certificate's subject alternative name does not match the policy.
    IdentityMismatch => "identity-mismatch",
    /// The certificate's OIDC issuer does not match the policy.
    IssuerMismatch => "issuer-mismatch",
    /// A Fulcio extension differs from the value the policy pins.
    ExtensionMismatch => "extension-mismatch",
    /// The build trigger is forbidden or not allowed by the policy.
    TriggerNotAllowed => "trigger-not-allowed",
    /// Legacy (.1.1-.1.6) and v2 (.1.8-.1.22) Fulcio extensions disagree, or one is malformed.
    ExtensionConflict => "extension-conflict",
    /// The policy itself is incomplete or invalid (e.g. a bad regex, no builder id).
    PolicyInvalid => "policy-invalid",
    /// The in-toto statement is malformed or of an unsupported type.
    StatementMalformed => "statement-malformed",
    /// Two subjects with the same name carry conflicting digests.
    SubjectConflict => "subject-conflict",
    /// The builder id is not the one the policy trusts.
    BuilderUntrusted => "builder-untrusted",
    /// The provenance source repository differs from the policy.
    SourceMismatch => "source-mismatch",
    /// The provenance ref (tag or branch) differs from the policy.
    RefMismatch => "ref-mismatch",
    /// A workflow input recorded in the provenance differs from the policy.
    InputMismatch => "input-mismatch",
    /// The certificate and the provenance predicate disagree (signer vs builder, repository, ref,
    /// digest, trigger).
    ProvenanceCertificateMismatch => "provenance-certificate-mismatch",
    /// A legacy DSSE envelope without transparency evidence: it needs an online log search.
    LegacyDsseNeedsOnlineLog => "legacy-dsse-needs-online-log",
    /// A PEP 740 publisher does not match the certificate.
    PublisherMismatch => "publisher-mismatch",
    /// A PEP 740 statement subject does not name the distribution file.
    DistributionMismatch => "distribution-mismatch",
    /// A PyPI provenance document, or one of its attestation bundles, holds no attestation.
    ProvenanceEmpty => "provenance-empty",
    /// Reading an input failed.
    Io => "io",
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A code string that names no [`ErrorKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown attest error code {0:?}")]
pub struct UnknownCode(pub String);

impl FromStr for ErrorKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorKind::ALL
            .iter()
            .copied()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// A rejection: the [`ErrorKind`], what failed (field, entry, expected vs actual) and the cause.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {detail}")]
pub struct Error {
    kind: ErrorKind,
    detail: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a human-readable `detail` naming the failing input.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Error {
            kind,
            detail: detail.into(),
            source: None,
        }
    }

    /// Attach the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of rejection.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable code of the kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// What failed, in words (field, entry index, expected vs actual).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// Shorthand constructor used across the crate.
pub(crate) fn err(kind: ErrorKind, detail: impl Into<String>) -> Error {
    Error::new(kind, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_and_round_trip() {
        let mut seen = HashSet::new();
        for k in ErrorKind::ALL {
            assert!(seen.insert(k.code()), "duplicate code {}", k.code());
            assert!(
                k.code()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
            );
            assert_eq!(k.code().parse::<ErrorKind>().unwrap(), *k);
        }
        assert!("nope".parse::<ErrorKind>().is_err());
    }
}
