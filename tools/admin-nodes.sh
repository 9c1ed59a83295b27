#!/bin/bash
# Two gateway nodes on one Redis: what the admin API changes on one node
# reaches the other.  A key made on node A is used on node B, a rotation
# on B refuses the old secret on A, two edits of one version on both nodes
# are one success and one conflict, and a restart of B keeps it all.
#
#   tools/with-redis.sh tools/admin-nodes.sh      (needs TEST_NGINX_REDIS_PORT)
#
# LLMGW_MODULE (default build/ngx_http_llmgw_module.so), NGINX_BIN.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
module=${LLMGW_MODULE:-$top/build/ngx_http_llmgw_module.so}
nginx=${NGINX_BIN:-/usr/sbin/nginx}
redis_port=${TEST_NGINX_REDIS_PORT:?run under tools/with-redis.sh}
port_a=${ADMIN_NODES_PORT:-18740}
port_b=$((port_a + 1))
mock_port=$((port_a + 2))
sync_ms=200

dir=$(mktemp -d /tmp/llmgw-nodes.XXXXXX)
chmod 755 "$dir"
trap 'for n in a b; do [ -f "$dir/$n/nginx.pid" ] && kill "$(cat "$dir/$n/nginx.pid")" 2>/dev/null; done; sleep 0.3; rm -rf "$dir"' EXIT

admin=sk-adm-nodes-admin-0001
digest() { printf '%s' "$1" | sha256sum | cut -c1-64; }

cat > "$dir/gov.json" <<JSON
{
  "providers": {"mock": {"kind": "openai", "upstream": "mock", "scheme": "http",
    "base_path": "/mock/v1", "keys": [{"id": "p1", "value": "env.LLMGW_NODES_PKEY"}]}},
  "teams": {"platform": {"budgets": [{"limit": 5, "period": "1d"}]}},
  "prices": {"gpt-4o-mini": {"input": 0.15, "output": 0.6}},
  "admin": {"tokens": [{"id": "ops", "sha256": "$(digest $admin)", "role": "admin"}]}
}
JSON

node_conf() {  # name port
    mkdir -p "$dir/$1/logs" "$dir/$1/tmp"
    chmod 777 "$dir/$1" "$dir/$1/logs" "$dir/$1/tmp"
    cat > "$dir/$1/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
error_log $dir/$1/logs/error.log info;
pid $dir/$1/nginx.pid;
env LLMGW_NODES_PKEY;
events { worker_connections 128; }
http {
    access_log off;
    client_body_temp_path $dir/$1/tmp;
    proxy_temp_path $dir/$1/tmp;
    llmgw_config $dir/gov.json;
    llmgw_zone llmgw_$1 1m;
    llmgw_store redis 127.0.0.1:$redis_port timeout=1s;
    llmgw_admin_sync ${sync_ms}ms;
    upstream mock { server 127.0.0.1:$mock_port; }
    server {
        listen 127.0.0.1:$2 reuseport;
        location /v1/ {
            llmgw on;
            include $top/conf.d/llmgw_proxy.conf;
        }
        location /llmgw/admin/ { llmgw_admin; }
$( [ "$1" = a ] && cat <<MOCK
    }
    server {
        listen 127.0.0.1:$mock_port;
        location /mock/v1/chat/completions {
            default_type application/json;
            return 200 '{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":13,"completion_tokens":7,"total_tokens":20}}';
        }
MOCK
)
    }
}
CONF
}

start() { LLMGW_NODES_PKEY=sk-prov-nodes-0001 "$nginx" -p "$dir/$1" -c "$dir/$1/nginx.conf"; }

node_conf a "$port_a"
node_conf b "$port_b"
start a
start b
sleep 0.5

fail=0
check() {  # what expected got
    if [ "$2" = "$3" ]; then
        echo "  ok   $1"
    else
        echo "  FAIL $1: expected $2, got $3"
        fail=1
    fi
}

api() {  # port method path [body]
    curl -s -o "$dir/out" -w '%{http_code}' -X "$2" \
        -H "Authorization: Bearer $admin" ${4:+-d "$4"} \
        "http://127.0.0.1:$1/llmgw/admin$3"
}
chat() {  # port key
    curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" \
        -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}' \
        "http://127.0.0.1:$1/v1/chat/completions"
}
# the status on port for key, waited for up to 2 s; prints it and the wait
until_status() {  # port key want
    local t0 s
    t0=$(date +%s%N)
    for _ in $(seq 40); do
        s=$(chat "$1" "$2")
        [ "$s" = "$3" ] && break
        sleep 0.05
    done
    echo "$s $(( ($(date +%s%N) - t0) / 1000000 ))"
}

echo "admin-nodes: node A :$port_a, node B :$port_b, Redis :$redis_port, sync ${sync_ms}ms"

check "a key made on A" 201 "$(api "$port_a" POST /keys '{"id":"roam","team":"platform","providers":["mock"]}')"
secret=$(jq -r .secret "$dir/out")
check "used on A at once" 200 "$(chat "$port_a" "$secret")"
read -r s ms <<< "$(until_status "$port_b" "$secret" 200)"
check "used on B (after ${ms}ms)" 200 "$s"
[ "$ms" -le 1500 ] || { echo "  FAIL B learnt it in ${ms}ms"; fail=1; }

check "rotated on B" 200 "$(api "$port_b" POST /keys/roam/rotate)"
new=$(jq -r .secret "$dir/out")
check "the new secret on B at once" 200 "$(chat "$port_b" "$new")"
read -r s ms <<< "$(until_status "$port_a" "$secret" 401)"
check "the old secret refused on A (after ${ms}ms)" 401 "$s"
check "the new secret on A" 200 "$(chat "$port_a" "$new")"

sleep 0.5
check "an edit of version 2 on A" 200 "$(api "$port_a" PATCH /keys/roam '{"name":"from A","version":2}')"
check "the same version edited on B: a conflict" 409 "$(api "$port_b" PATCH /keys/roam '{"name":"from B","version":2}')"
check "B names the version" "version_conflict" "$(jq -r .error.code "$dir/out")"
sleep 0.5
api "$port_b" GET /keys/roam > /dev/null
check "B shows A's edit" "from A 3" "$(jq -r '"\(.name) \(.version)"' "$dir/out")"

check "deleted on A" 200 "$(api "$port_a" DELETE /keys/roam)"
read -r s ms <<< "$(until_status "$port_b" "$new" 401)"
check "refused on B (after ${ms}ms)" 401 "$s"

# B starts again with an empty zone: it takes the registry from Redis
check "a team made on B" 201 "$(api "$port_b" POST /teams '{"id":"data","budgets":[{"limit":1,"period":"1d"}]}')"
kill -QUIT "$(cat "$dir/b/nginx.pid")"
for _ in $(seq 50); do [ -f "$dir/b/nginx.pid" ] || break; sleep 0.1; done
start b
sleep $(( sync_ms * 3 ))e-3
check "B after a restart knows the team" 200 "$(api "$port_b" GET /teams/data)"
check "and that the key is gone" 404 "$(api "$port_b" GET /keys/roam)"

if grep -h "$secret\|$new" "$dir"/*/logs/* >/dev/null 2>&1; then
    echo "  FAIL a secret is in a log"
    fail=1
fi

[ "$fail" = 0 ] && echo "admin-nodes: passed" || echo "admin-nodes: FAILED (logs: $dir kept)"
[ "$fail" = 0 ] || trap - EXIT
exit "$fail"
