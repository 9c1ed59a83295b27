/*
 * llmgw: GET .../llmgw/usage, a key's own limits and budgets at every
 * level, what is used and what remains, authenticated by the key itself.
 */


#include "llmgw.h"


static void llmgw_usage_done(void *data, llmgw_store_rc_e rc,
    ngx_uint_t refused);
static ngx_int_t llmgw_usage_send(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_store_rc_e rc);


/* NGX_DONE when the store answers later; else the response's rc */

ngx_int_t
llmgw_usage_report(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_uint_t             i, n;
    llmgw_route_t         *rt;
    llmgw_entity_t        *e, *levels[LLMGW_MAX_CHARGES];
    llmgw_store_rc_e       rc;
    llmgw_store_waiter_t  *w;

    ctx->lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    n = 0;
    rt = ctx->vkey->routes.elts;

    for (i = 0; i < ctx->vkey->routes.nelts && n < LLMGW_MAX_CHARGES - 3;
         i++)
    {
        if (rt[i].entity.limits.nelts) {
            levels[n++] = &rt[i].entity;
        }
    }

    for (e = &ctx->vkey->entity; e; e = e->parent) {
        levels[n++] = e;
    }

    /* a reading: nothing is reserved */
    ngx_memzero(&ctx->estimate, sizeof(llmgw_usage_t));
    ctx->estimate_cost = 0;

    if (llmgw_charges_build(r, ctx, levels, n) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->ncharges == 0) {
        return llmgw_usage_send(r, ctx, LLMGW_STORE_OK);
    }

    w = llmgw_store_waiter(r, ctx, llmgw_usage_done);
    if (w == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ctx->lmcf->store_ops->read(ctx->lmcf->store, w);

    if (rc == LLMGW_STORE_AGAIN) {
        ctx->waiting = 1;
        return NGX_DONE;
    }

    ctx->waiter = NULL;

    return llmgw_usage_send(r, ctx, rc);
}


static void
llmgw_usage_done(void *data, llmgw_store_rc_e rc, ngx_uint_t refused)
{
    ngx_http_request_t *r = data;

    llmgw_ctx_t       *ctx;
    ngx_connection_t  *c;

    c = r->connection;
    ctx = llmgw_ctx_get(r);
    ctx->waiting = 0;
    ctx->waiter = NULL;

    ngx_http_finalize_request(r, llmgw_usage_send(r, ctx, rc));
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
llmgw_usage_send(ngx_http_request_t *r, llmgw_ctx_t *ctx, llmgw_store_rc_e rc)
{
    json_t      *root, *items, *item;
    ngx_int_t    sent;
    ngx_uint_t   i;

    if (rc != LLMGW_STORE_OK) {
        llmgw_fail(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE, "api_error",
                   "store_unavailable", "Usage cannot be read right now");
        return llmgw_send_error(r, ctx);
    }

    root = json_object();
    items = json_array();

    if (root == NULL || items == NULL) {
        goto failed;
    }

    for (i = 0; i < ctx->ncharges; i++) {
        item = llmgw_usage_item(&ctx->charges[i]);

        if (item == NULL || json_array_append_new(items, item) != 0) {
            goto failed;
        }
    }

    if (json_object_set_new(root, "object", json_string("llmgw.usage")) != 0
        || json_object_set_new(root, "key",
                               json_stringn((char *) ctx->vkey->id.data,
                                            ctx->vkey->id.len)) != 0
        || json_object_set(root, "limits", items) != 0)
    {
        goto failed;
    }

    sent = llmgw_send_json_value(r, NGX_HTTP_OK, root);

    json_decref(items);
    json_decref(root);

    return sent;

failed:

    json_decref(items);
    json_decref(root);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* one limit as the usage endpoints show it (the admin API's too) */

json_t *
llmgw_usage_item(llmgw_charge_t *c)
{
    u_char               buf[3][32], *p[3];
    time_t               reset;
    llmgw_limit_t       *l;
    llmgw_entity_t      *e;
    llmgw_charge_info_t *info = c->data;

    static const char  *kinds[] = { "requests", "tokens", "budget" };

    e = info->entity;
    l = info->limit;
    reset = c->reset;

    if (l->kind != LLMGW_LIMIT_SPEND) {
        return json_pack("{s:s,s:s%,s:s,s:s%,s:I,s:I,s:I,s:I}",
                         "level", llmgw_level_names[e->level],
                         "id", (char *) e->id.data, e->id.len,
                         "kind", kinds[l->kind],
                         "window", (char *) l->name.data, l->name.len,
                         "limit", (json_int_t) c->limit,
                         "used", (json_int_t) c->used,
                         "remaining",
                         (json_int_t) ngx_max(c->limit - c->used, 0),
                         "resets_at", (json_int_t) reset);
    }

    p[0] = llmgw_format_usd(buf[0], buf[0] + 31, c->limit);
    p[1] = llmgw_format_usd(buf[1], buf[1] + 31, c->used);
    p[2] = llmgw_format_usd(buf[2], buf[2] + 31,
                            ngx_max(c->limit - c->used, 0));

    /* dollars as decimal strings: no binary rounding */
    return json_pack("{s:s,s:s%,s:s,s:s%,s:s,s:s%,s:s%,s:s%,s:I}",
                     "level", llmgw_level_names[e->level],
                     "id", (char *) e->id.data, e->id.len,
                     "kind", kinds[l->kind],
                     "period", (char *) l->name.data, l->name.len,
                     "reset", l->calendar ? "calendar" : "rolling",
                     "limit_usd", (char *) buf[0] + 1, p[0] - buf[0] - 1,
                     "spent_usd", (char *) buf[1] + 1, p[1] - buf[1] - 1,
                     "remaining_usd", (char *) buf[2] + 1,
                     p[2] - buf[2] - 1,
                     "resets_at", (json_int_t) reset);
}
