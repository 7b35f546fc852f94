#!/usr/bin/env bash
# Builds the real-cluster binaries once per machine into the cache: a Kubernetes control plane
# (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl), kine (etcd's API on SQLite),
# kwok (fake nodes: pods become Running and Ready with no container runtime) and Argo CD (one
# binary, every component). Redis comes from Debian. About 15 minutes on 2 cores the first time,
# a second when everything is cached. Prints the bin folder on stdout; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE="${DEPLOY_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deploy-engine}"
K8S_VERSION=v1.34.2
KINE_VERSION=v0.17.5
KWOK_VERSION=v0.7.0
ARGOCD_VERSION=v2.14.21
ESO_VERSION=v1.3.2
BIN="$CACHE/real-cluster-k8s-$K8S_VERSION-argocd-$ARGOCD_VERSION"
say() { printf '\033[1m[real-cluster]\033[0m %s\n' "$*" >&2; }
mkdir -p "$CACHE" "$BIN"
export PATH="$PATH:/usr/local/go/bin:/usr/lib/go/bin"
LOG="$CACHE/real-cluster-build.log"

if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" != 0 ]; then say "redis-server is missing (run: sudo apt-get install redis-server)"; exit 1; fi
  say "installing redis-server from Debian"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  # The package starts a system Redis; the cluster runs its own on a free port.
  (systemctl stop redis-server || service redis-server stop || pkill -x redis-server) >/dev/null 2>&1 || true
fi
command -v go >/dev/null || { say "Go is needed to build the real cluster (apt-get install golang)"; exit 1; }

fail() { say "$1 build FAILED; the Go toolchain said:"; tail -25 "$LOG" >&2; exit 1; }
timed() { # timed <label> <command...>: runs it, logs, reports seconds
  local label=$1; shift; local start; start=$(date +%s)
  say "building $label (once per machine)"
  "$@" >>"$LOG" 2>&1 || fail "$label"
  say "$label built in $(( $(date +%s) - start )) s"
}

# A module whose go.mod has replace directives cannot be `go install`ed: build it from a
# writable copy of its downloaded source instead.
module_copy() { # module_copy <module@version> <dest>
  local dir
  dir=$(GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "go mod download $1 gave no folder" >>"$LOG"; return 1; }
  rm -rf "$2"; cp -r "$dir" "$2"; chmod -R u+w "$2"; rm -f "$2/go.work" "$2/go.work.sum"
}

WORK="$CACHE/real-cluster-src"
mkdir -p "$WORK"

build_kubernetes() (
  module_copy "k8s.io/kubernetes@$K8S_VERSION" "$WORK/k8s"
  cd "$WORK/k8s"
  # The staging modules are not in the module zip: use their published versions.
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  sed -i -E "s#(k8s.io/[a-z0-9-]+) => ./staging/src/k8s.io/[a-z0-9-]+#\\1 => \\1 v0.${K8S_VERSION#v1.}#" go.mod
  # Argo CD and Helm read the server's version: without these it is v0.0.0-master.
  local ld="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  done
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [ -x "$BIN/$cmd" ] && continue
    GOFLAGS=-mod=mod go build -ldflags "$ld" -o "$BIN/$cmd.tmp" "./cmd/$cmd" && mv "$BIN/$cmd.tmp" "$BIN/$cmd"
  done
)

build_argocd() (
  module_copy "github.com/argoproj/argo-cd/v2@$ARGOCD_VERSION" "$WORK/argocd"
  cd "$WORK/argocd"
  GOFLAGS=-mod=mod go build -ldflags "-X github.com/argoproj/argo-cd/v2/common.version=${ARGOCD_VERSION#v}" \
    -o "$BIN/argocd.tmp" ./cmd && mv "$BIN/argocd.tmp" "$BIN/argocd"
  # The CRDs ship in the module: keep them beside the binary.
  mkdir -p "$BIN/crds"
  cp manifests/crds/application-crd.yaml manifests/crds/applicationset-crd.yaml manifests/crds/appproject-crd.yaml "$BIN/crds/"
)

# kwok's Stage CRD and its "fast" stages: the cluster runs them as objects, so a test can
# hold one release's pods un-ready by editing the pod-ready stage.
kwok_stages() {
  local dir
  dir=$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$BIN/kwok-stages"
  cp "$dir/kustomize/crd/bases/kwok.x-k8s.io_stages.yaml" "$dir/kustomize/stage/node/fast/node-initialize.yaml" \
    "$dir/kustomize/stage/pod/fast/pod-ready.yaml" "$dir/kustomize/stage/pod/fast/pod-complete.yaml" \
    "$dir/kustomize/stage/pod/fast/pod-delete.yaml" "$BIN/kwok-stages/"
}

# External Secrets' CRDs (ExternalSecret, ClusterSecretStore) from its Go module: the cluster
# serves the real kinds, and a stand-in controller (external-secrets.ts) fills them. ESO itself
# cannot be built from the proxy (its go.mod replaces modules the proxy does not serve).
eso_crds() {
  local dir f
  dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/external-secrets/external-secrets@$ESO_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "go mod download external-secrets gave no folder" >>"$LOG"; return 1; }
  mkdir -p "$BIN/eso-crds"
  # Through a temporary name: a copy cut short must not look done to the next run.
  for f in external-secrets.io_externalsecrets.yaml external-secrets.io_clustersecretstores.yaml; do
    cp -f "$dir/config/crds/bases/$f" "$BIN/eso-crds/$f.tmp" && chmod u+w "$BIN/eso-crds/$f.tmp" && mv "$BIN/eso-crds/$f.tmp" "$BIN/eso-crds/$f"
  done
}

need_k8s=0
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do [ -x "$BIN/$cmd" ] || need_k8s=1; done
[ $need_k8s = 0 ] || timed "Kubernetes $K8S_VERSION (apiserver, controller-manager, scheduler, kubectl)" build_kubernetes
[ -x "$BIN/kine" ] || timed "kine $KINE_VERSION" env GOBIN="$BIN" GOFLAGS=-mod=mod go install "github.com/k3s-io/kine@$KINE_VERSION"
[ -x "$BIN/kwok" ] || timed "kwok $KWOK_VERSION" env GOBIN="$BIN" GOFLAGS=-mod=mod go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
[ -f "$BIN/kwok-stages/pod-ready.yaml" ] || kwok_stages >>"$LOG" 2>&1 || fail "kwok stages"
{ [ -x "$BIN/argocd" ] && [ -f "$BIN/crds/appproject-crd.yaml" ]; } || timed "Argo CD $ARGOCD_VERSION" build_argocd
{ [ -f "$BIN/eso-crds/external-secrets.io_externalsecrets.yaml" ] && [ -f "$BIN/eso-crds/external-secrets.io_clustersecretstores.yaml" ]; } || eso_crds >>"$LOG" 2>&1 || fail "External Secrets $ESO_VERSION CRDs"
rm -rf "$WORK"
echo "$BIN"
