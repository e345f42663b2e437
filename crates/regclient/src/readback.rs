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
    /// The file name is not a plain name (it would write outside the target folder).
    #[error("refusing file name {name:?}: not a plain file name")]
    UnsafeName {
        /// The name.
        name: String,
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

impl std::fmt::Debug for FetchOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchOptions")
            .field("credential", &self.credential)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A file downloaded and verified.
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
        || name.contains(['/', '\\', '\0', ':'])
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
    let algs = algorithms_for(&file.digests);
    let deadline = http.deadline_from_now();
    let req = Request {
        credential,
        accept: file.media_type.as_deref(),
        limit: Some(file.size.unwrap_or_else(|| http.download_cap())),
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
            }) if attempt < policy.max_attempts && std::time::Instant::now() + pause < deadline => {
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
    Ok(FetchedFile {
        name: file.name.clone(),
        path: target,
        computed,
    })
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
    let mut hasher = MultiHasher::new(algs);
    let mut buf = vec![0u8; artidigest::BUFFER_SIZE];
    let result = loop {
        let n = match resp.body.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(http_err(HttpError::from_body_io(&shown, e))),
        };
        hasher.update(&buf[..n]);
        if let Err(e) = tmp.as_file_mut().write_all(&buf[..n]) {
            break Err(io_err(tmp.path(), e));
        }
        if let Some(p) = options.progress {
            p.advance(&file.name, n as u64);
        }
    };
    if let Some(p) = options.progress {
        p.finish(&file.name);
    }
    result?;
    Ok((tmp, hasher, shown))
}

/// Downloads every file with [`fetch_verified`], at most the client's concurrency at once.
/// Results come back in the order of `files`.
pub fn fetch_all(
    http: &HttpClient,
    files: &[PublishedFile],
    dir: &Path,
    options: FetchOptions<'_>,
) -> Vec<Result<FetchedFile, ReadbackError>> {
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
                    let r = fetch_verified(http, f, dir, options);
                    if let Ok(mut slot) = results[i].lock() {
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
    fn names_that_escape_are_refused() {
        for n in ["", "../x", "a/b", "a\\b", ".hidden", "c:evil"] {
            assert!(check_plain_name(n).is_err(), "{n}");
        }
        check_plain_name("demo-1.0.0-py3-none-any.whl").unwrap();
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
