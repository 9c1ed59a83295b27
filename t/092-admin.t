# The admin API (`llmgw_admin;`): keys, teams and customers created, edited,
# rotated, disabled and deleted at run time, each with a version; roles;
# the audit trail; what a change does to the gateway's next request.

use lib 't/inc';
use LlmgwTest;
use Test::Nginx::Socket 'no_plan';

our %tok = (admin => 'sk-adm-admin-0001', viewer => 'sk-adm-viewer-0002',
            auditor => 'sk-adm-auditor-0003', keys => 'sk-adm-keys-0004');

our $admin_json = '"admin": {"tokens": ['
    . join(', ', map {
          my $role = $_ eq 'keys' ? 'key-manager' : $_;
          qq|{"id": "$_-token", "sha256": "| . ::digest($tok{$_}) . qq|", "role": "$role"}|
      } sort keys %tok)
    . ']}, "teams": {"platform": {"name": "Platform", "budgets": [{"limit": 5, "period": "1d"}]}}';

our $files = ">>> llmgw.json\n" . ::governance(top => $admin_json);

our $config = $LlmgwTest::config . <<'_EOC_';
    location /llmgw/admin/ {
        llmgw_admin;
    }
_EOC_

our $body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}';

sub as { "Authorization: Bearer " . ($tok{$_[0]} // $_[0]) }
sub chat { "POST /v1/chat/completions\n$body" }

no_shuffle();
LlmgwTest::store_setup();
run_tests();

__DATA__

=== TEST 1: whoami for each role; no token and a wrong one are 401s in OpenAI's shape
--- http_config eval: $::http_config
--- config eval: $::config . "# 1\n"
--- user_files eval: $::files
--- request eval
[ ("GET /llmgw/admin/whoami") x 6 ]
--- more_headers eval
[ ::as('admin'), ::as('viewer'), ::as('auditor'), ::as('keys'), "", ::as('sk-adm-wrong-0000') ]
--- error_code eval
[200, 200, 200, 200, 401, 401]
--- response_body_like eval
[ qr/^\{"subject":"admin-token","role":"admin","via":"token","permissions":\["read","usage","keys","govern","audit"\]\}$/,
  qr/^\{"subject":"viewer-token","role":"viewer","via":"token","permissions":\["read","usage"\]\}$/,
  qr/^\{"subject":"auditor-token","role":"auditor","via":"token","permissions":\["usage","audit"\]\}$/,
  qr/^\{"subject":"keys-token","role":"key-manager","via":"token","permissions":\["read","usage","keys"\]\}$/,
  qr/^\{"error":\{"message":"an admin token is required \(Authorization: Bearer\)","type":"authentication_error","param":null,"code":"missing_token"\}\}$/,
  qr/^\{"error":\{"message":"invalid admin token","type":"authentication_error","param":null,"code":"invalid_token"\}\}$/ ]



=== TEST 2: a key made through the API works at once; disabled and enabled again; deleted
--- http_config eval: $::http_config
--- config eval: $::config . "# 2\n"
--- user_files eval: $::files
--- request eval
[ "POST /llmgw/admin/keys\n{\"id\":\"ci-bot\",\"name\":\"CI bot\",\"team\":\"platform\",\"providers\":[\"mock\"],\"secret\":\"sk-imported-ci-bot-0001\"}",
  ::chat(),
  "POST /llmgw/admin/keys/ci-bot/disable",
  ::chat(),
  "POST /llmgw/admin/keys/ci-bot/enable",
  ::chat(),
  "DELETE /llmgw/admin/keys/ci-bot",
  ::chat(),
  "GET /llmgw/admin/keys/ci-bot" ]
--- more_headers eval
[ ::as('keys'), "Authorization: Bearer sk-imported-ci-bot-0001",
  ::as('keys'), "Authorization: Bearer sk-imported-ci-bot-0001",
  ::as('keys'), "Authorization: Bearer sk-imported-ci-bot-0001",
  ::as('keys'), "Authorization: Bearer sk-imported-ci-bot-0001",
  ::as('keys') ]
--- error_code eval
[201, 200, 200, 403, 200, 200, 200, 401, 404]
--- response_body_like eval
[ qr/^\{"key":\{"id":"ci-bot","key_hint":"\.\.\.0001","name":"CI bot","providers":\["mock"\],"team":"platform","version":1,"source":"api","created_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","updated_at":"[^"]+","override":null\}\}$/,
  qr/Hi there!/,
  qr/"enabled":false,.*"version":2,/,
  qr/"code":"key_disabled"/,
  qr/"enabled":true,.*"version":3,/,
  qr/Hi there!/,
  qr/^\{"id":"ci-bot","deleted":true\}$/,
  qr/"code":"invalid_api_key"/,
  qr/^\{"error":\{"message":"no key \\"ci-bot\\"","type":"invalid_request_error","param":null,"code":"not_found"\}\}$/ ]



=== TEST 3: a minted key: the secret shown once, only its digest kept
--- http_config eval: $::http_config
--- config eval: $::config . "# 3\n"
--- user_files eval: $::files
--- request eval
[ "POST /llmgw/admin/keys\n{\"id\":\"minted\",\"providers\":[\"mock\"]}",
  "GET /llmgw/admin/keys/minted",
  "GET /llmgw/admin/keys" ]
--- more_headers eval
[ (::as('admin')) x 3 ]
--- error_code eval
[201, 200, 200]
--- response_body_like eval
[ qr/^\{"key":\{"id":"minted","key_hint":"\.\.\.[A-Za-z0-9_-]{4}","providers":\["mock"\],"version":1,.*\},"secret":"sk-llmgw-[A-Za-z0-9_-]{43}"\}$/,
  qr/^\{"id":"minted","key_hint":"\.\.\.[A-Za-z0-9_-]{4}","providers":\["mock"\],"version":1,"source":"api",[^{}]*\}$/,
  qr/^\{"object":"list","data":\[\{"id":"alpha",[^{}]*"source":"file",.*\{"id":"minted",[^{}]*"source":"api"[^{}]*\}\]\}$/ ]
--- no_error_log
key_sha256



=== TEST 4: rotation: the old secret is refused at once, the new one works
--- http_config eval: $::http_config
--- config eval: $::config . "# 4\n"
--- user_files eval: $::files
--- request eval
[ "POST /llmgw/admin/keys\n{\"id\":\"rot\",\"providers\":[\"mock\"],\"secret\":\"sk-rotate-me-old-0001\"}",
  ::chat(),
  "POST /llmgw/admin/keys/rot/rotate\n{\"secret\":\"sk-rotate-me-new-0002\"}",
  ::chat(), ::chat() ]
--- more_headers eval
[ ::as('admin'), "Authorization: Bearer sk-rotate-me-old-0001", ::as('admin'),
  "Authorization: Bearer sk-rotate-me-old-0001",
  "Authorization: Bearer sk-rotate-me-new-0002" ]
--- error_code eval
[201, 200, 200, 401, 200]
--- response_body_like eval
[ qr/"version":1/, qr/Hi there/,
  qr/^\{"key":\{"id":"rot","key_hint":"\.\.\.0002",.*"version":2,.*\}\}$/,
  qr/invalid_api_key/, qr/Hi there/ ]



=== TEST 5: edits name the version they edit: none is a 428, a stale one a 409, nothing changed
--- http_config eval: $::http_config
--- config eval: $::config . "# 5\n"
--- user_files eval: $::files
--- request eval
[ "PATCH /llmgw/admin/keys/beta\n{\"name\":\"Beta\"}",
  "PATCH /llmgw/admin/keys/beta\n{\"name\":\"Beta 1\",\"version\":1}",
  "PATCH /llmgw/admin/keys/beta\n{\"name\":\"Beta 2\",\"version\":1}",
  "GET /llmgw/admin/keys/beta" ]
--- more_headers eval
[ (::as('admin')) x 4 ]
--- error_code eval
[428, 200, 409, 200]
--- response_body_like eval
[ qr/^\{"error":\{"message":"say which version you edit: \\"version\\": 1 in the body, or If-Match: \\"1\\"","type":"invalid_request_error","param":null,"code":"version_required"\}\}$/,
  qr/"name":"Beta 1",.*"version":2,"source":"api"/,
  qr/^\{"error":\{"message":"key \\"beta\\" is at version 2, not 1: read it again","type":"conflict_error","param":null,"code":"version_conflict"\}\}$/,
  qr/"name":"Beta 1",.*"version":2,/ ]



=== TEST 6: a key of the file edited with If-Match, then deleted: its secret stops working
--- http_config eval: $::http_config
--- config eval: $::config . "# 6\n"
--- user_files eval: $::files
--- request eval
[ "GET /llmgw/admin/keys/alpha",
  "PATCH /llmgw/admin/keys/alpha\n{\"enabled\":false}",
  ::chat(),
  "GET /llmgw/admin/keys",
  "DELETE /llmgw/admin/keys/alpha",
  ::chat(),
  "GET /llmgw/admin/keys" ]
--- more_headers eval
[ ::as('admin'), ::as('admin') . "\nIf-Match: \"1\"", "Authorization: Bearer sk-test-alpha",
  ::as('admin'), ::as('admin') . "\nIf-Match: \"2\"", "Authorization: Bearer sk-test-alpha",
  ::as('admin') ]
--- error_code eval
[200, 200, 403, 200, 200, 401, 200]
--- response_body_like eval
[ qr/^\{"id":"alpha","name":"Alpha team",.*"version":1,"source":"file","created_at":null,"updated_at":null,"key_hint":null,"override":null\}$/,
  qr/"enabled":false,.*"version":2,"source":"api"/,
  qr/key_disabled/,
  qr/^(?!.*"id":"alpha",[^{}]*"source":"file").*\{"enabled":false,"id":"alpha",[^{}]*"version":2,"source":"api"/,
  qr/"deleted":true/, qr/invalid_api_key/,
  qr/^\{"object":"list","data":\[(?!.*"id":"alpha").*\{"id":"beta",/ ]



=== TEST 7: what the file would refuse, the API refuses, naming the field
--- http_config eval: $::http_config
--- config eval: $::config . "# 7\n"
--- user_files eval: $::files
--- request eval
[ "POST /llmgw/admin/keys\n{\"id\":\"k1\",\"providers\":[\"nope\"]}",
  "POST /llmgw/admin/keys\n{\"id\":\"k2\",\"team\":\"ghosts\",\"providers\":[\"mock\"]}",
  "POST /llmgw/admin/keys\n{\"id\":\"k3\",\"providers\":[\"mock\"],\"colour\":\"red\"}",
  "POST /llmgw/admin/keys\n{\"id\":\"k4\",\"providers\":[\"mock\"],\"budgets\":[{\"limit\":-1,\"period\":\"1d\"}]}",
  "POST /llmgw/admin/keys\n{\"id\":\"bad id!\",\"providers\":[\"mock\"]}",
  "POST /llmgw/admin/keys\nnot json",
  "POST /llmgw/admin/keys\n{\"id\":\"alpha\",\"providers\":[\"mock\"]}",
  "POST /llmgw/admin/keys\n{\"id\":\"k5\",\"providers\":[\"mock\"],\"key_sha256\":\"00\"}",
  "POST /llmgw/admin/keys\n{\"id\":\"k6\",\"providers\":[\"mock\"],\"secret\":\"sk-test-beta-but-longer\"}",
  "GET /llmgw/admin/keys" ]
--- more_headers eval
[ (::as('admin')) x 10 ]
--- error_code eval
[400, 400, 400, 400, 400, 400, 409, 400, 201, 200]
--- response_body_like eval
[ qr/"message":"virtual key \\"k1\\": \\"providers\\"\[0\]: unknown provider \\"nope\\"","type":"invalid_request_error","param":null,"code":"invalid_entity"/,
  qr/"message":"virtual key \\"k2\\": \\"team\\": no such team"/,
  qr/"message":"virtual key \\"k3\\": unknown field \\"colour\\""/,
  qr/"code":"invalid_entity"/,
  qr/"message":"virtual key \\"bad id!\\": an id has only letters, digits/,
  qr/"code":"invalid_json"/,
  qr/^\{"error":\{"message":"key \\"alpha\\" exists","type":"conflict_error","param":null,"code":"already_exists"\}\}$/,
  qr/"code":"invalid_field"/,
  qr/"id":"k6"/,
  qr/^(?!.*"id":"k[1-5]")/ ]



=== TEST 8: teams: made, used by a key, not deleted while a key is in it
--- http_config eval: $::http_config
--- config eval: $::config . "# 8\n"
--- user_files eval: $::files
--- request eval
[ "POST /llmgw/admin/teams\n{\"id\":\"data\",\"name\":\"Data\",\"budgets\":[{\"limit\":0.000001,\"period\":\"1d\"}]}",
  "POST /llmgw/admin/keys\n{\"id\":\"analyst\",\"team\":\"data\",\"providers\":[\"mock\"],\"secret\":\"sk-data-analyst-0001\"}",
  ::chat(),
  "DELETE /llmgw/admin/teams/data",
  "PATCH /llmgw/admin/teams/data\n{\"budgets\":[{\"limit\":10,\"period\":\"1d\"}],\"version\":1}",
  ::chat(),
  "DELETE /llmgw/admin/keys/analyst",
  "DELETE /llmgw/admin/teams/data",
  "GET /llmgw/admin/teams" ]
--- more_headers eval
[ ::as('admin'), ::as('admin'), "Authorization: Bearer sk-data-analyst-0001",
  ::as('admin'), ::as('admin'), "Authorization: Bearer sk-data-analyst-0001",
  ::as('admin'), ::as('admin'), ::as('viewer') ]
--- error_code eval
[201, 201, 402, 409, 200, 200, 200, 200, 200]
--- response_body_like eval
[ qr/^\{"budgets":\[\{"limit":1e-6,"period":"1d"\}\],"name":"Data","id":"data","version":1,"source":"api",/,
  qr/"team":"data"/,
  qr/Budget exceeded for team \\"data\\"/,
  qr/^\{"error":\{"message":"cannot delete team \\"data\\": virtual key \\"analyst\\": \\"team\\": no such team","type":"conflict_error","param":null,"code":"in_use"\}\}$/,
  qr/"limit":10,/,
  qr/Hi there/,
  qr/"deleted":true/, qr/"deleted":true/,
  qr/^\{"object":"list","data":\[\{"name":"Platform",.*"id":"platform","version":1,"source":"file",[^{}]*\}\]\}$/ ]



=== TEST 9: a file key moved under a team made through the API is charged there
--- http_config eval: $::http_config
--- config eval: $::config . "# 9\n"
--- user_files eval: $::files
--- request eval
[ "POST /llmgw/admin/teams\n{\"id\":\"tight\",\"budgets\":[{\"limit\":0.000001,\"period\":\"1d\"}]}",
  "PATCH /llmgw/admin/keys/beta\n{\"team\":\"tight\",\"version\":1}",
  ::chat(),
  "PATCH /llmgw/admin/teams/tight\n{\"budgets\":null,\"version\":1}",
  ::chat() ]
--- more_headers eval
[ ::as('admin'), ::as('admin'), "Authorization: Bearer sk-test-beta",
  ::as('admin'), "Authorization: Bearer sk-test-beta" ]
--- error_code eval
[201, 200, 402, 200, 200]
--- response_body_like eval
[ qr/"id":"tight"/, qr/"team":"tight"/, qr/Budget exceeded for team \\"tight\\"/,
  qr/"version":2/, qr/Hi there/ ]



=== TEST 10: a temporary budget override: replaces the key's budget until it ends, then removed
--- http_config eval: $::http_config
--- config eval: $::config . "# 10\n"
--- user_files eval: $::files
--- request eval
[ "POST /llmgw/admin/keys\n{\"id\":\"ovr\",\"providers\":[\"mock\"],\"budgets\":[{\"limit\":100,\"period\":\"1d\"}],\"secret\":\"sk-override-me-00001\"}",
  "PUT /llmgw/admin/keys/ovr/override\n{\"budgets\":[{\"limit\":0.000001,\"period\":\"1d\"}],\"expires_at\":\"2099-01-01T00:00:00Z\",\"reason\":\"incident 42\"}",
  ::chat(),
  "PUT /llmgw/admin/keys/ovr/override\n{\"budgets\":[],\"expires_at\":\"2020-01-01T00:00:00Z\"}",
  "DELETE /llmgw/admin/keys/ovr/override",
  ::chat(),
  "PUT /llmgw/admin/keys/ovr/override\n{\"budgets\":[],\"expires_at\":\"2099-01-01T00:00:00Z\"}" ]
--- more_headers eval
[ ::as('admin'), ::as('admin'), "Authorization: Bearer sk-override-me-00001",
  ::as('admin'), ::as('admin'), "Authorization: Bearer sk-override-me-00001",
  ::as('keys') ]
--- error_code eval
[201, 200, 402, 400, 200, 200, 403]
--- response_body_like eval
[ qr/"id":"ovr"/,
  qr/"override":\{"budgets":\[\{"limit":1e-6,"period":"1d"\}\],"expires_at":"2099-01-01T00:00:00Z","reason":"incident 42"\},"providers":\["mock"\],"version":2/,
  qr/Budget exceeded for key \\"ovr\\": \$0\.000000 of \$0\.000001 per 1d/,
  qr/"code":"invalid_override"/,
  qr/"override":null/,
  qr/Hi there/,
  qr/"code":"forbidden"/ ]



=== TEST 11: usage and remaining budget of a key, its team, a customer-less team
--- http_config eval: $::http_config
--- config eval: $::config . "# 11\n"
--- user_files eval: $::files
--- request eval
[ "POST /llmgw/admin/keys\n{\"id\":\"u1\",\"team\":\"platform\",\"providers\":[\"mock\"],\"rate_limit\":{\"requests\":10,\"window\":\"1h\"},\"secret\":\"sk-usage-key-0000001\"}",
  ::chat(), ::chat(),
  "GET /llmgw/admin/keys/u1/usage",
  "GET /llmgw/admin/teams/platform/usage",
  "GET /llmgw/admin/customers/nobody/usage",
  "GET /llmgw/admin/keys/u1/usage" ]
--- more_headers eval
[ ::as('admin'), "Authorization: Bearer sk-usage-key-0000001", "Authorization: Bearer sk-usage-key-0000001",
  ::as('auditor'), ::as('viewer'), ::as('viewer'), "Authorization: Bearer sk-usage-key-0000001" ]
--- error_code eval
[201, 200, 200, 200, 200, 404, 401]
--- response_body_like eval
[ qr/"id":"u1"/, qr/Hi there/, qr/Hi there/,
  qr/^\{"object":"llmgw.usage","level":"key","id":"u1","limits":\[\{"level":"key","id":"u1","kind":"requests","window":"1h","limit":10,"used":2,"remaining":8,"resets_at":\d+\},\{"level":"team","id":"platform","kind":"budget","period":"1d","reset":"calendar","limit_usd":"5.000000","spent_usd":"0.000\d+","remaining_usd":"4.999\d+","resets_at":\d+\}\]\}$/,
  qr/^\{"object":"llmgw.usage","level":"team","id":"platform","limits":\[\{"level":"team","id":"platform","kind":"budget",.*"spent_usd":"0.000\d+"/,
  qr/"code":"not_found"/,
  qr/invalid admin token/ ]



=== TEST 12: every route under every role
--- http_config eval: $::http_config
--- config eval: $::config . "# 12\n"
--- user_files eval: $::files
--- request eval
my @r = (
  "GET /llmgw/admin/keys", "GET /llmgw/admin/keys/alpha",
  "POST /llmgw/admin/keys\n{\"id\":\"r-ROLE\",\"providers\":[\"mock\"],\"secret\":\"sk-role-test-ROLE-0001\"}",
  "PATCH /llmgw/admin/keys/r-ROLE\n{\"name\":\"x\",\"version\":1}",
  "POST /llmgw/admin/keys/r-ROLE/rotate\n{\"secret\":\"sk-role-test-ROLE-0002\"}",
  "POST /llmgw/admin/keys/r-ROLE/disable", "PUT /llmgw/admin/keys/r-ROLE/override\n{\"budgets\":[],\"expires_at\":\"2099-01-01T00:00:00Z\"}",
  "GET /llmgw/admin/keys/r-ROLE/usage", "DELETE /llmgw/admin/keys/r-ROLE",
  "GET /llmgw/admin/teams", "POST /llmgw/admin/teams\n{\"id\":\"t-ROLE\"}",
  "PATCH /llmgw/admin/teams/t-ROLE\n{\"name\":\"x\",\"version\":1}", "DELETE /llmgw/admin/teams/t-ROLE",
  "GET /llmgw/admin/customers", "POST /llmgw/admin/customers\n{\"id\":\"c-ROLE\"}",
  "GET /llmgw/admin/stats", "GET /llmgw/admin/audit", "GET /llmgw/admin/dashboard",
  "PUT /llmgw/admin/teams/platform/override\n{\"budgets\":[],\"expires_at\":\"2099-01-01T00:00:00Z\"}",
  "DELETE /llmgw/admin/teams/platform/override", "GET /llmgw/admin/customers/c-ROLE",
  "PATCH /llmgw/admin/customers/c-ROLE\n{\"name\":\"x\",\"version\":1}",
  "DELETE /llmgw/admin/customers/c-ROLE", "GET /llmgw/admin/teams/platform/usage");
[ map { my $role = $_; map { (my $x = $_) =~ s/ROLE/$role/g; $x } @r } qw(admin keys viewer auditor) ]
--- more_headers eval
[ map { (::as($_)) x 24 } qw(admin keys viewer auditor) ]
--- error_code eval
[
  # admin
  200, 200, 201, 200, 200, 200, 200, 200, 200, 200, 201, 200, 200, 200, 201, 200, 200, 200,
  200, 200, 200, 200, 200, 200,
  # key-manager: no teams, customers, overrides or audit
  200, 200, 201, 200, 200, 200, 403, 200, 200, 200, 403, 403, 403, 200, 403, 200, 403, 200,
  403, 403, 404, 403, 403, 200,
  # viewer: reads
  200, 200, 403, 403, 403, 403, 403, 404, 403, 200, 403, 403, 403, 200, 403, 200, 403, 200,
  403, 403, 404, 403, 403, 200,
  # auditor: usage and the trail, no key settings
  403, 403, 403, 403, 403, 403, 403, 404, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200,
  403, 403, 403, 403, 403, 200,
]



=== TEST 13: the trail: who did what, before and after, newest first; in the audit log, chained, no secret
--- http_config eval: $::http_config . "    llmgw_audit_log logs/audit.log;\n    llmgw_audit_key ../html/audit.key;\n"
--- config eval: $::config . "    location = /audit.log { alias logs/audit.log; }\n# 13\n"
--- user_files eval: $::files . ">>> audit.key\n0123456789abcdef0123456789abcdef\n"
--- request eval
[ "POST /llmgw/admin/keys\n{\"id\":\"tr\",\"providers\":[\"mock\"],\"secret\":\"sk-trail-secret-0001\"}",
  "POST /llmgw/admin/keys/tr/disable",
  "GET /llmgw/admin/audit?limit=1",
  "GET /llmgw/admin/audit",
  "GET /audit.log" ]
--- more_headers eval
[ ::as('keys'), ::as('keys'), ::as('auditor'), ::as('admin'), "" ]
--- error_code eval
[201, 200, 200, 200, 200]
--- response_body_like eval
[ qr/"id":"tr"/, qr/"enabled":false/,
  qr/^\{"object":"list","data":\[\{"type":"admin","time":"[^"]+","who":"keys-token","role":"key-manager","via":"token","action":"key.disable","entity":"key","id":"tr","status":200,"before":\{[^{}]*"version":1,[^{}]*\},"after":\{"enabled":false,[^{}]*"version":2,[^{}]*\}\}\]\}$/,
  qr/^\{"object":"list","data":\[\{[^\n]*"action":"key.disable"[^\n]*\},\{[^\n]*"action":"key.create","entity":"key","id":"tr","status":201,"before":null,"after":\{[^\n]*\}\}\]\}$/,
  qr/^\{"type":"admin",[^\n]*"action":"key.create"[^\n]*,"chain":"[^"]+","seq":1,"mac":"[0-9a-f]{64}"\}\n\{"type":"admin",[^\n]*"action":"key.disable"[^\n]*,"seq":2,"mac":"[0-9a-f]{64}"\}\n$/ ]



=== TEST 14: routes and methods that do not exist; no admin section
--- http_config eval: $::http_config
--- config eval: $::config . "# 14\n"
--- user_files eval: $::files
--- request eval
[ "GET /llmgw/admin/nothing", "POST /llmgw/admin/whoami", "PUT /llmgw/admin/keys/alpha",
  "POST /llmgw/admin/keys/alpha/explode", "GET /llmgw/admin/keys/alpha/usage/more",
  "DELETE /llmgw/admin/keys", "PATCH /llmgw/admin/teams\n{}" ]
--- more_headers eval
[ (::as('admin')) x 7 ]
--- error_code eval
[404, 405, 405, 404, 404, 405, 405]
--- response_body_like eval
[ qr/"code":"unknown_route"/, qr/"code":"method_not_allowed"/, qr/"code":"method_not_allowed"/,
  qr/"code":"unknown_route"/, qr/"code":"unknown_route"/, qr/"code":"method_not_allowed"/,
  qr/"code":"method_not_allowed"/ ]



=== TEST 15: without an "admin" section the API is off
--- http_config eval: $::http_config
--- config eval: $::config . "# 15\n"
--- user_files eval
">>> llmgw.json\n" . ::governance()
--- request
GET /llmgw/admin/keys
--- more_headers eval: ::as('admin')
--- error_code: 403
--- response_body_like: "code":"admin_disabled"



=== TEST 16: an admin token of an unknown role stops nginx -t
--- http_config eval: $::http_config
--- config eval: $::config . "# 16\n"
--- user_files eval
">>> llmgw.json\n" . ::governance(top => '"admin": {"tokens": [{"id": "x", "sha256": "' . ::digest('x') . '", "role": "root"}]}')
--- must_die
--- error_log
"admin"."tokens"[0]: unknown role "root" (admin, key-manager, viewer, auditor)



=== TEST 17: the dashboard: one static page, no token needed to load it
--- http_config eval: $::http_config
--- config eval: $::config . "# 17\n"
--- user_files eval: $::files
--- request
GET /llmgw/admin/dashboard
--- error_code: 200
--- response_headers
Content-Type: text/html; charset=utf-8
Cache-Control: no-store
--- response_headers_like
Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'.*frame-ancestors 'none'
--- response_body_like: <title>[^<]*llmgw[^<]*</title>



=== TEST 18: a body over 256 KB is refused unread, in JSON, and the connection closed
--- http_config eval: $::http_config
--- config eval: $::config . "# 18\n"
--- user_files eval: $::files
--- request
POST /llmgw/admin/keys
{"id":"big"}
--- more_headers eval
::as('admin') . "\nContent-Length: 300000"
--- error_code: 413
--- response_headers
Connection: close
--- response_body_like: ^\{"error":\{"message":"an admin request is at most 262144 bytes","type":"invalid_request_error","param":null,"code":"body_too_large"\}\}$



=== TEST 19: a version must be a positive integer
--- http_config eval: $::http_config
--- config eval: $::config . "# 19\n"
--- user_files eval: $::files
--- request eval
[ "PATCH /llmgw/admin/keys/beta\n{\"name\":\"x\",\"version\":-1}",
  "PATCH /llmgw/admin/keys/beta\n{\"name\":\"x\",\"version\":\"1\"}",
  "PUT /llmgw/admin/keys/beta/override\n{\"budgets\":[],\"expires_at\":\"2099-01-01T00:00:00Z\",\"version\":0}" ]
--- more_headers eval
[ (::as('admin')) x 3 ]
--- error_code eval
[400, 400, 400]
--- response_body_like eval
[ (qr/"code":"invalid_version"/) x 3 ]
