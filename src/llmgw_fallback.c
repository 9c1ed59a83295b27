/*
 * llmgw: stage 4, failover across providers.
 *
 * A failed attempt (a status the location's error_page sends to the named
 * location with `llmgw_fallback;`: connect errors and timeouts as nginx's
 * 502 and 504, a provider's 429 and 5xx) comes back through the access
 * phase with its context (llmgw_ctx_get).  The reservation is released, the
 * next target of the chain is routed, reserved and rewritten from the
 * client's original body, and nginx's proxy module tries again.  The chain:
 * the request's "fallbacks", else the key's, else the key's other entries
 * that serve the model.  When none is left, or the attempts are used up,
 * the client gets the first attempt's failure in its own format.
 */


#include "llmgw.h"


static ngx_uint_t llmgw_fallback_status(ngx_http_request_t *r);
static void llmgw_attempt_record(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_uint_t status);
static ngx_int_t llmgw_fallback_pick(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static llmgw_route_t *llmgw_fallback_named(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, ngx_array_t *names, ngx_str_t *model,
    llmgw_api_key_t **key);
static llmgw_route_t *llmgw_fallback_auto(llmgw_ctx_t *ctx, ngx_str_t *model,
    llmgw_api_key_t **key);
static ngx_uint_t llmgw_fallback_usable(llmgw_ctx_t *ctx, llmgw_route_t *rt,
    ngx_str_t *model, llmgw_api_key_t **key);
static ngx_uint_t llmgw_attempted(llmgw_ctx_t *ctx, llmgw_provider_t *p,
    ngx_str_t *model);
static void llmgw_attempt_reset(llmgw_ctx_t *ctx);
static ngx_int_t llmgw_fallback_exhausted(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);


/*
 * NGX_OK: the next target is routed (ctx->routed is set; the access phase
 * reserves and rewrites); NGX_ERROR: no target is left, with ctx->status
 * and the error decided.
 */

ngx_int_t
llmgw_fallback(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_loc_conf_t  *llcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_llmgw_module);

    llmgw_attempt_record(r, ctx, llmgw_fallback_status(r));

    llmgw_govern_release(r, ctx);
    llmgw_attempt_reset(ctx);

    if (ctx->nattempts < llcf->attempts
        && ctx->nattempts < LLMGW_MAX_ATTEMPTS
        && llmgw_fallback_pick(r, ctx) == NGX_OK)
    {
        return NGX_OK;
    }

    return llmgw_fallback_exhausted(r, ctx);
}


/* what the last upstream answered, or nginx's 502 or 504 for it */

static ngx_uint_t
llmgw_fallback_status(ngx_http_request_t *r)
{
    ngx_http_upstream_state_t  *st;

    if (r->upstream_states == NULL || r->upstream_states->nelts == 0) {
        return NGX_HTTP_BAD_GATEWAY;
    }

    st = r->upstream_states->elts;
    st = &st[r->upstream_states->nelts - 1];

    if (st->status) {
        return st->status;
    }

    return NGX_HTTP_BAD_GATEWAY;
}


static void
llmgw_attempt_record(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_uint_t status)
{
    llmgw_attempt_t  *a;

    a = &ctx->attempts[ctx->nattempts++];

    a->provider = ctx->provider;
    a->model = ctx->upstream_model;
    a->api_key = ctx->api_key;
    a->status = status;
    a->ms = ngx_current_msec - ctx->attempt_start;
    a->tries = llmgw_attempt_tries(r, ctx);

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "llmgw: attempt %ui: provider \"%V\" model \"%V\" failed "
                  "with %ui after %Mms", ctx->nattempts, &a->provider->name,
                  &a->model, status, a->ms);

    if (ctx->api_key) {
        llmgw_key_health(r, ctx->provider, ctx->api_key, status);
    }
}


static ngx_int_t
llmgw_fallback_pick(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t         model;
    llmgw_route_t    *rt;
    llmgw_api_key_t  *key;

    if (ctx->fallbacks) {
        rt = llmgw_fallback_named(r, ctx, ctx->fallbacks, &model, &key);

    } else if (ctx->vkey->fallbacks.nelts) {
        rt = llmgw_fallback_named(r, ctx, &ctx->vkey->fallbacks, &model,
                                  &key);

    } else {
        rt = llmgw_fallback_auto(ctx, &model, &key);
    }

    if (rt == NULL) {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "llmgw: falling back to provider \"%V\" model \"%V\"",
                  &rt->provider->name, &model);

    ctx->route = rt;
    ctx->provider = rt->provider;
    ctx->upstream_model = model;
    ctx->api_key = key;
    ctx->routed = 1;
    ctx->reserve = 1;

    return NGX_OK;
}


/* the next name of a list that routes to a target not tried yet, with a
 * usable key */

static llmgw_route_t *
llmgw_fallback_named(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_array_t *names, ngx_str_t *model, llmgw_api_key_t **key)
{
    ngx_str_t      *name;
    llmgw_route_t  *rt;

    name = names->elts;

    while (ctx->next_target < names->nelts) {
        rt = llmgw_route_target(r->pool, ctx,
                                &name[ctx->next_target++], model);

        if (rt && llmgw_fallback_usable(ctx, rt, model, key)) {
            return rt;
        }
    }

    return NULL;
}


/* the key's entries, in order, that serve the first attempt's model and
 * were not tried */

static llmgw_route_t *
llmgw_fallback_auto(llmgw_ctx_t *ctx, ngx_str_t *model, llmgw_api_key_t **key)
{
    ngx_uint_t      i;
    llmgw_route_t  *rt;

    *model = ctx->attempts[0].model;
    rt = ctx->vkey->routes.elts;

    for (i = 0; i < ctx->vkey->routes.nelts; i++) {
        if (rt[i].wrr.weight
            && llmgw_route_serves(&rt[i], model)
            && llmgw_fallback_usable(ctx, &rt[i], model, key))
        {
            return &rt[i];
        }
    }

    return NULL;
}


/* not tried yet, and with a key to send, chosen here: a provider without
 * keys (a local model) needs none */

static ngx_uint_t
llmgw_fallback_usable(llmgw_ctx_t *ctx, llmgw_route_t *rt, ngx_str_t *model,
    llmgw_api_key_t **key)
{
    if (llmgw_attempted(ctx, rt->provider, model)) {
        return 0;
    }

    *key = llmgw_pick_api_key(rt->provider);

    return *key || rt->provider->keys.nelts == 0;
}


static ngx_uint_t
llmgw_attempted(llmgw_ctx_t *ctx, llmgw_provider_t *p, ngx_str_t *model)
{
    ngx_uint_t  i;

    for (i = 0; i < ctx->nattempts; i++) {
        if (ctx->attempts[i].provider == p
            && ctx->attempts[i].model.len == model->len
            && ngx_strncmp(ctx->attempts[i].model.data, model->data,
                           model->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* the upstream peers nginx tried for the attempt (proxy_next_upstream); an
 * internal redirect leaves a state without a peer between attempts */

ngx_uint_t
llmgw_attempt_tries(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_uint_t                  i, n, tries;
    ngx_http_upstream_state_t  *st;

    if (r->upstream_states == NULL) {
        return 0;
    }

    n = r->upstream_states->nelts;
    st = r->upstream_states->elts;
    tries = 0;

    for (i = ctx->states_seen; i < n; i++) {
        tries += (st[i].peer != NULL);
    }

    ctx->states_seen = n;

    return tries;
}


/* what the last attempt left in the context: the next starts afresh */

static void
llmgw_attempt_reset(llmgw_ctx_t *ctx)
{
    ctx->granted = 0;
    ctx->routed = 0;
    ctx->reserved = 0;
    ctx->settled = 0;
    ctx->translate = 0;
    ctx->vertex = 0;
    ctx->sse_failed = 0;
    ctx->drop_usage_chunk = 0;
    ctx->evs_emit_failed = 0;
    ctx->first_byte = 0;

    ctx->resp_mode = LLMGW_RESP_NONE;
    ctx->capture = NULL;
    ctx->usage_json = 0;
    ctx->xs = NULL;
    ctx->xbody = NULL;
    ctx->xbody_len = 0;
    ctx->evs = NULL;
    ctx->error_page = NULL;
    ctx->charges = NULL;
    ctx->ncharges = 0;
    ctx->refused = NULL;
    ctx->price = NULL;
    ctx->cost = 0;
    ctx->streamed_text = 0;
    ctx->upstream_auth.len = 0;
    ctx->upstream_uri.len = 0;
    ctx->gauth_req = NULL;

    ngx_memzero(&ctx->usage, sizeof(llmgw_usage_t));
}


/* the first attempt's failure, in the client's format */

static ngx_int_t
llmgw_fallback_exhausted(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_attempt_t  *a;

    a = &ctx->attempts[0];

    ctx->provider = a->provider;
    ctx->upstream_model = a->model;

    return llmgw_fail(r, ctx, a->status,
                      llmgw_status_error_type(a->status),
                      a->status == NGX_HTTP_BAD_GATEWAY
                      ? "upstream_unavailable"
                      : a->status == NGX_HTTP_GATEWAY_TIME_OUT
                      ? "upstream_timeout" : "provider_error",
                      "Provider \"%V\" failed with %ui%s", &a->provider->name,
                      a->status, ctx->nattempts > 1
                      ? ", and so did every fallback" : "");
}


/* $llmgw_attempts: "provider/model:status:ms" for each failed attempt */

ngx_int_t
llmgw_attempts_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char           *p;
    size_t            len;
    ngx_uint_t        i;
    llmgw_ctx_t      *ctx;
    llmgw_attempt_t  *a;

    ctx = llmgw_ctx_get(r);

    if (ctx == NULL || ctx->nattempts == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    len = 0;

    for (i = 0; i < ctx->nattempts; i++) {
        a = &ctx->attempts[i];
        len += a->provider->name.len + a->model.len
               + sizeof("/::,") - 1 + NGX_INT_T_LEN + NGX_INT_T_LEN;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;

    for (i = 0; i < ctx->nattempts; i++) {
        a = &ctx->attempts[i];
        p = ngx_sprintf(p, "%s%V/%V:%ui:%M", i ? "," : "", &a->provider->name,
                        &a->model, a->status, a->ms);
    }

    v->len = p - v->data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
