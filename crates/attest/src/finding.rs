//! attest's rejections in relkit's one vocabulary: the one mapping from an [`ErrorKind`] to a
//! finding code. Every gate that verifies with attest (signatures, SLSA provenance, npm
//! provenance, PEP 740) reports through it, so a waiver keyed on a code behaves the same in
//! each of them.

use relkit_finding::{Code, Finding};

use crate::error::{BundleError, Error, ErrorKind, IdentityError, ProvenanceError, TrustRootError};

impl ErrorKind {
    /// The finding code a rejection of this kind is reported under, by its stage:
    ///
    /// - identity (who signed, and how the run was started): `identity-mismatch`, and
    ///   `trigger-denied` for a trigger the policy refuses;
    /// - the artifact is not what was signed or attested (a message digest or statement subject
    ///   that does not cover it, a PEP 740 statement about another file): `subject-not-covered`;
    /// - provenance (statement, builder, source, ref, inputs): `provenance-invalid`;
    /// - a trust root taken from the release it judges: `trust-root-in-release`;
    /// - a verification policy that cannot be applied (a bad pattern, no builder id to default
    ///   to): `policy-invalid`;
    /// - everything else (input, trust root, bundle, certificate, transparency log, time):
    ///   `signature-invalid`.
    pub fn finding_code(self) -> Code {
        match self {
            ErrorKind::Identity(IdentityError::TriggerNotAllowed) => Code::TriggerDenied,
            ErrorKind::Identity(_) => Code::IdentityMismatch,
            ErrorKind::Bundle(BundleError::ArtifactMismatch)
            | ErrorKind::Provenance(ProvenanceError::DistributionMismatch) => {
                Code::SubjectNotCovered
            }
            ErrorKind::Provenance(_) => Code::ProvenanceInvalid,
            ErrorKind::TrustRoot(TrustRootError::InRelease) => Code::TrustRootInRelease,
            ErrorKind::Policy(_) => Code::PolicyInvalid,
            _ => Code::SignatureInvalid,
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
    use crate::error::{PolicyError, Stage};

    #[test]
    fn every_kind_but_a_bad_policy_maps_into_the_signing_area() {
        for &k in ErrorKind::ALL {
            if k.stage() == Stage::Policy {
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
            ErrorKind::from(IdentityError::TriggerNotAllowed).finding_code(),
            Code::TriggerDenied
        );
        assert_eq!(
            ErrorKind::from(PolicyError::Invalid).finding_code(),
            Code::PolicyInvalid
        );
        let f = Error::new(IdentityError::IssuerMismatch, "issuer x").to_finding("a.whl");
        assert_eq!(f.code, Code::IdentityMismatch);
        assert_eq!(f.found.as_deref(), Some("issuer-mismatch: issuer x"));
    }
}
