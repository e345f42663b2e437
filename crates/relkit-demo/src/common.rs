//! What the demo release and its signing share: the fixed signing time, the errors, and
//! writing files and deterministic archives.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use artidigest::{RepackEntry, RepackError, RepackOptions, repack_entries};

/// The demo's fixed signing time (unix seconds, 2025-06-15).
pub const DEMO_SIGNED_AT: i64 = 1_750_000_000;

/// Why the demo release could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// A file could not be written.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An archive could not be built.
    #[error("cannot build {name}")]
    Repack {
        /// The artifact.
        name: String,
        /// The cause.
        #[source]
        source: RepackError,
    },
    /// A bundle, the provenance or the trust root could not be made.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Signing with attest's test stack failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign {what} with the test stack")]
pub struct SignError {
    /// What was being signed.
    pub what: String,
    /// The cause.
    #[source]
    pub source: attest::Error,
}

pub(crate) fn files(list: Vec<(String, Vec<u8>)>) -> Vec<RepackEntry> {
    list.into_iter()
        .map(|(p, b)| RepackEntry::file(p, b))
        .collect()
}

pub(crate) fn pack(
    name: &str,
    entries: Vec<RepackEntry>,
    opts: RepackOptions,
) -> Result<Vec<u8>, DemoError> {
    repack_entries(entries, &opts)
        .map(|r| r.bytes)
        .map_err(|source| DemoError::Repack {
            name: name.to_owned(),
            source,
        })
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    let io_err = |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err)?;
    }
    fs::write(path, bytes).map_err(io_err)
}
