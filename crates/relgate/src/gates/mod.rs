//! The gates `relgate` implements, one file each in its family's folder, and the gate table
//! ([`STANDARD_GATES`]) every gate's id, phase, codes, default order and implying policy
//! section come from.
//!
//! A gate of the table implements [`StandardGate`] (an async check) or [`BlockingGate`] (a
//! blocking check run off the async runtime); its id and phase then come from its row.

pub(crate) mod builtin;
pub(crate) mod catalog;
pub(crate) mod declare;

pub(crate) mod archives {
    pub(crate) mod safety;
}
pub(crate) mod assets {
    pub(crate) mod required;
}
pub(crate) mod checksums {
    pub(crate) mod checksum_file;
}
pub(crate) mod ci {
    pub(crate) mod ci_green;
    pub(crate) mod environment_protection;
    pub(crate) mod forge_release;
    pub(crate) mod github;
    pub(crate) mod release_notes;
}
pub(crate) mod command {
    pub(crate) mod policy_command;
    pub(crate) mod run;
}
pub(crate) mod rebuild {
    #[allow(
        clippy::indexing_slicing,
        reason = "2 index uses; identity.rs is being reworked elsewhere (issue 12 follow-up)"
    )]
    pub(crate) mod identity;
    pub(crate) mod rebuilder;
}
pub(crate) mod registries {
    pub(crate) mod common;
    pub(crate) mod consumer_verify;
    pub(crate) mod oci_platforms;
    pub(crate) mod oci_tags;
    pub(crate) mod publish_order;
    pub(crate) mod publisher;
    pub(crate) mod readback;
    pub(crate) mod unpublished;
    pub(crate) mod vcs_binding;
    pub(crate) mod vcs_records;
    pub(crate) mod visible;
}
pub(crate) mod sbom {
    pub(crate) mod valid;
}
pub(crate) mod signing {
    pub(crate) mod attest;
    pub(crate) mod npm_provenance;
    pub(crate) mod pep740;
}
pub(crate) mod docs {
    pub(crate) mod published;
}
pub(crate) mod workflow {
    pub(crate) mod filter;
    pub(crate) mod hygiene;
    pub(crate) mod rules;
    pub(crate) mod yaml;
}
pub(crate) mod versions {
    pub(crate) mod conventional;
    pub(crate) mod git;
    pub(crate) mod lockstep;
    pub(crate) mod tag;
}

pub use crate::gate::{BlockingGate, StandardGate};
pub use crate::gates::archives::safety::ArchiveSafetyGate;
pub use crate::gates::assets::required::RequiredAssetsGate;
pub use crate::gates::builtin::{BUILTIN_GATES, builtin_gate};
pub use crate::gates::catalog::{
    GateInfo, PolicySection, STANDARD_GATES, gates_reading, standard_gate,
};
pub use crate::gates::checksums::checksum_file::ChecksumFileGate;
pub use crate::gates::ci::ci_green::{
    CiError, CiEvidence, CiGreenGate, CiProvider, ForgeRelease, WorkflowRun, judge_ci,
};
pub use crate::gates::ci::environment_protection::EnvironmentProtectionGate;
pub use crate::gates::ci::forge_release::ForgeReleaseExistsGate;
pub use crate::gates::ci::github::GithubCi;
pub use crate::gates::ci::release_notes::ReleaseNotesGate;
pub use crate::gates::command::policy_command::{CommandGate, policy_gates};
pub use crate::gates::docs::published::DocsPublishedGate;
pub use crate::gates::rebuild::identity::RebuildIdentityGate;
pub use crate::gates::rebuild::rebuilder::{
    CommandRebuilder, RebuildError, RebuildOutput, RebuildRequest, Rebuilder,
};
pub use crate::gates::registries::common::DEFAULT_VISIBLE_WITHIN_SECS;
pub use crate::gates::registries::consumer_verify::ConsumerVerifyGate;
pub use crate::gates::registries::oci_platforms::OciPlatformsGate;
pub use crate::gates::registries::oci_tags::OciTagsGate;
pub use crate::gates::registries::publish_order::PublishOrderGate;
pub use crate::gates::registries::publisher::PublisherIdentityGate;
pub use crate::gates::registries::readback::RegistryReadbackGate;
pub use crate::gates::registries::unpublished::VersionUnpublishedGate;
pub use crate::gates::registries::vcs_binding::VcsBindingGate;
pub use crate::gates::registries::visible::RegistryVisibleGate;
pub use crate::gates::sbom::valid::SbomValidGate;
pub use crate::gates::signing::attest::{ProvenanceValidGate, SignaturesValidGate};
pub use crate::gates::signing::npm_provenance::NpmProvenanceGate;
pub use crate::gates::signing::pep740::Pep740AttestationsGate;
pub use crate::gates::versions::conventional::{ConventionalCommitsGate, ConventionalVersionGate};
pub use crate::gates::versions::git::{CoupledTagsGate, TagNotExistingGate};
pub use crate::gates::versions::lockstep::{ChangelogSectionGate, VersionsLockstepGate};
pub use crate::gates::versions::tag::TagStrictSemverGate;
pub use crate::gates::workflow::hygiene::WorkflowHygieneGate;
