#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// No panic on input (issue 12): `unwrap_used`, `expect_used` and `panic` are workspace lints
// (clippy.toml lets tests use them); library code also may not index or slice. Each remaining
// use carries an `allow` with the reason input cannot reach it.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::string_slice))]

mod bump;
mod cause;
mod changelog;
mod check;
mod config;
mod conventional;
mod discover;
mod field;
mod finding;
mod git;
mod glob;
mod heading;
mod hint;
mod input;
mod json;
mod parse_error;
mod python;
mod render_error;
mod source;
mod tag;
mod toml_src;
mod tree;
mod version;
mod worktree;
mod yaml;

pub use bump::{BumpError, BumpOptions, BumpPlan, Edit, FileChange, plan_bump};
pub use cause::{Cause, causes};
pub use changelog::{Changelog, ChangelogPolicy, LinkDef, Section, is_calendar_date};
pub use check::{
    CheckedField, IndependentSource, Report, TagOptions, check, check_release, check_release_with,
};
pub use config::{CONFIG_FILE, Config, ConfigError, KeyPath, Role, SourceKind, SourceSpec};
pub use conventional::{Bump, commit_bump, next_version};
pub use discover::{Discovery, discover, discover_for};
pub use field::{FieldProblem, Format, FormatError, VersionField};
pub use finding::{Code, Finding, Location, Severity};
pub use git::{
    Audit, GitError, GitRepo, GitTree, audit_history, check_at_tag, check_coupled_tags,
    check_tag_absent, worktree_at_tag,
};
pub use heading::{Heading, HeadingStyle};
pub use input::{DEFAULT_MAX_FILE_SIZE, ReadError, read_text_file};
pub use parse_error::{ParseError, ParseErrorKind};
pub use render_error::RenderError;
pub use source::SourceError;
pub use tag::{FloatingTag, Tag, TagClass, TagError, TagPolicy, TagRejection, parse_tag};
pub use tree::{DirTree, MemTree, Tree, TreeOrigin};
pub use version::{MAX_VERSION_LEN, Version, VersionError, VersionErrorKind};
pub use worktree::{WorktreeCheck, check_worktree};
