//! Source paths with globs (`crates/*/Cargo.toml`): a workspace that grows needs no change to
//! its configuration. `*` matches any run of characters within one path segment, `?` one
//! character, and a whole segment `**` any number of directories (none included).

use std::collections::{BTreeSet, HashSet};

use crate::config::{Config, SourceKind, SourceSpec};
use crate::finding::{Code, Finding};
use crate::tree::{Tree, is_glob};

/// Matches `items` against `pat` where `star(p)` marks a pattern element matching any run of
/// items and `one(p, item)` a single item: the classic table, `O(pattern × items)` whatever the
/// pattern (no backtracking blow-up).
fn table_match<P, T>(
    pat: &[P],
    items: &[T],
    star: impl Fn(&P) -> bool,
    one: impl Fn(&P, &T) -> bool,
) -> bool {
    // row[j]: does the pattern read so far match the first j items?
    let mut row: Vec<bool> = (0..=items.len()).map(|j| j == 0).collect();
    for p in pat {
        let mut next = Vec::with_capacity(row.len());
        if star(p) {
            let mut any = false;
            for r in &row {
                any = any || *r;
                next.push(any);
            }
        } else {
            next.push(false);
            for (r, item) in row.iter().zip(items) {
                next.push(*r && one(p, item));
            }
        }
        row = next;
    }
    row.last().copied().unwrap_or(false)
}

/// Does one segment `pat` (with `*` and `?`) match the segment `name`?
fn segment_matches(pat: &[char], name: &[char]) -> bool {
    table_match(pat, name, |c| *c == '*', |c, n| *c == '?' || c == n)
}

/// Does the `/`-separated `pattern` match the `/`-separated `path`?
pub(crate) fn matches(pattern: &str, path: &str) -> bool {
    let pat: Vec<Vec<char>> = pattern.split('/').map(|s| s.chars().collect()).collect();
    let segs: Vec<Vec<char>> = path.split('/').map(|s| s.chars().collect()).collect();
    table_match(
        &pat,
        &segs,
        |p| p.as_slice() == ['*', '*'],
        |p, s| segment_matches(p, s),
    )
}

/// A glob that matched no file: as grave as a missing file of the source's role.
fn matched_nothing(spec: &SourceSpec) -> Option<Finding> {
    let severity = spec.role.missing_severity()?;
    Some(
        Finding::new(Code::SourceMissing, "the glob matched no file")
            .severity(severity)
            .in_file(&spec.path)
            .hint("fix the pattern (`*` stays within one folder, `**` crosses folders), or make the source optional"),
    )
}

impl Config {
    /// This configuration with every glob source replaced by one source per file of `tree` it
    /// matches (sorted by path, the same whatever order the tree lists them in), and the
    /// findings of globs that matched nothing (`source-missing`, as grave as a missing file of
    /// the source's role). A file named by a source without a glob keeps that source (an
    /// explicit `role = "independent"` wins over a glob); a file matched by two globs of the
    /// same kind takes the first.
    ///
    /// [`check`](crate::check) and [`plan_bump`](crate::plan_bump) expand the configuration
    /// themselves; call this to see which files a configuration covers.
    ///
    /// ```
    /// use relver::{Config, MemTree, SourceKind, SourceSpec};
    /// let tree = MemTree::new()
    ///     .with_file("crates/b/Cargo.toml", "")
    ///     .with_file("crates/a/Cargo.toml", "")
    ///     .with_file("crates/a/src/lib.rs", "");
    /// let config = Config::new(vec![SourceSpec::new("crates/*/Cargo.toml", SourceKind::Cargo)]);
    /// let (expanded, findings) = config.expand(&tree);
    /// let paths: Vec<&str> = expanded.sources.iter().map(|s| s.path.as_str()).collect();
    /// assert_eq!(paths, ["crates/a/Cargo.toml", "crates/b/Cargo.toml"]);
    /// assert!(findings.is_empty());
    /// ```
    #[must_use]
    pub fn expand(&self, tree: &dyn Tree) -> (Self, Vec<Finding>) {
        let mut findings = Vec::new();
        if !self.sources.iter().any(|s| is_glob(&s.path)) {
            return (self.clone(), findings);
        }
        let files = match tree.list_files() {
            Ok(f) => f.into_iter().collect::<BTreeSet<String>>(),
            Err(e) => {
                for s in self.sources.iter().filter(|s| is_glob(&s.path)) {
                    findings.push(
                        Finding::new(
                            Code::SourceUnreadable,
                            format!("the files to match the glob could not be listed: {e}"),
                        )
                        .in_file(&s.path),
                    );
                }
                BTreeSet::new()
            }
        };
        let explicit: HashSet<(&str, SourceKind)> = self
            .sources
            .iter()
            .filter(|s| !is_glob(&s.path))
            .map(|s| (s.path.as_str(), s.kind))
            .collect();
        let mut taken: HashSet<(String, SourceKind)> = HashSet::new();
        let mut sources = Vec::new();
        for spec in &self.sources {
            if !is_glob(&spec.path) {
                sources.push(spec.clone());
                continue;
            }
            let mut any = false;
            for file in files.iter().filter(|f| matches(&spec.path, f)) {
                any = true;
                if explicit.contains(&(file.as_str(), spec.kind))
                    || !taken.insert((file.clone(), spec.kind))
                {
                    continue;
                }
                let mut one = spec.clone();
                one.path.clone_from(file);
                sources.push(one);
            }
            if !any && let Some(f) = matched_nothing(spec) {
                findings.push(f);
            }
        }
        let mut expanded = self.clone();
        expanded.sources = sources;
        (expanded, findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_stays_in_a_segment_and_double_star_crosses() {
        assert!(matches("crates/*/Cargo.toml", "crates/core/Cargo.toml"));
        assert!(!matches("crates/*/Cargo.toml", "crates/a/b/Cargo.toml"));
        assert!(!matches("crates/*/Cargo.toml", "Cargo.toml"));
        assert!(matches(
            "crates/relver-*/Cargo.toml",
            "crates/relver-x/Cargo.toml"
        ));
        assert!(matches(
            "crates/relver-*/Cargo.toml",
            "crates/relver-/Cargo.toml"
        ));
        assert!(!matches(
            "crates/relver-*/Cargo.toml",
            "crates/relgate/Cargo.toml"
        ));
        assert!(matches("py/?/pyproject.toml", "py/a/pyproject.toml"));
        assert!(!matches("py/?/pyproject.toml", "py/ab/pyproject.toml"));
        assert!(matches("**/package.json", "package.json"));
        assert!(matches("**/package.json", "a/b/c/package.json"));
        assert!(matches(
            "packages/**/package.json",
            "packages/x/y/package.json"
        ));
        assert!(!matches("packages/**/package.json", "other/package.json"));
        assert!(matches("*", "Cargo.toml") && !matches("*", "a/Cargo.toml"));
        assert!(matches("crates/ü*/Cargo.toml", "crates/über/Cargo.toml"));
        assert!(matches("a/**/**/b", "a/b") && matches("a/**/b", "a/x/y/z/b"));
        // No backtracking blow-up: a pathological pattern answers at once.
        let long = "a".repeat(4000);
        let pat = format!("{}b", "*a".repeat(200));
        assert!(!matches(&pat, &long));
    }
}
