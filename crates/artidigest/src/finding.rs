//! artidigest's findings in relkit's one vocabulary (`relkit-finding`).

use relkit_finding::{Code, Finding, Location, Severity};

use crate::profile::{ContentProfile, ProfileFinding};

impl ProfileFinding {
    /// This departure from `profile` as a finding about the archive `archive` (its path in the
    /// release folder): `archive-unsafe`, at info severity for notes that accept the archive
    /// (a legacy `.crate` layout). The entry it names, if any, is the location's key.
    pub fn to_finding(&self, archive: &str, profile: ContentProfile) -> Finding {
        let entry = match self {
            ProfileFinding::OutsideRoot { path, .. }
            | ProfileFinding::NotAFile { path, .. }
            | ProfileFinding::MissingFile { path } => Some(path.as_str()),
            _ => None,
        };
        let location = match entry {
            Some(e) => Location::file(archive).key(e),
            None => Location::file(archive),
        };
        let finding = Finding::new(Code::ArchiveUnsafe, archive)
            .at(location)
            .expected(format!("the {profile} layout"))
            .found(format!("{}: {self}", self.code()));
        if self.is_error() {
            finding
        } else {
            finding.severity(Severity::Info)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_points_at_its_entry_and_a_legacy_crate_is_info() {
        let f = ProfileFinding::MissingFile {
            path: String::from("demo-1.0/PKG-INFO"),
        }
        .to_finding("dist/demo-1.0.tar.gz", ContentProfile::Sdist);
        assert_eq!(f.code, Code::ArchiveUnsafe);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.key_path(), Some("demo-1.0/PKG-INFO"));
        assert_eq!(
            f.found.as_deref(),
            Some("missing-file: demo-1.0/PKG-INFO is missing")
        );
        let legacy = ProfileFinding::LegacyCrate {
            missing: String::from("Cargo.toml.orig"),
        }
        .to_finding("a-1.0.0.crate", ContentProfile::Crate);
        assert_eq!(legacy.severity, Severity::Info);
    }
}
