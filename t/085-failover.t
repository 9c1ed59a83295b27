# Failover across providers: a failed attempt (a provider that cannot be
# reached, answers 429 or 5xx) goes through error_page to the fallback
# location, which rewrites the client's request for the next target of the
# chain (the request's "fallbacks", the key's, or the key's other entries)
# and proxies again, across formats too.  A 400 is not retried; when every
# target fails the client gets the first one's failure in its own format.

use lib 't/inc';
use LlmgwTest;
use LlmgwXlate;
use IO::Socket::INET ();
use File::Temp ();
use Test::Nginx::Socket 'no_plan';

# a provider that takes the connection and never answers
our $blackhole = IO::Socket::INET->new(Listen => 8, LocalAddr => '127.0.0.1',
                                       Proto => 'tcp') or die "listen: $!";
our $blackhole_port = $blackhole->sockport;

# llmgw_proxy.conf with a read timeout of a second
our $proxy_1s = do {
    my $root = $ENV{TEST_NGINX_LLMGW_ROOT};
    open my $in, '<', "$root/conf.d/llmgw_proxy.conf" or die $!;
    local $/;
    my $c = <$in> =~ s/proxy_read_timeout \S+;/proxy_read_timeout 1s;/r;
    my $f = File::Temp->new(SUFFIX => '.conf', UNLINK => 1);
    print $f $c;
    close $f;
    $f;
};

our $key = q{[{"id": "fb-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]};

sub provider {
    my ($name, $path, $up) = @_;
    $up //= 'mock';
    return qq{"$name": {"kind": "openai", "upstream": "$up", "scheme": "http", "base_path": "$path", "keys": $key}};
}

our $providers = join ",\n    ",
    provider('busy', '/busy/v1'), provider('limited', '/limited/v1'),
    provider('broken', '/broken/v1'), provider('bad', '/bad/v1'),
    provider('down', '/v1', 'down'), provider('echo', '/echo/v1'),
    provider('silent', '/v1', 'silent');
our $names = '"busy", "limited", "broken", "bad", "down", "echo", "silent"';

sub files {
    my %o = @_;
    my $g = ::xlate_files(providers => $providers, names => $names);
    $g =~ s/("id": "alpha", "key_sha256")/"fallbacks": [$o{key_fallbacks}], $1/ if $o{key_fallbacks};
    $g =~ s/("id": "alpha", "key_sha256")/$o{limits}, $1/ if $o{limits};
    return $g;
}

our $http_config = $::xlate_http_config . <<"_EOC_";
    upstream down {
        server 127.0.0.1:1;
    }
    upstream silent {
        server 127.0.0.1:$::blackhole_port;
    }
    log_format llmgw_attempts 'attempts: provider=\$llmgw_provider '
                              'model=\$llmgw_model status=\$status '
                              'failed=\$llmgw_attempts';
_EOC_

our $config = $::xlate_config . <<'_EOC_';
    location @llmgw_fallback {
        llmgw_fallback;
        include $TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf;
        include $TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_failover.conf;
        access_log logs/error.log llmgw_usage;
        access_log logs/error.log llmgw_attempts;
    }

    location ^~ /busy/ {
        default_type application/json;
        return 503 '{"error":{"message":"The server is overloaded","type":"server_error","param":null,"code":null}}';
    }

    location ^~ /limited/ {
        default_type application/json;
        return 429 '{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
    }

    location ^~ /broken/ {
        default_type application/json;
        return 500 '{"error":{"message":"Internal error","type":"server_error","param":null,"code":null}}';
    }

    location ^~ /bad/ {
        default_type application/json;
        return 400 '{"error":{"message":"Invalid value for temperature","type":"invalid_request_error","param":"temperature","code":null}}';
    }
_EOC_

# the gateway's location with failover on
$config =~ s{(include \$TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf;\n)(\s*access_log logs/error.log llmgw_usage;)}
            {$1        include \$TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_failover.conf;\n$2} or die "no /v1/ location";

store_setup();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a 503 goes to the request's fallback; the log names the failed attempt
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"busy/gpt-4o-mini","fallbacks":["openai/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "content":"Hi there!"
--- error_log eval
[
qr/llmgw: attempt 1: provider "busy" model "gpt-4o-mini" failed with 503 after \d+ms/,
qr/llmgw: falling back to provider "openai" model "gpt-4o-mini"/,
qr/usage: key=alpha provider=openai model=gpt-4o-mini pkey=prov-1 prompt=13 completion=7 total=20/,
qr/attempts: provider=openai model=gpt-4o-mini status=200 failed=busy\/gpt-4o-mini:503:\d+/,
]



=== TEST 2: a provider that refuses the connection: nginx's 502, then the fallback
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"down/gpt-4o-mini","fallbacks":["openai/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "content":"Hi there!"
--- error_log eval
qr/attempts: provider=openai model=gpt-4o-mini status=200 failed=down\/gpt-4o-mini:502:\d+/



=== TEST 3: across formats: an OpenAI-shaped provider fails, an Anthropic-shaped one answers in OpenAI's shape
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"limited/gpt-4o-mini","fallbacks":["anthropic/claude-sonnet-4-5"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: ^\{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","object":"chat.completion",.*"content":"Hello! How can I help\?"
--- error_log eval
[
qr/upstream: POST \/anthropic\/v1\/messages version=2023-06-01 beta= x-api-key=sk-prov-alpha-0123456789 goog= auth= body=\{"model":"claude-sonnet-4-5","messages":\[\{"role":"user","content":\[\{"type":"text","text":"Hi"\}\]\}\],"max_tokens":1024/,
qr/attempts: provider=anthropic model=claude-sonnet-4-5 status=200 failed=limited\/gpt-4o-mini:429:\d+/,
]



=== TEST 4: the chain goes on past several failures, in order
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"busy/gpt-4o-mini","fallbacks":["broken/gpt-4o-mini","openai/gpt-4o"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- error_log eval
qr/attempts: provider=openai model=gpt-4o status=200 failed=busy\/gpt-4o-mini:503:\d+,broken\/gpt-4o-mini:500:\d+/



=== TEST 5: when every target fails the client gets the first failure, in its format
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"limited/gpt-4o-mini","fallbacks":["busy/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 429
--- response_body
{"error":{"message":"Provider \"limited\" failed with 429, and so did every fallback","type":"rate_limit_error","param":null,"code":"provider_error"}}
--- error_log eval
qr/llmgw: attempt 2: provider "busy" model "gpt-4o-mini" failed with 503/



=== TEST 6: the same for an Anthropic client: Anthropic's error shape
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/messages
{"model":"busy/gpt-4o-mini","max_tokens":100,"fallbacks":["broken/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
x-api-key: sk-test-alpha
--- error_code: 503
--- response_body
{"type":"error","error":{"type":"overloaded_error","message":"Provider \"busy\" failed with 503, and so did every fallback"}}



=== TEST 7: a 400 is the request's fault: not tried elsewhere, the provider's answer as it was
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"bad/gpt-4o-mini","fallbacks":["openai/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body chomp
{"error":{"message":"Invalid value for temperature","type":"invalid_request_error","param":"temperature","code":null}}
--- no_error_log
falling back



=== TEST 8: the key's own chain when the request has none
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files(key_fallbacks => '"broken/gpt-4o-mini", "openai/gpt-4o-mini"')
--- request
POST /v1/chat/completions
{"model":"busy/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- error_log eval
qr/attempts: provider=openai model=gpt-4o-mini status=200 failed=busy\/gpt-4o-mini:503:\d+,broken\/gpt-4o-mini:500:\d+/



=== TEST 9: without a chain, the key's other entries that serve the model, in order
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"limited/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- error_log eval
qr/attempts: provider=anthropic model=gpt-4o-mini status=200 failed=limited\/gpt-4o-mini:429:\d+$/



=== TEST 10: llmgw_fallback_attempts bounds the tries
--- http_config eval: $::http_config
--- config eval: $::config =~ s/(llmgw_fallback;)/$1\n        llmgw_fallback_attempts 2;/r
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"busy/gpt-4o-mini","fallbacks":["broken/gpt-4o-mini","openai/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 503
--- response_body_like: failed with 503, and so did every fallback
--- no_error_log
provider "openai"



=== TEST 11: a stream that fails before its first byte is served by the fallback, streamed
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/messages
{"model":"busy/gpt-4o-mini","max_tokens":100,"stream":true,"fallbacks":["anthropic/claude-sonnet-4-5"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
x-api-key: sk-test-alpha
--- error_code: 200
--- response_body_like: ^\{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message"
--- error_log eval
qr/upstream: POST \/anthropic\/v1\/messages .* body=\{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages"/



=== TEST 12: "fallbacks" is the gateway's: the provider never sees it
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"echo/gpt-4o-mini","fallbacks":["openai/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "body":\{"model":"gpt-4o-mini","messages":\[\{"role":"user","content":"Hi"\}\]\}\}$



=== TEST 13: "fallbacks" must be a list of model names
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"openai/gpt-4o-mini","fallbacks":"openai/gpt-4o","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 400
--- response_body_like: "fallbacks\\" must be an array of at most 8 model names



=== TEST 14: governed once: the reservation follows the request, one request and the served model's tokens are counted
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ::files(limits => '"rate_limit": {"requests": 5, "tokens": 100000, "window": "1h"}')
--- request eval
["POST /v1/chat/completions\n" . '{"model":"busy/gpt-4o-mini","fallbacks":["broken/gpt-4o-mini","openai/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}',
 "GET /v1/llmgw/usage"]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"content":"Hi there!"/,
 qr/\{"level":"key","id":"alpha","kind":"requests","window":"1h"[^}]*"limit":5,"used":1,"remaining":4[^}]*\},\{"level":"key","id":"alpha","kind":"tokens","window":"1h"[^}]*"used":20,/]



=== TEST 15: a provider that does not answer in time: nginx's 504, then the fallback
--- http_config eval: $::http_config
--- config eval: $::config =~ s{\$TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf}{$::proxy_1s}gr
--- user_files eval: ::files()
--- request
POST /v1/chat/completions
{"model":"silent/gpt-4o-mini","fallbacks":["openai/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "content":"Hi there!"
--- error_log eval
qr/attempts: provider=openai model=gpt-4o-mini status=200 failed=silent\/gpt-4o-mini:504:\d{3,}/
--- timeout: 10



=== TEST 16: a stream cut after its first bytes is not failed over: an error event ends it
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
::files() . ">>> stream.sse\n" . (::fixture('anthropic-tool_use_response.sse') =~ s/event: message_delta.*\z//sr)
--- request
POST /v1/chat/completions
{"model":"asplit64/claude-sonnet-4-5","stream":true,"fallbacks":["openai/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: data: \{"error":\{"message":"[^"]+","type":"api_error","param":null,"code":"provider_stream_error"\}\}\n\n$
--- no_error_log
falling back
