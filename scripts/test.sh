#!/usr/bin/env bash
# Command 2: all tests. Starts its own PostgreSQL cluster and Temporal dev server (never the
# developer's running stack); type-checks, lints and checks the formatting first so CI judges
# the same rules.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[test] tsc --noEmit" >&2
node_modules/.bin/tsc --noEmit
echo "[test] eslint" >&2
node_modules/.bin/eslint . --max-warnings=0
echo "[test] prettier --check" >&2
node_modules/.bin/prettier --check --log-level=warn .
exec node_modules/.bin/vitest run "$@"
