//! The one digest type of relkit: an algorithm and its output bytes, in every encoding that
//! registries and packaging formats use.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// A hash algorithm that relkit can compute or read.
///
/// `Md5` exists only to read what registries still publish (some indexes list an md5 next to a
/// sha256); relkit never relies on it alone for a decision.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-512 (FIPS 180-4).
    Sha512,
    /// SHA-1: only for formats that still carry it (npm `shasum`, git object ids).
    Sha1,
    /// BLAKE2b with a 256-bit output (RFC 7693), as listed by some Python indexes.
    Blake2b256,
    /// MD5: read-only, for registries that still publish it.
    Md5,
}

impl Algorithm {
    /// Every algorithm, strongest first.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Sha512,
        Algorithm::Sha256,
        Algorithm::Blake2b256,
        Algorithm::Sha1,
        Algorithm::Md5,
    ];

    /// The name used by the BSD tag checksum format (`SHA256 (file) = …`).
    pub fn bsd_name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Blake2b256 => "BLAKE2b-256",
            Algorithm::Md5 => "MD5",
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Algorithm::Sha256 | Algorithm::Blake2b256 => 32,
            Algorithm::Sha512 => 64,
            Algorithm::Sha1 => 20,
            Algorithm::Md5 => 16,
        }
    }

    /// Whether a digest of this algorithm may be trusted alone to identify bytes.
    pub fn is_collision_resistant(self) -> bool {
        !matches!(self, Algorithm::Sha1 | Algorithm::Md5)
    }
}

relkit_finding::names! {
    Algorithm,
    /// The lower-case name used by OCI descriptors, SRI strings, wheel RECORDs and PEP 691
    /// `hashes` keys: `sha256`, `sha512`, `sha1`, `blake2b-256` (PEP 691 spells it
    /// `blake2b_256`, which [`Algorithm::from_str`] also accepts), `md5`.
    fn name {
        Sha256 => "sha256",
        Sha512 => "sha512",
        Sha1 => "sha1",
        Blake2b256 => "blake2b-256",
        Md5 => "md5",
    }
}

impl FromStr for Algorithm {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "sha256" | "sha-256" => Algorithm::Sha256,
            "sha512" | "sha-512" => Algorithm::Sha512,
            "sha1" | "sha-1" => Algorithm::Sha1,
            "blake2b-256" | "blake2b_256" | "blake2b256" => Algorithm::Blake2b256,
            "md5" => Algorithm::Md5,
            _ => return Err(ParseError::new(ParseErrorKind::UnknownAlgorithm, s, 0)),
        })
    }
}

/// An algorithm and the bytes it produced.
///
/// `Display` writes the OCI form `sha256:<lower hex>`; [`FromStr`] reads the OCI form, the SRI
/// form `sha512-<base64>` and the wheel RECORD form `sha256=<urlsafe base64, no padding>`, so
/// `s.parse::<Digest>()?.to_string()` is the canonical OCI spelling of any of them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    len: u8,
    bytes: [u8; 64],
}

impl Digest {
    /// A digest from raw output bytes; the length must match the algorithm.
    pub fn from_bytes(algorithm: Algorithm, bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.len() != algorithm.output_len() {
            return Err(ParseError::new(
                ParseErrorKind::WrongLength {
                    expected: algorithm.output_len(),
                    found: bytes.len(),
                },
                "",
                0,
            ));
        }
        let mut out = [0u8; 64];
        let Some(dst) = out.get_mut(..bytes.len()) else {
            return Err(ParseError::new(
                ParseErrorKind::WrongLength {
                    expected: algorithm.output_len(),
                    found: bytes.len(),
                },
                "",
                0,
            ));
        };
        dst.copy_from_slice(bytes);
        Ok(Digest {
            algorithm,
            len: bytes.len() as u8,
            bytes: out,
        })
    }

    /// A digest from lower- or upper-case hex, as `sha256sum` and most JSON APIs print it.
    pub fn from_hex(algorithm: Algorithm, hex_text: &str) -> Result<Self, ParseError> {
        let want = algorithm.output_len() * 2;
        if hex_text.len() != want {
            return Err(ParseError::new(
                ParseErrorKind::WrongLength {
                    expected: algorithm.output_len(),
                    found: hex_text.len() / 2,
                },
                hex_text,
                0,
            ));
        }
        let mut out = [0u8; 64];
        // `hex_text` is exactly `2 * output_len` ≤ 128 bytes, so every pair has a slot in `out`.
        let pairs = hex_text.as_bytes().chunks_exact(2);
        for (i, (slot, pair)) in out.iter_mut().zip(pairs).enumerate() {
            let &[a, b] = pair else {
                continue;
            };
            match (hex_val(a), hex_val(b)) {
                (Some(h), Some(l)) => *slot = (h << 4) | l,
                (None, _) => {
                    return Err(ParseError::new(ParseErrorKind::BadHex, hex_text, i * 2));
                }
                (_, None) => {
                    return Err(ParseError::new(ParseErrorKind::BadHex, hex_text, i * 2 + 1));
                }
            }
        }
        Ok(Digest {
            algorithm,
            len: algorithm.output_len() as u8,
            bytes: out,
        })
    }

    /// Parses the OCI descriptor form `algorithm:hex` (e.g. `sha256:e3b0…`).
    pub fn from_oci(s: &str) -> Result<Self, ParseError> {
        let (alg, rest) = split_once_at(s, ':')?;
        let algorithm = parse_alg(s, alg)?;
        Digest::from_hex(algorithm, rest).map_err(|e| e.shifted(s, alg.len() + 1))
    }

    /// Parses one Subresource Integrity token `sha512-<standard base64>` (npm's
    /// `dist.integrity`). SRI options after `?` are ignored as the SRI spec says.
    pub fn from_sri(s: &str) -> Result<Self, ParseError> {
        let (alg, rest) = match s.strip_prefix("blake2b-256-") {
            Some(rest) => ("blake2b-256", rest),
            None => split_once_at(s, '-')?,
        };
        let algorithm = parse_alg(s, alg)?;
        let b64 = rest.split('?').next().unwrap_or(rest);
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| ParseError::new(ParseErrorKind::BadBase64, s, alg.len() + 1))?;
        Digest::from_bytes(algorithm, &raw).map_err(|e| e.shifted(s, alg.len() + 1))
    }

    /// Parses every token of an SRI metadata string (space-separated, as npm may write
    /// several), skipping algorithms relkit does not know, as the SRI spec requires.
    pub fn parse_sri_list(s: &str) -> Result<Vec<Digest>, ParseError> {
        let mut out = Vec::new();
        for token in s.split_ascii_whitespace() {
            match Digest::from_sri(token) {
                Ok(d) => out.push(d),
                Err(e) if e.kind() == &ParseErrorKind::UnknownAlgorithm => {}
                Err(e) => return Err(e),
            }
        }
        if out.is_empty() {
            return Err(ParseError::new(ParseErrorKind::Empty, s, 0));
        }
        Ok(out)
    }

    /// Parses the wheel RECORD form `sha256=<urlsafe base64 without padding>` (PEP 376/427).
    pub fn from_record(s: &str) -> Result<Self, ParseError> {
        let (alg, rest) = split_once_at(s, '=')?;
        let algorithm = parse_alg(s, alg)?;
        let raw = URL_SAFE_NO_PAD
            .decode(rest.trim_end_matches('='))
            .map_err(|_| ParseError::new(ParseErrorKind::BadBase64, s, alg.len() + 1))?;
        Digest::from_bytes(algorithm, &raw).map_err(|e| e.shifted(s, alg.len() + 1))
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The raw output bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Lower-case hex, as `sha256sum` prints it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }

    /// OCI form `sha256:<hex>` (the same as `Display`).
    pub fn to_oci(&self) -> String {
        format!("{}:{}", self.algorithm.name(), self.to_hex())
    }

    /// SRI form `sha512-<standard base64>`.
    pub fn to_sri(&self) -> String {
        format!(
            "{}-{}",
            self.algorithm.name(),
            STANDARD.encode(self.as_bytes())
        )
    }

    /// Wheel RECORD form `sha256=<urlsafe base64 without padding>`.
    pub fn to_record(&self) -> String {
        format!(
            "{}={}",
            self.algorithm.name(),
            URL_SAFE_NO_PAD.encode(self.as_bytes())
        )
    }

    /// Compares with `actual`; on a difference returns a [`DigestMismatch`] naming `artifact`.
    pub fn verify(&self, actual: &Digest, artifact: &str) -> Result<(), DigestMismatch> {
        if self == actual {
            Ok(())
        } else {
            Err(DigestMismatch {
                artifact: artifact.to_owned(),
                expected: *self,
                actual: *actual,
            })
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.algorithm.name())?;
        f.write_str(":")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = ParseError;

    /// Accepts `alg:hex` (OCI), `alg=b64url` (RECORD) and `alg-b64` (SRI), whichever separator
    /// comes first after the algorithm name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The separator is the first ':', '=' or '-' whose prefix names an algorithm (so the
        // '-' inside `blake2b-256` and the '=' padding of SRI base64 are not mistaken for it).
        for (i, c) in s.char_indices() {
            if !matches!(c, ':' | '=' | '-')
                || s.get(..i).is_none_or(|p| p.parse::<Algorithm>().is_err())
            {
                continue;
            }
            return match c {
                ':' => Digest::from_oci(s),
                '=' => Digest::from_record(s),
                _ => Digest::from_sri(s),
            };
        }
        if s.find([':', '=', '-']).is_some() {
            return Err(ParseError::new(ParseErrorKind::UnknownAlgorithm, s, 0));
        }
        Err(ParseError::new(ParseErrorKind::MissingSeparator, s, 0))
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn split_once_at(s: &str, sep: char) -> Result<(&str, &str), ParseError> {
    s.split_once(sep)
        .ok_or_else(|| ParseError::new(ParseErrorKind::MissingSeparator, s, 0))
}

fn parse_alg(whole: &str, alg: &str) -> Result<Algorithm, ParseError> {
    alg.parse()
        .map_err(|_| ParseError::new(ParseErrorKind::UnknownAlgorithm, whole, 0))
}

/// Why a digest string could not be read.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The algorithm name is not one relkit knows.
    UnknownAlgorithm,
    /// No `:`, `=` or `-` separates the algorithm from the value.
    MissingSeparator,
    /// A character is not a hex digit.
    BadHex,
    /// The value is not valid base64 for its encoding.
    BadBase64,
    /// The decoded value has the wrong number of bytes for the algorithm.
    WrongLength {
        /// Bytes the algorithm produces.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// Nothing to parse.
    Empty,
}

/// A digest string that could not be read: what was wrong, the input, and the byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read digest {input:?} at byte {position}: {kind}")]
pub struct ParseError {
    kind: ParseErrorKind,
    input: String,
    position: usize,
}

impl ParseError {
    fn new(kind: ParseErrorKind, input: &str, position: usize) -> Self {
        // Keep errors bounded even for hostile input.
        let input: String = input.chars().take(200).collect();
        ParseError {
            kind,
            input,
            position,
        }
    }

    fn shifted(mut self, whole: &str, offset: usize) -> Self {
        self.input = whole.chars().take(200).collect();
        self.position += offset;
        self
    }

    /// What was wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// The byte offset in the input where the problem was found.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The input (truncated to 200 characters).
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::UnknownAlgorithm => f.write_str("unknown hash algorithm"),
            ParseErrorKind::MissingSeparator => {
                f.write_str("no separator between algorithm and value")
            }
            ParseErrorKind::BadHex => f.write_str("not a hex digit"),
            ParseErrorKind::BadBase64 => f.write_str("invalid base64"),
            ParseErrorKind::WrongLength { expected, found } => {
                write!(f, "{found} bytes where the algorithm gives {expected}")
            }
            ParseErrorKind::Empty => f.write_str("empty"),
        }
    }
}

/// Two digests of the same artifact disagree.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{artifact}: {} was {}, but expected {}", .expected.algorithm(), .actual.to_hex(), .expected.to_hex())]
pub struct DigestMismatch {
    /// The artifact's name (file name, entry name, URL).
    pub artifact: String,
    /// The digest that was expected (from a checksum file, index, RECORD, subject…).
    pub expected: Digest,
    /// The digest computed from the bytes.
    pub actual: Digest,
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn every_encoding_round_trips() {
        let d = Digest::from_hex(Algorithm::Sha256, EMPTY_SHA256).unwrap();
        assert_eq!(d.to_string(), format!("sha256:{EMPTY_SHA256}"));
        assert_eq!(d.to_oci().parse::<Digest>().unwrap(), d);
        assert_eq!(
            d.to_sri(),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(d.to_sri().parse::<Digest>().unwrap(), d);
        assert_eq!(
            d.to_record(),
            "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
        assert_eq!(d.to_record().parse::<Digest>().unwrap(), d);
    }

    #[test]
    fn blake2b_name_with_dash_parses_in_oci_form() {
        let hex = "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8";
        let d: Digest = format!("blake2b-256:{hex}").parse().unwrap();
        assert_eq!(d.algorithm(), Algorithm::Blake2b256);
        assert_eq!(d.to_hex(), hex);
    }

    #[test]
    fn errors_name_kind_and_position() {
        let e = Digest::from_oci("sha256:zz").unwrap_err();
        assert!(matches!(e.kind(), ParseErrorKind::WrongLength { .. }));
        let bad = format!("sha256:{}x", &EMPTY_SHA256[..63]);
        let e = Digest::from_oci(&bad).unwrap_err();
        assert_eq!(e.kind(), &ParseErrorKind::BadHex);
        assert_eq!(e.position(), 7 + 63);
        let e = "foo:abcd".parse::<Digest>().unwrap_err();
        assert_eq!(e.kind(), &ParseErrorKind::UnknownAlgorithm);
        let e = "nothing".parse::<Digest>().unwrap_err();
        assert_eq!(e.kind(), &ParseErrorKind::MissingSeparator);
    }

    #[test]
    fn sri_list_skips_unknown_and_keeps_known() {
        let list = "sha384-abc sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let ds = Digest::parse_sri_list(list).unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].to_hex(), EMPTY_SHA256);
    }

    #[test]
    fn mismatch_names_artifact_and_both_values() {
        let a = Digest::from_hex(Algorithm::Sha256, EMPTY_SHA256).unwrap();
        let b = Digest::from_bytes(Algorithm::Sha256, &[1u8; 32]).unwrap();
        let e = a.verify(&b, "dist/x.whl").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("dist/x.whl"), "{msg}");
        assert!(msg.contains(EMPTY_SHA256), "{msg}");
        assert!(msg.contains(&b.to_hex()), "{msg}");
        assert!(a.verify(&a, "same").is_ok());
    }
}
