//! The built-in policy for a release folder that comes without one.

use std::path::Path;

use crate::policy::error::PolicyError;
use crate::policy::model::Policy;

/// Checksum file names looked for, in this order, when a folder comes without a policy.
pub const CHECKSUM_FILE_NAMES: [&str; 4] =
    ["SHA256SUMS", "SHA512SUMS", "checksums.txt", "CHECKSUMS"];

impl Policy {
    /// The policy for a plain release folder (`verify_release DIR` without `--policy`): a
    /// checksum file must be there (the first of [`CHECKSUM_FILE_NAMES`] present, else
    /// `SHA256SUMS`) and must verify every file. Everything else follows from what the folder
    /// holds: the run reads every node, and each archive it recognises gets `archive-safety`
    /// and its profile check, so a folder without a policy is checked more, never less.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("checksums.txt"), "")?;
    /// let policy = relgate::Policy::for_folder(dir.path())?;
    /// assert_eq!(policy.checksums.as_ref().map(|c| c.file.as_str()), Some("checksums.txt"));
    /// assert_eq!(policy.release.required_assets, ["checksums.txt"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_folder(release: &Path) -> Result<Policy, PolicyError> {
        let sums = CHECKSUM_FILE_NAMES
            .iter()
            .find(|n| release.join(n).is_file())
            .unwrap_or(&CHECKSUM_FILE_NAMES[0]);
        let name = release
            .file_name()
            .map_or_else(
                || String::from("release"),
                |n| n.to_string_lossy().into_owned(),
            )
            .replace(|c: char| c == '"' || c == '\\' || c.is_control(), "");
        let text = format!(
            "[project]\nname = \"{name}\"\n[release]\nrequired-assets = [\"{sums}\"]\n[checksums]\nfile = \"{sums}\"\n[gates.checksum-file]\nafter = [\"required-assets-present\"]\n"
        );
        Policy::from_toml_str(&text, "(built-in policy)")
    }
}
