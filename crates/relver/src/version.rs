//! Strict SemVer 2.0.0 versions.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The longest version text `relver` will parse (bytes). Longer input is refused before any
/// work, so a 10,000-digit "version" costs nothing.
pub const MAX_VERSION_LEN: usize = 256;

/// A SemVer 2.0.0 version: `MAJOR.MINOR.PATCH`, an optional pre-release (`-rc.1`) and optional
/// build metadata (`+build.5`).
///
/// Parsing is strict (no leading zeros, no `v`, exactly three numeric components, ASCII only) so
/// that the pre-release and build parts are recognised and can be *rejected with a reason* by
/// [`parse_tag`](crate::parse_tag); a release version has neither ([`Version::is_release`]).
///
/// Ordering is SemVer precedence (pre-releases sort before their release, numeric identifiers
/// numerically); build metadata does not take part in precedence and is only compared last, as a
/// tie-break, so that `Ord` agrees with `Eq`.
///
/// ```
/// use relver::Version;
/// let v: Version = "1.2.3".parse()?;
/// assert_eq!((v.major(), v.minor(), v.patch()), (1, 2, 3));
/// assert!(v.is_release());
/// assert!("1.2.3-rc.1".parse::<Version>()? < v);
/// assert_eq!(v.to_string(), "1.2.3");
/// # Ok::<(), relver::VersionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Option<String>,
    build: Option<String>,
}

impl Version {
    /// A release version `major.minor.patch`.
    #[must_use]
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
            pre: None,
            build: None,
        }
    }

    /// The major component.
    #[must_use]
    pub const fn major(&self) -> u64 {
        self.major
    }

    /// The minor component.
    #[must_use]
    pub const fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch component.
    #[must_use]
    pub const fn patch(&self) -> u64 {
        self.patch
    }

    /// The pre-release part without its `-`, if any.
    #[must_use]
    pub fn pre_release(&self) -> Option<&str> {
        self.pre.as_deref()
    }

    /// The build metadata without its `+`, if any.
    #[must_use]
    pub fn build(&self) -> Option<&str> {
        self.build.as_deref()
    }

    /// True when there is neither a pre-release nor build metadata.
    #[must_use]
    pub const fn is_release(&self) -> bool {
        self.pre.is_none() && self.build.is_none()
    }

    /// The same version without pre-release and build metadata.
    #[must_use]
    pub const fn release(&self) -> Self {
        Self::new(self.major, self.minor, self.patch)
    }

    /// The next major release (`1.2.3` → `2.0.0`), or `None` on overflow.
    #[must_use]
    pub fn next_major(&self) -> Option<Self> {
        Some(Self::new(self.major.checked_add(1)?, 0, 0))
    }

    /// The next minor release (`1.2.3` → `1.3.0`), or `None` on overflow.
    #[must_use]
    pub fn next_minor(&self) -> Option<Self> {
        Some(Self::new(self.major, self.minor.checked_add(1)?, 0))
    }

    /// The next patch release (`1.2.3` → `1.2.4`), or `None` on overflow.
    #[must_use]
    pub fn next_patch(&self) -> Option<Self> {
        Some(Self::new(
            self.major,
            self.minor,
            self.patch.checked_add(1)?,
        ))
    }
}

/// Why a text is not a SemVer version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VersionErrorKind {
    /// The text is empty.
    Empty,
    /// The text is longer than [`MAX_VERSION_LEN`].
    TooLong,
    /// A byte outside ASCII.
    NonAscii,
    /// Not exactly three dot-separated numeric components.
    WrongComponentCount,
    /// A numeric component or identifier with a leading zero (`01`).
    LeadingZero,
    /// A numeric component does not fit in 64 bits.
    Overflow,
    /// An empty component or pre-release/build identifier.
    EmptyIdentifier,
    /// A character that is not allowed at this place.
    InvalidCharacter,
}

impl VersionErrorKind {
    const fn describe(self) -> &'static str {
        match self {
            Self::Empty => "empty version",
            Self::TooLong => "version text too long",
            Self::NonAscii => "non-ASCII character",
            Self::WrongComponentCount => "expected exactly three components MAJOR.MINOR.PATCH",
            Self::LeadingZero => "leading zero in a numeric component",
            Self::Overflow => "numeric component does not fit in 64 bits",
            Self::EmptyIdentifier => "empty component or identifier",
            Self::InvalidCharacter => "invalid character",
        }
    }
}

/// A text that is not a strict SemVer version: the [`kind`](Self::kind) and the byte
/// [`offset`](Self::offset) where parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version {input:?}: {} at byte {offset}", kind.describe())]
pub struct VersionError {
    kind: VersionErrorKind,
    offset: usize,
    input: String,
}

impl VersionError {
    fn new(kind: VersionErrorKind, offset: usize, input: &str) -> Self {
        // Keep the error small even for absurd input.
        let input = if input.len() > 64 {
            let cut = input.floor_char_boundary(64);
            format!("{}…", input.get(..cut).unwrap_or_default())
        } else {
            input.to_owned()
        };
        Self {
            kind,
            offset,
            input,
        }
    }

    /// What is wrong.
    #[must_use]
    pub const fn kind(&self) -> VersionErrorKind {
        self.kind
    }

    /// Byte offset in the input where the problem was found.
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The rejected text (cut to 64 bytes).
    #[must_use]
    pub fn input(&self) -> &str {
        &self.input
    }
}

fn parse_numeric(part: &str, start: usize, input: &str) -> Result<u64, VersionError> {
    if part.is_empty() {
        return Err(VersionError::new(
            VersionErrorKind::EmptyIdentifier,
            start,
            input,
        ));
    }
    if let Some(i) = part.bytes().position(|b| !b.is_ascii_digit()) {
        return Err(VersionError::new(
            VersionErrorKind::InvalidCharacter,
            start + i,
            input,
        ));
    }
    if part.len() > 1 && part.starts_with('0') {
        return Err(VersionError::new(
            VersionErrorKind::LeadingZero,
            start,
            input,
        ));
    }
    part.parse::<u64>()
        .map_err(|_| VersionError::new(VersionErrorKind::Overflow, start, input))
}

fn check_identifiers(
    part: &str,
    start: usize,
    input: &str,
    numeric_rule: bool,
) -> Result<(), VersionError> {
    let mut offset = start;
    for ident in part.split('.') {
        if ident.is_empty() {
            return Err(VersionError::new(
                VersionErrorKind::EmptyIdentifier,
                offset,
                input,
            ));
        }
        if let Some(i) = ident
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(VersionError::new(
                VersionErrorKind::InvalidCharacter,
                offset + i,
                input,
            ));
        }
        if numeric_rule
            && ident.len() > 1
            && ident.starts_with('0')
            && ident.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(VersionError::new(
                VersionErrorKind::LeadingZero,
                offset,
                input,
            ));
        }
        offset += ident.len() + 1;
    }
    Ok(())
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(VersionError::new(VersionErrorKind::Empty, 0, s));
        }
        if s.len() > MAX_VERSION_LEN {
            return Err(VersionError::new(
                VersionErrorKind::TooLong,
                MAX_VERSION_LEN,
                s,
            ));
        }
        if let Some(i) = s.bytes().position(|b| !b.is_ascii()) {
            return Err(VersionError::new(VersionErrorKind::NonAscii, i, s));
        }
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => (r, Some((b, r.len() + 1))),
            None => (s, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some((p, c.len() + 1))),
            None => (rest, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() != 3 {
            return Err(VersionError::new(
                VersionErrorKind::WrongComponentCount,
                0,
                s,
            ));
        }
        let mut nums = [0u64; 3];
        let mut offset = 0;
        for (slot, part) in nums.iter_mut().zip(&parts) {
            *slot = parse_numeric(part, offset, s)?;
            offset += part.len() + 1;
        }
        if let Some((p, at)) = pre {
            check_identifiers(p, at, s, true)?;
        }
        if let Some((b, at)) = build {
            check_identifiers(b, at, s, false)?;
        }
        let [major, minor, patch] = nums;
        Ok(Self {
            major,
            minor,
            patch,
            pre: pre.map(|(p, _)| p.to_owned()),
            build: build.map(|(b, _)| b.to_owned()),
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        if let Some(build) = &self.build {
            write!(f, "+{build}")?;
        }
        Ok(())
    }
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let xn = x.bytes().all(|c| c.is_ascii_digit());
                let yn = y.bytes().all(|c| c.is_ascii_digit());
                let ord = match (xn, yn) {
                    // No leading zeros, so longer means larger.
                    (true, true) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => cmp_pre(a, b),
            })
            .then_with(|| self.build.cmp(&other.build))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Serialize a type as its `Display` string and deserialize it with its `FromStr`.
macro_rules! serde_as_string {
    ($($t:ty),+) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}

pub(crate) use serde_as_string;

serde_as_string!(Version);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_semver() {
        let v: Version = "1.0.0-alpha.1+build.7".parse().unwrap();
        assert_eq!(v.pre_release(), Some("alpha.1"));
        assert_eq!(v.build(), Some("build.7"));
        assert!(!v.is_release());
        assert_eq!(v.to_string(), "1.0.0-alpha.1+build.7");
    }

    #[test]
    fn rejections_have_kinds() {
        let k = |s: &str| s.parse::<Version>().unwrap_err().kind();
        assert_eq!(k(""), VersionErrorKind::Empty);
        assert_eq!(k("01.2.3"), VersionErrorKind::LeadingZero);
        assert_eq!(k("1.2"), VersionErrorKind::WrongComponentCount);
        assert_eq!(k("1.2.3.4"), VersionErrorKind::WrongComponentCount);
        assert_eq!(k("1.2.x"), VersionErrorKind::InvalidCharacter);
        assert_eq!(k("1.2.3-01"), VersionErrorKind::LeadingZero);
        assert_eq!(k("1.2.3-"), VersionErrorKind::EmptyIdentifier);
        assert_eq!(k("1.2.3-a..b"), VersionErrorKind::EmptyIdentifier);
        assert_eq!(k("1.2.٣"), VersionErrorKind::NonAscii);
        assert_eq!(k("99999999999999999999.0.0"), VersionErrorKind::Overflow);
        assert_eq!(k("v1.2.3"), VersionErrorKind::InvalidCharacter);
        // build metadata may have leading zeros
        assert!("1.2.3+001".parse::<Version>().is_ok());
    }

    #[test]
    fn ten_thousand_digits_is_a_typed_error() {
        let s = format!("{}.0.0", "9".repeat(10_000));
        let e = s.parse::<Version>().unwrap_err();
        assert_eq!(e.kind(), VersionErrorKind::TooLong);
        assert!(e.input().len() < 80);
        let s = format!("1.0.{}", "9".repeat(40));
        assert_eq!(
            s.parse::<Version>().unwrap_err().kind(),
            VersionErrorKind::Overflow
        );
    }

    #[test]
    fn precedence_follows_semver() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        let vs: Vec<Version> = order.iter().map(|s| s.parse().unwrap()).collect();
        for w in vs.windows(2) {
            assert!(w[0] < w[1], "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn serde_is_a_string() {
        let v = Version::new(0, 5, 0);
        let j = serde_json::to_string(&v).unwrap();
        assert_eq!(j, "\"0.5.0\"");
        assert_eq!(serde_json::from_str::<Version>(&j).unwrap(), v);
        assert!(serde_json::from_str::<Version>("\"0.5\"").is_err());
    }
}
