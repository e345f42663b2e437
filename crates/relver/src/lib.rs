//! `relver` keeps a release's versions in lockstep.
//!
//! It reads every file that records the release version (Cargo manifests and lock files,
//! `pyproject.toml`, `uv.lock`, `__init__.py`, `package.json`, Helm `Chart.yaml`, OpenAPI
//! documents, changelogs) with real parsers, checks that they agree with a strictly validated
//! SemVer tag, finds the changelog section for that tag, and bumps them all at once while keeping
//! every other byte of each file.
//!
//! Boundaries: `relver` reads files and git objects only; it does no network I/O and depends on
//! no other relkit crate. Its [`Version`] and [`Tag`] types are the release identity shared by the
//! whole workspace.
//!
//! # Tags
//!
//! ```
//! use relver::{parse_tag, TagPolicy, TagRejection};
//! let policy = TagPolicy::default().with_prefix("clients/go/v");
//! let tag = parse_tag("clients/go/v1.4.0", &policy)?;
//! assert_eq!(tag.release().map(|t| t.version().to_string()).as_deref(), Some("1.4.0"));
//! let err = parse_tag("v1.04.0", &policy).unwrap_err();
//! assert!(matches!(err.reason(), TagRejection::LeadingZero { .. }));
//! # Ok::<(), relver::TagError>(())
//! ```
//!
//! # Checking a tree
//!
//! See [`check`]; configuration is [`Config`] (`relver.toml`).
//!
//! # Features
//!
//! None. Git access ([`GitRepo`]) runs the `git` command-line tool; nothing else leaves the
//! process, and there is no network I/O.
#![forbid(unsafe_code)]

mod bump;
mod changelog;
mod check;
mod config;
mod conventional;
mod discover;
mod field;
mod finding;
mod git;
mod input;
mod json;
mod parse_error;
mod python;
mod source;
mod tag;
mod toml_src;
mod tree;
mod version;
mod yaml;

pub use bump::{BumpError, BumpOptions, BumpPlan, Edit, FileChange, plan_bump};
pub use changelog::{Changelog, ChangelogPolicy, Heading, LinkDef, Section};
pub use check::{CheckedField, Report, check, check_release};
pub use config::{CONFIG_FILE, Config, ConfigError, KeyPath, Role, SourceKind, SourceSpec};
pub use conventional::{Bump, commit_bump, next_version};
pub use discover::{Discovery, discover};
pub use field::{FieldProblem, Format, FormatError, VersionField};
pub use finding::{Finding, FindingCode, Severity};
pub use git::{
    Audit, GitError, GitRepo, GitTree, audit_history, check_at_tag, check_coupled_tags,
    check_tag_absent,
};
pub use input::{DEFAULT_MAX_FILE_SIZE, ReadError, read_text_file};
pub use parse_error::{ParseError, ParseErrorKind};
pub use source::SourceError;
pub use tag::{FloatingTag, Tag, TagClass, TagError, TagPolicy, TagRejection, parse_tag};
pub use tree::{DirTree, MemTree, Tree};
pub use version::{MAX_VERSION_LEN, Version, VersionError, VersionErrorKind};
