/*
 * llmgw: variables for proxy_pass and log_format.
 */


#include "llmgw.h"


typedef enum {
    LLMGW_VAR_UPSTREAM = 0,
    LLMGW_VAR_SCHEME,
    LLMGW_VAR_URI,
    LLMGW_VAR_HOST,
    LLMGW_VAR_VIRTUAL_KEY,
    LLMGW_VAR_PROVIDER,
    LLMGW_VAR_PROVIDER_KEY,
    LLMGW_VAR_MODEL,
    LLMGW_VAR_REQUESTED_MODEL
} llmgw_var_e;


static ngx_int_t llmgw_variable_str(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t llmgw_variable_tokens(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t llmgw_variable_cost(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  llmgw_variables[] = {

    { ngx_string("llmgw_upstream"), NULL, llmgw_variable_str,
      LLMGW_VAR_UPSTREAM, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_upstream_scheme"), NULL, llmgw_variable_str,
      LLMGW_VAR_SCHEME, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_upstream_uri"), NULL, llmgw_variable_str,
      LLMGW_VAR_URI, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_upstream_host"), NULL, llmgw_variable_str,
      LLMGW_VAR_HOST, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_virtual_key"), NULL, llmgw_variable_str,
      LLMGW_VAR_VIRTUAL_KEY, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_provider"), NULL, llmgw_variable_str,
      LLMGW_VAR_PROVIDER, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_provider_key"), NULL, llmgw_variable_str,
      LLMGW_VAR_PROVIDER_KEY, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_model"), NULL, llmgw_variable_str,
      LLMGW_VAR_MODEL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_requested_model"), NULL, llmgw_variable_str,
      LLMGW_VAR_REQUESTED_MODEL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_prompt_tokens"), NULL, llmgw_variable_tokens,
      offsetof(llmgw_usage_t, prompt), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_completion_tokens"), NULL, llmgw_variable_tokens,
      offsetof(llmgw_usage_t, completion), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_total_tokens"), NULL, llmgw_variable_tokens,
      offsetof(llmgw_usage_t, total), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_cached_tokens"), NULL, llmgw_variable_tokens,
      offsetof(llmgw_usage_t, cached), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_cost"), NULL, llmgw_variable_cost,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_attempts"), NULL, llmgw_attempts_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_trace_id"), NULL, llmgw_trace_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("llmgw_request_id"), NULL, llmgw_trace_variable,
      1, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
llmgw_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = llmgw_variables; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
llmgw_variable_str(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t          *s;
    llmgw_ctx_t        *ctx;
    llmgw_provider_t   *p;

    ctx = llmgw_ctx_get(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ctx->provider;
    s = NULL;

    switch ((llmgw_var_e) data) {

    case LLMGW_VAR_UPSTREAM:
        s = p ? &p->upstream : NULL;
        break;

    case LLMGW_VAR_SCHEME:
        s = p ? &p->scheme : NULL;
        break;

    case LLMGW_VAR_URI:
        s = &ctx->upstream_uri;
        break;

    case LLMGW_VAR_HOST:
        s = p ? &p->host : NULL;
        break;

    case LLMGW_VAR_VIRTUAL_KEY:
        s = ctx->vkey ? &ctx->vkey->id : NULL;
        break;

    case LLMGW_VAR_PROVIDER:
        s = p ? &p->name : NULL;
        break;

    case LLMGW_VAR_PROVIDER_KEY:
        s = ctx->api_key ? &ctx->api_key->id : NULL;
        break;

    case LLMGW_VAR_MODEL:
        s = &ctx->upstream_model;
        break;

    case LLMGW_VAR_REQUESTED_MODEL:
        s = &ctx->model;
        break;
    }

    if (s == NULL || s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = s->data;
    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
llmgw_variable_tokens(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char       *p;
    int64_t       n;
    llmgw_ctx_t  *ctx;

    ctx = llmgw_ctx_get(r);

    if (ctx == NULL || !ctx->usage.seen) {
        v->not_found = 1;
        return NGX_OK;
    }

    n = *(int64_t *) ((u_char *) &ctx->usage + data);

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;
    v->len = ngx_sprintf(p, "%L", n) - p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* dollars, to the nanodollar: "0.000005850"; set once settled */

static ngx_int_t
llmgw_variable_cost(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char       *p;
    int64_t       nano;
    llmgw_ctx_t  *ctx;

    ctx = llmgw_ctx_get(r);

    if (ctx == NULL || !ctx->settled) {
        v->not_found = 1;
        return NGX_OK;
    }

    nano = (ctx->cost + 500) / 1000;

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 11);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;
    v->len = ngx_sprintf(p, "%L.%09L", nano / 1000000000, nano % 1000000000)
             - p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
