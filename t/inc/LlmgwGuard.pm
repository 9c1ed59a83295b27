package LlmgwGuard;

# The guardrail suite's pieces: a governance file with a key per policy,
# streams whose text deltas split a secret (and an e-mail address) at
# every position, and filters that put a stream's text back together the
# way a client SDK does.

use strict;
use warnings;
use JSON::PP ();
use LlmgwTest ();
use LlmgwXlate ();

my $json = JSON::PP->new->canonical;

our $secret = 'AKIAIOSFODNN7EXAMPLE';
our $email = 'jane.doe@example.com';

# every split of the secret and of the address across two deltas
our @split_deltas = (
    (map { ('key ', substr($secret, 0, $_), substr($secret, $_), ' ok. ') }
         1 .. length($secret) - 1),
    (map { ('mail ', substr($email, 0, $_), substr($email, $_), ' now. ') }
         1 .. length($email) - 1),
);

our $split_redacted = ('key [REDACTED:SECRET] ok. ' x (length($secret) - 1))
                    . ('mail [REDACTED:EMAIL] now. ' x (length($email) - 1));

my @policies = qw(in-redact in-block in-log out-redact out-block out-log
                  svc-closed svc-open svc-slow both);

sub governance {
    my $key = q{[{"id": "prov-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"}]};
    my $splits = join ",\n    ", map {
        my $n = $_;
        (qq{"asplit$n": {"kind": "anthropic", "upstream": "mock", "scheme": "http", "base_path": "/sse/split-$n", "keys": $key}},
         qq{"gsplit$n": {"kind": "gemini", "upstream": "mock", "scheme": "http", "base_path": "/sse/split-$n", "keys": $key}},
         qq{"osplit$n": {"kind": "openai", "upstream": "mock", "scheme": "http", "base_path": "/sse/split-$n", "keys": $key}})
    } @LlmgwTest::split_sizes;
    my $names = join ", ", map { qq{"asplit$_", "gsplit$_", "osplit$_"} }
        @LlmgwTest::split_sizes;
    my $providers = qq{"anthropic", "gemini", "openai", "echo", $names};
    my $keys = join ",\n    ", map {
        my $d = LlmgwTest::digest("sk-test-$_");
        qq{{"id": "$_", "key_sha256": "$d", "guardrails": "$_", "providers": [$providers]}}
    } @policies;
    my $plain = LlmgwTest::digest('sk-test-plain');
    my $member = LlmgwTest::digest('sk-test-member');

    return <<"JSON";
{
  "providers": {
    "anthropic": {"kind": "anthropic", "upstream": "mock", "scheme": "http",
                  "base_path": "/anthropic/v1", "keys": $key,
                  "default_max_tokens": 1024},
    "gemini": {"kind": "gemini", "upstream": "mock", "scheme": "http",
               "base_path": "/gemini/v1beta", "keys": $key},
    "openai": {"kind": "openai", "upstream": "mock", "scheme": "http",
               "base_path": "/mock/v1", "keys": $key},
    "echo": {"kind": "openai", "upstream": "mock", "scheme": "http",
             "host": "echo.test", "base_path": "/echo/v1", "keys": $key,
             "models": ["echo-*"]},
    $splits
  },
  "teams": {"t1": {"guardrails": "team-block"}},
  "virtual_keys": [
    $keys,
    {"id": "plain", "key_sha256": "$plain", "providers": [$providers]},
    {"id": "member", "key_sha256": "$member", "team": "t1",
     "providers": [$providers]}
  ],
  "guardrails": {
    "detectors": {
      "PROJECT": {"pattern": "\\\\bPRJ-[0-9]{4}\\\\b"},
      "CODENAMES": {"words": ["bluebird", "night jar"]}
    },
    "policies": {
      "in-redact": {"input": {"action": "redact", "detectors": [
          "EMAIL", "PHONE", "CARD", "SSN", "IBAN", "IPV4", "IPV6", "SECRET",
          "PROJECT", "CODENAMES"]}},
      "in-block": {"input": {"action": "block", "detectors": ["CARD", "SECRET"]}},
      "in-log": {"input": {"action": "log", "detectors": ["EMAIL"]}},
      "out-redact": {"output": {"action": "redact", "detectors": ["EMAIL", "SECRET", "CARD"]}},
      "out-block": {"output": {"action": "block", "detectors": ["SECRET"]}},
      "out-log": {"output": {"action": "log", "detectors": ["SECRET"]}},
      "svc-closed": {"service": {"location": "/guard-svc", "fail": "closed"}},
      "svc-open": {"service": {"location": "/guard-svc", "fail": "open"}},
      "svc-slow": {"service": {"location": "/guard-slow"}},
      "both": {"input": {"action": "redact", "detectors": ["EMAIL"]},
               "output": {"action": "redact", "detectors": ["SECRET"]},
               "service": {"location": "/guard-svc"}},
      "team-block": {"input": {"action": "block", "detectors": ["EMAIL"]}},
      "baseline": {"input": {"action": "redact", "detectors": ["SSN"]}}
    },
    "default": "baseline"
  },
  "unpriced_models": "allow"
}
JSON
}

sub files {
    my %o = @_;
    my $s = ">>> llmgw.json\n" . governance()
          . ">>> anthropic-message.json\n" . ($o{anthropic} // $LlmgwXlate::anthropic_message) . "\n"
          . ">>> gemini-generateContent.json\n" . ($o{gemini} // $LlmgwXlate::gemini_response) . "\n"
          . ">>> verdict.json\n" . ($o{verdict} // '{"action":"allow"}') . "\n";
    $s .= ">>> stream.sse\n$o{stream}" if defined $o{stream};
    return $s;
}

sub openai_stream {
    my (%o) = @_;
    my $head = '{"id":"chatcmpl-g1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,';
    my $s = "data: ${head}\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
    for my $d (@{ $o{deltas} || [] }) {
        $s .= "data: ${head}\"delta\":{\"content\":" . $json->encode($d) . "},\"finish_reason\":null}]}\n\n";
    }
    for my $d (@{ $o{args} || [] }) {
        $s .= "data: ${head}\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":" . $json->encode($d) . "}}]},\"finish_reason\":null}]}\n\n";
    }
    $s .= "data: ${head}\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
    $s .= 'data: {"id":"chatcmpl-g1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":77,"total_tokens":86}}' . "\n\n";
    $s .= "data: [DONE]\n\n";
    return $s;
}

sub anthropic_stream {
    my (@deltas) = @_;
    my $s = "event: message_start\n"
          . 'data: {"type":"message_start","message":{"id":"msg_g1","type":"message","role":"assistant","model":"claude-sonnet-4","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":1}}}' . "\n\n"
          . "event: content_block_start\n"
          . 'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}' . "\n\n";
    for my $d (@deltas) {
        $s .= "event: content_block_delta\n"
            . 'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":' . $json->encode($d) . "}}\n\n";
    }
    $s .= "event: content_block_stop\n" . 'data: {"type":"content_block_stop","index":0}' . "\n\n"
        . "event: message_delta\n"
        . 'data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":77}}' . "\n\n"
        . "event: message_stop\n" . 'data: {"type":"message_stop"}' . "\n\n";
    return $s;
}

sub gemini_stream {
    my (@deltas) = @_;
    my $s = '';
    for my $i (0 .. $#deltas) {
        my $last = $i == $#deltas;
        $s .= 'data: {"candidates": [{"content": {"parts": [{"text": ' . $json->encode($deltas[$i]) . '}],"role": "model"}'
            . ($last ? ',"finishReason": "STOP"' : '') . ',"index": 0}]'
            . ($last ? ',"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 77,"totalTokenCount": 86}' : '')
            . ',"modelVersion": "gemini-2.5-flash","responseId": "g-1"}' . "\r\n\r\n";
    }
    return $s;
}

# what an OpenAI SDK makes of a stream: the text, the tool arguments, how
# it finished, whether it ended with [DONE], any error
sub openai_text {
    my $body = shift;
    my ($text, $args, $finish, $done, $error) = ('', '', '', 0, '');
    for my $data ($body =~ /^data: (.*)$/mg) {
        if ($data eq '[DONE]') { $done = 1; next }
        my $v = eval { $json->decode($data) } or return "not JSON: $data";
        if ($v->{error}) { $error = "$v->{error}{type}: $v->{error}{message}"; next }
        for my $c (@{ $v->{choices} || [] }) {
            $text .= $c->{delta}{content} // '';
            $args .= $_->{function}{arguments} // ''
                for @{ $c->{delta}{tool_calls} || [] };
            $finish = $c->{finish_reason} if defined $c->{finish_reason};
        }
    }
    return "text=$text\nargs=$args\nfinish=$finish\ndone=$done\nerror=$error\n";
}

# what an Anthropic SDK makes of one: text, stop reason, message_stop
sub anthropic_text {
    my $body = shift;
    my ($text, $stop, $end, $error) = ('', '', 0, '');
    while ($body =~ /^event: (\S+)\ndata: (.*)$/mg) {
        my ($event, $data) = ($1, $2);
        my $v = eval { $json->decode($data) } or return "not JSON: $data";
        return "event $event, data $v->{type}\n" if $v->{type} ne $event;
        $text .= $v->{delta}{text} // '' if $event eq 'content_block_delta';
        $stop = $v->{delta}{stop_reason} if $event eq 'message_delta';
        $end = 1 if $event eq 'message_stop';
        $error = "$v->{error}{type}: $v->{error}{message}" if $event eq 'error';
    }
    return "text=$text\nstop=$stop\nend=$end\nerror=$error\n";
}

# the body the echo provider got
sub echoed_body {
    my $s = shift;
    return $s =~ /"body":(.*)\}\s*$/s ? "$1\n" : "no body in: $s";
}

sub import {
    no strict 'refs';
    *{"main::guard_files"} = \&files;
    *{"main::openai_stream"} = \&openai_stream;
    *{"main::anthropic_stream"} = \&anthropic_stream;
    *{"main::gemini_stream"} = \&gemini_stream;
    *{"main::openai_text"} = \&openai_text;
    *{"main::anthropic_text"} = \&anthropic_text;
    *{"main::echoed_body"} = \&echoed_body;
}

1;
