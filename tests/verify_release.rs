//! The demo release passes its own policy through relgate, and each way of breaking it fails
//! with exactly the expected root-cause code and nothing else (what `verify_release` shows).
#![allow(clippy::unwrap_used, reason = "test code")]

use relgate::{Action, Code, GateStatus, Policy, Report, RunContext, RunStatus};
use relkit::demo::{DemoRelease, Tamper, copy_tree, demo_release_dir};

fn run(root: &std::path::Path, tag: &str) -> Report {
    let policy = Policy::load(&root.join("release.toml")).unwrap();
    relgate::run_blocking(&policy, RunContext::new(root.join("dist")).tag(tag))
}

#[test]
fn the_demo_release_passes_every_gate_of_its_policy() {
    let report = run(&demo_release_dir(), &DemoRelease::default().tag());
    assert_eq!(report.decision.status, RunStatus::Allowed, "{report:#?}");
    assert_eq!(report.exit_code(), 0);
    let ids: Vec<(&str, GateStatus)> = report
        .gates
        .iter()
        .map(|g| (g.id.as_str(), g.status))
        .collect();
    assert_eq!(
        ids,
        [
            ("tag-strict-semver", GateStatus::Pass),
            ("versions-lockstep", GateStatus::Pass),
            ("changelog-section", GateStatus::Pass),
            ("required-assets-present", GateStatus::Pass),
            ("checksum-file", GateStatus::Pass),
            ("signatures-valid", GateStatus::Pass),
            ("provenance-valid", GateStatus::Pass),
            ("archive-safety", GateStatus::Pass),
        ]
    );
    // Every version file of the demo was read (4 sources, package.json and friends).
    let fields = report.gate("versions-lockstep").unwrap().evidence["fields"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(fields, 4);
}

#[test]
fn every_tamper_kind_fails_with_exactly_its_code() {
    let demo = DemoRelease::default();
    for kind in Tamper::ALL {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&demo_release_dir(), dir.path()).unwrap();
        let (tag, what) = kind.apply(&demo, dir.path()).unwrap();
        let report = run(dir.path(), &tag);
        let expected = match kind {
            Tamper::Version => Code::VersionMismatch,
            Tamper::Changelog => Code::ChangelogSectionMissing,
            Tamper::Checksum => Code::DigestMismatch,
            Tamper::Asset => Code::AssetMissing,
            Tamper::Tag => Code::TagNotStrictSemver,
            Tamper::Record => Code::RecordMismatch,
            Tamper::Traversal => Code::ArchiveUnsafe,
            Tamper::Signature => Code::SignatureInvalid,
            Tamper::Identity => Code::IdentityMismatch,
            Tamper::Trigger => Code::TriggerDenied,
            Tamper::Provenance => Code::SubjectNotCovered,
            _ => unreachable!("a new tamper kind needs its expected code here"),
        };
        assert_eq!(report.root_cause_codes(), [expected], "{kind}: {what}");
        assert_eq!(report.exit_code(), 1, "{kind}");
        let blocking: Vec<_> = report
            .gates
            .iter()
            .filter(|g| g.caused_by.is_empty() && g.status != GateStatus::Pass)
            .map(|g| g.id.clone())
            .collect();
        assert_eq!(blocking.len(), 1, "{kind}: {blocking:?}");
        let preflight = matches!(kind, Tamper::Version | Tamper::Changelog | Tamper::Tag);
        let action = if preflight {
            Action::DoNotTag
        } else {
            Action::DoNotPublish
        };
        assert_eq!(report.decision.action, action, "{kind}");
    }
}

#[test]
fn the_version_finding_names_file_line_and_values() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&demo_release_dir(), dir.path()).unwrap();
    let (tag, _) = Tamper::Version
        .apply(&DemoRelease::default(), dir.path())
        .unwrap();
    let report = run(dir.path(), &tag);
    let g = report.gate("versions-lockstep").unwrap();
    assert_eq!(g.findings.len(), 1);
    let f = &g.findings[0].finding;
    assert_eq!(f.subject, "package.json:3:14 version");
    assert_eq!(f.expected.as_deref(), Some("1.2.3"));
    assert_eq!(f.found.as_deref(), Some("1.2.4"));
}

#[test]
fn tamper_kinds_round_trip_by_name() {
    for k in Tamper::ALL {
        assert_eq!(k.to_string().parse::<Tamper>().unwrap(), k);
    }
    assert!("bytes".parse::<Tamper>().is_err());
}
