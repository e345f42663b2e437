//! Bounded listing of a release folder.

use std::io;
use std::path::Path;

/// Most files listed in a release folder.
pub(crate) const MAX_FILES: usize = 100_000;
/// Deepest folder nesting followed.
pub(crate) const MAX_DEPTH: usize = 16;

/// Regular files under `root`, as `/`-separated relative paths, sorted. Symlinks are not
/// followed (a link is listed only if it is a link to a regular file inside nothing: it is
/// skipped). Errors past the limits rather than reading without bound.
pub(crate) fn list_files(root: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let ty = entry.file_type()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if ty.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    return Err(io::Error::other(format!(
                        "{rel}: nested deeper than {MAX_DEPTH} folders"
                    )));
                }
                stack.push((entry.path(), rel, depth + 1));
            } else if ty.is_file() {
                if out.len() >= MAX_FILES {
                    return Err(io::Error::other(format!(
                        "more than {MAX_FILES} files in the release folder"
                    )));
                }
                out.push(rel);
            }
        }
    }
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
