//! Checksum files as `sha256sum`/`sha512sum` write them (GNU and BSD-tag forms), and verifying
//! a folder against one, with the same outcomes and modes as `sha256sum -c`.
//!
//! GNU form: `<hex><space><space|*><name>`, where `*` marks binary mode. A name holding a
//! backslash, newline or carriage return is written with `\\`, `\n`, `\r` escapes and the line
//! starts with a backslash. BSD tag form: `SHA256 (<name>) = <hex>`, escaped the same way.
//! Lines starting with `#` are comments. The algorithm of a GNU line follows from the length of
//! its hex digest (sha1, sha256 or sha512); a BSD line names it.

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::digest::{Algorithm, Digest};
use crate::folder::{FolderError, NodeKind, WalkLimits, open_in, walk_folder};
use crate::hasher::digest_reader;

/// How a GNU line marks its file (it changes nothing on POSIX systems, but is kept so a file
/// can be written back exactly).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Style {
    /// `hex  name` (two spaces).
    Text,
    /// `hex *name`.
    Binary,
    /// `ALG (name) = hex` (`--tag`).
    Bsd,
}

/// One line of a checksum file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// The file name, unescaped, as written (relative, `/`-separated).
    pub name: String,
    /// The expected digest.
    pub digest: Digest,
    /// How the line was (or will be) written.
    pub style: Style,
    /// 1-based line number in the file it was read from (0 for entries built in code).
    pub line: usize,
}

/// A parsed checksum file.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChecksumFile {
    /// Entries in file order.
    pub entries: Vec<Entry>,
    /// Lines that were not in any known form (only kept when parsing leniently).
    pub malformed: Vec<usize>,
}

/// Why a checksum-file line was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The line is in neither the GNU nor the BSD form.
    Malformed,
    /// The digest is not hex of a supported length.
    BadDigest,
    /// The BSD tag names an algorithm relkit does not know.
    UnknownAlgorithm,
    /// An escape other than `\\`, `\n`, `\r`.
    BadEscape,
    /// The name is absolute, contains `..`, is empty or contains NUL: it could reach outside
    /// the folder being verified.
    UnsafeName,
    /// The same name is listed twice with different digests.
    ConflictingDuplicate,
    /// The file has more lines than allowed.
    TooManyLines,
    /// A line longer than allowed.
    LineTooLong,
    /// The file is not UTF-8.
    NotUtf8,
}

/// A checksum file that could not be read: what, and on which line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {kind}")]
pub struct ParseError {
    kind: ParseErrorKind,
    line: usize,
    source_name: String,
}

impl ParseError {
    fn new(kind: ParseErrorKind, line: usize) -> Self {
        ParseError {
            kind,
            line,
            source_name: String::from("<checksums>"),
        }
    }

    /// What was wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// 1-based line number.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The name of the checksum file (as given to [`ChecksumFile::parse_named`]).
    pub fn file(&self) -> &str {
        &self.source_name
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseErrorKind::Malformed => "not a checksum line in GNU or BSD form",
            ParseErrorKind::BadDigest => "digest is not hex of a sha1, sha256 or sha512 length",
            ParseErrorKind::UnknownAlgorithm => "unknown algorithm in BSD tag",
            ParseErrorKind::BadEscape => "invalid backslash escape in file name",
            ParseErrorKind::UnsafeName => "file name is absolute, empty, or contains '..' or NUL",
            ParseErrorKind::ConflictingDuplicate => "file listed twice with different digests",
            ParseErrorKind::TooManyLines => "too many lines",
            ParseErrorKind::LineTooLong => "line too long",
            ParseErrorKind::NotUtf8 => "not UTF-8",
        })
    }
}

/// Bounds on what [`ChecksumFile::parse`] accepts.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Refuse malformed lines (`sha256sum --strict`) instead of collecting them.
    pub strict: bool,
    /// Most lines accepted.
    pub max_lines: usize,
    /// Longest line accepted, in bytes.
    pub max_line_len: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            strict: true,
            max_lines: 1_000_000,
            max_line_len: 8 * 1024,
        }
    }
}

impl ParseOptions {
    /// Lenient parsing: malformed lines are collected in [`ChecksumFile::malformed`].
    pub fn lenient() -> Self {
        ParseOptions {
            strict: false,
            ..ParseOptions::default()
        }
    }
}

impl ChecksumFile {
    /// Parses a checksum file strictly (every non-comment line must be a checksum line).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Self::parse_with(text, ParseOptions::default())
    }

    /// Parses raw bytes, naming the file in errors.
    pub fn parse_named(
        bytes: &[u8],
        name: &str,
        options: ParseOptions,
    ) -> Result<Self, ParseError> {
        let named = |mut e: ParseError| {
            e.source_name = name.to_owned();
            e
        };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes
                .get(..e.valid_up_to())
                .unwrap_or_default()
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            named(ParseError::new(ParseErrorKind::NotUtf8, line))
        })?;
        Self::parse_with(text, options).map_err(named)
    }

    /// Parses with explicit options.
    pub fn parse_with(text: &str, options: ParseOptions) -> Result<Self, ParseError> {
        let mut out = ChecksumFile::default();
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            let line_no = i + 1;
            if line_no > options.max_lines {
                return Err(ParseError::new(ParseErrorKind::TooManyLines, line_no));
            }
            if raw.len() > options.max_line_len {
                return Err(ParseError::new(ParseErrorKind::LineTooLong, line_no));
            }
            let line = raw.strip_suffix('\n').unwrap_or(raw);
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with('#') {
                continue;
            }
            match parse_line(line) {
                Ok((name, digest, style)) => {
                    check_name(&name).map_err(|k| ParseError::new(k, line_no))?;
                    if let Some(prev_entry) = seen.get(&name).and_then(|&i| out.entries.get(i))
                        && prev_entry.digest.algorithm() == digest.algorithm()
                        && prev_entry.digest != digest
                    {
                        return Err(ParseError::new(
                            ParseErrorKind::ConflictingDuplicate,
                            line_no,
                        ));
                    }
                    seen.insert(name.clone(), out.entries.len());
                    out.entries.push(Entry {
                        name,
                        digest,
                        style,
                        line: line_no,
                    });
                }
                Err(kind) => {
                    // Unsafe names and bad escapes are refused even when lenient: they are
                    // attacks or corruption, not formatting noise.
                    if options.strict
                        || matches!(kind, ParseErrorKind::UnsafeName | ParseErrorKind::BadEscape)
                    {
                        return Err(ParseError::new(kind, line_no));
                    }
                    out.malformed.push(line_no);
                }
            }
        }
        Ok(out)
    }

    /// Builds a file from `(name, digest)` pairs in the given style.
    pub fn from_entries<I: IntoIterator<Item = (String, Digest)>>(items: I, style: Style) -> Self {
        ChecksumFile {
            entries: items
                .into_iter()
                .map(|(name, digest)| Entry {
                    name,
                    digest,
                    style,
                    line: 0,
                })
                .collect(),
            malformed: Vec::new(),
        }
    }

    /// Hashes every regular file below `folder` (sorted by name; links and special files left
    /// out, the checksum file itself excluded when `exclude` names it) and returns a checksum
    /// file for them.
    pub fn for_folder(
        folder: &Path,
        algorithm: Algorithm,
        style: Style,
        exclude: Option<&str>,
    ) -> Result<Self, VerifyError> {
        let nodes = walk_folder(folder, &WalkLimits::default()).map_err(|e| VerifyError::Io {
            path: folder.to_path_buf(),
            source: io::Error::other(e),
        })?;
        let mut items = Vec::with_capacity(nodes.len());
        for node in nodes {
            let name = node.path;
            if node.kind != NodeKind::File || Some(name.as_str()) == exclude {
                continue;
            }
            let path = folder.join(&name);
            let file = open_in(folder, &name, u64::MAX).map_err(|e| VerifyError::Io {
                path: path.clone(),
                source: io::Error::other(e),
            })?;
            let set = digest_reader(file, &[algorithm])
                .map_err(|e| VerifyError::Io { path, source: e })?;
            if let Some(d) = set.get(algorithm) {
                items.push((name, *d));
            }
        }
        Ok(ChecksumFile::from_entries(items, style))
    }
}

impl fmt::Display for ChecksumFile {
    /// Writes every entry in its style, exactly as coreutils would.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.entries {
            let (escaped, needs) = escape_name(&e.name);
            let lead = if needs { "\\" } else { "" };
            match e.style {
                Style::Bsd => writeln!(
                    f,
                    "{lead}{} ({escaped}) = {}",
                    e.digest.algorithm().bsd_name(),
                    e.digest.to_hex()
                )?,
                Style::Text => writeln!(f, "{lead}{}  {escaped}", e.digest.to_hex())?,
                Style::Binary => writeln!(f, "{lead}{} *{escaped}", e.digest.to_hex())?,
            }
        }
        Ok(())
    }
}

fn escape_name(name: &str) -> (String, bool) {
    if !name.contains(['\\', '\n', '\r']) {
        return (name.to_owned(), false);
    }
    let mut s = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c => s.push(c),
        }
    }
    (s, true)
}

fn unescape_name(name: &str) -> Result<String, ParseErrorKind> {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            _ => return Err(ParseErrorKind::BadEscape),
        }
    }
    Ok(out)
}

fn algorithm_for_hex_len(len: usize) -> Option<Algorithm> {
    match len {
        40 => Some(Algorithm::Sha1),
        64 => Some(Algorithm::Sha256),
        128 => Some(Algorithm::Sha512),
        _ => None,
    }
}

fn parse_line(line: &str) -> Result<(String, Digest, Style), ParseErrorKind> {
    let (escaped, body) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let name_of = |raw: &str| -> Result<String, ParseErrorKind> {
        if escaped {
            unescape_name(raw)
        } else {
            Ok(raw.to_owned())
        }
    };
    // BSD tag form: ALG (name) = hex
    if let Some((alg_text, rest)) = body.split_once(" (")
        && !alg_text.is_empty()
        && alg_text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        let (name, hex) = rest.rsplit_once(") = ").ok_or(ParseErrorKind::Malformed)?;
        let algorithm: Algorithm = alg_text
            .parse()
            .map_err(|_| ParseErrorKind::UnknownAlgorithm)?;
        let digest = Digest::from_hex(algorithm, hex).map_err(|_| ParseErrorKind::BadDigest)?;
        return Ok((name_of(name)?, digest, Style::Bsd));
    }
    // GNU form: hex, a space, then ' ' or '*', then the name.
    let (hex, rest) = body.split_once(' ').ok_or(ParseErrorKind::Malformed)?;
    let algorithm = algorithm_for_hex_len(hex.len()).ok_or(ParseErrorKind::BadDigest)?;
    let digest = Digest::from_hex(algorithm, hex).map_err(|_| ParseErrorKind::BadDigest)?;
    let (style, name) = if let Some(name) = rest.strip_prefix(' ') {
        (Style::Text, name)
    } else if let Some(name) = rest.strip_prefix('*') {
        (Style::Binary, name)
    } else {
        return Err(ParseErrorKind::Malformed);
    };
    if name.is_empty() {
        return Err(ParseErrorKind::UnsafeName);
    }
    Ok((name_of(name)?, digest, style))
}

fn check_name(name: &str) -> Result<(), ParseErrorKind> {
    if name.is_empty() || name.contains('\0') || name.starts_with('/') {
        return Err(ParseErrorKind::UnsafeName);
    }
    for comp in Path::new(name).components() {
        match comp {
            Component::Normal(_) | Component::CurDir => {}
            _ => return Err(ParseErrorKind::UnsafeName),
        }
    }
    Ok(())
}

/// What happened to one listed file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    /// The file's digest equals the listed one.
    Matched,
    /// The file's digest differs.
    Mismatched {
        /// What the checksum file says.
        expected: Digest,
        /// What the bytes hash to.
        actual: Digest,
    },
    /// The file is not in the folder.
    Missing,
    /// The path exists but is not a regular file inside the folder (a directory, a device, or
    /// a symlink leading out of the folder).
    NotAFile,
    /// The file could not be read.
    Unreadable {
        /// The I/O error, as text.
        error: String,
    },
}

/// The outcome for one checksum-file entry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EntryOutcome {
    /// The listed name.
    pub name: String,
    /// Its line in the checksum file.
    pub line: usize,
    /// What happened.
    #[serde(flatten)]
    pub status: Status,
}

/// How to verify, mirroring `sha256sum -c` flags.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// `--ignore-missing`: a missing file is not a failure (but a run that verified nothing
    /// fails, as coreutils does).
    pub ignore_missing: bool,
    /// Report files present in the folder but not listed (the checksum file itself excluded)
    /// as failures. Off: they are still listed in [`Verification::unlisted`].
    pub fail_on_unlisted: bool,
    /// Threads to hash with; 0 means one per available core.
    pub threads: usize,
}

impl VerifyOptions {
    relkit_finding::setters! {
        /// Sets `--ignore-missing`.
        ignore_missing(ignore_missing: bool) => ignore_missing = ignore_missing;
        /// Fails the run when the folder holds files the checksum file does not list.
        fail_on_unlisted(fail_on_unlisted: bool) => fail_on_unlisted = fail_on_unlisted;
        /// Threads to hash with (0: one per core).
        threads(threads: usize) => threads = threads;
    }
}

/// The result of verifying a folder against a checksum file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verification {
    /// One outcome per entry, in checksum-file order.
    pub entries: Vec<EntryOutcome>,
    /// Regular files in the folder that no entry names.
    pub unlisted: Vec<String>,
    /// Malformed lines (lenient parsing only).
    pub malformed: Vec<usize>,
    /// Whether the folder passes under the options used.
    pub ok: bool,
}

impl Verification {
    /// Entries that matched.
    pub fn matched(&self) -> impl Iterator<Item = &EntryOutcome> {
        self.entries
            .iter()
            .filter(|e| matches!(e.status, Status::Matched))
    }

    /// Entries that did not match, were missing or could not be read.
    pub fn failures(&self) -> impl Iterator<Item = &EntryOutcome> {
        self.entries
            .iter()
            .filter(|e| !matches!(e.status, Status::Matched))
    }
}

impl fmt::Display for Verification {
    /// `sha256sum -c`-like lines, then a summary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.entries {
            match &e.status {
                Status::Matched => writeln!(f, "{}: OK", e.name)?,
                Status::Mismatched { expected, actual } => writeln!(
                    f,
                    "{}: FAILED ({} was {}, but the checksum file says {})",
                    e.name,
                    expected.algorithm(),
                    actual.to_hex(),
                    expected.to_hex()
                )?,
                Status::Missing => writeln!(f, "{}: FAILED open or read (missing)", e.name)?,
                Status::NotAFile => writeln!(f, "{}: FAILED (not a regular file)", e.name)?,
                Status::Unreadable { error } => writeln!(f, "{}: FAILED read ({error})", e.name)?,
            }
        }
        for u in &self.unlisted {
            writeln!(f, "{u}: UNLISTED")?;
        }
        for l in &self.malformed {
            writeln!(f, "line {l}: improperly formatted checksum line")?;
        }
        write!(
            f,
            "{} of {} listed files matched",
            self.matched().count(),
            self.entries.len()
        )
    }
}

/// Why a folder could not be verified at all.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The folder (or a file needed to list it) could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The checksum file itself is invalid.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// Verifies `folder` against `sums`.
///
/// Each listed name is resolved inside `folder`; a name that resolves outside it (through a
/// symlink) is reported [`Status::NotAFile`], never read; so is any symlink or special file. Files are hashed in parallel.
pub fn verify_folder(
    folder: &Path,
    sums: &ChecksumFile,
    checksum_file_name: Option<&str>,
    options: VerifyOptions,
) -> Result<Verification, VerifyError> {
    let root = folder.canonicalize().map_err(|e| VerifyError::Io {
        path: folder.to_path_buf(),
        source: e,
    })?;
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(sums.entries.len().max(1));

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Status>>> = Mutex::new(vec![None; sums.entries.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(entry) = sums.entries.get(i) else {
                        break;
                    };
                    let status = check_one(&root, entry);
                    if let Ok(mut r) = results.lock()
                        && let Some(slot) = r.get_mut(i)
                    {
                        *slot = Some(status);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());

    let entries: Vec<EntryOutcome> = sums
        .entries
        .iter()
        .zip(results)
        .map(|(e, s)| EntryOutcome {
            name: e.name.clone(),
            line: e.line,
            // A worker that died leaves None: fail closed.
            status: s.unwrap_or(Status::Unreadable {
                error: String::from("not checked"),
            }),
        })
        .collect();

    let listed: BTreeSet<&str> = sums.entries.iter().map(|e| e.name.as_str()).collect();
    // Every node counts, links and special files included: an unlisted FIFO or a link out of
    // the folder is as unlisted as a file.
    let unlisted: Vec<String> = walk_folder(&root, &WalkLimits::default())
        .map_err(|e| VerifyError::Io {
            path: root.clone(),
            source: io::Error::other(e),
        })?
        .into_iter()
        .map(|n| n.path)
        .filter(|n| !listed.contains(n.as_str()) && Some(n.as_str()) != checksum_file_name)
        .collect();

    let mut ok = sums.malformed.is_empty();
    let mut verified = 0usize;
    for e in &entries {
        match e.status {
            Status::Matched => verified += 1,
            Status::Missing if options.ignore_missing => {}
            _ => ok = false,
        }
    }
    if verified == 0 {
        ok = false;
    }
    if options.fail_on_unlisted && !unlisted.is_empty() {
        ok = false;
    }
    Ok(Verification {
        entries,
        unlisted,
        malformed: sums.malformed.clone(),
        ok,
    })
}

fn check_one(root: &Path, entry: &Entry) -> Status {
    // coreutils lists `./name` for `sha256sum ./*`: the same file as `name`.
    let mut name = entry.name.as_str();
    while let Some(rest) = name.strip_prefix("./") {
        name = rest;
    }
    // The one folder reader: resolved component by component inside the folder, no link
    // followed (not even one that stays inside), regular files only, checked before opening.
    let file = match crate::folder::open_in(root, name, u64::MAX) {
        Ok(f) => f,
        Err(FolderError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Status::Missing;
        }
        Err(FolderError::Symlink { .. } | FolderError::NotRegular { .. }) => {
            return Status::NotAFile;
        }
        Err(e) => {
            return Status::Unreadable {
                error: e.to_string(),
            };
        }
    };
    let algorithm = entry.digest.algorithm();
    match digest_reader(file, &[algorithm]) {
        Ok(set) => match set.get(algorithm) {
            Some(actual) if *actual == entry.digest => Status::Matched,
            Some(actual) => Status::Mismatched {
                expected: entry.digest,
                actual: *actual,
            },
            None => Status::Unreadable {
                error: String::from("digest not computed"),
            },
        },
        Err(e) => Status::Unreadable {
            error: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn reads_text_binary_bsd_and_escaped_lines() {
        let text = format!(
            "# comment\n{H1}  a.txt\n{H1} *b.bin\nSHA256 (c d.txt) = {H1}\n\\{H1}  new\\nline\\\\x\r\n"
        );
        let f = ChecksumFile::parse(&text).unwrap();
        let names: Vec<_> = f.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "b.bin", "c d.txt", "new\nline\\x"]);
        let styles: Vec<_> = f.entries.iter().map(|e| e.style).collect();
        assert_eq!(
            styles,
            [Style::Text, Style::Binary, Style::Bsd, Style::Text]
        );
        assert_eq!(f.entries[3].line, 5);
    }

    #[test]
    fn writes_back_exactly_what_it_read() {
        let text = format!(
            "{H1}  a.txt\n{H1} *b.bin\nSHA256 (c d.txt) = {H1}\n\\{H1}  new\\nline\\\\x\n\\SHA256 (t\\\\b) = {H1}\n"
        );
        let f = ChecksumFile::parse(&text).unwrap();
        assert_eq!(f.to_string(), text);
    }

    #[test]
    fn refuses_unsafe_names_even_when_lenient() {
        for bad in ["/etc/passwd", "../x", "a/../../x", "a/.."] {
            let line = format!("{H1}  {bad}\n");
            let e = ChecksumFile::parse_with(&line, ParseOptions::lenient()).unwrap_err();
            assert_eq!(e.kind(), &ParseErrorKind::UnsafeName, "{bad}");
            assert_eq!(e.line(), 1);
        }
    }

    #[test]
    fn strict_refuses_and_lenient_collects_malformed() {
        let text = format!("{H1}  a\ngarbage\n");
        let e = ChecksumFile::parse(&text).unwrap_err();
        assert_eq!((e.kind(), e.line()), (&ParseErrorKind::Malformed, 2));
        let f = ChecksumFile::parse_with(&text, ParseOptions::lenient()).unwrap();
        assert_eq!(f.malformed, [2]);
        let e = ChecksumFile::parse(&format!("{}  a\n", &H1[..60])).unwrap_err();
        assert_eq!(e.kind(), &ParseErrorKind::BadDigest);
        let e = ChecksumFile::parse(&format!("SHA3 (a) = {H1}\n")).unwrap_err();
        assert_eq!(e.kind(), &ParseErrorKind::UnknownAlgorithm);
    }

    #[test]
    fn conflicting_duplicate_is_refused() {
        let other = "0".repeat(64);
        let e = ChecksumFile::parse(&format!("{H1}  a\n{other}  a\n")).unwrap_err();
        assert_eq!(
            (e.kind(), e.line()),
            (&ParseErrorKind::ConflictingDuplicate, 2)
        );
    }
}
