//! The demo release passes its own policy through relgate, and each way of breaking it fails
//! with exactly the expected root-cause code and nothing else (what `verify_release` shows).
#![allow(clippy::unwrap_used, reason = "test code")]

use relgate::{Action, Code, Format, GateStatus, Policy, Report, RunOptions, RunStatus};
use relkit_demo::{DemoRelease, Tamper, copy_tree, demo_release_dir};
use relkit_demo::{DemoRun, run_demo};

mod support;

/// Every phase in release order against loopback registries, as `verify_release` does.
fn run_all(root: &std::path::Path, tag: &str, tamper: Option<Tamper>) -> DemoRun {
    let policy = Policy::load(&root.join("release.toml")).unwrap();
    run_demo(
        &policy,
        &root.join("dist"),
        tag,
        tamper,
        RunOptions::default(),
        None,
    )
    .unwrap()
}

/// The report that decided.
fn run(root: &std::path::Path, tag: &str) -> Report {
    run_all(root, tag, None).stages.pop().unwrap().1
}

#[test]
fn the_demo_release_passes_every_gate_of_its_policy() {
    let run = run_all(&demo_release_dir(), &DemoRelease::default().tag(), None);
    assert_eq!(run.stages.len(), 2, "{run:#?}");
    assert_eq!(run.exit_code(), 0);
    let before = &run.stages[0].1;
    let after = &run.stages[1].1;
    for r in [before, after] {
        assert_eq!(r.decision.status, RunStatus::Allowed, "{r:#?}");
    }
    assert_eq!(after.decision.action, Action::Announce);
    let ids: Vec<(&str, GateStatus)> = before
        .gates
        .iter()
        .chain(&after.gates)
        .map(|g| (g.id.as_str(), g.status))
        .collect();
    assert_eq!(
        ids,
        [
            ("tag-strict-semver", GateStatus::Pass),
            ("versions-lockstep", GateStatus::Pass),
            ("changelog-section", GateStatus::Pass),
            ("version-unpublished", GateStatus::Pass),
            ("required-assets-present", GateStatus::Pass),
            ("checksum-file", GateStatus::Pass),
            ("signatures-valid", GateStatus::Pass),
            ("provenance-valid", GateStatus::Pass),
            ("archive-safety", GateStatus::Pass),
            ("rebuild-identity", GateStatus::Pass),
            ("files-covered", GateStatus::Pass),
            ("registry-visible", GateStatus::Pass),
            ("registry-readback", GateStatus::Pass),
            ("consumer-verify", GateStatus::Pass),
        ]
    );
    // Every version file of the demo was read (4 sources, package.json and friends).
    let fields = before.gate("versions-lockstep").unwrap().evidence["fields"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(fields, 4);
    // Every artifact was uploaded, downloaded and found equal on its registry.
    assert_eq!(run.uploaded.len(), 4, "{:?}", run.uploaded);
    let files = after.gate("registry-readback").unwrap().evidence["files"]
        .as_array()
        .unwrap()
        .clone();
    let mut seen: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            assert_eq!(f["outcome"], "same", "{f}");
            (
                f["registry"].as_str().unwrap().to_owned(),
                f["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("crates-index".into(), "relkit-demo-1.2.3.crate".into()),
            ("npm-registry".into(), "relkit-demo-1.2.3.tgz".into()),
            (
                "python-index".into(),
                "relkit_demo-1.2.3-py3-none-any.whl".into()
            ),
            ("python-index".into(), "relkit_demo-1.2.3.tar.gz".into()),
        ]
    );
}

/// A copy of the demo release in a temporary folder.
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&demo_release_dir(), dir.path()).unwrap();
    dir
}

/// A copy of the demo release broken by `kind`, and the tag it is then released under.
fn tampered_copy(kind: Tamper) -> (tempfile::TempDir, String) {
    let dir = demo_copy();
    let (tag, _) = kind.apply(&DemoRelease::default(), dir.path()).unwrap();
    (dir, tag)
}

#[test]
fn every_tamper_kind_fails_with_exactly_its_code() {
    let demo = DemoRelease::default();
    for kind in Tamper::ALL {
        let dir = demo_copy();
        let (tag, what) = kind.apply(&demo, dir.path()).unwrap();
        let mut demo_run = run_all(dir.path(), &tag, Some(kind));
        let report = demo_run.stages.pop().unwrap().1;
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
            Tamper::Published => Code::VersionAlreadyPublished,
            Tamper::RegistryBytes => Code::RegistryBytesDiffer,
            Tamper::NotVisible => Code::NotVisible,
            Tamper::Rebuild => Code::NotReproducible,
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
        let preflight = matches!(
            kind,
            Tamper::Version | Tamper::Changelog | Tamper::Tag | Tamper::Published
        );
        let postpublish = matches!(kind, Tamper::RegistryBytes | Tamper::NotVisible);
        let action = if preflight {
            Action::DoNotTag
        } else if postpublish {
            Action::KeepDraft
        } else {
            Action::DoNotPublish
        };
        // Nothing is uploaded unless preflight and prepublish allowed it.
        assert_eq!(demo_run.stages.is_empty(), !postpublish, "{kind}");
        assert_eq!(report.decision.action, action, "{kind}");
    }
}

#[test]
fn the_version_finding_names_file_line_and_values() {
    let (dir, tag) = tampered_copy(Tamper::Version);
    let report = run(dir.path(), &tag);
    let g = report.gate("versions-lockstep").unwrap();
    assert_eq!(g.findings.len(), 1);
    let f = &g.findings[0].finding;
    assert_eq!(
        f.location.as_ref().map(ToString::to_string).as_deref(),
        Some("package.json:3:14 version")
    );
    assert_eq!(f.subject, "version differs from the release version");
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

/// A copy of the demo release whose policy (returned) puts the Python index in recovery mode.
fn demo_in_recovery_mode() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = demo_copy();
    let p = dir.path().join("release.toml");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "[registries.python-index]\n",
        "[registries.python-index]\nrecovery = true\n",
    );
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

#[test]
fn recovery_mode_passes_with_a_note_when_the_version_is_already_served() {
    let (dir, _) = demo_in_recovery_mode();
    let tag = DemoRelease::default().tag();
    let run = run_all(dir.path(), &tag, Some(Tamper::Published));
    assert_eq!(run.exit_code(), 0, "{run:#?}");
    let g = run.stages[0].1.gate("version-unpublished").unwrap();
    assert_eq!(g.status, GateStatus::Pass);
    let note = &g.notes[0];
    assert_eq!(note.code, Code::VersionAlreadyPublished);
    assert!(
        note.hint.as_deref().unwrap().starts_with(
            "recovery mode: python-index already holds relkit-demo 1.2.3; the served bytes will be verified"
        ),
        "{note:?}"
    );
}

/// Recovery mode verifies what the registry already serves instead of uploading: an earlier,
/// broken upload is caught by the readback, not papered over by a new upload.
#[test]
fn recovery_mode_catches_bytes_an_earlier_run_left_on_the_registry() {
    use relkit_demo::{DemoKind, DemoRegistries, run_demo_on};
    let (dir, p) = demo_in_recovery_mode();
    let policy = Policy::load(&p).unwrap();
    let regs = DemoRegistries::start().unwrap();
    let wheel = "relkit_demo-1.2.3-py3-none-any.whl";
    regs.publish(
        DemoKind::Pypi,
        "relkit-demo",
        "1.2.3",
        wheel,
        b"an earlier run's wheel".to_vec(),
    );
    let run = run_demo_on(
        &regs,
        &policy,
        &dir.path().join("dist"),
        &DemoRelease::default().tag(),
        None,
        RunOptions::default(),
        None,
    )
    .unwrap();
    // Preflight passed (recovery), nothing was uploaded to the Python index.
    assert_eq!(run.stages.len(), 2, "{run:#?}");
    assert!(
        run.uploaded.iter().all(|u| !u.starts_with("python-index")),
        "{:?}",
        run.uploaded
    );
    let report = run.last().unwrap();
    assert_eq!(
        report.root_cause_codes(),
        [Code::RegistryBytesDiffer, Code::RegistryFileMissing]
    );
    let g = report.gate("registry-readback").unwrap();
    let subjects = support::finding_subjects(g);
    // The wheel differs; the sdist the earlier run never uploaded is missing.
    assert!(
        subjects.contains(&format!("{wheel} on python-index").as_str()),
        "{subjects:?}"
    );
}

#[test]
fn a_rebuild_that_ignores_source_date_epoch_is_explained() {
    let (dir, tag) = tampered_copy(Tamper::Rebuild);
    let report = run_all(dir.path(), &tag, Some(Tamper::Rebuild))
        .stages
        .pop()
        .unwrap()
        .1;
    let g = report.gate("rebuild-identity").unwrap();
    // The demo's source is made the repository it stands for, tagged: the tag pins the tree
    // built, so the difference is the one finding (no `rebuild-unpinned` warning).
    let g_findings: Vec<_> = g.findings.iter().collect();
    assert_eq!(
        g_findings.len(),
        1,
        "only the sdist differs: {:?}",
        g.findings
    );
    assert!(
        g.findings
            .iter()
            .all(|f| f.finding.code != Code::RebuildUnpinned),
        "{:?}",
        g.findings
    );
    let f = &g_findings[0].finding;
    assert_eq!(f.code, Code::NotReproducible);
    assert!(f.subject.ends_with(".tar.gz"), "{f:?}");
    assert!(
        f.found.as_deref().unwrap_or_default().contains("mtime"),
        "the artidigest explanation names the cause: {f:?}"
    );
}

/// A plain folder (no `release.toml`) holding the demo's wheel and `.crate`.
fn plain_folder_with_wheel_and_crate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = DemoRelease::default().artifacts().unwrap();
    for (name, bytes) in artifacts {
        if name.ends_with(".whl") || name.ends_with(".crate") {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
    }
    dir
}

#[test]
fn explain_lists_archive_safety_with_the_files_that_implied_it() {
    use relgate::plan::PlanReason;
    let dir = plain_folder_with_wheel_and_crate();
    let policy = Policy::for_plain_folder(dir.path()).unwrap();
    let plan = relgate::explain(&policy, &relgate::RunContext::new(dir.path()));
    assert_eq!(plan.error, None);
    let ids: Vec<&str> = plan.gates.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        ids,
        ["required-assets-present", "checksum-file", "archive-safety"]
    );
    let archive = plan.gate("archive-safety").unwrap();
    assert_eq!(archive.phase, relgate::Phase::Prepublish);
    assert_eq!(archive.implementation, "built-in");
    assert_eq!(archive.after, ["checksum-file"]);
    let [PlanReason::Files { files, total }] = &archive.reasons[..] else {
        panic!("{:?}", archive.reasons)
    };
    assert_eq!(*total, 2);
    let listed: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.kind.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("relkit-demo-1.2.3.crate", "crate"),
            ("relkit_demo-1.2.3-py3-none-any.whl", "wheel")
        ]
    );
    // The built-in policy's own gates say so.
    for id in ["required-assets-present", "checksum-file"] {
        assert_eq!(
            plan.gate(id).unwrap().reasons,
            [PlanReason::PlainFolderDefault],
            "{id}"
        );
    }
    assert_eq!(plan.steps[0].id, "files-covered");
    let text = plan.render_terminal();
    assert!(
        text.contains(
            "archive-safety           [built-in] implied by files: relkit-demo-1.2.3.crate (crate), relkit_demo-1.2.3-py3-none-any.whl (wheel); after checksum-file"
        ),
        "{text}"
    );
    assert!(
        text.contains("implied by default for a plain folder"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&plan.render_json()).unwrap();
    assert_eq!(json["schema"], "relgate-plan/1");
    assert_eq!(json["gates"][2]["id"], "archive-safety");
    assert_eq!(json["gates"][2]["reasons"][0]["by"], "files");
    assert_eq!(json["gates"][2]["reasons"][0]["files"][1]["kind"], "wheel");
    assert_eq!(json["gates"][0]["reasons"][0]["by"], "plain-folder-default");
    // Nothing ran: the folder holds what it held.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn explain_says_policy_for_a_gate_the_policy_names_and_matches_the_run() {
    use relgate::plan::PlanReason;
    let dir = plain_folder_with_wheel_and_crate();
    let policy = Policy::from_toml_str(
        "schema-version = 1\n[project]\nname = \"demo\"\n[checksums]\nfile = \"SHA256SUMS\"\n[gates.archive-safety]\ntimeout-secs = 60\n",
        "release.toml",
    )
    .unwrap();
    let ctx = relgate::RunContext::new(dir.path()).tag("v1.2.3");
    let plan = relgate::explain(&policy, &ctx);
    let archive = plan.gate("archive-safety").unwrap();
    assert_eq!(archive.reasons[0], PlanReason::Policy);
    assert!(
        matches!(&archive.reasons[1], PlanReason::Files { total: 2, .. }),
        "{:?}",
        archive.reasons
    );
    assert_eq!(
        plan.gate("checksum-file").unwrap().reasons,
        [PlanReason::Section {
            section: "[checksums]".into()
        }]
    );
    let text = plan.render_terminal();
    assert!(
        text.contains("[built-in] implied by policy; files: "),
        "{text}"
    );
    assert!(
        text.contains("checksum-file   [built-in] implied by policy section [checksums]"),
        "{text}"
    );
    assert!(plan.notices.is_empty());
    // The run follows the same plan, in the same order (then settles files-covered).
    let report = relgate::run_blocking(&policy, ctx);
    let ran: Vec<&str> = report.gates.iter().map(|g| g.id.as_str()).collect();
    let planned: Vec<&str> = plan.gates.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ran[..planned.len()], planned[..], "{ran:?}");
    assert_eq!(ran[planned.len()..], ["files-covered"]);
}

/// The sha256 of `bytes`, lower-case hex (computed here with artidigest, not relgate).
fn sha256_hex(bytes: &[u8]) -> String {
    use artidigest::{Algorithm, digest_bytes};
    digest_bytes(bytes, &[Algorithm::Sha256])
        .get(Algorithm::Sha256)
        .unwrap()
        .to_hex()
}

/// An RFC 3339 UTC instant to the second: `YYYY-MM-DDThh:mm:ssZ`.
fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// The commit git itself makes of `source` as one commit by the demo's identity at the demo's
/// date, tagged `tag`: the oracle for the demo repository relkit-demo makes.
fn commit_of_the_demo_source(source: &std::path::Path, tag: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(source, dir.path()).unwrap();
    let (name, email) = relkit_demo::DEMO_GIT_IDENTITY;
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(dir.path())
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", name)
            .env("GIT_AUTHOR_EMAIL", email)
            .env("GIT_AUTHOR_DATE", relkit_demo::DEMO_GIT_DATE)
            .env("GIT_COMMITTER_NAME", name)
            .env("GIT_COMMITTER_EMAIL", email)
            .env("GIT_COMMITTER_DATE", relkit_demo::DEMO_GIT_DATE)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "relkit-demo release"]);
    git(&["tag", "-a", "-m", tag, tag]);
    git(&["rev-parse", &format!("{tag}^{{commit}}")])
}

#[test]
fn the_demo_report_names_its_policy_trust_root_and_producer() {
    let root = demo_release_dir();
    let policy_sha = sha256_hex(&std::fs::read(root.join("release.toml")).unwrap());
    let root_sha = sha256_hex(&std::fs::read(root.join("trusted_root.json")).unwrap());
    let run = run_all(&root, &DemoRelease::default().tag(), None);
    let demo_commit = commit_of_the_demo_source(&root.join("source"), "v1.2.3");
    assert_eq!(demo_commit.len(), 40, "{demo_commit}");
    assert_eq!(run.stages.len(), 2);
    for (label, r) in &run.stages {
        let i = &r.inputs;
        assert_eq!(
            i.policy.sha256.as_deref(),
            Some(policy_sha.as_str()),
            "{label}"
        );
        assert_eq!(
            i.policy.path.as_deref(),
            Some(root.join("release.toml").display().to_string().as_str())
        );
        assert_eq!(i.policy.note, None);
        assert_eq!(i.trust_root.sha256.as_deref(), Some(root_sha.as_str()));
        assert_eq!(
            i.trust_root.path.as_deref(),
            Some(
                root.join("trusted_root.json")
                    .display()
                    .to_string()
                    .as_str()
            )
        );
        // The demo's loopback endpoints are given in-process: no registries file.
        assert_eq!((&i.registries.path, &i.registries.sha256), (&None, &None));
        let note = i.registries.note.as_deref().unwrap();
        assert!(note.starts_with("no registries file"), "{note}");
        assert!(note.contains("python-index"), "{note}");
        // The committed demo's source is a plain folder inside relkit's own repository; the
        // run makes it the repository it stands for, and the report names the tag's commit
        // there: the commit git makes of that tree with the demo's identity and date.
        assert_eq!(i.tag.name.as_deref(), Some("v1.2.3"));
        assert_eq!(i.tag.commit.as_deref(), Some(demo_commit.as_str()), "{i:?}");
        assert_eq!(i.tag.note, None);
        assert_eq!(
            (i.producer.name.as_str(), i.producer.version.as_str()),
            ("relgate", env!("CARGO_PKG_VERSION"))
        );
        let (started, finished) = (
            i.started.as_deref().unwrap(),
            i.finished.as_deref().unwrap(),
        );
        assert!(is_rfc3339_utc(started) && is_rfc3339_utc(finished), "{i:?}");
        assert!(started <= finished, "{started} {finished}");
        let json: serde_json::Value = serde_json::from_str(&Format::Json.render(r, false)).unwrap();
        assert_eq!(json["schema"], "relgate-report/2");
        assert_eq!(json["inputs"]["policy"]["sha256"], policy_sha.as_str());
        assert_eq!(json["inputs"]["trust_root"]["sha256"], root_sha.as_str());
        assert!(json["inputs"]["registries"]["sha256"].is_null());
        assert_eq!(json["inputs"]["tag"]["commit"], demo_commit.as_str());
        let text = Format::Terminal.render(r, false);
        assert!(
            text.contains(&format!("release.toml sha256:{policy_sha}")),
            "{text}"
        );
        assert!(
            text.contains(&format!("trusted_root.json sha256:{root_sha}")),
            "{text}"
        );
        assert!(
            text.contains(&format!("v1.2.3 at commit {demo_commit}")),
            "{text}"
        );
        let md = Format::Markdown.render(r, false);
        assert!(md.contains("  - trust root: "), "{md}");
        assert!(md.contains(&root_sha), "{md}");
        assert!(md.contains(&demo_commit), "{md}");
    }
}

#[test]
fn the_demo_report_names_the_commit_its_tag_points_at_in_a_git_source() {
    use relkit_testkit::git::git;
    let dir = demo_copy();
    let source = dir.path().join("source");
    git(&source, &["init", "-q", "-b", "main"]);
    git(&source, &["add", "."]);
    git(&source, &["commit", "-q", "-m", "release 1.2.3"]);
    // An annotated tag: the report names the commit, not the tag object.
    git(&source, &["tag", "-a", "-m", "v1.2.3", "v1.2.3"]);
    std::fs::write(source.join("later.txt"), "after the release").unwrap();
    git(&source, &["add", "."]);
    git(&source, &["commit", "-q", "-m", "later"]);
    let tag_commit = git(&source, &["rev-parse", "v1.2.3^{commit}"]);
    let tag_object = git(&source, &["rev-parse", "v1.2.3"]);
    assert_ne!(tag_commit, tag_object);
    assert_ne!(tag_commit, git(&source, &["rev-parse", "HEAD"]));

    let run = run_all(dir.path(), "v1.2.3", None);
    let policy_sha = sha256_hex(&std::fs::read(demo_release_dir().join("release.toml")).unwrap());
    for (label, r) in &run.stages {
        let t = &r.inputs.tag;
        assert_eq!(t.name.as_deref(), Some("v1.2.3"), "{label}");
        assert_eq!(t.commit.as_deref(), Some(tag_commit.as_str()), "{t:?}");
        assert_eq!(t.note, None);
        let repo = std::path::PathBuf::from(t.repository.as_deref().unwrap());
        assert_eq!(repo.canonicalize().unwrap(), source.canonicalize().unwrap());
        assert_eq!(r.inputs.policy.sha256.as_deref(), Some(policy_sha.as_str()));
        let text = Format::Terminal.render(r, false);
        assert!(
            text.contains(&format!("v1.2.3 at commit {tag_commit}")),
            "{text}"
        );
    }
    // A tag the repository does not hold: no commit, and why.
    let r = run_all(dir.path(), "v9.9.9", None).stages.remove(0).1;
    assert_eq!(r.inputs.tag.commit, None);
    let note = r.inputs.tag.note.unwrap();
    assert!(note.contains("does not exist"), "{note}");
}
