//! Architecture invariants that the dependency graph must keep (docs/architecture.md):
//! `relver`, `artidigest` and `attest` build with no HTTP client, TLS stack or async runtime,
//! and nothing in the workspace links OpenSSL; inside each crate, no import circle between
//! modules and no source file longer than [`MAX_FILE_LINES`] lines.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

/// Crates that would mean network I/O or an async runtime.
const NETWORK_OR_ASYNC: [&str; 10] = [
    "tokio",
    "reqwest",
    "ureq",
    "hyper",
    "rustls",
    "h2",
    "async-std",
    "smol",
    "mio",
    "native-tls",
];

fn normal_deps(package: &str, features: &[&str]) -> BTreeSet<String> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args([
        "tree",
        "--offline",
        "--locked",
        "-e",
        "normal",
        "--prefix",
        "none",
        "-p",
        package,
    ]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn offline_crates_have_no_network_or_async_stack() {
    for package in ["relver", "artidigest", "attest"] {
        let deps = normal_deps(package, &[]);
        assert!(
            deps.contains(package),
            "cargo tree listed nothing for {package}"
        );
        let bad: Vec<_> = NETWORK_OR_ASYNC
            .iter()
            .filter(|c| deps.contains(**c))
            .collect();
        assert!(bad.is_empty(), "{package} depends on {bad:?}");
    }
}

#[test]
fn relver_and_artidigest_depend_on_no_sibling_and_the_finding_crate_on_nothing_of_ours() {
    for package in ["relver", "artidigest", "relkit-finding"] {
        let deps = normal_deps(package, &[]);
        for sibling in ["relver", "artidigest", "attest", "regclient", "relgate"] {
            if sibling != package {
                assert!(!deps.contains(sibling), "{package} depends on {sibling}");
            }
        }
    }
    // Every crate that reports depends on the one finding crate.
    for package in ["relver", "artidigest", "attest", "relgate"] {
        assert!(
            normal_deps(package, &[]).contains("relkit-finding"),
            "{package} does not report in relkit-finding's Finding"
        );
    }
}

#[test]
fn nothing_links_openssl() {
    for package in ["relkit", "regclient", "relgate"] {
        let deps = normal_deps(package, &[]);
        for banned in ["openssl", "openssl-sys", "native-tls"] {
            assert!(!deps.contains(banned), "{package} depends on {banned}");
        }
    }
}

#[test]
fn one_http_stack_regclients() {
    // relgate reaches HTTP only through regclient (ureq + rustls): no second client library.
    for package in ["relkit", "regclient", "relgate"] {
        let deps = normal_deps(package, &[]);
        for second in ["reqwest", "hyper", "h2", "isahc", "curl"] {
            assert!(!deps.contains(second), "{package} depends on {second}");
        }
    }
    assert!(normal_deps("relgate", &[]).contains("regclient"));
}

/// No file under `crates/*/src` may be longer than this.
const MAX_FILE_LINES: usize = 800;

/// The `src` folders of the workspace's crates.
fn crate_sources() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&crates)
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    assert!(
        out.len() >= 5,
        "found only {out:?} under {}",
        crates.display()
    );
    out
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    support::entries_below(dir)
        .into_iter()
        .filter(|p| !p.is_dir() && p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let mut long = Vec::new();
    for src in crate_sources() {
        for file in rust_files(&src) {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_FILE_LINES {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n  {}",
        long.join("\n  ")
    );
}

#[test]
fn no_import_circle_between_modules() {
    let mut report = String::new();
    for src in crate_sources() {
        for circle in module_circles(&src) {
            writeln!(report, "{}: {circle}", src.display()).unwrap();
        }
    }
    assert!(
        report.is_empty(),
        "import circles between modules:\n{report}"
    );
}

#[test]
fn circle_finder_sees_a_planted_circle_and_no_false_one() {
    let planted = tempfile::tempdir().unwrap();
    let src = planted.path().join("src");
    write_files(
        &src,
        &[
            (
                "lib.rs",
                "mod a;\nmod b;\nmod c;\npub use crate::{a::A, b::{B, Bee}};\n",
            ),
            // A grouped `use`; a comment and a string name `crate::c::d`, which uses `b` (neither
            // counts: if they did, `c/d.rs` would join the circle).
            (
                "a.rs",
                "use crate::{b::{B, Bee as _}, c::E};\n// crate::c::d::D\npub struct A(B, E);\nconst S: &str = r#\"crate::c::d::D\"#;\n",
            ),
            // An inline path back to `a`: the circle a -> b -> a.
            (
                "b.rs",
                "pub struct B(Option<Box<crate::a::A>>);\npub struct Bee;\n",
            ),
            // A parent that declares and re-exports its child, which uses the parent: no circle.
            ("c/mod.rs", "mod d;\npub use self::d::D;\npub struct E;\n"),
            (
                "c/d.rs",
                "use super::E;\npub struct D(E);\nfn f() -> super::super::b::Bee { crate::b::Bee }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    fn g(_: crate::c::E) {}\n}\n",
            ),
        ],
    );
    assert_one_circle(&src, ["a.rs", "b.rs"], "c/");

    // The same crate with the inline path gone is acyclic.
    std::fs::write(src.join("b.rs"), "pub struct B;\npub struct Bee;\n").unwrap();
    assert_eq!(module_circles(&src), Vec::<String>::new());

    // A circle through `super::` paths, `self::` paths and a re-export followed to its module.
    std::fs::write(
        src.join("c/mod.rs"),
        "mod d;\nmod f;\npub use self::d::D;\npub use self::f::F;\npub struct E;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("c/f.rs"),
        "pub struct F(self::G);\npub struct G(super::D);\n",
    )
    .unwrap();
    std::fs::write(src.join("c/d.rs"), "pub struct D(Box<super::F>);\n").unwrap();
    assert_one_circle(&src, ["c/d.rs", "c/f.rs"], "c/mod.rs");
}

/// Asserts that the crate in `src` has exactly one import circle, through both files of
/// `through` and not through `not`.
fn assert_one_circle(src: &Path, through: [&str; 2], not: &str) {
    let circles = module_circles(src);
    assert_eq!(circles.len(), 1, "{circles:?}");
    assert!(
        circles[0].contains(through[0]) && circles[0].contains(through[1]),
        "{circles:?}"
    );
    assert!(!circles[0].contains(not), "{circles:?}");
}

fn write_files(src: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A module: its path from the crate root (`["oci", "client"]`); `[]` is `lib.rs`.
type ModPath = Vec<String>;

/// A token of Rust source with its line: an identifier, `::`, or one punctuation character.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Path,
    Punct(char),
}

/// One reference from a module to a path (`crate::a::B`, `super::C`, a `use` line).
struct Reference {
    from: ModPath,
    segments: Vec<String>,
    line: usize,
    /// From a `mod` or `pub use` line (a parent re-exporting its children is no dependency).
    reexport: bool,
}

/// The module graph of one crate, read from its `src` folder.
///
/// Nodes are modules: one per file (`foo.rs` or `foo/mod.rs` is `foo`, nested folders nest)
/// and one per inline `mod name { … }` block. Edges come from `use crate::…`/`use super::…`/
/// `use self::…` lines (grouped trees like `use crate::{a::X, b::{Y, Z}}` included; a `use`
/// whose first segment is a child module counts as `self::`) and from inline `crate::…`,
/// `super::…` and `self::…` paths in code; comments and string literals are skipped. A path
/// resolves to the deepest module it names; a name that module imports (`pub use x::Y`) is
/// followed to the module it comes from. Edges from a module to its own descendants on `mod`
/// and `pub use` lines do not count: a parent that declares and re-exports its children while
/// the children use `super::` items is the normal Rust layout, not a circle. Every other
/// reference counts, so a parent that *uses* a child's item in code while the child uses the
/// parent is a circle.
struct ModuleGraph {
    /// Module path to the file (and inline module) that defines it, for messages.
    modules: BTreeMap<ModPath, String>,
    /// Names imported by a module: `(module, name)` to the module and path of the `use`.
    imports: BTreeMap<(ModPath, String), (ModPath, Vec<String>)>,
    references: Vec<Reference>,
}

/// Import circles in the crate whose sources are in `src`, one line per circle, each listing
/// the modules and one reference (file:line) for every edge inside it.
fn module_circles(src: &Path) -> Vec<String> {
    let graph = ModuleGraph::read(src);
    // Edges, each with the first reference that made it.
    let mut edges: BTreeMap<ModPath, BTreeMap<ModPath, String>> = BTreeMap::new();
    for r in &graph.references {
        let Some(to) = graph.resolve(&r.from, &r.segments, 0) else {
            continue;
        };
        if to == r.from || (r.reexport && to.starts_with(&r.from)) {
            continue;
        }
        let at = format!("{}:{}", graph.modules[&r.from], r.line);
        edges
            .entry(r.from.clone())
            .or_default()
            .entry(to)
            .or_insert(at);
    }
    let mut out = Vec::new();
    for scc in strongly_connected(&graph.modules, &edges) {
        let mut text = scc
            .iter()
            .map(|m| graph.modules[m].clone())
            .collect::<Vec<_>>()
            .join(" <-> ");
        text.push_str("  [");
        let mut first = true;
        for from in &scc {
            for (to, at) in edges.get(from).into_iter().flatten() {
                if scc.contains(to) {
                    if !first {
                        text.push_str("; ");
                    }
                    first = false;
                    write!(text, "{at} -> {}", graph.modules[to]).unwrap();
                }
            }
        }
        text.push(']');
        out.push(text);
    }
    out
}

/// Tarjan's strongly connected components with more than one module.
fn strongly_connected(
    nodes: &BTreeMap<ModPath, String>,
    edges: &BTreeMap<ModPath, BTreeMap<ModPath, String>>,
) -> Vec<Vec<ModPath>> {
    struct State<'a> {
        edges: &'a BTreeMap<ModPath, BTreeMap<ModPath, String>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a ModPath) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        let edges = s.edges;
        for w in edges.get(v).into_iter().flat_map(BTreeMap::keys) {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                scc.push(w.clone());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                s.out.push(scc);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in nodes.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

impl ModuleGraph {
    fn read(src: &Path) -> ModuleGraph {
        let mut graph = ModuleGraph {
            modules: BTreeMap::new(),
            imports: BTreeMap::new(),
            references: Vec::new(),
        };
        let mut files = Vec::new();
        for file in rust_files(src) {
            let rel = file.strip_prefix(src).unwrap();
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts.first().is_some_and(|p| p == "bin") {
                continue; // binaries are crates of their own
            }
            let last = parts.pop().unwrap();
            match last.as_str() {
                "lib.rs" | "main.rs" if parts.is_empty() => {}
                "mod.rs" => {}
                other => parts.push(other.trim_end_matches(".rs").to_owned()),
            }
            let shown = rel.display().to_string();
            graph.modules.insert(parts.clone(), shown.clone());
            files.push((parts, shown, std::fs::read_to_string(&file).unwrap()));
        }
        // Inline modules first, so that `use child::…` resolves in every file.
        let tokenised: Vec<_> = files
            .into_iter()
            .map(|(module, shown, text)| (module, shown, tokens(&text)))
            .collect();
        for (module, shown, toks) in &tokenised {
            for (inline, _) in inline_modules(module, toks) {
                let name = format!("{shown}::{}", inline[module.len()..].join("::"));
                graph.modules.entry(inline).or_insert(name);
            }
        }
        for (module, _, toks) in &tokenised {
            graph.scan(module, toks);
        }
        graph
    }

    /// Reads the `use` items and inline paths of one file.
    fn scan(&mut self, file_module: &ModPath, toks: &[(Tok, usize)]) {
        let owner = inline_modules(file_module, toks);
        let module_at = |i: usize| -> ModPath {
            owner
                .iter()
                .filter(|(_, (start, end))| *start <= i && i < *end)
                .map(|(m, _)| m)
                .max_by_key(|m| m.len())
                .cloned()
                .unwrap_or_else(|| file_module.clone())
        };
        let ident = |i: usize| match toks.get(i) {
            Some((Tok::Ident(s), _)) => Some(s.as_str()),
            _ => None,
        };
        let mut i = 0;
        while i < toks.len() {
            let line = toks[i].1;
            if ident(i) == Some("use") && toks.get(i + 1).is_some_and(|t| t.0 != Tok::Punct('<')) {
                let module = module_at(i);
                let reexport = is_pub(toks, i);
                let mut j = i + 1;
                let mut trees = Vec::new();
                use_tree(toks, &mut j, Vec::new(), &mut trees);
                for (segments, alias) in trees {
                    if let Some(name) = alias.or_else(|| segments.last().cloned())
                        && name != "_"
                        && name != "self"
                    {
                        self.imports
                            .insert((module.clone(), name), (module.clone(), segments.clone()));
                    }
                    self.references.push(Reference {
                        from: module.clone(),
                        segments,
                        line,
                        reexport,
                    });
                }
                i = j;
                continue;
            }
            let starts_path = matches!(ident(i), Some("crate" | "super" | "self"))
                && toks.get(i + 1).is_some_and(|t| t.0 == Tok::Path)
                && !(i > 0 && toks[i - 1].0 == Tok::Path)
                && !(ident(i) == Some("crate") && i > 0 && ident(i - 1) == Some("in"));
            if starts_path {
                let mut segments = vec![ident(i).unwrap().to_owned()];
                let mut j = i + 1;
                while toks.get(j).is_some_and(|t| t.0 == Tok::Path)
                    && let Some(next) = ident(j + 1)
                {
                    segments.push(next.to_owned());
                    j += 2;
                }
                self.references.push(Reference {
                    from: module_at(i),
                    segments,
                    line,
                    reexport: false,
                });
                i = j;
                continue;
            }
            i += 1;
        }
    }

    /// The module a path names, seen from `from`; `None` for paths outside the crate.
    fn resolve(&self, from: &ModPath, segments: &[String], depth: usize) -> Option<ModPath> {
        let (mut current, rest) = match segments.first()?.as_str() {
            "crate" => (Vec::new(), &segments[1..]),
            "self" => (from.clone(), &segments[1..]),
            "super" => {
                let mut m = from.clone();
                let mut k = 0;
                while segments.get(k).is_some_and(|s| s == "super") {
                    m.pop()?;
                    k += 1;
                }
                (m, &segments[k..])
            }
            first => {
                let mut child = from.clone();
                child.push(first.to_owned());
                if !self.modules.contains_key(&child) {
                    return None; // another crate
                }
                (from.clone(), segments)
            }
        };
        for (k, seg) in rest.iter().enumerate() {
            let mut next = current.clone();
            next.push(seg.clone());
            if self.modules.contains_key(&next) {
                current = next;
                continue;
            }
            if depth < 8
                && let Some((at, path)) = self.imports.get(&(current.clone(), seg.clone()))
            {
                let mut followed = path.clone();
                followed.extend(rest[k + 1..].iter().cloned());
                if let Some(m) = self.resolve(at, &followed, depth + 1) {
                    return Some(m);
                }
            }
            break;
        }
        Some(current)
    }
}

/// Whether the `use` at `i` is `pub` or `pub(…)`.
fn is_pub(toks: &[(Tok, usize)], i: usize) -> bool {
    let is = |k: usize, t: &str| matches!(toks.get(k), Some((Tok::Ident(s), _)) if s == t);
    if i >= 1 && is(i - 1, "pub") {
        return true;
    }
    if i >= 1 && toks[i - 1].0 == Tok::Punct(')') {
        let mut k = i - 1;
        while k > 0 && toks[k].0 != Tok::Punct('(') {
            k -= 1;
        }
        return k >= 1 && is(k - 1, "pub");
    }
    false
}

/// Reads one use tree starting at `*j`, appending `(path, alias)` for each leaf; stops after
/// the closing `;` at the top level.
fn use_tree(
    toks: &[(Tok, usize)],
    j: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix;
    loop {
        match toks.get(*j).map(|t| &t.0) {
            Some(Tok::Ident(s)) if s == "as" => {
                *j += 1;
                let alias = match toks.get(*j).map(|t| &t.0) {
                    Some(Tok::Ident(a)) => Some(a.clone()),
                    _ => None,
                };
                *j += 1;
                out.push((std::mem::take(&mut path), alias));
            }
            Some(Tok::Ident(s)) => {
                path.push(s.clone());
                *j += 1;
            }
            Some(Tok::Path) => *j += 1,
            Some(Tok::Punct('*')) => {
                *j += 1; // globs import nothing by name; the path still counts
                out.push((std::mem::take(&mut path), Some("_".to_owned())));
            }
            Some(Tok::Punct('{')) => {
                *j += 1;
                loop {
                    match toks.get(*j).map(|t| &t.0) {
                        Some(Tok::Punct('}')) | None => {
                            *j += 1;
                            break;
                        }
                        Some(Tok::Punct(',')) => *j += 1,
                        _ => use_tree(toks, j, path.clone(), out),
                    }
                }
                path.clear();
            }
            Some(Tok::Punct(',' | '}')) | None => {
                if !path.is_empty() {
                    out.push((path, None));
                }
                return;
            }
            Some(Tok::Punct(';')) => {
                if !path.is_empty() {
                    out.push((path, None));
                }
                *j += 1;
                return;
            }
            Some(Tok::Punct(_)) => *j += 1,
        }
        // `a::{b, c}` ends the tree at the closing brace.
        if path.is_empty()
            && matches!(
                toks.get(*j).map(|t| &t.0),
                Some(Tok::Punct(',' | '}' | ';'))
            )
        {
            if toks.get(*j).map(|t| &t.0) == Some(&Tok::Punct(';')) {
                *j += 1;
            }
            return;
        }
    }
}

/// Inline `mod name { … }` blocks of a file: module path and token range.
fn inline_modules(file_module: &ModPath, toks: &[(Tok, usize)]) -> Vec<(ModPath, (usize, usize))> {
    let mut out = Vec::new();
    let mut open: Vec<(ModPath, usize, usize)> = Vec::new(); // module, start, depth inside
    let mut depth = 0usize;
    for (i, (t, _)) in toks.iter().enumerate() {
        match t {
            Tok::Ident(m) if m == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((Tok::Punct('{'), _))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    let mut path = open
                        .last()
                        .map_or_else(|| file_module.clone(), |o| o.0.clone());
                    path.push(name.clone());
                    open.push((path, i, depth + 1));
                }
            }
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                if open.last().is_some_and(|o| o.2 == depth) {
                    let (path, start, _) = open.pop().unwrap();
                    out.push((path, (start, i + 1)));
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    out
}

/// Tokens of Rust source with comments, string and character literals removed.
fn tokens(text: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut nest = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    nest += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    nest -= 1;
                    i += 2;
                    if nest == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if c == '"' || ((c == 'r' || c == 'b') && raw_string_start(&chars, i).is_some()) {
            // Plain, byte and raw strings.
            let (hashes, body) = raw_string_start(&chars, i).unwrap_or((None, i + 1));
            i = body;
            while i < chars.len() {
                let d = chars[i];
                line += usize::from(d == '\n');
                if hashes.is_none() && d == '\\' {
                    i += 2;
                    continue;
                }
                i += 1;
                if d == '"' {
                    let n = hashes.unwrap_or(0);
                    if (0..n).all(|k| at(i + k) == '#') {
                        i += n;
                        break;
                    }
                }
            }
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let word = word.strip_prefix("r#").map(str::to_owned).unwrap_or(word);
            out.push((Tok::Ident(word), line));
        } else if c == ':' && at(i + 1) == ':' {
            out.push((Tok::Path, line));
            i += 2;
        } else if c.is_whitespace() || c.is_ascii_digit() {
            i += 1;
        } else {
            out.push((Tok::Punct(c), line));
            i += 1;
        }
    }
    out
}

/// At a `b"`, `r"`, `r#"` or `br#"`: the number of `#`s (`None` for a plain byte string) and
/// where the body starts.
fn raw_string_start(chars: &[char], i: usize) -> Option<(Option<usize>, usize)> {
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None; // inside an identifier
    }
    let mut k = i;
    if at(k) == 'b' {
        k += 1;
        if at(k) == '"' {
            return Some((None, k + 1));
        }
    }
    if at(k) != 'r' {
        return None;
    }
    k += 1;
    let mut hashes = 0;
    while at(k) == '#' {
        hashes += 1;
        k += 1;
    }
    (at(k) == '"').then_some((Some(hashes), k + 1))
}
