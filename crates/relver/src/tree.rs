//! Where files are read from: a directory on disk, or (see [`GitTree`](crate::GitTree)) a commit.

use std::path::{Component, Path, PathBuf};

use crate::input::{DEFAULT_MAX_FILE_SIZE, ReadError, read_text_file};

/// A read-only view of a project tree. Paths are relative and `/`-separated.
pub trait Tree {
    /// The text of the file at `path`, `Ok(None)` when it does not exist.
    fn read_text(&self, path: &str) -> Result<Option<String>, ReadError>;

    /// Every path in the tree that is not a directory (for discovery), relative and
    /// `/`-separated: regular files, and also links and special files, so that a version file
    /// that cannot be read is reported rather than skipped.
    fn list_files(&self) -> Result<Vec<String>, ReadError>;

    /// Which tree this is: a working tree on disk, git objects at a revision, or memory.
    /// Reports name it, so a reader knows what was checked.
    fn origin(&self) -> TreeOrigin {
        TreeOrigin::Unspecified
    }
}

/// Where a [`Tree`]'s files come from; every [`Report`](crate::Report) names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TreeOrigin {
    /// Files on disk, as they are now (which may not be what any tag holds).
    WorkingTree {
        /// The root directory.
        root: PathBuf,
    },
    /// Files read from git objects at a revision, never from the working tree.
    GitObjects {
        /// The revision asked for (`refs/tags/v1.2.3`, a branch, a commit).
        rev: String,
        /// The commit it resolved to.
        commit: String,
    },
    /// An in-memory tree.
    Memory,
    /// A tree that does not say.
    Unspecified,
}

impl std::fmt::Display for TreeOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WorkingTree { root } => write!(f, "the working tree at {}", root.display()),
            Self::GitObjects { rev, commit } => {
                let short = commit.get(..12).unwrap_or(commit);
                write!(f, "git objects of {rev} (commit {short})")
            }
            Self::Memory => f.write_str("an in-memory tree"),
            Self::Unspecified => f.write_str("an unspecified tree"),
        }
    }
}

/// A directory on disk.
#[derive(Debug, Clone)]
pub struct DirTree {
    root: PathBuf,
    canonical_root: Option<PathBuf>,
    max_file_size: u64,
}

impl DirTree {
    /// A tree rooted at `root`, with the default 10 MiB file size cap.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let canonical_root = std::fs::canonicalize(&root).ok();
        Self {
            root,
            canonical_root,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }

    /// Change the file size cap.
    #[must_use]
    pub const fn with_max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }

    /// The root directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The on-disk path of a relative path, refusing absolute paths and `..`.
    pub(crate) fn resolve(&self, rel: &str) -> Result<PathBuf, ReadError> {
        if !is_safe_relative(rel) {
            return Err(ReadError::OutsideTree {
                path: PathBuf::from(rel),
                target: None,
            });
        }
        Ok(self.root.join(rel))
    }
}

/// A relative path with no `..`, no root and no prefix.
pub(crate) fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Whether a source path is a glob (`crates/*/Cargo.toml`; see `Config::expand`).
pub(crate) fn is_glob(path: &str) -> bool {
    path.contains(['*', '?'])
}

/// Directories discovery never descends into.
pub(crate) const SKIP_DIRS: &[&str] = &[
    ".git",
    "target",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    "dist",
    "build",
    ".tox",
];

impl Tree for DirTree {
    /// Reads the file; a symbolic link that leads outside the root is refused.
    fn read_text(&self, path: &str) -> Result<Option<String>, ReadError> {
        let p = self.resolve(path)?;
        // Walk the components inside the root: only when one of them is a symbolic link is the
        // real path resolved and required to stay under the (canonical) root.
        let mut cur = self.root.clone();
        let mut linked = false;
        for comp in Path::new(path).components() {
            cur.push(comp);
            match std::fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_symlink() => {
                    linked = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(source) => return Err(ReadError::Io { path: p, source }),
            }
        }
        if linked {
            let real = match std::fs::canonicalize(&p) {
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(source) => return Err(ReadError::Io { path: p, source }),
            };
            if !self
                .canonical_root
                .as_ref()
                .is_some_and(|root| real.starts_with(root))
            {
                return Err(ReadError::OutsideTree {
                    path: p,
                    target: Some(real),
                });
            }
            return read_text_file(&real, self.max_file_size);
        }
        read_text_file(&p, self.max_file_size)
    }

    fn list_files(&self) -> Result<Vec<String>, ReadError> {
        let mut out = Vec::new();
        let mut stack = vec![(self.root.clone(), String::new(), 0usize)];
        while let Some((dir, rel, depth)) = stack.pop() {
            let rd = std::fs::read_dir(&dir).map_err(|source| ReadError::Io {
                path: dir.clone(),
                source,
            })?;
            for entry in rd {
                let entry = entry.map_err(|source| ReadError::Io {
                    path: dir.clone(),
                    source,
                })?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let ft = entry.file_type().map_err(|source| ReadError::Io {
                    path: entry.path(),
                    source,
                })?;
                let child = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                if ft.is_dir() {
                    if depth < 32 && !SKIP_DIRS.contains(&name.as_str()) {
                        stack.push((entry.path(), child, depth + 1));
                    }
                } else {
                    // Files, and also links and special files: reading decides what they are.
                    out.push(child);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn origin(&self) -> TreeOrigin {
        TreeOrigin::WorkingTree {
            root: self.root.clone(),
        }
    }
}

/// An in-memory tree (for tests, fuzzing, and checking files that are not on disk).
///
/// ```
/// use relver::{check, Config, MemTree, SourceKind, SourceSpec};
/// let tree = MemTree::new().with_file("package.json", "{\"version\": \"1.0.0\"}");
/// let config = Config::new(vec![SourceSpec::new("package.json", SourceKind::PackageJson)]);
/// assert!(check(&tree, &config, Some(&"v1.0.0".parse()?)).ok);
/// # Ok::<(), relver::TagError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemTree {
    files: std::collections::BTreeMap<String, String>,
}

impl MemTree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a file.
    #[must_use]
    pub fn with_file(mut self, path: impl Into<String>, text: impl Into<String>) -> Self {
        self.insert(path, text);
        self
    }

    /// Add (or replace) a file.
    pub fn insert(&mut self, path: impl Into<String>, text: impl Into<String>) {
        self.files.insert(path.into(), text.into());
    }
}

impl Tree for MemTree {
    fn read_text(&self, path: &str) -> Result<Option<String>, ReadError> {
        Ok(self.files.get(path).cloned())
    }

    fn list_files(&self) -> Result<Vec<String>, ReadError> {
        Ok(self.files.keys().cloned().collect())
    }

    fn origin(&self) -> TreeOrigin {
        TreeOrigin::Memory
    }
}
