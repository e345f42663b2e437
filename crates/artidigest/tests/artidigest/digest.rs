//! Property tests: every encoding of every digest parses back to the same value, and the
//! checksum-file writer and parser are inverse for any name.

use artidigest::checksums::{ParseOptions, Style};
use artidigest::{Algorithm, ChecksumFile, Digest};
use proptest::prelude::*;

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

fn digest() -> impl Strategy<Value = Digest> {
    (algorithm(), prop::collection::vec(any::<u8>(), 64))
        .prop_map(|(a, bytes)| Digest::from_bytes(a, &bytes[..a.output_len()]).unwrap())
}

proptest! {
    #[test]
    fn parse_format_round_trips(d in digest()) {
        prop_assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        prop_assert_eq!(Digest::from_oci(&d.to_oci()).unwrap(), d);
        prop_assert_eq!(Digest::from_sri(&d.to_sri()).unwrap(), d);
        prop_assert_eq!(Digest::from_record(&d.to_record()).unwrap(), d);
        prop_assert_eq!(Digest::from_hex(d.algorithm(), &d.to_hex().to_uppercase()).unwrap(), d);
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
    }

    #[test]
    fn any_string_parses_or_errors_without_panic(s in ".{0,200}") {
        let _ = s.parse::<Digest>();
        let _ = Digest::parse_sri_list(&s);
    }

    #[test]
    fn checksum_file_round_trips_any_safe_name(
        names in prop::collection::btree_set("[a-zA-Z0-9 ._\\\\\n\r-]{1,20}(/[a-zA-Z0-9._-]{1,8})?", 1..8),
        style in prop::sample::select(vec![Style::Text, Style::Binary, Style::Bsd]),
        alg in prop::sample::select(vec![Algorithm::Sha256, Algorithm::Sha512, Algorithm::Sha1]),
    ) {
        let names: Vec<String> = names
            .into_iter()
            .filter(|n| !n.split('/').any(|c| c == ".." || c == "." ) && !n.starts_with('/'))
            .collect();
        let items = names.iter().enumerate().map(|(i, n)| {
            let bytes = vec![i as u8; alg.output_len()];
            (n.clone(), Digest::from_bytes(alg, &bytes).unwrap())
        });
        let file = ChecksumFile::from_entries(items, style);
        let text = file.to_string();
        let back = ChecksumFile::parse_with(&text, ParseOptions::default()).unwrap();
        prop_assert_eq!(back.entries.len(), names.len());
        for (e, n) in back.entries.iter().zip(&names) {
            prop_assert_eq!(&e.name, n);
        }
        prop_assert_eq!(back.to_string(), text);
    }
}
