# AWS Bedrock: OpenAI-format (and Anthropic-format) clients served through
# the Converse API: the URL per model (its id percent-encoded), requests
# signed with SigV4 (checked here against a signature computed in Perl,
# t/inc/LlmgwSigV4.pm) or carrying a Bedrock API key, responses and the
# binary event stream of converse-stream translated back, exceptions and
# errors, and embeddings through InvokeModel (Titan and Cohere models).
#
# The streams are recorded Bedrock answers (t/fixtures/bedrock-*.bin, see
# t/fixtures/SOURCE.md); the broken ones are made from them here.

use lib 't/inc';
use LlmgwTest;
use LlmgwXlate;
use LlmgwSigV4;
use JSON::PP ();
use Compress::Zlib ();
use File::Temp ();
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_AWS_ACCESS_KEY_ID} = 'AKIDEXAMPLE';
$ENV{TEST_AWS_SECRET_ACCESS_KEY} = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
$ENV{TEST_AWS_SESSION_TOKEN} = 'FQoGZXIvYXdzEPT//////////wEXAMPLEtoken';
$ENV{TEST_BEDROCK_API_KEY} = 'br-api-key-0123456789';

our @splits = @LlmgwTest::split_sizes;

# the streams the mock serves: the recordings, and broken ones
our $evs_dir = File::Temp::tempdir(CLEANUP => 1);

sub evs_frame {
    my ($headers, $payload) = @_;
    my $h = '';
    for (my $i = 0; $i < @$headers; $i += 2) {
        my ($n, $v) = @$headers[$i, $i + 1];
        $h .= pack('C', length $n) . $n . pack('Cn', 7, length $v) . $v;
    }
    my $prelude = pack('NN', 16 + length($h) + length($payload), length $h);
    my $msg = $prelude . pack('N', Compress::Zlib::crc32($prelude)) . $h . $payload;
    return $msg . pack('N', Compress::Zlib::crc32($msg));
}

sub evs_event {
    my ($type, $payload) = @_;
    return evs_frame([':event-type' => $type, ':content-type' => 'application/json',
                      ':message-type' => 'event'], $payload);
}

sub write_evs {
    my ($name, $data) = @_;
    open my $fh, '>', "$evs_dir/$name.bin" or die "$name: $!";
    binmode $fh;
    print $fh $data;
    close $fh;
}

our %stream = map { $_ => ::fixture("bedrock-$_.bin") } qw(text tool thinking);
write_evs($_, $stream{$_}) for keys %stream;

# the text stream cut in the middle of a frame, before messageStop
write_evs('cut', substr($stream{text}, 0, int(length($stream{text}) * 0.6)));

# a byte of the third frame's payload changed: its checksum fails
{
    my $s = $stream{text};
    my ($l1) = unpack 'N', $s;
    my ($l2) = unpack 'N', substr($s, $l1);
    my $at = $l1 + $l2 + 40;
    substr($s, $at, 1) = chr(ord(substr($s, $at, 1)) ^ 0x20);
    write_evs('corrupt', $s);
}

# throttled after the first text
write_evs('throttled',
    evs_event('messageStart', '{"role":"assistant"}')
    . evs_event('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"Hello"}}')
    . evs_frame([':exception-type' => 'throttlingException', ':content-type' => 'application/json',
                 ':message-type' => 'exception'], '{"message":"Too many requests, please wait before trying again."}'));

our $aws_key = q{[{"id": "aws-1", "access_key_id": "env.TEST_AWS_ACCESS_KEY_ID", "secret_access_key": "env.TEST_AWS_SECRET_ACCESS_KEY"}]};
our $aws_token_key = q{[{"id": "aws-tmp", "access_key_id": "env.TEST_AWS_ACCESS_KEY_ID", "secret_access_key": "env.TEST_AWS_SECRET_ACCESS_KEY", "session_token": "env.TEST_AWS_SESSION_TOKEN"}]};
our $api_key = q{[{"id": "br-1", "value": "env.TEST_BEDROCK_API_KEY"}]};

our $providers = join ",\n    ",
    qq{"bedrock": {"kind": "bedrock", "upstream": "mock", "scheme": "http", "region": "us-east-1", "base_path": "/bedrock", "keys": $aws_key}},
    qq{"bedrock-tmp": {"kind": "bedrock", "upstream": "mock", "scheme": "http", "region": "eu-west-3", "base_path": "/bedrock-echo", "keys": $aws_token_key}},
    qq{"bedrock-echo": {"kind": "bedrock", "upstream": "mock", "scheme": "http", "region": "us-east-1", "base_path": "/bedrock-echo", "keys": $aws_key}},
    qq{"bedrock-apikey": {"kind": "bedrock", "upstream": "mock", "scheme": "http", "region": "us-west-2", "base_path": "/bedrock", "keys": $api_key}},
    map { qq{"bsplit$_": {"kind": "bedrock", "upstream": "mock", "scheme": "http", "region": "us-east-1", "base_path": "/evs/split-$_", "keys": $aws_key}} } @splits;

our $names = join ', ', '"bedrock"', '"bedrock-tmp"', '"bedrock-echo"', '"bedrock-apikey"',
    map { qq{"bsplit$_"} } @splits;

our $converse = '{"output":{"message":{"role":"assistant","content":[{"text":"Let me check."},{"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_weather","input":{"city":"Paris"}}}]}},"stopReason":"tool_use","usage":{"inputTokens":40,"outputTokens":12,"totalTokens":352,"cacheReadInputTokens":200,"cacheWriteInputTokens":100},"metrics":{"latencyMs":420}}';

our $titan = '{"embedding":[0.5,-0.25,0.125],"inputTextTokenCount":6}';
our $cohere_embed = '{"id":"emb-1","embeddings":[[0.5,0.25],[-1.5,2]],"texts":["a","b"],"response_type":"embeddings_floats"}';

sub files {
    my %o = @_;
    return ::xlate_files(providers => $providers, names => $names,
                         top => $o{top})
        . ">>> bedrock-converse.json\n" . ($o{converse} // $converse) . "\n"
        . ">>> bedrock-invoke-amazon.titan-embed-text-v2:0.json\n$titan\n"
        . ">>> bedrock-invoke-cohere.embed-english-v3.json\n$cohere_embed\n";
}

our $http_config = $::xlate_http_config . <<'_EOC_';
    log_format bedrock_req escape=none
        'bedrock: $request_method $request_uri host=$http_host '
        'date=$http_x_amz_date token=$http_x_amz_security_token '
        'auth=$http_authorization ct=$content_type body=$request_body';
_EOC_

our $config = $::xlate_config . <<"_EOC_" . evs_config();
    # Converse and InvokeModel, with a signature or an API key
    location ~ ^/bedrock/model/bad-model/converse\$ {
        default_type application/json;
        return 400 '{"message":"The provided model identifier is invalid."}';
    }

    location ~ ^/bedrock/model/(?<m>[^/]+)/(?<op>converse|invoke)\$ {
        default_type application/json;
        set \$ok "";
        if (\$http_authorization ~ "^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/[0-9]{8}/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}\$") {
            set \$ok 1;
        }
        if (\$http_authorization = "Bearer br-api-key-0123456789") {
            set \$ok 1;
        }
        if (\$ok = "") {
            return 403 '{"message":"The security token included in the request is invalid."}';
        }
        access_log logs/error.log bedrock_req;
        rewrite ^ /_mock/bedrock-\$op-\$m break;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT;
    }

    location ~ ^/_mock/bedrock-converse- {
        default_type application/json;
        try_files /bedrock-converse.json =404;
    }

    location ~ ^/_mock/bedrock-invoke-(?<m>.+)\$ {
        alias html/bedrock-invoke-\$m.json;
        default_type application/json;
        add_header X-Amzn-Bedrock-Input-Token-Count 7;
    }

    # answers with what it received: the request line, the signed headers
    # and, as a tool call's input, the body
    location ^~ /bedrock-echo/ {
        access_log logs/error.log bedrock_req;
        rewrite ^ /_bedrock_echo break;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT;
        proxy_set_header X-Echo-Uri \$request_uri;
        proxy_set_header X-Echo-Host \$http_host;
        proxy_set_header X-Echo-Date \$http_x_amz_date;
        proxy_set_header X-Echo-Token \$http_x_amz_security_token;
        proxy_set_header X-Echo-Auth \$http_authorization;
        proxy_set_header X-Echo-Length \$http_content_length;
        proxy_set_header X-Echo-Body \$request_body;
    }

    location = /_bedrock_echo {
        default_type application/json;
        return 200 '{"output":{"message":{"role":"assistant","content":[{"text":"uri=\$http_x_echo_uri\\\\nhost=\$http_x_echo_host\\\\ndate=\$http_x_echo_date\\\\ntoken=\$http_x_echo_token\\\\nlength=\$http_x_echo_length\\\\nauth=\$http_x_echo_auth"},{"toolUse":{"toolUseId":"echo","name":"echo","input":\$http_x_echo_body}}]}},"stopReason":"tool_use","usage":{"inputTokens":5,"outputTokens":7,"totalTokens":12}}';
    }

    location ^~ /_evs/ {
        alias $::evs_dir/;
        types { }
        default_type application/vnd.amazon.eventstream;
    }
_EOC_

# converse-stream: the stream named by the model, in pieces of N bytes
sub evs_config {
    my $c = '';
    for my $n (@splits) {
        $c .= <<"_EOC_";
    location ~ ^/evs/split-$n/model/(?<fx>[a-z]+)/converse-stream\$ {
        slice $n;
        rewrite ^ /_evs/\$fx.bin break;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header Range \$slice_range;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT;
        sub_filter_types application/vnd.amazon.eventstream;
        sub_filter LLMGW_NEVER_MATCHES x;
        sub_filter_once off;
    }
_EOC_
    }
    return $c;
}

# the echo's answer: the signature recomputed from what the mock received
sub check_signature {
    my ($body, $secret, $token_expected) = @_;
    my $resp = eval { JSON::PP::decode_json($body) } or return "not JSON: $body";
    my $msg = $resp->{choices}[0]{message};
    my %got = map { split /=/, $_, 2 } split /\n/, $msg->{content};
    my $sent = $msg->{tool_calls}[0]{function}{arguments};
    return "the body came back changed: $sent" if length $sent != $got{length};
    my ($region) = $got{auth} =~ m{Credential=[^/]+/\d{8}/([^/]+)/};
    my $expected = ::sigv4_authorization(
        method => 'POST', uri => $got{uri}, host => $got{host},
        date => $got{date}, token => $got{token}, body => $sent,
        access_key => 'AKIDEXAMPLE', secret => $ENV{TEST_AWS_SECRET_ACCESS_KEY},
        region => $region, service => 'bedrock');
    my $fresh = abs(date_epoch($got{date}) - time) < 120 ? 'yes' : 'no';
    return join "\n", "uri=$got{uri}", "host=$got{host}", "token=$got{token}",
        "fresh=$fresh", "signature=" . ($got{auth} eq $expected ? 'ok'
            : "bad\n got: $got{auth}\nwant: $expected"), '';
}

sub date_epoch {
    my ($d) = @_;
    require Time::Local;
    my ($y, $mo, $dd, $h, $mi, $s) = $d =~ /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/
        or return 0;
    return Time::Local::timegm($s, $mi, $h, $dd, $mo - 1, $y);
}

our $text = q{The capital of France is Paris. Paris is not only the capital city but also the most populous city in France, and it is a major center for culture, commerce, fashion, and international diplomacy. Known for its historical landmarks, such as the Eiffel Tower, the Louvre Museum, and Notre-Dame Cathedral, Paris is often referred to as "The City of Light" or "The City of Love."};

# a default guardrail policy redacting, on input and output, a phrase the
# recording splits across two events
our $guard = '"guardrails": {"detectors": {"PLACES": {"words": ["Notre-Dame Cathedral", "most populous"]}, "HILL": {"words": ["Montmartre"]}}, "policies": {"places": {"input": {"action": "redact", "detectors": ["HILL", "EMAIL"]}, "output": {"action": "redact", "detectors": ["PLACES"]}}}, "default": "places"}';
(our $guarded_text = $text) =~ s/Notre-Dame Cathedral/[REDACTED:PLACES]/;
$guarded_text =~ s/most populous/[REDACTED:PLACES]/;

sub check_guarded {
    my $t = stream_text($_[0]);
    return $t eq $guarded_text ? "redacted\n" : "text differs: $t\n";
}

# the stream unchanged if its text is the recording's
sub check_text {
    my ($b) = @_;
    my $t = stream_text($b);
    return $t eq $text ? $b : "text differs: $t";
}

# the text of an OpenAI stream's content deltas, joined
sub stream_text {
    my ($body) = @_;
    my $t = '';
    for my $line (split /\n/, $body) {
        next unless $line =~ /^data: (\{.*\})$/;
        my $c = JSON::PP::decode_json($1);
        $t .= $c->{choices}[0]{delta}{content} // '' if @{ $c->{choices} || [] };
    }
    return $t;
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an OpenAI chat to Bedrock: signed with SigV4, the model id encoded in the path
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bedrock-echo/anthropic.claude-3-5-haiku-20241022-v1:0","max_tokens":100,"temperature":0.5,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_filters eval
sub { ::check_signature($_[0]) }
--- response_body
uri=/bedrock-echo/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse
host=bedrock-runtime.us-east-1.amazonaws.com
token=
fresh=yes
signature=ok
--- error_log eval
[
qr/bedrock: POST \/bedrock-echo\/model\/anthropic.claude-3-5-haiku-20241022-v1%3A0\/converse host=bedrock-runtime.us-east-1.amazonaws.com date=\d{8}T\d{6}Z token= auth=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64} ct=application\/json body=\{/,
qr/"system":\[\{"text":"Be brief."\}\]/,
qr/"messages":\[\{"role":"user","content":\[\{"text":"Hi"\}\]\}\]/,
qr/"inferenceConfig":\{"maxTokens":100,"temperature":0.5\}/,
]
--- no_error_log
wJalrXUtnFEMI



=== TEST 2: temporary credentials: the session token is sent and signed; the region's host
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bedrock-tmp/amazon.nova-micro-v1:0","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_filters eval
sub { ::check_signature($_[0]) }
--- response_body
uri=/bedrock-echo/model/amazon.nova-micro-v1%3A0/converse
host=bedrock-runtime.eu-west-3.amazonaws.com
token=FQoGZXIvYXdzEPT//////////wEXAMPLEtoken
fresh=yes
signature=ok
--- error_log eval
qr/auth=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-3\/bedrock\/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=/



=== TEST 3: a Bedrock API key goes as a bearer token
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bedrock-apikey/amazon.nova-micro-v1:0","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "content":"Let me check."
--- error_log eval
qr/bedrock: POST \/bedrock\/model\/amazon.nova-micro-v1%3A0\/converse host=bedrock-runtime.us-west-2.amazonaws.com date= token= auth=Bearer br-api-key-0123456789 /



=== TEST 4: a Converse answer with a tool call, its usage with cache reads and writes
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bedrock/anthropic.claude-3-5-haiku-20241022-v1:0","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"messages":[{"role":"user","content":"Weather in Paris?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: ^\{"id":"chatcmpl-[^"]+","object":"chat.completion","created":\d+,"model":"anthropic.claude-3-5-haiku-20241022-v1:0","choices":\[\{"index":0,"message":\{"role":"assistant","content":"Let me check.","tool_calls":\[\{"id":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","type":"function","function":\{"name":"get_weather","arguments":"\{\\"city\\":\\"Paris\\"\}"\}\}\]\},"finish_reason":"tool_calls"\}\],"usage":\{"prompt_tokens":340,"completion_tokens":12,"total_tokens":352,"prompt_tokens_details":\{"cached_tokens":200,"cache_write_tokens":100\}\}\}$
--- error_log eval
[
qr/"toolConfig":\{"tools":\[\{"toolSpec":\{"name":"get_weather","inputSchema":\{"json":\{"type":"object","properties":\{"city":\{"type":"string"\}\}\}\}\}\}\]/,
qr/usage: key=alpha provider=bedrock model=anthropic.claude-3-5-haiku-20241022-v1:0 pkey=aws-1 prompt=340 completion=12 total=352 cached=200 cost=/,
]



=== TEST 5: a recorded converse-stream becomes OpenAI chunks, the same at every split
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request eval
[map { "POST /v1/chat/completions\n" . qq{{"model":"bsplit$_/text","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"What is the capital of France?"}]}} } @::splits]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_headers eval
[map { "Content-Type: text/event-stream" } @::splits]
--- response_body_like eval
[map { qr/^data: \{"id":"chatcmpl-[^"]+","object":"chat.completion.chunk","created":\d+,"model":"text","choices":\[\{"index":0,"delta":\{"role":"assistant","content":""\},"finish_reason":null\}\]\}\n\n.*"delta":\{"content":"The"\}.*data: [^\n]*"delta":\{\},"finish_reason":"stop"\}\]\}\n\ndata: [^\n]*"choices":\[\],"usage":\{"prompt_tokens":13,"completion_tokens":82,"total_tokens":95\}\}\n\ndata: \[DONE\]\n\n$/s } @::splits]
--- response_body_filters eval
\&::check_text
--- error_log eval
qr/usage: key=alpha provider=bsplit\d+ model=text pkey=aws-1 prompt=13 completion=82 total=95 cached=0/
--- timeout: 60



=== TEST 6: a streamed tool call: the text, then the call's arguments, finish_reason tool_calls
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bsplit7/tool","stream":true,"messages":[{"role":"user","content":"Temperature in the capital of France?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "delta":\{"tool_calls":\[\{"index":0,"id":"tooluse_lAG_zP8QRHmSYOwZzzaCqA","type":"function","function":\{"name":"get_temperature","arguments":""\}\}\]\}.*"arguments":"\{\\"city\\":\\"Paris\\"\}".*"finish_reason":"tool_calls".*data: \[DONE\]\n\n$
--- error_log eval
qr/usage: key=alpha provider=bsplit7 model=tool pkey=aws-1 prompt=471 completion=91 total=562 cached=0/



=== TEST 7: /v1/messages over Bedrock: Anthropic's events, thinking included
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/messages
{"model":"bsplit3/thinking","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hello"}]}
--- more_headers
x-api-key: sk-test-alpha
anthropic-version: 2023-06-01
--- error_code: 200
--- response_body_like: ^event: message_start\ndata: \{"type":"message_start","message":\{"id":"[^"]+","type":"message","role":"assistant","model":"thinking".*event: content_block_start\ndata: \{"type":"content_block_start","index":0,"content_block":\{"type":"thinking".*"thinking_delta","thinking":"The"\}.*"type":"text_delta","text":"Hello! It".*event: message_delta\ndata: \{"type":"message_delta","delta":\{"stop_reason":"end_turn","stop_sequence":null\},"usage":\{[^}]*"output_tokens":73\}\}\n\nevent: message_stop\ndata: \{"type":"message_stop"\}\n\n$
--- error_log eval
qr/usage: key=alpha provider=bsplit3 model=thinking pkey=aws-1 prompt=36 completion=73 total=109/



=== TEST 8: a stream cut in the middle of a frame ends in an error event, billed for its text
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bsplit11/cut","stream":true,"messages":[{"role":"user","content":"What is the capital of France?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "content":"The".*\}\n\ndata: \{"error":\{"message":"[^"]+","type":"api_error","param":null,"code":"provider_stream_error"\}\}\n\n$
--- error_log eval
[
qr/the stream ended before it finished/,
qr/the stream ended without usage: billed for \d+ bytes of text/,
]
--- no_error_log
[DONE]



=== TEST 9: a frame whose checksum fails ends the stream in an error event
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bsplit64/corrupt","stream":true,"messages":[{"role":"user","content":"What is the capital of France?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: \}\n\ndata: \{"error":\{"message":"The provider's event stream is corrupt","type":"api_error","param":null,"code":"provider_stream_error"\}\}\n\n$
--- error_log eval
qr/llmgw: provider "bsplit64": event stream: Message checksum mismatch/



=== TEST 10: an exception frame mid-stream: an error event of its type
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bsplit2/throttled","stream":true,"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "delta":\{"content":"Hello"\},"finish_reason":null\}\]\}\n\ndata: \{"error":\{"message":"Too many requests, please wait before trying again.","type":"rate_limit_error","param":null,"code":"provider_stream_error"\}\}\n\n$



=== TEST 11: Bedrock's errors keep their status; the message comes through
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bedrock/bad-model","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body
{"error":{"message":"The provided model identifier is invalid.","type":"invalid_request_error","param":null,"code":"provider_error"}}



=== TEST 12: embeddings with a Titan model: InvokeModel, one input, its token count
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/embeddings
{"model":"bedrock/amazon.titan-embed-text-v2:0","input":"The food was delicious","dimensions":256}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body
{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-0.25,0.125]}],"model":"amazon.titan-embed-text-v2:0","usage":{"prompt_tokens":6,"total_tokens":6}}
--- error_log eval
[
qr/bedrock: POST \/bedrock\/model\/amazon.titan-embed-text-v2%3A0\/invoke .* body=\{"inputText":"The food was delicious","dimensions":256/,
qr/usage: key=alpha provider=bedrock model=amazon.titan-embed-text-v2:0 pkey=aws-1 prompt=6 completion=0 total=6/,
]



=== TEST 13: Titan takes one input per request: a batch is refused before it leaves
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/embeddings
{"model":"bedrock/amazon.titan-embed-text-v2:0","input":["one","two"]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body_like: ^\{"error":\{"message":"[^"]*one input[^"]*","type":"invalid_request_error","param":null,"code":"unsupported_request"\}\}$
--- no_error_log
bedrock: POST



=== TEST 14: embeddings with a Cohere model on Bedrock: a batch, the count from the header, base64 when asked
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/embeddings
{"model":"bedrock/cohere.embed-english-v3","input":["a","b"],"encoding_format":"base64"}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body
{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAgD4="},{"object":"embedding","index":1,"embedding":"AADAvwAAAEA="}],"model":"cohere.embed-english-v3","usage":{"prompt_tokens":7,"total_tokens":7}}
--- error_log eval
[
qr/body=\{"texts":\["a","b"\],"input_type":"search_document","embedding_types":\["float"\]\}/,
qr/usage: key=alpha provider=bedrock model=cohere.embed-english-v3 pkey=aws-1 prompt=7 completion=0 total=7/,
]



=== TEST 15: a wrong signature is the provider's 403, as a permission error
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
::files() =~ s/"region": "us-west-2", "base_path": "\/bedrock", "keys": \[\{"id": "br-1", "value": "env.TEST_BEDROCK_API_KEY"\}\]/"region": "us-west-2", "base_path": "\/bedrock", "keys": [{"id": "aws-2", "access_key_id": "env.TEST_AWS_ACCESS_KEY_ID", "secret_access_key": "env.TEST_AWS_SECRET_ACCESS_KEY"}]/r
--- request
POST /v1/chat/completions
{"model":"bedrock-apikey/amazon.nova-micro-v1:0","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 403
--- response_body
{"error":{"message":"The security token included in the request is invalid.","type":"permission_error","param":null,"code":"provider_error"}}



=== TEST 16: guardrails on Bedrock: the request redacted before it is signed, the stream redacted across its events at every split
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files(top => $::guard)
--- request eval
[
"POST /v1/chat/completions\n" . qq{{"model":"bedrock-echo/amazon.nova-micro-v1:0","messages":[{"role":"user","content":"Near Montmartre? Write to jane.doe\@example.com"}]}},
(map { "POST /v1/chat/completions\n" . qq{{"model":"bsplit$_/text","stream":true,"messages":[{"role":"user","content":"What is the capital of France?"}]}} } @::splits),
]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[map { 200 } 0, @::splits]
--- response_body_filters eval
[[sub { $_[0] =~ /Near \[REDACTED:HILL\]\? Write to \[REDACTED:EMAIL\]/ ? "redacted\n" : "not redacted: $_[0]\n" }], map { [\&::check_guarded] } @::splits]
--- response_body eval
[map { "redacted\n" } 0, @::splits]
--- log_level: info
--- timeout: 60

