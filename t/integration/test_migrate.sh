#!/usr/bin/env bash
# test_migrate.sh — `taskmanctl migrate` against a real, EMPTY database.
#
# Environment:
#   TASKMAN_MIGRATE_DATABASE_URL  libpq URI/conninfo of an empty database,
#                                 connecting as its owner (taskman_owner);
#                                 the role taskman_app must exist
#   TASKMAN_BIN                   directory containing taskmanctl
#   TASKMAN_SCHEMA_DIR            directory of the NNNN_name.{up,down}.sql files
#
# Checks: status/up/down all the way/up again, that `down all` leaves no
# taskman relation or function behind, RLS forced on the user-data tables,
# exit codes 64/78, and that runs never interleave (pg_advisory_lock): a run
# waits while another session holds the lock, and two concurrent `up`s apply
# each migration exactly once.  Leaves the database fully migrated.
# Last line: "N passed, N failed"; exit status 0 only if nothing failed.

set -u

LOCK_KEY=32758245649899886      # MIGRATE_LOCK_KEY in src/ctl/migrate.h
TIMEOUT=60                      # seconds for any single taskmanctl run
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_migrate.XXXXXX") || exit 1
bgpids=()

cleanup() {
	local p
	for p in "${bgpids[@]}"; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

ok()  { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; shift; [ $# -gt 0 ] && printf '    %s\n' "$@"; return 0; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

for v in TASKMAN_MIGRATE_DATABASE_URL TASKMAN_BIN TASKMAN_SCHEMA_DIR; do
	if [ -z "${!v:-}" ]; then
		nok "environment: $v is not set"
	fi
done
[ "$fail" -eq 0 ] || finish

CTL=$TASKMAN_BIN/taskmanctl
if [ ! -x "$CTL" ]; then
	nok "environment: $CTL is not an executable"
	finish
fi
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PSQL" ]; then
	nok "environment: psql not found"
	finish
fi
export TASKMAN_MIGRATE_DATABASE_URL TASKMAN_SCHEMA_DIR

nmig=$(find "$TASKMAN_SCHEMA_DIR" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]_*.up.sql' | wc -l)

# sql QUERY: one value (or rows joined by '|') from the database, as the owner.
sql() {
	"$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$TASKMAN_MIGRATE_DATABASE_URL" -c "$1" 2>&1
}

# run NAME WANT_RC ARGS...: runs taskmanctl, output in $tmp/NAME.out
run() {
	local name=$1 want=$2 rc
	shift 2
	timeout "$TIMEOUT" "$CTL" "$@" >"$tmp/$name.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "taskmanctl $* -> exit $want"
	else
		nok "taskmanctl $* -> exit $want (got $rc)" "$(cat "$tmp/$name.out")"
	fi
}

# expect NAME WANT GOT
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "want: $2" "got:  $3"; fi
}

# has NAME FILE PATTERN: FILE contains an extended regex
has() {
	if grep -Eq -- "$3" "$2"; then ok "$1"; else nok "$1" "no /$3/ in:" "$(cat "$2")"; fi
}

# What migrations leave behind in non-system schemas, besides schema_migrations.
leftovers() {
	sql "SELECT coalesce(string_agg(x, ',' ORDER BY x), '') FROM (
	       SELECT c.relname::text AS x FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
	          AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
	          AND c.relname NOT IN ('schema_migrations', 'schema_migrations_pkey')
	       UNION ALL
	       SELECT p.proname || '()' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')) s"
}

# Waits (up to 20 s) until some session holds the migration advisory lock.
wait_lock_held() {
	local i
	for i in $(seq 1 200); do
		if [ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
		              AND objsubid = 1
		              AND ((classid::bigint << 32) | objid::bigint) = $LOCK_KEY")" = 1 ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# Waits (up to 20 s) until FILE contains PATTERN.
wait_for_output() {
	local i
	for i in $(seq 1 200); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# --- preconditions ----------------------------------------------------------
if [ "$nmig" -ge 1 ]; then ok "schema dir has $nmig migration(s)"; else nok "no migrations in $TASKMAN_SCHEMA_DIR"; fi
got=$(sql "SELECT 1")
if [ "$got" != 1 ]; then
	nok "database reachable" "$got"
	finish
fi
expect "database starts empty" "" "$(leftovers)"

# --- command line -----------------------------------------------------------
run usage1 64 migrate
run usage2 64 migrate sideways
run usage3 64 migrate up 0
run usage4 64 migrate down -3
run usage5 64 migrate status extra
run config1 78 migrate status --schema-dir "$tmp/does-not-exist"
mkdir "$tmp/gap" && touch "$tmp/gap/0001_a.up.sql" "$tmp/gap/0001_a.down.sql" \
	"$tmp/gap/0003_c.up.sql" "$tmp/gap/0003_c.down.sql"
run config2 78 migrate status --schema-dir "$tmp/gap"
TASKMAN_MIGRATE_DATABASE_URL="no_such_option=1" run config3 78 migrate status

# --- up / status / down all / up --------------------------------------------
run status0 0 migrate status
has "status lists pending migrations" "$tmp/status0.out" "0 applied, $nmig pending"

run up1 0 migrate up
has "up applied 0001" "$tmp/up1.out" "^applied 0001_"
expect "schema_migrations has every version" "$nmig" "$(sql "SELECT count(*) FROM schema_migrations")"
expect "versions are 1..N" "$nmig" "$(sql "SELECT coalesce(max(version), 0) FROM schema_migrations")"

run status1 0 migrate status
has "status after up: nothing pending" "$tmp/status1.out" "$nmig applied, 0 pending"

expect "RLS enabled and forced on every table but login_throttle" "" \
	"$(sql "SELECT coalesce(string_agg(relname, ','), '') FROM pg_class
	         WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace
	           AND relname NOT IN ('schema_migrations', 'login_throttle')
	           AND NOT (relrowsecurity AND relforcerowsecurity)")"
expect "core tables exist" "8" \
	"$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN
	         ('users', 'refresh_sessions', 'audit_events', 'projects', 'sprints',
	          'tasks', 'action_lists', 'idempotency_keys')")"
expect "taskman_app may read schema_migrations" "t" \
	"$(sql "SELECT has_table_privilege('taskman_app', 'schema_migrations', 'SELECT')")"
expect "taskman_app may not truncate tasks" "f" \
	"$(sql "SELECT has_table_privilege('taskman_app', 'tasks', 'TRUNCATE')")"

run up2 0 migrate up
has "second up has nothing to apply" "$tmp/up2.out" "nothing to apply"

run down1 0 migrate down
has "down reverts the newest migration" "$tmp/down1.out" "^reverted $(printf %04d "$nmig")_"
expect "down removed one version" "$((nmig - 1))" "$(sql "SELECT count(*) FROM schema_migrations")"

run downall 0 migrate down all
expect "down all leaves no versions" "0" "$(sql "SELECT count(*) FROM schema_migrations")"
expect "down all leaves no taskman tables or functions" "" "$(leftovers)"
expect "down all takes back taskman_app's privileges" "f" \
	"$(sql "SELECT has_table_privilege('taskman_app', 'schema_migrations', 'SELECT')")"

run down2 0 migrate down
has "down with nothing applied is a no-op" "$tmp/down2.out" "nothing to revert"

run up3 0 migrate up 1
expect "up 1 applies one step" "1" "$(sql "SELECT count(*) FROM schema_migrations")"
run down3 0 migrate down 1000
expect "down N > applied reverts all" "0" "$(sql "SELECT count(*) FROM schema_migrations")"

# --- advisory lock ------------------------------------------------------------
# A session holds the lock for 3 s; a run started meanwhile must wait for it.
"$PSQL" -X -q -d "$TASKMAN_MIGRATE_DATABASE_URL" \
	-c "SELECT pg_advisory_lock($LOCK_KEY)" -c "SELECT pg_sleep(3)" >/dev/null 2>&1 &
holder=$!
bgpids+=("$holder")
if wait_lock_held; then
	ok "test session holds the migration lock"
	timeout "$TIMEOUT" "$CTL" migrate up >"$tmp/lockwait.out" 2>&1 &
	waiter=$!
	bgpids+=("$waiter")
	if wait_for_output "$tmp/lockwait.out" "waiting for another migration run"; then
		ok "run waits while the lock is held"
	else
		nok "run waits while the lock is held" "$(cat "$tmp/lockwait.out")"
	fi
	expect "nothing applied while waiting" "0" "$(sql "SELECT count(*) FROM schema_migrations")"
	wait "$waiter"
	rc=$?
	expect "waiting run succeeds after the lock is released (exit)" "0" "$rc"
	expect "waiting run applied everything" "$nmig" "$(sql "SELECT count(*) FROM schema_migrations")"
else
	nok "test session holds the migration lock"
fi
wait "$holder" 2>/dev/null

# Two concurrent `up`s, released together: each migration applied exactly once.
run downall2 0 migrate down all
"$PSQL" -X -q -d "$TASKMAN_MIGRATE_DATABASE_URL" \
	-c "SELECT pg_advisory_lock($LOCK_KEY)" -c "SELECT pg_sleep(2)" >/dev/null 2>&1 &
holder=$!
bgpids+=("$holder")
wait_lock_held || nok "test session holds the migration lock (2)"
timeout "$TIMEOUT" "$CTL" migrate up >"$tmp/conc1.out" 2>&1 &
c1=$!
timeout "$TIMEOUT" "$CTL" migrate up >"$tmp/conc2.out" 2>&1 &
c2=$!
bgpids+=("$c1" "$c2")
wait "$c1"; rc1=$?
wait "$c2"; rc2=$?
wait "$holder" 2>/dev/null
expect "concurrent up #1 succeeds" "0" "$rc1"
expect "concurrent up #2 succeeds" "0" "$rc2"
expect "concurrent ups applied 0001 exactly once" "1" \
	"$(cat "$tmp/conc1.out" "$tmp/conc2.out" | grep -c '^applied 0001_')"
expect "concurrent ups: one found nothing to apply" "1" \
	"$(cat "$tmp/conc1.out" "$tmp/conc2.out" | grep -c 'nothing to apply')"
expect "schema_migrations consistent after concurrent ups" "$nmig|$nmig" \
	"$(sql "SELECT count(*) || '|' || max(version) FROM schema_migrations")"
if [ "$fail" -ne 0 ]; then
	printf '    run 1: %s\n' "$(cat "$tmp/conc1.out")"
	printf '    run 2: %s\n' "$(cat "$tmp/conc2.out")"
fi

run status2 0 migrate status
has "final status: fully migrated" "$tmp/status2.out" "$nmig applied, 0 pending"

finish
