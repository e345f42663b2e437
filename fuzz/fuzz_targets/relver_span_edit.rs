//! Span editing over TOML, JSON and YAML: spans slice exactly the version text, and a planned
//! bump changes only those spans, after which every edited field reads the new version.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relver::{BumpOptions, Config, MemTree, SourceKind, SourceSpec, Version, check, plan_bump};

fuzz_target!(|data: &[u8]| {
    relkit_testkit::fuzz::count_only_escaping_panics();
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (path, spec) = match selector % 4 {
        0 => ("Cargo.toml", SourceSpec::new("Cargo.toml", SourceKind::Cargo)),
        1 => ("package-lock.json", SourceSpec::new("package-lock.json", SourceKind::PackageLock)),
        2 => ("Chart.yaml", SourceSpec::new("Chart.yaml", SourceKind::Yaml).with_key("appVersion").with_format("v{version}")),
        _ => ("openapi.yaml", SourceSpec::new("openapi.yaml", SourceKind::Openapi)),
    };
    let tree = MemTree::new().with_file(path, text);
    let config = Config::new(vec![spec]);
    let report = check(&tree, &config, None);
    for f in &report.fields {
        if let (Some(span), Some(v)) = (&f.field.version_span, &f.field.version) {
            assert_eq!(text.get(span.clone()), Some(v.to_string().as_str()));
        }
    }
    let to = Version::new(7, 8, 9);
    let Ok(plan) = plan_bump(&tree, &config, &to, &BumpOptions::default()) else { return };
    for change in &plan.files {
        let mut rebuilt = String::new();
        let mut pos = 0;
        for e in &change.edits {
            rebuilt.push_str(&change.original[pos..e.span.start]);
            rebuilt.push_str(&e.new);
            pos = e.span.end;
        }
        rebuilt.push_str(&change.original[pos..]);
        assert_eq!(rebuilt, change.updated);
        let after = MemTree::new().with_file(path, change.updated.clone());
        let again = check(&after, &config, None);
        for f in again.fields.iter().filter(|f| f.field.version_span.is_some()) {
            assert_eq!(f.field.version.as_ref(), Some(&to), "{}", change.updated);
        }
    }
});
