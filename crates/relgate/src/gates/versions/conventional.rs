//! The `conventional-commits` and `conventional-version` gates, over `relver`'s Conventional
//! Commits module and the repository's history.

use relver::{Bump, GitRepo, Version, commit_bump, next_version};

use crate::finding::{Code, Finding};
use crate::gate::GateResult;
use crate::gates::declare::unit_gate;
use crate::release_source::{Inputs, classify};

/// Most non-conventional commits listed as findings (the rest are counted).
const MAX_LISTED: usize = 50;

unit_gate! {
    /// Every commit since the previous release tag (the highest release tag under the policy's
    /// pattern with a lower version; the whole history when there is none) up to the release
    /// commit is a Conventional Commit (`type(scope)!: description`): `commit-not-conventional`
    /// per commit otherwise, naming its subject line. Merge commits are exempt.
    ConventionalCommitsGate = "conventional-commits", inputs commits_conventional
}

unit_gate! {
    /// The release version is the one the Conventional Commits since the previous release tag
    /// imply (`relver::next_version`: what `cog bump --auto` computes; below 1.0.0 a breaking
    /// change bumps the minor): `version-bump-mismatch` otherwise, naming the expected version
    /// and the bump. A first release (no previous tag) passes with a note.
    ConventionalVersionGate = "conventional-version", inputs bump_matches
}

/// The history a conventional gate reads.
struct History {
    version: Version,
    previous: Option<(String, Version)>,
    commit: String,
    messages: Vec<String>,
}

impl History {
    fn evidence(&self) -> serde_json::Value {
        serde_json::json!({
            "previous_tag": self.previous.as_ref().map(|(t, _)| t),
            "release_commit": self.commit,
            "commits": self.messages.len(),
        })
    }

    fn range(&self) -> String {
        match &self.previous {
            Some((t, _)) => format!("{t}..{}", short(&self.commit)),
            None => format!("the history up to {}", short(&self.commit)),
        }
    }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// Reads the release version, the previous release tag and the messages since it.
fn history(inputs: &Inputs) -> Result<History, String> {
    let tag = inputs.release_tag()?;
    let (repo, commit): (GitRepo, String) = inputs.repo_at_release()?;
    let version = tag.version().clone();
    let pattern = inputs.pattern();
    let previous = repo
        .tag_names()
        .map_err(|e| format!("cannot list tags in {}: {e}", repo.dir().display()))?
        .into_iter()
        .filter_map(|name| {
            let t = classify(pattern, &name).ok()?.release()?.clone();
            (t.version() < &version).then(|| (name, t.version().clone()))
        })
        .max_by(|a, b| a.1.cmp(&b.1));
    let messages = repo
        .messages(previous.as_ref().map(|(t, _)| t.as_str()), &commit)
        .map_err(|e| format!("cannot read the commits of {}: {e}", repo.dir().display()))?;
    Ok(History {
        version,
        previous,
        commit,
        messages,
    })
}

/// Whether a subject line has the Conventional Commits shape `type(scope)!: description`.
fn is_conventional(subject: &str) -> bool {
    let Some((head, desc)) = subject.split_once(':') else {
        return false;
    };
    if !desc.starts_with(' ') || desc.trim().is_empty() {
        return false;
    }
    let head = head.strip_suffix('!').unwrap_or(head);
    let ty = match head.split_once('(') {
        Some((t, scope)) => match scope.strip_suffix(')') {
            Some(s) if !s.is_empty() && !s.contains(['(', ')']) => t,
            _ => return false,
        },
        None => head,
    };
    !ty.is_empty() && ty.bytes().all(|b| b.is_ascii_alphabetic())
}

fn subject(message: &str) -> &str {
    message.lines().next().unwrap_or("").trim()
}

fn commits_conventional(inputs: &Inputs) -> GateResult {
    let h = match history(inputs) {
        Ok(h) => h,
        Err(e) => return GateResult::error(e),
    };
    let bad: Vec<&str> = h
        .messages
        .iter()
        .map(|m| subject(m))
        .filter(|s| !s.starts_with("Merge ") && !is_conventional(s))
        .collect();
    let mut findings: Vec<Finding> = bad
        .iter()
        .take(MAX_LISTED)
        .map(|s| {
            let shown: String = s.chars().take(120).collect();
            Finding::new(Code::CommitNotConventional, shown)
                .expected("type(scope)!: description (feat, fix, docs, chore, refactor, ...)")
                .found(format!("a commit in {} without that shape", h.range()))
                .hint("reword the commit (git rebase -i) before releasing, or waive this with a reason")
        })
        .collect();
    if bad.len() > MAX_LISTED {
        findings.push(
            Finding::new(Code::CommitNotConventional, h.range()).found(format!(
                "{} more commits without the shape",
                bad.len() - MAX_LISTED
            )),
        );
    }
    GateResult::from_findings(findings).with_evidence("history", h.evidence())
}

fn bump_name(b: Bump) -> &'static str {
    match b {
        Bump::Major => "major",
        Bump::Minor => "minor",
        Bump::Patch => "patch",
        _ => "none",
    }
}

fn bump_matches(inputs: &Inputs) -> GateResult {
    let h = match history(inputs) {
        Ok(h) => h,
        Err(e) => return GateResult::error(e),
    };
    let Some((prev_tag, prev)) = &h.previous else {
        return GateResult::from_findings(vec![
            Finding::new(Code::VersionBumpMismatch, h.version.to_string())
                .found("no earlier release tag: a first release sets its version freely")
                .severity(crate::finding::Severity::Info),
        ])
        .with_evidence("history", h.evidence());
    };
    let bump = h
        .messages
        .iter()
        .map(|m| commit_bump(m))
        .max()
        .unwrap_or(Bump::None);
    let expected = next_version(prev, &h.messages);
    let evidence = serde_json::json!({
        "previous_tag": prev_tag,
        "commits": h.messages.len(),
        "bump": bump_name(bump),
        "expected": expected.as_ref().map(ToString::to_string),
        "version": h.version.to_string(),
    });
    let finding = match expected {
        Some(v) if v == h.version => None,
        Some(v) => Some(
            Finding::new(
                Code::VersionBumpMismatch,
                format!("{prev_tag} -> {}", h.version),
            )
            .expected(format!("{v} (a {} bump from {prev})", bump_name(bump)))
            .found(h.version.to_string())
            .hint(format!(
                "the commits in {} call for {v}; release that version, or reword the commits",
                h.range()
            )),
        ),
        None => Some(
            Finding::new(
                Code::VersionBumpMismatch,
                format!("{prev_tag} -> {}", h.version),
            )
            .expected("a feat, fix or breaking-change commit since the previous release")
            .found(format!(
                "{} commit(s) in {}, none of which calls for a release",
                h.messages.len(),
                h.range()
            ))
            .hint("nothing to release: wait for a fix or feature, or waive this with a reason"),
        ),
    };
    GateResult::from_findings(finding.into_iter().collect()).with_evidence("bump", evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_shape() {
        for ok in [
            "feat: add search",
            "fix(api): x",
            "feat!: drop py38",
            "chore(deps-dev)!: y",
            "docs: z",
        ] {
            assert!(is_conventional(ok), "{ok}");
        }
        for bad in [
            "add search",
            "feat:x",
            "feat: ",
            "feat(): x",
            "feat(a: x",
            "fe at: x",
            "1feat: x",
            "",
        ] {
            assert!(!is_conventional(bad), "{bad}");
        }
    }
}
