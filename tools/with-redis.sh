#!/bin/sh
# Runs a command with a Redis of its own on a free loopback port, exported
# as TEST_NGINX_REDIS_PORT, and stops it afterwards.
set -eu

command -v redis-server >/dev/null || {
    echo "with-redis: redis-server not found: apt-get install redis-server" >&2
    exit 1
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
       || echo $((20000 + $$ % 20000)))
dir=$(mktemp -d)

redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --dir "$dir"

stop() {
    pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then
        kill -CONT "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap stop EXIT

for i in 1 2 3 4 5 6 7 8 9 10; do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
done

TEST_NGINX_REDIS_PORT=$port TEST_NGINX_REDIS_PIDFILE=$dir/redis.pid "$@"
