#!/usr/bin/env bash
# Whole-process comparison of attest's verify_bundle example with sigstore-python's
# `sigstore verify identity` on the same bundle, artifact and trust root, for docs/performance.md.
#
#   scripts/bench-attest.sh [N]        # N runs of each (default 20), alternating
#
# 1. uses sigstore-python 4.5.1 from the venv scripts/install-test-servers.sh creates
#    ($HOME/.cache/relkit/venv, or $RELKIT_SIGSTORE_VENV); only when that venv lacks it, creates
#    one and installs it with pip (pinned: 4.5.1, whose `--trust-config FILE` +
#    `verify identity --offline` verifies against a given trusted root with no network);
# 2. builds the example once (`cargo build --release --example verify_bundle`) and runs the binary;
# 3. wraps the same trusted_root.json in a ClientTrustConfig for sigstore-python (signing
#    services left empty: nothing is signed, nothing is fetched);
# 4. times N alternating runs of both on each case and prints mean/median per process and the
#    ratio. Cases: the shared conformance vector happy-path-v0.3 (public-good root) and the demo
#    release wheel (test-stack root from examples/demo-release/dist).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
SIGSTORE_PYTHON_VERSION=4.5.1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/relkit/target}"
venv="${RELKIT_SIGSTORE_VENV:-$HOME/.cache/relkit/venv}"
shared="${RELKIT_SHARED:-$(pwd)/../shared}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

if ! "$venv/bin/sigstore" --version 2>/dev/null | grep -q "$SIGSTORE_PYTHON_VERSION"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "sigstore==$SIGSTORE_PYTHON_VERSION"
fi
sigstore="$venv/bin/sigstore"
echo "sigstore-python: $("$sigstore" --version)"

cargo build --release --example verify_bundle -q
ours="$CARGO_TARGET_DIR/release/examples/verify_bundle"

trust_config() { # trusted_root.json -> ClientTrustConfig
    python3 - "$1" "$2" <<'PY'
import json, sys
root = json.load(open(sys.argv[1]))
json.dump({
    "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
    "trustedRoot": root,
    "signingConfig": {
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": [], "oidcUrls": [], "rekorTlogUrls": [], "tsaUrls": [],
        "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"},
    },
}, open(sys.argv[2], "w"))
PY
}

# compare NAME BUNDLE ARTIFACT TRUSTED_ROOT SAN ISSUER
compare() {
    local name=$1 bundle=$2 artifact=$3 root=$4 san=$5 issuer=$6
    trust_config "$root" "$work/$name.trust.json"
    echo "## $name"
    local ours_cmd=("$ours" --bundle "$bundle" --artifact "$artifact" --identity "$san"
        --issuer "$issuer" --trusted-root "$root")
    local py_cmd=("$sigstore" --trust-config "$work/$name.trust.json" verify identity --offline
        --bundle "$bundle" --cert-identity "$san" --cert-oidc-issuer "$issuer" "$artifact")
    echo "ours:   ${ours_cmd[*]}"
    echo "python: ${py_cmd[*]}"
    # Both must accept before anything is timed.
    "${ours_cmd[@]}" > /dev/null
    if ! "${py_cmd[@]}" > "$work/py.out" 2>&1; then
        echo "sigstore-python REJECTS this case offline; not timed:"
        sed 's/^/    /' "$work/py.out"
        return 0
    fi
    printf '%s\0' "${ours_cmd[@]}" > "$work/ours.cmd"
    printf '%s\0' "${py_cmd[@]}" > "$work/py.cmd"
    python3 - "$N" "$work/ours.cmd" "$work/py.cmd" <<'PY'
import statistics, subprocess, sys, time
n = int(sys.argv[1])
ours, py = (open(f, "rb").read().split(b"\0")[:-1] for f in sys.argv[2:4])
def run(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
a, b = [], []
for _ in range(n):          # alternate, so machine load hits both alike
    a.append(run(ours))
    b.append(run(py))
ma, mb = statistics.mean(a), statistics.mean(b)
print(f"attest verify_bundle: mean {ma*1e3:.1f} ms, median {statistics.median(a)*1e3:.1f} ms per process ({n} runs)")
print(f"sigstore-python:      mean {mb*1e3:.1f} ms, median {statistics.median(b)*1e3:.1f} ms per process ({n} runs)")
print(f"ratio (python / attest, means): {mb/ma:.1f}x")
PY
}

uptime
v="$shared/vectors/sigstore"
if [ -d "$v" ]; then
    compare happy-path-v0.3 "$v/conformance/happy-path-v0.3/bundle.sigstore.json" "$v/artifacts/a.txt" \
        "$v/trusted_roots/public-good.json" \
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main" \
        "https://token.actions.githubusercontent.com"
else
    echo "SKIPPED: shared vectors not found at $v"
fi
d=examples/demo-release/dist
wheel=$(cd "$d" && ls *.whl | head -1)
# The demo bundle's SAN, from attest's (unverified) inspect mode.
san=$("$ours" --inspect --bundle "$d/$wheel.sigstore.json" | grep -A1 'sans: \[' | tail -1 | tr -d ' ",')
compare demo-wheel "$d/$wheel.sigstore.json" "$d/$wheel" "$d/../trusted_root.json" "$san" \
    "https://token.actions.githubusercontent.com"
uptime
