#!/usr/bin/env bash
# Layer-3 check of MlflowServer's database wait (components/tracking/mlflow.ts): the migration
# Job's init container command and env, rendered by the program (tools/verify/render.ts), run
# with a real pg_isready, as a uid with no /etc/passwd entry (the Job's pod runs as uid 1000,
# which the postgres image does not know) and HOME=/ (what the container runtime sets for a uid
# it cannot look up). Checks: with nothing listening the loop keeps waiting; once a PostgreSQL
# cluster starts on that port the loop ends, within seconds, status 0. Control: the same
# pg_isready without -U, as that uid, gets "no attempt" (libpq cannot name the local user), so
# the loop would never end: -U is load-bearing.
#
# Needs: apt postgresql (initdb, pg_ctl, pg_isready under /usr/lib/postgresql/<v>/bin; on PATH
# first, as in the official image, not Debian's pg_wrapper), setpriv, runuser, jq, npx tsx.
# Environment: PORT [55432], NOUSER_UID [first of 1000, 1001, ... without a passwd entry],
# PGBIN [newest /usr/lib/postgresql/*/bin], POD_HOME [/], KEEP [0].
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PORT=${PORT:-55432}
POD_HOME=${POD_HOME:-/}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
if [ -z "${NOUSER_UID:-}" ]; then
    NOUSER_UID=1000
    while getent passwd "$NOUSER_UID" >/dev/null; do NOUSER_UID=$((NOUSER_UID + 1)); done
fi
W=$(mktemp -d -t verify-pgwait.XXXXXX)
chmod 0755 "$W"
LOOP_PID=
FAIL=0
cleanup() {
    if [ -n "$LOOP_PID" ]; then kill -- -"$LOOP_PID" 2>/dev/null || true; fi
    if [ -f "$W/pgdata/postmaster.pid" ]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pgdata" -m fast -w stop >/dev/null 2>&1 || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
check() { if [ "$2" = 0 ]; then echo "PASS: $1"; else echo "FAIL: $1"; FAIL=1; fi; }

(cd "$REPO" && npx --no-install tsx tools/verify/render.ts) >"$W/render.json"
jq .pgWait "$W/render.json"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "port $PORT is in use; set PORT"; exit 2; fi
echo "pg_isready: $("$PGBIN/pg_isready" --version) ($PGBIN; the image's is $(jq -r .pgWait.image "$W/render.json"))"
echo "uid $NOUSER_UID: $(getent passwd "$NOUSER_UID" || echo 'no passwd entry'), HOME=$POD_HOME"

# The rendered command, and env with the host mapped to this machine.
mapfile -t CMD < <(jq -r '.pgWait.command[]' "$W/render.json")
mapfile -t ENV < <(jq -r --arg port "$PORT" \
    '.pgWait.env | .PGHOST = "127.0.0.1" | .PGPORT = $port | to_entries[] | "\(.key)=\(.value)"' \
    "$W/render.json")
as_pod() { setpriv --reuid="$NOUSER_UID" --regid="$NOUSER_UID" --clear-groups \
    env -i PATH="$PGBIN:/usr/bin:/bin" HOME="$POD_HOME" "$@"; }

echo "initdb (as postgres, before the wait starts)"
mkdir -p "$W/pgdata" "$W/sock" "$W/log"
chown postgres:postgres "$W/pgdata" "$W/sock" "$W/log"
runuser -u postgres -- "$PGBIN/initdb" -D "$W/pgdata" -A trust >"$W/initdb.log" 2>&1

set +e # from here on, checks report and the script goes on
echo "wait loop: ${ENV[*]} ${CMD[*]}"
setsid setpriv --reuid="$NOUSER_UID" --regid="$NOUSER_UID" --clear-groups \
    env -i PATH="$PGBIN:/usr/bin:/bin" HOME="$POD_HOME" "${ENV[@]}" "${CMD[@]}" >"$W/loop.log" 2>&1 &
LOOP_PID=$!
sleep 7
kill -0 "$LOOP_PID" 2>/dev/null; check "after 7 s with nothing listening, the loop is still waiting" $?
echo "loop output so far: $(sort "$W/loop.log" | uniq -c | tr -s ' ' | paste -sd';')"

runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pgdata" -l "$W/log/pg.log" \
    -o "-p $PORT -k $W/sock -c listen_addresses=127.0.0.1" start >/dev/null
started=$(date +%s.%N)
status=timeout
for _ in $(seq 1 150); do
    if ! kill -0 "$LOOP_PID" 2>/dev/null; then wait "$LOOP_PID"; status=$?; LOOP_PID=; break; fi
    sleep 0.2
done
took=$(echo "$(date +%s.%N) - $started" | bc)
echo "the loop ended ${took}s after pg_ctl start, status $status; last line: $(tail -1 "$W/loop.log")"
[ "$status" = 0 ] && [ "$(echo "$took < 10" | bc)" = 1 ]
check "with the cluster started the loop ends within 10 s, status 0" $?
grep -q "accepting connections" "$W/loop.log"; check "pg_isready reported 'accepting connections'" $?
grep -qiE "local user|passwd|user ID" "$W/loop.log"
[ $? != 0 ]; check "no complaint about the local user name (uid without passwd entry, -U given)" $?
roles=$(runuser -u postgres -- "$PGBIN/psql" -h "$W/sock" -p "$PORT" -d postgres -Atc \
    "select count(*) from pg_roles where rolname = '$(jq -r .pgWait.env.PGUSER "$W/render.json")'")
echo "(roles named PGUSER in this fresh cluster: $roles: pg_isready does not log in, so ready says"
echo " nothing about the role or the database)"

out=$(as_pod "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PORT" -t 5 2>&1); rc=$?
echo "control, same uid, pg_isready without -U/-d: '$out' status $rc"
[ "$rc" = 3 ]; check "without -U, a uid with no passwd entry gets 'no attempt' (status 3)" $?

echo
if [ "$FAIL" = 0 ]; then echo "pg-wait: PASS"; else echo "pg-wait: FAIL"; fi
exit "$FAIL"
