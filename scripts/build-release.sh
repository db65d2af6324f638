#!/usr/bin/env bash
# The release build: the server binary and the site under target/site, whose files are
# also written gzipped and brotli-compressed (--precompress) so that the server sends
# each browser the smallest it accepts. The tools it runs (wasm-opt, wasm-bindgen) are
# the ones scripts/setup.sh installs.
#
# The server and the browser's bundle build side by side, each in its own target
# directory: the bundle's last steps (its one large crate, then link-time optimisation)
# keep one core busy, and the server's crates take the other. (Asked for both at once
# with --precompress, cargo-leptos builds them one after the other.)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/scripts/bin:$PWD/.tools/node_modules/.bin:$PATH"
cargo leptos build --release --server-only &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
cargo leptos build --release --precompress --frontend-only
wait "$server"
trap - EXIT
# cargo-leptos compresses quickly: the files every page loads are compressed again at
# gzip's highest level, for browsers that take gzip and not brotli.
for packed in target/site/pkg/*.gz; do
  gzip -9 -n -c "${packed%.gz}" > "$packed"
done
