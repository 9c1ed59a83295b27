#!/bin/bash
# End-to-end check of the admin API in a real nginx, for what Test::Nginx
# cannot do: two workers, a restart, the audit log's chains, the dashboard
# in a browser.
#
#   tools/admin-check.sh [OUTDIR]
#
# Builds nothing: it loads build/ngx_http_llmgw_module.so ($LLMGW_MODULE:
# another) into Debian's /usr/sbin/nginx ($NGINX_BIN), and verifies the
# audit log with build/llmgw-audit-verify ($LLMGW_AUDIT_VERIFY; `make
# build/llmgw-audit-verify`).  It starts its own nginx (prefix in a mktemp
# directory, removed at the end) with `worker_processes 2`, the gateway
# listening with `reuseport` so that the kernel spreads new connections
# over both workers, a mock OpenAI provider, `llmgw_snapshot` every 1s, the
# audit log with its key, an access log of `$pid $status ...
# $llmgw_virtual_key`, and a governance file with an "admin" section (an
# admin and a viewer token, random for the run), a customer and a team in
# it, each with a budget.  Ports: the first two free from ADMIN_CHECK_PORT
# (default 18720) on.
#
# Then, with curl and jq:
#   a. a key made through the API with a minted secret (no "secret" given)
#      answers 20 chat requests at once, each on a new connection, all 200,
#      served by both workers (the access log's $pid), one of them not the
#      worker that made it
#   b. after POST .../rotate (minted), the old secret is a 401 on both
#      workers (12 connections), the new one a 200
#   c. the dashboard (tools/dashboard-check.sh, headless Chromium) with the
#      admin token shows the keys, the team and the customer with their
#      budgets, the model of the stats, a budget refusal (a second key
#      made with a $0.000001 budget) and the rotation in the trail; with
#      the viewer token, the same but the trail denied
#   d. after `nginx -s quit` and a new start, the key (its latest secret)
#      still works, the old one still does not, the key keeps its version,
#      and its usage still holds the key's and the team's spend of before
#      (the snapshot keeps documents and counters)
#   e. the audit log verifies (llmgw-audit-verify -k KEY, chains of both
#      runs), holds the admin records and every 200 of the key; no log of
#      the run, nor the snapshot, nor Chromium's output holds a secret (the
#      minted ones, the admin tokens, the provider key); no worker crashed
#
# Exit 1 at the first failure, saying what failed; the logs of the run are
# copied to OUTDIR/logs (default OUTDIR: build/admin-check), the dashboard's
# screenshots to OUTDIR/dashboard.png and OUTDIR/viewer/dashboard.png
# (DASHBOARD_WINDOW, default 1400,1300).  Takes about 10 s.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/admin-check}
module=${LLMGW_MODULE:-$top/build/ngx_http_llmgw_module.so}
# not $NGINX: nginx reads that variable as sockets inherited on upgrade
nginx=${NGINX_BIN:-/usr/sbin/nginx}
verify=${LLMGW_AUDIT_VERIFY:-$top/build/llmgw-audit-verify}
first_port=${ADMIN_CHECK_PORT:-18720}

case ${1:-} in
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
               exit 0 ;;
    -*) echo "admin-check: unknown option $1" >&2; exit 2 ;;
esac

fail() {
    echo "admin-check: FAIL: $*" >&2
    exit 1
}

for f in "$module" "$nginx" "$verify"; do
    [ -e "$f" ] || fail "$f is missing (make; make build/llmgw-audit-verify)"
done
for c in curl jq openssl sha256sum; do
    command -v "$c" >/dev/null || fail "$c is not installed"
done
module=$(cd "$(dirname "$module")" && pwd)/$(basename "$module")

t_start=$(date +%s)
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/logs" "$out/viewer" "$out/dashboard.png" "$out/dashboard.html"

# --- the run's directory, ports and secrets ---------------------------------

work=$(mktemp -d /tmp/llmgw-admin-check.XXXXXX)
# the workers run as nobody when the master is root: they must reach the
# prefix and write the snapshot (written as a temporary file, then renamed)
chmod 755 "$work"
mkdir -p "$work/conf" "$work/logs" "$work/tmp" "$work/state"
chmod 777 "$work/state"
conf=$work/conf/nginx.conf
pidfile=$work/logs/nginx.pid

cleanup() {
    local rc=$?
    if [ -s "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        for _ in $(seq 50); do [ -e "$pidfile" ] || break; sleep 0.1; done
    fi
    if [ -d "$work/logs" ]; then
        mkdir -p "$out/logs"
        cp -p "$work"/logs/*.log "$out/logs/" 2>/dev/null || true
    fi
    rm -rf "$work"
    [ $rc = 0 ] || echo "admin-check: the run's logs are in $out/logs" >&2
}
trap cleanup EXIT

port_free() {  # port: nothing listens on it
    if command -v ss >/dev/null; then
        [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
    else
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 1; fi
    fi
}
port=$first_port
while ! port_free "$port" || ! port_free $((port + 1)); do
    port=$((port + 2))
    [ $port -lt $((first_port + 200)) ] || fail "no two free ports from $first_port on"
done
mock_port=$((port + 1))
base=http://127.0.0.1:$port
admin=$base/llmgw/admin

rand() { openssl rand -hex 16; }
sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }
admin_token=sk-adm-$(rand)
viewer_token=sk-view-$(rand)
file_secret=sk-file-$(rand)
provider_key=sk-prov-$(rand)
printf '%s\n' "$provider_key" > "$work/conf/provider.key"
(umask 077 && openssl rand -hex 32 > "$work/conf/audit.key")

cat > "$work/conf/llmgw.json" <<EOF
{
  "providers": {
    "mock": {
      "kind": "openai", "upstream": "llmgw_mock", "scheme": "http",
      "host": "127.0.0.1", "base_path": "/mock/v1",
      "keys": [{"id": "p1", "value": "file:$work/conf/provider.key"}],
      "models": ["gpt-4o-mini"]
    }
  },
  "virtual_keys": [
    {"id": "file-key", "name": "A key of the file", "key_sha256": "$(sha "$file_secret")",
     "team": "platform", "providers": ["mock"]}
  ],
  "customers": {"acme": {"name": "ACME Corp", "budgets": [{"limit": 50, "period": "1M"}]}},
  "teams": {"platform": {"name": "Platform", "customer": "acme",
                         "budgets": [{"limit": 5, "period": "1d"}]}},
  "prices": {"gpt-4o-mini": {"input": 0.15, "output": 0.6}},
  "admin": {"tokens": [
    {"id": "ops", "sha256": "$(sha "$admin_token")", "role": "admin"},
    {"id": "watcher", "sha256": "$(sha "$viewer_token")", "role": "viewer"}
  ]}
}
EOF

cat > "$conf" <<EOF
load_module $module;

worker_processes 2;
pid $pidfile;
error_log $work/logs/error.log notice;

events {
    worker_connections 256;
}

http {
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;

    llmgw_config $work/conf/llmgw.json;
    llmgw_zone llmgw 4m;
    llmgw_snapshot $work/state/llmgw.snapshot 1s;
    llmgw_audit_log $work/logs/audit.log;
    llmgw_audit_key $work/conf/audit.key;

    log_format check '\$pid \$status \$request_method \$uri key=\$llmgw_virtual_key';

    upstream llmgw_mock {
        server 127.0.0.1:$mock_port;
        keepalive 8;
    }

    server {
        listen 127.0.0.1:$port reuseport;
        access_log $work/logs/access.log check;

        location /v1/ {
            llmgw on;
            include $top/conf.d/llmgw_proxy.conf;
        }

        location /llmgw/admin/ {
            llmgw_admin;
        }
    }

    # the provider: one answer, with usage, for its key only
    server {
        listen 127.0.0.1:$mock_port;
        access_log off;
        default_type application/json;

        location = /mock/v1/chat/completions {
            if (\$http_authorization != "Bearer $provider_key") {
                return 401 '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}';
            }
            return 200 '{"id":"chatcmpl-1","object":"chat.completion","created":1732406400,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there!","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":13,"completion_tokens":7,"total_tokens":20},"system_fingerprint":"fp_1"}';
        }
    }
}
EOF

start_nginx() {
    "$nginx" -p "$work/" -c "$conf" -e "$work/logs/error.log" -t -q \
        || fail "nginx -t refused the configuration (see $out/logs/error.log)"
    "$nginx" -p "$work/" -c "$conf" -e "$work/logs/error.log" \
        || fail "nginx did not start (see $out/logs/error.log)"
    local n
    for _ in $(seq 100); do
        # both workers up: two processes whose parent is the master
        n=0
        if [ -s "$pidfile" ]; then
            n=$(pgrep -c -P "$(cat "$pidfile")" 2>/dev/null) || true
        fi
        if [ "${n:-0}" -ge 2 ] && curl -s -o /dev/null "$admin/dashboard"; then
            return 0
        fi
        sleep 0.1
    done
    fail "nginx does not answer on port $port"
}

stop_nginx() {  # gracefully, until the master is gone
    local master
    master=$(cat "$pidfile")
    "$nginx" -p "$work/" -c "$conf" -e "$work/logs/error.log" -s quit
    for _ in $(seq 100); do
        kill -0 "$master" 2>/dev/null || return 0
        sleep 0.1
    done
    fail "nginx (pid $master) did not quit in 10 s"
}

# --- helpers ------------------------------------------------------------------

body=$work/body.json
# api METHOD PATH TOKEN [DATA]: the status; the answer in $body
api() {
    curl -s -o "$body" -w '%{http_code}' -X "$1" \
        -H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
        ${4:+--data-binary "$4"} "$admin/$2"
}
expect_api() {  # STATUS METHOD PATH TOKEN [DATA]
    local want=$1 got
    shift
    got=$(api "$@")
    [ "$got" = "$want" ] || fail "$1 $2: $got, not $want: $(head -c 400 "$body")"
}

chat='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'
# chats SECRET N: N chat requests, each curl its own connection; the statuses
chats() {
    for _ in $(seq "$2"); do
        curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $1" \
            -H 'Content-Type: application/json' -d "$chat" "$base/v1/chat/completions"
    done
}
# pids STATUS KEY: the workers that answered the chats of KEY with STATUS
pids() {
    awk -v s="$1" -v k="key=$2" '$2 == s && $4 == "/v1/chat/completions" && $5 == k { print $1 }' \
        "$work/logs/access.log" | sort -u
}
log_mark() { wc -l < "$work/logs/access.log"; }
# pids_since LINE STATUS KEY: as pids, for the lines after LINE
pids_since() {
    tail -n +$(($1 + 1)) "$work/logs/access.log" \
        | awk -v s="$2" -v k="key=$3" '$2 == s && $4 == "/v1/chat/completions" && $5 == k { print $1 }' \
        | sort -u
}

start_nginx
workers=$(pgrep -P "$(cat "$pidfile")" | sort | tr '\n' ' ')
echo "admin-check: nginx on $base (workers: $workers), prefix $work"

# --- a. a minted key, used at once by both workers ---------------------------

expect_api 201 POST keys "$admin_token" \
    '{"id":"ci-bot","name":"CI bot","team":"platform","providers":["mock"],"budgets":[{"limit":1,"period":"1d"}],"rate_limit":{"requests":1000,"window":"1h"}}'
secret1=$(jq -r '.secret // empty' "$body")
case $secret1 in
    sk-llmgw-?*) ;;
    *) fail "POST keys without a secret: no minted .secret: $(head -c 400 "$body")" ;;
esac
version1=$(jq -r '.key.version' "$body")
hint1=$(jq -r '.key.key_hint' "$body")
[ "$hint1" = "...${secret1: -4}" ] || fail "key_hint $hint1 is not the secret's last 4 characters"
creator=$(awk '$3 == "POST" && $4 == "/llmgw/admin/keys" { p = $1 } END { print p }' "$work/logs/access.log")

statuses=$(chats "$secret1" 20 | sort | uniq -c | tr -s ' ' | sed 's/^ //' | tr '\n' ' ')
[ "$statuses" = "20 200 " ] || fail "a. 20 chats with the minted secret: $statuses(count status), not all 200"
served=$(pids 200 ci-bot | tr '\n' ' ')
[ "$(echo "$served" | wc -w)" -ge 2 ] \
    || fail "a. the 20 chats of ci-bot were all served by worker(s) $served: reuseport spread nothing"
other=$(pids 200 ci-bot | grep -vx "$creator" | head -1)
[ -n "$other" ] || fail "a. no chat served by a worker other than the one that made the key ($creator)"
echo "admin-check: a. minted key ci-bot (v$version1, $hint1): 20/20 chats 200, served by workers $served(made by $creator)"

# --- b. rotation: the old secret refused on both workers ----------------------

expect_api 200 POST keys/ci-bot/rotate "$admin_token"
secret2=$(jq -r '.secret // empty' "$body")
case $secret2 in
    sk-llmgw-?*) ;;
    *) fail "b. rotate without a secret: no minted .secret: $(head -c 400 "$body")" ;;
esac
[ "$secret2" != "$secret1" ] || fail "b. rotate answered the same secret"
version2=$(jq -r '.key.version' "$body")
[ "$version2" = $((version1 + 1)) ] || fail "b. rotate: version $version2 after $version1"

mark=$(log_mark)
statuses=$(chats "$secret1" 12 | sort | uniq -c | tr -s ' ' | sed 's/^ //' | tr '\n' ' ')
[ "$statuses" = "12 401 " ] || fail "b. 12 chats with the old secret: $statuses(count status), not all 401"
refused_by=$(tail -n +$((mark + 1)) "$work/logs/access.log" \
    | awk '$2 == 401 && $4 == "/v1/chat/completions" { print $1 }' | sort -u | tr '\n' ' ')
[ "$(echo "$refused_by" | wc -w)" -ge 2 ] \
    || fail "b. the old secret's 401s all came from worker(s) $refused_by: not checked on both"
mark=$(log_mark)
statuses=$(chats "$secret2" 10 | sort | uniq -c | tr -s ' ' | sed 's/^ //' | tr '\n' ' ')
[ "$statuses" = "10 200 " ] || fail "b. 10 chats with the new secret: $statuses(count status), not all 200"
echo "admin-check: b. rotated to v$version2: old secret 12/12 401 (workers $refused_by), new secret 10/10 200 (workers $(pids_since "$mark" 200 ci-bot | tr '\n' ' '))"

# --- c. the dashboard on this data ------------------------------------------

# a refusal for the stats: a key whose budget no request fits in
expect_api 201 POST keys "$admin_token" \
    '{"id":"capped","providers":["mock"],"budgets":[{"limit":0.000001,"period":"1d"}]}'
secret3=$(jq -r '.secret // empty' "$body")
statuses=$(chats "$secret3" 1)
[ "$statuses" = 402 ] || fail "c. a chat over the budget of key capped: $statuses, not 402"

expect_api 200 GET stats "$admin_token"
model=$(jq -r '.models[0].model // empty' "$body")
[ "$model" = gpt-4o-mini ] || fail "c. GET stats: no model gpt-4o-mini: $(head -c 400 "$body")"
expect_api 200 GET 'audit?limit=2' "$admin_token"
[ "$(jq -r '[.data[] | .action + " " + .id] | join(", ")' "$body")" = "key.create capped, key.rotate ci-bot" ] \
    || fail "c. GET audit?limit=2: not the last two actions, newest first: $(head -c 600 "$body")"

dash=$admin/dashboard
# tall enough for the audit trail
export DASHBOARD_WINDOW=${DASHBOARD_WINDOW:-1400,1300}
"$top/tools/dashboard-check.sh" "$dash" "$admin_token" "$out" \
    --expect 'data-key-id="ci-bot"' --expect 'data-key-id="file-key"' \
    --expect 'data-key-id="capped"' \
    --expect 'data-id="platform"' --expect "data-model=\"mock/$model\"" \
    --expect 'data-action="key.rotate"' --expect 'data-action="key.create"' \
    --expect 'data-provider="mock"' --expect 'data-group="team"' \
    --expect 'data-level="customer" data-id="acme"' \
    --expect 'data-level="key" data-reason="budget"' \
    --reject 'cannot see' > /dev/null \
    || fail "c. the dashboard with the admin token (see $out/dashboard.html)"
"$top/tools/dashboard-check.sh" "$dash" "$viewer_token" "$out/viewer" \
    --expect 'data-key-id="ci-bot"' --expect 'data-id="platform"' \
    --expect 'Your role (viewer) cannot see the audit trail.' \
    --reject 'data-action=' > /dev/null \
    || fail "c. the dashboard with the viewer token (see $out/viewer/dashboard.html)"
echo "admin-check: c. dashboard: admin sees keys ci-bot and capped, team platform, customer acme, $model, a budget refusal, key.rotate; viewer denied the trail"
echo "admin-check:    screenshot $out/dashboard.png (viewer: $out/viewer/dashboard.png)"

# --- d. persistence across a restart ----------------------------------------

expect_api 200 GET keys/ci-bot/usage "$admin_token"
spent_key=$(jq -r '.limits[] | select(.level == "key" and .kind == "budget") | .spent_usd' "$body")
spent_team=$(jq -r '.limits[] | select(.level == "team" and .id == "platform" and .kind == "budget") | .spent_usd' "$body")
[ -n "$spent_key" ] && [ -n "$spent_team" ] \
    || fail "d. GET keys/ci-bot/usage lacks the key's or the team's budget: $(head -c 600 "$body")"
awk -v s="$spent_key" 'BEGIN { exit !(s + 0 > 0) }' \
    || fail "d. the key's budget shows no spend after 30 chats: $spent_key"
# the snapshot of this state: written every 1s
sleep 1.2

old_master=$(cat "$pidfile")
stop_nginx
[ -s "$work/state/llmgw.snapshot" ] || fail "d. no snapshot at $work/state/llmgw.snapshot after quit"
start_nginx
[ "$(cat "$pidfile")" != "$old_master" ] || fail "d. the same master after the restart"

expect_api 200 GET keys/ci-bot "$admin_token"
[ "$(jq -r .version "$body")" = "$version2" ] \
    || fail "d. after the restart keys/ci-bot is at version $(jq -r .version "$body"), not $version2"
[ "$(jq -r .key_hint "$body")" = "...${secret2: -4}" ] \
    || fail "d. after the restart the key_hint is $(jq -r .key_hint "$body"), not the rotated secret's"
expect_api 200 GET keys/ci-bot/usage "$admin_token"
spent_key2=$(jq -r '.limits[] | select(.level == "key" and .kind == "budget") | .spent_usd' "$body")
spent_team2=$(jq -r '.limits[] | select(.level == "team" and .id == "platform" and .kind == "budget") | .spent_usd' "$body")
[ "$spent_key2" = "$spent_key" ] && [ "$spent_team2" = "$spent_team" ] \
    || fail "d. spend before the restart: key \$$spent_key, team \$$spent_team; after: key \$${spent_key2:-none}, team \$${spent_team2:-none}"
expect_api 200 GET 'audit?limit=5' "$admin_token"
trail=$(jq -r '[.data[].action] | join(",")' "$body")
case ",$trail," in
    *,key.rotate,*) ;;
    *) fail "d. after the restart the trail holds \"$trail\", not the rotation" ;;
esac
statuses=$(chats "$secret2" 4 | sort | uniq -c | tr -s ' ' | sed 's/^ //' | tr '\n' ' ')
[ "$statuses" = "4 200 " ] || fail "d. after the restart, 4 chats with the latest secret: $statuses(count status)"
statuses=$(chats "$secret1" 4 | sort | uniq -c | tr -s ' ' | sed 's/^ //' | tr '\n' ' ')
[ "$statuses" = "4 401 " ] || fail "d. after the restart, 4 chats with the rotated-away secret: $statuses(count status)"
echo "admin-check: d. after quit and start: ci-bot still v$version2, spend kept (key \$$spent_key, team \$$spent_team), latest secret 200, old 401, the trail kept ($trail)"

# --- e. the audit log, and no secret in any log --------------------------------

stop_nginx
audit=$work/logs/audit.log
vout=$("$verify" -k "$work/conf/audit.key" "$audit" 2>&1) \
    || fail "e. llmgw-audit-verify: $vout"
nadmin=$(grep -c '^{"type":"admin"' "$audit" || true)
for a in key.create key.rotate; do
    grep -q "^{\"type\":\"admin\",.*\"action\":\"$a\",\"entity\":\"key\",\"id\":\"ci-bot\"" "$audit" \
        || fail "e. the audit log has no admin record of $a ci-bot"
done
ngov=$(grep -c '"key_id":"ci-bot"' "$audit" || true)
[ "$ngov" -ge 34 ] || fail "e. the audit log has $ngov records of ci-bot's requests, not 34"
for s in "$secret1" "$secret2" "$secret3" "$admin_token" "$viewer_token" "$file_secret" "$provider_key"; do
    if hit=$(grep -lF -- "$s" "$work"/logs/* "$work/state/llmgw.snapshot" \
                 "$out"/chromium.log "$out"/dashboard.html "$out"/viewer/*); then
        fail "e. a secret (...${s: -4}) is written in: $hit"
    fi
done
if bad=$(grep -E '\[(alert|crit|emerg)\]|exited on signal' "$work/logs/error.log"); then
    fail "e. the error log: $(echo "$bad" | head -3)"
fi
echo "admin-check: e. audit log: $(echo "$vout" | tail -1); $nadmin admin records, $ngov of ci-bot's requests; no secret in $(ls "$work/logs" | tr '\n' ' ')the snapshot or Chromium's output; no crash"

echo "admin-check: PASS in $(( $(date +%s) - t_start ))s; screenshot $out/dashboard.png"
