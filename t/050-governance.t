# Rate limits and budgets: reserved before the provider is called, at every
# level (provider entry, key, team, customer) at once, settled to the real
# usage after it.

use lib 't/inc';
use LlmgwTest;
use LlmgwGovern;
use Test::Nginx::Socket 'no_plan';

# a stream cut before its usage chunk, and what it should be billed: the
# prompt as estimated, and a token per 4 bytes of the text it carries (an
# escape counting as one byte)
our $cut_stream = ::fixture('openai-tools.sse');
$cut_stream =~ s/data: \{[^\n]*"usage"[^\n]*\n\n//;
$cut_stream =~ s/data: \[DONE\]\n\n$//;
our $cut_tokens = do {
    my $text = 0;
    while ($cut_stream =~ /"(?:content|arguments|refusal|reasoning_content)":"((?:[^"\\]|\\.)*)"/g) {
        (my $v = $1) =~ s/\\./x/g;
        $text += length $v;
    }
    my $body = '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}';
    int((length($body) + 3) / 4) + int(($text + 3) / 4);
};

no_shuffle();
store_setup();
run_tests();

__DATA__

=== TEST 1: a key's request limit: the third request in the window is refused, with OpenAI's headers
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(key => ', "rate_limit": {"requests": 2, "window": "1h"}')
--- request eval
[ map { "POST /v1/chat/completions\n$::body" } 1 .. 3 ]
--- more_headers
Authorization: Bearer sk-test-limited
--- error_code eval
[200, 200, 429]
--- response_headers eval
[
"x-ratelimit-limit-requests: 2\nx-ratelimit-remaining-requests: 1",
"x-ratelimit-limit-requests: 2\nx-ratelimit-remaining-requests: 0",
"x-ratelimit-limit-requests: 2\nx-ratelimit-remaining-requests: 0\nContent-Type: application/json",
]
--- response_headers_like eval
[
"x-ratelimit-reset-requests: \\d+s",
"x-ratelimit-reset-requests: \\d+s",
"Retry-After: \\d+\nx-ratelimit-reset-requests: \\d+s",
]
--- response_body_like eval
[
qr/"content":"Hi there!"/,
qr/"content":"Hi there!"/,
qr/^\{"error":\{"message":"Rate limit reached for key \\"limited\\": 2 requests per 1h \(this request needs 1\); retry in \d+s","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"\}\}$/,
]



=== TEST 2: a token limit is charged the estimate, then the real usage: the settlement frees the difference
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
# admits a request while used + estimate <= limit: after three requests of
# 20 real tokens each, the fourth does not fit
">>> llmgw.json\n" . ::gov(key => ', "rate_limit": {"tokens": ' . ($::est_tokens + 40) . ', "window": "1h"}')
--- request eval
[ map { "POST /v1/chat/completions\n$::body" } 1 .. 4 ]
--- more_headers
Authorization: Bearer sk-test-limited
--- error_code eval
[200, 200, 200, 429]
--- response_headers eval
[
"x-ratelimit-remaining-tokens: " . 40,
"x-ratelimit-remaining-tokens: " . 20,
"x-ratelimit-remaining-tokens: " . 0,
"x-ratelimit-remaining-tokens: " . 101,
]
--- response_body_like eval
[ qr/Hi there/, qr/Hi there/, qr/Hi there/,
  qr/"message":"Rate limit reached for key \\"limited\\": \d+ tokens per 1h \(this request needs $::est_tokens\)/ ]



=== TEST 3: a team's daily budget, charged the real cost: admits exactly what fits
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(team => ', "budgets": [{"limit": ' . ::usd($::est_cost + 2 * $::real_cost) . ', "period": "1d"}]')
--- request eval
[ map { "POST /v1/chat/completions\n$::body" } 1 .. 4 ]
--- more_headers
Authorization: Bearer sk-test-member
--- error_code eval
[200, 200, 200, 402]
--- response_body_like eval
[ qr/Hi there/, qr/Hi there/, qr/Hi there/,
  qr/^\{"error":\{"message":"Budget exceeded for team \\"platform\\": \$0\.000017 of \$0\.\d{6} per 1d spent, this request may cost up to \$0\.\d{6}; the budget resets in \d+s","type":"budget_exceeded","param":null,"code":"budget_exceeded"\}\}$/ ]



=== TEST 4: the cost of a request, from its real usage and the price
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov()
--- request eval
"POST /v1/chat/completions\n$::body"
--- more_headers
Authorization: Bearer sk-test-member
--- error_code: 200
--- error_log
usage: key=member provider=mock model=gpt-4o-mini pkey=p1 prompt=13 completion=7 total=20 cached=4 cost=0.000005850



=== TEST 5: the customer above the team refuses too, and says so
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(customer => ', "budgets": [{"limit": ' . ::usd($::est_cost - 1) . ', "period": "1M"}]',
                           team => ', "budgets": [{"limit": 100, "period": "1d"}]')
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-member
--- error_code: 402
--- response_body_like: "message":"Budget exceeded for customer \\"acme\\": \$0\.000000 of \$0\.\d+ per 1M spent



=== TEST 6: a limit on one provider entry of a key
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(entry => ', "rate_limit": {"requests": 1, "window": "1h"}')
--- request eval
[ map { "POST /v1/chat/completions\n$::body" } 1 .. 2 ]
--- more_headers
Authorization: Bearer sk-test-entry
--- error_code eval
[200, 429]
--- response_body_like eval
[ qr/Hi there/, qr/"message":"Rate limit reached for provider entry \\"mock\\": 1 requests per 1h/ ]



=== TEST 7: a model with no price is refused by default
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-unpriced","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-limited
--- error_code: 403
--- response_body
{"error":{"message":"The model \"gpt-4o-unpriced\" on provider \"mock\" has no price, and this gateway refuses unpriced models","type":"permission_error","param":null,"code":"model_not_priced"}}



=== TEST 8: ...and allowed, flagged in the log, when the policy says so
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov() =~ s/\n\}\n$/,\n  "unpriced_models": "allow"\n}\n/r
--- request
POST /v1/chat/completions
{"model":"gpt-4o-unpriced","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-limited
--- error_code: 200
--- error_log
llmgw: model "gpt-4o-unpriced" on provider "mock" has no price: counted at $0 (unpriced_models allow)



=== TEST 9: the shipped price table prices the provider's models
--- http_config eval: $::http . "    llmgw_prices $ENV{TEST_NGINX_LLMGW_ROOT}/conf.d/prices.json;\n"
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov() =~ s/"prices": \{[^\n]*\}\}/"prices": {}/r
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-limited
--- error_code: 200
--- error_log
usage: key=limited provider=mock model=gpt-4o pkey=p1 prompt=13 completion=7 total=20 cached=4 cost=0.000097500



=== TEST 10: a provider that cannot be reached releases the reservation
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(provider => 'down', key => ', "rate_limit": {"tokens": ' . ($::est_tokens + 1) . ', "window": "1h"}') =~ s/\n\}\n$/,\n  "unpriced_models": "allow"\n}\n/r
--- request eval
[ map { "POST /v1/chat/completions\n$::body" } 1 .. 3 ]
--- more_headers
Authorization: Bearer sk-test-limited
--- error_code eval
[502, 502, 502]



=== TEST 11: a stream's usage is settled like a whole response's
--- http_config eval: $::http
--- config eval: $::config . $::extra_config . $::sse_config
--- user_files eval
[[ "llmgw.json" => ::gov(provider => 'split7', key => ', "rate_limit": {"tokens": ' . ($::est_tokens + 4096 - 100 + 60) . ', "window": "1h"}') =~ s/\n\}\n$/,\n  "unpriced_models": "allow"\n}\n/r ],
 [ "stream.sse" => ::fixture('openai-tools.sse') ]]
--- request eval
[ map { "POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}' } 1 .. 3 ]
--- more_headers
Authorization: Bearer sk-test-limited
--- error_code eval
[200, 200, 429]



=== TEST 12: a key sees its own limits, usage and remaining budgets at every level
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(key => ', "rate_limit": {"requests": 5, "tokens": 100000, "window": "1h"}',
                           team => ', "budgets": [{"limit": 2.5, "period": "1d"}]',
                           customer => ', "budgets": [{"limit": 100, "period": "1M", "reset": "rolling"}]')
=~ s/"team": "platform", "providers": \["mock"\]/"team": "platform", "providers": ["mock"], "rate_limit": {"requests": 5, "tokens": 100000, "window": "1h"}/r
--- request eval
["POST /v1/chat/completions\n$::body", "GET /v1/llmgw/usage"]
--- more_headers
Authorization: Bearer sk-test-member
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/Hi there/,
qr/^\{"object":"llmgw.usage","key":"member","limits":\[\{"level":"key","id":"member","kind":"requests","window":"1h","limit":5,"used":1,"remaining":4,"resets_at":\d+\},\{"level":"key","id":"member","kind":"tokens","window":"1h","limit":100000,"used":20,"remaining":99980,"resets_at":\d+\},\{"level":"team","id":"platform","kind":"budget","period":"1d","reset":"calendar","limit_usd":"2.500000","spent_usd":"0.000005","remaining_usd":"2.499994","resets_at":\d+\},\{"level":"customer","id":"acme","kind":"budget","period":"1M","reset":"rolling","limit_usd":"100.000000","spent_usd":"0.000005","remaining_usd":"99.999994","resets_at":\d+\}\]\}$/]



=== TEST 13: the usage endpoint needs the key, and GET
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov()
--- request eval
["GET /v1/llmgw/usage", "POST /v1/llmgw/usage\n{}"]
--- more_headers eval
["", "Authorization: Bearer sk-test-member"]
--- error_code eval
[401, 405]



=== TEST 14: a window rolls over: the next one starts empty
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(key => ', "rate_limit": {"requests": 2, "window": "2s"}')
--- init
use Time::HiRes ();
# start just after a window begins, so that three requests share it
Time::HiRes::sleep(2 - Time::HiRes::time() % 2 + 0.05);
my $req = ::post_request("/v1/chat/completions", "sk-test-limited", $::body);
my @s = map { ::http_status($req) } 1 .. 3;
Time::HiRes::sleep(2 - Time::HiRes::time() % 2 + 0.05);
push @s, ::http_status($req);
::write_result("@s");
--- request
GET /result.txt
--- response_body
200 200 429 200



=== TEST 16: a stream cut before its usage chunk is billed for the text it delivered
--- http_config eval: $::http
--- config eval: $::config . $::extra_config . $::sse_config
--- user_files eval
[[ "llmgw.json" => ::gov(provider => 'split7', key => ', "rate_limit": {"tokens": 100000, "window": "1h"}') ],
 [ "stream.sse" => $::cut_stream ]]
--- request eval
["POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}',
 "GET /v1/llmgw/usage"]
--- more_headers
Authorization: Bearer sk-test-limited
--- response_body_like eval
[qr/"finish_reason":"tool_calls"/, qr/"kind":"tokens","window":"1h","limit":100000,"used":$::cut_tokens,/]



=== TEST 17: with no max_tokens, the model's output cap is the estimate
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(key => ', "rate_limit": {"tokens": 1000000, "window": "1h"}') =~ s/"cache_read": 0.075\}/"cache_read": 0.075, "max_output_tokens": 777}/r
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-limited
--- response_headers eval
"x-ratelimit-remaining-tokens: " . (1000000 - 777 - int((length('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}') + 3) / 4))



=== TEST 18: refusals are counted by level, in the metrics
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(key => ', "rate_limit": {"requests": 1, "window": "1h"}',
                           team => ', "budgets": [{"limit": 0.000001, "period": "1d"}]')
--- request eval
["POST /v1/chat/completions\n$::body", "POST /v1/chat/completions\n$::body",
 "POST /v1/chat/completions\n$::body", "GET /metrics"]
--- more_headers eval
["Authorization: Bearer sk-test-limited", "Authorization: Bearer sk-test-limited",
 "Authorization: Bearer sk-test-member", ""]
--- error_code eval
[200, 429, 402, 200]
--- response_body_like eval
[qr/Hi there/, qr/rate_limit_exceeded/, qr/budget_exceeded/,
qr/^# HELP llmgw_refusals_total .*
llmgw_refusals_total\{reason="rate_limit",level="key"\} 1
llmgw_refusals_total\{reason="budget",level="key"\} 0
.*llmgw_refusals_total\{reason="budget",level="team"\} 1
.*llmgw_store_errors_total\{policy="closed"\} 0
/s]



=== TEST 19: ids at their longest: a provider entry's request and token limits keep counters of their own
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
my $p = 'p' x 48;
">>> llmgw.json\n" . (::gov(provider => $p, entry => ', "rate_limit": {"requests": 3, "tokens": 100000, "window": "1h"}')
    =~ s/"mock": \{/"$p": {/r =~ s/"id": "entry"/'"id": "' . ('e' x 48) . '"'/er)
--- request eval
[ map { "POST /v1/chat/completions\n$::body" } 1 .. 4 ]
--- more_headers
Authorization: Bearer sk-test-entry
--- error_code eval
[200, 200, 200, 429]
--- response_body_like eval
[ qr/Hi there/, qr/Hi there/, qr/Hi there/, qr/"message":"Rate limit reached for provider entry \\"p{48}\\": 3 requests per 1h/ ]



=== TEST 20: the rate limit headers carry numbers of many digits as they are
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(key => ', "rate_limit": {"requests": 1020304, "tokens": 98765432109, "window": "1h"}')
--- request eval
"POST /v1/chat/completions\n$::body"
--- more_headers
Authorization: Bearer sk-test-limited
--- error_code: 200
--- response_headers eval
"x-ratelimit-limit-requests: 1020304\nx-ratelimit-remaining-requests: 1020303\n"
. "x-ratelimit-limit-tokens: 98765432109\nx-ratelimit-remaining-tokens: " . (98765432109 - $::est_tokens)
