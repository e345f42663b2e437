//! Where relgate puts the temporary folders it creates (registry downloads, consumer views)
//! when the run names no scratch folder: on disk, never in a RAM-backed `/tmp` by default.
//!
//! `RELKIT_SCRATCH` when set, else `$XDG_CACHE_HOME/relkit/scratch`, else
//! `$HOME/.cache/relkit/scratch`, else the system temporary folder. The folder is created
//! (mode 0700 on Unix) when missing.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variable that names the scratch folder.
pub(crate) const SCRATCH_VAR: &str = "RELKIT_SCRATCH";

/// The default scratch folder as the variables `var` returns (pass `std::env::var_os`); `None`
/// when none of them is set (the caller falls back to the system temporary folder).
pub(crate) fn default_root(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set(SCRATCH_VAR) {
        return Some(dir);
    }
    if let Some(cache) = set("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Some(cache.join("relkit").join("scratch"));
    }
    set("HOME")
        .filter(|p| p.is_absolute())
        .map(|home| home.join(".cache").join("relkit").join("scratch"))
}

/// Creates `dir` (and its parents) when missing; a folder created here is private (0700).
pub(crate) fn ensure(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// A private temporary folder named `prefix…` inside `explicit` when given, else inside the
/// default scratch folder (created when missing), else in the system temporary folder.
pub(crate) fn temp_dir_in(
    explicit: Option<&Path>,
    prefix: &str,
    var: impl Fn(&str) -> Option<OsString>,
) -> std::io::Result<tempfile::TempDir> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    match explicit {
        Some(dir) => b.tempdir_in(dir),
        None => match default_root(var) {
            Some(root) => {
                ensure(&root)?;
                b.tempdir_in(root)
            }
            None => b.tempdir(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_default_is_named_then_cache_then_home() {
        let all = vars(&[
            ("RELKIT_SCRATCH", "/s"),
            ("XDG_CACHE_HOME", "/c"),
            ("HOME", "/h"),
        ]);
        assert_eq!(default_root(all), Some(PathBuf::from("/s")));
        let cache = vars(&[("XDG_CACHE_HOME", "/c"), ("HOME", "/h")]);
        assert_eq!(
            default_root(cache),
            Some(PathBuf::from("/c/relkit/scratch"))
        );
        let home = vars(&[("XDG_CACHE_HOME", "relative"), ("HOME", "/h")]);
        assert_eq!(
            default_root(home),
            Some(PathBuf::from("/h/.cache/relkit/scratch"))
        );
        assert_eq!(default_root(vars(&[("RELKIT_SCRATCH", "")])), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_default_folder_is_created_private_and_used() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let home_path = home.path().as_os_str().to_owned();
        let var = move |name: &str| (name == "HOME").then(|| home_path.clone());
        let t = temp_dir_in(None, ".relgate-x-", var).unwrap();
        let root = home.path().join(".cache/relkit/scratch");
        assert!(t.path().starts_with(&root), "{}", t.path().display());
        let mode = std::fs::metadata(&root).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let explicit = tempfile::tempdir().unwrap();
        let t2 = temp_dir_in(Some(explicit.path()), "p-", |_| None).unwrap();
        assert!(t2.path().starts_with(explicit.path()));
    }
}
