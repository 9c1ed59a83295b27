# Prometheus metrics after a known sequence of requests: requests by
# provider, model, key, team, customer and status class; tokens; cost;
# latency, time-to-first-token and overhead histograms; fallbacks and
# retries; budget gauges; the cap on keys; label escaping.

use lib 't/inc';
use LlmgwTest;
use LlmgwGovern;
use Test::Nginx::Socket 'no_plan';

our $flaky = <<'_EOC_';
    upstream flaky {
        server 127.0.0.1:1;
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
_EOC_

our $config = $::config . $::extra_config . $LlmgwTest::sse_config;

our $failover_config = ($config =~ s{(include \$TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf;\n)}
    {$1        include \$TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_failover.conf;\n}r) . <<'_EOC_';
    location @llmgw_fallback {
        llmgw_fallback;
        include $TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf;
        include $TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_failover.conf;
    }
_EOC_

our $labels = 'provider="mock",model="gpt-4o-mini",key="member",team="platform",customer="acme"';

# every line given, each whole
sub lines {
    my $re = join '', map { '(?=[\s\S]*^' . quotemeta($_) . '$)' } @_;
    return qr/\A$re/m;
}

# the TSC's rate in MHz where the kernel keeps time by it and knows its
# rate (then /proc/cpuinfo's "cpu MHz" is that rate); else 0
sub tsc_mhz {
    open my $src, '<', '/sys/devices/system/clocksource/clocksource0/current_clocksource'
        or return 0;
    return 0 unless (<$src> // '') eq "tsc\n";
    open my $cpu, '<', '/proc/cpuinfo' or return 0;
    my $info = do { local $/; <$cpu> };
    return 0 unless $info =~ /^flags\s*:.*\btsc_known_freq\b/m
                    && $info =~ /^cpu MHz\s*:\s*([\d.]+)/m;
    return $1;
}

# the notice a worker logs, with any rate within 0.5% of that
sub tsc_line {
    my $mhz = tsc_mhz();
    my $rates = join '|', int($mhz * 0.995) .. int($mhz * 1.005) + 1;
    return qr/llmgw: durations timed by the TSC at (?:$rates) MHz/;
}

no_shuffle();
store_setup();
run_tests();

__DATA__

=== TEST 1: three requests served and one refused by the team's budget: counts, tokens, cost, refusals, the budget left
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::gov(team => ', "budgets": [{"limit": ' . ::usd($::est_cost + 2 * $::real_cost) . ', "period": "1d"}]')
--- request eval
[ (map { "POST /v1/chat/completions\n$::body" } 1 .. 4), "POST /v1/chat/completions\n$::body", "GET /metrics" ]
--- more_headers eval
[ ("Authorization: Bearer sk-test-member") x 4, "Authorization: Bearer sk-test-nobody", "" ]
--- error_code eval
[200, 200, 200, 402, 401, 200]
--- response_body_like eval
[ qr/Hi there/, qr/Hi there/, qr/Hi there/, qr/budget_exceeded/, qr/invalid_api_key/,
  ::lines("llmgw_requests_total{$::labels,status=\"2xx\"} 3",
          "llmgw_requests_total{$::labels,status=\"4xx\"} 1",
          'llmgw_requests_total{provider="",model="",key="",team="",customer="",status="4xx"} 1',
          "llmgw_tokens_total{$::labels,type=\"input\"} 39",
          "llmgw_tokens_total{$::labels,type=\"output\"} 21",
          "llmgw_tokens_total{$::labels,type=\"cached\"} 12",
          "llmgw_tokens_total{$::labels,type=\"cache_write\"} 0",
          "llmgw_cost_usd_total{$::labels} " . ::usd(3 * $::real_cost),
          'llmgw_refusals_total{reason="budget",level="team"} 1',
          'llmgw_budget_remaining_usd{level="team",id="platform",period="1d"} ' . ::usd($::est_cost - $::real_cost),
          'llmgw_budget_limit_usd{level="team",id="platform",period="1d"} ' . ::usd($::est_cost + 2 * $::real_cost),
          'llmgw_upstream_latency_seconds_count{provider="mock",model="gpt-4o-mini"} 3',
          'llmgw_upstream_latency_seconds_bucket{provider="mock",model="gpt-4o-mini",le="+Inf"} 3',
          'llmgw_gateway_overhead_seconds_count 3',
          'llmgw_gateway_overhead_seconds_bucket{le="+Inf"} 3',
          '# TYPE llmgw_gateway_overhead_seconds histogram') ]



=== TEST 2: beyond llmgw_metrics_max_keys a key is counted as "_other"
--- http_config eval: $::http . "    llmgw_metrics_max_keys 1;\n"
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::gov()
--- request eval
[ "POST /v1/chat/completions\n$::body", "POST /v1/chat/completions\n$::body",
  "POST /v1/chat/completions\n$::body", "GET /metrics" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-member", "Authorization: Bearer sk-test-limited",
  "Authorization: Bearer sk-test-entry", "" ]
--- response_body_like eval
[ qr/Hi there/, qr/Hi there/, qr/Hi there/,
  ::lines("llmgw_requests_total{$::labels,status=\"2xx\"} 1",
          'llmgw_requests_total{provider="mock",model="gpt-4o-mini",key="_other",team="",customer="",status="2xx"} 2',
          'llmgw_metrics_keys 1') ]



=== TEST 3: a stream's time to first token; a fallback by the status that failed; a retry within a provider
--- http_config eval: $::http . $::flaky
--- config eval: $::failover_config
--- user_files eval
">>> llmgw.json\n" . (::gov(provider => 'split7')
    =~ s/"providers": \["split7"\] \}/"providers": ["split7", "down", "mock", "flaky"] }/r
    =~ s/("split7": \{)/"flaky": {"kind": "openai", "upstream": "flaky", "scheme": "http", "base_path": "\/mock\/v1", "keys": [{"id": "f1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]},\n    $1/r)
. ">>> stream.sse\n" . ::fixture('openai-tools.sse')
--- request eval
[ "POST /v1/chat/completions\n" . '{"model":"split7/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}',
  "POST /v1/chat/completions\n" . '{"model":"down/gpt-4o-mini","fallbacks":["mock/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}',
  "POST /v1/chat/completions\n" . '{"model":"flaky/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}',
  "GET /metrics" ]
--- more_headers eval
[ ("Authorization: Bearer sk-test-limited") x 3, "" ]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[ qr/data: \[DONE\]/, qr/Hi there/, qr/Hi there/,
  ::lines('llmgw_time_to_first_token_seconds_count{provider="split7",model="gpt-4o-mini"} 1',
          'llmgw_upstream_latency_seconds_count{provider="down",model="gpt-4o-mini"} 1',
          'llmgw_upstream_latency_seconds_count{provider="mock",model="gpt-4o-mini"} 1',
          'llmgw_fallbacks_total{provider="down",status="502"} 1',
          'llmgw_upstream_retries_total{provider="flaky"} 1',
          'llmgw_requests_total{provider="mock",model="gpt-4o-mini",key="limited",team="",customer="",status="2xx"} 1',
          'llmgw_requests_total{provider="flaky",model="gpt-4o-mini",key="limited",team="",customer="",status="2xx"} 1') ]
--- no_error_log
[alert]



=== TEST 4: label values are escaped: a model name with a quote and a backslash
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . LlmgwTest::governance()
--- request eval
[ "POST /v1/chat/completions\n" . '{"model":"echo/echo-a\\"b\\\\c","messages":[{"role":"user","content":"Hi"}]}',
  "GET /metrics" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-alpha", "" ]
--- response_body_like eval
[ qr/"uri"/,
  ::lines('llmgw_requests_total{provider="echo",model="echo-a\\"b\\\\c",key="alpha",team="",customer="",status="2xx"} 1') ]



=== TEST 5: where the kernel keeps time by the TSC, a worker measures its rate 100 ms after it starts and times durations by it
--- skip_eval: 1: !::tsc_mhz()
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::gov()
--- request eval
"POST /v1/chat/completions\n$::body"
--- more_headers
Authorization: Bearer sk-test-member
--- wait: 0.3
--- error_code: 200
--- error_log eval
::tsc_line()
