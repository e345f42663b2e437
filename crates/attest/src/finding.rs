//! attest's rejections in relkit's one vocabulary: the one mapping from an [`ErrorKind`] to a
//! finding code. Every gate that verifies with attest (signatures, SLSA provenance, npm
//! provenance, PEP 740) reports through it, so a waiver keyed on a code behaves the same in
//! each of them.

use relkit_finding::{Code, Finding};

use crate::error::{Error, ErrorKind};

impl ErrorKind {
    /// The finding code a rejection of this kind is reported under.
    ///
    /// - who signed, and how the run was started: `identity-mismatch`, and `trigger-denied` for
    ///   a trigger the policy refuses;
    /// - the artifact is not what was signed or attested (a message digest or statement subject
    ///   that does not cover it, a PEP 740 statement about another file): `subject-not-covered`;
    /// - what the provenance says (statement, builder, source, ref, inputs): `provenance-invalid`;
    /// - a trust root taken from the release it judges: `trust-root-in-release`;
    /// - a verification policy that cannot be applied (a bad pattern, no builder id to
    ///   default to): `policy-invalid`;
    /// - everything else (bundle, certificate, transparency log, time, limits, input):
    ///   `signature-invalid`.
    pub fn finding_code(self) -> Code {
        use ErrorKind as K;
        match self {
            K::IdentityMismatch
            | K::IssuerMismatch
            | K::ExtensionMismatch
            | K::ExtensionConflict
            | K::PublisherMismatch => Code::IdentityMismatch,
            K::TriggerNotAllowed => Code::TriggerDenied,
            K::ArtifactMismatch | K::DistributionMismatch => Code::SubjectNotCovered,
            K::StatementMalformed
            | K::SubjectConflict
            | K::BuilderUntrusted
            | K::SourceMismatch
            | K::RefMismatch
            | K::InputMismatch
            | K::ProvenanceCertificateMismatch
            | K::ProvenanceEmpty => Code::ProvenanceInvalid,
            K::TrustRootInRelease => Code::TrustRootInRelease,
            K::PolicyInvalid => Code::PolicyInvalid,
            K::LimitExceeded
            | K::BundleMalformed
            | K::BundleVersionUnsupported
            | K::TrustRootMalformed
            | K::KeyUnsupported
            | K::CertificateMissing
            | K::CertificateMalformed
            | K::ChainUntrusted
            | K::CaNotValidAtTime
            | K::CertificateNotValidAtTime
            | K::CertificateUsage
            | K::SctInvalid
            | K::KeyNotExpected
            | K::CertificateNotExpected
            | K::WrongKey
            | K::SignatureInvalid
            | K::DsseInvalid
            | K::TlogEntryMissing
            | K::TlogUnknown
            | K::SetInvalid
            | K::InclusionProofInvalid
            | K::CheckpointInvalid
            | K::TlogBodyMismatch
            | K::TimestampInvalid
            | K::TimestampDuplicate
            | K::TimestampTooMany
            | K::NoVerifiedTime
            | K::LegacyDsseNeedsOnlineLog
            | K::Io => Code::SignatureInvalid,
        }
    }
}

impl Error {
    /// This rejection as a finding about `subject`: the code of
    /// [`ErrorKind::finding_code`], and what was found as `kind: detail`. The caller adds what it
    /// expected.
    pub fn to_finding(&self, subject: impl Into<String>) -> Finding {
        Finding::new(self.kind().finding_code(), subject).found(format!(
            "{}: {}",
            self.code(),
            self.detail()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_but_a_bad_policy_maps_into_the_signing_area() {
        for &k in ErrorKind::ALL {
            if k == ErrorKind::PolicyInvalid {
                assert_eq!(k.finding_code(), Code::PolicyInvalid);
                continue;
            }
            assert_eq!(
                k.finding_code().area(),
                relkit_finding::Area::Signing,
                "{k}"
            );
        }
        assert_eq!(
            ErrorKind::TriggerNotAllowed.finding_code(),
            Code::TriggerDenied
        );
        let f = Error::new(ErrorKind::IssuerMismatch, "issuer x").to_finding("a.whl");
        assert_eq!(f.code, Code::IdentityMismatch);
        assert_eq!(f.found.as_deref(), Some("issuer-mismatch: issuer x"));
    }
}
