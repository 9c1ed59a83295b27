#!/usr/bin/perl
# llmgw bench: writes the request bodies and the mock provider's canned
# responses into DIR.  Deterministic: the same bytes on every run.
#
#   chat-1k.json chat-32k.json chat-256k.json   chat requests of that size,
#       shaped like a coding agent's: a long system prompt, tool definitions,
#       tool calls and file contents as tool results (JSON escapes galore);
#       members in sorted order, so "model" comes after "messages" (as the
#       OpenAI Python SDK sends them)
#   stream.json       a 1 KB chat request with "stream": true
#   embeddings.json   one ~1 KB chunk of text, base64 (the SDKs' default)
#   mock-chat.inc mock-stream.inc mock-embeddings.inc
#       nginx lines that answer for the mock: an OpenAI chat completion, a
#       stream of 200 `data:` events ("usage":null in each, as OpenAI sends
#       them when include_usage is asked for, the usage chunk last) and
#       [DONE], an embedding of 1536 dimensions
use strict;
use utf8;
use warnings;
use JSON::PP;
use MIME::Base64;

my $dir = shift or die "usage: gen.pl DIR\n";
my $json = JSON::PP->new->utf8->canonical;

my @prompt = split /\n/, <<'END';
You are an interactive coding agent running in the user's terminal. You help with software engineering tasks: fixing bugs, adding features, refactoring, explaining code.
# Tone and style
Be concise. Answer in fewer than 4 lines unless the user asks for detail. Do not add "Here is the code:" preambles or summaries after the fact — the user sees the diff.
When you run a non-trivial command, explain what it does and why, e.g. "Running `make test` to check the parser change against the suites."
# Following conventions
Before changing a file, read it and mimic its style: naming, indentation (tabs vs. spaces), comment density, error handling. Never assume a library is available: check `package.json`, `Cargo.toml`, `go.mod` or the imports of neighbouring files.
	- Prefer editing existing files to creating new ones.
	- Never write secrets, keys or tokens into the repository or the logs.
	- Keep changes minimal: "a bug fix does not need surrounding cleanup".
# Tool use
Use the `read_file` tool to read files, `edit_file` to change them (old_string must match exactly, including whitespace), `run` for shell commands (non-interactive; 120 s timeout) and `search` for ripgrep queries. Batch independent tool calls in one message.
<env>
Working directory: /home/dev/src/payments-api
Is the directory a git repo: yes
Platform: linux — Today's date: 2025-11-24
</env>
IMPORTANT: refuse to write code that looks malicious, even "for educational purposes". Ünïcödé and emoji 🚀 in user files must survive edits byte for byte.
END

my @code = split /\n/, <<'END';
static ngx_int_t
payments_refund(ngx_http_request_t *r, payment_t *p, int64_t amount)
{
    if (amount <= 0 || amount > p->captured - p->refunded) {
	ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
	              "refund of %L on \"%V\" exceeds the captured amount", amount, &p->id);
        return NGX_HTTP_BAD_REQUEST;
    }
    /* the ledger row comes first: "refunded" is derived from it */
    if (ledger_append(r->pool, &p->id, LEDGER_REFUND, -amount) != NGX_OK) {
        return NGX_ERROR;
    }
    p->refunded += amount;
    return NGX_OK;
}
END

# raw text of lines from @lines whose JSON-encoded size is at most $n bytes
sub text {
    my ($lines, $n, $seed) = @_;
    my ($t, $i) = ('', 0);
    while (1) {
        my $l = $lines->[$i++ % @$lines] . " [$seed.$i]\n";
        last if length($json->encode([$t . $l])) - 4 > $n;
        $t .= $l;
    }
    return $t;
}

sub tool_call {
    my ($id, $name, $args) = @_;
    return { id => $id, type => 'function',
             function => { name => $name, arguments => $json->encode($args) } };
}

sub chat {
    my ($size, %opt) = @_;
    my $sys = $size < 8192 ? $size - 420 : $size < 65536 ? $size / 3 : 16384;
    my @tools = map { { type => 'function', function => {
        name => $_, description => "The $_ tool: see the system prompt.",
        parameters => { type => 'object', required => ['path'],
            properties => { path => { type => 'string' },
                            content => { type => 'string' } } } } } }
        qw(read_file edit_file run search);
    my $req = {
        model => 'gpt-4o-mini', temperature => 0.2, max_tokens => 4096,
        ($opt{stream} ? (stream => JSON::PP::true) : ()),
        ($size >= 8192 ? (tools => \@tools) : ()),
        messages => [
            { role => 'system', content => text(\@prompt, $sys, 's') },
            { role => 'user', content =>
              'The refund endpoint returns 500 when amount is "0". Fix it.' },
        ],
    };
    # the rest of the size: files the agent read, as tool results
    for (my $n = 1; ; $n++) {
        my $left = $size - length($json->encode($req)) - 300;
        last if $left < 512;
        my $chunk = $left > 16384 ? 16384 : $left;
        push @{ $req->{messages} },
            { role => 'assistant', content => undef, tool_calls => [
                tool_call("call_$n", 'read_file', { path => "src/pay$n.c" }) ] },
            { role => 'tool', tool_call_id => "call_$n",
              content => text(\@code, $chunk, "f$n") };
    }
    # pad to the exact size with a plain-ASCII tail on the last message
    my $pad = $size - length($json->encode($req));
    die "gen.pl: chat body of $size over by ", -$pad, " bytes\n" if $pad < 0;
    $req->{messages}[-1]{content} .= 'x' x $pad;
    return $json->encode($req);
}

sub write_file {
    my ($name, $data) = @_;
    open my $f, '>', "$dir/$name" or die "$dir/$name: $!\n";
    print $f $data;
    close $f;
}

# nginx lines that answer $body: a token is at most 4 KB in nginx's
# configuration, so `set` pieces and `return` them joined.  In quotes,
# \ ' and newlines are escaped; no $ in a body.
sub nginx_return {
    my ($name, $body) = @_;
    die "gen.pl: \$ in a mock body\n" if $body =~ /\$/;
    my ($conf, $vars) = ('', '');
    for (my $i = 0; length $body; $i++) {
        my $piece = substr($body, 0, 2048, '');
        $piece =~ s/([\\'])/\\$1/g;
        $piece =~ s/\n/\\n/g;
        $conf .= "set \$${name}_$i '$piece';\n";
        $vars .= "\$${name}_$i";
    }
    return $conf . "return 200 \"$vars\";\n";
}

write_file("chat-1k.json", chat(1024));
write_file("chat-32k.json", chat(32 * 1024));
write_file("chat-256k.json", chat(256 * 1024));
write_file("stream.json", chat(1024, stream => 1));
write_file("embeddings.json", $json->encode({
    model => 'text-embedding-3-small', encoding_format => 'base64',
    input => text(\@prompt, 1000, 'e') }));

my $usage = { prompt_tokens => 8532, completion_tokens => 212,
    total_tokens => 8744,
    prompt_tokens_details => { cached_tokens => 8192, audio_tokens => 0 },
    completion_tokens_details => { reasoning_tokens => 0, audio_tokens => 0,
        accepted_prediction_tokens => 0, rejected_prediction_tokens => 0 } };
my %head = (id => 'chatcmpl-BenchBenchBenchBenchBenchBench01', created => 1732406400,
    model => 'gpt-4o-mini-2024-07-18', system_fingerprint => 'fp_0aa8d3e20b',
    service_tier => 'default');

write_file("mock-chat.inc", nginx_return("chat", $json->encode({ %head,
    object => 'chat.completion', usage => $usage,
    choices => [{ index => 0, logprobs => undef, finish_reason => 'stop',
        message => { role => 'assistant', refusal => undef, content =>
            "The handler divides by `amount` before checking it. Check first:\n\n"
            . "```c\n" . join("\n", @code[0 .. 7]) . "\n```\n\nThen \"0\" is a 400." } }],
}) . "\n"));

my @words = split ' ', 'The handler divides by amount before it checks it, so a '
    . 'refund of zero reaches the ledger with a zero divisor. Move the check '
    . 'to the top of payments_refund and answer 400 for it.';
my @events = ({ role => 'assistant', content => '', refusal => undef });
push @events, { content => ' ' . $words[$_ % @words] } for 0 .. 196;
my $stream = '';
for my $i (0 .. $#events + 2) {
    my $last = $i == $#events + 2;
    my $ev = { %head, object => 'chat.completion.chunk',
        usage => $last ? $usage : undef,
        choices => $last ? [] : [{ index => 0, logprobs => undef,
            delta => $i <= $#events ? $events[$i] : {},
            finish_reason => $i <= $#events ? undef : 'stop' }] };
    $stream .= 'data: ' . $json->encode($ev) . "\n\n";
}
write_file("mock-stream.inc", nginx_return("stream", $stream . "data: [DONE]\n\n"));

srand(42);
write_file("mock-embeddings.inc", nginx_return("embedding", $json->encode({
    object => 'list', model => 'text-embedding-3-small',
    data => [{ object => 'embedding', index => 0, embedding =>
        encode_base64(pack('f<*', map { rand(0.2) - 0.1 } 1 .. 1536), '') }],
    usage => { prompt_tokens => 211, total_tokens => 211 } }) . "\n"));
