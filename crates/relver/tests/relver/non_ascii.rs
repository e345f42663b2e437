//! Non-ASCII text next to versions (issue 12 item 4): the slicing that replaced unchecked string
//! indexes keeps every format-preserving edit byte-exact, and never panics.

use std::cell::Cell;

use relver::{
    BumpError, BumpOptions, Changelog, Config, MemTree, ReadError, SourceKind, SourceSpec, Tag,
    Tree, Version, check, plan_bump,
};

const CARGO: &str = "[package]\nname = \"größe\" # ü[{\nversion = \"1.0.0\" # Größe ✓ é\ndescription = \"日本語 [[{{\"\n";
const PACKAGE: &str = "{\n  \"name\": \"ü\",\n  \"version\": \"1.0.0\", \"x\": \"é\\u00e9\"\n}\n";
const OPENAPI: &str = "openapi: 3.0.0\ntítulo: 'Ça va'\ninfo:\n  'clé': \"ü\"\n  title: 'it''s ü'\n  version: '1.0.0' # ü\n";
const PYTHON: &str = "# é\n__version__: \"ä\" = '1.0.0'  # ü\n";
const CHANGELOG: &str = "# Änderungen\n\n## [Unreleased]\n\n- Überarbeitet. <!-- é -->\n\n## [1.0.0] – 2024-01-01 (Größe)\n\n- Erste.\n\n[Unreleased]: https://example.invalid/r/compare/v1.0.0...HEAD\n[1.0.0]: https://example.invalid/r/releases/tag/v1.0.0\n";

fn config() -> Config {
    Config::new(vec![
        SourceSpec::new("Cargo.toml", SourceKind::Cargo),
        SourceSpec::new("package.json", SourceKind::PackageJson),
        SourceSpec::new("openapi.yaml", SourceKind::Openapi),
        SourceSpec::new("pkg/__init__.py", SourceKind::PythonVersion),
        SourceSpec::new("CHANGELOG.md", SourceKind::Changelog),
    ])
}

fn tree() -> MemTree {
    MemTree::new()
        .with_file("Cargo.toml", CARGO)
        .with_file("package.json", PACKAGE)
        .with_file("openapi.yaml", OPENAPI)
        .with_file("pkg/__init__.py", PYTHON)
        .with_file("CHANGELOG.md", CHANGELOG)
}

#[test]
fn versions_next_to_multi_byte_text_are_read_and_bumped_byte_exact() {
    let tree = tree();
    let config = config();
    let tag: Tag = "v1.0.0".parse().unwrap();
    let report = check(&tree, &config, Some(&tag));
    assert_eq!(report.errors().count(), 0, "{report}");
    assert_eq!(report.fields.len(), 4, "{report}"); // the changelog is not a field

    let to = Version::new(1, 1, 0);
    let plan = plan_bump(
        &tree,
        &config,
        &to,
        &BumpOptions::default().with_date("2024-02-29"),
    )
    .unwrap();
    let updated = |path: &str| {
        plan.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.updated.clone())
            .unwrap_or_else(|| panic!("{path} not in the plan"))
    };
    // Exactly the version bytes change; the multi-byte text around them stays as it was.
    for (path, before, quoted) in [
        ("Cargo.toml", CARGO, "\""),
        ("package.json", PACKAGE, "\""),
        ("openapi.yaml", OPENAPI, "'"),
        ("pkg/__init__.py", PYTHON, "'"),
    ] {
        let bumped = before.replace(
            &format!("{quoted}1.0.0{quoted}"),
            &format!("{quoted}1.1.0{quoted}"),
        );
        assert_eq!(updated(path), bumped, "{path}");
    }
    assert_eq!(
        updated("CHANGELOG.md"),
        CHANGELOG
            .replace(
                "## [Unreleased]\n",
                // The new heading is written as the latest one is: with its en dash.
                "## [Unreleased]\n\n## [1.1.0] – 2024-02-29\n"
            )
            .replace(
                "[Unreleased]: https://example.invalid/r/compare/v1.0.0...HEAD\n",
                "[Unreleased]: https://example.invalid/r/compare/v1.1.0...HEAD\n[1.1.0]: https://example.invalid/r/compare/v1.0.0...v1.1.0\n"
            )
    );
    let diff = plan.diff();
    assert!(diff.contains("-version = \"1.0.0\" # Größe ✓ é\n+version = \"1.1.0\" # Größe ✓ é\n"));

    let mut after = MemTree::new();
    for f in &plan.files {
        after.insert(f.path.clone(), f.updated.clone());
    }
    let tag: Tag = "v1.1.0".parse().unwrap();
    let report = check(&after, &config, Some(&tag));
    assert_eq!(report.errors().count(), 0, "{report}");
}

#[test]
fn changelog_headings_with_multi_byte_text_parse() {
    // U+3000 is white space: the label ends at it, the date follows.
    let log = Changelog::parse(
        "## 1.2.0\u{3000}2024-03-01 — Größe\n\n- x\n\n## [1.1.0]（2024-01-01）\n\n<!-- ü -->\n_Keine._\n",
    );
    let s = log.section(&Version::new(1, 2, 0)).unwrap();
    assert_eq!(
        (s.date.as_deref(), s.date_valid),
        (Some("2024-03-01"), true)
    );
    let s = log.section(&Version::new(1, 1, 0)).unwrap();
    assert_eq!(s.date.as_deref(), Some("（2024-01-01）"));
    assert!(!s.date_valid);
    assert!(log.is_empty_section(s));
    assert_eq!(log.body(s), "<!-- ü -->\n_Keine._");
}

#[test]
fn long_non_ascii_input_is_cut_on_a_character() {
    let long = format!("1.0.0-{}", "é".repeat(40));
    let e = long.parse::<Version>().unwrap_err();
    assert_eq!(e.input(), format!("1.0.0-{}…", "é".repeat(29)));
    let e = format!("v{long}").parse::<Tag>().unwrap_err();
    assert_eq!(e.input(), format!("v1.0.0-{}…", "é".repeat(28)));
}

/// A tree whose file changes after its first read: the check sees one text, the bump another.
struct ChangingTree {
    before: MemTree,
    after: MemTree,
    reads: Cell<usize>,
}

impl Tree for ChangingTree {
    fn read_text(&self, path: &str) -> Result<Option<String>, ReadError> {
        let n = self.reads.replace(self.reads.get() + 1);
        if n == 0 {
            self.before.read_text(path)
        } else {
            self.after.read_text(path)
        }
    }

    fn list_files(&self) -> Result<Vec<String>, ReadError> {
        self.before.list_files()
    }
}

#[test]
fn a_file_changed_under_the_plan_is_stale_not_a_panic() {
    let before = "[package]\nname = \"a\"\nversion = \"1.0.0\"\n";
    // The quote before the version becomes a two-byte `é`: the checked span now starts
    // inside a character.
    let after = before.replace("= \"1.0.0", "= é1.0.0");
    let tree = ChangingTree {
        before: MemTree::new().with_file("Cargo.toml", before),
        after: MemTree::new().with_file("Cargo.toml", after),
        reads: Cell::new(0),
    };
    let config = Config::new(vec![SourceSpec::new("Cargo.toml", SourceKind::Cargo)]);
    let r = plan_bump(
        &tree,
        &config,
        &Version::new(1, 1, 0),
        &BumpOptions::default(),
    );
    assert!(
        matches!(&r, Err(BumpError::Stale { path }) if path == "Cargo.toml"),
        "{r:?}"
    );
}

#[test]
fn a_hand_edited_plan_previews_without_panicking() {
    let tree = tree();
    let mut plan = plan_bump(
        &tree,
        &config(),
        &Version::new(1, 1, 0),
        &BumpOptions::default().with_date("2024-02-29"),
    )
    .unwrap();
    let cargo = plan
        .files
        .iter_mut()
        .find(|f| f.path == "Cargo.toml")
        .unwrap();
    // A span starting inside the `ö` of `größe` and ending past the text.
    let mid = cargo.original.find('ö').unwrap() + 1;
    assert!(!cargo.original.is_char_boundary(mid));
    cargo.edits[0].span = mid..cargo.original.len() + 10;
    let diff = plan.diff();
    assert!(diff.contains("--- a/Cargo.toml\n"), "{diff}");
}
