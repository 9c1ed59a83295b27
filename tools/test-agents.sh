#!/bin/bash
# `make test-agents`: four coding-agent CLIs from npm (Claude Code, Codex
# CLI, Gemini CLI, Qwen Code), each run non-interactively through the
# gateway to mock providers, once in its own API format and once served by
# a mock of another format.  For each run: the answer the CLI printed must
# hold the mock's sentence, and the audit log must hold a record of the run
# (by its virtual key) with the provider that served it, the mock's usage
# and its cost at the governance file's price.
#
#   tools/test-agents.sh [--agents claude,codex,gemini,qwen]
#   tools/test-agents.sh --capture DIR [--agents ...]
#
# AGENTS=claude,qwen selects CLIs too.  AGENTS_TIMEOUT (default 120) is
# each run's limit in seconds, AGENTS_DEADLINE (default 300) the limit of
# all runs together: a run never gets less than 20 s, nor more than what
# is left (a CLI that keeps retrying a failing gateway would otherwise
# take minutes).  AGENTS_PORT is the first of three ports (default 18610;
# the run has a network namespace of its own, so they never clash).
# AGENTS_CLAUDE_MODEL, AGENTS_CODEX_MODEL (AGENTS_CODEX_OTHER_MODEL for its
# run through another format), AGENTS_GEMINI_MODEL and AGENTS_QWEN_MODEL
# change the model a CLI asks for (it must have a price
# in t/agents/governance.json).
#
# The CLIs are installed (exact versions in t/agents/package.json) into
# build/agents/npm, outside the namespace; everything else runs inside
# `unshare --net` with only loopback up, so nothing a CLI tries on its own
# leaves the machine.  One nginx (Debian's, with the module) serves the
# gateway and the mocks (t/agents/nginx.conf, mocks.conf); each CLI run gets
# a throwaway HOME and working directory under /tmp, its output, the
# gateway's logs and its audit records are kept in build/agents/run/.
#
# --capture DIR points each CLI straight at the mocks with a plain nginx
# (no llmgw) that mirrors every request to a logger: DIR/<cli>.jsonl holds
# each request's method, URI, headers and body, DIR/summary.txt a digest.
# There the CLIs pick their own default models (AGENTS_CAPTURE_MODEL: one
# for all); AGENTS_MOCKS=DIR serves another copy of t/agents/mocks/.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
agents_dir=$top/t/agents
# the canned answers (AGENTS_MOCKS: another directory of the same files)
mocks=${AGENTS_MOCKS:-$agents_dir/mocks}
cache=$top/build/agents
npm_dir=$cache/npm
bin=$npm_dir/node_modules/.bin
# not $NGINX: nginx reads that variable as sockets inherited on upgrade
nginx=${NGINX_BIN:-/usr/sbin/nginx}
module=$top/build/ngx_http_llmgw_module.so
timeout_max=${AGENTS_TIMEOUT:-120}
deadline=$(( $(date +%s) + ${AGENTS_DEADLINE:-300} ))
port=${AGENTS_PORT:-18610}
mock_port=$((port + 1))
log_port=$((port + 2))
agents=${AGENTS:-claude,codex,gemini,qwen}
capture=

usage() {
    sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
    exit "${1:-0}"
}

while [ $# -gt 0 ]; do
    case $1 in
        --agents) agents=$2; shift 2 ;;
        --agents=*) agents=${1#*=}; shift ;;
        --capture) capture=$2; shift 2 ;;
        --capture=*) capture=${1#*=}; shift ;;
        -h|--help) usage 0 ;;
        *) echo "test-agents: unknown argument $1" >&2; usage 2 >&2 ;;
    esac
done

agents=$(echo "$agents" | tr ',' ' ')
for a in $agents; do
    case $a in
        claude|codex|gemini|qwen) ;;
        *) echo "test-agents: unknown CLI $a (claude, codex, gemini, qwen)" >&2
           exit 2 ;;
    esac
done

# --- outside the namespace: install, then enter it ---------------------------

if [ -z "${LLMGW_AGENTS_NETNS:-}" ]; then
    command -v npm >/dev/null || make -s -C "$top" deps EXTRA_PACKAGES="nodejs npm"
    command -v ip >/dev/null || make -s -C "$top" deps EXTRA_PACKAGES=iproute2
    if [ -z "$capture" ] && [ ! -f "$module" ]; then
        make -s -C "$top" "build/ngx_http_llmgw_module.so"
    fi

    # the pinned CLIs, installed again only when the pins change
    mkdir -p "$npm_dir"
    stamp=$(sha256sum < "$agents_dir/package.json" | cut -c1-64)
    if [ "$(cat "$npm_dir/.stamp" 2>/dev/null)" != "$stamp" ] \
       || [ ! -x "$bin/claude" ]; then
        echo "test-agents: installing the CLIs (t/agents/package.json) into $npm_dir"
        t0=$(date +%s)
        cp "$agents_dir/package.json" "$npm_dir/"
        (cd "$npm_dir" && npm install --no-audit --no-fund --no-save \
            --loglevel=error)
        echo "$stamp" > "$npm_dir/.stamp"
        echo "test-agents: installed in $(( $(date +%s) - t0 ))s," \
             "$(du -sh "$npm_dir/node_modules" | cut -f1)"
    fi

    if [ -n "$capture" ]; then
        mkdir -p "$capture"
        capture=$(cd "$capture" && pwd)
    fi

    unshare_args=--net
    [ "$(id -u)" = 0 ] || unshare_args="--net --map-root-user"
    export LLMGW_AGENTS_NETNS=1
    # shellcheck disable=SC2086
    exec unshare $unshare_args -- "$0" --agents "$(echo $agents | tr ' ' ,)" \
        ${capture:+--capture "$capture"}
fi

# --- inside: loopback only ---------------------------------------------------

ip link set lo up
if ip -o link show | grep -v ': lo:' | grep -q .; then
    echo "test-agents: the namespace has more than loopback" >&2
    exit 1
fi

run=$cache/run
prefix=$run/nginx
rm -rf "$run"
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp"

render() {  # template -> $prefix/conf/, placeholders filled in
    sed -e "s|@PORT@|$port|g" -e "s|@MOCK_PORT@|$mock_port|g" \
        -e "s|@LOG_PORT@|$log_port|g" -e "s|@PREFIX@|$prefix|g" \
        -e "s|@CONF@|$prefix/conf|g" -e "s|@MOCKS@|$mocks|g" \
        -e "s|@TOP@|$top|g" -e "s|@MODULE@|$module|g" \
        -e "s|@CAPTURE@|$capture_directive|g" \
        -e "s|@KEY_RE@|$key_re|g" -e "s|@BEARER_RE@|$bearer_re|g" \
        "$1" > "$prefix/conf/$(basename "$1")"
}

# the CLIs' HOMEs and working directories: outside this repository (Claude
# Code, Codex and Gemini CLI read the git repository around them), gone at
# the end
scratch=$(mktemp -d /tmp/llmgw-agents.XXXXXX)

pids=
cleanup() {
    for p in $pids; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

wait_port() {  # port: until it answers, at most 10 s
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "test-agents: nothing answers on port $1" >&2
    exit 1
}

provider_key=$(cat "$agents_dir/provider.key")
if [ -n "$capture" ]; then
    capture_directive='mirror /_capture;'
    key_re='^'
    bearer_re='^'
    conf=capture.nginx.conf
else
    capture_directive=
    key_re="^$provider_key\$"
    bearer_re="^Bearer $provider_key\$"
    conf=nginx.conf
fi

for f in "$agents_dir/$conf" "$agents_dir/mocks.conf" "$agents_dir/mock-hop.conf"; do
    render "$f"
done
if [ -z "$capture" ]; then
    render "$agents_dir/governance.json"
    cp "$agents_dir/provider.key" "$top/conf.d/llmgw_proxy.conf" \
       "$top/conf.d/prices.json" "$prefix/conf/"
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' \
        > "$prefix/audit.key")
fi
[ "$conf" = nginx.conf ] || mv "$prefix/conf/$conf" "$prefix/conf/nginx.conf"

if [ -n "$capture" ]; then
    : > "$capture/capture.jsonl"
    node "$agents_dir/capture-log.mjs" "$log_port" "$capture/capture.jsonl" &
    pids="$pids $!"
    wait_port "$log_port"
fi

"$nginx" -p "$prefix" -c "$prefix/conf/nginx.conf" -t -q
"$nginx" -p "$prefix" -c "$prefix/conf/nginx.conf" -g 'daemon off;' &
pids="$pids $!"
wait_port "$mock_port"
[ -n "$capture" ] || wait_port "$port"

# --- the CLIs ----------------------------------------------------------------

prompt="Reply with one short sentence: what does the server say?"

# the model each CLI is told to use (its own flag or setting), so that the
# audit record and the price are known: the CLIs' own defaults (Gemini
# CLI's before its router picks one; an explicit model skips the router)
# model_of CLI PROVIDER.  Codex with its newest models (gpt-6.1-sol) puts
# its tools in an "additional_tools" input item of freeform "custom" tools,
# which only OpenAI has: the gateway answers another provider with a 400
# naming the item, so the run through the Anthropic-shaped mock asks for
# gpt-5-codex, whose tools are plain functions.
model_of() {
    case $1-$2 in
        claude-*) echo "${AGENTS_CLAUDE_MODEL:-claude-opus-5-5}" ;;
        codex-openai) echo "${AGENTS_CODEX_MODEL:-gpt-6.1-sol}" ;;
        codex-*) echo "${AGENTS_CODEX_OTHER_MODEL:-gpt-5-codex}" ;;
        gemini-*) echo "${AGENTS_GEMINI_MODEL:-gemini-3.1-pro-preview}" ;;
        qwen-*) echo "${AGENTS_QWEN_MODEL:-qwen3-coder-plus}" ;;
    esac
}

# run_cli CLI NAME BASE KEY MODEL: one run, its output in $run/NAME, its
# HOME and working directory thrown away; sets rc and secs
run_cli() {
    local cli=$1 name=$2 base=$3 key=$4 model=$5
    local dir=$run/$name
    local home=$scratch/$name/home
    local work=$scratch/$name/work
    mkdir -p "$dir" "$home" "$work" "$scratch/$name/tmp"
    local -a env_args=(
        "HOME=$home" "PATH=$bin:/usr/local/bin:/usr/bin:/bin"
        "TMPDIR=$scratch/$name/tmp" "TERM=dumb" "NO_COLOR=1"
        "LANG=C.UTF-8" "CI=1"
    )
    local -a cmd
    case $cli in
        claude)
            mkdir -p "$home/.claude"
            cp "$agents_dir/clis/claude-settings.json" "$home/.claude/settings.json"
            env_args+=("ANTHROPIC_BASE_URL=$base" "ANTHROPIC_API_KEY=$key"
                       "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1")
            cmd=(claude -p)
            [ -z "$model" ] || cmd+=(--model "$model")
            ;;
        codex)
            mkdir -p "$home/.codex"
            sed -e "s|@BASE_URL@|$base|g" -e "s|@MODEL@|${model:-gpt-5-codex}|g" \
                "$agents_dir/clis/codex-config.toml" > "$home/.codex/config.toml"
            [ -n "$model" ] || sed -i '/^model = /d' "$home/.codex/config.toml"
            env_args+=("CODEX_HOME=$home/.codex" "LLMGW_API_KEY=$key")
            cmd=(codex exec --skip-git-repo-check)
            ;;
        gemini)
            mkdir -p "$home/.gemini"
            cp "$agents_dir/clis/gemini-settings.json" "$home/.gemini/settings.json"
            env_args+=("GOOGLE_GEMINI_BASE_URL=$base" "GEMINI_API_KEY=$key"
                       "GEMINI_CLI_TRUST_WORKSPACE=true")
            cmd=(gemini)
            [ -z "$model" ] || cmd+=(-m "$model")
            cmd+=(-p)
            ;;
        qwen)
            mkdir -p "$home/.qwen"
            cp "$agents_dir/clis/qwen-settings.json" "$home/.qwen/settings.json"
            env_args+=("OPENAI_BASE_URL=$base" "OPENAI_API_KEY=$key"
                       "OPENAI_MODEL=${model:-qwen3-coder-plus}")
            cmd=(qwen -p)
            ;;
    esac
    cmd+=("$prompt")

    local t0 t1 left
    left=$(( deadline - $(date +%s) ))
    timeout_s=$timeout_max
    [ "$left" -ge "$timeout_s" ] || timeout_s=$left
    [ "$timeout_s" -ge 20 ] || timeout_s=20
    t0=$(date +%s.%N)
    rc=0
    (cd "$work" && exec timeout -k 5 "$timeout_s" env -i "${env_args[@]}" \
        "${cmd[@]}" < /dev/null > "$dir/stdout" 2> "$dir/stderr") || rc=$?
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
}

# --- capture mode ------------------------------------------------------------

if [ -n "$capture" ]; then
    for cli in $agents; do
        case $cli in
            claude) base=http://127.0.0.1:$mock_port/anthropic ;;
            codex|qwen) base=http://127.0.0.1:$mock_port/openai/v1 ;;
            gemini) base=http://127.0.0.1:$mock_port/gemini ;;
        esac
        echo "test-agents: capture $cli ($base)"
        run_cli "$cli" "$cli" "$base" "sk-capture-fake-$cli-0000" \
            "${AGENTS_CAPTURE_MODEL:-}"
        sleep 0.5
        mv "$capture/capture.jsonl" "$capture/$cli.jsonl"
        : > "$capture/capture.jsonl"
        cp "$run/$cli/stdout" "$capture/$cli.stdout"
        cp "$run/$cli/stderr" "$capture/$cli.stderr"
        echo "  exit $rc in ${secs}s, $(wc -l < "$capture/$cli.jsonl") requests;" \
             "printed: $(head -c 200 "$run/$cli/stdout" | tr '\n' ' ')"
    done
    rm -f "$capture/capture.jsonl"
    cp "$prefix/logs/mock.log" "$capture/nginx-mock.log"
    for cli in $agents; do
        echo "== $cli"
        jq -r '"\(.seq) \(.method) \(.uri) body=\(.body_bytes)B"
               + (if (.body|type) == "object" then
                    " keys=" + ([.body|to_entries[]|"\(.key):\(.value|type)"]|join(","))
                  else "" end)' "$capture/$cli.jsonl"
    done > "$capture/summary.txt"
    cat "$capture/summary.txt"
    exit 0
fi

# --- through the gateway -------------------------------------------------------

gw=http://127.0.0.1:$port

# each mock: its sentence and the usage it reports (t/agents/mocks/)
sentence_of() {
    case $1 in
        anthropic) echo "The llmgw Anthropic mock answers: walrus 2718." ;;
        openai)    echo "The llmgw OpenAI mock answers: pelican 7341." ;;
        gemini)    echo "The llmgw Gemini mock answers: heron 1618." ;;
    esac
}
usage_of() {  # input output
    case $1 in
        anthropic) echo "1400 30" ;;
        openai)    echo "1500 40" ;;
        gemini)    echo "1300 20" ;;
    esac
}

# each CLI: the mock of its own format, then one of another format
providers_of() {
    case $1 in
        claude) echo "anthropic openai" ;;
        codex)  echo "openai anthropic" ;;
        gemini) echo "gemini openai" ;;
        qwen)   echo "openai anthropic" ;;
    esac
}

base_of() {  # the gateway's address as each CLI takes it
    case $1 in
        claude|gemini) echo "$gw" ;;
        codex|qwen)    echo "$gw/v1" ;;
    esac
}

audit=$prefix/logs/audit.log
results=()
failed=0

# check_audit NAME KEY_ID PROVIDER MODEL: every record of the run's key
# served by PROVIDER with the mock's usage, at the governance file's price;
# writes what is wrong to $run/NAME/problems, sets n_records, tokens, cost
check_audit() {
    local name=$1 kid=$2 prov=$3 model=$4
    local dir=$run/$name
    read -r u_in u_out <<< "$(usage_of "$prov")"
    for _ in $(seq 10); do
        jq -c --arg k "$kid" 'select(.key_id == $k)' "$audit" > "$dir/audit.jsonl"
        [ -s "$dir/audit.jsonl" ] && break
        sleep 0.1
    done
    n_records=$(wc -l < "$dir/audit.jsonl")
    tokens=$(jq -s '[.[] | (.usage.input // 0) + (.usage.output // 0)] | add // 0' \
             "$dir/audit.jsonl")
    cost=$(jq -rs '[.[] | .cost_usd // 0] | add // 0 | . * 1e9 | round / 1e9
                   | tostring' "$dir/audit.jsonl")
    if [ "$n_records" = 0 ]; then
        echo "no audit record for key $kid" > "$dir/problems"
        return
    fi
    jq -r --arg prov "mock-$prov" --arg model "$model" \
          --argjson in "$u_in" --argjson out "$u_out" \
          --slurpfile gov "$prefix/conf/governance.json" '
        ($gov[0].prices[$model]) as $price
        | (if $price then ($in * $price.input + $out * $price.output) / 1e6
           else null end) as $want
        | "\(.method) \(.endpoint) \(.status)" as $r
        | if .status != 200 then "\($r): \(.error // "" | tostring)" else
          (if .provider != $prov then "\($r): provider \(.provider), not \($prov)" else empty end),
          (if .served_model != $model then "\($r): served model \(.served_model), not \($model)" else empty end),
          (if (.usage.input // 0) != $in or (.usage.output // 0) != $out
           then "\($r): usage \(.usage | tostring), not input \($in) output \($out)" else empty end),
          (if $want == null then "\($r): no price for \($model) in governance.json"
           elif ((.cost_usd // -1) - $want | fabs) > 1e-9
           then "\($r): cost \(.cost_usd), not \($want)" else empty end)
          end
        ' "$dir/audit.jsonl" | sort | uniq -c \
        | sed -e 's/^ *1 //' -e 's/^ *\([0-9]*\) /\1 records: /' > "$dir/problems"
}

for cli in $agents; do
    for prov in $(providers_of "$cli"); do
        model=$(model_of "$cli" "$prov")
        name=$cli-$prov
        kid=agents-$name
        key=sk-llmgw-agents-$name
        echo "test-agents: $cli -> gateway -> $prov-shaped mock ($model)"
        seen=$(wc -l < "$prefix/logs/access.log")
        run_cli "$cli" "$name" "$(base_of "$cli")" "$key" "$model"
        problems=
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
            problems="timed out after ${timeout_s}s"
        elif [ "$rc" != 0 ]; then
            problems="exit status $rc"
        fi
        want=$(sentence_of "$prov")
        if ! grep -qF "$want" "$run/$name/stdout"; then
            problems="${problems:+$problems; }the answer lacks \"$want\""
        fi
        check_audit "$name" "$kid" "$prov" "$model"
        if [ -s "$run/$name/problems" ]; then
            problems="${problems:+$problems; }$(paste -sd ';' "$run/$name/problems" | sed 's/;/; /g')"
        fi
        if [ -z "$problems" ]; then
            result=pass
            echo "  pass in ${secs}s: $n_records record(s), $tokens tokens, \$$cost"
        else
            result=FAIL
            failed=$((failed + 1))
            echo "  FAIL in ${secs}s: $problems"
            echo "  printed: $(head -c 300 "$run/$name/stdout" | tr '\n' ' ')"
            echo "  stderr:  $(tail -c 600 "$run/$name/stderr" | tr '\n' ' ')"
            echo "  gateway: $(tail -n +$((seen + 1)) "$prefix/logs/access.log" \
                | jq -r '"\(.request) \(.status)"' | sort | uniq -c \
                | sed 's/^ *//' | paste -sd ';' | sed 's/;/; /g')"
        fi
        results+=("$cli|$prov|$result|$n_records|$tokens|$cost|$secs")
    done
done

echo
printf '%-8s %-10s %-6s %8s %8s %12s %8s\n' CLI provider result records tokens cost_usd seconds
for r in "${results[@]}"; do
    IFS='|' read -r c p res n t co s <<< "$r"
    printf '%-8s %-10s %-6s %8s %8s %12s %8s\n' "$c" "$p" "$res" "$n" "$t" "$co" "$s"
done
echo
echo "each run's output and audit records: $run/CLI-PROVIDER/"
echo "test-agents: $(( ${#results[@]} - failed )) passed, $failed failed"
[ "$failed" = 0 ]
