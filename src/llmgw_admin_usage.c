/*
 * llmgw: GET .../keys|teams|customers/ID/usage: the limits and budgets that
 * apply to an entity, as the store has them now.
 */


#include "llmgw_admin_int.h"


static ngx_int_t llmgw_admin_usage_levels(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, llmgw_entity_t **levels, ngx_uint_t *n);
static void llmgw_admin_usage_done(void *data, llmgw_store_rc_e rc,
    ngx_uint_t refused);
static ngx_int_t llmgw_admin_usage_send(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, llmgw_store_rc_e rc);


/* an entity's limits and budgets, and those of what it belongs to, as the
 * store has them now */

ngx_int_t
llmgw_admin_usage(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    ngx_int_t              rc;
    ngx_uint_t             n;
    llmgw_ctx_t           *g;
    llmgw_entity_t        *levels[LLMGW_MAX_CHARGES];
    llmgw_store_rc_e       src;
    llmgw_store_waiter_t  *w;

    g = ngx_pcalloc(r->pool, sizeof(llmgw_ctx_t));
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    g->lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);
    actx->gctx = g;

    rc = llmgw_admin_usage_levels(r, actx, levels, &n);
    if (rc == NGX_DECLINED) {
        return llmgw_admin_staged(r, actx);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (llmgw_charges_build(r, g, levels, n) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (g->ncharges == 0) {
        return llmgw_admin_usage_send(r, actx, LLMGW_STORE_OK);
    }

    w = llmgw_store_waiter(r, g, llmgw_admin_usage_done);
    if (w == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    src = g->lmcf->store_ops->read(g->lmcf->store, w);

    if (src == LLMGW_STORE_AGAIN) {
        g->waiting = 1;
        r->main->count++;
        return NGX_DONE;
    }

    g->waiter = NULL;

    return llmgw_admin_usage_send(r, actx, src);
}


static ngx_int_t
llmgw_admin_usage_levels(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    llmgw_entity_t **levels, ngx_uint_t *n)
{
    ngx_uint_t          i, k;
    llmgw_view_t       *view;
    llmgw_vkey_t       *vk;
    llmgw_route_t      *rt;
    llmgw_entity_t     *e;
    llmgw_admin_ent_t   ent;
    llmgw_main_conf_t  *lmcf;
    u_char              digest[LLMGW_DIGEST_LEN];
    json_t             *hex;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);
    k = 0;
    *n = 0;

    if (llmgw_admin_load(r, actx->route.kind, &actx->route.id, &ent)
        != NGX_OK)
    {
        return llmgw_admin_stage(actx, NGX_HTTP_NOT_FOUND,
                                 "invalid_request_error", "not_found",
                                 "no %s \"%V\"",
                                 llmgw_admin_kind_name(actx->route.kind),
                                 &actx->route.id);
    }

    if (actx->route.kind != 'k') {
        json_decref(ent.obj);

        view = (llmgw_registry_gen(lmcf) == 0) ? NULL
               : llmgw_view_get(lmcf, r->connection->log);

        /* the store may answer after the view was replaced */
        if (view && llmgw_view_hold(r, view) != NGX_OK) {
            return NGX_ERROR;
        }

        e = llmgw_view_entity(lmcf, view,
                              actx->route.kind == 't' ? LLMGW_LEVEL_TEAM
                                                      : LLMGW_LEVEL_CUSTOMER,
                              &actx->route.id);

        for ( /* void */ ; e && k < LLMGW_MAX_CHARGES; e = e->parent) {
            levels[k++] = e;
        }

        *n = k;
        return NGX_OK;
    }

    hex = json_object_get(ent.obj, "key_sha256");

    if (!json_is_string(hex) || json_string_length(hex) != 2 * LLMGW_DIGEST_LEN
        || llmgw_hex_decode(digest, (u_char *) json_string_value(hex),
                          2 * LLMGW_DIGEST_LEN) != NGX_OK)
    {
        json_decref(ent.obj);
        return NGX_ERROR;
    }

    json_decref(ent.obj);

    vk = llmgw_view_vkey(r, lmcf, digest);
    if (vk == NULL) {
        *n = 0;
        return NGX_OK;
    }

    rt = vk->routes.elts;

    for (i = 0; i < vk->routes.nelts && k < LLMGW_MAX_CHARGES - 3; i++) {
        if (rt[i].entity.limits.nelts) {
            levels[k++] = &rt[i].entity;
        }
    }

    for (e = &vk->entity; e && k < LLMGW_MAX_CHARGES; e = e->parent) {
        levels[k++] = e;
    }

    *n = k;

    return NGX_OK;
}


static void
llmgw_admin_usage_done(void *data, llmgw_store_rc_e rc, ngx_uint_t refused)
{
    ngx_http_request_t *r = data;

    ngx_connection_t   *c;
    llmgw_admin_ctx_t  *actx;

    c = r->connection;
    actx = llmgw_admin_ctx(r, 0);
    actx->gctx->waiting = 0;
    actx->gctx->waiter = NULL;

    ngx_http_finalize_request(r, llmgw_admin_usage_send(r, actx, rc));
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
llmgw_admin_usage_send(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    llmgw_store_rc_e rc)
{
    json_t      *items, *item, *root;
    ngx_int_t    sent;
    ngx_uint_t   i;

    if (rc != LLMGW_STORE_OK) {
        return llmgw_admin_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, "api_error",
                                 "store_unavailable",
                                 "usage cannot be read right now");
    }

    items = json_array();

    for (i = 0; i < actx->gctx->ncharges; i++) {
        item = llmgw_usage_item(&actx->gctx->charges[i]);
        if (item) {
            json_array_append_new(items, item);
        }
    }

    root = json_pack("{s:s,s:s,s:s%,s:o}", "object", "llmgw.usage",
                     "level", actx->route.kind == 'k' ? "key"
                              : actx->route.kind == 't' ? "team"
                              : "customer",
                     "id", (char *) actx->route.id.data,
                     actx->route.id.len, "limits", items);

    sent = llmgw_admin_send(r, NGX_HTTP_OK, root);
    json_decref(root);

    return sent;
}
