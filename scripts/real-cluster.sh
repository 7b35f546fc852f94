#!/usr/bin/env bash
# A real Kubernetes API and a real Argo CD on loopback until Ctrl-C (scripts/real-cluster.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx scripts/real-cluster.ts "$@"
