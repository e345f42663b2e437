//! Checkpoint (signed note) parser: the signed body is a prefix of the text and ends in a
//! newline; size and root agree with the body's lines.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = attest::Checkpoint::parse(text, &attest::Limits::default()) {
        assert!(text.starts_with(&c.body));
        assert!(c.body.ends_with('\n'));
        assert!(!c.signatures.is_empty());
        assert_eq!(c.root_hash.len(), 32);
        let mut lines = c.body.lines();
        assert_eq!(lines.next(), Some(c.origin.as_str()));
        assert_eq!(
            lines.next().and_then(|s| s.parse::<u64>().ok()),
            Some(c.size)
        );
    }
});
