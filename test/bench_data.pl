#!/usr/bin/perl
# llmgw parser bench: writes the inputs of bench.c into DIR, from
# ../bench/gen.pl (run from test/):
#   body.json      a 76 KB coding-agent chat request
#   chat.json      the mock's chat completion (~1.1 KB)
#   emb-b64.json   the mock's embeddings response, base64 (~8.4 KB)
#   emb-float.json the same vector as a float array, as OpenAI sends it
#                  with encoding_format "float"
#   stream.sse     the mock's stream: 200 `data:` events and [DONE]
use strict;
use warnings;

my $dir = shift or die "usage: bench_data.pl DIR\n";
@ARGV = ($dir);
do '../bench/gen.pl';
die $@ if $@;

sub put {
    my ($name, $data) = @_;
    open my $f, '>', "$dir/$name" or die "$dir/$name: $!\n";
    print $f $data;
    close $f;
}

# the body a mock-*.inc answers with: its `set` pieces, unescaped
sub mock {
    my ($inc) = @_;
    open my $f, '<', "$dir/$inc" or die "$dir/$inc: $!\n";
    my $body = '';
    while (<$f>) {
        next unless /^set \$\w+ '(.*)';$/;
        (my $s = $1) =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
        $body .= $s;
    }
    return $body;
}

put('body.json', chat(76 * 1024));
put('chat.json', mock('mock-chat.inc'));
put('emb-b64.json', mock('mock-embeddings.inc'));
put('stream.sse', mock('mock-stream.inc'));

srand(42);
my @v = map { sprintf '%.10f', rand(0.2) - 0.1 } 1 .. 1536;
put('emb-float.json', '{"object":"list","data":[{"object":"embedding",'
    . '"index":0,"embedding":[' . join(',', @v) . ']}],'
    . '"model":"text-embedding-3-small",'
    . '"usage":{"prompt_tokens":211,"total_tokens":211}}' . "\n");
