#!/usr/bin/env bash
# test_definer.sh — SECURITY DEFINER functions cannot be fooled with
# temporary objects (issue 10, item 1).
#
# Environment:
#   TASKMAN_TEST_ADMIN_DATABASE_URL  superuser on a migrated database
#   TASKMAN_DATABASE_URL             the workers' role (taskman_app) on it
#
# Checks:
#   1. every SECURITY DEFINER function of the database (whichever migration
#      made it, later ones included) pins search_path = pg_catalog, public,
#      pg_temp -- listed, and failing on the first one that does not;
#   2. the workers' role cannot create temporary objects at all (no
#      TEMPORARY on the database): CREATE TEMP VIEW login_throttle fails;
#   3. even WITH TEMPORARY (granted for the test, revoked after), a temp
#      table named like one a definer function reads (refresh_sessions, read
#      by taskman_logout as the owner) is not used: PostgreSQL searches
#      pg_temp first unless the path names it, so without the pinned path
#      logout would answer with the user id planted in the temp table.
# Last line: "N passed, N failed"; exit status 0 only if nothing failed.

set -u
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; shift; [ $# -gt 0 ] && printf '    %s\n' "$@"; return 0; }

for v in TASKMAN_TEST_ADMIN_DATABASE_URL TASKMAN_DATABASE_URL; do
    [ -n "${!v:-}" ] || { echo "$v is not set"; exit 2; }
done
admin() { psql -X -q -At -v ON_ERROR_STOP=1 "$TASKMAN_TEST_ADMIN_DATABASE_URL" "$@"; }
app()   { psql -X -q -At -v ON_ERROR_STOP=1 "$TASKMAN_DATABASE_URL" "$@"; }
dbname=$(admin -c 'SELECT current_database()') || { echo "cannot connect as superuser"; exit 2; }
revoke_temp() { admin -c "REVOKE TEMPORARY ON DATABASE \"$dbname\" FROM taskman_app" >/dev/null 2>&1; }
trap revoke_temp EXIT

# 1. the list
list=$(admin -c "SELECT p.oid::regprocedure || ' ' || coalesce(array_to_string(p.proconfig, ';'), '(no SET)')
                   FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  ORDER BY 1") || { nok "listing definer functions"; list=""; }
echo "SECURITY DEFINER functions:"
printf '%s\n' "$list" | sed 's/^/    /'
bad=$(printf '%s\n' "$list" | grep -v -E ' (.*;)?search_path=pg_catalog, ?public, ?pg_temp(;.*)?$' | grep -v '^$')
n=$(printf '%s\n' "$list" | grep -c .)
if [ "$n" -ge 5 ] && [ -z "$bad" ]; then
    ok "all $n SECURITY DEFINER functions pin search_path = pg_catalog, public, pg_temp"
else
    nok "every SECURITY DEFINER function pins search_path = pg_catalog, public, pg_temp" \
        "without it (or too few listed: $n):" "$bad"
fi

# 2. no temporary objects for the app role
out=$(app -c "CREATE TEMP VIEW login_throttle AS SELECT 'x'::text AS key" 2>&1)
if [ $? -ne 0 ] && printf '%s' "$out" | grep -q 'permission denied'; then
    ok "taskman_app cannot create a temp view (no TEMPORARY privilege)"
else
    nok "taskman_app cannot create a temp view" "$out"
fi
if [ "$(admin -c "SELECT has_database_privilege('taskman_app', current_database(), 'TEMPORARY')")" = f ]; then
    ok "taskman_app has no TEMPORARY on the database"
else
    nok "taskman_app has no TEMPORARY on the database"
fi

# 3. shadowing with TEMPORARY granted anyway
admin -c "GRANT TEMPORARY ON DATABASE \"$dbname\" TO taskman_app" >/dev/null
out=$(app 2>&1 <<'SQL'
CREATE TEMP TABLE refresh_sessions (user_id uuid, family_id uuid, token_hash bytea,
                                    revoked_at timestamptz);
INSERT INTO refresh_sessions VALUES ('00000000-0000-4000-8000-00000000dead',
    gen_random_uuid(), sha256('planted'), NULL);
GRANT ALL ON refresh_sessions TO PUBLIC;
SELECT coalesce(taskman_logout(sha256('planted'), '127.0.0.1', 'test-definer')::text, 'none');
SQL
)
revoke_temp
if [ "$out" = none ]; then
    ok "a temp table named refresh_sessions is not what taskman_logout reads"
else
    nok "a temp table named refresh_sessions is not what taskman_logout reads" \
        "taskman_logout answered: $out"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
