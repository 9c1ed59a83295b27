package LlmgwXlate;

# Mock providers of other formats than OpenAI's, for the translation
# suites: an Anthropic-shaped one and a Gemini-shaped one, each checking its
# key the way the real API does, answering with the real API's shapes, and
# logging the request it received ("upstream: ..." lines in error.log).
# The split-stream providers of LlmgwTest serve any of their streams.

use strict;
use warnings;
use LlmgwTest ();

our @split_sizes = @LlmgwTest::split_sizes;

sub governance {
    my %o = @_;
    my $alpha = LlmgwTest::digest('sk-test-alpha');
    my $key = q{[{"id": "prov-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]};
    my $splits = join ",\n    ", map {
        my $n = $_;
        (qq{"asplit$n": {"kind": "anthropic", "upstream": "mock", "scheme": "http", "base_path": "/sse/split-$n", "keys": $key}},
         qq{"gsplit$n": {"kind": "gemini", "upstream": "mock", "scheme": "http", "base_path": "/sse/split-$n", "keys": $key}},
         qq{"osplit$n": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/sse/split-$n", "keys": $key}})
    } @split_sizes;
    my $names = join ", ", map { qq{"asplit$_", "gsplit$_", "osplit$_"} }
        @split_sizes;
    my $extra = $o{providers} ? ",\n    $o{providers}" : '';
    my $extra_names = $o{names} ? ", $o{names}" : '';
    my $top = $o{top} ? ",\n  $o{top}" : '';

    return <<"JSON";
{
  "providers": {
    "anthropic": {"kind": "anthropic", "upstream": "mock", "scheme": "http",
                  "host": "api.anthropic.test", "base_path": "/anthropic/v1",
                  "keys": $key, "default_max_tokens": 1024},
    "anthropic-err": {"kind": "anthropic", "upstream": "mock", "scheme": "http",
                      "base_path": "/anthropic-err/v1", "keys": $key},
    "gemini": {"kind": "gemini", "upstream": "mock", "scheme": "http",
               "host": "generativelanguage.test", "base_path": "/gemini/v1beta",
               "keys": $key},
    "gemini-err": {"kind": "gemini", "upstream": "mock", "scheme": "http",
                   "base_path": "/gemini-err/v1beta", "keys": $key},
    "openai": {"kind": "openai", "upstream": "mock", "scheme": "http",
               "base_path": "/mock/v1", "keys": $key},
    $splits$extra
  },
  "virtual_keys": [
    {"id": "alpha", "key_sha256": "$alpha",
     "providers": ["anthropic", "anthropic-err", "gemini", "gemini-err",
                   "openai", $names$extra_names]}
  ],
  "aliases": {"claude": "anthropic/claude-sonnet-4-5",
              "flash": "gemini/gemini-2.5-flash"},
  "prices": {"claude-sonnet-4-5": {"input": 3, "output": 15,
                                   "cache_read": 0.3, "cache_write": 3.75}},
  "unpriced_models": "allow"$top
}
JSON
}

our $http_config = $LlmgwTest::http_config . <<'_EOC_';
    log_format upstream_body escape=none
        'upstream: $request_method $request_uri '
        'version=$http_anthropic_version beta=$http_anthropic_beta '
        'x-api-key=$http_x_api_key goog=$http_x_goog_api_key '
        'auth=$http_authorization body=$request_body';
_EOC_

# Anthropic: /anthropic/v1/messages (whole), /anthropic-err/v1/messages
# (529 overloaded).  Gemini: /gemini/v1beta/models/M:generateContent,
# :embedContent, :batchEmbedContents; /gemini-err/... (429).
our $config = $LlmgwTest::config . $LlmgwTest::sse_config . <<'_EOC_';
    location = /anthropic/v1/messages {
        if ($http_x_api_key !~ "^sk-prov-") {
            return 401 '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}';
        }
        access_log logs/error.log upstream_body;
        rewrite ^ /_mock/anthropic-message break;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location = /_mock/anthropic-message {
        alias html/anthropic-message.json;
        default_type application/json;
    }

    location = /anthropic-err/v1/messages {
        default_type application/json;
        return 529 '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
    }

    location ~ ^/gemini/v1beta/models/[^/]+:(?<method>generateContent|embedContent|batchEmbedContents)$ {
        if ($http_x_goog_api_key !~ "^sk-prov-") {
            return 400 '{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}';
        }
        access_log logs/error.log upstream_body;
        rewrite ^ /_mock/gemini-$method break;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }

    location ~ ^/_mock/gemini-(.*)$ {
        alias html/gemini-$1.json;
        default_type application/json;
    }

    location ^~ /gemini-err/ {
        default_type application/json;
        return 429 '{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}';
    }
_EOC_

our $anthropic_message = '{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hello! How can I help?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":200,"output_tokens":9}}';

our $anthropic_tool_message = '{"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"San Francisco, CA","unit":"celsius"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":384,"output_tokens":58}}';

our $gemini_response = '{"candidates":[{"content":{"parts":[{"text":"Hello from Gemini."}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":5,"totalTokenCount":13},"modelVersion":"gemini-2.5-flash","responseId":"gem-resp-1"}';

our $gemini_blocked = '{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH"}]},"usageMetadata":{"promptTokenCount":7,"totalTokenCount":7},"modelVersion":"gemini-2.5-flash"}';

our $gemini_embed = '{"embedding":{"values":[0.013168523,-0.008711934,-0.046782676]}}';
our $gemini_batch = '{"embeddings":[{"values":[0.1,0.2]},{"values":[0.3,0.4]}]}';

sub files {
    my %o = @_;
    my $s = ">>> llmgw.json\n" . governance(%o)
          . ">>> anthropic-message.json\n" . ($o{anthropic} // $anthropic_message) . "\n"
          . ">>> gemini-generateContent.json\n" . ($o{gemini} // $gemini_response) . "\n"
          . ">>> gemini-embedContent.json\n$gemini_embed\n"
          . ">>> gemini-batchEmbedContents.json\n$gemini_batch\n";
    $s .= ">>> stream.sse\n$o{stream}" if defined $o{stream};
    return $s;
}

sub import {
    no strict 'refs';
    *{"main::xlate_http_config"} = \$http_config;
    *{"main::xlate_config"} = \$config;
    *{"main::xlate_files"} = \&files;
    *{"main::anthropic_tool_message"} = \$anthropic_tool_message;
    *{"main::gemini_blocked"} = \$gemini_blocked;
}

1;
