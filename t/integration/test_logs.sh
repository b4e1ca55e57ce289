#!/usr/bin/env bash
# test_logs.sh -- nginx's access log and the workers' log are JSON lines that
# join on request_id (docs/OPERATIONS.md, "Following one request").
#
# Environment (scripts/check sets both, as for the integration binary):
#   TASKMAN_TEST_URL    http://127.0.0.1:PORT of a running stack (nginx)
#   TASKMAN_TEST_STACK  its control script (D/stackctl): nginx-access-log,
#                       workers-log
#
# Sends requests with X-Request-ID: logjoin-<random>-<n> and checks:
#   - the response echoes the id in X-Request-ID;
#   - exactly one line with that request_id in each log, both valid JSON,
#     agreeing on method, path and status (a 200 and a 401);
#   - an id that is not a sane token is replaced by nginx's own 32-hex id,
#     and the replacement is what both logs and the response carry;
#   - a response nginx makes itself (a missing file under /docs/assets/) is
#     in nginx's log and not in the workers';
#   - every line of nginx's access log is a JSON object.
# Last line: "N passed, N failed"; exit status 0 only if nothing failed.
set -u

pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; shift; [ $# -gt 0 ] && printf '    %s\n' "$@"; return 0; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

for v in TASKMAN_TEST_URL TASKMAN_TEST_STACK; do
    [ -n "${!v:-}" ] || nok "environment: $v is not set"
done
[ "$fail" -eq 0 ] || finish
command -v python3 >/dev/null 2>&1 || { nok "environment: python3 not found"; finish; }
URL=${TASKMAN_TEST_URL%/}
STACK=$TASKMAN_TEST_STACK
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_logs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

run=logjoin-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')

# send NAME METHOD PATH REQUEST_ID: one request; prints "STATUS ECHOED_ID".
send() {
    curl -sS -o /dev/null -D "$tmp/$1.h" -X "$2" -H "X-Request-ID: $4" \
        -w '%{http_code}' --max-time 30 "$URL$3" >"$tmp/$1.status" 2>"$tmp/$1.err" ||
        echo 000 >"$tmp/$1.status"
    printf '%s %s\n' "$(cat "$tmp/$1.status")" \
        "$(tr -d '\r' <"$tmp/$1.h" | sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: //p' | head -n 1)"
}

# find LOG ID: the JSON lines of LOG (nginx|workers) whose request_id is ID,
# one compact JSON object per line; "INVALID <line>" for lines that are not
# JSON but mention ID.
find_lines() {
    local cmd=workers-log
    [ "$1" = nginx ] && cmd=nginx-access-log
    "$STACK" "$cmd" 2>/dev/null | python3 -c '
import json, sys
want = sys.argv[1]
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        o = json.loads(line)
    except ValueError:
        if want in line:
            print("INVALID " + line[:200])
        continue
    if isinstance(o, dict) and o.get("request_id") == want:
        print(json.dumps(o, sort_keys=True))
' "$2"
}

# field JSON KEY
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }

# wait_lines LOG ID N: poll up to 5 s until LOG has N lines for ID (the
# worker logs its line after the response is on its way).
wait_lines() {
    local i got
    for i in $(seq 1 50); do
        got=$(find_lines "$1" "$2" | grep -vc '^INVALID' || true)
        [ "$got" -ge "$3" ] && return 0
        sleep 0.1
    done
    return 1
}

# joined NAME METHOD PATH EXPECTED_STATUS ID: the request's line in both logs.
joined() {
    local name=$1 method=$2 path=$3 want=$4 id=$5 n w
    wait_lines nginx "$id" 1
    wait_lines workers "$id" 1
    n=$(find_lines nginx "$id")
    w=$(find_lines workers "$id")
    if [ "$(grep -c . <<<"$n")" = 1 ] && [ "$(grep -c . <<<"$w")" = 1 ] &&
       ! grep -q '^INVALID' <<<"$n$w"; then
        ok "$name: one JSON line with request_id $id in each log"
    else
        nok "$name: one JSON line with request_id $id in each log" \
            "nginx: ${n:-(none)}" "workers: ${w:-(none)}"
        return
    fi
    if [ "$(field "$n" method)" = "$method" ] && [ "$(field "$w" method)" = "$method" ] &&
       [ "$(field "$n" uri)" = "$path" ] && [ "$(field "$w" path)" = "$path" ] &&
       [ "$(field "$n" status)" = "$want" ] && [ "$(field "$w" status)" = "$want" ]; then
        ok "$name: both lines say $method $path $want"
    else
        nok "$name: both lines say $method $path $want" "nginx: $n" "workers: $w"
    fi
}

# 1. a plain 200, and a 401 from the worker
read -r st echo_id < <(send live GET /health/live "$run-1")
if [ "$st" = 200 ] && [ "$echo_id" = "$run-1" ]; then
    ok "GET /health/live: 200, X-Request-ID echoed"
else
    nok "GET /health/live: 200, X-Request-ID echoed" "status $st, X-Request-ID '$echo_id'" "$(cat "$tmp/live.err")"
fi
joined "GET /health/live" GET /health/live 200 "$run-1"

read -r st echo_id < <(send me GET /api/v1/users/me "$run-2")
if [ "$st" = 401 ] && [ "$echo_id" = "$run-2" ]; then
    ok "GET /api/v1/users/me without a token: 401, X-Request-ID echoed"
else
    nok "GET /api/v1/users/me without a token: 401, X-Request-ID echoed" "status $st, X-Request-ID '$echo_id'"
fi
joined "GET /api/v1/users/me (401)" GET /api/v1/users/me 401 "$run-2"

# 2. an id that is not a sane token is replaced by nginx's own
read -r st echo_id < <(send bad GET /health/live "$run bad id!")
if [ "$st" = 200 ] && [[ "$echo_id" =~ ^[0-9a-f]{32}$ ]]; then
    ok "a request id with spaces is replaced by a 32-hex-digit id ($echo_id)"
    joined "replaced id" GET /health/live 200 "$echo_id"
else
    nok "a request id with spaces is replaced by a 32-hex-digit id" "status $st, X-Request-ID '$echo_id'"
fi

# 3. nginx's own answer never reaches a worker
read -r st echo_id < <(send asset GET /docs/assets/no-such-file "$run-3")
wait_lines nginx "$run-3" 1
n=$(find_lines nginx "$run-3")
if [ "$st" = 404 ] && [ "$echo_id" = "$run-3" ] && [ "$(grep -c . <<<"$n")" = 1 ] &&
   [ "$(field "$n" status)" = 404 ]; then
    ok "nginx's own 404 (/docs/assets/no-such-file) is in its log with the id"
else
    nok "nginx's own 404 (/docs/assets/no-such-file) is in its log with the id" \
        "status $st, X-Request-ID '$echo_id'" "nginx: ${n:-(none)}"
fi
sleep 0.3
w=$(find_lines workers "$run-3")
if [ -z "$w" ]; then
    ok "...and not in the workers' log"
else
    nok "...and not in the workers' log" "workers: $w"
fi

# 4. the whole access log is JSON
bad=$("$STACK" nginx-access-log | python3 -c '
import json, sys
bad = 0
for n, line in enumerate(sys.stdin, 1):
    try:
        if not isinstance(json.loads(line), dict):
            raise ValueError
    except ValueError:
        bad += 1
        if bad <= 3:
            print("line %d: %s" % (n, line.strip()[:200]))
')
if [ -z "$bad" ]; then
    ok "every line of nginx's access log is a JSON object ($("$STACK" nginx-access-log | wc -l) lines)"
else
    nok "every line of nginx's access log is a JSON object" "$bad"
fi

finish
