//! Helpers: locating shared fixtures and copying them to temp dirs.

use std::path::{Path, PathBuf};

use relver::{CheckedField, Code, Config, DirTree, Report, SourceSpec, VersionField};

/// The shared folder, or `None` (after a loud SKIPPED line) when absent outside CI.
pub(crate) fn shared() -> Option<PathBuf> {
    relkit_testkit::shared_folder(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        "fixtures/relver/README.md",
        "relver's shared fixtures",
    )
}

/// The shared fixture project `name` (a folder of `fixtures/relver`), read in place.
pub(crate) fn fixture_tree(name: &str) -> Option<DirTree> {
    Some(DirTree::new(shared()?.join("fixtures/relver").join(name)))
}

/// A copy of the shared fixture project `name` in a temporary folder.
pub(crate) fn fixture_copy(name: &str) -> Option<tempfile::TempDir> {
    let shared = shared()?;
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&shared.join("fixtures/relver").join(name), dir.path());
    Some(dir)
}

/// The first field of `r` that `pred` picks (the test fails when none does).
pub(crate) fn field_where(r: &Report, pred: impl Fn(&VersionField) -> bool) -> &CheckedField {
    r.fields.iter().find(|f| pred(&f.field)).unwrap()
}

/// Writes one text file under `dir`, creating its folders.
pub(crate) fn write(dir: &Path, rel: &str, text: &str) {
    relkit_testkit::write_files(dir, &[(rel, text)]);
}

/// Copy a directory tree.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// Replace exactly one occurrence of `from` in a file.
pub(crate) fn replace_once(path: &Path, from: &str, to: &str) {
    let t = std::fs::read_to_string(path).unwrap();
    assert_eq!(t.matches(from).count(), 1, "{from:?} in {}", path.display());
    std::fs::write(path, t.replacen(from, to, 1)).unwrap();
}

/// (code, path, line, found, expected): one error of a report, as [`errors`] lists it.
pub(crate) type ErrorAt = (Code, String, Option<usize>, Option<String>, Option<String>);

/// The [`ErrorAt`] of an error with every place and value known.
pub(crate) fn error(code: Code, path: &str, line: usize, found: &str, expected: &str) -> ErrorAt {
    (
        code,
        path.to_owned(),
        Some(line),
        Some(found.to_owned()),
        Some(expected.to_owned()),
    )
}

/// The [`ErrorAt`] of a version that is not the expected one.
pub(crate) fn mismatch(path: &str, line: usize, found: &str, expected: &str) -> ErrorAt {
    error(Code::VersionMismatch, path, line, found, expected)
}

/// (code, path, line, found, expected) of every error of a report.
pub(crate) fn errors(r: &Report) -> Vec<ErrorAt> {
    r.errors()
        .map(|f| {
            (
                f.code,
                f.path().unwrap_or_default().to_owned(),
                f.line(),
                f.found.clone(),
                f.expected.clone(),
            )
        })
        .collect()
}

/// The declared source for `path` (the first, for a file with two keys).
pub(crate) fn source<'c>(config: &'c Config, path: &str) -> &'c SourceSpec {
    config
        .sources
        .iter()
        .find(|s| s.path == path)
        .unwrap_or_else(|| panic!("no source {path}"))
}
