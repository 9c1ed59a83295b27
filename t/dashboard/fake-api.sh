#!/bin/bash
# Start (or stop) the admin API fixture of t/dashboard/fake-api.conf: a plain
# nginx serving canned JSON of the contract and html/dashboard.html at
# http://127.0.0.1:$DASH_PORT/llmgw/admin/dashboard.  Not the real API.
#
#   t/dashboard/fake-api.sh [start|stop]
#
# DASH_PORT (default 19950), DASH_PREFIX (default /tmp/dash-dev),
# NGINX_BIN (default /usr/sbin/nginx).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
prefix=${DASH_PREFIX:-/tmp/dash-dev}
port=${DASH_PORT:-19950}
nginx=${NGINX_BIN:-/usr/sbin/nginx}

stop() {
    if [ -s "$prefix/logs/nginx.pid" ]; then
        kill "$(cat "$prefix/logs/nginx.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [ -e "$prefix/logs/nginx.pid" ] || break; sleep 0.1; done
    fi
}

case ${1:-start} in
    stop) stop; exit 0 ;;
    start) ;;
    *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

stop
mkdir -p "$prefix/logs" "$prefix/tmp" "$prefix/html"
ln -sfn "$here/api" "$prefix/api"
ln -sfn "$top/html/dashboard.html" "$prefix/html/dashboard.html"
sed "s/127\.0\.0\.1:19950/127.0.0.1:$port/" "$here/fake-api.conf" > "$prefix/nginx.conf"
"$nginx" -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log"
echo "http://127.0.0.1:$port/llmgw/admin/dashboard"
