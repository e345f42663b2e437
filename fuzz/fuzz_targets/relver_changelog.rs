//! Changelog parser: sections are ordered, bodies are slices of the input, lint never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relver::{Changelog, ChangelogPolicy};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let log = Changelog::parse(s);
    let mut last_line = 0;
    for section in log.sections() {
        assert!(section.line > last_line);
        last_line = section.line;
        let body = log.body(section);
        assert_eq!(s.get(section.body_span.clone()), Some(body));
        assert!(section.body_span.start >= section.heading_span.end);
        if let Some(v) = section.version() {
            assert!(log.section(v).is_some());
            assert!(log.extract(v).is_some());
        }
    }
    let mut policy = ChangelogPolicy::default();
    policy.require_links = true;
    let _ = log.lint("CHANGELOG.md", &policy);
});
