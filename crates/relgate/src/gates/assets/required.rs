//! The `required-assets-present` gate.

use std::path::Path;

use crate::artifact_names::belongs_to;
use crate::finding::{Code, Finding};
use crate::folder::{glob_matcher, list_files};
use crate::gate::{BlockingGate, GateContext, GateResult};
use crate::policy::model::{ArtifactKind, Policy};

/// Every pattern of `[release] required-assets` matches at least one regular file of the
/// release folder that belongs to the package the pattern names.
///
/// A pattern is a glob relative to the release folder; `{version}` in it stands for the
/// release version (from the tag, under `[tag] pattern`; any version when the run has no
/// tag). The package a pattern names is its literal text before the first wildcard or
/// `{version}`, less one trailing `-`, `_` or `.` (`ordvec-*.crate` names `ordvec`; `*.whl`
/// and `checksums.txt` name none). A matched file of a wheel, sdist, crate or npm tarball
/// (its `[[artifacts]]` kind, else its name) whose own package name differs is an
/// `asset-wrong-artifact` finding naming the package it belongs to (`ordvec-manifest-0.5.0.crate`
/// for `ordvec-*.crate`); a pattern that matches nothing, or only such files, is
/// `asset-missing`. The evidence lists each pattern's matches.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequiredAssetsGate;

impl BlockingGate for RequiredAssetsGate {
    const ID: &'static str = "required-assets-present";

    fn run_blocking(&self, ctx: &GateContext) -> GateResult {
        check(&ctx.release_dir, &ctx.policy, ctx.tag.as_deref())
    }
}

/// The package a pattern names: its literal text before the first wildcard or `{version}`,
/// less one trailing separator; none for a pattern without a wildcard or without such text.
pub(crate) fn named_package(pattern: &str) -> Option<&str> {
    let cut = pattern.find(['*', '?', '[', '{'])?;
    let literal = pattern.get(..cut)?;
    let literal = literal.rsplit('/').next().unwrap_or(literal);
    let name = literal.strip_suffix(['-', '_', '.']).unwrap_or(literal);
    (!name.is_empty()).then_some(name)
}

/// The kind a matched file is read as: its `[[artifacts]]` kind, else the kind its name
/// shows (`.whl`, `.tar.gz`, `.crate`, `.tgz`).
fn kind_of(policy: &Policy, file: &str) -> Option<ArtifactKind> {
    let declared = policy
        .artifacts
        .iter()
        .find(|a| glob_matcher(&a.glob).is_ok_and(|m| m.is_match(file)));
    if let Some(a) = declared {
        return Some(a.kind);
    }
    let lower = file.to_ascii_lowercase();
    [
        (".whl", ArtifactKind::Wheel),
        (".tar.gz", ArtifactKind::Sdist),
        (".crate", ArtifactKind::Crate),
        (".tgz", ArtifactKind::NpmTarball),
    ]
    .into_iter()
    .find_map(|(ext, kind)| lower.ends_with(ext).then_some(kind))
}

/// The package name and version a file of `kind` is named after, by its ecosystem's naming
/// (`{name}-{version}...`); none for kinds not named after a package.
pub(crate) fn parse_file_name(kind: ArtifactKind, file: &str) -> Option<(&str, &str)> {
    let base = file.rsplit('/').next().unwrap_or(file);
    // `{name}-{version}{ext}` where the version is the first SemVer after a `-`: package
    // names may hold `-` and digits (`sha-1-0.10.0.crate`), versions may hold `-`.
    let semver_split = |ext: &str| {
        let stem = base.strip_suffix(ext)?;
        stem.match_indices('-').find_map(|(i, _)| {
            let (name, rest) = (stem.get(..i)?, stem.get(i + 1..)?);
            (!name.is_empty() && rest.parse::<relver::Version>().is_ok()).then_some((name, rest))
        })
    };
    match kind {
        ArtifactKind::Wheel => {
            let mut parts = base.strip_suffix(".whl")?.split('-');
            match (parts.next(), parts.next()) {
                (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => Some((n, v)),
                _ => None,
            }
        }
        ArtifactKind::Sdist => [".tar.gz", ".zip"]
            .iter()
            .find_map(|ext| base.strip_suffix(ext))
            .and_then(|stem| stem.rsplit_once('-'))
            .filter(|(n, v)| !n.is_empty() && !v.is_empty()),
        ArtifactKind::Crate => semver_split(".crate"),
        ArtifactKind::NpmTarball => semver_split(".tgz"),
        _ => None,
    }
}

/// The package `file` belongs to when it is not `named`'s (by the ecosystem's name
/// comparison: PEP 503 for Python, exact for crates, the packed scope for npm).
fn other_package<'f>(policy: &Policy, file: &'f str, named: &str) -> Option<&'f str> {
    let kind = kind_of(policy, file)?;
    let (name, version) = parse_file_name(kind, file)?;
    let base = file.rsplit('/').next().unwrap_or(file);
    (!belongs_to(kind, base, named, version)).then_some(name)
}

fn check(dir: &Path, policy: &Policy, tag: Option<&str>) -> GateResult {
    let files = match list_files(dir) {
        Ok(f) => f,
        Err(e) => {
            return GateResult::error(format!(
                "cannot list the release folder {}: {e}",
                dir.display()
            ));
        }
    };
    let mut findings = Vec::new();
    let mut evidence = serde_json::Map::new();
    let mut wrong_evidence = serde_json::Map::new();
    for pattern in &policy.release.required_assets {
        let glob = policy.required_asset_glob(pattern, tag);
        let m = match glob_matcher(&glob) {
            Ok(m) => m,
            Err(e) => return GateResult::error(format!("bad glob {glob:?}: {e}")),
        };
        let hits: Vec<&String> = files.iter().filter(|f| m.is_match(f.as_str())).collect();
        let named = named_package(pattern);
        let wrong: Vec<(&str, &str)> = named.map_or_else(Vec::new, |named| {
            hits.iter()
                .filter_map(|f| other_package(policy, f, named).map(|p| (f.as_str(), p)))
                .collect()
        });
        for (file, package) in &wrong {
            findings.push(
                Finding::new(Code::AssetWrongArtifact, (*file).to_owned())
                    .expected(format!(
                        "a file of {} (required asset {pattern:?})",
                        named.unwrap_or_default()
                    ))
                    .found(format!("a file of {package}"))
                    .hint(format!(
                        "narrow the pattern so it names only {}'s files (for example with {{version}}: {}-{{version}}...)",
                        named.unwrap_or_default(),
                        named.unwrap_or_default()
                    )),
            );
        }
        if hits.is_empty() || wrong.len() == hits.len() {
            let found = if hits.is_empty() {
                format!("none among {} files", files.len())
            } else {
                let names: Vec<&str> = wrong.iter().map(|(f, _)| *f).collect();
                format!("only files of other packages: {}", names.join(", "))
            };
            findings.push(
                Finding::new(Code::AssetMissing, pattern.clone())
                    .expected(if glob == *pattern {
                        String::from("at least one file matching the glob")
                    } else {
                        format!("at least one file matching {glob:?}")
                    })
                    .found(found)
                    .hint(
                        "build and attach the asset, or fix the glob in [release] required-assets",
                    ),
            );
        }
        evidence.insert(pattern.clone(), serde_json::json!(hits));
        if !wrong.is_empty() {
            let list: Vec<serde_json::Value> = wrong
                .iter()
                .map(|(f, p)| serde_json::json!({ "file": f, "package": p }))
                .collect();
            wrong_evidence.insert(pattern.clone(), serde_json::Value::Array(list));
        }
    }
    let mut result = GateResult::from_findings(findings)
        .with_evidence("matches", serde_json::Value::Object(evidence));
    if !wrong_evidence.is_empty() {
        result = result.with_evidence("wrong-artifact", serde_json::Value::Object(wrong_evidence));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_name_the_text_before_the_first_wildcard() {
        let cases = [
            ("ordvec-*.crate", Some("ordvec")),
            ("ordvec-{version}.crate", Some("ordvec")),
            ("ordvec_manifest-*.whl", Some("ordvec_manifest")),
            ("dist/app-?.zip", Some("app")),
            ("*.whl", None),
            ("*-cp312-*.whl", None),
            ("checksums.txt", None),
        ];
        for (pattern, expected) in cases {
            assert_eq!(named_package(pattern), expected, "{pattern}");
        }
    }

    #[test]
    fn file_names_parse_by_kind() {
        use ArtifactKind::*;
        // (kind, file name, package, version)
        let parsed = [
            (
                Crate,
                "ordvec-manifest-0.5.0.crate",
                "ordvec-manifest",
                "0.5.0",
            ),
            (Crate, "sha-1-0.10.0-rc.1.crate", "sha-1", "0.10.0-rc.1"),
            (
                Wheel,
                "ordvec_manifest-0.5.0-py3-none-any.whl",
                "ordvec_manifest",
                "0.5.0",
            ),
            (
                Sdist,
                "ordvec_manifest-0.5.0.tar.gz",
                "ordvec_manifest",
                "0.5.0",
            ),
            (
                NpmTarball,
                "sketchlog-client-1.2.3.tgz",
                "sketchlog-client",
                "1.2.3",
            ),
        ];
        for (kind, name, package, version) in parsed {
            let found = parse_file_name(kind, name);
            assert_eq!(found, Some((package, version)), "{kind:?} {name}");
        }
        for (kind, name) in [(Crate, "ordvec.crate"), (Sbom, "ordvec-0.5.0.spdx.json")] {
            assert_eq!(parse_file_name(kind, name), None, "{kind:?} {name}");
        }
    }
}
