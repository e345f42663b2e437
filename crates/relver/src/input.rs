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
    /// The path is not a regular file (a FIFO, socket, device, directory or, read from git, a
    /// symbolic link): refused before it is opened, so a FIFO cannot block the reader.
    #[error("{path} is a {kind}, not a regular file")]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead (`FIFO`, `socket`, `character device`, ...).
        kind: &'static str,
    },
    /// The path leaves the tree it belongs to: absolute, with `..`, or through a symbolic link
    /// whose target is outside the tree's root.
    #[error("{path} leads outside the tree{}", target.as_ref().map(|t| format!(" (to {})", t.display())).unwrap_or_default())]
    OutsideTree {
        /// The file, as asked for.
        path: PathBuf,
        /// Where the links lead, when they were followed.
        target: Option<PathBuf>,
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
    let before = bytes.get(..offset).unwrap_or(bytes);
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

/// What a non-regular file type is, in words.
pub(crate) fn kind_of(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return "FIFO";
        }
        if ft.is_socket() {
            return "socket";
        }
        if ft.is_char_device() {
            return "character device";
        }
        if ft.is_block_device() {
            return "block device";
        }
    }
    if ft.is_dir() {
        "directory"
    } else if ft.is_symlink() {
        "symbolic link"
    } else if ft.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

/// Read a text file: regular files only, refused before opening when the file system says it
/// is anything else (a FIFO would block `open`, a device never ends) or larger than `limit`
/// bytes; then never more than `limit + 1` bytes are read, so a file that grows (or lied about
/// its size) is bounded by the bytes actually read.
///
/// Returns `Ok(None)` when the file does not exist.
///
/// ```
/// use relver::{read_text_file, ReadError};
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("VERSION"), "1.2.3\n")?;
/// assert_eq!(read_text_file(&dir.path().join("VERSION"), 64)?.as_deref(), Some("1.2.3\n"));
/// assert!(matches!(read_text_file(&dir.path().join("VERSION"), 3), Err(ReadError::TooLarge { .. })));
/// assert!(matches!(read_text_file(dir.path(), 64), Err(ReadError::NotRegular { kind: "directory", .. })));
/// assert_eq!(read_text_file(&dir.path().join("missing"), 64)?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_text_file(path: &Path, limit: u64) -> Result<Option<String>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let not_regular = |ft| ReadError::NotRegular {
        path: path.to_owned(),
        kind: kind_of(ft),
    };
    // Before opening: `open` on a FIFO blocks until a writer appears.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    if !meta.file_type().is_file() {
        return Err(not_regular(meta.file_type()));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit,
        });
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    // The file opened may not be the one looked at (replaced in between): look again.
    let opened = file.metadata().map_err(io)?;
    if !opened.file_type().is_file() {
        return Err(not_regular(opened.file_type()));
    }
    let capacity = opened.len().min(limit).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
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

/// The byte offset where each line of `text` starts (0 first).
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        text.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

/// Line and column lookup for byte offsets in a text.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            starts: line_starts(text),
        }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub(crate) fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        // `starts` begins with 0, so `line - 1` is always an index into it.
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
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
