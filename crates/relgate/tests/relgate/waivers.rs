//! Waivers that cannot rot: an expiry date and a reference; an expired waiver covers nothing
//! and blocks the run; every waiver in force is listed in the report.

use relgate::{Code, GateStatus, Policy, RunContext, RunStatus};

/// A policy requiring an asset the folder lacks, waived until `expires`.
fn policy(expires: &str) -> String {
    format!(
        r#"
[project]
name = "demo"
[release]
required-assets = ["*.whl"]
[[waivers]]
gate = "required-assets-present"
code = "asset-missing"
reason = "the wheel ships in the next release"
expires = "{expires}"
reference = "https://example.invalid/issues/7"
"#
    )
}

fn run(text: &str) -> relgate::Report {
    let dir = tempfile::tempdir().unwrap();
    let policy = Policy::from_toml_str(text, "release.toml").unwrap();
    relgate::run_blocking(&policy, RunContext::new(dir.path()))
}

#[test]
fn a_waiver_in_force_waives_and_is_listed() {
    let r = run(&policy("2999-12-31"));
    assert_eq!(r.decision.status, RunStatus::Allowed, "{r:#?}");
    assert_eq!(r.waivers.len(), 1);
    assert_eq!(r.waivers[0].expires.as_deref(), Some("2999-12-31"));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["waivers"][0]["reference"],
        "https://example.invalid/issues/7"
    );
    assert!(r.gate("waivers-current").is_none());
}

#[test]
fn an_expired_waiver_covers_nothing_and_blocks() {
    let r = run(&policy("2020-01-31"));
    assert_eq!(r.decision.status, RunStatus::Blocked, "{r:#?}");
    let step = r.gate("waivers-current").unwrap();
    assert_eq!(step.status, GateStatus::Fail);
    let f = &step.findings[0].finding;
    assert_eq!(f.code, Code::WaiverExpired);
    assert!(f.found.as_deref().unwrap().contains("issues/7"), "{f:?}");
    // The finding it waived blocks again, and the expired waiver is not listed as in force.
    assert_eq!(
        r.root_cause_codes(),
        [Code::AssetMissing, Code::WaiverExpired]
    );
    assert!(r.waivers.is_empty());
}

#[test]
fn an_expiry_that_is_not_a_date_is_a_policy_error_naming_the_key() {
    for bad in ["2026-02-30", "next week", "2026-1-1"] {
        let err = Policy::from_toml_str(&policy(bad), "release.toml").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("waivers[0].expires"), "{bad}: {text}");
    }
}
