//! `environment-protection`: before release, the forge's deployment environments the policy
//! names are protected as it says, and releases are immutable when it asks.

use regclient::forge::{DeploymentPolicy, Environment, PatternKind};

use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult};
use crate::gates::ci::ci_green::{CiProvider, provider_gate};
use crate::gates::declare::Checked;
use crate::policy::EnvironmentRule;

provider_gate! {
    /// Each `[environments.<name>]` of the policy exists on the forge (`environment-missing`),
    /// has a required-reviewers rule naming at least one reviewer unless the rule says
    /// `required-reviewers = false` (`environment-unprotected`), and, when it names a
    /// `tag-pattern`, a custom deployment policy whose only pattern is that tag pattern
    /// (`environment-tag-policy`); with `[release] immutable-releases = true`, the repository has
    /// immutable releases enabled (`releases-mutable`). A provider that cannot answer is an error.
    EnvironmentProtectionGate = "environment-protection", protection
}

fn describe(policy: &DeploymentPolicy) -> String {
    match policy {
        DeploymentPolicy::Any => String::from("any branch or tag may deploy"),
        DeploymentPolicy::ProtectedBranches => String::from("protected branches only"),
        DeploymentPolicy::Custom(p) if p.is_empty() => String::from("custom, with no pattern"),
        DeploymentPolicy::Custom(p) => {
            let names: Vec<String> = p
                .iter()
                .map(|p| {
                    let kind = match p.kind {
                        PatternKind::Tag => "tag",
                        _ => "branch",
                    };
                    format!("{kind} {}", p.name)
                })
                .collect();
            format!("custom: {}", names.join(", "))
        }
        _ => String::from("an unknown policy"),
    }
}

/// The findings for environment `name` as the forge describes it (`None`: absent).
pub(crate) fn judge_environment(
    name: &str,
    rule: &EnvironmentRule,
    env: Option<&Environment>,
) -> Vec<Finding> {
    let subject = format!("environment {name}");
    let Some(env) = env else {
        return vec![
            Finding::new(Code::EnvironmentMissing, subject)
                .expected("a deployment environment of this name")
                .found("none")
                .hint("create it and protect it before releasing"),
        ];
    };
    let mut findings = Vec::new();
    if rule.required_reviewers && (!env.required_reviewers || env.reviewers.is_empty()) {
        findings.push(
            Finding::new(Code::EnvironmentUnprotected, subject.clone())
                .expected("a required-reviewers rule naming at least one reviewer")
                .found(if env.required_reviewers {
                    "a required-reviewers rule naming nobody"
                } else {
                    "no required-reviewers rule"
                }),
        );
    }
    if let Some(pattern) = &rule.tag_pattern {
        let exact = matches!(&env.deployment, DeploymentPolicy::Custom(p)
            if p.len() == 1 && p.iter().all(|p| p.kind == PatternKind::Tag && &p.name == pattern));
        if !exact {
            findings.push(
                Finding::new(Code::EnvironmentTagPolicy, subject)
                    .expected(format!("custom deployment policy: tag {pattern} only"))
                    .found(describe(&env.deployment)),
            );
        }
    }
    findings
}

async fn protection(provider: &dyn CiProvider, ctx: &GateContext) -> Checked {
    let mut findings = Vec::new();
    let mut seen = Vec::new();
    for (name, rule) in &ctx.policy.environments {
        let env = provider
            .environment(name)
            .await
            .map_err(|e| GateResult::error(e.to_string()))?;
        findings.extend(judge_environment(name, rule, env.as_ref()));
        if let Some(env) = env {
            seen.push(env);
        }
    }
    let mut immutable = None;
    if ctx.policy.release.immutable_releases {
        let enabled = provider
            .immutable_releases()
            .await
            .map_err(|e| GateResult::error(e.to_string()))?;
        immutable = Some(enabled);
        if !enabled {
            findings.push(
                Finding::new(Code::ReleasesMutable, "repository releases")
                    .expected("immutable releases enabled")
                    .found("not enabled")
                    .hint("enable release immutability in the repository settings"),
            );
        }
    }
    Ok(GateResult::from_findings(findings)
        .with_evidence(
            "environments",
            serde_json::to_value(&seen).unwrap_or(serde_json::Value::Null),
        )
        .with_evidence("immutable_releases", serde_json::json!(immutable)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_environment_is_one_finding() {
        let rule = EnvironmentRule::default();
        let codes: Vec<Code> = judge_environment("pypi", &rule, None)
            .iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(codes, [Code::EnvironmentMissing]);
    }
}
