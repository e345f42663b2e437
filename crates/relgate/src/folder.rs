//! The regular files of a release folder, and globs over them.

use std::io;
use std::path::Path;

/// Regular files under `root`, as `/`-separated relative paths, sorted: the one folder walk
/// (`artidigest::walk_folder`, within its default limits), keeping regular files. Links and
/// special files are never followed or listed here; the coverage ledger reports them.
pub(crate) fn list_files(root: &Path) -> io::Result<Vec<String>> {
    let entries = artidigest::walk_folder(root, &artidigest::WalkLimits::default())
        .map_err(io::Error::other)?;
    let mut out: Vec<String> = entries
        .into_iter()
        .filter(|e| e.kind == artidigest::NodeKind::File)
        .map(|e| e.path)
        .collect();
    out.sort();
    Ok(out)
}

/// Builds a glob matcher where `*` does not cross `/`.
pub(crate) fn glob_matcher(glob: &str) -> Result<globset::GlobMatcher, globset::Error> {
    Ok(globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()?
        .compile_matcher())
}
