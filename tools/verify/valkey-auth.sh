#!/usr/bin/env bash
# Layer-3 check of the Feast online store's auth (components/features/feast.ts): the Secret's
# valkey-auth.conf and the container's args, rendered by the program (tools/verify/render.ts),
# run by a real server. valkey-server is not packaged here; redis-server (apt, Debian 12: 7.0)
# reads the same config format and options for these directives. Checks: the file is a
# config file the server accepts as its first argument; the options after it apply; PING
# without auth gets NOAUTH, a wrong password WRONGPASS, the right one PONG; the password is
# in neither the process's args (ps) nor its environment. The server runs as the pod's uid and
# gid with the file readable by the group only (mode and fsGroup as the Deployment sets them).
#
# Needs: redis-server, redis-cli (apt-get install redis-server), setpriv, jq, npx tsx.
# Environment: PORT [6399], REDIS_SERVER [redis-server], KEEP [0].
# Differences from the pod, on purpose: the file path and --dir point into a temp dir, and
# --port/--bind are appended (127.0.0.1 only); the password is a fresh 32-letter-and-digit one
# (RandomPassword special=false) in place of the mocks' stand-in.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PORT=${PORT:-6399}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
W=$(mktemp -d -t verify-valkey.XXXXXX)
SERVER_PID=
FAIL=0
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
check() { # check NAME CONDITION-STATUS
    if [ "$2" = 0 ]; then echo "PASS: $1"; else echo "FAIL: $1"; FAIL=1; fi
}

(cd "$REPO" && npx --no-install tsx tools/verify/render.ts) >"$W/render.json"
jq '.valkey | {image, command, args, authFilePath, authFileContent, runAsUser}' "$W/render.json"
UID_=$(jq -r .valkey.runAsUser "$W/render.json")
MOCK=$(jq -r .valkey.mockPassword "$W/render.json")
AUTH_PATH=$(jq -r .valkey.authFilePath "$W/render.json")
PASSWORD=$(python3 -c '
import secrets, string
a = string.ascii_letters + string.digits
while True:
    p = "".join(secrets.choice(a) for _ in range(32))
    if sum(c.isupper() for c in p) >= 2 and sum(c.islower() for c in p) >= 2:
        print(p); break')

# The auth file exactly as rendered, with the real-looking password in place of the mock's.
chmod 0755 "$W"
mkdir -p "$W/etc" "$W/data"
jq -j .valkey.authFileContent "$W/render.json" | sed "s/$MOCK/$PASSWORD/" >"$W/etc/valkey-auth.conf"
chown "root:$UID_" "$W/etc/valkey-auth.conf"
chmod 0440 "$W/etc/valkey-auth.conf"
chown "$UID_:$UID_" "$W/data"
echo "auth file (password masked): $(sed "s/$PASSWORD/<password>/" "$W/etc/valkey-auth.conf" | od -c | head -3 | tr -s ' ' | tr '\n' ' ')"

# The container's args, the auth file and --dir mapped to the temp dir.
mapfile -t ARGS < <(jq -r '.valkey.args[]' "$W/render.json")
set +e # from here on, checks report and the script goes on
[ "${ARGS[0]}" = "$AUTH_PATH" ]; check "the first arg is the auth file from the Secret" $?
ARGS[0]="$W/etc/valkey-auth.conf"
for i in "${!ARGS[@]}"; do
    if [ "${ARGS[$i]}" = "--dir" ]; then ARGS[$((i + 1))]="$W/data"; fi
done
ARGS+=(--port "$PORT" --bind 127.0.0.1)
printf 'server: setpriv --reuid=%s --regid=%s --groups=%s %s' "$UID_" "$UID_" "$UID_" "$REDIS_SERVER"
printf ' %q' "${ARGS[@]}"; echo
setpriv --reuid="$UID_" --regid="$UID_" --groups="$UID_" "$REDIS_SERVER" "${ARGS[@]}" >"$W/server.log" 2>&1 &
SERVER_PID=$!

cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@" 2>&1; }
for _ in $(seq 1 50); do
    if cli PING >/dev/null && [ -n "$(cli PING)" ]; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "server exited:"; cat "$W/server.log"; exit 1; fi
    sleep 0.2
done
"$REDIS_SERVER" --version

out=$(cli PING); echo "PING without auth: $out"
[[ "$out" == *NOAUTH* ]]; check "PING without auth is refused with NOAUTH" $?
out=$(REDISCLI_AUTH=wrong-password cli PING); echo "PING with a wrong password: $out"
[[ "$out" == *WRONGPASS* ]]; check "a wrong password is refused" $?
out=$(REDISCLI_AUTH=$PASSWORD cli PING); echo "PING with the password: $out"
[ "$out" = PONG ]; check "PING with the password gets PONG" $?
out=$(for k in maxmemory save appendonly dir; do REDISCLI_AUTH=$PASSWORD cli CONFIG GET "$k"; done | paste -sd' ')
echo "CONFIG GET maxmemory, save, appendonly, dir: $out"
[ "$out" = "maxmemory 419430400 save  appendonly no dir $W/data" ]
check "the options after the file apply (maxmemory 400mb, no save, no AOF, dir)" $?

! printf '%s\n' "$(jq -r '.valkey.command + .valkey.args | join(" ")' "$W/render.json")" "${ARGS[*]}" \
    | grep -qF "$PASSWORD"
check "the password is not in the command and args as rendered and as passed" $?
# Redis and Valkey also overwrite their argv with a title (proc-title-template), so what ps
# shows is not the argv as passed; the check above is the one that does not depend on that.
args=$(ps -o args= -p "$SERVER_PID"); echo "ps -o args: $args"
cmdline=$(tr '\0' ' ' <"/proc/$SERVER_PID/cmdline")
! grep -qF "$PASSWORD" <<<"$args$cmdline"; check "the password is not in the process args" $?
! tr '\0' '\n' <"/proc/$SERVER_PID/environ" | grep -qF "$PASSWORD"
check "the password is not in the process environment" $?
grep -qF "$PASSWORD" "$W/server.log" && { echo "the server log shows the password"; FAIL=1; }

echo
if [ "$FAIL" = 0 ]; then echo "valkey-auth: PASS"; else echo "valkey-auth: FAIL"; fi
exit "$FAIL"
