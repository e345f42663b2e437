//! Acceptance: the two real projects in `shared/fixtures/relver` check clean at their tags, and
//! mutated copies fail at exactly the right file, line and values.

use relver::{Code, Config, DirTree, Report, Role, Severity, SourceKind, SourceSpec, Tag, check};

use crate::support::{
    ErrorAt, error, errors, field_where, fixture_copy, fixture_tree, mismatch, replace_once,
    shared, write,
};

pub(crate) fn ordvec_config() -> Config {
    let cargo = |p: &str| SourceSpec::new(p, SourceKind::Cargo);
    let mut c = Config::new(vec![
        cargo("Cargo.toml"),
        cargo("ordvec-manifest/Cargo.toml"),
        cargo("ordvec-python/Cargo.toml"),
        cargo("ordvec-manifest-python/Cargo.toml"),
        cargo("ordvec-ffi/Cargo.toml"),
        SourceSpec::new("ordvec-python/pyproject.toml", SourceKind::Pyproject),
        SourceSpec::new(
            "ordvec-manifest-python/pyproject.toml",
            SourceKind::Pyproject,
        ),
        SourceSpec::new(
            "ordvec-python/python/ordvec/__init__.py",
            SourceKind::PythonVersion,
        ),
        SourceSpec::new(
            "ordvec-manifest-python/python/ordvec_manifest/__init__.py",
            SourceKind::PythonVersion,
        ),
        SourceSpec::new("Cargo.lock", SourceKind::CargoLock).with_packages([
            "ordvec",
            "ordvec-ffi",
            "ordvec-manifest",
            "ordvec-manifest-python",
            "ordvec-python",
        ]),
        SourceSpec::new("fuzz/Cargo.lock", SourceKind::CargoLock).with_packages(["ordvec"]),
        SourceSpec::new("CHANGELOG.md", SourceKind::Changelog),
        cargo("benchmarks/beir-bench/Cargo.toml").with_role(Role::Independent),
        cargo("fuzz/Cargo.toml").with_role(Role::Independent),
    ]);
    c.changelog.require_links = false;
    c
}

pub(crate) fn securescan_config() -> Config {
    Config::new(vec![
        SourceSpec::new("backend/pyproject.toml", SourceKind::Pyproject),
        SourceSpec::new("CHANGELOG.md", SourceKind::Changelog),
        SourceSpec::new("frontend/package.json", SourceKind::PackageJson)
            .with_role(Role::Independent),
    ])
}

fn tag(s: &str) -> Tag {
    s.parse().unwrap()
}

/// The fixture project `name` read in place and its check against `tag_name`, which must be
/// clean.
fn checks_clean(name: &str, config: &Config, tag_name: &str) -> Option<(DirTree, Report)> {
    let tree = fixture_tree(name)?;
    let r = check(&tree, config, Some(&tag(tag_name)));
    assert!(r.ok, "{r}");
    assert!(r.findings.is_empty(), "{r}");
    Some((tree, r))
}

#[test]
fn ordvec_checks_clean_at_v0_5_0() {
    let Some((tree, r)) = checks_clean("ordvec-v0.5.0", &ordvec_config(), "v0.5.0") else {
        return;
    };
    // 5 manifests + the manifest crate's dependency, 2 pyprojects, 2 __init__.py, 5 + 1 lock entries.
    assert_eq!(
        r.fields.len(),
        16,
        "{:#?}",
        r.fields
            .iter()
            .map(|f| (&f.field.path, &f.field.key))
            .collect::<Vec<_>>()
    );
    assert!(
        r.fields
            .iter()
            .all(|f| f.field.version.as_ref().map(ToString::to_string).as_deref() == Some("0.5.0"))
    );
    assert!(
        !r.fields
            .iter()
            .any(|f| f.field.path.contains("beir-bench") || f.field.path == "fuzz/Cargo.toml")
    );
    let dep = field_where(&r, |f| f.key == "dependencies.ordvec.version");
    assert_eq!(
        (dep.field.path.as_str(), dep.field.line),
        ("ordvec-manifest/Cargo.toml", 32)
    );
    // Without a tag the members agree on 0.5.0.
    let r = check(&tree, &ordvec_config(), None);
    assert!(r.ok, "{r}");
    assert_eq!(r.expected.unwrap().to_string(), "0.5.0");
}

#[test]
fn securescan_checks_clean_at_v0_11_12() {
    let Some((tree, r)) = checks_clean("securescan-v0.11.12", &securescan_config(), "v0.11.12")
    else {
        return;
    };
    assert_eq!(r.fields.len(), 1);
    assert_eq!(r.fields[0].field.line, 3);
    // The frontend package.json would be flagged if it were a member: it is not, so 0 findings.
    let mut member_frontend = securescan_config();
    member_frontend.sources[2].role = Role::Member;
    let r = check(&tree, &member_frontend, Some(&tag("v0.11.12")));
    assert_eq!(
        errors(&r),
        [mismatch("frontend/package.json", 3, "0.1.0", "0.11.12")]
    );
}

#[test]
fn wrong_tag_reports_every_member() {
    let Some(tree) = fixture_tree("ordvec-v0.5.0") else {
        return;
    };
    let r = check(&tree, &ordvec_config(), Some(&tag("v0.5.1")));
    let mismatches = r
        .errors()
        .filter(|f| f.code == Code::VersionMismatch)
        .count();
    assert_eq!(mismatches, 16);
    assert!(r.errors().any(|f| f.code == Code::ChangelogSectionMissing));
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["tag"], "v0.5.1");
    assert_eq!(json["findings"][0]["code"], "version-mismatch");
    assert_eq!(json["findings"][0]["expected"], "0.5.1");
}

fn mutated(name: &str) -> Option<(tempfile::TempDir, std::path::PathBuf)> {
    let dir = fixture_copy(name)?;
    let root = dir.path().to_owned();
    Some((dir, root))
}

/// A copy of ordvec at v0.5.0 with `from` replaced by `to` once in `file`, and its check
/// against the tag v0.5.0.
fn ordvec_edited(
    file: &str,
    from: &str,
    to: &str,
) -> Option<(tempfile::TempDir, std::path::PathBuf, Report)> {
    let (dir, root) = mutated("ordvec-v0.5.0")?;
    replace_once(&root.join(file), from, to);
    let r = check(&DirTree::new(&root), &ordvec_config(), Some(&tag("v0.5.0")));
    Some((dir, root, r))
}

#[test]
fn one_file_bumped_is_found_exactly() {
    let Some((_d, root, r)) = ordvec_edited(
        "ordvec-ffi/Cargo.toml",
        "version = \"0.5.0\"",
        "version = \"0.5.1\"",
    ) else {
        return;
    };
    assert_eq!(
        errors(&r),
        [mismatch("ordvec-ffi/Cargo.toml", 3, "0.5.1", "0.5.0")]
    );
    let f = r.errors().next().unwrap();
    assert_eq!(f.key_path(), Some("package.version"));
    assert!(f.hint.as_deref().unwrap().contains("0.5.0"));
    // Without a tag: the majority wins and the odd one out is named.
    let r = check(&DirTree::new(&root), &ordvec_config(), None);
    assert_eq!(
        errors(&r),
        [error(
            Code::VersionsDisagree,
            "ordvec-ffi/Cargo.toml",
            3,
            "0.5.1",
            "0.5.0"
        )]
    );
    assert!(r.to_string().contains("ordvec-ffi/Cargo.toml:3"));
}

/// One version left behind in a copy of ordvec: (file, from, to, line, found, key path).
const LEFT_BEHIND: [(&str, &str, &str, usize, &str, &str); 3] = [
    (
        "ordvec-ffi/Cargo.toml",
        "version = \"0.5.0\"",
        "version = \"0.5.1\"",
        3,
        "0.5.1",
        "package.version",
    ),
    (
        "ordvec-manifest/Cargo.toml",
        "ordvec = { version = \"0.5.0\"",
        "ordvec = { version = \"=0.4.0\"",
        32,
        "0.4.0",
        "dependencies.ordvec.version",
    ),
    (
        "fuzz/Cargo.lock",
        "name = \"ordvec\"\nversion = \"0.5.0\"",
        "name = \"ordvec\"\nversion = \"0.4.0\"",
        234,
        "0.4.0",
        "package[name=ordvec].version",
    ),
];

#[test]
fn a_version_left_behind_is_found_exactly() {
    for (file, from, to, line, found, key_path) in LEFT_BEHIND {
        let Some((_d, _, r)) = ordvec_edited(file, from, to) else {
            return;
        };
        assert_eq!(errors(&r), [mismatch(file, line, found, "0.5.0")], "{file}");
        let key = r.errors().next().unwrap().key_path();
        assert_eq!(key, Some(key_path), "{file}");
    }
}

/// A copy of the fixture project `name` whose changelog lost the lines from heading `from` up
/// to heading `to`, and its check against `tag_name`.
fn section_removed(
    name: &str,
    config: &Config,
    tag_name: &str,
    (from, to): (&str, &str),
) -> Option<(tempfile::TempDir, Report)> {
    let (dir, root) = mutated(name)?;
    let p = root.join("CHANGELOG.md");
    let t = std::fs::read_to_string(&p).unwrap();
    let start = t.find(from).unwrap();
    let end = t.find(to).unwrap();
    std::fs::write(&p, format!("{}{}", &t[..start], &t[end..])).unwrap();
    let r = check(&DirTree::new(&root), config, Some(&tag(tag_name)));
    Some((dir, r))
}

/// The changelog section for `expected` missing at `line`, where `found` is the latest section.
fn section_missing(line: usize, found: &str, expected: &str) -> ErrorAt {
    error(
        Code::ChangelogSectionMissing,
        "CHANGELOG.md",
        line,
        found,
        expected,
    )
}

#[test]
fn changelog_section_removed() {
    // (fixture, config, tag, section cut out (from, to), latest section left, expected section);
    // ordvec's unbracketed heading style follows the same rule.
    let cases = [
        (
            "securescan-v0.11.12",
            securescan_config(),
            "v0.11.12",
            ("## [0.11.12]", "## [0.11.11]"),
            "0.11.11",
            "0.11.12",
        ),
        (
            "ordvec-v0.5.0",
            ordvec_config(),
            "v0.5.0",
            ("## 0.5.0 - 2026-06-19", "## 0.4.0"),
            "0.4.0",
            "0.5.0",
        ),
    ];
    for (fixture, config, tag_name, cut, found, expected) in cases {
        let Some((_d, r)) = section_removed(fixture, &config, tag_name, cut) else {
            return;
        };
        assert_eq!(
            errors(&r),
            [section_missing(12, found, expected)],
            "{fixture}"
        );
    }
}

#[test]
fn chart_app_version_quoted_or_not_passes() {
    let dir = tempfile::tempdir().unwrap();
    let chart = "apiVersion: v2\nname: advisoryhub\nversion: 1.4.0\nappVersion: \"v1.4.0\"\n";
    std::fs::write(dir.path().join("Chart.yaml"), chart).unwrap();
    let config = Config::new(vec![
        SourceSpec::new("Chart.yaml", SourceKind::Yaml).with_key("version"),
        SourceSpec::new("Chart.yaml", SourceKind::Yaml)
            .with_key("appVersion")
            .with_format("v{version}"),
    ]);
    let t = tag("v1.4.0");
    assert!(check(&DirTree::new(dir.path()), &config, Some(&t)).ok);
    // The chart with another appVersion, checked.
    let app_version = |value: &str| {
        let text = chart.replace("\"v1.4.0\"", value);
        std::fs::write(dir.path().join("Chart.yaml"), text).unwrap();
        check(&DirTree::new(dir.path()), &config, Some(&t))
    };
    // appVersion unquoted: still the same value, must pass.
    let r = app_version("v1.4.0");
    assert!(r.ok, "{r}");
    // appVersion stuck at an old value: exact line and values.
    let r = app_version("0.1.0");
    let invalid = error(Code::VersionInvalid, "Chart.yaml", 4, "0.1.0", "1.4.0");
    assert_eq!(errors(&r), [invalid]);
    let r = app_version("v0.1.0");
    assert_eq!(errors(&r), [mismatch("Chart.yaml", 4, "0.1.0", "1.4.0")]);
    // A derived placeholder is reported, not drift.
    let mut derived = config.clone();
    derived.sources[1].role = Role::Derived;
    let r = check(&DirTree::new(dir.path()), &derived, Some(&t));
    assert!(r.ok);
    assert_eq!(r.findings[0].code, Code::DerivedDiffers);
    assert_eq!(r.findings[0].severity, Severity::Info);
}

#[test]
fn every_other_ecosystem() {
    let dir = tempfile::tempdir().unwrap();
    let w = |p: &str, t: &str| write(dir.path(), p, t);
    w(
        "pyproject.toml",
        "[project]\nname = \"Advisory_Hub\"\nversion = \"2.0.0\"\n",
    );
    w(
        "uv.lock",
        "version = 1\n\n[[package]]\nname = \"advisory-hub\"\nversion = \"2.0.0\"\nsource = { virtual = \".\" }\n",
    );
    w(
        "package-lock.json",
        "{\n  \"name\": \"x\",\n  \"version\": \"2.0.0\",\n  \"packages\": {\n    \"\": {\n      \"version\": \"2.0.0\"\n    }\n  }\n}\n",
    );
    w(
        "openapi.yaml",
        "{\"openapi\": \"3.1.0\", \"info\": {\"title\": \"x\", \"version\": \"2.0.0\"}}\n",
    );
    w(
        "api/openapi.yaml",
        "openapi: 3.1.0\ninfo:\n  title: x\n  version: '2.0.0'\n",
    );
    w(
        "Dockerfile",
        "FROM x\nLABEL org.opencontainers.image.version=\"2.0.0\"\n",
    );
    w(
        "ws/Cargo.toml",
        "[workspace]\nmembers = [\"a\"]\n[workspace.package]\nversion = \"2.0.0\"\n[workspace.dependencies]\na = { path = \"a\", version = \"2.0.0\" }\n",
    );
    w(
        "ws/a/Cargo.toml",
        "[package]\nname = \"a\"\nversion.workspace = true\n",
    );
    w(
        "dyn/pyproject.toml",
        "[project]\nname = \"d\"\ndynamic = [\"version\"]\n",
    );
    let config = Config::new(vec![
        SourceSpec::new("pyproject.toml", SourceKind::Pyproject),
        SourceSpec::new("uv.lock", SourceKind::UvLock),
        SourceSpec::new("package-lock.json", SourceKind::PackageLock),
        SourceSpec::new("openapi.yaml", SourceKind::Openapi),
        SourceSpec::new("api/openapi.yaml", SourceKind::Openapi),
        SourceSpec::new("Dockerfile", SourceKind::Regex)
            .with_pattern(r#"image\.version="([^"]+)""#, 1),
        SourceSpec::new("ws/Cargo.toml", SourceKind::Cargo),
        SourceSpec::new("ws/a/Cargo.toml", SourceKind::Cargo),
        SourceSpec::new("missing.json", SourceKind::PackageJson).with_role(Role::Optional),
    ]);
    let t = tag("v2.0.0");
    let r = check(&DirTree::new(dir.path()), &config, Some(&t));
    assert!(r.ok, "{r}");
    assert_eq!(r.fields.len(), 10, "{r:#?}");
    let inh = field_where(&r, |f| f.path == "ws/a/Cargo.toml");
    assert!(
        inh.field
            .note
            .as_deref()
            .unwrap()
            .contains("ws/Cargo.toml:4")
    );
    // dynamic versions are reported, never silently passed
    let mut with_dyn = config.clone();
    with_dyn
        .sources
        .push(SourceSpec::new("dyn/pyproject.toml", SourceKind::Pyproject));
    let r = check(&DirTree::new(dir.path()), &with_dyn, Some(&t));
    assert_eq!(
        errors(&r),
        [error(
            Code::VersionDynamic,
            "dyn/pyproject.toml",
            3,
            "\"version\"",
            "2.0.0"
        )]
    );
    // the regex count is exact
    w(
        "Dockerfile",
        "LABEL org.opencontainers.image.version=\"2.0.0\"\nLABEL org.opencontainers.image.version=\"2.0.0\"\n",
    );
    let r = check(&DirTree::new(dir.path()), &config, Some(&t));
    assert_eq!(errors(&r)[0].0, Code::MatchCount);
    // a missing member is an error
    let mut missing = config;
    missing.sources.push(SourceSpec::new(
        "nope/package.json",
        SourceKind::PackageJson,
    ));
    let r = check(&DirTree::new(dir.path()), &missing, Some(&t));
    assert!(
        r.errors()
            .any(|f| f.code == Code::SourceMissing && f.path() == Some("nope/package.json"))
    );
}

#[test]
fn securescan_changelog_quirks_and_byte_exact_notes() {
    let Some(shared) = shared() else { return };
    let text =
        std::fs::read_to_string(shared.join("fixtures/relver/securescan-v0.11.12/CHANGELOG.md"))
            .unwrap();
    let log = relver::Changelog::parse(&text);
    let v = relver::Version::new(0, 11, 12);
    // Lines 14..=41 of the file, byte for byte.
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let expected = lines[13..41].concat();
    assert_eq!(log.extract(&v).unwrap(), expected.trim_end());
    assert!(log.extract(&v).unwrap().ends_with("same-target options."));
    // Unreleased only holds an HTML comment: empty.
    assert!(log.is_empty_section(log.unreleased().unwrap()));
    let mut policy = relver::ChangelogPolicy::default();
    policy.require_links = true;
    let findings = log.lint("CHANGELOG.md", &policy);
    let base: Vec<_> = findings
        .iter()
        .filter(|f| f.code == Code::ChangelogUnreleasedBase)
        .collect();
    assert_eq!(base.len(), 1);
    assert_eq!(
        (
            base[0].line(),
            base[0].found.as_deref(),
            base[0].expected.as_deref()
        ),
        (Some(1332), Some("v0.11.0"), Some("v0.11.12"))
    );
    let missing: Vec<Option<usize>> = findings
        .iter()
        .filter(|f| f.code == Code::ChangelogLinkMissing)
        .map(|f| f.line())
        .collect();
    assert_eq!(
        missing.len(),
        12,
        "0.11.1 ..= 0.11.12 have no link definitions"
    );
    assert_eq!(missing[0], Some(12));
    assert!(
        findings.iter().all(|f| f.severity == Severity::Warning),
        "{findings:#?}"
    );
    // The ordvec changelog mixes heading styles; all its sections are found and dated.
    let text =
        std::fs::read_to_string(shared.join("fixtures/relver/ordvec-v0.5.0/CHANGELOG.md")).unwrap();
    let log = relver::Changelog::parse(&text);
    let found: Vec<(String, usize, bool)> = log
        .sections()
        .iter()
        .filter_map(|s| s.version().map(|v| (v.to_string(), s.line, s.bracketed)))
        .collect();
    assert_eq!(
        found,
        [
            ("0.5.0".to_owned(), 12, false),
            ("0.4.0".to_owned(), 177, false),
            ("0.3.0".to_owned(), 219, false),
            ("0.2.0".to_owned(), 258, true),
            ("0.1.0".to_owned(), 330, true)
        ]
    );
    assert!(
        log.lint("CHANGELOG.md", &relver::ChangelogPolicy::default())
            .is_empty()
    );
    assert!(log.is_empty_section(log.unreleased().unwrap()));
}
