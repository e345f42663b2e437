//! npm publisher identity: `whoami` against a real verdaccio (which answers it and has no
//! orgs), and the org roster against an in-process server following npm's documented
//! protocol (`GET /-/org/{org}/user` → `{"<user>": "<role>"}`).

use regclient::Secret;
use regclient::npm::{IdentityError, NpmRegistry};

use crate::npm::{start_verdaccio, verdaccio_bin};
use crate::support::*;

#[test]
fn verdaccio_says_who_a_token_is_and_refuses_a_bad_one() {
    let Some(bin) = require_server("verdaccio", verdaccio_bin()) else {
        return;
    };
    let v = start_verdaccio(&bin);
    let reg = NpmRegistry::new(client(), &v.url)
        .unwrap()
        .with_token(Secret::new(v.token.clone()));
    assert_eq!(reg.whoami().unwrap(), "relkit");

    // A token verdaccio never issued: verdaccio answers 200 naming no user (npm answers 401);
    // either way an error, and the token is in no message.
    let forged = "forged-token-0f0f0f0f";
    let bad = NpmRegistry::new(client(), &v.url)
        .unwrap()
        .with_token(Secret::new(forged));
    let err = bad.whoami().unwrap_err();
    assert!(
        matches!(
            err,
            IdentityError::Document { .. } | IdentityError::Refused { status: 401, .. }
        ),
        "{err:?}"
    );
    let shown = format!("{err} {err:?} {bad:?}");
    assert!(!shown.contains(forged), "{shown}");

    // No token: nothing is asked.
    let anonymous = NpmRegistry::new(client(), &v.url).unwrap();
    assert!(matches!(
        anonymous.whoami(),
        Err(IdentityError::NoToken { .. })
    ));

    // verdaccio has no org endpoint: an error, never an empty roster.
    let err = reg.org_roster("@sketchlog").unwrap_err();
    assert!(
        matches!(
            err,
            IdentityError::NotFound { .. } | IdentityError::Refused { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn org_roster_follows_the_documented_protocol_and_sends_the_token_only_there() {
    let server = TestServer::start(|req| {
        let authorized = req.header("authorization") == Some("Bearer roster-token-1234");
        match (req.path.as_str(), authorized) {
            (_, false) => Reply::json(401, &serde_json::json!({"error": "unauthorized"})),
            ("/-/whoami", true) => Reply::json(200, &serde_json::json!({"username": "ada"})),
            ("/-/org/sketchlog/user", true) => Reply::json(
                200,
                &serde_json::json!({"ada": "developer", "grace": "owner"}),
            ),
            _ => Reply::json(404, &serde_json::json!({"error": "Scope not found"})),
        }
    });
    let reg = NpmRegistry::new(client(), &server.url("/"))
        .unwrap()
        .with_token(Secret::new("roster-token-1234"));
    assert_eq!(reg.whoami().unwrap(), "ada");
    let roster = reg.org_roster("@sketchlog").unwrap();
    assert_eq!(roster.get("ada").map(String::as_str), Some("developer"));
    assert_eq!(roster.get("grace").map(String::as_str), Some("owner"));
    assert!(matches!(
        reg.org_roster("elsewhere"),
        Err(IdentityError::NotFound { .. })
    ));
    for bad in ["", "@", "a/b", "é"] {
        assert!(
            matches!(reg.org_roster(bad), Err(IdentityError::InvalidOrg { .. })),
            "{bad:?}"
        );
    }
    // Every request carried the bearer token: it went to this origin, the only one asked.
    let asked = server.requests();
    assert_eq!(asked.len(), 3);
    assert!(asked.iter().all(|r| r.method == "GET"));

    // A whoami answer without a user is an error, not an empty name.
    let anonymous = TestServer::start(|_| Reply::json(200, &serde_json::json!({})));
    let reg = NpmRegistry::new(client(), &anonymous.url("/"))
        .unwrap()
        .with_token(Secret::new("whatever-token"));
    assert!(matches!(reg.whoami(), Err(IdentityError::Document { .. })));
}
