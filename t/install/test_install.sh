#!/usr/bin/env bash
# test_install.sh -- `make install` with --prefix=/usr/local and DESTDIR puts
# every file where docs/DEPLOYMENT.md says, and nothing anywhere else.
#
# usage: t/install/test_install.sh [BUILD_DIR]
#   BUILD_DIR  a configured and built tree whose prefix is /usr/local (e.g.
#              var/build-werror after scripts/check's werror build): reused.
#              Without it, a fresh build is configured and made in a temp
#              dir from this source tree (which then must have ./configure
#              and must not be configured in place).
#
# Checks: the binaries, schema files, OpenAPI document, nginx files,
# systemd units, sysusers entry and environment examples are installed
# with sane modes; nothing lands outside DESTDIR/usr/local; paths inside
# the units and the nginx site are rendered for the prefix and name files
# that exist; the installed nginx files pass `nginx -t` (when nginx is
# installed); the installed binaries run (exit 78 without configuration,
# 64 on a bad command line); `make uninstall` removes every file; and a
# second configuration with --prefix=/opt/taskman renders its own paths
# (`make install-data`, nothing compiled).
# Last line: "N passed, N failed"; exit status 0 only if nothing failed.
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=/usr/local
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_install.XXXXXX") || exit 1
chmod 0755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

ok()  { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; shift; [ $# -gt 0 ] && printf '    %s\n' "$@"; return 0; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

# configure_build DIR PREFIX: configure DIR from $SRC.
configure_build() {
    mkdir -p "$1" &&
    (cd "$1" && "$SRC/configure" -q --prefix="$2") >"$1/configure.log" 2>&1
}

# --- the build to install from ------------------------------------------------
b=${1:-}
if [ -n "$b" ]; then
    b=$(cd "$b" && pwd) || { nok "build dir $1 exists"; finish; }
    have=$(sed -n 's/^prefix = //p' "$b/Makefile" 2>/dev/null)
    if [ "$have" != "$PREFIX" ]; then
        nok "build dir $b is configured with prefix $PREFIX" "its prefix: ${have:-none (not configured?)}"
        finish
    fi
    ok "reusing the build in $b (prefix $PREFIX)"
else
    if [ ! -x "$SRC/configure" ]; then
        nok "$SRC/configure exists" "run autoreconf -fi first"
        finish
    fi
    b=$tmp/build
    if configure_build "$b" "$PREFIX"; then
        ok "configure --prefix=$PREFIX in a fresh build dir"
    else
        nok "configure --prefix=$PREFIX" "$(tail -n 5 "$b/configure.log")"
        finish
    fi
    if make -C "$b" -j2 >"$tmp/make.log" 2>&1; then
        ok "make"
    else
        nok "make" "$(tail -n 10 "$tmp/make.log")"
        finish
    fi
fi

# --- make install DESTDIR ------------------------------------------------------
D=$tmp/dest
if make -C "$b" install DESTDIR="$D" >"$tmp/install.log" 2>&1; then
    ok "make install DESTDIR=..."
else
    nok "make install DESTDIR=..." "$(tail -n 10 "$tmp/install.log")"
    finish
fi
R=$D$PREFIX
share=$R/share/taskman

# Nothing outside DESTDIR/usr/local (DESTDIR/usr itself is just the parent).
outside=$(cd "$D" && find . -mindepth 1 ! -path ./usr ! -path ./usr/local ! -path './usr/local/*' | head -n 5)
check "nothing is installed outside $PREFIX" test -z "$outside"
[ -z "$outside" ] || printf '    outside: %s\n' $outside

# --- expected files -----------------------------------------------------------
for f in taskman-fcgi taskmanctl taskman-jobs; do
    if [ -f "$R/bin/$f" ] && [ -x "$R/bin/$f" ] && [ "$(stat -c %a "$R/bin/$f")" = 755 ]; then
        ok "bin/$f is installed, mode 0755"
    else
        nok "bin/$f is installed, mode 0755" "$(ls -l "$R/bin/$f" 2>&1)"
    fi
done

expect=()
for f in "$SRC"/schema/[0-9]*.sql; do
    expect+=("share/taskman/schema/${f##*/}")
done
expect+=(share/taskman/openapi.yaml share/taskman/openapi.json
         share/taskman/nginx/taskman.conf share/taskman/nginx/ratelimit.conf
         share/taskman/nginx/ratelimit-local.conf)
for f in "$SRC"/nginx/snippets/*.conf; do
    expect+=("share/taskman/nginx/snippets/${f##*/}")
done
expect+=(lib/systemd/system/taskman.socket lib/systemd/system/taskman.service
         lib/systemd/system/taskman-migrate.service lib/sysusers.d/taskman.conf
         lib/systemd/system/taskman-prune.service lib/systemd/system/taskman-prune.timer
         share/taskman/systemd/taskman.env.example
         share/taskman/systemd/migrate.env.example share/taskman/systemd/README.md)
# taskman-jobs (docs/EVENTS.md)
expect+=(lib/systemd/system/taskman-jobs.service share/taskman/systemd/jobs.env.example)
# the web app (scripts/build-web): index.html and hashed assets, each with
# its .gz; the hashed names are checked below, not listed
expect+=(share/taskman/web/index.html share/taskman/web/index.html.gz)
missing=() badmode=()
for f in "${expect[@]}"; do
    if [ ! -f "$R/$f" ] || [ ! -s "$R/$f" ]; then
        missing+=("$f")
    elif [ "$(stat -c %a "$R/$f")" != 644 ]; then
        badmode+=("$f ($(stat -c %a "$R/$f"))")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    ok "all ${#expect[@]} data files are installed (schema, OpenAPI, nginx, systemd)"
else
    nok "all ${#expect[@]} data files are installed" "missing: ${missing[*]}"
fi
check "data files have mode 0644" test "${#badmode[@]}" -eq 0
[ "${#badmode[@]}" -eq 0 ] || printf '    %s\n' "${badmode[@]}"

# Every installed file is either expected or a binary: no strays.
extra=$(cd "$R" && find . -type f | sed 's|^\./||' | sort |
    grep -vxF -e bin/taskman-fcgi -e bin/taskmanctl -e bin/taskman-jobs "${expect[@]/#/-e}" |
    grep -vE '^share/taskman/web/assets/[a-z]+-[A-Za-z0-9]{8}\.(js|css|svg)(\.gz)?$' | head -n 5)
check "no unexpected files are installed" test -z "$extra"
[ -z "$extra" ] || printf '    extra: %s\n' $extra

# --- the web app ---------------------------------------------------------------
web=$R/share/taskman/web
webjs=$(find "$web/assets" -name '*.js' 2>/dev/null | wc -l)
check "the web app is installed: one script, its stylesheet, each with a .gz" \
    sh -c '[ "$1" = 1 ] && for f in "$2"/assets/*.js "$2"/assets/*.css; do [ -s "$f.gz" ] || exit 1; done' sh "$webjs" "$web"
check "index.html names the installed assets" \
    sh -c 'for a in $(grep -o "/assets/[^\"]*" "$1/index.html"); do [ -f "$1$a" ] || exit 1; done' sh "$web"
check "web assets have mode 0644" test -z "$(find "$web" -type f ! -perm 0644 2>/dev/null | head -n 1)"

ww=$(find "$D" -perm -o+w ! -type l | head -n 3)
check "nothing is world-writable" test -z "$ww"

# --- rendered paths -----------------------------------------------------------
svc=$R/lib/systemd/system/taskman.service
mig=$R/lib/systemd/system/taskman-migrate.service
check "taskman.service runs $PREFIX/bin/taskman-fcgi" \
    grep -qx "ExecStart=$PREFIX/bin/taskman-fcgi" "$svc"
check "taskman-jobs.service runs $PREFIX/bin/taskman-jobs" \
    grep -qx "ExecStart=$PREFIX/bin/taskman-jobs" "$R/lib/systemd/system/taskman-jobs.service"
check "taskman-migrate.service runs $PREFIX/bin/taskmanctl migrate up" \
    grep -qx "ExecStart=$PREFIX/bin/taskmanctl migrate up" "$mig"
check "taskman.socket listens on /run/taskman/taskman.sock, group www-data, 0660" \
    sh -c 'grep -qx "ListenStream=/run/taskman/taskman.sock" "$1" &&
           grep -qx "SocketGroup=www-data" "$1" && grep -qx "SocketMode=0660" "$1"' \
    sh "$R/lib/systemd/system/taskman.socket"
check "the sysusers entry creates the system user taskman" \
    grep -qE '^u[[:space:]]+taskman[[:space:]]' "$R/lib/sysusers.d/taskman.conf"
check "the nginx site serves the docs assets from $PREFIX/share/taskman/docs-assets" \
    grep -q "set \$taskman_docs_assets $PREFIX/share/taskman/docs-assets;" "$share/nginx/taskman.conf"
# Every $PREFIX path named in the units, the site and the env examples
# exists in the tree (docs-assets is filled later by install-docs-assets).
dangling=()
while read -r p; do
    case $p in */docs-assets|*/docs-assets/*) continue ;; esac
    [ -e "$D$p" ] || dangling+=("$p")
done < <(grep -ohE "$PREFIX/[A-Za-z0-9_./-]+" "$svc" "$mig" "$share/nginx/taskman.conf" \
            "$share/systemd/"*.example | sed 's/[.;]*$//' | sort -u)
check "every $PREFIX path named in the installed files exists" test "${#dangling[@]}" -eq 0
[ "${#dangling[@]}" -eq 0 ] || printf '    dangling: %s\n' "${dangling[@]}"
check "taskmanctl's compiled-in schema dir is $PREFIX/share/taskman/schema" \
    grep -qa "$PREFIX/share/taskman/schema" "$R/bin/taskmanctl"

# --- the installed files work -------------------------------------------------
env -i "$R/bin/taskman-fcgi" </dev/null >/dev/null 2>"$tmp/fcgi.err"
rc=$?
if [ "$rc" = 78 ] && [ "$(wc -l <"$tmp/fcgi.err")" = 1 ]; then
    ok "installed taskman-fcgi without configuration: exit 78, one line"
else
    nok "installed taskman-fcgi without configuration: exit 78, one line" "exit $rc: $(head -c 300 "$tmp/fcgi.err")"
fi
env -i "$R/bin/taskmanctl" no-such-command >/dev/null 2>&1
rc=$?
check "installed taskmanctl with a bad command: exit 64 (got $rc)" test "$rc" = 64

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
if [ -x "$NGINX" ]; then
    # The way docs/DEPLOYMENT.md installs it: /etc/nginx/taskman -> the
    # installed nginx dir, the site file copied, certificates of our own.
    n=$tmp/nginx
    mkdir -p "$n/tmp" && ln -s "$share/nginx" "$n/taskman"
    if "$SRC/scripts/gen-dev-cert" "$n/tls" >/dev/null 2>&1; then
        sed -e "s|/etc/taskman/tls/|$n/tls/|g; s|/var/log/nginx/|$n/|g" \
            "$share/nginx/taskman.conf" >"$n/site.conf"
        cat >"$n/nginx.conf" <<EOF
pid $n/nginx.pid;
error_log stderr;
events { }
http {
    client_body_temp_path $n/tmp/body;
    fastcgi_temp_path $n/tmp/fastcgi;
    proxy_temp_path $n/tmp/proxy;
    uwsgi_temp_path $n/tmp/uwsgi;
    scgi_temp_path $n/tmp/scgi;
    include $n/site.conf;
}
EOF
        if out=$("$NGINX" -t -q -c "$n/nginx.conf" -p "$n/" 2>&1 | grep -v 'ssl_stapling'); [ -z "$out" ]; then
            ok "nginx -t on the installed site and snippets"
        else
            nok "nginx -t on the installed site and snippets" "$out"
        fi
    else
        nok "gen-dev-cert for the nginx -t check"
    fi
else
    echo "skip - nginx -t on the installed files (no nginx)"
fi

# --- make uninstall -----------------------------------------------------------
if make -C "$b" uninstall DESTDIR="$D" >"$tmp/uninstall.log" 2>&1; then
    left=$(find "$D" -type f | head -n 5)
    check "make uninstall removes every installed file" test -z "$left"
    [ -z "$left" ] || printf '    left: %s\n' $left
else
    nok "make uninstall DESTDIR=..." "$(tail -n 10 "$tmp/uninstall.log")"
fi

# --- another prefix -----------------------------------------------------------
if [ -x "$SRC/configure" ] && [ ! -f "$SRC/config.status" ]; then
    b2=$tmp/build-opt
    if configure_build "$b2" /opt/taskman &&
       make -C "$b2" install-data TASKMAN_WEB=no DESTDIR="$tmp/dest-opt" >"$tmp/install-opt.log" 2>&1; then
        o=$tmp/dest-opt/opt/taskman
        check "--prefix=/opt/taskman: units in /opt/taskman/lib/systemd/system run /opt/taskman/bin/taskman-fcgi" \
            grep -qx "ExecStart=/opt/taskman/bin/taskman-fcgi" "$o/lib/systemd/system/taskman.service"
        check "--prefix=/opt/taskman: the site serves /opt/taskman/share/taskman/docs-assets" \
            grep -q 'set $taskman_docs_assets /opt/taskman/share/taskman/docs-assets;' \
                "$o/share/taskman/nginx/taskman.conf"
        check "--prefix=/opt/taskman: no /usr/local path left in the rendered files" \
            sh -c '! grep -l /usr/local "$@"' sh "$o/lib/systemd/system/"* \
                "$o/share/taskman/nginx/taskman.conf" "$o/share/taskman/systemd/"*.example
    else
        nok "--prefix=/opt/taskman: configure and make install-data" \
            "$(tail -n 5 "$b2/configure.log" "$tmp/install-opt.log" 2>/dev/null)"
    fi
else
    echo "skip - --prefix=/opt/taskman (the source tree has no configure or is configured in place)"
fi

finish
