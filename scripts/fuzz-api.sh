#!/usr/bin/env bash
# Fuzzes a running Gatehouse's HTTP API from its own OpenAPI document
# (BASE_URL/api/v1/openapi.json) with schemathesis: every operation, valid and invalid
# inputs, each request carrying the given bearer token. A check fails on a 5xx answer,
# an undocumented status code or content type, a body that breaks its declared schema,
# or a request that gets no answer (connection dropped, timeout). Exits non-zero on any
# failure, after schemathesis' own report of it.
#
# Usage: scripts/fuzz-api.sh BASE_URL TOKEN MAX_EXAMPLES
#   BASE_URL      scheme, host and port only, e.g. http://127.0.0.1:3000
#   TOKEN         API token, sent as "Authorization: Bearer TOKEN"
#   MAX_EXAMPLES  most generated test cases per operation in the fuzzing phase
# Environment:
#   FUZZ_API_SEED        random seed (default 1), so that a run can be repeated exactly
#   FUZZ_API_TIME_LIMIT  wall-clock cap in seconds for the whole run (default 600)
# Installed by scripts/setup.sh --test.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

if [[ $# -ne 3 || -z "$2" || ! "$3" =~ ^[1-9][0-9]*$ ]]; then
  echo "Usage: $0 BASE_URL TOKEN MAX_EXAMPLES (MAX_EXAMPLES a positive integer)" >&2
  exit 2
fi
base_url="${1%/}"
token="$2"
max_examples="$3"
seed="${FUZZ_API_SEED:-1}"
time_limit="${FUZZ_API_TIME_LIMIT:-600}"

schemathesis="$repo/.tools/venv/bin/schemathesis"
if [[ ! -x "$schemathesis" ]]; then
  echo "schemathesis is not installed: run scripts/setup.sh --test" >&2
  exit 2
fi

# Run from a scratch directory: nothing the run writes lands in the repository, and no
# configuration file from the tree changes what runs.
work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
cd "$work_dir"

# --origin: requests go to BASE_URL plus the document's own base path, never to a host
#   named in its "servers".
# --phases: the bounded phases only; "stateful" explores call sequences until a budget
#   runs out.
# --mode all: invalid inputs too, so that a rejection must also be documented.
# --generation-with-security-parameters false: the token above on every request,
#   rather than generated credentials.
# --generation-database none: no .hypothesis/ directory, and no replay of earlier runs'
#   failures, so that the seed alone decides the run.
# --workers 1: one request at a time, in a fixed order.
# timeout: a hung server or a slow run ends the run. SIGINT, on which schemathesis
#   still prints its summary; SIGKILL 10 s later if it has not stopped.
status=0
timeout --signal=INT --kill-after=10 "$time_limit" \
  "$schemathesis" run "$base_url/api/v1/openapi.json" \
  --origin "$base_url" \
  --header "Authorization: Bearer $token" \
  --phases examples,coverage,fuzzing \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --mode all \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --generation-with-security-parameters false \
  --generation-database none \
  --workers 1 \
  --request-timeout 10 \
  --wait-for-schema 30 ||
  status=$?

if [[ $status -eq 124 || $status -eq 137 ]]; then
  echo "API fuzzing stopped after the ${time_limit}s limit" >&2
fi
exit "$status"
