# Virtual keys: every header a client may send one in, and every refusal.

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: Authorization: Bearer
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
Content-Type: application/json
--- error_code: 200
--- response_body_like: "content":"Hi there!"
--- error_log
usage: key=alpha provider=mock model=gpt-4o-mini



=== TEST 2: x-api-key (Anthropic SDKs)
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
x-api-key: sk-test-alpha
--- error_code: 200
--- response_body_like: "content":"Hi there!"



=== TEST 3: x-goog-api-key (Google SDKs)
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
x-goog-api-key: sk-test-alpha
--- error_code: 200
--- response_body_like: "content":"Hi there!"



=== TEST 4: x-llmgw-key wins over a provider-style Authorization
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
x-llmgw-key: sk-test-alpha
Authorization: Bearer sk-something-else
--- error_code: 200
--- response_body_like: "content":"Hi there!"



=== TEST 5: no key at all
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- error_code: 401
--- response_headers
Content-Type: application/json
WWW-Authenticate: Bearer realm="llmgw"
--- response_body
{"error":{"message":"Missing API key: send it as \"Authorization: Bearer <key>\", x-api-key, x-goog-api-key or x-llmgw-key","type":"authentication_error","param":null,"code":"missing_api_key"}}



=== TEST 6: Basic credentials are not a key
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Basic c2stdGVzdC1hbHBoYTo=
--- error_code: 401
--- response_body_like: "code":"missing_api_key"



=== TEST 7: unknown key, and the key is not logged
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- log_level: info
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-nobody-knows-me
--- error_code: 401
--- response_body
{"error":{"message":"Invalid API key","type":"authentication_error","param":null,"code":"invalid_api_key"}}
--- no_error_log
sk-test-nobody-knows-me



=== TEST 8: disabled key
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-disabled
--- error_code: 403
--- response_body
{"error":{"message":"API key \"off\" is disabled","type":"permission_error","param":null,"code":"key_disabled"}}



=== TEST 9: expired key
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-expired
--- error_code: 403
--- response_body
{"error":{"message":"API key \"old\" has expired","type":"permission_error","param":null,"code":"key_expired"}}



=== TEST 10: the client's key never reaches the provider; the provider's does
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
x-api-key: sk-test-alpha
x-goog-api-key: sk-test-alpha
x-llmgw-key: sk-test-alpha
api-key: sk-test-alpha
Accept-Encoding: gzip
--- error_code: 200
--- response_body_like: "auth":"authorization=Bearer sk-prov-alpha-0123456789 x-api-key= x-goog-api-key= x-llmgw-key= api-key= accept-encoding="
--- response_body_unlike: sk-test-alpha



=== TEST 11: the provider key never reaches the client or the log
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- log_level: info
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_unlike: sk-prov-
--- no_error_log
sk-prov-alpha
sk-test-alpha
