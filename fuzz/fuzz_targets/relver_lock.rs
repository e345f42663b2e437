//! Cargo.lock and uv.lock readers: never panic; every field found is a source-less entry whose
//! span slices its version text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relver::{Config, MemTree, SourceKind, SourceSpec, check};

/// libfuzzer-sys aborts on every panic, even one relver catches and turns into a typed parse
/// error (its guard against toml_edit panics). Restore the default hook once, so only a panic
/// that escapes relver (and reaches libfuzzer-sys's own catch) counts as a crash.
static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
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
