#!/usr/bin/env bash
# The release build: the server binary and the site under target/site, whose files are
# also written gzipped and brotli-compressed (--precompress) so that the server sends
# each browser the smallest it accepts. The tools it runs (wasm-opt, wasm-bindgen) are
# the ones scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/scripts/bin:$PWD/.tools/node_modules/.bin:$PATH"
cargo leptos build --release --precompress
