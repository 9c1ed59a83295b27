#!/usr/bin/perl
# Greps the logs of a whole test run (the Test::Nginx runner's
# TEST_NGINX_LOG_ARCHIVE) for every secret the suites use: virtual keys,
# provider keys, AWS credentials, the audit key.  Left out: nginx's own
# debug lines (at debug level nginx logs request headers itself, so never
# run production at debug), and the lines the mock providers write about
# the requests they received ("upstream: ", "bedrock: "), which show what a
# provider gets, its key included.
#
#     tools/check-secrets.pl ARCHIVE_DIR

use strict;
use warnings;

my $dir = shift or die "usage: $0 ARCHIVE_DIR\n";
use FindBin ();
my $root = "$FindBin::Bin/..";

my %secret;
for my $f (glob("$root/t/*.t"), glob("$root/t/inc/*.pm")) {
    open my $in, '<', $f or die "$f: $!";
    local $/;
    my $text = <$in>;
    $secret{$_} = 1 for $text =~ /\b(sk-[A-Za-z0-9_-]{6,})/g;
    $secret{$_} = 1 for $text =~ /(wJalrXUtnFEMI\S{10,}?)['"]/g;
    $secret{$_} = 1 for $text =~ /audit_key = "([^"\\]+)/g;
}
# prefixes the suites match on are not secrets of their own
delete $secret{$_} for grep { /-$/ } keys %secret;
die "no secrets found in t/: the pattern is wrong\n" unless %secret;

my @logs = glob "$dir/*";
die "no logs in $dir: were the suites run with our runner?\n" unless @logs;

my ($lines, $found) = (0, 0);
my $any = join '|', map { quotemeta } sort keys %secret;

for my $log (@logs) {
    open my $in, '<', $log or die "$log: $!";
    my $debug = 0;
    while (my $line = <$in>) {
        $lines++;
        if ($line =~ m{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\]}) {
            $debug = $1 eq 'debug' && $line !~ /\d+#\d+: (?:\*\d+ )?llmgw/;
        }
        next if $debug;
        next if $line =~ /^(?:upstream|bedrock): /;
        next if $line =~ /\[notice\] \d+#\d+: \*\d+ "[^"]*" (?:does not match|matches) "/;
        next unless $line =~ /($any)/;
        $found++;
        print "$log:$.: $1\n" if $found <= 20;
    }
}

printf "check-secrets: %d secrets, %d log lines in %d files: %s\n",
    scalar keys %secret, $lines, scalar @logs,
    $found ? "$found lines show a secret" : "none shows a secret";
exit($found ? 1 : 0);
