# The audit log: one JSON record per request (who, what, which provider,
# every attempt, usage, cost, reservation, latency, outcome, decisions),
# to files (buffered or not) and syslog, chained with HMAC-SHA256 so that
# tools/llmgw-audit-verify finds a record altered, removed or reordered.
# W3C trace context: continued or started, sent on to the provider.

use lib 't/inc';
use LlmgwTest;
use LlmgwGovern;
use IO::Socket::INET ();
use File::Temp ();
use Test::Nginx::Socket 'no_plan';

# a syslog server
our $syslog = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1')
    or die "udp: $!";
our $syslog_port = $syslog->sockport;

# a provider that never answers: a request to it waits for its timeout
our $blackhole = IO::Socket::INET->new(Listen => 8, LocalAddr => '127.0.0.1',
                                       Proto => 'tcp') or die "listen: $!";
our $blackhole_port = $blackhole->sockport;

our $audit_key = "audit-key-0123456789-abcdefghij\n";

our $http = $::http . <<'_EOC_';
    llmgw_audit_log logs/audit.log;
    llmgw_audit_key ../html/audit.key;
    log_format upstream_trace 'upstream: traceparent=$http_traceparent '
                              'tracestate=$http_tracestate';
    log_format trace 'trace: id=$llmgw_trace_id';
_EOC_

our $config = $::config . $::extra_config . $LlmgwTest::sse_config . <<"_EOC_";
    location = /audit.log {
        root logs;
        default_type text/plain;
    }

    location = /buffered.log {
        root logs;
        default_type text/plain;
    }

    location = /wait {
        proxy_pass http://127.0.0.1:$::blackhole_port;
        proxy_read_timeout 1200ms;
    }
_EOC_

# the provider logs the trace headers it gets; the gateway the trace id
$config =~ s{(location = /mock/v1/chat/completions \{\n)}
            {$1        access_log logs/error.log upstream_trace;\n} or die;
$config =~ s{(location /v1/ \{\n\s*llmgw on;\n)}
            {$1        access_log logs/error.log trace;\n} or die;

# failover in the gateway's location, and its named location
our $failover_config = $config . <<'_EOC_';
    location @llmgw_fallback {
        llmgw_fallback;
        include $TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf;
        include $TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_failover.conf;
    }
_EOC_
$failover_config =~ s{(include \$TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf;\n)}
                     {$1        include \$TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_failover.conf;\n} or die;

# a line of the log holding every piece: strings are literal, qr// regexes
sub record {
    my $re = join '', map {
        ref $_ eq 'Regexp' ? "(?=[^\\n]*$_)" : '(?=[^\\n]*' . quotemeta($_) . ')'
    } @_;
    return qr/^$re/m;
}

our $chain = qr/"chain":"[A-Za-z0-9._-]+-\d+-\d+","seq":\d+,"mac":"[0-9a-f]{64}"\}(?=\n|\z)/;
our $secrets = qr/\A(?![\s\S]*(?:sk-test-|sk-prov-|audit-key-))/;

sub files {
    my ($gov) = @_;
    return ">>> llmgw.json\n$gov>>> audit.key\n$::audit_key";
}

# the first block's request, and what is reserved for it
our $tools_body = '{"model":"gpt-4o-mini","max_tokens":100,"temperature":0.2,"tools":[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"b"}}],"messages":[{"role":"user","content":"Hi"}]}';
our $tools_est = int((length($tools_body) + 3) / 4) * $::in + 100 * $::out;

no_shuffle();
store_setup();
run_tests();

# --- the verifier, on the log the last block wrote --------------------------

{
    my $verify = "$ENV{TEST_NGINX_LLMGW_ROOT}/build/llmgw-audit-verify";
    my $log = server_root() . "/logs/audit.log";
    my $key = html_dir() . "/audit.key";
    my $dir = File::Temp::tempdir(CLEANUP => 1);

    open my $in, '<', $log or die "$log: $!";
    my @lines = <$in>;
    close $in;

    my $run = sub {
        my ($name, @lines) = @_;
        open my $out, '>', "$dir/$name" or die $!;
        print $out @lines;
        close $out;
        my $said = `$verify -k $key $dir/$name 2>&1`;
        return ($? >> 8, $said);
    };

    ok(@lines >= 4, "the last block wrote its records") or diag(@lines);

    my ($rc, $said) = $run->('audit.log', @lines);
    is($rc, 0, "the chain verifies");
    like($said, qr/^verified: ${\ scalar @lines} records in 1 chains$/m,
         "every record counted");

    my @altered = @lines;
    $altered[1] =~ s/"status":401/"status":200/ or die "no 401 in line 2";
    ($rc, $said) = $run->('altered.log', @altered);
    is($rc, 1, "a changed byte fails");
    like($said, qr/altered\.log:2: chain \S+ seq 2: altered/,
         "and names the record");

    ($rc, $said) = $run->('removed.log', @lines[0, 2 .. $#lines]);
    is($rc, 1, "a removed record fails");
    like($said, qr/removed\.log:2: chain \S+ seq 3: records 2\.\.2 removed/,
         "and says which");

    ($rc, $said) = $run->('swapped.log', @lines[0, 2, 1, 3 .. $#lines]);
    is($rc, 1, "records out of order fail");
}

# --- syslog: the record of block 8 -------------------------------------------

{
    my $got = '';
    $syslog->blocking(0);
    while (defined $syslog->recv(my $d, 65536)) {
        $got .= "$d\n";
    }
    like($got, qr/^<190>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ llmgw_audit: \{"time":"[^\n]*"key_id":"limited"[^\n]*$::chain$/m,
         "syslog has the record after its header, no newline inside");
}

__DATA__

=== TEST 1: a plain request: who, what, where, usage, cost, latency, the chain
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::files(::gov(team => ', "budgets": [{"limit": 1, "period": "1d"}]'))
--- request eval
[ "POST /v1/chat/completions\n$::tools_body", "GET /audit.log" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-member", "" ]
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr/Hi there/,
  ::record(qr/^\{"time":"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","end":"20/,
           qr/"request_id":"[0-9a-f]{32}","trace_id":"[0-9a-f]{32}","span_id":"[0-9a-f]{16}","key_id"/,
           '"key_id":"member","key_name":"member","team":"platform","customer":"acme","client":"127.0.0.1","method":"POST","endpoint":"/v1/chat/completions"',
           '"model":"gpt-4o-mini","served_model":"gpt-4o-mini","provider":"mock","provider_key":"p1"',
           qr/"attempts":\[\{"provider":"mock","model":"gpt-4o-mini","provider_key":"p1","status":200,"ms":\d+\}\]/,
           '"params":{"stream":false,"max_tokens":100,"temperature":0.2,"tools":2}',
           '"usage":{"input":13,"output":7,"cached":4,"cache_write":0}',
           '"cost_usd":' . ::usd($::real_cost) . ',"reserved_usd":' . ::usd($::tools_est) . ',"settlement":"usage"',
           qr/"latency_ms":\{"total":\d+,"upstream":\d+,"overhead_us":\d+\.\d{3}\},"status":200,"chain"/,
           $::chain, $::secrets) ]
--- no_error_log
[error]



=== TEST 2: x-request-id goes back to the client; a client's traceparent is continued with the gateway's span, tracestate passed on
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::files(::gov())
--- request eval
"POST /v1/chat/completions\n$::body"
--- more_headers
Authorization: Bearer sk-test-member
traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
tracestate: congo=t61rcWkgMzE
--- error_code: 200
--- response_headers_like
x-request-id: [0-9a-f]{32}
--- error_log eval
[ qr/upstream: traceparent=00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[0-9a-f]{16}-01 tracestate=congo=t61rcWkgMzE/,
  qr/trace: id=0af7651916cd43dd8448eb211c80319c/ ]



=== TEST 3: the record of a continued trace names the client's span as its parent
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::files(::gov())
--- request eval
[ "POST /v1/chat/completions\n$::body", "GET /audit.log" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-member\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", "" ]
--- response_body_like eval
[ qr/Hi there/,
  ::record('"trace_id":"0af7651916cd43dd8448eb211c80319c"',
           qr/"span_id":"(?!b7ad6b7169203331)[0-9a-f]{16}","parent_span_id":"b7ad6b7169203331"/) ]



=== TEST 4: no traceparent, or an invalid one: a trace starts here, sampled, and an orphaned tracestate is dropped
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::files(::gov())
--- request eval
[ "POST /v1/chat/completions\n$::body", "POST /v1/chat/completions\n$::body",
  "POST /v1/chat/completions\n$::body", "POST /v1/chat/completions\n$::body" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-member",
  "Authorization: Bearer sk-test-member\ntraceparent: 00-00000000000000000000000000000000-b7ad6b7169203331-01\ntracestate: a=1",
  "Authorization: Bearer sk-test-member\ntraceparent: 00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01\ntracestate: a=1",
  "Authorization: Bearer sk-test-member\ntraceparent: ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" ]
--- error_code eval
[200, 200, 200, 200]
--- grep_error_log eval: qr/upstream: traceparent=\S+ tracestate=\S+/
--- grep_error_log_out eval
[qr/^upstream: traceparent=00-[0-9a-f]{32}-[0-9a-f]{16}-01 tracestate=-$/,
 qr/^upstream: traceparent=00-(?!0{32})[0-9a-f]{32}-[0-9a-f]{16}-01 tracestate=-$/,
 qr/^upstream: traceparent=00-(?!0af7651916cd43dd8448eb211c80319c)[0-9a-f]{32}-[0-9a-f]{16}-01 tracestate=-$/,
 qr/^upstream: traceparent=00-(?!0af7651916cd43dd8448eb211c80319c)[0-9a-f]{32}-[0-9a-f]{16}-01 tracestate=-$/]



=== TEST 5: a streamed request: its usage from the stream, time to first token
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::files(::gov(provider => 'split7')) . ">>> stream.sse\n" . ::fixture('openai-tools.sse')
--- request eval
[ "POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}',
  "GET /audit.log" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-member", "" ]
--- response_body_like eval
[ qr/data: \[DONE\]/,
  ::record('"provider":"split7"', '"params":{"stream":true}',
           '"usage":{"input":44,"output":16,"cached":0,"cache_write":0}',
           '"cost_usd":' . ::usd(44 * $::in + 16 * $::out) . ',"settlement":"usage"',
           qr/"latency_ms":\{"total":\d+,"upstream":\d+,"ttft":\d+,"overhead_us":\d+\.\d{3}\},"status":200/,
           $::chain) ]



=== TEST 6: a refused request: the decision, the limit and who hit it; nothing charged
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::files(::gov(team => ', "budgets": [{"limit": 0.000001, "period": "1d"}]'))
--- request eval
[ "POST /v1/chat/completions\n$::body", "GET /audit.log" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-member", "" ]
--- error_code eval
[402, 200]
--- response_body_like eval
[ qr/budget_exceeded/,
  ::record('"key_id":"member"', '"provider":"mock"',
           '"cost_usd":0.000000000000,"settlement":"released"',
           '"status":402,"error":{"type":"budget_exceeded","code":"budget_exceeded"}',
           '"decisions":[{"decision":"refused","kind":"spend","level":"team","id":"platform","period":"1d","used_usd":0.000000000000,"limit_usd":0.000001000000}]',
           $::chain, $::secrets) ]



=== TEST 7: a request that failed over: every attempt with its status, the provider that served it
--- http_config eval: $::http
--- config eval: $::failover_config
--- user_files eval
::files(::gov(provider => 'down') =~ s/"providers": \["down"\]/"providers": ["down", "mock"]/r)
--- request eval
[ "POST /v1/chat/completions\n" . '{"model":"down/gpt-4o-mini","fallbacks":["mock/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}]}',
  "GET /audit.log", "GET /metrics" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-limited", "", "" ]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[ qr/Hi there/,
  ::record('"model":"down/gpt-4o-mini","served_model":"gpt-4o-mini","provider":"mock","provider_key":"p1"',
           qr/"attempts":\[\{"provider":"down","model":"gpt-4o-mini","status":502,"ms":\d+\},\{"provider":"mock","model":"gpt-4o-mini","provider_key":"p1","status":200,"ms":\d+\}\]/,
           '"settlement":"usage"', '"status":200,', $::chain),
  qr/^llmgw_fallbacks_total\{provider="down",status="502"\} 1$/m ]



=== TEST 8: message content only for a key that asks for it, on one line; syslog and a buffered file get the record too
--- http_config eval
$::http . "    llmgw_audit_log syslog:server=127.0.0.1:$::syslog_port,tag=llmgw_audit;\n"
        . "    llmgw_audit_log logs/buffered.log buffer=64k flush=1s;\n"
--- config eval: $::config
--- user_files eval
::files(::gov(key => ', "audit_content": true'))
--- request eval
[ "POST /v1/chat/completions\n" . qq'{ "model": "gpt-4o-mini",\n  "messages": [ {"role": "user", "content": "Hi there, how are you?"} ] }',
  "POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"A secret plan"}]}',
  "GET /audit.log", "GET /buffered.log", "GET /wait", "GET /buffered.log" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-limited", "Authorization: Bearer sk-test-member", "", "", "", "" ]
--- error_code eval
[200, 200, 200, 200, 504, 200]
--- response_body_like eval
[ qr/Hi there/, qr/Hi there/,
  qr/\A\{[^\n]*"key_id":"limited"[^\n]*"request":\{"model":"gpt-4o-mini","messages":\[\{"role":"user","content":"Hi there, how are you\?"\}\]\}[^\n]*\n\{(?![^\n]*A secret plan)[^\n]*"key_id":"member"[^\n]*\n\z/,
  qr/\A\z/,
  qr/504/,
  qr/\A\{[^\n]*"key_id":"limited"[^\n]*\n\{[^\n]*"key_id":"member"[^\n]*\n\z/ ]



=== TEST 9: an audit key file that is not there stops nginx, named
--- http_config eval: $::http =~ s{\.\./html/audit\.key}{../html/no-such.key}r
--- config eval: $::config
--- user_files eval
::files(::gov())
--- must_die
--- error_log
no-such.key" cannot be opened



=== TEST 10: an audit key shorter than 16 bytes stops nginx
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::files(::gov()) =~ s/\Q$::audit_key\E\z/short-key\n/r
--- must_die
--- error_log
must be 16 to



=== TEST 11: a plain, a refused and a streamed request, for the verifier after the suite
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval
::files(::gov(provider => 'split7')) . ">>> stream.sse\n" . ::fixture('openai-tools.sse')
--- request eval
[ "POST /v1/chat/completions\n$::body", "POST /v1/chat/completions\n$::body",
  "POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}',
  "POST /v1/chat/completions\n$::body" ]
--- more_headers eval
[ "Authorization: Bearer sk-test-member", "Authorization: Bearer sk-test-wrong",
  "Authorization: Bearer sk-test-member", "Authorization: Bearer sk-test-limited" ]
--- error_code eval
[200, 401, 200, 200]
