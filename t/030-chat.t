# Chat completions through an OpenAI-compatible provider: whole responses
# and streams, model aliases and pins, and the usage read from each.

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

our $stream = ::fixture('openai-tools.sse');
our $logprobs = ::fixture('openai-logprobs.sse');

# a body of about 4 KB with an escape every few bytes: longer than the
# header buffer (1k), so nginx reads it in two places
our $long_body = '{"model":"echo-1","messages":[{"role":"user","content":"'
    . join('', map { "line $_: \\\"q\\\" caf\\u00e9\\n" } 1 .. 150)
    . '"}],"temperature":0.2}';
our $long_echo = '{"uri":"/echo/v1/chat/completions","host":"echo.test",'
    . '"auth":"authorization=Bearer sk-prov-alpha-0123456789 x-api-key= '
    . 'x-goog-api-key= x-llmgw-key= api-key= accept-encoding=",'
    . '"length":"' . length($long_body) . '","body":' . $long_body . '}';

# the chat request with $framing (a length or a chunked header) and $body,
# cut into packets where the body reaches each offset in @cuts
sub long_packets {
    my ($framing, $body, @cuts) = @_;
    my $head = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
        . "Authorization: Bearer sk-test-alpha\r\n"
        . "Content-Type: application/json\r\nConnection: close\r\n"
        . "$framing\r\n\r\n";
    my @at = (0, map({ length($head) + $_ } @cuts));
    my $req = $head . $body;
    return [ map { substr($req, $at[$_], $_ < $#at ? $at[$_ + 1] - $at[$_] : length $req) } 0 .. $#at ];
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a whole response passes through unchanged; usage read
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_headers
Content-Type: application/json
Content-Length: 440
--- response_body chomp
{"id":"chatcmpl-1","object":"chat.completion","created":1732406400,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there!","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":13,"completion_tokens":7,"total_tokens":20,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp_1"}
--- error_log
usage: key=alpha provider=mock model=gpt-4o-mini pkey=alpha-1 prompt=13 completion=7 total=20 cached=4



=== TEST 2: the body reaches the provider byte for byte when nothing changes
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{ "model" : "echo-1",	"messages":[{"role":"user","content":"caf\u00e9 \"quoted\""}], "temperature": 0.2 }
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body chomp
{"uri":"/echo/v1/chat/completions","host":"echo.test","auth":"authorization=Bearer sk-prov-alpha-0123456789 x-api-key= x-goog-api-key= x-llmgw-key= api-key= accept-encoding=","length":"105","body":{ "model" : "echo-1",	"messages":[{"role":"user","content":"caf\u00e9 \"quoted\""}], "temperature": 0.2 }}



=== TEST 3: provider/model pins the provider; the provider gets the bare model
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"model":"echo/echo-2","n":1}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like chomp
"length":"68","body":\{"messages":\[\{"role":"user","content":"Hi"\}\],"model":"echo-2","n":1\}\}$
--- error_log
usage: key=alpha provider=echo model=echo-2 pkey=echo-1



=== TEST 4: an alias resolves to its target
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"echo-alias","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like chomp
"body":\{"model":"echo-1","messages"
--- error_log
usage: key=alpha provider=echo model=echo-1



=== TEST 5: a stream asks the provider for usage on the client's behalf
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"echo-1","stream":true,"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like chomp
"body":\{"model":"echo-1","stream":true,"messages":\[\{"role":"user","content":"Hi"\}\],"stream_options":\{"include_usage":true\}\}\}$



=== TEST 6: stream_options without include_usage, with it false, null, empty
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request eval
[
"POST /v1/chat/completions\n" . '{"model":"echo-1","stream":true,"stream_options":{"x":1},"messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"echo-1","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"echo-1","stream":true,"stream_options":null,"messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"echo-1","stream":true,"stream_options":{ },"messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"echo-1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/chat/completions\n" . '{"model":"echo-1","stream":false,"messages":[{"role":"user","content":"Hi"}]}',
]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like eval
[
qr/"body":\{"model":"echo-1","stream":true,"stream_options":\{"include_usage":true,"x":1\},"messages"/,
qr/"body":\{"model":"echo-1","stream":true,"stream_options":\{"include_usage":true\},"messages"/,
qr/"body":\{"model":"echo-1","stream":true,"stream_options":\{"include_usage":true\},"messages"/,
qr/"body":\{"model":"echo-1","stream":true,"stream_options":\{"include_usage":true\},"messages"/,
qr/"body":\{"model":"echo-1","stream":true,"stream_options":\{"include_usage":true\},"messages"/,
qr/"body":\{"model":"echo-1","stream":false,"messages":\[\{"role":"user","content":"Hi"\}\]\}\}$/,
]



=== TEST 7: a recorded stream in pieces of 1, 2, 3, 5, 7, 11, 64 and 4096 bytes: the usage chunk the client did not ask for is dropped
--- http_config eval: $::http_config
--- config eval: $::config . $::sse_config
--- user_files eval
[[ "llmgw.json" => ::governance() ], [ "stream.sse" => $::stream ]]
--- request eval
[ map { "POST /v1/chat/completions\n" . qq{{"model":"split$_/split-model","stream":true,"messages":[{"role":"user","content":"weather?"}]}} } @::split_sizes ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[ map { 200 } @::split_sizes ]
--- response_headers eval
[ map { "Content-Type: text/event-stream" } @::split_sizes ]
--- response_body eval
[ map { ::without_usage_chunk($::stream) } @::split_sizes ]
--- grep_error_log eval: qr/usage: key=alpha provider=split\d+ model=split-model pkey=- prompt=\d+ completion=\d+ total=\d+/
--- grep_error_log_out eval
qr/^usage: key=alpha provider=split\d+ model=split-model pkey=- prompt=44 completion=16 total=60\n$/



=== TEST 8: the client asked for usage: the stream is untouched, in any split
--- http_config eval: $::http_config
--- config eval: $::config . $::sse_config
--- user_files eval
[[ "llmgw.json" => ::governance() ], [ "stream.sse" => $::logprobs ]]
--- request eval
[ map { "POST /v1/chat/completions\n" . qq{{"model":"split$_/split-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hi"}]}} } (1, 3, 7, 4096) ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body eval
[ map { $::logprobs } (1, 3, 7, 4096) ]
--- grep_error_log eval: qr/prompt=\d+ completion=\d+ total=\d+/
--- grep_error_log_out
prompt=9 completion=2 total=11




=== TEST 9: a stream cut after its usage chunk, without the blank line or [DONE]: usage still read
--- http_config eval: $::http_config
--- config eval: $::config . $::sse_config
--- user_files eval
my $cut = $::stream =~ s/\n\ndata: \[DONE\]\n\n$//r;
[[ "llmgw.json" => ::governance() ], [ "stream.sse" => $cut ]]
--- request eval
[ map { "POST /v1/chat/completions\n" . qq{{"model":"split$_/split-model","stream":true,"messages":[{"role":"user","content":"weather?"}]}} } (1, 7, 4096) ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body eval
[ map { ::without_usage_chunk($::stream) =~ s/data: \[DONE\]\n\n$//r } (1, 7, 4096) ]
--- grep_error_log eval: qr/prompt=\d+ completion=\d+ total=\d+/
--- grep_error_log_out
prompt=44 completion=16 total=60



=== TEST 10: a whole response that arrives in pieces of 1, 7 and 64 bytes, without a length: usage read
--- http_config eval: $::http_config
--- config eval
$::config . $::sse_config . CORE::join("", map {
    ::split_location("= /sse/split-$_/chat/completions", "/answer.json", "application/json", $_)
} (1, 7, 64)) . q{
    location = /answer.json {
        types { }
        default_type application/json;
    }
}
--- user_files eval
[[ "llmgw.json" => ::governance() ], [ "answer.json" => '{"id":"chatcmpl-2","object":"chat.completion","model":"split-model","choices":[{"index":0,"message":{"role":"assistant","content":"a \"quoted\" {brace} [and] \\\\ backslash"},"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":9,"total_tokens":40,"prompt_tokens_details":{"cached_tokens":16}}}' ]]
--- request eval
[ map { "POST /v1/chat/completions\n" . qq{{"model":"split$_/split-model","messages":[{"role":"user","content":"Hi"}]}} } (1, 7, 64) ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[ 200, 200, 200 ]
--- response_headers eval
[ map { "Content-Length: " } (1, 7, 64) ]
--- response_body eval
[ map { '{"id":"chatcmpl-2","object":"chat.completion","model":"split-model","choices":[{"index":0,"message":{"role":"assistant","content":"a \"quoted\" {brace} [and] \\\\ backslash"},"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":9,"total_tokens":40,"prompt_tokens_details":{"cached_tokens":16}}}' } (1, 7, 64) ]
--- grep_error_log eval: qr/usage: key=alpha provider=split\d+ model=split-model pkey=- prompt=\d+ completion=\d+ total=\d+ cached=\d+/
--- grep_error_log_out eval
qr/^usage: key=alpha provider=split(?:1|7|64) model=split-model pkey=- prompt=31 completion=9 total=40 cached=16\n$/



=== TEST 11: whole responses read in one piece: an escaped member name, usage before other members, nested usage members after the outermost one, bytes after the object, a second usage member (read whole, the last counts, as in most JSON readers), "usage" quoted in a string after it, usage followed by nine members
--- http_config eval: $::http_config
--- config eval
# each answer as bytes (an escaped backslash and quote in 2), then quoted
# for nginx
my %answer = (
    1 => '{"us\u0061ge":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7},"id":"x"}',
    2 => " \r\n" . '{ "usage" : { "completion_tokens" : 3 , "prompt_tokens" : 11 } , "choices" : [ { "message" : { "content" : "}]\\\\\"\\\\" } } ] }' . "\n\n",
    3 => '{"usage":{"prompt_tokens":17,"completion_tokens":4}}garbage',
    11 => '{"usage":{"prompt_tokens":31,"completion_tokens":9},"choices":[{"message":{"content":"x","usage":{"prompt_tokens":1}}}],"x":{"a":1,"usage":{"prompt_tokens":2,"completion_tokens":2}}}',
    5 => '{"usage":{"prompt_tokens":23,"completion_tokens":6},"usage":{"prompt_tokens":1,"completion_tokens":1}}',
    64 => '{"usage":{"prompt_tokens":37,"completion_tokens":10},"note":"\\"usage\\":{\\"prompt_tokens\\":1}"}',
    7 => '{"usage":{"prompt_tokens":29,"completion_tokens":8},"a":1,"b":[2],"c":{"d":3},"e":"4","f":null,"g":true,"h":false,"i":-1.5e3,"j":"}"}',
);
$::config . $::sse_config . CORE::join("", map {
    my $q = $answer{$_} =~ s/\\/\\\\/gr =~ s/'/\\'/gr =~ s/\r/\\r/gr =~ s/\n/\\n/gr;
    "location = /sse/split-$_/chat/completions {\n"
    . "    default_type application/json;\n"
    . "    return 200 '$q';\n}\n"
} sort keys %answer)
--- user_files eval
[[ "llmgw.json" => ::governance() ]]
--- request eval
[ map { "POST /v1/chat/completions\n" . qq{{"model":"split$_/split-model","messages":[{"role":"user","content":"Hi"}]}} } (1, 2, 3, 11, 5, 64, 7) ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[ 200, 200, 200, 200, 200, 200, 200 ]
--- grep_error_log eval: qr/usage: key=alpha provider=split\d+ model=split-model pkey=- prompt=\d+ completion=\d+ total=\d+/
--- grep_error_log_out eval
qr/^usage: key=alpha provider=split(?:1 model=split-model pkey=- prompt=5 completion=2 total=7|2 model=split-model pkey=- prompt=11 completion=3 total=14|3 model=split-model pkey=- prompt=17 completion=4 total=21|11 model=split-model pkey=- prompt=31 completion=9 total=40|5 model=split-model pkey=- prompt=1 completion=1 total=2|64 model=split-model pkey=- prompt=37 completion=10 total=47|7 model=split-model pkey=- prompt=29 completion=8 total=37)\n$/



=== TEST 12: a body longer than the header buffer (its start read with the headers, the rest after) reaches the provider byte for byte
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request eval
"POST /v1/chat/completions\n" . $::long_body
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body eval
$::long_echo



=== TEST 13: the same body sent in three packets a moment apart: read in three pieces, forwarded whole
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- raw_request eval
::long_packets("Content-Length: " . length($::long_body), $::long_body, 500, 1700)
--- raw_request_middle_delay: 0.05
--- error_code: 200
--- response_body eval
$::long_echo



=== TEST 14: the same body sent chunked, in three packets: forwarded whole, with its length
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- raw_request eval
my $b = $::long_body;
::long_packets("Transfer-Encoding: chunked",
               sprintf("%x\r\n%s\r\n", 700, substr($b, 0, 700))
               . sprintf("%x\r\n%s\r\n", length($b) - 700, substr($b, 700))
               . "0\r\n\r\n",
               400, 1900)
--- raw_request_middle_delay: 0.05
--- error_code: 200
--- response_body eval
$::long_echo
