#!/usr/bin/env bash
# Installs the real registry servers that the regclient tests start on 127.0.0.1.
# Idempotent: every step is skipped when its result is already there, so a second run takes
# well under a second.
#
# Environment (the tests read the same variables; defaults in brackets):
#   RELKIT_CACHE              [$HOME/.cache/relkit]
#   RELKIT_DOCKER_REGISTRY    the `docker-registry` binary (CNCF distribution 2.8.x)
#                             [/usr/bin/docker-registry]
#   RELKIT_VERDACCIO          the verdaccio 5.33.0 launcher
#                             [$RELKIT_CACHE/verdaccio/node_modules/.bin/verdaccio]
#   RELKIT_DEVPI_VENV         the venv holding devpi-server 6.20.3 (bin/devpi-server, bin/devpi-init)
#                             [$RELKIT_CACHE/devpi]
#
# Only ordinary package clients are used: apt-get, npm and pip.
set -euo pipefail

CACHE="${RELKIT_CACHE:-$HOME/.cache/relkit}"
VERDACCIO_DIR="$CACHE/verdaccio"
DEVPI_VENV="${RELKIT_DEVPI_VENV:-$CACHE/devpi}"
mkdir -p "$CACHE"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# OCI: Debian's docker-registry (distribution 2.8.2).
if ! command -v "${RELKIT_DOCKER_REGISTRY:-docker-registry}" >/dev/null 2>&1; then
    echo "install-test-servers: installing docker-registry with apt-get"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry
    # The package enables a system service on some setups; the tests start their own instances.
    as_root systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

# npm: verdaccio 5.33.0 (version 6 needs Node 22). node-fetch is pinned to 2.7.0 through an npm
# override, without which the install fails on Node 20.
if [ ! -x "$VERDACCIO_DIR/node_modules/.bin/verdaccio" ]; then
    echo "install-test-servers: installing verdaccio 5.33.0 into $VERDACCIO_DIR"
    mkdir -p "$VERDACCIO_DIR"
    cat > "$VERDACCIO_DIR/package.json" <<'JSON'
{
  "name": "relkit-test-verdaccio",
  "private": true,
  "dependencies": { "verdaccio": "5.33.0" },
  "overrides": { "node-fetch": "2.7.0" }
}
JSON
    (cd "$VERDACCIO_DIR" && npm install --no-audit --no-fund --loglevel=error)
fi

# PyPI: devpi-server 6.20.3 in its own venv (PEP 691 JSON, --offline-mode).
if [ ! -x "$DEVPI_VENV/bin/devpi-server" ] || ! "$DEVPI_VENV/bin/devpi-server" --version 2>/dev/null | grep -q '^6\.20\.3'; then
    echo "install-test-servers: installing devpi-server 6.20.3 into $DEVPI_VENV"
    python3 -m venv "$DEVPI_VENV"
    "$DEVPI_VENV/bin/pip" install --quiet --disable-pip-version-check 'devpi-server==6.20.3'
fi

echo "install-test-servers: docker-registry: $(command -v "${RELKIT_DOCKER_REGISTRY:-docker-registry}")"
echo "install-test-servers: verdaccio:       $VERDACCIO_DIR/node_modules/.bin/verdaccio"
echo "install-test-servers: devpi-server:    $DEVPI_VENV/bin/devpi-server"

# ---------------------------------------------------------------------------------------------
# sigstore-python (attest interop test, crates/attest/tests/attest/interop.rs): 4.5.1 in
# ~/.cache/relkit/venv, reused when present. The test finds it there (or at
# $RELKIT_SIGSTORE_PYTHON) and fails under CI=true without it.
SIGSTORE_VENV="${RELKIT_SIGSTORE_VENV:-$HOME/.cache/relkit/venv}"
if [ ! -x "$SIGSTORE_VENV/bin/sigstore" ] || ! "$SIGSTORE_VENV/bin/sigstore" --version 2>/dev/null | grep -q ' 4\.5\.1$'; then
    echo "install-test-servers: installing sigstore-python 4.5.1 into $SIGSTORE_VENV"
    python3 -m venv "$SIGSTORE_VENV"
    "$SIGSTORE_VENV/bin/pip" install --quiet --disable-pip-version-check 'sigstore==4.5.1'
fi
echo "install-test-servers: sigstore-python: $SIGSTORE_VENV/bin/sigstore"

# ---------------------------------------------------------------------------------------------
# jsonschema (SARIF schema validation, crates/relgate/tests/relgate/render_ci.rs): the test runs
# `python3 -c 'import jsonschema'` and fails under CI=true without it. Installed only if missing.
if ! python3 -c 'import jsonschema' >/dev/null 2>&1; then
    echo "install-test-servers: installing jsonschema for python3"
    python3 -m pip install --quiet --disable-pip-version-check jsonschema
fi
echo "install-test-servers: jsonschema:      $(python3 -c 'import importlib.metadata as m; print(m.version("jsonschema"))')"

# ---------------------------------------------------------------------------------------------
# Python tools in their own venvs: venv_tool VENV BINARY VERSION PIP-SPEC... installs the specs
# into VENV unless `VENV/bin/BINARY --version` already prints VERSION.
venv_tool() {
    local venv="$1" binary="$2" version="$3"
    shift 3
    if [ ! -x "$venv/bin/$binary" ] || ! "$venv/bin/$binary" --version 2>/dev/null | grep -qF "$version"; then
        echo "install-test-servers: installing $* into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
    fi
    echo "install-test-servers: $binary: $venv/bin/$binary"
}

# zizmor 1.32.0, the oracle of workflow-hygiene (crates/relgate/tests/relgate/workflow_hygiene.rs,
# run with --offline), in $RELKIT_CACHE/zizmor (or $RELKIT_ZIZMOR_VENV); the test finds it there
# and fails under CI=true without it.
venv_tool "${RELKIT_ZIZMOR_VENV:-$CACHE/zizmor}" zizmor '1.32.0' 'zizmor==1.32.0'

# mike 2.2.0 with mkdocs 1.6.1, the oracle of docs-published: it writes the real docs branch
# (crates/relgate/tests/relgate/docs_published.rs); in $RELKIT_CACHE/mike (or $RELKIT_MIKE_VENV).
venv_tool "${RELKIT_MIKE_VENV:-$CACHE/mike}" mike '2.2.0' 'mike==2.2.0' 'mkdocs==1.6.1'
