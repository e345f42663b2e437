//! Publisher identity on an npm registry, per npm's registry API: who a token is
//! (`GET /-/whoami` → `{"username": …}`) and an org's roster (`GET /-/org/{org}/user` →
//! `{"<user>": "<role>", …}`, roles `owner`, `admin`, `developer`). Both requests carry the
//! registry's own token, to its own origin only.

use std::collections::BTreeMap;

use url::Url;

use super::NpmRegistry;
use crate::http::{HttpError, Request, join, parse_json, segment};
use crate::secret::redact_url;

/// The org roles that may create and publish packages in the org's scope (npm documents all
/// three: owners and admins manage, developers are members who publish).
pub const PUBLISHING_ROLES: [&str; 3] = ["owner", "admin", "developer"];

/// Why an identity question could not be answered. Never holds the token.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// No token is configured for the registry: nobody to ask about.
    #[error("{registry}: no token is configured for this npm registry")]
    NoToken {
        /// The registry's base URL (without user-info).
        registry: String,
    },
    /// The registry refused the token (401 or 403).
    #[error("{url}: the registry refused the token (HTTP {status})")]
    Refused {
        /// The URL asked (redacted).
        url: String,
        /// The status.
        status: u16,
    },
    /// The registry does not know the endpoint or the org (404).
    #[error(
        "{url}: not found (HTTP 404): the registry has no such org, or does not serve this endpoint"
    )]
    NotFound {
        /// The URL asked (redacted).
        url: String,
    },
    /// The org name is not an npm scope name.
    #[error("invalid npm org name {org:?}")]
    InvalidOrg {
        /// The name given.
        org: String,
    },
    /// The request failed (unreachable, timeout, a status other than the above).
    #[error("npm identity request failed")]
    Http(#[source] HttpError),
    /// The answer is not what the protocol says.
    #[error("{url}: {reason}")]
    Document {
        /// The URL asked (redacted).
        url: String,
        /// Why.
        reason: String,
    },
}

#[derive(serde::Deserialize)]
struct WhoAmI {
    username: Option<String>,
}

impl NpmRegistry {
    /// The user the configured token belongs to (`GET /-/whoami`).
    pub fn whoami(&self) -> Result<String, IdentityError> {
        let url = join(&self.base, "-/whoami").map_err(IdentityError::Http)?;
        let (shown, body) = self.identity_get(&url)?;
        let w: WhoAmI =
            parse_json(&shown, &body, "an npm whoami answer").map_err(IdentityError::Http)?;
        match w.username.map(|u| u.trim().to_owned()) {
            Some(u) if !u.is_empty() => Ok(u),
            _ => Err(IdentityError::Document {
                url: shown,
                reason: String::from("the answer names no user (an anonymous token?)"),
            }),
        }
    }

    /// The roster of org `org` (with or without its leading `@`): user → role
    /// (`GET /-/org/{org}/user`).
    pub fn org_roster(&self, org: &str) -> Result<BTreeMap<String, String>, IdentityError> {
        let name = org.strip_prefix('@').unwrap_or(org);
        let valid = !name.is_empty()
            && name.len() <= 214
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'));
        if !valid {
            return Err(IdentityError::InvalidOrg {
                org: org.to_owned(),
            });
        }
        let url = join(&self.base, &format!("-/org/{}/user", segment(name)))
            .map_err(IdentityError::Http)?;
        let (shown, body) = self.identity_get(&url)?;
        parse_json(&shown, &body, "an npm org roster").map_err(IdentityError::Http)
    }

    /// GETs `url` with the token; 401/403/404 become their own errors.
    fn identity_get(&self, url: &Url) -> Result<(String, Vec<u8>), IdentityError> {
        let credential = self.token.as_ref().ok_or_else(|| IdentityError::NoToken {
            registry: redact_url(&self.base),
        })?;
        let req = Request {
            accept: Some("application/json"),
            credential: Some(credential),
            pass_statuses: &[401, 403, 404],
            ..Request::default()
        };
        let (resp, body) = self
            .http
            .get_bytes(url, &req)
            .map_err(IdentityError::Http)?;
        let shown = redact_url(&resp.url);
        match resp.status {
            401 | 403 => Err(IdentityError::Refused {
                url: shown,
                status: resp.status,
            }),
            404 => Err(IdentityError::NotFound { url: shown }),
            _ => Ok((shown, body)),
        }
    }
}
