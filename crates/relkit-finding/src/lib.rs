#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice
    )
)]

mod code;
mod finding;

pub use code::{Area, Code, Severity, UnknownCode, UnknownSeverity};
pub use finding::{Finding, Location};
