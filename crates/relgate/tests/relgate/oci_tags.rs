//! `oci-tags` against a real docker-registry on loopback: promised tags at the release digest,
//! forbidden tags absent.

use regclient::testing::TestRegistry;
use relgate::{Code, Endpoints, GateStatus, Phase, Policy, RunContext, RunOptions};
use relkit_testkit::oci::docker_registry_or_skip as registry;

fn policy() -> Policy {
    Policy::from_toml_str(
        "[project]\nname = \"hub\"\n[tag]\npattern = \"v{version}\"\n\
         [registries.image]\nkind = \"oci\"\npackage = \"example/hub\"\n\
         tags = [\"{major}.{minor}\"]\nforbidden-tags = [\"latest\"]\n\
         [gates.oci-tags]\n[gates.registry-readback]\nphase = \"postpublish\"\n",
        "release.toml",
    )
    .unwrap()
}

fn run(reg: &TestRegistry) -> relgate::Report {
    let mut endpoints = Endpoints::new();
    endpoints.insert("image", reg.base()).unwrap();
    let mut policy = policy();
    // Only the tag gate is under test here.
    policy.waivers.push(relgate::policy::Waiver::new(
        Some("registry-readback"),
        None,
        "images are compared by oci-platforms and oci-tags, not downloaded here",
    ));
    relgate::run_blocking(
        &policy,
        RunContext::new(std::env::temp_dir()).tag("v2.3.1").options(
            RunOptions::default()
                .phases([Phase::Postpublish])
                .endpoints(endpoints),
        ),
    )
}

#[test]
fn promised_tags_must_match_and_latest_must_not_exist() {
    let Some(reg) = registry() else { return };
    let repo = "example/hub";
    let release = reg
        .push_index(repo, &["linux/amd64"], &["2.3.1", "2.3"])
        .unwrap();
    // What the push produced is what a build can know beforehand.
    assert_eq!(
        release,
        regclient::testing::index_digest(repo, &["linux/amd64"]).unwrap()
    );
    let r = run(&reg);
    let g = r.gate("oci-tags").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{r:#?}");
    assert_eq!(
        g.evidence["tags"][0]["version"]["digest"],
        release.to_string()
    );

    // `latest` appears: forbidden.
    reg.push_index(repo, &["linux/amd64"], &["latest"]).unwrap();
    let r = run(&reg);
    assert_eq!(r.root_cause_codes(), [Code::OciTagForbidden]);

    // `2.3` moves to another build: the promised tag no longer points at the release.
    let reg2 = registry().unwrap();
    reg2.push_index(repo, &["linux/amd64"], &["2.3.1"]).unwrap();
    reg2.push_index(repo, &["linux/arm64"], &["2.3"]).unwrap();
    let r = run(&reg2);
    assert_eq!(r.root_cause_codes(), [Code::OciTagMissing]);
    let f = &r.gate("oci-tags").unwrap().findings[0].finding;
    assert_eq!(f.subject, "image: example/hub:2.3");
}
