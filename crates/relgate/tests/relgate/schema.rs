//! `schema-version`: a newer version is refused at load with a typed error naming the key; a
//! missing one is read as 1 with a visible, non-blocking `policy-unversioned` notice. Waivers
//! naming a file must name their code; archive-limit tables are checked key by key.

use crate::support::assert_renders;
use relgate::policy::{ArtifactKind, PolicyErrorKind, SCHEMA_VERSION};
use relgate::{Code, Format, Policy, RunContext, RunStatus, Severity};

const BODY: &str = "[project]\nname = \"demo\"\n[release]\nrequired-assets = [\"notes.txt\"]\n[[files.allow]]\nglob = \"notes.txt\"\nreason = \"release notes\"\n";

fn load(text: &str) -> Result<Policy, relgate::PolicyError> {
    Policy::from_toml_str(text, "release.toml")
}

#[test]
fn a_newer_schema_version_is_refused_naming_the_key_and_the_supported_version() {
    let e = load(&format!("schema-version = 2\n{BODY}")).unwrap_err();
    assert_eq!(
        e.kind(),
        &PolicyErrorKind::UnsupportedSchemaVersion {
            found: 2,
            supported: SCHEMA_VERSION
        }
    );
    assert_eq!(e.key(), Some("schema-version"));
    assert_eq!((e.line(), e.file().to_str()), (1, Some("release.toml")));
    let shown = e.to_string();
    assert!(shown.contains("schema version 2"), "{shown}");
    assert!(shown.contains("(version 1)"), "{shown}");
    let e = load(&format!("schema-version = 0\n{BODY}")).unwrap_err();
    assert!(matches!(
        e.kind(),
        PolicyErrorKind::UnsupportedSchemaVersion { found: 0, .. }
    ));
    let e = load(&format!("schema-version = \"1\"\n{BODY}")).unwrap_err();
    assert_eq!(e.key(), Some("schema-version"), "{e}");
    assert_eq!(
        load(&format!("schema-version = 1\n{BODY}"))
            .unwrap()
            .schema_version,
        Some(1)
    );
}

#[test]
fn a_policy_without_a_schema_version_runs_with_a_visible_notice() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"notes").unwrap();
    let unversioned = load(BODY).unwrap();
    assert_eq!(unversioned.schema_version, None);
    let r = relgate::run_blocking(&unversioned, RunContext::new(dir.path()));
    assert_eq!(r.decision.status, RunStatus::Allowed, "{r:#?}");
    assert_eq!(r.notices.len(), 1);
    let n = &r.notices[0];
    assert_eq!(
        (n.code, n.severity),
        (Code::PolicyUnversioned, Severity::Warning)
    );
    assert!(
        n.hint.as_deref().unwrap().contains("docs/policy.md"),
        "{n:?}"
    );
    assert_renders(
        &r,
        Format::Terminal,
        &["warning: policy-unversioned: demo", "docs/policy.md"],
    );
    let json: serde_json::Value = serde_json::from_str(&Format::Json.render(&r, false)).unwrap();
    assert_eq!(json["notices"][0]["code"], "policy-unversioned");
    assert_renders(
        &r,
        Format::Github,
        &["::warning title=relgate policy-unversioned::"],
    );
    assert_renders(
        &r,
        Format::Markdown,
        &["- warning: policy-unversioned: demo"],
    );
    // A blocked run carries it too; a versioned policy has none.
    let blocked = relgate::run_blocking(
        &unversioned,
        RunContext::new(tempfile::tempdir().unwrap().path()),
    );
    assert_eq!(blocked.notices.len(), 1);
    let versioned = load(&format!("schema-version = 1\n{BODY}")).unwrap();
    let r = relgate::run_blocking(&versioned, RunContext::new(dir.path()));
    assert!(r.notices.is_empty());
    assert!(
        !Format::Terminal
            .render(&r, false)
            .contains("policy-unversioned")
    );
}

#[test]
fn a_file_waiver_must_name_its_code() {
    let text = format!(
        "schema-version = 1\n{BODY}[[waivers]]\ngate = \"required-assets-present\"\nfile = \"notes.txt\"\nreason = \"r\"\n"
    );
    let e = load(&text).unwrap_err();
    assert_eq!(e.kind(), &PolicyErrorKind::FileWaiverWithoutCode);
    assert_eq!(e.key(), Some("waivers[0].file"));
    assert_eq!(e.line(), 11, "{e}");
    let ok = load(&text.replace("file = ", "code = \"asset-missing\"\nfile = ")).unwrap();
    assert_eq!(ok.waivers[0].file.as_deref(), Some("notes.txt"));
    let e = load(&text.replace(
        "file = \"notes.txt\"",
        "code = \"asset-missing\"\nfile = \"../x\"",
    ))
    .unwrap_err();
    assert_eq!(e.key(), Some("waivers[0].file"), "{e}");
}

#[test]
fn archive_limits_name_known_kinds_and_caps_only() {
    let with = |table: &str| load(&format!("schema-version = 1\n{BODY}{table}"));
    let p = with("[archive-limits.wheel]\nmax-ratio = 2000\nmax-entries = 10\n").unwrap();
    let wheel = p.archive_limits_for(Some(ArtifactKind::Wheel));
    assert_eq!((wheel.max_compression_ratio, wheel.max_entries), (2000, 10));
    assert_eq!(
        p.archive_limits_for(Some(ArtifactKind::Sdist)),
        artidigest::Limits::default()
    );
    let e = with("[archive-limits.whel]\nmax-ratio = 2000\n").unwrap_err();
    assert_eq!(e.key(), Some("archive-limits.whel"), "{e}");
    assert!(e.message().contains("not an artifact kind"), "{e}");
    assert!(e.message().contains("npm-tarball"), "{e}");
    let e = with("[archive-limits.wheel]\nmax-ratioo = 2000\n").unwrap_err();
    assert_eq!(e.key(), Some("archive-limits.wheel.max-ratioo"), "{e}");
    assert_eq!(e.line(), 10, "{e}");
    let e = with("[archive-limits.crate]\nmax-ratio = 0\n").unwrap_err();
    assert_eq!(e.key(), Some("archive-limits.crate.max-ratio"), "{e}");
}

/// Every field of a report's `inputs`, as the JSON of a real run has them, is documented in
/// docs/gates.md under the schema id the reports carry.
#[test]
fn the_report_schema_and_every_input_field_are_documented() {
    let docs = std::fs::read_to_string(crate::support::repo_root().join("docs/gates.md")).unwrap();
    let schema = relgate::report::REPORT_SCHEMA;
    assert_eq!(schema, "relgate-report/2");
    assert!(
        docs.contains(&format!("### JSON report (`{schema}`)")),
        "{schema}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"notes").unwrap();
    let policy = load(&format!("schema-version = 1\n{BODY}")).unwrap();
    let r = relgate::run_blocking(&policy, RunContext::new(dir.path()).tag("v1.0.0"));
    let json: serde_json::Value = serde_json::from_str(&Format::Json.render(&r, false)).unwrap();
    assert_eq!(json["schema"], schema);
    let inputs = json["inputs"].as_object().unwrap();
    let mut checked = 0;
    for (key, value) in inputs {
        let top = format!("`inputs.{key}");
        assert!(
            docs.contains(&top),
            "docs/gates.md does not document {top}`"
        );
        for sub in value.as_object().map(|o| o.keys()).into_iter().flatten() {
            let documented = [
                format!("`inputs.{key}.{sub}`"),
                format!("`inputs.*.{sub}`"),
                format!("`.{sub}`"),
            ]
            .iter()
            .any(|d| docs.contains(d.as_str()));
            assert!(
                documented,
                "docs/gates.md does not document inputs.{key}.{sub}"
            );
            checked += 1;
        }
    }
    // policy, registries, trust_root (path, sha256, note), tag (name, commit, repository,
    // note), producer (name, version).
    assert_eq!(checked, 3 * 3 + 4 + 2);
    // Each note the run wrote is one the documentation lists.
    for note in [
        &r.inputs.policy.note,
        &r.inputs.registries.note,
        &r.inputs.trust_root.note,
    ] {
        let note = note.as_deref().unwrap();
        let head = note.split(':').next().unwrap();
        assert!(
            docs.contains(head),
            "docs/gates.md does not list the note {note:?}"
        );
    }
}
