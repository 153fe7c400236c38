#!/usr/bin/env bash
# Layer-3 check: Prometheus at the pinned version (v3.14.0, built from its Go module) scrapes a
# real MLflow 3.18 server started with the args the program renders, and a real Traefik with its
# metrics entry point as the platform's chart values configure it; the shipped rules load and
# evaluate in that Prometheus; each metric name the rules and dashboards use from MLflow and
# Traefik is among the scraped series, and every mlflow_/traefik_ series scraped is in the
# metric inventories; each dashboard panel over MLflow and Traefik alone returns series that
# carry its `by` labels; every shipped rule file's unit tests pass in promtool.
#
#   PROMETHEUS, PROMTOOL: binaries built from github.com/prometheus/prometheus v0.314.0
#     (cmd/prometheus, cmd/promtool; tools/promtool.sh --build-only builds promtool).
#   TRAEFIK: a Traefik v3.7.11 binary.  MLFLOW_VENV: a venv with mlflow==3.18.0 and
#     prometheus-flask-exporter==0.23.2 (the `extras` MLflow's server image has), in the venv
#     or on PYTHONPATH.
#   Ports 5058 (MLflow), 9100 (Traefik metrics), 8448 (Traefik websecure), 9099 (Prometheus);
#   nothing may listen on 5059 (the route that answers 502).
#   KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PROMETHEUS:?path of prometheus}" "${PROMTOOL:?path of promtool}" "${TRAEFIK:?path of traefik}"
: "${MLFLOW_VENV:?path of a venv with mlflow 3.18.0 and prometheus-flask-exporter}"

MLFLOW_PORT=5058 TRAEFIK_METRICS=9100 TRAEFIK_TLS=8448 PROM_PORT=9099 CLOSED_PORT=5059
W=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP:-}" = 1 ]; then echo "work directory: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
fail=0
ok() { echo "  ok   $*"; }
bad() {
    echo "  FAIL $*"
    fail=1
}
wait_http() { # url, what; generous: MLflow takes a while on a loaded machine
    for _ in $(seq 1 360); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.5
    done
    echo "$2 did not answer at $1" >&2
    return 1
}

echo "prometheus: $("$PROMETHEUS" --version 2>&1 | head -1)"
echo "promtool:   $("$PROMTOOL" --version 2>&1 | head -1)"
echo "traefik:    $("$TRAEFIK" version | awk '/^Version:/ {print $2}')"
echo "mlflow:     $("$MLFLOW_VENV/bin/mlflow" --version)"
echo "exporter:   $("$MLFLOW_VENV/bin/python" -c 'from importlib.metadata import version as v
print("prometheus-flask-exporter", v("prometheus-flask-exporter"), "prometheus-client", v("prometheus-client"))')"

# --- MLflow with the rendered args; only what names the cluster is replaced -----------------
rendered=$(npx --no-install tsx tools/verify/render.ts)
mapfile -t margs < <(printf '%s' "$rendered" | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8")).mlflowServer;
    for (const a of r.args) console.log(a);')
# The route's host, which the rendered --allowed-hosts admits (MLflow answers 403 to others).
host=$(printf '%s' "$rendered" | node -e '
    console.log(new URL(JSON.parse(require("fs").readFileSync(0, "utf8")).mlflowServer.url).host)')
args=()
expose=""
for a in "${margs[@]}"; do
    case "${a%%=*}" in
        --host) args+=("--host=127.0.0.1") ;;
        --port) args+=("--port=$MLFLOW_PORT") ;;
        --backend-store-uri) args+=("--backend-store-uri=sqlite:///$W/mlflow.db") ;;
        --artifacts-destination) args+=("--artifacts-destination=file://$W/artifacts") ;;
        --expose-prometheus)
            expose=${a#*=}
            args+=("--expose-prometheus=$W/prometheus-metrics") # the pod's /tmp volume
            ;;
        *) args+=("$a") ;;
    esac
done
if [ -z "$expose" ]; then
    echo "note: the rendered args have no --expose-prometheus; adding it as MLflow documents it"
    args+=("--expose-prometheus=$W/prometheus-metrics")
fi
echo "mlflow ${args[*]}"
"$MLFLOW_VENV/bin/mlflow" "${args[@]}" >"$W/mlflow.log" 2>&1 &
pids+=($!)

# --- Traefik: the chart's metrics entry point, a route to MLflow over TLS, one to nothing ----
# The second route's server is a closed port: Traefik answers 502, the 5xx panel's series.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host,DNS:broken.verify.test" \
    -keyout "$W/tls.key" -out "$W/tls.crt" 2>/dev/null
cat >"$W/dynamic.yaml" <<DYN
http:
  routers:
    mlflow:
      rule: Host(\`$host\`)
      entryPoints: [websecure]
      service: mlflow
      tls: {}
    broken:
      rule: Host(\`broken.verify.test\`)
      entryPoints: [websecure]
      service: broken
      tls: {}
  services:
    mlflow:
      loadBalancer:
        servers: [{ url: "http://127.0.0.1:$MLFLOW_PORT" }]
    broken:
      loadBalancer:
        servers: [{ url: "http://127.0.0.1:$CLOSED_PORT" }]
tls:
  certificates:
    - certFile: $W/tls.crt
      keyFile: $W/tls.key
DYN
# As traefik-helm-chart v41.3.0 renders `metrics.prometheus.entryPoint: metrics` and
# `ports.metrics.port: 9100` (the platform's values keep both), on loopback.
"$TRAEFIK" --entryPoints.websecure.address="127.0.0.1:$TRAEFIK_TLS" \
    --entryPoints.metrics.address="127.0.0.1:$TRAEFIK_METRICS" \
    --metrics.prometheus=true --metrics.prometheus.entryPoint=metrics \
    --providers.file.filename="$W/dynamic.yaml" --log.level=INFO >"$W/traefik.log" 2>&1 &
pids+=($!)

wait_http "http://127.0.0.1:$MLFLOW_PORT/health" MLflow
wait_http "http://127.0.0.1:$TRAEFIK_METRICS/metrics" Traefik
if ss -ltn "sport = :$CLOSED_PORT" | grep -q LISTEN; then
    echo "port $CLOSED_PORT must be closed (the route that answers 502)" >&2
    exit 1
fi

# --- Prometheus: the PodMonitors' scrape (path /metrics; Traefik's labels honoured) ---------
mkdir -p "$W/rules"
cp components/observability/rules/*.yaml "$W/rules/"
cat >"$W/prometheus.yml" <<PROM
global: { scrape_interval: 2s, evaluation_interval: 2s }
rule_files: ["$W/rules/*.yaml"]
scrape_configs:
  - job_name: mlflow
    metrics_path: /metrics
    static_configs: [{ targets: ["127.0.0.1:$MLFLOW_PORT"], labels: { namespace: mlops, pod: mlflow-0 } }]
  - job_name: traefik
    honor_labels: true
    metrics_path: /metrics
    static_configs: [{ targets: ["127.0.0.1:$TRAEFIK_METRICS"], labels: { namespace: mlops, pod: traefik-0 } }]
PROM
"$PROMETHEUS" --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$W/prometheus.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PROM_PORT/-/ready" Prometheus

api() { curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/$1"; }
query() { curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"; }
targets() {
    api targets | node -e '
        const t = JSON.parse(require("fs").readFileSync(0, "utf8")).data.activeTargets;
        for (const x of t) console.log(x.labels.job, x.health, x.lastError || "");' >"$W/targets"
}
# Until both targets have been scraped once (up or down), at most 3 minutes.
for _ in $(seq 1 90); do
    targets
    [ "$(grep -cv ' unknown' "$W/targets")" -ge 2 ] && break
    sleep 2
done

# Requests through Traefik while Prometheus scrapes: MLflow's and Traefik's request series
# move (rate() has two points), the route to nothing answers 502.
through() { # host, curl args...
    local h=$1
    shift
    curl -ks -o /dev/null -w '%{http_code}\n' --resolve "$h:$TRAEFIK_TLS:127.0.0.1" "$@"
}
codes=()
for i in $(seq 1 5); do
    codes+=("$(through "$host" "https://$host:$TRAEFIK_TLS/api/2.0/mlflow/experiments/search?max_results=5")")
    codes+=("$(through "$host" -X POST -H "Content-Type: application/json" \
        -d "{\"name\": \"scrape-check-$i\"}" "https://$host:$TRAEFIK_TLS/api/2.0/mlflow/experiments/create")")
    codes+=("$(through broken.verify.test "https://broken.verify.test:$TRAEFIK_TLS/")")
    sleep 2
done
echo "requests through Traefik: ${codes[*]}"
sleep 10

echo "targets:"
targets
for job in mlflow traefik; do
    line=$(grep "^$job " "$W/targets" || true)
    if [ "$(awk '{print $2}' <<<"$line")" = up ]; then ok "$job is up"; else bad "$job: ${line:-no target}"; fi
done
if [ "$(query 'up{job=~"mlflow|traefik"} == 1' | node -e '
    console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).data.result.length)')" = 2 ]; then
    ok "up == 1 for both jobs"
else bad "up == 1 is not true for both jobs"; fi
n200=$(printf '%s\n' "${codes[@]}" | grep -c '^200$' || true)
n502=$(printf '%s\n' "${codes[@]}" | grep -c '^502$' || true)
if [ "$n200" -eq 10 ]; then ok "MLflow answered 200 to all 10 requests through Traefik at $host"; else bad "MLflow through Traefik: ${codes[*]}"; fi
if [ "$n502" -eq 5 ]; then ok "the route to a closed port answered 502 five times"; else bad "route to nothing: ${codes[*]}"; fi

echo "metric names the rules and dashboards use, among the scraped series:"
api "label/__name__/values" | node -e '
    for (const n of JSON.parse(require("fs").readFileSync(0, "utf8")).data) console.log(n);' >"$W/names"
npx --no-install tsx tools/verify/prometheus-scrape.names.ts names mlflow traefik >"$W/used"
[ -s "$W/used" ] || bad "no metric names used from mlflow or traefik (the name listing failed)"
while read -r exporter name; do
    if grep -qx "$name" "$W/names"; then ok "$exporter $name"; else bad "$exporter $name not scraped"; fi
done <"$W/used"
# Negative control: a renamed metric is not found.
if grep -qx "mlflow_http_requests_total" "$W/names"; then bad "control: mlflow_http_requests_total exists"; else ok "control: mlflow_http_requests_total (renamed) is absent"; fi

echo "every mlflow_ and traefik_ series scraped is in the metric inventories:"
npx --no-install tsx tools/verify/prometheus-scrape.names.ts families mlflow traefik | awk '{print $2}' >"$W/families"
missing=$(grep -E '^(mlflow|traefik)_' "$W/names" | grep -vxF -f "$W/families" || true)
seen=$(grep -cE '^(mlflow|traefik)_' "$W/names" || true)
if [ -z "$missing" ]; then ok "$seen scraped series names, all in mlflow.txt and traefik.txt"; else bad "not in the inventories: $(echo $missing)"; fi

echo "dashboard panels over MLflow and Traefik alone (series, with their by labels):"
while read -r panel; do
    where=$(node -e 'console.log(JSON.parse(process.argv[1]).where)' "$panel")
    skip=$(node -e 'console.log(JSON.parse(process.argv[1]).skip ?? "")' "$panel")
    if [ -n "$skip" ]; then
        echo "  skip $where: per team ($skip); team tracking servers are not in this check"
        continue
    fi
    expr=$(node -e 'console.log(JSON.parse(process.argv[1]).expr)' "$panel")
    verdict=$(query "$expr" | node -e '
        const by = JSON.parse(process.argv[1]).by;
        const r = JSON.parse(require("fs").readFileSync(0, "utf8")).data.result;
        const lacking = r.filter((s) => by.some((l) => !s.metric[l]));
        if (r.length === 0) console.log("no series");
        else if (lacking.length) console.log(`a series without ${by.join(", ")}: ${JSON.stringify(lacking[0].metric)}`);
        else console.log(`ok ${r.length} series, e.g. ${JSON.stringify(r[0].metric)}`);' "$panel")
    case "$verdict" in
        ok*) ok "$where: ${verdict#ok }" ;;
        *) bad "$where: $verdict (query: $expr)" ;;
    esac
done < <(npx --no-install tsx tools/verify/prometheus-scrape.names.ts panels mlflow traefik)

echo "the shipped rules in this Prometheus:"
# Until every rule has been evaluated once, at most 2 minutes.
for _ in $(seq 1 60); do
    api rules | node -e '
        const g = JSON.parse(require("fs").readFileSync(0, "utf8")).data.groups;
        for (const x of g) for (const r of x.rules)
            console.log(r.lastEvaluation.startsWith("0001") ? "unevaluated" : r.health,
                require("path").basename(x.file), x.name, r.name, r.lastError || "");' >"$W/rules.txt"
    grep -q '^unevaluated ' "$W/rules.txt" || break
    sleep 2
done
n=$(wc -l <"$W/rules.txt")
files=$(awk '{print $2}' "$W/rules.txt" | sort -u | wc -l)
shipped=$(find components/observability/rules -maxdepth 1 -name '*.yaml' | wc -l)
[ "$files" -eq "$shipped" ] || bad "rules from $files of the $shipped shipped files"
notok=$(grep -vc '^ok ' "$W/rules.txt" || true)
if [ "$n" -gt 0 ] && [ "$notok" -eq 0 ]; then ok "$n rules from $files files loaded and evaluated without error"; else
    bad "rules: $notok of $n not ok"
    cat "$W/rules.txt"
fi

echo "promtool test rules, each shipped rule file's unit tests (services: tracking server errors):"
for t in components/observability/rules/tests/*.test.yaml; do
    if (cd components/observability/rules/tests && "$PROMTOOL" test rules "$(basename "$t")" >"$W/promtool.$(basename "$t").log" 2>&1); then
        ok "promtool test rules $(basename "$t")"
    else
        bad "promtool test rules $(basename "$t")"
        cat "$W/promtool.$(basename "$t").log"
    fi
done

if [ "$fail" -ne 0 ]; then
    echo "FAILED (logs in $W with KEEP=1)"
    exit 1
fi
echo "all checks passed"
