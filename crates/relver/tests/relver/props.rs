//! Property tests: parse∘format round trips, bump-then-check, bytes outside spans preserved.

use std::collections::BTreeMap;

use proptest::prelude::*;
use relver::{
    BumpOptions, Config, DirTree, Report, Role, SourceKind, SourceSpec, Tag, TagPolicy, Version,
    check, parse_tag, plan_bump,
};

fn ident() -> impl Strategy<Value = String> {
    prop_oneof!["[1-9][0-9]{0,3}", "0", "[a-zA-Z-][a-zA-Z0-9-]{0,5}"]
}

fn version() -> impl Strategy<Value = Version> {
    (
        0u64..u64::MAX,
        0u64..1000,
        0u64..1000,
        proptest::option::of(proptest::collection::vec(ident(), 1..4)),
        proptest::option::of(proptest::collection::vec("[a-zA-Z0-9-]{1,6}", 1..3)),
    )
        .prop_map(|(a, b, c, pre, build)| {
            let mut s = format!("{a}.{b}.{c}");
            if let Some(p) = pre {
                s.push('-');
                s.push_str(&p.join("."));
            }
            if let Some(b) = build {
                s.push('+');
                s.push_str(&b.join("."));
            }
            s.parse().unwrap()
        })
}

fn release() -> impl Strategy<Value = Version> {
    (0u64..50, 0u64..50, 0u64..50).prop_map(|(a, b, c)| Version::new(a, b, c))
}

proptest! {
    #[test]
    fn version_round_trips(v in version()) {
        let s = v.to_string();
        let back: Version = s.parse().unwrap();
        prop_assert_eq!(&back, &v);
        prop_assert_eq!(back.to_string(), s);
    }

    #[test]
    fn tag_round_trips(prefix in "([a-z]{1,6}/){0,2}[a-z-]{0,4}", v in version()) {
        let tag = Tag::new(prefix.clone(), v).unwrap();
        let s = tag.to_string();
        let back: Tag = s.parse().unwrap();
        prop_assert_eq!(back.prefix(), prefix.as_str());
        prop_assert_eq!(&back, &tag);
        if tag.version().is_release() {
            let class = parse_tag(&s, &TagPolicy::new([prefix])).unwrap();
            prop_assert_eq!(class.release(), Some(&tag));
        } else {
            prop_assert!(parse_tag(&s, &TagPolicy::new([prefix])).is_err());
        }
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = s.parse::<Version>();
        let _ = s.parse::<Tag>();
        let _ = parse_tag(&s, &TagPolicy::default());
    }

    #[test]
    fn ordering_is_consistent(a in version(), b in version()) {
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        prop_assert_eq!(a == b, a.cmp(&b) == std::cmp::Ordering::Equal);
    }
}

#[derive(Debug)]
struct Style {
    quote: bool,
    spaces: usize,
    comment: bool,
    indent: usize,
    chart_quoted: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        0usize..3,
        any::<bool>(),
        1usize..5,
        any::<bool>(),
    )
        .prop_map(|(quote, spaces, comment, indent, chart_quoted)| Style {
            quote,
            spaces,
            comment,
            indent,
            chart_quoted,
        })
}

fn write_tree(dir: &std::path::Path, v: &Version, s: &Style) -> Config {
    let q = if s.quote { '"' } else { '\'' };
    let sp = " ".repeat(s.spaces);
    let c = if s.comment { " # the version" } else { "" };
    let ind = " ".repeat(s.indent);
    let files: Vec<(&str, String)> = vec![
        (
            "Cargo.toml",
            format!(
                "[package]\nname = \"a\"\nversion{sp}={sp}{q}{v}{q}{c}\n\n[dependencies]\nb = {{ path = \"b\", version = {q}={v}{q} }}\n"
            ),
        ),
        (
            "b/Cargo.toml",
            format!("[package]\nname = \"b\"\nversion = \"{v}\"\n"),
        ),
        (
            "Cargo.lock",
            format!(
                "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"{v}\"\n\n[[package]]\nname = \"b\"\nversion = \"{v}\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n"
            ),
        ),
        (
            "pyproject.toml",
            format!("[project]\nname = \"Py_Pkg\"\nversion{sp}={sp}\"{v}\"{c}\n"),
        ),
        (
            "uv.lock",
            format!(
                "version = 1\n\n[[package]]\nname = \"py-pkg\"\nversion = \"{v}\"\nsource = {{ editable = \".\" }}\n"
            ),
        ),
        (
            "py_pkg/__init__.py",
            format!("\"\"\"Doc.\"\"\"\n__version__{sp}={sp}{q}{v}{q}{c}\n"),
        ),
        (
            "package-lock.json",
            format!(
                "{{\n{ind}\"name\": \"a\",\n{ind}\"version\":{sp}\"{v}\",\n{ind}\"packages\": {{\n{ind}{ind}\"\": {{ \"version\": \"{v}\" }}\n{ind}}}\n}}\n"
            ),
        ),
        (
            "Chart.yaml",
            format!(
                "apiVersion: v2\nversion: {v}{c}\nappVersion: {}\n",
                if s.chart_quoted {
                    format!("\"v{v}\"")
                } else {
                    format!("v{v}")
                }
            ),
        ),
        (
            "openapi.yaml",
            format!("openapi: 3.1.0\ninfo:\n{ind}title: t\n{ind}version: '{v}'{c}\n"),
        ),
        (
            "CHANGELOG.md",
            format!("# Changelog\n\n## Unreleased\n\n- Change.\n\n## {v} - 2020-01-01\n\n- Old.\n"),
        ),
    ];
    for (p, t) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
    Config::new(vec![
        SourceSpec::new("Cargo.toml", SourceKind::Cargo),
        SourceSpec::new("b/Cargo.toml", SourceKind::Cargo),
        SourceSpec::new("Cargo.lock", SourceKind::CargoLock),
        SourceSpec::new("pyproject.toml", SourceKind::Pyproject),
        SourceSpec::new("uv.lock", SourceKind::UvLock),
        SourceSpec::new("py_pkg/__init__.py", SourceKind::PythonVersion),
        SourceSpec::new("package-lock.json", SourceKind::PackageLock),
        SourceSpec::new("Chart.yaml", SourceKind::Yaml).with_key("version"),
        SourceSpec::new("Chart.yaml", SourceKind::Yaml)
            .with_key("appVersion")
            .with_format("v{version}"),
        SourceSpec::new("openapi.yaml", SourceKind::Openapi),
        SourceSpec::new("CHANGELOG.md", SourceKind::Changelog),
        SourceSpec::new("Chart.yaml", SourceKind::Yaml)
            .with_key("apiVersion")
            .with_role(Role::Independent),
    ])
}

/// Each file's text with every version span cut out.
fn skeletons(dir: &std::path::Path, report: &Report) -> BTreeMap<String, String> {
    let mut spans: BTreeMap<String, Vec<std::ops::Range<usize>>> = BTreeMap::new();
    for f in &report.fields {
        if let Some(s) = &f.field.version_span {
            spans
                .entry(f.field.path.clone())
                .or_default()
                .push(s.clone());
        }
    }
    spans
        .into_iter()
        .map(|(p, mut ss)| {
            let text = std::fs::read_to_string(dir.join(&p)).unwrap();
            ss.sort_by_key(|r| r.start);
            ss.dedup();
            let mut out = String::new();
            let mut pos = 0;
            for s in ss {
                out.push_str(&text[pos..s.start]);
                out.push('\u{0}');
                pos = s.end;
            }
            out.push_str(&text[pos..]);
            (p, out)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn bump_then_check_passes_and_preserves_other_bytes(from in release(), to in release(), s in style()) {
        let dir = tempfile::tempdir().unwrap();
        let config = write_tree(dir.path(), &from, &s);
        let tree = DirTree::new(dir.path());
        let before = check(&tree, &config, Some(&Tag::new("v", from.clone()).unwrap()));
        prop_assert!(before.ok, "{}", before);
        prop_assert_eq!(before.fields.len(), 13);
        let skel_before = skeletons(dir.path(), &before);
        let plan = plan_bump(&tree, &config, &to, &BumpOptions::default().with_date("2024-05-06")).unwrap();
        prop_assert_eq!(plan.is_noop(), from == to);
        plan.apply(&tree).unwrap();
        let after = check(&tree, &config, Some(&Tag::new("v", to.clone()).unwrap()));
        prop_assert!(after.ok, "{}", after);
        prop_assert_eq!(after.fields.len(), 13);
        prop_assert_eq!(skel_before, skeletons(dir.path(), &after));
        if from != to {
            let log = std::fs::read_to_string(dir.path().join("CHANGELOG.md")).unwrap();
            let expected = format!("## Unreleased\n\n## {to} - 2024-05-06\n\n- Change.\n");
            prop_assert!(log.contains(&expected), "{}", log);
        }
    }
}
