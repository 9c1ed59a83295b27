# Anthropic: OpenAI-format clients served by an Anthropic-shaped provider
# (requests and responses translated both ways, whole and streamed), and
# the gateway's own Anthropic endpoint, /v1/messages, served by Anthropic
# (passed through) and by an OpenAI-shaped provider (translated).

use lib 't/inc';
use LlmgwTest;
use LlmgwXlate;
use Test::Nginx::Socket 'no_plan';

our $anthropic_stream = ::fixture('anthropic-tool_use_response.sse');
our $openai_stream = ::fixture('openai-tools.sse');

# the Anthropic stream cut after its first tool-argument delta
our $cut_stream = $anthropic_stream;
$cut_stream =~ s/(partial_json":"\{\\"locati"\}\}\n\n).*/$1/s;

# the Anthropic stream broken off by an error event after its first text
our $error_stream = $anthropic_stream;
$error_stream =~ s/(text_delta","text":"I"\}\}\n\n).*/$1event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n/s;

our @splits = @LlmgwTest::split_sizes;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an OpenAI chat to an Anthropic provider: the request as Anthropic takes it
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/chat/completions
{"model":"anthropic/claude-sonnet-4-5","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"stop":"END","temperature":0.5}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like
^\{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","object":"chat.completion","created":\d+,"model":"claude-sonnet-4-5-20250929","choices":\[\{"index":0,"message":\{"role":"assistant","content":"Hello! How can I help\?"\},"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":312,"completion_tokens":9,"total_tokens":321,"prompt_tokens_details":\{"cached_tokens":200,"cache_write_tokens":100\}\}\}$
--- error_log eval
[
qr/upstream: POST \/anthropic\/v1\/messages version=2023-06-01 beta= x-api-key=sk-prov-alpha-0123456789 goog= auth= body=/,
qr/"system":"Be brief."/,
qr/"max_tokens":1024/,
qr/"stop_sequences":\["END"\]/,
qr/"messages":\[\{"role":"user","content":/,
qr/usage: key=alpha provider=anthropic model=claude-sonnet-4-5 pkey=prov-1 prompt=312 completion=9 total=321 cached=200 cost=0.000606000/,
]
--- no_error_log
"model":"anthropic/



=== TEST 2: tools: parameters become input_schema, tool_use becomes tool_calls
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(anthropic => $::anthropic_tool_message)
--- request
POST /v1/chat/completions
{"model":"claude","max_tokens":200,"tool_choice":"required","tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}],"messages":[{"role":"user","content":"Weather in SF?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "message":\{"role":"assistant","content":"Let me check.","tool_calls":\[\{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":\{"name":"get_weather","arguments":"\{\\"location\\":\\"San Francisco, CA\\",\\"unit\\":\\"celsius\\"\}"\}\}\]\},"finish_reason":"tool_calls"
--- error_log eval
[
qr/"tools":\[\{"name":"get_weather","description":"Weather now","input_schema":\{"type":"object","properties":\{"location":\{"type":"string"\}\},"required":\["location"\]\}\}\]/,
qr/"tool_choice":\{"type":"any"\}/,
qr/"max_tokens":200/,
]



=== TEST 3: a tool round trip: the assistant's calls and the tool results, merged into one user turn
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/chat/completions
{"model":"claude","messages":[{"role":"user","content":"Weather in SF and NYC?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"SF\"}"}},{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"NYC\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"15C"},{"role":"tool","tool_call_id":"call_2","content":"20C"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- error_log eval
qr/"messages":\[\{"role":"user","content":[^\]]*"Weather in SF and NYC\?"[^\]]*\]?\},\{"role":"assistant","content":\[\{"type":"tool_use","id":"call_1","name":"get_weather","input":\{"location":"SF"\}\},\{"type":"tool_use","id":"call_2","name":"get_weather","input":\{"location":"NYC"\}\}\]\},\{"role":"user","content":\[\{"type":"tool_result","tool_use_id":"call_1","content":"15C"\},\{"type":"tool_result","tool_use_id":"call_2","content":"20C"\}\]\}\]/



=== TEST 4: the provider's error in OpenAI's shape, its status kept
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/chat/completions
{"model":"anthropic-err/claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 529
--- response_body
{"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":"provider_error"}}



=== TEST 5: an Anthropic stream becomes OpenAI chunks, the same at every split
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(stream => $::anthropic_stream)
--- request eval
[map { "POST /v1/chat/completions\n" . qq{{"model":"asplit$_/claude-sonnet-4","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Weather in Paris?"}]}} } @::splits]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[map { 200 } @::splits]
--- response_headers eval
[map { "Content-Type: text/event-stream" } @::splits]
--- response_body eval
[map { q{data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[{"index":0,"delta":{"content":"I"},"finish_reason":null}]}

data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[{"index":0,"delta":{"content":"'ll check the current weather in Paris for you."},"finish_reason":null}]}

data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"toolu_01NRLabsLyVHZPKxbKvkfSMn","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}

data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"locati"}}]},"finish_reason":null}]}

data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"on\": \"P"}}]},"finish_reason":null}]}

data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ar"}}]},"finish_reason":null}]}

data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"is\"}"}}]},"finish_reason":null}]}

data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

data: {"id":"msg_019Q1hrJbZG26Fb9BQhrkHEr","object":"chat.completion.chunk","created":CREATED,"model":"claude-sonnet-4","choices":[],"usage":{"prompt_tokens":377,"completion_tokens":65,"total_tokens":442}}

data: [DONE]

} } @::splits]
--- response_body_filters eval
sub { my $s = shift; $s =~ s/"created":\d+/"created":CREATED/g; $s }
--- error_log eval
qr/usage: key=alpha provider=asplit\d+ model=claude-sonnet-4 pkey=prov-1 prompt=377 completion=65 total=442 cached=0/
--- timeout: 60




=== TEST 6: an Anthropic stream cut half-way: an error event, never [DONE]; billed for what came
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(stream => $::cut_stream)
--- request
POST /v1/chat/completions
{"model":"asplit7/claude-sonnet-4","stream":true,"messages":[{"role":"user","content":"Weather in Paris?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like
"arguments":"\{\\"locati"\}\}\]\},"finish_reason":null\}\]\}\n\ndata: \{"error":\{"message":"The provider's stream ended before it finished","type":"api_error","param":null,"code":"provider_stream_error"\}\}\n$
--- error_log eval
[
qr/the stream ended before it finished/,
qr/usage: key=alpha provider=asplit7 model=claude-sonnet-4 pkey=prov-1 prompt=377 completion=14 /,
]



=== TEST 7: /v1/messages to Anthropic: passed through, the key swapped, max_tokens supplied
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/messages
{"model":"claude","system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
x-api-key: sk-test-alpha
anthropic-version: 2023-06-01
anthropic-beta: prompt-caching-2024-07-31
--- error_code: 200
--- response_body eval
$LlmgwXlate::anthropic_message . "\n"
--- error_log eval
[
qr/upstream: POST \/anthropic\/v1\/messages version=2023-06-01 beta=prompt-caching-2024-07-31 x-api-key=sk-prov-alpha-0123456789 goog= auth= body=\{"model":"claude-sonnet-4-5","system":\[\{"type":"text","text":"Be brief.","cache_control":\{"type":"ephemeral"\}\}\],"messages":\[\{"role":"user","content":"Hi"\}\],"max_tokens":1024\}$/,
qr/usage: key=alpha provider=anthropic model=claude-sonnet-4-5 pkey=prov-1 prompt=312 completion=9 total=321 cached=200/,
]



=== TEST 8: /v1/messages streamed from Anthropic: passed through byte for byte; usage from message_start and message_delta
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(stream => $::anthropic_stream)
--- request eval
[map { "POST /v1/messages\n" . qq{{"model":"asplit$_/claude-sonnet-4","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Weather in Paris?"}]}} } @::splits]
--- more_headers
x-api-key: sk-test-alpha
--- response_body eval
[map { $::anthropic_stream } @::splits]
--- error_log eval
qr/usage: key=alpha provider=asplit\d+ model=claude-sonnet-4 pkey=prov-1 prompt=377 completion=65 total=442/
--- timeout: 60




=== TEST 9: /v1/messages to an OpenAI provider: the answer in Anthropic's shape
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/messages
{"model":"openai/gpt-4o-mini","max_tokens":50,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}
--- more_headers
x-api-key: sk-test-alpha
anthropic-version: 2023-06-01
--- error_code: 200
--- response_body_like
^\{"id":"chatcmpl-1","type":"message","role":"assistant","model":"gpt-4o-mini-2024-07-18","content":\[\{"type":"text","text":"Hi there!"\}\],"stop_reason":"end_turn","stop_sequence":null,"usage":\{"input_tokens":9,"output_tokens":7,"cache_read_input_tokens":4,"cache_creation_input_tokens":0\}\}$
--- error_log
usage: key=alpha provider=openai model=gpt-4o-mini pkey=prov-1 prompt=13 completion=7 total=20 cached=4



=== TEST 10: /v1/messages streamed from an OpenAI provider: Anthropic's events
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(stream => $::openai_stream)
--- request eval
[map { "POST /v1/messages\n" . qq{{"model":"osplit$_/gpt-4o","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Weather?"}]}} } @::splits]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_headers eval
[map { "Content-Type: text/event-stream" } @::splits]
--- response_body_like eval
[map { qr/^event: message_start\ndata: \{"type":"message_start","message":\{"id":"chatcmpl-[^"]+","type":"message","role":"assistant","model":"gpt-4o",.*\n\nevent: content_block_start\ndata: \{"type":"content_block_start","index":0,"content_block":\{"type":"tool_use","id":"call_[^"]+","name":"get_weather","input":\{\}\}\}\n\n.*"partial_json":"\{\\".*event: message_delta\ndata: \{"type":"message_delta","delta":\{"stop_reason":"tool_use","stop_sequence":null\},"usage":\{[^\n]*"output_tokens":\d+[^\n]*\}\}\n\nevent: message_stop\ndata: \{"type":"message_stop"\}\n\n$/s } @::splits]
--- error_log eval
qr/usage: key=alpha provider=osplit\d+ model=gpt-4o pkey=prov-1 prompt=\d+ completion=\d+/
--- no_error_log
the stream ended before it finished
--- timeout: 60




=== TEST 11: Anthropic's error shape for the gateway's own refusals
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request eval
[
"POST /v1/messages\n{\"model\":\"claude\",\"messages\":[]}",
"POST /v1/messages\n{\"model\":\"claude\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
"GET /v1/messages",
"POST /v1/messages\n{\"model\":\"claude\",",
]
--- more_headers eval
[
"x-api-key: sk-test-alpha",
"x-api-key: sk-wrong",
"x-api-key: sk-test-alpha",
"x-api-key: sk-test-alpha",
]
--- error_code eval
[400, 401, 405, 400]
--- response_body_like eval
[
qr/^\{"type":"error","error":\{"type":"invalid_request_error","message":"\\"messages\\" must not be empty"\}\}$/,
qr/^\{"type":"error","error":\{"type":"authentication_error","message":"[^"]+"\}\}$/,
qr/^\{"type":"error","error":\{"type":"invalid_request_error","message":"Method GET is not allowed on \/v1\/messages: use POST"\}\}$/,
qr/^\{"type":"error","error":\{"type":"invalid_request_error","message":"The request body is not valid JSON[^"]*"\}\}$/,
]



=== TEST 12: count_tokens answers an estimate without calling a provider
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/messages/count_tokens
{"model":"claude","messages":[{"role":"user","content":"Hello, world"}]}
--- more_headers
x-api-key: sk-test-alpha
--- error_code: 200
--- response_body
{"input_tokens":18}
--- no_error_log
upstream:



=== TEST 13: an Anthropic client's bad tool arguments are refused in its shape
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/messages
{"model":"openai/gpt-4o-mini","max_tokens":10,"messages":[{"role":"robot","content":"Hi"}]}
--- more_headers
x-api-key: sk-test-alpha
--- error_code: 400
--- response_body_like
^\{"type":"error","error":\{"type":"invalid_request_error","message":"messages\[0\]\.role must be \\"user\\", \\"assistant\\" or \\"system\\""\}\}$
--- no_error_log
upstream:



=== TEST 14: an error event in Anthropic's stream becomes the OpenAI client's error event
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(stream => $::error_stream)
--- request
POST /v1/chat/completions
{"model":"asplit5/claude-sonnet-4","stream":true,"messages":[{"role":"user","content":"Weather in Paris?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "delta":\{"content":"I"\},"finish_reason":null\}\]\}\n\ndata: \{"error":\{"message":"Overloaded","type":"overloaded_error","param":null,"code":"provider_stream_error"\}\}\n\n$
--- error_log eval
qr/usage: key=alpha provider=asplit5 model=claude-sonnet-4 pkey=prov-1 prompt=377 completion=1 /



=== TEST 15: a null max_tokens is replaced in place by the provider's default
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/messages
{"model":"claude","max_tokens":null,"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
x-api-key: sk-test-alpha
--- error_code: 200
--- error_log eval
qr/upstream: POST \/anthropic\/v1\/messages .* body=\{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":\[\{"role":"user","content":"Hi"\}\]\}$/
