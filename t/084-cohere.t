# Cohere's v2 API: OpenAI-format (and Anthropic-format) clients served by a
# Cohere-shaped provider: /v2/chat with a bearer key, requests and answers
# translated both ways, whole and streamed (recorded Cohere streams,
# t/fixtures/cohere-*.sse), usage as Cohere bills it (billed_units),
# errors, and embeddings through /v2/embed.

use lib 't/inc';
use LlmgwTest;
use LlmgwXlate;
use JSON::PP ();
use Test::Nginx::Socket 'no_plan';

our @splits = @LlmgwTest::split_sizes;
our $key = q{[{"id": "co-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]};

our $providers = join ",\n    ",
    qq{"cohere": {"kind": "cohere", "upstream": "mock", "scheme": "http", "host": "api.cohere.test", "base_path": "/cohere/v2", "keys": $key}},
    map { qq{"csplit$_": {"kind": "cohere", "upstream": "mock", "scheme": "http", "base_path": "/sse/split-$_", "keys": $key}} } @splits;
our $names = join ', ', '"cohere"', map { qq{"csplit$_"} } @splits;

our $chat = '{"id":"57bc5def-08e2-43c1-9fb6-d554900ccb36","message":{"role":"assistant","content":[{"type":"text","text":"Hi there! You are Pickle Rick?"}]},"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":4,"output_tokens":28},"tokens":{"input_tokens":70,"output_tokens":28}}}';

our $tool_chat = '{"id":"bd32370b-684b-4de3-8f99-8a7653ffd93b","message":{"role":"assistant","tool_plan":"I will use the Person tool.","tool_calls":[{"id":"Person_zh3gneaxfh7q","type":"function","function":{"name":"Person","arguments":"{\"age\":27,\"name\":\"Erick\"}"}}]},"finish_reason":"TOOL_CALL","usage":{"billed_units":{"input_tokens":23,"output_tokens":41},"tokens":{"input_tokens":906,"output_tokens":77}}}';

our $embed = '{"id":"5822f0c7-25e9-4b9d-b269-d9d6b2225570","texts":["foo bar","bar foo"],"embeddings":{"float":[[-0.5,0.25],[0.125,1]]},"meta":{"api_version":{"version":"2"},"billed_units":{"input_tokens":4}},"response_type":"embeddings_by_type"}';

sub files {
    my %o = @_;
    my $s = ::xlate_files(providers => $providers, names => $names,
                          top => $o{top})
        . ">>> cohere-chat.json\n" . ($o{chat} // $chat) . "\n"
        . ">>> cohere-embed.json\n$embed\n";
    $s .= ">>> stream.sse\n$o{stream}" if defined $o{stream};
    return $s;
}

our $config = $::xlate_config . <<'_EOC_';
    location ~ ^/cohere/v2/(?<op>chat|embed)$ {
        default_type application/json;
        if ($http_authorization !~ "^Bearer sk-prov-") {
            return 401 '{"id":"6f2e9c1a","message":"invalid api token"}';
        }
        access_log logs/error.log upstream_body;
        rewrite ^ /_mock/cohere-$op break;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location ~ ^/_mock/cohere-(?<op>chat|embed)$ {
        default_type application/json;
        try_files /cohere-$op.json =404;
    }

    location = /cohere-limited/v2/chat {
        default_type application/json;
        return 429 '{"id":"0e3a2b1c","message":"You are using a Trial key, which is limited to 10 API calls / minute."}';
    }
_EOC_

our $text_stream = ::fixture('cohere-text.sse');
our $tool_stream = ::fixture('cohere-tool.sse');
our $text = q{Hi there! You're Pickle Rick? Wow, that's a fun nickname! Do you have a special recipe for pickling or a favorite way to be enjoyed? I'd love to hear more about your version of Rick.};

# the text stream without its message-end and [DONE]
our $cut_stream = $text_stream;
$cut_stream =~ s/event: message-end\n.*\z//s;

# the stream unchanged if its content deltas join to the recording's text
sub check_text {
    my ($b) = @_;
    my $t = '';
    for my $line (split /\n/, $b) {
        next unless $line =~ /^data: (\{.*\})$/;
        my $c = JSON::PP::decode_json($1);
        $t .= $c->{choices}[0]{delta}{content} // '' if @{ $c->{choices} || [] };
    }
    return $t eq $text ? $b : "text differs: $t";
}

# a default guardrail policy: a name the recording splits across two
# events redacted on the way out, an address on the way in
our $guard = '"guardrails": {"detectors": {"NAMES": {"words": ["Pickle Rick"]}}, "policies": {"names": {"input": {"action": "redact", "detectors": ["EMAIL"]}, "output": {"action": "redact", "detectors": ["NAMES"]}}}, "default": "names"}';
(our $guarded_text = $text) =~ s/Pickle Rick/[REDACTED:NAMES]/;

sub check_guarded {
    my ($b) = @_;
    my $t = '';
    for my $line (split /\n/, $b) {
        next unless $line =~ /^data: (\{.*\})$/;
        my $c = JSON::PP::decode_json($1);
        $t .= $c->{choices}[0]{delta}{content} // '' if @{ $c->{choices} || [] };
    }
    return $t eq $guarded_text ? "redacted\n" : "text differs: $t\n";
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an OpenAI chat to Cohere: /v2/chat, the bearer key, Cohere's request shape
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"cohere/command-r-plus-08-2024","max_tokens":100,"temperature":0.3,"top_p":0.9,"stop":"END","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi, I am Pickle Rick"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: ^\{"id":"57bc5def-08e2-43c1-9fb6-d554900ccb36","object":"chat.completion","created":\d+,"model":"command-r-plus-08-2024","choices":\[\{"index":0,"message":\{"role":"assistant","content":"Hi there! You are Pickle Rick\?"\},"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":4,"completion_tokens":28,"total_tokens":32\}\}$
--- error_log eval
[
qr/upstream: POST \/cohere\/v2\/chat .* auth=Bearer sk-prov-alpha-0123456789 body=\{"model":"command-r-plus-08-2024"/,
qr/"messages":\[\{"role":"system","content":"Be brief."\},\{"role":"user","content":"Hi, I am Pickle Rick"\}\]/,
qr/"max_tokens":100/,
qr/"p":0.9/,
qr/"stop_sequences":\["END"\]/,
qr/usage: key=alpha provider=cohere model=command-r-plus-08-2024 pkey=co-1 prompt=4 completion=28 total=32 cached=0/,
]
--- no_error_log
"top_p"



=== TEST 2: tools out; a tool call back, its plan as reasoning
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(chat => $::tool_chat)
--- request
POST /v1/chat/completions
{"model":"cohere/command-r-plus-08-2024","tools":[{"type":"function","function":{"name":"Person","parameters":{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}}}}}],"tool_choice":"required","messages":[{"role":"user","content":"Erick, 27"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "tool_calls":\[\{"id":"Person_zh3gneaxfh7q","type":"function","function":\{"name":"Person","arguments":"\{\\"age\\":27,\\"name\\":\\"Erick\\"\}"\}\}\]\},"finish_reason":"tool_calls"\}\],"usage":\{"prompt_tokens":23,"completion_tokens":41,"total_tokens":64\}
--- error_log eval
[
qr/"tools":\[\{"type":"function","function":\{"name":"Person","parameters":/,
qr/"tool_choice":"REQUIRED"/,
]



=== TEST 3: a recorded Cohere stream becomes OpenAI chunks, the same at every split
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(stream => $::text_stream)
--- request eval
[map { "POST /v1/chat/completions\n" . qq{{"model":"csplit$_/command-r","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi, I am Pickle Rick"}]}} } @::splits]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_headers eval
[map { "Content-Type: text/event-stream" } @::splits]
--- response_body_like eval
[map { qr/^data: \{"id":"c9216b71-fc8a-4107-be45-168630df7a3f","object":"chat.completion.chunk","created":\d+,"model":"command-r","choices":\[\{"index":0,"delta":\{"role":"assistant","content":""\},"finish_reason":null\}\]\}\n\n.*data: [^\n]*"delta":\{\},"finish_reason":"stop"\}\]\}\n\ndata: [^\n]*"choices":\[\],"usage":\{"prompt_tokens":4,"completion_tokens":45,"total_tokens":49\}\}\n\ndata: \[DONE\]\n\n$/s } @::splits]
--- response_body_filters eval
\&::check_text
--- error_log eval
qr/usage: key=alpha provider=csplit\d+ model=command-r pkey=co-1 prompt=4 completion=45 total=49 cached=0/
--- timeout: 60



=== TEST 4: a streamed tool call: the plan as reasoning, the call's arguments, finish_reason tool_calls
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(stream => $::tool_stream)
--- request
POST /v1/chat/completions
{"model":"csplit5/command-r","stream":true,"messages":[{"role":"user","content":"Erick, 27"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "delta":\{"reasoning_content":"I"\}.*"delta":\{"tool_calls":\[\{"index":0,"id":"Person_2fnrphbsnr66","type":"function","function":\{"name":"Person","arguments":""\}\}\]\}.*"function":\{"arguments":"\}"\}\}\]\},"finish_reason":null\}\]\}\n\ndata: [^\n]*"delta":\{\},"finish_reason":"tool_calls".*data: \[DONE\]\n\n$
--- error_log eval
qr/usage: key=alpha provider=csplit5 model=command-r pkey=co-1 prompt=23 completion=41 total=64/



=== TEST 5: /v1/messages over Cohere: Anthropic's events
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(stream => $::text_stream)
--- request
POST /v1/messages
{"model":"csplit3/command-r","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hi, I am Pickle Rick"}]}
--- more_headers
x-api-key: sk-test-alpha
anthropic-version: 2023-06-01
--- error_code: 200
--- response_body_like: ^event: message_start\ndata: \{"type":"message_start","message":\{"id":"c9216b71-fc8a-4107-be45-168630df7a3f".*"type":"text_delta","text":"Hi".*event: message_delta\ndata: \{"type":"message_delta","delta":\{"stop_reason":"end_turn","stop_sequence":null\},"usage":\{[^}]*"output_tokens":45\}\}\n\nevent: message_stop\ndata: \{"type":"message_stop"\}\n\n$



=== TEST 6: a stream that ends before its message-end ends in an error event
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(stream => $::cut_stream)
--- request
POST /v1/chat/completions
{"model":"csplit7/command-r","stream":true,"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: \}\n\ndata: \{"error":\{"message":"[^"]+","type":"api_error","param":null,"code":"provider_stream_error"\}\}\n\n$
--- error_log
the stream ended before it finished
--- no_error_log
[DONE]



=== TEST 7: Cohere's errors keep their status; the message comes through
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval
::files() =~ s{"base_path": "/cohere/v2"}{"base_path": "/cohere-limited/v2"}r
--- request
POST /v1/chat/completions
{"model":"cohere/command-r","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 429
--- response_body
{"error":{"message":"You are using a Trial key, which is limited to 10 API calls / minute.","type":"rate_limit_error","param":null,"code":"provider_error"}}



=== TEST 8: embeddings through /v2/embed, billed as Cohere counts them
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/embeddings
{"model":"cohere/embed-v4.0","input":["foo bar","bar foo"],"dimensions":256}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body
{"object":"list","data":[{"object":"embedding","index":0,"embedding":[-0.5,0.25]},{"object":"embedding","index":1,"embedding":[0.125,1]}],"model":"embed-v4.0","usage":{"prompt_tokens":4,"total_tokens":4}}
--- error_log eval
[
qr/upstream: POST \/cohere\/v2\/embed .* body=\{.*"texts":\["foo bar","bar foo"\],"input_type":"search_document","embedding_types":\["float"\]/,
qr/upstream: POST \/cohere\/v2\/embed .* body=\{.*"model":"embed-v4.0"/,
qr/upstream: POST \/cohere\/v2\/embed .* body=\{.*"output_dimension":256/,
qr/usage: key=alpha provider=cohere model=embed-v4.0 pkey=co-1 prompt=4 completion=0 total=4/,
]



=== TEST 9: token ids cannot be embedded by Cohere: refused before the request leaves
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/embeddings
{"model":"cohere/embed-v4.0","input":[[1,2,3]]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body_like: ^\{"error":\{"message":"[^"]+","type":"invalid_request_error","param":null,"code":"unsupported_request"\}\}$
--- no_error_log
upstream: POST



=== TEST 10: guardrails on Cohere: a name split across two events redacted, at every split
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(stream => $::text_stream, top => $::guard)
--- request eval
[map { "POST /v1/chat/completions\n{\"model\":\"csplit$_/command-r\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}" } @::splits]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[map { 200 } @::splits]
--- response_body_filters eval
\&::check_guarded
--- response_body eval
[map { "redacted\n" } @::splits]
--- log_level: info
--- timeout: 60



=== TEST 11: guardrails on Cohere: the request redacted before Cohere sees it
--- http_config eval: $::xlate_http_config
--- config eval: $::config
--- user_files eval: ::files(top => $::guard)
--- request
POST /v1/chat/completions
{"model":"cohere/command-r","messages":[{"role":"user","content":"Hi, I am rick@example.com"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- error_log eval
qr/upstream: POST \/cohere\/v2\/chat .*"content":"Hi, I am \[REDACTED:EMAIL\]"/
--- no_error_log
rick@example.com

