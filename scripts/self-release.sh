#!/usr/bin/env bash
# relkit checks its own release on every commit: preflight and prepublish of release.toml.
#
# The verdict is pinned by this script, never by the working tree: a throwaway clone of the
# committed HEAD is the project tree, tagged locally with `v` + the workspace version (the tag
# is never pushed; the rebuild gate builds the tag's tree), the published crates are packaged
# from that clone into a fresh release folder, and `relkit verify` judges that folder with the
# clone's own release.toml. Exit status: relkit verify's (0 allowed, 1 blocked, 2 could not run).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

git clone -q --no-local "$repo" "$work/src"
version="$(sed -n '/^\[workspace.package\]/,/^\[/{s/^version = "\(.*\)"$/\1/p}' "$work/src/Cargo.toml")"
[ -n "$version" ] || { echo "self-release: no workspace.package.version in Cargo.toml" >&2; exit 2; }
git -C "$work/src" tag "v$version"

# The release folder: every published crate's .crate, as `cargo package` makes it.
(cd "$work/src" && CARGO_TARGET_DIR="$work/package-target" cargo package --quiet --workspace \
    --exclude relkit-demo --exclude relkit-testkit --exclude relkit-benches --locked --no-verify)
mkdir "$work/dist"
cp "$work/package-target/package/"*.crate "$work/dist/"

cargo run --quiet --locked --bin relkit -- verify \
    --policy "$work/src/release.toml" --release "$work/dist" --source "$work/src" \
    --tag "v$version" --phase preflight --phase prepublish
