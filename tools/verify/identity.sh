#!/usr/bin/env bash
# Layer-5 check of the identity layer (single sign-on and machine identity on every route):
# the Traefik Middlewares and IngressRoutes the program generates, and the oauth2-proxy
# arguments it gives the chart, rendered under the offline plan's mocks from the stack file
# tools/verify/identity-stack.yaml (tools/verify/identity-render.ts), run by the real software
# on this machine:
#   - etcd and kube-apiserver (the API server Traefik reads the objects from, and the cluster's
#     service-account issuer that signs machine tokens),
#   - Traefik with its kubernetesCRD provider, its CRDs from the file you name,
#   - oauth2-proxy with the rendered arguments, environment and config file,
#   - a test OpenID Connect issuer (oidc-issuer.ts) at the issuer URL the program renders for
#     the bundled Dex, signing RS256 ID tokens with the groups claim,
#   - an echo server (echo-backend.ts) behind every Service the routes name.
# Cases: without a session cookie every protected route answers 302 to the issuer; after a
# login at the issuer, a member of team alpha gets 200 on alpha's routes (model, MLflow, Feast)
# and 403 on beta's, 200 on the shared Argo server and 403 on the admins' routes (the
# platform's MLflow and Feast, Grafana, the Traefik dashboard) and the servers that run what
# a team supplies see neither the session cookie nor a bearer token; an admin
# gets the dashboard; a signed-in user with no team group gets 403 everywhere; on the bearer
# routes a service-account token of alpha's CI account with the platform's audience gets 200 on
# alpha's model and 403 on beta's, a token for another audience 401, an expired one 401, one
# signed by a key the issuer does not publish 401.
#
# With --browser, the backend of team alpha's MLflow route is a real MLflow server started with
# the container args the program renders for that team's tracking server (only --host, --backend-store-uri (sqlite), --artifacts-destination
# (file://) and the --expose-prometheus directory replaced), and instead of the checks above a
# headless Chromium (browser-sso.ts) signs in at the issuer's login form as alpha's member,
# loads that MLflow's runs table, creates an experiment through the UI, and opens team alpha's model as alpha's member
# (200) and as beta's (403), writing a screenshot of each step to $SHOTS.
#
# Needs: root (it adds addresses to the loopback interface, binds ports 80 and 443 on them,
# and adds lines to /etc/hosts, all removed on exit), openssl, curl, jq, npx tsx.
# Environment (no defaults): ETCD, KUBE_APISERVER, KUBECTL, TRAEFIK, OAUTH2_PROXY (binaries),
# TRAEFIK_CRDS (a YAML file with Traefik's CRDs, e.g. the one in Traefik's module at its
# version: integration/fixtures/k8s/01-traefik-crd.yml).
# With --browser, also: CHROMIUM (a Chromium binary, e.g. Debian's chromium package), SHOTS (a
# directory for the screenshots), MLFLOW_VENV (a venv with mlflow==3.18.0 and
# prometheus-flask-exporter), and certutil (Debian's libnss3-tools) on PATH.
# Optional: VERIFY_NET [10.254.0] (a /24 whose .1-.5, and .6 with --browser, are free),
# ETCD_PORT [23900], KEEP [0].
set -euo pipefail

BROWSER=0
case "${1:-}" in
--browser) BROWSER=1 ;;
"") ;;
*)
    echo "usage: identity.sh [--browser]" >&2
    exit 2
    ;;
esac

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
: "${ETCD:?path of etcd}" "${KUBE_APISERVER:?path of kube-apiserver}" "${KUBECTL:?path of kubectl}"
: "${TRAEFIK:?path of traefik}" "${OAUTH2_PROXY:?path of oauth2-proxy}"
: "${TRAEFIK_CRDS:?path of a YAML file with the Traefik CRDs}"
if [ "$BROWSER" = 1 ]; then
    : "${CHROMIUM:?path of a Chromium binary}" "${SHOTS:?directory for the screenshots}"
    : "${MLFLOW_VENV:?path of a venv with mlflow 3.18.0 and prometheus-flask-exporter}"
    command -v certutil >/dev/null || { echo "certutil (libnss3-tools) is needed" >&2; exit 2; }
fi
NET=${VERIFY_NET:-10.254.0}
IP_TRAEFIK=$NET.1 # the router's entry points, 80 and 443: what a load balancer would be
IP_BACKEND=$NET.2 # the echo server behind every platform Service
IP_PROXY=$NET.3   # oauth2-proxy's Service address (port 80, as the forwardAuth URL says)
IP_ISSUER=$NET.4  # the issuer's in-cluster Service address (Dex's Service)
IP_API=$NET.5     # kubernetes.default.svc: the API server on 443
IP_MLFLOW=$NET.6  # with --browser: the MLflow server behind MLflow's Service
IPS=("$IP_TRAEFIK" "$IP_BACKEND" "$IP_PROXY" "$IP_ISSUER" "$IP_API")
if [ "$BROWSER" = 1 ]; then IPS+=("$IP_MLFLOW"); fi
ETCD_PORT=${ETCD_PORT:-23900}
MARK="# verify-identity $$"
W=$(mktemp -d -t verify-identity.XXXXXX)
PIDS=()
FAIL=0

cleanup() {
    # Each process runs in its own session (start): end its whole group, children included.
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -- -"${PIDS[$i]}" 2>/dev/null || true; done
    for _ in $(seq 1 50); do # up to 10 s to stop, then killed
        alive=0
        for pid in "${PIDS[@]}"; do if kill -0 -- -"$pid" 2>/dev/null; then alive=1; fi; done
        if [ "$alive" = 0 ]; then break; fi
        sleep 0.2
    done
    for pid in "${PIDS[@]}"; do
        kill -KILL -- -"$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if grep -qF "$MARK" /etc/hosts; then
        # /etc/hosts may be a bind mount: rewrite it in place rather than replace it.
        grep -vF "$MARK" /etc/hosts >"$W/hosts" || true
        cat "$W/hosts" >/etc/hosts
    fi
    for ip in "${IPS[@]}"; do
        ip addr del "$ip/32" dev lo 2>/dev/null || true
    done
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
log() { echo "[identity $(date +%H:%M:%S)] $*"; }
check() { # check NAME STATUS
    if [ "$2" = 0 ]; then echo "PASS: $1"; else echo "FAIL: $1"; FAIL=1; fi
}
start() { # start NAME CMD... : in the background in a session of its own, output to $W/NAME.log
    local name=$1
    shift
    setsid "$@" >"$W/$name.log" 2>&1 &
    PIDS+=($!)
}
wait_for() { # wait_for WHAT SECONDS CMD...
    local what=$1 secs=$2
    shift 2
    for _ in $(seq 1 "$((secs * 5))"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    log "timed out waiting for $what"
    return 1
}

# ---------------------------------------------------------------- what the program renders
log "rendering tools/verify/identity-stack.yaml under the plan's mocks"
(cd "$REPO" && npx --no-install tsx tools/verify/identity-render.ts tools/verify/identity-stack.yaml) \
    >"$W/render.json"
DOMAIN=$(jq -r .domain "$W/render.json")
jq -r '.objects[] | "\(.kind) \(.metadata.namespace)/\(.metadata.name)"' "$W/render.json"
printf 'oauth2-proxy'
jq -r '.oauth2Proxy.args[]' "$W/render.json" | sed 's/^/ /' | tr -d '\n'
echo

# The in-cluster names the rendered configuration points at, from the rendered values.
arg() { jq -r --arg k "--$1=" '.oauth2Proxy.args[] | select(startswith($k)) | ltrimstr($k)' "$W/render.json"; }
ISSUER_URL=$(arg oidc-issuer-url)
REDEEM_URL=$(arg redeem-url)
ISSUER_PORT=$(sed -E 's#^[a-z]+://[^/:]+:([0-9]+).*#\1#' <<<"$REDEEM_URL")
ISSUER_SVC_HOST=$(sed -E 's#^[a-z]+://([^/:]+).*#\1#' <<<"$REDEEM_URL")
AUTH_ADDRESS=$(jq -r '[.objects[] | select(.kind == "Middleware") | .spec.forwardAuth.address] | first' "$W/render.json")
PROXY_SVC_HOST=$(sed -E 's#^[a-z]+://([^/:]+).*#\1#' <<<"$AUTH_ADDRESS")
SA_ISSUER=$(jq -r '.machineIssuer.issuer' "$W/render.json")
SA_AUDIENCE=$(jq -r '.machineIssuer.audience' "$W/render.json")
log "issuer $ISSUER_URL (in cluster $ISSUER_SVC_HOST:$ISSUER_PORT), oauth2-proxy at $PROXY_SVC_HOST"
log "machine tokens: issuer $SA_ISSUER, audience $SA_AUDIENCE"

if [ "$BROWSER" = 1 ]; then
    # Team alpha's tracking server (the platform's MLflow admits the admins only when teams
    # have their own): the Service its route names, and the MLflow Deployment in that namespace.
    MLFLOW_HOST=mlflow-alpha.$DOMAIN
    read -r MLFLOW_SVC_NS MLFLOW_SVC < <(jq -r --arg m "Host(\`$MLFLOW_HOST\`)" '.objects[]
        | select(.kind == "IngressRoute" and .spec.routes[0].match == $m)
        | "\(.metadata.namespace) \(.spec.routes[0].services[0].name)"' "$W/render.json")
    jq --arg ns "$MLFLOW_SVC_NS" '[.mlflowServers[] | select(.namespace == $ns)]
        | if length == 1 then .[0] else error("\(length) MLflow servers in \($ns)") end' \
        "$W/render.json" >"$W/mlflow.json"
    # Its container's args as rendered, with only what names the cluster or the pod's volumes
    # replaced: the listen host, the database, the artifact destination and the Prometheus
    # multiprocess directory (the pod's /tmp volume).
    [ "$(jq -c .command "$W/mlflow.json")" = '["mlflow"]' ] || { log "MLflow's command is not mlflow"; exit 1; }
    mapfile -t MLFLOW_ARGS < <(jq -r '.args[]' "$W/mlflow.json" | sed \
        -e "s#^--host=.*#--host=$IP_MLFLOW#" \
        -e "s#^--backend-store-uri=.*#--backend-store-uri=sqlite:///$W/mlflow.db#" \
        -e "s#^--artifacts-destination=.*#--artifacts-destination=file://$W/mlflow-artifacts#" \
        -e "s#^--expose-prometheus=.*#--expose-prometheus=$W/prometheus-metrics#")
    for want in "--host=$IP_MLFLOW" "--backend-store-uri=sqlite:///$W/mlflow.db" \
        "--artifacts-destination=file://$W/mlflow-artifacts" "--expose-prometheus=$W/prometheus-metrics"; do
        printf '%s\n' "${MLFLOW_ARGS[@]}" | grep -qxF -- "$want" || { log "rendered MLflow args lack ${want%%=*}"; exit 1; }
    done
    MLFLOW_PORT=$(printf '%s\n' "${MLFLOW_ARGS[@]}" | sed -n 's/^--port=//p')
    log "MLflow's route $MLFLOW_HOST: Service $MLFLOW_SVC_NS/$MLFLOW_SVC -> mlflow ${MLFLOW_ARGS[*]}"
fi

# ---------------------------------------------------------------- addresses and names
for ip in "${IPS[@]}"; do
    if ip -o addr show | grep -qw "$ip"; then log "$ip is already in use: set VERIFY_NET"; exit 1; fi
    ip addr add "$ip/32" dev lo
done
{
    echo "$IP_PROXY $PROXY_SVC_HOST $MARK"
    echo "$IP_ISSUER $ISSUER_SVC_HOST $MARK"
    echo "$IP_API kubernetes.default.svc.cluster.local kubernetes.default.svc $MARK"
} >>/etc/hosts
if [ "$BROWSER" = 1 ]; then
    mkdir -p "$W/prometheus-metrics"
    start mlflow "$MLFLOW_VENV/bin/mlflow" "${MLFLOW_ARGS[@]}" # ready long after the API server
fi

# ---------------------------------------------------------------- etcd + kube-apiserver
mkdir -p "$W/pki"
(
    cd "$W/pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -keyout ca.key -out ca.crt -subj /CN=verify-ca 2>/dev/null
    printf 'subjectAltName=IP:%s,DNS:kubernetes.default.svc.cluster.local,DNS:kubernetes.default.svc,DNS:kubernetes\nextendedKeyUsage=serverAuth\n' "$IP_API" >server.ext
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver 2>/dev/null
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile server.ext -out apiserver.crt 2>/dev/null
    echo extendedKeyUsage=clientAuth >client.ext
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=verify-admin" 2>/dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile client.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    openssl genrsa -out foreign.key 2048 2>/dev/null
)
cat >"$W/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: verify
  cluster: {server: "https://$IP_API:443", certificate-authority: "$W/pki/ca.crt"}
users:
- name: admin
  user: {client-certificate: "$W/pki/admin.crt", client-key: "$W/pki/admin.key"}
contexts:
- name: verify
  context: {cluster: verify, user: admin}
current-context: verify
EOF
export KUBECONFIG=$W/kubeconfig
k() { "$KUBECTL" "$@"; }

start etcd "$ETCD" --name verify --data-dir "$W/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
    --initial-cluster "verify=http://127.0.0.1:$((ETCD_PORT + 10))" --listen-metrics-urls ""
wait_for etcd 60 curl -sf "http://127.0.0.1:$ETCD_PORT/health"
start apiserver "$KUBE_APISERVER" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address "$IP_API" --advertise-address "$IP_API" --secure-port 443 \
    --tls-cert-file "$W/pki/apiserver.crt" --tls-private-key-file "$W/pki/apiserver.key" \
    --client-ca-file "$W/pki/ca.crt" \
    --service-account-issuer "$SA_ISSUER" \
    --service-account-key-file "$W/pki/sa.pub" --service-account-signing-key-file "$W/pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 --authorization-mode RBAC \
    --endpoint-reconciler-type none
wait_for kube-apiserver 120 sh -c "[ \"\$('$KUBECTL' get --raw /readyz)\" = ok ]"
log "kube-apiserver $("$KUBE_APISERVER" --version | cut -d' ' -f2) ready at https://$IP_API:443"

# The service-account issuer's discovery document and keys, readable without credentials, as
# oauth2-proxy fetches them (Kubernetes grants this role to service accounts only by default).
k create clusterrolebinding verify-sa-issuer-discovery \
    --clusterrole=system:service-account-issuer-discovery --group=system:unauthenticated >/dev/null

k apply --server-side -f "$TRAEFIK_CRDS" >/dev/null
k wait --for condition=established --timeout=60s crd/ingressroutes.traefik.io crd/middlewares.traefik.io \
    crd/tlsstores.traefik.io >/dev/null

# Traefik's default certificate as the program makes it (a self-signed certificate for the
# domain and its wildcard, ECDSA P-256, in the Secret the chart's tlsStore names) and the
# TLSStore the chart creates from that value; the key and certificate made here with openssl.
jq -e '.defaultCertificate.keyAlgorithm == "ECDSA" and .defaultCertificate.ecdsaCurve == "P256"' \
    "$W/render.json" >/dev/null || { log "only an ECDSA P-256 default certificate is made here"; exit 1; }
CERT_NS=$(jq -r .defaultCertificate.namespace "$W/render.json")
CERT_SECRET=$(jq -r .defaultCertificate.secretName "$W/render.json")
CERT_SAN=$(jq -r '.defaultCertificate.dnsNames | map("DNS:" + .) | join(",")' "$W/render.json")
CERT_KU=$(jq -r '[.defaultCertificate.allowedUses[] | {key_encipherment: "keyEncipherment",
    digital_signature: "digitalSignature"}[.] // empty] | join(",")' "$W/render.json")
CERT_EKU=$(jq -r '[.defaultCertificate.allowedUses[] | {server_auth: "serverAuth"}[.] // empty]
    | join(",")' "$W/render.json")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days "$(($(jq -r .defaultCertificate.validityPeriodHours "$W/render.json") / 24))" \
    -keyout "$W/pki/route.key" -out "$W/pki/route.crt" \
    -subj "/O=$(jq -r .defaultCertificate.organization "$W/render.json")/CN=$(jq -r .defaultCertificate.commonName "$W/render.json")" \
    -addext "subjectAltName=$CERT_SAN" -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,$CERT_KU" -addext "extendedKeyUsage=$CERT_EKU" 2>/dev/null
k create namespace "$CERT_NS" --dry-run=client -o yaml | k apply --server-side -f - >/dev/null
k -n "$CERT_NS" create secret tls "$CERT_SECRET" --cert "$W/pki/route.crt" --key "$W/pki/route.key" >/dev/null
k apply --server-side -f - >/dev/null <<EOF
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: {name: default, namespace: $CERT_NS}
spec: {defaultCertificate: {secretName: $CERT_SECRET}}
EOF
log "default certificate $CERT_NS/$CERT_SECRET: $CERT_SAN"

# Namespaces, the objects as rendered, and for every Service a route names an EndpointSlice
# pointing at the process that stands in for its pods.
for ns in $(jq -r '[.objects[].metadata.namespace] + [.machineIssuer.subject | split(":")[2]] | unique[]' "$W/render.json"); do
    k create namespace "$ns" --dry-run=client -o yaml | k apply --server-side -f - >/dev/null
done
jq -c '.objects[]' "$W/render.json" | k apply --server-side -f - >/dev/null
jq -r '.objects[] | select(.kind == "IngressRoute") | .metadata.namespace as $ns
    | .spec.routes[].services[] | select((.kind // "Service") == "Service")
    | "\($ns) \(.name) \(.port)"' "$W/render.json" | sort -u >"$W/services.txt"
while read -r ns name port; do
    target_ip=$IP_BACKEND target_port=8080
    if [ "$name.$ns.svc.cluster.local" = "$PROXY_SVC_HOST" ]; then target_ip=$IP_PROXY target_port=80; fi
    if [ "$name.$ns.svc.cluster.local" = "$ISSUER_SVC_HOST" ]; then target_ip=$IP_ISSUER target_port=$ISSUER_PORT; fi
    if [ "$BROWSER" = 1 ] && [ "$ns/$name" = "$MLFLOW_SVC_NS/$MLFLOW_SVC" ]; then
        target_ip=$IP_MLFLOW target_port=$MLFLOW_PORT
    fi
    if [[ "$port" =~ ^[0-9]+$ ]]; then svc_port=$port port_name=http; else svc_port=80 port_name=$port; fi
    k apply --server-side -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: $name, namespace: $ns}
spec:
  ports: [{name: $port_name, port: $svc_port, targetPort: $target_port}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $name-verify
  namespace: $ns
  labels: {kubernetes.io/service-name: $name}
addressType: IPv4
ports: [{name: $port_name, port: $target_port, protocol: TCP}]
endpoints: [{addresses: ["$target_ip"], conditions: {ready: true}}]
EOF
    log "Service $ns/$name:$port -> $target_ip:$target_port"
done <"$W/services.txt"

# ---------------------------------------------------------------- the issuer and the backends
USERS='{
  "admin": {"email": "admin@example.com", "groups": ["mlops-admins"]},
  "alice": {"email": "alice@example.com", "groups": ["team-alpha"]},
  "bob":   {"email": "bob@example.com",   "groups": ["team-beta"]},
  "eve":   {"email": "eve@example.com",   "groups": ["other"]}
}'
# Passwords for the issuer's login form, fresh for each run.
PASSWORD_BASE=$(openssl rand -hex 12)
USERS=$(jq --arg p "$PASSWORD_BASE" 'with_entries(.value.password = $p + "-" + .key)' <<<"$USERS")
jq -n --arg issuer "$ISSUER_URL" --arg host "$IP_ISSUER" --argjson port "$ISSUER_PORT" \
    --arg claim "$(arg oidc-groups-claim)" --argjson users "$USERS" \
    --slurpfile r "$W/render.json" \
    '{issuer: $issuer, listen: {host: $host, port: $port}, groupsClaim: $claim,
      clients: $r[0].issuerClients, users: $users}' >"$W/issuer.json"
start issuer npx --no-install tsx "$HERE/oidc-issuer.ts" "$W/issuer.json"
start backend npx --no-install tsx "$HERE/echo-backend.ts" "$IP_BACKEND" 8080
wait_for issuer 60 grep -q '"event":"ready"' "$W/issuer.log"
wait_for backend 60 grep -q '"event":"ready"' "$W/backend.log"

# ---------------------------------------------------------------- oauth2-proxy
# The rendered args, with the pod's listen addresses mapped to this machine's: the Service's
# port 80 on its own address (the forwardAuth URL has no port), HTTPS and metrics off, and the
# config file the chart mounts written to the temp dir.
jq -r '.oauth2Proxy.configFile' "$W/render.json" >"$W/oauth2_proxy.cfg"
mapfile -t PROXY_ARGS < <(jq -r '.oauth2Proxy.args[]' "$W/render.json" |
    grep -vE '^--(https|metrics)-address=' | sed \
        -e "s#^--http-address=.*#--http-address=$IP_PROXY:80#" \
        -e "s#^--config=.*#--config=$W/oauth2_proxy.cfg#")
# The API server's CA, as the pod would trust it, for the service-account issuer's discovery.
cat /etc/ssl/certs/ca-certificates.crt "$W/pki/ca.crt" >"$W/ca-bundle.crt" 2>/dev/null || cp "$W/pki/ca.crt" "$W/ca-bundle.crt"
# The environment the chart sets from its Secret (client ID and secret, cookie secret).
mapfile -t PROXY_ENV < <(jq -r '.oauth2Proxy.env | to_entries[] | "\(.key)=\(.value)"' "$W/render.json")
start oauth2-proxy env "${PROXY_ENV[@]}" SSL_CERT_FILE="$W/ca-bundle.crt" "$OAUTH2_PROXY" "${PROXY_ARGS[@]}"
wait_for oauth2-proxy 30 curl -sf "http://$IP_PROXY/ping"
log "oauth2-proxy $("$OAUTH2_PROXY" --version | head -1) at $IP_PROXY:80"

# ---------------------------------------------------------------- Traefik
# The chart's entry points (web redirects to websecure; TLS on websecure) on 80 and 443, the
# kubernetesCRD provider as the program's values set it, the API for the dashboard route.
start traefik env KUBECONFIG="$W/kubeconfig" "$TRAEFIK" \
    --entryPoints.web.address="$IP_TRAEFIK:80" --entryPoints.websecure.address="$IP_TRAEFIK:443" \
    --entryPoints.web.http.redirections.entryPoint.to=websecure \
    --entryPoints.web.http.redirections.entryPoint.scheme=https \
    --entryPoints.websecure.http.tls=true \
    --providers.kubernetescrd=true --providers.kubernetescrd.allowCrossNamespace=false \
    --api=true --api.dashboard=true \
    --log.level=DEBUG --accesslog=true --global.checkNewVersion=false --global.sendAnonymousUsage=false
log "traefik $("$TRAEFIK" version | awk '/^Version:/ {print $2}')"

# ---------------------------------------------------------------- the checks
# Every request goes to Traefik's address whatever the host, as DNS would send it there.
C=(curl -sk --max-time 10 --connect-to "::$IP_TRAEFIK:")
status() { # status JAR URL [curl args...]: "CODE LOCATION"
    local jar=$1 url=$2
    shift 2
    "${C[@]}" -b "$jar" -c "$jar" -o "$W/body" -w '%{http_code} %{redirect_url}\n' "$@" "$url" || true
}
hosts=$(jq -r '.objects[] | select(.kind == "IngressRoute") | .spec.routes[0].match' "$W/render.json" |
    sed -nE 's/^Host\(`([^`]+)`\).*/\1/p' | sort -u)
PUBLIC_HOSTS="auth.$DOMAIN dex.$DOMAIN"
PROTECTED=$(for h in $hosts; do [[ " $PUBLIC_HOSTS " == *" $h "* ]] || echo "$h"; done)
routes_served() { # Traefik's own answer for a host it has no router for: 404 page not found
    local body
    for h in $hosts; do
        body=$("${C[@]}" "https://$h/") || return 1
        [ "$body" != "404 page not found" ] || return 1
    done
}
wait_for "Traefik to serve every route" 60 routes_served

if [ "$BROWSER" = 1 ]; then
    wait_for "MLflow" 180 curl -sf "http://$IP_MLFLOW:$MLFLOW_PORT/health"
    log "mlflow $("$MLFLOW_VENV/bin/mlflow" --version | awk '{print $NF}') at $IP_MLFLOW:$MLFLOW_PORT"
    # Chromium's NSS database, trusting the route's certificate (and nothing else added).
    mkdir -p "$W/chromium-home/.pki/nssdb" "$W/chromium-empty-home"
    certutil -N -d "sql:$W/chromium-home/.pki/nssdb" --empty-password
    certutil -A -d "sql:$W/chromium-home/.pki/nssdb" -n mlops-default-cert -t "P,," -i "$W/pki/route.crt"
    jq -n --arg domain "$DOMAIN" --arg router "$IP_TRAEFIK" --arg issuer "$ISSUER_URL" \
        --arg home "$W/chromium-home" --arg emptyHome "$W/chromium-empty-home" \
        --arg api "http://$IP_MLFLOW:$MLFLOW_PORT" --argjson users "$USERS" \
        --arg mlflowHost "$MLFLOW_HOST" \
        '{domain: $domain, router: $router, issuer: $issuer, home: $home, emptyHome: $emptyHome,
          mlflowHost: $mlflowHost, mlflowApi: $api,
          member: {login: $users.alice.email, password: $users.alice.password},
          other: {login: $users.bob.email, password: $users.bob.password},
          ownModel: "alpha-clf-model.\($domain)", otherModel: "beta-clf-model.\($domain)",
          experiment: "created-in-the-browser"}' >"$W/browser.json"
    echo
    log "the browser: $("$CHROMIUM" --version 2>/dev/null)"
    rc=0
    (cd "$REPO" && CHROMIUM="$CHROMIUM" SHOTS="$SHOTS" npx --no-install tsx "$HERE/browser-sso.ts" "$W/browser.json") || rc=$?
    echo
    if [ "$rc" = 0 ]; then echo "identity --browser: PASS"; else echo "identity --browser: FAIL (KEEP=1 keeps the logs)"; fi
    exit "$rc"
fi
set +e # from here on, checks report and the script goes on

echo
log "no session cookie: every protected route redirects to the issuer"
for h in $PROTECTED; do
    : >"$W/jar-none"
    read -r code location < <(status "$W/jar-none" "https://$h/")
    echo "  $h: $code $location" | cut -c1-200
    [ "$code" = 302 ] && [[ "$location" == "$ISSUER_URL/auth?"* ]] &&
        [[ "$location" == *"redirect_uri=$(jq -rn --arg u "https://auth.$DOMAIN/oauth2/callback" '$u|@uri')"* ]]
    check "$h without a session: 302 to $ISSUER_URL/auth with the callback at auth.$DOMAIN" $?
done

: >"$W/jar-none"
read -r code _ < <(status "$W/jar-none" "https://mlflow.$DOMAIN/api/2.0/mlflow/experiments/search" -H "Accept: application/json")
[ "$code" = 401 ]
check "an API client (Accept: application/json) without a session gets 401, not a redirect (got $code)" $?

login() { # login USER CODE: a session cookie in $W/jar-USER, through the real redirect chain
    local user=$1 want=$2 jar=$W/jar-$1 target="https://argo.$DOMAIN/after-login?x=1"
    # The issuer logs in whoever its verify_user cookie names (its own host only).
    printf '%s\tFALSE\t/\tTRUE\t0\tverify_user\t%s\n' "dex.$DOMAIN" "$user" >"$jar"
    "${C[@]}" -L --max-redirs 6 -b "$jar" -c "$jar" -o "$W/body" \
        -w '%{http_code} %{num_redirects} %{url_effective}\n' "$target" >"$W/login-$user"
    read -r code redirects url <"$W/login-$user"
    echo "  $user: $redirects redirects, ends at $url with $code"
    [ "$code" = "$want" ] && [ "$url" = "$target" ] && [ "$redirects" = 3 ]
    check "$user signs in (argo -> issuer -> auth.$DOMAIN/oauth2/callback -> argo) and gets $want" $?
}
expect() { # expect USER HOST CODE [PATH]
    local user=$1 host=$2 want=$3 path=${4:-/}
    read -r code _ < <(status "$W/jar-$user" "https://$host$path")
    [ "$code" = "$want" ]
    check "$user on $host$path: $want (got $code)" $?
}

echo
log "sign in at the issuer (real authorization-code flow through Traefik and oauth2-proxy)"
login eve 403 # signed in, but in no group a route admits
login bob 200
login admin 200
login alice 200
echo "  the backend saw: $(jq -c .identity "$W/body")"
jq -e '.identity["x-auth-request-email"] == "alice@example.com"
    and (.identity["x-auth-request-groups"] | split(",") | index("team-alpha"))' "$W/body" >/dev/null
check "the backend receives the signed-in user's X-Auth-Request-Email and -Groups" $?
jq -e '.cookie == true' "$W/body" >/dev/null
check "control: the Argo server (the platform's) receives the session cookie" $?

# Who reaches what (tools/verify/identity-stack.yaml): each team has its own tracking server
# and feature store (mlflow-<team>, feast-<team>) and owns one model (<team>-clf); the Argo
# server is every team's; the platform's MLflow and Feast, Grafana and the Traefik dashboard are
# the admins'. Every protected route must be in exactly one of these lists.
ADMINS_ONLY="traefik.$DOMAIN mlflow.$DOMAIN features.$DOMAIN grafana.$DOMAIN"
EVERY_TEAM="argo.$DOMAIN"
ALPHA="alpha-clf-model.$DOMAIN mlflow-alpha.$DOMAIN feast-alpha.$DOMAIN"
BETA="beta-clf-model.$DOMAIN mlflow-beta.$DOMAIN feast-beta.$DOMAIN"
[ "$(tr ' ' '\n' <<<"$ADMINS_ONLY $EVERY_TEAM $ALPHA $BETA" | sort)" = "$(sort <<<"$PROTECTED")" ]
check "every protected route the program renders has an expectation here (and only those)" $?
path_of() { case $1 in traefik.*) echo /api/version ;; *) echo / ;; esac; }
echo
log "team members, admins, a user in no team"
for h in $ALPHA; do expect alice "$h" 200 "$(path_of "$h")"; done
for h in $BETA; do expect bob "$h" 200 "$(path_of "$h")"; done
for h in $BETA $ADMINS_ONLY; do expect alice "$h" 403 "$(path_of "$h")"; done
for h in $ALPHA $ADMINS_ONLY; do expect bob "$h" 403 "$(path_of "$h")"; done
for h in $EVERY_TEAM; do for u in alice bob; do expect "$u" "$h" 200; done; done
for h in $PROTECTED; do expect admin "$h" 200 "$(path_of "$h")"; done
for h in $PROTECTED; do expect eve "$h" 403; done
expect admin "traefik.$DOMAIN" 200 /api/version
jq -e '.Version' "$W/body" >/dev/null 2>&1
check "the admin's dashboard request reaches Traefik's API (api@internal)" $?
# Servers that run what a team supplies never see the caller's session cookie.
for h in $ALPHA; do
    expect alice "$h" 200
    jq -e '.cookie == false and .identity["x-auth-request-email"] == "alice@example.com"' "$W/body" >/dev/null
    check "$h (runs what team alpha supplies) gets the identity headers, not the session cookie" $?
done

echo
log "machine identity: bearer JWTs from the cluster's service-account issuer"
SUB=$(jq -r .machineIssuer.subject "$W/render.json") # a service account the config admits
SA_NS=$(cut -d: -f3 <<<"$SUB")
SA_NAME=$(cut -d: -f4 <<<"$SUB")
k -n "$SA_NS" create serviceaccount "$SA_NAME" >/dev/null
k -n "$SA_NS" create serviceaccount intruder >/dev/null
token_right=$(k -n "$SA_NS" create token "$SA_NAME" --audience "$SA_AUDIENCE" --duration 10m)
token_wrong_aud=$(k -n "$SA_NS" create token "$SA_NAME" --audience some-other-service --duration 10m)
token_other_sa=$(k -n "$SA_NS" create token intruder --audience "$SA_AUDIENCE" --duration 10m)
mint() { npx --no-install tsx "$HERE/sa-token.ts" "$@"; }
token_expired=$(mint "$W/pki/sa.key" "$SA_ISSUER" "$SA_AUDIENCE" "$SUB" -120)
token_minted=$(mint "$W/pki/sa.key" "$SA_ISSUER" "$SA_AUDIENCE" "$SUB" 600)
token_foreign=$(mint "$W/pki/foreign.key" "$SA_ISSUER" "$SA_AUDIENCE" "$SUB" 600)
kid() { cut -d. -f1 <<<"$1" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .kid; }
k get --raw /openid/v1/jwks | jq -e --arg kid "$(kid "$token_minted")" '.keys[] | select(.kid == $kid)' >/dev/null
check "the minted tokens carry the key ID the API server publishes" $?
bearer() { # bearer NAME TOKEN HOST CODE
    read -r code _ < <(status /dev/null "https://$3/" -H "Authorization: Bearer $2")
    [ "$code" = "$4" ]
    check "$1 on $3: $4 (got $code)" $?
}
OWN="alpha-clf-model.$DOMAIN"
OTHER="beta-clf-model.$DOMAIN"
bearer "service-account token, right audience" "$token_right" "$OWN" 200
jq -e --arg s "$SUB" '.identity["x-auth-request-email"] == $s' "$W/body" >/dev/null
check "the backend receives the service account as X-Auth-Request-Email" $?
jq -e '.authorization == false' "$W/body" >/dev/null
check "the model server does not receive the bearer token" $?
bearer "service-account token, right audience, another team's model" "$token_right" "$OTHER" 403
bearer "service-account token, right audience, the team's MLflow" "$token_right" "mlflow-alpha.$DOMAIN" 200
bearer "service-account token, right audience, another team's MLflow" "$token_right" "mlflow-beta.$DOMAIN" 403
bearer "service-account token, right audience, the shared Argo server" "$token_right" "argo.$DOMAIN" 200
jq -e '.authorization == true' "$W/body" >/dev/null
check "control: the Argo server (the platform's) receives the bearer token" $?
bearer "service-account token on the platform's MLflow (the admins'; no bearer route)" "$token_right" "mlflow.$DOMAIN" 403
bearer "service-account token on Grafana (the admins'; no bearer route)" "$token_right" "grafana.$DOMAIN" 403
bearer "service-account token on the dashboard (no bearer route; no admin group)" "$token_right" "traefik.$DOMAIN" 403
bearer "another service account of the team, not a member" "$token_other_sa" "$OWN" 403
bearer "service-account token, wrong audience" "$token_wrong_aud" "$OWN" 401
bearer "expired service-account token" "$token_expired" "$OWN" 401
bearer "control: the same minting, not expired" "$token_minted" "$OWN" 200
bearer "token signed by a key the issuer does not publish" "$token_foreign" "$OWN" 401
bearer "not a JWT" "not-a-token" "$OWN" 401
# The 401s for the reasons named: oauth2-proxy logs why it refused each token.
grep -q 'aud with value \[some-other-service\] does not match' "$W/oauth2-proxy.log"
check "oauth2-proxy refused the other audience's token for its audience" $?
grep -q 'oidc: token is expired' "$W/oauth2-proxy.log"
check "oauth2-proxy refused the expired token as expired" $?

echo
if [ "$FAIL" = 0 ]; then echo "identity: PASS"; else echo "identity: FAIL (KEEP=1 keeps the logs)"; fi
exit "$FAIL"
