//! Bench inputs: the full size under `cargo bench`, a tiny one under `cargo test -p relkit-benches --benches`.

use std::str::FromStr;

/// Whether this is a measured run (`cargo bench` passes `--bench`), not a smoke run.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The input size: `smoke` in a smoke run; in a full run the value of the environment variable
/// `var` when it parses, else `full`.
pub fn input_size<T: FromStr>(var: &str, full: T, smoke: T) -> T {
    if !full_run() {
        return smoke;
    }
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_run_is_a_smoke_run() {
        assert!(!full_run());
        assert_eq!(input_size("PATH", 1_usize << 30, 64), 64);
    }
}
