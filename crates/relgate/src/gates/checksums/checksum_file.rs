//! The `checksum-file` gate.

use std::path::Path;

use artidigest::checksums::{ParseOptions, Status, VerifyOptions};
use artidigest::{ChecksumFile, verify_folder};

use crate::finding::{Code, Finding};
use crate::folder::glob_matcher;
use crate::gate::{BlockingGate, GateContext, GateResult};
use crate::policy::ChecksumRules;

/// Largest checksum file read, in bytes.
const MAX_CHECKSUM_FILE: u64 = 16 << 20;

/// The release folder verifies against its checksum file like `sha256sum -c` (GNU or BSD
/// form, any algorithm `artidigest` knows): `digest-mismatch`, `checksum-missing`,
/// `checksum-unlisted` (unless allowed by `unlisted-allowed`), `checksum-file-invalid`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChecksumFileGate;

impl BlockingGate for ChecksumFileGate {
    const ID: &'static str = "checksum-file";

    fn run_blocking(&self, ctx: &GateContext) -> GateResult {
        let Some(rules) = &ctx.policy.checksums else {
            return GateResult::skipped("the policy has no [checksums] section");
        };
        check(&ctx.release_dir, rules)
    }
}

fn check(dir: &Path, rules: &ChecksumRules) -> GateResult {
    let invalid = |found: String| {
        GateResult::from_findings(vec![
            Finding::new(Code::ChecksumFileInvalid, rules.file.clone())
                .found(found)
                .hint("regenerate it with `sha256sum * > checksums.txt` in the release folder"),
        ])
    };
    // Inside the release folder, component by component: a checksum file that is a symlink
    // (to anything), a FIFO or a device is refused before it is opened.
    let bytes = match artidigest::open_in(dir, &rules.file, MAX_CHECKSUM_FILE)
        .and_then(artidigest::BoundedFile::read_all)
    {
        Ok(b) => b,
        Err(e) => return invalid(format!("cannot read it: {e}")),
    };
    let sums = match ChecksumFile::parse_named(&bytes, &rules.file, ParseOptions::default()) {
        Ok(s) => s,
        Err(e) => return invalid(e.to_string()),
    };
    if sums.entries.is_empty() {
        return invalid(String::from("it lists no files"));
    }
    let verification = match verify_folder(dir, &sums, Some(&rules.file), VerifyOptions::default())
    {
        Ok(v) => v,
        Err(e) => return GateResult::error(format!("cannot verify {}: {e}", dir.display())),
    };

    let mut findings = Vec::new();
    for l in &verification.malformed {
        findings.push(
            Finding::new(Code::ChecksumFileInvalid, format!("{}:{l}", rules.file))
                .found("improperly formatted checksum line"),
        );
    }
    for e in verification.failures() {
        let subject = e.name.clone();
        findings.push(match &e.status {
            Status::Mismatched { expected, actual } => Finding::new(Code::DigestMismatch, subject)
                .expected(expected.to_string())
                .found(actual.to_string())
                .hint(format!(
                    "line {} of {}: the file changed after the checksum file was written, or was replaced",
                    e.line, rules.file
                )),
            Status::Missing => Finding::new(Code::ChecksumMissing, subject)
                .expected(format!("listed on line {} of {}", e.line, rules.file))
                .found("no such file"),
            Status::NotAFile => Finding::new(Code::ChecksumMissing, subject)
                .expected("a regular file inside the release folder")
                .found("a directory, device or link leading out of the folder"),
            Status::Unreadable { error } => Finding::new(Code::ChecksumMissing, subject)
                .expected("a readable file")
                .found(format!("unreadable: {error}")),
            _ => Finding::new(Code::ChecksumMissing, subject).found("not verified"),
        });
    }
    if rules.fail_on_unlisted {
        let allowed: Vec<globset::GlobMatcher> = rules
            .unlisted_allowed
            .iter()
            .filter_map(|g| glob_matcher(g).ok())
            .collect();
        if allowed.len() != rules.unlisted_allowed.len() {
            return GateResult::error("a glob in [checksums] unlisted-allowed is invalid");
        }
        for u in &verification.unlisted {
            if !allowed.iter().any(|m| m.is_match(u)) {
                findings.push(
                    Finding::new(Code::ChecksumUnlisted, u.clone())
                        .expected(format!("listed in {}", rules.file))
                        .found("present in the release folder but not listed")
                        .hint("add it to the checksum file, or to [checksums] unlisted-allowed"),
                );
            }
        }
    }
    let matched = verification.matched().count();
    // The digest of every file that matched its line (the VSA's subjects name them).
    // (One outcome per entry, in checksum-file order.)
    let digests: serde_json::Map<String, serde_json::Value> = sums
        .entries
        .iter()
        .zip(&verification.entries)
        .filter(|(s, e)| s.name == e.name && matches!(e.status, Status::Matched))
        .map(|(s, _)| {
            (
                s.name.trim_start_matches("./").to_owned(),
                s.digest.to_string().into(),
            )
        })
        .collect();
    GateResult::from_findings(findings)
        .with_evidence("checksum-file", serde_json::json!(rules.file))
        .with_evidence("matched", serde_json::json!(matched))
        .with_evidence("listed", serde_json::json!(verification.entries.len()))
        .with_evidence("unlisted", serde_json::json!(verification.unlisted))
        .with_evidence("digests", serde_json::Value::Object(digests))
        .reading(
            std::iter::once(rules.file.clone()).chain(
                verification
                    .matched()
                    .map(|e| e.name.trim_start_matches("./").to_owned()),
            ),
        )
}
