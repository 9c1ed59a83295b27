# The OpenAI-compatible provider kinds: where each one's API lives and how
# it takes its key.

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

our $kinds = '{"providers":{'
  . '"azure":{"kind":"azure","upstream":"mock","scheme":"http","host":"contoso.openai.azure.com","base_path":"/echo/openai","api_version":"2024-10-21","keys":[{"id":"az","value":"env.TEST_LLMGW_PROVIDER_KEY"}],"deployments":{"gpt-4o":"prod gpt4o"}},'
  . '"groq":{"kind":"groq","upstream":"mock","scheme":"http","keys":[{"id":"gq","value":"env.TEST_LLMGW_PROVIDER_KEY"}]},'
  . '"mistral":{"kind":"mistral","upstream":"mock","scheme":"http","base_path":"/echo/v1","keys":[{"id":"mi","value":"env.TEST_LLMGW_PROVIDER_KEY"}]},'
  . '"ollama":{"kind":"ollama","upstream":"mock","base_path":"/echo/v1"}'
  . '},"virtual_keys":[{"id":"k","key_sha256":"' . ::digest('sk-test-alpha')
  . '","providers":["azure","groq","mistral","ollama"]}],'
  . '"unpriced_models":"allow"}';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: Azure OpenAI: deployment in the path, api-version, api-key header
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n$::kinds"
--- request eval
[
"POST /v1/chat/completions\n" . '{"model":"azure/gpt-4o","messages":[{"role":"user","content":"Hi"}]}',
"POST /v1/embeddings\n" . '{"model":"azure/text-embedding-3-large","input":"Hi"}',
]
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like eval
[
qr{^\{"uri":"/echo/openai/deployments/prod%20gpt4o/chat/completions\?api-version=2024-10-21","host":"contoso.openai.azure.com","auth":"authorization= x-api-key= x-goog-api-key= x-llmgw-key= api-key=sk-prov-alpha-0123456789 accept-encoding=",.*"body":\{"model":"gpt-4o",},
qr{^\{"uri":"/echo/openai/deployments/text-embedding-3-large/embeddings\?api-version=2024-10-21",},
]



=== TEST 2: Groq's default base path and host
--- http_config eval: $::http_config
--- config eval
$::config . q{
    location = /openai/v1/chat/completions {
        default_type application/json;
        return 200 '{"host":"$host","auth":"$http_authorization"}';
    }
}
--- user_files eval
">>> llmgw.json\n$::kinds"
--- request
POST /v1/chat/completions
{"model":"groq/llama-3.3-70b-versatile","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body chomp
{"host":"api.groq.com","auth":"Bearer sk-prov-alpha-0123456789"}



=== TEST 3: Mistral does not take stream_options: none is added
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n$::kinds"
--- request
POST /v1/chat/completions
{"model":"mistral/mistral-large-latest","stream":true,"messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like: "body":\{"model":"mistral-large-latest","stream":true,"messages":\[\{"role":"user","content":"Hi"\}\]\}\}$



=== TEST 4: a local Ollama gets no key at all
--- http_config eval: $::http_config
--- config eval: $::config
--- user_files eval
">>> llmgw.json\n$::kinds"
--- request
POST /v1/chat/completions
{"model":"ollama/llama3.2:3b","messages":[{"role":"user","content":"Hi"}]}
--- more_headers
Authorization: Bearer sk-test-alpha
--- response_body_like: "auth":"authorization= x-api-key= x-goog-api-key= x-llmgw-key= api-key= accept-encoding=",.*"body":\{"model":"llama3.2:3b"
