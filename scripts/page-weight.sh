#!/usr/bin/env bash
# What each console page weighs on a first load: its HTML (as sent, and gzip -9 for
# comparison), and the script and WebAssembly it loads (the files its HTML names) as the
# server sends them to a browser accepting brotli, and to one accepting gzip only;
# signed in as the demo's Governance admin against the release build. Run by
# `make bench`.
#
# Environment: GATEHOUSE_BIN (default target/release/gatehouse), WEIGHT_PORT (3035).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${GATEHOUSE_BIN:-target/release/gatehouse}"
port="${WEIGHT_PORT:-3035}"
name=gatehouse_weight
# shellcheck source=scripts/lib/release-server.sh
source scripts/lib/release-server.sh

pages=(/ /roles /principals /approvals /requests /packages /access/who /access/explain
  /access/expiring /access/fields /sod /reports /reports/dormant /reports/client-bleed
  /audit /accounts /consent /reviews /dsr /lifecycle /tokens /webhooks /security)
for path in "${pages[@]}"; do
  curl -fsS -b "$jar" -H "Accept: text/html" "$base$path" -o "$work/page$(echo "$path" | tr / _).html"
done
curl -fsS -H "Accept: text/html" "$base/login" -o "$work/page_login.html"
python3 - "$work" "$base" /login "${pages[@]}" <<'PY'
import gzip, re, sys, urllib.request
work, base, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
assets = {}
def sent(path, encoding):
    """The bytes the server sends a browser that accepts `encoding`."""
    if (path, encoding) not in assets:
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": encoding})
        with urllib.request.urlopen(request) as response:
            assets[(path, encoding)] = (len(response.read()), response.headers.get("Content-Encoding", "none"))
    return assets[(path, encoding)][0]
print("| page | HTML | HTML gzipped | script + WASM, brotli | script + WASM, gzip | first load, brotli |")
print("|---|---:|---:|---:|---:|---:|")
heaviest = 0
for page in pages:
    html = open(f"{work}/page{page.replace('/', '_')}.html", "rb").read()
    loaded = sorted({p.decode() for p in re.findall(rb'(?:href|src)="(/pkg/[^"]+)"', html)})
    if not any(p.endswith(".wasm") for p in loaded):
        loaded += [p[: -len(".js")] + ".wasm" for p in loaded if p.endswith(".js")]
    as_brotli = {p: sent(p, "br, gzip") for p in loaded}
    as_gzip = {p: sent(p, "gzip") for p in loaded}
    code = [p for p in loaded if p.endswith((".js", ".wasm"))]
    style = sum(as_brotli[p] for p in loaded if p not in code)
    brotli, gzipped = sum(as_brotli[p] for p in code), sum(as_gzip[p] for p in code)
    heaviest = max(heaviest, gzipped)
    packed = len(gzip.compress(html, 9))
    print(f"| `{page}` | {len(html):,} | {packed:,} | {brotli:,} | {gzipped:,} | {len(html) + brotli + style:,} |")
print()
print(f"Heaviest first load of script and WASM, gzip: {heaviest:,} bytes (target under 300 KB, 307,200).")
print()
for (path, encoding), (size, used) in sorted(assets.items()):
    if encoding != "gzip":
        print(f"- `{path}`: {size:,} bytes as sent ({used}), {assets[(path, 'gzip')][0]:,} with gzip")
PY
