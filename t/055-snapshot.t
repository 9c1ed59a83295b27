# The shm store's counters survive a restart through the snapshot file.

use lib 't/inc';
use LlmgwTest;
use File::Temp ();
use Test::Nginx::Socket 'no_plan';

our $dir = File::Temp::tempdir(CLEANUP => 1);
$ENV{TEST_NGINX_SNAPSHOT} = "$dir/llmgw.snapshot";

our $gov = ">>> llmgw.json\n" . ::governance() =~ s/"providers": \["mock", "echo"/"rate_limit": {"requests": 10, "window": "1d"}, "budgets": [{"limit": 1, "period": "1d"}], "providers": ["mock", "echo"/r;

our $http = $LlmgwTest::http_config . "    llmgw_snapshot \$TEST_NGINX_SNAPSHOT 1s;\n";

our $config = $LlmgwTest::config . <<'_EOC_';
    location = /snapshot {
        default_type text/plain;
        alias $TEST_NGINX_SNAPSHOT;
    }
_EOC_

our $body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: three requests counted, then nginx stops
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: $::gov
--- request eval
[ map { "POST /v1/chat/completions\n$::body" } 1 .. 3 ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[200, 200, 200]
--- response_headers eval
["x-ratelimit-remaining-requests: 9", "x-ratelimit-remaining-requests: 8",
 "x-ratelimit-remaining-requests: 7"]



=== TEST 2: a new nginx (another configuration) starts from the snapshot
--- http_config eval: $::http
--- config eval: $::config . "    # restarted\n"
--- user_files eval: $::gov
--- request eval
["GET /v1/llmgw/usage", "POST /v1/chat/completions\n$::body"]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like eval
[qr/"kind":"requests","window":"1d","limit":10,"used":3,"remaining":7,.*"kind":"budget","period":"1d","reset":"calendar","limit_usd":"1.000000","spent_usd":"0.000017","remaining_usd":"0.999982"/,
 qr/Hi there/]
--- response_headers eval
["", "x-ratelimit-remaining-requests: 6"]



=== TEST 3: the running nginx writes the file every interval, without stopping
--- http_config eval: $::http
--- config eval: $::config . "    # again\n"
--- user_files eval: $::gov
--- init
::http_status(::post_request("/v1/chat/completions", "sk-test-alpha", $::body));
select(undef, undef, undef, 1.6);
--- request
GET /snapshot
--- response_body_like eval
qr/^llmgw-snapshot 1\n(?=(?:.*\n)*\d+ 5 \{k:alpha\}:k:alpha:r:1d:\d+\n)(?=(?:.*\n)*\d+ 29250000 \{k:alpha\}:k:alpha:s:1d:\d+\n)(?:\d+ \d+ \S+\n){2}$/
