#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// No panic on input (issue 12): `unwrap_used`, `expect_used` and `panic` are workspace lints
// (clippy.toml lets tests use them); library code also may not index or slice. Each remaining
// use carries an `allow` with the reason input cannot reach it.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::string_slice))]

mod code;
mod finding;
mod names;
mod setters;

pub use code::{Area, Code, Severity, UnknownCode, UnknownSeverity};
pub use finding::{Finding, Location};

/// `text` as it may be shown on a terminal: every control character but a line break and a
/// tab escaped (`\u{1b}`, `\r`, `\0`), so a file name, registry answer or finding that carries
/// an escape sequence cannot rewrite the terminal it is printed on.
///
/// ```
/// assert_eq!(relkit_finding::escape_controls("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\n");
/// ```
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
