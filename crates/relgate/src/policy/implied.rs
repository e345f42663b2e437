//! The gates a policy requires: those its sections imply (from the gate table) and those it
//! names under `[gates]`.

use std::fmt;

use crate::gates::catalog::{PolicySection, STANDARD_GATES};
use crate::policy::model::{GateRule, Policy};

impl Policy {
    /// The gates this policy requires, with their rules: those its sections imply (see
    /// `docs/policy.md`) and those named under `[gates]`, in a stable order.
    pub fn required_gates(&self) -> Vec<(String, GateRule)> {
        let mut out: Vec<(String, GateRule)> = Vec::new();
        for id in self.implied() {
            out.push((
                id.to_owned(),
                self.gates.get(id).cloned().unwrap_or_default(),
            ));
        }
        for (id, rule) in &self.gates {
            if !out.iter().any(|(o, _)| o == id) {
                out.push((id.clone(), rule.clone()));
            }
        }
        out
    }

    /// The gates this policy's sections imply, from the gate table, in the order of
    /// [`PolicySection::ALL`].
    pub(crate) fn implied(&self) -> Vec<&'static str> {
        PolicySection::ALL
            .into_iter()
            .filter(|s| self.has(*s))
            .flat_map(|s| {
                STANDARD_GATES
                    .iter()
                    .filter(move |g| g.implied_by == Some(s))
                    .map(|g| g.id)
            })
            .collect()
    }

    /// Whether this policy has `section`.
    pub(crate) fn has(&self, section: PolicySection) -> bool {
        match section {
            PolicySection::Tag => self.tag.is_some(),
            PolicySection::Versions => self.versions.is_some(),
            PolicySection::TagCoupled => self.tag.as_ref().is_some_and(|t| !t.coupled.is_empty()),
            PolicySection::Ci => self.ci.is_some(),
            PolicySection::RequiredAssets => !self.release.required_assets.is_empty(),
            PolicySection::Checksums => self.checksums.is_some(),
            // Files to sign are `[[artifacts]]`; a release of images alone (signed in the
            // registry: `signed = true`) has none, and `[signing]` then serves provenance only.
            PolicySection::SigningArtifacts => self.signing.is_some() && !self.artifacts.is_empty(),
            PolicySection::Provenance => self.provenance.is_some(),
            PolicySection::Registries => !self.registries.is_empty(),
            PolicySection::Rebuild => self.rebuild.is_some(),
            PolicySection::ReleaseNotes => self.release_notes.is_some(),
            PolicySection::Environments => {
                !self.environments.is_empty() || self.release.immutable_releases
            }
            PolicySection::RegistryPublisher => {
                self.registries.values().any(|r| r.publisher.is_some())
            }
            PolicySection::Sbom => self.sbom.is_some(),
            PolicySection::WorkflowHygiene => self.workflow_hygiene.is_some(),
            PolicySection::Docs => self.docs.is_some(),
            PolicySection::VcsBinding => self.vcs_binding.is_some(),
        }
    }
}

impl fmt::Display for Policy {
    /// The project name and the gates it requires.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> = self
            .required_gates()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        write!(f, "{}: {}", self.project.name, ids.join(", "))
    }
}
