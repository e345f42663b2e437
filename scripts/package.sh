#!/usr/bin/env bash
# Packages every published crate and builds each from its .crate (`cargo package --workspace`,
# the support crates excluded: they are publish = false).
#
# cargo verifies a workspace package against its siblings through a local overlay registry.
# The version stays 0.1.0 between commits, and cargo takes a registry crate of a given version
# to be immutable: it does not extract its source again when the folder under
# $CARGO_HOME/registry/src/-<hash>/ exists, and it reuses a compiled copy in the target folder
# without looking at the source. Either stale copy would be built instead of this commit's
# crate, and the verdict would depend on the machine's caches. So the overlay's extractions
# are removed first (their folders are named with a leading '-'; real registries' folders are
# named after their host), and packaging uses a target folder of its own whose compiled copies
# of relkit's crates are forgotten before each run (third-party crates stay built).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
for overlay in "$cargo_home"/registry/src/-*/; do
    [ -d "$overlay" ] && rm -rf "$overlay"
done
target="${RELKIT_PACKAGE_TARGET_DIR:-$HOME/.cache/relkit/package-target}"
ours="relkit relkit-finding artidigest attest regclient relver relgate"
for profile in debug release; do
    for name in $ours; do
        lib="${name//-/_}"
        rm -rf "$target/$profile/.fingerprint/$name-"* "$target/$profile/build/$name-"* \
            "$target/$profile/deps/lib$lib-"* "$target/$profile/deps/$lib-"*
    done
done
rm -rf "$target/package"
CARGO_TARGET_DIR="$target" cargo package --workspace \
    --exclude relkit-demo --exclude relkit-testkit --exclude relkit-benches --locked "$@"
