# Exercises the test runner (t/lib/Test/Nginx/Socket.pm, or the real
# Test::Nginx::Socket when installed) against plain nginx: no llmgw module.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();
env_to_nginx('RUNNER_TEST_ENV=from-runner');

$ENV{TEST_NGINX_GREETING} = 'hello';

run_tests();

__DATA__

=== TEST 1: return, response_headers, absent header, $TEST_NGINX_ vars
--- config
    location = /t {
        add_header X-Greeting $TEST_NGINX_GREETING;
        return 200 "port=$server_port\n";
    }
--- request
GET /t
--- response_headers
X-Greeting: hello
Content-Type: text/plain
!X-Missing
--- response_body
port=$TEST_NGINX_SERVER_PORT
--- no_error_log
[error]



=== TEST 2: error_code, response_body_like, response_headers_like
--- config
    location = /gone {
        add_header X-Reason "gone-$uri" always;
        return 404;
    }
--- request
GET /gone
--- error_code: 404
--- response_headers_like
X-Reason: gone-/\w+
--- response_body_like: 404 Not Found



=== TEST 3: POST body and more_headers (body read via proxy_pass to self)
--- config
    location = /body {
        proxy_set_header X-Body $request_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        return 200 "method=$request_method body=[$http_x_body] foo=$http_x_foo len=$content_length\n";
    }
--- request
POST /body
hello world
--- more_headers
X-Foo: bar
# a comment line is ignored
--- response_body
method=POST body=[hello world] foo=bar len=11



=== TEST 4: eval array of requests, per-request expectations
--- config
    location /r {
        return 200 "uri=$uri a=$http_x_a\n";
    }
    location = /missing {
        return 404;
    }
--- request eval
["GET /r/1", "GET /r/2?x=1", "GET /missing"]
--- more_headers eval
["X-A: one", "X-A: two", ""]
--- error_code eval
[200, 200, 404]
--- response_body_like eval
[qr{^uri=/r/1 a=one$}, qr{^uri=/r/2 a=two$}, qr{404 Not Found}]



=== TEST 5: eval array with exact bodies and a Regexp body
--- config
    location /e {
        return 200 "$arg_v";
    }
--- request eval
["GET /e?v=abc", "GET /e?v=xyz"]
--- response_body eval
["abc", qr/^x.z$/]



=== TEST 6: user_files (with subdirectory) served from html_dir
--- config
    location /static/ {
        root html;
        types { application/json json; }
    }
--- user_files
>>> static/a.json
{"ok": true}
>>> static/sub/b.txt
second file
--- request eval
["GET /static/a.json", "GET /static/sub/b.txt"]
--- response_headers eval
["Content-Type: application/json", "Content-Type: text/plain"]
--- response_body eval
["{\"ok\": true}\n", "second file\n"]



=== TEST 7: error_log/no_error_log/grep_error_log with access log in error.log
--- http_config
    log_format fmt "ACCESS $request_method $uri $status";
--- config
    location = /logged {
        access_log logs/error.log fmt;
        return 200 "ok\n";
    }
--- request
GET /logged
--- response_body
ok
--- error_log
ACCESS GET /logged 200
--- no_error_log
[error]
[crit]
ACCESS GET /other
--- grep_error_log eval: qr/ACCESS \S+ \S+/
--- grep_error_log_out
ACCESS GET /logged



=== TEST 8: error_log list given as eval array of regexes
--- http_config
    log_format fmt2 "LINE $uri";
--- config
    location /a {
        access_log logs/error.log fmt2;
        return 204;
    }
--- request
GET /a/b
--- error_code: 204
--- response_body eval: ""
--- error_log eval
[qr/LINE \/a\/b/, "LINE /a"]
--- no_error_log eval
[qr/\[(?:error|alert|emerg)\]/]



=== TEST 9: chunked response (sub_filter drops Content-Length) is de-chunked
--- config
    location = /chunked.txt {
        root html;
        sub_filter_types text/plain;
        sub_filter 'world' 'nginx';
    }
--- user_files
>>> chunked.txt
hello world
--- request
GET /chunked.txt
--- raw_response_headers_like: Transfer-Encoding: chunked
--- response_headers
!Content-Length
--- response_body
hello nginx



=== TEST 10: streamed chunked response from an embedded TCP upstream
--- config
    location = /stream {
        proxy_http_version 1.1;
        proxy_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/up;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
["HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
 "8\r\ndata: 1\n\r\n", "9\r\ndata: 2\n\n\r\n", "0\r\n\r\n"]
--- tcp_reply_delay: 0.05
--- request
GET /stream
--- response_headers
Content-Type: text/event-stream
--- raw_response_headers_like: Transfer-Encoding: chunked
--- response_body eval
"data: 1\ndata: 2\n\n"




=== TEST 11: tcp_query checks what the upstream received
--- config
    location = /q {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2/upstream-path;
        proxy_set_header Host up.example;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_2
--- tcp_query eval
"GET /upstream-path HTTP/1.0\r\nHost: up.example\r\nConnection: close\r\n\r\n"
--- tcp_reply eval
"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nyes"
--- request
GET /q
--- response_body chomp
yes



=== TEST 12: SSI gives a multi-chunk streamed body
--- config
    location = /page.html {
        root html;
        ssi on;
    }
    location = /part {
        return 200 "[part $arg_n]";
    }
--- user_files
>>> page.html
A<!--# include virtual="/part?n=1" -->B<!--# include virtual="/part?n=2" -->C
--- request
GET /page.html
--- response_body
A[part 1]B[part 2]C



=== TEST 13: slice module through proxy_pass to self
--- log_level: debug
--- config
    location /slice/ {
        slice 4;
        proxy_set_header Range $slice_range;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
    location /data/ {
        alias html/;
    }
--- user_files
>>> ten.txt
0123456789
--- request
GET /slice/ten.txt
--- response_body
0123456789
--- error_log
http slice response range: 8-11/11



=== TEST 14: error_page to a named location
--- config
    location = /broken {
        error_page 502 = @fallback;
        proxy_pass http://127.0.0.1:1/;
    }
    location @fallback {
        return 200 "fallback\n";
    }
--- request
GET /broken
--- response_body
fallback
--- error_log
connect() failed
--- no_error_log
[alert]



=== TEST 15: raw_request sent verbatim (HTTP/1.0, no Host header)
--- config
    location = /raw {
        return 200 "proto=$server_protocol host=$host\n";
    }
--- raw_request eval
"GET /raw HTTP/1.0\r\n\r\n"
--- response_body
proto=HTTP/1.0 host=localhost



=== TEST 16: raw_request as packets with a delay in between
--- config
    location = /raw2 {
        return 200 "x=$http_x\n";
    }
--- raw_request eval
["GET /raw2 HTTP/1.1\r\nHost: localhost\r\n", "X: split\r\nConnection: close\r\n\r\n"]
--- raw_request_middle_delay: 0.05
--- response_body
x=split



=== TEST 17: pipelined requests
--- config
    location /p {
        return 200 "$uri\n";
    }
--- pipelined_requests eval
["GET /p1", "GET /p2", "GET /p3"]
--- response_body eval
["/p1\n", "/p2\n", "/p3\n"]



=== TEST 18: main_config, env_to_nginx and http_config
--- main_config
    env RUNNER_MAIN_ENV=main;
--- http_config
    map $uri $mapped {
        default none;
        /m      mapped;
    }
--- config
    location = /m {
        return 200 "$mapped\n";
    }
--- request
GET /m
--- response_body
mapped



=== TEST 19: HEAD request, body-less response
--- config
    location = /h {
        return 200 "not sent\n";
    }
--- request
HEAD /h
--- response_headers
Content-Length: 9
--- response_body eval: ""



=== TEST 20: chunked request body
--- config
    location = /cb {
        proxy_set_header X-Body $request_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/cb-echo;
    }
    location = /cb-echo {
        return 200 "[$http_x_body]\n";
    }
--- more_headers
Transfer-Encoding: chunked
--- request eval
"POST /cb
5\r
hello\r
0\r
\r
"
--- response_body
[hello]



=== TEST 21: per-block log_level, wait, timeout
--- log_level: warn
--- config
    location = /w {
        return 200 "w\n";
    }
--- request
GET /w
--- timeout: 5
--- wait: 0.1
--- response_body
w
--- no_error_log
[debug]
[info]



=== TEST 22: no --- config: reuses the previous nginx
--- request
GET /w
--- response_body
w



=== TEST 23: response_body_filters and chomp
--- config
    location = /f {
        return 200 "Mixed Case";
    }
--- request
GET /f
--- response_body_filters
uc
--- response_body chomp
MIXED CASE



=== TEST 24: skip_eval skips the tests
--- skip_eval: 2: 1
--- config
    location = /never { return 500; }
--- request
GET /never
--- response_body
never checked



=== TEST 25: skip_nginx that does not apply
--- skip_nginx: 2: < 0.1.0
--- config
    location = /v { return 200 "v\n"; }
--- request
GET /v
--- response_body
v



=== TEST 26: must_die on a bad configuration
--- config
    location = /x {
        no_such_directive on;
    }
--- must_die
--- error_log
[emerg]
unknown directive "no_such_directive"



=== TEST 27: an unconditionally skipped block
--- SKIP
--- config
    location = /s { return 500; }
--- request
GET /s



=== TEST 28: last block that runs
--- config
    location = /last { return 200 "last\n"; }
--- request
GET /last
--- response_body
last
--- LAST



=== TEST 29: never run (after LAST)
--- config
    location = /z { return 500; }
--- request
GET /z
