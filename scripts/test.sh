#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (server and browser builds), unit and
# integration tests against a private PostgreSQL, a short fuzzing of the HTTP API from its
# OpenAPI document and the end-to-end suite in Chromium against the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$PWD/scripts/bin:$PWD/.tools/node_modules/.bin:$PATH"
# Each step says when it starts (minutes:seconds since the start), so that a slow run
# shows where its time went.
step() { printf '\n\033[1m==> [%d:%02d] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "Formatting"
cargo fmt --all -- --check

step "Layers"
scripts/check-layers.sh

step "Rules (alone, no database or web crates)"
cargo test -p rules

# The app's tests and the server's are built in one cargo invocation, so that their
# dependencies are resolved (and compiled) once with one set of features.
step "Clippy (server build)"
cargo clippy -p rules -p app -p server --features app/ssr --all-targets -- -D warnings

step "Clippy (browser build)"
cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "Test database"
cargo test -p app -p server --features app/ssr --no-run
pg_dir=.data/test-postgres
target/debug/gatehouse database stop --data-dir "$pg_dir" >/dev/null 2>&1 || true
rm -rf "$pg_dir"
base_url=$(target/debug/gatehouse database start --data-dir "$pg_dir")
trap 'target/debug/gatehouse database stop --data-dir "$pg_dir" >/dev/null 2>&1 || true' EXIT
export DATABASE_URL="$base_url"

step "Unit and integration tests"
# Most integration tests wait on the database or a socket far more than they compute:
# four at a time keep both cores busy. Four is also as many as sqlx's test harness
# serves at once (20 connections, up to 5 per test), so none waits on another's pool.
cargo test -p app -p server --features app/ssr -- --test-threads=4

step "Release build"
# From nothing, a build without incremental state is the quicker one (about a minute
# less here); `make run` keeps it for quick rebuilds.
CARGO_PROFILE_RELEASE_INCREMENTAL=false scripts/build-release.sh

step "API fuzzing (short; make fuzz runs a long one)"
scripts/fuzz.sh 25

step "End-to-end tests (Chromium)"
# The same cluster, another (new) database: swap the URL's database name.
without_query="${base_url%%\?*}"
export E2E_DATABASE_URL="${without_query%/*}/gatehouse_e2e?${base_url#*\?}"
echo "E2E database: $E2E_DATABASE_URL"
(cd end2end && npx playwright test)
step "Done"
