#!/usr/bin/env bash
# Builds what a full e2e run needs on top of ../../../shared/e2e/build.sh (same cache, same
# bin dir, same way): kube-scheduler (Kubernetes, same version and wrapper as build.sh's
# kube-controller-manager) and kwok (simulated nodes and pods, a pinned release from the Go
# module proxy), plus kwok's upstream stage definitions (node initialisation and heartbeat;
# pods become Ready, Job pods complete, deleted pods go) as one config file.
#
# Usage: tools/e2e/build-extra.sh [scheduler] [kwok] [kubectl]   (default: scheduler kwok)
#   L3_CACHE (default ~/.cache/mlops-e2e): the cache build.sh uses; binaries go to $L3_CACHE/bin,
#   kwok's stages to $L3_CACHE/share/kwok-stages.yaml. Idempotent: a binary already built at
#   the wanted version is kept.
#   KUBE_VERSION (1.34.4), KWOK_VERSION (v0.8.0, the newest on the proxy when this was written).
set -euo pipefail

CACHE=${L3_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlops-e2e}
BIN=$CACHE/bin
SRC=$CACHE/src
SHARE=$CACHE/share
mkdir -p "$BIN" "$SRC" "$SHARE" "$CACHE/gomod" "$CACHE/gobuild"
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gobuild GOSUMDB=off GOFLAGS="-buildvcs=false -mod=mod" \
  GOTOOLCHAIN=local CGO_ENABLED=0 PATH=/usr/local/go/bin:$PATH
NICE="nice -n 10"

KUBE_VERSION=${KUBE_VERSION:-1.34.4}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}

log() { echo "[build-extra $(date +%H:%M:%S)] $*" >&2; }
timed() { local name=$1; shift; local t0=$SECONDS; "$@"; log "$name done in $((SECONDS - t0))s"; }

# ---------------------------------------------------------------- kube-scheduler, kubectl
# The wrapper module of build.sh's kube_wrapper (k8s.io/kubernetes at KUBE_VERSION, each
# staging module replaced by its published v0.<minor>.<patch>), in a directory of its own so
# that build.sh's stays as it wrote it; go.sum is seeded from build.sh's when present.
kube_wrapper() {
  local d=$SRC/kube-extra; mkdir -p "$d"; cd "$d"
  go mod download k8s.io/kubernetes@"v$KUBE_VERSION"
  local kmod=$GOMODCACHE/cache/download/k8s.io/kubernetes/@v/v$KUBE_VERSION.mod
  local staging
  staging=$(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' "$kmod")
  {
    echo "module l3/kubeextra"; echo
    echo "go 1.24.0"; echo
    echo "godebug default=go1.24"; echo
    echo "require k8s.io/kubernetes v$KUBE_VERSION"; echo
    echo "replace ("
    for m in $staging; do echo "	$m => $m v0.${KUBE_VERSION#1.}"; done
    echo ")"
  } >go.mod.new
  cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  if ! cmp -s go.mod.new go.mod.want 2>/dev/null || [ ! -s go.sum ]; then
    cp go.mod.new go.mod; cp go.mod.new go.mod.want
    [ -s "$SRC/kube/go.sum" ] && cp "$SRC/kube/go.sum" go.sum
    $NICE go mod tidy
  fi
  rm -f go.mod.new
}
kube_build() { # kube_build CMD (as build.sh's)
  local cmd=$1
  if [ -x "$BIN/$cmd" ] && "$BIN/$cmd" --version 2>/dev/null | grep -q "v$KUBE_VERSION"; then log "$cmd v$KUBE_VERSION already built"; return 0; fi
  kube_wrapper
  local minor=${KUBE_VERSION#1.}; minor=${minor%%.*}
  local x="-X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1"
  x="$x -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  x="$x -X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  x="$x -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  $NICE go build -trimpath -tags providerless -ldflags "-s -w $x" -o "$BIN/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  "$BIN/$cmd" --version 2>/dev/null || "$BIN/$cmd" version --client
}
step_scheduler() { kube_build kube-scheduler; }
step_kubectl() {
  if [ -x "$BIN/kubectl" ] && "$BIN/kubectl" version --client 2>/dev/null | grep -q "v$KUBE_VERSION"; then log "kubectl v$KUBE_VERSION already built"; return 0; fi
  rm -f "$BIN/kubectl"; kube_build kubectl
}

# ---------------------------------------------------------------- kwok
# sigs.k8s.io/kwok's cmd/kwok at KWOK_VERSION from the module proxy. kwok needs its stages
# as config: the upstream ones from the same module version (kustomize/stage/...), copied
# unchanged: node-initialize + node-heartbeat-with-lease (nodes become Ready and stay so) and
# pod "fast" (pod-ready, pod-complete for pods owned by a Job, pod-delete).
step_kwok() {
  local stages=$SHARE/kwok-stages.yaml
  if have_version kwok "$KWOK_VERSION" && [ -s "$stages" ]; then log "kwok $KWOK_VERSION already built"; return 0; fi
  local d=$SRC/kwok; mkdir -p "$d"; cd "$d"
  cat >go.mod <<GO
module l3/kwok

go 1.26.0

require sigs.k8s.io/kwok $KWOK_VERSION
GO
  cat >tools.go <<'GO'
//go:build tools

package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
GO
  # kwok's own replace directives do not apply to a dependent module: copy them.
  local kdir; kdir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  (cd "$kdir" && go mod edit -json) | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
    new = r["New"]["Path"] + ("@" + r["New"]["Version"] if r["New"].get("Version") else "")
    if not new.startswith("."): print(old + "=" + new)
' | while read -r r; do go mod edit -replace "$r"; done
  $NICE go mod tidy
  $NICE go build -trimpath -ldflags "-s -w" -o "$BIN/kwok" sigs.k8s.io/kwok/cmd/kwok
  echo "$KWOK_VERSION" >"$BIN/kwok.version"
  {
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      echo "# sigs.k8s.io/kwok@$KWOK_VERSION kustomize/stage/$f"
      echo "---"
      cat "$kdir/kustomize/stage/$f"
      echo "---"
    done
  } >"$stages.tmp"
  mv "$stages.tmp" "$stages"
  "$BIN/kwok" --version 2>/dev/null || true
}
have_version() { [ -x "$BIN/$1" ] && [ -f "$BIN/$1.version" ] && [ "$(cat "$BIN/$1.version")" = "$2" ]; }

if [ $# -eq 0 ]; then set -- scheduler kwok; fi
for s in "$@"; do timed "$s" "step_$s"; done
