//! Report formats: snapshots of each, JSON round trip, well-formed JUnit, colour only on request.

use std::time::Duration;

use relgate::{
    Code, Finding, Format, GateContext, GateResult, Phase, Policy, Report, RunOptions, RunStatus,
    Severity,
    plan::{GateOptions, Plan},
    policy::Waiver,
    report::InputFile,
    run_plan,
};

use crate::support::{
    Script, add_gate, assert_renders, assert_snapshot, gate, passing, write_release_toml,
};

/// The note on an input file of a report: why it is absent, or how it was read.
fn note_of(input: &InputFile) -> &str {
    input.note.as_deref().unwrap()
}

/// A report with every kind of gate end, and text that needs escaping in every format.
pub(crate) async fn mixed_report() -> Report {
    let policy = Policy::from_toml_str(
        "[project]\nname = \"demo <&> \\\"app\\\"\"\n",
        "release.toml",
    )
    .unwrap();
    let mut ctx = GateContext::new(std::sync::Arc::new(policy), std::env::temp_dir());
    ctx.tag = Some("v1.2.3".into());
    ctx.commit = Some("0123456789abcdef0123456789abcdef01234567".into());
    let mut plan = Plan::new();
    add_gate(&mut plan, "ci-green", Phase::Preflight, passing());
    add_gate(
        &mut plan,
        "versions-lockstep",
        Phase::Preflight,
        Script::Result(GateResult::error("relver.toml: no such file")),
    );
    add_gate(
        &mut plan,
        "checksum-file",
        Phase::Prepublish,
        Script::Result(GateResult::from_findings(vec![
            Finding::new(Code::DigestMismatch, "demo <1.2.3>.tar.gz")
                .expected("sha256:aa")
                .found("sha256:bb")
                .hint("100% sure: line 2 of SHA256SUMS | rebuild\nthen re-sign, \"carefully\""),
            Finding::new(Code::ChecksumUnlisted, "notes.txt").severity(Severity::Warning),
        ])),
    );
    add_gate(
        &mut plan,
        "required-assets-present",
        Phase::Prepublish,
        passing(),
    );
    plan.add(
        gate("slow-gate", Phase::Prepublish, Script::Hang),
        GateOptions::default().timeout(Duration::from_millis(20)),
    );
    add_gate(&mut plan, "publish-core", Phase::Postpublish, passing());
    plan.add_unknown("oci-platforms", Phase::Postpublish, GateOptions::default());
    plan.add(
        gate("publish-manifest", Phase::Postpublish, passing()),
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
    assert_snapshot("report.sarif.json", &Format::Sarif.render(&r, false));
    assert_snapshot("report.vsa.json", &Format::Vsa.render(&r, false));
}

#[tokio::test]
async fn json_is_versioned_and_round_trips() {
    let r = mixed_report().await;
    let text = Format::Json.render(&r, false);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], "relgate-report/2");
    assert_eq!(v["inputs"]["producer"]["name"], "relgate");
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
    add_gate(&mut plan, "ci-green", Phase::Preflight, passing());
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

/// The sha256 of `bytes`, lower-case hex.
fn sha256_hex(bytes: &[u8]) -> String {
    artidigest::digest_bytes(bytes, &[artidigest::Algorithm::Sha256])
        .get(artidigest::Algorithm::Sha256)
        .unwrap()
        .to_hex()
}

const SIGNING: &str = "[signing]\nserver = \"https://github.com\"\nrepository = \"o/r\"\nworkflow = \".github/workflows/release.yml\"\nissuer = \"https://token.actions.githubusercontent.com\"\n";

#[test]
fn a_run_without_files_says_where_each_input_came_from() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"notes").unwrap();
    let text = "schema-version = 1\n[project]\nname = \"demo\"\n[release]\nrequired-assets = [\"notes.txt\"]\n[[files.allow]]\nglob = \"notes.txt\"\nreason = \"notes\"\n";
    let policy = Policy::from_toml_str(text, "release.toml").unwrap();
    let r = relgate::run_blocking(&policy, relgate::RunContext::new(dir.path()));
    assert_eq!(r.decision.status, RunStatus::Allowed, "{r:#?}");
    let i = &r.inputs;
    // A policy given as text: no path, the digest of that text.
    assert_eq!(i.policy.path, None);
    assert_eq!(
        i.policy.sha256.as_deref(),
        Some(sha256_hex(text.as_bytes()).as_str())
    );
    assert!(note_of(&i.policy).contains("given as text"));
    // No registries configuration: explicit nulls, and why.
    assert_eq!((&i.registries.path, &i.registries.sha256), (&None, &None));
    assert_eq!(
        i.registries.note.as_deref(),
        Some("none configured: the policy names no registries")
    );
    assert_eq!(i.trust_root.sha256, None);
    assert!(note_of(&i.trust_root).contains("no [signing]"));
    assert_eq!((&i.tag.name, &i.tag.commit), (&None, &None));
    assert_eq!(i.tag.note.as_deref(), Some("no tag was given for this run"));
    let json: serde_json::Value = serde_json::from_str(&Format::Json.render(&r, false)).unwrap();
    for key in ["path", "sha256"] {
        assert!(json["inputs"]["registries"][key].is_null(), "{json}");
    }
    assert_renders(
        &r,
        Format::Terminal,
        &["  registries none configured: the policy names no registries"],
    );
    assert_renders(&r, Format::Markdown, &["  - registries: none configured"]);
    // Zeroed timings drop the times too, so reports of two runs compare equal.
    let quiet = r.clone().without_timings();
    assert_eq!((quiet.inputs.started, quiet.inputs.finished), (None, None));
    assert!(r.inputs.started.is_some() && r.inputs.finished.is_some());
}

#[test]
fn files_are_named_by_path_and_digest_and_the_embedded_root_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("dist");
    std::fs::create_dir(&release).unwrap();
    let text = format!(
        "schema-version = 1\n[project]\nname = \"demo\"\n{SIGNING}[registries.py]\nkind = \"pypi\"\npackage = \"demo\"\n"
    );
    let policy_path = write_release_toml(dir.path(), &text);
    let registries = b"[registries.py]\nurl = \"http://127.0.0.1:9/simple\"\n";
    let policy = Policy::load(&policy_path).unwrap();
    let endpoints = relgate::Endpoints::from_toml_str(
        std::str::from_utf8(registries).unwrap(),
        "registries.toml",
    )
    .unwrap();
    let ctx = relgate::RunContext::new(&release)
        .options(
            RunOptions::default()
                .phases(vec![Phase::Preflight])
                .endpoints(endpoints),
        )
        .registries_file("conf/registries.toml", registries);
    let r = relgate::run_blocking(&policy, ctx);
    let i = &r.inputs;
    assert_eq!(
        i.policy.path.as_deref(),
        Some(policy_path.display().to_string().as_str())
    );
    assert_eq!(
        i.policy.sha256.as_deref(),
        Some(sha256_hex(text.as_bytes()).as_str())
    );
    assert_eq!(i.policy.note, None);
    assert_eq!(i.registries.path.as_deref(), Some("conf/registries.toml"));
    assert_eq!(
        i.registries.sha256.as_deref(),
        Some(sha256_hex(registries).as_str())
    );
    // `[signing]` without `trusted-root`: the public-good root embedded in attest.
    assert_eq!(i.trust_root.path, None);
    assert_eq!(
        i.trust_root.sha256.as_deref(),
        Some(sha256_hex(attest::PUBLIC_GOOD_TRUSTED_ROOT_JSON.as_bytes()).as_str())
    );
    assert!(note_of(&i.trust_root).starts_with("embedded default"));

    // A named root is hashed from the file the signature gates read; one that cannot be read
    // is named with why.
    let named = text.replace(
        "[registries.py]",
        "trusted-root = \"root.json\"\n[registries.py]",
    );
    std::fs::write(&policy_path, &named).unwrap();
    std::fs::write(dir.path().join("root.json"), b"{\"mediaType\":\"x\"}").unwrap();
    let policy = Policy::load(&policy_path).unwrap();
    let ctx = relgate::RunContext::new(&release)
        .options(RunOptions::default().phases(vec![Phase::Preflight]));
    let r = relgate::run_blocking(&policy, ctx.clone());
    assert_eq!(
        r.inputs.trust_root.path.as_deref(),
        Some(dir.path().join("root.json").display().to_string().as_str())
    );
    assert_eq!(
        r.inputs.trust_root.sha256.as_deref(),
        Some(sha256_hex(b"{\"mediaType\":\"x\"}").as_str())
    );
    let note = note_of(&r.inputs.registries);
    assert!(
        note.starts_with("none configured: no registries file"),
        "{note}"
    );
    std::fs::remove_file(dir.path().join("root.json")).unwrap();
    let r = relgate::run_blocking(&policy, ctx);
    assert_eq!(r.inputs.trust_root.sha256, None);
    assert!(note_of(&r.inputs.trust_root).starts_with("cannot be read"));
}

#[tokio::test]
async fn a_policy_that_cannot_load_is_still_named_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[project]\nname = 3\n";
    let path = write_release_toml(dir.path(), text);
    let r = relgate::run_file(&path, relgate::RunContext::new(dir.path())).await;
    assert_eq!(r.decision.status, RunStatus::CouldNotRun);
    assert_eq!(r.schema, "relgate-report/2");
    assert_eq!(
        r.inputs.policy.sha256.as_deref(),
        Some(sha256_hex(text.as_bytes()).as_str())
    );
    assert!(r.inputs.started.is_some());
    let r = relgate::run_file(
        &dir.path().join("absent.toml"),
        relgate::RunContext::new(dir.path()),
    )
    .await;
    assert_eq!(r.inputs.policy.sha256, None);
    assert!(note_of(&r.inputs.policy).starts_with("cannot be read"));
}

#[test]
fn the_terminal_says_a_shared_cause_once_before_the_details() {
    // Every manifest one release behind: one cause line, then the three details.
    let findings: Vec<relgate::Finding> = ["Cargo.toml", "pyproject.toml", "package.json"]
        .iter()
        .map(|file| {
            relgate::Finding::new(relgate::Code::VersionMismatch, *file)
                .in_file(*file)
                .expected("1.2.3")
                .found("1.2.2")
        })
        .collect();
    let report = relgate::Report::of_check(
        "demo",
        "versions-lockstep",
        relgate::Phase::Preflight,
        findings,
    );
    let text = relgate::report::render_terminal(&report, false);
    let cause = text
        .lines()
        .position(|l| l.trim() == "cause: 3 files record 1.2.2, the tag says 1.2.3")
        .unwrap_or_else(|| panic!("no cause line:\n{text}"));
    let first_detail = text.lines().position(|l| l.contains("Cargo.toml")).unwrap();
    assert!(cause < first_detail, "{text}");
    // Distinct causes are not summarised: the details say it all.
    let one = relgate::Report::of_check(
        "demo",
        "versions-lockstep",
        relgate::Phase::Preflight,
        vec![relgate::Finding::new(relgate::Code::VersionMismatch, "Cargo.toml").found("1.2.2")],
    );
    assert!(!relgate::report::render_terminal(&one, false).contains("cause:"));
}
