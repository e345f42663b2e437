//! SARIF output checked against the published SARIF 2.1.0 JSON schema
//! (`crates/relgate/tests/data/sarif-2.1.0.schema.json`) with Python's `jsonschema`, a
//! validator we did not write.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The committed SARIF 2.1.0 schema.
pub fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../relgate/tests/data/sarif-2.1.0.schema.json")
}

/// Why a SARIF document was not validated or did not validate.
#[derive(Debug)]
pub enum SarifCheck {
    /// python3 with `jsonschema` is not installed (a failure under `CI=true`).
    NoValidator,
    /// The validator ran and listed these errors (JSON path and message per line).
    Invalid(String),
}

/// Validates the SARIF text `doc` against the committed schema. `Err(NoValidator)` when
/// python3 with `jsonschema` is missing; callers fail under `CI=true` and skip loudly elsewhere.
pub fn validate(doc: &str) -> Result<(), SarifCheck> {
    let have = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        return Err(SarifCheck::NoValidator);
    }
    let dir = tempfile::tempdir().map_err(|e| SarifCheck::Invalid(e.to_string()))?;
    let file = dir.path().join("report.sarif");
    std::fs::write(&file, doc).map_err(|e| SarifCheck::Invalid(e.to_string()))?;
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             doc = json.load(open(sys.argv[2]))\n\
             cls = jsonschema.validators.validator_for(schema)\n\
             cls.check_schema(schema)\n\
             errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=str)\n\
             [print(list(e.absolute_path), e.message) for e in errors]\n\
             sys.exit(1 if errors else 0)\n",
        ])
        .arg(schema_path())
        .arg(&file)
        .output()
        .map_err(|e| SarifCheck::Invalid(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(SarifCheck::Invalid(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// [`validate`] for a test: panics with the validator's errors; without a validator, panics
/// under `CI=true` and prints a skip elsewhere.
#[allow(clippy::panic, reason = "a test assertion")]
pub fn assert_valid(doc: &str) {
    match validate(doc) {
        Ok(()) => {}
        Err(SarifCheck::NoValidator) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "python3 with jsonschema is required under CI=true (scripts/install-test-servers.sh installs it)"
            );
            eprintln!("skipped: SARIF schema validation needs python3 with jsonschema");
        }
        Err(SarifCheck::Invalid(errors)) => panic!("SARIF does not validate:\n{errors}"),
    }
}
