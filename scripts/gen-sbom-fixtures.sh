#!/usr/bin/env bash
# Generates the SBOM fixtures of crates/relgate/tests/data/sbom/ with real generators, once;
# the outputs are committed beside this script and read by relgate's sbom-valid tests.
#
#   npm sbom --sbom-format cyclonedx|spdx   (npm's own generator, CycloneDX 1.5 / SPDX 2.3)
#   cyclonedx-py requirements               (pip package cyclonedx-bom: CycloneDX 1.4, 1.6, 1.7)
#   pyspdxtools -i                          (pip package spdx-tools: validates the SPDX outputs)
#
# Nothing here reaches a package registry except pip installing the two tools (once, into
# $RELKIT_SBOM_VENV, default ~/.cache/relkit/sbom-venv). The npm project depends on a local
# folder (`file:`), and cyclonedx-py is pointed at a loopback index it never contacts.
#
# After generating, the script rewrites what a run would not reproduce or what the repository
# must not hold, and says so in the fixtures' README:
#   - timestamps, serial numbers and SPDX namespaces are fixed (npm writes milliseconds in
#     SPDX `created`, which SPDX 2.3 and pyspdxtools refuse: `2026-10-01T00:00:00Z` instead);
#   - every URL whose host is a package registry (the names come from
#     ../shared/tools/registry-hosts at run time, so none is written here) becomes
#     `http://registry.invalid/...`: cyclonedx-py's own tool metadata links its index pages.
# Then it writes the release copies (the digests of the packed tarball added, as a release
# job attaching its SBOM would) and the tampered copies, each changed in exactly one value by
# the `tamper` calls at the end, and checks that no registry host name is left anywhere.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/crates/relgate/tests/data/sbom"
HOSTS_TOOL="${RELKIT_REGISTRY_HOSTS:-$ROOT/../shared/tools/registry-hosts}"
VENV="${RELKIT_SBOM_VENV:-$HOME/.cache/relkit/sbom-venv}"

if [ ! -x "$VENV/bin/cyclonedx-py" ] || [ ! -x "$VENV/bin/pyspdxtools" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'cyclonedx-bom==7.5.0' 'spdx-tools==0.8.5'
fi
HOSTS="$("$HOSTS_TOOL")"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT/release"

# ---------------------------------------------------------------- npm: sketchlog-client 3.0.2
mkdir -p "$WORK/core" "$WORK/client"
cat > "$WORK/core/package.json" <<'JSON'
{ "name": "sketchlog-core", "version": "3.0.2", "description": "SketchLog core", "license": "MIT", "main": "index.js" }
JSON
echo 'module.exports = {};' > "$WORK/core/index.js"
cat > "$WORK/client/package.json" <<'JSON'
{ "name": "sketchlog-client", "version": "3.0.2", "description": "SketchLog client", "license": "MIT", "main": "index.js",
  "dependencies": { "sketchlog-core": "file:../core" } }
JSON
echo 'module.exports = require("sketchlog-core");' > "$WORK/client/index.js"
(
    cd "$WORK/client"
    npm install --offline --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
    npm sbom --sbom-format cyclonedx > "$WORK/npm-client.cdx.json"
    npm sbom --sbom-format spdx > "$WORK/npm-client.spdx.json"
    npm pack --pack-destination "$OUT/release" --loglevel=error >/dev/null
)

# ---------------------------------------------------------------- Python: advisoryhub 2.3.1
mkdir -p "$WORK/py"
cat > "$WORK/py/pyproject.toml" <<'TOML'
[project]
name = "advisoryhub"
version = "2.3.1"
description = "AdvisoryHub service"
requires-python = ">=3.12"
license = { text = "Apache-2.0" }
dependencies = ["anyio==4.4.0", "idna==3.7"]
TOML
cat > "$WORK/py/requirements.txt" <<'REQ'
anyio==4.4.0 \
    --hash=sha256:5aadc6a1bbb7cdb0bede386cac5e2940f5e2ff3aa20277e991cf028e0585ce94
idna==3.7 \
    --hash=sha256:82fee1fc78add43492d3a1898bfa6d8a904cc97d8427f683ed8e798d07761aa0
REQ
for sv in 1.4 1.6 1.7; do
    (
        cd "$WORK/py"
        SOURCE_DATE_EPOCH=1790000000 "$VENV/bin/cyclonedx-py" requirements \
            --index-url http://127.0.0.1:9/simple --pyproject pyproject.toml \
            --sv "$sv" --output-reproducible -o "$WORK/py-advisoryhub-$sv.cdx.json" requirements.txt \
            2>/dev/null
    )
done

# ---------------------------------------------------------------- normalise, derive, tamper
HOSTS="$HOSTS" python3 - "$WORK" "$OUT" <<'PY'
import copy, hashlib, json, os, re, sys

work, out = sys.argv[1], sys.argv[2]
hosts = [h.strip() for h in os.environ["HOSTS"].split() if h.strip()]
url = re.compile(r"https?://([^/\s\"]+)(/[^\s\"]*)?")


def neutral(text):
    def repl(m):
        host = m.group(1).lower()
        if any(host == h or host.endswith("." + h) for h in hosts):
            return "http://registry.invalid" + (m.group(2) or "/")
        return m.group(0)
    return url.sub(repl, text)


def scrub(v):
    if isinstance(v, dict):
        return {k: scrub(x) for k, x in v.items()}
    if isinstance(v, list):
        return [scrub(x) for x in v]
    if isinstance(v, str):
        return neutral(v)
    return v


def load(name):
    with open(os.path.join(work, name)) as f:
        return json.load(f)


def save(name, doc):
    with open(os.path.join(out, name), "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


FIXED = "2026-10-01T00:00:00Z"
SERIAL = "urn:uuid:3f0c1a52-6a3e-4f0e-9d1c-2b7a5e6c8d90"

generated = {}
for name in ["npm-client.cdx.json", "npm-client.spdx.json", "py-advisoryhub-1.4.cdx.json",
             "py-advisoryhub-1.6.cdx.json", "py-advisoryhub-1.7.cdx.json"]:
    doc = scrub(load(name))
    if "serialNumber" in doc:
        doc["serialNumber"] = SERIAL
    if "timestamp" in doc.get("metadata", {}):
        doc["metadata"]["timestamp"] = FIXED
    if "creationInfo" in doc:
        doc["creationInfo"]["created"] = FIXED
        doc["documentNamespace"] = re.sub(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            "3f0c1a52-6a3e-4f0e-9d1c-2b7a5e6c8d90", doc["documentNamespace"])
    save(name, doc)
    generated[name] = doc

# The release copies: the packed tarball's digests, as the release job that attaches the SBOM
# beside the tarball records them (npm's generators know the package, not the file it packs).
tgz = "sketchlog-client-3.0.2.tgz"
with open(os.path.join(out, "release", tgz), "rb") as f:
    data = f.read()
sha256, sha512 = hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest()

cdx = copy.deepcopy(generated["npm-client.cdx.json"])
cdx["metadata"]["component"]["externalReferences"] = [{
    "type": "distribution",
    "url": "http://127.0.0.1:9/sketchlog-client/-/" + tgz,
    "hashes": [{"alg": "SHA-256", "content": sha256}, {"alg": "SHA-512", "content": sha512}],
}]
save("npm-client-release.cdx.json", cdx)

spdx = copy.deepcopy(generated["npm-client.spdx.json"])
root = spdx["packages"][0]
root["packageFileName"] = tgz
root["checksums"] = [{"algorithm": "SHA256", "checksumValue": sha256},
                     {"algorithm": "SHA512", "checksumValue": sha512}]
save("npm-client-release.spdx.json", spdx)


def tamper(source, name, pointer, value):
    """A copy of `source` with the one value at JSON pointer `pointer` replaced."""
    with open(os.path.join(out, source)) as f:
        doc = json.load(f)
    parts = [int(p) if p.isdigit() else p for p in pointer.strip("/").split("/")]
    target = doc
    for p in parts[:-1]:
        target = target[p]
    old = target[parts[-1]]
    target[parts[-1]] = value(old) if callable(value) else value
    save(name, doc)


def flip(hexdigits):
    return hexdigits[:-1] + ("0" if hexdigits[-1] != "0" else "1")


tamper("py-advisoryhub-1.6.cdx.json", "tampered-other-version.cdx.json",
       "/metadata/component/version", "2.3.0")
tamper("npm-client-release.spdx.json", "tampered-other-version.spdx.json",
       "/packages/0/versionInfo", "3.0.1")
tamper("npm-client-release.cdx.json", "tampered-wrong-hash.cdx.json",
       "/metadata/component/externalReferences/0/hashes/0/content", flip)
tamper("npm-client-release.spdx.json", "tampered-wrong-hash.spdx.json",
       "/packages/0/checksums/1/checksumValue", flip)
tamper("py-advisoryhub-1.6.cdx.json", "tampered-malformed-hash.cdx.json",
       "/components/1/externalReferences/0/hashes/0/content", "not-a-sha256")
tamper("py-advisoryhub-1.6.cdx.json", "tampered-malformed-type.cdx.json",
       "/components/0/version", 440)
tamper("npm-client.spdx.json", "tampered-unsupported.spdx.json", "/spdxVersion", "SPDX-2.2")
PY

# ---------------------------------------------------------------- what is here
cat > "$OUT/README.md" <<'MD'
# SBOM fixtures (generated by scripts/gen-sbom-fixtures.sh; do not edit by hand)

| file | made by | describes | what the sbom-valid tests expect |
| --- | --- | --- | --- |
| `npm-client.cdx.json` | `npm sbom --sbom-format cyclonedx` (CycloneDX 1.5) | sketchlog-client 3.0.2 | passes |
| `npm-client.spdx.json` | `npm sbom --sbom-format spdx` (SPDX 2.3; pyspdxtools validates it) | sketchlog-client 3.0.2 | passes |
| `py-advisoryhub-1.4.cdx.json`, `-1.6` | `cyclonedx-py requirements --pyproject` | advisoryhub 2.3.1 | passes |
| `py-advisoryhub-1.7.cdx.json` | `cyclonedx-py requirements --sv 1.7` | advisoryhub 2.3.1 | `sbom-unsupported` at `/specVersion` |
| `npm-client-release.cdx.json` | npm's CycloneDX plus a `distribution` reference to `release/sketchlog-client-3.0.2.tgz` with its SHA-256 and SHA-512 | | passes, both digests checked |
| `npm-client-release.spdx.json` | npm's SPDX with `packageFileName` and `checksums` of that tarball (pyspdxtools validates it) | | passes, both digests checked |
| `tampered-other-version.cdx.json` | `/metadata/component/version` set to 2.3.0 | | `sbom-component-mismatch` |
| `tampered-other-version.spdx.json` | `/packages/0/versionInfo` set to 3.0.1 | | `sbom-component-mismatch` |
| `tampered-wrong-hash.cdx.json` | last digit of `/metadata/component/externalReferences/0/hashes/0/content` changed | | `sbom-hash-mismatch` |
| `tampered-wrong-hash.spdx.json` | last digit of `/packages/0/checksums/1/checksumValue` changed | | `sbom-hash-mismatch` |
| `tampered-malformed-hash.cdx.json` | `/components/1/externalReferences/0/hashes/0/content` set to `not-a-sha256` | | `sbom-invalid` |
| `tampered-malformed-type.cdx.json` | `/components/0/version` set to the number 440 | | `sbom-invalid` |
| `tampered-unsupported.spdx.json` | `/spdxVersion` set to `SPDX-2.2` | | `sbom-unsupported` |

Rewritten after generation: timestamps, serial numbers and SPDX namespaces are fixed (npm
writes milliseconds in SPDX `created`, which SPDX 2.3 and pyspdxtools refuse), and every URL
on a package registry's host is `http://registry.invalid/...` (cyclonedx-py links its own
index pages in `metadata.tools`); cyclonedx-py was given a loopback index URL it never contacts.
MD

# ---------------------------------------------------------------- validate, check
for f in npm-client.spdx.json npm-client-release.spdx.json; do
    "$VENV/bin/pyspdxtools" -i "$OUT/$f" >/dev/null
done
while read -r host; do
    [ -n "$host" ] || continue
    if grep -rqiF -- "$host" "$OUT"; then
        echo "gen-sbom-fixtures: $OUT still names a registry host" >&2
        exit 1
    fi
done <<< "$HOSTS"
echo "gen-sbom-fixtures: wrote $(find "$OUT" -type f | wc -l) files to $OUT"
