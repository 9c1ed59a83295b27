#!/bin/sh
# `make run`: the demo gateway in the foreground, from conf.d/.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-8080}
mock_port=${MOCK_PORT:-8081}
prefix=$top/build/run
# not $NGINX: nginx reads that variable as sockets inherited on upgrade
nginx=${NGINX_BIN:-/usr/sbin/nginx}

rm -rf "$prefix"
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp"

for f in demo.json llmgw_proxy.conf llmgw_failover.conf mock.conf \
         mock-provider.key \
         mock-aws-access-key-id prices.json demo.nginx.conf
do
    sed -e "s|@PORT@|$port|g" -e "s|@MOCK_PORT@|$mock_port|g" \
        -e "s|@PREFIX@|$prefix|g" -e "s|@CONF@|$prefix/conf|g" \
        -e "s|@MODULE@|$top/build/ngx_http_llmgw_module.so|g" \
        "$top/conf.d/$f" > "$prefix/conf/$f"
done

cp "$top/conf.d/mock-bedrock-stream.bin" "$prefix/conf/"
(umask 077 && openssl rand -hex 32 > "$prefix/audit.key")
mv "$prefix/conf/demo.nginx.conf" "$prefix/conf/nginx.conf"

cat << END
llmgw demo on http://127.0.0.1:$port/v1 (mock provider on 127.0.0.1:$mock_port)

  curl http://127.0.0.1:$port/v1/chat/completions \\
    -H 'Authorization: Bearer sk-llmgw-demo' -H 'Content-Type: application/json' \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'

Metrics: curl http://127.0.0.1:$port/metrics
Audit log: $prefix/logs/audit.log (key: $prefix/audit.key)

Ctrl-C stops it.
END

"$nginx" -p "$prefix" -c "$prefix/conf/nginx.conf" -t -q

if [ -n "${DAEMON:-}" ]; then
    exec "$nginx" -p "$prefix" -c "$prefix/conf/nginx.conf"
fi

exec "$nginx" -p "$prefix" -c "$prefix/conf/nginx.conf" -g 'daemon off;'
