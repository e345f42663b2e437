//! Findings: what a gate found, under a stable code.

use std::fmt;
use std::str::FromStr;

/// How much a finding matters to the release decision.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Informational; never blocks.
    Info,
    /// Worth a look; never blocks.
    Warning,
    /// Blocks the release unless the policy waives it with a reason.
    Error,
}

impl Severity {
    /// The lowercase name used in reports (`error`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Whether a finding of this severity blocks the release when not waived.
    pub fn blocks(self) -> bool {
        self == Severity::Error
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not `error`, `warning` or `info`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?} (expected error, warning or info)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(UnknownSeverity(other.to_owned())),
        }
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $sev:ident, $desc:literal; )+) => {
        /// A stable finding code.
        ///
        /// Codes are kebab-case, unique, and never renamed: scripts, waivers and dashboards
        /// key on them. Every code is documented in `docs/gates.md`.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )+
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )+ ];

            /// The kebab-case name (`digest-mismatch`).
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )+ }
            }

            /// The default severity of findings under this code.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )+ }
            }

            /// A one-line description.
            pub fn description(self) -> &'static str {
                match self { $( Code::$variant => $desc, )+ }
            }
        }
    };
}

codes! {
    /// A version source disagrees with the tag or with its siblings.
    VersionMismatch = "version-mismatch", Error,
        "A version source (manifest, lock file, chart, module) disagrees with the release version.";
    /// The tag is not strict SemVer under the policy's pattern.
    TagNotStrictSemver = "tag-not-strict-semver", Error,
        "The tag is not strict SemVer under the policy's tag pattern (no pre-release, no leading zeros).";
    /// The changelog has no section for the version.
    ChangelogSectionMissing = "changelog-section-missing", Error,
        "The changelog has no section for the release version.";
    /// The tag to be created already exists.
    TagAlreadyExists = "tag-already-exists", Error,
        "The release tag already exists, so this version cannot be released again.";
    /// A coupled tag points at another commit or is missing.
    CoupledTagMismatch = "coupled-tag-mismatch", Error,
        "A coupled tag (for example a Go module tag) is missing or points at another commit.";
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
    /// A rebuild produced different bytes.
    NotReproducible = "not-reproducible", Error,
        "Rebuilding the artifact from the tagged source produced different bytes.";
    /// A file the rebuild would compare was not provably written by this build.
    RebuildOutputStale = "rebuild-output-stale", Error,
        "A rebuilt file was not provably written by this build (its output folder existed before the build, or the file lies outside the folders the gate owns or predates the build); fails closed.";
    /// The rebuild built a tree no release tag or commit pins.
    RebuildUnpinned = "rebuild-unpinned", Warning,
        "No release tag or commit was given, so the rebuild built a source tree nothing pins; an error when that working tree has uncommitted changes.";
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
    /// A required signature is absent.
    SignatureMissing = "signature-missing", Error,
        "A required signature, bundle or attestation is absent.";
    /// A required release asset is absent.
    AssetMissing = "asset-missing", Error,
        "A required release asset is absent from the release folder or the forge release.";
    /// A required-asset pattern matched a file of another artifact than the one it names.
    AssetWrongArtifact = "asset-wrong-artifact", Error,
        "A required-asset pattern matched a file that belongs to another package than the one the pattern names (ordvec-*.crate matching ordvec-manifest-0.5.0.crate).";
    /// The forge has no release for the tag.
    ReleaseMissing = "release-missing", Error,
        "The forge has no release for the tag.";
    /// CI has not passed for the exact commit.
    CiNotGreen = "ci-not-green", Error,
        "The tag is not at the branch head, or a required workflow has no completed, successful push run for the commit.";
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
    /// The policy itself is invalid.
    PolicyInvalid = "policy-invalid", Error,
        "The release policy is invalid (syntax, unknown key, cycle, waiver without a reason).";
    /// A gate's command exited unsuccessfully or ran past its timeout.
    CommandFailed = "command-failed", Error,
        "A policy command (smoke test, scan, rebuild) exited with a non-zero status or was killed at its timeout.";
    /// A commit since the previous release is not a Conventional Commit.
    CommitNotConventional = "commit-not-conventional", Error,
        "A commit since the previous release tag is not in the Conventional Commits shape.";
    /// The tag's version is not the one the commits since the previous release imply.
    VersionBumpMismatch = "version-bump-mismatch", Error,
        "The release version is not the bump (major, minor, patch) the Conventional Commits since the previous tag imply.";
    /// A release file no passing check read (or not every check its kind needs).
    FileUnchecked = "file-unchecked", Error,
        "A file of the release folder was not read by every check its kind needs, or one of them failed; fails closed.";
    /// A release folder node is a symlink or a special file.
    FileNotRegular = "file-not-regular", Error,
        "The release folder holds a symlink, FIFO, socket or device; such nodes are never followed or read.";
    /// A waiver of the policy is past its expiry date.
    WaiverExpired = "waiver-expired", Error,
        "A waiver of the policy is past its expiry date: it covers nothing until renewed or removed.";
    /// The policy declares no schema version.
    PolicyUnversioned = "policy-unversioned", Warning,
        "The policy declares no schema-version: it is read as version 1; see the migration note in docs/policy.md for what that version implies.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code name that is not in the registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown finding code {0:?}")]
pub struct UnknownCode(pub String);

impl FromStr for Code {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

macro_rules! serde_as_str {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
serde_as_str!(Code);
serde_as_str!(Severity);

/// One thing a gate found: under a stable code, about a subject, with what was expected and
/// what was found, and a hint at the fix.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// How much it matters (the code's default unless a gate says otherwise).
    pub severity: Severity,
    /// What the finding is about: a file, a registry package, a tag, a workflow.
    pub subject: String,
    /// What the policy or the reference says it should be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What was found instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Finding {
    /// A finding with the code's default severity and no expected/found/hint.
    pub fn new(code: Code, subject: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            subject: subject.into(),
            expected: None,
            found: None,
            hint: None,
        }
    }

    /// Sets what was expected.
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// Sets what was found.
    pub fn found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }

    /// Sets the hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Overrides the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

impl fmt::Display for Finding {
    /// `code: subject (expected X, found Y)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.subject)?;
        match (&self.expected, &self.found) {
            (Some(e), Some(x)) => write!(f, " (expected {e}, found {x})")?,
            (Some(e), None) => write!(f, " (expected {e})")?,
            (None, Some(x)) => write!(f, " (found {x})")?,
            (None, None) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_str_and_serde() {
        for &c in Code::ALL {
            assert_eq!(c.as_str().parse::<Code>().unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), c);
        }
        assert!("digest_mismatch".parse::<Code>().is_err());
        for s in [Severity::Info, Severity::Warning, Severity::Error] {
            assert_eq!(s.to_string().parse::<Severity>().unwrap(), s);
        }
    }

    #[test]
    fn finding_display_names_expected_and_found() {
        let f = Finding::new(Code::DigestMismatch, "a.whl")
            .expected("sha256:aa")
            .found("sha256:bb");
        assert_eq!(
            f.to_string(),
            "digest-mismatch: a.whl (expected sha256:aa, found sha256:bb)"
        );
        assert_eq!(f.severity, Severity::Error);
    }
}
