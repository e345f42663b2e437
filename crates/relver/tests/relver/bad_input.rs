//! Bad input: typed errors naming the file and position, never a panic.

use relver::{Code, Config, DirTree, SourceKind, SourceSpec, Tag, check};

use crate::support::write;

fn run(file: &str, bytes: &[u8], kind: SourceKind) -> relver::Report {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), bytes).unwrap();
    let config = Config::new(vec![SourceSpec::new(file, kind)]);
    let tag: Tag = "v1.0.0".parse().unwrap();
    check(&DirTree::new(dir.path()), &config, Some(&tag))
}

fn unreadable_at(r: &relver::Report) -> (String, Option<usize>, Option<usize>) {
    let f = r
        .errors()
        .next()
        .unwrap_or_else(|| panic!("no error in {r}"));
    assert_eq!(f.code, Code::SourceUnreadable, "{r}");
    (f.path().unwrap().to_owned(), f.line(), f.column())
}

#[test]
fn malformed_toml_json_yaml() {
    // (file, bytes, kind, line and column of the error)
    let cases: [(&str, &[u8], SourceKind, usize, usize); 2] = [
        (
            "Cargo.toml",
            b"[package]\nname = \"x\"\nversion = 1.0.0\n",
            SourceKind::Cargo,
            3,
            14,
        ),
        (
            "package.json",
            b"{\n  \"version\": \"1.0.0\",\n}\n",
            SourceKind::PackageJson,
            3,
            1,
        ),
    ];
    for (file, bytes, kind, line, column) in cases {
        let r = run(file, bytes, kind);
        let at = (file.to_owned(), Some(line), Some(column));
        assert_eq!(unreadable_at(&r), at, "{file}");
    }
    let r = run(
        "Chart.yaml",
        b"name: x\nversion: \"1.0.0\n",
        SourceKind::Openapi,
    );
    assert_eq!(unreadable_at(&r).1, Some(2));
}

#[test]
fn binary_file() {
    let r = run(
        "package.json",
        b"{\"version\": \"1.0.0\"}\n\x00\x01\x02",
        SourceKind::PackageJson,
    );
    assert_eq!(unreadable_at(&r), ("package.json".into(), Some(2), Some(1)));
    assert!(r.errors().next().unwrap().subject.contains("binary"));
}

#[test]
fn hundred_megabyte_file_is_refused_by_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("package.json")).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap();
    drop(f);
    let config = Config::new(vec![SourceSpec::new(
        "package.json",
        SourceKind::PackageJson,
    )]);
    let started = std::time::Instant::now();
    let r = check(&DirTree::new(dir.path()), &config, None);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let f = r.errors().next().unwrap();
    assert_eq!(f.code, Code::SourceUnreadable);
    assert!(f.subject.contains("104857600 bytes"), "{}", f.subject);
}

#[test]
fn deep_json_nest() {
    let mut t = String::from("{\"version\": \"1.0.0\", \"x\": ");
    t.push_str(&"[".repeat(200_000));
    let r = run("package.json", t.as_bytes(), SourceKind::PackageJson);
    let (_, line, col) = unreadable_at(&r);
    assert_eq!((line, col), (Some(1), Some(26 + 128)));
    assert!(
        r.errors()
            .next()
            .unwrap()
            .subject
            .contains("nesting too deep")
    );
}

#[test]
fn ten_thousand_digit_version() {
    let t = format!("{{\"version\": \"{}.0.0\"}}", "1".repeat(10_000));
    let r = run("package.json", t.as_bytes(), SourceKind::PackageJson);
    let f = r.errors().next().unwrap();
    assert_eq!(f.code, Code::VersionInvalid);
    assert_eq!((f.line(), f.column()), (Some(1), Some(13)));
    assert!(f.subject.contains("too long"), "{}", f.subject);
    assert!("v1".repeat(5000).parse::<Tag>().is_err());
}

#[test]
fn paths_and_links_outside_the_tree_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "package.json", "{\"version\": \"1.0.0\"}");
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            outside.path().join("package.json"),
            dir.path().join("package.json"),
        )
        .unwrap();
        let r = run_in(dir.path(), "package.json");
        let f = r.errors().next().unwrap();
        assert_eq!(f.code, Code::SourceUnreadable);
        assert!(
            relver::Tree::read_text(&DirTree::new(dir.path()), "package.json")
                .unwrap_err()
                .to_string()
                .contains("package.json")
        );
    }
    assert!(relver::Tree::read_text(&DirTree::new(dir.path()), "../x").is_err());
    assert!(relver::Tree::read_text(&DirTree::new(dir.path()), "/etc/passwd").is_err());
}

fn run_in(dir: &std::path::Path, file: &str) -> relver::Report {
    let config = Config::new(vec![SourceSpec::new(file, SourceKind::PackageJson)]);
    check(&DirTree::new(dir), &config, None)
}

#[cfg(unix)]
#[test]
fn links_inside_the_tree_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "real/package.json", "{\"version\": \"1.0.0\"}");
    std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("alias")).unwrap();
    let r = run_in(dir.path(), "alias/package.json");
    assert!(r.ok, "{r}");
    assert_eq!(r.fields.len(), 1);
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "package.json", "{\"version\": \"1.0.0\"}");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("escape")).unwrap();
    let r = run_in(dir.path(), "escape/package.json");
    assert_eq!(r.errors().next().unwrap().code, Code::SourceUnreadable);
}
