//! RECORD parser: never panics; accepted rows re-serialise to text that parses to the same rows
//! (line numbers aside).
#![no_main]

use artidigest::parse_record;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rows) = parse_record(text) {
        let printed: String = rows.iter().map(|r| format!("{r}\n")).collect();
        let back = parse_record(&printed).expect("printed RECORD must parse");
        assert_eq!(back.len(), rows.len());
        for (a, b) in rows.iter().zip(&back) {
            assert_eq!((&a.path, &a.digest, a.size), (&b.path, &b.digest, b.size));
        }
    }
});
