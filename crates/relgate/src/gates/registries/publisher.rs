//! The `publisher-identity` gate: the npm token the release publishes with belongs to the
//! policy's publisher, who may publish in the package's scope.

use regclient::npm::{IdentityError, NpmRegistry, PUBLISHING_ROLES};
use serde_json::{Value, json};

use crate::Endpoints;
use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult};
use crate::gates::declare::{Checked, unit_gate};
use crate::gates::registries::common::gate_error;
use crate::policy::{PublisherRule, RegistryKind};
use crate::registry_client::{Job, Target, chain, http_client, run_blocking_all, targets};

unit_gate! {
    /// For every npm registry of the policy with a `publisher`, asks the registry with its
    /// configured token (`RELKIT_REGISTRY_<NAME>_TOKEN`, or the registries file's `token-env`) who
    /// the token is (`GET /-/whoami`) and, for a scope (the rule's, else the package's own), the
    /// org's roster (`GET /-/org/{org}/user`): `publisher-mismatch` when the user is not the one
    /// named, `publisher-not-in-scope` when the user is not in the org or has a role that cannot
    /// publish. No token, a refused token (401/403), an org the registry does not know and an
    /// unreachable registry are gate errors: the gate fails closed. The token is never shown.
    PublisherIdentityGate = "publisher-identity", async publisher
}

/// What one registry answered: the user, and the role in the org when a scope is checked.
struct Answer {
    user: String,
    roster: Option<(String, std::collections::BTreeMap<String, String>)>,
}

async fn publisher(ctx: &GateContext) -> Checked {
    let chosen: Vec<(Target, PublisherRule)> = targets(ctx)?
        .into_iter()
        .filter_map(|t| {
            let rule = t.rule.publisher.clone()?;
            Some((t, rule))
        })
        .collect();
    if chosen.is_empty() {
        return Err(GateResult::skipped(
            "no registry of the policy names a publisher",
        ));
    }
    let http = http_client(ctx);
    let mut findings = Vec::new();
    let mut jobs: Vec<Job<Result<Answer, String>>> = Vec::new();
    for (t, rule) in &chosen {
        let token = ctx.endpoints.token(&t.name).cloned();
        let scope = scope_of(rule, &t.rule.package);
        let (t, http) = (t.clone(), http.clone());
        let kind_ok = t.rule.kind == RegistryKind::Npm;
        jobs.push(Box::new(move || {
            if !kind_ok {
                return Err(format!(
                    "registry {}: publisher is checked on npm registries only",
                    t.name
                ));
            }
            let Some(token) = token else {
                return Err(format!(
                    "registry {}: no token to ask who publishes: set {} or token-env in the registries configuration",
                    t.name,
                    Endpoints::token_env_var_name(&t.name)
                ));
            };
            let reg = NpmRegistry::new(http, &t.url)
                .map_err(|e| format!("registry {}: {}", t.name, chain(&e)))?
                .with_token(token);
            let shown = |e: IdentityError| format!("registry {}: {}", t.name, chain(&e));
            let user = reg.whoami().map_err(shown)?;
            let roster = match scope {
                None => None,
                Some(org) => Some((org.clone(), reg.org_roster(&org).map_err(shown)?)),
            };
            Ok(Answer { user, roster })
        }));
    }
    let answers = run_blocking_all(ctx, jobs)
        .await
        .map_err(GateResult::error)?;
    let mut evidence = Vec::new();
    for ((t, rule), answer) in chosen.iter().zip(answers) {
        let subject = format!("{}: {}", t.name, t.rule.package);
        let a = match answer {
            Ok(a) => a,
            Err(e) => {
                findings.push(gate_error(subject, e));
                continue;
            }
        };
        findings.extend(judge(&subject, rule, &a));
        let role = a.roster.as_ref().and_then(|(_, r)| r.get(&a.user).cloned());
        evidence.push(json!({
            "registry": t.name,
            "user": a.user,
            "scope": a.roster.as_ref().map(|(org, _)| format!("@{org}")),
            "role": role,
        }));
    }
    Ok(GateResult::from_findings(findings).with_evidence("publishers", Value::from(evidence)))
}

/// The org to check: the rule's scope, else the package's own (`@scope/name`), without `@`.
fn scope_of(rule: &PublisherRule, package: &str) -> Option<String> {
    let scope = match &rule.scope {
        Some(s) => s.as_str(),
        None => package.strip_prefix('@')?.split('/').next()?,
    };
    Some(scope.trim_start_matches('@').to_owned())
}

/// The findings for one registry's answer.
fn judge(subject: &str, rule: &PublisherRule, a: &Answer) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(want) = &rule.user
        && want != &a.user
    {
        out.push(
            Finding::new(Code::PublisherMismatch, subject)
                .expected(format!("the token of {want}"))
                .found(format!("the token belongs to {}", a.user))
                .hint("publish with the release account's token (RELKIT_REGISTRY_<NAME>_TOKEN)"),
        );
    }
    if let Some((org, roster)) = &a.roster {
        let allowed: Vec<&str> = if rule.roles.is_empty() {
            PUBLISHING_ROLES.to_vec()
        } else {
            rule.roles.iter().map(String::as_str).collect()
        };
        match roster.get(&a.user) {
            None => out.push(
                Finding::new(Code::PublisherNotInScope, subject)
                    .expected(format!("{} a member of @{org}", a.user))
                    .found(format!("@{org} has no member {}", a.user))
                    .hint(format!(
                        "add {} to the @{org} org, or publish with a member's token",
                        a.user
                    )),
            ),
            Some(role) if !allowed.contains(&role.as_str()) => out.push(
                Finding::new(Code::PublisherNotInScope, subject)
                    .expected(format!("a role in @{org} of {}", allowed.join(", ")))
                    .found(format!("{} is {role} in @{org}", a.user))
                    .hint("give the publisher a role that may publish in the scope"),
            ),
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(user: &str, roster: &[(&str, &str)]) -> Answer {
        Answer {
            user: user.to_owned(),
            roster: Some((
                String::from("sketchlog"),
                roster
                    .iter()
                    .map(|(u, r)| ((*u).to_owned(), (*r).to_owned()))
                    .collect(),
            )),
        }
    }

    fn codes(f: &[Finding]) -> Vec<Code> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn user_scope_and_role_each_have_their_code() {
        let rule = PublisherRule {
            user: Some(String::from("release-bot")),
            ..PublisherRule::default()
        };
        let ok = answer("release-bot", &[("release-bot", "developer")]);
        assert!(judge("s", &rule, &ok).is_empty());
        let other = answer("mallory", &[("mallory", "owner")]);
        assert_eq!(codes(&judge("s", &rule, &other)), [Code::PublisherMismatch]);
        let outside = answer("release-bot", &[("ada", "owner")]);
        assert_eq!(
            codes(&judge("s", &rule, &outside)),
            [Code::PublisherNotInScope]
        );
        let narrow = PublisherRule {
            roles: vec![String::from("owner")],
            ..rule.clone()
        };
        assert_eq!(
            codes(&judge("s", &narrow, &ok)),
            [Code::PublisherNotInScope]
        );
        let odd_role = answer("release-bot", &[("release-bot", "read-only")]);
        assert_eq!(
            codes(&judge("s", &rule, &odd_role)),
            [Code::PublisherNotInScope]
        );
    }

    #[test]
    fn the_scope_defaults_to_the_package_scope() {
        let none = PublisherRule::default();
        assert_eq!(
            scope_of(&none, "@sketchlog/client").as_deref(),
            Some("sketchlog")
        );
        assert_eq!(scope_of(&none, "leftpad"), None);
        let given = PublisherRule {
            scope: Some(String::from("@other")),
            ..PublisherRule::default()
        };
        assert_eq!(scope_of(&given, "leftpad").as_deref(), Some("other"));
    }
}
