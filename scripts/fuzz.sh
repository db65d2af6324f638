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
name=gatehouse_fuzz
# shellcheck source=scripts/lib/release-server.sh
source scripts/lib/release-server.sh

# The demo's Governance admin makes the tokens, as a person would on /tokens and on the
# agent's page.
crm=$(sql "SELECT id FROM applications WHERE name = 'Acme CRM'")
copilot=$(sql "SELECT id FROM principals WHERE external_id = 'agent:support-copilot'")
until=$(date -u -d '+30 days' +%F)
token_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
application=$(call_as_admin /api/tokens/create "application=$crm&name=Fuzzing&until=" | token_of)
agent=$(call_as_admin /api/principals/tokens/create "principal=$copilot&application=$crm&name=Fuzzing&until=$until" | token_of)

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
