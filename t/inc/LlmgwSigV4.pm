package LlmgwSigV4;

# AWS Signature Version 4, computed here in Perl, apart from the module's C
# signer, to check the signature the gateway put on a request: the
# Bedrock-shaped mock hands back what it received (method, URI as sent,
# Host, X-Amz-Date, X-Amz-Security-Token, Authorization, and the body), and
# check() recomputes the Authorization header from those and the
# credentials the suite configured.

use strict;
use warnings;
use Digest::SHA qw(sha256_hex hmac_sha256 hmac_sha256_hex);

# every byte but the unreserved ones, percent-encoded
sub uri_encode {
    my ($s, $keep_slash) = @_;
    my $safe = $keep_slash ? 'A-Za-z0-9\-_.~/' : 'A-Za-z0-9\-_.~';
    $s =~ s/([^$safe])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# %o: method, uri (as sent, encoded once), host, date, token (or undef),
# body, access_key, secret, region, service
sub authorization {
    my %o = @_;
    my ($path, $query) = split /\?/, $o{uri}, 2;

    # services other than S3 sign the path encoded once more
    my $canonical_uri = uri_encode($path, 1);
    my $canonical_query = join '&', sort map {
        my ($k, $v) = split /=/, $_, 2;
        uri_encode($k) . '=' . uri_encode($v // '')
    } grep { length } split /&/, $query // '';

    my %h = (host => $o{host}, 'x-amz-date' => $o{date});
    $h{'x-amz-security-token'} = $o{token} if defined $o{token} && length $o{token};
    my @names = sort keys %h;
    my $headers = join '', map { "$_:$h{$_}\n" } @names;
    my $signed = join ';', @names;

    my $creq = join "\n", $o{method}, $canonical_uri, $canonical_query,
        $headers, $signed, sha256_hex($o{body});

    my $day = substr $o{date}, 0, 8;
    my $scope = "$day/$o{region}/$o{service}/aws4_request";
    my $sts = join "\n", 'AWS4-HMAC-SHA256', $o{date}, $scope, sha256_hex($creq);

    my $k = hmac_sha256($day, "AWS4$o{secret}");
    $k = hmac_sha256($o{region}, $k);
    $k = hmac_sha256($o{service}, $k);
    $k = hmac_sha256('aws4_request', $k);

    return "AWS4-HMAC-SHA256 Credential=$o{access_key}/$scope, "
         . "SignedHeaders=$signed, Signature=" . hmac_sha256_hex($sts, $k);
}

sub import {
    no strict 'refs';
    *{"main::sigv4_authorization"} = \&authorization;
}

1;
