//! The public API of the library crates names no third-party type (docs/architecture.md,
//! "Public API rules"). Every source file of a library crate is parsed; each public item's
//! signature (function parameters and result, generic bounds, public fields, enum variant
//! fields, type aliases, constants, trait items, trait impls on public types, `pub use`) has its
//! paths resolved through the file's `use` lines and its type aliases, and a path into one of
//! the crate's dependencies fails the test, unless it is serde (whose traits are the de facto
//! vocabulary of serialisation) or one of the few documented [`EXCEPTIONS`].
//!
//! `pub` means public here: the workspace warns on `unreachable_pub` and CI denies warnings, so a
//! `pub` item that is not reachable from the crate root does not build.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// The published library crates whose public surface is checked (support crates are not).
const LIBRARIES: [&str; 6] = [
    "relkit-finding",
    "artidigest",
    "relver",
    "attest",
    "regclient",
    "relgate",
];

/// Dependencies whose items may appear in public signatures.
const VOCABULARY: [&str; 1] = [
    // `Serialize`/`Deserialize` as bounds and `Serializer`/`Deserializer` as parameters are the
    // de facto vocabulary of serialisation in Rust; a type of ours serialises through them.
    "serde",
];

/// Why test support may name `serde_json::Value`: it is built only for tests.
const TEST_SUPPORT: &str = "test support behind a test-only feature (`test-stack`, \
     `test-registry`) that no library build enables (tests/root_library.rs): tests hand it JSON \
     documents, and it is not part of the stable API";

/// Deliberate exceptions: (source file under `crates/`, item, third-party path, reason).
const EXCEPTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "artidigest/src/hasher.rs",
        "digest_async_reader",
        "tokio::io::AsyncRead",
        "behind the opt-in `tokio` feature, the async twin of `digest_reader` reads what the \
         caller's runtime gives it; tokio's reader trait is the only vocabulary there is",
    ),
    (
        "attest/src/test_stack/signing.rs",
        "TestStack::pep740_attestation",
        "serde_json::Value",
        TEST_SUPPORT,
    ),
    (
        "regclient/src/testing.rs",
        "TestRegistry::push_manifest",
        "serde_json::Value",
        TEST_SUPPORT,
    ),
    (
        "regclient/src/testing.rs",
        "TestRegistry::push_image",
        "serde_json::Value",
        TEST_SUPPORT,
    ),
    (
        "regclient/src/testing.rs",
        "TestRegistry::push_chart",
        "serde_json::Value",
        TEST_SUPPORT,
    ),
    (
        "regclient/src/testing.rs",
        "TestRegistry::push_cosign_signature",
        "serde_json::Value",
        TEST_SUPPORT,
    ),
];

/// Public types that may stay exhaustive: (source file under `crates/`, type, reason).
const EXHAUSTIVE: &[(&str, &str, &str)] = &[(
    "attest/src/test_stack/identity.rs",
    "TestIdentity",
    "test support behind the `test-stack` feature: tests build identities field by field",
)];

/// One public item whose signature names a third-party path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    file: String,
    item: String,
    path: String,
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names code uses for a crate's normal dependencies (`-` spelled `_`), less ours and the
/// vocabulary.
fn third_party_deps(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let mut tables: Vec<&toml::Table> = Vec::new();
    if let Some(t) = doc.get("dependencies").and_then(toml::Value::as_table) {
        tables.push(t);
    }
    if let Some(targets) = doc.get("target").and_then(toml::Value::as_table) {
        for target in targets.values() {
            if let Some(t) = target.get("dependencies").and_then(toml::Value::as_table) {
                tables.push(t);
            }
        }
    }
    let ours: BTreeSet<String> = LIBRARIES.iter().map(|c| c.replace('-', "_")).collect();
    tables
        .iter()
        .flat_map(|t| t.keys())
        .map(|k| k.replace('-', "_"))
        .filter(|k| !ours.contains(k) && !VOCABULARY.contains(&k.as_str()))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string().trim() == "test")
    })
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// What a file's paths resolve through: its imports, its own module names and type aliases.
#[derive(Default)]
struct Scope {
    /// Imported name → full path (a leading `::` kept as a segment).
    imports: BTreeMap<String, Vec<String>>,
    /// Modules declared in the file (`mod tar;` makes `tar::…` local, not the `tar` crate).
    local_mods: BTreeSet<String>,
    /// Type aliases declared in the file, by name.
    aliases: BTreeMap<String, syn::Type>,
}

fn use_tree(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut BTreeMap<String, Vec<String>>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_tree(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.last() {
                    out.insert(last.clone(), prefix.clone());
                }
            } else {
                let mut full = prefix.clone();
                full.push(name.clone());
                out.insert(name, full);
            }
        }
        syn::UseTree::Rename(r) => {
            let mut full = prefix.clone();
            if r.ident != "self" {
                full.push(r.ident.to_string());
            }
            out.insert(r.rename.to_string(), full);
        }
        syn::UseTree::Glob(_) => {
            let mut full = prefix.clone();
            full.push("*".to_owned());
            out.insert(format!("*{}", prefix.join("::")), full);
        }
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_tree(t, prefix, out);
            }
        }
    }
}

fn use_paths(item: &syn::ItemUse) -> BTreeMap<String, Vec<String>> {
    let mut prefix = Vec::new();
    if item.leading_colon.is_some() {
        prefix.push("::".to_owned());
    }
    let mut out = BTreeMap::new();
    use_tree(&item.tree, &mut prefix, &mut out);
    out
}

fn collect_scope(items: &[syn::Item], scope: &mut Scope) {
    for item in items {
        match item {
            syn::Item::Use(u) => scope.imports.extend(use_paths(u)),
            syn::Item::Mod(m) => {
                scope.local_mods.insert(m.ident.to_string());
                if let Some((_, inner)) = &m.content {
                    collect_scope(inner, scope);
                }
            }
            syn::Item::Type(t) => {
                scope.aliases.insert(t.ident.to_string(), (*t.ty).clone());
            }
            _ => {}
        }
    }
}

/// The third-party path `segments` names, if any.
fn third_party(segments: &[String], scope: &Scope, deps: &BTreeSet<String>) -> Option<String> {
    let first = segments.first()?;
    if first == "::" {
        let krate = segments.get(1)?;
        return deps.contains(krate).then(|| segments[1..].join("::"));
    }
    if matches!(first.as_str(), "crate" | "self" | "super" | "Self")
        || scope.local_mods.contains(first)
    {
        return None;
    }
    deps.contains(first).then(|| segments.join("::"))
}

/// Collects the third-party paths of one signature fragment.
struct PathFinder<'a> {
    scope: &'a Scope,
    deps: &'a BTreeSet<String>,
    found: BTreeSet<String>,
    alias_depth: usize,
}

impl<'ast> Visit<'ast> for PathFinder<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if path.leading_colon.is_some() {
            segments.insert(0, "::".to_owned());
        } else if let Some(full) = segments.first().and_then(|f| self.scope.imports.get(f)) {
            segments.splice(0..1, full.iter().cloned());
        } else if let (1, Some(alias)) = (
            segments.len(),
            segments.first().and_then(|f| self.scope.aliases.get(f)),
        ) && self.alias_depth < 8
        {
            self.alias_depth += 1;
            self.visit_type(alias);
            self.alias_depth -= 1;
        }
        if let Some(p) = third_party(&segments, self.scope, self.deps) {
            self.found.insert(p);
        }
        syn::visit::visit_path(self, path);
    }
}

/// Scans one crate's parsed files.
struct Scanner<'a> {
    deps: &'a BTreeSet<String>,
    /// Names of the crate's public types and traits (impls on other types are not public API).
    pub_types: &'a BTreeSet<String>,
    violations: Vec<Violation>,
}

impl Scanner<'_> {
    fn record(
        &mut self,
        file: &str,
        item: &str,
        scope: &Scope,
        visit: impl FnOnce(&mut PathFinder<'_>),
    ) {
        let mut finder = PathFinder {
            scope,
            deps: self.deps,
            found: BTreeSet::new(),
            alias_depth: 0,
        };
        visit(&mut finder);
        for path in finder.found {
            self.violations.push(Violation {
                file: file.to_owned(),
                item: item.to_owned(),
                path,
            });
        }
    }

    fn fields(&mut self, file: &str, owner: &str, fields: &syn::Fields, scope: &Scope, all: bool) {
        for (i, field) in fields.iter().enumerate() {
            if all || is_pub(&field.vis) {
                let name = field
                    .ident
                    .as_ref()
                    .map_or_else(|| i.to_string(), ToString::to_string);
                self.record(file, &format!("{owner}.{name}"), scope, |f| {
                    f.visit_type(&field.ty)
                });
            }
        }
    }

    fn items(&mut self, file: &str, items: &[syn::Item], scope: &Scope) {
        for item in items {
            match item {
                syn::Item::Fn(f) if is_pub(&f.vis) && !is_cfg_test(&f.attrs) => {
                    self.record(file, &f.sig.ident.to_string(), scope, |v| {
                        v.visit_signature(&f.sig)
                    });
                }
                syn::Item::Struct(s) if is_pub(&s.vis) && !is_cfg_test(&s.attrs) => {
                    let name = s.ident.to_string();
                    self.record(file, &name, scope, |v| v.visit_generics(&s.generics));
                    self.fields(file, &name, &s.fields, scope, false);
                }
                syn::Item::Union(u) if is_pub(&u.vis) && !is_cfg_test(&u.attrs) => {
                    let name = u.ident.to_string();
                    self.record(file, &name, scope, |v| v.visit_generics(&u.generics));
                    let fields = syn::Fields::Named(u.fields.clone());
                    self.fields(file, &name, &fields, scope, false);
                }
                syn::Item::Enum(e) if is_pub(&e.vis) && !is_cfg_test(&e.attrs) => {
                    let name = e.ident.to_string();
                    self.record(file, &name, scope, |v| v.visit_generics(&e.generics));
                    for variant in &e.variants {
                        let owner = format!("{name}::{}", variant.ident);
                        self.fields(file, &owner, &variant.fields, scope, true);
                    }
                }
                syn::Item::Type(t) if is_pub(&t.vis) && !is_cfg_test(&t.attrs) => {
                    self.record(file, &t.ident.to_string(), scope, |v| {
                        v.visit_generics(&t.generics);
                        v.visit_type(&t.ty);
                    });
                }
                syn::Item::Const(c) if is_pub(&c.vis) && !is_cfg_test(&c.attrs) => {
                    self.record(file, &c.ident.to_string(), scope, |v| v.visit_type(&c.ty));
                }
                syn::Item::Static(s) if is_pub(&s.vis) && !is_cfg_test(&s.attrs) => {
                    self.record(file, &s.ident.to_string(), scope, |v| v.visit_type(&s.ty));
                }
                syn::Item::Trait(t) if is_pub(&t.vis) && !is_cfg_test(&t.attrs) => {
                    self.trait_items(file, t, scope);
                }
                syn::Item::Use(u) if is_pub(&u.vis) && !is_cfg_test(&u.attrs) => {
                    for (name, full) in use_paths(u) {
                        if let Some(p) = third_party(&full, scope, self.deps) {
                            self.violations.push(Violation {
                                file: file.to_owned(),
                                item: format!("pub use {name}"),
                                path: p,
                            });
                        }
                    }
                }
                syn::Item::Impl(i) if !is_cfg_test(&i.attrs) => self.impl_items(file, i, scope),
                syn::Item::Mod(m) if !is_cfg_test(&m.attrs) => {
                    if let Some((_, inner)) = &m.content {
                        self.items(file, inner, scope);
                    }
                }
                _ => {}
            }
        }
    }

    fn trait_items(&mut self, file: &str, t: &syn::ItemTrait, scope: &Scope) {
        let name = t.ident.to_string();
        self.record(file, &name, scope, |v| {
            v.visit_generics(&t.generics);
            for bound in &t.supertraits {
                v.visit_type_param_bound(bound);
            }
        });
        for item in &t.items {
            match item {
                syn::TraitItem::Fn(f) => {
                    let owner = format!("{name}::{}", f.sig.ident);
                    self.record(file, &owner, scope, |v| v.visit_signature(&f.sig));
                }
                syn::TraitItem::Type(ty) => {
                    let owner = format!("{name}::{}", ty.ident);
                    self.record(file, &owner, scope, |v| {
                        for bound in &ty.bounds {
                            v.visit_type_param_bound(bound);
                        }
                        if let Some((_, default)) = &ty.default {
                            v.visit_type(default);
                        }
                    });
                }
                syn::TraitItem::Const(c) => {
                    let owner = format!("{name}::{}", c.ident);
                    self.record(file, &owner, scope, |v| v.visit_type(&c.ty));
                }
                _ => {}
            }
        }
    }

    fn impl_items(&mut self, file: &str, i: &syn::ItemImpl, scope: &Scope) {
        let syn::Type::Path(self_ty) = &*i.self_ty else {
            return;
        };
        let Some(last) = self_ty.path.segments.last() else {
            return;
        };
        let type_name = last.ident.to_string();
        if !self.pub_types.contains(&type_name) {
            return;
        }
        if let Some((_, trait_path, _)) = &i.trait_ {
            let trait_name = trait_path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            let owner = format!("impl {trait_name} for {type_name}");
            self.record(file, &owner, scope, |v| {
                v.visit_generics(&i.generics);
                v.visit_path(trait_path);
                v.visit_type(&i.self_ty);
                for item in &i.items {
                    if let syn::ImplItem::Type(t) = item {
                        v.visit_type(&t.ty);
                    }
                }
            });
            return;
        }
        for item in &i.items {
            match item {
                syn::ImplItem::Fn(f) if is_pub(&f.vis) && !is_cfg_test(&f.attrs) => {
                    let owner = format!("{type_name}::{}", f.sig.ident);
                    self.record(file, &owner, scope, |v| {
                        v.visit_generics(&i.generics);
                        v.visit_signature(&f.sig);
                    });
                }
                syn::ImplItem::Const(c) if is_pub(&c.vis) => {
                    let owner = format!("{type_name}::{}", c.ident);
                    self.record(file, &owner, scope, |v| v.visit_type(&c.ty));
                }
                _ => {}
            }
        }
    }
}

fn pub_type_names(items: &[syn::Item], out: &mut BTreeSet<String>) {
    for item in items {
        match item {
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                out.insert(s.ident.to_string());
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                out.insert(e.ident.to_string());
            }
            syn::Item::Union(u) if is_pub(&u.vis) => {
                out.insert(u.ident.to_string());
            }
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                out.insert(t.ident.to_string());
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                out.insert(t.ident.to_string());
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    pub_type_names(inner, out);
                }
            }
            _ => {}
        }
    }
}

/// Files a `#[cfg(test)] mod name;` line pulls in (`name.rs`, `name/…`), which are not API.
fn test_module_files(path: &Path, file: &syn::File) -> Vec<PathBuf> {
    let stem = path.file_stem().unwrap().to_string_lossy();
    let dir = if matches!(stem.as_ref(), "lib" | "mod" | "main") {
        path.parent().unwrap().to_path_buf()
    } else {
        path.with_extension("")
    };
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.content.is_none() && is_cfg_test(&m.attrs) => {
                Some(dir.join(m.ident.to_string()))
            }
            _ => None,
        })
        .collect()
}

/// The violations of one crate whose sources are `files` (relative name, parsed file).
fn scan(files: &[(String, syn::File)], deps: &BTreeSet<String>) -> Vec<Violation> {
    let mut pub_types = BTreeSet::new();
    for (_, file) in files {
        pub_type_names(&file.items, &mut pub_types);
    }
    let mut scanner = Scanner {
        deps,
        pub_types: &pub_types,
        violations: Vec::new(),
    };
    for (name, file) in files {
        let mut scope = Scope::default();
        collect_scope(&file.items, &mut scope);
        scanner.items(name, &file.items, &scope);
    }
    scanner.violations
}

fn scan_crate(krate: &str) -> Vec<Violation> {
    let root = workspace().join("crates").join(krate);
    let deps = third_party_deps(&root.join("Cargo.toml"));
    scan(&crate_files(krate), &deps)
}

/// The crate's source files that are not test modules, by path under `crates/`.
fn crate_files(krate: &str) -> Vec<(String, syn::File)> {
    let root = workspace().join("crates").join(krate);
    let mut paths = Vec::new();
    rust_files(&root.join("src"), &mut paths);
    let mut parsed = Vec::new();
    let mut skipped: Vec<PathBuf> = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{}: does not parse: {e}", path.display()));
        skipped.extend(test_module_files(&path, &file));
        parsed.push((path, file));
    }
    let files: Vec<(String, syn::File)> = parsed
        .into_iter()
        .filter(|(path, _)| {
            !skipped
                .iter()
                .any(|s| path.starts_with(s) || *path == s.with_extension("rs"))
        })
        .map(|(path, file)| {
            let rel = path.strip_prefix(workspace().join("crates")).unwrap();
            (rel.to_string_lossy().into_owned(), file)
        })
        .collect();
    assert!(!files.is_empty(), "no sources found for {krate}");
    files
}

fn has_non_exhaustive(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("non_exhaustive"))
}

/// Public enums, and public structs with a public field, that lack `#[non_exhaustive]`:
/// (file, type name).
fn exhaustive_types(files: &[(String, syn::File)]) -> Vec<(String, String)> {
    fn walk(file: &str, items: &[syn::Item], out: &mut Vec<(String, String)>) {
        for item in items {
            match item {
                syn::Item::Enum(e)
                    if is_pub(&e.vis)
                        && !is_cfg_test(&e.attrs)
                        && !has_non_exhaustive(&e.attrs) =>
                {
                    out.push((file.to_owned(), e.ident.to_string()));
                }
                syn::Item::Struct(s)
                    if is_pub(&s.vis)
                        && !is_cfg_test(&s.attrs)
                        && !has_non_exhaustive(&s.attrs)
                        && s.fields.iter().any(|f| is_pub(&f.vis)) =>
                {
                    out.push((file.to_owned(), s.ident.to_string()));
                }
                syn::Item::Mod(m) if !is_cfg_test(&m.attrs) => {
                    if let Some((_, inner)) = &m.content {
                        walk(file, inner, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for (name, file) in files {
        walk(name, &file.items, &mut out);
    }
    out
}

fn is_excepted(v: &Violation) -> bool {
    EXCEPTIONS
        .iter()
        .any(|(file, item, path, _)| v.file == *file && v.item == *item && v.path == *path)
}

#[test]
fn no_third_party_type_in_a_public_signature() {
    let mut report = String::new();
    for krate in LIBRARIES {
        for v in scan_crate(krate).iter().filter(|v| !is_excepted(v)) {
            writeln!(report, "crates/{}: `{}` names `{}`", v.file, v.item, v.path).unwrap();
        }
    }
    assert!(
        report.is_empty(),
        "third-party types in public signatures (wrap them in a type of ours, take \
         `impl Serialize`/`&str`, or box a source error as `Box<dyn Error + Send + Sync>`):\n{report}"
    );
}

#[test]
fn every_exception_is_still_needed() {
    let all: Vec<Violation> = LIBRARIES.iter().flat_map(|k| scan_crate(k)).collect();
    for (file, item, path, reason) in EXCEPTIONS {
        assert!(!reason.is_empty());
        assert!(
            all.iter()
                .any(|v| v.file == *file && v.item == *item && v.path == *path),
            "exception {file} `{item}` `{path}` matches nothing any more: remove it"
        );
    }
}

#[test]
fn every_library_has_third_party_dependencies_to_check() {
    for krate in LIBRARIES.iter().filter(|k| **k != "relkit-finding") {
        let deps = third_party_deps(&workspace().join("crates").join(krate).join("Cargo.toml"));
        assert!(deps.contains("thiserror"), "{krate}: {deps:?}");
    }
    let relgate = third_party_deps(&workspace().join("crates/relgate/Cargo.toml"));
    assert!(
        relgate.contains("globset") && relgate.contains("toml"),
        "{relgate:?}"
    );
    assert!(
        !relgate.contains("attest") && !relgate.contains("serde"),
        "{relgate:?}"
    );
}

fn planted(source: &str) -> Vec<String> {
    let deps: BTreeSet<String> = ["globset", "serde_json", "tar"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let file = syn::parse_file(source).unwrap();
    scan(&[("planted.rs".to_owned(), file)], &deps)
        .into_iter()
        .map(|v| format!("{} {}", v.item, v.path))
        .collect()
}

#[test]
fn the_scanner_finds_planted_third_party_types_and_no_false_ones() {
    let found = planted(
        r#"
        use globset::Error as GlobError;
        use serde_json::{self, Value};
        mod tar;
        type Json = serde_json::Map<String, Value>;
        pub use tar::visit;
        pub use ::tar::Archive;
        pub fn x() -> globset::Error {}
        pub fn aliased(v: Json) {}
        pub(crate) fn crate_only() -> globset::Error {}
        fn private() -> GlobError {}
        pub fn local() -> tar::Entry {}
        pub fn generic<T: Into<Value>>(t: T) {}
        pub struct Wire { pub field: Option<GlobError>, hidden: serde_json::Value }
        pub enum PolicyError { Glob(#[source] globset::Error), Plain { line: usize } }
        impl From<GlobError> for PolicyError { fn from(e: GlobError) -> Self {} }
        struct Private;
        impl From<GlobError> for Private { fn from(e: GlobError) -> Self {} }
        impl Wire { pub fn value(&self) -> &serde_json::Value {} fn inner(&self) -> Value {} }
        #[cfg(test)]
        mod tests { pub fn t() -> globset::Error {} }
        "#,
    );
    let expected = [
        "pub use Archive tar::Archive",
        "x globset::Error",
        "aliased serde_json::Map",
        "aliased serde_json::Value",
        "generic serde_json::Value",
        "Wire.field globset::Error",
        "PolicyError::Glob.0 globset::Error",
        "impl From for PolicyError globset::Error",
        "Wire::value serde_json::Value",
    ];
    let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    let expected: BTreeSet<&str> = expected.into_iter().collect();
    assert_eq!(found, expected);
}

#[test]
fn public_enums_and_structs_with_public_fields_are_non_exhaustive() {
    let mut report = String::new();
    for krate in LIBRARIES {
        for (file, name) in exhaustive_types(&crate_files(krate)) {
            if !EXHAUSTIVE.iter().any(|(f, n, _)| *f == file && *n == name) {
                writeln!(report, "crates/{file}: `{name}`").unwrap();
            }
        }
    }
    assert!(
        report.is_empty(),
        "public types without #[non_exhaustive] (add it, with a constructor where users build \
         the type):\n{report}"
    );
}

#[test]
fn every_exhaustive_exception_is_still_needed() {
    let all: Vec<(String, String)> = LIBRARIES
        .iter()
        .flat_map(|k| exhaustive_types(&crate_files(k)))
        .collect();
    for (file, name, reason) in EXHAUSTIVE {
        assert!(!reason.is_empty());
        assert!(
            all.iter().any(|(f, n)| f == file && n == name),
            "exception {file} `{name}` is non-exhaustive now (or gone): remove it"
        );
    }
}

#[test]
fn the_non_exhaustive_check_sees_a_planted_exhaustive_type() {
    let file = syn::parse_file(
        "pub struct Open { pub a: u8 }\n#[non_exhaustive] pub struct Closed { pub a: u8 }\n\
         pub struct Opaque { a: u8 }\npub enum Grows { A }\npub(crate) enum Inner { A }",
    )
    .unwrap();
    let found = exhaustive_types(&[("planted.rs".to_owned(), file)]);
    let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["Open", "Grows"]);
}
