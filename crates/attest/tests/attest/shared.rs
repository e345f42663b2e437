//! Locating the shared vectors folder.

use std::path::PathBuf;

/// The shared folder, or `None` (after printing a loud SKIPPED line) when absent outside CI.
pub(crate) fn shared_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("RELKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(
                std::env::var("CARGO_MANIFEST_DIR")
                    .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
            )
            .join("../../../shared")
        });
    if dir.join("vectors").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{what}: shared vectors not found at {} (CI=true)",
            dir.display()
        );
    }
    println!(
        "SKIPPED: {what}: shared vectors not found at {}",
        dir.display()
    );
    None
}
