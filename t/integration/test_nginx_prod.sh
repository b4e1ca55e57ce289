#!/usr/bin/env bash
# test_nginx_prod.sh — the PRODUCTION nginx config (nginx/taskman.conf, its
# snippets and nginx/ratelimit.conf, unchanged but for paths and ports) in
# front of a running stack's workers (issue 10, items 3, 4 and 5).
#
# Environment:
#   TASKMAN_STACK_DIR   a stack from scripts/lib/stack.sh (its stack.env names
#                       the workers' socket and the local URL)
#
# A temporary nginx serves taskman.conf with the TLS paths, the socket, the
# log paths and the listen ports rewritten (127.0.0.1 only). One line is
# added at http level for the test: realip from X-Forwarded-For sent by
# 127.0.0.1, so one client can speak from many addresses (IPv6 included).
#
# Checks:
#   - every encoded spelling of /metrics on the public server: never the
#     metrics; the metrics listener serves them;
#   - every encoded spelling of /api/v1/auth/login: once the login rate
#     limit is exhausted with the plain path, each spelling is refused (400
#     or 404) or rate-limited too -- none reaches the login handler;
#   - rate-limit keys for IPv6 are the /64 (also in compressed forms);
#   - five wrong passwords from one IPv6 /64 lock that account for that
#     network only; the real user elsewhere logs in.
# Last line: "N passed, N failed"; exit status 0 only if nothing failed.

set -u
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; shift; [ $# -gt 0 ] && printf '    %s\n' "$@"; return 0; }

REPO=$(cd "$(dirname "$0")/../.." && pwd)
[ -n "${TASKMAN_STACK_DIR:-}" ] || { echo "TASKMAN_STACK_DIR is not set"; exit 2; }
# shellcheck disable=SC1091
. "$TASKMAN_STACK_DIR/stack.env"
. "$REPO/scripts/lib/stack.sh"
nginx=$(stack__nginx_bin)
T=$(mktemp -d /tmp/taskman-nginx-prod.XXXXXX) || exit 2
chmod 0755 "$T"
NGINX_PID=
cleanup() {
    [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && stack__wait_gone "$NGINX_PID" 5
    rm -rf "$T"
}
trap cleanup EXIT

P80=$(stack_free_port) && P443=$(stack_free_port) && PM=$(stack_free_port) || exit 2
ln -s "$REPO/nginx" "$T/taskman"
"$REPO/scripts/gen-dev-cert" "$T/tls" >/dev/null 2>&1 || { echo "gen-dev-cert failed"; exit 2; }
chmod 0755 "$T/tls"; chmod 0644 "$T/tls/"*.pem
sed -e "s|/etc/taskman/tls/|$T/tls/|g; s|/var/log/nginx/|$T/|g" \
    -e "s|unix:/run/taskman/taskman.sock|unix:$STACK_SOCKET|" \
    -e "s|^\( *\)listen 80;|\1listen 127.0.0.1:$P80;|; /listen \[::\]:80;/d" \
    -e "s|^\( *\)listen 443 ssl http2;|\1listen 127.0.0.1:$P443 ssl http2;|; /listen \[::\]:443/d" \
    -e "s|^\( *\)listen 127.0.0.1:9464;|\1listen 127.0.0.1:$PM;|; /listen \[::1\]:9464;/d" \
    "$REPO/nginx/taskman.conf" >"$T/taskman-site.conf"
mkdir -p "$T/tmp"
user_line=""
stack__is_root && user_line="user $(stack__nginx_user);"
cat >"$T/nginx.conf" <<CONF
$user_line
pid $T/nginx.pid;
error_log $T/error.log warn;
events { }
http {
    client_body_temp_path $T/tmp/body;
    fastcgi_temp_path $T/tmp/fastcgi;
    proxy_temp_path $T/tmp/proxy;
    uwsgi_temp_path $T/tmp/uwsgi;
    scgi_temp_path $T/tmp/scgi;
    # test only: one client speaks for many addresses
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    include $T/taskman-site.conf;
}
CONF
if ! "$nginx" -c "$T/nginx.conf" -p "$T/" 2>"$T/start.err"; then
    cat "$T/start.err"
    # a free port taken by someone else before nginx bound it: new ports
    if grep -q 'Address already in use' "$T/start.err" && [ "${NGINX_PROD_TRY:-1}" -lt 3 ]; then
        echo "retrying with other ports"
        cleanup; trap - EXIT
        NGINX_PROD_TRY=$(( ${NGINX_PROD_TRY:-1} + 1 )) exec bash "$0" "$@"
    fi
    echo "nginx did not start"; exit 2
fi
for _ in $(seq 1 50); do
    NGINX_PID=$(cat "$T/nginx.pid" 2>/dev/null) && [ -n "$NGINX_PID" ] && break
    sleep 0.1
done
for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$P443") 2>/dev/null && break
    sleep 0.1
done

HOST=api.taskman.example
BASE=https://$HOST:$P443
# c [curl args...] -> "STATUS BODY" on stdout
c() {
    curl -sk --path-as-is --max-time 20 --resolve "$HOST:$P443:127.0.0.1" \
        -o "$T/body" -w '%{http_code}' "$@"
}
login() {  # login XFF PATH EMAIL PASSWORD -> status; body in $T/body
    c -X POST -H "X-Forwarded-For: $1" -H 'Content-Type: application/json' \
        --data "{\"email\":\"$3\",\"password\":\"$4\"}" "$BASE$2"
}
nginx_429() { grep -q 'Too many requests from this address' "$T/body"; }
# a fresh unknown account each time: the worker's own throttle never answers
anyone() { echo "nobody-$RANDOM$RANDOM@example.com"; }

# --- the metrics ----------------------------------------------------------
st=$(curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$PM/metrics")
if [ "$st" = 200 ] && grep -q '^taskman_http_requests_total' "$T/body"; then
    ok "the metrics listener (loopback, own port) serves /metrics"
else
    nok "the metrics listener serves /metrics" "status $st"
fi
st=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PM/health/live")
[ "$st" = 404 ] && ok "the metrics listener serves nothing else" || nok "the metrics listener serves nothing else" "status $st"

# Every spelling: each character percent-encoded (both hex cases), the whole
# path encoded, suffixes that decode to ?, #, NUL, controls, and dot/slash forms.
spellings() {  # spellings /path -> one per line
    local p=$1 i ch hex
    echo "$p"
    for ((i = 1; i < ${#p}; i++)); do
        ch=${p:i:1}
        hex=$(printf '%02x' "'$ch")
        echo "${p:0:i}%$hex${p:i+1}"
        echo "${p:0:i}%${hex^^}${p:i+1}"
    done
    local all="" 
    for ((i = 0; i < ${#p}; i++)); do
        ch=${p:i:1}
        if [ "$ch" = / ]; then all="$all/"; else all="$all%$(printf '%02X' "'$ch")"; fi
    done
    echo "$all"
    for s in %3F %3f %3Fx=1 %23 %23x %00 %0a %0d %0D%0A %09 %1f %7f %7F %20 %2f %2F . ./ / // %2e %2E%2E/x; do
        echo "$p$s"
    done
    echo "/${p}"; echo "/.$p"; echo "/x/..$p"; echo "/%2e$p"; echo "/x/%2e%2e$p"; echo "${p%/*}//${p##*/}"
    echo "${p%/*}/./${p##*/}"; echo "$p?x=1"; echo "$p;x"; echo "${p^^}"
}

n=0; bad=()
while IFS= read -r p; do
    n=$((n + 1))
    st=$(c "$BASE$p")
    if [ "$st" = 200 ] || grep -q 'taskman_http_requests_total' "$T/body"; then
        bad+=("$p -> $st")
    fi
done < <(spellings /metrics)
if [ "${#bad[@]}" -eq 0 ]; then
    ok "none of $n spellings of /metrics on the public server serves the metrics"
else
    nok "no spelling of /metrics on the public server serves the metrics" "${bad[@]}"
fi

# nginx itself refuses decoded ?, #, NUL and controls (its problems carry no
# "instance"; the worker's do), before any location -- not only the worker
n=0; bad=()
for p in /metrics /api/v1/auth/login /api/v1/tasks; do
    for s in %3F %3f %23 %0a %0d %09 %1f %7f; do
        n=$((n + 1))
        st=$(c "$BASE$p$s")
        if [ "$st" != 400 ] || grep -q '"instance"' "$T/body"; then
            bad+=("$p$s -> $st $(head -c 160 "$T/body")")
        fi
    done
done
if [ "${#bad[@]}" -eq 0 ]; then
    ok "nginx answers 400 itself for all $n paths that decode to ?, #, NUL or a control"
else
    nok "nginx refuses decoded ?, #, NUL and controls itself" "${bad[@]}"
fi

# --- the login rate limit -------------------------------------------------
# For each spelling: exhaust the login zone with the plain path (nginx's
# own 429), then the spelling must be refused or limited the same way.
XFF=198.18.7.7
# exhaust: plain-path logins until nginx's own 429; 0 when that happened
exhaust() {
    for _ in 1 2 3 4 5 6 7 8; do
        st=$(login "$XFF" /api/v1/auth/login "$(anyone)" 'wrong password')
        [ "$st" = 429 ] && nginx_429 && return 0
    done
    return 1
}
# try_spelling P: 0 when P was refused (400/404) or limited by nginx
try_spelling() {
    st=$(login "$XFF" "$1" "$(anyone)" 'wrong password')
    case $st in
        400|404) return 0 ;;
        429) nginx_429 ;;
        *) return 1 ;;
    esac
}
n=0; bad=()
while IFS= read -r p; do
    n=$((n + 1))
    exhaust || { bad+=("(could not exhaust the login zone: $st)"); break; }
    try_spelling "$p" && continue
    # A slot frees every 6 s: one may have freed just between the two
    # requests. A real bypass passes again right after a fresh exhaustion.
    first="$st: $(head -c 200 "$T/body")"
    exhaust || { bad+=("(could not exhaust the login zone: $st)"); break; }
    try_spelling "$p" || bad+=("$p -> $first; again -> $st")
done < <(spellings /api/v1/auth/login)
if [ "${#bad[@]}" -eq 0 ]; then
    ok "all $n spellings of /api/v1/auth/login are refused or rate-limited like the plain path"
else
    nok "every spelling of /api/v1/auth/login is refused or rate-limited" "${bad[@]}"
fi

# --- IPv6: one /64 is one client ------------------------------------------
# exhaust XFF1's zone; XFF2 (same /64) is limited, XFF3 (another /64) is not
v6_case() {  # v6_case NAME XFF1 XFF2 XFF3
    local st2 st3
    for _ in 1 2 3 4 5 6 7 8; do
        st=$(login "$2" /api/v1/auth/login "$(anyone)" 'wrong password')
        [ "$st" = 429 ] && nginx_429 && break
    done
    st2=$(login "$3" /api/v1/auth/login "$(anyone)" 'wrong password')
    nginx_429 || st2="$st2 (not nginx's limit)"
    st3=$(login "$4" /api/v1/auth/login "$(anyone)" 'wrong password')
    nginx_429 && st3="$st3 (nginx's limit)"
    if [ "$st" = 429 ] && [ "$st2" = 429 ] && [ "$st3" != 429 ]; then
        ok "IPv6 rate-limit key is the /64: $1"
    else
        nok "IPv6 rate-limit key is the /64: $1" "$2 -> $st, $3 -> $st2, $4 -> $st3"
    fi
}
v6_case "full form" 2001:db8:aa:1::1 2001:db8:aa:1:ffff:ffff:ffff:fffe 2001:db8:aa:2::1
v6_case "zeros in the prefix" 2001:db8::1 2001:db8:0:0:ffff::1 2001:db8:0:1::1
v6_case "zeros across the boundary" 2001:db8::5:1:2:3:4 2001:db8:0:5::9 2001:db8:0:6::9
v6_case "more groups after ::" 2001:db8:ee::1:2:3:4 2001:db8:ee:0:ffff:: 2001:db8:ee:1::1
v6_case "leading zeros" ::1:2:3:4:5 0:0:0:1:ffff:: 0:0:0:2::1

# --- lockout per (account, network) over IPv6 -----------------------------
email="sec-prod-$$-$RANDOM@example.com"
pw="correct horse prod 1"
st=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "{\"email\":\"$email\",\"password\":\"$pw\"}" "$STACK_URL/api/v1/auth/register")
[ "$st" = 201 ] || nok "register a user for the lockout test" "$st $(cat "$T/body")"
codes=""
for i in 1 2 3 4 5; do
    codes="$codes $(login "2001:db8:dd:1::$i" /api/v1/auth/login "$email" 'wrong password')"
done
st=$(login 2001:db8:dd:1::99 /api/v1/auth/login "$email" "$pw")
locked=$st
grep -q 'too many failed logins' "$T/body" || locked="$st (not the login throttle)"
st=$(login 2001:db8:dd:2::1 /api/v1/auth/login "$email" "$pw")
if [ "$codes" = " 401 401 401 401 401" ] && [ "$locked" = 429 ] && [ "$st" = 200 ]; then
    ok "five wrong passwords lock the account for that /64 only; the real user elsewhere logs in"
else
    nok "lockout is per (account, network)" "guesses:$codes; same /64 with the right password: $locked; other /64: $st"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
