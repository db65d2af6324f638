#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (server and browser builds), unit and
# integration tests against a private PostgreSQL, and the end-to-end suite in Chromium
# against the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Formatting"
cargo fmt --all -- --check

step "Layers"
scripts/check-layers.sh

step "Rules (alone, no database or web crates)"
cargo test -p rules

step "Clippy (server build)"
cargo clippy -p rules --all-targets -- -D warnings
cargo clippy -p server --all-targets -- -D warnings
cargo clippy -p app --features ssr --all-targets -- -D warnings

step "Clippy (browser build)"
cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "Test database"
cargo build -p server
pg_dir=.data/test-postgres
target/debug/gatehouse database stop --data-dir "$pg_dir" >/dev/null 2>&1 || true
rm -rf "$pg_dir"
base_url=$(target/debug/gatehouse database start --data-dir "$pg_dir")
trap 'target/debug/gatehouse database stop --data-dir "$pg_dir" >/dev/null 2>&1 || true' EXIT
export DATABASE_URL="$base_url"

step "Unit and integration tests"
cargo test -p app --features ssr
cargo test -p server

step "Release build"
cargo leptos build --release

step "End-to-end tests (Chromium)"
# The same cluster, another (new) database: swap the URL's database name.
without_query="${base_url%%\?*}"
export E2E_DATABASE_URL="${without_query%/*}/gatehouse_e2e?${base_url#*\?}"
echo "E2E database: $E2E_DATABASE_URL"
(cd end2end && npx playwright test)
