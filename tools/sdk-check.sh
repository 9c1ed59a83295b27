#!/bin/sh
# `make test-sdk`: the demo gateway on spare ports, and the official OpenAI
# and Anthropic SDKs for Node (from the npm registry) run against it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
port=${SDK_PORT:-18080}
mock_port=$((port + 1))
prefix=$top/build/run

command -v npm >/dev/null || {
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
}

(cd "$top/test/sdk" && npm ci --no-audit --no-fund --loglevel=error)

PORT=$port MOCK_PORT=$mock_port DAEMON=1 "$top/tools/run-demo.sh" \
    >/dev/null 2>"$top/build/sdk-demo.log"
trap 'kill "$(cat "$prefix/nginx.pid")" 2>/dev/null || true' EXIT

rc=0
node "$top/test/sdk/openai-sdk.mjs" "http://127.0.0.1:$port/v1" || rc=1
node "$top/test/sdk/anthropic-sdk.mjs" "http://127.0.0.1:$port" || rc=1
exit $rc
