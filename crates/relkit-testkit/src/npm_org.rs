//! A loopback fake of npm's publisher-identity endpoints, answered as npm's registry API
//! documents them (verdaccio answers `whoami` but has no orgs):
//!
//! - `GET /-/whoami` with `Authorization: Bearer <token>`: `{"username": "<user>"}`; an unknown
//!   or absent token answers 401 `{"error": "..."}`.
//! - `GET /-/org/{org}/user` (the org without its `@`): the roster `{"<user>": "<role>", …}`
//!   with roles `owner`, `admin`, `developer`, to a known token; 401 without one; 404 for an
//!   org the fake does not know.
//!
//! [`NpmIdentity::answer`] is the protocol as a function, so that another loopback registry
//! (relkit-demo's npm) can answer the same way; [`NpmOrgFake`] serves it alone.
//!
//! ```
//! use relkit_testkit::npm_org::{NpmIdentity, NpmOrgFake};
//! let id = NpmIdentity::default().user("tok-1", "ada").member("sketchlog", "ada", "developer");
//! let (status, body) = id.answer("/-/whoami", Some("Bearer tok-1")).unwrap();
//! assert_eq!((status, body["username"].as_str()), (200, Some("ada")));
//! let fake = NpmOrgFake::start(id);
//! assert!(fake.base().starts_with("http://127.0.0.1:"));
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};

use crate::github::{GithubFake, Reply};

/// Who each token is and each org's roster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NpmIdentity {
    users: BTreeMap<String, String>,
    orgs: BTreeMap<String, BTreeMap<String, String>>,
}

impl NpmIdentity {
    /// Token `token` belongs to user `name`.
    #[must_use]
    pub fn user(mut self, token: &str, name: &str) -> Self {
        self.users.insert(token.to_owned(), name.to_owned());
        self
    }

    /// User `name` is a member of org `org` (without `@`) with `role`.
    #[must_use]
    pub fn member(mut self, org: &str, name: &str, role: &str) -> Self {
        self.orgs
            .entry(org.trim_start_matches('@').to_owned())
            .or_default()
            .insert(name.to_owned(), role.to_owned());
        self
    }

    /// The answer (status, JSON body) to a GET of `path` with `authorization`; `None` when
    /// `path` is not one of these endpoints.
    pub fn answer(&self, path: &str, authorization: Option<&str>) -> Option<(u16, Value)> {
        let path = path.split('?').next().unwrap_or(path);
        let user = authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .and_then(|t| self.users.get(t.trim()));
        let unauthorized = || (401, json!({"error": "You must be logged in to do that"}));
        if path == "/-/whoami" {
            return Some(match user {
                Some(u) => (200, json!({ "username": u })),
                None => unauthorized(),
            });
        }
        let org = path.strip_prefix("/-/org/")?.strip_suffix("/user")?;
        Some(match (user, self.orgs.get(org.trim_start_matches('@'))) {
            (None, _) => unauthorized(),
            (Some(_), None) => (404, json!({"error": "Scope not found"})),
            (Some(_), Some(roster)) => (200, json!(roster)),
        })
    }
}

/// A loopback server answering [`NpmIdentity`]'s endpoints (404 for any other path).
pub struct NpmOrgFake {
    server: GithubFake,
    identity: Arc<Mutex<NpmIdentity>>,
}

impl NpmOrgFake {
    /// Starts the fake on `127.0.0.1` (fails the calling test when it cannot bind).
    #[track_caller]
    pub fn start(identity: NpmIdentity) -> NpmOrgFake {
        let identity = Arc::new(Mutex::new(identity));
        let shared = Arc::clone(&identity);
        let server = GithubFake::with_handler(move |_, req| {
            let id = shared.lock().unwrap_or_else(PoisonError::into_inner);
            match id.answer(&req.path, req.authorization.as_deref()) {
                Some((status, body)) => Reply {
                    status,
                    headers: Vec::new(),
                    body: body.to_string(),
                },
                None => Reply {
                    status: 404,
                    headers: Vec::new(),
                    body: json!({"error": "Not found"}).to_string(),
                },
            }
        });
        NpmOrgFake { server, identity }
    }

    /// The registry base URL.
    pub fn base(&self) -> &str {
        self.server.base()
    }

    /// Replaces who the tokens are and the rosters.
    pub fn set(&self, identity: NpmIdentity) {
        *self.identity.lock().unwrap_or_else(PoisonError::into_inner) = identity;
    }
}
