#!/bin/sh
# Proves that the Test::Nginx runner can fail: each deliberately wrong .t file
# below must make prove fail with the expected message, and the correct ones
# must pass.  Uses t/lib (the bundled runner) unless RUNNER_LIB says otherwise.
# Exit status is nonzero if any expectation is not met.
set -u

cd "$(dirname "$0")/.." || exit 2
LIB=${RUNNER_LIB:-$PWD/t/lib}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/runner-selftest.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
export TEST_NGINX_SERVROOT="$TMP/servroot"
export TEST_NGINX_SERVER_PORT="${SELFTEST_PORT:-1985}"
export TEST_NGINX_NO_SHUFFLE=1

pass=0
fail=0

# write_t NAME: .t file from stdin (header added)
write_t() {
    {
        echo "use Test::Nginx::Socket 'no_plan';"
        echo "run_tests();"
        echo "__DATA__"
        cat
    } > "$TMP/$1.t"
}

# expect NAME pass|fail [MESSAGE]: run prove on NAME.t and check the outcome
expect() {
    name=$1 want=$2 msg=${3:-}
    start=$(date +%s)
    prove -I "$LIB" "$TMP/$name.t" > "$TMP/$name.out" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    ok=1
    if [ "$want" = pass ] && [ $rc -ne 0 ]; then ok=0; fi
    if [ "$want" = fail ] && [ $rc -eq 0 ]; then ok=0; fi
    if [ -n "$msg" ] && ! grep -qF -- "$msg" "$TMP/$name.out"; then ok=0; fi
    if [ $ok -eq 1 ]; then
        pass=$((pass + 1))
        echo "ok   - $name: prove ${want}ed as expected (${secs}s)"
    else
        fail=$((fail + 1))
        echo "FAIL - $name: expected prove to $want${msg:+ with \"$msg\"} (exit $rc, ${secs}s)"
        sed 's/^/    | /' "$TMP/$name.out" | tail -25
    fi
}

write_t good <<'EOF'
=== TEST 1: all good
--- config
    location = /t { return 200 "hi\n"; }
--- request
GET /t
--- response_body
hi
--- no_error_log
[error]
EOF
expect good pass

write_t wrong_status <<'EOF'
=== TEST 1: wrong status
--- config
    location = /t { return 201 "hi\n"; }
--- request
GET /t
--- response_body
hi
EOF
expect wrong_status fail "wrong status - status code ok"

write_t wrong_body <<'EOF'
=== TEST 1: wrong body
--- config
    location = /t { return 200 "hello\nworld\n"; }
--- request
GET /t
--- response_body
hello
there
EOF
expect wrong_body fail "wrong body - response_body - response is expected"

write_t wrong_body_chunked <<'EOF'
=== TEST 1: wrong streamed body
--- config
    location = /c.txt { root html; sub_filter_types text/plain; sub_filter a b; }
--- user_files
>>> c.txt
aaa
--- request
GET /c.txt
--- response_body
aaa
EOF
expect wrong_body_chunked fail "wrong streamed body - response_body - response is expected"

write_t wrong_body_like <<'EOF'
=== TEST 1: body not like
--- config
    location = /t { return 200 "abc"; }
--- request
GET /t
--- response_body_like: ^x
EOF
expect wrong_body_like fail "body not like - response_body_like - response is expected"

write_t forbidden_log <<'EOF'
=== TEST 1: forbidden error log line
--- config
    location = /t { return 200 "x"; }
    location = /u { proxy_pass http://127.0.0.1:1/; }
--- request eval
["GET /t", "GET /u"]
--- error_code eval
[200, 502]
--- no_error_log
connect() failed
EOF
expect forbidden_log fail 'pattern "connect() failed" should not match any line in error.log'

write_t missing_log <<'EOF'
=== TEST 1: missing error log line
--- config
    location = /t { return 200 "x"; }
--- request
GET /t
--- error_log
this line is never logged
EOF
expect missing_log fail 'should match a line in error.log'

write_t hang <<'EOF'
=== TEST 1: hanging upstream
--- config
    location = /t { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/; }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply:
--- tcp_no_close
--- timeout: 1
--- request
GET /t
--- response_body
never
EOF
expect hang fail "client socket timed out"

write_t bad_header <<'EOF'
=== TEST 1: header present but must be absent
--- config
    location = /t { add_header X-Foo bar; return 200; }
--- request
GET /t
--- response_headers
!X-Foo
EOF
expect bad_header fail "header X-Foo not present in the raw headers"

write_t second_req <<'EOF'
=== TEST 1: second request of an eval array is wrong
--- config
    location /t { return 200 "$uri"; }
--- request eval
["GET /t/a", "GET /t/b"]
--- response_body eval
["/t/a", "/t/c"]
EOF
expect second_req fail "response is expected (repeated req 0, req 1)"

write_t bad_grep <<'EOF'
=== TEST 1: grep_error_log_out mismatch
--- config
    location = /t { return 200; }
--- request
GET /t
--- grep_error_log: http finalize request
--- grep_error_log_out
nothing like this
EOF
expect bad_grep fail "grep_error_log_out (req 0)"

write_t no_start <<'EOF'
=== TEST 1: nginx cannot start
--- config
    location = /t { bogus_directive; }
--- request
GET /t
EOF
expect no_start fail 'unknown directive "bogus_directive"'

write_t not_dying <<'EOF'
=== TEST 1: must_die with a valid config
--- config
    location = /t { return 200; }
--- must_die
EOF
expect not_dying fail "die as expected"

write_t only <<'EOF'
=== TEST 1: would fail
--- config
    location = /t { return 500; }
--- request
GET /t

=== TEST 2: the only one run
--- ONLY
--- config
    location = /t { return 200; }
--- request
GET /t
EOF
expect only pass

write_t plan_mismatch <<'EOF'
=== TEST 1: good but the plan says otherwise
--- config
    location = /t { return 200; }
--- request
GET /t
EOF
sed -i "1s/.*/use Test::Nginx::Socket; plan tests => 5;/" "$TMP/plan_mismatch.t"
expect plan_mismatch fail "planned 5 tests but ran 1"

# nothing may be left running
if [ -f "$TMP/servroot/logs/nginx.pid" ] && kill -0 "$(cat "$TMP/servroot/logs/nginx.pid")" 2>/dev/null; then
    fail=$((fail + 1))
    echo "FAIL - an nginx process was left running"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
