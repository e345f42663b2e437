//! `[vcs-binding]`: which served records of the source commit the `vcs-binding` gate requires,
//! and how exactly a recorded commit must equal the tag's.

use serde::Deserialize;

/// A kind of record of the source commit that a served artifact carries.
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum VcsRecord {
    /// A served `.crate`'s `.cargo_vcs_info.json` `git.sha1`.
    Crate,
    /// An npm version document's `gitHead`.
    Npm,
    /// The source digest of the SLSA provenance an npm registry serves for a version, or of the
    /// PEP 740 attestations a Python index serves for a file (for a publish attestation, the
    /// source-repository digest of its verified Fulcio certificate).
    Provenance,
    /// An OCI image configuration's `org.opencontainers.image.revision` label.
    Image,
}

impl VcsRecord {
    /// Every kind, in the order the gate reads them.
    pub const ALL: [VcsRecord; 4] = [
        VcsRecord::Crate,
        VcsRecord::Npm,
        VcsRecord::Provenance,
        VcsRecord::Image,
    ];

    /// The name in the policy (`crate`, `npm`, `provenance`, `image`).
    pub fn as_str(self) -> &'static str {
        match self {
            VcsRecord::Crate => "crate",
            VcsRecord::Npm => "npm",
            VcsRecord::Provenance => "provenance",
            VcsRecord::Image => "image",
        }
    }
}

/// The shortest commit prefix `allow-short-commit` may accept.
pub const MIN_SHORT_COMMIT: usize = 7;

/// `[vcs-binding]`: what the registries serve was built from the release tag's commit.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VcsBindingRules {
    /// The kinds of record a served artifact must carry (`vcs-commit-missing` otherwise).
    /// Absent: every kind the policy's registries serve (a cargo registry: `crate`; npm: `npm`
    /// and `provenance`; a Python index: `provenance`; an OCI image registry: `image`).
    /// `crate`, `npm` and `image` records are compared even when not required; provenance is
    /// verified and read only when required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require: Option<Vec<VcsRecord>>,
    /// Accept a recorded commit that is a prefix of the tag's commit of at least this many hex
    /// digits (at least 7). Absent: only the full 40-digit commit matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_short_commit: Option<usize>,
}

impl VcsBindingRules {
    /// Checks the values; the error names the key.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, String)> {
        if let Some(n) = self.allow_short_commit
            && !(MIN_SHORT_COMMIT..=40).contains(&n)
        {
            return Err((
                "vcs-binding.allow-short-commit",
                format!("{n} is not between {MIN_SHORT_COMMIT} and 40 hex digits"),
            ));
        }
        Ok(())
    }

    /// How `recorded` compares with the tag's commit `expected` (40 lower-case hex).
    pub fn judge(&self, expected: &str, recorded: &str) -> Binding {
        let r = recorded.trim().to_ascii_lowercase();
        if r.is_empty() {
            return Binding::Missing;
        }
        if r == expected {
            return Binding::Same;
        }
        let hex = r.bytes().all(|b| b.is_ascii_hexdigit());
        match self.allow_short_commit {
            Some(min) if hex && r.len() >= min && r.len() < 40 && expected.starts_with(&r) => {
                Binding::Same
            }
            _ => Binding::Differs,
        }
    }
}

/// The verdict on one recorded commit.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// It is the tag's commit (or an allowed prefix of it).
    Same,
    /// It is another commit (or a prefix the policy does not allow, or not a commit at all).
    Differs,
    /// Empty.
    Missing,
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn only_the_full_commit_matches_unless_a_prefix_is_allowed() {
        let strict = VcsBindingRules::default();
        assert_eq!(strict.judge(C, C), Binding::Same);
        assert_eq!(strict.judge(C, &C.to_uppercase()), Binding::Same);
        assert_eq!(strict.judge(C, &C[..12]), Binding::Differs);
        assert_eq!(strict.judge(C, ""), Binding::Missing);
        assert_eq!(
            strict.judge(C, "fedcba9876543210fedcba9876543210fedcba98"),
            Binding::Differs
        );
        let short = VcsBindingRules {
            allow_short_commit: Some(12),
            ..VcsBindingRules::default()
        };
        assert_eq!(short.judge(C, &C[..12]), Binding::Same);
        assert_eq!(short.judge(C, &C[..11]), Binding::Differs);
        assert_eq!(short.judge(C, "0123456789ab-not-hex"), Binding::Differs);
        assert_eq!(short.judge(C, "123456789abc"), Binding::Differs);
    }

    #[test]
    fn allow_short_commit_is_bounded() {
        for (n, ok) in [(6, false), (7, true), (40, true), (41, false)] {
            let r = VcsBindingRules {
                allow_short_commit: Some(n),
                ..VcsBindingRules::default()
            };
            assert_eq!(r.validate().is_ok(), ok, "{n}");
        }
    }
}
