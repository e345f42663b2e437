#!/usr/bin/env bash
# Runs every fuzz target for N seconds (default 60) on a scratch copy of its committed seeds.
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
export RUSTC_BOOTSTRAP=1
target_dir="${FUZZ_TARGET_DIR:-$HOME/.cache/relkit/fuzz-target}"
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
cargo fuzz build --target-dir "$target_dir" -O
for t in $(cargo fuzz list); do
  mkdir -p "$scratch/$t" "corpus/$t"
  echo "--- fuzz $t for ${secs}s"
  cargo fuzz run --target-dir "$target_dir" -O "$t" "$scratch/$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tail -n 4
  # A crash leaves an artifact and a non-zero status; pipefail makes it fail the run.
done
