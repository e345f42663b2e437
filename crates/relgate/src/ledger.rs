//! The coverage ledger: every node of the release folder, what it is, which checks read its
//! bytes and how they ended. A decision is ALLOWED only when every file is covered.
//!
//! The folder is walked once with `artidigest`'s folder reader (links and special files are
//! recorded as what they are, never followed). Each regular file gets a [`FileKind`] from its
//! name and its first bytes; the gate table says which gates a kind needs. A file is
//! *covered* when every gate its kind needs ran, read it and passed — and, for a file of no
//! recognised kind, when at least one passing check read it (a checksum match is enough
//! there, and only there). Anything else is `file-unchecked` (or `file-not-regular`), unless
//! the policy allows it by name with a written reason.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use artidigest::{FolderEntry, FolderError, NodeKind, WalkLimits, open_in, walk_folder};
use serde::{Deserialize, Serialize};

use crate::finding::{Code, Finding};

/// The id under which the coverage step reports in a [`crate::Report`] (phase prepublish).
pub const FILES_COVERED: &str = "files-covered";

/// What a regular file of a release folder is, by name and magic bytes.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A Python wheel (`.whl`).
    Wheel,
    /// A `.tar.gz` named like a Python sdist (`{name}-{version}.tar.gz`); its content decides
    /// whether the sdist layout applies.
    Sdist,
    /// A Rust `.crate`.
    Crate,
    /// A `.tgz`: an npm tarball or a Helm chart.
    Tarball,
    /// Another zip archive (recognised by its magic bytes or `.zip`).
    Zip,
    /// Another gzip stream (recognised by its magic bytes; tar.gz is assumed).
    Gzip,
    /// A plain tar archive (`ustar` magic).
    Tar,
    /// A Sigstore bundle (`.sigstore.json`, `.sigstore`).
    SigstoreBundle,
    /// In-toto attestations (`.intoto.jsonl`).
    Provenance,
    /// A software bill of materials: by name (`*.cdx.json`, `*.spdx.json`, `bom.json`, and
    /// the XML, YAML and tag-value spellings) or by a JSON head naming `bomFormat` or
    /// `spdxVersion`.
    Sbom,
    /// Anything else.
    Other,
}

impl FileKind {
    /// The stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Wheel => "wheel",
            FileKind::Sdist => "sdist",
            FileKind::Crate => "crate",
            FileKind::Tarball => "tarball",
            FileKind::Zip => "zip",
            FileKind::Gzip => "gzip",
            FileKind::Tar => "tar",
            FileKind::SigstoreBundle => "sigstore-bundle",
            FileKind::Provenance => "provenance",
            FileKind::Sbom => "sbom",
            FileKind::Other => "other",
        }
    }

    /// Whether this kind is an archive (it needs `archive-safety`).
    pub fn is_archive(self) -> bool {
        matches!(
            self,
            FileKind::Wheel
                | FileKind::Sdist
                | FileKind::Crate
                | FileKind::Tarball
                | FileKind::Zip
                | FileKind::Gzip
                | FileKind::Tar
        )
    }

    /// The kind of a file, from its name and its first bytes (at least 262 for tar).
    pub fn detect(name: &str, head: &[u8]) -> FileKind {
        let lower = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
        let zip = head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06");
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let tar = head.get(257..262) == Some(b"ustar".as_slice());
        if lower.ends_with(".whl") {
            FileKind::Wheel
        } else if lower.ends_with(".crate") {
            FileKind::Crate
        } else if lower.ends_with(".tar.gz") && sdist_named(&lower) {
            FileKind::Sdist
        } else if lower.ends_with(".tgz") {
            FileKind::Tarball
        } else if lower.ends_with(".sigstore.json") || lower.ends_with(".sigstore") {
            FileKind::SigstoreBundle
        } else if lower.ends_with(".intoto.jsonl") {
            FileKind::Provenance
        } else if sbom_named(&lower) || sbom_head(head) {
            FileKind::Sbom
        } else if zip || lower.ends_with(".zip") {
            FileKind::Zip
        } else if gzip {
            FileKind::Gzip
        } else if tar || lower.ends_with(".tar") {
            FileKind::Tar
        } else {
            FileKind::Other
        }
    }
}

/// Whether a (lower-case) file name is an SBOM's: CycloneDX's `bom.json`/`bom.xml` and
/// `*.cdx.json`/`*.cdx.xml`, SPDX's `*.spdx` and `*.spdx.{json,xml,yaml,yml,rdf,rdf.xml}`.
fn sbom_named(lower: &str) -> bool {
    let base = lower.rsplit('/').next().unwrap_or(lower);
    matches!(base, "bom.json" | "bom.xml")
        || [
            ".cdx.json",
            ".cdx.xml",
            ".spdx",
            ".spdx.json",
            ".spdx.xml",
            ".spdx.yaml",
            ".spdx.yml",
            ".spdx.rdf",
            ".spdx.rdf.xml",
        ]
        .iter()
        .any(|ext| base.ends_with(ext))
}

/// Whether a file's first bytes are a JSON object naming CycloneDX's `bomFormat` or SPDX's
/// `spdxVersion` (generators that sort keys put them later: the name decides for those).
fn sbom_head(head: &[u8]) -> bool {
    let starts_object = head
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    starts_object && (has(b"\"bomFormat\"") || has(b"\"spdxVersion\""))
}

/// Whether a `.tar.gz` file name reads as an sdist's, `{name}-{version}.tar.gz` with a
/// version that starts with a digit and has no `-` (`tool-1.2.3-linux-amd64.tar.gz` and
/// `tool_1.2.3_linux_amd64.tar.gz` are binary tarballs, not sdists).
fn sdist_named(lower: &str) -> bool {
    let stem = lower.strip_suffix(".tar.gz").unwrap_or(lower);
    stem.rsplit_once('-').is_some_and(|(name, version)| {
        !name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// One node of the release folder, as the ledger records it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The path relative to the release folder.
    pub path: String,
    /// What the node is on disk (only `file` can be covered).
    pub node: NodeKind,
    /// What a regular file is (absent for links and special files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<FileKind>,
    /// The size in bytes (regular files).
    pub size: u64,
    /// The checks that read its bytes, and whether each passed.
    pub checks: Vec<LedgerCheck>,
    /// The gates its kind needs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// The verdict.
    pub coverage: Coverage,
}

/// One check that read a file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerCheck {
    /// The gate id.
    pub gate: String,
    /// Whether the gate passed.
    pub passed: bool,
}

/// Whether a node is accounted for.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum Coverage {
    /// Every needed check read it and passed.
    Covered,
    /// Not covered: why.
    Unchecked {
        /// What is missing, in words.
        reason: String,
    },
    /// Not a regular file (a link or a special file).
    NotRegular,
    /// Not covered, but the policy allows it.
    Allowed {
        /// The policy's written reason.
        reason: String,
    },
}

impl Coverage {
    /// Whether this node keeps the decision from being ALLOWED.
    pub fn blocks(&self) -> bool {
        matches!(self, Coverage::Unchecked { .. } | Coverage::NotRegular)
    }
}

/// A file the policy allows without a covering check: a glob and the written reason.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedFile {
    /// The glob (`*` does not cross `/`).
    pub glob: String,
    /// Why it needs no check.
    pub reason: String,
}

impl AllowedFile {
    /// A rule allowing files matching `glob`, for `reason`.
    pub fn new(glob: impl Into<String>, reason: impl Into<String>) -> Self {
        AllowedFile {
            glob: glob.into(),
            reason: reason.into(),
        }
    }
}

/// Most bytes read from each file to recognise its kind.
const HEAD_LEN: u64 = 512;

/// The release folder as walked once: every node, and each regular file's kind.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Every node, sorted by path.
    pub entries: Vec<LedgerEntry>,
}

impl Ledger {
    /// Walks `root` once and recognises each regular file by name and magic bytes.
    pub fn walk(root: &Path) -> Result<Ledger, FolderError> {
        let nodes = walk_folder(root, &WalkLimits::default())?;
        let mut entries = Vec::with_capacity(nodes.len());
        for FolderEntry {
            path, kind, len, ..
        } in nodes
        {
            let file_kind = if kind == NodeKind::File {
                let mut head = Vec::with_capacity(HEAD_LEN as usize);
                let f = open_in(root, &path, u64::MAX)?;
                let mut f = f.take(HEAD_LEN);
                f.read_to_end(&mut head).map_err(|e| FolderError::Io {
                    path: root.join(&path),
                    source: e,
                })?;
                Some(FileKind::detect(&path, &head))
            } else {
                None
            };
            entries.push(LedgerEntry {
                path,
                node: kind,
                kind: file_kind,
                size: len,
                checks: Vec::new(),
                needs: Vec::new(),
                coverage: Coverage::Unchecked {
                    reason: String::from("not yet checked"),
                },
            });
        }
        Ok(Ledger { entries })
    }

    /// The regular files of a kind.
    pub fn files_of(&self, pred: impl Fn(FileKind) -> bool) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(move |e| e.kind.is_some_and(&pred))
            .map(|e| e.path.as_str())
    }

    /// The kinds present among the regular files.
    pub fn kinds(&self) -> Vec<FileKind> {
        let mut v: Vec<FileKind> = self.entries.iter().filter_map(|e| e.kind).collect();
        v.sort();
        v.dedup();
        v
    }

    /// The kinds present among the regular files the policy does not allow: the kinds whose
    /// gates the folder implies. A file allowed with a reason needs no check, so it implies
    /// none (a `{}` bundle allowed by name must not require `signatures-valid`).
    pub fn kinds_to_check(&self, allowed: &[AllowedFile]) -> Vec<FileKind> {
        let mut v: Vec<FileKind> = self
            .files_to_check(allowed)
            .into_iter()
            .map(|(_, k)| k)
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The regular files the policy does not allow, each with its kind, in path order: the
    /// files whose kinds imply gates.
    pub fn files_to_check(&self, allowed: &[AllowedFile]) -> Vec<(&str, FileKind)> {
        let rules = allow_rules(allowed);
        self.entries
            .iter()
            .filter(|e| allowed_by(&rules, &e.path).is_none())
            .filter_map(|e| e.kind.map(|k| (e.path.as_str(), k)))
            .collect()
    }

    /// Records that `gate` read each of `paths` and ended `passed`.
    pub fn record<'a>(
        &mut self,
        gate: &str,
        passed: bool,
        paths: impl IntoIterator<Item = &'a str>,
    ) {
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            index.insert(e.path.as_str(), i);
        }
        let hits: Vec<usize> = paths
            .into_iter()
            .filter_map(|p| index.get(p.trim_start_matches("./")).copied())
            .collect();
        for i in hits {
            if let Some(e) = self.entries.get_mut(i)
                && !e.checks.iter().any(|c| c.gate == gate)
            {
                e.checks.push(LedgerCheck {
                    gate: gate.to_owned(),
                    passed,
                });
            }
        }
    }

    /// Decides every node's coverage: `needs(kind)` lists the gates a kind needs (from the gate
    /// table), `allowed` is the policy's allow-list. Returns one finding per blocking node.
    pub fn settle(
        &mut self,
        needs: impl Fn(FileKind) -> Vec<&'static str>,
        allowed: &[AllowedFile],
    ) -> Vec<Finding> {
        let rules = allow_rules(allowed);
        let allow_reason = |path: &str| allowed_by(&rules, path).map(|a| a.reason.clone());
        let mut findings = Vec::new();
        for e in &mut self.entries {
            let coverage = match e.kind {
                None => Coverage::NotRegular,
                Some(kind) => {
                    let needed = needs(kind);
                    e.needs = needed.iter().map(|s| (*s).to_owned()).collect();
                    uncovered_reason(kind, &needed, &e.checks)
                        .map_or(Coverage::Covered, |reason| Coverage::Unchecked { reason })
                }
            };
            e.coverage = match (coverage.blocks(), allow_reason(&e.path)) {
                (true, Some(reason)) => Coverage::Allowed { reason },
                _ => coverage,
            };
            match &e.coverage {
                Coverage::NotRegular => findings.push(
                    Finding::new(Code::FileNotRegular, e.path.clone())
                        .expected("a regular file")
                        .found(format!("a {}", e.node))
                        .hint("remove it from the release folder; links and special files are never followed or read"),
                ),
                Coverage::Unchecked { reason } => findings.push(
                    Finding::new(Code::FileUnchecked, e.path.clone())
                        .expected(if e.needs.is_empty() {
                            String::from("a passing check that reads it")
                        } else {
                            format!("passing {}", e.needs.join(", "))
                        })
                        .found(reason.clone())
                        .hint("add the check to the policy, or allow the file under [files] allow with a reason"),
                ),
                Coverage::Covered | Coverage::Allowed { .. } => {}
            }
        }
        findings
    }

    /// How many nodes are covered, allowed, and blocking.
    pub fn counts(&self) -> (usize, usize, usize) {
        let covered = self
            .entries
            .iter()
            .filter(|e| e.coverage == Coverage::Covered)
            .count();
        let allowed = self
            .entries
            .iter()
            .filter(|e| matches!(e.coverage, Coverage::Allowed { .. }))
            .count();
        let blocking = self.entries.iter().filter(|e| e.coverage.blocks()).count();
        (covered, allowed, blocking)
    }
}

/// The policy's allow-list, each glob compiled (`*` does not cross `/`; the policy parser
/// already refused bad globs).
fn allow_rules(allowed: &[AllowedFile]) -> Vec<(globset::GlobMatcher, &AllowedFile)> {
    allowed
        .iter()
        .filter_map(|a| crate::folder::glob_matcher(&a.glob).ok().map(|m| (m, a)))
        .collect()
}

/// The first rule allowing `path`, if any.
fn allowed_by<'a>(
    rules: &[(globset::GlobMatcher, &'a AllowedFile)],
    path: &str,
) -> Option<&'a AllowedFile> {
    rules
        .iter()
        .find(|(m, _)| m.is_match(path))
        .map(|(_, a)| *a)
}

/// Why a file of `kind` read by `checks` is not covered when it needs `needed`, or `None`.
fn uncovered_reason(kind: FileKind, needed: &[&str], checks: &[LedgerCheck]) -> Option<String> {
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.gate.as_str())
        .collect();
    if !failed.is_empty() {
        return Some(format!("failed {}", failed.join(", ")));
    }
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|g| !checks.iter().any(|c| c.gate == *g))
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "a {} that {} did not read",
            kind.as_str(),
            missing.join(", ")
        ));
    }
    if checks.is_empty() {
        return Some(String::from("no check read it"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name_then_magic() {
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(
            FileKind::detect("a-1.0-py3-none-any.whl", b""),
            FileKind::Wheel
        );
        assert_eq!(FileKind::detect("dist/x.crate", b""), FileKind::Crate);
        assert_eq!(FileKind::detect("x.bin", b"PK\x03\x04rest"), FileKind::Zip);
        assert_eq!(FileKind::detect("x.bin", &[0x1f, 0x8b, 8]), FileKind::Gzip);
        assert_eq!(FileKind::detect("x.bin", &tar), FileKind::Tar);
        assert_eq!(FileKind::detect("notes.txt", b"hello"), FileKind::Other);
        assert_eq!(
            FileKind::detect("a.whl.sigstore.json", b"{"),
            FileKind::SigstoreBundle
        );
    }

    #[test]
    fn sboms_by_name_or_by_a_json_head_naming_their_format() {
        for name in [
            "sketchlog-3.0.2.spdx.json",
            "dist/app.cdx.json",
            "bom.json",
            "BOM.XML",
            "app.spdx",
            "app.spdx.rdf.xml",
        ] {
            assert_eq!(FileKind::detect(name, b""), FileKind::Sbom, "{name}");
        }
        for (name, head, kind) in [
            (
                "sbom.json",
                b" {\n  \"bomFormat\": \"CycloneDX\"".as_slice(),
                FileKind::Sbom,
            ),
            ("x.json", b"{\"spdxVersion\": \"SPDX-2.3\"", FileKind::Sbom),
            ("notes.json", b"[\"bomFormat\"]", FileKind::Other),
            ("package.json", b"{\"name\": \"x\"}", FileKind::Other),
        ] {
            assert_eq!(FileKind::detect(name, head), kind, "{name}");
        }
        assert!(!FileKind::Sbom.is_archive());
    }

    fn ledger(kinds: &[(&str, Option<FileKind>)]) -> Ledger {
        Ledger {
            entries: kinds
                .iter()
                .map(|(p, k)| LedgerEntry {
                    path: (*p).to_owned(),
                    node: if k.is_some() {
                        NodeKind::File
                    } else {
                        NodeKind::Symlink
                    },
                    kind: *k,
                    size: 0,
                    checks: Vec::new(),
                    needs: Vec::new(),
                    coverage: Coverage::Unchecked {
                        reason: String::new(),
                    },
                })
                .collect(),
        }
    }

    fn needs(kind: FileKind) -> Vec<&'static str> {
        if kind.is_archive() {
            vec!["archive-safety"]
        } else {
            Vec::new()
        }
    }

    #[test]
    fn a_checksum_match_covers_only_files_of_no_kind() {
        let mut l = ledger(&[
            ("a.whl", Some(FileKind::Wheel)),
            ("notes.txt", Some(FileKind::Other)),
            ("link", None),
            ("lonely.txt", Some(FileKind::Other)),
        ]);
        l.record("checksum-file", true, ["a.whl", "notes.txt"]);
        let findings = l.settle(needs, &[]);
        let codes: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.code.as_str(), f.subject.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("file-unchecked", "a.whl"),
                ("file-not-regular", "link"),
                ("file-unchecked", "lonely.txt"),
            ]
        );
        // Archive safety read the wheel and passed: now it is covered.
        l.record("archive-safety", true, ["a.whl"]);
        let findings = l.settle(needs, &[AllowedFile::new("lonely.*", "a note for people")]);
        let codes: Vec<&str> = findings.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(codes, ["link"]);
        assert_eq!(l.counts(), (2, 1, 1));
    }

    #[test]
    fn a_failed_check_leaves_a_file_uncovered() {
        let mut l = ledger(&[("a.whl", Some(FileKind::Wheel))]);
        l.record("archive-safety", false, ["a.whl"]);
        l.record("checksum-file", true, ["a.whl"]);
        let f = l.settle(needs, &[]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            l.entries[0].coverage,
            Coverage::Unchecked {
                reason: String::from("failed archive-safety")
            }
        );
    }
}
