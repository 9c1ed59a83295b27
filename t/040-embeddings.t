# Embeddings, and the list of models a key may use.

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an embedding, usage read
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/embeddings
{"model":"text-embedding-3-small","input":["first text","second"],"encoding_format":"float"}
--- more_headers
Authorization: Bearer sk-test-embed
--- error_code: 200
--- response_body chomp
{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023,-0.0093,0.0158]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}
--- error_log
usage: key=embed provider=mock model=text-embedding-3-small pkey=alpha-1 prompt=8 completion=0 total=8



=== TEST 2: the embeddings request reaches the provider's embeddings URL
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/embeddings
{"model":"echo/echo-embed","input":"hello"}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: ^\{"uri":"/echo/v1/embeddings",.*"body":\{"model":"echo-embed","input":"hello"\}\}$



=== TEST 3: embeddings refusals
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request eval
[
"POST /v1/embeddings\n" . '{"model":"text-embedding-3-small"}',
"POST /v1/embeddings\n" . '{"model":"text-embedding-3-small","input":[]}',
"POST /v1/embeddings\n" . '{"model":"text-embedding-3-small","input":{"text":"x"}}',
"POST /v1/embeddings\n" . '{"model":"text-embedding-3-small","input":"x","stream":true}',
"POST /v1/embeddings\n" . '{"model":"gpt-4o-mini","input":"x"}',
]
--- more_headers
Authorization: Bearer sk-test-embed
--- error_code eval
[400, 400, 400, 400, 403]
--- response_body_like eval
[
qr/"message":"\\"input\\" is required"/,
qr/"message":"\\"input\\" must not be empty"/,
qr/"message":"\\"input\\" has the wrong type"/,
qr/"message":"Embeddings cannot be streamed"/,
qr/"code":"model_not_allowed"/,
]



=== TEST 4: the models of each key, in OpenAI's list shape
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request eval
["GET /v1/models", "GET /v1/models", "GET /v1/models"]
--- more_headers eval
["Authorization: Bearer sk-test-alpha", "Authorization: Bearer sk-test-beta", "x-api-key: sk-test-embed"]
--- error_code eval
[200, 200, 200]
--- response_body eval
[
qq{{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":0,"owned_by":"mock"},{"id":"gpt-4o","object":"model","created":0,"owned_by":"mock"},{"id":"text-embedding-3-small","object":"model","created":0,"owned_by":"mock"},{"id":"split-model","object":"model","created":0,"owned_by":"split1"}]}\n},
qq{{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":0,"owned_by":"mock"}]}\n},
qq{{"object":"list","data":[{"id":"text-embedding-3-small","object":"model","created":0,"owned_by":"mock"}]}\n},
]



=== TEST 5: the models list needs a valid key too
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
GET /v1/models
--- error_code: 401
--- response_body_like: "code":"missing_api_key"
