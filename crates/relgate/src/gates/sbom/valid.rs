//! The `sbom-valid` gate: every SBOM of the release folder parses as CycloneDX 1.4–1.6 or SPDX
//! 2.3 JSON, describes this release's component and version, and lists the release artifacts'
//! true digests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use artidigest::{Algorithm, DigestSet};

use crate::finding::{Code, Finding};
use crate::folder::glob_matcher;
use crate::gate::{BlockingGate, GateContext, GateResult};
use crate::ledger::{FileKind, Ledger};
use crate::policy::{SbomFormat, SbomRules};
use crate::registry_client::release_version;
use crate::sbom::read::{Claim, Expected, Format, Problem, read};

/// Largest SBOM read, in bytes.
pub(crate) const MAX_SBOM: u64 = 64 << 20;

/// Each SBOM of the release folder (the `[sbom] files` globs, and every file that is an SBOM
/// by name or content) parses (`sbom-invalid`, at the JSON pointer of the bad value), is
/// CycloneDX 1.4–1.6 or SPDX 2.3 JSON of a format the policy accepts (`sbom-unsupported`),
/// describes the release's component and version (`sbom-component-mismatch`), and every
/// digest it lists for a file of the release folder equals that file's
/// (`sbom-hash-mismatch`). A folder without an SBOM is `asset-missing`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SbomValidGate;

impl BlockingGate for SbomValidGate {
    const ID: &'static str = "sbom-valid";

    fn run_blocking(&self, ctx: &GateContext) -> GateResult {
        let version = match release_version(ctx) {
            Ok(v) => v,
            Err(r) => return r,
        };
        let rules = ctx.policy.sbom.clone().unwrap_or_default();
        let component = rules
            .component
            .clone()
            .unwrap_or_else(|| ctx.policy.project.name.clone());
        check(&ctx.release_dir, &rules, &component, &version)
    }
}

/// The gate over the release folder `dir`, for `component` at `version`.
pub(crate) fn check(dir: &Path, rules: &SbomRules, component: &str, version: &str) -> GateResult {
    let ledger = match Ledger::walk(dir) {
        Ok(l) => l,
        Err(e) => return GateResult::error(format!("cannot list {}: {e}", dir.display())),
    };
    let mut globs = Vec::new();
    for g in &rules.files {
        match glob_matcher(g) {
            Ok(m) => globs.push(m),
            Err(e) => return GateResult::error(format!("bad [sbom] files glob {g:?}: {e}")),
        }
    }
    let files: Vec<&str> = ledger.files_of(|_| true).collect();
    let sboms: Vec<&str> = ledger
        .entries
        .iter()
        .filter(|e| {
            e.kind == Some(FileKind::Sbom)
                || (e.kind.is_some() && globs.iter().any(|m| m.is_match(&e.path)))
        })
        .map(|e| e.path.as_str())
        .collect();
    if sboms.is_empty() {
        return GateResult::from_findings(vec![
            Finding::new(Code::AssetMissing, rules.files.join(", "))
                .expected("an SBOM (CycloneDX or SPDX JSON) in the release folder")
                .found("no file matches")
                .hint("attach the SBOM to the release, or change [sbom] files"),
        ]);
    }
    let formats: Vec<Format> = rules
        .formats
        .iter()
        .map(|f| match f {
            SbomFormat::Cyclonedx => Format::CycloneDx,
            SbomFormat::Spdx => Format::Spdx,
        })
        .collect();
    let expected = Expected {
        component,
        version,
        formats: &formats,
    };

    let mut findings = Vec::new();
    let mut evidence = Vec::new();
    for sbom in &sboms {
        let bytes = match artidigest::open_in(dir, sbom, MAX_SBOM)
            .and_then(artidigest::BoundedFile::read_all)
        {
            Ok(b) => b,
            Err(e) => return GateResult::error(format!("cannot read {sbom}: {e}")),
        };
        let reading = read(&bytes, &expected);
        findings.extend(reading.problems.iter().map(|p| finding(sbom, p)));
        let checked = match check_claims(dir, sbom, &files, &reading.claims) {
            Ok((checked, mismatches)) => {
                findings.extend(mismatches);
                checked
            }
            Err(e) => return GateResult::error(e),
        };
        evidence.push(serde_json::json!({
            "file": sbom,
            "format": reading.format,
            "component": component,
            "version": version,
            "digests-checked": checked,
            "digests-not-computed": reading
                .unchecked
                .iter()
                .map(|(pointer, alg)| serde_json::json!({"pointer": pointer, "algorithm": alg}))
                .collect::<Vec<_>>(),
        }));
    }
    GateResult::from_findings(findings)
        .with_evidence("sboms", serde_json::Value::Array(evidence))
        .reading(sboms.iter().map(|s| (*s).to_owned()))
}

/// The finding for one problem of `sbom`: subject the SBOM, location the file and the JSON
/// pointer (and the line and column when the parser named them).
fn finding(sbom: &str, p: &Problem) -> Finding {
    let mut f = Finding::new(p.code, sbom)
        .in_file(sbom)
        .key(p.pointer.clone())
        .found(p.found.clone());
    if let Some((line, column)) = p.line_col {
        f = f.line_col(line, column);
    }
    if let Some(e) = &p.expected {
        f = f.expected(e.clone());
    }
    if !p.hint.is_empty() {
        f = f.hint(p.hint);
    }
    f
}

/// The release files a claim is for: a file whose path, or else whose name, is one of the
/// names the claim gives (the SBOM itself never).
fn targets<'a>(sbom: &str, files: &[&'a str], claim: &Claim) -> Vec<&'a str> {
    let exact: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| *f != sbom && claim.names.iter().any(|n| n == f))
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    files
        .iter()
        .copied()
        .filter(|f| *f != sbom)
        .filter(|f| {
            let base = f.rsplit('/').next().unwrap_or(f);
            claim.names.iter().any(|n| n == base)
        })
        .collect()
}

/// Checks every claim of `sbom` that names a release file against that file's digest, each
/// file hashed once in every algorithm claimed for it. Returns what was checked and the
/// mismatches; `Err` when a release file cannot be read.
fn check_claims(
    dir: &Path,
    sbom: &str,
    files: &[&str],
    claims: &[Claim],
) -> Result<(Vec<serde_json::Value>, Vec<Finding>), String> {
    let mut wanted: BTreeMap<&str, BTreeSet<Algorithm>> = BTreeMap::new();
    let matched: Vec<(&Claim, Vec<&str>)> = claims
        .iter()
        .map(|c| (c, targets(sbom, files, c)))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    for (c, t) in &matched {
        for f in t {
            wanted.entry(f).or_default().insert(c.digest.algorithm());
        }
    }
    let mut digests: BTreeMap<&str, DigestSet> = BTreeMap::new();
    for (file, algs) in &wanted {
        let algs: Vec<Algorithm> = algs.iter().copied().collect();
        let set = artidigest::open_in(dir, file, u64::MAX)
            .map_err(|e| e.to_string())
            .and_then(|r| artidigest::digest_reader(r, &algs).map_err(|e| e.to_string()))
            .map_err(|e| format!("cannot hash {file}, which {sbom} lists: {e}"))?;
        digests.insert(file, set);
    }
    let mut checked = Vec::new();
    let mut findings = Vec::new();
    for (c, t) in matched {
        let alg = c.digest.algorithm();
        let actual: Vec<(&str, Option<&artidigest::Digest>)> = t
            .iter()
            .map(|f| (*f, digests.get(f).and_then(|s| s.get(alg))))
            .collect();
        let equal = actual.iter().any(|(_, d)| *d == Some(&c.digest));
        checked.push(serde_json::json!({
            "file": t.join(", "),
            "algorithm": alg.name(),
            "pointer": c.pointer,
            "matches": equal,
        }));
        if !equal {
            let found = actual
                .iter()
                .map(|(f, d)| {
                    format!(
                        "{f}: {}",
                        d.map_or_else(|| String::from("not computed"), ToString::to_string)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            findings.push(
                Finding::new(Code::SbomHashMismatch, sbom)
                    .in_file(sbom)
                    .key(c.pointer.clone())
                    .expected(format!("{} (what {sbom} lists for {})", c.digest, t.join(", ")))
                    .found(found)
                    .hint("the artifact changed after the SBOM was generated, or the SBOM describes another build: regenerate it from the released files"),
            );
        }
    }
    Ok((checked, findings))
}

#[cfg(test)]
mod tests;
