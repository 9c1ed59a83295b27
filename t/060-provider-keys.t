# A provider's API keys: named in the file (env. or file:), chosen by
# weight, never shown.

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_LLMGW_ZERO} = 'sk-prov-never-used';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: weights 3, 1 and 0: nginx's smooth weighted round robin, a a b a
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance() =~ s{\{"id": "echo-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"\}}{{"id": "p-a", "value": "env.TEST_LLMGW_PROVIDER_KEY", "weight": 3}, {"id": "p-b", "value": "env.TEST_LLMGW_PROVIDER_KEY2", "weight": 1}, {"id": "p-zero", "value": "env.TEST_LLMGW_ZERO", "weight": 0}}r
--- request eval
[ map { "POST /v1/chat/completions\n" . '{"model":"echo/echo-1","messages":[{"role":"user","content":"Hi"}]}' } 1 .. 8 ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code eval
[ map { 200 } 1 .. 8 ]
--- response_body_like eval
[ map { $_ eq 'a' ? qr/"auth":"authorization=Bearer sk-prov-alpha-0123456789 / : qr/"auth":"authorization=Bearer sk-prov-beta-9876543210 / } qw(a a b a a a b a) ]



=== TEST 2: the chosen key's secret is the one the provider gets
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n" . ::governance() =~ s|"echo-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"|"echo-1", "value": "env.TEST_LLMGW_PROVIDER_KEY", "weight": 1}, {"id": "echo-2", "value": "env.TEST_LLMGW_PROVIDER_KEY2", "weight": 1|r
--- request eval
[ map { "POST /v1/chat/completions\n" . '{"model":"echo/echo-1","messages":[{"role":"user","content":"Hi"}]}' } 1 .. 4 ]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like eval
[
qr/"auth":"authorization=Bearer sk-prov-alpha-0123456789 /,
qr/"auth":"authorization=Bearer sk-prov-beta-9876543210 /,
qr/"auth":"authorization=Bearer sk-prov-alpha-0123456789 /,
qr/"auth":"authorization=Bearer sk-prov-beta-9876543210 /,
]



=== TEST 3: a key read from a file
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
[
  [ "llmgw.json" => ::governance() =~ s|"echo-1", "value": "env.TEST_LLMGW_PROVIDER_KEY"|"echo-1", "value": "file:../html/provider.key"|r ],
  [ "provider.key" => "sk-prov-from-a-file\n" ],
]
--- request
POST /v1/chat/completions
{"model":"echo/echo-1","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like: "auth":"authorization=Bearer sk-prov-from-a-file x-api-key=



=== TEST 4: usage variables in the access log
--- http_config eval
$::http_config . q{
    log_format custom '$remote_addr "$request" $status vk=$llmgw_virtual_key '
                      'p=$llmgw_provider m=$llmgw_model rm=$llmgw_requested_model '
                      'in=$llmgw_prompt_tokens out=$llmgw_completion_tokens';
}
--- config eval
$::config =~ s/access_log logs\/error.log llmgw_usage;/access_log logs\/error.log custom;/r
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
POST /v1/chat/completions
{"model":"fast","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- error_code: 200
--- error_log
"POST /v1/chat/completions HTTP/1.1" 200 vk=alpha p=mock m=gpt-4o-mini rm=fast in=13 out=7
