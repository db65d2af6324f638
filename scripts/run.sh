#!/usr/bin/env bash
# Builds and runs the console on http://localhost:3000, with the embedded database
# (unless DATABASE_URL is set) and the demo organisation on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-release.sh
exec target/release/gatehouse serve --demo-if-empty
