//! Readback: download what a registry serves, hash it on the way with every algorithm the
//! registry claims, and keep it only when every digest matches. Compare with local artifacts.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use artidigest::{Algorithm, Digest, DigestMismatch, DigestSet, MultiHasher, digest_reader};

use crate::http::{HttpClient, HttpError, Request};
use crate::model::PublishedFile;
use crate::secret::Credential;

/// Why a readback failed. Nothing is left in the target folder when it does.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ReadbackError {
    /// The file name is not a plain name: empty, longer than 255 bytes, starting with `.`
    /// (`..` included), or holding a path separator, `:` or a control character (a newline or
    /// an escape would forge terminal output).
    #[error("refusing file name {name:?}: not a plain file name")]
    UnsafeName {
        /// The name (printed escaped, as above).
        name: String,
    },
    /// One listing names the same file twice: both would be written to one path.
    #[error("refusing file name {name:?}: listed {count} times")]
    DuplicateName {
        /// The name.
        name: String,
        /// How often it is listed.
        count: usize,
    },
    /// The registry claims a size larger than the client's download cap.
    #[error("{name}: the registry claims {claimed} bytes, more than the {cap}-byte download cap")]
    TooLarge {
        /// The file.
        name: String,
        /// The claimed size.
        claimed: u64,
        /// The cap ([`crate::HttpClientBuilder::max_download_bytes`]).
        cap: u64,
    },
    /// The registry claims no collision-resistant digest, so nothing could be verified.
    #[error("{name}: the registry claims no sha256-or-stronger digest; refusing to trust it")]
    NoStrongDigest {
        /// The file.
        name: String,
    },
    /// The URL is invalid.
    #[error("{name}: invalid URL")]
    Url {
        /// The file.
        name: String,
        /// The cause.
        #[source]
        source: HttpError,
    },
    /// The download failed.
    #[error("{name}: download failed")]
    Http {
        /// The file.
        name: String,
        /// The cause (URL, status, attempts).
        #[source]
        source: HttpError,
    },
    /// The served size differs from the claimed one.
    #[error("{name} ({url}): served {actual} bytes, the registry claims {expected}")]
    SizeMismatch {
        /// The file.
        name: String,
        /// The URL.
        url: String,
        /// Claimed size.
        expected: u64,
        /// Served size.
        actual: u64,
    },
    /// A served digest differs from the claimed one.
    #[error("{url}: served bytes do not match the registry's claim")]
    DigestMismatch {
        /// The URL.
        url: String,
        /// Which digest, expected and actual.
        #[source]
        source: Box<DigestMismatch>,
    },
    /// Writing the file failed.
    #[error("{}: cannot write", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// Progress of downloads, for progress bars. Called from the downloading threads.
pub trait Progress: Sync {
    /// A download starts; `size` when known.
    fn start(&self, name: &str, size: Option<u64>);
    /// `bytes` more bytes arrived.
    fn advance(&self, name: &str, bytes: u64);
    /// The download ended (verified or not).
    fn finish(&self, name: &str);
}

/// Options for [`fetch_verified`].
#[non_exhaustive]
#[derive(Default, Clone, Copy)]
pub struct FetchOptions<'a> {
    /// Sent with the download (and never across a redirect to another host).
    pub credential: Option<&'a Credential>,
    /// When set, `credential` is sent only if the file's URL has this URL's origin
    /// (scheme, host, port): a registry's token must not reach a CDN listed in its metadata.
    pub credential_origin: Option<&'a str>,
    /// Progress reporting.
    pub progress: Option<&'a dyn Progress>,
}

impl<'a> FetchOptions<'a> {
    relkit_finding::setters! {
        /// Sends `credential` with the download (see [`credential`](Self::credential)).
        #[must_use]
        with_credential(credential: Option<&'a Credential>) => credential = credential;
        /// Sends the credential only to `origin`'s scheme, host and port.
        #[must_use]
        with_credential_origin(origin: Option<&'a str>) => credential_origin = origin;
        /// Reports progress to `progress`.
        #[must_use]
        with_progress(progress: &'a dyn Progress) => progress = Some(progress);
    }
}

impl std::fmt::Debug for FetchOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchOptions")
            .field("credential", &self.credential)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A file downloaded and verified.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FetchedFile {
    /// The file's name.
    pub name: String,
    /// Where it now is.
    pub path: PathBuf,
    /// The digests computed while downloading (sha256 and every claimed algorithm).
    pub computed: DigestSet,
}

/// Checks that `name` is a plain file name that stays inside its folder.
pub(crate) fn check_plain_name(name: &str) -> Result<(), ReadbackError> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', ':'])
        || name.contains(char::is_control)
        || name.len() > 255;
    if bad {
        Err(ReadbackError::UnsafeName {
            name: name.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// Algorithms to compute for `file`: every claimed one, plus sha256 for reports.
fn algorithms_for(digests: &[Digest]) -> Vec<Algorithm> {
    let mut algs: Vec<Algorithm> = digests.iter().map(Digest::algorithm).collect();
    algs.push(Algorithm::Sha256);
    algs.sort();
    algs.dedup();
    algs
}

/// Downloads `file` into `dir`: streamed through one multi-algorithm hasher into a temporary
/// file in `dir`, renamed to its name only after its size and every claimed digest match.
///
/// On any failure the temporary file is removed and the error says which check failed.
pub fn fetch_verified(
    http: &HttpClient,
    file: &PublishedFile,
    dir: &Path,
    options: FetchOptions<'_>,
) -> Result<FetchedFile, ReadbackError> {
    check_plain_name(&file.name)?;
    if !file.has_strong_digest() {
        return Err(ReadbackError::NoStrongDigest {
            name: file.name.clone(),
        });
    }
    let url = crate::http::parse_base(&file.url).map_err(|source| ReadbackError::Url {
        name: file.name.clone(),
        source,
    })?;
    let credential = options.credential.filter(|_| {
        options
            .credential_origin
            .is_none_or(|o| url::Url::parse(o).is_ok_and(|o| o.origin() == url.origin()))
    });
    // The body may be as long as the claimed size and never longer than the cap.
    let cap = http.download_cap();
    if let Some(claimed) = file.size
        && claimed > cap
    {
        return Err(ReadbackError::TooLarge {
            name: file.name.clone(),
            claimed,
            cap,
        });
    }
    let algs = algorithms_for(&file.digests);
    let deadline = http.deadline_from_now();
    let req = Request {
        credential,
        accept: file.media_type.as_deref(),
        limit: Some(file.size.map_or(cap, |claimed| claimed.min(cap))),
        deadline: Some(deadline),
        timeout: Some(deadline.saturating_duration_since(std::time::Instant::now())),
        ..Request::default()
    };
    let io_err = |path: &Path, source| ReadbackError::Io {
        path: path.to_owned(),
        source,
    };
    // A body that breaks mid-stream (reset, truncation) is fetched again from the start into
    // a fresh temporary file, within the retry policy and the deadline.
    let policy = http.retry_policy();
    let mut attempt = 0u32;
    let (mut tmp, hasher, shown) = loop {
        attempt += 1;
        let pause = policy.backoff(attempt);
        match download_once(http, file, &url, &req, dir, &algs, options) {
            Ok(done) => break done,
            Err(ReadbackError::Http {
                source: HttpError::Truncated { .. } | HttpError::Body { .. },
                ..
            }) if attempt < policy.max_attempts
                && crate::http::later(std::time::Instant::now(), pause) < deadline =>
            {
                std::thread::sleep(pause);
            }
            Err(e) => return Err(e),
        }
    };
    let computed = hasher.finish();
    if let Some(expected) = file.size
        && computed.size() != expected
    {
        return Err(ReadbackError::SizeMismatch {
            name: file.name.clone(),
            url: shown,
            expected,
            actual: computed.size(),
        });
    }
    for claimed in &file.digests {
        computed.verify(claimed, &file.name).map_err(|e| match e {
            artidigest::VerifyError::Mismatch(m) => ReadbackError::DigestMismatch {
                url: shown.clone(),
                source: Box::new(m),
            },
            // Every claimed algorithm was computed above; treat the impossible as a
            // mismatch against an empty value rather than a pass.
            _ => ReadbackError::NoStrongDigest {
                name: file.name.clone(),
            },
        })?;
    }
    tmp.as_file_mut()
        .sync_all()
        .map_err(|e| io_err(tmp.path(), e))?;
    let target = dir.join(&file.name);
    tmp.persist(&target).map_err(|e| io_err(&target, e.error))?;
    sync_dir(dir).map_err(|e| io_err(dir, e))?;
    Ok(FetchedFile {
        name: file.name.clone(),
        path: target,
        computed,
    })
}

/// Makes a rename in `dir` durable: without it a crash can lose a finished download.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir; // directories cannot be opened for syncing there
    Ok(())
}

/// Names listed more than once in `files`, with their counts.
pub(crate) fn duplicates(files: &[PublishedFile]) -> std::collections::BTreeMap<&str, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for f in files {
        *seen.entry(f.name.as_str()).or_insert(0usize) += 1;
    }
    seen.retain(|_, n| *n > 1);
    seen
}

/// One GET of `file` streamed through the hasher into a fresh temporary file in `dir`.
fn download_once(
    http: &HttpClient,
    file: &PublishedFile,
    url: &url::Url,
    req: &Request<'_>,
    dir: &Path,
    algs: &[Algorithm],
    options: FetchOptions<'_>,
) -> Result<(tempfile::NamedTempFile, MultiHasher, String), ReadbackError> {
    let http_err = |source| ReadbackError::Http {
        name: file.name.clone(),
        source,
    };
    let io_err = |path: &Path, source| ReadbackError::Io {
        path: path.to_owned(),
        source,
    };
    let mut resp = http.send(url, req).map_err(http_err)?;
    let shown = resp.body.url().to_owned();
    let mut tmp = tempfile::Builder::new()
        .prefix(".regclient-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| io_err(dir, e))?;
    if let Some(p) = options.progress {
        p.start(&file.name, file.size);
    }
    let tmp_path = tmp.path().to_owned();
    let file_out = tmp.as_file_mut();
    let read = |buf: &mut [u8]| loop {
        match resp.body.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(http_err(HttpError::from_body_io(&shown, e))),
        }
    };
    let write = |chunk: &[u8]| {
        file_out
            .write_all(chunk)
            .map_err(|e| io_err(&tmp_path, e))?;
        if let Some(p) = options.progress {
            p.advance(&file.name, chunk.len() as u64);
        }
        Ok(())
    };
    // Hashing beside the download pays for a thread and a hand-off per chunk; it is worth it
    // from a few chunks on (or when the size is not stated).
    let result = if file.size.is_none_or(|s| s >= PIPELINE_MIN_BYTES) {
        hash_beside(algs, read, write, &tmp_path)
    } else {
        hash_inline(algs, read, write)
    };
    if let Some(p) = options.progress {
        p.finish(&file.name);
    }
    let hasher = result?;
    Ok((tmp, hasher, shown))
}

/// Files from this size on are hashed on a second thread while they download.
const PIPELINE_MIN_BYTES: u64 = 4 * artidigest::BUFFER_SIZE as u64;

/// Chunks in flight between the downloading and the hashing thread.
const PIPELINE_BUFFERS: usize = 3;

/// Reads chunks with `read` until it returns 0, writes each with `write` and hashes it, all on
/// this thread, with one reused buffer.
fn hash_inline(
    algs: &[Algorithm],
    mut read: impl FnMut(&mut [u8]) -> Result<usize, ReadbackError>,
    mut write: impl FnMut(&[u8]) -> Result<(), ReadbackError>,
) -> Result<MultiHasher, ReadbackError> {
    let mut hasher = MultiHasher::new(algs);
    let mut buf = vec![0u8; artidigest::BUFFER_SIZE];
    loop {
        let n = read(&mut buf)?;
        if n == 0 {
            return Ok(hasher);
        }
        hasher.update(buf.get(..n).unwrap_or_default());
        write(buf.get(..n).unwrap_or_default())?;
    }
}

/// Like [`hash_inline`], but the hashing runs on a second thread while this one reads the
/// next chunk and writes the last: a download then costs the slower of the two, not their sum.
/// [`PIPELINE_BUFFERS`] buffers go round between the threads; nothing is allocated per chunk.
/// Falls back to [`hash_inline`] when no thread can be started.
fn hash_beside(
    algs: &[Algorithm],
    mut read: impl FnMut(&mut [u8]) -> Result<usize, ReadbackError>,
    mut write: impl FnMut(&[u8]) -> Result<(), ReadbackError>,
    path: &Path,
) -> Result<MultiHasher, ReadbackError> {
    use std::sync::mpsc::sync_channel;
    let (full_tx, full_rx) = sync_channel::<(Vec<u8>, usize)>(PIPELINE_BUFFERS);
    let (free_tx, free_rx) = sync_channel::<Vec<u8>>(PIPELINE_BUFFERS);
    let stopped = || ReadbackError::Io {
        path: path.to_owned(),
        source: io::Error::other("the hashing thread stopped"),
    };
    std::thread::scope(|s| {
        let hashing = std::thread::Builder::new()
            .name("regclient-hash".to_owned())
            .spawn_scoped(s, move || {
                let mut hasher = MultiHasher::new(algs);
                for (buf, n) in full_rx {
                    hasher.update(buf.get(..n).unwrap_or_default());
                    // At most PIPELINE_BUFFERS buffers exist, so this never blocks.
                    if free_tx.send(buf).is_err() {
                        break;
                    }
                }
                hasher
            });
        let Ok(hashing) = hashing else {
            return hash_inline(algs, &mut read, &mut write);
        };
        let mut spare = (0..PIPELINE_BUFFERS).map(|_| vec![0u8; artidigest::BUFFER_SIZE]);
        let streamed = loop {
            let Some(mut buf) = spare.next().or_else(|| free_rx.recv().ok()) else {
                break Err(stopped());
            };
            let n = match read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(e),
            };
            if let Err(e) = write(buf.get(..n).unwrap_or_default()) {
                break Err(e);
            }
            if full_tx.send((buf, n)).is_err() {
                break Err(stopped());
            }
        };
        drop(full_tx);
        let hasher = hashing.join().map_err(|_| stopped())?;
        streamed.map(|()| hasher)
    })
}

/// Downloads every file with [`fetch_verified`], at most the client's concurrency at once.
/// Results come back in the order of `files`. A name listed more than once is downloaded
/// for none of its entries: each gets [`ReadbackError::DuplicateName`].
pub fn fetch_all(
    http: &HttpClient,
    files: &[PublishedFile],
    dir: &Path,
    options: FetchOptions<'_>,
) -> Vec<Result<FetchedFile, ReadbackError>> {
    let twice = duplicates(files);
    let workers = http.max_concurrency().min(files.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<FetchedFile, ReadbackError>>>> =
        files.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let r = match twice.get(f.name.as_str()) {
                        Some(&count) => Err(ReadbackError::DuplicateName {
                            name: f.name.clone(),
                            count,
                        }),
                        None => fetch_verified(http, f, dir, options),
                    };
                    if let Some(Ok(mut slot)) = results.get(i).map(|m| m.lock()) {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .zip(files)
        .map(|(m, f)| {
            m.into_inner().ok().flatten().unwrap_or_else(|| {
                Err(ReadbackError::Io {
                    path: dir.join(&f.name),
                    source: io::Error::other("download worker stopped"),
                })
            })
        })
        .collect()
}

/// How one file compares between the registry and the local folder.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum FileComparison {
    /// Every claimed digest (and the size, when claimed) matches the local file.
    Match {
        /// The algorithms compared.
        #[serde(serialize_with = "algorithm_names")]
        algorithms: Vec<Algorithm>,
    },
    /// A digest differs.
    DigestMismatch {
        /// What the registry claims.
        served: Digest,
        /// What the local file hashes to.
        local: Digest,
    },
    /// The size differs.
    SizeMismatch {
        /// The registry's size.
        served: u64,
        /// The local size.
        local: u64,
    },
    /// The registry serves a file that is not in the local folder.
    MissingLocally,
    /// The local folder has a file the registry does not serve.
    NotServed,
    /// The registry claims no collision-resistant digest for this file.
    NoStrongDigest,
}

fn algorithm_names<S: serde::Serializer>(algs: &[Algorithm], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(algs.iter().map(|a| a.name()))
}

impl FileComparison {
    /// Whether this is a match.
    pub fn is_match(&self) -> bool {
        matches!(self, FileComparison::Match { .. })
    }
}

/// One line of a comparison report.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    /// The file name.
    pub name: String,
    /// The outcome.
    #[serde(flatten)]
    pub comparison: FileComparison,
}

/// Compares what the registry claims for `files` with the files in `local_dir`, file by file,
/// hashing each local file once with every claimed algorithm. Local files the registry does
/// not serve are reported as [`FileComparison::NotServed`].
pub fn compare_local(
    files: &[PublishedFile],
    local_dir: &Path,
) -> Result<Vec<FileReport>, ReadbackError> {
    let io_err = |path: &Path, source| ReadbackError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some((name, &count)) = duplicates(files).first_key_value() {
        return Err(ReadbackError::DuplicateName {
            name: (*name).to_owned(),
            count,
        });
    }
    let mut out = Vec::new();
    for f in files {
        check_plain_name(&f.name)?;
        let path = local_dir.join(&f.name);
        let comparison = if !f.has_strong_digest() {
            FileComparison::NoStrongDigest
        } else if !path.is_file() {
            FileComparison::MissingLocally
        } else {
            let algs: Vec<Algorithm> = f.digests.iter().map(Digest::algorithm).collect();
            let file = fs::File::open(&path).map_err(|e| io_err(&path, e))?;
            let set =
                digest_reader(io::BufReader::new(file), &algs).map_err(|e| io_err(&path, e))?;
            compare_one(f, &set)
        };
        out.push(FileReport {
            name: f.name.clone(),
            comparison,
        });
    }
    let mut extra: Vec<String> = Vec::new();
    for entry in fs::read_dir(local_dir).map_err(|e| io_err(local_dir, e))? {
        let entry = entry.map_err(|e| io_err(local_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && !name.starts_with('.') && !files.iter().any(|f| f.name == name)
        {
            extra.push(name);
        }
    }
    extra.sort();
    out.extend(extra.into_iter().map(|name| FileReport {
        name,
        comparison: FileComparison::NotServed,
    }));
    Ok(out)
}

/// Whether a comparison from [`compare_local`] passes: at least one served file matched the
/// local bytes, and every served file did (a local file the registry does not serve is reported
/// but does not fail). Nothing to compare — the registry serves no file, or none has a strong
/// digest — fails: an empty comparison proves nothing.
pub fn comparison_passes(reports: &[FileReport]) -> bool {
    reports.iter().any(|r| r.comparison.is_match())
        && reports
            .iter()
            .all(|r| r.comparison.is_match() || r.comparison == FileComparison::NotServed)
}

/// Compares a file's claims with digests computed from local bytes.
pub(crate) fn compare_one(f: &PublishedFile, set: &DigestSet) -> FileComparison {
    if let Some(size) = f.size
        && size != set.size()
    {
        return FileComparison::SizeMismatch {
            served: size,
            local: set.size(),
        };
    }
    for d in &f.digests {
        match set.get(d.algorithm()) {
            Some(actual) if actual == d => {}
            Some(actual) => {
                return FileComparison::DigestMismatch {
                    served: *d,
                    local: *actual,
                };
            }
            None => return FileComparison::NoStrongDigest,
        }
    }
    FileComparison::Match {
        algorithms: f.digests.iter().map(Digest::algorithm).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_comparison_fails() {
        let report = |comparison| FileReport {
            name: String::from("a-1.0.tar.gz"),
            comparison,
        };
        // The registry serves no file: nothing compared, nothing proven.
        assert!(!comparison_passes(&[]));
        // Only local files the registry does not serve: still nothing compared.
        assert!(!comparison_passes(&[report(FileComparison::NotServed)]));
        assert!(!comparison_passes(&[report(
            FileComparison::NoStrongDigest
        )]));
        assert!(!comparison_passes(&[report(
            FileComparison::MissingLocally
        )]));
        let matched = || {
            report(FileComparison::Match {
                algorithms: vec![Algorithm::Sha256],
            })
        };
        assert!(comparison_passes(&[matched()]));
        assert!(comparison_passes(&[
            matched(),
            report(FileComparison::NotServed)
        ]));
        assert!(!comparison_passes(&[
            matched(),
            report(FileComparison::MissingLocally)
        ]));
    }

    #[test]
    fn names_that_escape_are_refused() {
        for n in [
            "",
            "../x",
            "..",
            "a/b",
            "a\\b",
            ".hidden",
            "c:evil",
            "a\nb.whl",
            "x\u{1b}[2J.tgz",
            "nul\0",
            "tab\t",
            "del\u{7f}",
            "c1\u{9b}31m",
        ] {
            assert!(check_plain_name(n).is_err(), "{n}");
        }
        check_plain_name("demo-1.0.0-py3-none-any.whl").unwrap();
    }

    /// Hashing beside the download gives the same digests and bytes as hashing inline, and a
    /// read error mid-stream is returned, not swallowed.
    #[test]
    fn hashing_beside_matches_inline_and_passes_errors_on() {
        let data: Vec<u8> = (0..(3 * artidigest::BUFFER_SIZE + 17))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let algs = [Algorithm::Sha256, Algorithm::Sha512, Algorithm::Sha1];
        let path = Path::new("x.part");
        let run = |beside: bool, fail_at: Option<usize>| {
            let mut src = io::Cursor::new(&data);
            let mut out = Vec::new();
            let mut reads = 0;
            let read = |buf: &mut [u8]| {
                reads += 1;
                if Some(reads) == fail_at {
                    return Err(ReadbackError::Io {
                        path: path.to_owned(),
                        source: io::Error::other("reset"),
                    });
                }
                // Short reads, as sockets give.
                let k = buf.len().min(100_000);
                Ok(src.read(&mut buf[..k]).unwrap())
            };
            let write = |c: &[u8]| {
                out.extend_from_slice(c);
                Ok(())
            };
            let r = if beside {
                hash_beside(&algs, read, write, path)
            } else {
                hash_inline(&algs, read, write)
            };
            r.map(|h| (h.finish(), out))
        };
        let (a, out_a) = run(true, None).unwrap();
        let (b, out_b) = run(false, None).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, artidigest::digest_bytes(&data, &algs));
        assert_eq!(out_a, data);
        assert_eq!(out_b, data);
        for at in [1, 2, 5] {
            let e = run(true, Some(at)).unwrap_err();
            assert!(e.to_string().contains("x.part"), "{e}");
        }
    }

    #[test]
    fn compare_reports_each_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.tgz"), b"alpha").unwrap();
        fs::write(dir.path().join("b.tgz"), b"beta!").unwrap();
        fs::write(dir.path().join("extra.txt"), b"x").unwrap();
        let d = |b: &[u8]| {
            *artidigest::digest_bytes(b, &[Algorithm::Sha256])
                .get(Algorithm::Sha256)
                .unwrap()
        };
        let pf = |name: &str, digest: Digest, size| PublishedFile {
            name: name.into(),
            url: format!("http://127.0.0.1:9/{name}"),
            size: Some(size),
            digests: vec![digest],
            yanked: false,
            media_type: None,
        };
        let files = vec![
            pf("a.tgz", d(b"alpha"), 5),
            pf("b.tgz", d(b"BETA!"), 5),
            pf("c.tgz", d(b"c"), 1),
        ];
        let r = compare_local(&files, dir.path()).unwrap();
        assert!(r[0].comparison.is_match());
        assert!(matches!(
            r[1].comparison,
            FileComparison::DigestMismatch { .. }
        ));
        assert_eq!(r[2].comparison, FileComparison::MissingLocally);
        assert_eq!(r[3].name, "extra.txt");
        assert_eq!(r[3].comparison, FileComparison::NotServed);
    }
}
