/*
 * llmgw: governance of one request.  Before it goes upstream: price it,
 * estimate it, and reserve one request, its tokens and its cost at every
 * level it belongs to (provider entry, key, team, customer) in one atomic
 * step of the store.  In the log phase: settle to the real usage.
 */


#include "llmgw.h"


static ngx_int_t llmgw_govern_price(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static void llmgw_govern_estimate(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_govern_charges(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_govern_answer(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_store_rc_e rc, ngx_uint_t refused);
static void llmgw_govern_done(void *data, llmgw_store_rc_e rc,
    ngx_uint_t refused);
static void llmgw_store_waiter_cleanup(void *data);
static ngx_int_t llmgw_govern_refuse(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_charge_t *c);

const char  *llmgw_level_names[] = {
    "provider entry", "key", "team", "customer"
};


/*
 * NGX_OK: admitted; NGX_AGAIN: the store answers later and the phases run
 * again; NGX_ERROR: refused, with ctx->status set.
 */

ngx_int_t
llmgw_govern_reserve(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_uint_t             refused;
    llmgw_store_rc_e       rc;
    llmgw_store_waiter_t  *w;

    if (llmgw_govern_price(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    llmgw_govern_estimate(r, ctx);

    if (llmgw_govern_charges(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->ncharges == 0) {
        return NGX_OK;
    }

    w = llmgw_store_waiter(r, ctx, llmgw_govern_done);
    if (w == NULL) {
        return NGX_ERROR;
    }

    refused = 0;
    rc = ctx->lmcf->store_ops->reserve(ctx->lmcf->store, w, &refused);

    if (rc == LLMGW_STORE_AGAIN) {
        ctx->waiting = 1;
        return NGX_AGAIN;
    }

    return llmgw_govern_answer(r, ctx, rc, refused);
}


/* the store answered later: back to the access phase */

static void
llmgw_govern_done(void *data, llmgw_store_rc_e rc, ngx_uint_t refused)
{
    ngx_http_request_t *r = data;

    llmgw_ctx_t       *ctx;
    ngx_connection_t  *c;

    c = r->connection;
    ctx = llmgw_ctx_get(r);

    ctx->waiting = 0;
    ctx->waiter = NULL;

    (void) llmgw_govern_answer(r, ctx, rc, refused);

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
    ngx_http_run_posted_requests(c);
}


/* a waiter for the store's answer about this request's charges; the
 * request's cleanup cancels it, so the store never touches a request that
 * went away */

llmgw_store_waiter_t *
llmgw_store_waiter(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_store_done_pt done)
{
    ngx_http_cleanup_t    *cln;
    llmgw_store_waiter_t  *w;

    w = ngx_pcalloc(r->pool, sizeof(llmgw_store_waiter_t));
    cln = ngx_http_cleanup_add(r, 0);
    if (w == NULL || cln == NULL) {
        return NULL;
    }

    w->done = done;
    w->data = r;
    w->charges = ctx->charges;
    w->n = ctx->ncharges;
    ctx->waiter = w;

    cln->handler = llmgw_store_waiter_cleanup;
    cln->data = ctx;

    return w;
}


static void
llmgw_store_waiter_cleanup(void *data)
{
    llmgw_ctx_t *ctx = data;

    if (ctx->waiting && ctx->waiter) {
        ctx->lmcf->store_ops->cancel(ctx->lmcf->store, ctx->waiter);
        ctx->waiter = NULL;
    }
}


static ngx_int_t
llmgw_govern_answer(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_store_rc_e rc, ngx_uint_t refused)
{
    llmgw_main_conf_t  *lmcf;

    switch (rc) {

    case LLMGW_STORE_OK:
        ctx->reserved = 1;
        return NGX_OK;

    case LLMGW_STORE_REFUSED:
        return llmgw_govern_refuse(r, ctx, &ctx->charges[refused]);

    default:
        lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

        if (lmcf->fail_open) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "llmgw: the store cannot answer: request admitted "
                          "unchecked (llmgw_store_fail open)");
            llmgw_metric_inc(lmcf, LLMGW_METRIC_STORE_OPEN);
            ctx->store_failed_open = 1;
            return NGX_OK;
        }

        llmgw_metric_inc(lmcf, LLMGW_METRIC_STORE_CLOSED);

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llmgw: the store cannot answer: request refused "
                      "(llmgw_store_fail closed)");

        return llmgw_fail(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE, "api_error",
                          "store_unavailable", "Limits and budgets cannot be "
                          "checked right now; try again shortly");
    }
}


static ngx_int_t
llmgw_govern_price(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);
    ctx->lmcf = lmcf;

    ctx->price = llmgw_price(lmcf, ctx->provider, &ctx->upstream_model);

    if (ctx->price) {
        return NGX_OK;
    }

    if (!lmcf->allow_unpriced) {
        return llmgw_fail(r, ctx, NGX_HTTP_FORBIDDEN, "permission_error",
                          "model_not_priced", "The model \"%V\" on provider "
                          "\"%V\" has no price, and this gateway refuses "
                          "unpriced models", &ctx->upstream_model,
                          &ctx->provider->name);
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "llmgw: model \"%V\" on provider \"%V\" has no price: "
                  "counted at $0 (unpriced_models allow)",
                  &ctx->upstream_model, &ctx->provider->name);

    llmgw_metric_inc(lmcf, LLMGW_METRIC_UNPRICED);

    return NGX_OK;
}


/*
 * What the request may cost at most: a token per 4 bytes of body (JSON and
 * markup make that an over-estimate of the prompt), and the output it asks
 * for, or the model's cap, or the configured default.
 */

static void
llmgw_govern_estimate(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    int64_t         out;
    llmgw_usage_t  *est = &ctx->estimate;

    est->prompt = (ctx->body.len + 3) / 4;
    out = 0;

    if (ctx->endpoint != LLMGW_EP_EMBEDDINGS) {
        out = (ctx->max_output >= 0) ? ctx->max_output
              : (ctx->price && ctx->price->max_output)
                ? ctx->price->max_output : ctx->lmcf->default_max_output;
    }

    est->completion = out;
    est->total = est->prompt + out;
    est->cached = 0;

    ctx->estimate_cost = ctx->price ? llmgw_cost(ctx->price, est) : 0;
}


/* the request's levels: its provider entry, key, team, customer */

static ngx_int_t
llmgw_govern_charges(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_uint_t       n;
    llmgw_entity_t  *e, *levels[4];

    n = 0;

    for (e = &ctx->route->entity; e; e = e->parent) {
        levels[n++] = e;
    }

    return llmgw_charges_build(r, ctx, levels, n);
}


/* a charge for each limit of each entity, amounts from the estimate */

ngx_int_t
llmgw_charges_build(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_entity_t **entities, ngx_uint_t nentities)
{
    u_char               *key;
    size_t                size;
    time_t                now, start, end;
    ngx_uint_t            i, j, n;
    llmgw_limit_t        *l;
    llmgw_charge_t       *c;
    llmgw_entity_t       *e;
    llmgw_charge_info_t  *info;

    n = 0;
    size = 0;

    for (j = 0; j < nentities; j++) {
        e = entities[j];
        l = e->limits.elts;
        n += e->limits.nelts;

        for (i = 0; i < e->limits.nelts; i++) {
            size += l[i].prefix.len + NGX_TIME_T_LEN;
        }
    }

    ctx->ncharges = 0;

    if (n == 0) {
        return NGX_OK;
    }

    if (n > LLMGW_MAX_CHARGES) {
        return llmgw_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                          "api_error", "internal_error",
                          "more than %d limits apply", LLMGW_MAX_CHARGES);
    }

    ctx->charges = ngx_palloc(r->pool, n * sizeof(llmgw_charge_t)
                                       + n * sizeof(llmgw_charge_info_t)
                                       + size);
    if (ctx->charges == NULL) {
        return NGX_ERROR;
    }

    info = (llmgw_charge_info_t *) &ctx->charges[n];
    key = (u_char *) &info[n];

    now = ngx_time();
    n = 0;

    for (j = 0; j < nentities; j++) {
        e = entities[j];
        l = e->limits.elts;

        for (i = 0; i < e->limits.nelts; i++) {
            c = &ctx->charges[n];
            llmgw_limit_window(&l[i], now, &start, &end);

            /* the key made at configuration time, and the window's start,
             * written and hashed once a window */
            if (l[i].win_key_len == 0 || l[i].win_key_start != start) {
                l[i].win_key_len = ngx_sprintf(l[i].win_key, "%T", start)
                                   - l[i].win_key;
                l[i].win_key_start = start;

                l[i].win_hash = l[i].prefix_crc;
                ngx_crc32_update(&l[i].win_hash, l[i].win_key,
                                 l[i].win_key_len);
                ngx_crc32_final(l[i].win_hash);
            }

            c->key = key;
            key = ngx_cpymem(key, l[i].prefix.data, l[i].prefix.len);
            key = ngx_cpymem(key, l[i].win_key, l[i].win_key_len);
            c->key_len = key - c->key;
            c->hash = l[i].win_hash;

            c->limit = l[i].limit;
            c->amount = l[i].kind == LLMGW_LIMIT_REQUESTS
                        ? (ctx->estimate.total ? 1 : 0)
                        : l[i].kind == LLMGW_LIMIT_TOKENS ? ctx->estimate.total
                        : ctx->estimate_cost;
            c->reset = end;
            c->used = 0;

            info[n].entity = e;
            info[n].limit = &l[i];
            c->data = &info[n];
            n++;
        }
    }

    ctx->ncharges = n;

    return NGX_OK;
}


static ngx_int_t
llmgw_govern_refuse(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_charge_t *c)
{
    u_char               *p, retry[NGX_TIME_T_LEN], used[32], limit[32],
                          need[32];
    time_t                wait;
    llmgw_limit_t        *l;
    llmgw_entity_t       *e;
    llmgw_charge_info_t  *info = c->data;

    e = info->entity;
    l = info->limit;
    wait = ngx_max(c->reset - ngx_time(), 1);

    ctx->refused = c;

    llmgw_metric_inc(ctx->lmcf, LLMGW_METRIC_REFUSED + 2 * e->level
                                + (l->kind == LLMGW_LIMIT_SPEND));

    p = ngx_sprintf(retry, "%T", wait);

    if (llmgw_header(r, "Retry-After", retry, p - retry) != NGX_OK) {
        return NGX_ERROR;
    }

    if (l->kind == LLMGW_LIMIT_SPEND) {
        *llmgw_format_usd(used, used + sizeof(used) - 1, c->used) = '\0';
        *llmgw_format_usd(limit, limit + sizeof(limit) - 1, c->limit) = '\0';
        *llmgw_format_usd(need, need + sizeof(need) - 1, c->amount) = '\0';

        return llmgw_fail(r, ctx, LLMGW_HTTP_PAYMENT_REQUIRED,
                          "budget_exceeded", "budget_exceeded",
                          "Budget exceeded for %s \"%V\": %s of %s per %V "
                          "spent, this request may cost up to %s; the "
                          "budget resets in %Ts", llmgw_level_names[e->level],
                          &e->id, used, limit, &l->name, need, wait);
    }

    return llmgw_fail(r, ctx, NGX_HTTP_TOO_MANY_REQUESTS, "rate_limit_error",
                      "rate_limit_exceeded", "Rate limit reached for %s "
                      "\"%V\": %L %s per %V (this request needs %L); retry "
                      "in %Ts", llmgw_level_names[e->level], &e->id, c->limit,
                      l->kind == LLMGW_LIMIT_REQUESTS ? "requests" : "tokens",
                      &l->name, c->amount, wait);
}


/*
 * x-ratelimit-{limit,remaining,reset}-{requests,tokens}, OpenAI's headers,
 * from the tightest window of each kind.
 */

ngx_int_t
llmgw_govern_headers(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    u_char               *p, *v;
    int64_t               left, best_left[2], value[3];
    ngx_uint_t            i, kind, n;
    llmgw_charge_t       *c, *best[2];
    llmgw_charge_info_t  *info;

    static ngx_str_t  names[2][3] = {
        { ngx_string("x-ratelimit-limit-requests"),
          ngx_string("x-ratelimit-remaining-requests"),
          ngx_string("x-ratelimit-reset-requests") },
        { ngx_string("x-ratelimit-limit-tokens"),
          ngx_string("x-ratelimit-remaining-tokens"),
          ngx_string("x-ratelimit-reset-tokens") }
    };

    if (!(ctx->reserved || ctx->refused)) {
        return NGX_OK;
    }

    /* per kind, the rate limit with the least left */

    best[0] = NULL;
    best[1] = NULL;
    best_left[0] = 0;
    best_left[1] = 0;

    for (i = 0; i < ctx->ncharges; i++) {
        c = &ctx->charges[i];
        info = c->data;
        kind = info->limit->kind;

        if (kind > LLMGW_LIMIT_TOKENS) {
            continue;
        }

        left = ngx_max(c->limit - c->used, 0);

        if (best[kind] == NULL || left < best_left[kind]) {
            best[kind] = c;
            best_left[kind] = left;
        }
    }

    for (kind = LLMGW_LIMIT_REQUESTS; kind <= LLMGW_LIMIT_TOKENS; kind++) {
        if (best[kind] == NULL) {
            continue;
        }

        value[0] = best[kind]->limit;
        value[1] = best_left[kind];
        value[2] = ngx_max(best[kind]->reset - ngx_time(), 0);

        p = ngx_pnalloc(r->pool, 3 * NGX_INT64_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        for (n = 0; n < 3; n++) {
            v = p;
            p = llmgw_int_put(p, value[n]);

            if (llmgw_header_ref(r, &names[kind][n], v, p - v) != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* a response header, its value copied */

ngx_int_t
llmgw_header(ngx_http_request_t *r, const char *name, u_char *value,
    size_t len)
{
    u_char     *copy;
    ngx_str_t   key;

    copy = ngx_pnalloc(r->pool, len);
    if (copy == NULL) {
        return NGX_ERROR;
    }

    key.data = (u_char *) name;
    key.len = ngx_strlen(name);
    ngx_memcpy(copy, value, len);

    /* the header keeps a copy of the key's pointer and length */
    return llmgw_header_ref(r, &key, copy, len);
}


/* name and value as they are, for the length of the request */

ngx_int_t
llmgw_header_ref(ngx_http_request_t *r, ngx_str_t *name, u_char *value,
    size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = *name;
    h->value.data = value;
    h->value.len = len;

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


/*
 * The log phase: what the request really used replaces what was reserved.
 * A request that failed before the provider produced anything is released;
 * one that succeeded without reporting usage keeps its reservation.
 */

void
llmgw_govern_settle(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    int64_t               tokens, cost, delta[LLMGW_MAX_CHARGES];
    ngx_uint_t            i, release;
    llmgw_usage_t         used;
    llmgw_charge_info_t  *info;

    release = !ctx->usage.seen
              && (r->headers_out.status >= NGX_HTTP_BAD_REQUEST
                  || r->upstream == NULL);

    if (ctx->usage.seen) {
        tokens = ctx->usage.total ? ctx->usage.total
                                  : ctx->usage.prompt + ctx->usage.completion;
        cost = ctx->price ? llmgw_cost(ctx->price, &ctx->usage) : 0;
        ctx->settlement = LLMGW_SETTLE_USAGE;

    } else if (release) {
        tokens = 0;
        cost = 0;
        ctx->settlement = LLMGW_SETTLE_RELEASED;

    } else if (ctx->resp_mode == LLMGW_RESP_SSE
               || ctx->resp_mode == LLMGW_RESP_XSSE
               || ctx->resp_mode == LLMGW_RESP_XEVS)
    {
        /* a stream that ended before its usage: the prompt as counted or
         * estimated, and a token per 4 bytes of the text it delivered */
        used.prompt = ctx->usage.prompt ? ctx->usage.prompt
                                        : ctx->estimate.prompt;
        used.completion = (ctx->streamed_text + 3) / 4;
        used.cached = 0;
        used.cache_write = 0;
        tokens = used.prompt + used.completion;
        used.total = tokens;
        used.seen = 1;
        cost = ctx->price ? llmgw_cost(ctx->price, &used) : 0;
        ctx->settlement = LLMGW_SETTLE_STREAMED;

        /* what was billed, for the log's variables */
        ctx->usage = used;

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "llmgw: the stream ended without usage: billed for "
                      "%uz bytes of text it delivered, %L tokens",
                      ctx->streamed_text, tokens);

    } else {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "llmgw: the provider reported no usage: the "
                      "estimate of %L tokens is charged",
                      ctx->estimate.total);
        tokens = ctx->estimate.total;
        cost = ctx->estimate_cost;
        ctx->settlement = LLMGW_SETTLE_ESTIMATE;
    }

    ctx->cost = cost;

    if (!ctx->reserved) {
        return;
    }

    for (i = 0; i < ctx->ncharges; i++) {
        info = ctx->charges[i].data;

        switch (info->limit->kind) {

        case LLMGW_LIMIT_REQUESTS:
            delta[i] = 0;
            break;

        case LLMGW_LIMIT_TOKENS:
            delta[i] = tokens - ctx->charges[i].amount;
            break;

        default:
            delta[i] = cost - ctx->charges[i].amount;
        }

        ctx->charges[i].used += delta[i];
    }

    ctx->lmcf->store_ops->settle(ctx->lmcf->store, ctx->charges, delta,
                                 ctx->ncharges);
}


/* a failed attempt gives its reservation back before the next one makes
 * its own: the request is counted and charged once, where it is served */

void
llmgw_govern_release(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    int64_t     delta[LLMGW_MAX_CHARGES];
    ngx_uint_t  i;

    if (!ctx->reserved || ctx->ncharges == 0) {
        return;
    }

    for (i = 0; i < ctx->ncharges; i++) {
        delta[i] = -ctx->charges[i].amount;
    }

    ctx->lmcf->store_ops->settle(ctx->lmcf->store, ctx->charges, delta,
                                 ctx->ncharges);
    ctx->reserved = 0;
}
