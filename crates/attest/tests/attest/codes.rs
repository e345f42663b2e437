//! The error vocabulary as documented: `docs/attest.md` lists every stage and every kind with
//! its code and stage, and nothing else, so the page cannot drift from `ErrorKind`.

use std::collections::BTreeSet;
use std::path::Path;

use attest::{ErrorKind, Stage};

fn attest_md() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/attest.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first cell of each table row whose second cell is a stage name in backticks:
/// `(code, stage)` pairs from the code table.
fn documented_codes(page: &str) -> BTreeSet<(String, String)> {
    let stages: BTreeSet<String> = Stage::ALL.iter().map(|s| format!("`{s}`")).collect();
    page.lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix('|')?.split('|').map(str::trim);
            let code = cells.next()?;
            let stage = cells.next()?;
            let code = code.strip_prefix('`')?.strip_suffix('`')?;
            stages
                .contains(stage)
                .then(|| (code.to_owned(), stage.trim_matches('`').to_owned()))
        })
        .collect()
}

#[test]
fn every_kind_is_documented_with_its_stage_and_nothing_else() {
    let page = attest_md();
    let ours: BTreeSet<(String, String)> = ErrorKind::ALL
        .iter()
        .map(|k| (k.code().to_owned(), k.stage().name().to_owned()))
        .collect();
    assert_eq!(documented_codes(&page), ours);
    for stage in Stage::ALL {
        assert!(
            page.lines()
                .any(|l| l.starts_with(&format!("| `{stage}` | `"))),
            "stage {stage} has no row in docs/attest.md"
        );
    }
}

#[test]
fn the_documented_code_table_is_read_as_written() {
    // The reader itself: a stage cell it does not know, or a row without a code, is not a code.
    let page = "| `set-invalid` | `tlog` | x |\n| `x` | `nowhere` | y |\n| code | stage |\n";
    let got = documented_codes(page);
    assert_eq!(
        got,
        BTreeSet::from([("set-invalid".to_owned(), "tlog".to_owned())])
    );
}
