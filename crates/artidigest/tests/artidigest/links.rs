//! The link model against the real tools: each hostile link case (and its benign twin) gets an
//! explicit verdict, and whenever GNU `tar` or `unzip` lets the case out of the extraction
//! folder, artidigest refuses it. A proptest does the same for random small trees.

use artidigest::{ArchiveErrorKind, Limits, visit_tar};
use proptest::prelude::*;

use crate::kit::Tar;
use crate::oracle::{
    Node, dir, file, hard, real_escape, sym, tar_of, tools_present, verdict, zip_of,
};

/// A case: name, tree, artidigest's verdict, and whether GNU tar's extraction is known to let
/// a link out (so that the oracle is shown to see escapes at all).
struct Case {
    name: &'static str,
    nodes: Vec<Node>,
    expect: Result<(), &'static str>,
    /// The zip reader's verdict where it differs: it checks every path against every symlink
    /// before it reads a symlink's target (its content), so it names the path first.
    zip_expect: Option<Result<(), &'static str>>,
    tar_escapes: bool,
}

impl Case {
    fn zip(mut self, expect: Result<(), &'static str>) -> Self {
        self.zip_expect = Some(expect);
        self
    }
}

fn case(
    name: &'static str,
    nodes: Vec<Node>,
    expect: Result<(), &'static str>,
    tar_escapes: bool,
) -> Case {
    Case {
        name,
        nodes,
        expect,
        zip_expect: None,
        tar_escapes,
    }
}

fn cases() -> Vec<Case> {
    vec![
        // `up` is the folder itself, so `up/up/../..` climbs two levels from `pkg`.
        case(
            "dot_link_chain",
            vec![
                dir("pkg"),
                sym("pkg/up", "."),
                sym("pkg/x", "up/up/../../etc/passwd"),
            ],
            Err("LinkEscapes"),
            true,
        ),
        case(
            "dot_link_chain_benign",
            vec![
                dir("pkg"),
                sym("pkg/up", "."),
                sym("pkg/x", "up/up/../etc/passwd"),
            ],
            Ok(()),
            false,
        ),
        // The same with the link used before it is defined.
        case(
            "link_defined_later",
            vec![
                dir("pkg"),
                sym("pkg/x", "up/up/../../etc/passwd"),
                sym("pkg/up", "."),
            ],
            Err("LinkEscapes"),
            true,
        ),
        case(
            "link_defined_later_benign",
            vec![dir("pkg"), sym("pkg/x", "up/sub"), sym("pkg/up", ".")],
            Ok(()),
            false,
        ),
        // Through a linked directory (lexically out too).
        case(
            "linked_dir_climb",
            vec![
                dir("pkg"),
                dir("pkg/sub"),
                sym("pkg/d", "sub"),
                sym("pkg/y", "d/../../.."),
            ],
            Err("LinkEscapes"),
            true,
        ),
        // Lexically `pkg/x`; `d` is the root, so `d/..` is above it.
        case(
            "linked_dir_to_root",
            vec![dir("pkg"), sym("pkg/d", ".."), sym("pkg/y", "d/../x")],
            Err("LinkEscapes"),
            true,
        ),
        case(
            "linked_dir_benign",
            vec![
                dir("pkg"),
                dir("pkg/sub"),
                file("pkg/sub/f"),
                sym("pkg/d", "sub"),
                sym("pkg/y", "d/../sub/f"),
            ],
            Ok(()),
            false,
        ),
        // GNU tar links the symlink itself at the root, where `../f` is above the root.
        case(
            "hardlink_to_symlink",
            vec![
                dir("pkg"),
                dir("pkg/sub"),
                file("pkg/f"),
                sym("pkg/sub/l", "../f"),
                hard("h", "pkg/sub/l"),
            ],
            Err("HardlinkToSymlink"),
            true,
        ),
        case(
            "hardlink_to_file_benign",
            vec![dir("pkg"), file("pkg/f"), hard("h", "pkg/f")],
            Ok(()),
            false,
        ),
        case(
            "hardlink_through_linked_dir",
            vec![
                dir("pkg"),
                dir("pkg/sub"),
                file("pkg/sub/f"),
                sym("pkg/d", "sub"),
                hard("pkg/h", "pkg/d/f"),
            ],
            Err("HardlinkToSymlink"),
            false,
        ),
        case(
            "loop_pair",
            vec![sym("a", "b"), sym("b", "a")],
            Err("LinkLoop"),
            false,
        ),
        case("loop_self", vec![sym("a", "a")], Err("LinkLoop"), false),
        case(
            "loop_with_climb",
            vec![dir("p"), sym("p/a", "b/.."), sym("p/b", "a/..")],
            Err("LinkLoop"),
            false,
        ),
        // A file written through a symlinked parent.
        case(
            "write_through_linked_parent",
            vec![dir("pkg"), sym("pkg/etc", "sub"), file("pkg/etc/passwd")],
            Err("PathThroughSymlink"),
            false,
        ),
        case(
            "write_through_escaping_parent",
            vec![dir("pkg"), sym("pkg/etc", "../.."), file("pkg/etc/passwd")],
            Err("LinkEscapes"),
            true,
        )
        .zip(Err("PathThroughSymlink")),
        case(
            "write_through_later_parent",
            vec![dir("pkg"), file("pkg/etc/passwd"), sym("pkg/etc", "sub")],
            Err("PathThroughSymlink"),
            false,
        ),
        case(
            "write_into_real_dir_benign",
            vec![dir("pkg"), dir("pkg/etc"), file("pkg/etc/passwd")],
            Ok(()),
            false,
        ),
        case(
            "dangling_inside_benign",
            vec![dir("pkg"), sym("pkg/l", "missing/file")],
            Ok(()),
            false,
        ),
    ]
}

#[test]
fn every_link_case_has_its_verdict_and_no_escape_is_accepted() {
    let check_tools = tools_present("every_link_case_has_its_verdict_and_no_escape_is_accepted");
    let mut failures = Vec::new();
    for c in cases() {
        let tar = tar_of(&c.nodes);
        let mut archives = vec![("tar", tar, false)];
        if let Some(z) = zip_of(&c.nodes) {
            archives.push(("zip", z, true));
        }
        for (format, bytes, is_zip) in archives {
            let got = verdict(&bytes, is_zip);
            let expect = match c.zip_expect {
                Some(z) if is_zip => z,
                _ => c.expect,
            };
            if got != expect {
                failures.push(format!(
                    "{} ({format}): expected {expect:?}, got {got:?}",
                    c.name
                ));
            }
            if !check_tools {
                continue;
            }
            let escape = real_escape(&bytes, is_zip);
            if let Some(how) = &escape
                && got.is_ok()
            {
                failures.push(format!("{} ({format}): accepted, but {how}", c.name));
            }
            if format == "tar" && c.tar_escapes && escape.is_none() {
                failures.push(format!(
                    "{} (tar): the oracle saw no escape where GNU tar is known to let one out",
                    c.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_name_the_link_and_the_chain() {
    let bytes = tar_of(&[sym("a", "b"), sym("b", "a")]);
    let err = visit_tar(&bytes[..], &Limits::default(), |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(err.kind(), ArchiveErrorKind::LinkLoop { chain } if chain == &["a", "b", "a"]),
        "{err}"
    );
    assert_eq!((err.index(), err.name()), (Some(0), Some("a")));
    let bytes = tar_of(&[
        dir("pkg"),
        sym("pkg/up", "."),
        sym("pkg/x", "up/up/../../etc/passwd"),
    ]);
    let err = visit_tar(&bytes[..], &Limits::default(), |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(err.kind(), ArchiveErrorKind::LinkEscapes { target } if target == "up/up/../../etc/passwd"),
        "{err}"
    );
    assert_eq!((err.index(), err.name()), (Some(2), Some("pkg/x")));
    let bytes = tar_of(&[file("pkg/f"), sym("pkg/l", "f"), hard("h", "pkg/l")]);
    let err = visit_tar(&bytes[..], &Limits::default(), |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(err.kind(), ArchiveErrorKind::HardlinkToSymlink { target, symlink }
            if target == "pkg/l" && symlink == "pkg/l"),
        "{err}"
    );
    assert_eq!(err.index(), Some(2));
}

/// 100,000 links through one chain of 39 links, and 100,000 links in one chain: both return
/// a typed result (the first resolves, the second is a loop), without quadratic work.
#[test]
fn many_chained_links_resolve_in_bounded_time() {
    let mut limits = Limits::default();
    limits.max_entries = 200_000;
    let mut t = Tar::new();
    t.file("target", b"x");
    for i in 0..39 {
        let next = if i == 38 {
            "target".to_owned()
        } else {
            format!("c{}", i + 1)
        };
        t.symlink(&format!("c{i}"), &next);
    }
    for i in 0..100_000 {
        t.symlink(&format!("x/{i}"), "../c0");
    }
    let bytes = t.finish();
    let summary = visit_tar(&bytes[..], &limits, |_, _| Ok(())).unwrap();
    assert_eq!(summary.entries, 100_040);

    let mut t = Tar::new();
    for i in 0..100_000 {
        t.symlink(&format!("l{i}"), &format!("l{}", i + 1));
    }
    let bytes = t.finish();
    let err = visit_tar(&bytes[..], &limits, |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(err.kind(), ArchiveErrorKind::LinkLoop { chain } if chain.len() == 41),
        "{err}"
    );
    // One link too many in the first shape: 40 in the chain, plus the link using it.
    let mut t = Tar::new();
    for i in 0..40 {
        t.symlink(&format!("c{i}"), &format!("c{}", i + 1));
    }
    t.symlink("x", "c0");
    let err = visit_tar(&t.finish()[..], &limits, |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(err.kind(), ArchiveErrorKind::LinkLoop { .. }),
        "{err}"
    );
}

/// A random small tree: paths of one or two components from `a`, `b`, `c`; symlink targets of
/// one to four components from `.`, `..` and those names.
fn tree() -> impl Strategy<Value = Vec<Node>> {
    let name = prop_oneof![Just("a"), Just("b"), Just("c")];
    let path = prop::collection::vec(name.clone(), 1..3).prop_map(|c| c.join("/"));
    let comp = prop_oneof![Just("."), Just(".."), Just(".."), name];
    let target = prop::collection::vec(comp, 1..5).prop_map(|c| c.join("/"));
    let node = (0u8..4, path, target).prop_map(|(k, p, t)| match k {
        0 => Node::Dir(p),
        1 => Node::File(p),
        _ => Node::Symlink(p, t),
    });
    prop::collection::vec(node, 1..7).prop_map(|nodes| {
        // Leading folder so that `..` from the top level has somewhere to go.
        let mut seen = std::collections::BTreeSet::new();
        let mut out = vec![Node::Dir("r".into())];
        for n in nodes {
            let n = match n {
                Node::Dir(p) => Node::Dir(format!("r/{p}")),
                Node::File(p) => Node::File(format!("r/{p}")),
                Node::Symlink(p, t) => Node::Symlink(format!("r/{p}"), t),
                other => other,
            };
            let key = match &n {
                Node::Dir(p) | Node::File(p) | Node::Symlink(p, _) | Node::Hardlink(p, _) => {
                    p.clone()
                }
            };
            if seen.insert(key) {
                out.push(n);
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn what_artidigest_accepts_gnu_tar_keeps_inside(nodes in tree()) {
        if tools_present("what_artidigest_accepts_gnu_tar_keeps_inside") {
            let bytes = tar_of(&nodes);
            if verdict(&bytes, false).is_ok() {
                let escape = real_escape(&bytes, false);
                prop_assert!(escape.is_none(), "accepted {nodes:?}, but {escape:?}");
            }
            let zipped = zip_of(&nodes).unwrap();
            if verdict(&zipped, true).is_ok() {
                let escape = real_escape(&zipped, true);
                prop_assert!(escape.is_none(), "accepted zip {nodes:?}, but {escape:?}");
            }
        }
    }
}
