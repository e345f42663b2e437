//! The Sigstore bundle format version and its spellings (media types, `0.2`).

use crate::error::{BundleError, Error, err};

/// The bundle format version.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`
    V0_1,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.2`
    V0_2,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.3` or `...bundle.v0.3+json`
    V0_3,
}

impl BundleVersion {
    /// The version named by a bundle media type.
    pub fn from_media_type(mt: &str) -> Option<Self> {
        match mt {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(BundleVersion::V0_1),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(BundleVersion::V0_2),
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(BundleVersion::V0_3),
            _ => None,
        }
    }
}

impl BundleVersion {
    /// The canonical media type of this version (v0.3 uses the new spelling).
    pub fn media_type(self) -> &'static str {
        match self {
            BundleVersion::V0_1 => "application/vnd.dev.sigstore.bundle+json;version=0.1",
            BundleVersion::V0_2 => "application/vnd.dev.sigstore.bundle+json;version=0.2",
            BundleVersion::V0_3 => "application/vnd.dev.sigstore.bundle.v0.3+json",
        }
    }
}

impl std::fmt::Display for BundleVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.media_type())
    }
}

impl std::str::FromStr for BundleVersion {
    type Err = Error;
    /// Accepts every media-type spelling of a supported version.
    fn from_str(s: &str) -> Result<Self, Error> {
        BundleVersion::from_media_type(s).ok_or_else(|| {
            err(
                BundleError::VersionUnsupported,
                format!("unsupported bundle mediaType {s:?}"),
            )
        })
    }
}

impl<'de> serde::Deserialize<'de> for BundleVersion {
    /// `0.1`, `0.2`, `0.3` (also with a leading `v`), a bundle media type, or the variant name
    /// (`V0_2`, what `Serialize` writes).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize<'de>>::deserialize(d)?;
        BundleVersion::from_short_name(&s)
            .or_else(|| BundleVersion::from_media_type(&s))
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "bundle version {s:?} is not one of \"0.1\", \"0.2\", \"0.3\""
                ))
            })
    }
}

impl BundleVersion {
    /// The version named `0.1`, `v0.2`, `V0_3`, ... (not a media type).
    pub fn from_short_name(s: &str) -> Option<Self> {
        match s.trim_start_matches(['v', 'V']) {
            "0.1" | "0_1" => Some(BundleVersion::V0_1),
            "0.2" | "0_2" => Some(BundleVersion::V0_2),
            "0.3" | "0_3" => Some(BundleVersion::V0_3),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_media_types_deserialize() {
        let v = |s: &str| serde_json::from_value::<BundleVersion>(serde_json::json!(s));
        assert_eq!(v("0.1").unwrap(), BundleVersion::V0_1);
        assert_eq!(v("v0.2").unwrap(), BundleVersion::V0_2);
        assert_eq!(v("V0_3").unwrap(), BundleVersion::V0_3);
        assert_eq!(
            v("application/vnd.dev.sigstore.bundle.v0.3+json").unwrap(),
            BundleVersion::V0_3
        );
        let e = v("0.4").unwrap_err().to_string();
        assert!(e.contains("\"0.4\""), "{e}");
        assert!(v("").is_err());
        assert_eq!(
            serde_json::to_value(BundleVersion::V0_2).unwrap(),
            serde_json::json!("V0_2")
        );
        assert_eq!(
            serde_json::from_value::<BundleVersion>(
                serde_json::to_value(BundleVersion::V0_2).unwrap()
            )
            .unwrap(),
            BundleVersion::V0_2
        );
    }
}
