//! The `required-assets-present` gate.

use crate::finding::{Code, Finding};
use crate::folder::{glob_matcher, list_files};
use crate::gate::{BlockingGate, GateContext, GateResult};

/// Every glob of `[release] required-assets` matches at least one regular file in the
/// release folder; each that matches nothing is an `asset-missing` finding.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequiredAssetsGate;

impl BlockingGate for RequiredAssetsGate {
    const ID: &'static str = "required-assets-present";

    fn run_blocking(&self, ctx: &GateContext) -> GateResult {
        check(&ctx.release_dir, &ctx.policy.release.required_assets)
    }
}

fn check(dir: &std::path::Path, globs: &[String]) -> GateResult {
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
    for g in globs {
        let m = match glob_matcher(g) {
            Ok(m) => m,
            Err(e) => return GateResult::error(format!("bad glob {g:?}: {e}")),
        };
        let hits: Vec<&String> = files.iter().filter(|f| m.is_match(f.as_str())).collect();
        if hits.is_empty() {
            findings.push(
                Finding::new(Code::AssetMissing, g.clone())
                    .expected("at least one file matching the glob")
                    .found(format!("none among {} files", files.len()))
                    .hint(
                        "build and attach the asset, or fix the glob in [release] required-assets",
                    ),
            );
        }
        evidence.insert(g.clone(), serde_json::json!(hits));
    }
    GateResult::from_findings(findings)
        .with_evidence("matches", serde_json::Value::Object(evidence))
}
