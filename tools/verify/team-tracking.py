#!/usr/bin/env python3
"""Layer-3 check of per-team tracking (components/tracking/team-tracking.ts,
components/storage/team-database.ts): two real MLflow servers and a real PostgreSQL, with
what the program renders for two teams (tools/verify/team-tracking-render.ts on a stack with
two inline teams, by default Pulumi.onprem.yaml: vision and nlp).

1. A PostgreSQL cluster (initdb, pg_ctl, run as a non-root user), password auth on TCP, its
   superuser and platform database named as the Job's PGUSER and PGDATABASE.
2. Each team's database Job: its command and env as rendered (host and port mapped here, the
   SQL file at a path of this run instead of the ConfigMap's mount), run twice: the second run
   must succeed and change nothing (idempotent).
3. Each role: connects to its own databases; `permission denied for database` on the other
   team's and on the platform's database.
4. An S3 endpoint (moto's server) with the tracking bucket; each team's MLflow server started
   with its rendered command and args, only --host, --port and the backend store's host
   replaced, its env with the endpoint mapped here, the team's password as PGPASSWORD.
5. Team A's client logs a run with an artifact and registers a model on A's server; the
   artifacts land under teams/<A>/mlflow/ in the bucket and nowhere else. B's server does not
   see A's experiment, run or registered model, and does not serve A's artifacts (nor by
   `..`). Control: A's server does see them.

Run from the repository root with the Python of a venv that has mlflow==3.18.0,
psycopg2-binary==2.9.13, boto3==1.44.5, moto[server]==5.2.5 and prometheus-flask-exporter==0.23.2
(the rendered server runs with `--expose-prometheus`, as MLflow's image, which has it, does):

    PGBIN=/usr/lib/postgresql/<v>/bin "$VENV/bin/python" tools/verify/team-tracking.py [STACK_FILE]

Environment: PGBIN (required: initdb, pg_ctl, psql, pg_isready), PG_OS_USER [postgres],
BASE_PORT [55600: PostgreSQL, +1 S3, +2 and +3 the two servers], KEEP [0].
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PGBIN = os.environ.get("PGBIN") or sys.exit("PGBIN is required (initdb, pg_ctl, psql)")
OS_USER = os.environ.get("PG_OS_USER", "postgres")
BASE = int(os.environ.get("BASE_PORT", "55600"))
PG_PORT, S3_PORT = BASE, BASE + 1
STACK = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "Pulumi.onprem.yaml")
ADMIN_PASSWORD = "admin-password-for-this-run"

failures = []


def check(what, ok, detail=""):
    print(("PASS: " if ok else "FAIL: ") + what + (f" ({detail})" if detail and not ok else ""),
          flush=True)
    if not ok:
        failures.append(what)


def as_user(cmd, env, **kw):
    """Runs cmd as the non-root OS user with exactly env (plus PATH)."""
    full = {"PATH": f"{PGBIN}:/usr/bin:/bin", "HOME": "/", **env}
    return subprocess.run(
        ["runuser", "-u", OS_USER, "--", "env", "-i", *[f"{k}={v}" for k, v in full.items()], *cmd],
        capture_output=True, text=True, **kw)


def wait_http(url, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except Exception:
            time.sleep(1)
    return False


def main():
    render = json.loads(subprocess.run(
        ["npx", "--no-install", "tsx", "tools/verify/team-tracking-render.ts", STACK],
        cwd=REPO, check=True, capture_output=True, text=True).stdout)
    teams = list(render)
    assert len(teams) == 2, f"want two teams, got {teams}"
    a, b = teams
    print(f"teams: A={a} B={b}; MLflow {__import__('mlflow').__version__}; "
          + subprocess.run([f"{PGBIN}/postgres", "--version"], capture_output=True, text=True).stdout.strip())

    work = tempfile.mkdtemp(prefix="verify-team-tracking.")
    os.chmod(work, 0o755)
    procs = []
    pgdata = os.path.join(work, "pgdata")
    try:
        # 1. PostgreSQL, as the platform's: its superuser and database named as the Job says.
        job_env = {e["name"]: e.get("value") for e in render[a]["job"]["env"]}
        admin, platform_db = job_env["PGUSER"], job_env["PGDATABASE"]
        pwfile = os.path.join(work, "pw")
        with open(pwfile, "w") as f:
            f.write(ADMIN_PASSWORD)
        os.makedirs(pgdata)
        shutil.chown(pgdata, OS_USER)
        shutil.chown(pwfile, OS_USER)
        r = as_user([f"{PGBIN}/initdb", "-D", pgdata, "-U", admin, f"--pwfile={pwfile}",
                     "--auth-local=scram-sha-256", "--auth-host=scram-sha-256"], {})
        assert r.returncode == 0, r.stderr
        r = as_user([f"{PGBIN}/pg_ctl", "-D", pgdata, "-w", "-l", os.path.join(pgdata, "log"),
                     "-o", f"-p {PG_PORT} -k {pgdata} -c listen_addresses=127.0.0.1", "start"], {})
        assert r.returncode == 0, r.stderr
        pg = {"PGHOST": "127.0.0.1", "PGPORT": str(PG_PORT)}
        r = as_user(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c",
                     f'CREATE DATABASE "{platform_db}"'],
                    {**pg, "PGUSER": admin, "PGPASSWORD": ADMIN_PASSWORD})
        assert r.returncode == 0, r.stderr

        # 2. Each team's Job, twice.
        sql_dir = os.path.join(work, "sql")
        os.makedirs(sql_dir)
        passwords = {t: f"{t}-password-{os.urandom(6).hex()}" for t in teams}
        for t in teams:
            path = os.path.join(sql_dir, f"{t}.sql")
            with open(path, "w") as f:
                f.write(render[t]["sql"])
            os.chmod(path, 0o644)
            cmd = [c.replace("/sql/team-database.sql", path) for c in render[t]["job"]["command"]]
            env = {}
            for e in render[t]["job"]["env"]:
                if "value" in e:
                    env[e["name"]] = e["value"]
                elif e["name"] == "PGPASSWORD":
                    env[e["name"]] = ADMIN_PASSWORD
                elif e["name"] == "TEAM_PASSWORD":
                    env[e["name"]] = passwords[t]
            env.update(pg)
            for run in (1, 2):
                r = as_user(cmd, env, timeout=60)
                check(f"{t}'s database Job, run {run}, exits 0", r.returncode == 0, r.stderr.strip())
                if run == 1:
                    check(f"{t}'s first run creates the role and both databases",
                          r.stdout.count("CREATE DATABASE") == 2 and "CREATE ROLE" in r.stdout, r.stdout)
                if run == 2:
                    check(f"{t}'s second run creates nothing",
                          "CREATE" not in r.stdout.replace("ALTER ROLE", ""), r.stdout)

        # 3. Each role reaches its own databases, not the other team's nor the platform's.
        names = {t: {e["name"]: e.get("value") for e in render[t]["job"]["env"]} for t in teams}
        for t, other in ((a, b), (b, a)):
            role = names[t]["TEAM_ROLE"]
            env = {**pg, "PGUSER": role, "PGPASSWORD": passwords[t]}
            for db in (names[t]["MLFLOW_DATABASE"], names[t]["FEAST_DATABASE"]):
                r = as_user(["psql", "-X", "-d", db, "-tAc", "SELECT current_user"], env)
                check(f"{role} connects to {db}", r.stdout.strip() == role, r.stderr.strip())
            for db in (names[other]["MLFLOW_DATABASE"], names[other]["FEAST_DATABASE"], platform_db):
                r = as_user(["psql", "-X", "-d", db, "-tAc", "SELECT 1"], env)
                check(f"{role} is refused on {db}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.stdout}",
                      r.returncode != 0 and "permission denied for database" in r.stderr, r.stderr)
            r = as_user(["psql", "-X", "-d", names[other]["MLFLOW_DATABASE"], "-tAc", "SELECT 1"],
                        {**pg, "PGUSER": role, "PGPASSWORD": passwords[other]})
            check(f"{role} with {other}'s password is refused",
                  r.returncode != 0 and "password authentication failed" in r.stderr, r.stderr)

        # 4. S3 (moto) and the two servers.
        s3_log = open(os.path.join(work, "s3.log"), "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                       "-p", str(S3_PORT)], stdout=s3_log, stderr=s3_log))
        assert wait_http(f"http://127.0.0.1:{S3_PORT}/", 60), "moto did not start"
        import boto3
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{S3_PORT}", region_name="us-east-1",
                          aws_access_key_id="k", aws_secret_access_key="s")
        dest = {t: next(x for x in render[t]["server"]["args"]
                        if x.startswith("--artifacts-destination=")).split("=", 1)[1] for t in teams}
        bucket = re.match(r"s3://([^/]+)/", dest[a]).group(1)
        s3.create_bucket(Bucket=bucket)

        urls = {}
        for i, t in enumerate(teams):
            port = BASE + 2 + i
            args = []
            for x in render[t]["server"]["args"]:
                if x.startswith("--host="):
                    x = "--host=127.0.0.1"
                elif x.startswith("--port="):
                    x = f"--port={port}"
                elif x.startswith("--backend-store-uri="):
                    x = re.sub(r"@[^/]+/", f"@127.0.0.1:{PG_PORT}/", x)
                args.append(x)
            env = {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "HOME": work}
            for e in render[t]["server"]["env"]:
                ref = e.get("valueFrom", {}).get("secretKeyRef", {})
                if "value" in e:
                    env[e["name"]] = e["value"]
                elif ref.get("name") == "team-database":
                    env[e["name"]] = passwords[t]
                elif ref.get("name") == "runner-s3":
                    env[e["name"]] = f"{t}-{ref['key'].lower()}"
            env["MLFLOW_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{S3_PORT}"
            env["HOME"] = work
            # The schema, as the server's migration Job runs it (`mlflow db upgrade <uri>`).
            uri = next(x for x in args if x.startswith("--backend-store-uri=")).split("=", 1)[1]
            r = subprocess.run([os.path.join(os.path.dirname(sys.executable), "mlflow"), "db",
                                "upgrade", uri], env=env, capture_output=True, text=True)
            check(f"{t}'s schema migrates with its own role", r.returncode == 0, r.stderr[-400:])
            log = open(os.path.join(work, f"mlflow-{t}.log"), "w")
            cmd = [os.path.join(os.path.dirname(sys.executable), render[t]["server"]["command"][0]),
                   *args]
            print(f"{t}: {' '.join(cmd)}")
            procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True))
            urls[t] = f"http://127.0.0.1:{port}"
        for t in teams:
            assert wait_http(f"{urls[t]}/health", 180), f"{t}'s server did not start"

        # 5. A logs and registers on A's server; B's server sees none of it.
        import mlflow
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        class Echo(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input):
                return model_input

        mlflow.set_tracking_uri(urls[a])
        mlflow.set_experiment(f"{a}-experiment")
        with mlflow.start_run() as run:
            mlflow.log_param("c", 1.0)
            mlflow.log_metric("accuracy", 0.9)
            mlflow.log_text("hello", "notes/hello.txt")
            info = mlflow.pyfunc.log_model(name="model", python_model=Echo(),
                                           registered_model_name=f"{a}-model")
        run_id = run.info.run_id
        client_a, client_b = MlflowClient(urls[a]), MlflowClient(urls[b])
        check(f"A's server has the run and {a}-model v1",
              client_a.get_run(run_id).data.params == {"c": "1.0"}
              and client_a.get_registered_model(f"{a}-model").name == f"{a}-model")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        prefix_a = dest[a].split(f"s3://{bucket}/", 1)[1]
        check(f"A's artifacts are all under {prefix_a} ({len(keys)} objects)",
              len(keys) > 0 and all(k.startswith(prefix_a) for k in keys), keys)

        names_b = [e.name for e in client_b.search_experiments()]
        check(f"B's server does not list {a}-experiment", f"{a}-experiment" not in names_b, names_b)
        for what, call in (
            ("the run", lambda: client_b.get_run(run_id)),
            ("the registered model", lambda: client_b.get_registered_model(f"{a}-model")),
            ("the model version", lambda: client_b.get_model_version(f"{a}-model", "1")),
        ):
            try:
                call()
                check(f"B's server refuses A's {what}", False, "it answered")
            except MlflowException as e:
                check(f"B's server refuses A's {what}: {e.error_code}",
                      e.error_code == "RESOURCE_DOES_NOT_EXIST", str(e)[:200])
        check("B's server lists no registered model",
              [m.name for m in client_b.search_registered_models()] == [])
        art = f"{run.info.experiment_id}/{run_id}/artifacts/notes/hello.txt"
        ok_a = urllib.request.urlopen(f"{urls[a]}/api/2.0/mlflow-artifacts/artifacts/{art}").read()
        check("A's server serves A's artifact", ok_a == b"hello")
        for path in (art, f"../../{a}/mlflow/{art}"):
            try:
                urllib.request.urlopen(f"{urls[b]}/api/2.0/mlflow-artifacts/artifacts/{path}")
                check(f"B's server does not serve {path}", False, "200")
            except urllib.error.HTTPError as e:
                # 500: the store answers NoSuchKey for the path under B's own prefix.
                check(f"B's server does not serve {path}: HTTP {e.code}", e.code in (400, 403, 404, 500))
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, 15) if p.pid and p in procs[1:] else p.terminate()
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.path.exists(os.path.join(pgdata, "postmaster.pid")):
            as_user([f"{PGBIN}/pg_ctl", "-D", pgdata, "-m", "fast", "-w", "stop"], {})
        if os.environ.get("KEEP") == "1":
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("FAILED: " + "; ".join(failures) if failures else "all checks passed", flush=True)
    # MLflow's client leaves non-daemon threads behind that keep the interpreter from exiting.
    os._exit(1 if failures else 0)


if __name__ == "__main__":
    main()
