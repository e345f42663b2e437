//! Cargo.lock and uv.lock readers: never panic; every field found is a source-less entry whose
//! span slices its version text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relver::{Config, MemTree, SourceKind, SourceSpec, check};

fuzz_target!(|data: &[u8]| {
    relkit_testkit::fuzz::count_only_escaping_panics();
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (path, kind) = if selector % 2 == 0 { ("Cargo.lock", SourceKind::CargoLock) } else { ("uv.lock", SourceKind::UvLock) };
    let tree = MemTree::new().with_file(path, text);
    let report = check(&tree, &Config::new(vec![SourceSpec::new(path, kind)]), None);
    for f in &report.fields {
        assert!(f.field.key.starts_with("package[name="));
        if let (Some(span), Some(v)) = (&f.field.version_span, &f.field.version) {
            assert_eq!(text.get(span.clone()), Some(v.to_string().as_str()));
        }
    }
});
