//! The standard gates: ids, phases, who implements them, and the codes they report.

use crate::finding::Code;
use crate::gate::Phase;

/// A standard gate: its id, phase, the crate that implements it, and its codes.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateInfo {
    /// The stable id.
    pub id: &'static str,
    /// Its phase.
    pub phase: Phase,
    /// Where the implementation lives (`relgate`, or the sibling crate it wraps).
    pub implemented_by: &'static str,
    /// Whether `relgate` ships an implementation today.
    pub built_in: bool,
    /// What it checks.
    pub description: &'static str,
    /// The codes it reports (besides the `gate-*` codes any gate can end with).
    pub codes: &'static [Code],
}

const fn info(
    id: &'static str,
    phase: Phase,
    implemented_by: &'static str,
    built_in: bool,
    description: &'static str,
    codes: &'static [Code],
) -> GateInfo {
    GateInfo {
        id,
        phase,
        implemented_by,
        built_in,
        description,
        codes,
    }
}

/// Every standard gate, in phase order.
pub const STANDARD_GATES: &[GateInfo] = &[
    info(
        "tag-strict-semver",
        Phase::Preflight,
        "relgate over relver",
        true,
        "The tag fits the policy's pattern and is strict SemVer.",
        &[Code::TagNotStrictSemver],
    ),
    info(
        "versions-lockstep",
        Phase::Preflight,
        "relgate over relver",
        true,
        "Every version source equals the tag's version.",
        &[Code::VersionMismatch],
    ),
    info(
        "changelog-section",
        Phase::Preflight,
        "relgate over relver",
        true,
        "The changelog has a section for the version.",
        &[Code::ChangelogSectionMissing],
    ),
    info(
        "tag-not-existing",
        Phase::Preflight,
        "relgate over relver",
        true,
        "The release tag does not exist yet.",
        &[Code::TagAlreadyExists],
    ),
    info(
        "coupled-tags",
        Phase::Preflight,
        "relgate over relver",
        true,
        "Coupled tags exist and point at the release commit.",
        &[Code::CoupledTagMismatch],
    ),
    info(
        "version-unpublished",
        Phase::Preflight,
        "regclient",
        true,
        "No registry holds the version yet (else: recovery mode or a patch bump).",
        &[Code::VersionAlreadyPublished],
    ),
    info(
        "ci-green",
        Phase::Preflight,
        "relgate",
        true,
        "The commit is the branch head and the named workflows passed on push for it.",
        &[Code::CiNotGreen],
    ),
    info(
        "conventional-commits",
        Phase::Preflight,
        "relgate over relver",
        true,
        "Every commit since the previous release tag is a Conventional Commit.",
        &[Code::CommitNotConventional],
    ),
    info(
        "conventional-version",
        Phase::Preflight,
        "relgate over relver",
        true,
        "The release version is the bump the Conventional Commits since the previous tag imply.",
        &[Code::VersionBumpMismatch],
    ),
    info(
        "required-assets-present",
        Phase::Prepublish,
        "relgate",
        true,
        "Every required asset glob matches a file in the release folder.",
        &[Code::AssetMissing],
    ),
    info(
        "checksum-file",
        Phase::Prepublish,
        "relgate",
        true,
        "The release folder verifies against its checksum file.",
        &[
            Code::DigestMismatch,
            Code::ChecksumMissing,
            Code::ChecksumUnlisted,
            Code::ChecksumFileInvalid,
        ],
    ),
    info(
        "archive-safety",
        Phase::Prepublish,
        "artidigest",
        true,
        "Archives are safe to unpack and their own manifests match their contents.",
        &[Code::ArchiveUnsafe, Code::RecordMismatch],
    ),
    info(
        "rebuild-identity",
        Phase::Prepublish,
        "relgate over artidigest",
        true,
        "A rebuild from the tagged source is byte-identical.",
        &[Code::NotReproducible, Code::CommandFailed],
    ),
    info(
        "signatures-valid",
        Phase::Prepublish,
        "attest",
        true,
        "Every artifact's signature verifies with the tag-derived identity.",
        &[
            Code::SignatureInvalid,
            Code::SignatureMissing,
            Code::IdentityMismatch,
            Code::TriggerDenied,
        ],
    ),
    info(
        "provenance-valid",
        Phase::Prepublish,
        "attest",
        true,
        "Provenance verifies and covers every artifact.",
        &[Code::ProvenanceInvalid, Code::SubjectNotCovered],
    ),
    info(
        "registry-readback",
        Phase::Postpublish,
        "regclient",
        true,
        "Every registry serves the local bytes (recovery mode when the version already exists).",
        &[
            Code::RegistryBytesDiffer,
            Code::DigestMismatch,
            Code::RegistryFileMissing,
        ],
    ),
    info(
        "registry-visible",
        Phase::Postpublish,
        "regclient",
        true,
        "The version is visible on every registry within its deadline.",
        &[Code::NotVisible],
    ),
    info(
        "oci-platforms",
        Phase::Postpublish,
        "regclient",
        true,
        "Image indexes carry every required platform and signature, and provenance names their digests.",
        &[
            Code::PlatformMissing,
            Code::SignatureMissing,
            Code::SubjectNotCovered,
        ],
    ),
    info(
        "publish-order",
        Phase::Postpublish,
        "regclient",
        true,
        "A registry holds the version only after the registries it comes after serve it.",
        &[Code::PublishOrderViolated],
    ),
    info(
        "npm-provenance",
        Phase::Postpublish,
        "attest + regclient",
        true,
        "The npm registry's SLSA provenance of every tarball verifies and names the local bytes.",
        &[
            Code::SignatureMissing,
            Code::SubjectNotCovered,
            Code::ProvenanceInvalid,
        ],
    ),
    info(
        "pep740-attestations",
        Phase::Postpublish,
        "attest + regclient",
        true,
        "The index's PEP 740 provenance of every wheel and sdist verifies for the local bytes and publisher.",
        &[
            Code::SignatureMissing,
            Code::SignatureInvalid,
            Code::IdentityMismatch,
        ],
    ),
    info(
        "oci-tags",
        Phase::Postpublish,
        "regclient",
        true,
        "Promised image tags point at the release digest; forbidden tags (latest) do not exist.",
        &[Code::OciTagMissing, Code::OciTagForbidden],
    ),
    info(
        "forge-release-exists",
        Phase::Postpublish,
        "relgate",
        true,
        "The forge has a release for the tag carrying every required asset.",
        &[Code::ReleaseMissing, Code::AssetMissing],
    ),
    info(
        "consumer-verify",
        Phase::Consume,
        "attest + regclient",
        true,
        "What a downstream user verifies from public data alone.",
        &[
            Code::SignatureInvalid,
            Code::SignatureMissing,
            Code::IdentityMismatch,
            Code::TriggerDenied,
            Code::SubjectNotCovered,
            Code::ProvenanceInvalid,
            Code::DigestMismatch,
            Code::RegistryFileMissing,
        ],
    ),
];

/// The standard gate `id`, if it is one.
pub fn standard_gate(id: &str) -> Option<&'static GateInfo> {
    STANDARD_GATES.iter().find(|g| g.id == id)
}
