/*
 * llmgw: types shared by the stages of the request path.
 */

#ifndef _LLMGW_H_INCLUDED_
#define _LLMGW_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <time.h>

#include "llmgw_json.h"
#include "llmgw_sse.h"
#include "llmgw_store.h"
#include "llmgw_xlate.h"
#include "llmgw_evstream.h"
#include "llmgw_guard.h"


#define LLMGW_DIGEST_LEN        32
#define LLMGW_MAX_DEPTH         128
#define LLMGW_MAX_MODEL_LEN     256
#define LLMGW_MAX_ID_LEN        48
#define LLMGW_MAX_CHARGES       32

#define LLMGW_HTTP_PAYMENT_REQUIRED  402

/* money is counted in picodollars (1e-12 USD): a price per million tokens
 * times 1e6 is the price of one token, exactly, for any price quoted to six
 * decimals */
#define LLMGW_PICO_PER_USD      1000000000000LL


typedef enum {
    LLMGW_EP_UNKNOWN = 0,
    LLMGW_EP_CHAT,
    LLMGW_EP_EMBEDDINGS,
    LLMGW_EP_MODELS,
    LLMGW_EP_USAGE,
    LLMGW_EP_MESSAGES,          /* Anthropic's */
    LLMGW_EP_COUNT_TOKENS,      /* Anthropic's, answered here */
    LLMGW_EP_RESPONSES,         /* OpenAI's Responses API */
    LLMGW_EP_GENERATE,          /* Gemini's generateContent and
                                   streamGenerateContent */
    LLMGW_EP_GEMINI_COUNT       /* Gemini's countTokens, answered here */
} llmgw_endpoint_e;


typedef enum {
    LLMGW_LIMIT_REQUESTS = 0,
    LLMGW_LIMIT_TOKENS,
    LLMGW_LIMIT_SPEND
} llmgw_limit_kind_e;


typedef enum {
    LLMGW_LEVEL_ROUTE = 0,       /* a provider entry of a key */
    LLMGW_LEVEL_KEY,
    LLMGW_LEVEL_TEAM,
    LLMGW_LEVEL_CUSTOMER
} llmgw_level_e;


/* a rate limit (requests or tokens per window) or a budget (spend per
 * period) */
typedef struct {
    llmgw_limit_kind_e           kind;
    int64_t                      limit;      /* requests, tokens, picodollars */
    time_t                       length;     /* seconds; 0: calendar month/year */
    u_char                       unit;       /* 's' 'm' 'h' 'd' 'w' 'M' 'Y' */
    unsigned                     calendar:1;
    time_t                       anchor;     /* rolling periods count from */
    ngx_str_t                    name;       /* the period as written: "1d" */
    ngx_str_t                    prefix;     /* its store key but the start */
    uint32_t                     prefix_crc; /* crc32 state after prefix */
    time_t                       win_start;  /* the window last asked for, */
    time_t                       win_end;    /* per worker */
    u_char                       win_key[NGX_TIME_T_LEN]; /* its start as
                                                the store key ends, */
    size_t                       win_key_len;
    time_t                       win_key_start;
    uint32_t                     win_hash;   /* and the key's crc32 */
    void                        *gauge;      /* its metrics row, once found */
} llmgw_limit_t;


typedef struct llmgw_entity_s  llmgw_entity_t;

/* who is charged: a key, its provider entry, a team, a customer */
struct llmgw_entity_s {
    llmgw_level_e                level;
    ngx_str_t                    id;
    ngx_array_t                  limits;     /* llmgw_limit_t */
    llmgw_entity_t              *parent;
    void                        *guard;      /* llmgw_guard_policy_t */
    ngx_str_t                    doc;        /* a team or customer of the
                                                file: as written */
    void                        *spend;      /* its hourly spend in the
                                                zone, once found */
};


/* guardrails (llmgw_guard_conf.c): what a policy does where its detectors
 * fire, on the request (input) and on the answer (output) */
typedef enum {
    LLMGW_GUARD_NONE = 0,
    LLMGW_GUARD_LOG,
    LLMGW_GUARD_REDACT,
    LLMGW_GUARD_BLOCK
} llmgw_guard_action_e;


typedef struct {
    llmgw_guard_t               *guard;      /* NULL: nothing checked */
    llmgw_guard_action_e         action;
} llmgw_guard_side_t;


typedef struct {
    ngx_str_t                    name;
    llmgw_guard_side_t           input;
    llmgw_guard_side_t           output;
    ngx_str_t                    service;    /* an internal location */
    ngx_flag_t                   service_fail_open;
} llmgw_guard_policy_t;


/* what a charge is: for errors, headers and reports */
typedef struct {
    llmgw_entity_t              *entity;
    llmgw_limit_t               *limit;
} llmgw_charge_info_t;


typedef struct {
    int64_t                      input;      /* picodollars per token */
    int64_t                      output;
    int64_t                      cache_read;
    int64_t                      cache_write;
    int64_t                      max_output; /* tokens; 0: not known */
} llmgw_price_t;


typedef struct llmgw_ctx_s       llmgw_ctx_t;
typedef struct llmgw_provider_s  llmgw_provider_t;


/* one provider family: fills the upstream side of a request */
typedef struct {
    ngx_str_t                    name;
    const llmgw_format_t        *format;
    ngx_str_t                    scheme;
    ngx_str_t                    host;
    ngx_str_t                    base_path;
    ngx_str_t                    price_family;
    unsigned                     stream_usage_option:1;
    ngx_int_t                  (*init)(ngx_conf_t *cf, llmgw_provider_t *p);
    /* before the rewrite: the provider's format for this request, and
     * what must be fetched first (NGX_AGAIN: the phases run again) */
    ngx_int_t                  (*prepare)(ngx_http_request_t *r,
                                          llmgw_ctx_t *ctx);
    /* the upstream URI and the provider's credentials */
    ngx_int_t                  (*build)(ngx_http_request_t *r,
                                        llmgw_ctx_t *ctx);
    /* serves OpenAI's Responses API itself: its requests pass through */
    unsigned                     responses:1;
} llmgw_provider_kind_t;


/* smooth weighted round robin, as nginx's upstream peers: per worker */
typedef struct {
    ngx_int_t                    weight;
    ngx_int_t                    current;
} llmgw_wrr_t;


typedef struct {
    ngx_str_t                    id;
    ngx_str_t                    secret;     /* AWS: the secret access key */
    ngx_str_t                    access_key_id;  /* AWS SigV4 */
    ngx_str_t                    session_token;
    llmgw_wrr_t                  wrr;
    uint32_t                     health_id;  /* llmgw_health.c */
    u_char                       signing_date[8];  /* per worker */
    u_char                       signing_key[32];
} llmgw_api_key_t;


typedef struct {
    ngx_str_t                    model;
    ngx_str_t                    deployment;
} llmgw_deployment_t;


struct llmgw_provider_s {
    ngx_str_t                    name;
    const llmgw_provider_kind_t *kind;
    ngx_str_t                    upstream;   /* nginx upstream block */
    ngx_str_t                    scheme;
    ngx_str_t                    host;
    ngx_str_t                    base_path;
    ngx_str_t                    api_version;
    ngx_array_t                  keys;       /* llmgw_api_key_t */
    ngx_array_t                  models;     /* ngx_str_t, may be patterns */
    ngx_array_t                  deployments; /* llmgw_deployment_t */
    ngx_str_t                    project;    /* Vertex AI */
    ngx_str_t                    region;
    void                        *gauth;      /* llmgw_gauth.c: Google
                                                service account */
    ngx_str_t                    token_location; /* its token subrequest */
    int64_t                      default_max_tokens;
};


/* a provider a virtual key may use, and which of its models */
typedef struct {
    llmgw_provider_t            *provider;
    ngx_array_t                  models;     /* ngx_str_t patterns; empty: all */
    llmgw_wrr_t                  wrr;
    llmgw_entity_t               entity;     /* its own limits; parent: key */

    /* the metrics rows of the model last served, per worker */
    u_char                       metrics_model[64];
    size_t                       metrics_model_len;
    void                        *usage_row;
    void                        *latency_row;
} llmgw_route_t;


typedef struct {
    ngx_rbtree_node_t            node;       /* key: digest's first bytes */
    u_char                       digest[LLMGW_DIGEST_LEN];
    ngx_str_t                    id;
    ngx_str_t                    name;
    ngx_flag_t                   enabled;
    ngx_flag_t                   audit_content; /* the request's messages
                                                   in its audit record */
    time_t                       expires;    /* 0: never */
    ngx_array_t                  routes;     /* llmgw_route_t */
    llmgw_entity_t               entity;     /* parent: team or customer */
    ngx_str_t                    tag;        /* store hash tag: the top entity */
    ngx_array_t                  fallbacks;  /* ngx_str_t: model names */
    ngx_array_t                  aliases;    /* llmgw_alias_t: the key's,
                                                before the file's */
    unsigned                     metrics_key:2; /* per worker: 0 not yet
                                                   known, 1 its own series,
                                                   2 "_other" */
    unsigned                     gone:1;     /* a view's: the file's key of
                                                this digest is no more */
    ngx_str_t                    doc;        /* a file key: as written */
} llmgw_vkey_t;


/* llmgw_view.c: the admin API's keys, teams and customers over the
 * file's, as this worker sees them */
typedef struct llmgw_view_s  llmgw_view_t;


typedef struct {
    ngx_str_t                    from;       /* name or pattern */
    ngx_str_t                    to;         /* a '*' in it: the name asked
                                                for */
    unsigned                     pattern:1;
} llmgw_alias_t;


/* data residency: the keys, teams and customers it names may use only the
 * providers it names or those in its regions */
typedef struct {
    ngx_array_t                  keys;       /* ngx_str_t ids */
    ngx_array_t                  teams;
    ngx_array_t                  customers;
    ngx_array_t                  providers;  /* ngx_str_t patterns */
    ngx_array_t                  regions;
} llmgw_rule_t;


/* counters of llmgw_metrics.c; refusals: 2 per level, rate limit and
 * budget */
#define LLMGW_METRIC_REFUSED       0
#define LLMGW_METRIC_STORE_CLOSED  8
#define LLMGW_METRIC_STORE_OPEN    9
#define LLMGW_METRIC_UNPRICED      10
#define LLMGW_METRIC_AUDIT_RECORDS 11
#define LLMGW_METRIC_AUDIT_ERRORS  12
#define LLMGW_METRICS              13


/* the shared zone's root */
typedef struct {
    ngx_rbtree_t                 rbtree;     /* the shm store's counters */
    ngx_rbtree_node_t            sentinel;
    ngx_queue_t                  queue;
    ngx_atomic_t                 metrics[LLMGW_METRICS];
    void                        *gauth;      /* llmgw_gauth.c's token cache */
    void                        *health;     /* llmgw_health.c's keys */
    void                        *series;     /* llmgw_metrics.c's */
    void                        *overhead;   /* its overhead histogram */
    void                        *registry;   /* llmgw_registry.c's */
    void                        *spend;      /* llmgw_admin_stats.c's */
} llmgw_shm_t;


typedef struct {
    ngx_str_t                    file;
    ngx_array_t                  providers;  /* llmgw_provider_t */
    ngx_rbtree_t                 vkeys;
    ngx_rbtree_node_t            vkeys_sentinel;
    ngx_uint_t                   nvkeys;
    ngx_array_t                  aliases;    /* llmgw_alias_t */
    ngx_array_t                  rules;      /* llmgw_rule_t */
    ngx_array_t                  teams;      /* llmgw_entity_t */
    ngx_array_t                  customers;  /* llmgw_entity_t */
    ngx_hash_t                   prices;     /* see llmgw_price.c */
    ngx_uint_t                   price_overrides;  /* "prices" in the file */
    ngx_hash_keys_arrays_t      *price_keys; /* while reading the config */
    ngx_str_t                    prices_file;
    ngx_str_t                    prices_taken;
    ngx_flag_t                   allow_unpriced;
    int64_t                      default_max_output;
    ngx_flag_t                   fail_open;
    ngx_uint_t                   metrics_max_series;
    ngx_uint_t                   metrics_max_keys;
    ngx_array_t                  guard_policies; /* llmgw_guard_policy_t */
    llmgw_guard_policy_t        *guard_default;
    void                        *audit;      /* llmgw_audit.c */
    void                        *admin;      /* llmgw_admin_auth.c */
    ngx_msec_t                   admin_sync; /* Redis to the zone */
    ngx_msec_t                   key_cooldown;     /* 0: off */
    ngx_uint_t                   key_cooldown_429; /* 429s in a row */
    const llmgw_store_ops_t     *store_ops;
    void                        *store;
    ngx_str_t                    snapshot;
    ngx_str_t                    snapshot_tmp;
    ngx_msec_t                   snapshot_interval;
    ngx_shm_zone_t              *zone;
    ngx_slab_pool_t             *shpool;
    llmgw_shm_t                 *sh;
} llmgw_main_conf_t;


typedef struct {
    ngx_flag_t                   enable;
    ngx_flag_t                   fallback;   /* the failover location */
    ngx_flag_t                   admin;      /* the admin API's location */
    ngx_uint_t                   attempts;   /* at most, the first included */
    size_t                       max_body;
} llmgw_loc_conf_t;


#define LLMGW_MAX_ATTEMPTS  8

/* one try of a request on a provider */
typedef struct {
    llmgw_provider_t            *provider;
    ngx_str_t                    model;
    llmgw_api_key_t             *api_key;
    ngx_uint_t                   status;
    ngx_msec_t                   ms;
    ngx_uint_t                   tries;      /* peers nginx tried */
} llmgw_attempt_t;


/* W3C trace context, in hex as it is written */
typedef struct {
    u_char                       trace_id[32];
    u_char                       span_id[16];    /* the gateway's */
    u_char                       parent_id[16];  /* the client's */
    u_char                       flags[2];
    ngx_str_t                    state;
    unsigned                     continued:1;
} llmgw_trace_t;


/* how the log phase settled the reservation */
typedef enum {
    LLMGW_SETTLE_NONE = 0,      /* nothing was reserved */
    LLMGW_SETTLE_USAGE,         /* the provider's usage */
    LLMGW_SETTLE_RELEASED,      /* failed before the provider answered */
    LLMGW_SETTLE_STREAMED,      /* a stream cut short: its text counted */
    LLMGW_SETTLE_ESTIMATE       /* no usage reported: the estimate */
} llmgw_settle_e;


/* the governed fields of a request, read by the top-level scan */
typedef struct {
    llmgw_json_span_t            model;
    llmgw_json_span_t            stream;
    llmgw_json_span_t            stream_options;
    llmgw_json_span_t            messages;
    llmgw_json_span_t            input;
    llmgw_json_span_t            max_tokens;
    llmgw_json_span_t            max_completion_tokens;
    llmgw_json_span_t            user;
    llmgw_json_span_t            fallbacks;
    llmgw_json_span_t            temperature;
    llmgw_json_span_t            tools;
    llmgw_json_span_t            max_output_tokens;  /* Responses API */
    llmgw_json_span_t            contents;           /* Gemini's */
    llmgw_json_span_t            generation_config;  /* Gemini's */
    llmgw_json_scan_t            scan;
} llmgw_request_fields_t;


typedef enum {
    LLMGW_RESP_NONE = 0,
    LLMGW_RESP_JSON,
    LLMGW_RESP_SSE,
    LLMGW_RESP_ERROR,    /* an nginx error page, replaced by our JSON */
    LLMGW_RESP_XJSON,    /* a whole response, translated once complete */
    LLMGW_RESP_XSSE,     /* a stream, translated event by event */
    LLMGW_RESP_XEVS      /* an AWS event stream, translated to SSE */
} llmgw_resp_mode_e;


struct llmgw_ctx_s {
    llmgw_endpoint_e             endpoint;
    llmgw_format_e               client_format;

    ngx_int_t                    status;     /* decided in the body handler */
    ngx_str_t                    error_type;
    ngx_str_t                    error_code;
    ngx_str_t                    error_msg;

    llmgw_vkey_t                *vkey;
    llmgw_route_t               *route;
    llmgw_provider_t            *provider;
    llmgw_api_key_t             *api_key;

    ngx_str_t                    body;       /* the client's, contiguous */
    llmgw_request_fields_t       fields;
    ngx_str_t                    model;      /* as the client named it */
    int64_t                      max_output; /* tokens asked for; -1: not
                                                said */
    ngx_str_t                    upstream_model;
    ngx_str_t                    upstream_uri;
    ngx_str_t                    upstream_auth; /* Authorization value */
    ngx_str_t                    anthropic_version; /* the client's */
    ngx_str_t                    anthropic_beta;
    const llmgw_format_t        *pformat;   /* the provider's */

    llmgw_main_conf_t           *lmcf;
    llmgw_price_t               *price;
    llmgw_usage_t                estimate;
    int64_t                      estimate_cost;  /* picodollars */
    int64_t                      cost;
    llmgw_charge_t              *charges;
    ngx_uint_t                   ncharges;
    llmgw_charge_t              *refused;
    llmgw_store_waiter_t        *waiter;
    void                        *gauth_req;  /* llmgw_gauth.c */

    llmgw_resp_mode_e            resp_mode;
    llmgw_json_capture_t        *capture;
    llmgw_sse_t                  sse;
    ngx_chain_t                 *sse_out;
    ngx_chain_t                **sse_last;
    ngx_chain_t                 *free;
    ngx_chain_t                 *busy;
    llmgw_usage_t                usage;
    size_t                       streamed_text;  /* bytes, until usage */
    ngx_buf_t                   *error_page;
    llmgw_xstream_t             *xs;
    llmgw_out_t                 *xbody;     /* a whole response, so far */
    size_t                       xbody_len;
    u_char                      *xevent;    /* an event's data lines */
    size_t                       xevent_size;
    llmgw_evs_t                 *evs;       /* Bedrock's stream framing */

    ngx_array_t                 *fallbacks;  /* ngx_str_t: the request's */
    ngx_list_part_t             *client_headers; /* the last part of the
                                                    client's, credentials
                                                    left out */
    ngx_uint_t                   client_headers_nelts;
    llmgw_attempt_t              attempts[LLMGW_MAX_ATTEMPTS];
    ngx_uint_t                   nattempts;  /* failed ones */
    ngx_uint_t                   next_target; /* in the fallback chain */
    ngx_msec_t                   attempt_start;
    ngx_uint_t                   granted_in; /* r->uri_changes then */
    ngx_uint_t                   states_seen; /* r->upstream_states */

    llmgw_trace_t                trace;
    u_char                       request_id[32];
    uint64_t                     overhead_ns; /* the gateway's own time */
    uint64_t                     clock_mark;
    ngx_msec_t                   start;      /* ngx_current_msec */
    ngx_msec_t                   first_byte; /* ngx_current_msec */
    llmgw_settle_e               settlement;
    int64_t                      reserved_cost; /* of the served attempt */

    llmgw_guard_policy_t        *guard;      /* the request's, or NULL */
    uint64_t                     guard_in;   /* detectors fired, by bit */
    uint64_t                     guard_out;
    uint64_t                     guard_out_logged;
    void                        *guard_call; /* llmgw_guard_service.c */
    void                        *guard_stream; /* llmgw_guard_output.c */

    unsigned                     reading_body:1;
    unsigned                     granted:1;
    unsigned                     stream:1;
    unsigned                     drop_usage_chunk:1;
    unsigned                     error_sent:1;
    unsigned                     sse_failed:1;
    unsigned                     routed:1;
    unsigned                     reserve:1;  /* routed, not yet reserved */
    unsigned                     waiting:1;
    unsigned                     reserved:1;
    unsigned                     settled:1;
    unsigned                     translate:1; /* formats differ, or the
                                                 body needs a tree edit */
    unsigned                     vertex:1;
    unsigned                     include_usage:1; /* the client asked */
    unsigned                     embed_base64:1;  /* embeddings as base64 */
    unsigned                     evs_emit_failed:1;
    unsigned                     store_failed_open:1;
    unsigned                     clock_open:1;
    unsigned                     guarded:1;  /* the input was checked */
    unsigned                     guard_blocked:1; /* the output */
    unsigned                     usage_json:1; /* the answer's usage is in
                                                  its JSON body, not read yet */
};


extern ngx_module_t  ngx_http_llmgw_module;


/* llmgw_config.c */
char *llmgw_config_load(ngx_conf_t *cf, llmgw_main_conf_t *lmcf);
ngx_int_t llmgw_hex_decode(u_char *dst, u_char *hex, size_t len);
ngx_int_t llmgw_conf_read_file(ngx_conf_t *cf, ngx_str_t *path, size_t max,
    ngx_pool_t *pool, ngx_str_t *out, const char **why);
ngx_int_t llmgw_config_doc(llmgw_main_conf_t *lmcf, llmgw_view_t *view,
    ngx_pool_t *pool, u_char kind, ngx_str_t *id, json_t *doc,
    ngx_array_t *into, u_char *err, size_t errlen);

/* llmgw_view.c */
llmgw_vkey_t *llmgw_view_vkey(ngx_http_request_t *r,
    llmgw_main_conf_t *lmcf, u_char *digest);
llmgw_view_t *llmgw_view_get(llmgw_main_conf_t *lmcf, ngx_log_t *log);
ngx_int_t llmgw_view_hold(ngx_http_request_t *r, llmgw_view_t *view);
llmgw_entity_t *llmgw_view_entity(llmgw_main_conf_t *lmcf,
    llmgw_view_t *view, llmgw_level_e level, ngx_str_t *id);
ngx_int_t llmgw_view_insert(llmgw_view_t *view, llmgw_vkey_t *vk);

/* llmgw_admin*.c */
char *llmgw_admin_conf(ngx_conf_t *cf, llmgw_main_conf_t *lmcf,
    json_t *obj);
ngx_int_t llmgw_admin_access(ngx_http_request_t *r);
ngx_int_t llmgw_admin_handler(ngx_http_request_t *r);
ngx_int_t llmgw_registry_init_zone(ngx_slab_pool_t *shpool,
    llmgw_shm_t *sh);

/* llmgw_access.c */
ngx_int_t llmgw_access_handler(ngx_http_request_t *r);
llmgw_ctx_t *llmgw_ctx_create(ngx_http_request_t *r);
llmgw_ctx_t *llmgw_ctx_get(ngx_http_request_t *r);

/* llmgw_auth.c */
ngx_int_t llmgw_auth(ngx_http_request_t *r, llmgw_ctx_t *ctx);
llmgw_vkey_t *llmgw_vkey_find(llmgw_main_conf_t *lmcf, u_char *digest);
llmgw_vkey_t *llmgw_vkey_lookup(ngx_rbtree_t *tree, u_char *digest);
ngx_int_t llmgw_vkey_insert(llmgw_main_conf_t *lmcf, llmgw_vkey_t *vk);

/* llmgw_request.c */
ngx_int_t llmgw_request_read(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_request_rewrite(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_request_set_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value);

ngx_int_t llmgw_request_replace_body(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    u_char *body, size_t len);

/* llmgw_guard_conf.c */
char *llmgw_guard_conf(ngx_conf_t *cf, llmgw_main_conf_t *lmcf, json_t *obj,
    u_char *err, size_t errlen);
llmgw_guard_policy_t *llmgw_guard_policy_find(llmgw_main_conf_t *lmcf,
    const char *name);
u_char *llmgw_guard_names(u_char *p, u_char *last, llmgw_guard_t *g,
    uint64_t fired, const char *sep);

/* llmgw_guard_input.c */
ngx_int_t llmgw_guard_input(ngx_http_request_t *r, llmgw_ctx_t *ctx);
void *llmgw_guard_alloc(void *pool, size_t size);

/* llmgw_guard_service.c */
ngx_int_t llmgw_guard_service(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_str_t *llmgw_guard_service_result(llmgw_ctx_t *ctx,
    ngx_str_t *detectors);

/* llmgw_guard_output.c */
ngx_int_t llmgw_guard_output_header(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_buf_t *llmgw_guard_output_whole(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_buf_t *b);
ngx_int_t llmgw_guard_output_stream(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *p, size_t len);
ngx_int_t llmgw_guard_output_end(ngx_http_request_t *r, llmgw_ctx_t *ctx);

/* llmgw_route.c */
ngx_int_t llmgw_route(ngx_http_request_t *r, llmgw_ctx_t *ctx);
llmgw_route_t *llmgw_route_target(ngx_pool_t *pool, llmgw_ctx_t *ctx,
    ngx_str_t *name, ngx_str_t *model);
ngx_uint_t llmgw_route_serves(llmgw_route_t *rt, ngx_str_t *model);
ngx_int_t llmgw_model_match(ngx_str_t *pattern, ngx_str_t *model);
ngx_int_t llmgw_models_match(ngx_array_t *patterns, ngx_str_t *model);
llmgw_provider_t *llmgw_provider_find(llmgw_main_conf_t *lmcf, u_char *name,
    size_t len);
ngx_int_t llmgw_wrr_pick(llmgw_wrr_t **peers, ngx_uint_t n);
llmgw_api_key_t *llmgw_pick_api_key(llmgw_provider_t *p);

/* llmgw_models.c */
ngx_int_t llmgw_models_list(ngx_http_request_t *r, llmgw_ctx_t *ctx);

/* llmgw_usage_api.c */
ngx_int_t llmgw_usage_report(ngx_http_request_t *r, llmgw_ctx_t *ctx);
json_t *llmgw_usage_item(llmgw_charge_t *c);

/* llmgw_error.c */
ngx_int_t llmgw_fail(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_int_t status, const char *type, const char *code, const char *fmt,
    ...);
ngx_int_t llmgw_send_error(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b);
ngx_int_t llmgw_send_json_value(ngx_http_request_t *r, ngx_uint_t status,
    json_t *v);
ngx_buf_t *llmgw_error_body(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_buf_t *llmgw_error_event(ngx_http_request_t *r, llmgw_ctx_t *ctx);
void llmgw_error_for_status(llmgw_ctx_t *ctx, ngx_uint_t status);

/* llmgw_subrequest.c */
ngx_int_t llmgw_subrequest_headers(ngx_http_request_t *sr, ngx_uint_t json);
ngx_int_t llmgw_subrequest_rc(ngx_http_request_t *sr, ngx_int_t rc);

/* llmgw_limits.c */
const char *llmgw_limits_parse(ngx_pool_t *pool, ngx_array_t *limits,
    json_t *rate, json_t *budgets);
void llmgw_limit_window(llmgw_limit_t *l, time_t now, time_t *start,
    time_t *end);
int64_t llmgw_usd_to_pico(double usd);
ngx_int_t llmgw_parse_time(json_t *v, time_t *t);
ngx_int_t llmgw_limits_keys(ngx_pool_t *pool, llmgw_vkey_t *vk);
ngx_int_t llmgw_limits_entity_keys(ngx_pool_t *pool, llmgw_entity_t *e);

/* llmgw_price.c */
char *llmgw_prices_init(ngx_conf_t *cf, llmgw_main_conf_t *lmcf);
char *llmgw_prices_table(ngx_conf_t *cf, llmgw_main_conf_t *lmcf);
char *llmgw_prices_override(ngx_conf_t *cf, llmgw_main_conf_t *lmcf,
    json_t *obj);
char *llmgw_prices_done(ngx_conf_t *cf, llmgw_main_conf_t *lmcf);
llmgw_price_t *llmgw_price(llmgw_main_conf_t *lmcf, llmgw_provider_t *p,
    ngx_str_t *model);
int64_t llmgw_cost(llmgw_price_t *price, llmgw_usage_t *u);
u_char *llmgw_format_usd(u_char *p, u_char *last, int64_t pico);

/* llmgw_govern.c */
extern const char  *llmgw_level_names[];
ngx_int_t llmgw_govern_reserve(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_header(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len);
ngx_int_t llmgw_header_ref(ngx_http_request_t *r, ngx_str_t *name,
    u_char *value, size_t len);
ngx_int_t llmgw_charges_build(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_entity_t **entities, ngx_uint_t nentities);
llmgw_store_waiter_t *llmgw_store_waiter(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_store_done_pt done);
ngx_int_t llmgw_govern_headers(ngx_http_request_t *r, llmgw_ctx_t *ctx);
void llmgw_govern_settle(ngx_http_request_t *r, llmgw_ctx_t *ctx);
void llmgw_govern_release(ngx_http_request_t *r, llmgw_ctx_t *ctx);

/* llmgw_store_shm.c */
void llmgw_store_shm_init(llmgw_shm_t *sh);
ngx_int_t llmgw_store_shm_restore(llmgw_main_conf_t *lmcf, u_char *key,
    size_t len, time_t reset, int64_t value);
ngx_uint_t llmgw_store_shm_count(llmgw_main_conf_t *lmcf);
u_char *llmgw_store_shm_dump(llmgw_main_conf_t *lmcf, u_char *buf,
    size_t size, const char *header);

/* llmgw_metrics.c */
void llmgw_metric_inc(llmgw_main_conf_t *lmcf, ngx_uint_t metric);
char *llmgw_metrics_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t llmgw_metrics_init_zone(llmgw_main_conf_t *lmcf);
void llmgw_metrics_request(ngx_http_request_t *r, llmgw_ctx_t *ctx);

/* llmgw_trace.c */
ngx_int_t llmgw_trace_init_process(ngx_cycle_t *cycle);
void llmgw_trace_start(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_trace_headers(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_trace_response_header(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
ngx_int_t llmgw_trace_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

/* llmgw_clock.c: the gateway's own time on a request's path */
ngx_int_t llmgw_clock_filter_init_below(ngx_conf_t *cf);
ngx_int_t llmgw_clock_filter_init_above(ngx_conf_t *cf);
ngx_int_t llmgw_clock_init_process(ngx_cycle_t *cycle);

#if (defined __x86_64__ && (defined __GNUC__ || defined __clang__))
#define LLMGW_HAVE_TSC  1
#include <x86intrin.h>
extern uint64_t  llmgw_tsc_mult;        /* ns per tick, << 32; 0: not used */
#endif

/* v in decimal at p, without ngx_sprintf's parsing of a format; returns
 * the end (at most NGX_INT64_LEN bytes) */
static ngx_inline u_char *
llmgw_int_put(u_char *p, int64_t v)
{
    u_char    *end;
    uint64_t   u;
    unsigned   n;

    static const uint64_t  pow10[] = {
        1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
        10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
        100000000000ULL, 1000000000000ULL, 10000000000000ULL,
        100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
        100000000000000000ULL, 1000000000000000000ULL,
        10000000000000000000ULL
    };

    static const u_char  pairs[] =
        "0001020304050607080910111213141516171819"
        "2021222324252627282930313233343536373839"
        "4041424344454647484950515253545556575859"
        "6061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";

    u = (uint64_t) v;

    if (v < 0) {
        *p++ = '-';
        u = -u;
    }

    /* the digits written in place from the last, two at a time; their
     * number from the bit length (1233 / 4096 is log10(2) from below) */

    n = ((64 - __builtin_clzll(u | 1)) * 1233) >> 12;
    end = p + n + ((u | 1) >= pow10[n]);

    p = end;

    while (u >= 100) {
        p -= 2;
        ngx_memcpy(p, &pairs[(u % 100) * 2], 2);
        u /= 100;
    }

    if (u >= 10) {
        ngx_memcpy(p - 2, &pairs[u * 2], 2);

    } else {
        p[-1] = (u_char) ('0' + u);
    }

    return end;
}


/* nanoseconds for durations: the TSC once llmgw_clock.c has measured it
 * against CLOCK_MONOTONIC, where the kernel keeps time by it too */
static ngx_inline uint64_t
llmgw_clock_ns(void)
{
    struct timespec  ts;

#if (LLMGW_HAVE_TSC)
    if (llmgw_tsc_mult) {
        return (uint64_t) (((unsigned __int128) __rdtsc() * llmgw_tsc_mult)
                           >> 32);
    }
#endif

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* llmgw_audit.c */
char *llmgw_audit_log_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *llmgw_audit_key_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t llmgw_audit_init_process(ngx_cycle_t *cycle,
    llmgw_main_conf_t *lmcf);
void llmgw_audit_write(ngx_http_request_t *r, llmgw_ctx_t *ctx);
void llmgw_audit_admin(ngx_http_request_t *r, u_char *rec, size_t len);

/* llmgw_log.c */
ngx_int_t llmgw_log_handler(ngx_http_request_t *r);

/* llmgw_snapshot.c */
ngx_int_t llmgw_snapshot_load(llmgw_main_conf_t *lmcf, ngx_log_t *log);
ngx_int_t llmgw_snapshot_init_process(ngx_cycle_t *cycle,
    llmgw_main_conf_t *lmcf);
void llmgw_snapshot_exit_process(ngx_cycle_t *cycle, llmgw_main_conf_t *lmcf);

/* llmgw_translate.c */
ngx_int_t llmgw_translate_request(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_translate_header(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_translate_whole(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_chain_t *in, ngx_http_output_header_filter_pt next_header,
    ngx_http_output_body_filter_pt next_body);
ngx_int_t llmgw_translate_event(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *raw, size_t len);
ngx_int_t llmgw_translate_evs(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *p, size_t len);
ngx_uint_t llmgw_content_type_is(ngx_str_t *ct, const char *type);
ngx_int_t llmgw_translate_stream_end(ngx_http_request_t *r, llmgw_ctx_t *ctx);

/* llmgw_filter.c */
ngx_int_t llmgw_sse_put(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *p, size_t len);
ngx_int_t llmgw_sse_emit(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *p, size_t len);

ngx_int_t llmgw_filter_init(ngx_conf_t *cf);

/* llmgw_usage.c */
void llmgw_usage_parse(llmgw_usage_t *u, const u_char *p, size_t len);
ngx_int_t llmgw_usage_whole(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *p, size_t len);
ngx_int_t llmgw_usage_piece(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *p, size_t len);
void llmgw_usage_captured(llmgw_ctx_t *ctx);
void llmgw_usage_parse_gemini(llmgw_usage_t *u, const u_char *p, size_t len);
void llmgw_usage_from_gemini_event(llmgw_ctx_t *ctx, const u_char *data,
    size_t len);
void llmgw_usage_from_event(llmgw_ctx_t *ctx, const u_char *data,
    size_t len, ngx_uint_t *drop);
void llmgw_usage_count_text(llmgw_ctx_t *ctx, const u_char *p, size_t len);
void llmgw_usage_from_anthropic_event(llmgw_ctx_t *ctx, const u_char *data,
    size_t len);

/* llmgw_health.c */
ngx_int_t llmgw_health_init(ngx_slab_pool_t *shpool, llmgw_shm_t *sh);
uint32_t llmgw_health_id(ngx_str_t *provider, ngx_str_t *key);
void llmgw_key_health(ngx_http_request_t *r, llmgw_provider_t *p,
    llmgw_api_key_t *key, ngx_uint_t status);
ngx_uint_t llmgw_key_cooling(llmgw_main_conf_t *lmcf, llmgw_api_key_t *key);
void llmgw_key_health_state(llmgw_main_conf_t *lmcf, llmgw_api_key_t *key,
    ngx_uint_t *cooling, ngx_uint_t *cooldowns);

/* llmgw_fallback.c */
ngx_int_t llmgw_fallback(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_uint_t llmgw_attempt_tries(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_attempts_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

/* llmgw_gauth.c: OAuth2 access tokens of Google service accounts */
char *llmgw_gauth_conf(ngx_conf_t *cf, llmgw_provider_t *p, ngx_str_t *file);
ngx_int_t llmgw_gauth_token(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_gauth_add_variables(ngx_conf_t *cf);

/* llmgw_variables.c */
ngx_int_t llmgw_add_variables(ngx_conf_t *cf);

/* llmgw_zone.c */
char *llmgw_zone_add(ngx_conf_t *cf, llmgw_main_conf_t *lmcf, ngx_str_t *name,
    size_t size);

/* providers */
extern const llmgw_provider_kind_t  llmgw_openai_kinds[];
extern const llmgw_provider_kind_t  llmgw_anthropic_kinds[];
extern const llmgw_provider_kind_t  llmgw_google_kinds[];
extern const llmgw_provider_kind_t  llmgw_bedrock_kinds[];
extern const llmgw_provider_kind_t  llmgw_cohere_kinds[];
const llmgw_provider_kind_t *llmgw_provider_kind(ngx_str_t *name);
ngx_int_t llmgw_provider_bearer(ngx_http_request_t *r, ngx_str_t *secret);
ngx_int_t llmgw_provider_uri(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_str_t *parts, ngx_uint_t n);

/* llmgw_admin_stats.c */
json_t *llmgw_admin_stats(llmgw_main_conf_t *lmcf, time_t now,
    ngx_uint_t hours);
void llmgw_spend_record(llmgw_main_conf_t *lmcf,
    llmgw_entity_t *key_entity, int64_t pico, time_t now);

#endif /* _LLMGW_H_INCLUDED_ */
