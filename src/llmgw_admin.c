/*
 * llmgw: the admin API (`llmgw_admin;`), the content handler: its routes.
 * Keys, teams and customers are the governance file's, edited or added
 * through the registry (llmgw_registry.c); the entities' routes are in
 * llmgw_admin_entity.c, writes in llmgw_admin_write.c.
 */


#include "llmgw_admin_int.h"


static void llmgw_admin_ctx_cleanup(void *data);
static void llmgw_admin_route(ngx_http_request_t *r, llmgw_admin_ctx_t *actx);
static void llmgw_admin_body(ngx_http_request_t *r);
static ngx_int_t llmgw_admin_dispatch(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
static ngx_int_t llmgw_admin_entity_route(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
static ngx_int_t llmgw_admin_whoami(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
static ngx_int_t llmgw_admin_trail(ngx_http_request_t *r);
static ngx_int_t llmgw_admin_stats_route(ngx_http_request_t *r);


llmgw_admin_ctx_t *
llmgw_admin_ctx(ngx_http_request_t *r, ngx_uint_t create)
{
    llmgw_admin_ctx_t   *actx;
    ngx_pool_cleanup_t  *cln;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == llmgw_admin_ctx_cleanup) {
            return cln->data;
        }
    }

    if (!create) {
        return NULL;
    }

    actx = ngx_pcalloc(r->pool, sizeof(llmgw_admin_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (actx == NULL || cln == NULL) {
        return NULL;
    }

    cln->handler = llmgw_admin_ctx_cleanup;
    cln->data = actx;

    llmgw_admin_route(r, actx);

    return actx;
}


static void
llmgw_admin_ctx_cleanup(void *data)
{
    llmgw_admin_ctx_t  *actx = data;

    if (actx->before) {
        json_decref(actx->before);
        actx->before = NULL;
    }
}


/* the path after the location's prefix, in segments */

static void
llmgw_admin_route(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    u_char                    *p, *last, *s;
    ngx_str_t                 *seg[3];
    ngx_http_core_loc_conf_t  *clcf;
    llmgw_admin_route_t       *rt;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    rt = &actx->route;

    p = r->uri.data;
    last = r->uri.data + r->uri.len;

    if (!clcf->regex && r->uri.len >= clcf->name.len) {
        p += clcf->name.len;
    }

    seg[0] = &rt->coll;
    seg[1] = &rt->id;
    seg[2] = &rt->action;

    while (p < last) {
        while (p < last && *p == '/') {
            p++;
        }

        if (p == last) {
            break;
        }

        s = p;

        while (p < last && *p != '/') {
            p++;
        }

        if (rt->nsegs < 3) {
            seg[rt->nsegs]->data = s;
            seg[rt->nsegs]->len = p - s;
        }

        rt->nsegs++;
    }

    if (rt->nsegs == 0 || (rt->nsegs == 1 && rt->coll.len == 9
                           && ngx_strncmp(rt->coll.data, "dashboard", 9)
                              == 0))
    {
        actx->public = 1;
        return;
    }

    if (rt->coll.len == 4 && ngx_strncmp(rt->coll.data, "keys", 4) == 0) {
        rt->kind = 'k';

    } else if (rt->coll.len == 5
               && ngx_strncmp(rt->coll.data, "teams", 5) == 0)
    {
        rt->kind = 't';

    } else if (rt->coll.len == 9
               && ngx_strncmp(rt->coll.data, "customers", 9) == 0)
    {
        rt->kind = 'c';
    }
}


ngx_int_t
llmgw_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t           rc;
    llmgw_admin_ctx_t  *actx;

    actx = llmgw_admin_ctx(r, 1);
    if (actx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (actx->public) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return llmgw_admin_error(r, NGX_HTTP_NOT_ALLOWED,
                                     "invalid_request_error",
                                     "method_not_allowed",
                                     "the dashboard is read with GET");
        }

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return llmgw_admin_dashboard(r);
    }

    if (actx->deny_status) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return llmgw_admin_error(r, actx->deny_status, actx->deny_type,
                                 actx->deny_code, "%s", actx->deny_msg);
    }

    if (!actx->authorized) {
        /* the access phase did not run: a misconfiguration */
        return NGX_HTTP_FORBIDDEN;
    }

    if (r->method & (NGX_HTTP_POST|NGX_HTTP_PUT|NGX_HTTP_PATCH)) {
        if (r->headers_in.content_length_n > LLMGW_ADMIN_MAX_BODY) {
            /* the body is not read: the connection cannot be kept */
            r->keepalive = 0;

            return llmgw_admin_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                     "invalid_request_error",
                                     "body_too_large",
                                     "an admin request is at most %d bytes",
                                     LLMGW_ADMIN_MAX_BODY);
        }

        rc = ngx_http_read_client_request_body(r, llmgw_admin_body);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return llmgw_admin_dispatch(r, actx);
}


static void
llmgw_admin_body(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, llmgw_admin_dispatch(r,
                                                  llmgw_admin_ctx(r, 0)));
}


#define llmgw_admin_is(s, lit)                                                \
    ((s)->len == sizeof(lit) - 1                                              \
     && ngx_strncmp((s)->data, lit, sizeof(lit) - 1) == 0)

#define llmgw_admin_may(actx, perm)  ((actx)->who.perms & (perm))


static ngx_int_t
llmgw_admin_dispatch(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    llmgw_admin_route_t  *rt;

    rt = &actx->route;

    if (rt->kind) {
        return llmgw_admin_entity_route(r, actx);
    }

    if (rt->nsegs != 1) {
        goto not_found;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return llmgw_admin_error(r, NGX_HTTP_NOT_ALLOWED,
                                 "invalid_request_error",
                                 "method_not_allowed", "use GET on %V",
                                 &r->uri);
    }

    if (llmgw_admin_is(&rt->coll, "whoami")) {
        return llmgw_admin_whoami(r, actx);
    }

    if (llmgw_admin_is(&rt->coll, "audit")) {
        if (!llmgw_admin_may(actx, LLMGW_PERM_AUDIT)) {
            goto forbidden;
        }

        return llmgw_admin_trail(r);
    }

    if (llmgw_admin_is(&rt->coll, "stats")) {
        if (!llmgw_admin_may(actx, LLMGW_PERM_USAGE)) {
            goto forbidden;
        }

        return llmgw_admin_stats_route(r);
    }

not_found:

    return llmgw_admin_error(r, NGX_HTTP_NOT_FOUND, "invalid_request_error",
                             "unknown_route", "no admin route %V", &r->uri);

forbidden:

    return llmgw_admin_error(r, NGX_HTTP_FORBIDDEN, "permission_error",
                             "forbidden", "the role \"%V\" may not do this",
                             &actx->who.role);
}


static ngx_int_t
llmgw_admin_entity_route(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    ngx_uint_t            read, write;
    llmgw_admin_route_t  *rt;

    rt = &actx->route;
    read = r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD);
    write = (rt->kind == 'k') ? LLMGW_PERM_KEYS : LLMGW_PERM_GOVERN;

    if (rt->nsegs > 3) {
        return llmgw_admin_error(r, NGX_HTTP_NOT_FOUND,
                                 "invalid_request_error", "unknown_route",
                                 "no admin route %V", &r->uri);
    }

    if (rt->nsegs == 3 && llmgw_admin_is(&rt->action, "usage")) {
        if (!read) {
            goto not_allowed;
        }

        if (!llmgw_admin_may(actx, LLMGW_PERM_USAGE)) {
            goto forbidden;
        }

        return llmgw_admin_usage(r, actx);
    }

    if (rt->nsegs == 3 && llmgw_admin_is(&rt->action, "override")) {
        write = LLMGW_PERM_GOVERN;
    }

    if (!llmgw_admin_may(actx, read ? LLMGW_PERM_READ : write)) {
        goto forbidden;
    }

    if (rt->nsegs == 1) {
        if (read) {
            return llmgw_admin_list(r, rt->kind);
        }

        if (r->method != NGX_HTTP_POST) {
            goto not_allowed;
        }

        return llmgw_admin_create(r, actx);
    }

    if (rt->nsegs == 2) {
        switch (r->method) {
        case NGX_HTTP_GET:
        case NGX_HTTP_HEAD:
            return llmgw_admin_get(r, actx);
        case NGX_HTTP_PATCH:
            return llmgw_admin_patch(r, actx);
        case NGX_HTTP_DELETE:
            return llmgw_admin_delete(r, actx);
        default:
            goto not_allowed;
        }
    }

    if (llmgw_admin_is(&rt->action, "override")) {
        if (r->method != NGX_HTTP_PUT && r->method != NGX_HTTP_DELETE) {
            goto not_allowed;
        }

        return llmgw_admin_override(r, actx);
    }

    if (r->method != NGX_HTTP_POST || rt->kind != 'k') {
        goto not_found_or_not_allowed;
    }

    if (llmgw_admin_is(&rt->action, "rotate")) {
        return llmgw_admin_rotate(r, actx);
    }

    if (llmgw_admin_is(&rt->action, "enable")) {
        return llmgw_admin_enable(r, actx, 1);
    }

    if (llmgw_admin_is(&rt->action, "disable")) {
        return llmgw_admin_enable(r, actx, 0);
    }

not_found_or_not_allowed:

    return llmgw_admin_error(r, NGX_HTTP_NOT_FOUND, "invalid_request_error",
                             "unknown_route", "no admin route %V %V",
                             &r->method_name, &r->uri);

not_allowed:

    return llmgw_admin_error(r, NGX_HTTP_NOT_ALLOWED, "invalid_request_error",
                             "method_not_allowed",
                             "method %V is not allowed on %V",
                             &r->method_name, &r->uri);

forbidden:

    return llmgw_admin_error(r, NGX_HTTP_FORBIDDEN, "permission_error",
                             "forbidden", "the role \"%V\" may not do this",
                             &actx->who.role);
}


static ngx_int_t
llmgw_admin_whoami(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    json_t     *v, *perms;
    ngx_int_t   rc;
    ngx_uint_t  i;

    static const char  *names[] = { "read", "usage", "keys", "govern",
                                    "audit" };

    perms = json_array();

    for (i = 0; i < 5; i++) {
        if (actx->who.perms & (1 << i)) {
            json_array_append_new(perms, json_string(names[i]));
        }
    }

    v = json_pack("{s:s%,s:s%,s:s,s:o}",
                  "subject", (char *) actx->who.subject.data,
                  actx->who.subject.len,
                  "role", (char *) actx->who.role.data, actx->who.role.len,
                  "via", actx->who.via ? actx->who.via : "token",
                  "permissions", perms);

    rc = llmgw_admin_send(r, NGX_HTTP_OK, v);
    json_decref(v);

    return rc;
}


static ngx_int_t
llmgw_admin_trail(ngx_http_request_t *r)
{
    json_t             *data, *v, *root;
    ngx_int_t           rc, limit;
    ngx_str_t           arg, *s;
    ngx_uint_t          i;
    ngx_array_t         out;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    limit = 100;

    if (ngx_http_arg(r, (u_char *) "limit", 5, &arg) == NGX_OK) {
        limit = ngx_atoi(arg.data, arg.len);

        if (limit <= 0) {
            return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                     "invalid_request_error", "invalid_limit",
                                     "\"limit\" must be a positive number");
        }
    }

    if (llmgw_registry_trail(lmcf, r->pool, limit, &out) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    data = json_array();
    s = out.elts;

    for (i = 0; i < out.nelts; i++) {
        v = json_loadb((char *) s[i].data, s[i].len, 0, NULL);
        if (v) {
            json_array_append_new(data, v);
        }
    }

    root = json_pack("{s:s,s:o}", "object", "list", "data", data);
    rc = llmgw_admin_send(r, NGX_HTTP_OK, root);
    json_decref(root);

    return rc;
}


static ngx_int_t
llmgw_admin_stats_route(ngx_http_request_t *r)
{
    json_t             *v;
    ngx_int_t           rc;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    v = llmgw_admin_stats(lmcf, ngx_time(), 168);
    if (v == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = llmgw_admin_send(r, NGX_HTTP_OK, v);
    json_decref(v);

    return rc;
}
