//! The release policy file, `release.toml`: its sections ([`Policy`] and the rules it holds),
//! loading and validation ([`Policy::load`], [`PolicyError`]), and the gates it requires
//! ([`Policy::required_gates`]).

pub(crate) mod docs;
pub(crate) mod error;
pub(crate) mod forge;
pub(crate) mod implied;
pub(crate) mod limits;
pub(crate) mod model;
pub(crate) mod parse;
pub(crate) mod sbom;
pub(crate) mod vcs;
pub(crate) mod workflow;

pub use crate::policy::docs::DocsRules;
pub use crate::policy::error::{PolicyError, PolicyErrorKind};
pub use crate::policy::forge::{EnvironmentRule, ReleaseNotesRules};
pub use crate::policy::limits::SCHEMA_VERSION;
pub use crate::policy::model::{
    ArchiveLimits, ArtifactKind, ArtifactRule, ChecksumRules, CiRules, FileAllowRule, FileRules,
    GateRule, MAX_POLICY_BYTES, Policy, Project, ProvenanceRules, PublisherRule, RebuildRules,
    RegistryKind, RegistryRule, ReleaseRules, SigningIdentity, TagRules, VersionSources,
};
pub use crate::policy::parse::is_kebab;
pub use crate::policy::sbom::{SbomFormat, SbomRules};
pub use crate::policy::vcs::{Binding, MIN_SHORT_COMMIT, VcsBindingRules, VcsRecord};
pub use crate::policy::workflow::{WorkflowException, WorkflowHygieneRules, WorkflowRule};
pub use crate::waiver::{Waiver, today_utc};
