//! Bumping every version source at once: plan, preview as a unified diff, apply all or nothing.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::Range;
use std::path::PathBuf;

use crate::changelog::{Changelog, compare_base, is_calendar_date};
use crate::check::{Report, check};
use crate::config::{Config, Role, SourceKind};
use crate::finding::Finding;
use crate::heading::Heading;
use crate::input::ReadError;
use crate::tree::{DirTree, Tree};
use crate::version::Version;

/// Options for [`plan_bump`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BumpOptions {
    /// Bump even when the members disagree today (heal a tree that is out of lockstep).
    pub heal: bool,
    /// The release date written into the changelog (`YYYY-MM-DD`); required when a changelog
    /// section has to be created.
    pub date: Option<String>,
}

impl BumpOptions {
    /// Options with a changelog date.
    #[must_use]
    pub fn with_date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(date.into());
        self
    }

    /// Allow healing an out-of-lockstep tree.
    #[must_use]
    pub const fn healing(mut self) -> Self {
        self.heal = true;
        self
    }
}

/// One replacement in one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Edit {
    /// Key path (or `changelog` for changelog edits).
    pub key: String,
    /// 1-based line of the edit in the original file.
    pub line: usize,
    /// Byte span replaced in the original file.
    #[serde(skip)]
    pub span: Range<usize>,
    /// The replaced text.
    pub old: String,
    /// The new text.
    pub new: String,
}

/// All edits to one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FileChange {
    /// File path relative to the root.
    pub path: String,
    /// The edits, sorted, non-overlapping.
    pub edits: Vec<Edit>,
    /// The file before.
    #[serde(skip)]
    pub original: String,
    /// The file after.
    #[serde(skip)]
    pub updated: String,
}

/// What a bump will do: every file change, computed before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BumpPlan {
    /// The version the members agree on today (or the majority, when healing).
    pub from: Option<Version>,
    /// The new version.
    pub to: Version,
    /// The changes, one per file, sorted by path.
    pub files: Vec<FileChange>,
}

/// Planning or applying a bump failed; nothing was written (or everything was rolled back).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BumpError {
    /// The members disagree (or cannot be read) and healing was not requested.
    #[error("the tree is not in lockstep ({} errors); fix it or bump with heal", findings.len())]
    OutOfLockstep {
        /// The check's error findings.
        findings: Vec<Finding>,
    },
    /// A value that must change cannot be edited in place (escapes, inherited, not a literal).
    #[error("{path}:{line} {key} cannot be edited in place")]
    NotEditable {
        /// The file.
        path: String,
        /// The key.
        key: String,
        /// 1-based line.
        line: usize,
    },
    /// A changelog section must be written but no valid date was given.
    #[error(
        "{path}: a valid YYYY-MM-DD date is needed for the new changelog section (got {date:?})"
    )]
    DateRequired {
        /// The changelog.
        path: String,
        /// What was given.
        date: Option<String>,
    },
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A file changed between planning and applying.
    #[error("{path} changed since the bump was planned")]
    Stale {
        /// The file.
        path: String,
    },
    /// Writing failed; every file already replaced was restored.
    #[error("writing {path} failed; {restored} files restored")]
    Write {
        /// The file.
        path: PathBuf,
        /// How many already-written files were restored.
        restored: usize,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn line_of(text: &str, offset: usize) -> usize {
    text.bytes().take(offset).filter(|&b| b == b'\n').count() + 1
}

/// The text `span` covers in `text`, or `Stale` when it does not fall on `text`'s characters
/// (the file changed after the check read it).
fn span_text(text: &str, span: &Range<usize>, path: &str) -> Result<String, BumpError> {
    text.get(span.clone())
        .map(str::to_owned)
        .ok_or_else(|| BumpError::Stale {
            path: path.to_owned(),
        })
}

/// `text` with sorted, non-overlapping `edits` applied; `None` when a span is not in `text`.
fn apply_edits(text: &str, edits: &[Edit]) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for e in edits {
        out.push_str(text.get(pos..e.span.start)?);
        out.push_str(&e.new);
        pos = e.span.end;
    }
    out.push_str(text.get(pos..)?);
    Some(out)
}

fn changelog_edits(
    path: &str,
    text: &str,
    to: &Version,
    date: Option<&str>,
) -> Result<Vec<Edit>, BumpError> {
    let log = Changelog::parse(text);
    if log.section(to).is_some() {
        return Ok(Vec::new());
    }
    // The new heading is written as the file writes its latest one.
    let style = log.heading_style();
    let date = match date {
        Some(d) if is_calendar_date(d) => d,
        _ if style.date_separator.is_none() => "",
        other => {
            return Err(BumpError::DateRequired {
                path: path.to_owned(),
                date: other.map(str::to_owned),
            });
        }
    };
    let latest = log.latest();
    let heading = style.heading(to, date);
    let mut edits = Vec::new();
    let mk = |span: Range<usize>, new: String| -> Result<Edit, BumpError> {
        Ok(Edit {
            key: "changelog".into(),
            line: line_of(text, span.start),
            old: span_text(text, &span, path)?,
            span,
            new,
        })
    };
    if let Some(u) = log.unreleased() {
        // Keep the Unreleased heading, open a new empty section under it: the old Unreleased
        // body now belongs to the new release.
        let h = span_text(text, &u.heading_span, path)?;
        edits.push(mk(u.heading_span.clone(), format!("{h}\n\n{heading}"))?);
    } else if let Some(l) = latest {
        edits.push(mk(
            l.heading_span.start..l.heading_span.start,
            format!("{heading}\n\n"),
        )?);
    } else {
        let end = text.len();
        let sep = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        edits.push(mk(end..end, format!("{sep}\n{heading}\n"))?);
    }
    if let Some(link) = log
        .links()
        .iter()
        .find(|l| l.label.eq_ignore_ascii_case("unreleased"))
        && let (Some(base), Some((prefix, _))) =
            (compare_base(&link.url), link.url.rsplit_once("/compare/"))
    {
        let tag_prefix = match latest.map(|s| &s.heading) {
            Some(Heading::Version { text: v, .. }) => base.strip_suffix(v.as_str()).unwrap_or("v"),
            _ => base.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.'),
        };
        let new_tag = format!("{tag_prefix}{to}");
        // The line starts `[label]:`, so its label is `link.label` byte for byte.
        let label = &link.label;
        edits.push(mk(
                link.span.clone(),
                format!("[{label}]: {prefix}/compare/{new_tag}...HEAD\n[{to}]: {prefix}/compare/{base}...{new_tag}"),
            )?);
    }
    Ok(edits)
}

/// Plan a bump of every member (and optional) source to `to`. Derived and independent sources
/// are left alone. Bumping to the current version gives an empty plan.
///
/// ```
/// use relver::{plan_bump, BumpOptions, Config, DirTree, SourceKind, SourceSpec, Version};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("package.json"), "{\n  \"version\": \"1.2.3\" \n}\n")?;
/// let config = Config::new(vec![SourceSpec::new("package.json", SourceKind::PackageJson)]);
/// let tree = DirTree::new(dir.path());
/// let plan = plan_bump(&tree, &config, &Version::new(1, 3, 0), &BumpOptions::default())?;
/// assert!(plan.diff().contains("+  \"version\": \"1.3.0\" "));
/// plan.apply(&tree)?;
/// assert_eq!(std::fs::read_to_string(dir.path().join("package.json"))?, "{\n  \"version\": \"1.3.0\" \n}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan_bump(
    tree: &dyn Tree,
    config: &Config,
    to: &Version,
    options: &BumpOptions,
) -> Result<BumpPlan, BumpError> {
    let report: Report = check(tree, config, None);
    let (expanded, _) = config.expand(tree);
    let config = &expanded;
    let blocking: Vec<Finding> = report.errors().cloned().collect();
    let unreadable = blocking.iter().any(|f| {
        !matches!(
            f.code,
            crate::finding::Code::VersionsDisagree | crate::finding::Code::ChangelogSectionMissing
        )
    });
    let disagree = blocking
        .iter()
        .any(|f| f.code == crate::finding::Code::VersionsDisagree);
    if unreadable || (disagree && !options.heal) {
        let findings = blocking
            .into_iter()
            .filter(|f| f.code != crate::finding::Code::ChangelogSectionMissing)
            .collect();
        return Err(BumpError::OutOfLockstep { findings });
    }
    let mut per_file: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let new_text = to.to_string();
    for cf in &report.fields {
        if !matches!(cf.role, Role::Member | Role::Optional) {
            continue;
        }
        let f = &cf.field;
        if f.version.as_ref() == Some(to) {
            continue;
        }
        let Some(span) = f.version_span.clone() else {
            if let Some(root) = &f.inherited_from {
                // Edited through the workspace root's own field, which must be a source too.
                let covered = report.fields.iter().any(|r| {
                    r.field.path == *root
                        && r.field.key == "workspace.package.version"
                        && matches!(r.role, Role::Member | Role::Optional)
                });
                if covered {
                    continue;
                }
            }
            return Err(BumpError::NotEditable {
                path: f.path.clone(),
                key: f.key.clone(),
                line: f.line,
            });
        };
        let text = match texts.entry(f.path.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                e.insert(tree.read_text(&f.path)?.ok_or_else(|| BumpError::Stale {
                    path: f.path.clone(),
                })?)
            }
        };
        let edits = per_file.entry(f.path.clone()).or_default();
        if edits.iter().any(|e| e.span == span) {
            continue;
        }
        edits.push(Edit {
            key: f.key.clone(),
            line: f.line,
            old: span_text(text, &span, &f.path)?,
            span,
            new: new_text.clone(),
        });
    }
    let any_member_changes = !per_file.is_empty() || report.expected.as_ref() != Some(to);
    for spec in &config.sources {
        if spec.kind != SourceKind::Changelog
            || !matches!(spec.role, Role::Member | Role::Optional)
            || !any_member_changes
        {
            continue;
        }
        let Some(text) = tree.read_text(&spec.path)? else {
            continue;
        };
        let edits = changelog_edits(&spec.path, &text, to, options.date.as_deref())?;
        if !edits.is_empty() {
            per_file.entry(spec.path.clone()).or_default().extend(edits);
            texts.insert(spec.path.clone(), text);
        }
    }
    let mut files = Vec::new();
    for (path, mut edits) in per_file {
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        edits.dedup_by(|a, b| a.span == b.span);
        let overlap = edits
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.span.end > b.span.start));
        if let (true, Some(e)) = (overlap, edits.first()) {
            return Err(BumpError::NotEditable {
                path,
                key: e.key.clone(),
                line: e.line,
            });
        }
        let original = texts.remove(&path).unwrap_or_default();
        let Some(updated) = apply_edits(&original, &edits) else {
            return Err(BumpError::Stale { path });
        };
        files.push(FileChange {
            path,
            edits,
            original,
            updated,
        });
    }
    Ok(BumpPlan {
        from: report.expected,
        to: to.clone(),
        files,
    })
}

/// Write `bytes` to a new temporary file beside `target`, with the target's permissions.
fn write_temp(target: &std::path::Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = target.with_file_name(format!(".{name}.relver-{}.tmp", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    let result = (|| {
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(target) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

impl BumpPlan {
    /// True when nothing changes (bumping to the current version).
    #[must_use]
    pub fn is_noop(&self) -> bool {
        self.files.is_empty()
    }

    /// The preview: a unified diff of every file (`a/PATH` → `b/PATH`, 3 lines of context).
    #[must_use]
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            out.push_str(&unified_diff(&f.path, &f.original, &f.edits));
        }
        out
    }

    /// Apply the plan to a directory: every file or none. Each file is written to a temporary
    /// file beside it and renamed over it; on any failure the files already replaced are
    /// restored and the temporary files removed.
    pub fn apply(&self, tree: &DirTree) -> Result<(), BumpError> {
        self.apply_inner(tree, None)
    }

    fn apply_inner(&self, tree: &DirTree, fail_rename_at: Option<usize>) -> Result<(), BumpError> {
        let mut targets = Vec::new();
        for f in &self.files {
            let now = tree.read_text(&f.path)?;
            if now.as_deref() != Some(f.original.as_str()) {
                return Err(BumpError::Stale {
                    path: f.path.clone(),
                });
            }
            targets.push(tree.resolve(&f.path)?);
        }
        let mut temps: Vec<PathBuf> = Vec::new();
        for (f, target) in self.files.iter().zip(&targets) {
            match write_temp(target, f.updated.as_bytes()) {
                Ok(t) => temps.push(t),
                Err(source) => {
                    for t in &temps {
                        let _ = std::fs::remove_file(t);
                    }
                    return Err(BumpError::Write {
                        path: target.clone(),
                        restored: 0,
                        source,
                    });
                }
            }
        }
        for (i, (tmp, target)) in temps.iter().zip(&targets).enumerate() {
            let r = if fail_rename_at == Some(i) {
                Err(std::io::Error::other("injected failure"))
            } else {
                std::fs::rename(tmp, target)
            };
            if let Err(source) = r {
                for t in temps.iter().skip(i) {
                    let _ = std::fs::remove_file(t);
                }
                let mut restored = 0;
                for (f, t) in self.files.iter().zip(&targets).take(i) {
                    if let Ok(back) = write_temp(t, f.original.as_bytes()) {
                        if std::fs::rename(&back, t).is_ok() {
                            restored += 1;
                        } else {
                            let _ = std::fs::remove_file(&back);
                        }
                    }
                }
                return Err(BumpError::Write {
                    path: target.clone(),
                    restored,
                    source,
                });
            }
        }
        Ok(())
    }
}

/// A unified diff of one file given sorted, non-overlapping edits.
fn unified_diff(path: &str, original: &str, edits: &[Edit]) -> String {
    if edits.is_empty() {
        return String::new();
    }
    let old_lines: Vec<&str> = original.split_inclusive('\n').collect();
    // Blocks of whole old lines touched by edits: (first, last) 0-based inclusive, with edits.
    let mut blocks: Vec<(usize, usize, Vec<&Edit>)> = Vec::new();
    for e in edits {
        let first = line_of(original, e.span.start) - 1;
        let last = if e.span.end > e.span.start {
            line_of(original, e.span.end - 1) - 1
        } else {
            first
        };
        match blocks.last_mut() {
            Some(b) if first <= b.1 => {
                b.1 = b.1.max(last);
                b.2.push(e);
            }
            _ => blocks.push((first, last, vec![e])),
        }
    }
    let starts = crate::input::line_starts(original);
    // Spans and line numbers come from `original` (a plan's edits are checked against it), so
    // every `get` below finds its range; a hand-edited plan renders short, never panics.
    let render_block = |b: &(usize, usize, Vec<&Edit>)| -> Vec<String> {
        let start = starts.get(b.0).copied().unwrap_or(original.len());
        let end = starts.get(b.1 + 1).copied().unwrap_or(original.len());
        let mut s = String::new();
        let mut pos = start;
        for e in &b.2 {
            s.push_str(original.get(pos..e.span.start).unwrap_or_default());
            s.push_str(&e.new);
            pos = e.span.end;
        }
        s.push_str(original.get(pos..end).unwrap_or_default());
        s.split_inclusive('\n').map(str::to_owned).collect()
    };
    const CTX: usize = 3;
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut i = 0;
    let mut delta: isize = 0;
    while let Some(first) = blocks.get(i) {
        let mut j = i;
        let mut last = first;
        while let Some(next) = blocks.get(j + 1)
            && next.0 <= last.1 + 2 * CTX + 1
        {
            j += 1;
            last = next;
        }
        let h_start = first.0.saturating_sub(CTX);
        let h_end = (last.1 + CTX).min(old_lines.len().saturating_sub(1));
        let mut body = String::new();
        let mut old_count = 0;
        let mut new_count = 0;
        let mut line = h_start;
        for b in blocks.get(i..=j).unwrap_or_default() {
            for l in old_lines.get(line..b.0).unwrap_or_default() {
                push_line(&mut body, ' ', l);
                old_count += 1;
                new_count += 1;
            }
            for l in old_lines.get(b.0..=b.1).unwrap_or_default() {
                push_line(&mut body, '-', l);
                old_count += 1;
            }
            for l in render_block(b) {
                push_line(&mut body, '+', &l);
                new_count += 1;
            }
            line = b.1 + 1;
        }
        for l in old_lines.get(line..=h_end).unwrap_or_default() {
            push_line(&mut body, ' ', l);
            old_count += 1;
            new_count += 1;
        }
        let new_start = (h_start as isize + 1 + delta).max(1);
        let _ = writeln!(
            out,
            "@@ -{},{} +{},{} @@",
            h_start + 1,
            old_count,
            new_start,
            new_count
        );
        out.push_str(&body);
        delta += new_count as isize - old_count as isize;
        i = j + 1;
    }
    out
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceSpec;

    fn setup() -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let w = |p: &str, t: &str| std::fs::write(dir.path().join(p), t).unwrap();
        w(
            "Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"1.0.0\" # keep me\n",
        );
        w(
            "package.json",
            "{\n  \"name\": \"a\",\n  \"version\": \"1.0.0\"\n}\n",
        );
        w(
            "CHANGELOG.md",
            "# Changelog\n\n## [Unreleased]\n\n- New thing.\n\n## [1.0.0] - 2024-01-01\n\n- First.\n\n[Unreleased]: https://example.invalid/r/compare/v1.0.0...HEAD\n[1.0.0]: https://example.invalid/r/releases/tag/v1.0.0\n",
        );
        let config = Config::new(vec![
            SourceSpec::new("Cargo.toml", SourceKind::Cargo),
            SourceSpec::new("package.json", SourceKind::PackageJson),
            SourceSpec::new("CHANGELOG.md", SourceKind::Changelog),
        ]);
        (dir, config)
    }

    #[test]
    fn plan_preview_apply_and_check() {
        let (dir, config) = setup();
        let tree = DirTree::new(dir.path());
        let to = Version::new(1, 1, 0);
        let plan = plan_bump(
            &tree,
            &config,
            &to,
            &BumpOptions::default().with_date("2024-02-02"),
        )
        .unwrap();
        assert_eq!(plan.files.len(), 3);
        let diff = plan.diff();
        assert!(
            diff.contains("-version = \"1.0.0\" # keep me\n+version = \"1.1.0\" # keep me\n"),
            "{diff}"
        );
        assert!(diff.contains("@@ -1,3 +1,3 @@"), "{diff}");
        plan.apply(&tree).unwrap();
        let log = std::fs::read_to_string(dir.path().join("CHANGELOG.md")).unwrap();
        assert_eq!(
            log,
            "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2024-02-02\n\n- New thing.\n\n## [1.0.0] - 2024-01-01\n\n- First.\n\n[Unreleased]: https://example.invalid/r/compare/v1.1.0...HEAD\n[1.1.0]: https://example.invalid/r/compare/v1.0.0...v1.1.0\n[1.0.0]: https://example.invalid/r/releases/tag/v1.0.0\n"
        );
        let tag = "v1.1.0".parse().unwrap();
        let r = check(&tree, &config, Some(&tag));
        assert!(r.ok, "{r}");
        let mut lint = config.clone();
        lint.sources[2].lint = true;
        lint.changelog.require_links = true;
        assert!(check(&tree, &lint, Some(&tag)).findings.is_empty());
        // Bumping to the current version is a no-op.
        assert!(
            plan_bump(&tree, &config, &to, &BumpOptions::default())
                .unwrap()
                .is_noop()
        );
    }

    #[test]
    fn refuses_out_of_lockstep_unless_healing() {
        let (dir, config) = setup();
        std::fs::write(dir.path().join("package.json"), "{\"version\": \"0.9.0\"}").unwrap();
        let tree = DirTree::new(dir.path());
        let to = Version::new(1, 1, 0);
        let opts = BumpOptions::default().with_date("2024-02-02");
        assert!(matches!(
            plan_bump(&tree, &config, &to, &opts),
            Err(BumpError::OutOfLockstep { .. })
        ));
        let plan = plan_bump(&tree, &config, &to, &opts.clone().healing()).unwrap();
        plan.apply(&tree).unwrap();
        assert!(check(&tree, &config, Some(&"v1.1.0".parse().unwrap())).ok);
        assert!(matches!(
            plan_bump(
                &tree,
                &config,
                &Version::new(1, 2, 0),
                &BumpOptions::default()
            ),
            Err(BumpError::DateRequired { .. })
        ));
    }

    #[test]
    fn inherited_versions_are_bumped_through_the_root() {
        let dir = tempfile::tempdir().unwrap();
        relkit_testkit::write_files(
            dir.path(),
            &[
                (
                    "Cargo.toml",
                    "[workspace]\nmembers = [\"a\"]\n[workspace.package]\nversion = \"1.0.0\"\n",
                ),
                (
                    "a/Cargo.toml",
                    "[package]\nname = \"a\"\nversion.workspace = true\n",
                ),
            ],
        );
        let tree = DirTree::new(dir.path());
        let member_only = Config::new(vec![SourceSpec::new("a/Cargo.toml", SourceKind::Cargo)]);
        let to = Version::new(1, 0, 1);
        let err = plan_bump(&tree, &member_only, &to, &BumpOptions::default()).unwrap_err();
        assert!(
            matches!(err, BumpError::NotEditable { line: 3, .. }),
            "{err:?}"
        );
        let both = Config::new(vec![
            SourceSpec::new("a/Cargo.toml", SourceKind::Cargo),
            SourceSpec::new("Cargo.toml", SourceKind::Cargo),
        ]);
        let plan = plan_bump(&tree, &both, &to, &BumpOptions::default()).unwrap();
        assert_eq!(plan.files.len(), 1);
        plan.apply(&tree).unwrap();
        assert!(check(&tree, &both, Some(&crate::tag::Tag::new("v", to).unwrap())).ok);
    }

    #[test]
    fn failure_rolls_everything_back() {
        let (dir, config) = setup();
        let tree = DirTree::new(dir.path());
        let before: Vec<String> = ["Cargo.toml", "package.json", "CHANGELOG.md"]
            .iter()
            .map(|p| std::fs::read_to_string(dir.path().join(p)).unwrap())
            .collect();
        let plan = plan_bump(
            &tree,
            &config,
            &Version::new(2, 0, 0),
            &BumpOptions::default().with_date("2024-02-02"),
        )
        .unwrap();
        let err = plan.apply_inner(&tree, Some(2)).unwrap_err();
        assert!(
            matches!(err, BumpError::Write { restored: 2, .. }),
            "{err:?}"
        );
        let after: Vec<String> = ["Cargo.toml", "package.json", "CHANGELOG.md"]
            .iter()
            .map(|p| std::fs::read_to_string(dir.path().join(p)).unwrap())
            .collect();
        assert_eq!(before, after);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .collect();
        assert!(leftovers.is_empty());
        // A file changed after planning: refused before writing anything.
        std::fs::write(dir.path().join("package.json"), "{\"version\": \"1.0.0\"}").unwrap();
        assert!(matches!(plan.apply(&tree), Err(BumpError::Stale { .. })));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap(),
            before[0]
        );
    }
}
