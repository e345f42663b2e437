//! Checking a refusal's kind: for attest's own tests, and (feature `test-stack`) for the tests
//! of its users.

use crate::error::{Error, ErrorKind};

/// Asserts that `result` is an error of `kind` (its detail shown when it is not) and returns
/// the error for further checks. Test support: it panics.
#[track_caller]
#[allow(
    clippy::unwrap_used,
    reason = "test support: a result that is not an error fails the test"
)]
pub fn assert_refused<T: std::fmt::Debug>(result: Result<T, Error>, kind: ErrorKind) -> Error {
    let e = result.unwrap_err();
    assert_eq!(e.kind(), kind, "{}", e.detail());
    e
}
