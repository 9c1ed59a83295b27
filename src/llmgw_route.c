/*
 * llmgw: which provider, model and provider key serve a request.
 *
 * "provider/model" pins the provider; a plain name (or an alias) goes to one
 * of the key's providers that serves it, chosen by weight.
 */


#include <fnmatch.h>

#include "llmgw.h"


#define LLMGW_MAX_ROUTES  64


static llmgw_provider_t *llmgw_route_name(ngx_pool_t *pool,
    llmgw_main_conf_t *lmcf, llmgw_vkey_t *vk, ngx_str_t *name,
    ngx_str_t *model);
static ngx_int_t llmgw_route_alias(ngx_pool_t *pool, ngx_array_t *aliases,
    ngx_str_t *model);
static ngx_int_t llmgw_route_pinned(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_provider_t *p, ngx_str_t *model);
static ngx_int_t llmgw_route_plain(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_str_t *model);
static ngx_int_t llmgw_route_refuse(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_str_t *model);
static ngx_int_t llmgw_route_done(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_route_t *rt, ngx_str_t *model);


ngx_int_t
llmgw_route(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t           model;
    llmgw_provider_t   *p;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    p = llmgw_route_name(r->pool, lmcf, ctx->vkey, &ctx->model, &model);

    if (model.len == 0) {
        return NGX_ERROR;
    }

    if (p) {
        return llmgw_route_pinned(r, ctx, p, &model);
    }

    return llmgw_route_plain(r, ctx, &model);
}


/* a model name, alias resolved (the key's aliases, then the file's), as
 * the provider it pins (or NULL) and the provider's model; model->len 0:
 * out of memory */

static llmgw_provider_t *
llmgw_route_name(ngx_pool_t *pool, llmgw_main_conf_t *lmcf, llmgw_vkey_t *vk,
    ngx_str_t *name, ngx_str_t *model)
{
    u_char            *slash;
    ngx_int_t          rc;
    llmgw_provider_t  *p;

    *model = *name;

    rc = llmgw_route_alias(pool, &vk->aliases, model);

    if (rc == NGX_DECLINED) {
        rc = llmgw_route_alias(pool, &lmcf->aliases, model);
    }

    if (rc == NGX_ERROR) {
        model->len = 0;
        return NULL;
    }

    slash = ngx_strlchr(model->data, model->data + model->len, '/');

    if (slash == NULL) {
        return NULL;
    }

    p = llmgw_provider_find(lmcf, model->data, slash - model->data);

    if (p) {
        model->len -= slash + 1 - model->data;
        model->data = slash + 1;
    }

    return p;
}


/* NGX_OK: replaced; a '*' in the target is the name asked for */

static ngx_int_t
llmgw_route_alias(ngx_pool_t *pool, ngx_array_t *aliases, ngx_str_t *model)
{
    u_char         *star, *p, *last;
    ngx_str_t      *to;
    ngx_uint_t      i;
    llmgw_alias_t  *a;

    a = aliases->elts;

    for (i = 0; i < aliases->nelts; i++) {
        if (a[i].pattern ? llmgw_model_match(&a[i].from, model)
                         : (a[i].from.len == model->len
                            && ngx_strncmp(a[i].from.data, model->data,
                                           model->len) == 0))
        {
            break;
        }
    }

    if (i == aliases->nelts) {
        return NGX_DECLINED;
    }

    to = &a[i].to;
    star = ngx_strlchr(to->data, to->data + to->len, '*');

    if (star == NULL) {
        *model = *to;
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, to->len - 1 + model->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_cpymem(p, to->data, star - to->data);
    last = ngx_cpymem(last, model->data, model->len);
    last = ngx_cpymem(last, star + 1, to->data + to->len - star - 1);
    *last = '\0';

    model->data = p;
    model->len = last - p;

    return NGX_OK;
}


static ngx_int_t
llmgw_route_pinned(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_provider_t *p, ngx_str_t *model)
{
    ngx_uint_t      i;
    llmgw_route_t  *rt;

    if (model->len == 0) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_model",
                          "\"model\" names provider \"%V\" but no model",
                          &p->name);
    }

    if (p->models.nelts && !llmgw_models_match(&p->models, model)) {
        return llmgw_fail(r, ctx, NGX_HTTP_NOT_FOUND, "not_found_error",
                          "model_not_found", "The model \"%V\" does not "
                          "exist on provider \"%V\"", model, &p->name);
    }

    rt = ctx->vkey->routes.elts;

    for (i = 0; i < ctx->vkey->routes.nelts; i++) {
        if (rt[i].provider == p && llmgw_route_serves(&rt[i], model)) {
            return llmgw_route_done(r, ctx, &rt[i], model);
        }
    }

    return llmgw_fail(r, ctx, NGX_HTTP_FORBIDDEN, "permission_error",
                      "model_not_allowed", "API key \"%V\" may not use "
                      "model \"%V\" on provider \"%V\"", &ctx->vkey->id,
                      model, &p->name);
}


static ngx_int_t
llmgw_route_plain(ngx_http_request_t *r, llmgw_ctx_t *ctx, ngx_str_t *model)
{
    ngx_int_t       k;
    ngx_uint_t      i, n;
    llmgw_wrr_t    *peers[LLMGW_MAX_ROUTES];
    llmgw_route_t  *rt, *cand[LLMGW_MAX_ROUTES];

    rt = ctx->vkey->routes.elts;
    n = 0;

    for (i = 0; i < ctx->vkey->routes.nelts && n < LLMGW_MAX_ROUTES; i++) {
        if (rt[i].wrr.weight == 0 || !llmgw_route_serves(&rt[i], model)) {
            continue;
        }

        cand[n] = &rt[i];
        peers[n] = &rt[i].wrr;
        n++;
    }

    if (n == 0) {
        return llmgw_route_refuse(r, ctx, model);
    }

    k = (n == 1) ? 0 : llmgw_wrr_pick(peers, n);

    return llmgw_route_done(r, ctx, cand[k], model);
}


/* a route of the key for a model name (alias, "provider/model" or plain),
 * or NULL; no error is decided: for the fallback chain */

llmgw_route_t *
llmgw_route_target(ngx_pool_t *pool, llmgw_ctx_t *ctx, ngx_str_t *name,
    ngx_str_t *model)
{
    ngx_uint_t         i;
    llmgw_route_t     *rt;
    llmgw_provider_t  *p;

    p = llmgw_route_name(pool, ctx->lmcf, ctx->vkey, name, model);

    if (model->len == 0) {
        return NULL;
    }

    rt = ctx->vkey->routes.elts;

    for (i = 0; i < ctx->vkey->routes.nelts; i++) {
        if ((p == NULL || rt[i].provider == p)
            && (p || rt[i].wrr.weight)
            && llmgw_route_serves(&rt[i], model))
        {
            return &rt[i];
        }
    }

    return NULL;
}


ngx_uint_t
llmgw_route_serves(llmgw_route_t *rt, ngx_str_t *model)
{
    return (rt->provider->models.nelts == 0
            || llmgw_models_match(&rt->provider->models, model))
           && (rt->models.nelts == 0
               || llmgw_models_match(&rt->models, model));
}


/* 403 when the gateway knows the model but this key may not use it,
 * 404 when no provider serves it. */

static ngx_int_t
llmgw_route_refuse(ngx_http_request_t *r, llmgw_ctx_t *ctx, ngx_str_t *model)
{
    ngx_uint_t          i;
    llmgw_provider_t   *p;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);
    p = lmcf->providers.elts;

    for (i = 0; i < lmcf->providers.nelts; i++) {
        if (p[i].models.nelts && llmgw_models_match(&p[i].models, model)) {
            return llmgw_fail(r, ctx, NGX_HTTP_FORBIDDEN, "permission_error",
                              "model_not_allowed", "API key \"%V\" may not "
                              "use model \"%V\"", &ctx->vkey->id, model);
        }
    }

    return llmgw_fail(r, ctx, NGX_HTTP_NOT_FOUND, "not_found_error",
                      "model_not_found", "The model \"%V\" does not exist "
                      "or you do not have access to it", model);
}


static ngx_int_t
llmgw_route_done(ngx_http_request_t *r, llmgw_ctx_t *ctx, llmgw_route_t *rt,
    ngx_str_t *model)
{
    ctx->route = rt;
    ctx->provider = rt->provider;
    ctx->upstream_model = *model;
    ctx->api_key = llmgw_pick_api_key(rt->provider);

    if (ctx->api_key == NULL && rt->provider->keys.nelts) {
        return llmgw_fail(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                          "overloaded_error", "no_provider_key",
                          "Provider \"%V\" has no usable API key",
                          &rt->provider->name);
    }

    return NGX_OK;
}


/* by weight among the keys not in cooldown; when every key is, among all
 * of them: trying beats refusing */

llmgw_api_key_t *
llmgw_pick_api_key(llmgw_provider_t *p)
{
    ngx_int_t           k;
    ngx_uint_t          i, n, healthy;
    llmgw_wrr_t        *peers[LLMGW_MAX_ROUTES];
    llmgw_api_key_t    *key, *cand[LLMGW_MAX_ROUTES];
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_llmgw_module);
    key = p->keys.elts;

    for (healthy = 1; /* void */; healthy = 0) {
        n = 0;

        for (i = 0; i < p->keys.nelts && n < LLMGW_MAX_ROUTES; i++) {
            if (key[i].wrr.weight
                && !(healthy && llmgw_key_cooling(lmcf, &key[i])))
            {
                cand[n] = &key[i];
                peers[n] = &key[i].wrr;
                n++;
            }
        }

        if (n || !healthy) {
            break;
        }
    }

    if (n == 0) {
        return NULL;
    }

    k = (n == 1) ? 0 : llmgw_wrr_pick(peers, n);

    return cand[k];
}


/* nginx's smooth weighted round robin: over sum(weight) picks each peer
 * is chosen weight times, evenly spread */

ngx_int_t
llmgw_wrr_pick(llmgw_wrr_t **peers, ngx_uint_t n)
{
    ngx_int_t   total, best;
    ngx_uint_t  i;

    total = 0;
    best = -1;

    for (i = 0; i < n; i++) {
        peers[i]->current += peers[i]->weight;
        total += peers[i]->weight;

        if (best == -1 || peers[i]->current > peers[best]->current) {
            best = i;
        }
    }

    peers[best]->current -= total;

    return best;
}


ngx_int_t
llmgw_model_match(ngx_str_t *pattern, ngx_str_t *model)
{
    size_t   n;
    u_char  *p;

    /* the common shapes, a name and a name's start then '*', compared
     * here; fnmatch() without flags would say the same */
    for (p = pattern->data; p < pattern->data + pattern->len; p++) {
        if (*p == '*' || *p == '?' || *p == '[' || *p == '\\') {
            break;
        }
    }

    n = p - pattern->data;

    if (n == pattern->len || (*p == '*' && n + 1 == pattern->len)) {
        return (n == pattern->len ? model->len == n : model->len >= n)
               && ngx_memcmp(model->data, pattern->data, n) == 0;
    }

    /* both are NUL-terminated: patterns from the configuration, models
     * decoded into a buffer one byte longer */
    return fnmatch((char *) pattern->data, (char *) model->data, 0) == 0;
}


ngx_int_t
llmgw_models_match(ngx_array_t *patterns, ngx_str_t *model)
{
    ngx_uint_t   i;
    ngx_str_t   *pat;

    pat = patterns->elts;

    for (i = 0; i < patterns->nelts; i++) {
        if (llmgw_model_match(&pat[i], model)) {
            return 1;
        }
    }

    return 0;
}


llmgw_provider_t *
llmgw_provider_find(llmgw_main_conf_t *lmcf, u_char *name, size_t len)
{
    ngx_uint_t         i;
    llmgw_provider_t  *p;

    p = lmcf->providers.elts;

    for (i = 0; i < lmcf->providers.nelts; i++) {
        if (p[i].name.len == len && ngx_strncmp(p[i].name.data, name, len) == 0)
        {
            return &p[i];
        }
    }

    return NULL;
}
