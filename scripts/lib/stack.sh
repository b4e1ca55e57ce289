# shellcheck shell=bash
# scripts/lib/stack.sh -- start and stop a local taskman stack
# (PostgreSQL -> taskman-fcgi workers -> nginx) rooted in a directory D.
# Sourced by scripts/run, scripts/check, scripts/bench and scripts/lib/stackctl.
#
#   . scripts/lib/stack.sh
#   stack_install_traps                 # EXIT/INT/TERM -> stack_down
#   stack_up ./var/mystack [PORT] [local|production|FILE]
#   curl "$STACK_URL/health/live"
#
# Layout of D:
#   D/stack.env       state (pids, port, paths, database URLs; never the JWT
#                     secret), read by scripts/lib/stackctl
#   D/stackctl        wrapper: scripts/lib/stackctl bound to this stack
#   D/log/            workers.log, nginx-access.log, nginx-error.log,
#                     postgres.log (copied here if the cluster lived in /tmp)
#   D/nginx/nginx.conf  generated from nginx/local.conf.in
# Runtime files other users must reach (the PostgreSQL cluster, the workers'
# socket, nginx's temp dirs) live in $STACK_RT: D itself, or a fresh
# directory under /tmp when D cannot be reached by the postgres / www-data
# users (e.g. a clone under /root) or its path is too long for a unix socket.
#
# Functions return non-zero with a message on stderr; none of them exits.
# Safe with or without `set -e`/`set -u` in the caller.

STACK_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${TASKMAN_BIN:=$STACK_REPO/src}"
: "${STACK_STOP_TIMEOUT:=15}"

stack_log() { printf 'stack: %s\n' "$*" >&2; }

stack__is_root() { [ "$(id -u)" -eq 0 ]; }

# Processes are looked up in /proc, not with ps/pgrep: procps is not in
# every minimal image.

# stack__alive PID: the process exists and is not a zombie.
stack__alive() {
    local s
    [ -n "${1:-}" ] || return 1
    { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
    s=${s##*) }
    [ "${s%% *}" != Z ]
}

# stack__children PID: the live child processes of PID, in pid order.
stack__children() {
    local f s state ppid
    for f in /proc/[0-9]*/stat; do
        { read -r s <"$f"; } 2>/dev/null || continue
        s=${s##*) }
        read -r state ppid _ <<<"$s"
        if [ "$ppid" = "$1" ] && [ "$state" != Z ]; then
            f=${f#/proc/}
            echo "${f%/stat}"
        fi
    done | sort -n
}

# stack__wait_gone PID SECONDS: 0 once PID is gone, 1 on timeout.
stack__wait_gone() {
    local pid=$1 n=$(( $2 * 10 ))
    while [ "$n" -gt 0 ]; do
        stack__alive "$pid" || return 0
        sleep 0.1
        n=$((n - 1))
    done
    ! stack__alive "$pid"
}

# stack__stop_orphans "PID...": after their parent is gone, SIGTERM the
# children still alive, and SIGKILL them after 5 s.
stack__stop_orphans() {
    local c left="" still n=50
    for c in $1; do
        stack__alive "$c" && { kill -TERM "$c" 2>/dev/null; left="$left $c"; }
    done
    while [ -n "$left" ] && [ "$n" -gt 0 ]; do
        sleep 0.1
        n=$((n - 1))
        still=""
        for c in $left; do
            stack__alive "$c" && still="$still $c"
        done
        left=$still
    done
    for c in $left; do
        kill -KILL "$c" 2>/dev/null
    done
}

# stack__sed_escape STRING: STRING made safe as a sed replacement with '|'.
stack__sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

# ---------------------------------------------------------------------------
# Dependencies

# clang + libclang-rt-14-dev: /usr/bin/clang and libFuzzer (Debian 12's
# LLVM 14) for scripts/fuzz. gcovr, cppcheck: coverage and static analysis
# in scripts/check.
STACK_DEB_PACKAGES="build-essential autoconf automake libtool pkg-config
libfcgi-dev libpq-dev libjson-c-dev libssl-dev libargon2-dev libcriterion-dev
libcurl4-openssl-dev postgresql nginx-light spawn-fcgi wrk curl ca-certificates
clang libclang-rt-14-dev openssl python3
gcovr cppcheck"

# stack_install_deps: apt-get install whichever of STACK_DEB_PACKAGES is
# missing; runs apt-get update only then. Uses sudo when not root.
stack_install_deps() {
    local p missing=() sudo=()
    if ! command -v dpkg-query >/dev/null 2>&1; then
        stack_log "no dpkg-query (not Debian?): not installing packages; needed: $(tr '\n' ' ' <<<"$STACK_DEB_PACKAGES")"
        return 0
    fi
    for p in $STACK_DEB_PACKAGES; do
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
            missing+=("$p")
    done
    # npx (the OpenAPI linter, js-yaml, Redoc): any Node.js will do, Debian's if none
    command -v npx >/dev/null 2>&1 || missing+=(nodejs npm)
    # --- web app (web/, docs/WEB.md): npm builds it (above); its end-to-end
    # tests (STACK_WITH_BROWSER=1, scripts/check) drive Debian's Chromium,
    # never a browser downloaded by a test tool. Fonts: readable screenshots.
    if [ "${STACK_WITH_BROWSER:-0}" = 1 ]; then
        [ -x /usr/bin/chromium ] || missing+=(chromium)
        [ "$(dpkg-query -W -f='${Status}' fonts-liberation 2>/dev/null)" = "install ok installed" ] ||
            missing+=(fonts-liberation)
    fi
    # --- end web app
    [ "${#missing[@]}" -eq 0 ] && return 0
    if ! stack__is_root; then
        command -v sudo >/dev/null 2>&1 || {
            stack_log "missing packages (${missing[*]}) and no sudo: install them as root"
            return 1
        }
        sudo=(sudo)
    fi
    stack_log "installing: ${missing[*]}"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
       ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        stack_log "apt-get install failed"
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Small helpers

# stack__port_busy PORT: something listens on TCP PORT.
stack__port_busy() {
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Htln "( sport = :$1 )" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# stack_free_port: print a TCP port in 20000-60000 nothing listens on.
stack_free_port() {
    local _ p
    for _ in $(seq 1 200); do
        p=$(( 20000 + ((RANDOM << 15) | RANDOM) % 40001 ))
        if ! stack__port_busy "$p"; then
            echo "$p"
            return 0
        fi
    done
    stack_log "no free port found"
    return 1
}

# stack_build_intree: build in the source tree the way scripts/run does
# (autoreconf -fi if there is no configure; ./configure if there is no
# Makefile; make -j2).
stack_build_intree() {
    ( cd "$STACK_REPO" &&
      { [ -x configure ] || autoreconf -fi; } &&
      { [ -f Makefile ] || ./configure; } &&
      make -j2 ) || { stack_log "build failed"; return 1; }
}

# --- web app (web/, docs/WEB.md) ---------------------------------------------
# stack_web_build [OUT]: scripts/build-web into OUT (default ./var/web),
# where the local nginx serves it.
stack_web_build() {
    "$STACK_REPO/scripts/build-web" "${1:-$STACK_REPO/var/web}"
}
# --- end web app

stack__nginx_bin() {
    if [ -n "${NGINX:-}" ]; then echo "$NGINX"
    elif command -v nginx >/dev/null 2>&1; then command -v nginx
    else echo /usr/sbin/nginx
    fi
}

# The user nginx's worker processes run as, and that must reach the socket.
stack__nginx_user() {
    if stack__is_root; then echo "${STACK_NGINX_USER:-www-data}"; else id -un; fi
}

stack__pg_user() {
    if stack__is_root; then echo postgres; else id -un; fi
}

# stack__set_dir D: create D (and D/log) and make STACK_DIR its absolute
# path, unless a stack is already being built.
stack__set_dir() {
    mkdir -p "$1/log" && chmod 0755 "$1" || return 1
    [ -n "${STACK_DIR:-}" ] || STACK_DIR=$(cd "$1" && pwd)
}

# stack__runtime D: choose STACK_RT (see the header).
stack__runtime() {
    local d=$1 u bad=""
    [ -n "${STACK_RT:-}" ] && return 0
    STACK_RT=$d
    STACK_RT_TEMP=0
    if stack__is_root; then
        for u in postgres "$(stack__nginx_user)"; do
            runuser -u "$u" -- test -x "$d" 2>/dev/null || bad="$bad $u"
        done
    fi
    # sun_path holds 107 bytes: $RT/pg/.s.PGSQL.NNNNN and $RT/run/taskman.sock.
    if [ -n "$bad" ] || [ $(( ${#d} + 20 )) -gt 100 ]; then
        STACK_RT=$(mktemp -d /tmp/taskman-stack.XXXXXX) || return 1
        chmod 0755 "$STACK_RT"
        STACK_RT_TEMP=1
        if [ -n "$bad" ]; then
            stack_log "$d is not reachable for user(s)$bad (a parent directory is not traversable);"
        else
            stack_log "$d is too long a path for unix sockets;"
        fi
        stack_log "the cluster, sockets and nginx temp files go to $STACK_RT instead (removed by stack_down)"
    fi
}

# stack__save: write the state to $STACK_DIR/stack.env (mode 0600: an
# external TASKMAN_DATABASE_URL may hold a password) and the D/stackctl
# wrapper. The JWT secret is never written.
stack__save() {
    local v f
    [ -n "${STACK_DIR:-}" ] || return 0
    f=$STACK_DIR/stack.env
    (umask 077; {
        echo "# taskman stack state, written by scripts/lib/stack.sh"
        for v in STACK_DIR STACK_REPO STACK_RT STACK_RT_TEMP \
                 STACK_PG_ROOT STACK_PG_DATA STACK_PG_BINDIR STACK_PG_USER \
                 STACK_PG_PORT STACK_PG_STARTED STACK_PG_PID \
                 STACK_WORKERS_PID STACK_SOCKET STACK_JOBS_PID STACK_METRICS_FILE \
                 STACK_NGINX_PID STACK_NGINX_CONF STACK_NGINX_PREFIX \
                 STACK_NGINX_USER STACK_PORT STACK_RATELIMIT_CONF STACK_URL \
                 STACK_METRICS_PORT STACK_METRICS_URL \
                 TASKMAN_BIN; do
            printf '%s=%q\n' "$v" "${!v:-}"
        done
        for v in TASKMAN_DATABASE_URL TASKMAN_MIGRATE_DATABASE_URL \
                 TASKMAN_TEST_ADMIN_DATABASE_URL TASKMAN_JOBS_DATABASE_URL; do
            printf 'export %s=%q\n' "$v" "${!v:-}"
        done
    } >"$f.tmp") && mv -f "$f.tmp" "$f"
    if [ ! -x "$STACK_DIR/stackctl" ]; then
        printf '#!/usr/bin/env bash\n# stackctl bound to this stack (see scripts/lib/stackctl)\nexec %q --dir %q "$@"\n' \
            "$STACK_REPO/scripts/lib/stackctl" "$STACK_DIR" >"$STACK_DIR/stackctl"
        chmod 0755 "$STACK_DIR/stackctl"
    fi
}

# ---------------------------------------------------------------------------
# PostgreSQL: a throwaway cluster, unix socket only, trust authentication.

stack__pg_bindir() {
    local d
    if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return 0; fi
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    d=$(command -v pg_ctl 2>/dev/null) && { dirname "$d"; return 0; }
    stack_log "PostgreSQL server binaries (pg_ctl) not found; set PG_BINDIR"
    return 1
}

# stack__as_pg CMD...: run CMD as the cluster's owner.
stack__as_pg() {
    if stack__is_root; then
        ( cd / && runuser -u "$STACK_PG_USER" -- "$@" )
    else
        "$@"
    fi
}

# stack__conninfo USER DBNAME: libpq conninfo for the stack's cluster.
stack__conninfo() {
    printf 'host=%s port=%s dbname=%s user=%s' "$STACK_PG_ROOT" "$STACK_PG_PORT" "$2" "$1"
}

# stack__psql_admin: psql as superuser on database postgres, SQL on stdin.
stack__psql_admin() {
    local psql=psql
    [ -x "$STACK_PG_BINDIR/psql" ] && psql=$STACK_PG_BINDIR/psql
    "$psql" -X -q -v ON_ERROR_STOP=1 "$(stack__conninfo postgres postgres)"
}

# stack_pg_start D: unless TASKMAN_DATABASE_URL is set, create (first time)
# and start a cluster in $STACK_RT/pg, create the roles taskman_owner and
# taskman_app and the database taskman, and export
#   TASKMAN_DATABASE_URL             taskman_app on taskman (the workers)
#   TASKMAN_MIGRATE_DATABASE_URL     taskman_owner on taskman (migrations)
#   TASKMAN_TEST_ADMIN_DATABASE_URL  superuser postgres on taskman (tests)
# An existing cluster (scripts/run's ./var/pg) is reused.
# STACK_PG_SYNC_COMMIT=on (scripts/bench, durable) waits for the WAL flush.
# STACK_PG_FSYNC=off (scripts/check) trades crash safety for
# speed in a cluster created now.
stack_pg_start() {
    local d=$1 port loc
    if [ -n "${TASKMAN_DATABASE_URL:-}" ] && [ "${STACK_PG_EXPORTED:-0}" != 1 ]; then
        stack_log "using the database in TASKMAN_DATABASE_URL (no local cluster)"
        return 0
    fi
    stack__set_dir "$d" || return 1
    stack__runtime "$STACK_DIR" || return 1
    STACK_PG_BINDIR=$(stack__pg_bindir) || return 1
    STACK_PG_USER=$(stack__pg_user)
    STACK_PG_ROOT=$STACK_RT/pg
    STACK_PG_DATA=$STACK_PG_ROOT/data

    if [ ! -s "$STACK_PG_DATA/PG_VERSION" ]; then
        rm -rf "$STACK_PG_DATA"
        mkdir -p "$STACK_PG_ROOT" && chmod 0700 "$STACK_PG_ROOT" || return 1
        stack__is_root && chown "$STACK_PG_USER:" "$STACK_PG_ROOT"
        if ! stack__as_pg test -w "$STACK_PG_ROOT"; then
            stack_log "user $STACK_PG_USER cannot write $STACK_PG_ROOT"
            return 1
        fi
        port=$(stack_free_port) || return 1
        case $(locale -a 2>/dev/null) in
            *C.utf8*|*C.UTF-8*) loc=--locale=C.UTF-8 ;;
            *)                  loc=--no-locale ;;
        esac
        stack_log "initdb $STACK_PG_DATA"
        if ! stack__as_pg "$STACK_PG_BINDIR/initdb" -D "$STACK_PG_DATA" -U postgres \
                -A trust -E UTF8 "$loc" >"$STACK_PG_ROOT/initdb.log" 2>&1; then
            stack_log "initdb failed:"; tail -n 20 "$STACK_PG_ROOT/initdb.log" >&2
            return 1
        fi
        cat >>"$STACK_PG_DATA/postgresql.conf" <<EOF

# --- taskman stack (scripts/lib/stack.sh): local only, unix socket only ---
port = $port
listen_addresses = ''
unix_socket_directories = '$STACK_PG_ROOT'
fsync = ${STACK_PG_FSYNC:-on}
full_page_writes = ${STACK_PG_FSYNC:-on}
synchronous_commit = ${STACK_PG_SYNC_COMMIT:-off}
max_connections = 100
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    fi
    STACK_PG_PORT=$(sed -n "s/^port = \([0-9][0-9]*\).*/\1/p" "$STACK_PG_DATA/postgresql.conf" | tail -n 1)
    [ -n "$STACK_PG_PORT" ] || { stack_log "no port in $STACK_PG_DATA/postgresql.conf"; return 1; }

    if stack__as_pg "$STACK_PG_BINDIR/pg_ctl" -D "$STACK_PG_DATA" status >/dev/null 2>&1; then
        stack_log "PostgreSQL in $STACK_PG_DATA is already running (another scripts/run?)."
        stack_log "stop it with: $STACK_PG_BINDIR/pg_ctl -D $STACK_PG_DATA stop  (as $STACK_PG_USER)"
        return 1
    fi
    stack_pg_server_start || return 1

    stack__psql_admin <<'SQL' >/dev/null || { stack_log "creating roles failed"; return 1; }
SELECT 'CREATE ROLE taskman_owner LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'taskman_owner') \gexec
SELECT 'CREATE ROLE taskman_app LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'taskman_app') \gexec
SELECT 'CREATE ROLE taskman_jobs LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'taskman_jobs') \gexec
SQL
    stack_pg_create_db taskman || return 1

    export TASKMAN_DATABASE_URL TASKMAN_MIGRATE_DATABASE_URL TASKMAN_TEST_ADMIN_DATABASE_URL
    export TASKMAN_JOBS_DATABASE_URL
    STACK_PG_EXPORTED=1
    TASKMAN_DATABASE_URL=$(stack__conninfo taskman_app taskman)
    TASKMAN_JOBS_DATABASE_URL=$(stack__conninfo taskman_jobs taskman)
    TASKMAN_MIGRATE_DATABASE_URL=$(stack__conninfo taskman_owner taskman)
    TASKMAN_TEST_ADMIN_DATABASE_URL=$(stack__conninfo postgres taskman)
    stack__save
}

# stack_pg_create_db NAME: create database NAME (if missing) owned by
# taskman_owner; only taskman_app, taskman_jobs (and the owner) may connect.
stack_pg_create_db() {
    local db=$1
    case $db in *[!a-z0-9_]*|"") stack_log "bad database name: $db"; return 1 ;; esac
    stack__psql_admin <<SQL >/dev/null || { stack_log "creating database $db failed"; return 1; }
SELECT 'CREATE DATABASE $db OWNER taskman_owner'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$db') \gexec
REVOKE ALL ON DATABASE $db FROM PUBLIC;
-- CONNECT only: no TEMPORARY, so the workers' role cannot create temp
-- objects (which could shadow tables; docs/SECURITY.md); the same for
-- taskman-jobs' role
GRANT CONNECT ON DATABASE $db TO taskman_app;
REVOKE TEMPORARY ON DATABASE $db FROM taskman_app;
GRANT CONNECT ON DATABASE $db TO taskman_jobs;
SQL
}

# stack_pg_db_url ROLE DBNAME: conninfo for another database of the cluster
# (ROLE: taskman_app, taskman_owner or postgres).
stack_pg_db_url() { stack__conninfo "$1" "$2"; }

# stack_pg_server_start: start the existing cluster again (same port,
# same socket); waits until it accepts connections.
stack_pg_server_start() {
    [ -n "${STACK_PG_DATA:-}" ] || { stack_log "no cluster"; return 1; }
    if stack__as_pg "$STACK_PG_BINDIR/pg_ctl" -D "$STACK_PG_DATA" status >/dev/null 2>&1; then
        return 0
    fi
    STACK_PG_STARTED=1     # before waiting: a failed start is still stopped
    if ! stack__as_pg "$STACK_PG_BINDIR/pg_ctl" -D "$STACK_PG_DATA" \
            -l "$STACK_PG_ROOT/postgres.log" -w -t 60 start >/dev/null 2>&1; then
        stack_log "PostgreSQL did not start; end of $STACK_PG_ROOT/postgres.log:"
        tail -n 20 "$STACK_PG_ROOT/postgres.log" >&2
        return 1
    fi
    STACK_PG_PID=$(head -n 1 "$STACK_PG_DATA/postmaster.pid" 2>/dev/null)
    stack__save
}

# stack_pg_stop: stop the cluster this shell started (fast shutdown: open
# sessions are disconnected). Safe when it is already stopped.
stack_pg_stop() {
    local pid cmd
    [ "${STACK_PG_STARTED:-0}" = 1 ] || return 0
    if ! stack__as_pg "$STACK_PG_BINDIR/pg_ctl" -D "$STACK_PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1; then
        stack__as_pg "$STACK_PG_BINDIR/pg_ctl" -D "$STACK_PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1
    fi
    pid=$(head -n 1 "$STACK_PG_DATA/postmaster.pid" 2>/dev/null)
    for pid in $pid ${STACK_PG_PID:-}; do
        stack__alive "$pid" || continue
        # Only a postmaster of this data directory (pids are reused).
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
        if [[ "$cmd" == *"-D $STACK_PG_DATA "* ]]; then
            stack_log "PostgreSQL ($pid) still running, killing it"
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    STACK_PG_PID=
    stack__save
}

# stack_pg_restart: stop and start the same cluster (same port and socket).
stack_pg_restart() {
    stack_pg_stop && stack_pg_server_start
}

# ---------------------------------------------------------------------------
# Migrations

# stack_migrate: taskmanctl migrate up, as taskman_owner.
stack_migrate() {
    local schema=${TASKMAN_SCHEMA_DIR:-$STACK_REPO/schema}
    [ -x "$TASKMAN_BIN/taskmanctl" ] || {
        stack_log "$TASKMAN_BIN/taskmanctl not found: build first (or set TASKMAN_BIN)"
        return 1
    }
    TASKMAN_MIGRATE_DATABASE_URL=${TASKMAN_MIGRATE_DATABASE_URL:-${TASKMAN_DATABASE_URL:-}} \
        "$TASKMAN_BIN/taskmanctl" migrate up --schema-dir "$schema" || {
        stack_log "migration failed"
        return 1
    }
}

# ---------------------------------------------------------------------------
# Workers

# stack_workers_start D: start taskman-fcgi (supervisor + TASKMAN_WORKERS
# workers, default 4) on $STACK_RT/run/taskman.sock; stderr goes to
# D/log/workers.log. TASKMAN_JWT_SECRET is generated when unset and kept in
# STACK_JWT_SECRET (never written or printed). Waits for the socket.
stack_workers_start() {
    local bin=$TASKMAN_BIN/taskman-fcgi group n log
    stack__set_dir "$1" || return 1
    stack__runtime "$STACK_DIR" || return 1
    [ -x "$bin" ] || { stack_log "$bin not found: build first (or set TASKMAN_BIN)"; return 1; }
    log=$STACK_DIR/log/workers.log
    mkdir -p "$STACK_RT/run" && chmod 0755 "$STACK_RT/run" || return 1
    STACK_SOCKET=$STACK_RT/run/taskman.sock
    STACK_METRICS_FILE=${TASKMAN_METRICS_FILE:-$STACK_RT/run/taskman.metrics}
    rm -f "$STACK_SOCKET"
    group=$(id -gn "$(stack__nginx_user)") || return 1
    if [ -z "${STACK_JWT_SECRET:-}" ]; then
        STACK_JWT_SECRET=${TASKMAN_JWT_SECRET:-$(openssl rand -hex 32)} || return 1
    fi
    env TASKMAN_LISTEN="$STACK_SOCKET" \
        TASKMAN_SOCKET_GROUP="$group" \
        TASKMAN_WORKERS="${TASKMAN_WORKERS:-4}" \
        TASKMAN_JWT_SECRET="$STACK_JWT_SECRET" \
        TASKMAN_METRICS_FILE="$STACK_METRICS_FILE" \
        TASKMAN_OPENAPI_FILE="${TASKMAN_OPENAPI_FILE:-$STACK_REPO/openapi.yaml}" \
        "$bin" </dev/null >>"$log" 2>&1 &
    STACK_WORKERS_PID=$!
    stack__save
    n=${STACK_WORKERS_WAIT:-30}0
    while [ ! -S "$STACK_SOCKET" ]; do
        if ! stack__alive "$STACK_WORKERS_PID"; then
            wait "$STACK_WORKERS_PID" 2>/dev/null
            stack_log "taskman-fcgi exited with status $?; end of $log:"
            tail -n 20 "$log" >&2
            STACK_WORKERS_PID=
            stack__save
            return 1
        fi
        n=$((n - 1))
        [ "$n" -gt 0 ] || { stack_log "no socket $STACK_SOCKET after ${STACK_WORKERS_WAIT:-30} s"; return 1; }
        sleep 0.1
    done
}

# stack_workers_pids: the worker processes (children of the supervisor).
stack_workers_pids() {
    [ -n "${STACK_WORKERS_PID:-}" ] && stack__children "$STACK_WORKERS_PID"
}

# stack_workers_stop: SIGTERM to the supervisor (workers finish their
# request, supervisor exits 0); SIGKILL to it and its workers after
# STACK_STOP_TIMEOUT seconds.
stack_workers_stop() {
    local pid=${STACK_WORKERS_PID:-} kids
    [ -n "$pid" ] || return 0
    if stack__alive "$pid"; then
        kids=$(stack__children "$pid")
        kill -TERM "$pid" 2>/dev/null
        if ! stack__wait_gone "$pid" "$STACK_STOP_TIMEOUT"; then
            stack_log "taskman-fcgi ($pid) ignored SIGTERM for $STACK_STOP_TIMEOUT s, killing it"
            kids="$kids $(stack__children "$pid")"
            kill -KILL "$pid" 2>/dev/null
        fi
        stack__stop_orphans "$kids"
    fi
    wait "$pid" 2>/dev/null    # reap it when it is this shell's child
    rm -f "${STACK_SOCKET:-}"
    STACK_WORKERS_PID=
    stack__save
}

# ---------------------------------------------------------------------------
# taskman-jobs (webhook and mail deliveries; docs/EVENTS.md)

# stack_jobs_start D: start one taskman-jobs as taskman_jobs, sharing the
# workers' metrics file; stderr goes to D/log/jobs.log.  TASKMAN_JOBS_*,
# TASKMAN_WEBHOOK_* and TASKMAN_SMTP_* pass through from the environment.
stack_jobs_start() {
    local bin=$TASKMAN_BIN/taskman-jobs
    stack__set_dir "$1" || return 1
    [ -x "$bin" ] || { stack_log "$bin not found: build first (or set TASKMAN_BIN)"; return 1; }
    env TASKMAN_JOBS_DATABASE_URL="${TASKMAN_JOBS_DATABASE_URL:-${TASKMAN_DATABASE_URL:-}}" \
        TASKMAN_METRICS_FILE="${STACK_METRICS_FILE:-$STACK_RT/run/taskman.metrics}" \
        "$bin" </dev/null >>"$STACK_DIR/log/jobs.log" 2>&1 &
    STACK_JOBS_PID=$!
    echo "$STACK_JOBS_PID" >"$STACK_DIR/jobs.pid"
    stack__save
    sleep 0.2
    stack__alive "$STACK_JOBS_PID" || {
        stack_log "taskman-jobs exited; end of $STACK_DIR/log/jobs.log:"
        tail -n 20 "$STACK_DIR/log/jobs.log" >&2
        STACK_JOBS_PID=
        stack__save
        return 1
    }
}

# stack_jobs_stop: SIGTERM (it finishes the delivery in flight), SIGKILL
# after STACK_STOP_TIMEOUT seconds.
stack_jobs_stop() {
    local pid=${STACK_JOBS_PID:-} saved
    # stackctl jobs-stop/jobs-start (the webhook tests) may have replaced
    # it since this shell started it: D/jobs.pid names the current one
    # (stack.env is rewritten from this shell's variables by other steps).
    if [ -n "${STACK_DIR:-}" ] && [ -r "$STACK_DIR/jobs.pid" ]; then
        saved=$(cat "$STACK_DIR/jobs.pid")
        case $saved in ''|*[!0-9]*) ;; *) pid=$saved ;; esac
    fi
    [ -n "$pid" ] || return 0
    # only a taskman-jobs (pids are reused)
    if stack__alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q taskman-jobs; then
        kill -TERM "$pid" 2>/dev/null
        if ! stack__wait_gone "$pid" "$STACK_STOP_TIMEOUT"; then
            stack_log "taskman-jobs ($pid) ignored SIGTERM, killing it"
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null
    STACK_JOBS_PID=
    rm -f "${STACK_DIR:-/nonexistent}/jobs.pid"
    stack__save
}

# ---------------------------------------------------------------------------
# nginx

# stack__ratelimit_file local|production|FILE
stack__ratelimit_file() {
    case ${1:-local} in
        local)      echo "$STACK_REPO/nginx/ratelimit-local.conf" ;;
        production) echo "$STACK_REPO/nginx/ratelimit.conf" ;;
        /*)         echo "$1" ;;
        *)          echo "$(pwd)/$1" ;;
    esac
}

# stack_nginx_render TEMPLATE OUT PREFIX LOGDIR PORT SOCKET RATELIMIT_FILE [DOCS_ASSETS] [METRICS_PORT] [WEB_ROOT]
# DOCS_ASSETS: the directory served at /docs/assets/ (default
# $TASKMAN_DOCS_ASSETS, else ./var/docs-assets; scripts/install-docs-assets
# fills it -- when it is empty, /docs shows a notice instead of Redoc).
# METRICS_PORT: the metrics listener's port on 127.0.0.1 (default PORT + 1).
# WEB_ROOT: the web app served at / (default $TASKMAN_WEB_ROOT, else
# ./var/web; stack_web_build fills it -- when it is empty, / is a 404).
stack_nginx_render() {
    local e=stack__sed_escape user del="" docs=${8:-${TASKMAN_DOCS_ASSETS:-$STACK_REPO/var/docs-assets}}
    local web=${10:-${TASKMAN_WEB_ROOT:-$STACK_REPO/var/web}}
    user=$(stack__nginx_user)
    stack__is_root || del='/^user @NGINX_USER@;$/d;'
    mkdir -p "$3/tmp" "$4" && chmod 0755 "$3" "$3/tmp" || return 1
    sed -e "$del"'
s|@PREFIX@|'"$($e "$3")"'|g
s|@LOGDIR@|'"$($e "$4")"'|g
s|@PORT@|'"$($e "$5")"'|g
s|@SOCKET@|'"$($e "$6")"'|g
s|@NGINX_USER@|'"$($e "$user")"'|g
s|@CONFDIR@|'"$($e "$STACK_REPO/nginx")"'|g
s|@RATELIMIT_CONF@|'"$($e "$7")"'|g
s|@DOCS_ASSETS@|'"$($e "${docs%/}")"'|g
s|@METRICS_PORT@|'"$($e "${9:-$(( $5 + 1 ))}")"'|g
s|@WEB_ROOT@|'"$($e "${web%/}")"'|g' "$1" >"$2.tmp" && mv -f "$2.tmp" "$2"
}

# stack__nginx_write_conf: D/nginx/nginx.conf from the stack's state. When
# the runtime dir is a /tmp stand-in (the tree is not reachable for nginx's
# user), the docs assets are copied there too.
stack__nginx_write_conf() {
    local docs=${TASKMAN_DOCS_ASSETS:-$STACK_REPO/var/docs-assets}
    local web=${TASKMAN_WEB_ROOT:-$STACK_REPO/var/web}
    STACK_NGINX_CONF=$STACK_DIR/nginx/nginx.conf
    STACK_NGINX_PREFIX=$STACK_RT/nginx
    mkdir -p "$STACK_DIR/nginx" || return 1
    # Also when there are no assets: nginx's user must reach the directory
    # to say 404 for a missing file (a path below an untraversable parent,
    # e.g. a clone in `mktemp -d`, is a 403 instead).
    if [ "${STACK_RT_TEMP:-0}" = 1 ]; then
        rm -rf "$STACK_RT/docs-assets" || return 1
        if [ -d "$docs" ]; then
            cp -R "$docs" "$STACK_RT/docs-assets" || return 1
        else
            mkdir "$STACK_RT/docs-assets" || return 1
        fi
        chmod -R a+rX "$STACK_RT/docs-assets" || return 1
        docs=$STACK_RT/docs-assets
    fi
    if [ "${STACK_RT_TEMP:-0}" = 1 ] && [ -d "$web" ]; then
        rm -rf "$STACK_RT/web" &&
            cp -R "$web" "$STACK_RT/web" &&
            chmod -R a+rX "$STACK_RT/web" &&
            web=$STACK_RT/web
    fi
    stack_nginx_render "$STACK_REPO/nginx/local.conf.in" "$STACK_NGINX_CONF" \
        "$STACK_NGINX_PREFIX" "$STACK_DIR/log" "$STACK_PORT" \
        "${STACK_SOCKET:-$STACK_RT/run/taskman.sock}" "$STACK_RATELIMIT_CONF" "$docs" \
        "$STACK_METRICS_PORT" "$web"
}

# stack_nginx_start D PORT [local|production|FILE]: nginx on 127.0.0.1:PORT
# in front of the workers; waits until the port accepts connections.
stack_nginx_start() {
    local nginx n pid
    nginx=$(stack__nginx_bin)
    stack__set_dir "$1" || return 1
    stack__runtime "$STACK_DIR" || return 1
    STACK_PORT=$2
    STACK_RATELIMIT_CONF=$(stack__ratelimit_file "${3:-local}")
    [ -r "$STACK_RATELIMIT_CONF" ] || { stack_log "no such file: $STACK_RATELIMIT_CONF"; return 1; }
    STACK_NGINX_USER=$(stack__nginx_user)
    # the metrics listener (snippets/metrics.conf): a port of its own
    STACK_METRICS_PORT=$(stack_free_port) || return 1
    [ "$STACK_METRICS_PORT" != "$STACK_PORT" ] || STACK_METRICS_PORT=$(stack_free_port) || return 1
    STACK_METRICS_URL=http://127.0.0.1:$STACK_METRICS_PORT
    stack__nginx_write_conf || return 1
    rm -f "$STACK_NGINX_PREFIX/nginx.pid"
    "$nginx" -c "$STACK_NGINX_CONF" -p "$STACK_NGINX_PREFIX/" || {
        stack_log "nginx did not start (config $STACK_NGINX_CONF)"
        return 1
    }
    # The daemon writes its pid file just after the launcher returns.
    for n in $(seq 1 50); do
        pid=$(cat "$STACK_NGINX_PREFIX/nginx.pid" 2>/dev/null) && [ -n "$pid" ] && break
        sleep 0.1
    done
    STACK_NGINX_PID=$pid
    STACK_URL=http://127.0.0.1:$STACK_PORT
    stack__save
    [ -n "$pid" ] || { stack_log "nginx wrote no pid file"; return 1; }
    for n in $(seq 1 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$STACK_PORT") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    stack_log "nginx does not answer on port $STACK_PORT"
    return 1
}

# stack_nginx_reload [local|production|FILE]: rewrite the config (optionally
# with another rate-limit file), reload, and wait until the old worker
# processes are gone so every new connection sees the new config.
stack_nginx_reload() {
    local nginx old p n
    nginx=$(stack__nginx_bin)
    stack__alive "${STACK_NGINX_PID:-}" || { stack_log "nginx is not running"; return 1; }
    [ -n "${1:-}" ] && STACK_RATELIMIT_CONF=$(stack__ratelimit_file "$1")
    stack__nginx_write_conf || return 1
    "$nginx" -t -q -c "$STACK_NGINX_CONF" -p "$STACK_NGINX_PREFIX/" || return 1
    old=$(stack__children "$STACK_NGINX_PID")
    kill -HUP "$STACK_NGINX_PID" || return 1
    for p in $old; do
        stack__wait_gone "$p" 10 || { stack_log "old nginx worker $p still running"; return 1; }
    done
    # ...and until the new ones are there.
    for n in $(seq 1 50); do
        [ -n "$(stack__children "$STACK_NGINX_PID")" ] && break
        sleep 0.1
    done
    stack__save
}

# stack_nginx_stop: graceful stop (SIGQUIT), then SIGTERM, then SIGKILL.
stack_nginx_stop() {
    local pid=${STACK_NGINX_PID:-} kids
    [ -n "$pid" ] || return 0
    if stack__alive "$pid"; then
        kids=$(stack__children "$pid")
        kill -QUIT "$pid" 2>/dev/null
        if ! stack__wait_gone "$pid" 5; then
            kill -TERM "$pid" 2>/dev/null
            if ! stack__wait_gone "$pid" 5; then
                stack_log "nginx ($pid) does not stop, killing it"
                kill -KILL "$pid" 2>/dev/null
            fi
        fi
        stack__stop_orphans "$kids"
    fi
    STACK_NGINX_PID=
    stack__save
}

# stack_nginx_check_configs: `nginx -t` on the production site (with a
# self-signed certificate, paths rewritten into a temp dir) and on the local
# template with both rate-limit files.
stack_nginx_check_configs() {
    local t nginx rc=0 rl out
    nginx=$(stack__nginx_bin)
    t=$(mktemp -d /tmp/taskman-nginx-t.XXXXXX) || return 1
    chmod 0755 "$t"
    ln -s "$STACK_REPO/nginx" "$t/taskman"
    "$STACK_REPO/scripts/gen-dev-cert" "$t/tls" >/dev/null || rc=1
    sed -e "s|/etc/taskman/tls/|$t/tls/|g; s|/var/log/nginx/|$t/|g" \
        "$STACK_REPO/nginx/taskman.conf" >"$t/taskman-site.conf"
    mkdir -p "$t/tmp"
    cat >"$t/nginx.conf" <<EOF
pid $t/nginx.pid;
error_log stderr;
events { }
http {
    client_body_temp_path $t/tmp/body;
    fastcgi_temp_path $t/tmp/fastcgi;
    proxy_temp_path $t/tmp/proxy;
    uwsgi_temp_path $t/tmp/uwsgi;
    scgi_temp_path $t/tmp/scgi;
    include $t/taskman-site.conf;
}
EOF
    # (OCSP stapling is "ignored" for a self-signed certificate: a warning.)
    if out=$("$nginx" -t -q -c "$t/nginx.conf" -p "$t/" 2>&1); then
        stack_log "nginx -t nginx/taskman.conf: ok"
    else
        printf '%s\n' "$out" >&2
        stack_log "nginx -t nginx/taskman.conf: FAILED"; rc=1
    fi
    for rl in local production; do
        stack_nginx_render "$STACK_REPO/nginx/local.conf.in" "$t/local-$rl.conf" \
            "$t/local" "$t/local" 8080 "$t/taskman.sock" "$(stack__ratelimit_file "$rl")" || rc=1
        if out=$("$nginx" -t -q -c "$t/local-$rl.conf" -p "$t/local/" 2>&1); then
            stack_log "nginx -t nginx/local.conf.in ($rl rate limits): ok"
        else
            printf '%s\n' "$out" >&2
            stack_log "nginx -t nginx/local.conf.in ($rl rate limits): FAILED"; rc=1
        fi
    done
    rm -rf "$t"
    return "$rc"
}

# ---------------------------------------------------------------------------
# The whole stack

# stack_up D [PORT] [local|production|FILE]: PostgreSQL (unless
# TASKMAN_DATABASE_URL is set), migrations, workers, nginx. PORT defaults to
# a free port (retried if another process takes it first), rate limits to
# nginx/ratelimit-local.conf. Sets STACK_URL. On failure the parts already
# started keep running until stack_down (install the traps first).
stack_up() {
    local port=${2:-} rl=${3:-local} try
    STACK_DIR='' STACK_RT=
    stack__set_dir "$1" || return 1
    stack__runtime "$STACK_DIR" || return 1
    stack__save
    stack_pg_start "$STACK_DIR" || return 1
    stack_migrate || return 1
    stack_workers_start "$STACK_DIR" || return 1
    stack_jobs_start "$STACK_DIR" || return 1
    if [ -n "$port" ]; then
        stack_nginx_start "$STACK_DIR" "$port" "$rl" || return 1
    else
        for try in 1 2 3; do
            port=$(stack_free_port) || return 1
            stack_nginx_start "$STACK_DIR" "$port" "$rl" 2>"$STACK_DIR/log/nginx-start.err" && break
            cat "$STACK_DIR/log/nginx-start.err" >&2
            stack_nginx_stop
            [ "$try" = 3 ] && return 1
        done
    fi
    stack_log "up: $STACK_URL (logs in $STACK_DIR/log)"
}

# stack_down: stop, in reverse order and by pid, whatever this shell
# started; remove a /tmp runtime dir. Safe to call twice. Keeps $?.
stack_down() {
    local rc=$?
    stack_nginx_stop
    stack_jobs_stop
    stack_workers_stop
    stack_pg_stop
    STACK_PG_STARTED=0
    if [ "${STACK_RT_TEMP:-0}" = 1 ] && [ -d "${STACK_RT:-}" ]; then
        [ -f "$STACK_RT/pg/postgres.log" ] && [ -n "${STACK_DIR:-}" ] &&
            cp "$STACK_RT/pg/postgres.log" "$STACK_DIR/log/postgres.log" 2>/dev/null
        rm -rf "$STACK_RT"
        STACK_RT=
        STACK_RT_TEMP=0
    fi
    stack__save
    if [ "${STACK_PG_EXPORTED:-0}" = 1 ]; then
        unset TASKMAN_DATABASE_URL TASKMAN_MIGRATE_DATABASE_URL TASKMAN_TEST_ADMIN_DATABASE_URL
        unset TASKMAN_JOBS_DATABASE_URL
        STACK_PG_EXPORTED=0
    fi
    return "$rc"
}

# stack_install_traps: stack_down on exit; INT/TERM exit (130/143) so the
# EXIT trap runs once.
stack_install_traps() {
    trap 'stack_down' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
