#!/usr/bin/perl
# Writes conf.d/mock-bedrock-stream.bin, the demo mock's converse-stream
# answer: Bedrock's binary event stream (application/vnd.amazon.eventstream)
# of a short reply with its usage.  Frames: total length, headers length,
# prelude CRC32, headers (name, type 7 = string, value), JSON payload,
# message CRC32.
use strict;
use warnings;
use Compress::Zlib qw(crc32);

sub frame {
    my ($type, $payload) = @_;
    my %h = (':event-type' => $type, ':content-type' => 'application/json',
             ':message-type' => 'event');
    my $h = join '', map { pack('C', length) . $_ . pack('Cn', 7, length $h{$_}) . $h{$_} }
        sort keys %h;
    my $prelude = pack 'NN', 16 + length($h) + length($payload), length $h;
    my $msg = $prelude . pack('N', crc32($prelude)) . $h . $payload;
    return $msg . pack('N', crc32($msg));
}

my $out = shift // 'conf.d/mock-bedrock-stream.bin';
open my $fh, '>:raw', $out or die "$out: $!";
print $fh frame('messageStart', '{"role":"assistant"}'),
    frame('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"Hello from"}}'),
    frame('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":" the llmgw Bedrock mock!"}}'),
    frame('contentBlockStop', '{"contentBlockIndex":0}'),
    frame('messageStop', '{"stopReason":"end_turn"}'),
    frame('metadata', '{"usage":{"inputTokens":11,"outputTokens":8,"totalTokens":19},"metrics":{"latencyMs":42}}');
close $fh;
