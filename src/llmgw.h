/*
 * llmgw: types shared by the stages of the request path.
 */

#ifndef _LLMGW_H_INCLUDED_
#define _LLMGW_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "llmgw_json.h"
#include "llmgw_sse.h"


#define LLMGW_DIGEST_LEN        32
#define LLMGW_MAX_DEPTH         128
#define LLMGW_MAX_MODEL_LEN     256


typedef enum {
    LLMGW_FORMAT_OPENAI = 0,
    LLMGW_FORMAT_ANTHROPIC
} llmgw_format_e;


typedef enum {
    LLMGW_EP_UNKNOWN = 0,
    LLMGW_EP_CHAT,
    LLMGW_EP_EMBEDDINGS,
    LLMGW_EP_MODELS
} llmgw_endpoint_e;


typedef struct llmgw_ctx_s       llmgw_ctx_t;
typedef struct llmgw_provider_s  llmgw_provider_t;


/* one provider family: fills the upstream side of a request */
typedef struct {
    ngx_str_t                    name;
    llmgw_format_e               format;
    ngx_str_t                    scheme;
    ngx_str_t                    host;
    ngx_str_t                    base_path;
    unsigned                     stream_usage_option:1;
    ngx_int_t                  (*init)(ngx_conf_t *cf, llmgw_provider_t *p);
    ngx_int_t                  (*build)(ngx_http_request_t *r,
                                        llmgw_ctx_t *ctx);
} llmgw_provider_kind_t;


/* smooth weighted round robin, as nginx's upstream peers: per worker */
typedef struct {
    ngx_int_t                    weight;
    ngx_int_t                    current;
} llmgw_wrr_t;


typedef struct {
    ngx_str_t                    id;
    ngx_str_t                    secret;
    llmgw_wrr_t                  wrr;
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
};


/* a provider a virtual key may use, and which of its models */
typedef struct {
    llmgw_provider_t            *provider;
    ngx_array_t                  models;     /* ngx_str_t patterns; empty: all */
    llmgw_wrr_t                  wrr;
} llmgw_route_t;


typedef struct {
    ngx_rbtree_node_t            node;       /* key: digest's first bytes */
    u_char                       digest[LLMGW_DIGEST_LEN];
    ngx_str_t                    id;
    ngx_str_t                    name;
    ngx_flag_t                   enabled;
    time_t                       expires;    /* 0: never */
    ngx_array_t                  routes;     /* llmgw_route_t */
} llmgw_vkey_t;


typedef struct {
    ngx_str_t                    from;       /* name or pattern */
    ngx_str_t                    to;
} llmgw_alias_t;


/* the shared zone's root: the store's counters come in here */
typedef struct {
    ngx_rbtree_t                 rbtree;
    ngx_rbtree_node_t            sentinel;
} llmgw_shm_t;


typedef struct {
    ngx_str_t                    file;
    ngx_array_t                  providers;  /* llmgw_provider_t */
    ngx_rbtree_t                 vkeys;
    ngx_rbtree_node_t            vkeys_sentinel;
    ngx_uint_t                   nvkeys;
    ngx_array_t                  aliases;    /* llmgw_alias_t */
    ngx_shm_zone_t              *zone;
    ngx_slab_pool_t             *shpool;
    llmgw_shm_t                 *sh;
} llmgw_main_conf_t;


typedef struct {
    ngx_flag_t                   enable;
    size_t                       max_body;
} llmgw_loc_conf_t;


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
    llmgw_json_scan_t            scan;
} llmgw_request_fields_t;


typedef enum {
    LLMGW_RESP_NONE = 0,
    LLMGW_RESP_JSON,
    LLMGW_RESP_SSE,
    LLMGW_RESP_ERROR     /* an nginx error page, replaced by our JSON */
} llmgw_resp_mode_e;


typedef struct {
    int64_t                      prompt;
    int64_t                      completion;
    int64_t                      total;
    int64_t                      cached;
    unsigned                     seen:1;
} llmgw_usage_t;


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
    ngx_str_t                    upstream_model;
    ngx_str_t                    upstream_uri;
    ngx_str_t                    upstream_auth; /* Authorization value */

    llmgw_resp_mode_e            resp_mode;
    llmgw_json_capture_t        *capture;
    llmgw_sse_t                  sse;
    ngx_chain_t                 *sse_out;
    ngx_chain_t                **sse_last;
    ngx_chain_t                 *free;
    ngx_chain_t                 *busy;
    llmgw_usage_t                usage;
    ngx_buf_t                   *error_page;

    unsigned                     reading_body:1;
    unsigned                     body_done:1;
    unsigned                     granted:1;
    unsigned                     stream:1;
    unsigned                     drop_usage_chunk:1;
    unsigned                     error_sent:1;
    unsigned                     sse_failed:1;
};


extern ngx_module_t  ngx_http_llmgw_module;


/* llmgw_config.c */
char *llmgw_config_load(ngx_conf_t *cf, llmgw_main_conf_t *lmcf);

/* llmgw_access.c */
ngx_int_t llmgw_access_handler(ngx_http_request_t *r);

/* llmgw_auth.c */
ngx_int_t llmgw_auth(ngx_http_request_t *r, llmgw_ctx_t *ctx);
llmgw_vkey_t *llmgw_vkey_find(llmgw_main_conf_t *lmcf, u_char *digest);
ngx_int_t llmgw_vkey_insert(llmgw_main_conf_t *lmcf, llmgw_vkey_t *vk);

/* llmgw_request.c */
ngx_int_t llmgw_request_read(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_request_rewrite(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_request_set_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value);

/* llmgw_route.c */
ngx_int_t llmgw_route(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_model_match(ngx_str_t *pattern, ngx_str_t *model);
ngx_int_t llmgw_models_match(ngx_array_t *patterns, ngx_str_t *model);
llmgw_provider_t *llmgw_provider_find(llmgw_main_conf_t *lmcf, u_char *name,
    size_t len);
ngx_int_t llmgw_wrr_pick(llmgw_wrr_t **peers, ngx_uint_t n);
llmgw_api_key_t *llmgw_pick_api_key(llmgw_provider_t *p);

/* llmgw_models.c */
ngx_int_t llmgw_models_list(ngx_http_request_t *r, llmgw_ctx_t *ctx);

/* llmgw_error.c */
ngx_int_t llmgw_fail(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_int_t status, const char *type, const char *code, const char *fmt,
    ...);
ngx_int_t llmgw_send_error(ngx_http_request_t *r, llmgw_ctx_t *ctx);
ngx_int_t llmgw_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b);
ngx_buf_t *llmgw_error_body(ngx_http_request_t *r, llmgw_ctx_t *ctx);
void llmgw_error_for_status(llmgw_ctx_t *ctx, ngx_uint_t status);

/* llmgw_filter.c */
ngx_int_t llmgw_filter_init(ngx_conf_t *cf);

/* llmgw_usage.c */
void llmgw_usage_parse(llmgw_usage_t *u, const u_char *p, size_t len);
void llmgw_usage_from_event(llmgw_ctx_t *ctx, const u_char *data,
    size_t len, ngx_uint_t *drop);

/* llmgw_variables.c */
ngx_int_t llmgw_add_variables(ngx_conf_t *cf);

/* llmgw_zone.c */
char *llmgw_zone_add(ngx_conf_t *cf, llmgw_main_conf_t *lmcf, ngx_str_t *name,
    size_t size);

/* providers */
const llmgw_provider_kind_t *llmgw_provider_kind(ngx_str_t *name);

#endif /* _LLMGW_H_INCLUDED_ */
