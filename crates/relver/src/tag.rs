//! Release tags (`v1.2.3`, `clients/go/v1.2.3`) and the strict tag guard.

use std::fmt;
use std::str::FromStr;

use crate::version::{MAX_VERSION_LEN, Version, VersionErrorKind};

/// A release tag: a prefix (`v`, `clients/go/v`, or empty) followed by a [`Version`].
///
/// The prefix is everything before the first digit of the last path segment, so `FromStr` and
/// `Display` round-trip. `FromStr` accepts any SemVer version; the release guard with a policy is
/// [`parse_tag`].
///
/// ```
/// use relver::{Tag, Version};
/// let tag: Tag = "clients/go/v1.2.3".parse()?;
/// assert_eq!(tag.prefix(), "clients/go/v");
/// assert_eq!(tag.version(), &Version::new(1, 2, 3));
/// assert_eq!(tag.to_string(), "clients/go/v1.2.3");
/// # Ok::<(), relver::TagError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    prefix: String,
    version: Version,
}

impl Tag {
    /// A tag from a prefix and a version. Fails when the prefix could not be told apart from the
    /// version when the tag is read back (a digit after its last `/`) or is not ASCII.
    pub fn new(prefix: impl Into<String>, version: Version) -> Result<Self, TagError> {
        let prefix = prefix.into();
        let last = prefix.rsplit('/').next().unwrap_or("");
        if !prefix.is_ascii()
            || last.bytes().any(|b| b.is_ascii_digit())
            || prefix.chars().any(char::is_whitespace)
        {
            let input = format!("{prefix}{version}");
            return Err(TagError {
                input,
                reason: TagRejection::InvalidPrefix { prefix },
            });
        }
        Ok(Self { prefix, version })
    }

    /// The prefix (`v`, `clients/go/v`, or empty).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The version.
    #[must_use]
    pub const fn version(&self) -> &Version {
        &self.version
    }

    /// The same version under another prefix (a coupled tag: `v1.2.3` → `clients/go/v1.2.3`).
    pub fn with_prefix(&self, prefix: impl Into<String>) -> Result<Self, TagError> {
        Self::new(prefix, self.version.clone())
    }
}

/// Split a tag text into (prefix, rest) where rest starts at the first digit after the last `/`.
fn split_prefix(s: &str) -> (&str, &str) {
    let seg_start = s.rfind('/').map_or(0, |i| i + 1);
    s.get(seg_start..)
        .and_then(|seg| seg.find(|c: char| c.is_ascii_digit()))
        .and_then(|i| s.split_at_checked(seg_start + i))
        .unwrap_or((s, ""))
}

impl FromStr for Tag {
    type Err = TagError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(pos) = s.bytes().position(|b| !b.is_ascii()) {
            return Err(TagError {
                input: short(s),
                reason: TagRejection::NonAscii { position: pos },
            });
        }
        let (prefix, rest) = split_prefix(s);
        let version = rest.parse::<Version>().map_err(|e| TagError {
            input: short(s),
            reason: reason_from_version(e.kind(), prefix.len() + e.offset(), rest),
        })?;
        Self::new(prefix, version)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.prefix, self.version)
    }
}

crate::version::serde_as_string!(Tag);

/// Which tag prefixes a project releases under.
///
/// The default allows only `v`. `test-v` style prefixes are opt-in: add them explicitly.
///
/// ```
/// use relver::TagPolicy;
/// let policy = TagPolicy::default().with_prefix("clients/go/v");
/// assert!(policy.prefixes().iter().any(|p| p == "clients/go/v"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct TagPolicy {
    /// Allowed prefixes; an empty string allows bare `1.2.3` tags.
    pub prefixes: Vec<String>,
}

impl Default for TagPolicy {
    fn default() -> Self {
        Self {
            prefixes: vec!["v".to_owned()],
        }
    }
}

impl TagPolicy {
    /// A policy allowing exactly these prefixes.
    #[must_use]
    pub fn new<I, S>(prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            prefixes: prefixes.into_iter().map(Into::into).collect(),
        }
    }

    /// This policy plus one more allowed prefix.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        let p = prefix.into();
        if !self.prefixes.contains(&p) {
            self.prefixes.push(p);
        }
        self
    }

    /// The allowed prefixes.
    #[must_use]
    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }
}

/// A floating tag such as `v1` or `v1.2`: it moves with releases and is not itself a release.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct FloatingTag {
    /// The prefix (`v`).
    pub prefix: String,
    /// The major component.
    pub major: u64,
    /// The minor component, for `vX.Y`.
    pub minor: Option<u64>,
}

impl fmt::Display for FloatingTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.prefix, self.major)?;
        if let Some(m) = self.minor {
            write!(f, ".{m}")?;
        }
        Ok(())
    }
}

/// What [`parse_tag`] made of an acceptable tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
#[serde(tag = "class", content = "tag", rename_all = "kebab-case")]
pub enum TagClass {
    /// A strict release tag `PREFIX MAJOR.MINOR.PATCH`.
    Release(Tag),
    /// A floating tag (`v1`, `v1.2`): classified and ignored, never fatal.
    Floating(FloatingTag),
}

impl fmt::Display for TagClass {
    /// The tag as written: `v1.2.3` for a release tag, `v1` or `v1.2` for a floating one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Release(t) => t.fmt(f),
            Self::Floating(t) => t.fmt(f),
        }
    }
}

/// Prefixes as a reader writes them: `` `v` `` or `` `v`, `clients/go/v` ``, `(none)` when the
/// list is empty (the empty prefix reads as `""`).
pub(crate) fn prefix_list(prefixes: &[String]) -> String {
    if prefixes.is_empty() {
        return "(none)".to_owned();
    }
    prefixes
        .iter()
        .map(|p| {
            if p.is_empty() {
                "\"\"".to_owned()
            } else {
                format!("`{p}`")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl TagClass {
    /// The release tag, if this is one.
    #[must_use]
    pub const fn release(&self) -> Option<&Tag> {
        match self {
            Self::Release(t) => Some(t),
            Self::Floating(_) => None,
        }
    }
}

/// Why a tag is not a release tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum TagRejection {
    /// The tag is empty.
    Empty,
    /// A non-ASCII character at this byte position.
    NonAscii {
        /// Byte offset of the first non-ASCII byte.
        position: usize,
    },
    /// The tag has no prefix but the policy requires one of these.
    MissingPrefix {
        /// The allowed prefixes.
        allowed: Vec<String>,
    },
    /// The tag carries more than an allowed prefix (`release-v1.2.3` where `v` is allowed).
    ExtraPrefix {
        /// The prefix found.
        found: String,
        /// The allowed prefix it ends with.
        allowed: String,
    },
    /// The prefix is not one the policy allows.
    UnknownPrefix {
        /// The prefix found.
        found: String,
        /// The allowed prefixes.
        allowed: Vec<String>,
    },
    /// A prefix that cannot be told apart from a version (digits, spaces, non-ASCII).
    InvalidPrefix {
        /// The prefix.
        prefix: String,
    },
    /// A numeric component with a leading zero (`v1.02.3`).
    LeadingZero {
        /// Byte offset in the tag.
        position: usize,
    },
    /// A pre-release part (`v1.2.3-rc.1`).
    PreRelease {
        /// The pre-release text.
        pre_release: String,
    },
    /// Build metadata (`v1.2.3+build.1`).
    BuildMetadata {
        /// The build metadata text.
        build: String,
    },
    /// Not three numeric components (`v1.2.3.4`, `v1.2.`).
    WrongComponentCount {
        /// Number of dot-separated components found before any `-` or `+`.
        found: usize,
    },
    /// A numeric component too large for 64 bits, or a tag longer than the version limit.
    TooLong,
    /// Any other character that does not belong in a SemVer tag.
    InvalidCharacter {
        /// Byte offset in the tag.
        position: usize,
    },
}

impl fmt::Display for TagRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty tag"),
            Self::NonAscii { position } => write!(f, "non-ASCII character at byte {position}"),
            Self::MissingPrefix { allowed } => {
                write!(f, "missing prefix (allowed: {})", prefix_list(allowed))
            }
            Self::ExtraPrefix { found, allowed } => {
                write!(
                    f,
                    "extra text before the prefix: {found:?} where {allowed:?} is allowed"
                )
            }
            Self::UnknownPrefix { found, allowed } => {
                write!(
                    f,
                    "prefix `{found}` is not allowed (allowed: {})",
                    prefix_list(allowed)
                )
            }
            Self::InvalidPrefix { prefix } => {
                write!(f, "prefix {prefix:?} cannot be told apart from a version")
            }
            Self::LeadingZero { position } => write!(f, "leading zero at byte {position}"),
            Self::PreRelease { pre_release } => {
                write!(f, "pre-release {pre_release:?} is not a release")
            }
            Self::BuildMetadata { build } => write!(f, "build metadata {build:?} is not allowed"),
            Self::WrongComponentCount { found } => {
                write!(f, "{found} version components, expected 3")
            }
            Self::TooLong => f.write_str("version component too long"),
            Self::InvalidCharacter { position } => {
                write!(f, "invalid character at byte {position}")
            }
        }
    }
}

/// A tag that is not a release tag, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tag {input:?} rejected: {reason}")]
pub struct TagError {
    input: String,
    reason: TagRejection,
}

impl TagError {
    /// The rejected tag text (cut to 64 bytes).
    #[must_use]
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why it was rejected.
    #[must_use]
    pub const fn reason(&self) -> &TagRejection {
        &self.reason
    }
}

fn short(s: &str) -> String {
    if s.len() <= 64 {
        return s.to_owned();
    }
    let cut = s.floor_char_boundary(64);
    format!("{}…", s.get(..cut).unwrap_or_default())
}

fn reason_from_version(kind: VersionErrorKind, position: usize, rest: &str) -> TagRejection {
    match kind {
        VersionErrorKind::LeadingZero => TagRejection::LeadingZero { position },
        VersionErrorKind::Overflow | VersionErrorKind::TooLong => TagRejection::TooLong,
        VersionErrorKind::NonAscii => TagRejection::NonAscii { position },
        VersionErrorKind::Empty => TagRejection::WrongComponentCount { found: 0 },
        VersionErrorKind::WrongComponentCount | VersionErrorKind::EmptyIdentifier => {
            let core = rest.split(['-', '+']).next().unwrap_or("");
            let found = core.split('.').filter(|c| !c.is_empty()).count();
            if found == 3 {
                TagRejection::InvalidCharacter { position }
            } else {
                TagRejection::WrongComponentCount { found }
            }
        }
        _ => TagRejection::InvalidCharacter { position },
    }
}

/// The strict release-tag guard: classify `input` under `policy`.
///
/// Accepts `PREFIX MAJOR.MINOR.PATCH` with an allowed prefix, ASCII only, no leading zeros, no
/// pre-release and no build metadata. Floating tags (`v1`, `v1.2`) under an allowed prefix are
/// returned as [`TagClass::Floating`], never as an error. Everything else is a [`TagError`] whose
/// [`reason`](TagError::reason) names the rule broken.
///
/// ```
/// use relver::{parse_tag, TagClass, TagPolicy, TagRejection};
/// let policy = TagPolicy::default();
/// let tag = parse_tag("v1.2.3", &policy)?;
/// assert_eq!(tag.release().map(ToString::to_string).as_deref(), Some("v1.2.3"));
/// assert!(matches!(parse_tag("v1", &policy)?, TagClass::Floating(_)));
/// let err = parse_tag("v1.2.3-rc.1", &policy).unwrap_err();
/// assert!(matches!(err.reason(), TagRejection::PreRelease { .. }));
/// # Ok::<(), relver::TagError>(())
/// ```
pub fn parse_tag(input: &str, policy: &TagPolicy) -> Result<TagClass, TagError> {
    let err = |reason| {
        Err(TagError {
            input: short(input),
            reason,
        })
    };
    if input.is_empty() {
        return err(TagRejection::Empty);
    }
    if let Some(position) = input.bytes().position(|b| !b.is_ascii()) {
        return err(TagRejection::NonAscii { position });
    }
    if input.len() > MAX_VERSION_LEN + 256 {
        return err(TagRejection::TooLong);
    }
    let (prefix, rest) = split_prefix(input);
    if !policy.prefixes.iter().any(|p| p == prefix) {
        if prefix.is_empty() {
            return err(TagRejection::MissingPrefix {
                allowed: policy.prefixes.clone(),
            });
        }
        // Longest allowed non-empty prefix that the found prefix ends with.
        let mut best: Option<&String> = None;
        for p in &policy.prefixes {
            if !p.is_empty()
                && prefix.ends_with(p.as_str())
                && best.is_none_or(|b| p.len() > b.len())
            {
                best = Some(p);
            }
        }
        if let Some(allowed) = best {
            return err(TagRejection::ExtraPrefix {
                found: prefix.to_owned(),
                allowed: allowed.clone(),
            });
        }
        if rest.is_empty() {
            // No digits at all: not a version tag under any prefix.
            let allowed = policy.prefixes.clone();
            return if policy.prefixes.iter().any(String::is_empty) || allowed.is_empty() {
                err(TagRejection::WrongComponentCount { found: 0 })
            } else {
                err(TagRejection::UnknownPrefix {
                    found: prefix.to_owned(),
                    allowed,
                })
            };
        }
        return err(TagRejection::UnknownPrefix {
            found: prefix.to_owned(),
            allowed: policy.prefixes.clone(),
        });
    }
    // Floating: one or two numeric components, nothing else.
    let core = rest.split(['-', '+']).next().unwrap_or(rest);
    let comps: Vec<&str> = core.split('.').collect();
    if core.len() == rest.len()
        && comps.len() < 3
        && comps
            .iter()
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
    {
        let mut nums = Vec::with_capacity(2);
        let mut offset = prefix.len();
        for c in &comps {
            if c.len() > 1 && c.starts_with('0') {
                return err(TagRejection::LeadingZero { position: offset });
            }
            match c.parse::<u64>() {
                Ok(n) => nums.push(n),
                Err(_) => return err(TagRejection::TooLong),
            }
            offset += c.len() + 1;
        }
        return Ok(TagClass::Floating(FloatingTag {
            prefix: prefix.to_owned(),
            major: nums.first().copied().unwrap_or(0),
            minor: nums.get(1).copied(),
        }));
    }
    let version = match rest.parse::<Version>() {
        Ok(v) => v,
        Err(e) => {
            return err(reason_from_version(
                e.kind(),
                prefix.len() + e.offset(),
                rest,
            ));
        }
    };
    if let Some(pre) = version.pre_release() {
        return err(TagRejection::PreRelease {
            pre_release: pre.to_owned(),
        });
    }
    if let Some(build) = version.build() {
        return err(TagRejection::BuildMetadata {
            build: build.to_owned(),
        });
    }
    match Tag::new(prefix, version) {
        Ok(t) => Ok(TagClass::Release(t)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str, policy: &TagPolicy) -> TagRejection {
        parse_tag(s, policy).unwrap_err().reason().clone()
    }

    #[test]
    fn accepts_release_tags() {
        let p = TagPolicy::default().with_prefix("clients/go/v");
        for s in ["v0.5.0", "v0.11.12", "clients/go/v1.2.3", "v10.20.30"] {
            let t = parse_tag(s, &p).unwrap();
            assert_eq!(t.release().unwrap().to_string(), s);
        }
    }

    #[test]
    fn typed_rejections() {
        let p = TagPolicy::default();
        let long = format!("v{}.0.0", "9".repeat(10_000));
        let cases = [
            ("", TagRejection::Empty),
            ("v01.2.3", TagRejection::LeadingZero { position: 1 }),
            ("v1.02.3", TagRejection::LeadingZero { position: 3 }),
            (
                "v1.2.3-rc.1",
                TagRejection::PreRelease {
                    pre_release: "rc.1".into(),
                },
            ),
            (
                "v1.2.3+b5",
                TagRejection::BuildMetadata { build: "b5".into() },
            ),
            (
                "1.2.3",
                TagRejection::MissingPrefix {
                    allowed: vec!["v".into()],
                },
            ),
            (
                "release-v1.2.3",
                TagRejection::ExtraPrefix {
                    found: "release-v".into(),
                    allowed: "v".into(),
                },
            ),
            ("v1.2.3.4", TagRejection::WrongComponentCount { found: 4 }),
            ("v1.2.", TagRejection::WrongComponentCount { found: 2 }),
            ("v1.2.٣", TagRejection::NonAscii { position: 5 }),
            ("v1.2.3x", TagRejection::InvalidCharacter { position: 6 }),
            (long.as_str(), TagRejection::TooLong),
            ("v99999999999999999999.0.0", TagRejection::TooLong),
        ];
        for (tag, want) in cases {
            assert_eq!(reason(tag, &p), want, "{tag:.40}");
        }
        assert!(matches!(
            reason("test-v1.2.3", &p),
            TagRejection::ExtraPrefix { .. }
        ));
        assert!(matches!(
            reason("x1.2.3", &p),
            TagRejection::UnknownPrefix { .. }
        ));
    }

    #[test]
    fn opt_in_test_prefix() {
        let p = TagPolicy::default().with_prefix("test-v");
        assert_eq!(
            parse_tag("test-v1.2.3", &p)
                .unwrap()
                .release()
                .unwrap()
                .prefix(),
            "test-v"
        );
    }

    #[test]
    fn floating_tags_are_classified() {
        let p = TagPolicy::default();
        match parse_tag("v1", &p).unwrap() {
            TagClass::Floating(f) => assert_eq!((f.major, f.minor), (1, None)),
            other => panic!("{other:?}"),
        }
        match parse_tag("v1.2", &p).unwrap() {
            TagClass::Floating(f) => {
                assert_eq!((f.major, f.minor), (1, Some(2)));
                assert_eq!(f.to_string(), "v1.2");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(reason("v01", &p), TagRejection::LeadingZero { position: 1 });
    }

    #[test]
    fn classes_and_rejections_read_as_tags_not_rust_values() {
        let p = TagPolicy::new(["v", "clients/go/v"]);
        for (text, shown) in [
            ("v1", "v1"),
            ("v1.2", "v1.2"),
            ("clients/go/v0.9.1", "clients/go/v0.9.1"),
        ] {
            let class = parse_tag(text, &p).unwrap();
            assert_eq!(class.to_string(), shown);
            assert_eq!(format!("a {class} tag"), format!("a {shown} tag"));
        }
        let missing = parse_tag("1.2.3", &p).unwrap_err().reason().to_string();
        assert!(
            missing.eq("missing prefix (allowed: `v`, `clients/go/v`)"),
            "{missing}"
        );
        let unknown = parse_tag("x1.2.3", &p).unwrap_err().reason().to_string();
        assert!(
            unknown.eq("prefix `x` is not allowed (allowed: `v`, `clients/go/v`)"),
            "{unknown}"
        );
        for text in [missing, unknown] {
            assert!(!text.contains('[') && !text.contains('"'), "{text}");
        }
    }

    #[test]
    fn tag_new_rejects_ambiguous_prefix() {
        assert!(Tag::new("v2x", Version::new(1, 0, 0)).is_err());
        assert!(Tag::new("go/v", Version::new(1, 0, 0)).is_ok());
        assert!(Tag::new("a1/v", Version::new(1, 0, 0)).is_ok());
    }
}
