#!/usr/bin/env bash
# Scans every shipped stack's rendered Kubernetes objects with kube-score and compares the
# findings with kube-score-allowlist.yaml (tools/kube-score.ts). kube-score is built from its
# pinned Go module, once, into a cache outside the clone, and reused while its version matches.
#   MLOPS_CI_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/mlops-ci) holds bin/.
#   Extra arguments go to tools/kube-score.ts (--stack NAME, --out DIR, --rendered DIR, --all).
set -euo pipefail
cd "$(dirname "$0")/.."

KUBE_SCORE_VERSION=v1.20.0
# The module's hash as go.sum records it. A build where the Go checksum database cannot be
# reached (GOSUMDB=off) still gets the released source: this pin proves it, and kube-score's
# own go.sum then pins its dependencies.
KUBE_SCORE_SUM=h1:J1VqK86SunV4Gg8emPTmwUVxe0rmXnAs5K9ZUbGMKR8=

CACHE=${MLOPS_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlops-ci}
BIN=$CACHE/bin/kube-score-$KUBE_SCORE_VERSION
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if [ ! -x "$GO" ]; then
    echo "kube-score: no Go toolchain (looked for go on PATH and /usr/local/go/bin/go; set GO=)" >&2
    exit 1
fi

# "mod <path> <version> <hash>" of the binary's main module, as the Go toolchain recorded it.
built_as() { "$GO" version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $2, $3, $4 }'; }
WANT="github.com/zegl/kube-score $KUBE_SCORE_VERSION $KUBE_SCORE_SUM"

if [ -x "$BIN" ] && [ "$(built_as "$BIN")" = "$WANT" ]; then
    echo "kube-score $KUBE_SCORE_VERSION: cached at $BIN"
else
    mkdir -p "$CACHE/bin"
    tmp=$(mktemp -d "$CACHE/build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    start=$SECONDS
    echo "kube-score $KUBE_SCORE_VERSION: building into $BIN"
    GOBIN=$tmp GOTOOLCHAIN=local GOSUMDB=${GOSUMDB:-off} GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
        "$GO" install "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"
    got=$(built_as "$tmp/kube-score")
    if [ "$got" != "$WANT" ]; then
        echo "kube-score: built '$got', expected '$WANT'" >&2
        exit 1
    fi
    mv -f "$tmp/kube-score" "$BIN" # atomic: a concurrent run sees the old binary or the new
    echo "kube-score $KUBE_SCORE_VERSION: built in $((SECONDS - start))s"
fi

exec node --import tsx tools/kube-score.ts --kube-score "$BIN" "$@"
