#!/usr/bin/env bash
# What each console page weighs on a first load: its HTML (as sent, and gzip -9 for
# comparison), and the script, WebAssembly and stylesheet it loads as the server sends
# them to a browser accepting brotli and gzip; signed in as the demo's Governance admin
# against the release build. Run by `make bench`.
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
def sent(path):
    """The bytes the server sends a browser that accepts brotli and gzip, and how."""
    if path not in assets:
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": "br, gzip"})
        with urllib.request.urlopen(request) as response:
            assets[path] = (len(response.read()), response.headers.get("Content-Encoding", "none"))
    return assets[path]
print("| page | HTML | HTML gzipped | script + WASM + CSS as sent | first load as sent |")
print("|---|---:|---:|---:|---:|")
for page in pages:
    html = open(f"{work}/page{page.replace('/', '_')}.html", "rb").read()
    loaded = sorted({p.decode() for p in re.findall(rb'(?:href|src)="(/pkg/[^"]+)"', html)})
    if not any(p.endswith(".wasm") for p in loaded):
        loaded += [p[: -len(".js")] + ".wasm" for p in loaded if p.endswith(".js")]
    extra = sum(sent(p)[0] for p in loaded)
    packed = len(gzip.compress(html, 9))
    print(f"| `{page}` | {len(html):,} | {packed:,} | {extra:,} | {len(html) + extra:,} |")
print()
for path, (size, encoding) in sorted(assets.items()):
    print(f"- `{path}`: {size:,} bytes as sent ({encoding})")
PY
