#!/usr/bin/env bash
# Fuzzes /api/v1 of a built Gatehouse from its OpenAPI document: starts the server on a
# database of its own (created on the cluster DATABASE_URL points at, or on a private
# one), makes the tokens the API takes (an application's, and an AI agent's own), and
# runs scripts/fuzz-api.sh with each. Fails on any 5xx, undocumented status or content
# type, answer that breaks its schema, or request left unanswered.
#
# Usage: scripts/fuzz.sh [MAX_EXAMPLES]   (default 25; `make fuzz` runs a long one)
# Environment: GATEHOUSE_BIN (default target/release/gatehouse), FUZZ_PORT (3025).
set -euo pipefail
cd "$(dirname "$0")/.."
max_examples="${1:-25}"
bin="${GATEHOUSE_BIN:-target/release/gatehouse}"
port="${FUZZ_PORT:-3025}"
base="http://127.0.0.1:$port"
[[ -x "$bin" ]] || { echo "No server at $bin: build it first (cargo leptos build --release)." >&2; exit 2; }

work=$(mktemp -d)
server_pid=""
own_cluster=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [[ -n "$own_cluster" ]] && "$bin" database stop --data-dir "$own_cluster" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh database: on the given cluster (its URL's database name swapped), or on a
# private cluster of its own.
if [[ -z "${DATABASE_URL:-}" ]]; then
  own_cluster=.data/fuzz-postgres
  "$bin" database stop --data-dir "$own_cluster" >/dev/null 2>&1 || true
  rm -rf "$own_cluster"
  DATABASE_URL=$("$bin" database start --data-dir "$own_cluster")
fi
without_query="${DATABASE_URL%%\?*}"
query="${DATABASE_URL#"$without_query"}"
admin_url="$DATABASE_URL"
fuzz_url="${without_query%/*}/gatehouse_fuzz$query"
psql=$(ls /usr/lib/postgresql/*/bin/psql | sort -V | tail -1)
"$psql" -q "$admin_url" -c "DROP DATABASE IF EXISTS gatehouse_fuzz WITH (FORCE)" -c "CREATE DATABASE gatehouse_fuzz"

DATABASE_URL="$fuzz_url" LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  "$bin" serve --demo-if-empty >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done

# The demo's Governance admin makes the tokens, as a person would on /tokens and on the
# agent's page.
jar="$work/cookies"
call() {
  curl -fsS -b "$jar" -c "$jar" -H "Origin: $base" -H "Accept: application/json" \
    -H "Content-Type: application/x-www-form-urlencoded" --data "$2" "$base$1"
}
sql() { "$psql" -qtAX "$fuzz_url" -c "$1"; }
call /api/auth/login "email=admin%40northwind.example&password=gatehouse-demo" >/dev/null
crm=$(sql "SELECT id FROM applications WHERE name = 'Acme CRM'")
copilot=$(sql "SELECT id FROM principals WHERE external_id = 'agent:support-copilot'")
until=$(date -u -d '+30 days' +%F)
token_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
application=$(call /api/tokens/create "application=$crm&name=Fuzzing&until=" | token_of)
agent=$(call /api/principals/tokens/create "principal=$copilot&application=$crm&name=Fuzzing&until=$until" | token_of)

status=0
echo "==> With an application's token"
scripts/fuzz-api.sh "$base" "$application" "$max_examples" || status=1
echo "==> With an AI agent's own token"
scripts/fuzz-api.sh "$base" "$agent" "$max_examples" || status=1
if grep -q "panicked" "$work/server.log"; then
  echo "The server panicked:" >&2
  grep -A5 "panicked" "$work/server.log" >&2
  status=1
fi
exit "$status"
