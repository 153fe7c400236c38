"""Layer-3 check of the per-team feature stores (components/features/team-feast.ts).

Each team's feature_store.yaml and its server's command and environment, as the platform
renders them (tools/verify/team-feast-render.ts, a local platform with teams a and b), run by
the real Feast SDK and `feast serve` against a real PostgreSQL, with two roles and databases
made the way the platform makes them for teams: a login role `team_<t>`, a database
`team_<t>_feast` owned by it, CONNECT revoked from PUBLIC. Each team's environment is what its
`team-database` Secret would give the pod (the rendered secretKeyRefs, resolved), with only the
host and port replaced by this PostgreSQL's.

Checks:
  - A applies an entity and a feature view, materializes them from a parquet file into its
    online store, writes one more row with write_to_online_store, reads them back with the
    SDK and from its own `feast serve` started with the rendered command.
  - B's store, on its own database, sees no project and no feature view of A's; asking for
    A's feature fails in the SDK and on B's server. Even with A's project name in its
    config, B's store sees nothing of A's (the boundary is the database, not the name).
  - B's login cannot open A's database (and A's cannot open B's): PostgreSQL refuses
    CONNECT; B's feature_store.yaml pointed at A's database fails to open its registry.
  - The registry's tables and A's online table are in A's database; B's has none of A's.
  - B's password holds characters a URL or a quoted YAML string would need escaped.

Run as root from the repository root, with the venv's Python:

    PG_BIN=/usr/lib/postgresql/15/bin PG_OS_USER=postgres \\
        "$FEAST_VENV/bin/python" tools/verify/team-feast.py

Environment: PG_BIN (initdb, pg_ctl) and PG_OS_USER (the non-root user the cluster runs as)
have no defaults; PORT [55433], SERVE_PORT [6571] (B's server on SERVE_PORT+1), KEEP [0].
"""

import datetime as dt
import json
import os
import pathlib
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
FAILED = []


def check(name, ok, detail=""):
    print(("PASS: " if ok else "FAIL: ") + name + (f" ({detail})" if detail and not ok else ""))
    if not ok:
        FAILED.append(name)


# ---------------------------------------------------------------------------------------------
# Child steps: run in a process of their own with one team's environment, print JSON.


def feature_definitions():
    from feast import Entity, FeatureView, Field, FileSource
    from feast.types import Float32, Int64

    driver = Entity(name="driver", join_keys=["driver_id"])
    source = FileSource(
        name="driver_stats_source",
        path=os.environ["VERIFY_PARQUET"],
        timestamp_field="event_timestamp",
    )
    view = FeatureView(
        name="driver_stats",
        entities=[driver],
        ttl=dt.timedelta(days=3650),
        schema=[Field(name="conv_rate", dtype=Float32), Field(name="trips", dtype=Int64)],
        source=source,
        online=True,
    )
    return driver, view


def online(store, ids):
    rows = [{"driver_id": i} for i in ids]
    return store.get_online_features(
        features=["driver_stats:conv_rate", "driver_stats:trips"], entity_rows=rows
    ).to_dict()


def child(step, repo):
    import pandas as pd
    from feast import FeatureStore

    out = {}
    if step == "a-write":
        store = FeatureStore(repo_path=repo)
        driver, view = feature_definitions()
        store.apply([driver, view])
        now = dt.datetime.now(dt.timezone.utc)
        store.materialize(start_date=now - dt.timedelta(days=2), end_date=now)
        store.write_to_online_store(
            "driver_stats",
            pd.DataFrame(
                {
                    "driver_id": [1003],
                    "conv_rate": [0.75],
                    "trips": [30],
                    "event_timestamp": [now],
                }
            ),
        )
        out["project"] = store.project
        out["projects"] = sorted(p.name for p in store.list_projects())
        out["views"] = sorted(v.name for v in store.list_feature_views())
        out["online"] = online(store, [1001, 1002, 1003])
    elif step == "b-read":
        store = FeatureStore(repo_path=repo)
        out["project"] = store.project
        out["projects"] = sorted(p.name for p in store.list_projects())
        out["views"] = sorted(v.name for v in store.list_feature_views())
        try:
            out["online"] = online(store, [1001])
        except Exception as e:  # noqa: BLE001 - the error is the result
            out["error"] = f"{type(e).__name__}: {e}"
    elif step == "open":
        try:
            store = FeatureStore(repo_path=repo)
            out["views"] = sorted(v.name for v in store.list_feature_views())
        except Exception as e:  # noqa: BLE001
            out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out, default=str))


# ---------------------------------------------------------------------------------------------
# The driver.


def run_child(step, repo, env):
    r = subprocess.run(
        [sys.executable, __file__, "--child", step, str(repo)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if r.returncode != 0:
        print(r.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"child step {step} exited {r.returncode}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def secret_env(rendered, secret):
    """The container's environment with each secretKeyRef resolved from `secret`."""
    env = {}
    for e in rendered["env"]:
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            if ref["name"] != "team-database":
                raise SystemExit(f"unexpected Secret {ref['name']} in {e['name']}")
            env[e["name"]] = secret[ref["key"]]
    return env


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return None, ""


def serve(rendered, repo, env, port, log):
    """`feast serve` with the rendered command: only /config, the host and the port replaced."""
    command = [str(repo) if a == "/config" else a for a in rendered["command"]]
    args = list(rendered["args"])
    args[args.index("0.0.0.0")] = "127.0.0.1"
    args[args.index("6566")] = str(port)
    command[0] = str(pathlib.Path(sys.executable).parent / command[0])
    proc = subprocess.Popen(command + args, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(120):
        status, _ = http("GET", f"http://127.0.0.1:{port}/health")
        if status == 200:
            return proc
        if proc.poll() is not None:
            break
        time.sleep(1)
    proc.kill()
    raise SystemExit(f"feast serve on {port} did not become healthy; see {log.name}")


def main():
    pg_bin = pathlib.Path(os.environ["PG_BIN"])
    os_user = pwd.getpwnam(os.environ["PG_OS_USER"])
    port = int(os.environ.get("PORT", "55433"))
    serve_port = int(os.environ.get("SERVE_PORT", "6571"))
    import feast
    import psycopg
    from psycopg import sql

    print(f"feast {feast.__version__}, psycopg {psycopg.__version__}")

    rendered = json.loads(
        subprocess.run(
            ["npx", "--no-install", "tsx", "tools/verify/team-feast-render.ts"],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )["teams"]

    work = pathlib.Path(tempfile.mkdtemp(prefix="verify-team-feast."))
    os.chmod(work, 0o755)
    sock = work / "sock"
    data = work / "data"
    for d in (sock, data):
        d.mkdir()
        os.chown(d, os_user.pw_uid, os_user.pw_gid)
    as_pg = ["setpriv", f"--reuid={os_user.pw_uid}", f"--regid={os_user.pw_gid}", "--init-groups"]
    procs = []
    try:
        subprocess.run(
            as_pg
            + [str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres",
               "--auth-local=trust", "--auth-host=scram-sha-256"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            as_pg
            + [str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w", "start",
               "-o", f"-k {sock} -c listen_addresses=127.0.0.1 -p {port}"],
            check=True,
            capture_output=True,
        )
        pg_version = subprocess.run(
            [str(pg_bin / "postgres"), "--version"], capture_output=True, text=True
        ).stdout.strip()
        print(pg_version)

        # The team's PostgreSQL login and database, as the platform makes them. B's password
        # has characters a URL or a quoted YAML string would need escaped.
        secrets_ = {
            "a": {"username": "team_a", "password": "Pa55wordA1b2c3d4e5f6g7h8i9j0kLmN"},
            "b": {"username": "team_b", "password": "p@ss:w/o?r#d%&'\"\\ $HOME ${X}"},
        }
        admin = psycopg.connect(host=str(sock), port=port, user="postgres", dbname="postgres",
                                autocommit=True)
        for t, s in secrets_.items():
            role, db = sql.Identifier(s["username"]), sql.Identifier(f"team_{t}_feast")
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                role, sql.Literal(s["password"])))
            admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(db, role))
            admin.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(db))
            s.update({"host": "127.0.0.1", "port": str(port), "feast-database": f"team_{t}_feast",
                      "mlflow-database": f"team_{t}_mlflow"})

        base = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        now = dt.datetime.now(dt.timezone.utc)
        parquet = work / "driver_stats.parquet"
        import pandas as pd

        pd.DataFrame(
            {
                "driver_id": [1001, 1002],
                "conv_rate": [0.5, 0.25],
                "trips": [10, 20],
                "event_timestamp": [now - dt.timedelta(hours=1)] * 2,
            }
        ).to_parquet(parquet)

        repos, envs = {}, {}
        for t in ("a", "b"):
            repos[t] = work / f"repo-{t}"
            repos[t].mkdir()
            (repos[t] / "feature_store.yaml").write_text(rendered[t]["featureStoreYaml"])
            envs[t] = {**base, **secret_env(rendered[t], secrets_[t]),
                       "VERIFY_PARQUET": str(parquet), "HOME": str(work)}
        check("each team's store reads its login from its own team-database Secret",
              all(envs[t]["PGUSER"] == f"team_{t}" and envs[t]["PGDATABASE"] == f"team_{t}_feast"
                  for t in ("a", "b")))

        # Team A: apply, materialize, write, read.
        a = run_child("a-write", repos["a"], envs["a"])
        print("A:", json.dumps(a))
        check("A's project is team_a", a["project"] == "team_a")
        check("A's registry lists A's project and feature view",
              a["projects"] == ["team_a"] and a["views"] == ["driver_stats"], json.dumps(a))
        check("A reads its materialized and written features",
              a["online"]["driver_id"] == [1001, 1002, 1003]
              and [round(x, 2) for x in a["online"]["conv_rate"]] == [0.5, 0.25, 0.75]
              and a["online"]["trips"] == [10, 20, 30], json.dumps(a["online"]))

        log_a = open(work / "serve-a.log", "w")
        procs.append(serve(rendered["a"], repos["a"], envs["a"], serve_port, log_a))
        status, body = http("POST", f"http://127.0.0.1:{serve_port}/get-online-features", {
            "features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001, 1003]}})
        values = json.loads(body)["results"][1]["values"] if status == 200 else None
        check("A's feast serve (rendered command) answers A's features",
              status == 200 and [round(v, 2) for v in values] == [0.5, 0.75], f"{status} {body[:300]}")

        # Team B: its own store sees nothing of A's.
        b = run_child("b-read", repos["b"], envs["b"])
        print("B:", json.dumps(b))
        check("B's project is team_b", b["project"] == "team_b")
        check("B's registry has no project or feature view of A's",
              "team_a" not in b["projects"] and b["views"] == [], json.dumps(b))
        check("B cannot read A's feature view", "online" not in b and "driver_stats" in b.get("error", ""),
              json.dumps(b))
        log_b = open(work / "serve-b.log", "w")
        procs.append(serve(rendered["b"], repos["b"], envs["b"], serve_port + 1, log_b))
        status, body = http("POST", f"http://127.0.0.1:{serve_port + 1}/get-online-features", {
            "features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001]}})
        check("B's feast serve refuses A's feature view",
              status is not None and status >= 400 and "0.5" not in body, f"{status} {body[:300]}")

        # B naming A's project: still B's database, still nothing.
        repo_b_as_a = work / "repo-b-as-a"
        repo_b_as_a.mkdir()
        (repo_b_as_a / "feature_store.yaml").write_text(
            rendered["b"]["featureStoreYaml"].replace("project: team_b", "project: team_a"))
        b2 = run_child("b-read", repo_b_as_a, envs["b"])
        check("B's store with A's project name sees no feature view of A's",
              b2["views"] == [] and "online" not in b2, json.dumps(b2))

        # B's login on A's database, and A's on B's: refused by PostgreSQL.
        for who, other in (("b", "a"), ("a", "b")):
            try:
                psycopg.connect(host="127.0.0.1", port=port, user=f"team_{who}",
                                password=secrets_[who]["password"], dbname=f"team_{other}_feast")
                check(f"{who.upper()}'s login cannot open {other.upper()}'s database", False, "connected")
            except psycopg.OperationalError as e:
                check(f"{who.upper()}'s login cannot open {other.upper()}'s database",
                      "permission denied for database" in str(e), str(e))
        b3 = run_child("open", repos["b"], {**envs["b"], "PGDATABASE": "team_a_feast"})
        check("B's store pointed at A's database fails to open it",
              "permission denied for database" in b3.get("error", ""), json.dumps(b3))
        # Control: the right password and database connect (so the refusals are the ACL's).
        psycopg.connect(host="127.0.0.1", port=port, user="team_b",
                        password=secrets_["b"]["password"], dbname="team_b_feast").close()
        check("B's login opens B's database (control)", True)

        # Where the data is.
        def tables(db):
            with psycopg.connect(host=str(sock), port=port, user="postgres", dbname=db) as c:
                return sorted(r[0] for r in c.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        ta, tb = tables("team_a_feast"), tables("team_b_feast")
        print("tables in team_a_feast:", ta)
        print("tables in team_b_feast:", tb)
        check("A's registry and online table are in A's database",
              "feature_views" in ta and "projects" in ta and "team_a_driver_stats" in ta)
        check("B's database holds no table of A's", not any(x.startswith("team_a") for x in tb))
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(as_pg + [str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        if os.environ.get("KEEP") == "1":
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if FAILED:
        print(f"{len(FAILED)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
