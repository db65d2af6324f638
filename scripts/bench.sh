#!/usr/bin/env bash
# Benchmarks a large organisation against a private PostgreSQL, with optimised builds.
# Prints tables of p50/p95 response times and rates (see server/benches/large_org.rs,
# server/benches/approvals.rs, server/benches/activity.rs, server/benches/consent.rs,
# server/benches/decisions.rs, server/benches/scim.rs), a load test of 200 clients at once (server/benches/load.rs),
# the policy evaluator beside the cedar-policy crate (app/rules/compare, in memory), and
# the weight of each page's first load (scripts/page-weight.sh, release build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build -p server
pg_dir=.data/bench-postgres
target/debug/gatehouse database stop --data-dir "$pg_dir" >/dev/null 2>&1 || true
DATABASE_URL=$(target/debug/gatehouse database start --data-dir "$pg_dir")
export DATABASE_URL
trap 'target/debug/gatehouse database stop --data-dir "$pg_dir" >/dev/null 2>&1 || true' EXIT
cargo bench -p server --bench large_org --bench approvals --bench activity --bench consent --bench decisions --bench scim --bench load
cargo bench -p rules-compare --bench compare
# What each page loads on a first visit, from the release build.
scripts/build-release.sh
scripts/page-weight.sh
