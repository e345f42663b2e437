//! Locating the shared vectors folder; the release identity the tests sign as.

use std::path::{Path, PathBuf};

use attest::TestIdentity;

/// When the tests' test-stack signatures are made (Unix seconds).
pub(crate) const SIGNED_AT: i64 = 1_750_000_000;

/// `owner/repo`'s `release.yml` at `refs/tags/v1.2.3`, run by `trigger`, at [`SIGNED_AT`].
pub(crate) fn release_id(trigger: &str) -> TestIdentity {
    TestIdentity::github(
        "owner/repo",
        "release.yml",
        "refs/tags/v1.2.3",
        trigger,
        SIGNED_AT,
    )
}

/// The shared folder, or `None` (after printing a loud SKIPPED line) when absent outside CI.
pub(crate) fn shared_dir(what: &str) -> Option<PathBuf> {
    relkit_testkit::shared_folder(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        "vectors/sigstore/manifest.json",
        what,
    )
}
