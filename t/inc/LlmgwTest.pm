package LlmgwTest;

# Shared pieces of the llmgw suites: the mock providers (plain nginx
# locations shaped like OpenAI's API) and a governance file.  Blocks use
# them as `--- http_config eval: $::http_config` and so on.

use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use File::Temp ();
use POSIX ();

our $provider_key = 'sk-prov-alpha-0123456789';
our $provider_key2 = 'sk-prov-beta-9876543210';

$ENV{TEST_LLMGW_PROVIDER_KEY} = $provider_key;
$ENV{TEST_LLMGW_PROVIDER_KEY2} = $provider_key2;

my $root = $ENV{TEST_NGINX_LLMGW_ROOT} || do {
    require Cwd;
    require File::Basename;
    Cwd::abs_path(File::Basename::dirname(__FILE__) . '/../..');
};
$ENV{TEST_NGINX_LLMGW_ROOT} = $root;

our @split_sizes = (1, 2, 3, 5, 7, 11, 64, 4096);

sub digest { sha256_hex($_[0]) }

# the governance file most blocks use
sub governance {
    my %extra = @_;
    my $alpha = digest('sk-test-alpha');
    my $beta = digest('sk-test-beta');
    my $off = digest('sk-test-disabled');
    my $old = digest('sk-test-expired');
    my $emb = digest('sk-test-embed');
    my $sse_providers = join ",\n    ", map {
        qq{"split$_": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/sse/split-$_", "models": ["split-model"]}}
    } @split_sizes;
    my $sse_names = join ", ", map { qq{"split$_"} } @split_sizes;
    my $extra_top = $extra{top} ? ",\n  $extra{top}" : '';
    my $keys = $extra{keys}
        || qq{[{"id": "alpha-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]};

    return <<"JSON";
{
  "providers": {
    "mock": {
      "kind": "openai", "upstream": "mock", "scheme": "http",
      "host": "mock.test", "base_path": "/mock/v1",
      "keys": $keys,
      "models": ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"]
    },
    "echo": {
      "kind": "openai", "upstream": "mock", "scheme": "http",
      "host": "echo.test", "base_path": "/echo/v1",
      "keys": [{"id": "echo-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}],
      "models": ["echo-*"]
    },
    $sse_providers
  },
  "virtual_keys": [
    {"id": "alpha", "name": "Alpha team", "key_sha256": "$alpha",
     "providers": ["mock", "echo", $sse_names]},
    {"id": "beta", "key_sha256": "$beta",
     "providers": [{"provider": "mock", "models": ["gpt-4o-mini"]}]},
    {"id": "off", "key_sha256": "$off", "enabled": false,
     "providers": ["mock"]},
    {"id": "old", "key_sha256": "$old", "expires_at": "2020-01-01T00:00:00Z",
     "providers": ["mock"]},
    {"id": "embed", "key_sha256": "$emb",
     "providers": [{"provider": "mock", "models": ["text-embedding-*"]}]}
  ],
  "aliases": {"fast": "mock/gpt-4o-mini", "echo-alias": "echo/echo-1"},
  "prices": {"gpt-4o-mini": {"input": 0.15, "output": 0.6, "cache_read": 0.075}},
  "unpriced_models": "allow"$extra_top
}
JSON
}

# the store: shm, or with TEST_LLMGW_STORE=redis the Redis that
# tools/with-redis.sh started (emptied before each block, see store_setup)
our $redis_port = $ENV{TEST_NGINX_REDIS_PORT};
our $store_config = ($ENV{TEST_LLMGW_STORE} // '') eq 'redis'
    ? "    llmgw_store redis 127.0.0.1:$redis_port timeout=1s;\n" : '';

sub redis_cli { system("redis-cli -p $redis_port @_ >/dev/null 2>&1") }

sub store_setup {
    return unless $store_config;
    main::add_block_preprocessor(sub { redis_cli('flushall') });
}

# http{} level: the module's settings and the mock's upstream block
our $http_config = $store_config . <<'_EOC_';
    llmgw_config ../html/llmgw.json;
    llmgw_zone llmgw 1m;

    upstream mock {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    log_format llmgw_usage 'usage: key=$llmgw_virtual_key '
                           'provider=$llmgw_provider model=$llmgw_model '
                           'pkey=$llmgw_provider_key '
                           'prompt=$llmgw_prompt_tokens '
                           'completion=$llmgw_completion_tokens '
                           'total=$llmgw_total_tokens '
                           'cached=$llmgw_cached_tokens '
                           'cost=$llmgw_cost';
_EOC_

# server{} level: the gateway location and the mock provider
our $config = <<'_EOC_';
    location /v1/ {
        llmgw on;
        include $TEST_NGINX_LLMGW_ROOT/conf.d/llmgw_proxy.conf;
        access_log logs/error.log llmgw_usage;
    }

    location = /metrics {
        llmgw_metrics;
    }

    # a provider that answers only with the provider key
    location = /mock/v1/chat/completions {
        default_type application/json;
        if ($http_authorization !~ "^Bearer sk-prov-") {
            return 401 '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}';
        }
        return 200 '{"id":"chatcmpl-1","object":"chat.completion","created":1732406400,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there!","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":13,"completion_tokens":7,"total_tokens":20,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp_1"}';
    }

    location = /mock/v1/embeddings {
        default_type application/json;
        if ($http_authorization !~ "^Bearer sk-prov-") {
            return 401 '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}';
        }
        return 200 '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023,-0.0093,0.0158]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}';
    }

    # a provider that answers with what it received
    location /echo/ {
        rewrite ^ /_echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
        proxy_set_header X-Echo-Uri $request_uri;
        proxy_set_header X-Echo-Host $http_host;
        proxy_set_header X-Echo-Auth "authorization=$http_authorization x-api-key=$http_x_api_key x-goog-api-key=$http_x_goog_api_key x-llmgw-key=$http_x_llmgw_key api-key=$http_api_key accept-encoding=$http_accept_encoding";
        proxy_set_header X-Echo-Length $http_content_length;
        proxy_set_header X-Echo-Body $request_body;
    }

    location = /_echo {
        default_type application/json;
        return 200 '{"uri":"$http_x_echo_uri","host":"$http_x_echo_host","auth":"$http_x_echo_auth","length":"$http_x_echo_length","body":$http_x_echo_body}';
    }
_EOC_

# A location that delivers html$file in pieces of N bytes: the slice module
# fetches it N bytes at a time, and sub_filter drops the length so each
# piece goes out as one HTTP chunk, which nginx's proxy hands to the
# gateway's filters as one buffer.
sub split_location {
    my ($location, $file, $type, $n) = @_;
    return <<"_EOC_";
    location $location {
        slice $n;
        rewrite ^ $file break;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header Range \$slice_range;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT;
        sub_filter_types $type;
        sub_filter LLMGW_NEVER_MATCHES x;
        sub_filter_once off;
    }
_EOC_
}

# A stream provider that delivers html/stream.sse in pieces of N bytes:
# provider splitN, for N in @split_sizes; any path under /sse/split-N/
# serves it, for every provider kind.
our $sse_config = CORE::join "", map {
    split_location("^~ /sse/split-$_/", "/stream.sse", "text/event-stream", $_)
} @split_sizes;
$sse_config .= <<'_EOC_';
    location = /stream.sse {
        types { }
        default_type text/event-stream;
    }
_EOC_

sub fixture {
    my $name = shift;
    my $root = $ENV{TEST_NGINX_LLMGW_ROOT};
    open my $fh, '<', "$root/t/fixtures/$name" or die "$name: $!";
    local $/;
    return scalar <$fh>;
}

# the stream as the client sees it when it did not ask for usage
sub without_usage_chunk {
    my $s = shift;
    $s =~ s/data: \{[^\n]*"choices":\[\],"usage":[^\n]*\n\n//;
    return $s;
}

# For blocks whose requests must overlap in time, or wait between them:
# run from `--- init` (after nginx started), the statuses are written to
# html/result.txt for the block's own request to fetch.
sub http_status {
    my ($req) = @_;
    require IO::Socket::INET;
    my $port = $ENV{TEST_NGINX_SERVER_PORT} || 1984;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10)
        or return "connect failed";
    print $s $req;
    my $line = <$s> // '';
    local $/;
    my $rest = <$s>;
    close $s;
    return $line =~ m{^HTTP/1\.\d (\d+)} ? $1 : "no answer";
}

sub post_request {
    my ($uri, $key, $body) = @_;
    return "POST $uri HTTP/1.0\r\nHost: localhost\r\nAuthorization: Bearer $key\r\n"
         . "Content-Length: " . length($body) . "\r\n\r\n$body";
}

# n clients at once; the count of each status, sorted: "200 x10, 402 x30"
sub parallel_statuses {
    my ($n, $req) = @_;
    my @pids;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    for my $i (1 .. $n) {
        my $pid = fork;
        if ($pid == 0) {
            open my $fh, '>', "$dir/$i";
            print $fh http_status($req);
            close $fh;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    waitpid $_, 0 for @pids;
    my %count;
    for my $i (1 .. $n) {
        open my $fh, '<', "$dir/$i";
        $count{<$fh> // 'none'}++;
    }
    return join ", ", map { "$_ x$count{$_}" } sort keys %count;
}

sub write_result {
    my ($text) = @_;
    my $html = main::html_dir();
    open my $fh, '>', "$html/result.txt" or die "$html/result.txt: $!";
    print $fh "$text\n";
    close $fh;
}

sub import {
    no strict 'refs';
    *{"main::http_config"} = \$http_config;
    *{"main::config"} = \$config;
    *{"main::governance"} = \&governance;
    *{"main::digest"} = \&digest;
    *{"main::provider_key"} = \$provider_key;
    *{"main::provider_key2"} = \$provider_key2;
    *{"main::sse_config"} = \$sse_config;
    *{"main::split_location"} = \&split_location;
    *{"main::split_sizes"} = \@split_sizes;
    *{"main::fixture"} = \&fixture;
    *{"main::without_usage_chunk"} = \&without_usage_chunk;
    *{"main::post_request"} = \&post_request;
    *{"main::http_status"} = \&http_status;
    *{"main::parallel_statuses"} = \&parallel_statuses;
    *{"main::write_result"} = \&write_result;
    *{"main::store_setup"} = \&store_setup;
    *{"main::redis_cli"} = \&redis_cli;
}

1;
