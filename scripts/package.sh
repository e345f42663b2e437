#!/usr/bin/env bash
# Packages every published crate and builds each from its .crate (`cargo package --workspace`,
# the support crates excluded: they are publish = false).
#
# cargo verifies a workspace package against its siblings through a local overlay registry
# whose sources it extracts under $CARGO_HOME/registry/src/-<hash>/ and does not extract again
# when the folder exists. The version stays 0.1.0 between commits, so a stale extraction from
# an earlier run would be compiled instead of this commit's crate: the verdict would depend on
# the machine's cache. The overlay folders (named with a leading '-'; real registries' folders
# are named after their host) are removed first.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
for overlay in "$cargo_home"/registry/src/-*/; do
    [ -d "$overlay" ] && rm -rf "$overlay"
done
cargo package --workspace --exclude relkit-demo --exclude relkit-testkit --exclude relkit-benches --locked "$@"
