//! The gate table is the one list of gates: every built-in gate type has a row, every row is
//! documented and snapshotted with its codes, and what the run derives from it (built-in
//! gates, phases, implied gates, default order) agrees with it.

use std::collections::BTreeSet;
use std::sync::Arc;

use relgate::gates::SbomValidGate;
use relgate::gates::{
    ArchiveSafetyGate, BUILTIN_GATES, ChangelogSectionGate, ChecksumFileGate, CiError, CiGreenGate,
    CiProvider, ConsumerVerifyGate, ConventionalCommitsGate, ConventionalVersionGate,
    CoupledTagsGate, DocsPublishedGate, EnvironmentProtectionGate, ForgeRelease,
    ForgeReleaseExistsGate, NpmProvenanceGate, OciPlatformsGate, OciTagsGate,
    Pep740AttestationsGate, ProvenanceValidGate, PublishOrderGate, PublisherIdentityGate,
    RebuildIdentityGate, RegistryReadbackGate, RegistryVisibleGate, ReleaseNotesGate,
    RequiredAssetsGate, STANDARD_GATES, SignaturesValidGate, TagNotExistingGate,
    TagStrictSemverGate, VcsBindingGate, VersionUnpublishedGate, VersionsLockstepGate,
    WorkflowHygieneGate, WorkflowRun, builtin_gate, standard_gate,
};
use relgate::{BoxFuture, Code, Gate, Policy, RunContext, plan_for};

use crate::support::{assert_snapshot, repo_root};

struct NoCi;

impl CiProvider for NoCi {
    fn branch_head<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<String, CiError>> {
        Box::pin(async { Ok(String::new()) })
    }
    fn tag_commit<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<String>, CiError>> {
        Box::pin(async { Ok(None) })
    }
    fn push_runs<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Vec<WorkflowRun>, CiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn release<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<ForgeRelease>, CiError>> {
        Box::pin(async { Ok(None) })
    }
}

/// Every gate type `relgate::gates` exports, built.
fn every_gate_type() -> Vec<Arc<dyn Gate>> {
    let ci: Arc<dyn CiProvider> = Arc::new(NoCi);
    vec![
        Arc::new(TagStrictSemverGate),
        Arc::new(VersionsLockstepGate),
        Arc::new(ChangelogSectionGate),
        Arc::new(TagNotExistingGate),
        Arc::new(CoupledTagsGate),
        Arc::new(VersionUnpublishedGate),
        Arc::new(PublisherIdentityGate),
        Arc::new(CiGreenGate::new(Arc::clone(&ci))),
        Arc::new(EnvironmentProtectionGate::new(Arc::clone(&ci))),
        Arc::new(ConventionalCommitsGate),
        Arc::new(ConventionalVersionGate),
        Arc::new(RequiredAssetsGate),
        Arc::new(ChecksumFileGate),
        Arc::new(ArchiveSafetyGate),
        Arc::new(RebuildIdentityGate::new()),
        Arc::new(SignaturesValidGate),
        Arc::new(ProvenanceValidGate),
        Arc::new(SbomValidGate),
        Arc::new(RegistryReadbackGate),
        Arc::new(RegistryVisibleGate),
        Arc::new(OciPlatformsGate),
        Arc::new(PublishOrderGate),
        Arc::new(NpmProvenanceGate),
        Arc::new(Pep740AttestationsGate),
        Arc::new(OciTagsGate),
        Arc::new(VcsBindingGate),
        Arc::new(ForgeReleaseExistsGate::new(Arc::clone(&ci))),
        Arc::new(ReleaseNotesGate::new(ci)),
        Arc::new(ConsumerVerifyGate),
        Arc::new(WorkflowHygieneGate),
        Arc::new(DocsPublishedGate),
    ]
}

#[test]
fn every_built_in_gate_type_has_its_row_and_every_row_a_type() {
    let types = every_gate_type();
    let mut ids = BTreeSet::new();
    for g in &types {
        let row = standard_gate(g.id())
            .unwrap_or_else(|| panic!("gate type {:?} has no row in STANDARD_GATES", g));
        assert_eq!(
            g.phase(),
            row.phase,
            "{}: phase differs from its row",
            g.id()
        );
        assert!(ids.insert(g.id()), "two gate types share id {}", g.id());
    }
    for row in STANDARD_GATES {
        assert!(ids.contains(row.id), "row {} has no gate type", row.id);
    }
}

#[test]
fn table_ids_are_unique_and_after_edges_name_earlier_rows() {
    let mut seen = BTreeSet::new();
    for row in STANDARD_GATES {
        assert!(seen.insert(row.id), "{} has two rows", row.id);
    }
    for row in STANDARD_GATES {
        for first in row.after {
            let before = standard_gate(first)
                .unwrap_or_else(|| panic!("{} runs after {first}, which has no row", row.id));
            assert!(
                before.phase <= row.phase,
                "{} runs after {first}, a later phase",
                row.id
            );
        }
    }
}

#[test]
fn built_in_gates_are_the_rows_built_from_nothing() {
    for row in STANDARD_GATES {
        let built = builtin_gate(row.id);
        assert_eq!(
            built.is_some(),
            BUILTIN_GATES.contains(&row.id),
            "{}",
            row.id
        );
        if let Some(g) = built {
            assert_eq!((g.id(), g.phase()), (row.id, row.phase));
        }
    }
    // The two gates that ask the run's CI and forge provider are built per run.
    let needs_provider: BTreeSet<&str> = STANDARD_GATES
        .iter()
        .map(|r| r.id)
        .filter(|id| !BUILTIN_GATES.contains(id))
        .collect();
    assert_eq!(
        needs_provider,
        BTreeSet::from([
            "ci-green",
            "environment-protection",
            "forge-release-exists",
            "release-notes",
        ])
    );
}

#[test]
fn every_row_is_documented_and_snapshotted_with_its_codes() {
    let doc = std::fs::read_to_string(repo_root().join("docs/gates.md")).unwrap();
    let codes = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/codes.tsv"),
    )
    .unwrap();
    let snapshotted: BTreeSet<&str> = codes.lines().filter_map(|l| l.split('\t').next()).collect();
    let mut table = String::new();
    for row in STANDARD_GATES {
        assert!(
            doc.contains(&format!("`{}`", row.id)),
            "docs/gates.md does not document gate `{}`",
            row.id
        );
        for c in row.codes {
            assert!(
                snapshotted.contains(c.as_str()),
                "gate {}: code {c} is not in the codes snapshot",
                row.id
            );
            assert!(Code::ALL.contains(c));
        }
        let codes: Vec<&str> = row.codes.iter().map(|c| c.as_str()).collect();
        let implied = row
            .implied_by
            .map_or_else(|| String::from("-"), |s| format!("{s:?}"));
        table.push_str(&format!(
            "{}\t{}\t{}\tafter: {}\timplied by: {implied}\n",
            row.id,
            row.phase,
            codes.join(","),
            if row.after.is_empty() {
                String::from("-")
            } else {
                row.after.join(",")
            },
        ));
    }
    assert_snapshot("gates.tsv", &table);
}

#[test]
fn a_policy_requires_the_gates_its_sections_imply_in_section_order() {
    let policy = Policy::from_toml_str(
        r#"
        [project]
        name = "demo"
        [tag]
        pattern = "v{version}"
        coupled = ["go/v{version}"]
        [versions]
        [release]
        required-assets = ["*.whl"]
        [checksums]
        file = "checksums.txt"
        [[artifacts]]
        glob = "*.whl"
        kind = "wheel"
        [signing]
        server = "https://forge.invalid"
        repository = "o/r"
        workflow = ".forge/release.yml"
        issuer = "https://issuer.invalid"
        [rebuild]
        command = ["make"]
        "#,
        "release.toml",
    )
    .unwrap();
    let ids: Vec<String> = policy
        .required_gates()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        ids,
        [
            "tag-strict-semver",
            "versions-lockstep",
            "coupled-tags",
            "required-assets-present",
            "checksum-file",
            "signatures-valid",
            "rebuild-identity",
        ]
    );
    for id in &ids {
        assert!(
            standard_gate(id).is_some_and(|r| r.implied_by.is_some()),
            "{id}"
        );
    }
    // Default order from the rows: the lockstep check waits for the tag guard, the rebuild
    // for the checksum file.
    let plan = plan_for(&policy, &RunContext::new("."));
    let order = plan.order().unwrap();
    let at = |id: &str| order.iter().position(|o| o == id).unwrap();
    assert!(at("tag-strict-semver") < at("versions-lockstep"));
    assert!(at("checksum-file") < at("rebuild-identity"));
}
