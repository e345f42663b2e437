//! Discovery on the real fixtures: the proposal checks clean, non-members are not members, and
//! a new crate joining the repo is noticed.

use relver::{Code, DirTree, Discovery, Role, Tag, check, discover};

use crate::fixtures::ordvec_config;
use crate::support::{fixture_copy, shared, source, write};

/// The shared relver fixture `name` and what discovery proposes for it; `None` when the
/// shared fixtures are absent (said by `shared`).
fn discovered(name: &str) -> Option<(DirTree, Discovery)> {
    let tree = DirTree::new(shared()?.join("fixtures/relver").join(name));
    let d = discover(&tree, None).unwrap();
    Some((tree, d))
}

/// The role discovery proposes for the source at `path`, if it proposes one there.
fn proposed_role(d: &Discovery, path: &str) -> Option<Role> {
    d.proposed
        .sources
        .iter()
        .find(|s| s.path == path)
        .map(|s| s.role)
}

#[test]
fn proposes_a_clean_config_for_ordvec() {
    let Some((tree, d)) = discovered("ordvec-v0.5.0") else {
        return;
    };
    let role = |p: &str| proposed_role(&d, p);
    assert_eq!(
        role("benchmarks/beir-bench/Cargo.toml"),
        Some(Role::Independent)
    );
    assert_eq!(role("fuzz/Cargo.toml"), Some(Role::Independent));
    assert_eq!(role("ordvec-manifest/Cargo.toml"), Some(Role::Member));
    assert_eq!(
        role("ordvec-python/python/ordvec/__init__.py"),
        Some(Role::Member)
    );
    assert_eq!(role("CHANGELOG.md"), Some(Role::Member));
    let lock = source(&d.proposed, "fuzz/Cargo.lock");
    assert_eq!(lock.packages.as_deref(), Some(&["ordvec".to_owned()][..]));
    // The proposal round-trips through relver.toml and checks clean at the tag.
    let text = d.proposed.to_toml().unwrap();
    let cfg = relver::Config::from_toml("relver.toml", &text).unwrap();
    let tag: Tag = "v0.5.0".parse().unwrap();
    let r = check(&tree, &cfg, Some(&tag));
    assert!(r.ok, "{r}\n{text}");
    assert_eq!(r.fields.len(), 16);
    // The hand-written config covers everything.
    let d = discover(&tree, Some(&ordvec_config())).unwrap();
    assert!(d.uncovered.is_empty(), "{:#?}", d.uncovered);
}

#[test]
fn a_new_crate_is_noticed() {
    let Some(dir) = fixture_copy("ordvec-v0.5.0") else {
        return;
    };
    write(
        dir.path(),
        "ordvec-cli/Cargo.toml",
        "[package]\nname = \"ordvec-cli\"\nversion = \"0.5.0\"\n",
    );
    write(
        dir.path(),
        "Chart.yaml",
        "apiVersion: v2\nversion: 0.5.0\nappVersion: v0.5.0\n",
    );
    let d = discover(&DirTree::new(dir.path()), Some(&ordvec_config())).unwrap();
    let un: Vec<(String, String, Option<usize>)> = d
        .uncovered
        .iter()
        .map(|f| {
            (
                f.path().unwrap().to_owned(),
                f.key_path().unwrap_or_default().to_owned(),
                f.line(),
            )
        })
        .collect();
    assert_eq!(
        un,
        [
            ("Chart.yaml".into(), "version".into(), Some(2)),
            ("Chart.yaml".into(), "appVersion".into(), Some(3)),
            (
                "ordvec-cli/Cargo.toml".into(),
                "package.version".into(),
                Some(3)
            ),
        ]
    );
    assert!(d.uncovered.iter().all(|f| f.code == Code::Uncovered));
    let app = d
        .proposed
        .sources
        .iter()
        .find(|s| s.key.as_ref().is_some_and(|k| k.parts() == ["appVersion"]))
        .unwrap();
    assert_eq!(app.format.as_deref(), Some("v{version}"));
}

#[test]
fn securescan_frontend_is_not_proposed_as_member() {
    let Some((tree, d)) = discovered("securescan-v0.11.12") else {
        return;
    };
    let role = |p: &str| proposed_role(&d, p);
    assert_eq!(role("frontend/package.json"), Some(Role::Independent));
    assert_eq!(role("backend/pyproject.toml"), Some(Role::Member));
    assert!(check(&tree, &d.proposed, Some(&"v0.11.12".parse().unwrap())).ok);
}
