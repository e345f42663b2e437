#!/usr/bin/env bash
# Readback against its peers, same files, same local servers, same run: `pip download` and
# `npm pack` versus `examples/readback` (which verifies every claimed digest while downloading).
#
# Starts devpi-server (PEP 691 simple API) and verdaccio on free 127.0.0.1 ports, publishes
# N wheels and N npm tarballs of SIZE MiB each (random payload: nothing compresses), then times
# one process fetching all N files, ROUNDS times each, cold caches every time:
#   pip download --no-deps --no-cache-dir --index-url http://127.0.0.1:P/root/dev/+simple/ NAME==V ...
#   npm pack NAME@V ... --registry http://127.0.0.1:Q/           (fresh npm cache per round)
#   readback --config registries.toml pypi:NAME==V ... / npm:NAME@V ...
# and prints seconds (best, median and every round), MB/s, peak RSS and the ratios, each the
# median of the same-round ratios. The floor the servers themselves set is one `curl` process per
# ecosystem doing what readback must, with readback's concurrency and no hashing or checks:
#   curl -Z --parallel-max C  (per version: its metadata document — the PEP 691 simple page /
#                              the abbreviated packument, with readback's Accept header — to
#                              /dev/null, then its file)
# Readback runs with `[http] max-concurrency = C` (C = RELKIT_BENCH_CONCURRENCY, default 8,
# regclient's default). Within a round each tool runs right after the floor of its ecosystem.
#
# Environment: RELKIT_BENCH_N [20], RELKIT_BENCH_MIB [5], RELKIT_BENCH_ROUNDS [5],
# RELKIT_BENCH_CONCURRENCY [8],
# RELKIT_DEVPI_VENV, RELKIT_VERDACCIO, RELKIT_CACHE (as scripts/install-test-servers.sh),
# CARGO_TARGET_DIR. The servers must be installed: run scripts/install-test-servers.sh once.
# Nothing leaves the machine: every URL is a loopback one.
set -euo pipefail

N="${RELKIT_BENCH_N:-20}"
MIB="${RELKIT_BENCH_MIB:-5}"
ROUNDS="${RELKIT_BENCH_ROUNDS:-5}"
CONC="${RELKIT_BENCH_CONCURRENCY:-8}"
CACHE="${RELKIT_CACHE:-$HOME/.cache/relkit}"
DEVPI_VENV="${RELKIT_DEVPI_VENV:-$CACHE/devpi}"
VERDACCIO="${RELKIT_VERDACCIO:-$CACHE/verdaccio/node_modules/.bin/verdaccio}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

for need in "$DEVPI_VENV/bin/devpi-server" "$DEVPI_VENV/bin/pip" "$VERDACCIO"; do
    [ -x "$need" ] || { echo "bench-readback: $need not found; run scripts/install-test-servers.sh" >&2; exit 1; }
done
command -v npm >/dev/null || { echo "bench-readback: npm not found" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-readback: /usr/bin/time not found (apt-get install time)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-readback.XXXXXX")"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_up() { # URL SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench-readback: $1 did not come up" >&2
    exit 1
}

echo "bench-readback: building examples/readback (release)"
(cd "$ROOT" && cargo build --release --quiet --example readback)
READBACK="$TARGET/release/examples/readback"

# --- servers -------------------------------------------------------------------------------
DEVPI_PORT="$(free_port)"
"$DEVPI_VENV/bin/devpi-init" --serverdir "$WORK/devpi" --no-root-pypi >/dev/null 2>&1
"$DEVPI_VENV/bin/devpi-server" --serverdir "$WORK/devpi" --host 127.0.0.1 --port "$DEVPI_PORT" \
    --offline-mode >"$WORK/devpi.log" 2>&1 &
PIDS+=($!)

NPM_PORT="$(free_port)"
cat >"$WORK/verdaccio.yaml" <<YAML
storage: $WORK/verdaccio-storage
auth:
  htpasswd:
    file: $WORK/htpasswd
    max_users: 10
uplinks: {}
max_body_size: 1000mb
packages:
  '**':
    access: \$all
    publish: \$authenticated
log: { type: stdout, format: pretty, level: error }
YAML
"$VERDACCIO" --config "$WORK/verdaccio.yaml" --listen "127.0.0.1:$NPM_PORT" >"$WORK/verdaccio.log" 2>&1 &
PIDS+=($!)

DEVPI="http://127.0.0.1:$DEVPI_PORT/"
NPMREG="http://127.0.0.1:$NPM_PORT/"
wait_up "${DEVPI}+api" 60
wait_up "${NPMREG}-/ping" 60

# --- publish -------------------------------------------------------------------------------
echo "bench-readback: publishing $N wheels and $N npm tarballs of $MIB MiB each"
PW="$(curl -fsS -X POST -H 'Content-Type: application/json' -H 'Accept: application/json' \
    -d '{"user":"root","password":""}' "${DEVPI}+login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["password"])')"
AUTH="$(printf 'root:%s' "$PW" | base64 -w0)"
curl -fsS -o /dev/null -X PUT -H "X-Devpi-Auth: $AUTH" -H 'Content-Type: application/json' \
    -H 'Accept: application/json' -d '{"bases":[],"volatile":true}' "${DEVPI}root/dev"

mkdir -p "$WORK/wheels" "$WORK/npm"
python3 - "$WORK/wheels" "$N" "$MIB" <<'PY'
import base64, hashlib, os, sys, zipfile
out, n, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    name, ver = f"rbbench_{i:03d}", "1.0.0"
    files = {
        f"{name}/__init__.py": b"",
        f"{name}/payload.bin": os.urandom(mib << 20),
        f"{name}-{ver}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n".encode(),
        f"{name}-{ver}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench-readback\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(
        f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()},{len(b)}\n"
        for p, b in files.items()
    ) + f"{name}-{ver}.dist-info/RECORD,,\n"
    files[f"{name}-{ver}.dist-info/RECORD"] = record.encode()
    with zipfile.ZipFile(f"{out}/{name}-{ver}-py3-none-any.whl", "w", zipfile.ZIP_STORED) as z:
        for p, b in files.items():
            z.writestr(p, b)
PY
for i in $(seq 0 $((N - 1))); do
    name="$(printf 'rbbench_%03d' "$i")"
    curl -fsS -o /dev/null -H "X-Devpi-Auth: $AUTH" -F ':action=file_upload' -F "name=$name" \
        -F 'version=1.0.0' -F "content=@$WORK/wheels/$name-1.0.0-py3-none-any.whl" "${DEVPI}root/dev/"
done

TOKEN="$(curl -fsS -X PUT -H 'Content-Type: application/json' \
    -d '{"name":"bench","password":"bench-readback-password"}' \
    "${NPMREG}-/user/org.couchdb.user:bench" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
printf '//127.0.0.1:%s/:_authToken=%s\n' "$NPM_PORT" "$TOKEN" >"$WORK/npmrc"
for i in $(seq 0 $((N - 1))); do
    d="$WORK/npm/$i"
    mkdir -p "$d"
    printf '{"name":"rbbench-%03d","version":"1.0.0","files":["payload.bin"]}\n' "$i" >"$d/package.json"
    head -c $((MIB << 20)) /dev/urandom >"$d/payload.bin"
    (cd "$d" && npm publish --registry "$NPMREG" --userconfig "$WORK/npmrc" \
        --cache "$WORK/npm-cache-publish" --loglevel=error >/dev/null)
done

# --- measure -------------------------------------------------------------------------------
printf '[http]\nmax-concurrency = %s\n[pypi]\nsimple = "%sroot/dev/+simple/"\n[npm]\nregistry = "%s"\n' \
    "$CONC" "$DEVPI" "$NPMREG" >"$WORK/registries.toml"
PIP_SPECS=() NPM_SPECS=() RB_PYPI=() RB_NPM=()
for i in $(seq 0 $((N - 1))); do
    PIP_SPECS+=("$(printf 'rbbench_%03d==1.0.0' "$i")")
    RB_PYPI+=("$(printf 'pypi:rbbench_%03d==1.0.0' "$i")")
    NPM_SPECS+=("$(printf 'rbbench-%03d@1.0.0' "$i")")
    RB_NPM+=("$(printf 'npm:rbbench-%03d@1.0.0' "$i")")
done

# run LABEL ROUND CMD...: runs CMD in a fresh folder, checks N files arrived, records
# "seconds max-rss-kB" in $WORK/times/LABEL.
mkdir -p "$WORK/times"
run() {
    local label="$1" round="$2"
    shift 2
    local out="$WORK/out/$label-$round"
    rm -rf "$out" && mkdir -p "$out"
    (cd "$out" && /usr/bin/time -f '%e %M' -o "$WORK/times/$label.$round" "$@" >"$WORK/$label.log" 2>&1) || {
        echo "bench-readback: $label failed:" >&2
        tail -20 "$WORK/$label.log" >&2
        exit 1
    }
    local got
    got="$(find "$out" -type f ! -name '.*' | wc -l)"
    [ "$got" -eq "$N" ] || { echo "bench-readback: $label fetched $got of $N files" >&2; exit 1; }
    rm -rf "$out"
}

# One untimed readback of each set: it warms the servers and the page cache for every tool
# alike, and its JSON report gives the file URLs for the floor.
mkdir -p "$WORK/warm"
(cd "$WORK/warm" && "$READBACK" --config "$WORK/registries.toml" --out . --json "${RB_PYPI[@]}" >"$WORK/pypi.json" &&
    "$READBACK" --config "$WORK/registries.toml" --out . --json "${RB_NPM[@]}" >"$WORK/npm.json")
rm -rf "$WORK/warm"
# floor_args JSON META_BASE ACCEPT: curl arguments that fetch, per version in the order asked,
# its metadata document (META_BASE + normalised name, with ACCEPT, to /dev/null) and then its
# files (into the current folder), all in one parallel curl process.
floor_args() {
    python3 - "$@" <<'PY'
import json, re, sys
report, meta_base, accept = sys.argv[1], sys.argv[2], sys.argv[3]
args = []
for r in json.load(open(report)):
    p = r["published"]
    name = p["package"]
    if p["kind"] == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower() + "/"
    args += ["--next", "-fsS", "-H", f"Accept: {accept}", "-o", "/dev/null", meta_base + name]
    for f in p["files"]:
        args += ["--next", "-fsS", "-O", f["url"]]
print("\n".join(args[1:]))
PY
}
mapfile -t CURL_PYPI < <(floor_args "$WORK/pypi.json" "${DEVPI}root/dev/+simple/" 'application/vnd.pypi.simple.v1+json')
mapfile -t CURL_NPM < <(floor_args "$WORK/npm.json" "$NPMREG" 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*')

echo "bench-readback: $ROUNDS rounds, concurrency $CONC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
    run curl-pypi "$r" curl -Z --parallel-max "$CONC" "${CURL_PYPI[@]}"
    run readback-pypi "$r" "$READBACK" --config "$WORK/registries.toml" --out . --json "${RB_PYPI[@]}"
    run pip "$r" "$DEVPI_VENV/bin/pip" download --no-deps --no-cache-dir --disable-pip-version-check \
        --quiet --index-url "${DEVPI}root/dev/+simple/" -d . "${PIP_SPECS[@]}"
    run curl-npm "$r" curl -Z --parallel-max "$CONC" "${CURL_NPM[@]}"
    run readback-npm "$r" "$READBACK" --config "$WORK/registries.toml" --out . --json "${RB_NPM[@]}"
    rm -rf "$WORK/npm-cache-pack"
    run npm-pack "$r" npm pack --registry "$NPMREG" --cache "$WORK/npm-cache-pack" --loglevel=error \
        "${NPM_SPECS[@]}"
done
echo "bench-readback: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"

# --- report --------------------------------------------------------------------------------
python3 - "$WORK/times" "$N" "$MIB" "$ROUNDS" <<'PY'
import os, statistics, sys
d, n, mib, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
mb = n * (mib << 20) / 1e6
def load(label):
    rows = [open(os.path.join(d, f"{label}.{r}")).read().split() for r in range(1, rounds + 1)]
    return [float(s) for s, _ in rows], max(int(k) for _, k in rows)
def ratios(a, b):
    return [x / y for x, y in zip(a, b)]
print(f"{n} files x {mib} MiB = {mb:.0f} MB per tool and round; seconds: best, median (all rounds)")
for peer, ours, floor in (("pip", "readback-pypi", "curl-pypi"), ("npm-pack", "readback-npm", "curl-npm")):
    (ps, prss), (os_, orss), (fs, frss) = load(peer), load(ours), load(floor)
    for label, s, rss in ((floor, fs, frss), (ours, os_, orss), (peer, ps, prss)):
        print(f"  {label:14} {min(s):7.2f} s, median {statistics.median(s):6.2f} s ({', '.join(f'{x:.2f}' for x in s)})"
              f"  {mb / statistics.median(s):7.0f} MB/s (median)  peak RSS {rss / 1024:.0f} MiB")
    fl, pe = ratios(os_, fs), ratios(ps, os_)
    print(f"  {ours}/{floor} per round: {', '.join(f'{x:.2f}' for x in fl)}; "
          f"median {statistics.median(fl):.2f}x the floor")
    print(f"  {peer}/{ours} per round: {', '.join(f'{x:.1f}' for x in pe)}; "
          f"readback median {statistics.median(pe):.1f}x faster")
PY
