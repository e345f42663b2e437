//! Report formats: snapshots of each, JSON round trip, well-formed JUnit, colour only on request.

use std::time::Duration;

use relgate::{
    Code, Finding, Format, GateContext, GateResult, Phase, Policy, Report, RunOptions, RunStatus,
    Severity,
    plan::{GateOptions, Plan},
    policy::Waiver,
    run_plan,
};

use crate::support::{Script, assert_snapshot, gate};

/// A report with every kind of gate end, and text that needs escaping in every format.
async fn mixed_report() -> Report {
    let policy = Policy::from_toml_str(
        "[project]\nname = \"demo <&> \\\"app\\\"\"\n",
        "release.toml",
    )
    .unwrap();
    let mut ctx = GateContext::new(std::sync::Arc::new(policy), std::env::temp_dir());
    ctx.tag = Some("v1.2.3".into());
    ctx.commit = Some("0123456789abcdef0123456789abcdef01234567".into());
    let mut plan = Plan::new();
    plan.add(
        gate(
            "ci-green",
            Phase::Preflight,
            Script::Result(GateResult::pass()),
        ),
        GateOptions::default(),
    );
    plan.add(
        gate(
            "versions-lockstep",
            Phase::Preflight,
            Script::Result(GateResult::error("relver.toml: no such file")),
        ),
        GateOptions::default(),
    );
    plan.add(
        gate(
            "checksum-file",
            Phase::Prepublish,
            Script::Result(GateResult::from_findings(vec![
                Finding::new(Code::DigestMismatch, "demo <1.2.3>.tar.gz")
                    .expected("sha256:aa")
                    .found("sha256:bb")
                    .hint("100% sure: line 2 of SHA256SUMS | rebuild\nthen re-sign, \"carefully\""),
                Finding::new(Code::ChecksumUnlisted, "notes.txt").severity(Severity::Warning),
            ])),
        ),
        GateOptions::default(),
    );
    plan.add(
        gate(
            "required-assets-present",
            Phase::Prepublish,
            Script::Result(GateResult::pass()),
        ),
        GateOptions::default(),
    );
    plan.add(
        gate("slow-gate", Phase::Prepublish, Script::Hang),
        GateOptions::default().timeout(Duration::from_millis(20)),
    );
    plan.add(
        gate(
            "publish-core",
            Phase::Postpublish,
            Script::Result(GateResult::pass()),
        ),
        GateOptions::default(),
    );
    plan.add_unknown("oci-platforms", Phase::Postpublish, GateOptions::default());
    plan.add(
        gate(
            "publish-manifest",
            Phase::Postpublish,
            Script::Result(GateResult::pass()),
        ),
        GateOptions::after(["publish-core"]),
    );
    let waivers = [Waiver::new(
        Some("versions-lockstep"),
        None,
        "versions checked by the old script, tracked in #12",
    )];
    run_plan(&plan, ctx, &waivers, &RunOptions::default())
        .await
        .without_timings()
}

#[tokio::test]
async fn every_format_matches_its_snapshot() {
    let r = mixed_report().await;
    assert_eq!(r.decision.status, RunStatus::Blocked);
    assert_eq!(r.exit_code(), 1);
    assert_snapshot("report.txt", &Format::Terminal.render(&r, false));
    assert_snapshot("report.json", &Format::Json.render(&r, false));
    assert_snapshot("report.md", &Format::Markdown.render(&r, false));
    assert_snapshot("report.github.txt", &Format::Github.render(&r, false));
    assert_snapshot("report.junit.xml", &Format::Junit.render(&r, false));
}

#[tokio::test]
async fn json_is_versioned_and_round_trips() {
    let r = mixed_report().await;
    let text = Format::Json.render(&r, false);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], "relgate-report/1");
    assert_eq!(v["decision"]["status"], "blocked");
    assert_eq!(v["decision"]["action"], "do-not-publish");
    let back: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
}

#[tokio::test]
async fn junit_is_well_formed_and_counts_right() {
    let r = mixed_report().await;
    let xml = Format::Junit.render(&r, false);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            // quick-xml checks that end tags match start tags while reading.
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    b"error" => errors += 1,
                    b"skipped" => skipped += 1,
                    _ => {}
                }
                for a in e.attributes() {
                    a.unwrap().unescape_value().unwrap();
                }
            }
            quick_xml::events::Event::Text(t) => {
                t.unescape().unwrap();
            }
            _ => {}
        }
    }
    assert_eq!(cases, r.gates.len());
    // checksum-file fails; slow-gate times out (an error); three postpublish gates skip.
    assert_eq!((failures, errors, skipped), (1, 1, 3));
}

#[tokio::test]
async fn colour_only_when_asked_and_annotations_escape() {
    let r = mixed_report().await;
    assert!(!Format::Terminal.render(&r, false).contains('\x1b'));
    assert!(Format::Terminal.render(&r, true).contains("\x1b[31;1m"));
    for line in Format::Github.render(&r, false).lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::notice ")
                || line.starts_with("::warning "),
            "{line}"
        );
    }
}

#[tokio::test]
async fn an_allowed_run_and_a_could_not_run_report() {
    let mut plan = Plan::new();
    plan.add(
        gate(
            "ci-green",
            Phase::Preflight,
            Script::Result(GateResult::pass()),
        ),
        GateOptions::default(),
    );
    let ctx = GateContext::new(crate::support::minimal_policy(), std::env::temp_dir());
    let r = run_plan(&plan, ctx, &[], &RunOptions::default())
        .await
        .without_timings();
    assert_eq!(r.exit_code(), 0);
    assert_snapshot("allowed.txt", &Format::Terminal.render(&r, false));
    assert_snapshot("allowed.github.txt", &Format::Github.render(&r, false));

    let err = Policy::from_toml_str(
        "[project]\nname = \"x\"\n[[waivers]]\ngate = \"ci-green\"\n",
        "release.toml",
    )
    .unwrap_err();
    let r = Report::could_not_run("x", &err);
    assert_eq!(r.exit_code(), 2);
    assert_snapshot("could-not-run.txt", &Format::Terminal.render(&r, false));
    assert_snapshot("could-not-run.junit.xml", &Format::Junit.render(&r, false));
}
