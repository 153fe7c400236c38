#!/usr/bin/env bash
# Layer-3 check: Prometheus at the pinned version (v3.14.0, built from its Go module) scrapes a
# real MLflow 3.18 server started with the args the program renders, and a real Traefik with its
# metrics entry point as the platform's chart values configure it; the shipped rules load and
# evaluate in that Prometheus; each metric name the rules and dashboards use from MLflow and
# Traefik is among the scraped series; one shipped rule file's unit tests pass in promtool.
#
#   PROMETHEUS, PROMTOOL: binaries built from github.com/prometheus/prometheus v0.314.0
#     (cmd/prometheus, cmd/promtool; tools/promtool.sh --build-only builds promtool).
#   TRAEFIK: a Traefik v3.7.11 binary.  MLFLOW_VENV: a venv with mlflow==3.18.0 and
#     prometheus-flask-exporter==0.23.2 (the `extras` MLflow's server image has).
#   Ports 5058 (MLflow), 9100 (Traefik metrics), 8448 (Traefik websecure), 9099 (Prometheus).
#   KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PROMETHEUS:?path of prometheus}" "${PROMTOOL:?path of promtool}" "${TRAEFIK:?path of traefik}"
: "${MLFLOW_VENV:?path of a venv with mlflow 3.18.0 and prometheus-flask-exporter}"

MLFLOW_PORT=5058 TRAEFIK_METRICS=9100 TRAEFIK_TLS=8448 PROM_PORT=9099
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
wait_http() { # url, what
    for _ in $(seq 1 120); do
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

# --- MLflow with the rendered args; only what names the cluster is replaced -----------------
rendered=$(npx --no-install tsx tools/verify/render.ts)
mapfile -t margs < <(printf '%s' "$rendered" | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8")).mlflowServer;
    for (const a of r.args) console.log(a);')
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

# --- Traefik: the chart's metrics entry point, one route to MLflow over TLS ------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=mlflow.verify.test" \
    -addext "subjectAltName=DNS:mlflow.verify.test" \
    -keyout "$W/tls.key" -out "$W/tls.crt" 2>/dev/null
cat >"$W/dynamic.yaml" <<DYN
http:
  routers:
    mlflow:
      rule: Host(\`mlflow.verify.test\`)
      entryPoints: [websecure]
      service: mlflow
      tls: {}
  services:
    mlflow:
      loadBalancer:
        servers: [{ url: "http://127.0.0.1:$MLFLOW_PORT" }]
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
# Requests through Traefik to MLflow, so that both have request series.
for _ in 1 2 3; do
    curl -ks -o /dev/null --resolve "mlflow.verify.test:$TRAEFIK_TLS:127.0.0.1" \
        "https://mlflow.verify.test:$TRAEFIK_TLS/api/2.0/mlflow/experiments/search?max_results=5"
    curl -ks -o /dev/null --resolve "mlflow.verify.test:$TRAEFIK_TLS:127.0.0.1" \
        -H "Host: mlflow.verify.test" -X POST -H "Content-Type: application/json" \
        -d '{"name": "scrape-check"}' "https://mlflow.verify.test:$TRAEFIK_TLS/api/2.0/mlflow/experiments/create"
done

# --- Prometheus: the ServiceMonitors' scrape (path /metrics, the exporter's labels honoured) --
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
sleep 8

api() { curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/$1"; }
echo "targets:"
api targets | node -e '
    const t = JSON.parse(require("fs").readFileSync(0, "utf8")).data.activeTargets;
    for (const x of t) console.log(x.labels.job, x.health, x.lastError || "");' >"$W/targets"
for job in mlflow traefik; do
    line=$(grep "^$job " "$W/targets" || true)
    if [ "$(awk '{print $2}' <<<"$line")" = up ]; then ok "$job is up"; else bad "$job: ${line:-no target}"; fi
done

echo "metric names the rules and dashboards use, among the scraped series:"
api "label/__name__/values" | node -e '
    for (const n of JSON.parse(require("fs").readFileSync(0, "utf8")).data) console.log(n);' >"$W/names"
while read -r exporter name; do
    if grep -qx "$name" "$W/names"; then ok "$exporter $name"; else bad "$exporter $name not scraped"; fi
done < <(npx --no-install tsx tools/verify/prometheus-scrape.names.ts mlflow traefik)
# Negative control: a renamed metric is not found.
if grep -qx "mlflow_http_requests_total" "$W/names"; then bad "control: mlflow_http_requests_total exists"; else ok "control: mlflow_http_requests_total (renamed) is absent"; fi

echo "the shipped rules in this Prometheus:"
sleep 4
api rules | node -e '
    const g = JSON.parse(require("fs").readFileSync(0, "utf8")).data.groups;
    for (const x of g) for (const r of x.rules) console.log(r.health, x.name, r.name, r.lastError || "");' >"$W/rules.txt"
n=$(wc -l <"$W/rules.txt")
notok=$(grep -vc '^ok ' "$W/rules.txt" || true)
if [ "$n" -gt 0 ] && [ "$notok" -eq 0 ]; then ok "$n rules loaded and evaluated without error"; else
    bad "rules: $notok of $n not ok"
    cat "$W/rules.txt"
fi

echo "promtool test rules (the services rules: tracking server errors, workflows, certificates):"
if (cd components/observability/rules/tests && "$PROMTOOL" test rules services.test.yaml); then ok "promtool test rules services.test.yaml"; else bad "promtool test rules services.test.yaml"; fi

if [ "$fail" -ne 0 ]; then
    echo "FAILED (logs in $W with KEEP=1)"
    exit 1
fi
echo "all checks passed"
