#!/usr/bin/env python3
"""Layer-3 check of the MLflow --allowed-hosts value the program generates.

Gets `mlflowAllowedHosts(publicHost, serviceNames)` (components/tracking/mlflow.ts) through
tsx, parses it the way MLflow 3.18's `mlflow server --allowed-hosts` does (the CLI puts it in
MLFLOW_SERVER_ALLOWED_HOSTS; security_utils.get_allowed_hosts_from_env splits on commas) and
checks Host headers with the real `mlflow.server.security_utils.is_allowed_host_header`.
With --server it also starts `mlflow server --allowed-hosts <value>` on 127.0.0.1:$PORT
(default 5056) and sends the same Host headers to an API endpoint (403 = rejected).

Run with the MLflow venv's python (mlflow==3.18.0; README.md says how to make it from PyPI),
from the repository root or anywhere:
    "$MLFLOW_VENV/bin/python" tools/verify/mlflow-hosts.py [--server]
Exit status 0 only when every header is accepted or rejected as expected.
"""

import http.client
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
PUBLIC_HOST = "mlflow.mlops.localtest.me"
SERVICE_NAMES = ["mlops-mlflow.mlops.svc.cluster.local", "mlops-mlflow", "mlops-mlflow.mlops"]
ACCEPT = [
    "mlflow.mlops.localtest.me",
    "mlflow.mlops.localtest.me:8443",
    "mlflow.mlops.localtest.me:30443",
    "mlops-mlflow.mlops.svc.cluster.local:5000",
    "localhost:5000",
]
REJECT = ["evil.example.com", "mlflow.mlops.localtest.me.evil.com:443"]


def generated_allowed_hosts() -> str:
    code = (
        'import { mlflowAllowedHosts } from "./components/tracking/mlflow";'
        f"process.stdout.write(mlflowAllowedHosts({PUBLIC_HOST!r}, {SERVICE_NAMES!r}));"
    )
    out = subprocess.run(
        ["npx", "--no-install", "tsx", "-e", code],
        cwd=REPO, check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def check(name: str, accepted) -> int:
    failures = 0
    for host, want in [(h, True) for h in ACCEPT] + [(h, False) for h in REJECT]:
        got = accepted(host)
        ok = got == want
        failures += not ok
        print(f"  {'ok  ' if ok else 'FAIL'} {host!r}: {'accepted' if got else 'rejected'}"
              f" (want {'accepted' if want else 'rejected'})")
    print(f"{name}: {'PASS' if not failures else f'FAIL ({failures})'}")
    return failures


def server_check(value: str) -> int:
    port = int(os.environ.get("PORT", "5056"))
    mlflow_bin = pathlib.Path(sys.executable).with_name("mlflow")
    with tempfile.TemporaryDirectory() as tmp:
        log = open(pathlib.Path(tmp, "server.log"), "w")
        server = subprocess.Popen(
            [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port),
             "--backend-store-uri", f"sqlite:///{tmp}/mlflow.db", "--workers", "1",
             f"--allowed-hosts={value}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            for _ in range(120):
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/health")
                    if conn.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if server.poll() is not None:
                    print(open(log.name).read())
                    return 1
                time.sleep(1)

            def accepted(host: str) -> bool:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.putrequest("GET", "/api/2.0/mlflow/experiments/search?max_results=1",
                                skip_host=True)
                conn.putheader("Host", host)
                conn.endheaders()
                status = conn.getresponse().status
                if status not in (200, 403):
                    raise RuntimeError(f"unexpected HTTP {status} for Host {host}")
                return status == 200

            print(f"mlflow server --allowed-hosts=<value> on 127.0.0.1:{port}, "
                  "GET /api/2.0/mlflow/experiments/search (403 = rejected):")
            return check("live server", accepted)
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)


def main() -> int:
    import mlflow
    from mlflow.server import security_utils

    value = generated_allowed_hosts()
    print(f"mlflow {mlflow.__version__}")
    print(f"mlflowAllowedHosts({PUBLIC_HOST!r}, {SERVICE_NAMES}) =\n  {value}")
    os.environ["MLFLOW_SERVER_ALLOWED_HOSTS"] = value  # what `--allowed-hosts` does
    patterns = security_utils.get_allowed_hosts_from_env()
    print(f"parsed by MLflow: {patterns}")
    print("is_allowed_host_header:")
    failures = check(
        "is_allowed_host_header",
        lambda h: security_utils.is_allowed_host_header(patterns, h),
    )
    if "--server" in sys.argv[1:]:
        failures += server_check(value)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
