//! One pass over a stream, several digests at once, in constant memory.

use std::io::{self, Read, Write};
use std::path::Path;

use digest::Digest as _;

use crate::digest::{Algorithm, Digest, DigestMismatch};
use crate::folder::{FolderError, open_bounded};

/// Size of the buffer used by [`digest_reader`]: large enough to amortise the per-call cost of
/// every hasher, small enough to stay in L2.
pub const BUFFER_SIZE: usize = 256 * 1024;

enum State {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
    Sha1(sha1::Sha1),
    Blake2b256(blake2::Blake2b<digest::consts::U32>),
    Md5(md5::Md5),
}

impl State {
    fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => State::Sha512(sha2::Sha512::new()),
            Algorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            Algorithm::Blake2b256 => State::Blake2b256(blake2::Blake2b::new()),
            Algorithm::Md5 => State::Md5(md5::Md5::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            State::Sha256(h) => h.update(data),
            State::Sha512(h) => h.update(data),
            State::Sha1(h) => h.update(data),
            State::Blake2b256(h) => h.update(data),
            State::Md5(h) => h.update(data),
        }
    }

    fn finish(self) -> Digest {
        // The output lengths below are the algorithms' own, so `from_bytes` cannot fail; the
        // fallback keeps this path panic-free all the same.
        let (alg, out): (Algorithm, Vec<u8>) = match self {
            State::Sha256(h) => (Algorithm::Sha256, h.finalize().to_vec()),
            State::Sha512(h) => (Algorithm::Sha512, h.finalize().to_vec()),
            State::Sha1(h) => (Algorithm::Sha1, h.finalize().to_vec()),
            State::Blake2b256(h) => (Algorithm::Blake2b256, h.finalize().to_vec()),
            State::Md5(h) => (Algorithm::Md5, h.finalize().to_vec()),
        };
        match Digest::from_bytes(alg, &out) {
            Ok(d) => d,
            Err(_) => unreachable_digest(alg),
        }
    }
}

/// The first `n` bytes of `buf`, which a `read` reported filling; a reader that claims more than
/// it was given room for is an I/O error, not a panic.
pub(crate) fn filled(buf: &[u8], n: usize) -> io::Result<&[u8]> {
    buf.get(..n)
        .ok_or_else(|| io::Error::other("reader reported more bytes than its buffer holds"))
}

#[cold]
fn unreachable_digest(alg: Algorithm) -> Digest {
    // Only reachable if a hash crate changed its output size; report an all-zero digest of the
    // right algorithm, which never equals a real one.
    let zero = [0u8; 64];
    Digest::from_bytes(alg, zero.get(..alg.output_len()).unwrap_or(&zero))
        .unwrap_or_else(|_| unreachable_digest(alg))
}

/// Computes several digests of the same bytes in one pass.
///
/// ```
/// use artidigest::{Algorithm, MultiHasher};
/// let mut h = MultiHasher::new(&[Algorithm::Sha256, Algorithm::Sha512]);
/// h.update(b"hello");
/// let set = h.finish();
/// assert_eq!(set.size(), 5);
/// assert_eq!(
///     set.get(Algorithm::Sha256).unwrap().to_hex(),
///     "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
/// );
/// ```
pub struct MultiHasher {
    states: Vec<State>,
    size: u64,
}

impl MultiHasher {
    /// A hasher for the given algorithms (duplicates are computed once).
    pub fn new(algorithms: &[Algorithm]) -> Self {
        let mut algs: Vec<Algorithm> = algorithms.to_vec();
        algs.sort();
        algs.dedup();
        MultiHasher {
            states: algs.into_iter().map(State::new).collect(),
            size: 0,
        }
    }

    /// Feeds bytes to every algorithm.
    pub fn update(&mut self, data: &[u8]) {
        for s in &mut self.states {
            s.update(data);
        }
        self.size += data.len() as u64;
    }

    /// Bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digests and the byte count.
    pub fn finish(self) -> DigestSet {
        DigestSet {
            digests: self.states.into_iter().map(State::finish).collect(),
            size: self.size,
        }
    }
}

impl Write for MultiHasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The digests of one byte stream, and its length.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DigestSet {
    digests: Vec<Digest>,
    size: u64,
}

impl DigestSet {
    /// A set from digests computed elsewhere (for example, what a registry claims).
    pub fn from_parts(digests: Vec<Digest>, size: u64) -> Self {
        DigestSet { digests, size }
    }

    /// The digest for one algorithm, if it was computed.
    pub fn get(&self, algorithm: Algorithm) -> Option<&Digest> {
        self.digests.iter().find(|d| d.algorithm() == algorithm)
    }

    /// Every digest in the set.
    pub fn iter(&self) -> impl Iterator<Item = &Digest> {
        self.digests.iter()
    }

    /// Number of bytes hashed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Checks `expected` against the digest of the same algorithm in this set.
    ///
    /// Fails with a mismatch when the values differ, and with
    /// [`VerifyError::NotComputed`] when the set holds no digest of that algorithm — a missing
    /// value is never taken as a match.
    pub fn verify(&self, expected: &Digest, artifact: &str) -> Result<(), VerifyError> {
        match self.get(expected.algorithm()) {
            Some(actual) => expected.verify(actual, artifact).map_err(VerifyError::from),
            None => Err(VerifyError::NotComputed {
                artifact: artifact.to_owned(),
                algorithm: expected.algorithm(),
            }),
        }
    }
}

/// Why [`DigestSet::verify`] failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The bytes hash to something else.
    #[error(transparent)]
    Mismatch(#[from] DigestMismatch),
    /// The expected algorithm was not computed, so nothing can be said.
    #[error("{artifact}: no {algorithm} digest was computed to compare with")]
    NotComputed {
        /// The artifact's name.
        artifact: String,
        /// The algorithm of the expected digest.
        algorithm: Algorithm,
    },
}

/// Reads `reader` to its end once and returns the digests for `algorithms` and the byte count.
///
/// Memory use is one [`BUFFER_SIZE`] buffer, whatever the stream's length.
pub fn digest_reader<R: Read>(mut reader: R, algorithms: &[Algorithm]) -> io::Result<DigestSet> {
    let mut hasher = MultiHasher::new(algorithms);
    read_chunks(&mut reader, |chunk| hasher.update(chunk))?;
    Ok(hasher.finish())
}

/// Reads `reader` to its end in [`BUFFER_SIZE`] chunks, handing each to `sink`.
fn read_chunks<R: Read>(reader: &mut R, mut sink: impl FnMut(&[u8])) -> io::Result<()> {
    let mut buf = vec![0u8; BUFFER_SIZE];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sink(filled(&buf, n)?);
    }
}

/// Digests of an in-memory buffer.
pub fn digest_bytes(data: &[u8], algorithms: &[Algorithm]) -> DigestSet {
    let mut hasher = MultiHasher::new(algorithms);
    hasher.update(data);
    hasher.finish()
}

impl Digest {
    /// The `algorithm` digest of an in-memory buffer.
    ///
    /// ```
    /// use artidigest::{Algorithm, Digest};
    /// let d = Digest::of(Algorithm::Sha256, b"hello");
    /// assert_eq!(d.to_hex(), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    /// ```
    pub fn of(algorithm: Algorithm, data: &[u8]) -> Digest {
        let mut state = State::new(algorithm);
        state.update(data);
        state.finish()
    }
}

/// The `algorithm` digest of the regular file at `path`, read once in constant memory.
///
/// The file is opened as [`open_bounded`] opens it: anything but a regular file (a FIFO, a
/// device, a socket, a directory) is refused before it is read, so a hostile folder cannot make
/// the caller block or read forever. Errors are [`FolderError`]s naming `path`.
///
/// ```
/// use artidigest::{Algorithm, digest_file};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("hello.txt");
/// std::fs::write(&path, "hello")?;
/// let d = digest_file(&path, Algorithm::Sha256)?;
/// assert_eq!(d.to_hex(), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
/// assert!(digest_file(&dir.path().join("missing"), Algorithm::Sha256)
///     .unwrap_err()
///     .to_string()
///     .contains("missing"));
/// # Ok(())
/// # }
/// ```
pub fn digest_file(path: &Path, algorithm: Algorithm) -> Result<Digest, FolderError> {
    let mut file = open_bounded(path, u64::MAX)?;
    let mut state = State::new(algorithm);
    match read_chunks(&mut file, |chunk| state.update(chunk)) {
        Ok(()) => Ok(state.finish()),
        Err(e) => Err(file.error(e)),
    }
}

/// A reader that hashes everything read through it, for callers that consume a stream for
/// another purpose (an archive reader, a download written to disk) and want its digests too.
pub struct HashingReader<R> {
    inner: R,
    hasher: MultiHasher,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`, hashing with `algorithms`.
    pub fn new(inner: R, algorithms: &[Algorithm]) -> Self {
        HashingReader {
            inner,
            hasher: MultiHasher::new(algorithms),
        }
    }

    /// Bytes read so far.
    pub fn size(&self) -> u64 {
        self.hasher.size()
    }

    /// Stops reading and returns the inner reader and the digests of what was read.
    pub fn finish(self) -> (R, DigestSet) {
        (self.inner, self.hasher.finish())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(filled(buf, n)?);
        Ok(n)
    }
}

#[cfg(feature = "tokio")]
mod asynchronous {
    use super::{Algorithm, BUFFER_SIZE, DigestSet, MultiHasher};
    use tokio::io::{AsyncRead, AsyncReadExt};

    /// The async twin of [`digest_reader`](super::digest_reader): one pass over an
    /// [`AsyncRead`], several digests, constant memory. Needs the `tokio` feature.
    pub async fn digest_async_reader<R: AsyncRead + Unpin>(
        mut reader: R,
        algorithms: &[Algorithm],
    ) -> std::io::Result<DigestSet> {
        let mut hasher = MultiHasher::new(algorithms);
        let mut buf = vec![0u8; BUFFER_SIZE];
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(super::filled(&buf, n)?);
        }
        Ok(hasher.finish())
    }
}

#[cfg(feature = "tokio")]
pub use asynchronous::digest_async_reader;

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers for "abc" (FIPS 180-2, RFC 7693 appendix, RFC 1321).
    #[test]
    fn known_answers_for_abc() {
        let set = digest_bytes(b"abc", &Algorithm::ALL);
        let hex = |a| set.get(a).unwrap().to_hex();
        assert_eq!(
            hex(Algorithm::Sha256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(Algorithm::Sha512),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(
            hex(Algorithm::Sha1),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(Algorithm::Md5), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            hex(Algorithm::Blake2b256),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        );
        assert_eq!(set.size(), 3);
    }

    #[test]
    fn reader_matches_bytes_across_buffer_boundaries() {
        let data: Vec<u8> = (0..(BUFFER_SIZE * 2 + 17)).map(|i| (i * 7) as u8).collect();
        let algs = [Algorithm::Sha256, Algorithm::Sha1];
        let a = digest_reader(&data[..], &algs).unwrap();
        let b = digest_bytes(&data, &algs);
        assert_eq!(a, b);
        let mut hr = HashingReader::new(&data[..], &algs);
        std::io::copy(&mut hr, &mut std::io::sink()).unwrap();
        assert_eq!(hr.finish().1, b);
    }

    #[cfg(feature = "tokio")]
    #[tokio::test]
    async fn async_reader_matches_sync_reader() {
        let data: Vec<u8> = (0..(BUFFER_SIZE + 5)).map(|i| (i % 251) as u8).collect();
        let algs = [Algorithm::Sha512, Algorithm::Blake2b256];
        let a = digest_async_reader(&data[..], &algs).await.unwrap();
        assert_eq!(a, digest_bytes(&data, &algs));
    }

    #[test]
    fn verify_refuses_missing_algorithm() {
        let set = digest_bytes(b"x", &[Algorithm::Sha256]);
        let want = digest_bytes(b"x", &[Algorithm::Sha512]);
        let err = set
            .verify(want.get(Algorithm::Sha512).unwrap(), "x")
            .unwrap_err();
        assert!(matches!(err, VerifyError::NotComputed { .. }));
        let other = digest_bytes(b"y", &[Algorithm::Sha256]);
        let err = set
            .verify(other.get(Algorithm::Sha256).unwrap(), "x")
            .unwrap_err();
        assert!(matches!(err, VerifyError::Mismatch(_)));
    }

    #[test]
    fn digest_of_matches_the_multi_hasher_for_every_algorithm() {
        let data = b"the same bytes, one algorithm at a time";
        let set = digest_bytes(data, &Algorithm::ALL);
        for alg in Algorithm::ALL {
            assert_eq!(Some(&Digest::of(alg, data)), set.get(alg), "{alg}");
        }
        assert_ne!(
            Digest::of(Algorithm::Sha256, b"a"),
            Digest::of(Algorithm::Sha256, b"b")
        );
    }

    #[test]
    fn digest_file_reads_across_buffer_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let data: Vec<u8> = (0..(BUFFER_SIZE * 2 + 3)).map(|i| (i * 13) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        for alg in [Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(digest_file(&path, alg).unwrap(), Digest::of(alg, &data));
        }
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(
            digest_file(&empty, Algorithm::Sha256).unwrap().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn digest_file_names_the_path_it_could_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-file.whl");
        match digest_file(&missing, Algorithm::Sha256) {
            Err(FolderError::Io { path, .. }) => assert_eq!(path, missing),
            other => panic!("expected an I/O error, got {other:?}"),
        }
        // A folder is not a regular file: refused before reading, named in the error.
        let err = digest_file(dir.path(), Algorithm::Sha256).unwrap_err();
        assert!(
            matches!(err, FolderError::NotRegular { ref path, .. } if path == &dir.path().display().to_string()),
            "{err:?}"
        );
    }
}
