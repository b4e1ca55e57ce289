#!/usr/bin/env bash
# t/faults/run.sh -- faults under load (issue 11): steady mixed traffic
# (t/faults/load.c: reads and acknowledged creates from 4 clients) while,
# one at a time, the stack suffers
#   pg-restart     PostgreSQL stopped (fast) for 2 s and started again
#   worker-kill    SIGKILL to the busiest worker (mid-request, most likely)
#   supervisor-hup SIGHUP to the supervisor (every worker replaced)
#   nginx-reload   nginx reloaded (new config, old workers drained)
#   pg-exhaust     max_connections used up by idle clients for 4 s
#   db-stall       an ACCESS EXCLUSIVE lock on tasks held for 7 s, past
#                  the workers' statement timeout (5 s)
# For each fault it asserts:
#   - no acknowledged write is lost: every 201's task is in the database;
#   - errors (anything but 2xx) only from the fault's start until 5 s after
#     its end, and only 502/503/504 application/problem+json (no dropped
#     connection, no 500, no 429);
#   - recovery within 5 s of the fault's end (the last error), and traffic
#     answered again after it;
#   - no worker left wedged: as many workers as before, each running or
#     sleeping, and a burst of parallel requests all answered 200 at once;
# and prints, per fault: requests sent, acknowledged writes, writes found
# afterwards, errors by status, seconds to recover.  scripts/check runs it
# against the sanitizer build's stack and then greps the workers' log for
# sanitizer reports.
#
# Environment (as for the integration binary; scripts/check sets them):
#   TASKMAN_TEST_URL, TASKMAN_TEST_STACK, TASKMAN_TEST_ADMIN_DATABASE_URL,
#   TASKMAN_TEST_DATABASE_URL; optional FAULTS="pg-restart ..." (a subset),
#   FAULT_CLIENTS (default 4).
# Exit status 0 only if every fault passed.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
for v in TASKMAN_TEST_URL TASKMAN_TEST_STACK TASKMAN_TEST_ADMIN_DATABASE_URL \
         TASKMAN_TEST_DATABASE_URL; do
    [ -n "${!v:-}" ] || { echo "faults: $v is not set"; exit 1; }
done
URL=${TASKMAN_TEST_URL%/}
STACK=$TASKMAN_TEST_STACK
CLIENTS=${FAULT_CLIENTS:-4}
PRE=2          # seconds of traffic before each fault
POST=7         # ...and after its end (recovery must come within 5)
RECOVER_MAX=5
tmp=$(mktemp -d "${TMPDIR:-/tmp}/taskman-faults.XXXXXX") || exit 1
cleanup() {
    rm -rf "$tmp"
}
trap cleanup EXIT

psql_admin() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$TASKMAN_TEST_ADMIN_DATABASE_URL" "$@"; }
now_ms() { date +%s%3N; }

# --- setup: the load program and a user ---
# shellcheck disable=SC2046   # pkg-config prints a word list
if ! cc -O1 -o "$tmp/load" "$here/load.c" $(pkg-config --cflags --libs libcurl) 2>"$tmp/cc.err" ||
   ! cc -O1 -o "$tmp/hold" "$here/hold.c" $(pkg-config --cflags libpq) \
        $(pkg-config --libs libpq) 2>>"$tmp/cc.err"; then
    cat "$tmp/cc.err"; echo "faults: cannot build t/faults/load.c, hold.c"; exit 1
fi
email="faults-$$-$(date +%s)@example.test"
pw="faults correct horse 1"
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$pw\"}" "$URL/api/v1/auth/register" ||
    { echo "faults: register failed"; exit 1; }
token=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$pw\"}" "$URL/api/v1/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') ||
    { echo "faults: login failed"; exit 1; }
nworkers=$("$STACK" workers-pids | wc -l)
[ "$nworkers" -gt 0 ] || { echo "faults: no workers"; exit 1; }
max_conn=$(psql_admin -c "SHOW max_connections") || exit 1
reserved=$(psql_admin -c "SHOW superuser_reserved_connections") || exit 1

# --- the faults: each prints nothing, returns once the fault has ended ---

fault_pg_restart() {
    "$STACK" pg-stop >/dev/null 2>&1 || return 1
    sleep 2
    "$STACK" pg-start >/dev/null 2>&1
}

# wait_workers N SECONDS [OLD_PIDS]: until N workers run, none of OLD_PIDS
wait_workers() {
    local want=$1 n=$(( $2 * 10 )) old=${3:-} pids p stale
    while [ "$n" -gt 0 ]; do
        pids=$("$STACK" workers-pids)
        stale=0
        for p in $old; do grep -qx "$p" <<<"$pids" && stale=1; done
        [ "$(grep -c . <<<"$pids")" -eq "$want" ] && [ "$stale" = 0 ] && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# The busiest worker (most CPU time): idle ones wait in accept(), and the
# kernel hands most connections to the same few, so killing "the first"
# would often kill one with no request in flight.
fault_worker_kill() {
    local pid p t best=-1
    for p in $("$STACK" workers-pids); do
        t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || continue
        [ -n "$t" ] && [ "$t" -gt "$best" ] && { best=$t; pid=$p; }
    done
    [ -n "${pid:-}" ] || return 1
    kill -KILL "$pid" || return 1
    wait_workers "$nworkers" 10 "$pid"
}

fault_supervisor_hup() {
    local old
    old=$("$STACK" workers-pids)
    "$STACK" supervisor-signal HUP >/dev/null || return 1
    wait_workers "$nworkers" 15 "$old"
}

fault_nginx_reload() {
    "$STACK" nginx-reload >/dev/null
}

fault_pg_exhaust() {
    # idle clients of the app's role on every slot but the superusers'
    # (and then some): new connections are refused for 4 s
    "$tmp/hold" "$TASKMAN_TEST_DATABASE_URL" "$max_conn" 4 >"$tmp/exhaust.count"
}

fault_db_stall() {
    psql_admin -c "BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(7); COMMIT;" \
        >/dev/null
}

# --- checks ---

# wedge_check: as many workers as at the start, none stopped or in
# uninterruptible sleep, and 2 x workers parallel requests all 200 in 5 s.
wedge_check() {
    local pids p st i ok=0
    wait_workers "$nworkers" 5 || { echo "workers: $("$STACK" workers-pids | wc -l), want $nworkers"; return 1; }
    pids=$("$STACK" workers-pids)
    for p in $pids; do
        st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
        case $st in R|S) ;; *) echo "worker $p in state '$st'"; return 1 ;; esac
    done
    for i in $(seq 1 $((2 * nworkers))); do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 \
            -H "Authorization: Bearer $token" "$URL/api/v1/tasks?limit=1" >"$tmp/wedge.$i" &
    done
    wait
    for i in $(seq 1 $((2 * nworkers))); do
        [ "$(cat "$tmp/wedge.$i")" = 200 ] && ok=$((ok + 1))
    done
    [ "$ok" -eq $((2 * nworkers)) ] || { echo "burst: $ok of $((2 * nworkers)) answered 200"; return 1; }
}

# writes_found FILE: how many of the ids in FILE are tasks in the database
writes_found() {
    { echo "CREATE TEMP TABLE acked (id uuid);"
      echo "COPY acked FROM STDIN;"
      cat "$1"
      printf '\\.\n'
      echo "SELECT count(*) FROM acked a JOIN tasks t ON t.id = a.id;"
    } | psql_admin
}

failed=0
report=()

run_fault() {
    local name=$1 fn=$2 t0 t1 log=$tmp/$1 lpid rc=0 why=() stats
    rm -f "$log".* "$log.stop"
    "$tmp/load" "$URL" "$token" 600 "$CLIENTS" "$log" 200000 &
    lpid=$!
    sleep "$PRE"
    t0=$(now_ms)
    "$fn" || why+=("the fault itself failed")
    t1=$(now_ms)
    sleep "$POST"
    : >"$log.stop"            # the clients finish their request and stop
    wait "$lpid" 2>/dev/null
    cat "$log".[0-9]* >"$log.all" 2>/dev/null
    awk '$6 != "-" { print $6 }' "$log.all" | sort -u >"$log.ids"

    # sent acked errors-by-status bad-status bad-type early late recover
    stats=$(awk -v t0="$t0" -v t1="$t1" -v rmax="$RECOVER_MAX" '
        { n++ }
        $3 == 201 { acked++ }
        $3 >= 200 && $3 < 300 { if ($1 > t1) okafter++; next }
        {
            err[$3]++
            if ($3 != 502 && $3 != 503 && $3 != 504) badst++
            else if ($4 != 1) badct++
            if ($1 < t0) early++
            if ($1 > t1 + rmax * 1000) late++
            if ($1 > last) last = $1
        }
        END {
            s = ""
            for (k in err) s = s (s == "" ? "" : ",") k ":" err[k]
            rec = (last > t1) ? (last - t1) / 1000 : 0
            printf "%d %d %s %d %d %d %d %.1f %d\n", n, acked, (s == "" ? "none" : s),
                badst, badct, early, late, rec, okafter
        }' "$log.all")
    read -r sent acked errs badst badct early late recov okafter <<<"$stats"
    found=$(writes_found "$log.ids") || found=error
    [ "$sent" -gt 0 ] || why+=("no traffic")
    [ "$found" = "$acked" ] && [ "$acked" = "$(grep -c . "$log.ids")" ] ||
        why+=("acknowledged writes lost: $found of $acked found")
    [ "$acked" -gt 0 ] || why+=("no write was acknowledged")
    [ "$badst" = 0 ] || why+=("$badst errors with a status other than 502/503/504")
    [ "$badct" = 0 ] || why+=("$badct errors that are not problem+json")
    [ "$early" = 0 ] || why+=("$early errors before the fault")
    [ "$late" = 0 ] || why+=("$late errors more than ${RECOVER_MAX} s after the fault")
    [ "$okafter" -gt 0 ] || why+=("nothing answered after the fault")
    out=$(wedge_check) || why+=("wedged: $out")
    if [ "${#why[@]}" -gt 0 ]; then
        rc=1
        failed=1
    fi
    report+=("$(printf '%-15s %-4s %8s %6s %6s  %5ss  %6.1fs  %s' "$name" \
        "$([ $rc = 0 ] && echo PASS || echo FAIL)" "$sent" "$acked" "$found" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')" "$recov" "$errs")")
    echo "${report[-1]}"
    for w in "${why[@]}"; do echo "    $w"; done
    if [ "$name" = pg-exhaust ] && [ -f "$tmp/exhaust.count" ]; then
        echo "    (client connections during the fault: $(cat "$tmp/exhaust.count") of max_connections $max_conn)"
    fi
}

echo "faults: $CLIENTS clients, ${PRE} s of traffic before each fault, ${POST} s after; $nworkers workers"
printf '%-15s %-4s %8s %6s %6s  %6s  %7s  %s\n' fault ok sent acked found fault recover "errors (status:count)"
for f in ${FAULTS:-pg-restart worker-kill supervisor-hup nginx-reload pg-exhaust db-stall}; do
    run_fault "$f" "fault_${f//-/_}"
done
echo "----- summary"
printf '%-15s %-4s %8s %6s %6s  %6s  %7s  %s\n' fault ok sent acked found fault recover "errors (status:count)"
printf '%s\n' "${report[@]}"
[ "$failed" = 0 ] && echo "faults: all passed" || echo "faults: FAILED"
exit "$failed"
