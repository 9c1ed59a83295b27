# The APIs coding agents speak, governed like every other route: OpenAI's
# Responses API (/v1/responses: passed through to OpenAI, translated for
# the others), Google's native Gemini API (/v1beta/models/M:method: passed
# through to Gemini, translated for the others), Anthropic's /v1/messages
# as Claude Code sends it (?beta=true, beta headers, unknown fields,
# system entries in messages), and model-name aliases with patterns.

use lib 't/inc';
use LlmgwTest;
use LlmgwXlate;
use Test::Nginx::Socket 'no_plan';

our $responses_stream = ::fixture('openai-responses-basic.sse');
our $gemini_stream = ::fixture('gemini-thinking-reply.sse');
our $anthropic_stream = ::fixture('anthropic-tool_use_response.sse');
our $openai_stream = ::fixture('openai-tools.sse');

our $key = q{[{"id": "prov-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]};

# the translation suites' providers, an echo, and keys: alpha (aliases of
# the file), "agent" (a catch-all of its own), "tight" (one request a
# minute)
sub gov091 {
    my $alpha = ::digest('sk-test-alpha');
    my $agent = ::digest('sk-test-agent');
    my $tight = ::digest('sk-test-tight');
    my $g = LlmgwXlate::governance(
        providers => qq{"echo": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/echo/v1", "keys": $key},
    "ocap": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/ocap/v1", "keys": $key}},
        names => q{"echo", "ocap"});
    $g =~ s/"virtual_keys": \[/"virtual_keys": [
    {"id": "agent", "key_sha256": "$agent", "providers": ["openai", "anthropic"],
     "aliases": {"gpt-5-codex": "anthropic\/claude-sonnet-4-5", "*": "openai\/gpt-4o-mini"}},
    {"id": "tight", "key_sha256": "$tight", "providers": ["openai", "gemini"],
     "rate_limit": {"requests": 1, "window": "1h"}},/;
    $g =~ s/"aliases": \{"claude"/"aliases": {"claude-latest": "anthropic\/claude-sonnet-4-5", "claude-*": "anthropic\/*", "gemini-*": "gemini\/*",
              "gpt-*": "openai\/*", "claude"/;
    return $g;
}

sub files {
    my %o = @_;
    my $f = ::xlate_files(%o);
    my $g = gov091();
    $f =~ s/>>> llmgw.json\n.*?\n}\n/>>> llmgw.json\n$g/s;
    return $f;
}

our $config = $::xlate_config . <<'_EOC_';
    location /v1beta/ {
        llmgw on;
        include $TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf;
        access_log logs/error.log llmgw_usage;
    }

    location = /ocap/v1/chat/completions {
        access_log logs/error.log upstream_body;
        rewrite ^ /mock/v1/chat/completions break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location = /mock/v1/responses {
        default_type application/json;
        if ($http_authorization !~ "^Bearer sk-prov-") {
            return 401 '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}';
        }
        access_log logs/error.log upstream_body;
        rewrite ^ /_mock/responses break;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location = /_mock/responses {
        default_type application/json;
        return 200 '{"id":"resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41","object":"response","created_at":1741476777,"status":"completed","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-4.1-mini-2025-04-14","output":[{"type":"message","id":"msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello from the Responses API.","annotations":[]}]}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":20},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":123},"user":null,"metadata":{}}';
    }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: /v1/responses to OpenAI: passed through, the model spliced, usage with its cached tokens
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/responses
{"model":"gpt-4.1-mini","instructions":"Be brief.","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}],"store":false,"include":["reasoning.encrypted_content"],"reasoning":{"effort":"low"},"max_output_tokens":100}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: ^\{"id":"resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41","object":"response",.*"text":"Hello from the Responses API\.".*"total_tokens":123\},"user":null,"metadata":\{\}\}$
--- error_log eval
[
qr/upstream: POST \/mock\/v1\/responses version= beta= x-api-key= goog= auth=Bearer sk-prov-alpha-0123456789 body=\{"model":"gpt-4.1-mini","instructions":"Be brief.","input":\[\{"type":"message","role":"user","content":\[\{"type":"input_text","text":"Hi"\}\]\}\],"store":false,"include":\["reasoning.encrypted_content"\],"reasoning":\{"effort":"low"\},"max_output_tokens":100\}/,
qr/usage: key=alpha provider=openai model=gpt-4.1-mini pkey=prov-1 prompt=36 completion=87 total=123 cached=20 /,
]



=== TEST 2: /v1/responses streamed from OpenAI: every event as sent, usage from response.completed
--- log_level: info
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(stream => $::responses_stream)
--- request eval
[map { "POST /v1/responses\n" . qq{{"model":"osplit$_/gpt-4.1-mini","input":"Hi","stream":true}} } @LlmgwTest::split_sizes]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[map { 200 } @LlmgwTest::split_sizes]
--- response_body eval
[map { $::responses_stream } @LlmgwTest::split_sizes]
--- error_log eval
[qr/usage: key=alpha provider=osplit\d+ model=gpt-4.1-mini pkey=prov-1 prompt=37 completion=11 total=48 cached=16 /]



=== TEST 3: /v1/responses to Anthropic: translated, the answer as a Responses object
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/responses
{"model":"claude-sonnet-4-5","instructions":"Be brief.","input":"Hi","max_output_tokens":300}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: ^\{.*"object":"response".*"status":"completed".*"output":\[\{"id":"msg_[^"]+","type":"message".*"content":\[\{"type":"output_text",[^}]*"text":"Hello! How can I help\?".*"usage":\{"input_tokens":312,"input_tokens_details":\{"cached_tokens":200[^}]*\},"output_tokens":9,
--- error_log eval
[
qr/upstream: POST \/anthropic\/v1\/messages version=2023-06-01 /,
qr/"system":"Be brief."/,
qr/"max_tokens":300/,
qr/usage: key=alpha provider=anthropic model=claude-sonnet-4-5 pkey=prov-1 prompt=312 completion=9 total=321 cached=200 /,
]



=== TEST 4: /v1/responses streamed from Anthropic: Responses events, function call arguments, usage
--- log_level: info
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(stream => $::anthropic_stream)
--- request eval
[map { "POST /v1/responses\n" . qq{{"model":"asplit$_/claude-sonnet-4-5","input":"Weather?","stream":true,"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}} } @LlmgwTest::split_sizes]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[map { 200 } @LlmgwTest::split_sizes]
--- response_body_like eval
[map { qr/^event: response\.created\ndata: \{"type":"response\.created","sequence_number":0,.*event: response\.function_call_arguments\.delta\n.*event: response\.output_item\.done\ndata: \{[^\n]*"type":"function_call"[^\n]*"arguments":"\{\\"location\\": \\"Paris\\"\}"[^\n]*"name":"get_weather"[^\n]*\n\n.*event: response\.completed\ndata: \{[^\n]*"usage":\{"input_tokens":\d+,[^\n]*\}\n\n$/s } @LlmgwTest::split_sizes]
--- error_log eval
[qr/usage: key=alpha provider=asplit\d+ model=claude-sonnet-4-5 pkey=prov-1 prompt=\d+ completion=\d+ /]



=== TEST 5: /v1/responses with a hosted tool to Anthropic: a 400 naming it, nothing sent
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/responses
{"model":"claude-sonnet-4-5","input":"News?","tools":[{"type":"web_search"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body_like
^\{"error":\{"message":"tools\[0\]\.type[^"]*web_search[^"]*","type":"invalid_request_error","param":null,"code":"unsupported_request"\}\}$
--- no_error_log
upstream:



=== TEST 6: /v1/responses governed: the second request of a minute is refused in OpenAI's shape
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request eval
["POST /v1/responses\n{\"model\":\"openai/gpt-4.1-mini\",\"input\":\"Hi\"}",
 "POST /v1/responses\n{\"model\":\"openai/gpt-4.1-mini\",\"input\":\"Hi\"}"]
--- more_headers
Authorization: Bearer sk-test-tight
--- error_code eval
[200, 429]
--- response_body_like eval
[qr/"object":"response"/,
 qr/^\{"error":\{"message":".+?","type":"rate_limit_error","param":null,"code":"[a-z_]+"\}\}$/]



=== TEST 7: Gemini's generateContent to Gemini: passed through with the provider's key, usage from usageMetadata
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1beta/models/gemini-2.5-flash:generateContent
{"contents":[{"role":"user","parts":[{"text":"Hi"}]}],"generationConfig":{"maxOutputTokens":50,"thinkingConfig":{"thinkingBudget":0}}}
--- more_headers
x-goog-api-key: sk-test-alpha
--- error_code: 200
--- response_body
{"candidates":[{"content":{"parts":[{"text":"Hello from Gemini."}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":5,"totalTokenCount":13},"modelVersion":"gemini-2.5-flash","responseId":"gem-resp-1"}
--- error_log eval
[
qr/upstream: POST \/gemini\/v1beta\/models\/gemini-2.5-flash:generateContent version= beta= x-api-key= goog=sk-prov-alpha-0123456789 auth= body=\{"contents":\[\{"role":"user","parts":\[\{"text":"Hi"\}\]\}\],"generationConfig":\{"maxOutputTokens":50,"thinkingConfig":\{"thinkingBudget":0\}\}\}/,
qr/usage: key=alpha provider=gemini model=gemini-2.5-flash pkey=prov-1 prompt=8 completion=5 total=13 cached=0 /,
]



=== TEST 8: Gemini's streamGenerateContent?alt=sse to Gemini: every chunk as sent, thoughts counted as output
--- log_level: info
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(stream => $::gemini_stream)
--- request eval
[map { "POST /v1beta/models/gsplit$_/gemini-2.5-flash:streamGenerateContent?alt=sse\n" . q{{"contents":[{"parts":[{"text":"Why is the sky blue?"}]}]}} } @LlmgwTest::split_sizes]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[map { 200 } @LlmgwTest::split_sizes]
--- response_body eval
[map { $::gemini_stream } @LlmgwTest::split_sizes]
--- error_log eval
[qr/usage: key=alpha provider=gsplit\d+ model=gemini-2.5-flash pkey=prov-1 prompt=\d+ completion=\d+ /]



=== TEST 9: streamGenerateContent without alt=sse: a 400 in Google's shape
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1beta/models/gemini-2.5-flash:streamGenerateContent
{"contents":[{"parts":[{"text":"Hi"}]}]}
--- more_headers
x-goog-api-key: sk-test-alpha
--- error_code: 400
--- response_body
{"error":{"code":400,"message":"streamGenerateContent is served as server-sent events only: add ?alt=sse","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"invalid_field","domain":"llmgw","metadata":{"type":"invalid_request_error"}}]}}
--- no_error_log
upstream:



=== TEST 10: Gemini's API with an unknown key: 401 in Google's shape
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1beta/models/gemini-2.5-flash:generateContent
{"contents":[{"parts":[{"text":"Hi"}]}]}
--- more_headers
x-goog-api-key: sk-test-nobody
--- error_code: 401
--- response_body_like
^\{"error":\{"code":401,"message":"[^"]+","status":"UNAUTHENTICATED","details":\[\{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"[a-z_]+","domain":"llmgw","metadata":\{"type":"authentication_error"\}\}\]\}\}$
--- no_error_log
upstream:



=== TEST 11: Gemini's API governed: the second request of a minute is RESOURCE_EXHAUSTED
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request eval
["POST /v1beta/models/gemini/gemini-2.5-flash:generateContent\n{\"contents\":[{\"parts\":[{\"text\":\"Hi\"}]}]}",
 "POST /v1beta/models/gemini/gemini-2.5-flash:generateContent\n{\"contents\":[{\"parts\":[{\"text\":\"Hi\"}]}]}"]
--- more_headers
x-goog-api-key: sk-test-tight
--- error_code eval
[200, 429]
--- response_body_like eval
[qr/"candidates"/,
 qr/^\{"error":\{"code":429,"message":".+?","status":"RESOURCE_EXHAUSTED",.*"metadata":\{"type":"rate_limit_error"\}\}\]\}\}$/]



=== TEST 12: Gemini's countTokens: answered here with the gateway's estimate
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1beta/models/gemini-2.5-flash:countTokens
{"contents":[{"parts":[{"text":"How many tokens is this?"}]}]}
--- more_headers
x-goog-api-key: sk-test-alpha
--- error_code: 200
--- response_body
{"totalTokens":16}
--- no_error_log
upstream:



=== TEST 13: Gemini's API to an OpenAI provider: translated both ways
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1beta/models/gpt-4o-mini:generateContent
{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Hi"}]}],"generationConfig":{"maxOutputTokens":50,"temperature":0.2}}
--- more_headers
x-goog-api-key: sk-test-alpha
--- error_code: 200
--- response_body_like: ^\{"candidates":\[\{"content":\{"parts":\[\{"text":"Hi there!"\}\],"role":"model"\},"finishReason":"STOP","index":0\}\],"usageMetadata":\{"promptTokenCount":13,"candidatesTokenCount":7,"totalTokenCount":20,"cachedContentTokenCount":4\}
--- error_log eval
[
qr/usage: key=alpha provider=openai model=gpt-4o-mini pkey=prov-1 prompt=13 completion=7 total=20 cached=4 /,
]



=== TEST 14: Gemini's stream from an OpenAI provider: Gemini chunks, a function call whole, usage last
--- log_level: info
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(stream => $::openai_stream)
--- request eval
[map { "POST /v1beta/models/osplit$_/gpt-4o:streamGenerateContent?alt=sse\n" . q{{"contents":[{"parts":[{"text":"Weather?"}]}],"tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"OBJECT","properties":{"city":{"type":"STRING"}}}}]}]}} } @LlmgwTest::split_sizes]
--- more_headers
x-goog-api-key: sk-test-alpha
--- error_code eval
[map { 200 } @LlmgwTest::split_sizes]
--- response_body_like eval
[map { qr/^data: \{"candidates":.*"functionCall":\{[^\n]*"name":"get_weather"[^\n]*\r\n\r\n.*data: \{[^\n]*"usageMetadata":\{"promptTokenCount":\d+[^\n]*\r\n\r\n$/s } @LlmgwTest::split_sizes]
--- error_log eval
[qr/usage: key=alpha provider=osplit\d+ model=gpt-4o pkey=prov-1 prompt=\d+ completion=\d+ /]



=== TEST 15: Claude Code's /v1/messages?beta=true: the query, beta headers and unknown fields reach Anthropic
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/messages?beta=true
{"model":"claude-haiku-4-5-20251001","max_tokens":512,"system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hi"}],"thinking":{"type":"enabled","budget_tokens":1024},"context_management":{"edits":[]},"output_config":{"effort":"low"},"metadata":{"user_id":"u1"},"stream":false}
--- more_headers
x-api-key: sk-test-alpha
anthropic-version: 2023-06-01
anthropic-beta: claude-code-20250219,interleaved-thinking-2025-05-14
--- error_code: 200
--- response_body_like: ^\{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message"
--- error_log eval
[
qr/upstream: POST \/anthropic\/v1\/messages\?beta=true version=2023-06-01 beta=claude-code-20250219,interleaved-thinking-2025-05-14 x-api-key=sk-prov-alpha-0123456789 goog= auth= body=\{"model":"claude-haiku-4-5-20251001","max_tokens":512,"system":\[\{"type":"text","text":"You are Claude Code.","cache_control":\{"type":"ephemeral"\}\}\],"messages":\[\{"role":"user","content":"Hi"\}\],"thinking":\{"type":"enabled","budget_tokens":1024\},"context_management":\{"edits":\[\]\},"output_config":\{"effort":"low"\},"metadata":\{"user_id":"u1"\},"stream":false\}/,
qr/usage: key=alpha provider=anthropic model=claude-haiku-4-5-20251001 /,
]



=== TEST 16: system entries inside messages, translated for an OpenAI provider where they stand
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/messages
{"model":"ocap/gpt-4o-mini","max_tokens":64,"system":"First.","messages":[{"role":"user","content":"Hi"},{"role":"system","content":[{"type":"text","text":"Second."}]},{"role":"user","content":"Again"}]}
--- more_headers
x-api-key: sk-test-alpha
--- error_code: 200
--- response_body_like: "content":\[\{"type":"text","text":"Hi there!"\}\]
--- error_log eval
qr/upstream: POST \/ocap\/v1\/chat\/completions .*"messages":\[\{"role":"system","content":"First\."\},\{"role":"user","content":"Hi"\},\{"role":"system","content":"Second\."\},\{"role":"user","content":"Again"\}\]/



=== TEST 17: aliases: an exact name beats a pattern that also matches it
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"claude-latest","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- error_log
usage: key=alpha provider=anthropic model=claude-sonnet-4-5 



=== TEST 18: aliases: "claude-*" to "anthropic/*" keeps the name asked for
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"claude-opus-4-1","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- error_log
usage: key=alpha provider=anthropic model=claude-opus-4-1 



=== TEST 19: a key's catch-all sends a name no one knows yet to its model
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"some-model-of-next-month","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-agent
--- error_code: 200
--- error_log
usage: key=agent provider=openai model=gpt-4o-mini 



=== TEST 20: a key's own names come before its catch-all and the file's patterns
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"gpt-5-codex","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-agent
--- error_code: 200
--- error_log
usage: key=agent provider=anthropic model=claude-sonnet-4-5 



=== TEST 21: an alias target with two stars is refused at start
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval
my $f = ::files();
$f =~ s/"gpt-\*": "openai\/\*"/"gpt-*": "openai\/*-*"/;
$f
--- must_die
--- error_log
alias "gpt-*": its target may hold one '*' (the name asked for), no other pattern



=== TEST 22: Codex's "additional_tools" item (freeform tools in a namespace) to Anthropic: a 400 naming it, nothing sent
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/responses
{"model":"claude-sonnet-4-5","input":[{"type":"additional_tools","role":"developer","tools":[{"type":"namespace","name":"functions","tools":[{"type":"custom","name":"exec","description":"Run code"}]}]},{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}],"stream":true}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body_like
^\{"error":\{"message":"input\[0\]\.type: 'additional_tools' items cannot be translated for this provider","type":"invalid_request_error","param":null,"code":"unsupported_request"\}\}$
--- no_error_log
upstream:
