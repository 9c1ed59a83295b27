# `nginx -t` refuses a bad governance file and says where the fault is.

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

our $http = <<'_EOC_';
    llmgw_config ../html/llmgw.json;
    upstream mock {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
_EOC_

our $key = digest('sk-test-alpha');

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a JSON syntax error names the line and column
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{
  "providers": {
    "mock": {"kind": "openai" "upstream": "mock"}
  }
}
--- must_die
--- error_log eval
qr/llmgw_config "[^"]*llmgw\.json", line 3, column 40: /



=== TEST 2: an unknown provider kind
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"providers": {"mock": {"kind": "telepathy", "upstream": "mock"}}}
--- must_die
--- error_log
provider "mock": unknown "kind": "telepathy"



=== TEST 3: an upstream block that does not exist
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"providers": {"mock": {"kind": "openai", "upstream": "nowhere"}}}
--- must_die
--- error_log
provider "mock": "upstream": no upstream block "nowhere" in the http block



=== TEST 4: a key written inline is refused
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"providers": {"mock": {"kind": "openai", "upstream": "mock", "keys": [{"id": "k", "value": "sk-live-abc"}]}}}
--- must_die
--- error_log
provider "mock": a key "value" must be "env.NAME" or "file:PATH", never the key itself



=== TEST 5: a key from an unset environment variable
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"providers": {"mock": {"kind": "openai", "upstream": "mock", "keys": [{"id": "k", "value": "env.LLMGW_SURELY_UNSET"}]}}}
--- must_die
--- error_log
provider "mock": environment variable "LLMGW_SURELY_UNSET" is not set



=== TEST 6: a virtual key without a valid digest
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"providers": {"mock": {"kind": "openai", "upstream": "mock"}},
 "virtual_keys": [{"id": "team-a", "key_sha256": "sk-test-alpha", "providers": ["mock"]}]}
--- must_die
--- error_log
virtual key "team-a": "key_sha256" must be 64 hex digits: the SHA-256 of the key



=== TEST 7: a virtual key naming an unknown provider
--- http_config eval: $::http
--- config
--- user_files eval
">>> llmgw.json\n" . qq{{"providers": {"mock": {"kind": "openai", "upstream": "mock"}},
 "virtual_keys": [{"id": "team-a", "key_sha256": "$::key", "providers": ["mock", "ghost"]}]}}
--- must_die
--- error_log
virtual key "team-a": "providers"[1]: unknown provider "ghost"



=== TEST 8: two virtual keys with one digest
--- http_config eval: $::http
--- config
--- user_files eval
">>> llmgw.json\n" . qq{{"providers": {"mock": {"kind": "openai", "upstream": "mock"}},
 "virtual_keys": [{"id": "a", "key_sha256": "$::key", "providers": ["mock"]},
                  {"id": "b", "key_sha256": "$::key", "providers": ["mock"]}]}}
--- must_die
--- error_log
virtual key "b": "key_sha256" is the digest of another virtual key



=== TEST 9: an unknown field is a typo, not ignored
--- http_config eval: $::http
--- config
--- user_files eval
">>> llmgw.json\n" . qq{{"providers": {"mock": {"kind": "openai", "upstream": "mock"}},
 "virtual_keys": [{"id": "a", "key_sha256": "$::key", "providers": ["mock"], "expires": "2030-01-01T00:00:00Z"}]}}
--- must_die
--- error_log
virtual key "a": unknown field "expires"



=== TEST 10: a bad expiry date
--- http_config eval: $::http
--- config
--- user_files eval
">>> llmgw.json\n" . qq{{"providers": {"mock": {"kind": "openai", "upstream": "mock"}},
 "virtual_keys": [{"id": "a", "key_sha256": "$::key", "providers": ["mock"], "expires_at": "next tuesday"}]}}
--- must_die
--- error_log
virtual key "a": "expires_at" must be UTC "YYYY-MM-DDThh:mm:ssZ" or a Unix time



=== TEST 11: a missing file
--- http_config
    llmgw_config ../html/nothing-here.json;
--- config
--- must_die
--- error_log eval
qr/llmgw_config "[^"]*nothing-here\.json": unable to open/



=== TEST 12: a budget without a period
--- http_config eval: $::http
--- config
--- user_files eval
">>> llmgw.json\n" . qq{{"providers": {"mock": {"kind": "openai", "upstream": "mock"}},
 "virtual_keys": [{"id": "a", "key_sha256": "$::key", "providers": ["mock"], "budgets": [{"limit": 10}]}]}}
--- must_die
--- error_log
virtual key "a": a budget is {"limit": dollars (at most 9000000), "period": "1d", "reset": "calendar" or "rolling"}



=== TEST 13: a rate limit window of a month
--- http_config eval: $::http
--- config
--- user_files eval
">>> llmgw.json\n" . qq{{"providers": {"mock": {"kind": "openai", "upstream": "mock"}},
 "virtual_keys": [{"id": "a", "key_sha256": "$::key", "providers": ["mock"], "rate_limit": {"requests": 10, "window": "1M"}}]}}
--- must_die
--- error_log
virtual key "a": a rate limit "window" is a number and one of s, m, h, d



=== TEST 14: a team of an unknown customer
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"teams": {"payments": {"customer": "nobody"}}}
--- must_die
--- error_log
team "payments": "customer": no such customer



=== TEST 15: a key in a team and a customer at once
--- http_config eval: $::http
--- config
--- user_files eval
">>> llmgw.json\n" . qq{{"providers": {"mock": {"kind": "openai", "upstream": "mock"}},
 "customers": {"acme": {}}, "teams": {"t": {}},
 "virtual_keys": [{"id": "a", "key_sha256": "$::key", "providers": ["mock"], "team": "t", "customer": "acme"}]}}
--- must_die
--- error_log
virtual key "a": a key belongs to a team or to a customer, not both



=== TEST 16: an id that could not be a store key
--- http_config eval: $::http
--- config
--- user_files eval
">>> llmgw.json\n" . qq{{"providers": {"mock": {"kind": "openai", "upstream": "mock"}},
 "virtual_keys": [{"id": "team a/b", "key_sha256": "$::key", "providers": ["mock"]}]}}
--- must_die
--- error_log
an id has only letters, digits, "-", "_" and "."



=== TEST 17: a price in the wrong unit
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"prices": {"gpt-4o": {"input": "2.50 USD", "output": 10}}}
--- must_die
--- error_log eval
qr/price of "gpt-4o": "input" must be a number of dollars per million tokens/



=== TEST 18: an unknown policy for unpriced models
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"unpriced_models": "free"}
--- must_die
--- error_log
"unpriced_models" is "reject" or "allow"



=== TEST 19: Bedrock needs a region
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"providers": {"aws": {"kind": "bedrock", "upstream": "mock"}}}
--- must_die
--- error_log
provider "aws": kind "bedrock" needs "region"



=== TEST 20: AWS credentials are for Bedrock only
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"providers": {"mock": {"kind": "openai", "upstream": "mock", "keys": [{"id": "k", "access_key_id": "env.HOME", "secret_access_key": "env.HOME"}]}}}
--- must_die
--- error_log
key "k": "access_key_id" is for kind "bedrock"



=== TEST 21: an access key without its secret
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"providers": {"aws": {"kind": "bedrock", "upstream": "mock", "region": "us-east-1", "keys": [{"id": "k", "access_key_id": "env.HOME"}]}}}
--- must_die
--- error_log
key "k": "secret_access_key" must be "env.NAME" or "file:PATH"



=== TEST 22: a provider key file that is not there is named, with why
--- http_config eval: $::http
--- config
--- user_files
>>> llmgw.json
{"providers": {"mock": {"kind": "openai", "upstream": "mock",
  "keys": [{"id": "k", "value": "file:/nonexistent/llmgw/key"}]}}}
--- must_die
--- error_log
provider "mock": key file "/nonexistent/llmgw/key" cannot be opened
