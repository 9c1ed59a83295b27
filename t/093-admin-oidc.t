# The admin API with OIDC bearer JWTs: keys from a JWKS file or fetched
# through an internal location, every way a token is refused, roles from a
# claim.  Tokens and keys: t/fixtures/oidc (make.sh).

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

our $fx = "$ENV{TEST_NGINX_LLMGW_ROOT}/t/fixtures/oidc";

sub token {
    my $name = shift;
    open my $f, '<', "$fx/$name.jwt" or die "$fx/$name.jwt: $!";
    chomp(my $t = <$f>);
    return "Authorization: Bearer $t";
}

sub slurp {
    open my $f, '<', $_[0] or die "$_[0]: $!";
    local $/;
    return scalar <$f>;
}

# the governance file with "admin": {"oidc": {...}}; arguments replace or
# (undef) remove its members
sub admin_gov {
    my %o = (
        issuer => '"https://idp.example.com/"',
        audience => '"llmgw-admin"',
        jwks_file => qq("$fx/jwks.json"),
        roles => '{"llmgw-admins": "admin", "llmgw-key-managers": "key-manager", '
            . '"llmgw-viewers": "viewer", "llmgw-auditors": "auditor"}',
        @_,
    );
    my $oidc = join ', ', map { qq("$_": $o{$_}) } grep { defined $o{$_} } sort keys %o;
    return ">>> llmgw.json\n" . ::governance(top => qq("admin": {"oidc": {$oidc}}));
}

our $jwks = slurp("$fx/jwks.json");

sub spit {
    open my $f, '>', $_[0] or die "$_[0]: $!";
    print $f $_[1];
    close $f;
}

our $http = $::http_config . <<'_EOC_';
    log_format jwks_fetch 'JWKS FETCH $uri $status';
    log_format jwks_origin 'JWKS ORIGIN $uri';
_EOC_

our $admin = $::config . <<'_EOC_';
    location /llmgw/admin/ {
        llmgw_admin;
    }

    # the IdP's JWKS URL, here a file
    location = /_llmgw_jwks {
        internal;
        log_subrequest on;
        access_log logs/error.log jwks_fetch;
        default_type application/json;
        alias $TEST_NGINX_LLMGW_ROOT/t/fixtures/oidc/jwks.json;
    }

    # slow: about 2 seconds
    location = /_llmgw_jwks_slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/_jwks_slow_origin;
    }

    location = /_jwks_slow_origin {
        access_log logs/error.log jwks_origin;
        default_type application/json;
        limit_rate_after 0;
        limit_rate 400;
        alias $TEST_NGINX_LLMGW_ROOT/t/fixtures/oidc/jwks.json;
    }

    location = /_llmgw_jwks_html {
        internal;
        log_subrequest on;
        access_log logs/error.log jwks_fetch;
        default_type application/json;
        alias html/jwks-live.json;
    }

    location = /_llmgw_jwks_small {
        internal;
        subrequest_output_buffer_size 128;
        default_type application/json;
        alias $TEST_NGINX_LLMGW_ROOT/t/fixtures/oidc/jwks.json;
    }

    location = /_llmgw_jwks_down {
        internal;
        proxy_pass http://127.0.0.1:1/jwks.json;
    }

    # one answer, then the port is closed
    location = /_llmgw_jwks_once {
        internal;
        proxy_set_header Host idp.test;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/jwks.json;
    }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: RS256 from a JWKS file: the most powerful role of "groups", the subject is the email
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('rs256-admin')
--- error_code: 200
--- response_body_like: "subject":"alice@example.com","role":"admin","via":"oidc"
--- no_error_log
[error]
OIDC token refused



=== TEST 2: ES256, no email: the subject is "sub"
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('es256-viewer')
--- error_code: 200
--- response_body_like: "subject":"u-bob","role":"viewer","via":"oidc"



=== TEST 3: a dotted role claim (Keycloak's realm_access.roles)
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(role_claim => '"realm_access.roles"')
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('es256-viewer')
--- error_code: 200
--- response_body_like: "subject":"u-bob","role":"key-manager","via":"oidc"



=== TEST 4: viewer and auditor add up; "aud" an array holding ours
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('viewer-auditor')
--- error_code: 200
--- response_body_like: "subject":"carol@example.com","role":"viewer\+auditor","via":"oidc"



=== TEST 5: subject_claim
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(subject_claim => '"sub"')
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('rs256-admin')
--- error_code: 200
--- response_body_like: "subject":"u-alice","role":"admin"



=== TEST 6: an email not verified is not the subject
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('unverified-email')
--- error_code: 200
--- response_body_like: "subject":"u-mallory","role":"viewer"



=== TEST 7: JWKS through jwks_location: fetched by the first request
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(jwks_file => undef, jwks_location => '"/_llmgw_jwks"')
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('rs256-admin')
--- error_code: 200
--- response_body_like: "subject":"alice@example.com","role":"admin","via":"oidc"
--- grep_error_log eval: qr/JWKS FETCH \S+ \d+/
--- grep_error_log_out
JWKS FETCH /_llmgw_jwks 200
--- no_error_log
[error]



=== TEST 8: (the same nginx) then cached
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('es256-viewer')
--- error_code: 200
--- response_body_like: "subject":"u-bob","role":"viewer","via":"oidc"
--- no_error_log
JWKS FETCH
[error]



=== TEST 9: a bad signature; the token is not logged
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('bad-signature')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: signature: does not verify
--- no_error_log eval
[(::token('bad-signature') =~ /\.([^.]+)$/)[0]]



=== TEST 10: the wrong issuer
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('wrong-issuer')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: issuer



=== TEST 11: the wrong audience
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('wrong-audience')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: audience



=== TEST 12: expired (2023)
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('expired')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: expired



=== TEST 13: not yet valid (nbf in 2099)
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('not-yet-valid')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: not yet valid



=== TEST 14: alg none
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('alg-none')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: alg



=== TEST 15: HS256 signed with the RSA public key as the secret (key confusion)
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('hs256-confusion')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: alg



=== TEST 16: ES256 naming an RSA key's kid
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('es256-rsa-kid')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: kid



=== TEST 17: "algorithms": ["ES256"] refuses RS256
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(algorithms => '["ES256"]')
--- request eval
["GET /llmgw/admin/whoami", "GET /llmgw/admin/whoami"]
--- more_headers eval
[::token('rs256-admin'), ::token('es256-viewer')]
--- error_code eval
[401, 200]



=== TEST 18: an unknown kid, from a file
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('unknown-kid')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: kid



=== TEST 19: an unknown kid through jwks_location fetches again...
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(jwks_file => undef, jwks_location => '"/_llmgw_jwks"')
--- log_level: info
--- request eval
["GET /llmgw/admin/whoami", "GET /llmgw/admin/whoami"]
--- more_headers eval
[::token('rs256-admin'), ::token('unknown-kid')]
--- error_code eval
[200, 401]
--- grep_error_log eval: qr/JWKS FETCH \S+ \d+/
--- grep_error_log_out
JWKS FETCH /_llmgw_jwks 200



=== TEST 20: (the same nginx) ...once per 30 seconds
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('unknown-kid')
--- error_code: 401
--- response_body_like: "type":"authentication_error"
--- error_log
OIDC token refused: kid
--- no_error_log
JWKS FETCH



=== TEST 21: the key of the unknown kid is in a newer JWKS
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(jwks_file => qq("$::fx/jwks-rotated.json"))
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('unknown-kid')
--- error_code: 200
--- response_body_like: "subject":"erin@example.com","role":"admin"



=== TEST 22: a new key through jwks_location...
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval
::admin_gov(jwks_file => undef, jwks_location => '"/_llmgw_jwks_html"')
. ">>> jwks-live.json\n$::jwks"
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('rs256-admin')
--- error_code: 200
--- grep_error_log eval: qr/JWKS FETCH \S+ \d+/
--- grep_error_log_out
JWKS FETCH /_llmgw_jwks_html 200



=== TEST 23: (the same nginx, the IdP publishes rsa-2) ...is fetched for a token of its kid
--- init
::spit(::html_dir() . '/jwks-live.json', ::slurp("$::fx/jwks-rotated.json"))
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('unknown-kid')
--- error_code: 200
--- response_body_like: "subject":"erin@example.com","role":"admin"
--- grep_error_log eval: qr/JWKS FETCH \S+ \d+/
--- grep_error_log_out
JWKS FETCH /_llmgw_jwks_html 200



=== TEST 24: a valid token that maps to no role: 403
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov()
--- log_level: info
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('no-role')
--- error_code: 403
--- response_body_like: "type":"permission_error"
--- error_log
the OIDC token of "u-dave" grants no llmgw role (claim "groups")



=== TEST 25: the JWKS location is down: 503...
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(jwks_file => undef, jwks_location => '"/_llmgw_jwks_down"')
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('rs256-admin')
--- error_code: 503
--- grep_error_log eval: qr/connect\(\) failed|no OIDC keys from "[^"]+": the subrequest failed \(\d+\)/
--- grep_error_log_out
connect() failed
no OIDC keys from "/_llmgw_jwks_down": the subrequest failed (502)



=== TEST 26: (the same nginx) ...and not tried again for 10 seconds
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('rs256-admin')
--- error_code: 503
--- no_error_log
connect() failed
no OIDC keys



=== TEST 27: a JWKS over the location's subrequest_output_buffer_size says so in the log
(nginx drops the client's connection: ngx_http_output_filter sets c->error)
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(jwks_file => undef, jwks_location => '"/_llmgw_jwks_small"')
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('rs256-admin')
--- ignore_response
--- error_log
too big subrequest response
no OIDC keys from "/_llmgw_jwks_small": the subrequest failed (an answer over the location's subrequest_output_buffer_size?)



=== TEST 28: the JWKS request carries none of the client's headers
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval
::admin_gov(jwks_file => undef, jwks_location => '"/_llmgw_jwks_once"', jwks_cache => 1)
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
"GET /jwks.json HTTP/1.0\r\nHost: idp.test\r\nConnection: close\r\n\r\n"
--- tcp_reply eval
"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
. length($::jwks) . "\r\n\r\n$::jwks"
--- request
GET /llmgw/admin/whoami
--- more_headers eval
::token('rs256-admin') . "\nX-Secret: client-only"
--- error_code: 200
--- response_body_like: "role":"admin"
--- wait: 2.1



=== TEST 29: (the same nginx, 2 seconds later, the IdP down) the stale JWKS serves
--- request
GET /llmgw/admin/whoami
--- more_headers eval: ::token('es256-viewer')
--- error_code: 200
--- response_body_like: "subject":"u-bob"
--- error_log
no OIDC keys from "/_llmgw_jwks_once"
the previous ones serve



=== TEST 30: requests that find the JWKS being fetched wait for that fetch
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(jwks_file => undef, jwks_location => '"/_llmgw_jwks_slow"')
--- init
::write_result(::parallel_statuses(10, "GET /llmgw/admin/whoami HTTP/1.0\r\n"
    . "Host: localhost\r\n" . ::token('rs256-admin') . "\r\n\r\n"));
--- request
GET /result.txt
--- response_body
200 x10
--- grep_error_log eval: qr/JWKS ORIGIN \S+/
--- grep_error_log_out
JWKS ORIGIN /_jwks_slow_origin



=== TEST 31: configuration: an unknown field
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(jwks_url => '"https://idp.example.com/jwks"')
--- must_die
--- error_log
"oidc": unknown field "jwks_url"



=== TEST 32: configuration: jwks_file and jwks_location both
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(jwks_location => '"/_llmgw_jwks"')
--- must_die
--- error_log
either "jwks_file" or "jwks_location" is required, not both



=== TEST 33: configuration: no issuer
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(issuer => undef)
--- must_die
--- error_log
"oidc": "issuer" is required



=== TEST 34: configuration: a role that is none of llmgw's
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(roles => '{"llmgw-admins": "superuser"}')
--- must_die
--- error_log
"roles": "llmgw-admins" must map a claim value to "admin", "key-manager", "viewer" or "auditor"



=== TEST 35: configuration: HS256
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(algorithms => '["RS256", "HS256"]')
--- must_die
--- error_log
"algorithms" must be a non-empty array of "RS256" and "ES256"



=== TEST 36: configuration: clock_skew over 300 seconds
--- http_config eval: $::http
--- config eval: $::admin
--- user_files eval: ::admin_gov(clock_skew => 600)
--- must_die
--- error_log
"clock_skew" must be a number of seconds, 0 to 300



=== TEST 37: configuration: a jwks_file that is not there
--- http_config eval: $::http
--- config eval: $::config
--- user_files eval: ::admin_gov(jwks_file => '"/nonexistent/llmgw/jwks.json"')
--- must_die
--- error_log
"oidc": "jwks_file" "/nonexistent/llmgw/jwks.json" cannot be opened
