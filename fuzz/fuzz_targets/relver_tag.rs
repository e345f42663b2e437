//! Tag and version parsers: anything accepted formats back to the same text and parses equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relver::{Tag, TagClass, TagPolicy, Version, parse_tag};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(v) = s.parse::<Version>() {
        assert_eq!(v.to_string(), s, "versions are canonical");
    }
    if let Ok(t) = s.parse::<Tag>() {
        assert_eq!(t.to_string(), s);
        assert_eq!(t.to_string().parse::<Tag>().ok(), Some(t));
    }
    let policy = TagPolicy::default().with_prefix("clients/go/v").with_prefix("");
    match parse_tag(s, &policy) {
        Ok(TagClass::Release(t)) => {
            assert_eq!(t.to_string(), s);
            assert!(t.version().is_release());
        }
        Ok(TagClass::Floating(f)) => assert_eq!(f.to_string(), s),
        Ok(_) => {}
        Err(e) => assert!(!e.reason().to_string().is_empty()),
    }
});
