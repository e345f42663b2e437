//! Reading text files under caps: size limit, binary and UTF-8 checks, positions.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The default file size cap: 10 MiB. Larger files are refused without being read.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// A file that could not be read as text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than the cap.
    #[error("{path} is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or at least this many bytes).
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// The file contains a NUL byte: binary, not text.
    #[error("{path} is binary (NUL byte at line {line}, column {column})")]
    Binary {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first NUL byte.
        line: usize,
        /// 1-based column (byte) of the first NUL byte.
        column: usize,
    },
    /// The file is not valid UTF-8.
    #[error("{path} is not UTF-8 (invalid byte at line {line}, column {column})")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (byte) of the first invalid byte.
        column: usize,
    },
    /// A git command failed while reading the file from a commit.
    #[error("cannot read {path} from git: {message}")]
    Git {
        /// The file.
        path: PathBuf,
        /// What git said.
        message: String,
    },
}

fn byte_position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

/// Turn bytes into text, refusing binary and non-UTF-8 content with a position.
pub(crate) fn bytes_to_text(path: &Path, bytes: Vec<u8>) -> Result<String, ReadError> {
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        let (line, column) = byte_position(&bytes, nul);
        return Err(ReadError::Binary {
            path: path.to_owned(),
            line,
            column,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let (line, column) = byte_position(e.as_bytes(), e.utf8_error().valid_up_to());
        ReadError::NotUtf8 {
            path: path.to_owned(),
            line,
            column,
        }
    })
}

/// Read a text file, refusing it before reading when it is larger than `limit` bytes (and never
/// reading more than `limit + 1` bytes even if it grows meanwhile).
///
/// Returns `Ok(None)` when the file does not exist.
pub fn read_text_file(path: &Path, limit: u64) -> Result<Option<String>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::other("is a directory")));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit,
        });
    }
    bytes_to_text(path, bytes).map(Some)
}

/// Line and column lookup for byte offsets in a text.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { starts }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub(crate) fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let end = offset.min(text.len());
        let col = text
            .get(start..end)
            .map_or(end - start, |s| s.chars().count())
            + 1;
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let t = "ab\ncdé\nx";
        let li = LineIndex::new(t);
        assert_eq!(li.position(t, 0), (1, 1));
        assert_eq!(li.position(t, 3), (2, 1));
        assert_eq!(li.position(t, 7), (2, 4));
        assert_eq!(li.position(t, 8), (3, 1));
    }

    #[test]
    fn binary_and_utf8_are_refused_with_position() {
        let p = Path::new("f");
        match bytes_to_text(p, b"a\nbc\0".to_vec()) {
            Err(ReadError::Binary {
                line: 2, column: 3, ..
            }) => {}
            other => panic!("{other:?}"),
        }
        match bytes_to_text(p, b"a\n\xffb".to_vec()) {
            Err(ReadError::NotUtf8 {
                line: 2, column: 1, ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn size_cap_refuses_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let f = std::fs::File::create(&path).unwrap();
        // A sparse 100 MB file: refused by metadata, never read.
        f.set_len(100 * 1024 * 1024).unwrap();
        let started = std::time::Instant::now();
        let err = read_text_file(&path, DEFAULT_MAX_FILE_SIZE).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::TooLarge {
                    size: 104_857_600,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(
            read_text_file(&dir.path().join("missing"), 10)
                .unwrap()
                .is_none()
        );
    }
}
