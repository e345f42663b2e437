//! What `vcs-binding` compares: the source commit each served artifact records, read from the
//! bytes and documents the registries serve, and the judgement of each against the tag's
//! commit under `[vcs-binding]`.

use std::path::Path;

use artidigest::{Algorithm, Digest, HashingReader, Limits, check_crate, open_in};
use serde_json::{Value, json};

use crate::finding::{Code, Finding, Location};
use crate::policy::model::{Policy, RegistryKind};
use crate::policy::vcs::{Binding, VcsBindingRules, VcsRecord};

/// One record of the source commit that a served artifact carries (or the place where one
/// was looked for and none was found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// Its kind.
    pub(crate) kind: VcsRecord,
    /// The served artifact (`ordvec-0.5.0.crate on core-crate`).
    pub(crate) subject: String,
    /// Where the commit was read: the served file or document, and the key or JSON pointer.
    pub(crate) location: Location,
    /// The commit as recorded; `None` when the artifact records none.
    pub(crate) commit: Option<String>,
    /// `.cargo_vcs_info.json` says the crate was packaged from a dirty work tree.
    pub(crate) dirty: bool,
}

impl Record {
    /// A record of `kind` for `subject`, read at `location`.
    pub(crate) fn new(
        kind: VcsRecord,
        subject: impl Into<String>,
        location: Location,
        commit: Option<String>,
    ) -> Record {
        Record {
            kind,
            subject: subject.into(),
            location,
            commit,
            dirty: false,
        }
    }

    /// Where it was read, for messages: `file key`.
    fn place(&self) -> String {
        match &self.location.key {
            Some(k) => format!("{} {k}", self.location.path),
            None => self.location.path.clone(),
        }
    }
}

/// The kinds of record a registry of `kind` serves.
fn served_by(kind: RegistryKind) -> &'static [VcsRecord] {
    match kind {
        RegistryKind::Cargo => &[VcsRecord::Crate],
        RegistryKind::Npm => &[VcsRecord::Npm, VcsRecord::Provenance],
        RegistryKind::Pypi => &[VcsRecord::Provenance],
        RegistryKind::Oci => &[VcsRecord::Image],
        RegistryKind::GoProxy => &[],
    }
}

/// Whether `[vcs-binding]` (`rules`) requires records of `record` under `policy`: the kinds
/// `require` lists, else every kind the policy's registries serve.
pub(crate) fn requires(rules: &VcsBindingRules, policy: &Policy, record: VcsRecord) -> bool {
    match &rules.require {
        Some(kinds) => kinds.contains(&record),
        None => policy
            .registries
            .values()
            .any(|r| served_by(r.kind).contains(&record)),
    }
}

/// The findings for `records` against the tag's commit `expected`: `vcs-commit-mismatch` for
/// another commit, `vcs-commit-missing` for none where `rules` require the kind, `vcs-dirty`
/// for a crate packaged from a dirty tree; with each record's verdict as evidence.
pub(crate) fn judge(
    rules: &VcsBindingRules,
    policy: &Policy,
    expected: &str,
    records: &[Record],
) -> (Vec<Finding>, Vec<Value>) {
    let mut findings = Vec::new();
    let mut evidence = Vec::new();
    for r in records {
        let verdict = match r.commit.as_deref() {
            Some(c) => rules.judge(expected, c),
            None => Binding::Missing,
        };
        let name = match verdict {
            Binding::Same => "same",
            Binding::Differs => "differs",
            _ => "missing",
        };
        evidence.push(json!({
            "kind": r.kind.as_str(),
            "artifact": r.subject,
            "read-at": r.place(),
            "commit": r.commit,
            "dirty": r.dirty,
            "verdict": name,
        }));
        match verdict {
            Binding::Same => {}
            Binding::Differs => findings.push(
                Finding::new(Code::VcsCommitMismatch, r.subject.clone())
                    .at(r.location.clone())
                    .expected(format!("the tag's commit {expected}"))
                    .found(format!(
                        "{} records {}",
                        r.place(),
                        r.commit.as_deref().unwrap_or_default()
                    ))
                    .hint(
                        "the registry serves an artifact built from another commit (a moved tag, or a build of another checkout): yank it and release a patch version built from the tag",
                    ),
            ),
            _ => {
                if requires(rules, policy, r.kind) {
                    findings.push(
                        Finding::new(Code::VcsCommitMissing, r.subject.clone())
                            .at(r.location.clone())
                            .expected(format!(
                                "a {} record of the tag's commit {expected}",
                                r.kind.as_str()
                            ))
                            .found(format!("{}: no commit recorded", r.place()))
                            .hint(missing_hint(r.kind)),
                    );
                }
            }
        }
        if r.dirty {
            findings.push(
                Finding::new(Code::VcsDirty, r.subject.clone())
                    .at(r.location.clone().key("git.dirty"))
                    .expected("packaged from a clean checkout of the tag")
                    .found(format!("{} says \"dirty\": true", r.location.path))
                    .hint("package without --allow-dirty, from a clean checkout of the tag"),
            );
        }
    }
    (findings, evidence)
}

fn missing_hint(kind: VcsRecord) -> &'static str {
    match kind {
        VcsRecord::Crate => {
            "package the crate with cargo from a git checkout of the tag (cargo then writes .cargo_vcs_info.json), or drop \"crate\" from [vcs-binding] require"
        }
        VcsRecord::Npm => {
            "publish from a git checkout of the tag (npm then records gitHead), or drop \"npm\" from [vcs-binding] require"
        }
        VcsRecord::Provenance => {
            "publish with SLSA provenance or trusted-publishing attestations from the release workflow, or drop \"provenance\" from [vcs-binding] require"
        }
        VcsRecord::Image => {
            "build the image with the org.opencontainers.image.revision label set to the tag's commit, or drop \"image\" from [vcs-binding] require"
        }
    }
}

/// The `.cargo_vcs_info.json` record of the `.crate` at `rel` in `dir`, whose bytes must hash
/// to `served` (the sha256 of the bytes the registry served, as `registry-readback`
/// downloaded and compared them): the file is streamed once through artidigest's crate reader
/// and hashed on the way. `Err` names the file and what failed.
pub(crate) fn crate_record(
    dir: &Path,
    rel: &str,
    served: &Digest,
    subject: &str,
) -> Result<Record, String> {
    let file = open_in(dir, rel, u64::MAX).map_err(|e| format!("cannot open {rel}: {e}"))?;
    let mut hashing = HashingReader::new(file, &[Algorithm::Sha256]);
    let checked = check_crate(&mut hashing, &Limits::default());
    // The reader may stop before the end: hash what is left, so the digest is the file's.
    std::io::copy(&mut hashing, &mut std::io::sink())
        .map_err(|e| format!("cannot read {rel}: {e}"))?;
    let (_, digests) = hashing.finish();
    if digests.get(Algorithm::Sha256) != Some(served) {
        return Err(format!(
            "{rel} is no longer the bytes the registry served ({served}): it changed after registry-readback compared it"
        ));
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let root = name.trim_end_matches(".crate");
    let location = Location::file(format!("{name}!{root}/.cargo_vcs_info.json")).key("git.sha1");
    match checked {
        Ok(info) => Ok(match info.vcs {
            Some(v) => Record {
                dirty: v.dirty,
                ..Record::new(VcsRecord::Crate, subject, location, Some(v.sha1))
            },
            None => Record::new(VcsRecord::Crate, subject, location, None),
        }),
        // A vcs record that names no full commit records none we can bind to.
        Err(artidigest::CrateError::VcsInfo { reason }) => {
            Err(format!("{name}: .cargo_vcs_info.json is invalid: {reason}"))
        }
        Err(e) => Err(format!("{name} is not a readable .crate: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "0123456789abcdef0123456789abcdef01234567";
    const OTHER: &str = "fedcba9876543210fedcba9876543210fedcba98";

    fn policy(extra: &str) -> Policy {
        Policy::from_toml_str(
            &format!(
                "[project]\nname = \"p\"\n[registries.crates]\nkind = \"cargo\"\npackage = \"p\"\n{extra}"
            ),
            "release.toml",
        )
        .unwrap()
    }

    fn codes(findings: &[Finding]) -> Vec<Code> {
        findings.iter().map(|f| f.code).collect()
    }

    fn record(kind: VcsRecord, commit: Option<&str>) -> Record {
        Record::new(
            kind,
            "a",
            Location::file("a").key("k"),
            commit.map(str::to_owned),
        )
    }

    #[test]
    fn each_verdict_has_exactly_its_code() {
        let p = policy("[vcs-binding]\n");
        let rules = p.vcs_binding.clone().unwrap();
        let (f, e) = judge(&rules, &p, TAG, &[record(VcsRecord::Crate, Some(TAG))]);
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(e[0]["verdict"], "same");
        let (f, _) = judge(&rules, &p, TAG, &[record(VcsRecord::Crate, Some(OTHER))]);
        assert_eq!(codes(&f), [Code::VcsCommitMismatch]);
        assert_eq!(f[0].key_path(), Some("k"));
        assert!(f[0].found.as_deref().unwrap().contains(OTHER), "{f:?}");
        assert!(f[0].expected.as_deref().unwrap().contains(TAG), "{f:?}");
        // A cargo registry requires the crate record by default; an image record is not.
        let (f, _) = judge(&rules, &p, TAG, &[record(VcsRecord::Crate, None)]);
        assert_eq!(codes(&f), [Code::VcsCommitMissing]);
        let (f, _) = judge(&rules, &p, TAG, &[record(VcsRecord::Image, None)]);
        assert!(f.is_empty(), "{f:?}");
        let mut dirty = record(VcsRecord::Crate, Some(TAG));
        dirty.dirty = true;
        let (f, _) = judge(&rules, &p, TAG, &[dirty]);
        assert_eq!(codes(&f), [Code::VcsDirty]);
    }

    #[test]
    fn require_names_the_kinds_that_must_be_recorded() {
        let p = policy("[vcs-binding]\nrequire = [\"image\"]\n");
        let rules = p.vcs_binding.clone().unwrap();
        let (f, _) = judge(&rules, &p, TAG, &[record(VcsRecord::Crate, None)]);
        assert!(f.is_empty(), "{f:?}");
        let (f, _) = judge(&rules, &p, TAG, &[record(VcsRecord::Image, Some(""))]);
        assert_eq!(codes(&f), [Code::VcsCommitMissing]);
        // Not required, but recorded: still compared.
        let (f, _) = judge(&rules, &p, TAG, &[record(VcsRecord::Crate, Some(OTHER))]);
        assert_eq!(codes(&f), [Code::VcsCommitMismatch]);
    }

    #[test]
    fn the_policy_section_is_validated_and_implies_the_gate() {
        let p = policy(
            "[vcs-binding]\nrequire = [\"crate\", \"npm\", \"provenance\", \"image\"]\nallow-short-commit = 12\n",
        );
        assert!(p.required_gates().iter().any(|(id, _)| id == "vcs-binding"));
        assert_eq!(p.vcs_binding.unwrap().allow_short_commit, Some(12));
        let refused = [
            ("allow-short-commit = 4", "vcs-binding.allow-short-commit"),
            ("require = [\"tarball\"]", "tarball"),
        ];
        for (section, named) in refused {
            let text = format!("[project]\nname = \"p\"\n[vcs-binding]\n{section}\n");
            let e = Policy::from_toml_str(&text, "release.toml").unwrap_err();
            assert!(e.to_string().contains(named), "{section}: {e}");
        }
    }
}
