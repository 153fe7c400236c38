#!/usr/bin/env bash
# Checks the alert rules with promtool at the Prometheus version kube-prometheus-stack runs
# (components/versions.ts: v3.14.0): `promtool check rules` on components/observability/rules/
# and `promtool test rules` on its unit tests (rules/tests/). promtool is built from
# Prometheus's Go module (github.com/prometheus/prometheus v0.314.0 is Prometheus v3.14.0), once,
# into a cache outside the clone, and reused while the module it was built from matches.
#   MLOPS_CI_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/mlops-ci) holds bin/.
#   PROMTOOL=<binary> uses that binary instead (it must be v3.14.0).
#   check | test | all (default): check rules, run the unit tests, or both.
#   --build-only builds (or finds) promtool and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."

PROMETHEUS_MODULE=github.com/prometheus/prometheus
PROMETHEUS_VERSION=v0.314.0
# The module's hash as go.sum records it: the build is from the released source even where
# the Go checksum database cannot be reached (GOSUMDB=off).
PROMETHEUS_SUM=h1:YjsimqsIi6/mOtzZcrPEYUALO6zpfaht9O5sXqDz2vg=

CACHE=${MLOPS_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlops-ci}
BIN=$CACHE/bin/promtool-$PROMETHEUS_VERSION
STAMP=$BIN.source
WANT="$PROMETHEUS_MODULE $PROMETHEUS_VERSION $PROMETHEUS_SUM"

if [ -n "${PROMTOOL:-}" ]; then
    BIN=$PROMTOOL
elif [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ]; then
    echo "promtool $PROMETHEUS_VERSION: cached at $BIN"
else
    GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
    if [ ! -x "$GO" ]; then
        echo "promtool: no Go toolchain (looked for go on PATH and /usr/local/go/bin/go; set GO=)" >&2
        exit 1
    fi
    mkdir -p "$CACHE/bin"
    tmp=$(mktemp -d "$CACHE/build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    start=$SECONDS
    echo "promtool $PROMETHEUS_VERSION: building into $BIN"
    # The module's go.mod has replace directives, so `go install module@version` refuses it:
    # download the module and build its cmd/promtool as the main module.
    info=$(GOTOOLCHAIN=local GOSUMDB=${GOSUMDB:-off} GOFLAGS= "$GO" mod download -json \
        "$PROMETHEUS_MODULE@$PROMETHEUS_VERSION")
    dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    sum=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p')
    if [ "$sum" != "$PROMETHEUS_SUM" ]; then
        echo "promtool: $PROMETHEUS_MODULE@$PROMETHEUS_VERSION has hash '$sum', expected '$PROMETHEUS_SUM'" >&2
        exit 1
    fi
    (cd "$dir" && GOWORK=off GOTOOLCHAIN=local GOSUMDB=${GOSUMDB:-off} GOFLAGS=-buildvcs=false \
        CGO_ENABLED=0 "$GO" build -o "$tmp/promtool" ./cmd/promtool)
    mv -f "$tmp/promtool" "$BIN" # atomic: a concurrent run sees the old binary or the new
    echo "$WANT" >"$STAMP"
    echo "promtool $PROMETHEUS_VERSION: built in $((SECONDS - start))s"
fi

if [ "${1:-}" = "--build-only" ]; then
    echo "$BIN"
    exit 0
fi

case "${1:-all}" in
    check) exec "$BIN" check rules components/observability/rules/*.yaml ;;
    test) cd components/observability/rules/tests && exec "$BIN" test rules ./*.yaml ;;
    all)
        "$BIN" check rules components/observability/rules/*.yaml
        cd components/observability/rules/tests && exec "$BIN" test rules ./*.yaml
        ;;
    *)
        echo "usage: tools/promtool.sh [check|test|all|--build-only]" >&2
        exit 2
        ;;
esac
