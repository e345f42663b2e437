//! The rules of `workflow-hygiene` over one parsed workflow: each finding carries its rule's
//! code and the file, line and column of the node at fault.

use crate::finding::Finding;
use crate::gates::workflow::filter;
use crate::gates::workflow::yaml::{Node, Value};
use crate::policy::workflow::{WorkflowHygieneRules, WorkflowRule};

/// What the rules need besides the workflow: the policy's section and its release tag pattern.
pub(crate) struct Rules<'a> {
    pub(crate) section: &'a WorkflowHygieneRules,
    pub(crate) enabled: Vec<WorkflowRule>,
    /// `v{version}`.
    pub(crate) tag_pattern: &'a str,
}

/// An exception that excused a `uses:` (for the gate's evidence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Excused {
    pub(crate) path: String,
    pub(crate) line: usize,
    pub(crate) uses: String,
    pub(crate) reason: String,
}

/// The findings of one workflow file.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) findings: Vec<Finding>,
    pub(crate) excused: Vec<Excused>,
}

impl Rules<'_> {
    fn on(&self, rule: WorkflowRule) -> bool {
        self.enabled.contains(&rule)
    }

    /// Applies every enabled rule to the workflow at `path`; the trigger rules only when it is
    /// a `release` workflow.
    pub(crate) fn check(&self, path: &str, doc: &Node, release: bool) -> Outcome {
        let mut out = Outcome::default();
        let at = |rule: WorkflowRule, node: &Node, key: &str, subject: String| {
            Finding::new(rule.code(), subject)
                .in_file(path)
                .line_col(node.line, node.column)
                .key(key)
        };
        if release {
            self.triggers(doc, &at, &mut out.findings);
        }
        if self.on(WorkflowRule::PermissionsTooWide) {
            match doc.entry("permissions") {
                None => out.findings.push(
                    at(
                        WorkflowRule::PermissionsTooWide,
                        // Where the top-level keys start (the first of them).
                        doc.entries().first().map_or(doc, |(k, _)| k),
                        "permissions",
                        format!("{path} sets no default permissions"),
                    )
                    .expected("permissions: contents: read (at the top level)")
                    .found("no top-level permissions: every job gets the repository's default token scopes")
                    .hint("add `permissions:\\n  contents: read` at the top and widen per job"),
                ),
                Some((_, value)) => wide_defaults(value, &mut |node, found| {
                    out.findings.push(
                        at(
                            WorkflowRule::PermissionsTooWide,
                            node,
                            "permissions",
                            format!("{path}'s default permissions are wider than contents: read"),
                        )
                        .expected("contents: read (other scopes none)")
                        .found(found)
                        .hint("grant write scopes in the one job that needs them"),
                    );
                }),
            }
        }
        for (job_key, job) in doc.get("jobs").map(Node::entries).unwrap_or_default() {
            let Some(job_id) = job_key.as_str() else {
                continue;
            };
            self.job(path, job_id, job, &at, &mut out);
        }
        out
    }

    fn job(
        &self,
        path: &str,
        job_id: &str,
        job: &Node,
        at: &impl Fn(WorkflowRule, &Node, &str, String) -> Finding,
        out: &mut Outcome,
    ) {
        let key = format!("jobs.{job_id}");
        if self.on(WorkflowRule::IdTokenOutsideSigning)
            && !self.section.signing_jobs.iter().any(|j| j == job_id)
            && let Some(perms) = job.get("permissions")
        {
            let grant = match &perms.value {
                Value::Scalar(s) if s == "write-all" => Some(perms),
                _ => perms
                    .entry("id-token")
                    .filter(|(_, v)| v.as_str() == Some("write"))
                    .map(|(k, _)| k),
            };
            if let Some(node) = grant {
                out.findings.push(
                    at(
                        WorkflowRule::IdTokenOutsideSigning,
                        node,
                        &format!("{key}.permissions.id-token"),
                        format!("job {job_id} of {path} can mint an OIDC token"),
                    )
                    .expected(format!(
                        "id-token: write only in the signing or publishing jobs ({})",
                        if self.section.signing_jobs.is_empty() {
                            String::from("none named")
                        } else {
                            self.section.signing_jobs.join(", ")
                        }
                    ))
                    .found(format!("job {job_id} holds id-token: write"))
                    .hint("drop id-token: write from this job, or name it in [workflow-hygiene] signing-jobs"),
                );
            }
        }
        if let Some(uses) = job.get("uses") {
            self.uses(path, &format!("{key}.uses"), uses, at, out);
        }
        for (i, step) in job
            .get("steps")
            .map(Node::items)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let Some(uses) = step.get("uses") else {
                continue;
            };
            let step_key = format!("{key}.steps[{i}]");
            self.uses(path, &format!("{step_key}.uses"), uses, at, out);
            let action = uses.as_str().unwrap_or_default();
            if self.on(WorkflowRule::PersistCredentials)
                && action.split('@').next() == Some("actions/checkout")
            {
                let persisted = step
                    .get("with")
                    .and_then(|w| w.get("persist-credentials"))
                    .and_then(Node::as_str);
                if persisted != Some("false") {
                    out.findings.push(
                        at(
                            WorkflowRule::PersistCredentials,
                            uses,
                            &format!("{step_key}.with.persist-credentials"),
                            format!(
                                "{action} in job {job_id} of {path} keeps the token in .git/config"
                            ),
                        )
                        .expected("persist-credentials: false")
                        .found(persisted.map_or_else(
                            || String::from("not set (the default is true)"),
                            |v| format!("persist-credentials: {v}"),
                        ))
                        .hint("add `with:\\n  persist-credentials: false` to the checkout step"),
                    );
                }
            }
        }
    }

    /// The pinning rules for one `uses:`.
    fn uses(
        &self,
        path: &str,
        key: &str,
        node: &Node,
        at: &impl Fn(WorkflowRule, &Node, &str, String) -> Finding,
        out: &mut Outcome,
    ) {
        let Some(uses) = node.as_str() else { return };
        let Some((rule, action, found)) = pinning(uses) else {
            return;
        };
        if !self.on(rule) {
            return;
        }
        if let Some(e) = self.section.exception_for(action, rule) {
            out.excused.push(Excused {
                path: path.to_owned(),
                line: node.line,
                uses: uses.to_owned(),
                reason: e.reason.clone(),
            });
            return;
        }
        out.findings.push(
            at(rule, node, key, format!("{uses} in {path}"))
                .expected("a full 40-hex commit SHA (docker images: @sha256:<digest>)")
                .found(found)
                .hint(format!(
                    "pin it: `uses: {action}@<commit sha> # <tag>`; or except it in [[workflow-hygiene.exceptions]] with a reason"
                )),
        );
    }

    fn triggers(
        &self,
        doc: &Node,
        at: &impl Fn(WorkflowRule, &Node, &str, String) -> Finding,
        findings: &mut Vec<Finding>,
    ) {
        let Some((on_key, on)) = doc.entry("on") else {
            if self.on(WorkflowRule::TriggerTooWide) {
                findings.push(
                    at(
                        WorkflowRule::TriggerTooWide,
                        doc,
                        "on",
                        String::from("the release workflow declares no trigger"),
                    )
                    .expected(format!("on: push: tags: [{}]", self.guard()))
                    .found("no `on:`"),
                );
            }
            return;
        };
        // `on: push`, `on: [push, workflow_dispatch]` or a mapping of events.
        let events: Vec<(&Node, Option<&Node>)> = match &on.value {
            Value::Map(entries) => entries.iter().map(|(k, v)| (k, Some(v))).collect(),
            _ => on.items().into_iter().map(|k| (k, None)).collect(),
        };
        if events.is_empty() && self.on(WorkflowRule::TriggerTooWide) {
            findings.push(
                at(
                    WorkflowRule::TriggerTooWide,
                    on_key,
                    "on",
                    String::from("the release workflow's trigger is not an event"),
                )
                .expected(format!("on: push: tags: [{}]", self.guard())),
            );
        }
        for (event_node, config) in events {
            let event = event_node.as_str().unwrap_or_default();
            let key = format!("on.{event}");
            match event {
                "workflow_dispatch" => {
                    if self.on(WorkflowRule::ManualTrigger) {
                        findings.push(
                            at(
                                WorkflowRule::ManualTrigger,
                                event_node,
                                &key,
                                String::from("the release workflow can be started by hand"),
                            )
                            .expected(
                                "no workflow_dispatch: releases run only on a pushed release tag",
                            )
                            .found("on: workflow_dispatch")
                            .hint("remove workflow_dispatch from the release workflow"),
                        );
                    }
                }
                "push" => {
                    if self.on(WorkflowRule::TriggerTooWide) {
                        self.push(event_node, config, at, findings);
                    }
                }
                other => {
                    if self.on(WorkflowRule::TriggerTooWide) {
                        findings.push(
                            at(WorkflowRule::TriggerTooWide, event_node, &key, format!("the release workflow also runs on {other}"))
                                .expected(format!("only on: push: tags: [{}]", self.guard()))
                                .found(format!("on: {other}"))
                                .hint("release from a tag push only; run other events in another workflow"),
                        );
                    }
                }
            }
        }
    }

    fn push(
        &self,
        event_node: &Node,
        config: Option<&Node>,
        at: &impl Fn(WorkflowRule, &Node, &str, String) -> Finding,
        findings: &mut Vec<Finding>,
    ) {
        let guard = self.guard();
        let wide = |node: &Node, key: &str, found: String| {
            at(
                WorkflowRule::TriggerTooWide,
                node,
                key,
                String::from("the release workflow runs on pushes that are not release tags"),
            )
            .expected(format!("on: push: tags: [\"{guard}\"]"))
            .found(found)
            .hint(format!(
                "trigger on the release tag pattern only: tags: [\"{guard}\"]"
            ))
        };
        let get = |k: &str| config.and_then(|c| c.entry(k));
        for k in ["branches", "branches-ignore"] {
            if let Some((key_node, _)) = get(k) {
                findings.push(wide(
                    key_node,
                    &format!("on.push.{k}"),
                    format!("push {k} filter"),
                ));
            }
        }
        let tags = get("tags");
        let ignore = get("tags-ignore");
        if tags.is_none() && ignore.is_none() {
            if get("branches").is_none() && get("branches-ignore").is_none() {
                findings.push(wide(
                    event_node,
                    "on.push",
                    String::from("push with no tag filter: every branch and tag push"),
                ));
            }
            return;
        }
        let strings = |n: Option<(&Node, &Node)>| -> Vec<String> {
            n.map(|(_, v)| {
                v.items()
                    .iter()
                    .filter_map(|i| i.as_str())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
        };
        let positive = match tags {
            Some(_) => strings(tags),
            None => vec![String::from("**")],
        };
        let negative = strings(ignore);
        let pos: Vec<&str> = positive.iter().map(String::as_str).collect();
        let neg: Vec<&str> = negative.iter().map(String::as_str).collect();
        let node = tags.or(ignore).map_or(event_node, |(k, _)| k);
        let (prefix, suffix) = self
            .tag_pattern
            .split_once("{version}")
            .unwrap_or(("v", ""));
        for bad in NOT_RELEASE {
            let probe = match *bad {
                "<no prefix>" if !prefix.is_empty() => format!("1.2.3{suffix}"),
                "<no prefix>" => continue,
                "<other prefix>" => format!("x{prefix}1.2.3{suffix}"),
                v => format!("{prefix}{v}{suffix}"),
            };
            let runs = match (
                filter::list_matches(&pos, &probe),
                filter::list_matches(&neg, &probe),
            ) {
                (Ok(p), Ok(n)) => p && !n,
                (Err(p), _) | (_, Err(p)) => {
                    findings.push(wide(
                        node,
                        "on.push.tags",
                        format!("a tag filter GitHub cannot parse: {p:?}"),
                    ));
                    return;
                }
            };
            if runs {
                findings.push(wide(
                    node,
                    "on.push.tags",
                    format!(
                        "tags: [{}] also matches {probe:?}, which is not a release tag",
                        positive.join(", ")
                    ),
                ));
                return;
            }
        }
    }

    /// The strict tag guard for the policy's pattern (`v[0-9]+.[0-9]+.[0-9]+`).
    fn guard(&self) -> String {
        self.tag_pattern
            .replace("{version}", "[0-9]+.[0-9]+.[0-9]+")
    }
}

/// Versions (and two markers for the prefix) that are not a strict SemVer release: a push
/// tag filter that matches any of them under the tag pattern is wider than the tag guard.
const NOT_RELEASE: &[&str] = &[
    "1",
    "1.2",
    "1.2.3-rc.1",
    "1.2.3-1",
    "1.2.3+build.5",
    "1.2.3.4",
    "1.2.x",
    "a.b.c",
    "latest",
    "nightly",
    "",
    "1.2.3/x",
    "<no prefix>",
    "<other prefix>",
];

/// The pinning rule a `uses:` breaks, its action (without `@ref`) and what was found; `None`
/// for local actions and commit- or digest-pinned ones.
pub(crate) fn pinning(uses: &str) -> Option<(WorkflowRule, &str, String)> {
    if uses.starts_with("./") {
        return None;
    }
    if let Some(image) = uses.strip_prefix("docker://") {
        if let Some((_, d)) = image.split_once("@sha256:")
            && d.len() == 64
            && d.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return None;
        }
        // `docker://rust:1.95` names a tag that can move; `docker://rust` names nothing.
        let name = image.rsplit('/').next().unwrap_or(image);
        return Some(match name.split_once(':') {
            Some((_, t)) => (
                WorkflowRule::ActionFloatingRef,
                uses,
                format!("the image tag :{t}, which can move (no @sha256: digest)"),
            ),
            None => (
                WorkflowRule::ActionUnpinned,
                uses,
                String::from("a docker image with neither tag nor @sha256: digest"),
            ),
        });
    }
    match uses.rsplit_once('@') {
        None => Some((
            WorkflowRule::ActionUnpinned,
            uses,
            String::from("no @ref at all"),
        )),
        Some((_, r)) if r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()) => None,
        Some((action, r)) => Some((
            WorkflowRule::ActionFloatingRef,
            action,
            format!("@{r}, a tag, branch or short SHA that can move"),
        )),
    }
}

/// Calls `report` for each part of default `permissions` wider than `contents: read`.
fn wide_defaults(value: &Node, report: &mut impl FnMut(&Node, String)) {
    match &value.value {
        Value::Scalar(s) if s.is_empty() => {}
        Value::Scalar(s) => report(value, format!("permissions: {s}")),
        Value::Seq(_) => report(value, String::from("permissions is a list")),
        Value::Map(entries) => {
            for (scope, level) in entries {
                let (s, l) = (
                    scope.as_str().unwrap_or_default(),
                    level.as_str().unwrap_or_default(),
                );
                if l == "none" || (s == "contents" && l == "read") {
                    continue;
                }
                report(scope, format!("{s}: {l}"));
            }
        }
    }
}
