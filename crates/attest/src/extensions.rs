//! Fulcio certificate extensions (OIDs under 1.3.6.1.4.1.57264.1): legacy .1-.6 and v2 .8-.22.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use const_oid::ObjectIdentifier;
use der::Decode;
use der::asn1::Utf8StringRef;

use crate::error::{Error, IdentityError, PolicyError, err};

macro_rules! fulcio {
    ($( $(#[$doc:meta])* $variant:ident = $arc:literal, $name:literal, $legacy:literal; )*) => {
        /// A Fulcio certificate extension, named as in the Fulcio OID registry.
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum FulcioExtension {
            $( $(#[$doc])* $variant, )*
        }

        impl FulcioExtension {
            /// Every extension known to `attest`.
            pub const ALL: &'static [FulcioExtension] = &[$(FulcioExtension::$variant,)*];

            /// The last arc of the OID (`1.3.6.1.4.1.57264.1.<arc>`).
            pub fn arc(self) -> u32 {
                match self { $( FulcioExtension::$variant => $arc, )* }
            }

            /// The stable snake_case name (`source_repository_uri`, `gh_workflow_ref_v1`, ...).
            pub fn name(self) -> &'static str {
                match self { $( FulcioExtension::$variant => $name, )* }
            }

            /// Whether this is a legacy (.1-.6) extension whose value is raw bytes, not DER.
            pub fn is_legacy(self) -> bool {
                match self { $( FulcioExtension::$variant => $legacy, )* }
            }
        }
    };
}

fulcio! {
    /// .1 OIDC issuer (legacy, raw bytes).
    IssuerV1 = 1, "issuer_v1", true;
    /// .2 GitHub workflow trigger (legacy).
    GithubWorkflowTriggerV1 = 2, "gh_workflow_trigger_v1", true;
    /// .3 GitHub workflow SHA (legacy).
    GithubWorkflowShaV1 = 3, "gh_workflow_sha_v1", true;
    /// .4 GitHub workflow name (legacy).
    GithubWorkflowNameV1 = 4, "gh_workflow_name_v1", true;
    /// .5 GitHub workflow repository `owner/repo` (legacy).
    GithubWorkflowRepositoryV1 = 5, "gh_workflow_repository_v1", true;
    /// .6 GitHub workflow ref (legacy).
    GithubWorkflowRefV1 = 6, "gh_workflow_ref_v1", true;
    /// .8 OIDC issuer.
    Issuer = 8, "issuer", false;
    /// .9 Build signer URI.
    BuildSignerUri = 9, "build_signer_uri", false;
    /// .10 Build signer digest.
    BuildSignerDigest = 10, "build_signer_digest", false;
    /// .11 Runner environment (`github-hosted`, `self-hosted`).
    RunnerEnvironment = 11, "runner_environment", false;
    /// .12 Source repository URI.
    SourceRepositoryUri = 12, "source_repository_uri", false;
    /// .13 Source repository digest (commit).
    SourceRepositoryDigest = 13, "source_repository_digest", false;
    /// .14 Source repository ref.
    SourceRepositoryRef = 14, "source_repository_ref", false;
    /// .15 Source repository identifier.
    SourceRepositoryIdentifier = 15, "source_repository_identifier", false;
    /// .16 Source repository owner URI.
    SourceRepositoryOwnerUri = 16, "source_repository_owner_uri", false;
    /// .17 Source repository owner identifier.
    SourceRepositoryOwnerIdentifier = 17, "source_repository_owner_identifier", false;
    /// .18 Build config URI.
    BuildConfigUri = 18, "build_config_uri", false;
    /// .19 Build config digest.
    BuildConfigDigest = 19, "build_config_digest", false;
    /// .20 Build trigger (`push`, `release`, `workflow_dispatch`, ...).
    BuildTrigger = 20, "build_trigger", false;
    /// .21 Run invocation URI.
    RunInvocationUri = 21, "run_invocation_uri", false;
    /// .22 Source repository visibility at signing.
    SourceRepositoryVisibilityAtSigning = 22, "source_repository_visibility_at_signing", false;
}

const FULCIO_ARC_PREFIX: &str = "1.3.6.1.4.1.57264.1.";

impl FulcioExtension {
    /// The full OID in dotted form (`1.3.6.1.4.1.57264.1.20`).
    #[must_use]
    pub fn oid(self) -> String {
        format!("{FULCIO_ARC_PREFIX}{}", self.arc())
    }

    /// The full OID as the certificate model spells it.
    pub(crate) fn object_id(self) -> ObjectIdentifier {
        // The prefix and arc are constants, so this never fails; fall back to the arc root.
        ObjectIdentifier::new(&self.oid())
            .unwrap_or(ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1"))
    }

    /// The extension with this dotted OID (`1.3.6.1.4.1.57264.1.20`), if known.
    #[must_use]
    pub fn from_oid(oid: &str) -> Option<Self> {
        let arc: u32 = oid.strip_prefix(FULCIO_ARC_PREFIX)?.parse().ok()?;
        FulcioExtension::ALL
            .iter()
            .copied()
            .find(|e| e.arc() == arc)
    }

    /// The extension with this OID of the certificate model, if known.
    pub(crate) fn from_object_id(oid: &ObjectIdentifier) -> Option<Self> {
        Self::from_oid(&oid.to_string())
    }
}

impl fmt::Display for FulcioExtension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FulcioExtension {
    /// The kebab-case name a policy file uses (`source-repository-uri`): [`name`](Self::name)
    /// with `-` for `_`.
    pub fn kebab_name(self) -> String {
        self.name().replace('_', "-")
    }
}

impl FromStr for FulcioExtension {
    type Err = Error;
    /// Accepts the snake_case name (`build_trigger`), the kebab-case name (`build-trigger`) or
    /// the dotted OID (`1.3.6.1.4.1.57264.1.20`).
    fn from_str(s: &str) -> Result<Self, Error> {
        FulcioExtension::ALL
            .iter()
            .copied()
            .find(|e| e.name() == s || e.kebab_name() == s || e.oid() == s)
            .ok_or_else(|| {
                let known: Vec<String> = FulcioExtension::ALL
                    .iter()
                    .map(|e| e.kebab_name())
                    .collect();
                err(
                    PolicyError::Invalid,
                    format!(
                        "unknown Fulcio extension {s:?}; known: {}",
                        known.join(", ")
                    ),
                )
            })
    }
}

impl<'de> serde::Deserialize<'de> for FulcioExtension {
    /// Any spelling [`FromStr`] accepts; an unknown name is an error naming it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize<'de>>::deserialize(d)?;
        s.parse()
            .map_err(|e: Error| serde::de::Error::custom(e.detail()))
    }
}

/// The Fulcio extension values of one certificate, by extension.
pub type ExtensionValues = BTreeMap<FulcioExtension, String>;

/// Decode one extension value: legacy values are raw UTF-8, v2 values a DER UTF8String.
pub(crate) fn decode_value(ext: FulcioExtension, raw: &[u8]) -> Result<String, Error> {
    if ext.is_legacy() {
        String::from_utf8(raw.to_vec()).map_err(|_| {
            err(
                IdentityError::ExtensionConflict,
                format!("extension {ext} is not UTF-8"),
            )
        })
    } else {
        Utf8StringRef::from_der(raw)
            .map(|s| s.as_str().to_owned())
            .map_err(|e| {
                err(
                    IdentityError::ExtensionConflict,
                    format!("extension {ext} is not a DER UTF8String"),
                )
                .with_source(e)
            })
    }
}

/// Check that legacy and v2 values agree where both are present.
pub(crate) fn cross_check(values: &ExtensionValues) -> Result<(), Error> {
    use FulcioExtension as F;
    let pairs = [
        (F::IssuerV1, F::Issuer),
        (F::GithubWorkflowTriggerV1, F::BuildTrigger),
        (F::GithubWorkflowShaV1, F::SourceRepositoryDigest),
        (F::GithubWorkflowRefV1, F::SourceRepositoryRef),
    ];
    for (legacy, v2) in pairs {
        if let (Some(a), Some(b)) = (values.get(&legacy), values.get(&v2))
            && a != b
        {
            return Err(err(
                IdentityError::ExtensionConflict,
                format!("{legacy} is {a:?} but {v2} is {b:?}"),
            ));
        }
    }
    if let (Some(repo), Some(uri)) = (
        values.get(&F::GithubWorkflowRepositoryV1),
        values.get(&F::SourceRepositoryUri),
    ) && !uri.ends_with(&format!("/{repo}"))
    {
        return Err(err(
            IdentityError::ExtensionConflict,
            format!(
                "{} is {repo:?} but {} is {uri:?}",
                F::GithubWorkflowRepositoryV1,
                F::SourceRepositoryUri
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::test_support::assert_refused;

    #[test]
    fn names_and_oids_round_trip() {
        for e in FulcioExtension::ALL {
            assert_eq!(e.kebab_name().parse::<FulcioExtension>().unwrap(), *e);
            assert_eq!(FulcioExtension::from_oid(&e.oid()), Some(*e));
            assert_eq!(FulcioExtension::from_object_id(&e.object_id()), Some(*e));
            assert_eq!(e.name().parse::<FulcioExtension>().unwrap(), *e);
            assert_eq!(e.oid().parse::<FulcioExtension>().unwrap(), *e);
        }
        assert_eq!(
            FulcioExtension::BuildTrigger.oid(),
            "1.3.6.1.4.1.57264.1.20"
        );
        assert!("1.3.6.1.4.1.57264.1.7".parse::<FulcioExtension>().is_err());
        assert_eq!(
            "source-repository-digest"
                .parse::<FulcioExtension>()
                .unwrap(),
            FulcioExtension::SourceRepositoryDigest
        );
        let e = "source-repo".parse::<FulcioExtension>().unwrap_err();
        assert!(e.detail().contains("\"source-repo\""), "{e}");
        assert!(e.detail().contains("build-trigger"), "{e}");
    }

    #[test]
    fn cross_check_rejects_disagreement() {
        let mut v = ExtensionValues::new();
        v.insert(FulcioExtension::GithubWorkflowTriggerV1, "push".into());
        v.insert(FulcioExtension::BuildTrigger, "push".into());
        v.insert(FulcioExtension::GithubWorkflowRepositoryV1, "o/r".into());
        v.insert(
            FulcioExtension::SourceRepositoryUri,
            "https://github.com/o/r".into(),
        );
        cross_check(&v).unwrap();
        v.insert(FulcioExtension::BuildTrigger, "workflow_dispatch".into());
        assert_refused(
            cross_check(&v),
            ErrorKind::Identity(IdentityError::ExtensionConflict),
        );
        v.insert(FulcioExtension::BuildTrigger, "push".into());
        v.insert(
            FulcioExtension::SourceRepositoryUri,
            "https://github.com/o/other".into(),
        );
        assert_refused(
            cross_check(&v),
            ErrorKind::Identity(IdentityError::ExtensionConflict),
        );
    }

    #[test]
    fn v2_values_must_be_der() {
        assert_eq!(
            decode_value(FulcioExtension::BuildTrigger, b"\x0c\x04push").unwrap(),
            "push"
        );
        assert!(decode_value(FulcioExtension::BuildTrigger, b"push").is_err());
        assert_eq!(
            decode_value(FulcioExtension::GithubWorkflowTriggerV1, b"push").unwrap(),
            "push"
        );
    }
}
