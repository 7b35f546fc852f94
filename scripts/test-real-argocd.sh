#!/usr/bin/env bash
# The conformance suite against a real Argo CD and a real Kubernetes API. Does its own set-up:
# the first run builds the cluster's binaries with Go (about 15 minutes on 2 cores, cached).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
start=$(date +%s)
bash scripts/real-cluster/build.sh >/dev/null
echo "[test:real-argocd] real-cluster binaries ready in $(( $(date +%s) - start )) s" >&2
exec node_modules/.bin/vitest run --config vitest.real-argocd.config.ts "$@"
