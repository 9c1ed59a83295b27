#!/bin/sh
# make bench: the gateway's own cost against plain nginx proxy_pass to the
# same mock provider (issue 8).  Prints two tables: wall clock (wrk) and
# instructions per request (callgrind).
#
# nginx on loopback (ports 19100-19199), one worker process each:
#   mock         :19100  canned OpenAI answers (bench/mock.conf)     CPU 0
#   plain        :19101  proxy_pass to the mock (bench/plain.conf)   CPU 1
#   llmgw        :19102  the gateway, same mock (bench/llmgw.conf)   CPU 1
#   llmgw-redis  :19103  the same with the Redis store               CPU 1
#   redis-server :19104  for llmgw-redis                             CPU 0
# On two cores the measured worker has CPU 1 to itself, and wrk (one
# thread) shares CPU 0 with the mock and Redis: the measured worker is the
# bottleneck when its "busy" column reads near 100%.  Rounds alternate
# plain, llmgw, plain, llmgw... so drift hits both alike; figures are
# medians over rounds.  Wall-clock figures move with whatever else runs on
# the machine; the callgrind counts do not.
#
# Knobs (environment): BENCH_QUICK=1 (a smoke run of under a minute: 2
# rounds of 1 s, 10 requests under callgrind), BENCH_ROUNDS,
# BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_CG_REQUESTS, BENCH_CASES (names
# to run, e.g. "chat-1k stream-200"), MODULE, NGINX, LOAD_CPU, MEASURED_CPU.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
B=$top/build/bench
NGINX=${NGINX:-/usr/sbin/nginx}
MODULE=${MODULE:-$top/build/ngx_http_llmgw_module.so}
LOAD_CPU=${LOAD_CPU:-0}
MEASURED_CPU=${MEASURED_CPU:-1}
MOCK_PORT=19100 REDIS_PORT=19104

if [ -n "${BENCH_QUICK:-}" ]; then
    ROUNDS=${BENCH_ROUNDS:-2} SECONDS_=${BENCH_SECONDS:-1} WARMUP=0
    CG_N=${BENCH_CG_REQUESTS:-10}
else
    ROUNDS=${BENCH_ROUNDS:-5} SECONDS_=${BENCH_SECONDS:-3} WARMUP=1
    CG_N=${BENCH_CG_REQUESTS:-200}
fi
CONNS=${BENCH_CONNECTIONS:-16}

# The cases: which gateway (an nginx of its own: bench/llmgw.conf with the
# store of store_of below) and
# which virtual key of bench/bench.json: "governed" has rate limits and
# budgets on the key, its provider entry, its team and the team's customer
# (never reached), "open" has none, "guarded" is "governed" with a
# guardrail policy redacting every built-in detector on input and output.
#
# name          path                  body             gateway      key
CASES="
chat-1k         /v1/chat/completions  chat-1k.json     llmgw        governed
chat-1k-open    /v1/chat/completions  chat-1k.json     llmgw        open
chat-1k-guard   /v1/chat/completions  chat-1k.json     llmgw        guarded
chat-1k-redis   /v1/chat/completions  chat-1k.json     llmgw-redis  governed
chat-32k        /v1/chat/completions  chat-32k.json    llmgw        governed
chat-256k       /v1/chat/completions  chat-256k.json   llmgw        governed
stream-200      /v1/chat/completions  stream.json      llmgw        governed
stream-200-guard /v1/chat/completions stream.json      llmgw        guarded
embeddings      /v1/embeddings        embeddings.json  llmgw        governed
"
[ -z "${BENCH_CASES:-}" ] || CASES=$(echo "$CASES" | while read -r c rest; do
    case " $BENCH_CASES " in *" $c "*) echo "$c $rest" ;; esac; done)

GATEWAYS=$(echo "$CASES" | awk 'NF { print $4 }' | sort -u)

port_of() {                     # nginx -> its port
    case $1 in
        mock) echo $MOCK_PORT ;;
        plain) echo 19101 ;;
        llmgw) echo 19102 ;;
        llmgw-redis) echo 19103 ;;
    esac
}

store_of() {                    # gateway -> its llmgw_store
    case $1 in
        llmgw) echo shm ;;
        llmgw-redis) echo "redis 127.0.0.1:$REDIS_PORT" ;;
    esac
}

key_of() {                      # key name -> the virtual key (bench.json)
    case $1 in
        open) echo sk-llmgw-be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0 ;;
        governed) echo sk-llmgw-90e0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be ;;
        guarded) echo sk-llmgw-9a4d0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0 ;;
    esac
}

for tool in wrk valgrind callgrind_annotate callgrind_control curl perl taskset \
    redis-server
do
    command -v $tool >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
[ -f "$MODULE" ] || { echo "bench: $MODULE: run make first" >&2; exit 1; }


# --- the nginx -------------------------------------------------------------

start() {                       # name
    mkdir -p "$B/$1/logs" "$B/$1/tmp"
    "$NGINX" -p "$B/$1/" -c "$B/conf/$1.conf" -e "$B/$1/logs/error.log"
}

stop() {                        # name: by the pid in its pid file
    pidf=$B/$1/run.pid
    [ -f "$pidf" ] || return 0
    pid=$(cat "$pidf")
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$pidf"
}

wait_port() {                   # port: up to 30 s
    i=0
    until curl -s -o /dev/null "http://127.0.0.1:$1/"; do
        i=$((i + 1))
        [ $i -lt 300 ] || { echo "bench: nothing on port $1" >&2; exit 1; }
        sleep 0.1
    done
}

worker() {                      # name -> pid of its one worker process
    m=$(cat "$B/$1/run.pid")
    cat /proc/$m/task/$m/children | tr -d ' '
}

cpu_mask() {                    # n -> worker_cpu_affinity's bit mask of CPU n
    printf 1; [ $1 = 0 ] || printf "%0$1d" 0
}

cleanup() {
    [ -z "${vg_pid:-}" ] || kill "$vg_pid" 2>/dev/null || true
    for n in $GATEWAYS plain mock redis; do stop $n; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for n in $GATEWAYS plain mock redis; do stop $n; done
rm -rf "$B/conf" "$B/cg" "$B/results"
mkdir -p "$B/conf" "$B/cg"

render() {                      # bench/FILE [as NAME] -> $B/conf/NAME
    gw=${2:-$1}
    sed -e "s|@MOCK_PORT@|$MOCK_PORT|g" -e "s|@PLAIN_PORT@|$(port_of plain)|g" \
        -e "s|@GATEWAY_PORT@|$(port_of ${gw%.conf})|g" \
        -e "s|@STORE@|$(store_of ${gw%.conf})|g" -e "s|@MODULE@|$MODULE|g" \
        -e "s|@TOP@|$top|g" \
        -e "s|@LOAD_CPU@|$(cpu_mask $LOAD_CPU)|g" \
        -e "s|@MEASURED_CPU@|$(cpu_mask $MEASURED_CPU)|g" \
        "$here/$1" > "$B/conf/${2:-$1}"
}

perl "$here/gen.pl" "$B/conf"
for n in common mock plain; do render $n.conf; done
for n in $GATEWAYS; do render llmgw.conf $n.conf; done
render bench.json
echo sk-mock-provider-bench > "$B/conf/mock-provider.key"

if echo "$GATEWAYS" | grep -q redis; then
    mkdir -p "$B/redis"
    taskset -c $LOAD_CPU redis-server --bind 127.0.0.1 --port $REDIS_PORT \
        --save '' --appendonly no --daemonize yes --dir "$B/redis" \
        --pidfile "$B/redis/run.pid" --logfile "$B/redis/redis.log"
    until redis-cli -p $REDIS_PORT ping >/dev/null 2>&1; do sleep 0.1; done
fi
for n in mock plain $GATEWAYS; do start $n; wait_port "$(port_of $n)"; done


# --- every case answers 200 on both, streams whole --------------------------

request() {                     # case body key url [url...]: a status a line
    c=$1 body=$2 key=$3; shift 3
    curl -s -w '%{http_code}\n' -H "Authorization: Bearer $(key_of $key)" \
        -H "X-Bench-Case: $c" -H 'Content-Type: application/json' \
        --data-binary "@$B/conf/$body" $(for u; do echo "-o $B/response $u"; done)
}

echo "$CASES" | while read -r c path body gw key; do
    [ -n "$c" ] || continue
    for srv in plain $gw; do
        status=$(request $c $body $key "http://127.0.0.1:$(port_of $srv)$path")
        events=$(grep -c '^data: {' "$B/response" || true)
        # the gateway asked for the usage chunk on the client's behalf: drops
        # it; a guardrail sends what it held back at the end in one more
        want=200; [ $srv = plain ] || want=199
        [ $srv = plain ] || [ "${c%-guard}" = "$c" ] || [ "$events" != 200 ] \
            || want=200
        if [ "$status" != 200 ] || { [ "${c#stream}" != "$c" ] \
               && { [ "$events" != $want ] \
                    || ! tail -n 2 "$B/response" | grep -q '^data: \[DONE\]'; }; }
        then
            echo "bench: $c on $srv: status $status, $events events:" >&2
            head -c 300 "$B/response" >&2; echo >&2
            exit 1
        fi
    done
done


# --- wall clock: wrk in alternating rounds ----------------------------------

measure() {                     # server case path body key round seconds
    srv=$1 c=$2 path=$3 body=$4 key=$5 round=$6 secs=$7
    w=$(worker $srv)
    t0=$(cut -d' ' -f1 /proc/$w/schedstat)
    out=$(BENCH_BODY=$B/conf/$body BENCH_KEY=$(key_of $key) BENCH_CASE=$c \
          taskset -c $LOAD_CPU wrk -t1 -c$CONNS -d${secs}s --timeout 10s \
              -s "$here/post.lua" "http://127.0.0.1:$(port_of $srv)$path")
    t1=$(cut -d' ' -f1 /proc/$w/schedstat)
    set -- $(echo "$out" | grep '^BENCH ')
    [ $# = 6 ] || { echo "bench: wrk on $srv: $out" >&2; exit 1; }
    [ "$6" = 0 ] || { echo "bench: $c on $srv: $6 errors" >&2; exit 1; }
    # case plain|gateway round requests duration_us p50_us p99_us cpu_ns
    [ $srv = plain ] || srv=gateway
    echo "$c $srv $round $2 $3 $4 $5 $((t1 - t0))"
}

rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')
git -C "$top" diff --quiet HEAD -- 2>/dev/null || rev="$rev+changes"
[ "$MODULE" = "$top/build/ngx_http_llmgw_module.so" ] || rev=$MODULE
echo "llmgw bench, $(date -u +%Y-%m-%d), $rev, $("$NGINX" -v 2>&1 | sed 's/.*: //')," \
     "$(nproc) x $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "wrk: $(echo "$CASES" | grep -c .) cases x $ROUNDS rounds x" \
     "${SECONDS_}s x {plain, llmgw}, 1 thread, $CONNS connections;" \
     "worker on CPU $MEASURED_CPU, wrk and mock on CPU $LOAD_CPU;" \
     "load average $(cut -d' ' -f1 /proc/loadavg) before"

echo "$CASES" | while read -r c path body gw key; do
    [ -n "$c" ] || continue
    if [ $WARMUP -gt 0 ]; then
        measure plain $c $path $body $key 0 $WARMUP >/dev/null
        measure $gw $c $path $body $key 0 $WARMUP >/dev/null
    fi
    r=1
    while [ $r -le $ROUNDS ]; do
        measure plain $c $path $body $key $r $SECONDS_
        measure $gw $c $path $body $key $r $SECONDS_
        r=$((r + 1))
    done
done > "$B/results"

awk -f "$here/table.awk" "$B/results"
echo "busy: the measured worker's share of its CPU.  1/RPS is the added cost" \
     "only where both are near 100%; CPU (worker CPU time per request) always."

for n in $GATEWAYS plain; do stop $n; done


# --- instructions per request: callgrind ------------------------------------

# Each nginx runs in one process under callgrind.  After a warm-up the
# counters are zeroed; then each case sends CG_N requests on one keep-alive
# connection and dumps the counters (one file per case).
echo
echo "callgrind: $CG_N requests per case, one keep-alive connection"

for srv in plain $GATEWAYS; do
    taskset -c $MEASURED_CPU valgrind -q --tool=callgrind \
        --callgrind-out-file="$B/cg/$srv" \
        "$NGINX" -p "$B/$srv/" -c "$B/conf/$srv.conf" \
        -e "$B/$srv/logs/error.log" -g 'daemon off; master_process off;' &
    vg_pid=$!
    wait_port "$(port_of $srv)"

    for n in 3 $CG_N; do
        [ $n = 3 ] || callgrind_control -z $vg_pid >/dev/null 2>&1
        echo "$CASES" | while read -r c path body gw key; do
            [ -n "$c" ] && [ $srv = plain -o $srv = "$gw" ] || continue
            url="http://127.0.0.1:$(port_of $srv)$path"
            ok=$(request $c $body $key $(yes "$url" | head -n $n) \
                 | grep -c '^200$' || true)
            [ "$ok" = $n ] || {
                echo "bench: callgrind $c on $srv: $ok of $n answered 200" >&2
                exit 1; }
            [ $n = 3 ] || callgrind_control -d "$c" $vg_pid >/dev/null 2>&1
        done
    done

    kill $vg_pid
    wait $vg_pid || true
    vg_pid=
done

perl "$here/cg.pl" "$B/cg" $CG_N
