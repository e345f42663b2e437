//! Typed verification errors with stable kebab-case codes, grouped by the verification stage
//! where each arises, the way rustls groups its errors: [`ErrorKind`] names the stage and holds
//! that stage's own enum ([`BundleError`], [`CertificateError`], [`TlogError`], ...), whose
//! variants are the reasons. The codes are one flat published vocabulary across all stages.

use std::fmt;
use std::str::FromStr;

/// Generates, from one table of stages and their kinds: each stage's enum (its `ALL`, `code`,
/// `Display`, `FromStr` and `From` into [`ErrorKind`]), the [`Stage`] enum, and [`ErrorKind`]
/// with its flat `ALL`, `code` and `stage`.
macro_rules! stages {
    ($(
        $(#[$stage_doc:meta])*
        $stage:ident($enum:ident) => $name:literal {
            $( $(#[$kind_doc:meta])* $variant:ident => $code:literal, )*
        }
    )*) => {
        $(
            #[doc = concat!("Why verification failed at the `", $name, "` stage ([`Stage::", stringify!($stage), "`]).")]
            ///
            $(#[$stage_doc])*
            #[non_exhaustive]
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum $enum {
                $( $(#[$kind_doc])* $variant, )*
            }

            impl $enum {
                /// Every kind of this stage, in declaration order.
                pub const ALL: &'static [$enum] = &[$($enum::$variant,)*];

                /// The stable kebab-case code of this kind (the same as [`ErrorKind::code`]).
                pub fn code(self) -> &'static str {
                    match self {
                        $( $enum::$variant => $code, )*
                    }
                }
            }

            impl fmt::Display for $enum {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(self.code())
                }
            }

            impl FromStr for $enum {
                type Err = UnknownCode;
                fn from_str(s: &str) -> Result<Self, Self::Err> {
                    find_code(Self::ALL, Self::code, s)
                }
            }

            impl From<$enum> for ErrorKind {
                fn from(kind: $enum) -> Self {
                    ErrorKind::$stage(kind)
                }
            }
        )*

        /// Why a bundle, trust root, statement or attestation was rejected: the stage where
        /// verification failed, holding that stage's reason.
        ///
        /// Each kind has a stable kebab-case [`code`](ErrorKind::code) that reports and
        /// `relgate` findings use; codes are unique across stages and never change meaning
        /// once released. [`stage`](ErrorKind::stage) names the stage.
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorKind {
            $( $(#[$stage_doc])* $stage($enum), )*
        }

        /// A verification stage: where in verification an [`ErrorKind`] arises.
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Stage {
            $( $(#[$stage_doc])* $stage, )*
        }

        impl Stage {
            /// Every stage, in declaration order.
            pub const ALL: &'static [Stage] = &[$(Stage::$stage,)*];

            /// The stage's kebab-case name.
            pub fn name(self) -> &'static str {
                match self {
                    $( Stage::$stage => $name, )*
                }
            }
        }

        impl ErrorKind {
            /// Every kind, stage by stage, each stage's kinds in declaration order.
            pub const ALL: &'static [ErrorKind] = &[$($(ErrorKind::$stage($enum::$variant),)*)*];

            /// The stable kebab-case code of this kind.
            pub fn code(self) -> &'static str {
                match self {
                    $( ErrorKind::$stage(kind) => kind.code(), )*
                }
            }

            /// The verification stage where this kind arises.
            pub fn stage(self) -> Stage {
                match self {
                    $( ErrorKind::$stage(_) => Stage::$stage, )*
                }
            }
        }
    };
}

stages! {
    /// Reading the input: sizes and counts over a limit, I/O failures.
    Input(InputError) => "input" {
        /// The input exceeds a size or count limit (bundle bytes, entries, timestamps, ...).
        LimitExceeded => "limit-exceeded",
        /// Reading an input failed.
        Io => "io",
    }
    /// The verifier's trust root: `trusted_root.json` and where it comes from.
    TrustRoot(TrustRootError) => "trust-root" {
        /// The trusted root is malformed (including a `validFor` without a start).
        Malformed => "trust-root-malformed",
        /// The trust root named for verification lies inside the release folder being judged:
        /// whoever controls the release would choose the root that vouches for it.
        InRelease => "trust-root-in-release",
    }
    /// The bundle: its JSON and version, the kind of signer material it carries, and its
    /// content (message digest or DSSE envelope) against the artifact and the signing key.
    Bundle(BundleError) => "bundle" {
        /// The bundle is not valid JSON or lacks a required field or holds a bad encoding.
        Malformed => "bundle-malformed",
        /// The bundle media type names an unsupported version.
        VersionUnsupported => "bundle-version-unsupported",
        /// The bundle is signed with a public key where a certificate is expected.
        KeyNotExpected => "key-not-expected",
        /// The bundle carries a certificate where a managed key is expected.
        CertificateNotExpected => "certificate-not-expected",
        /// The artifact signature does not verify.
        SignatureInvalid => "signature-invalid",
        /// The bundle's message digest or statement subjects do not cover the artifact's digest.
        ArtifactMismatch => "artifact-mismatch",
        /// The DSSE envelope is malformed or its signature does not verify.
        DsseInvalid => "dsse-invalid",
    }
    /// The signer: its certificate (or managed key), chain to a trusted Fulcio CA, usage and
    /// SCTs.
    Certificate(CertificateError) => "certificate" {
        /// The bundle has no signing certificate (empty chain, missing material).
        Missing => "certificate-missing",
        /// A certificate could not be decoded.
        Malformed => "certificate-malformed",
        /// The signing certificate does not chain to a trusted Fulcio CA, or the bundle carries
        /// chain certificates the trust root does not hold (e.g. its own root).
        ChainUntrusted => "chain-untrusted",
        /// The signing certificate lacks the code-signing extended key usage or is a CA.
        Usage => "certificate-usage",
        /// No valid SCT from a trusted CT log is embedded in the signing certificate.
        SctInvalid => "sct-invalid",
        /// A public key is malformed or of an unsupported type.
        KeyUnsupported => "key-unsupported",
        /// The managed key given by the caller is not the key that signed.
        WrongKey => "wrong-key",
    }
    /// The transparency log: entries, signed entry timestamps, inclusion proofs, checkpoints
    /// and the entry body against the bundle.
    Tlog(TlogError) => "tlog" {
        /// The bundle has no transparency-log entry (or too many).
        EntryMissing => "tlog-entry-missing",
        /// The log entry names a log the trust root does not hold, or one not valid at that time.
        UnknownLog => "tlog-unknown",
        /// The signed entry timestamp (inclusion promise) is missing or does not verify.
        SetInvalid => "set-invalid",
        /// The inclusion proof is missing or does not lead to the claimed root.
        InclusionProofInvalid => "inclusion-proof-invalid",
        /// The checkpoint is missing, malformed, not signed by the log or inconsistent with the
        /// proof.
        CheckpointInvalid => "checkpoint-invalid",
        /// The log entry's canonicalised body does not match the bundle (CVE-2022-36056 class).
        BodyMismatch => "tlog-body-mismatch",
    }
    /// Time: RFC 3161 timestamps, the proven signing times, and the CA and certificate
    /// validity at those times.
    Time(TimeError) => "time" {
        /// An RFC 3161 timestamp is malformed, untrusted, or does not cover the signature.
        TimestampInvalid => "timestamp-invalid",
        /// The same RFC 3161 timestamp appears more than once.
        TimestampDuplicate => "timestamp-duplicate",
        /// More RFC 3161 timestamps than the limit.
        TimestampTooMany => "timestamp-too-many",
        /// Not enough verified time sources (SET integrated time or RFC 3161 timestamp).
        NoVerifiedTime => "no-verified-time",
        /// The Fulcio CA's `validFor` window does not contain the proven signing time.
        CaNotValidAtTime => "ca-not-valid-at-time",
        /// A proven signing time lies outside the signing certificate's validity.
        CertificateNotValidAtTime => "certificate-not-valid-at-time",
    }
    /// Identity: the certificate's SAN, issuer and Fulcio extensions against the identity
    /// policy, and a PEP 740 publisher against the certificate.
    Identity(IdentityError) => "identity" {
        /// The certificate's subject alternative name does not match the policy.
        SanMismatch => "identity-mismatch",
        /// The certificate's OIDC issuer does not match the policy.
        IssuerMismatch => "issuer-mismatch",
        /// A Fulcio extension differs from the value the policy pins.
        ExtensionMismatch => "extension-mismatch",
        /// Legacy (.1.1-.1.6) and v2 (.1.8-.1.22) Fulcio extensions disagree, or one is
        /// malformed.
        ExtensionConflict => "extension-conflict",
        /// The build trigger is forbidden or not allowed by the policy.
        TriggerNotAllowed => "trigger-not-allowed",
        /// A PEP 740 publisher does not match the certificate.
        PublisherMismatch => "publisher-mismatch",
    }
    /// Provenance: in-toto statements, SLSA predicates against the provenance policy and the
    /// certificate, `.intoto.jsonl` documents and PEP 740 attestations.
    Provenance(ProvenanceError) => "provenance" {
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
        /// The certificate and the provenance predicate disagree (signer vs builder, repository,
        /// ref, digest, trigger).
        CertificateMismatch => "provenance-certificate-mismatch",
        /// A legacy DSSE envelope without transparency evidence: it needs an online log search.
        LegacyDsseNeedsOnlineLog => "legacy-dsse-needs-online-log",
        /// A PEP 740 statement subject does not name the distribution file.
        DistributionMismatch => "distribution-mismatch",
        /// A PyPI provenance document, or one of its attestation bundles, holds no attestation.
        Empty => "provenance-empty",
    }
    /// The caller's policy itself, before anything is checked against it.
    Policy(PolicyError) => "policy" {
        /// The policy itself is incomplete or invalid (e.g. a bad regex, no builder id).
        Invalid => "policy-invalid",
    }
}

/// The one code lookup behind every `FromStr` here: the kind in `all` whose code is `s`.
fn find_code<K: Copy>(all: &[K], code: fn(K) -> &'static str, s: &str) -> Result<K, UnknownCode> {
    all.iter()
        .copied()
        .find(|k| code(*k) == s)
        .ok_or_else(|| UnknownCode(s.to_owned()))
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A code string that names no [`ErrorKind`] (or no kind of the stage it was parsed as).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown attest error code {0:?}")]
pub struct UnknownCode(pub String);

impl FromStr for ErrorKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        find_code(ErrorKind::ALL, ErrorKind::code, s)
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
    /// A new error of `kind` (an [`ErrorKind`] or a stage's kind, e.g. [`BundleError`]) with
    /// a human-readable `detail` naming the failing input.
    pub fn new(kind: impl Into<ErrorKind>, detail: impl Into<String>) -> Self {
        Error {
            kind: kind.into(),
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
pub(crate) fn err(kind: impl Into<ErrorKind>, detail: impl Into<String>) -> Error {
    Error::new(kind, detail)
}

/// The one item of `items`, or the error `refuse(count)` makes when there are 0 or several.
pub(crate) fn exactly_one<T>(
    items: &[T],
    refuse: impl FnOnce(usize) -> Error,
) -> Result<&T, Error> {
    match items {
        [one] => Ok(one),
        _ => Err(refuse(items.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The published vocabulary, frozen: grouping by stage must not add, drop or rename a code.
    const CODES: [&str; 47] = [
        "limit-exceeded",
        "bundle-malformed",
        "bundle-version-unsupported",
        "trust-root-malformed",
        "trust-root-in-release",
        "key-unsupported",
        "certificate-missing",
        "certificate-malformed",
        "chain-untrusted",
        "ca-not-valid-at-time",
        "certificate-not-valid-at-time",
        "certificate-usage",
        "sct-invalid",
        "key-not-expected",
        "certificate-not-expected",
        "wrong-key",
        "signature-invalid",
        "artifact-mismatch",
        "dsse-invalid",
        "tlog-entry-missing",
        "tlog-unknown",
        "set-invalid",
        "inclusion-proof-invalid",
        "checkpoint-invalid",
        "tlog-body-mismatch",
        "timestamp-invalid",
        "timestamp-duplicate",
        "timestamp-too-many",
        "no-verified-time",
        "identity-mismatch",
        "issuer-mismatch",
        "extension-mismatch",
        "trigger-not-allowed",
        "extension-conflict",
        "policy-invalid",
        "statement-malformed",
        "subject-conflict",
        "builder-untrusted",
        "source-mismatch",
        "ref-mismatch",
        "input-mismatch",
        "provenance-certificate-mismatch",
        "legacy-dsse-needs-online-log",
        "publisher-mismatch",
        "distribution-mismatch",
        "provenance-empty",
        "io",
    ];

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
            assert_eq!(k.to_string(), k.code());
        }
        assert!("nope".parse::<ErrorKind>().is_err());
    }

    #[test]
    fn the_codes_are_the_published_vocabulary() {
        let ours: HashSet<&str> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        let published: HashSet<&str> = CODES.into_iter().collect();
        assert_eq!(ours, published);
        assert_eq!(ErrorKind::ALL.len(), CODES.len());
    }

    #[test]
    fn each_kind_belongs_to_one_stage_and_parses_only_there() {
        let mut names = HashSet::new();
        for stage in Stage::ALL {
            assert!(names.insert(stage.name()), "duplicate stage {stage}");
            assert!(
                ErrorKind::ALL.iter().any(|k| k.stage() == *stage),
                "stage {stage} has no kind"
            );
        }
        assert_eq!(
            ErrorKind::Bundle(BundleError::Malformed),
            ErrorKind::from(BundleError::Malformed)
        );
        assert_eq!(
            ErrorKind::from(TlogError::BodyMismatch).stage(),
            Stage::Tlog
        );
        assert_eq!(TlogError::BodyMismatch.code(), "tlog-body-mismatch");
        assert_eq!(
            "set-invalid".parse::<TlogError>(),
            Ok(TlogError::SetInvalid)
        );
        // A stage's enum parses its own codes and no other stage's.
        assert_eq!(
            "set-invalid".parse::<BundleError>(),
            Err(UnknownCode("set-invalid".into()))
        );
        for k in TimeError::ALL {
            assert_eq!(k.code().parse::<TimeError>(), Ok(*k));
            assert_eq!(ErrorKind::from(*k).stage(), Stage::Time);
            assert_eq!(ErrorKind::from(*k).code(), k.code());
        }
        for k in IdentityError::ALL {
            assert_eq!(k.to_string().parse::<IdentityError>(), Ok(*k));
            assert!(k.code().parse::<ProvenanceError>().is_err());
        }
        let stage_total = InputError::ALL.len()
            + TrustRootError::ALL.len()
            + BundleError::ALL.len()
            + CertificateError::ALL.len()
            + TlogError::ALL.len()
            + TimeError::ALL.len()
            + IdentityError::ALL.len()
            + ProvenanceError::ALL.len()
            + PolicyError::ALL.len();
        assert_eq!(stage_total, ErrorKind::ALL.len());
    }

    #[test]
    fn display_is_code_colon_detail() {
        let e = Error::new(CertificateError::ChainUntrusted, "no CA");
        assert_eq!(e.to_string(), "chain-untrusted: no CA");
        assert_eq!(
            e.kind(),
            ErrorKind::Certificate(CertificateError::ChainUntrusted)
        );
        assert_eq!(e.kind().stage(), Stage::Certificate);
        assert_eq!(e.code(), "chain-untrusted");
    }
}
