package LlmgwGovern;

# The governance suites' shared pieces (t/050-governance.t,
# t/052-concurrency.t): the request they send, what the gateway reserves
# for it, and a governance file with keys at each level.

use strict;
use warnings;

# the request most blocks send, and what the gateway reserves for it:
# a token per 4 bytes of body, and max_tokens
our $body = '{"model":"gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"Hi"}]}';
our $est_tokens = int((length($body) + 3) / 4) + 100;

# gpt-4o-mini: $0.15 and $0.60 per million tokens, cached input $0.075,
# in picodollars per token
our ($in, $out, $cached) = (150_000, 600_000, 75_000);
our $est_cost = int((length($body) + 3) / 4) * $in + 100 * $out;
# the mock answers prompt 13 (4 cached), completion 7
our $real_cost = 9 * $in + 4 * $cached + 7 * $out;

sub usd { sprintf "%.12f", $_[0] / 1e12 }

our $extra_config = <<'_EOC_';
    location = /nousage/v1/chat/completions {
        default_type application/json;
        return 200 '{"id":"chatcmpl-2","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}';
    }

    location = /result.txt {
        default_type text/plain;
    }
_EOC_

# keys: "limited" (a key limit), "member" (a team under a customer),
# "entry" (a limit on its provider entry); all on gpt-4o-mini
sub gov {
    my %o = @_;
    my $k = sub { '"key_sha256": "' . ::digest($_[0]) . '"' };
    my $kl = $o{key} // '';
    my $tl = $o{team} // '';
    my $cl = $o{customer} // '';
    my $el = $o{entry} // '';
    my $provider = $o{provider} // 'mock';
    return <<"JSON";
{
  "providers": {
    "mock": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/mock/v1",
             "keys": [{"id": "p1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]},
    "nousage": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/nousage/v1"},
    "down": {"kind": "openai", "upstream": "down", "scheme": "http"},
    "split7": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/sse/split-7"}
  },
  "customers": {"acme": {"name": "ACME" $cl}},
  "teams": {"platform": {"customer": "acme" $tl}},
  "virtual_keys": [
    {"id": "limited", @{[ $k->('sk-test-limited') ]}, "providers": ["$provider"] $kl},
    {"id": "member", @{[ $k->('sk-test-member') ]}, "team": "platform", "providers": ["$provider"]},
    {"id": "entry", @{[ $k->('sk-test-entry') ]},
     "providers": [{"provider": "$provider" $el}]}
  ],
  "prices": {"gpt-4o-mini": {"input": 0.15, "output": 0.60, "cache_read": 0.075}}
}
JSON
}

our $http = $LlmgwTest::http_config . <<'_EOC_';
    upstream down {
        server 127.0.0.1:1;
    }
_EOC_


sub import {
    no strict 'refs';
    for my $v (qw(body est_tokens in out cached est_cost real_cost extra_config
                  http)) {
        *{"main::$v"} = \${"LlmgwGovern::$v"};
    }
    *{"main::gov"} = \&gov;
    *{"main::usd"} = \&usd;
}

1;
