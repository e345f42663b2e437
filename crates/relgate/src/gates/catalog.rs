//! The gate table: every standard gate's id, phase, codes, default order, the policy section
//! that implies it and how it is built. The built-in gate lists, each gate's phase and the
//! gates a policy implies are all read from it.

use std::sync::Arc;

use crate::finding::Code;
use crate::gate::{BoxFuture, Gate, GateContext, GateResult, StandardGate};
use crate::gates::archives::safety::ArchiveSafetyGate;
use crate::gates::assets::required::RequiredAssetsGate;
use crate::gates::checksums::checksum_file::ChecksumFileGate;
use crate::gates::ci::ci_green::{CiGreenGate, CiProvider, FromProvider};
use crate::gates::ci::environment_protection::EnvironmentProtectionGate;
use crate::gates::ci::forge_release::ForgeReleaseExistsGate;
use crate::gates::ci::release_notes::ReleaseNotesGate;
use crate::gates::docs::published::DocsPublishedGate;
use crate::gates::rebuild::identity::RebuildIdentityGate;
use crate::gates::registries::consumer_verify::ConsumerVerifyGate;
use crate::gates::registries::oci_platforms::OciPlatformsGate;
use crate::gates::registries::oci_tags::OciTagsGate;
use crate::gates::registries::publish_order::PublishOrderGate;
use crate::gates::registries::publisher::PublisherIdentityGate;
use crate::gates::registries::readback::RegistryReadbackGate;
use crate::gates::registries::unpublished::VersionUnpublishedGate;
use crate::gates::registries::vcs_binding::VcsBindingGate;
use crate::gates::registries::visible::RegistryVisibleGate;
use crate::gates::sbom::valid::SbomValidGate;
use crate::gates::signing::attest::{ProvenanceValidGate, SignaturesValidGate};
use crate::gates::signing::npm_provenance::NpmProvenanceGate;
use crate::gates::signing::pep740::Pep740AttestationsGate;
use crate::gates::versions::conventional::{ConventionalCommitsGate, ConventionalVersionGate};
use crate::gates::versions::git::{CoupledTagsGate, TagNotExistingGate};
use crate::gates::versions::lockstep::{ChangelogSectionGate, VersionsLockstepGate};
use crate::gates::versions::tag::TagStrictSemverGate;
use crate::gates::workflow::hygiene::WorkflowHygieneGate;
use crate::ledger::FileKind;
use crate::phase::Phase;

/// What a gate that verifies with attest may report: attest's rejections, each under the code
/// of the one mapping `attest::ErrorKind::finding_code` (the same in every such gate), and an
/// absent signature or attestation.
const ATTESTED: &[Code] = &[
    Code::SignatureMissing,
    Code::SignatureInvalid,
    Code::IdentityMismatch,
    Code::TriggerDenied,
    Code::SubjectNotCovered,
    Code::ProvenanceInvalid,
    Code::TrustRootInRelease,
    Code::PolicyInvalid,
];

/// A standard gate: its id, phase, the crate that implements it, its codes, the gates it runs
/// after by default and the policy section that implies it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
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
    /// The gates it runs after when the policy requires them too, unless the policy orders
    /// them the other way round: a root cause (a bad tag, a replaced file, a slow index) is
    /// then reported once, by the gate that finds it first.
    pub after: &'static [&'static str],
    /// The policy section whose presence requires this gate, if any (else the policy names
    /// it under `[gates]`).
    pub implied_by: Option<PolicySection>,
    /// The kinds of release-folder file this gate reads: a file of such a kind in the folder
    /// requires this gate, and is covered only when it ran, read the file and passed.
    pub reads: &'static [FileKind],
    pub(crate) build: Build,
}

impl GateInfo {
    /// The same row, reading files of `kinds`.
    const fn reading(mut self, kinds: &'static [FileKind]) -> GateInfo {
        self.reads = kinds;
        self
    }
}

/// Every archive kind: each needs `archive-safety`.
const ARCHIVES: &[FileKind] = &[
    FileKind::Wheel,
    FileKind::Sdist,
    FileKind::Crate,
    FileKind::Tarball,
    FileKind::Zip,
    FileKind::Gzip,
    FileKind::Tar,
];

/// The gates a file of `kind` needs, from the table.
pub fn gates_reading(kind: FileKind) -> Vec<&'static str> {
    STANDARD_GATES
        .iter()
        .filter(|g| g.reads.contains(&kind))
        .map(|g| g.id)
        .collect()
}

impl PartialEq for GateInfo {
    /// Rows are equal when everything they declare is (how the gate is built is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.phase == other.phase
            && self.implemented_by == other.implemented_by
            && self.built_in == other.built_in
            && self.description == other.description
            && self.codes == other.codes
            && self.after == other.after
            && self.implied_by == other.implied_by
            && self.reads == other.reads
    }
}

impl Eq for GateInfo {}

/// A policy section that, when present, requires gates (see `docs/policy.md`). The gates a
/// policy implies join the plan in the order of these sections.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicySection {
    /// `[tag]`.
    Tag,
    /// `[versions]`.
    Versions,
    /// `[tag] coupled`, when it names any tag.
    TagCoupled,
    /// `[ci]`.
    Ci,
    /// `[release] required-assets`, when it names any glob.
    RequiredAssets,
    /// `[checksums]`.
    Checksums,
    /// `[signing]` with `[[artifacts]]` to sign (images alone are signed in the registry).
    SigningArtifacts,
    /// `[provenance]`.
    Provenance,
    /// `[registries]`, when it names any.
    Registries,
    /// `[rebuild]`.
    Rebuild,
    /// `[release-notes]`.
    ReleaseNotes,
    /// `[environments.<name>]`, when it names any, or `[release] immutable-releases = true`.
    Environments,
    /// `publisher` on any registry of `[registries]`.
    RegistryPublisher,
    /// `[sbom]`.
    Sbom,
    /// `[workflow-hygiene]`.
    WorkflowHygiene,
    /// `[docs]`.
    Docs,
    /// `[vcs-binding]`.
    VcsBinding,
}

impl PolicySection {
    /// Every section, in the order the gates they imply join the plan.
    pub const ALL: [PolicySection; 17] = [
        PolicySection::Tag,
        PolicySection::Versions,
        PolicySection::TagCoupled,
        PolicySection::Ci,
        PolicySection::RequiredAssets,
        PolicySection::Checksums,
        PolicySection::SigningArtifacts,
        PolicySection::Provenance,
        PolicySection::Registries,
        PolicySection::Rebuild,
        PolicySection::ReleaseNotes,
        PolicySection::Environments,
        PolicySection::RegistryPublisher,
        PolicySection::Sbom,
        PolicySection::WorkflowHygiene,
        PolicySection::Docs,
        PolicySection::VcsBinding,
    ];
}

/// How the run builds a gate of the table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Build {
    /// From nothing.
    Plain(fn() -> Arc<dyn Gate>),
    /// From the run's CI and forge provider; `missing` is the error when the run has none.
    WithCi {
        new: fn(Arc<dyn CiProvider>) -> Arc<dyn Gate>,
        missing: &'static str,
    },
}

fn build_plain<G: StandardGate + Default>() -> Arc<dyn Gate> {
    Arc::new(G::default())
}

/// A row for a gate built from nothing.
const fn plain<G: StandardGate + Default>(
    phase: Phase,
    implemented_by: &'static str,
    description: &'static str,
    codes: &'static [Code],
    after: &'static [&'static str],
    implied_by: Option<PolicySection>,
) -> GateInfo {
    GateInfo {
        id: G::ID,
        phase,
        implemented_by,
        built_in: true,
        description,
        codes,
        after,
        implied_by,
        reads: &[],
        build: Build::Plain(build_plain::<G>),
    }
}

/// A row for a gate built from the run's CI and forge provider.
const fn with_ci<G: FromProvider>(
    phase: Phase,
    implemented_by: &'static str,
    description: &'static str,
    codes: &'static [Code],
    after: &'static [&'static str],
    implied_by: Option<PolicySection>,
    missing: &'static str,
) -> GateInfo {
    GateInfo {
        id: G::ID,
        phase,
        implemented_by,
        built_in: true,
        description,
        codes,
        after,
        implied_by,
        reads: &[],
        build: Build::WithCi {
            new: G::from_provider,
            missing,
        },
    }
}

const MISSING_CI: &str = "no CI evidence provider was configured for this run";
const MISSING_FORGE: &str = "no forge provider was configured for this run";

/// The gate table: every standard gate, in phase order. Each row is the one place a gate's
/// phase, codes, default order and implying policy section are declared; its id is the `ID` of
/// the type the row builds.
pub const STANDARD_GATES: &[GateInfo] = &[
    plain::<TagStrictSemverGate>(
        Phase::Preflight,
        "relgate over relver",
        "The tag fits the policy's pattern and is strict SemVer.",
        &[Code::TagNotStrictSemver],
        &[],
        Some(PolicySection::Tag),
    ),
    plain::<VersionsLockstepGate>(
        Phase::Preflight,
        "relgate over relver",
        "Every version source equals the tag's version.",
        &[
            Code::VersionMismatch,
            Code::VersionsDisagree,
            Code::SourceMissing,
            Code::SourceUnreadable,
            Code::VersionDynamic,
            Code::VersionInvalid,
            Code::MatchCount,
            Code::DerivedDiffers,
            Code::TagNotStrictSemver,
        ],
        &[TagStrictSemverGate::ID],
        Some(PolicySection::Versions),
    ),
    plain::<ChangelogSectionGate>(
        Phase::Preflight,
        "relgate over relver",
        "The changelog has a section for the version.",
        &[
            Code::ChangelogSectionMissing,
            Code::ChangelogDate,
            Code::ChangelogDuplicate,
            Code::ChangelogOrder,
            Code::ChangelogUnreleasedNotEmpty,
            Code::ChangelogLinkMissing,
            Code::ChangelogUnreleasedBase,
            Code::SourceMissing,
            Code::SourceUnreadable,
        ],
        &[TagStrictSemverGate::ID],
        None,
    ),
    plain::<TagNotExistingGate>(
        Phase::Preflight,
        "relgate over relver",
        "The release tag does not exist yet.",
        &[Code::TagAlreadyExists],
        &[TagStrictSemverGate::ID],
        None,
    ),
    plain::<CoupledTagsGate>(
        Phase::Preflight,
        "relgate over relver",
        "Coupled tags exist and point at the release commit.",
        &[Code::CoupledTagMismatch],
        &[TagStrictSemverGate::ID],
        Some(PolicySection::TagCoupled),
    ),
    plain::<VersionUnpublishedGate>(
        Phase::Preflight,
        "regclient",
        "No registry holds the version yet (else: recovery mode or a patch bump).",
        &[Code::VersionAlreadyPublished],
        &[TagStrictSemverGate::ID],
        None,
    ),
    plain::<PublisherIdentityGate>(
        Phase::Preflight,
        "regclient",
        "The npm token's user (whoami) is the policy's publisher and may publish in the package scope.",
        &[Code::PublisherMismatch, Code::PublisherNotInScope],
        &[],
        Some(PolicySection::RegistryPublisher),
    ),
    plain::<WorkflowHygieneGate>(
        Phase::Preflight,
        "relgate over relver's git reader",
        "The workflows at the release commit pin actions by SHA, keep credentials and permissions narrow, and release only on release tags.",
        &[
            Code::WorkflowActionUnpinned,
            Code::WorkflowActionFloatingRef,
            Code::WorkflowManualTrigger,
            Code::WorkflowTriggerTooWide,
            Code::WorkflowPersistCredentials,
            Code::WorkflowPermissionsTooWide,
            Code::WorkflowIdTokenOutsideSigning,
            Code::WorkflowInvalid,
        ],
        &[TagStrictSemverGate::ID],
        Some(PolicySection::WorkflowHygiene),
    ),
    with_ci::<CiGreenGate>(
        Phase::Preflight,
        "relgate",
        "The commit is the branch head and the named workflows passed on push for it.",
        &[Code::CiNotGreen],
        &[],
        Some(PolicySection::Ci),
        MISSING_CI,
    ),
    with_ci::<EnvironmentProtectionGate>(
        Phase::Preflight,
        "relgate over regclient::forge",
        "Named deployment environments exist, need a reviewer and allow only the tag pattern; releases are immutable.",
        &[
            Code::EnvironmentMissing,
            Code::EnvironmentUnprotected,
            Code::EnvironmentTagPolicy,
            Code::ReleasesMutable,
        ],
        &[],
        Some(PolicySection::Environments),
        MISSING_FORGE,
    ),
    plain::<ConventionalCommitsGate>(
        Phase::Preflight,
        "relgate over relver",
        "Every commit since the previous release tag is a Conventional Commit.",
        &[Code::CommitNotConventional],
        &[TagStrictSemverGate::ID],
        None,
    ),
    plain::<ConventionalVersionGate>(
        Phase::Preflight,
        "relgate over relver",
        "The release version is the bump the Conventional Commits since the previous tag imply.",
        &[Code::VersionBumpMismatch],
        &[TagStrictSemverGate::ID],
        None,
    ),
    plain::<RequiredAssetsGate>(
        Phase::Prepublish,
        "relgate",
        "Every required asset glob matches a file in the release folder.",
        &[Code::AssetMissing, Code::AssetWrongArtifact],
        &[],
        Some(PolicySection::RequiredAssets),
    ),
    plain::<ChecksumFileGate>(
        Phase::Prepublish,
        "relgate",
        "The release folder verifies against its checksum file.",
        &[
            Code::DigestMismatch,
            Code::ChecksumMissing,
            Code::ChecksumUnlisted,
            Code::ChecksumFileInvalid,
        ],
        &[],
        Some(PolicySection::Checksums),
    ),
    plain::<ArchiveSafetyGate>(
        Phase::Prepublish,
        "artidigest",
        "Archives are safe to unpack and their own manifests match their contents.",
        &[Code::ArchiveUnsafe, Code::RecordMismatch],
        &[ChecksumFileGate::ID],
        None,
    )
    .reading(ARCHIVES),
    plain::<RebuildIdentityGate>(
        Phase::Prepublish,
        "relgate over artidigest",
        "A rebuild from the tagged source is byte-identical.",
        &[
            Code::NotReproducible,
            Code::CommandFailed,
            Code::RebuildOutputStale,
            Code::RebuildUnpinned,
        ],
        &[ChecksumFileGate::ID],
        Some(PolicySection::Rebuild),
    ),
    plain::<SignaturesValidGate>(
        Phase::Prepublish,
        "attest",
        "Every artifact's signature verifies with the tag-derived identity.",
        ATTESTED,
        &[],
        Some(PolicySection::SigningArtifacts),
    )
    .reading(&[FileKind::SigstoreBundle]),
    plain::<ProvenanceValidGate>(
        Phase::Prepublish,
        "attest",
        "Provenance verifies and covers every artifact.",
        ATTESTED,
        &[],
        Some(PolicySection::Provenance),
    )
    .reading(&[FileKind::Provenance]),
    plain::<SbomValidGate>(
        Phase::Prepublish,
        "relgate",
        "Each SBOM is CycloneDX 1.4-1.6 or SPDX 2.3 JSON, describes the release's component and version, and lists the artifacts' true digests.",
        &[
            Code::SbomInvalid,
            Code::SbomUnsupported,
            Code::SbomComponentMismatch,
            Code::SbomHashMismatch,
            Code::AssetMissing,
        ],
        &[ChecksumFileGate::ID],
        Some(PolicySection::Sbom),
    )
    .reading(&[FileKind::Sbom]),
    plain::<RegistryReadbackGate>(
        Phase::Postpublish,
        "regclient",
        "Every registry serves the local bytes (recovery mode when the version already exists).",
        &[
            Code::RegistryBytesDiffer,
            Code::DigestMismatch,
            Code::RegistryFileMissing,
        ],
        &[RegistryVisibleGate::ID],
        Some(PolicySection::Registries),
    ),
    plain::<RegistryVisibleGate>(
        Phase::Postpublish,
        "regclient",
        "The version is visible on every registry within its deadline.",
        &[Code::NotVisible],
        &[],
        None,
    ),
    plain::<OciPlatformsGate>(
        Phase::Postpublish,
        "regclient",
        "Image indexes carry every required platform and signature, and provenance names their digests.",
        &[
            Code::PlatformMissing,
            Code::SignatureMissing,
            Code::SubjectNotCovered,
            Code::TrustRootInRelease,
        ],
        &[RegistryVisibleGate::ID],
        None,
    ),
    plain::<PublishOrderGate>(
        Phase::Postpublish,
        "regclient",
        "A registry holds the version only after the registries it comes after serve it.",
        &[Code::PublishOrderViolated],
        &[],
        None,
    ),
    plain::<NpmProvenanceGate>(
        Phase::Postpublish,
        "attest + regclient",
        "The npm registry's SLSA provenance of every tarball verifies and names the local bytes.",
        ATTESTED,
        &[],
        None,
    ),
    plain::<Pep740AttestationsGate>(
        Phase::Postpublish,
        "attest + regclient",
        "The index's PEP 740 provenance of every wheel and sdist verifies for the local bytes and publisher.",
        ATTESTED,
        &[],
        None,
    ),
    plain::<OciTagsGate>(
        Phase::Postpublish,
        "regclient",
        "Promised image tags point at the release digest; forbidden tags (latest) do not exist.",
        &[Code::OciTagMissing, Code::OciTagForbidden],
        &[],
        None,
    ),
    plain::<VcsBindingGate>(
        Phase::Postpublish,
        "regclient + attest + artidigest",
        "What the registries serve records the tag's commit (.crate vcs info, npm gitHead, provenance source digest, image revision label).",
        &[
            Code::VcsCommitMismatch,
            Code::VcsCommitMissing,
            Code::VcsDirty,
        ],
        &[
            RegistryReadbackGate::ID,
            NpmProvenanceGate::ID,
            Pep740AttestationsGate::ID,
        ],
        Some(PolicySection::VcsBinding),
    ),
    with_ci::<ForgeReleaseExistsGate>(
        Phase::Postpublish,
        "relgate",
        "The forge has a release for the tag carrying every required asset.",
        &[Code::ReleaseMissing, Code::AssetMissing],
        &[],
        None,
        MISSING_FORGE,
    ),
    with_ci::<ReleaseNotesGate>(
        Phase::Postpublish,
        "relgate over relver + regclient::forge",
        "The forge release's notes hold the changelog section byte for byte and every required line.",
        &[
            Code::ReleaseNotesMissingSection,
            Code::ReleaseNotesMissingLine,
            Code::ReleaseMissing,
        ],
        &[],
        Some(PolicySection::ReleaseNotes),
        MISSING_FORGE,
    ),
    plain::<DocsPublishedGate>(
        Phase::Postpublish,
        "relgate over relver's git reader",
        "The docs branch holds the version's folder and versions.json maps the alias to it.",
        &[
            Code::DocsBranchMissing,
            Code::DocsVersionMissing,
            Code::DocsAliasWrong,
            Code::DocsVersionsInvalid,
        ],
        &[],
        Some(PolicySection::Docs),
    ),
    plain::<ConsumerVerifyGate>(
        Phase::Consume,
        "attest + regclient",
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
            Code::TrustRootInRelease,
            Code::PolicyInvalid,
        ],
        &[],
        None,
    ),
];

/// The standard gate `id`, if it is one.
pub fn standard_gate(id: &str) -> Option<&'static GateInfo> {
    STANDARD_GATES.iter().find(|g| g.id == id)
}

/// The row of `id`, found at compile time.
#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation (no iterators in const fn); i < STANDARD_GATES.len()"
)]
const fn row_of(id: &str) -> Option<&'static GateInfo> {
    let mut i = 0;
    while i < STANDARD_GATES.len() {
        if same(STANDARD_GATES[i].id, id) {
            return Some(&STANDARD_GATES[i]);
        }
        i += 1;
    }
    None
}

#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation (no iterators in const fn); i < a.len() == b.len()"
)]
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A gate of the table is a [`Gate`] with the id and phase of its row.
impl<T: StandardGate> Gate for T {
    fn id(&self) -> &str {
        T::ID
    }

    fn phase(&self) -> Phase {
        const {
            match row_of(T::ID) {
                Some(row) => row.phase,
                None => panic!("a StandardGate's ID has no row in STANDARD_GATES"),
            }
        }
    }

    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        self.check(ctx)
    }
}
