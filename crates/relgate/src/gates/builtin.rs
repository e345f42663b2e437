//! Every gate `relgate` implements, by id.

use std::sync::Arc;

use crate::archive_gate::ArchiveSafetyGate;
use crate::assets::RequiredAssetsGate;
use crate::attest_gate::{ProvenanceValidGate, SignaturesValidGate};
use crate::checksum_gate::ChecksumFileGate;
use crate::conventional_gate::{ConventionalCommitsGate, ConventionalVersionGate};
use crate::gate::Gate;
use crate::git_gates::{CoupledTagsGate, TagNotExistingGate};
use crate::npm_provenance_gate::NpmProvenanceGate;
use crate::oci_tags_gate::OciTagsGate;
use crate::pep740_gate::Pep740AttestationsGate;
use crate::publish_order_gate::PublishOrderGate;
use crate::rebuild_gate::RebuildIdentityGate;
use crate::registry_gates::{
    ConsumerVerifyGate, OciPlatformsGate, RegistryReadbackGate, RegistryVisibleGate,
    VersionUnpublishedGate,
};
use crate::tag_gate::TagStrictSemverGate;
use crate::versions_gate::{ChangelogSectionGate, VersionsLockstepGate};

/// The ids of the gates [`builtin_gate`] provides (besides `ci-green`, which needs a
/// [`CiProvider`](crate::CiProvider) from the run context).
pub const BUILTIN_GATES: &[&str] = &[
    TagStrictSemverGate::ID,
    VersionsLockstepGate::ID,
    ChangelogSectionGate::ID,
    TagNotExistingGate::ID,
    CoupledTagsGate::ID,
    RequiredAssetsGate::ID,
    ChecksumFileGate::ID,
    ArchiveSafetyGate::ID,
    SignaturesValidGate::ID,
    ProvenanceValidGate::ID,
    RebuildIdentityGate::ID,
    ConventionalCommitsGate::ID,
    ConventionalVersionGate::ID,
    VersionUnpublishedGate::ID,
    RegistryReadbackGate::ID,
    RegistryVisibleGate::ID,
    OciPlatformsGate::ID,
    ConsumerVerifyGate::ID,
    OciTagsGate::ID,
    PublishOrderGate::ID,
    Pep740AttestationsGate::ID,
    NpmProvenanceGate::ID,
];

/// The built-in implementation of gate `id`, if `relgate` has one. [`run`](crate::run) wires
/// these for every gate a policy requires, so callers never register them by hand; a required
/// gate with no implementation still blocks as `gate-unknown`.
///
/// ```
/// assert!(relgate::builtin_gate("versions-lockstep").is_some());
/// assert!(relgate::builtin_gate("registry-readback").is_some());
/// assert!(relgate::builtin_gate("no-such-gate").is_none());
/// ```
pub fn builtin_gate(id: &str) -> Option<Arc<dyn Gate>> {
    Some(match id {
        TagStrictSemverGate::ID => Arc::new(TagStrictSemverGate),
        VersionsLockstepGate::ID => Arc::new(VersionsLockstepGate),
        ChangelogSectionGate::ID => Arc::new(ChangelogSectionGate),
        TagNotExistingGate::ID => Arc::new(TagNotExistingGate),
        CoupledTagsGate::ID => Arc::new(CoupledTagsGate),
        RequiredAssetsGate::ID => Arc::new(RequiredAssetsGate),
        ChecksumFileGate::ID => Arc::new(ChecksumFileGate),
        ArchiveSafetyGate::ID => Arc::new(ArchiveSafetyGate),
        SignaturesValidGate::ID => Arc::new(SignaturesValidGate),
        ProvenanceValidGate::ID => Arc::new(ProvenanceValidGate),
        RebuildIdentityGate::ID => Arc::new(RebuildIdentityGate::new()),
        ConventionalCommitsGate::ID => Arc::new(ConventionalCommitsGate),
        ConventionalVersionGate::ID => Arc::new(ConventionalVersionGate),
        VersionUnpublishedGate::ID => Arc::new(VersionUnpublishedGate),
        RegistryReadbackGate::ID => Arc::new(RegistryReadbackGate),
        RegistryVisibleGate::ID => Arc::new(RegistryVisibleGate),
        OciPlatformsGate::ID => Arc::new(OciPlatformsGate),
        ConsumerVerifyGate::ID => Arc::new(ConsumerVerifyGate),
        OciTagsGate::ID => Arc::new(OciTagsGate),
        PublishOrderGate::ID => Arc::new(PublishOrderGate),
        Pep740AttestationsGate::ID => Arc::new(Pep740AttestationsGate),
        NpmProvenanceGate::ID => Arc::new(NpmProvenanceGate),
        _ => return None,
    })
}

/// The gates that read the release tag: they run after `tag-strict-semver` when the policy
/// requires it, so a bad tag is reported once, as the root cause.
pub(crate) const AFTER_TAG_GUARD: &[&str] = &[
    VersionsLockstepGate::ID,
    ChangelogSectionGate::ID,
    TagNotExistingGate::ID,
    CoupledTagsGate::ID,
    ConventionalCommitsGate::ID,
    ConventionalVersionGate::ID,
    VersionUnpublishedGate::ID,
];

/// The gates that read artifacts the checksum file covers: they run after `checksum-file`
/// when the policy requires it, so a replaced file is reported once, as a digest mismatch.
pub(crate) const AFTER_CHECKSUMS: &[&str] = &[ArchiveSafetyGate::ID, RebuildIdentityGate::ID];

/// The registry gates that read what another registry gate established: the readback runs
/// once the version is visible, so a slow index is reported once, as `not-visible`.
pub(crate) const AFTER_VISIBLE: &[&str] = &[RegistryReadbackGate::ID, OciPlatformsGate::ID];
