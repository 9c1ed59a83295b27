# Routing across a key's provider entries: the weighted choice for a plain
# model name, routing rules that keep a team's or key's requests in the
# providers or regions they allow (data residency), and the health of
# providers' API keys: a key the provider refuses is put in cooldown in
# the shared zone, skipped, shown in the metrics, and back when it ends.

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

our $alpha = ::digest('sk-test-alpha');
our $eu = ::digest('sk-test-eu');

sub governance {
    my %o = @_;
    my $rules = $o{rules} ? qq{,\n  "routing_rules": $o{rules}} : '';
    return <<"JSON";
{
  "providers": {
    "wa": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/wa/v1", "region": "us-east-1",
           "keys": [{"id": "wa-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]},
    "wb": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/wb/v1", "region": "eu-west-1",
           "keys": [{"id": "wb-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]},
    "pk": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/pk/v1", "models": ["pk-model"],
           "keys": [{"id": "pk-revoked", "value": "env.TEST_LLMGW_PROVIDER_KEY2"},
                    {"id": "pk-good", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]}
  },
  "teams": {"eu-team": {}},
  "virtual_keys": [
    {"id": "alpha", "key_sha256": "$::alpha",
     "providers": [{"provider": "wa", "weight": 3}, {"provider": "wb", "weight": 1}, "pk"]},
    {"id": "eu-app", "key_sha256": "$::eu", "team": "eu-team",
     "providers": ["wa", "wb"]}
  ],
  "unpriced_models": "allow"$rules
}
JSON
}

our $config = $::config . <<'_EOC_';
    location ^~ /wa/ {
        default_type application/json;
        return 200 '{"id":"a","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"from wa"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
    }

    location ^~ /wb/ {
        default_type application/json;
        return 200 '{"id":"b","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"from wb"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
    }

    # only the alpha provider key is valid here
    location ^~ /pk/ {
        default_type application/json;
        if ($http_authorization != "Bearer sk-prov-alpha-0123456789") {
            return 401 '{"error":{"message":"Incorrect API key provided to pk","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}';
        }
        return 200 '{"id":"p","object":"chat.completion","created":1,"model":"pk-model","choices":[{"index":0,"message":{"role":"assistant","content":"from pk"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
    }
_EOC_

sub chat {
    my ($model, $key) = @_;
    return ::post_request('/v1/chat/completions', $key // 'sk-test-alpha',
        qq{{"model":"$model","messages":[{"role":"user","content":"Hi"}]}});
}

sub metric {
    my ($name) = @_;
    require IO::Socket::INET;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}")
        or return 'no connection';
    print $s "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
    local $/;
    my $text = <$s> // '';
    return $text =~ /^\Q$name\E (\d+)$/m ? $1 : 'absent';
}

# the cooldown: the revoked key's 401, then the good key only, then, once
# the cooldown is over, the revoked key again
sub cooldown_story {
    my @s;
    push @s, ::http_status(chat('pk/pk-model')) for 1 .. 4;
    my $cooling = metric('llmgw_provider_key_cooling{provider="pk",key="pk-revoked"}');
    select undef, undef, undef, 1.3;
    my $after = metric('llmgw_provider_key_cooling{provider="pk",key="pk-revoked"}');
    my @later = map { ::http_status(chat('pk/pk-model')) } 1 .. 2;
    my $total = metric('llmgw_provider_key_cooldowns_total{provider="pk",key="pk-revoked"}');
    ::write_result("first: @s; cooling: $cooling; after: $after; later: "
                   . join(' ', sort @later) . "; cooldowns: $total");
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a plain model goes to the key's entries by weight, 3 to 1, evenly spread
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ">>> llmgw.json\n" . ::governance()
--- request eval
[ map { "POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}' } 1 .. 40 ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[ map { 200 } 1 .. 40 ]
--- response_body_like eval
[ map { $_ eq 'a' ? qr/"content":"from wa"/ : qr/"content":"from wb"/ } (qw(a a b a a a b a) x 5) ]



=== TEST 2: a routing rule keeps a team in its region: pinned elsewhere is refused
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ">>> llmgw.json\n" . ::governance(rules => '[{"teams": ["eu-team"], "regions": ["eu-*"]}]')
--- request
POST /v1/chat/completions
{"model":"wa/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-eu
--- error_code: 403
--- response_body_like: "code":"model_not_allowed"
--- error_log
key "eu-app" may not use provider "wa": routing rule 0



=== TEST 3: ... and a plain model goes only where the rule allows
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ">>> llmgw.json\n" . ::governance(rules => '[{"teams": ["eu-team"], "regions": ["eu-*"]}]')
--- request eval
[ map { "POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}' } 1 .. 4 ]
--- more_headers
Authorization: Bearer sk-test-eu
--- response_body_like eval
[ map { qr/"content":"from wb"/ } 1 .. 4 ]



=== TEST 4: a rule by key and provider name; keys it does not name are not touched
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: ">>> llmgw.json\n" . ::governance(rules => '[{"keys": ["alpha"], "providers": ["w*"]}]')
--- request eval
["POST /v1/chat/completions\n" . '{"model":"pk/pk-model","messages":[{"role":"user","content":"Hi"}]}',
 "POST /v1/chat/completions\n" . '{"model":"wa/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}']
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[403, 200]



=== TEST 5: a rule must name whom it binds and what it allows
--- http_config eval: $::http_config
--- config
--- user_files eval: ">>> llmgw.json\n" . ::governance(rules => '[{"teams": ["eu-team"]}]')
--- must_die
--- error_log
routing rule 0: allows no "providers" or "regions"



=== TEST 6: a provider key answered 401: in cooldown, skipped, in the metrics, back when the cooldown ends
--- http_config eval: $::http_config . "    llmgw_key_cooldown 1s;\n"
--- config eval: $::config
--- user_files eval: ">>> llmgw.json\n" . ::governance()
--- init: ::cooldown_story()
--- request
GET /result.txt
--- response_body
first: 401 200 200 200; cooling: 1; after: 0; later: 200 401; cooldowns: 2
--- error_log
llmgw: provider "pk" key "pk-revoked" answered 401: in cooldown for 1000ms



=== TEST 7: 429s in a row put a key in cooldown at the third
--- http_config eval: $::http_config . "    llmgw_key_cooldown 60s 429=3;\n"
--- config eval: $::config =~ s/return 401 ('\{"error":\{"message":"Incorrect API key provided to pk")/return 429 $1/r
--- user_files eval: ">>> llmgw.json\n" . ::governance() =~ s/"id": "pk-revoked", "value": "env.TEST_LLMGW_PROVIDER_KEY2"\}/"id": "pk-revoked", "value": "env.TEST_LLMGW_PROVIDER_KEY2", "weight": 5}/r
--- request eval
[ map { "POST /v1/chat/completions\n" . '{"model":"pk/pk-model","messages":[{"role":"user","content":"Hi"}]}' } 1 .. 6 ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[429, 429, 429, 200, 200, 200]
