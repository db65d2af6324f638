#!/usr/bin/env bash
# What each console page weighs on a first load: its HTML, and the script, WebAssembly
# and stylesheet it loads, in bytes and gzipped (gzip -9), signed in as the demo's
# Governance admin against the release build. Run by `make bench`.
#
# Environment: GATEHOUSE_BIN (default target/release/gatehouse), WEIGHT_PORT (3035).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${GATEHOUSE_BIN:-target/release/gatehouse}"
port="${WEIGHT_PORT:-3035}"
name=gatehouse_weight
# shellcheck source=scripts/lib/release-server.sh
source scripts/lib/release-server.sh

pages=(/ /roles /principals /approvals /requests /reports/dormant /reports/client-bleed
  /audit /accounts /consent /reviews /dsr /security)
for path in "${pages[@]}"; do
  curl -fsS -b "$jar" -H "Accept: text/html" "$base$path" -o "$work/page$(echo "$path" | tr / _).html"
done
python3 - "$work" "$base" "${pages[@]}" <<'PY'
import gzip, re, sys, urllib.request
work, base, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
assets = {}
def weigh(data):
    return len(data), len(gzip.compress(data, 9))
def asset(path):
    if path not in assets:
        assets[path] = weigh(urllib.request.urlopen(base + path).read())
    return assets[path]
print("| page | HTML | gzipped | script + WASM + CSS gzipped | first load gzipped |")
print("|---|---:|---:|---:|---:|")
for page in pages:
    html = open(f"{work}/page{page.replace('/', '_')}.html", "rb").read()
    raw, packed = weigh(html)
    loaded = sorted(set(re.findall(rb'(?:href|src)="(/pkg/[^"]+)"', html)))
    loaded = [p.decode() for p in loaded]
    if not any(p.endswith(".wasm") for p in loaded):
        loaded += [p.replace(".js", "_bg.wasm") for p in loaded if p.endswith(".js")]
    extra = sum(asset(p)[1] for p in loaded)
    print(f"| `{page}` | {raw:,} | {packed:,} | {extra:,} | {packed + extra:,} |")
print()
for path, (raw, packed) in sorted(assets.items()):
    print(f"- `{path}`: {raw:,} bytes, {packed:,} gzipped")
PY
