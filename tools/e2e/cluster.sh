#!/usr/bin/env bash
# The loopback e2e cluster: the control plane of ../../../shared/e2e/cluster.sh (etcd,
# kube-apiserver, kube-controller-manager on 127.0.0.1) plus what a full `pulumi up` of the
# platform needs to become ready:
#   - kube-scheduler (tools/e2e/build-extra.sh builds it);
#   - kwok with simulated nodes: $L3_NODES nodes (default 3) annotated kwok.x-k8s.io/node=fake,
#     each $L3_NODE_CPU CPUs (16), $L3_NODE_MEMORY memory (64Gi), 110 pods; kwok's upstream
#     stages make their pods Ready and complete Job pods (so Deployments, StatefulSets, Jobs
#     and Helm hooks finish), with node leases kept fresh;
#   - a default StorageClass `e2e-standard` (volumeBindingMode Immediate) whose claims are
#     bound by tools/e2e/simulate.ts, which also switches chart admission webhooks to
#     failurePolicy Ignore (their servers would be pods, and simulated pods serve nothing).
#
# Usage: tools/e2e/cluster.sh start|stop|status|env|reset
#   Same variables as shared/e2e/cluster.sh (L3_CACHE, L3_CLUSTER, ports); L3_SHARED_E2E
#   (default ../shared/e2e next to the repository) locates it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED=${L3_SHARED_E2E:-$(cd "$REPO/.." && pwd)/shared/e2e}
CACHE=${L3_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlops-e2e}
BIN=$CACHE/bin
C=${L3_CLUSTER:-$CACHE/cluster}
KUBECONFIG_FILE=$C/kubeconfig
NODES=${L3_NODES:-3}
NODE_CPU=${L3_NODE_CPU:-16}
NODE_MEMORY=${L3_NODE_MEMORY:-64Gi}
STORAGE_CLASS=e2e-standard
export L3_CACHE=$CACHE L3_CLUSTER=$C

log() { echo "[e2e-cluster $(date +%H:%M:%S)] $*" >&2; }
running() { [ -f "$C/$1.pid" ] && kill -0 "$(cat "$C/$1.pid")" 2>/dev/null; }
kc() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

need() {
  local missing=
  for b in kube-scheduler kwok kubectl; do [ -x "$BIN/$b" ] || missing="$missing $b"; done
  [ -s "$CACHE/share/kwok-stages.yaml" ] || missing="$missing kwok-stages.yaml"
  if [ -n "$missing" ]; then log "missing:$missing; run tools/e2e/build-extra.sh"; exit 1; fi
  [ -x "$SHARED/cluster.sh" ] || { log "no $SHARED/cluster.sh (set L3_SHARED_E2E)"; exit 1; }
}

start_bg() { # start_bg NAME CMD...: a daemon with a pid file and a log in $C
  local name=$1; shift
  running "$name" && return 0
  setsid "$@" >"$C/$name.log" 2>&1 </dev/null &
  echo $! >"$C/$name.pid"; log "$name pid $(cat "$C/$name.pid") (log $C/$name.log)"
}

nodes() {
  local i
  for i in $(seq 0 $((NODES - 1))); do
    local n=e2e-node-$i
    kc get node "$n" >/dev/null 2>&1 && continue
    kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    node-role.kubernetes.io/worker: ""
    type: kwok
YAML
    kc patch node "$n" --subresource=status --type=merge -p "{\"status\":{\"capacity\":{\"cpu\":\"$NODE_CPU\",\"memory\":\"$NODE_MEMORY\",\"pods\":\"110\",\"ephemeral-storage\":\"200Gi\"},\"allocatable\":{\"cpu\":\"$NODE_CPU\",\"memory\":\"$NODE_MEMORY\",\"pods\":\"110\",\"ephemeral-storage\":\"200Gi\"}}}" >/dev/null
    log "node $n ($NODE_CPU CPU, $NODE_MEMORY)"
  done
}

storage_class() {
  kc apply -f - >/dev/null <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $STORAGE_CLASS
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: e2e.mlops.dev/simulated
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: true
YAML
  log "default StorageClass $STORAGE_CLASS (claims bound by simulate.ts)"
}

start() {
  need
  "$SHARED/cluster.sh" start
  start_bg scheduler "$BIN/kube-scheduler" --kubeconfig "$KUBECONFIG_FILE" \
    --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port 0
  nodes
  start_bg kwok "$BIN/kwok" --kubeconfig "$KUBECONFIG_FILE" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --config "$CACHE/share/kwok-stages.yaml" --node-lease-duration-seconds 40 \
    --cidr 10.244.0.0/16 --node-ip 10.250.0.1
  storage_class
  start_bg simulate "$REPO/node_modules/.bin/tsx" "$HERE/simulate.ts" --kubeconfig "$KUBECONFIG_FILE"
  local i
  for i in $(seq 1 60); do
    [ "$(kc get nodes --no-headers 2>/dev/null | grep -c ' Ready')" -ge "$NODES" ] && break
    sleep 1
  done
  kc get nodes
  log "export KUBECONFIG=$KUBECONFIG_FILE"
}

stop() {
  local p
  for p in simulate kwok scheduler; do
    if running "$p"; then
      local pid; pid=$(cat "$C/$p.pid")
      kill "$pid"; for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      log "stopped $p ($pid)"
    fi
    rm -f "$C/$p.pid"
  done
  "$SHARED/cluster.sh" stop
}

status() {
  "$SHARED/cluster.sh" status
  for p in scheduler kwok simulate; do
    if running "$p"; then echo "$p: running (pid $(cat "$C/$p.pid"))"; else echo "$p: stopped"; fi
  done
  if running apiserver 2>/dev/null || [ -f "$C/apiserver.pid" ]; then kc get nodes,storageclass 2>/dev/null || true; fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  reset) stop; rm -rf "$C/etcd" ;;
  status) status ;;
  env) echo "export KUBECONFIG=$KUBECONFIG_FILE" ;;
  *) echo "usage: $0 start|stop|restart|reset|status|env" >&2; exit 2 ;;
esac
