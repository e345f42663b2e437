#!/usr/bin/env bash
# Measures artidigest next to its peers in one run and prints ratios for docs/performance.md:
#  1. sha256 of a 1 GiB buffer (criterion) vs `openssl speed -evp sha256 -bytes 1048576`;
#  2. one pass of sha256+sha512+sha1 vs three passes (criterion);
#  3. verifying a checksum file over 10,000 small files: `digest --check` vs `sha256sum -c`;
#  4. peak RSS while hashing a 2 GiB file (/usr/bin/time -v).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/relkit/target}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

cargo build --release --example digest -q
bin="$CARGO_TARGET_DIR/release/examples/digest"

echo "## openssl"
ossl=$(openssl speed -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null | awk '/^sha256/ {print $2}')
ossl=${ossl%k}
echo "openssl sha256 1 MiB blocks: ${ossl} kB/s"

echo "## criterion"
cargo bench -p relkit-benches --bench digest -q -- --noplot 'sha256/buffer|sha256\+sha512\+sha1' 2>/dev/null | tee "$work/crit.txt" | grep -E 'time:|thrpt:|^sha|^[a-z0-9+/-]+$' || true
ours=$(awk '/^sha256\/buffer/ {f=1} f && /thrpt:/ {print $(NF-3), $(NF-2); exit}' "$work/crit.txt")
echo "artidigest sha256 (median): $ours"
python3 - "$ours" "$ossl" <<'PY'
import sys
val, unit = sys.argv[1].split()
scale = {"GiB/s": 1024**3, "MiB/s": 1024**2, "KiB/s": 1024}[unit]
ours = float(val) * scale
ossl = float(sys.argv[2]) * 1000
print(f"ratio artidigest/openssl sha256: {ours/ossl:.3f} ({ours/1e9:.2f} GB/s vs {ossl/1e9:.2f} GB/s)")
PY

echo "## checksum file over 10,000 small files"
mkdir -p "$work/many"
python3 - "$work/many" <<'PY'
import os, sys, random
r = random.Random(7)
for i in range(10000):
    with open(os.path.join(sys.argv[1], f"f{i:05}.bin"), "wb") as f:
        f.write(r.randbytes(1024 + i % 4096))
PY
(cd "$work/many" && sha256sum f*.bin > "$work/SHA256SUMS" && mv "$work/SHA256SUMS" .)
t0=$(date +%s.%N); (cd "$work/many" && sha256sum -c --quiet SHA256SUMS); t1=$(date +%s.%N)
"$bin" --check "$work/many/SHA256SUMS" > /dev/null; t2=$(date +%s.%N)
python3 -c "a=$t1-$t0; b=$t2-$t1; print(f'sha256sum -c: {a:.3f} s, digest --check: {b:.3f} s, speed-up {a/b:.2f}x')"

echo "## peak RSS hashing a 2 GiB file"
head -c $((2*1024*1024*1024)) /dev/zero > "$work/big.bin"
/usr/bin/time -v "$bin" -a sha256,sha512 "$work/big.bin" 2> "$work/time.txt" > /dev/null
grep -E "Maximum resident|Elapsed" "$work/time.txt"
