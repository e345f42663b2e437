//! Rewrites the demo release in `examples/demo-release/` from the code in `relkit_demo`.
//!
//! `cargo run --example make_demo_release [DIR]`. The workspace test `demo_release` fails when
//! the committed copy differs from what this writes.
#![allow(clippy::print_stdout, reason = "an example binary prints what it did")]

use relkit_demo::{DemoRelease, demo_release_dir};

fn main() -> anyhow::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(demo_release_dir);
    let files = DemoRelease::default().write(&dir)?;
    for f in files.sources.iter().chain(&files.artifacts) {
        println!("wrote {}", dir.join(f).display());
    }
    println!("wrote {}", dir.join("dist/SHA256SUMS").display());
    println!("wrote {}", dir.join("trusted_root.json").display());
    Ok(())
}
