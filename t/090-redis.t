# The Redis store: what only it has to prove.  Several nginx nodes share
# one limit, a Redis that stops answering stalls nothing else, and the
# fail policy decides when it cannot answer.  (The governance suite runs on
# it too: make test-nginx runs t/050-governance.t with TEST_LLMGW_STORE.)

use lib 't/inc';
use LlmgwTest;
use File::Temp ();
use Time::HiRes ();
use Test::Nginx::Socket;

if (($ENV{TEST_LLMGW_STORE} // '') ne 'redis' || !$ENV{TEST_NGINX_REDIS_PORT}) {
    plan(skip_all => 'the Redis store: TEST_LLMGW_STORE=redis (make test-nginx)');
} else {
    plan('no_plan');
}

our $body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}';
our $gov = ">>> llmgw.json\n" . ::governance() =~ s/"providers": \["mock", "echo"/"rate_limit": {"requests": 4, "window": "1h"}, "providers": ["mock", "echo"/r;

our $redis_pid = do {
    open my $f, '<', $ENV{TEST_NGINX_REDIS_PIDFILE} or die "no redis pid file";
    my $p = <$f>;
    chomp $p;
    $p;
};

our $http_closed = $LlmgwTest::http_config;
our $http_open = $LlmgwTest::http_config . "    llmgw_store_fail open;\n";

our $config = $LlmgwTest::config . <<'_EOC_';
    location = /result.txt {
        default_type text/plain;
    }

    location = /static {
        return 200 "served\n";
    }
_EOC_

# a second gateway node on the next port, on the same Redis
sub second_node {
    my $port = ($ENV{TEST_NGINX_SERVER_PORT} || 1984) + 1;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    my $html = main::html_dir();
    my $root = $ENV{TEST_NGINX_LLMGW_ROOT};
    mkdir "$dir/logs";
    open my $f, '>', "$dir/nginx.conf" or die $!;
    print $f <<"_EOC_";
load_module $ENV{TEST_NGINX_LOAD_MODULES};
daemon on;
master_process off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    llmgw_store redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT} timeout=1s;
    llmgw_config $html/llmgw.json;
    upstream mock { server 127.0.0.1:@{[ $ENV{TEST_NGINX_SERVER_PORT} || 1984 ]}; }
    server {
        listen 127.0.0.1:$port;
        location /v1/ {
            llmgw on;
            include $root/conf.d/llmgw_proxy.conf;
        }
    }
}
_EOC_
    close $f;
    system($ENV{TEST_NGINX_BINARY} || 'nginx', '-p', $dir, '-c', "$dir/nginx.conf") == 0
        or die "the second node did not start";
    return ($port, $dir);
}

sub stop_node {
    my ($dir) = @_;
    open my $f, '<', "$dir/nginx.pid" or return;
    my $pid = <$f>;
    kill 'QUIT', $pid;
    Time::HiRes::sleep(0.2);
}

# the store errors the metrics count, as "closed=N open=M"
sub store_errors {
    require IO::Socket::INET;
    my $s = IO::Socket::INET->new("127.0.0.1:" . ($ENV{TEST_NGINX_SERVER_PORT} || 1984))
        or return "no metrics";
    print $s "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n";
    local $/;
    my $m = <$s>;
    my ($c) = $m =~ /llmgw_store_errors_total\{policy="closed"\} (\d+)/;
    my ($o) = $m =~ /llmgw_store_errors_total\{policy="open"\} (\d+)/;
    return "closed=" . ($c // '?') . " open=" . ($o // '?');
}

sub on_port {
    my ($port, $req) = @_;
    local $ENV{TEST_NGINX_SERVER_PORT} = $port;
    return ::http_status($req);
}

no_shuffle();
store_setup();
run_tests();

__DATA__

=== TEST 1: two nginx nodes on one Redis enforce one limit together
--- http_config eval: $::http_closed
--- config eval: $::config
--- user_files eval: $::gov
--- init
my ($port, $dir) = ::second_node();
my $req = ::post_request("/v1/chat/completions", "sk-test-alpha", $::body);
my $here = $ENV{TEST_NGINX_SERVER_PORT} || 1984;
my @s = map { ::on_port($_ % 2 ? $here : $port, $req) } 1 .. 6;
::stop_node($dir);
::write_result("@s");
--- request
GET /result.txt
--- response_body
200 200 200 200 429 429



=== TEST 2: Redis stops answering: other requests on the same worker are served at once; the governed one fails closed after the timeout
--- http_config eval: $::http_closed
--- config eval: $::config
--- user_files eval: $::gov
--- init
my $req = ::post_request("/v1/chat/completions", "sk-test-alpha", $::body);
::http_status($req);     # connected, script loaded
kill 'STOP', $::redis_pid;
my $pid = fork;
if ($pid == 0) {
    my $t0 = Time::HiRes::time();
    my $s = ::http_status($req);
    open my $f, '>', "/tmp/llmgw-090-$$" or die;
    printf $f "%s %.1f", $s, Time::HiRes::time() - $t0;
    close $f;
    POSIX::_exit(0);
}
Time::HiRes::sleep(0.2);
my @fast;
for (1 .. 5) {
    my $t0 = Time::HiRes::time();
    my $s = ::http_status("GET /static HTTP/1.0\r\nHost: x\r\n\r\n");
    push @fast, $s . (Time::HiRes::time() - $t0 < 0.1 ? " fast" : " slow");
    my $m = ::http_status("GET /v1/models HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer sk-test-alpha\r\n\r\n");
    push @fast, $m;
}
waitpid $pid, 0;
kill 'CONT', $::redis_pid;
open my $f, '<', "/tmp/llmgw-090-$pid" or die;
my $slow = <$f>;
unlink "/tmp/llmgw-090-$pid";
my ($status, $took) = split / /, $slow;
::write_result("@fast | $status " . ($took >= 0.9 && $took < 3 ? "after the timeout" : "after $took s")
               . " " . ::store_errors());
--- request
GET /result.txt
--- response_body
200 fast 200 200 fast 200 200 fast 200 200 fast 200 200 fast 200 | 503 after the timeout closed=1 open=0



=== TEST 3: fail open admits unchecked, and says so
--- http_config eval: $::http_open
--- config eval: $::config
--- user_files eval: $::gov
--- init
my $req = ::post_request("/v1/chat/completions", "sk-test-alpha", $::body);
::http_status($req);
kill 'STOP', $::redis_pid;
my $s = ::http_status($req);
kill 'CONT', $::redis_pid;
::write_result("$s " . ::store_errors());
--- request
GET /result.txt
--- response_body
200 closed=0 open=1
--- error_log
llmgw: the store cannot answer: request admitted unchecked (llmgw_store_fail open)



=== TEST 4: the scripts are loaded again after SCRIPT FLUSH
--- http_config eval: $::http_closed
--- config eval: $::config
--- user_files eval: $::gov
--- init
my $req = ::post_request("/v1/chat/completions", "sk-test-alpha", $::body);
my @s = (::http_status($req));
::redis_cli('script flush');
push @s, ::http_status($req), ::http_status($req);
::redis_cli('script flush');
push @s, ::http_status($req), ::http_status($req);
::write_result("@s");
--- request
GET /result.txt
--- response_body
200 200 200 200 429



=== TEST 5: settlement reaches Redis: the usage read back from it
--- http_config eval: $::http_closed
--- config eval: $::config
--- user_files eval: $::gov
--- request eval
["POST /v1/chat/completions\n$::body", "GET /v1/llmgw/usage"]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like eval
[qr/Hi there/, qr/"kind":"requests","window":"1h","limit":4,"used":1,"remaining":3/]
