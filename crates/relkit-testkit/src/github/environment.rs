//! The fake's deployment environments and immutable-release setting, answered as GitHub's
//! REST API documents them:
//!
//! - `GET /repos/{owner}/{repo}/environments/{name}`: `{"id", "name", "protection_rules":
//!   [{"type": "required_reviewers", "prevent_self_review", "reviewers": [{"type": "User",
//!   "reviewer": {"login", ...}}]}], "deployment_branch_policy": null | {"protected_branches",
//!   "custom_branch_policies"}}`;
//! - `GET .../environments/{name}/deployment-branch-policies`: `{"total_count",
//!   "branch_policies": [{"id", "node_id", "name", "type": "branch" | "tag"}]}`, paginated;
//! - `GET /repos/{owner}/{repo}/immutable-releases`: `{"enabled": true, "enforced_by_owner":
//!   false}` when enabled, 404 when not.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Reply, Repo, paged, percent_decode};

/// A deployment environment of the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    name: String,
    reviewers: Vec<String>,
    reviewers_rule: bool,
    protected_branches: bool,
    patterns: Option<Vec<(String, &'static str)>>,
}

impl Environment {
    /// An environment with no protection rule and no deployment branch policy.
    pub fn new(name: &str) -> Environment {
        Environment {
            name: name.to_owned(),
            reviewers: Vec::new(),
            reviewers_rule: false,
            protected_branches: false,
            patterns: None,
        }
    }

    /// A required-reviewers rule naming user `login` (several calls name several users).
    #[must_use]
    pub fn reviewer(mut self, login: &str) -> Environment {
        self.reviewers_rule = true;
        self.reviewers.push(login.to_owned());
        self
    }

    /// A required-reviewers rule naming nobody.
    #[must_use]
    pub fn empty_reviewers_rule(mut self) -> Environment {
        self.reviewers_rule = true;
        self
    }

    /// A custom deployment policy allowing tags matching `pattern`.
    #[must_use]
    pub fn tag_pattern(self, pattern: &str) -> Environment {
        self.policy_pattern(pattern, "tag")
    }

    /// A custom deployment policy allowing branches matching `pattern`.
    #[must_use]
    pub fn branch_pattern(self, pattern: &str) -> Environment {
        self.policy_pattern(pattern, "branch")
    }

    /// A custom deployment policy allowing refs of `kind` (`tag`, `branch`) matching `pattern`.
    fn policy_pattern(mut self, pattern: &str, kind: &'static str) -> Environment {
        self.patterns
            .get_or_insert_with(Vec::new)
            .push((pattern.to_owned(), kind));
        self
    }

    /// Deployments from protected branches only.
    #[must_use]
    pub fn protected_branches(mut self) -> Environment {
        self.protected_branches = true;
        self.patterns = None;
        self
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    fn json(&self, id: usize, api: &str) -> Value {
        let mut rules = Vec::new();
        if self.reviewers_rule {
            let reviewers: Vec<Value> = self
                .reviewers
                .iter()
                .enumerate()
                .map(|(i, login)| {
                    json!({"type": "User", "reviewer": {"login": login, "id": i + 1, "type": "User"}})
                })
                .collect();
            rules.push(json!({
                "id": id * 10 + 1,
                "node_id": format!("GA_{id}_1"),
                "type": "required_reviewers",
                "prevent_self_review": false,
                "reviewers": reviewers,
            }));
        }
        let policy = if self.patterns.is_some() {
            rules.push(json!({"id": id * 10 + 2, "node_id": format!("GA_{id}_2"), "type": "branch_policy"}));
            json!({"protected_branches": false, "custom_branch_policies": true})
        } else if self.protected_branches {
            rules.push(json!({"id": id * 10 + 2, "node_id": format!("GA_{id}_2"), "type": "branch_policy"}));
            json!({"protected_branches": true, "custom_branch_policies": false})
        } else {
            Value::Null
        };
        json!({
            "id": id,
            "node_id": format!("EN_{id}"),
            "name": self.name,
            "url": format!("{api}/environments/{}", self.name),
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "protection_rules": rules,
            "deployment_branch_policy": policy,
        })
    }
}

/// The answer to `tail` (the path after `/repos/{owner}/{repo}/`) when it is one of these
/// endpoints.
pub(super) fn route(
    api: &str,
    tail: &str,
    params: &BTreeMap<String, String>,
    max: usize,
    repo: &Repo,
) -> Option<Reply> {
    if tail == "immutable-releases" {
        return Some(if repo.immutable_releases {
            Reply::ok(json!({"enabled": true, "enforced_by_owner": false}).to_string())
        } else {
            Reply::error(
                404,
                "Not Found",
                "https://docs.github.com/rest/repos/repos#check-if-immutable-releases-are-enabled-for-a-repository",
            )
        });
    }
    let rest = tail.strip_prefix("environments/")?;
    let (name, policies) = match rest.split_once('/') {
        Some((n, "deployment-branch-policies")) => (n, true),
        Some(_) => return Some(Reply::not_found()),
        None => (rest, false),
    };
    let name = percent_decode(name);
    let Some((i, env)) = repo
        .environments
        .iter()
        .enumerate()
        .find(|(_, e)| e.name() == name)
    else {
        return Some(Reply::error(
            404,
            "Not Found",
            "https://docs.github.com/rest/deployments/environments#get-an-environment",
        ));
    };
    if !policies {
        return Some(Reply::ok(env.json(i + 1, api).to_string()));
    }
    let Some(patterns) = &env.patterns else {
        // GitHub answers 404 when the environment's policy is not custom.
        return Some(Reply::not_found());
    };
    let items: Vec<Value> = patterns
        .iter()
        .enumerate()
        .map(|(j, (p, kind))| {
            json!({"id": (i + 1) * 100 + j, "node_id": format!("DBP_{}_{j}", i + 1), "name": p, "type": kind})
        })
        .collect();
    let total = items.len();
    Some(paged(
        api,
        &format!("environments/{name}/deployment-branch-policies"),
        params,
        max,
        items,
        |page| json!({"total_count": total, "branch_policies": page}),
    ))
}
