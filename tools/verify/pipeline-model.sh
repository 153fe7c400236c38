#!/usr/bin/env bash
# Layer-3 check of the reference pipeline's model hand-off (components/tenancy/pipeline.ts):
# the pipeline's own train.py and select_and_register.py (extracted from PIPELINE_SCRIPTS with
# tsx) against a real `mlflow server` that proxies artifacts, then the directory that the
# storage-uri file names loaded by KServe v0.20.0's SKLearnModel (KServe's own class, imported
# from the KServe source directory you name, run in a venv with kserve==0.20.0). Negative
# control: a model logged with MLflow's default serialization is refused by the same class
# (ModelMissingError).
#
# Usage: MLFLOW_VENV=DIR KSERVE_VENV=DIR KSERVE_SKLEARNSERVER=DIR tools/verify/pipeline-model.sh
# Required (no defaults; README.md says how to make the venvs from PyPI):
#   MLFLOW_VENV           a venv with mlflow==3.18.0 and scikit-learn==1.5.2
#   KSERVE_VENV           a venv with kserve==0.20.0, kserve-storage==0.20.0, scikit-learn==1.5.2
#   KSERVE_SKLEARNSERVER  the python/sklearnserver directory of a KServe source tree at tag
#                         v0.20.0 (its sklearnserver package is not published on PyPI). It is
#                         imported from where it is: nothing is copied, and no bytecode is
#                         written into it.
# Optional (defaults in brackets):
#   PORT [5055]   MLFLOW_PORT for the server
#   POD_SITE [1]  1: install the training step's scikit-learn pin with the pod's own
#                 `pip install --no-deps --target` into a scratch dir and put it on PYTHONPATH,
#                 as the train container does; 0: use the venv's scikit-learn as is
#   KEEP [0]      1: keep the temporary directory
# Note: select_and_register.py writes the fixed path the pod writes (/tmp/storage-uri).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
usage() { sed -n '/^# Usage:/,/^# Note:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
for v in MLFLOW_VENV KSERVE_VENV KSERVE_SKLEARNSERVER; do
    if [ -z "${!v:-}" ]; then echo "pipeline-model: $v is not set" >&2; usage; fi
done
[ -x "$MLFLOW_VENV/bin/mlflow" ] || { echo "pipeline-model: MLFLOW_VENV=$MLFLOW_VENV has no bin/mlflow" >&2; usage; }
[ -x "$KSERVE_VENV/bin/python" ] || { echo "pipeline-model: KSERVE_VENV=$KSERVE_VENV has no bin/python" >&2; usage; }
if [ ! -f "$KSERVE_SKLEARNSERVER/sklearnserver/model.py" ]; then
    echo "pipeline-model: KSERVE_SKLEARNSERVER=$KSERVE_SKLEARNSERVER has no sklearnserver/model.py" >&2
    usage
fi
PORT=${PORT:-5055}
POD_SITE=${POD_SITE:-1}
W=$(mktemp -d -t verify-pipeline.XXXXXX)
SERVER_PID=
FAIL=0

cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill -- -"$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
# The venv's known mlflow/mlflow-skinny version-mismatch warning, and blank lines.
NOISE='Versions of mlflow .* are different|_check_version_mismatch|^\s*$'
# Runs a command with that noise filtered out of its output; the command's status stands.
quiet() { "$@" 2>&1 | { grep -vE "$NOISE" || true; }; }


step "extract PIPELINE_SCRIPTS and the scikit-learn pin from the program (tsx)"
(cd "$REPO" && OUT="$W/scripts" npx --no-install tsx -e '
import { PIPELINE_SCRIPTS } from "./components/tenancy/pipeline";
import { pythonPackages } from "./components/versions";
import * as fs from "fs";
import * as path from "path";
const out = process.env.OUT as string;
fs.mkdirSync(out, { recursive: true });
for (const [name, text] of Object.entries(PIPELINE_SCRIPTS)) {
    fs.writeFileSync(path.join(out, name), text);
    console.log(`${name} (${text.length} chars)`);
}
fs.writeFileSync(path.join(out, "SKLEARN_PIN"), pythonPackages.scikitLearn);
' 2>&1 | grep -v '^npm warn')
SKLEARN_PIN=$(cat "$W/scripts/SKLEARN_PIN")
echo "training step's pin: $SKLEARN_PIN"

step "KServe sklearnserver model class from $KSERVE_SKLEARNSERVER"
grep -m1 -E '^version *=' "$KSERVE_SKLEARNSERVER/pyproject.toml" 2>/dev/null || true
if [ -f "$KSERVE_SKLEARNSERVER/uv.lock" ]; then
    echo "its uv.lock pins: $(grep -A1 '^name = "scikit-learn"' "$KSERVE_SKLEARNSERVER/uv.lock" | tr -d '\n')"
fi
echo "kserve venv: $("$KSERVE_VENV/bin/python" -c 'import importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ["kserve", "kserve-storage", "scikit-learn", "joblib", "numpy"]))')"

step "mlflow server on 127.0.0.1:$PORT (sqlite, --serve-artifacts, destination file://$W/artifacts)"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "port $PORT is in use; set PORT"; exit 2
fi
mkdir -p "$W/artifacts" "$W/home"
setsid "$MLFLOW_VENV/bin/mlflow" server --host 127.0.0.1 --port "$PORT" \
    --backend-store-uri "sqlite:///$W/mlflow.db" \
    --serve-artifacts --artifacts-destination "file://$W/artifacts" \
    --workers 1 >"$W/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$W/server.log"; exit 2; fi
    sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/health" && echo " (server $("$MLFLOW_VENV/bin/mlflow" --version 2>/dev/null))"

# The pipeline's env (pipeline.ts, `env`), with local values.
export MLFLOW_TRACKING_URI="http://127.0.0.1:$PORT"
export EXPERIMENT=reference-pipeline
export WORKFLOW="reference-pipeline-verify-$$"
export MODEL_NAME=iris
export ARTIFACT_ROOT="file://$W/artifacts/"
export HOME="$W/home"

PY_PATH=
if [ "$POD_SITE" = 1 ]; then
    step "the train container's pip install --no-deps --target (scratch site dir)"
    "$MLFLOW_VENV/bin/pip" install --quiet --no-cache-dir --no-deps --target "$W/site" "$SKLEARN_PIN" 2>&1 \
        | grep -v "^WARNING: Target directory" || true
    PY_PATH="$W/site"
fi
PYTHONPATH=$PY_PATH "$MLFLOW_VENV/bin/python" -c \
    'import sklearn; print(f"training sees scikit-learn {sklearn.__version__} from {sklearn.__file__}")'

step "train.py for C=0.01 and C=1 (WORKFLOW=$WORKFLOW)"
for c in 0.01 1; do
    PYTHONPATH=$PY_PATH quiet "$MLFLOW_VENV/bin/python" "$W/scripts/train.py" "$c" || FAIL=1
done

# Runs select_and_register.py (the pipeline's), checks /tmp/storage-uri was written by it and
# maps the URI to a local directory (prints it last).
select_and_map() {
    local start
    start=$(date +%s)
    quiet "$MLFLOW_VENV/bin/python" "$W/scripts/select_and_register.py" >&2 || return 1
    if [ ! -f /tmp/storage-uri ] || [ "$(stat -c %Y /tmp/storage-uri)" -lt "$start" ]; then
        echo "FAIL: /tmp/storage-uri not written" >&2; return 1
    fi
    local uri
    uri=$(cat /tmp/storage-uri)
    echo "/tmp/storage-uri: $uri" >&2
    quiet "$MLFLOW_VENV/bin/python" - >&2 <<'EOF' || return 1
import os
from mlflow import MlflowClient
c = MlflowClient()
v = max(c.search_model_versions(f"name='{os.environ['MODEL_NAME']}'"), key=lambda m: int(m.version))
print(f"registry: {os.environ['MODEL_NAME']} v{v.version} source={v.source} "
      f"download_uri={c.get_model_version_download_uri(os.environ['MODEL_NAME'], v.version)}")
EOF
    case "$uri" in
        "$ARTIFACT_ROOT"*) ;;
        *) echo "FAIL: storage URI does not start with ARTIFACT_ROOT=$ARTIFACT_ROOT" >&2; return 1 ;;
    esac
    local dir=${uri#file://}
    if [ ! -d "$dir" ]; then echo "FAIL: $dir is not a directory" >&2; return 1; fi
    echo "store path: ${dir#"$W"/artifacts/} (under the artifacts destination)" >&2
    echo "files: $(cd "$dir" && find . -type f | sort | tr '\n' ' ')" >&2
    grep -E "^\s*(pickled_model|serialization_format|sklearn_version|skops_trusted_types):" \
        "$dir/MLmodel" | sed 's/^ */MLmodel: /' >&2 || true
    echo "$dir"
}

step "select_and_register.py (the best of the two runs)"
MODEL_DIR=$(select_and_map) || FAIL=1

if [ -n "${MODEL_DIR:-}" ]; then
    step "KServe SKLearnModel.load() + predict on the registered model's directory"
    PYTHONDONTWRITEBYTECODE=1 "$KSERVE_VENV/bin/python" "$HERE/kserve_load.py" \
        --sklearnserver-src "$KSERVE_SKLEARNSERVER" \
        --model-dir "$MODEL_DIR" --expect ok || FAIL=1
fi

step "negative control: MLflow's default serialization, same registration path"
WORKFLOW="$WORKFLOW-default" MODEL_NAME=iris-default \
    quiet "$MLFLOW_VENV/bin/python" "$HERE/log_default_model.py" || FAIL=1
NEG_DIR=$(WORKFLOW="$WORKFLOW-default" MODEL_NAME=iris-default select_and_map) || FAIL=1
if [ -n "${NEG_DIR:-}" ]; then
    PYTHONDONTWRITEBYTECODE=1 "$KSERVE_VENV/bin/python" "$HERE/kserve_load.py" \
        --sklearnserver-src "$KSERVE_SKLEARNSERVER" \
        --model-dir "$NEG_DIR" --expect missing || FAIL=1
fi

echo
if [ "$FAIL" = 0 ]; then echo "pipeline-model: PASS"; else echo "pipeline-model: FAIL"; fi
exit "$FAIL"
