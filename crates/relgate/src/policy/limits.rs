//! Policy settings beside the gate sections: the schema version, the archive caps per artifact
//! kind (`[archive-limits.<kind>]`), artifact kind names, and the built-in policy for a plain
//! release folder.

use std::path::Path;

use artidigest::Limits;

use crate::finding::{Code, Finding};
use crate::policy::error::PolicyError;
use crate::policy::model::{ArchiveLimits, ArtifactKind, Policy};

/// The policy schema version this relgate reads (`schema-version = 1`). A policy declaring a
/// higher version is refused at load; one declaring none is read as this version, with a
/// `policy-unversioned` notice in every report.
pub const SCHEMA_VERSION: u32 = 1;

/// Names a checksum file goes by, in the order [`Policy::for_plain_folder`] looks for them.
const CHECKSUM_FILES: [&str; 4] = ["SHA256SUMS", "SHA512SUMS", "checksums.txt", "CHECKSUMS"];

impl ArchiveLimits {
    /// `base` with every cap this table sets replaced.
    pub fn apply(&self, mut base: Limits) -> Limits {
        fn set<T>(cap: &mut T, value: Option<T>) {
            if let Some(v) = value {
                *cap = v;
            }
        }
        set(&mut base.max_compression_ratio, self.max_ratio);
        set(&mut base.bomb_ratio, self.bomb_ratio);
        set(&mut base.max_bomb_size, self.max_bomb_size);
        set(&mut base.max_entries, self.max_entries);
        set(&mut base.max_entry_size, self.max_entry_size);
        set(&mut base.max_total_size, self.max_total_size);
        base
    }

    /// The first key set to 0 (a cap of 0 refuses every archive), if any.
    pub(crate) fn zero_key(&self) -> Option<&'static str> {
        [
            ("max-ratio", self.max_ratio == Some(0)),
            ("bomb-ratio", self.bomb_ratio == Some(0)),
            ("max-bomb-size", self.max_bomb_size == Some(0)),
            ("max-entries", self.max_entries == Some(0)),
            ("max-entry-size", self.max_entry_size == Some(0)),
            ("max-total-size", self.max_total_size == Some(0)),
        ]
        .into_iter()
        .find_map(|(k, zero)| zero.then_some(k))
    }
}

impl ArtifactKind {
    /// Every kind, in declaration order.
    pub const ALL: [ArtifactKind; 12] = [
        ArtifactKind::Wheel,
        ArtifactKind::Sdist,
        ArtifactKind::Crate,
        ArtifactKind::NpmTarball,
        ArtifactKind::OciImage,
        ArtifactKind::HelmChart,
        ArtifactKind::GoModule,
        ArtifactKind::ChecksumFile,
        ArtifactKind::Sbom,
        ArtifactKind::Provenance,
        ArtifactKind::Signature,
        ArtifactKind::Binary,
    ];

    /// The kind named `name`, if any.
    pub(crate) fn from_name(name: &str) -> Option<ArtifactKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

relkit_finding::names! {
    ArtifactKind,
    /// The kebab-case name used in policies (`[[artifacts]] kind = "npm-tarball"`).
    fn as_str {
        Wheel => "wheel",
        Sdist => "sdist",
        Crate => "crate",
        NpmTarball => "npm-tarball",
        OciImage => "oci-image",
        HelmChart => "helm-chart",
        GoModule => "go-module",
        ChecksumFile => "checksum-file",
        Sbom => "sbom",
        Provenance => "provenance",
        Signature => "signature",
        Binary => "binary",
    }
}

impl Policy {
    /// The caps `archive-safety` holds an archive of `kind` to: `artidigest`'s defaults with
    /// the policy's `[archive-limits.<kind>]` applied (the defaults alone when the kind is
    /// unknown or has no table).
    pub fn archive_limits_for(&self, kind: Option<ArtifactKind>) -> Limits {
        kind.and_then(|k| self.archive_limits.get(&k))
            .map_or_else(Limits::default, |l| l.apply(Limits::default()))
    }

    /// The built-in policy for a plain release folder (no `release.toml`): its checksum file
    /// (`SHA256SUMS`, `SHA512SUMS`, `checksums.txt` or `CHECKSUMS`, the first present, else
    /// `SHA256SUMS`) is present and verifies every file. The gates the folder's files imply
    /// (`archive-safety` for archives, ...) join as for any policy.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let policy = relgate::Policy::for_plain_folder(dir.path())?;
    /// assert_eq!(policy.checksums.map(|c| c.file).as_deref(), Some("SHA256SUMS"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_plain_folder(release: &Path) -> Result<Policy, PolicyError> {
        let sums = CHECKSUM_FILES
            .iter()
            .find(|n| release.join(n).is_file())
            .unwrap_or(&CHECKSUM_FILES[0]);
        let name = release.file_name().map_or_else(
            || String::from("release"),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut policy = Policy::from_toml_str(
            &format!(
                "schema-version = {SCHEMA_VERSION}\n[project]\nname = \"release\"\n[release]\nrequired-assets = [\"{sums}\"]\n[checksums]\nfile = \"{sums}\"\n[gates.checksum-file]\nafter = [\"required-assets-present\"]\n"
            ),
            "(built-in policy)",
        )?;
        policy.project.name = name;
        policy.plain_folder = true;
        Ok(policy)
    }

    /// The release version inside `tag`, under `[tag] pattern` (`v{version}` when the policy
    /// has no `[tag]`).
    pub fn release_version<'t>(&self, tag: &'t str) -> Option<&'t str> {
        match &self.tag {
            Some(rules) => rules.version_in(tag),
            None => tag.strip_prefix('v'),
        }
        .filter(|v| !v.is_empty())
    }

    /// The glob a `[release] required-assets` pattern stands for in a run of `tag`: `{version}`
    /// replaced by the release version (by `*`, any version, when there is no tag or it does
    /// not fit the tag pattern).
    ///
    /// ```
    /// let policy = relgate::Policy::from_toml_str(
    ///     "schema-version = 1\n[project]\nname = \"ordvec\"\n",
    ///     "release.toml",
    /// )?;
    /// assert_eq!(policy.required_asset_glob("ordvec-{version}.crate", Some("v0.5.0")), "ordvec-0.5.0.crate");
    /// assert_eq!(policy.required_asset_glob("ordvec-{version}.crate", None), "ordvec-*.crate");
    /// # Ok::<(), relgate::PolicyError>(())
    /// ```
    pub fn required_asset_glob(&self, pattern: &str, tag: Option<&str>) -> String {
        let version = tag.and_then(|t| self.release_version(t));
        pattern.replace("{version}", version.unwrap_or("*"))
    }

    /// Non-blocking notices about the policy itself, carried in every report of a run of it:
    /// `policy-unversioned` when it declares no `schema-version`.
    pub fn notices(&self) -> Vec<Finding> {
        if self.schema_version.is_some() {
            return Vec::new();
        }
        vec![
            Finding::new(Code::PolicyUnversioned, self.project.name.clone())
                .expected(format!("schema-version = {SCHEMA_VERSION} at the top of the policy"))
                .found("no schema-version: read as version 1")
                .hint("add `schema-version = 1` after reading the migration note in docs/policy.md (what this version newly implies)"),
        ]
    }
}
