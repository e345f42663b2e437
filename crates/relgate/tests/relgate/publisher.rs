//! `publisher-identity` against relkit-testkit's loopback fake of npm's `whoami` and org-roster
//! endpoints: the right publisher passes; another user, a user outside the scope and a role
//! that may not publish each fail with their code; no token, a refused token, an unknown org
//! and an unreachable registry fail closed; the token shows nowhere in the report.

use crate::support::policy_from;
use relgate::{Code, Endpoints, Format, GateStatus, Phase, Policy, RunContext, RunOptions};
use relkit_testkit::npm_org::{NpmIdentity, NpmOrgFake};

const TOKEN: &str = "npm-publish-SECRET-4711";

fn policy(publisher: &str) -> Policy {
    policy_from(&format!(
        "[project]\nname = \"s\"\n[registries.npm-client]\nkind = \"npm\"\npackage = \"@sketchlog/client\"\npublisher = {publisher}\n"
    ))
}

fn run(policy: &Policy, base: &str, token: Option<&str>) -> relgate::Report {
    let mut e = Endpoints::new();
    e.insert("npm-client", base).unwrap();
    if let Some(t) = token {
        e.insert_token("npm-client", regclient::Secret::new(t));
    }
    let dir = tempfile::tempdir().unwrap();
    relgate::run_blocking(
        policy,
        RunContext::new(dir.path()).tag("v1.0.0").options(
            RunOptions::default()
                .endpoints(e)
                .phases([Phase::Preflight]),
        ),
    )
}

fn gate(r: &relgate::Report) -> &relgate::report::GateReport {
    r.gate("publisher-identity").unwrap()
}

#[test]
fn the_publisher_passes_and_each_mismatch_has_its_code() {
    let fake = NpmOrgFake::start(
        NpmIdentity::default()
            .user(TOKEN, "sketchlog-release")
            .member("sketchlog", "sketchlog-release", "developer")
            .member("sketchlog", "ada", "owner"),
    );
    let named = policy("{ user = \"sketchlog-release\", scope = \"@sketchlog\" }");
    // Implied by the key: no [gates] entry needed.
    let r = run(&named, fake.base(), Some(TOKEN));
    let g = gate(&r);
    assert_eq!(g.status, GateStatus::Pass, "{g:#?}");
    assert_eq!(g.evidence["publishers"][0]["user"], "sketchlog-release");
    assert_eq!(g.evidence["publishers"][0]["role"], "developer");
    assert_eq!(g.evidence["publishers"][0]["scope"], "@sketchlog");

    // The token belongs to someone else.
    let other = policy("{ user = \"ada\" }");
    let r = run(&other, fake.base(), Some(TOKEN));
    assert_eq!(r.root_cause_codes(), [Code::PublisherMismatch]);

    // The org's only member is `user` with `role`; the token's user publishes under `publisher`.
    let org_of_one = |user: &str, role: &str, publisher: &str| {
        fake.set(
            NpmIdentity::default()
                .user(TOKEN, "sketchlog-release")
                .member("sketchlog", user, role),
        );
        run(&policy(publisher), fake.base(), Some(TOKEN))
    };

    // The user is not in the org (the scope defaults to the package's own).
    let r = org_of_one("ada", "owner", "{}");
    assert_eq!(r.root_cause_codes(), [Code::PublisherNotInScope]);

    // A member whose role the policy does not let publish.
    let r = org_of_one("sketchlog-release", "developer", "{ roles = [\"owner\"] }");
    assert_eq!(r.root_cause_codes(), [Code::PublisherNotInScope]);
    let f = &gate(&r).findings[0].finding;
    assert!(f.found.as_deref().unwrap().contains("developer"), "{f:?}");

    // The token is in no rendering of any of these reports.
    for format in Format::ALL {
        let text = format.render(&r, false);
        assert!(!text.contains("SECRET"), "{format:?}: {text}");
    }
}

#[test]
fn no_token_a_refused_token_an_unknown_org_and_no_answer_fail_closed() {
    let fake = NpmOrgFake::start(NpmIdentity::default().user(TOKEN, "sketchlog-release"));
    let p = policy("{ scope = \"@sketchlog\" }");
    let closed = |r: &relgate::Report, says: &str| {
        let g = gate(r);
        assert!(
            matches!(g.status, GateStatus::Fail | GateStatus::Error),
            "{g:#?}"
        );
        assert_eq!(r.root_cause_codes(), [Code::GateError]);
        let found = g.findings[0].finding.found.clone().unwrap_or_default();
        assert!(found.contains(says), "{found}");
        assert!(!found.contains("SECRET"), "{found}");
    };
    closed(
        &run(&p, fake.base(), None),
        "RELKIT_REGISTRY_NPM_CLIENT_TOKEN",
    );
    closed(&run(&p, fake.base(), Some("another-SECRET-token")), "401");
    closed(&run(&p, fake.base(), Some(TOKEN)), "404");
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://{}/", silent.local_addr().unwrap());
    drop(silent);
    closed(&run(&p, &gone, Some(TOKEN)), "npm-client");
}

#[test]
fn publisher_is_refused_on_a_registry_that_is_not_npm() {
    let err = Policy::from_toml_str(
        "[project]\nname = \"s\"\n[registries.py]\nkind = \"pypi\"\npackage = \"s\"\npublisher = { user = \"x\" }\n",
        "release.toml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("registries.py.publisher"), "{err}");
    assert!(err.to_string().contains("npm registries only"), "{err}");
}
