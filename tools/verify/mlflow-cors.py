#!/usr/bin/env python3
"""Layer-3 check: the MLflow server, run with the args the program renders, answers the UI.

Takes the MLflow container's args from the program (tools/verify/render.ts builds MlflowServer
under the offline plan's recording mocks), replaces only what names the cluster (--host,
--port, --backend-store-uri, --artifacts-destination) and starts the real `mlflow server` on
127.0.0.1:$PORT (default 5057) with the rest as rendered: --allowed-hosts,
--cors-allowed-origins, --serve-artifacts, --workers. Requests carry the route's Host, as
Traefik passes it on, and the Origin a browser sends:

- state-changing calls the UI makes (create an experiment, search runs, register a model) from
  the route's origin, bare and on a port-forward's port: 200;
- the same from another site, a look-alike host or the other scheme: 403 "Cross-origin request
  blocked";
- with no Origin (the Python client): 200; a GET from another site: 200, without an
  Access-Control-Allow-Origin header, so that site's page cannot read it.

Negative control: the same server without --cors-allowed-origins refuses the UI's own POST,
which is what the flag fixes.

Run with the MLflow venv's python (mlflow==3.18.0; README.md says how to make it from PyPI):
    "$MLFLOW_VENV/bin/python" tools/verify/mlflow-cors.py
Exit status 0 only when every answer is the expected one.
"""

import http.client
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlparse

REPO = pathlib.Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("PORT", "5057"))
BLOCKED = "Cross-origin request blocked"
# What names the cluster; everything else runs as rendered.
LOCAL_ARGS = ("--host", "--port", "--backend-store-uri", "--artifacts-destination")


def rendered() -> dict:
    out = subprocess.run(
        ["npx", "--no-install", "tsx", "tools/verify/render.ts"],
        cwd=REPO, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)["mlflowServer"]


def local_args(args: list[str], tmp: str) -> list[str]:
    local = {
        "--host": "127.0.0.1",
        "--port": str(PORT),
        "--backend-store-uri": f"sqlite:///{tmp}/mlflow.db",
        "--artifacts-destination": f"file://{tmp}/artifacts",
    }
    out = []
    for arg in args:
        key = arg.split("=", 1)[0]
        out.append(f"{key}={local.pop(key)}" if key in LOCAL_ARGS else arg)
    if local:
        raise SystemExit(f"rendered args lack {sorted(local)}: {args}")
    return out


class Server:
    def __init__(self, args: list[str], tmp: str):
        mlflow_bin = pathlib.Path(sys.executable).with_name("mlflow")
        self.log = pathlib.Path(tmp, "server.log")
        self.proc = subprocess.Popen(
            [str(mlflow_bin), *args], stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def __enter__(self):
        for _ in range(180):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(1)
        print(self.log.read_text())
        raise SystemExit("mlflow server did not become healthy")

    def __exit__(self, *_):
        os.killpg(self.proc.pid, 15)
        self.proc.wait(timeout=30)


def call(method: str, path: str, host: str, origin: str | None, body: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host)
    if origin is not None:
        conn.putheader("Origin", origin)
    data = json.dumps(body).encode() if body is not None else b""
    if body is not None:
        conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(data)))
    conn.endheaders(data)
    resp = conn.getresponse()
    return resp.status, resp.read().decode(errors="replace"), resp.getheader(
        "Access-Control-Allow-Origin"
    )


def main() -> int:
    import mlflow

    r = rendered()
    url = urlparse(r["url"])
    host = url.hostname
    route = f"{url.scheme}://{host}"
    other_scheme = f"{'http' if url.scheme == 'https' else 'https'}://{host}"
    print(f"mlflow {mlflow.__version__} (the image: {r['image']})")
    print(f"rendered: {' '.join(r['command'] + r['args'])}")
    print(f"route: {r['url']}; requests to 127.0.0.1:{PORT} with Host: {host}")

    ok = True

    def expect(label, got, status, body=None, acao="any"):
        nonlocal ok
        s, text, allow = got
        good = s == status and (body is None or body in text) and (acao == "any" or allow == acao)
        ok &= good
        print(f"  {'ok  ' if good else 'FAIL'} {label}: HTTP {s} {text[:60]!r}"
              f"{'' if acao == 'any' else f', Access-Control-Allow-Origin {allow!r}'}"
              f" (want {status}{f' {body!r}' if body else ''}"
              f"{'' if acao == 'any' else f', Access-Control-Allow-Origin {acao!r}'})")

    with tempfile.TemporaryDirectory() as tmp:
        args = local_args(r["args"], tmp)
        print(f"running: mlflow {' '.join(args)}")
        with Server(args, tmp):
            post = lambda path, origin, body: call("POST", path, host, origin, body)  # noqa: E731
            print("the UI's calls from the route's origin:")
            expect(f"POST experiments/create, Origin {route}",
                   post("/ajax-api/2.0/mlflow/experiments/create", route, {"name": "ui"}), 200)
            expect(f"POST runs/search (the runs table), Origin {route}",
                   post("/ajax-api/2.0/mlflow/runs/search", route, {"experiment_ids": ["0"]}),
                   200)
            expect(f"POST registered-models/create, Origin {route}:8443",
                   post("/ajax-api/2.0/mlflow/registered-models/create", f"{route}:8443",
                        {"name": "iris"}), 200)
            print("from any other origin:")
            for origin in ["https://evil.example.com", f"{url.scheme}://{host}.evil.example.com",
                           f"{url.scheme}://evil-{host}", other_scheme, "null"]:
                expect(f"POST experiments/create, Origin {origin}",
                       post("/api/2.0/mlflow/experiments/create", origin, {"name": "x"}),
                       403, BLOCKED)
            expect("DELETE registered-models/delete, Origin https://evil.example.com",
                   call("DELETE", "/api/2.0/mlflow/registered-models/delete", host,
                        "https://evil.example.com", {"name": "iris"}), 403, BLOCKED)
            print("clients without an Origin, and reads:")
            expect("POST experiments/create, no Origin (Python client)",
                   post("/api/2.0/mlflow/experiments/create", None, {"name": "client"}), 200)
            expect("GET experiments/search, Origin https://evil.example.com",
                   call("GET", "/ajax-api/2.0/mlflow/experiments/search?max_results=5", host,
                        "https://evil.example.com"), 200, '"name": "ui"', acao=None)
            expect(f"GET experiments/search, Origin {route}",
                   call("GET", "/ajax-api/2.0/mlflow/experiments/search?max_results=5", host,
                        route), 200, '"name": "ui"')

    print("negative control, the same args without --cors-allowed-origins:")
    with tempfile.TemporaryDirectory() as tmp:
        args = [a for a in local_args(r["args"], tmp)
                if not a.startswith("--cors-allowed-origins")]
        if len(args) != len(r["args"]) - 1:
            print("  FAIL the rendered args have no single --cors-allowed-origins")
            ok = False
        with Server(args, tmp):
            expect(f"POST experiments/create, Origin {route}",
                   call("POST", "/ajax-api/2.0/mlflow/experiments/create", host, route,
                        {"name": "ui"}), 403, BLOCKED)

    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
