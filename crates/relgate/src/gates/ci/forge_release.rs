//! `forge-release-exists`: after publishing, the forge has a release for the tag and it
//! carries every required release asset.

use globset::Glob;

use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult};
use crate::gates::ci::ci_green::{CiProvider, ForgeRelease, provider_gate};
use crate::gates::declare::Checked;

provider_gate! {
    /// The forge (through the run's [`CiProvider`]) has a release for the tag, and every
    /// `[release] required-assets` glob matches one of its attached assets: `release-missing`,
    /// `asset-missing`. Whether it is still a draft is reported as evidence.
    ForgeReleaseExistsGate = "forge-release-exists", release_exists
}

/// The run's tag and the forge's release for it, or the result that ends the asking gate: an
/// error without a tag or when the provider cannot answer, `release-missing` without a release.
pub(crate) async fn tagged_release(
    provider: &dyn CiProvider,
    ctx: &GateContext,
) -> Result<(String, ForgeRelease), GateResult> {
    let Some(tag) = ctx.tag.clone() else {
        return Err(GateResult::error(
            "no tag was given, so there is no release to look up",
        ));
    };
    match provider.release(&tag).await {
        Ok(Some(release)) => Ok((tag, release)),
        Ok(None) => Err(GateResult::from_findings(vec![
            Finding::new(Code::ReleaseMissing, format!("release {tag}"))
                .expected(format!("a forge release for {tag}"))
                .found("none"),
        ])),
        Err(e) => Err(GateResult::error(e.to_string())),
    }
}

async fn release_exists(provider: &dyn CiProvider, ctx: &GateContext) -> Checked {
    let (tag, release) = tagged_release(provider, ctx).await?;
    let mut findings = Vec::new();
    for pattern in &ctx.policy.release.required_assets {
        // `{version}` stands for the release version, as in the folder check.
        let pattern = &ctx.policy.required_asset_glob(pattern, Some(&tag));
        let matcher = match Glob::new(pattern) {
            Ok(g) => g.compile_matcher(),
            Err(e) => {
                return Err(GateResult::error(format!(
                    "[release] required-assets: {pattern:?}: {e}"
                )));
            }
        };
        if !release.assets.iter().any(|a| matcher.is_match(a)) {
            findings.push(
                Finding::new(Code::AssetMissing, format!("release {tag}: {pattern}"))
                    .expected(format!("an asset matching {pattern}"))
                    .found(format!("{} asset(s), none matching", release.assets.len())),
            );
        }
    }
    Ok(GateResult::from_findings(findings).with_evidence(
        "release",
        serde_json::to_value(&release).unwrap_or(serde_json::Value::Null),
    ))
}
