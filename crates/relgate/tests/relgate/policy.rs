//! The policy file: a full example parses; malformed files name line, column and key.

use crate::support::write_release_toml;
use relgate::{
    Code, Policy,
    policy::{ArtifactKind, PolicyErrorKind, RegistryKind},
};

const FULL: &str = r#"
[project]
name = "ordvec"
repository = "example/ordvec"

[tag]
pattern = "v{version}"
coupled = ["clients/go/v{version}"]

[versions]
config = "relver.toml"

[[artifacts]]
glob = "*.crate"
kind = "crate"

[[artifacts]]
glob = "*.whl"
kind = "wheel"

[checksums]
file = "SHA256SUMS"
unlisted-allowed = ["*.sigstore.json", "*.intoto.jsonl"]

[signing]
server = "https://github.com"
repository = "example/ordvec"
workflow = ".github/workflows/release.yml"
issuer = "https://token.actions.example"
allowed-triggers = ["push"]
denied-triggers = ["workflow_dispatch"]

[provenance]
glob = "*.intoto.jsonl"
predicate-type = "https://slsa.dev/provenance/v1"
cover = ["crate", "wheel"]

[registries.core-crate]
kind = "cargo"
package = "ordvec"
artifacts = ["crate"]

[registries.manifest-crate]
kind = "cargo"
package = "ordvec-manifest"

[release]
required-assets = ["*.crate", "*.whl", "SHA256SUMS"]
draft = true

[ci]
branch = "main"
workflows = ["ci.yml", "fuzz.yml"]

[gates.registry-readback]
timeout-secs = 600

[gates.manifest-publish]
phase = "postpublish"
after = ["registry-readback"]

[[waivers]]
gate = "ci-green"
code = "gate-timeout"
reason = "the CI API is slow on release days; the release manager checks by hand"
"#;

#[test]
fn a_full_policy_parses_with_every_section() {
    let p = Policy::from_toml_str(FULL, "release.toml").unwrap();
    assert_eq!(p.project.name, "ordvec");
    let tag = p.tag.as_ref().unwrap();
    assert_eq!(tag.tag_for("1.2.3"), "v1.2.3");
    assert_eq!(tag.version_in("v1.2.3"), Some("1.2.3"));
    assert_eq!(tag.version_in("x1.2.3"), None);
    assert_eq!(p.artifacts[1].kind, ArtifactKind::Wheel);
    assert_eq!(p.registries["core-crate"].kind, RegistryKind::Cargo);
    let s = p.signing.as_ref().unwrap();
    assert_eq!(
        s.identity_for("v1.2.3"),
        "https://github.com/example/ordvec/.github/workflows/release.yml@refs/tags/v1.2.3"
    );
    assert!(s.trigger_allowed("push"));
    assert!(!s.trigger_allowed("workflow_dispatch"));
    assert!(!s.trigger_allowed("schedule"));
    assert_eq!(p.waivers[0].code, Some(Code::GateTimeout));
    let ids: Vec<String> = p.required_gates().into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        [
            "tag-strict-semver",
            "versions-lockstep",
            "coupled-tags",
            "ci-green",
            "required-assets-present",
            "checksum-file",
            "signatures-valid",
            "provenance-valid",
            "registry-readback",
            "manifest-publish",
        ]
    );
    assert_eq!(p.gates["registry-readback"].timeout_secs, Some(600));
}

#[test]
fn every_toml_example_in_docs_policy_md_parses() {
    let doc = std::fs::read_to_string(crate::support::repo_root().join("docs/policy.md")).unwrap();
    let mut examples = 0;
    for block in doc.split("```toml\n").skip(1) {
        let text = block.split("```").next().unwrap();
        Policy::from_toml_str(text, "docs/policy.md").unwrap();
        examples += 1;
    }
    assert!(examples >= 1, "docs/policy.md has no toml example");

    // A file on disk loads with its folder as the base for relative paths.
    let dir = tempfile::tempdir().unwrap();
    let path = write_release_toml(dir.path(), FULL);
    std::fs::write(
        dir.path().join("relver.toml"),
        "[[source]]\npath = \"Cargo.toml\"\nkind = \"cargo\"\n",
    )
    .unwrap();
    assert_eq!(Policy::load(&path).unwrap().base_dir, dir.path());
}

/// (policy text, line, column, key, words the message must contain)
fn assert_error(text: &str, line: usize, key: &str, words: &[&str], kind: PolicyErrorKind) {
    let err = Policy::from_toml_str(text, "bad.toml").unwrap_err();
    assert_eq!(err.line(), line, "{err}");
    assert_eq!(err.key(), Some(key), "{err}");
    assert_eq!(err.kind(), &kind, "{err}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("bad.toml:{line}:{}:", err.column())),
        "{shown}"
    );
    for w in words {
        assert!(shown.contains(w), "{shown:?} lacks {w:?}");
    }
}

#[test]
fn unknown_keys_are_rejected_with_line_and_column() {
    assert_error(
        "[project]\nname = \"x\"\n\n[release]\nrequired-asets = [\"a\"]\n",
        5,
        "release.required-asets",
        &["unknown field"],
        PolicyErrorKind::Syntax,
    );
    let err =
        Policy::from_toml_str("[project]\nname = \"x\"\ncolour = 1\n", "bad.toml").unwrap_err();
    assert_eq!(
        (err.line(), err.column(), err.key()),
        (3, 1, Some("project.colour")),
        "{err}"
    );
    assert_error(
        "[project]\nname = \"x\"\n[projekt]\n",
        3,
        "projekt",
        &["unknown field"],
        PolicyErrorKind::Syntax,
    );
}

#[test]
fn registry_endpoints_in_the_policy_are_refused_with_a_hint() {
    assert_error(
        "[project]\nname = \"x\"\n[registries.py]\nkind = \"pypi\"\npackage = \"x\"\nurl = \"http://127.0.0.1:1\"\n",
        6,
        "registries.py.url",
        &["unknown field", "endpoints never go in the policy"],
        PolicyErrorKind::Syntax,
    );
}

#[test]
fn wrong_types_missing_keys_and_bad_values_name_the_key() {
    assert_error(
        "[project]\nname = 3\n",
        2,
        "project.name",
        &["invalid type"],
        PolicyErrorKind::Syntax,
    );
    assert_error(
        "[release]\nrequired-assets = []\n",
        1,
        "project",
        &["missing field"],
        PolicyErrorKind::Syntax,
    );
    assert_error(
        "[project]\nname = \"x\"\n[[artifacts]]\nglob = \"*.whl\"\nkind = \"egg\"\n",
        5,
        "artifacts.kind",
        &["unknown variant"],
        PolicyErrorKind::Syntax,
    );
    let err = Policy::from_toml_str("[project]\nname = \"x\"\n[release\n", "bad.toml").unwrap_err();
    assert_eq!(
        (err.line(), err.key(), err.kind()),
        (3, None, &PolicyErrorKind::Syntax),
        "{err}"
    );
    assert_error(
        "[project]\nname = \"x\"\n[ci]\nbranch = \"main\"\n",
        3,
        "ci.workflows",
        &["missing field"],
        PolicyErrorKind::Syntax,
    );
}

#[test]
fn waivers_need_a_reason_and_a_known_code() {
    assert_error(
        "[project]\nname = \"x\"\n\n[[waivers]]\ngate = \"ci-green\"\n",
        4,
        "waivers[0].reason",
        &["written reason", "has none"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n[[waivers]]\ncode = \"gate-error\"\nreason = \"ok\"\n[[waivers]]\ngate = \"ci-green\"\nreason = \"  \"\n",
        8,
        "waivers[1].reason",
        &["empty"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n[[waivers]]\ncode = \"digest-mismatch-ish\"\nreason = \"r\"\n",
        4,
        "waivers[0].code",
        &["unknown finding code"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n[[waivers]]\nreason = \"r\"\n",
        3,
        "waivers[0]",
        &["must name a `gate`, a `code`"],
        PolicyErrorKind::Invalid,
    );
}

#[test]
fn a_waiver_for_a_gate_the_policy_does_not_have_is_a_typo() {
    assert_error(
        "[project]\nname = \"x\"\n[ci]\nworkflows = []\n[[waivers]]\ngate = \"ci-gren\"\nreason = \"r\"\n",
        6,
        "waivers[0].gate",
        &["not a gate of this policy"],
        PolicyErrorKind::Invalid,
    );
    // The implied gate and an explicit one are fine.
    Policy::from_toml_str(
        "[project]\nname = \"x\"\n[ci]\nworkflows = []\n[gates.extra]\n[[waivers]]\ngate = \"ci-green\"\nreason = \"r\"\n[[waivers]]\ngate = \"extra\"\nreason = \"r\"\n",
        "release.toml",
    )
    .unwrap();
}

#[test]
fn gate_rules_are_checked() {
    assert_error(
        "[project]\nname = \"x\"\n[gates.a]\nafter = [\"nope\"]\n",
        4,
        "gates.a.after",
        &["not a gate of this policy"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n[gates.a]\nphase = \"launch\"\n",
        4,
        "gates.a.phase",
        &["unknown phase"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n[gates.a]\ntimeout-secs = 0\n",
        4,
        "gates.a.timeout-secs",
        &["0 seconds"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n[gates.Bad_Id]\n",
        3,
        "gates",
        &["kebab-case"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n[tag]\npattern = \"release-\"\n",
        3,
        "tag.pattern",
        &["exactly once"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n[versions]\nconfig = \"a.toml\"\ninline = { files = [] }\n",
        3,
        "versions",
        &["not both"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n[versions]\ntree = \"src\"\ngit = \".\"\n",
        3,
        "versions",
        &["not both"],
        PolicyErrorKind::Invalid,
    );
    // Inline relver configuration is validated when the policy is parsed.
    assert_error(
        "[project]\nname = \"x\"\n[versions]\ninline = { files = [] }\n",
        3,
        "versions.inline",
        &["unknown field", "files"],
        PolicyErrorKind::Invalid,
    );
    assert_error(
        "[project]\nname = \"x\"\n\n[versions.inline]\n[[versions.inline.source]]\npath = \"Cargo.toml\"\nkind = \"no-such-kind\"\n",
        4,
        "versions.inline",
        &["no-such-kind"],
        PolicyErrorKind::Invalid,
    );
    let p = Policy::from_toml_str(
        "[project]\nname = \"x\"\n[versions.inline]\ntag-prefixes = [\"v\"]\n[[versions.inline.source]]\npath = \"Cargo.toml\"\nkind = \"cargo\"\n",
        "ok.toml",
    )
    .unwrap();
    let resolved = p.versions.unwrap().resolved.unwrap();
    assert_eq!(resolved.sources[0].path, "Cargo.toml");
}

#[test]
fn a_config_file_is_loaded_with_the_policy_and_its_errors_name_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write_release_toml(
        dir.path(),
        "[project]\nname = \"x\"\n[versions]\nconfig = \"relver.toml\"\n",
    );
    let err = Policy::load(&policy).unwrap_err();
    assert_eq!(err.kind(), &PolicyErrorKind::Io, "{err}");
    assert!(err.file().ends_with("relver.toml"), "{err}");
    std::fs::write(
        dir.path().join("relver.toml"),
        "[[source]]\npath = \"Cargo.toml\"\nkind = \"cargo\"\nbogus = 1\n",
    )
    .unwrap();
    let err = Policy::load(&policy).unwrap_err();
    assert_eq!(
        (err.kind(), err.line()),
        (&PolicyErrorKind::Invalid, 4),
        "{err}"
    );
    std::fs::write(
        dir.path().join("relver.toml"),
        "[[source]]\npath = \"Cargo.toml\"\nkind = \"cargo\"\n",
    )
    .unwrap();
    let p = Policy::load(&policy).unwrap();
    assert_eq!(p.versions.unwrap().resolved.unwrap().sources.len(), 1);
}

#[test]
fn unreadable_and_oversized_files_are_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = Policy::load(&dir.path().join("missing.toml")).unwrap_err();
    assert_eq!(err.kind(), &PolicyErrorKind::Io);
    let big = dir.path().join("big.toml");
    std::fs::write(
        &big,
        vec![b'#'; (relgate::policy::MAX_POLICY_BYTES + 1) as usize],
    )
    .unwrap();
    assert_eq!(Policy::load(&big).unwrap_err().kind(), &PolicyErrorKind::Io);
}

#[tokio::test]
async fn a_broken_policy_file_gives_a_could_not_run_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_release_toml(
        dir.path(),
        "[project]\nname = \"x\"\n[gates.a]\nafter = [\"b\"]\n",
    );
    let r = relgate::run_file(&path, relgate::RunContext::new(dir.path())).await;
    assert_eq!(r.exit_code(), 2);
    assert_eq!(r.errors[0].code, Code::PolicyInvalid);
    let found = r.errors[0].found.as_deref().unwrap();
    assert!(
        found.contains("release.toml:4:") && found.contains("gates.a.after"),
        "{found}"
    );
}
