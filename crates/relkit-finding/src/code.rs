//! The code registry: every stable code of relkit, nested per area, with its default severity and
//! a one-line description.

/// How much a finding matters to a decision.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Informational; never blocks.
    Info,
    /// Worth a look; never blocks.
    Warning,
    /// Blocks unless a policy waives it with a reason.
    Error,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: &'static [Severity] = &[Severity::Info, Severity::Warning, Severity::Error];

    /// Whether a finding of this severity blocks when not waived.
    pub fn blocks(self) -> bool {
        self == Severity::Error
    }
}

/// A severity name that is not `error`, `warning` or `info`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?} (expected error, warning or info)")]
pub struct UnknownSeverity(pub String);

crate::names! {
    Severity, unknown = UnknownSeverity,
    /// The lowercase name used in reports (`error`, `warning`, `info`).
    fn as_str {
        Info => "info",
        Warning => "warning",
        Error => "error",
    }
}

macro_rules! codes {
    ($( $area:ident : $area_name:literal, $area_doc:literal {
        $( $(#[$doc:meta])* $variant:ident = $name:literal, $sev:ident, $desc:literal; )+
    } )+) => {
        /// The area a code belongs to: the part of a release it speaks about.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Area {
            $( #[doc = $area_doc] $area, )+
        }

        impl Area {
            /// Every area, in registry order.
            pub const ALL: &'static [Area] = &[ $( Area::$area, )+ ];

            /// The codes of this area, in registry order.
            pub fn codes(self) -> impl Iterator<Item = Code> {
                Code::ALL.iter().copied().filter(move |c| c.area() == self)
            }
        }

        /// A stable finding code.
        ///
        /// Codes are kebab-case, unique across areas, and never renamed: scripts, waivers and
        /// dashboards key on them. Every code is documented in `docs/gates.md`.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $( $(#[$doc])* $variant, )+ )+
        }

        impl Code {
            /// Every code, in registry order (grouped by area).
            pub const ALL: &'static [Code] = &[ $( $( Code::$variant, )+ )+ ];

            /// The area the code belongs to.
            pub fn area(self) -> Area {
                match self { $( $( Code::$variant => Area::$area, )+ )+ }
            }

            /// The default severity of findings under this code.
            pub fn severity(self) -> Severity {
                match self { $( $( Code::$variant => Severity::$sev, )+ )+ }
            }

            /// A one-line description.
            pub fn description(self) -> &'static str {
                match self { $( $( Code::$variant => $desc, )+ )+ }
            }
        }

        crate::names! {
            Area,
            /// The lowercase name (`versions`, `artifacts`, ...).
            fn as_str { $( $area => $area_name, )+ }
        }

        crate::names! {
            Code, unknown = UnknownCode,
            /// The kebab-case name (`digest-mismatch`).
            fn as_str { $( $( $variant => $name, )+ )+ }
        }
    };
}

codes! {
    Versions: "versions", "Tags, the files that record the version, changelogs and commit history." {
        /// A version source disagrees with the tag or with its siblings.
        VersionMismatch = "version-mismatch", Error,
            "A version source (manifest, lock file, chart, module) disagrees with the release version.";
        /// The members disagree among themselves (no tag given).
        VersionsDisagree = "versions-disagree", Error,
            "The version sources disagree among themselves (no tag was given to compare with).";
        /// A member source (file or key) is missing.
        SourceMissing = "source-missing", Error,
            "A declared version source (file or key) is missing.";
        /// A source file could not be read or parsed.
        SourceUnreadable = "source-unreadable", Error,
            "A version source could not be read or parsed.";
        /// The version is computed at build time and cannot be checked.
        VersionDynamic = "version-dynamic", Warning,
            "A version is dynamic (computed at build time) and cannot be checked statically.";
        /// The value is not a valid version, not a literal, or not in the declared format.
        VersionInvalid = "version-invalid", Error,
            "A version value is not a valid version, not a literal, or not in the declared format.";
        /// A source matched another number of times than declared.
        MatchCount = "match-count", Error,
            "A version source matched a different number of times than its configuration declares.";
        /// A derived source differs from the release version (reported, not drift).
        DerivedDiffers = "derived-differs", Info,
            "A derived version source differs from the release version (reported, not drift).";
        /// A version-looking field that no configured source covers.
        Uncovered = "uncovered", Warning,
            "A version-looking field is covered by no configured version source.";
        /// The working tree checked against a tag is not that tag's tree.
        WorktreeNotAtTag = "worktree-not-at-tag", Warning,
            "The working tree checked against a tag is not that tag's tree (another commit, changed files, or no way to tell).";
        /// The tag is not strict SemVer under the policy's pattern.
        TagNotStrictSemver = "tag-not-strict-semver", Error,
            "The tag is not strict SemVer under the policy's tag pattern (no pre-release, no leading zeros).";
        /// The tag to be created already exists.
        TagAlreadyExists = "tag-already-exists", Error,
            "The release tag already exists, so this version cannot be released again.";
        /// The tag does not exist.
        TagMissing = "tag-missing", Error,
            "The release tag does not exist.";
        /// A coupled tag points at another commit or is missing.
        CoupledTagMismatch = "coupled-tag-mismatch", Error,
            "A coupled tag (for example a Go module tag) is missing or points at another commit.";
        /// A release tag carries the previous release's version: the bump ran after tagging.
        BumpAfterTag = "bump-after-tag", Error,
            "A release tag's files carry the previous release's version: the version bump ran after tagging.";
        /// A version appears in the changelog but was never tagged.
        VersionNeverTagged = "version-never-tagged", Warning,
            "A version has a changelog section but was never tagged.";
        /// The changelog has no section for the version.
        ChangelogSectionMissing = "changelog-section-missing", Error,
            "The changelog has no section for the release version.";
        /// A changelog section's date is missing or invalid.
        ChangelogDate = "changelog-date", Error,
            "A changelog section's date is missing or not a valid YYYY-MM-DD date.";
        /// Two changelog sections for the same version.
        ChangelogDuplicate = "changelog-duplicate", Error,
            "The changelog has two sections for the same version.";
        /// Changelog sections are not in descending version order.
        ChangelogOrder = "changelog-order", Error,
            "The changelog's sections are not in descending version order.";
        /// The Unreleased section still holds changes although the release is dated.
        ChangelogUnreleasedNotEmpty = "changelog-unreleased-not-empty", Error,
            "The Unreleased section still holds changes although the release section is dated.";
        /// A changelog section has no link reference definition.
        ChangelogLinkMissing = "changelog-link-missing", Warning,
            "A changelog section has no link reference definition.";
        /// The Unreleased compare link does not start from the latest release.
        ChangelogUnreleasedBase = "changelog-unreleased-base", Warning,
            "The Unreleased compare link does not start from the latest release.";
        /// A commit since the previous release is not a Conventional Commit.
        CommitNotConventional = "commit-not-conventional", Error,
            "A commit since the previous release tag is not in the Conventional Commits shape.";
        /// The tag's version is not the one the commits since the previous release imply.
        VersionBumpMismatch = "version-bump-mismatch", Error,
            "The release version is not the bump (major, minor, patch) the Conventional Commits since the previous tag imply.";
    }
    Artifacts: "artifacts", "The files of the release folder: checksums, archives, required assets, coverage." {
        /// Bytes hash to another digest than the expected one.
        DigestMismatch = "digest-mismatch", Error,
            "A file's bytes hash to a different digest than the one recorded for it.";
        /// A file named by the checksum file is missing.
        ChecksumMissing = "checksum-missing", Error,
            "A file listed in the checksum file is missing from the release folder or is not a regular file.";
        /// A release file is not listed in the checksum file.
        ChecksumUnlisted = "checksum-unlisted", Error,
            "A file in the release folder is not listed in the checksum file.";
        /// The checksum file could not be read or parsed.
        ChecksumFileInvalid = "checksum-file-invalid", Error,
            "The checksum file is missing, unreadable or malformed.";
        /// An archive is hostile or malformed.
        ArchiveUnsafe = "archive-unsafe", Error,
            "An archive has unsafe entries (absolute paths, traversal, links out, bombs) or is malformed.";
        /// A wheel RECORD or crate metadata disagrees with the contents.
        RecordMismatch = "record-mismatch", Error,
            "An archive's own manifest (wheel RECORD, .crate metadata) disagrees with its contents.";
        /// A required release asset is absent.
        AssetMissing = "asset-missing", Error,
            "A required release asset is absent from the release folder or the forge release.";
        /// A required-asset pattern matched a file of another artifact than the one it names.
        AssetWrongArtifact = "asset-wrong-artifact", Error,
            "A required-asset pattern matched a file that belongs to another package than the one the pattern names (ordvec-*.crate matching ordvec-manifest-0.5.0.crate).";
        /// A release file no passing check read (or not every check its kind needs).
        FileUnchecked = "file-unchecked", Error,
            "A file of the release folder was not read by every check its kind needs, or one of them failed; fails closed.";
        /// A release folder node is a symlink or a special file.
        FileNotRegular = "file-not-regular", Error,
            "The release folder holds a symlink, FIFO, socket or device; such nodes are never followed or read.";
        /// An SBOM is not well-formed JSON of its format.
        SbomInvalid = "sbom-invalid", Error,
            "An SBOM does not parse, or a value in it has the wrong type or form (the finding names its JSON pointer).";
        /// An SBOM is not CycloneDX 1.4-1.6 or SPDX 2.3 JSON.
        SbomUnsupported = "sbom-unsupported", Error,
            "An SBOM is not CycloneDX 1.4-1.6 or SPDX 2.3 JSON, or not of a format the policy accepts.";
        /// An SBOM describes another component or version.
        SbomComponentMismatch = "sbom-component-mismatch", Error,
            "An SBOM describes another component or version than the release's.";
        /// An SBOM lists a digest a release artifact does not have.
        SbomHashMismatch = "sbom-hash-mismatch", Error,
            "A digest an SBOM lists for a release artifact is not that file's digest.";
    }
    Rebuild: "rebuild", "Rebuilding the artifacts from the tagged source." {
        /// A rebuild produced different bytes.
        NotReproducible = "not-reproducible", Error,
            "Rebuilding the artifact from the tagged source produced different bytes.";
        /// A file the rebuild would compare was not provably written by this build.
        RebuildOutputStale = "rebuild-output-stale", Error,
            "A rebuilt file was not provably written by this build (its output folder existed before the build, or the file lies outside the folders the gate owns or predates the build); fails closed.";
        /// The rebuild built a tree no release tag or commit pins.
        RebuildUnpinned = "rebuild-unpinned", Warning,
            "No release tag or commit was given, so the rebuild built a source tree nothing pins; an error when that working tree has uncommitted changes.";
    }
    Signing: "signing", "Signatures, Sigstore bundles, provenance and attestations." {
        /// A signature or bundle does not verify.
        SignatureInvalid = "signature-invalid", Error,
            "A signature or sigstore bundle does not verify against the trust root.";
        /// The signer identity is not the expected one.
        IdentityMismatch = "identity-mismatch", Error,
            "The signing identity (repository, workflow, ref, issuer) is not the one the policy expects.";
        /// The signing run was started by a trigger the policy refuses.
        TriggerDenied = "trigger-denied", Error,
            "The signing workflow run was started by a trigger the policy refuses (for example workflow_dispatch).";
        /// An artifact is not a subject of any attestation.
        SubjectNotCovered = "subject-not-covered", Error,
            "An artifact is not covered by any provenance or attestation subject.";
        /// Provenance is malformed or disagrees with the policy.
        ProvenanceInvalid = "provenance-invalid", Error,
            "Provenance is malformed or its builder, source or predicate disagrees with the policy.";
        /// The policy's trust root lies inside the release folder it judges.
        TrustRootInRelease = "trust-root-in-release", Error,
            "The trust root the policy names lies inside the release folder: the verifier's root must come from outside the release it judges.";
        /// A required signature is absent.
        SignatureMissing = "signature-missing", Error,
            "A required signature, bundle or attestation is absent.";
    }
    Registries: "registries", "What the package and image registries serve." {
        /// A registry serves other bytes than the local artifact.
        RegistryBytesDiffer = "registry-bytes-differ", Error,
            "A registry serves different bytes than the local, attested artifact.";
        /// A registry does not serve a local artifact, or the version at all.
        RegistryFileMissing = "registry-file-missing", Error,
            "A registry does not serve the release version, or one of the local artifacts it should hold.";
        /// The version is already published on a registry.
        VersionAlreadyPublished = "version-already-published", Error,
            "The version is already published on a registry; versions are immutable, bump the patch version.";
        /// A published version is not visible within the deadline.
        NotVisible = "not-visible", Error,
            "A published version did not become visible on the registry within the deadline.";
        /// A registry holds the version before one it must come after.
        PublishOrderViolated = "publish-order-violated", Error,
            "A registry holds the version while a registry it must be published after does not serve it.";
        /// A promised OCI tag is absent or points elsewhere.
        OciTagMissing = "oci-tag-missing", Error,
            "A tag the release promises (such as X.Y) is absent or does not point at the release digest.";
        /// A forbidden OCI tag exists.
        OciTagForbidden = "oci-tag-forbidden", Error,
            "A tag the policy forbids (such as latest) exists on the registry.";
        /// An OCI index lacks a required platform.
        PlatformMissing = "platform-missing", Error,
            "An image index lacks a platform the policy requires.";
        /// The registry token belongs to another user than the policy's publisher.
        PublisherMismatch = "publisher-mismatch", Error,
            "The registry token belongs to another user (whoami) than the publisher the policy names.";
        /// The publisher is not a member of the scope's org, or its role cannot publish.
        PublisherNotInScope = "publisher-not-in-scope", Error,
            "The token's user is not a member of the org owning the package scope, or its role there cannot publish.";
        /// A served artifact records another commit than the tag's.
        VcsCommitMismatch = "vcs-commit-mismatch", Error,
            "A served artifact (.crate vcs info, npm gitHead, provenance source digest, image revision label) records another commit than the release tag's.";
        /// A served artifact records no commit where the policy requires one.
        VcsCommitMissing = "vcs-commit-missing", Error,
            "A served artifact records no source commit, and the policy's [vcs-binding] requires one for its kind.";
        /// A served .crate was packaged from a dirty working tree.
        VcsDirty = "vcs-dirty", Error,
            "A served .crate was packaged from a working tree with uncommitted changes (.cargo_vcs_info.json \"dirty\": true).";
    }
    Forge: "forge", "The forge: its release object and notes, its CI runs and its deployment settings." {
        /// The forge has no release for the tag.
        ReleaseMissing = "release-missing", Error,
            "The forge has no release for the tag.";
        /// CI has not passed for the exact commit.
        CiNotGreen = "ci-not-green", Error,
            "The tag is not at the branch head, or a required workflow has no completed, successful push run for the commit.";
        /// The release notes lack the changelog section for the version.
        ReleaseNotesMissingSection = "release-notes-missing-section", Error,
            "The forge release's notes do not contain the changelog section for the version byte for byte.";
        /// The release notes lack a line the policy requires.
        ReleaseNotesMissingLine = "release-notes-missing-line", Error,
            "The forge release's notes lack a line the policy requires ({tag} and {version} substituted).";
        /// A deployment environment the policy names does not exist.
        EnvironmentMissing = "environment-missing", Error,
            "A deployment environment the policy names does not exist on the forge.";
        /// An environment has no required reviewer.
        EnvironmentUnprotected = "environment-unprotected", Error,
            "A deployment environment has no required-reviewers rule naming at least one reviewer.";
        /// An environment's deployment tag policy is not the configured pattern.
        EnvironmentTagPolicy = "environment-tag-policy", Error,
            "A deployment environment's policy is not custom with exactly the configured tag pattern.";
        /// The repository's releases are mutable.
        ReleasesMutable = "releases-mutable", Error,
            "The repository does not have immutable releases enabled.";
        /// A `uses:` names no version at all (no `@ref`, or a docker image with neither tag nor digest).
        WorkflowActionUnpinned = "workflow-action-unpinned", Error,
            "A workflow's uses: names no version at all: an action without @ref, or a docker:// image with neither tag nor @sha256: digest.";
        /// A `uses:` names a ref that can move instead of a full commit SHA.
        WorkflowActionFloatingRef = "workflow-action-floating-ref", Error,
            "A workflow's uses: names a ref that can move (a tag like @v4, a branch, a short SHA, a docker image tag) instead of a full 40-hex commit SHA or @sha256: digest.";
        /// A release workflow can be started by hand.
        WorkflowManualTrigger = "workflow-manual-trigger", Error,
            "A release workflow can be started by hand (on: workflow_dispatch).";
        /// A release workflow runs on more than the release tags.
        WorkflowTriggerTooWide = "workflow-trigger-too-wide", Error,
            "A release workflow runs on more than the release tags: a push tag filter wider than the policy's tag pattern, branch pushes, or another event.";
        /// `actions/checkout` keeps the token in `.git/config`.
        WorkflowPersistCredentials = "workflow-persist-credentials", Error,
            "An actions/checkout step does not set persist-credentials: false, so the token stays in .git/config for every later step.";
        /// The default permissions are missing or wider than `contents: read`.
        WorkflowPermissionsTooWide = "workflow-permissions-too-wide", Error,
            "A workflow's top-level permissions are missing or wider than contents: read.";
        /// A job the policy does not name as signing or publishing holds `id-token: write`.
        WorkflowIdTokenOutsideSigning = "workflow-id-token-outside-signing", Error,
            "A job the policy does not name as signing or publishing holds id-token: write.";
        /// A workflow is missing, unreadable or not valid YAML.
        WorkflowInvalid = "workflow-invalid", Error,
            "A workflow the gate must read is missing, unreadable or not a valid YAML mapping (or no release workflow can be found); fails closed.";
        /// The docs branch does not exist.
        DocsBranchMissing = "docs-branch-missing", Error,
            "The docs branch the policy names does not exist in the source repository.";
        /// The docs branch has no folder for the release version.
        DocsVersionMissing = "docs-version-missing", Error,
            "The docs branch holds no folder for the release version, or versions.json does not list it.";
        /// The docs alias does not point at the release version.
        DocsAliasWrong = "docs-alias-wrong", Error,
            "The docs alias (latest) is not mapped to the release version in versions.json.";
        /// `versions.json` is missing or malformed.
        DocsVersionsInvalid = "docs-versions-invalid", Error,
            "The docs branch's versions.json is missing, unreadable or not in mike's format; fails closed.";
    }
    Run: "run", "The run itself: gates that could not reach a verdict, and policy commands." {
        /// A gate could not do its job.
        GateError = "gate-error", Error,
            "A gate could not run to a verdict (I/O error, bad input, panic); fails closed.";
        /// A gate ran out of time.
        GateTimeout = "gate-timeout", Error,
            "A gate did not finish within its timeout; fails closed.";
        /// The policy names a gate nobody implements.
        GateUnknown = "gate-unknown", Error,
            "The policy requires a gate that no implementation provides; fails closed.";
        /// A gate was skipped.
        GateSkipped = "gate-skipped", Error,
            "A gate was skipped (by itself, because a gate it runs after did not pass, or by cancellation); fails closed.";
        /// A gate's command exited unsuccessfully or ran past its timeout.
        CommandFailed = "command-failed", Error,
            "A policy command (smoke test, scan, rebuild) exited with a non-zero status or was killed at its timeout.";
    }
    Policy: "policy", "The release policy and its waivers." {
        /// The policy itself is invalid.
        PolicyInvalid = "policy-invalid", Error,
            "The release policy is invalid (syntax, unknown key, cycle, waiver without a reason).";
        /// A waiver of the policy is past its expiry date.
        WaiverExpired = "waiver-expired", Error,
            "A waiver of the policy is past its expiry date: it covers nothing until renewed or removed.";
        /// The policy declares no schema version.
        PolicyUnversioned = "policy-unversioned", Warning,
            "The policy declares no schema-version: it is read as version 1; see the migration note in docs/policy.md for what that version implies.";
    }
}

/// A code name that is not in the registry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown finding code {0:?}")]
pub struct UnknownCode(pub String);

/// `Serialize` and `Deserialize` through the name ([`names!`](crate::names)), written once
/// for every name-like type of this crate.
macro_rules! by_name {
    ($($t:ty),+) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}
by_name!(Code, Severity);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_kebab_and_round_trip() {
        let mut seen = BTreeSet::new();
        for &c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            );
            assert_eq!(c.as_str().parse::<Code>().unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{c}\""));
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), c);
        }
        assert!("digest_mismatch".parse::<Code>().is_err());
        for &s in Severity::ALL {
            assert_eq!(s.to_string().parse::<Severity>().unwrap(), s);
        }
    }

    #[test]
    fn every_code_is_in_exactly_one_area_and_areas_keep_registry_order() {
        let mut from_areas: Vec<Code> = Vec::new();
        for &a in Area::ALL {
            let codes: Vec<Code> = a.codes().collect();
            assert!(!codes.is_empty(), "{a} has no code");
            from_areas.extend(codes);
        }
        assert_eq!(from_areas, Code::ALL);
        assert_eq!(Code::TriggerDenied.area(), Area::Signing);
        assert_eq!(Code::ChangelogDate.area(), Area::Versions);
    }
}
