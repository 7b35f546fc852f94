#!/usr/bin/env bash
# `npm run fuzz:schemathesis [-- extra st options]`: Schemathesis (from PyPI) against a running
# API, driven by its /openapi.json. Start the stack first (`npm start`, ideally with
# DEPLOY_RATE_BURST, MAX_QUEUED_PER_PROJECT and MAX_QUEUED_PER_WORKSPACE raised so the limits do
# not hide the logic behind them). The tests run the project's own fuzzer (test/openapi-fuzz);
# this is the independent second opinion. Schemathesis is installed once into the tools cache.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${DEPLOY_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deploy-engine}"
SCHEMATHESIS_VERSION=4.32.5
VENV="$CACHE/schemathesis-$SCHEMATHESIS_VERSION"
API_URL="${API_URL:-http://127.0.0.1:3000}"
TOKEN="${API_TOKEN:-$(cat .data/dev-api-token 2>/dev/null || true)}"
say() { printf '\033[1m[schemathesis]\033[0m %s\n' "$*" >&2; }

[ -n "$TOKEN" ] || { say "no token: set API_TOKEN, or start the dev stack (it writes .data/dev-api-token)"; exit 1; }
if ! [ -x "$VENV/bin/st" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { say "python3-venv is missing (run: sudo apt-get install python3-venv)"; exit 1; }
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  say "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
curl -fsS "$API_URL/healthz" >/dev/null || { say "the API does not answer at $API_URL (start it with npm start)"; exit 1; }
exec "$VENV/bin/st" run "$API_URL/openapi.json" -H "Authorization: Bearer $TOKEN" --checks all --max-examples "${MAX_EXAMPLES:-300}" --request-timeout 10 "$@"
