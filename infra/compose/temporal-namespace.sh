#!/bin/sh
# The engine's Temporal namespace and its search attributes (the list in
# scripts/lib/temporal-server.ts, which the dev stack passes to start-dev). What exists is kept;
# anything else that goes wrong fails this service, and with it the api and worker, which wait
# for its success: a deploy must never start against a namespace that cannot index it.
set -eu
: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_RETENTION:-720h}
tries=${TEMPORAL_WAIT_TRIES:-60}
attributes="ProjectId WorkspaceId DeploymentId CommitSha DeployTrigger DeployStatus DeployKind"

# Retries one command until it succeeds (its output in $answer); after the last try, fails
# with the command's own message.
retry() {
  what=$1; shift
  attempt=1
  while ! answer=$("$@" 2>&1); do
    if [ "$attempt" -ge "$tries" ]; then
      echo "temporal-namespace: $what failed after $tries tries at $TEMPORAL_ADDRESS: $answer" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

# The server may still be opening its databases when its port already answers.
retry "cluster health" temporal operator cluster health
if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace: exists"
else
  temporal operator namespace create --namespace "$namespace" --retention "$retention"
  echo "namespace $namespace: created (retention $retention)"
fi
# A new namespace takes a moment to reach every service's cache ("Namespace ... is not found").
retry "listing the search attributes of $namespace" temporal operator search-attribute list --namespace "$namespace"
registered=$answer
for name in $attributes; do
  if printf '%s\n' "$registered" | grep -Eq "^[[:space:]]*$name[[:space:]]"; then
    echo "search attribute $name: already registered"
  else
    retry "registering search attribute $name" temporal operator search-attribute create --namespace "$namespace" --name "$name" --type Keyword
    echo "search attribute $name: registered"
  fi
done
