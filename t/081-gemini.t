# Google Gemini: OpenAI-format (and Anthropic-format) clients served by a
# Gemini-shaped provider: the URL per model and method, the key header,
# requests and responses translated both ways, whole and streamed, safety
# blocks and errors, embeddings.

use lib 't/inc';
use LlmgwTest;
use LlmgwXlate;
use Test::Nginx::Socket 'no_plan';

our $gemini_stream = ::fixture('gemini-thinking-reply.sse');

# the stream without its last event, the one with finishReason
our $cut_stream = $gemini_stream;
$cut_stream =~ s/data: [^\n]*"finishReason"[^\n]*\r?\n\r?\n$//s;

# the stream broken off by an error object after its first event
our $error_stream = ($gemini_stream =~ /\A(data: [^\n]*\r?\n\r?\n)/)[0]
    . qq{data: {"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}\r\n\r\n};

our @splits = @LlmgwTest::split_sizes;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an OpenAI chat to Gemini: URL, key header, generateContent's shape
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/chat/completions
{"model":"flash","max_tokens":100,"temperature":0.3,"stop":["END"],"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."},{"role":"user","content":"Again"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like
^\{"id":"gem-resp-1","object":"chat.completion","created":\d+,"model":"gemini-2.5-flash","choices":\[\{"index":0,"message":\{"role":"assistant","content":"Hello from Gemini."\},"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":8,"completion_tokens":5,"total_tokens":13\}\}$
--- error_log eval
[
qr/upstream: POST \/gemini\/v1beta\/models\/gemini-2.5-flash:generateContent version= beta= x-api-key= goog=sk-prov-alpha-0123456789 auth= body=/,
qr/"systemInstruction":\{"parts":\[\{"text":"Be brief."\}\]\}/,
qr/"contents":\[\{"role":"user","parts":\[\{"text":"Hi"\}\]\},\{"role":"model","parts":\[\{"text":"Hello."\}\]\},\{"role":"user","parts":\[\{"text":"Again"\}\]\}\]/,
qr/"maxOutputTokens":100/,
qr/"stopSequences":\["END"\]/,
qr/usage: key=alpha provider=gemini model=gemini-2.5-flash pkey=prov-1 prompt=8 completion=5 total=13 cached=0/,
]
--- no_error_log
"model":"flash"



=== TEST 2: tools: functionDeclarations out, functionCall back as tool_calls
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval
::xlate_files(gemini => '{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"location":"Paris"}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":6,"totalTokenCount":36},"modelVersion":"gemini-2.5-flash"}')
--- request
POST /v1/chat/completions
{"model":"flash","tool_choice":"auto","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}],"messages":[{"role":"user","content":"Weather in Paris?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "tool_calls":\[\{"id":"[^"]+","type":"function","function":\{"name":"get_weather","arguments":"\{\\"location\\":\\"Paris\\"\}"\}\}\]\},"finish_reason":"tool_calls"
--- error_log eval
[
qr/"functionDeclarations":\[\{"name":"get_weather"/,
qr/"functionCallingConfig":\{"mode":"AUTO"\}/,
]



=== TEST 3: a Gemini stream becomes OpenAI chunks, the same at every split
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(stream => $::gemini_stream)
--- request eval
[map { "POST /v1/chat/completions\n" . qq{{"model":"gsplit$_/gemini-2.5-flash","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Why is the sky blue?"}]}} } @::splits]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_headers eval
[map { "Content-Type: text/event-stream" } @::splits]
--- response_body_like eval
[map { qr/^data: \{"id":"0J-HaJetAqv0jrEPwu-tsQ0","object":"chat.completion.chunk","created":\d+,"model":"gemini-2.5-flash","choices":\[\{"index":0,"delta":\{"role":"assistant","content":""\},"finish_reason":null\}\]\}\n\ndata: [^\n]*"delta":\{"reasoning_content":"\*\*Exploring Sky Color\*\*.*"delta":\{"content":" Blue light has shorter, smaller wavelengths, causing it to be scattered in all directions, making the sky appear blue to our eyes."\},"finish_reason":null\}\]\}\n\ndata: [^\n]*"delta":\{\},"finish_reason":"stop"\}\]\}\n\ndata: [^\n]*"choices":\[\],"usage":\{"prompt_tokens":10,"completion_tokens":588,"total_tokens":598\}\}\n\ndata: \[DONE\]\n\n$/s } @::splits]
--- error_log eval
qr/usage: key=alpha provider=gsplit\d+ model=gemini-2.5-flash pkey=prov-1 prompt=10 completion=588 total=598 cached=0/
--- timeout: 60




=== TEST 4: a Gemini stream that ends before its finishReason ends in an error event
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(stream => $::cut_stream)
--- request
POST /v1/chat/completions
{"model":"gsplit5/gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Why is the sky blue?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like
\}\n\ndata: \{"error":\{"message":"[^"]+","type":"api_error","param":null,"code":"provider_stream_error"\}\}\n$
--- error_log
the stream ended before it finished



=== TEST 5: a prompt blocked by Gemini's safety filter is a 400 naming the reason
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(gemini => $::gemini_blocked)
--- request
POST /v1/chat/completions
{"model":"flash","messages":[{"role":"user","content":"something bad"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body_like
^\{"error":\{"message":"[^"]*SAFETY[^"]*","type":"invalid_request_error","param":null,"code":"provider_error"\}\}$



=== TEST 6: Gemini's errors: their status kept, the type mapped
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/chat/completions
{"model":"gemini-err/gemini-2.5-pro","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 429
--- response_body
{"error":{"message":"Resource has been exhausted (e.g. check quota).","type":"rate_limit_error","param":null,"code":"provider_error"}}



=== TEST 7: embeddings: one text to embedContent
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/embeddings
{"model":"gemini/text-embedding-004","input":"Hello"}
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like: ^\{"object":"list","data":\[\{"object":"embedding","index":0,"embedding":\[0.013168523,-0.008711934,-0.046782676\]\}\],"model":"text-embedding-004"
--- error_log eval
qr/upstream: POST \/gemini\/v1beta\/models\/text-embedding-004:embedContent .* body=\{"content":\{"parts":\[\{"text":"Hello"\}\]\}\}/



=== TEST 7b: embeddings: several texts to batchEmbedContents
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/embeddings
{"model":"gemini/text-embedding-004","input":["a","b"]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like: ^\{"object":"list","data":\[\{"object":"embedding","index":0,"embedding":\[0.1,0.2\]\},\{"object":"embedding","index":1,"embedding":\[0.3,0.4\]\}\]
--- error_log eval
qr/upstream: POST \/gemini\/v1beta\/models\/text-embedding-004:batchEmbedContents .* body=\{"requests":\[\{"content":\{"parts":\[\{"text":"a"\}\]\},"model":"models\/text-embedding-004"\},\{"content":\{"parts":\[\{"text":"b"\}\]\},"model":"models\/text-embedding-004"\}\]\}/



=== TEST 8: a model name can never change the path the request goes to
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request eval
[
"POST /v1/chat/completions\n" . '{"model":"gemini/../../v1/files","messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"gemini/x:streamGenerateContent?alt=sse#","messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"gemini/gemini%2F..","messages":[{"role":"user","content":"Hi"}]}',
]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[400, 400, 400]
--- response_body_like eval
[map { qr/^\{"error":\{"message":"The model name \\".+?\\" cannot be used with provider \\"gemini\\": [^"]*\\"._-@\\" only","type":"invalid_request_error","param":null,"code":"invalid_model"\}\}$/ } 1 .. 3]
--- no_error_log
upstream:



=== TEST 9: an Anthropic client served by Gemini
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files()
--- request
POST /v1/messages
{"model":"flash","max_tokens":64,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
x-api-key: sk-test-alpha
--- error_code: 200
--- response_body_like: ^\{"id":"gem-resp-1","type":"message","role":"assistant","model":"gemini-2.5-flash","content":\[\{"type":"text","text":"Hello from Gemini."\}\],"stop_reason":"end_turn","stop_sequence":null,"usage":\{"input_tokens":8,"output_tokens":5
--- error_log eval
[
qr/"systemInstruction":\{"parts":\[\{"text":"Be brief."\}\]\}/,
qr/"maxOutputTokens":64/,
]



=== TEST 10: an error in Gemini's stream ends the client's stream with an error event
--- http_config eval: $::xlate_http_config
--- config eval: $::xlate_config
--- user_files eval: ::xlate_files(stream => $::error_stream)
--- request
POST /v1/chat/completions
{"model":"gsplit3/gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Why is the sky blue?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "reasoning_content":"\*\*Exploring Sky Color.*\n\ndata: \{"error":\{"message":"The model is overloaded. Please try again later.","type":"overloaded_error","param":null,"code":"provider_stream_error"\}\}\n\n$
