//! Wheel `RECORD` files (the installed-files list of the binary distribution format): a CSV
//! parser that names the failing line, and verification of a wheel against its RECORD — every
//! file listed, sha256 and size match, nothing unlisted, RECORD's own row empty.

use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Seek};

use crate::archive::{
    ArchiveError, EntryKind, Format, HashedEntry, Limits, Listing, hashing_visitor, visit_zip,
};
use crate::digest::{Algorithm, Digest, ParseError};

/// RECORD files larger than this are refused before they are buffered.
pub const MAX_RECORD_SIZE: u64 = 16 << 20;

/// One RECORD row: `path,hash,size`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordRow {
    /// 1-based line where the row starts.
    pub line: usize,
    /// The path, relative to the wheel root.
    pub path: String,
    /// The digest, when the row has one.
    pub digest: Option<Digest>,
    /// The size, when the row has one.
    pub size: Option<u64>,
}

impl fmt::Display for RecordRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_csv_field(f, &self.path)?;
        f.write_str(",")?;
        if let Some(d) = &self.digest {
            f.write_str(&d.to_record())?;
        }
        f.write_str(",")?;
        if let Some(s) = self.size {
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

fn write_csv_field(f: &mut fmt::Formatter<'_>, field: &str) -> fmt::Result {
    if field.contains([',', '"', '\n', '\r']) {
        write!(f, "\"{}\"", field.replace('"', "\"\""))
    } else {
        f.write_str(field)
    }
}

/// What is wrong with a RECORD line.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordErrorKind {
    /// A quoted field is not closed, or a quote appears inside an unquoted field.
    #[error("bad CSV quoting")]
    Quoting,
    /// A row with other than three fields.
    #[error("{found} fields, expected 3 (path,hash,size)")]
    FieldCount {
        /// Fields found.
        found: usize,
    },
    /// An empty path.
    #[error("empty path")]
    EmptyPath,
    /// The hash field does not parse as `<algorithm>=<urlsafe base64>`.
    #[error("bad hash field {field:?}")]
    Digest {
        /// The field.
        field: String,
        /// Why.
        #[source]
        source: ParseError,
    },
    /// The size field is not a non-negative integer.
    #[error("bad size field {field:?}")]
    Size {
        /// The field.
        field: String,
    },
    /// A path listed twice.
    #[error("path {path:?} is already listed on line {first_line}")]
    Duplicate {
        /// The path.
        path: String,
        /// Where it was first listed.
        first_line: usize,
    },
}

/// A RECORD file could not be parsed: the kind and the 1-based line.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RECORD line {line}: {kind}")]
pub struct RecordError {
    /// The line where the failing row starts.
    pub line: usize,
    /// What is wrong.
    #[source]
    pub kind: RecordErrorKind,
}

/// Splits CSV text (RFC 4180 quoting, `\n` or `\r\n` line ends) into rows of fields, each with
/// its starting line.
fn csv_rows(text: &str) -> Result<Vec<(usize, Vec<String>)>, RecordError> {
    let mut rows = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    let mut quoted_field = false;
    let mut row_has_content = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if field.is_empty() && !quoted_field => {
                quoted_field = true;
                row_has_content = true;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(ch) => {
                            if ch == '\n' {
                                line += 1;
                            }
                            field.push(ch);
                        }
                        None => {
                            return Err(RecordError {
                                line: row_line,
                                kind: RecordErrorKind::Quoting,
                            });
                        }
                    }
                }
                if !matches!(chars.peek(), None | Some(',') | Some('\n') | Some('\r')) {
                    return Err(RecordError {
                        line: row_line,
                        kind: RecordErrorKind::Quoting,
                    });
                }
            }
            '"' => {
                return Err(RecordError {
                    line: row_line,
                    kind: RecordErrorKind::Quoting,
                });
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted_field = false;
                row_has_content = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if row_has_content || !field.is_empty() {
                    fields.push(std::mem::take(&mut field));
                    rows.push((row_line, std::mem::take(&mut fields)));
                }
                quoted_field = false;
                row_has_content = false;
                line += 1;
                row_line = line;
            }
            ch => {
                if quoted_field {
                    return Err(RecordError {
                        line: row_line,
                        kind: RecordErrorKind::Quoting,
                    });
                }
                row_has_content = true;
                field.push(ch);
            }
        }
    }
    if row_has_content || !field.is_empty() {
        fields.push(field);
        rows.push((row_line, fields));
    }
    Ok(rows)
}

/// Parses a RECORD file.
///
/// ```
/// let rows = artidigest::parse_record(
///     "pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\
///      pkg-1.0.dist-info/RECORD,,\n",
/// )?;
/// assert_eq!(rows.len(), 2);
/// assert_eq!(rows[0].size, Some(0));
/// assert!(rows[1].digest.is_none());
/// # Ok::<(), artidigest::RecordError>(())
/// ```
pub fn parse_record(text: &str) -> Result<Vec<RecordRow>, RecordError> {
    let mut out: Vec<RecordRow> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, fields) in csv_rows(text)? {
        let err = |kind| RecordError { line, kind };
        let [f_path, f_digest, f_size] = fields.as_slice() else {
            return Err(err(RecordErrorKind::FieldCount {
                found: fields.len(),
            }));
        };
        let path = f_path.clone();
        if path.is_empty() {
            return Err(err(RecordErrorKind::EmptyPath));
        }
        let digest = if f_digest.is_empty() {
            None
        } else {
            Some(Digest::from_record(f_digest).map_err(|source| {
                err(RecordErrorKind::Digest {
                    field: f_digest.clone(),
                    source,
                })
            })?)
        };
        let size = if f_size.is_empty() {
            None
        } else {
            Some(
                f_size
                    .parse::<u64>()
                    .ok()
                    .filter(|_| f_size.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        err(RecordErrorKind::Size {
                            field: f_size.clone(),
                        })
                    })?,
            )
        };
        if let Some(&first_line) = seen.get(&path) {
            return Err(err(RecordErrorKind::Duplicate { path, first_line }));
        }
        seen.insert(path.clone(), line);
        out.push(RecordRow {
            line,
            path,
            digest,
            size,
        });
    }
    Ok(out)
}

/// One way a wheel disagrees with its RECORD.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum RecordProblem {
    /// A file in the wheel that RECORD does not list.
    #[error("entry {index} {path:?} is not listed in RECORD")]
    Unlisted {
        /// Entry index in the archive.
        index: usize,
        /// Its path.
        path: String,
    },
    /// A RECORD row whose file is not in the wheel.
    #[error("RECORD line {line} lists {path:?}, which is not in the wheel")]
    Missing {
        /// RECORD line.
        line: usize,
        /// The path.
        path: String,
    },
    /// The file's digest differs from RECORD's.
    #[error("{path:?}: RECORD line {line} says {expected}, the file is {actual}")]
    DigestMismatch {
        /// RECORD line.
        line: usize,
        /// The path.
        path: String,
        /// RECORD's digest.
        expected: Digest,
        /// The file's digest.
        actual: Digest,
    },
    /// The file's size differs from RECORD's.
    #[error("{path:?}: RECORD line {line} says {expected} bytes, the file has {actual}")]
    SizeMismatch {
        /// RECORD line.
        line: usize,
        /// The path.
        path: String,
        /// RECORD's size.
        expected: u64,
        /// The file's size.
        actual: u64,
    },
    /// A row without a digest (only RECORD itself and its signatures may have none).
    #[error("RECORD line {line}: {path:?} has no digest")]
    NoDigest {
        /// RECORD line.
        line: usize,
        /// The path.
        path: String,
    },
    /// A row with a digest and no size, or a size and no digest.
    #[error("RECORD line {line}: {path:?} has a digest but no size")]
    NoSize {
        /// RECORD line.
        line: usize,
        /// The path.
        path: String,
    },
    /// RECORD's own row carries a digest or a size.
    #[error("RECORD line {line}: RECORD's own row must have an empty hash and size")]
    SelfRowNotEmpty {
        /// RECORD line.
        line: usize,
    },
    /// A digest algorithm other than sha256 (which is what is computed), or a weak one.
    #[error("RECORD line {line}: {path:?} uses {algorithm}, expected sha256")]
    UnsupportedAlgorithm {
        /// RECORD line.
        line: usize,
        /// The path.
        path: String,
        /// The algorithm used.
        #[serde(with = "algorithm_name")]
        algorithm: Algorithm,
    },
}

/// (De)serialises an [`Algorithm`] by its name.
mod algorithm_name {
    use crate::digest::Algorithm;

    pub(super) fn serialize<S: serde::Serializer>(a: &Algorithm, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(a.name())
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Algorithm, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The result of checking a wheel against its RECORD.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordCheck {
    /// Path of the RECORD file (`<name>-<version>.dist-info/RECORD`).
    pub record_path: String,
    /// Rows in RECORD.
    pub rows: usize,
    /// Files in the wheel that were compared.
    pub files: usize,
    /// Every disagreement found (empty when the wheel matches).
    pub problems: Vec<RecordProblem>,
}

impl RecordCheck {
    /// No problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn is_signature(path: &str, record_path: &str) -> bool {
    path.strip_prefix(record_path)
        .is_some_and(|rest| rest == ".jws" || rest == ".p7s")
}

/// Compares a wheel's entries (hashed with sha256) with the rows of its RECORD.
pub fn verify_record(listing: &Listing, record_path: &str, rows: &[RecordRow]) -> RecordCheck {
    let mut problems = Vec::new();
    let by_path: HashMap<&str, &RecordRow> = rows.iter().map(|r| (r.path.as_str(), r)).collect();
    let files_by_path: HashMap<&str, &HashedEntry> = listing
        .entries
        .iter()
        .filter(|e| e.entry.kind != EntryKind::Dir)
        .map(|e| (e.entry.path.as_str(), e))
        .collect();
    let mut files = 0;
    for e in &listing.entries {
        if e.entry.kind == EntryKind::Dir {
            continue;
        }
        files += 1;
        if !by_path.contains_key(e.entry.path.as_str()) {
            problems.push(RecordProblem::Unlisted {
                index: e.entry.index,
                path: e.entry.path.clone(),
            });
        }
    }
    for row in rows {
        let line = row.line;
        let path = row.path.clone();
        if row.path == record_path {
            if row.digest.is_some() || row.size.is_some() {
                problems.push(RecordProblem::SelfRowNotEmpty { line });
            }
            continue;
        }
        let Some(entry) = files_by_path.get(row.path.as_str()) else {
            problems.push(RecordProblem::Missing { line, path });
            continue;
        };
        let Some(expected) = row.digest else {
            if !is_signature(&row.path, record_path) {
                problems.push(RecordProblem::NoDigest { line, path });
            }
            continue;
        };
        if expected.algorithm() != Algorithm::Sha256 {
            problems.push(RecordProblem::UnsupportedAlgorithm {
                line,
                path,
                algorithm: expected.algorithm(),
            });
            continue;
        }
        match entry.digests.get(Algorithm::Sha256) {
            Some(actual) if *actual != expected => {
                problems.push(RecordProblem::DigestMismatch {
                    line,
                    path: path.clone(),
                    expected,
                    actual: *actual,
                });
            }
            Some(_) => {}
            None => problems.push(RecordProblem::UnsupportedAlgorithm {
                line,
                path: path.clone(),
                algorithm: expected.algorithm(),
            }),
        }
        match row.size {
            Some(size) if size != entry.digests.size() => {
                problems.push(RecordProblem::SizeMismatch {
                    line,
                    path,
                    expected: size,
                    actual: entry.digests.size(),
                })
            }
            Some(_) => {}
            None => problems.push(RecordProblem::NoSize { line, path }),
        }
    }
    RecordCheck {
        record_path: record_path.to_owned(),
        rows: rows.len(),
        files,
        problems,
    }
}

/// Why a wheel could not be checked against its RECORD.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum WheelError {
    /// The zip itself was refused.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// No top-level `*.dist-info/RECORD` (or more than one).
    #[error("wheel has {found} top-level *.dist-info/RECORD files, expected exactly one")]
    NoRecord {
        /// How many were found.
        found: usize,
    },
    /// RECORD is larger than [`MAX_RECORD_SIZE`].
    #[error("RECORD is {size} bytes, larger than the cap of {limit}")]
    RecordTooLarge {
        /// Its size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// RECORD is not UTF-8.
    #[error("RECORD is not UTF-8")]
    NotUtf8,
    /// RECORD does not parse.
    #[error(transparent)]
    Record(#[from] RecordError),
}

/// Everything a wheel check found: the listing (every entry with its sha256) and the RECORD
/// comparison.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WheelCheck {
    /// Every entry with its digests.
    pub listing: Listing,
    /// The RECORD comparison.
    pub record: RecordCheck,
}

fn is_record_path(path: &str) -> bool {
    path.strip_suffix("/RECORD")
        .is_some_and(|dir| dir.ends_with(".dist-info") && !dir.contains('/'))
}

/// Reads a wheel once — hashing every entry and keeping its RECORD — and verifies RECORD.
///
/// ```
/// use std::io::Write;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
/// let opts = zip::write::SimpleFileOptions::default();
/// w.start_file("pkg/__init__.py", opts)?;
/// w.start_file("pkg-1.0.dist-info/RECORD", opts)?;
/// w.write_all(b"pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\
///               pkg-1.0.dist-info/RECORD,,\n")?;
/// let wheel = w.finish()?.into_inner();
/// let check = artidigest::verify_wheel(std::io::Cursor::new(wheel), &artidigest::Limits::default())?;
/// assert!(check.record.is_ok(), "{:?}", check.record.problems);
/// # Ok(())
/// # }
/// ```
pub fn verify_wheel<R: Read + Seek + Send>(
    reader: R,
    limits: &Limits,
) -> Result<WheelCheck, WheelError> {
    let mut entries = Vec::new();
    let mut records: Vec<(String, Vec<u8>)> = Vec::new();
    let mut too_large = None;
    let algorithms = [Algorithm::Sha256];
    let summary = {
        let mut hash = hashing_visitor(&mut entries, &algorithms);
        visit_zip(reader, limits, |entry, content| {
            if entry.kind == EntryKind::File && is_record_path(&entry.path) {
                if entry.size > MAX_RECORD_SIZE {
                    too_large = Some(entry.size);
                    return hash(entry, content);
                }
                let mut body = Vec::with_capacity(entry.size as usize);
                content.take(MAX_RECORD_SIZE).read_to_end(&mut body)?;
                records.push((entry.path.clone(), body.clone()));
                let mut again: &[u8] = &body;
                return hash(entry, &mut again as &mut dyn Read);
            }
            hash(entry, content)
        })?
    };
    if let Some(size) = too_large {
        return Err(WheelError::RecordTooLarge {
            size,
            limit: MAX_RECORD_SIZE,
        });
    }
    if records.len() != 1 {
        return Err(WheelError::NoRecord {
            found: records.len(),
        });
    }
    let Some((record_path, body)) = records.pop() else {
        return Err(WheelError::NoRecord { found: 0 });
    };
    let text = String::from_utf8(body).map_err(|_| WheelError::NotUtf8)?;
    let rows = parse_record(&text)?;
    let listing = Listing {
        format: Format::Zip,
        summary,
        entries,
    };
    let record = verify_record(&listing, &record_path, &rows);
    Ok(WheelCheck { listing, record })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_and_line_numbers() {
        let text = "a.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\n\"b,c.py\",,\n\"multi\nline\",,\nd,,\n";
        let rows = parse_record(text).unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[1].path, "b,c.py");
        assert_eq!(rows[2].path, "multi\nline");
        assert_eq!(rows[3].line, 5);
        assert_eq!(rows[1].to_string(), "\"b,c.py\",,");
        let back: String = rows.iter().map(|r| format!("{r}\n")).collect();
        assert_eq!(parse_record(&back).unwrap(), rows);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let e = parse_record("a,,\nb,,,\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.kind, RecordErrorKind::FieldCount { found: 4 });
        let e = parse_record("a,sha256=!!,1\n").unwrap_err();
        assert!(matches!(e.kind, RecordErrorKind::Digest { .. }));
        let e = parse_record("a,,-1\n").unwrap_err();
        assert!(matches!(e.kind, RecordErrorKind::Size { .. }));
        let e = parse_record("\"open,,\n").unwrap_err();
        assert_eq!(e.kind, RecordErrorKind::Quoting);
        let e = parse_record("a,,\na,,\n").unwrap_err();
        assert_eq!(
            e.kind,
            RecordErrorKind::Duplicate {
                path: "a".into(),
                first_line: 1
            }
        );
    }
}
