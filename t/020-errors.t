# Every refusal is an error in OpenAI's shape with the right status, never
# an nginx HTML page.

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: malformed JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The request body is not valid JSON (at byte 67)","type":"invalid_request_error","param":null,"code":"invalid_json"}}



=== TEST 2: a JSON array is not a request
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
[{"model":"gpt-4o-mini"}]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body_like: "message":"The request body must be a JSON object"



=== TEST 3: empty body
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body_like: "code":"invalid_json"



=== TEST 4: missing model
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body
{"error":{"message":"\"model\" is required","type":"invalid_request_error","param":null,"code":"missing_field"}}



=== TEST 5: missing messages
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini"}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body_like: "message":"\\"messages\\" is required"



=== TEST 6: fields of the wrong type
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request eval
[
"POST /v1/chat/completions\n" . '{"model":42,"messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","stream":"yes","messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","messages":{"role":"user"}}',
"POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","messages":[]}',
"POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","messages":["Hi"]}',
"POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","max_tokens":-5,"messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","max_completion_tokens":1.5,"messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"gpt 4o","messages":[{"role":"user","content":"Hi"}]}',
]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400, 400]
--- response_body_like eval
[
qr/"message":"\\"model\\" has the wrong type".*"code":"invalid_field"/,
qr/"message":"\\"stream\\" has the wrong type"/,
qr/"message":"\\"messages\\" has the wrong type"/,
qr/"message":"\\"messages\\" must not be empty"/,
qr/"message":"each of \\"messages\\" must be an object"/,
qr/"message":"\\"max_tokens\\" must be a non-negative integer"/,
qr/"message":"\\"max_completion_tokens\\" must be a non-negative integer"/,
qr/"message":"\\"stream_options\\" is only allowed when \\"stream\\" is true"/,
qr/"message":"\\"model\\" must not contain spaces or control characters"/,
]



=== TEST 7: a second "model" (a provider might read the other one)
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"mod\u0065l":"gpt-4o"}
--- more_headers
Authorization: Bearer sk-test-beta
--- error_code: 400
--- response_body_like: "message":"The request body has a duplicate field at byte \d+"



=== TEST 8: unknown model
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-9-ultra","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 404
--- response_body
{"error":{"message":"The model \"gpt-9-ultra\" does not exist or you do not have access to it","type":"not_found_error","param":null,"code":"model_not_found"}}



=== TEST 9: a model the key may not use
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request eval
[
"POST /v1/chat/completions\n" . '{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"mock/gpt-4o","messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"echo/echo-1","messages":[{"role":"user","content":"Hi"}]}',
]
--- more_headers
Authorization: Bearer sk-test-beta
--- error_code eval
[403, 403, 403]
--- response_body eval
[
qq{{"error":{"message":"API key \\"beta\\" may not use model \\"gpt-4o\\"","type":"permission_error","param":null,"code":"model_not_allowed"}}\n},
qq{{"error":{"message":"API key \\"beta\\" may not use model \\"gpt-4o\\" on provider \\"mock\\"","type":"permission_error","param":null,"code":"model_not_allowed"}}\n},
qq{{"error":{"message":"API key \\"beta\\" may not use model \\"echo-1\\" on provider \\"echo\\"","type":"permission_error","param":null,"code":"model_not_allowed"}}\n},
]



=== TEST 10: unknown endpoint
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/completions/legacy
{"model":"gpt-4o-mini","prompt":"Hi"}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 404
--- response_body
{"error":{"message":"Unknown endpoint /v1/completions/legacy","type":"not_found_error","param":null,"code":"unknown_endpoint"}}



=== TEST 11: wrong method
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request eval
["GET /v1/chat/completions", "DELETE /v1/models"]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[405, 405]
--- response_headers eval
["Allow: POST", "Allow: GET, HEAD"]
--- response_body_like eval
[qr/"message":"Method GET is not allowed on \/v1\/chat\/completions: use POST".*"code":"method_not_allowed"/,
 qr/"code":"method_not_allowed"/]



=== TEST 12: body over llmgw_max_body, with a Content-Length
--- http_config eval: $::http_config
--- config eval: "llmgw_max_body 1k;\n" . $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request eval
"POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"' . ("x" x 2000) . '"}]}'
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The request body is larger than this gateway accepts","type":"request_too_large","param":null,"code":"request_too_large"}}



=== TEST 13: body over llmgw_max_body, chunked
--- http_config eval: $::http_config
--- config eval: "llmgw_max_body 1k;\n" . $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- raw_request eval
my $body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"' . ("x" x 2000) . '"}]}';
"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk-test-alpha\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n", length $body) . $body . "\r\n0\r\n\r\n"
--- error_code: 413
--- response_body_like: ^\{"error":\{"message":"The request body is larger than this gateway accepts"



=== TEST 14: a chunked body under the limit is read whole
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- raw_request eval
my $body = '{"model":"echo/echo-1","messages":[{"role":"user","content":"' . ("y" x 3000) . '"}]}';
my $half = int(length($body) / 2);
"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk-test-alpha\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n", $half) . substr($body, 0, $half) . "\r\n"
. sprintf("%x\r\n", length($body) - $half) . substr($body, $half) . "\r\n0\r\n\r\n"
--- error_code: 200
--- response_body_like: "length":"3060","body":\{"model":"echo-1","messages":\[\{"role":"user","content":"y{3000}"\}\]\}



=== TEST 15: the provider is down: 502 in JSON, not HTML
--- http_config
    llmgw_config ../html/llmgw.json;
    upstream down {
        server 127.0.0.1:1;
    }
--- config
    location /v1/ {
        llmgw on;
        include $TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf;
    }
--- user_files eval
">>> llmgw.json\n" . '{"providers":{"down":{"kind":"openai","upstream":"down","scheme":"http"}},"virtual_keys":[{"id":"a","key_sha256":"' . ::digest("sk-test-alpha") . '","providers":["down"]}],"unpriced_models":"allow"}'
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The provider could not be reached","type":"api_error","param":null,"code":"upstream_unavailable"}}
--- error_log
connect() failed (111: Connection refused)



=== TEST 16: a body nginx keeps in a temp file is read back
--- http_config eval: $::http_config
--- config eval: $::config =~ s/llmgw on;/llmgw on;\n        client_body_in_file_only clean;/r
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request eval
"POST /v1/chat/completions\n" . '{"model":"echo-1","messages":[{"role":"user","content":"' . ("z" x 5000) . '"}]}'
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "length":"5060","body":\{"model":"echo-1","messages":\[\{"role":"user","content":"z{5000}"\}\]\}\}$
