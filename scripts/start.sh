#!/usr/bin/env bash
# Command 1: the whole stack with embedded defaults. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx scripts/dev-stack.ts "$@"
