//! The `required-assets-present` gate.

use crate::finding::{Code, Finding};
use crate::folder::{glob_matcher, list_files};
use crate::gate::{BoxFuture, Gate, GateContext, GateResult, Phase};

/// Every glob of `[release] required-assets` matches at least one regular file in the
/// release folder; each that matches nothing is an `asset-missing` finding.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequiredAssetsGate;

impl RequiredAssetsGate {
    /// The gate id.
    pub const ID: &'static str = "required-assets-present";
}

impl Gate for RequiredAssetsGate {
    fn id(&self) -> &str {
        Self::ID
    }

    fn phase(&self) -> Phase {
        Phase::Prepublish
    }

    fn run<'a>(&'a self, ctx: &'a GateContext) -> BoxFuture<'a, GateResult> {
        Box::pin(async move {
            let dir = ctx.release_dir.clone();
            let globs = ctx.policy.release.required_assets.clone();
            match tokio::task::spawn_blocking(move || check(&dir, &globs)).await {
                Ok(r) => r,
                Err(e) => GateResult::error(format!("the asset check did not finish: {e}")),
            }
        })
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
