# Vertex AI: Gemini and Anthropic models on the URLs of a project and
# region, with OAuth2 access tokens the gateway mints from a service
# account: an RS256-signed assertion traded at the token endpoint through a
# subrequest, cached in the shared zone.  The mock token endpoint hands the
# assertion back as the token, and the mock Gemini answers with the
# Authorization header it got, so a test can check the signature the
# gateway made (with openssl, against the service account's public key).

use lib 't/inc';
use LlmgwTest;
use LlmgwXlate;
use MIME::Base64 qw(decode_base64);
use JSON::PP ();
use File::Temp ();
use Test::Nginx::Socket 'no_plan';

our $root = $ENV{TEST_NGINX_LLMGW_ROOT};
our $sa_file = "$root/t/fixtures/vertex-sa.json";
our $anthropic_stream = ::fixture('anthropic-tool_use_response.sse');

sub vertex {
    my %o = @_;
    my $loc = $o{token_location} ? qq{, "token_location": "$o{token_location}"} : '';
    return qq{"vertex": {"kind": "vertex", "upstream": "mock", "scheme": "http", "base_path": "/vertex/v1", "project": "llmgw-test", "region": "us-east5", "credentials": "file:$sa_file", "keys": []$loc}};
}

our $files = ::xlate_files(providers => vertex(), names => '"vertex"');
our $files_bad_token = ::xlate_files(providers => vertex(token_location => '/_llmgw/bad-token'), names => '"vertex"');
our $files_stream = ::xlate_files(providers => vertex(), names => '"vertex"', stream => $anthropic_stream);

our $http_config = $::xlate_http_config . <<'_EOC_';
    map $http_x_token_body $llmgw_test_assertion {
        "~assertion=(?<a>[A-Za-z0-9_.-]+)$"  $a;
        default                               none;
    }
_EOC_

our $config = $::xlate_config . <<'_EOC_';
    location = /_llmgw/google-token {
        internal;
        proxy_method POST;
        proxy_pass_request_headers off;
        proxy_pass_request_body off;
        proxy_set_header Content-Type application/x-www-form-urlencoded;
        proxy_set_body $llmgw_gauth_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/mock/google/token;
    }

    location = /_llmgw/bad-token {
        internal;
        proxy_method POST;
        proxy_pass_request_headers off;
        proxy_pass_request_body off;
        proxy_set_body $llmgw_gauth_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/mock/google/bad-token;
    }

    # the token endpoint: the assertion comes back as the token
    location = /mock/google/token {
        access_log logs/error.log upstream_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/_mock/google-token;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header X-Token-Body $request_body;
    }

    location = /_mock/google-token {
        default_type application/json;
        return 200 '{"access_token":"$llmgw_test_assertion","expires_in":3599,"token_type":"Bearer"}';
    }

    location = /mock/google/bad-token {
        default_type application/json;
        return 400 '{"error":"invalid_grant","error_description":"Invalid JWT Signature."}';
    }

    # Gemini on Vertex: answers with the Authorization header it got
    location ~ ^/vertex/v1/projects/llmgw-test/locations/us-east5/publishers/google/models/[a-z0-9.-]+:generateContent$ {
        default_type application/json;
        access_log logs/error.log upstream_body;
        if ($http_authorization !~ "^Bearer ey") {
            return 401 '{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}';
        }
        return 200 '{"candidates":[{"content":{"parts":[{"text":"$http_authorization|$http_host"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":3,"totalTokenCount":7},"modelVersion":"gemini-2.5-flash"}';
    }

    location ~ ^/vertex/v1/projects/llmgw-test/locations/us-east5/publishers/google/models/[a-z0-9.-]+:predict$ {
        default_type application/json;
        return 200 '{"predictions":[{"embeddings":{"values":[0.25,-0.5],"statistics":{"token_count":6,"truncated":false}}},{"embeddings":{"values":[0.75,1],"statistics":{"token_count":2,"truncated":false}}}],"metadata":{"billableCharacterCount":20}}';
    }

    # Anthropic on Vertex: the message, or the stream
    location ~ ^/vertex/v1/projects/llmgw-test/locations/us-east5/publishers/anthropic/models/[a-z0-9.@-]+:rawPredict$ {
        access_log logs/error.log upstream_body;
        rewrite ^ /_mock/anthropic-message break;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location ~ ^/vertex/v1/projects/llmgw-test/locations/us-east5/publishers/anthropic/models/[a-z0-9.@-]+:streamRawPredict$ {
        access_log logs/error.log upstream_body;
        rewrite ^ /stream.sse break;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
_EOC_

sub b64url { my $s = shift; $s =~ tr{-_}{+/}; $s .= '=' x ((4 - length($s) % 4) % 4); decode_base64($s) }

# the assertion in an answer: its header and claims, and whether its
# signature verifies with the service account's public key
sub check_assertion {
    my $body = shift;
    my ($jwt) = $body =~ m{Bearer ([A-Za-z0-9_.-]+)\|} or return "no token in: $body";
    my ($h, $c, $s) = split /\./, $jwt;
    my $json = JSON::PP->new->canonical;
    my $head = $json->decode(b64url($h));
    my $claims = $json->decode(b64url($c));
    my $sa = $json->decode(do { local (@ARGV, $/) = ($sa_file); <> });

    my $dir = File::Temp::tempdir(CLEANUP => 1);
    open my $k, '>', "$dir/key.pem"; print $k $sa->{private_key}; close $k;
    open my $d, '>', "$dir/data"; print $d "$h.$c"; close $d;
    open my $g, '>', "$dir/sig"; print $g b64url($s); close $g;
    system("openssl pkey -in $dir/key.pem -pubout -out $dir/pub.pem 2>/dev/null") == 0
        or return "openssl pkey failed";
    my $ok = system("openssl dgst -sha256 -verify $dir/pub.pem -signature $dir/sig $dir/data >/dev/null 2>&1") == 0;
    my ($host) = $body =~ m{\|([^"]+)"};

    return join ' ', "alg=$head->{alg}", "typ=$head->{typ}",
        "kid=" . ($head->{kid} eq $sa->{private_key_id} ? 'ok' : 'wrong'),
        "iss=" . ($claims->{iss} eq $sa->{client_email} ? 'ok' : 'wrong'),
        "scope=$claims->{scope}", "aud=$claims->{aud}",
        "ttl=" . ($claims->{exp} - $claims->{iat}),
        "fresh=" . (abs($claims->{iat} - time) < 60 ? 'yes' : 'no'),
        "signature=" . ($ok ? 'ok' : 'bad'), "host=$host";
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: Gemini on Vertex: the project's URL, and a token the gateway signed and traded
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: $::files
--- request
POST /v1/chat/completions
{"model":"vertex/gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_filters eval
\&::check_assertion
--- response_body chomp
alg=RS256 typ=JWT kid=ok iss=ok scope=https://www.googleapis.com/auth/cloud-platform aud=https://oauth2.googleapis.com/token ttl=3600 fresh=yes signature=ok host=us-east5-aiplatform.googleapis.com
--- error_log eval
[
qr/upstream: POST \/mock\/google\/token .* body=grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey/,
qr/usage: key=alpha provider=vertex model=gemini-2.5-flash pkey=- prompt=4 completion=3 total=7/,
]



=== TEST 2: the token is kept in the zone: one token request for many calls
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: $::files
--- init
for (1 .. 3) {
    ::http_status(::post_request('/v1/chat/completions', 'sk-test-alpha',
        '{"model":"vertex/gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}'));
}
--- request
POST /v1/chat/completions
{"model":"vertex/gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- grep_error_log eval: qr/upstream: POST \/mock\/google\/token/
--- grep_error_log_out
upstream: POST /mock/google/token



=== TEST 3: Claude on Vertex for an OpenAI client: rawPredict, anthropic_version, no model in the body
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: $::files
--- request
POST /v1/chat/completions
{"model":"vertex/claude-sonnet-4-5@20250929","max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "content":"Hello! How can I help\?"\},"finish_reason":"stop"
--- error_log eval
[
qr/upstream: POST \/vertex\/v1\/projects\/llmgw-test\/locations\/us-east5\/publishers\/anthropic\/models\/claude-sonnet-4-5\@20250929:rawPredict version= beta= x-api-key= goog= auth=Bearer ey[^ ]+ body=\{.*"anthropic_version":"vertex-2023-10-16"/,
]
--- no_error_log eval
qr/rawPredict .*body=.*"model"/



=== TEST 4: Claude on Vertex for an Anthropic client: the body kept, the model moved to the URL
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: $::files
--- request
POST /v1/messages
{"model":"vertex/claude-sonnet-4-5@20250929","max_tokens":50,"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
x-api-key: sk-test-alpha
--- error_code: 200
--- response_body eval
$LlmgwXlate::anthropic_message . "\n"
--- error_log eval
qr/:rawPredict .* body=\{"max_tokens":50,"system":\[\{"type":"text","text":"Be brief.","cache_control":\{"type":"ephemeral"\}\}\],"messages":\[\{"role":"user","content":"Hi"\}\],"anthropic_version":"vertex-2023-10-16"\}$/



=== TEST 5: a Claude stream on Vertex: streamRawPredict, translated for an OpenAI client
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: $::files_stream
--- request
POST /v1/chat/completions
{"model":"vertex/claude-sonnet-4@20250514","stream":true,"messages":[{"role":"user","content":"Weather in Paris?"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body_like: "delta":\{\},"finish_reason":"tool_calls"\}\]\}\n\ndata: \[DONE\]\n\n$
--- error_log eval
qr/:streamRawPredict .* body=\{.*"stream":true/



=== TEST 6: embeddings on Vertex: predict, with its token counts
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: $::files
--- request
POST /v1/embeddings
{"model":"vertex/text-embedding-005","input":["first text","second"]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- response_body
{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5]},{"object":"embedding","index":1,"embedding":[0.75,1]}],"model":"text-embedding-005","usage":{"prompt_tokens":8,"completion_tokens":0,"total_tokens":8}}
--- error_log
usage: key=alpha provider=vertex model=text-embedding-005 pkey=- prompt=8 completion=0 total=8



=== TEST 7: a token endpoint that refuses: a 502 for the client, the provider never called
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval: $::files_bad_token
--- request
POST /v1/chat/completions
{"model":"vertex/gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 502
--- response_body_like: ^\{"error":\{"message":"Could not get an access token for provider \\"vertex\\": the token endpoint answered 400 \(invalid_grant\)","type":"api_error","param":null,"code":"provider_auth_failed"\}\}$
--- no_error_log
upstream: POST /vertex/



=== TEST 8: a Vertex provider without its region does not start
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
$::files =~ s/"region": "us-east5", //r
--- must_die
--- error_log
kind "vertex" needs "project" and "region"



=== TEST 9: a Vertex provider whose service account file is missing does not start, and says which file and why
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
$::files =~ s{"file:[^"]+"}{"file:/nonexistent/llmgw/sa.json"}r
--- must_die
--- error_log
service account file "/nonexistent/llmgw/sa.json": cannot be opened



=== TEST 10: a Vertex provider whose service account file is not JSON does not start
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
$::files =~ s{"file:[^"]+"}{"file:$::root/t/fixtures/openai-tools.sse"}r
--- must_die
--- error_log eval
qr/service account file "[^"]+openai-tools\.sse": not JSON/
