//! Reading trees at a tag or commit through the `git` command-line tool, coupled tags, the
//! "tag does not exist yet" check and the history audit.
//!
//! Why the CLI and not a library: `git` is on every CI machine that has a checkout, it reads
//! every repository format and extension the checkout tool wrote, and it keeps this crate's build
//! small (no `gix` dependency tree). Only plumbing commands with stable output are used
//! (`rev-parse`, `ls-tree -z`, `cat-file`, `for-each-ref`, `log -z`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::changelog::Changelog;
use crate::check::{Report, check};
use crate::config::{Config, Role, SourceKind};
use crate::finding::{Code, Finding, Severity};
use crate::input::{DEFAULT_MAX_FILE_SIZE, ReadError, bytes_to_text};
use crate::tag::{Tag, TagClass, parse_tag};
use crate::tree::{Tree, TreeOrigin};

/// A git command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// `git` could not be started.
    #[error("cannot run git in {dir}")]
    Spawn {
        /// The repository directory.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `git` exited with an error.
    #[error("git {args} failed in {dir}: {stderr}")]
    Failed {
        /// The repository directory.
        dir: PathBuf,
        /// The arguments.
        args: String,
        /// What git printed on stderr.
        stderr: String,
    },
    /// The revision does not exist.
    #[error("revision {rev:?} not found in {dir}")]
    UnknownRevision {
        /// The repository directory.
        dir: PathBuf,
        /// The revision.
        rev: String,
    },
    /// git printed something this crate cannot interpret.
    #[error("unexpected git output: {0}")]
    Output(String),
}

/// A repository, driven through the `git` CLI.
#[derive(Debug, Clone)]
pub struct GitRepo {
    dir: PathBuf,
}

impl GitRepo {
    /// The repository whose work tree (or git dir) is `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command(&self) -> Command {
        let mut c = Command::new("git");
        c.arg("-C")
            .arg(&self.dir)
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_OPTIONAL_LOCKS", "0");
        c
    }

    /// Runs git with `args` and waits for it; an error only when it cannot be started.
    fn output(&self, args: &[&str]) -> Result<std::process::Output, GitError> {
        self.command()
            .args(args)
            .output()
            .map_err(|source| GitError::Spawn {
                dir: self.dir.clone(),
                source,
            })
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let out = self.output(args)?;
        if !out.status.success() {
            return Err(GitError::Failed {
                dir: self.dir.clone(),
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr)
                    .trim()
                    .chars()
                    .take(400)
                    .collect(),
            });
        }
        Ok(out.stdout)
    }

    /// The commit a revision points at (annotated tags peeled), or `None` when it does not exist.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<String>, GitError> {
        if rev.starts_with('-') {
            return Ok(None);
        }
        let spec = format!("{rev}^{{commit}}");
        let out = self.output(&["rev-parse", "--verify", "--quiet", &spec])?;
        if !out.status.success() {
            return Ok(None);
        }
        let s = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if s.len() < 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(GitError::Output(s));
        }
        Ok(Some(s))
    }

    /// The commit a tag points at (peeled), or `None` when the tag does not exist.
    pub fn tag_commit(&self, tag: &str) -> Result<Option<String>, GitError> {
        self.resolve_commit(&format!("refs/tags/{tag}"))
    }

    /// Every tag name.
    pub fn tag_names(&self) -> Result<Vec<String>, GitError> {
        let out = self.run(&["for-each-ref", "--format=%(refname:strip=2)", "refs/tags"])?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// The tree of a revision (tag, branch, commit), read from git objects without a checkout.
    pub fn tree_at(&self, rev: &str) -> Result<GitTree, GitError> {
        let commit = self
            .resolve_commit(rev)?
            .ok_or_else(|| GitError::UnknownRevision {
                dir: self.dir.clone(),
                rev: rev.to_owned(),
            })?;
        let out = self.run(&["ls-tree", "-r", "-l", "-z", "--full-tree", &commit])?;
        let mut entries = HashMap::new();
        for rec in out.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            let rec = String::from_utf8_lossy(rec);
            // "<mode> SP <type> SP <oid> SP+ <size> TAB <path>"
            let Some((meta, path)) = rec.split_once('\t') else {
                return Err(GitError::Output(rec.into_owned()));
            };
            let mut parts = meta.split_whitespace();
            let (mode, ty, oid, size) = (parts.next(), parts.next(), parts.next(), parts.next());
            if ty != Some("blob") {
                continue;
            }
            let (Some(oid), Some(size)) = (oid, size.and_then(|s| s.parse::<u64>().ok())) else {
                return Err(GitError::Output(rec.into_owned()));
            };
            let entry = GitEntry {
                oid: oid.to_owned(),
                size,
                symlink: mode == Some("120000"),
            };
            entries.insert(path.to_owned(), entry);
        }
        Ok(GitTree {
            repo: self.clone(),
            rev: rev.to_owned(),
            commit,
            entries,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        })
    }

    /// Commit messages reachable from `to` but not from `from` (newest first).
    pub fn messages(&self, from: Option<&str>, to: &str) -> Result<Vec<String>, GitError> {
        let range = match from {
            Some(f) => format!("{f}..{to}"),
            None => to.to_owned(),
        };
        if range.starts_with('-') {
            return Err(GitError::UnknownRevision {
                dir: self.dir.clone(),
                rev: range,
            });
        }
        let out = self.run(&["log", "-z", "--format=%B", &range, "--"])?;
        Ok(String::from_utf8_lossy(&out)
            .split('\0')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

/// One blob of a commit's tree.
#[derive(Debug, Clone)]
struct GitEntry {
    oid: String,
    size: u64,
    /// Mode 120000: the blob is a link target, not file content.
    symlink: bool,
}

/// The files of one commit, read from git objects.
#[derive(Debug, Clone)]
pub struct GitTree {
    repo: GitRepo,
    rev: String,
    commit: String,
    entries: HashMap<String, GitEntry>,
    max_file_size: u64,
}

impl GitTree {
    /// The commit id.
    #[must_use]
    pub fn commit(&self) -> &str {
        &self.commit
    }
}

impl Tree for GitTree {
    /// Reads the blob; a symbolic link (mode 120000) is refused, not read as content.
    fn read_text(&self, path: &str) -> Result<Option<String>, ReadError> {
        let Some(entry) = self.entries.get(path) else {
            return Ok(None);
        };
        let p = PathBuf::from(path);
        if entry.symlink {
            return Err(ReadError::NotRegular {
                path: p,
                kind: "symbolic link",
            });
        }
        if entry.size > self.max_file_size {
            return Err(ReadError::TooLarge {
                path: p,
                size: entry.size,
                limit: self.max_file_size,
            });
        }
        let bytes = self
            .repo
            .run(&["cat-file", "blob", &entry.oid])
            .map_err(|e| ReadError::Git {
                path: p.clone(),
                message: e.to_string(),
            })?;
        bytes_to_text(&p, bytes).map(Some)
    }

    fn list_files(&self) -> Result<Vec<String>, ReadError> {
        let mut v: Vec<String> = self.entries.keys().cloned().collect();
        v.sort();
        Ok(v)
    }

    fn origin(&self) -> TreeOrigin {
        TreeOrigin::GitObjects {
            rev: self.rev.clone(),
            commit: self.commit.clone(),
        }
    }
}

/// Check the tree *at* a tag (read from git objects) against the tag's version.
pub fn check_at_tag(repo: &GitRepo, config: &Config, tag: &Tag) -> Result<Report, GitError> {
    let tree = repo.tree_at(&format!("refs/tags/{tag}"))?;
    Ok(check(&tree, config, Some(tag)))
}

/// Is the working tree at `dir` the tree of `tag`? `None` when it is (HEAD is the tag's commit
/// and no file under `dir` differs from it); otherwise a `worktree-not-at-tag` warning saying
/// why: another commit, changed or untracked files, no such tag, or not a git working tree (then
/// nothing shows that the files are the tag's). Check the tag's objects with [`check_at_tag`]
/// to read exactly what the tag holds.
#[must_use]
pub fn worktree_at_tag(dir: &Path, tag: &Tag) -> Option<Finding> {
    let warn = |message: String, found: Option<String>, hint: &str| {
        Some(
            Finding::new(Code::WorktreeNotAtTag, message)
                .severity(Severity::Warning)
                .in_file(dir.display().to_string())
                .values(found, Some(format!("the tree of {tag}")))
                .hint(hint),
        )
    };
    let repo = GitRepo::open(dir);
    let inside = repo
        .run(&["rev-parse", "--is-inside-work-tree"])
        .map(|o| String::from_utf8_lossy(&o).trim() == "true");
    match inside {
        Ok(true) => {}
        Ok(false) | Err(GitError::Failed { .. }) => {
            return warn(
                format!("cannot tell whether the files are those of {tag}: not a git working tree"),
                None,
                "check a checkout of the tag, or read the tag's objects (check_at_tag)",
            );
        }
        Err(e) => {
            return warn(
                format!("cannot tell whether the files are those of {tag}: {e}"),
                None,
                "install git, or read the tag's objects (check_at_tag)",
            );
        }
    }
    let tag_commit = match repo.tag_commit(&tag.to_string()) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return warn(
                format!("tag {tag} does not exist here: the working tree was checked, not a tag"),
                None,
                "create the tag on the release commit, or check without --tag",
            );
        }
        Err(e) => return warn(format!("cannot resolve tag {tag}: {e}"), None, "check git"),
    };
    let head = match repo.resolve_commit("HEAD") {
        Ok(Some(c)) => c,
        Ok(None) => return warn("the working tree has no commit".to_owned(), None, "commit"),
        Err(e) => return warn(format!("cannot resolve HEAD: {e}"), None, "check git"),
    };
    if head != tag_commit {
        return warn(
            format!(
                "the working tree is at commit {}, not at {tag} (commit {})",
                head.get(..12).unwrap_or(&head),
                tag_commit.get(..12).unwrap_or(&tag_commit)
            ),
            Some(head),
            "check out the tag, or read the tag's objects (check_at_tag)",
        );
    }
    match repo.run(&["status", "--porcelain=v1", "-z", "--", "."]) {
        Ok(out) => {
            // "XY path", and for renames and copies one more record: the old path.
            let mut changed: Vec<String> = Vec::new();
            let mut records = out.split(|&b| b == 0).filter(|r| !r.is_empty());
            while let Some(r) = records.next() {
                if let Some(path) = r.get(3..) {
                    changed.push(String::from_utf8_lossy(path).into_owned());
                }
                if matches!(r.first(), Some(b'R' | b'C')) {
                    records.next();
                }
            }
            if changed.is_empty() {
                return None;
            }
            let shown: Vec<&str> = changed.iter().take(5).map(String::as_str).collect();
            warn(
                format!(
                    "the working tree differs from {tag} in {} files ({}{})",
                    changed.len(),
                    shown.join(", "),
                    if changed.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    }
                ),
                Some(format!("{} changed files", changed.len())),
                "commit or stash the changes, or read the tag's objects (check_at_tag)",
            )
        }
        Err(e) => warn(format!("cannot list changed files: {e}"), None, "check git"),
    }
}

/// "The tag does not exist yet": a finding when it does.
pub fn check_tag_absent(repo: &GitRepo, tag: &Tag) -> Result<Option<Finding>, GitError> {
    Ok(repo.tag_commit(&tag.to_string())?.map(|commit| {
        Finding::new(Code::TagAlreadyExists, format!("tag {tag} already exists"))
            .severity(Severity::Error)
            .in_file(format!("refs/tags/{tag}"))
            .values(Some(commit), Some("no such tag".into()))
            .hint("release versions are immutable: bump to the next version")
    }))
}

/// Coupled tags: for each prefix, `PREFIX + version` must exist and point at the same commit as
/// `tag`.
pub fn check_coupled_tags(
    repo: &GitRepo,
    tag: &Tag,
    prefixes: &[String],
) -> Result<Vec<Finding>, GitError> {
    let mut out = Vec::new();
    let Some(main) = repo.tag_commit(&tag.to_string())? else {
        out.push(
            Finding::new(Code::TagMissing, format!("tag {tag} does not exist"))
                .severity(Severity::Error)
                .in_file(format!("refs/tags/{tag}")),
        );
        return Ok(out);
    };
    for p in prefixes {
        let Ok(coupled) = tag.with_prefix(p.clone()) else {
            continue;
        };
        if coupled == *tag {
            continue;
        }
        match repo.tag_commit(&coupled.to_string())? {
            None => out.push(
                Finding::new(
                    Code::CoupledTagMismatch,
                    format!("coupled tag {coupled} does not exist"),
                )
                .severity(Severity::Error)
                .in_file(format!("refs/tags/{coupled}"))
                .values(None, Some(main.clone()))
                .hint(format!("git tag {coupled} {main}")),
            ),
            Some(c) if c != main => out.push(
                Finding::new(
                    Code::CoupledTagMismatch,
                    format!("coupled tag {coupled} points at another commit than {tag}"),
                )
                .severity(Severity::Error)
                .in_file(format!("refs/tags/{coupled}"))
                .values(Some(c), Some(main.clone()))
                .hint("re-create the coupled tag on the release commit"),
            ),
            Some(_) => {}
        }
    }
    Ok(out)
}

/// The result of [`audit_history`].
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct Audit {
    /// Each release tag (ascending) with its own check report.
    pub tags: Vec<(Tag, Report)>,
    /// History-level findings (bump after tag, never-tagged versions, rejected tags).
    pub findings: Vec<Finding>,
}

impl Audit {
    /// True when no tag's check and no history finding has an error.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.tags.iter().all(|(_, r)| r.ok)
            && !self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Audit every release tag: each is checked against its own tree; a tag whose members carry the
/// previous tag's version is named "the bump ran after tagging"; changelog versions at `head`
/// that were never tagged are warnings. Tags that fail the guard are listed as info; floating
/// tags are ignored.
pub fn audit_history(repo: &GitRepo, config: &Config, head: &str) -> Result<Audit, GitError> {
    let policy = config.tag_policy();
    let mut releases: Vec<Tag> = Vec::new();
    let mut findings = Vec::new();
    for name in repo.tag_names()? {
        match parse_tag(&name, &policy) {
            Ok(TagClass::Release(t)) => releases.push(t),
            Ok(_) => {}
            Err(e) => findings.push(
                Finding::new(Code::TagNotStrictSemver, e.to_string())
                    .severity(Severity::Info)
                    .in_file(format!("refs/tags/{name}")),
            ),
        }
    }
    releases.sort_by(|a, b| {
        a.version()
            .cmp(b.version())
            .then_with(|| a.prefix().cmp(b.prefix()))
    });
    // Main-line tags only: the first allowed prefix (coupled tags are checked separately).
    let main_prefix = config.tag_prefixes.first().cloned().unwrap_or_default();
    releases.retain(|t| t.prefix() == main_prefix);
    let mut tags = Vec::new();
    let mut prev: Option<&Tag> = None;
    // Versions that a tag's tree carries although they are neither that tag's nor the previous.
    let mut carried: Vec<(String, Tag)> = Vec::new();
    for t in &releases {
        let tree = repo.tree_at(&format!("refs/tags/{t}"))?;
        let report = check(&tree, config, Some(t));
        if !report.ok {
            let members: BTreeMap<String, usize> = report
                .fields
                .iter()
                .filter(|f| f.role == Role::Member)
                .filter_map(|f| f.field.version.as_ref().map(ToString::to_string))
                .fold(BTreeMap::new(), |mut m, v| {
                    *m.entry(v).or_default() += 1;
                    m
                });
            if let Some((top, _)) = members.iter().max_by_key(|(_, n)| **n)
                && *top != t.version().to_string()
                && prev.is_none_or(|p| *top != p.version().to_string())
            {
                carried.push((top.clone(), t.clone()));
            }
            if let Some(p) = prev {
                let pv = p.version().to_string();
                let lagging = members.get(&pv).copied().unwrap_or(0);
                if lagging > 0 && lagging * 2 >= members.values().sum::<usize>() {
                    findings.push(
                        Finding::new(Code::BumpAfterTag, format!("tag {t} carries the previous release's version {pv}: the bump ran after tagging")).severity(Severity::Error)
                            .in_file(format!("refs/tags/{t}"))
                            .values(Some(pv), Some(t.version().to_string()))
                            .hint("bump and commit first, then tag the bump commit"),
                    );
                }
            }
        }
        tags.push((t.clone(), report));
        prev = Some(t);
    }
    let tagged: Vec<String> = releases.iter().map(|t| t.version().to_string()).collect();
    for (v, t) in carried {
        if !tagged.contains(&v) {
            findings.push(
                Finding::new(
                    Code::VersionNeverTagged,
                    format!("the tree of {t} carries version {v}, which was never tagged"),
                )
                .severity(Severity::Warning)
                .in_file(format!("refs/tags/{t}"))
                .values(Some(v.clone()), Some(format!("{main_prefix}{v}")))
                .hint("a release was skipped or the tag is missing"),
            );
        }
    }
    let head_tree = repo.tree_at(head)?;
    let (at_head, _) = config.expand(&head_tree);
    for spec in at_head
        .sources
        .iter()
        .filter(|s| s.kind == SourceKind::Changelog && s.role != Role::Independent)
    {
        let Ok(Some(text)) = head_tree.read_text(&spec.path) else {
            continue;
        };
        let log = Changelog::parse(&text);
        for s in log.sections() {
            let Some(v) = s.version() else { continue };
            if !tagged.contains(&v.to_string()) {
                findings.push(
                    Finding::new(
                        Code::VersionNeverTagged,
                        format!("changelog section {v} was never tagged"),
                    )
                    .severity(Severity::Warning)
                    .in_file(&spec.path)
                    .line_col(s.line, 1)
                    .values(None, Some(format!("{main_prefix}{v}")))
                    .hint("tag the release commit, or mark the section as not released"),
                );
            }
        }
    }
    Ok(Audit { tags, findings })
}
