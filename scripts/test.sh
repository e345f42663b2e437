#!/usr/bin/env bash
# The test command of README.md: installs the local test servers the registry tests need, then
# runs every test of the workspace (unit, integration, doc).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/install-test-servers.sh ]; then bash scripts/install-test-servers.sh; fi
cargo nextest run --workspace --all-features --locked --no-fail-fast
cargo test --doc --workspace --all-features --locked
