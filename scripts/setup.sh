#!/usr/bin/env bash
# Set-up shared by `npm start` and `npm test`. Works on a fresh machine that reaches only the
# package registries: Debian packages, the Go module proxy and npm. Idempotent and quick
# when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${DEPLOY_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deploy-engine}"
TEMPORAL_VERSION=v1.5.1
HELM_VERSION=v3.22.0
say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
# Every folder the set-up writes into is made here, first: a machine that never ran the project
# has none of them (an empty HOME has no ~/.cache either).
mkdir -p "$CACHE"
export PATH="$PATH:/usr/local/go/bin:/usr/lib/go/bin"

# --- Debian packages --------------------------------------------------------------------
need_apt=()
pg_bin=""
for v in 17 16 15; do [ -x "/usr/lib/postgresql/$v/bin/initdb" ] && { pg_bin="/usr/lib/postgresql/$v/bin"; break; }; done
[ -n "$pg_bin" ] || need_apt+=(postgresql)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v git >/dev/null || need_apt+=(git)
[ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)
# sshd: the GitOps-over-ssh tests run a real OpenSSH server on loopback.
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
if [ "${SETUP_BROWSER:-1}" = 1 ] && ! [ -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${need_apt[*]} (run: sudo apt-get install ${need_apt[*]})"; exit 1
  fi
  say "installing Debian packages: ${need_apt[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The Debian postgresql package starts a system cluster: the stack never uses it.
  command -v pg_ctlcluster >/dev/null && pg_ctlcluster --force 15 main stop >/dev/null 2>&1 || true
  # Same for the system docker-registry service: tests start their own.
  pkill -f '^/usr/bin/docker-registry serve /etc/docker' >/dev/null 2>&1 || true
  # And the system sshd, if the package started one: tests start their own on a free port.
  pkill -f '^sshd: /usr/sbin/sshd' >/dev/null 2>&1 || true
fi

# --- Temporal CLI (dev server with Web UI) -----------------------------------------------
temporal_bin="$CACHE/temporal-$TEMPORAL_VERSION/temporal"
if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then
  :
elif command -v temporal >/dev/null; then
  :
elif [ ! -x "$temporal_bin" ]; then
  command -v go >/dev/null || { say "Go is needed to build the Temporal CLI (apt-get install golang, or put go on PATH)"; exit 1; }
  say "building Temporal CLI $TEMPORAL_VERSION with Go into $CACHE (several minutes, once per machine)"
  start=$(date +%s)
  if ! GOBIN="$CACHE/temporal-$TEMPORAL_VERSION" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_VERSION" 2>"$CACHE/temporal-build.log"; then
    say "Temporal CLI build FAILED; the Go toolchain said:"; tail -20 "$CACHE/temporal-build.log" >&2
    exit 1
  fi
  say "Temporal CLI built in $(( $(date +%s) - start )) s"
fi

# --- Helm (optional: the Argo CD simulator and chart tests render with it when present) ---
helm_bin="$CACHE/helm-$HELM_VERSION/helm"
if [ "${SETUP_HELM:-1}" = 1 ] && ! command -v helm >/dev/null && [ ! -x "$helm_bin" ] && command -v go >/dev/null; then
  say "building Helm $HELM_VERSION with Go into $CACHE (once per machine)"
  start=$(date +%s)
  if GOBIN="$CACHE/helm-$HELM_VERSION" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" 2>"$CACHE/helm-build.log"; then
    say "Helm built in $(( $(date +%s) - start )) s"
  else
    say "Helm build failed (charts will be checked with the YAML library only):"; tail -5 "$CACHE/helm-build.log" >&2
  fi
fi

# --- npm packages and the Prisma client (offline) ------------------------------------------
stamp=node_modules/.deploy-engine-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
# --- compose-check: docker-compose.yml loaded by compose-go, as `docker compose config` does --
command -v go >/dev/null || { say "Go is needed to build scripts/compose-check"; exit 1; }
node_modules/.bin/tsx scripts/lib/compose-check.ts build

if [ ! -f generated/prisma/client.ts ] || [ prisma/schema.prisma -nt generated/prisma/client.ts ]; then
  say "generating the Prisma client"
  PRISMA_SCHEMA_ENGINE_BINARY=/bin/false PRISMA_HIDE_UPDATE_MESSAGE=1 npx prisma generate >/dev/null
fi
