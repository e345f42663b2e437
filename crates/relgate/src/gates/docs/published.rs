//! The `docs-published` gate: the versioned docs `mike` deploys, read from the docs branch's
//! head in the source repository's git objects (no checkout).

use relver::{GitRepo, Tree};
use serde_json::Value;

use crate::finding::{Code, Finding};
use crate::gate::GateResult;
use crate::gates::declare::unit_gate;
use crate::policy::docs::DocsRules;
use crate::release_source::Inputs;

unit_gate! {
    /// The docs branch (`[docs] branch`, `gh-pages`) holds a `{path}{version}/` folder and a
    /// `{path}versions.json` in mike's format (`[{"version", "title", "aliases"}]`) that lists the
    /// version and maps `alias` (`latest`) to it: `docs-branch-missing`, `docs-version-missing`,
    /// `docs-alias-wrong` otherwise, and `docs-versions-invalid` (with the JSON pointer of the
    /// fault) for a versions file that is absent or malformed.
    DocsPublishedGate = "docs-published", inputs published
}

/// The commit at the head of `branch`: the local branch, else `origin`'s.
fn branch_head(repo: &GitRepo, branch: &str) -> Result<Option<(String, String)>, String> {
    for r in [
        format!("refs/heads/{branch}"),
        format!("refs/remotes/origin/{branch}"),
    ] {
        if let Some(c) = repo.resolve_commit(&r).map_err(|e| e.to_string())? {
            return Ok(Some((r, c)));
        }
    }
    Ok(None)
}

fn published(inputs: &Inputs) -> GateResult {
    let rules = inputs.policy.docs.clone().unwrap_or_default();
    let tag = match inputs.release_tag() {
        Ok(t) => t,
        Err(e) => return GateResult::error(e),
    };
    let version = tag.version().to_string();
    let repo = match inputs.repo() {
        Ok(r) => r,
        Err(e) => return GateResult::error(e),
    };
    let (git_ref, commit) = match branch_head(&repo, &rules.branch) {
        Ok(Some(h)) => h,
        Ok(None) => {
            return GateResult::from_findings(vec![
                Finding::new(
                    Code::DocsBranchMissing,
                    format!("refs/heads/{}", rules.branch),
                )
                .expected(format!("a docs branch {} holding {version}/", rules.branch))
                .found("no such branch (local or origin)")
                .hint(format!(
                    "deploy the docs: mike deploy --push --update-aliases {version} {}",
                    rules.alias.as_deref().unwrap_or_default()
                )),
            ]);
        }
        Err(e) => return GateResult::error(e),
    };
    let tree = match repo.tree_at(&commit) {
        Ok(t) => t,
        Err(e) => return GateResult::error(e.to_string()),
    };
    let findings = match check_tree(&tree, &rules, &version) {
        Ok(f) => f,
        Err(e) => return GateResult::error(e),
    };
    GateResult::from_findings(findings)
        .with_evidence("branch", serde_json::json!(git_ref))
        .with_evidence("commit", serde_json::json!(commit))
        .with_evidence("version", serde_json::json!(version))
}

/// One entry of `versions.json`.
struct Entry {
    version: String,
    aliases: Vec<String>,
}

/// The findings for the docs tree (a branch's files) and the release `version`.
fn check_tree(tree: &dyn Tree, rules: &DocsRules, version: &str) -> Result<Vec<Finding>, String> {
    let prefix = rules.prefix();
    let file = format!("{prefix}versions.json");
    let folder = format!("{prefix}{version}/");
    let files = tree.list_files().map_err(|e| e.to_string())?;
    let has_folder = files.iter().any(|f| f.starts_with(&folder));
    let bad = |pointer: &str, found: String| {
        Finding::new(Code::DocsVersionsInvalid, file.clone())
            .in_file(&file)
            .key(pointer)
            .expected("mike's versions.json: [{\"version\": \"X.Y.Z\", \"title\": \"…\", \"aliases\": [\"latest\"]}]")
            .found(found)
    };
    let text = match tree.read_text(&file) {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Ok(vec![bad(
                "",
                String::from("no versions.json on the docs branch"),
            )]);
        }
        Err(e) => return Ok(vec![bad("", format!("unreadable: {e}"))]),
    };
    let entries = match parse_versions(&text) {
        Ok(e) => e,
        Err((pointer, found, line_col)) => {
            let f = bad(&pointer, found);
            return Ok(vec![match line_col {
                Some((l, c)) => f.line_col(l, c),
                None => f,
            }]);
        }
    };
    let mut findings = Vec::new();
    let listed = entries.iter().position(|e| e.version == version);
    if !has_folder || listed.is_none() {
        let missing = match (has_folder, listed.is_some()) {
            (false, false) => {
                format!("no {folder} folder, and versions.json does not list {version}")
            }
            (false, true) => {
                format!("versions.json lists {version}, but there is no {folder} folder")
            }
            _ => format!("{folder} exists, but versions.json does not list {version}"),
        };
        findings.push(
            Finding::new(Code::DocsVersionMissing, format!("docs for {version}"))
                .in_file(&file)
                .expected(format!("a {folder} folder listed in versions.json"))
                .found(missing)
                .hint(format!("mike deploy --push {version}")),
        );
    }
    // The alias is judged once the version is there: docs without the version are reported
    // once, as such, not again as a stale alias.
    if let Some(alias) = rules.alias.as_ref().filter(|_| listed.is_some()) {
        let holders: Vec<(usize, &Entry)> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.aliases.iter().any(|a| a == alias))
            .collect();
        let right = holders.len() == 1 && holders.iter().all(|(_, e)| e.version == version);
        if !right {
            let found = if holders.is_empty() {
                format!("no version carries the alias {alias}")
            } else {
                let names: Vec<&str> = holders.iter().map(|(_, e)| e.version.as_str()).collect();
                format!("{alias} maps to {}", names.join(", "))
            };
            let pointer = holders
                .first()
                .map_or_else(String::new, |(i, _)| format!("/{i}/aliases"));
            findings.push(
                Finding::new(Code::DocsAliasWrong, format!("docs alias {alias}"))
                    .in_file(&file)
                    .key(pointer)
                    .expected(format!("{alias} maps to {version}"))
                    .found(found)
                    .hint(format!(
                        "mike deploy --push --update-aliases {version} {alias}"
                    )),
            );
        }
    }
    Ok(findings)
}

/// Parses mike's `versions.json`; `Err((JSON pointer, what was found, line and column))`.
#[allow(clippy::type_complexity, reason = "a private error triple")]
fn parse_versions(text: &str) -> Result<Vec<Entry>, (String, String, Option<(usize, usize)>)> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        (
            String::new(),
            format!("not JSON: {e}"),
            Some((e.line(), e.column())),
        )
    })?;
    let Value::Array(items) = doc else {
        return Err((String::new(), String::from("not an array"), None));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(version) = item.get("version").and_then(Value::as_str) else {
            return Err((
                format!("/{i}/version"),
                String::from("no version string"),
                None,
            ));
        };
        let aliases = match item.get("aliases") {
            None => Vec::new(),
            Some(Value::Array(a)) => {
                let mut names = Vec::with_capacity(a.len());
                for (j, x) in a.iter().enumerate() {
                    match x.as_str() {
                        Some(s) => names.push(s.to_owned()),
                        None => {
                            return Err((
                                format!("/{i}/aliases/{j}"),
                                format!("{x} is not a string"),
                                None,
                            ));
                        }
                    }
                }
                names
            }
            Some(other) => {
                return Err((
                    format!("/{i}/aliases"),
                    format!("{other} is not an array"),
                    None,
                ));
            }
        };
        out.push(Entry {
            version: version.to_owned(),
            aliases,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use relver::MemTree;

    fn codes(tree: &MemTree, version: &str) -> Vec<(Code, Option<String>)> {
        check_tree(tree, &DocsRules::default(), version)
            .unwrap()
            .into_iter()
            .map(|f| (f.code, f.key_path().map(str::to_owned)))
            .collect()
    }

    fn site(versions: &str) -> MemTree {
        MemTree::new()
            .with_file("versions.json", versions)
            .with_file("1.2.3/index.html", "<html></html>")
            .with_file("1.2.2/index.html", "<html></html>")
    }

    const GOOD: &str = r#"[{"version": "1.2.3", "title": "1.2.3", "aliases": ["latest"]}, {"version": "1.2.2", "title": "1.2.2", "aliases": []}]"#;

    #[test]
    fn the_version_folder_and_the_alias_pass() {
        assert_eq!(codes(&site(GOOD), "1.2.3"), []);
    }

    #[test]
    fn a_missing_version_and_a_stale_alias_have_their_codes() {
        let stale = r#"[{"version": "1.2.2", "title": "1.2.2", "aliases": ["latest"]}]"#;
        // No 1.2.4 at all: reported once, as missing.
        assert_eq!(
            codes(&site(stale), "1.2.4"),
            [(Code::DocsVersionMissing, None)]
        );
        // The folder is there but versions.json does not list it: still missing.
        assert_eq!(
            codes(&site(stale), "1.2.3"),
            [(Code::DocsVersionMissing, None)]
        );
        // Listed, but latest still on the previous release.
        let behind = r#"[{"version": "1.2.3", "title": "1.2.3", "aliases": []}, {"version": "1.2.2", "title": "1.2.2", "aliases": ["latest"]}]"#;
        assert_eq!(
            codes(&site(behind), "1.2.3"),
            [(Code::DocsAliasWrong, Some(String::from("/1/aliases")))]
        );
        // On no version, or on two.
        let none = r#"[{"version": "1.2.3", "title": "1.2.3", "aliases": []}]"#;
        assert_eq!(
            codes(&site(none), "1.2.3"),
            [(Code::DocsAliasWrong, Some(String::new()))]
        );
        let two = r#"[{"version": "1.2.3", "aliases": ["latest"]}, {"version": "1.2.2", "aliases": ["latest"]}]"#;
        assert_eq!(
            codes(&site(two), "1.2.3"),
            [(Code::DocsAliasWrong, Some(String::from("/0/aliases")))]
        );
    }

    #[test]
    fn malformed_versions_json_names_its_pointer() {
        for (text, pointer) in [
            ("{\"version\": 1}", ""),
            ("[{\"title\": \"x\"}]", "/0/version"),
            (
                "[{\"version\": \"1.2.3\", \"aliases\": [\"latest\", 7]}]",
                "/0/aliases/1",
            ),
            (
                "[{\"version\": \"1.2.3\", \"aliases\": \"latest\"}]",
                "/0/aliases",
            ),
            ("[", ""),
        ] {
            let got = codes(&site(text), "1.2.3");
            assert_eq!(
                got,
                [(Code::DocsVersionsInvalid, Some(pointer.to_owned()))],
                "{text}"
            );
        }
        let empty = MemTree::new().with_file("1.2.3/index.html", "x");
        assert_eq!(
            codes(&empty, "1.2.3"),
            [(Code::DocsVersionsInvalid, Some(String::new()))]
        );
    }

    #[test]
    fn a_path_prefix_is_honoured() {
        let tree = MemTree::new()
            .with_file("docs/versions.json", GOOD)
            .with_file("docs/1.2.3/index.html", "x");
        let rules = DocsRules {
            path: Some(String::from("docs/")),
            ..DocsRules::default()
        };
        assert!(check_tree(&tree, &rules, "1.2.3").unwrap().is_empty());
        assert!(
            !check_tree(&tree, &DocsRules::default(), "1.2.3")
                .unwrap()
                .is_empty()
        );
    }
}
