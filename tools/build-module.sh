#!/bin/sh
# Builds the module in $1 with C flags $2 and link flags $3 (and the
# compiler $CC, default gcc) against the nginx source tree Debian's
# nginx-dev ships.  Configures only when the build directory is new, or
# `config`, the list of sources or the flags changed.
set -eu

dir=$1 ccopt=$2 ldopt=$3 cc=${CC:-gcc}
top=$(cd "$(dirname "$0")/.." && pwd)
src=${NGINX_SRC:-/usr/share/nginx/src}

[ -f "$src/conf_flags" ] || {
    echo "build-module: $src/conf_flags not found: apt-get install nginx-dev" >&2
    exit 1
}

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
stamp="$dir/configured"
want=$(cd "$top" && { cat config; ls src/*.c src/providers/*.c 2>/dev/null; \
       echo "$cc|$ccopt|$ldopt"; } | md5sum)

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    rm -rf "$dir/nginx"
    cp -r "$src" "$dir/nginx"
    # conf_flags is a bash array assignment; read it without bash
    flags=$(sed -n 's/^NGX_CONF_FLAGS=( *\(.*\) *)$/\1/p' "$src/conf_flags")
    (cd "$dir/nginx" && eval "./configure $flags" --with-cc="$cc" \
        --with-cc-opt="'$ccopt'" --with-ld-opt="'$ldopt'" \
        --add-dynamic-module="$top" > configure.log 2>&1) || {
        tail -n 20 "$dir/nginx/configure.log" >&2
        exit 1
    }
    echo "$want" > "$stamp"
fi

# the dashboard may have changed since configure embedded it
sh "$top/tools/embed.sh" "$top/html/dashboard.html" \
    "$dir/nginx/objs/llmgw_dashboard_html.h"

make -s -C "$dir/nginx" -f objs/Makefile modules

# a new file, renamed into place: a running nginx keeps the module it
# mapped, where copying over it would change its code under it
cp "$dir/nginx/objs/ngx_http_llmgw_module.so" "$dir/.ngx_http_llmgw_module.so"
mv -f "$dir/.ngx_http_llmgw_module.so" "$dir/ngx_http_llmgw_module.so"
