# Guardrails: detectors on every text of the request (redact, block or
# log before any provider sees it, whatever its format) and of the answer
# (whole or streamed, a secret split across events and buffers still
# caught), custom patterns and deny-lists, policies by key, team and
# default, an external guardrail service (allow, block, redact, error,
# timeout), and what the audit log and the metrics say about it.

use lib 't/inc';
use LlmgwTest;
use LlmgwXlate;
use LlmgwGuard;
use IO::Socket::INET ();
use Test::Nginx::Socket 'no_plan';

# a guardrail service that never answers
our $blackhole = IO::Socket::INET->new(Listen => 8, LocalAddr => '127.0.0.1',
                                       Proto => 'tcp') or die "listen: $!";
our $blackhole_port = $blackhole->sockport;

our $http = $::xlate_http_config . <<'_EOC_';
    log_format guard_body escape=none
        'guard-svc: auth=$http_authorization type=$http_content_type '
        'body=$request_body';
    llmgw_audit_log logs/audit.log;
_EOC_

our $config = $::xlate_config . <<"_EOC_";
    location = /guard-svc {
        internal;
        log_subrequest on;
        access_log logs/error.log guard_body;
        proxy_method GET;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/verdict.json;
    }

    location = /verdict.json {
        default_type application/json;
    }

    location = /guard-slow {
        internal;
        proxy_read_timeout 300ms;
        proxy_pass http://127.0.0.1:$blackhole_port;
    }

    location = /audit.log {
        root logs;
        default_type text/plain;
    }
_EOC_

our $secret = $LlmgwGuard::secret;
our @splits = @LlmgwTest::split_sizes;
our $split_stream = openai_stream(deltas => \@LlmgwGuard::split_deltas);
our $split_args = openai_stream(args => [
    '{"key":"', substr($secret, 0, 7), substr($secret, 7), '"}']);
our $anthropic_split = anthropic_stream(@LlmgwGuard::split_deltas);
our $gemini_split = gemini_stream(@LlmgwGuard::split_deltas);
our $split_redacted = $LlmgwGuard::split_redacted;

# the request every input block sends, with a text at each place a model
# reads one: system prompt, content parts, tool call arguments, tool result
our $pii_request = '{"model":"echo/echo-1","messages":[{"role":"system","content":"Contact ops@corp.example.com"},{"role":"user","content":[{"type":"text","text":"card 4111 1111 1111 1111, ssn 123-45-6789, PRJ-1234, Bluebird"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AKIAIOSFODNN7EXAMPLE"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\"iban\":\"DE89 3704 0044 0532 0130 00\",\"ip\":\"10.1.2.3\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"key AKIAIOSFODNN7EXAMPLE at 2001:db8::1, call +1 415 555 0132"}]}';

our $pii_redacted = '{"model":"echo-1","messages":[{"role":"system","content":"Contact [REDACTED:EMAIL]"},{"role":"user","content":[{"type":"text","text":"card [REDACTED:CARD], ssn [REDACTED:SSN], [REDACTED:PROJECT], [REDACTED:CODENAMES]"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AKIAIOSFODNN7EXAMPLE"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\"iban\":\"[REDACTED:IBAN]\",\"ip\":\"[REDACTED:IPV4]\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"key [REDACTED:SECRET] at [REDACTED:IPV6], call [REDACTED:PHONE]"}]}' . "\n";

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a policy that does not exist stops nginx -t
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
my $f = ::guard_files();
$f =~ s/"guardrails": "in-log"/"guardrails": "no-such"/ or die;
$f
--- must_die
--- error_log eval
qr/virtual key "in-log": "guardrails": no such policy/



=== TEST 2: a custom pattern that does not compile names its detector
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
my $f = ::guard_files();
$f =~ s/PRJ-\[0-9\]\{4\}/PRJ-([0-9]{4}/ or die;
$f
--- must_die
--- error_log eval
qr/guardrail policy "in-redact": input: .*PROJECT/



=== TEST 3: redact on input: every text the model reads, the data: URL left alone
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request eval
"POST /v1/chat/completions\n$::pii_request"
--- more_headers
Authorization: Bearer sk-test-in-redact
--- error_code: 200
--- response_body_filters eval
\&::echoed_body
--- response_body eval: $::pii_redacted
--- error_log eval
qr/guardrail "in-redact" input: EMAIL, PHONE, CARD, SSN, IBAN, IPV4, IPV6, SECRET, PROJECT, CODENAMES \(redacted\)/
--- no_error_log
4111 1111



=== TEST 4: look-alikes pass untouched: a card failing Luhn, a bad IBAN, a version, a word inside another
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"4111 1111 1111 1112 DE89 3704 0044 0532 0130 01 v1.2.3.4.5 bluebirds 000-12-3456 user@localhost"}]}
--- more_headers
Authorization: Bearer sk-test-in-redact
--- error_code: 200
--- response_body_filters eval
\&::echoed_body
--- response_body
{"model":"echo-1","messages":[{"role":"user","content":"4111 1111 1111 1112 DE89 3704 0044 0532 0130 01 v1.2.3.4.5 bluebirds 000-12-3456 user@localhost"}]}
--- no_error_log
guardrail "in-redact"



=== TEST 5: block on input: 400 guardrail_blocked naming the detector, never the text
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request eval
"POST /v1/chat/completions\n$::pii_request"
--- more_headers
Authorization: Bearer sk-test-in-block
--- error_code: 400
--- response_body
{"error":{"message":"The request was blocked by guardrail policy \"in-block\": CARD, SECRET detected in the input","type":"guardrail_blocked","param":null,"code":"input_blocked"}}
--- no_error_log
upstream: POST



=== TEST 6: block on Anthropic's endpoint: the error in Anthropic's shape
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request
POST /v1/messages
{"model":"anthropic/claude-sonnet-4-5","max_tokens":100,"system":[{"type":"text","text":"Be brief."}],"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"aws AKIAIOSFODNN7EXAMPLE"}]}]}
--- more_headers
x-api-key: sk-test-in-block
--- error_code: 400
--- response_body
{"type":"error","error":{"type":"guardrail_blocked","message":"The request was blocked by guardrail policy \"in-block\": SECRET detected in the input"}}



=== TEST 7: log on input: the request goes on unchanged, the detector is logged
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"mail jane.doe@example.com"}]}
--- more_headers
Authorization: Bearer sk-test-in-log
--- error_code: 200
--- response_body_filters eval
\&::echoed_body
--- response_body
{"model":"echo-1","messages":[{"role":"user","content":"mail jane.doe@example.com"}]}
--- error_log
guardrail "in-log" input: EMAIL (logged)



=== TEST 8: redact on input, translated for Anthropic: the provider gets the redacted text
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request
POST /v1/chat/completions
{"model":"anthropic/claude-sonnet-4-5","messages":[{"role":"system","content":"ops@corp.example.com"},{"role":"user","content":"ssn 123-45-6789"}]}
--- more_headers
Authorization: Bearer sk-test-in-redact
--- error_code: 200
--- error_log eval
[
qr/upstream: POST \/anthropic\/v1\/messages .*"system":"\[REDACTED:EMAIL\]"/,
qr/upstream: POST \/anthropic\/v1\/messages .*"text":"ssn \[REDACTED:SSN\]"/,
]
--- no_error_log
123-45-6789



=== TEST 9: redact on input, translated for Gemini
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request
POST /v1/chat/completions
{"model":"gemini/gemini-2.5-flash","messages":[{"role":"user","content":"call +44 20 7946 0958 about PRJ-0042"}]}
--- more_headers
Authorization: Bearer sk-test-in-redact
--- error_code: 200
--- error_log eval
qr/upstream: POST \/gemini\/v1beta\/models\/gemini-2\.5-flash:generateContent .*"text":"call \[REDACTED:PHONE\] about \[REDACTED:PROJECT\]"/
--- no_error_log
20 7946 0958



=== TEST 10: /v1/messages passed through to Anthropic: redacted before it
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request
POST /v1/messages
{"model":"anthropic/claude-sonnet-4-5","max_tokens":100,"system":[{"type":"text","text":"key AKIAIOSFODNN7EXAMPLE"}],"messages":[{"role":"user","content":"hi from jane.doe@example.com"}]}
--- more_headers
x-api-key: sk-test-in-redact
--- error_code: 200
--- error_log eval
qr/upstream: POST \/anthropic\/v1\/messages .*"text":"key \[REDACTED:SECRET\]".*"content":"hi from \[REDACTED:EMAIL\]"/
--- no_error_log
AKIAIOSFODNN7EXAMPLE



=== TEST 11: the team's policy for a key without one; the default for a key of neither
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request eval
[
"POST /v1/chat/completions\n{\"model\":\"echo/echo-1\",\"messages\":[{\"role\":\"user\",\"content\":\"jane.doe\@example.com\"}]}",
"POST /v1/chat/completions\n{\"model\":\"echo/echo-1\",\"messages\":[{\"role\":\"user\",\"content\":\"jane.doe\@example.com 123-45-6789\"}]}",
]
--- more_headers eval
["Authorization: Bearer sk-test-member", "Authorization: Bearer sk-test-plain"]
--- error_code eval
[400, 200]
--- response_body_like eval
[
qr/"message":"The request was blocked by guardrail policy \\"team-block\\": EMAIL detected in the input"/,
qr/"content":"jane.doe\@example.com \[REDACTED:SSN\]"/,
]



=== TEST 12: redact on output, passed through: the answer as the client gets it
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"mail jane.doe@example.com key AKIAIOSFODNN7EXAMPLE card 4111-1111-1111-1111"}]}
--- more_headers
Authorization: Bearer sk-test-out-redact
--- error_code: 200
--- response_body_filters eval
\&::echoed_body
--- response_body
{"model":"echo-1","messages":[{"role":"user","content":"mail [REDACTED:EMAIL] key [REDACTED:SECRET] card [REDACTED:CARD]"}]}
--- error_log
guardrail "out-redact" output: EMAIL, CARD, SECRET (redacted)



=== TEST 13: an output policy still reads the usage of what it holds
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request
POST /v1/chat/completions
{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-out-redact
--- error_code: 200
--- response_body_like: "content":"Hi there!"
--- error_log eval
qr/usage: key=out-redact provider=openai model=gpt-4o-mini pkey=prov-1 prompt=13 completion=7 total=20 cached=4/



=== TEST 14: redact on output, translated from Anthropic and from Gemini
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::guard_files(
    anthropic => '{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Write to jane.doe@example.com"},{"type":"tool_use","id":"toolu_1","name":"save","input":{"key":"AKIAIOSFODNN7EXAMPLE"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":9}}',
    gemini => '{"candidates":[{"content":{"parts":[{"text":"Card 4111 1111 1111 1111."}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":5,"totalTokenCount":13},"modelVersion":"gemini-2.5-flash"}')
--- request eval
[
"POST /v1/chat/completions\n{\"model\":\"anthropic/claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
"POST /v1/chat/completions\n{\"model\":\"gemini/gemini-2.5-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
"POST /v1/messages\n{\"model\":\"anthropic/claude-sonnet-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
]
--- more_headers eval
["Authorization: Bearer sk-test-out-redact", "Authorization: Bearer sk-test-out-redact", "x-api-key: sk-test-out-redact"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[
qr/"content":"Write to \[REDACTED:EMAIL\]","tool_calls":\[\{"id":"toolu_1","type":"function","function":\{"name":"save","arguments":"\{\\"key\\":\\"\[REDACTED:SECRET\]\\"\}"\}\}\]/,
qr/"content":"Card \[REDACTED:CARD\]\."/,
qr/"text":"Write to \[REDACTED:EMAIL\]"\},\{"type":"tool_use","id":"toolu_1","name":"save","input":\{"key":"\[REDACTED:SECRET\]"\}/,
]



=== TEST 15: block on output: the whole answer becomes the refusal, its usage still counted
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::guard_files(anthropic => '{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Your key: AKIAIOSFODNN7EXAMPLE"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":9}}')
--- request
POST /v1/chat/completions
{"model":"anthropic/claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-out-block
--- error_code: 400
--- response_body
{"error":{"message":"The answer was blocked by guardrail policy \"out-block\": SECRET detected in the output","type":"guardrail_blocked","param":null,"code":"output_blocked"}}
--- error_log eval
qr/usage: key=out-block provider=anthropic model=claude-sonnet-4-5 pkey=prov-1 prompt=12 completion=9 /



=== TEST 16: a stream passed through: a secret and an address split at every position across events, and buffers of every size
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(stream => $::split_stream)
--- request eval
[map { "POST /v1/chat/completions\n{\"model\":\"osplit$_/gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}" } @::splits]
--- more_headers
Authorization: Bearer sk-test-out-redact
--- error_code eval
[map { 200 } @::splits]
--- response_body_filters eval
\&::openai_text
--- response_body eval
[map { "text=$::split_redacted\nargs=\nfinish=stop\ndone=1\nerror=\n" } @::splits]
--- error_log eval
qr/usage: key=out-redact provider=osplit\d+ model=gpt-4o-mini pkey=prov-1 prompt=9 completion=77 /
--- log_level: info
--- timeout: 60



=== TEST 17: tool call arguments streamed: the secret split across their deltas
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(stream => $::split_args)
--- request eval
[map { "POST /v1/chat/completions\n{\"model\":\"osplit$_/gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}" } @::splits]
--- more_headers
Authorization: Bearer sk-test-out-redact
--- error_code eval
[map { 200 } @::splits]
--- response_body_filters eval
\&::openai_text
--- response_body eval
[map { "text=\nargs={\"key\":\"[REDACTED:SECRET]\"}\nfinish=stop\ndone=1\nerror=\n" } @::splits]
--- log_level: info
--- timeout: 60



=== TEST 18: an Anthropic stream translated for an OpenAI client, and passed through to an Anthropic one
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(stream => $::anthropic_split)
--- request eval
[
(map { "POST /v1/chat/completions\n{\"model\":\"asplit$_/claude-sonnet-4\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}" } @::splits),
(map { "POST /v1/messages\n{\"model\":\"asplit$_/claude-sonnet-4\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}" } @::splits),
]
--- more_headers eval
[(map { "Authorization: Bearer sk-test-out-redact" } @::splits), (map { "x-api-key: sk-test-out-redact" } @::splits)]
--- error_code eval
[map { 200 } @::splits, @::splits]
--- response_body_filters eval
[(map { [\&::openai_text] } @::splits), (map { [\&::anthropic_text] } @::splits)]
--- response_body eval
[
(map { "text=$::split_redacted\nargs=\nfinish=stop\ndone=1\nerror=\n" } @::splits),
(map { "text=$::split_redacted\nstop=end_turn\nend=1\nerror=\n" } @::splits),
]
--- log_level: info
--- timeout: 90



=== TEST 19: a Gemini stream translated for an OpenAI client: the same at every split
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(stream => $::gemini_split)
--- request eval
[map { "POST /v1/chat/completions\n{\"model\":\"gsplit$_/gemini-2.5-flash\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}" } @::splits]
--- more_headers
Authorization: Bearer sk-test-out-redact
--- error_code eval
[map { 200 } @::splits]
--- response_body_filters eval
\&::openai_text
--- response_body eval
[map { "text=$::split_redacted\nargs=\nfinish=stop\ndone=1\nerror=\n" } @::splits]
--- log_level: info
--- timeout: 60



=== TEST 20: block on a stream: an error event instead of the secret, nothing of it before
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(stream => $::split_stream)
--- request eval
[map { "POST /v1/chat/completions\n{\"model\":\"osplit$_/gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}" } @::splits]
--- more_headers
Authorization: Bearer sk-test-out-block
--- error_code eval
[map { 200 } @::splits]
--- response_body_filters eval
\&::openai_text
--- response_body eval
[map { "text=key \nargs=\nfinish=\ndone=0\nerror=guardrail_blocked: The answer was blocked by guardrail policy \"out-block\": SECRET detected in the output\n" } @::splits]
--- error_log eval
qr/usage: key=out-block provider=osplit\d+ model=gpt-4o-mini pkey=prov-1 prompt=9 completion=77 /
--- log_level: info
--- timeout: 60



=== TEST 21: log on a stream: the text unchanged, the detector logged
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(stream => $::split_stream)
--- request
POST /v1/chat/completions
{"model":"osplit3/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-out-log
--- error_code: 200
--- response_body_filters eval
\&::openai_text
--- response_body eval
"text=" . CORE::join('', @LlmgwGuard::split_deltas) . "\nargs=\nfinish=stop\ndone=1\nerror=\n"
--- error_log
guardrail "out-log" output: SECRET (logged)
--- log_level: info
--- timeout: 60



=== TEST 22: the service allows: it got the request's texts, not the client's key
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(verdict => '{"action":"allow"}')
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"tell me a story"}]}
--- more_headers
Authorization: Bearer sk-test-svc-closed
--- error_code: 200
--- response_body_filters eval
\&::echoed_body
--- response_body
{"model":"echo-1","messages":[{"role":"user","content":"tell me a story"}]}
--- error_log
guard-svc: auth= type=application/json body={"texts":["echo/echo-1","user","tell me a story"],"policy":"svc-closed","key":"svc-closed","model":"echo/echo-1"}



=== TEST 23: the service blocks
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(verdict => '{"action":"block","detectors":["violence","hate"]}')
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"something bad"}]}
--- more_headers
Authorization: Bearer sk-test-svc-closed
--- error_code: 400
--- response_body
{"error":{"message":"The request was blocked by guardrail policy \"svc-closed\": violence, hate detected by its service","type":"guardrail_blocked","param":null,"code":"input_blocked"}}



=== TEST 24: the service redacts the spans it returns, in characters
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(verdict => '{"action":"redact","detectors":["name"],"spans":[{"text":2,"start":13,"end":23,"label":"NAME"},{"text":2,"start":0,"end":2}]}')
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"Hé, my name: John Smith."}]}
--- more_headers
Authorization: Bearer sk-test-svc-closed
--- error_code: 200
--- response_body_filters eval
\&::echoed_body
--- response_body
{"model":"echo-1","messages":[{"role":"user","content":"[REDACTED:SERVICE], my name: [REDACTED:NAME]."}]}



=== TEST 25: the service fails, closed: the request is refused with 503
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(verdict => 'not json')
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-svc-closed
--- error_code: 503
--- response_body
{"error":{"message":"Guardrail policy \"svc-closed\" could not check the request: its service failed","type":"api_error","param":null,"code":"guardrail_unavailable"}}
--- error_log
guardrail "svc-closed": the service at "/guard-svc" failed: its answer is not a verdict; the request is refused
--- no_error_log
upstream: POST



=== TEST 26: the service fails, open: the request goes through
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files(verdict => '{"action":"redact","spans":[{"text":9,"start":0,"end":1}]}')
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-svc-open
--- error_code: 200
--- response_body_filters eval
\&::echoed_body
--- response_body
{"model":"echo-1","messages":[{"role":"user","content":"Hi"}]}
--- error_log
guardrail "svc-open": the service at "/guard-svc" failed: its spans do not fit the texts; the request is let through



=== TEST 27: the service times out: the policy fails closed
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::guard_files()
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-svc-slow
--- error_code: 503
--- response_body_like: "code":"guardrail_unavailable"
--- error_log
the service at "/guard-slow" failed: it timed out; the request is refused



=== TEST 28: the audit record and the metrics name detectors and actions, never the text
--- http_config eval: $::http
--- config eval: $::config . "    location = /metrics-guard { llmgw_metrics; }\n"
--- user_files eval: ::guard_files(verdict => '{"action":"log","detectors":["pii"]}')
--- request eval
[
"POST /v1/chat/completions\n{\"model\":\"echo/echo-1\",\"messages\":[{\"role\":\"user\",\"content\":\"jane.doe\@example.com $::secret\"}]}",
"GET /audit.log",
"GET /metrics-guard",
]
--- more_headers eval
["Authorization: Bearer sk-test-both", "", ""]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[
qr/\[REDACTED:SECRET\]/,
qr/"decisions":\[\{"decision":"guardrail","policy":"both","direction":"input","action":"redact","detectors":\["EMAIL"\]\},\{"decision":"guardrail","policy":"both","direction":"output","action":"redact","detectors":\["SECRET"\]\},\{"decision":"guardrail","policy":"both","direction":"service","action":"log","detectors":\["pii"\]\}\]/,
qr/^(?=(.|\n)*\nllmgw_guardrail_detections_total\{policy="both",direction="input",detector="EMAIL",action="redact"\} 1\n)(?=(.|\n)*\nllmgw_guardrail_detections_total\{policy="both",direction="output",detector="SECRET",action="redact"\} 1\n)(?=(.|\n)*\nllmgw_guardrail_service_total\{policy="both",result="log"\} 1\n)/,
]
--- no_error_log
jane.doe
