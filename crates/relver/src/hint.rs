//! Hints in the words of each ecosystem: a lock file is fixed by its tool, not by hand.

use crate::config::SourceKind;
use crate::field::VersionField;
use crate::version::Version;

/// The command that regenerates a lock file of `kind` from its manifests, when `kind` is a lock
/// file relver reads: `cargo update -w` (`Cargo.lock`), `uv lock` (`uv.lock`),
/// `npm install --package-lock-only` (`package-lock.json`).
pub(crate) const fn lock_tool(kind: SourceKind) -> Option<&'static str> {
    match kind {
        SourceKind::CargoLock => Some("cargo update -w"),
        SourceKind::UvLock => Some("uv lock"),
        SourceKind::PackageLock => Some("npm install --package-lock-only"),
        _ => None,
    }
}

/// The manifest a lock file of `kind` follows, with its verb.
const fn lock_manifest(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::UvLock => "pyproject.toml says",
        SourceKind::PackageLock => "package.json says",
        _ => "the Cargo.toml manifests say",
    }
}

/// How to bring a member's field to `expected`: a lock file through its tool (after its
/// manifest), a Poetry project through `poetry version`, an npm package through
/// `npm version`, anything else by setting the key.
pub(crate) fn version_fix(kind: SourceKind, field: &VersionField, expected: &Version) -> String {
    if let Some(tool) = lock_tool(kind) {
        return format!(
            "run `{tool}` once {} {expected}: the lock file follows its manifest",
            lock_manifest(kind)
        );
    }
    let set = format!("set {} in {} to {expected}", field.key, field.path);
    match (kind, field.key.as_str()) {
        (SourceKind::Pyproject, "tool.poetry.version") => {
            format!("run `poetry version {expected}`, or {set}")
        }
        (SourceKind::PackageJson, "version") => {
            format!("run `npm version {expected} --no-git-tag-version`, or {set}")
        }
        _ => set,
    }
}

/// How to fix a lock file that has no entry (or no root package) at all.
pub(crate) fn regenerate(kind: SourceKind) -> Option<String> {
    lock_tool(kind).map(|tool| format!("run `{tool}` to regenerate the lock file"))
}
