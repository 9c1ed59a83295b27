# Reservations are atomic: many clients at once, two workers (and, with
# TEST_LLMGW_STORE=redis, the Redis store), a budget that admits exactly K.

use lib 't/inc';
use LlmgwTest;
use LlmgwGovern;
use Test::Nginx::Socket 'no_plan';

master_on();
workers(2);
no_shuffle();
store_setup();
run_tests();

__DATA__

=== TEST 1: forty clients at once, two workers, a budget that admits exactly ten
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
# the provider reports no usage: every admitted request keeps its
# reservation, so exactly ten fit
">>> llmgw.json\n" . ::gov(provider => 'nousage', key => ', "budgets": [{"limit": ' . ::usd(10 * $::est_cost) . ', "period": "1d"}]') =~ s/"prices": \{"gpt-4o-mini"/"prices": {"nousage\/gpt-4o-mini"/r
--- init
::write_result(::parallel_statuses(40, ::post_request("/v1/chat/completions", "sk-test-limited", $::body)));
--- request
GET /result.txt
--- response_body
200 x10, 402 x30



=== TEST 2: thirty clients at once against a limit of seven requests
--- http_config eval: $::http
--- config eval: $::config . $::extra_config
--- user_files eval
">>> llmgw.json\n" . ::gov(key => ', "rate_limit": {"requests": 7, "window": "1h"}')
--- init
::write_result(::parallel_statuses(30, ::post_request("/v1/chat/completions", "sk-test-limited", $::body)));
--- request
GET /result.txt
--- response_body
200 x7, 429 x23
