//! `attest` verifies Sigstore bundles, DSSE envelopes, in-toto/SLSA provenance and PEP 740
//! attestations offline, against the verifier's trust root: one the caller names, or the
//! Sigstore public-good root shipped inside attest ([`TrustedRoot::public_good`],
//! [`TrustedRoot::verifier_root`]). A root found inside the release being judged is refused
//! ([`refuse_trust_root_in_release`]).
//!
//! Every verification runs one pipeline with no skippable step: the certificate chains to a
//! Fulcio CA valid at the *proven* signing time (a verified SET's integrated time or RFC 3161
//! timestamps), carries the code-signing EKU and a valid SCT; each transparency-log entry's
//! SET, RFC 6962 inclusion proof and signed checkpoint verify, and its canonicalised body
//! repeats the bundle's signature, certificate and digest; the message digest equals the
//! artifact's; the signature (or DSSE PAE signature) verifies; then the identity policy is
//! applied to the SAN, issuer and every Fulcio extension.
//!
//! Boundaries: no network I/O, no HTTP client or async runtime in the dependency graph;
//! "now" is injectable and used only for trust-root validity. Digests are
//! [`artidigest::Digest`]s.
//!
//! # Verify a release signature
//!
//! ```no_run
//! use attest::{Artifact, Bundle, IdentityPolicy, Policy, TrustedRoot, Verifier};
//!
//! # fn main() -> Result<(), attest::Error> {
//! let verifier = Verifier::new(TrustedRoot::from_file("trusted_root.json")?);
//! let bundle = Bundle::from_file("pkg-1.2.3.tar.gz.sigstore.json")?;
//! let file = std::fs::File::open("pkg-1.2.3.tar.gz")
//!     .map_err(|e| attest::Error::new(attest::InputError::Io, e.to_string()))?;
//! // `v1.2.3` is the text of a `relver::Tag` the caller already validated.
//! let policy = Policy::Identity(IdentityPolicy::github_release("owner/repo", "release.yml", "v1.2.3")?);
//! let report = verifier.verify(&bundle, &Artifact::from_reader(file)?, &policy)?;
//! println!("{}", report.to_json_pretty());
//! # Ok(())
//! # }
//! ```
//!
//! # End to end, offline, with the test stack (feature `test-stack`)
//!
//! ```
//! use attest::{
//!     Artifact, Bundle, BundleError, ErrorKind, IdentityPolicy, Policy, TestIdentity, TestStack,
//! };
//!
//! # fn main() -> Result<(), attest::Error> {
//! let mut stack = TestStack::new([7; 32])?;
//! let signer = TestIdentity::github("owner/repo", "release.yml", "refs/tags/v1.2.3", "push", 1_750_000_000);
//! let bundle = Bundle::from_json(stack.sign_blob(b"release bytes", &signer)?.as_bytes())?;
//! let verifier = stack.verifier()?;
//! let policy = Policy::Identity(IdentityPolicy::github_release("owner/repo", "release.yml", "v1.2.3")?);
//! let report = verifier.verify(&bundle, &Artifact::Bytes(b"release bytes"), &policy)?;
//! assert_eq!(report.tlog_entries.len(), 1);
//! // Other bytes, or a manual run, are refused with typed reasons.
//! let err = verifier.verify(&bundle, &Artifact::Bytes(b"other"), &policy).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Bundle(BundleError::ArtifactMismatch));
//! # Ok(())
//! # }
//! ```
//!
//! Other entry points: [`verify_provenance`] (SLSA `.intoto.jsonl`), [`verify_pep740`] and
//! [`verify_pypi_provenance`] (PEP 740), [`inspect_bundle`] (decode claims, unverified),
//! [`Checkpoint`], [`Statement`], [`Envelope`], [`certificate_claims`]. See `docs/attest.md`
//! for the pipeline, the error codes and the known divergences.
//!
//! Error kinds are grouped by the stage where they arise ([`ErrorKind::Tlog`] holds a
//! [`TlogError`], ...) and have stable codes, one flat vocabulary across the stages:
//!
//! ```
//! use attest::{ErrorKind, Stage, TlogError};
//!
//! let kind = ErrorKind::Tlog(TlogError::BodyMismatch);
//! assert_eq!(kind.code(), "tlog-body-mismatch");
//! assert_eq!(kind.stage(), Stage::Tlog);
//! assert_eq!("set-invalid".parse::<ErrorKind>(), Ok(ErrorKind::Tlog(TlogError::SetInvalid)));
//! assert_eq!(ErrorKind::from(TlogError::SetInvalid), ErrorKind::Tlog(TlogError::SetInvalid));
//! ```
//!
//! # Features
//!
//! - `test-stack` (off by default): a throwaway Sigstore stack (Fulcio-like CA, Rekor-like log,
//!   CT log, TSA) that signs bundles offline for tests and demos. Its keys are generated at
//!   run time and trusted by nothing real.
#![forbid(unsafe_code)]
// No panic on input (issue 12): `unwrap_used`, `expect_used` and `panic` are workspace lints
// (clippy.toml lets tests use them); library code also may not index or slice. Each remaining
// use carries an `allow` with the reason input cannot reach it.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::string_slice))]

mod bundle;
mod bundle_version;
mod cert;
mod checkpoint;
mod crypto;
mod dsse;
mod encoding;
mod error;
mod extensions;
mod fastverify;
mod finding;
mod inspect;
mod intoto;
mod limits;
mod pep740;
mod policy;
mod provenance;
mod rfc3161;
mod sct;
mod source_commit;
#[cfg(feature = "test-stack")]
#[allow(
    clippy::indexing_slicing,
    reason = "the test stack indexes its own fixed-size digests and trees, never verifier input"
)]
mod test_stack;
#[cfg(any(test, feature = "test-stack"))]
mod test_support;
mod tlog;
mod trust_root;
mod verify;

pub use crate::bundle::{
    Bundle, BundleVersion, Content, InclusionProof, SignerMaterial, TlogEntry,
};
pub use crate::cert::certificate_claims;
pub use crate::checkpoint::{Checkpoint, NoteSignature, key_hint};
pub use crate::crypto::PublicKey;
pub use crate::dsse::{DsseSignature, Envelope, pae};
pub use crate::error::{
    BundleError, CertificateError, Error, ErrorKind, IdentityError, InputError, PolicyError,
    ProvenanceError, Stage, TimeError, TlogError, TrustRootError, UnknownCode,
};
pub use crate::extensions::{ExtensionValues, FulcioExtension};
pub use crate::inspect::{InspectedEntry, Inspection, inspect_bundle};
pub use crate::intoto::{INTOTO_PAYLOAD_TYPE, Statement, Subject};
pub use crate::limits::Limits;
pub use crate::pep740::{
    GITLAB_ISSUER, Publisher, attestation_to_bundle, normalize_distribution_filename,
    verify_pep740, verify_pypi_provenance,
};
pub use crate::policy::{GITHUB_ACTIONS_ISSUER, IdentityPolicy, SanMatcher, SanPattern};
pub use crate::provenance::{
    ProvenanceFacts, ProvenanceItem, ProvenancePolicy, ProvenanceVerification, RefPolicy,
    parse_intoto_jsonl, provenance_facts, verify_provenance,
};
pub use crate::rfc3161::{TimestampEvidence, TstInfo, parse_tst_info, timestamp_time};
pub use crate::sct::SctEvidence;
pub use crate::source_commit::{SourceCommit, source_commits};
#[cfg(feature = "test-stack")]
pub use crate::test_stack::{TEST_STACK_EPOCH, TestIdentity, TestStack};
#[cfg(feature = "test-stack")]
pub use crate::test_support::assert_refused;
pub use crate::tlog::{leaf_hash, root_from_inclusion_proof};
pub use crate::trust_root::{
    Authority, LogKey, PUBLIC_GOOD_TRUSTED_ROOT_JSON, TrustedRoot, ValidFor,
    refuse_trust_root_in_release,
};
pub use crate::verify::{Artifact, Policy, SignerEvidence, TlogEvidence, Verification, Verifier};
