/*
 * llmgw: the admin API's keys, teams and customers: list, read, create,
 * edit, rotate, enable, delete, override.  Each has a version; a write
 * names the version it edits.
 */


#include <openssl/evp.h>
#include <openssl/rand.h>

#include "llmgw_admin_int.h"


static void llmgw_admin_list_file(json_t *data, ngx_array_t *docs,
    u_char kind, ngx_str_t *id, ngx_str_t *json);
static void llmgw_admin_list_add(json_t *data, llmgw_reg_doc_t *doc,
    ngx_str_t *json, ngx_uint_t file);
static ngx_int_t llmgw_admin_open(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, json_t *body, ngx_uint_t required,
    llmgw_admin_ent_t *ent, uint64_t *expect);
static ngx_int_t llmgw_admin_load_route(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, llmgw_admin_ent_t *ent);
static ngx_int_t llmgw_admin_load_file(ngx_http_request_t *r, u_char kind,
    ngx_str_t *id, llmgw_admin_ent_t *ent);
static ngx_int_t llmgw_admin_expect(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, json_t *body, llmgw_admin_ent_t *ent,
    ngx_uint_t required, uint64_t *expect);
static ngx_int_t llmgw_admin_mint(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, json_t *obj, llmgw_reg_doc_t *doc,
    ngx_str_t *secret);
static json_t *llmgw_admin_read_body(ngx_http_request_t *r);


/* the file's entities the API has not touched, then the API's, live */

ngx_int_t
llmgw_admin_list(ngx_http_request_t *r, u_char kind)
{
    json_t             *data, *root;
    ngx_int_t           rc;
    ngx_uint_t          i, n;
    ngx_array_t         docs;
    llmgw_vkey_t       *vk;
    llmgw_entity_t     *e;
    llmgw_reg_doc_t    *doc;
    ngx_atomic_uint_t   gen;
    ngx_rbtree_node_t  *node;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    if (llmgw_registry_list(lmcf, r->pool, &docs, &gen) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    data = json_array();
    if (data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (kind == 'k' && lmcf->vkeys.root != lmcf->vkeys.sentinel) {
        for (node = ngx_rbtree_min(lmcf->vkeys.root, lmcf->vkeys.sentinel);
             node;
             node = ngx_rbtree_next(&lmcf->vkeys, node))
        {
            vk = (llmgw_vkey_t *) node;
            llmgw_admin_list_file(data, &docs, kind, &vk->id, &vk->doc);
        }
    }

    if (kind != 'k') {
        e = (kind == 't') ? lmcf->teams.elts : lmcf->customers.elts;
        n = (kind == 't') ? lmcf->teams.nelts : lmcf->customers.nelts;

        for (i = 0; i < n; i++) {
            llmgw_admin_list_file(data, &docs, kind, &e[i].id, &e[i].doc);
        }
    }

    doc = docs.elts;

    for (i = 0; i < docs.nelts; i++) {
        if (doc[i].meta.kind == kind && !doc[i].meta.deleted) {
            llmgw_admin_list_add(data, &doc[i], &doc[i].json, 0);
        }
    }

    root = json_pack("{s:s,s:o}", "object", "list", "data", data);
    rc = llmgw_admin_send(r, NGX_HTTP_OK, root);
    json_decref(root);

    return rc;
}


/* an entity of the file, listed unless the API wrote it (docs: the
 * registry's) */

static void
llmgw_admin_list_file(json_t *data, ngx_array_t *docs, u_char kind,
    ngx_str_t *id, ngx_str_t *json)
{
    ngx_uint_t        i;
    llmgw_reg_doc_t  *doc, file;

    doc = docs->elts;

    for (i = 0; i < docs->nelts; i++) {
        if (doc[i].meta.kind == kind && doc[i].id.len == id->len
            && ngx_strncmp(doc[i].id.data, id->data, id->len) == 0)
        {
            return;
        }
    }

    ngx_memzero(&file, sizeof(llmgw_reg_doc_t));
    file.meta.kind = kind;
    file.meta.version = 1;
    file.id = *id;

    llmgw_admin_list_add(data, &file, json, 1);
}


static void
llmgw_admin_list_add(json_t *data, llmgw_reg_doc_t *doc, ngx_str_t *json,
    ngx_uint_t file)
{
    json_t  *v;

    v = json_loadb((char *) json->data, json->len, 0, NULL);

    if (v) {
        json_array_append_new(data, llmgw_admin_repr(doc, v, file));
        json_decref(v);
    }
}


ngx_int_t
llmgw_admin_get(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    json_t             *v;
    ngx_int_t           rc;
    llmgw_admin_ent_t   ent;

    rc = llmgw_admin_load_route(r, actx, &ent);
    if (rc != NGX_OK) {
        return llmgw_admin_failed(r, actx, rc);
    }

    v = llmgw_admin_repr(&ent.doc, ent.obj, ent.file);
    json_decref(ent.obj);

    rc = llmgw_admin_send(r, NGX_HTTP_OK, v);
    json_decref(v);

    return rc;
}


ngx_int_t
llmgw_admin_create(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    json_t             *body, *id;
    ngx_int_t           rc;
    ngx_str_t           sid, secret;
    llmgw_admin_ent_t   ent;

    body = llmgw_admin_read_body(r);
    if (body == NULL) {
        return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                 "invalid_request_error", "invalid_json",
                                 "the body must be a JSON object");
    }

    id = json_object_get(body, "id");

    if (!json_is_string(id) || json_string_length(id) == 0
        || json_string_length(id) > LLMGW_MAX_ID_LEN)
    {
        json_decref(body);
        return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                 "invalid_request_error", "invalid_id",
                                 "\"id\" must be a string of 1 to %d "
                                 "characters", LLMGW_MAX_ID_LEN);
    }

    if (json_object_get(body, "key_sha256") || json_object_get(body, "override")
        || json_object_get(body, "key_hint"))
    {
        json_decref(body);
        return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                 "invalid_request_error", "invalid_field",
                                 "\"key_sha256\", \"key_hint\" and "
                                 "\"override\" are the gateway's to set");
    }

    sid.len = json_string_length(id);
    sid.data = ngx_pnalloc(r->pool, sid.len);
    if (sid.data == NULL) {
        json_decref(body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(sid.data, json_string_value(id), sid.len);

    rc = llmgw_admin_load(r, actx->route.kind, &sid, &ent);

    if (rc == NGX_OK) {
        json_decref(ent.obj);
        json_decref(body);
        return llmgw_admin_error(r, NGX_HTTP_CONFLICT, "conflict_error",
                                 "already_exists", "%s \"%V\" exists",
                                 llmgw_admin_kind_name(actx->route.kind),
                                 &sid);
    }

    if (rc != NGX_DECLINED) {
        json_decref(body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_null(&secret);

    if (actx->route.kind == 'k') {
        rc = llmgw_admin_mint(r, actx, body, &ent.doc, &secret);
        if (rc != NGX_OK) {
            json_decref(body);
            return (rc == NGX_DECLINED) ? llmgw_admin_staged(r, actx)
                                        : NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else {
        /* the file's schema: "teams": {"<id>": {...}} */
        json_object_del(body, "id");
    }

    rc = llmgw_admin_commit(r, actx, &ent, body, 0, ent.doc.meta.version,
                            "create",
                            NGX_HTTP_CREATED,
                            actx->route.kind == 'k' ? &secret : NULL);
    json_decref(body);

    return rc;
}


/* the fields given replace the entity's; null removes one */

ngx_int_t
llmgw_admin_patch(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    json_t             *body, *obj, *v;
    uint64_t            expect;
    ngx_int_t           rc;
    const char         *name;
    llmgw_admin_ent_t   ent;

    body = llmgw_admin_read_body(r);
    if (body == NULL) {
        return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                 "invalid_request_error", "invalid_json",
                                 "the body must be a JSON object");
    }

    rc = llmgw_admin_open(r, actx, body, 1, &ent, &expect);
    if (rc != NGX_OK) {
        json_decref(body);
        return llmgw_admin_failed(r, actx, rc);
    }

    obj = json_deep_copy(ent.obj);

    json_object_foreach(body, name, v) {
        if (ngx_strcmp(name, "version") == 0) {
            continue;
        }

        if (ngx_strcmp(name, "id") == 0 || ngx_strcmp(name, "key_sha256") == 0
            || ngx_strcmp(name, "key_hint") == 0
            || ngx_strcmp(name, "override") == 0)
        {
            json_decref(obj);
            json_decref(body);
            json_decref(ent.obj);
            return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                     "invalid_request_error",
                                     "invalid_field", "\"%s\" cannot be "
                                     "changed here", name);
        }

        if (json_is_null(v)) {
            json_object_del(obj, name);

        } else {
            json_object_set(obj, name, v);
        }
    }

    rc = llmgw_admin_commit(r, actx, &ent, obj, 0, expect,
                            "update", NGX_HTTP_OK, NULL);
    json_decref(obj);
    json_decref(body);
    json_decref(ent.obj);

    return rc;
}


ngx_int_t
llmgw_admin_delete(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    uint64_t            expect;
    ngx_int_t           rc;
    llmgw_admin_ent_t   ent;

    rc = llmgw_admin_open(r, actx, NULL, 0, &ent, &expect);
    if (rc != NGX_OK) {
        return llmgw_admin_failed(r, actx, rc);
    }

    rc = llmgw_admin_commit(r, actx, &ent, ent.obj, 1, expect,
                              "delete", NGX_HTTP_OK, NULL);

    json_decref(ent.obj);

    return rc;
}


ngx_int_t
llmgw_admin_rotate(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    json_t             *obj, *body;
    uint64_t            expect;
    ngx_int_t           rc;
    ngx_str_t           secret;
    llmgw_admin_ent_t   ent;

    rc = llmgw_admin_open(r, actx, NULL, 0, &ent, &expect);
    if (rc != NGX_OK) {
        return llmgw_admin_failed(r, actx, rc);
    }

    obj = json_deep_copy(ent.obj);
    body = llmgw_admin_read_body(r);

    if (body) {
        json_object_set(obj, "secret", json_object_get(body, "secret"));
        json_decref(body);
    }

    rc = (obj == NULL) ? NGX_ERROR
                       : llmgw_admin_mint(r, actx, obj, &ent.doc, &secret);
    if (rc != NGX_OK) {
        json_decref(obj);
        json_decref(ent.obj);
        return (rc == NGX_DECLINED) ? llmgw_admin_staged(r, actx)
                                    : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = llmgw_admin_commit(r, actx, &ent, obj, 0, expect, "rotate",
                            NGX_HTTP_OK, &secret);
    json_decref(obj);
    json_decref(ent.obj);

    return rc;
}


ngx_int_t
llmgw_admin_enable(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    ngx_uint_t on)
{
    json_t             *obj;
    uint64_t            expect;
    ngx_int_t           rc;
    llmgw_admin_ent_t   ent;

    rc = llmgw_admin_open(r, actx, NULL, 0, &ent, &expect);
    if (rc != NGX_OK) {
        return llmgw_admin_failed(r, actx, rc);
    }

    obj = json_deep_copy(ent.obj);
    json_object_set_new(obj, "enabled", json_boolean(on));

    rc = llmgw_admin_commit(r, actx, &ent, obj, 0, expect,
                            on ? "enable" : "disable", NGX_HTTP_OK,
                            NULL);
    json_decref(obj);
    json_decref(ent.obj);

    return rc;
}


/* PUT: {"budgets", "rate_limit", "expires_at"} replace the entity's limits
 * until then; DELETE: no more */

ngx_int_t
llmgw_admin_override(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    json_t             *body, *obj, *v;
    time_t              until;
    uint64_t            expect;
    ngx_int_t           rc;
    const char         *name;
    llmgw_admin_ent_t   ent;

    body = NULL;

    if (r->method == NGX_HTTP_PUT) {
        body = llmgw_admin_read_body(r);
        if (body == NULL) {
            return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                     "invalid_request_error", "invalid_json",
                                     "the body must be a JSON object");
        }

        v = json_object_get(body, "expires_at");

        if (v == NULL || llmgw_parse_time(v, &until) != NGX_OK
            || until <= ngx_time())
        {
            json_decref(body);
            return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                     "invalid_request_error",
                                     "invalid_override",
                                     "an override needs \"expires_at\" in "
                                     "the future (UTC "
                                     "\"YYYY-MM-DDThh:mm:ssZ\")");
        }

        json_object_foreach(body, name, v) {
            if (ngx_strcmp(name, "budgets") != 0
                && ngx_strcmp(name, "rate_limit") != 0
                && ngx_strcmp(name, "expires_at") != 0
                && ngx_strcmp(name, "version") != 0
                && ngx_strcmp(name, "reason") != 0)
            {
                json_decref(body);
                return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                         "invalid_request_error",
                                         "invalid_field", "an override has "
                                         "\"budgets\", \"rate_limit\", "
                                         "\"expires_at\" and \"reason\", "
                                         "not \"%s\"", name);
            }
        }
    }

    rc = llmgw_admin_open(r, actx, body, 0, &ent, &expect);
    if (rc != NGX_OK) {
        json_decref(body);
        return llmgw_admin_failed(r, actx, rc);
    }

    obj = json_deep_copy(ent.obj);

    if (body) {
        json_object_del(body, "version");
        json_object_set(obj, "override", body);

    } else {
        json_object_del(obj, "override");
    }

    rc = llmgw_admin_commit(r, actx, &ent, obj, 0, expect,
                            body ? "override" : "override_end",
                            NGX_HTTP_OK, NULL);
    json_decref(obj);
    json_decref(body);
    json_decref(ent.obj);

    return rc;
}


/*
 * An entity as it stands: the registry's document (live: NGX_OK; deleted
 * or never written: NGX_DECLINED, with the version a create must expect
 * in ent->doc.meta.version), else the file's (version 1).
 */

/* the route's entity and the version a write edits: NGX_OK, or what
 * llmgw_admin_failed() answers */

static ngx_int_t
llmgw_admin_open(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    json_t *body, ngx_uint_t required, llmgw_admin_ent_t *ent,
    uint64_t *expect)
{
    ngx_int_t  rc;

    rc = llmgw_admin_load_route(r, actx, ent);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = llmgw_admin_expect(r, actx, body, ent, required, expect);
    if (rc != NGX_OK) {
        json_decref(ent->obj);
        ent->obj = NULL;
    }

    return rc;
}


/* the entity of the route: NGX_OK, NGX_DECLINED (a 404 staged), or
 * NGX_ERROR */

static ngx_int_t
llmgw_admin_load_route(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    llmgw_admin_ent_t *ent)
{
    ngx_int_t  rc;

    rc = llmgw_admin_load(r, actx->route.kind, &actx->route.id, ent);

    if (rc == NGX_DECLINED) {
        return llmgw_admin_stage(actx, NGX_HTTP_NOT_FOUND,
                                 "invalid_request_error", "not_found",
                                 "no %s \"%V\"",
                                 llmgw_admin_kind_name(actx->route.kind),
                                 &actx->route.id);
    }

    return rc;
}


ngx_int_t
llmgw_admin_load(ngx_http_request_t *r, u_char kind, ngx_str_t *id,
    llmgw_admin_ent_t *ent)
{
    ngx_int_t           rc;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    ngx_memzero(ent, sizeof(llmgw_admin_ent_t));

    rc = llmgw_registry_get(lmcf, r->pool, kind, id, &ent->doc);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return llmgw_admin_load_file(r, kind, id, ent);
    }

    if (ent->doc.meta.deleted) {
        return NGX_DECLINED;
    }

    ent->obj = json_loadb((char *) ent->doc.json.data, ent->doc.json.len, 0,
                          NULL);
    if (ent->obj == NULL) {
        return NGX_ERROR;
    }

    ent->live = 1;

    return NGX_OK;
}


static ngx_int_t
llmgw_admin_load_file(ngx_http_request_t *r, u_char kind, ngx_str_t *id,
    llmgw_admin_ent_t *ent)
{
    ngx_str_t          *doc;
    llmgw_vkey_t       *vk;
    llmgw_entity_t     *e;
    ngx_rbtree_node_t  *node;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    ent->doc.meta.kind = kind;
    ent->doc.id = *id;
    doc = NULL;

    if (kind == 'k') {
        if (lmcf->vkeys.root != lmcf->vkeys.sentinel) {
            for (node = ngx_rbtree_min(lmcf->vkeys.root,
                                       lmcf->vkeys.sentinel);
                 node;
                 node = ngx_rbtree_next(&lmcf->vkeys, node))
            {
                vk = (llmgw_vkey_t *) node;

                if (vk->id.len == id->len
                    && ngx_strncmp(vk->id.data, id->data, id->len) == 0)
                {
                    doc = &vk->doc;
                    break;
                }
            }
        }

    } else {
        e = llmgw_view_entity(lmcf, NULL, kind == 't' ? LLMGW_LEVEL_TEAM
                                                      : LLMGW_LEVEL_CUSTOMER,
                              id);
        doc = e ? &e->doc : NULL;
    }

    if (doc == NULL || doc->len == 0) {
        return NGX_DECLINED;
    }

    ent->obj = json_loadb((char *) doc->data, doc->len, 0, NULL);
    if (ent->obj == NULL) {
        return NGX_ERROR;
    }

    ent->doc.meta.base = 1;
    ent->doc.meta.version = 1;
    ent->live = 1;
    ent->file = 1;

    return NGX_OK;
}


/* the version a write edits: "version" in the body or If-Match; required
 * for PATCH, checked when given otherwise */

static ngx_int_t
llmgw_admin_expect(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    json_t *body, llmgw_admin_ent_t *ent, ngx_uint_t required,
    uint64_t *expect)
{
    u_char      *p, *last;
    json_t      *v;
    ngx_int_t    n;

    v = body ? json_object_get(body, "version") : NULL;
    n = -1;

    if (v) {
        n = (json_is_integer(v) && json_integer_value(v) > 0)
            ? (ngx_int_t) json_integer_value(v) : -2;

    } else if (r->headers_in.if_match) {
        p = r->headers_in.if_match->value.data;
        last = p + r->headers_in.if_match->value.len;

        if (last - p >= 2 && *p == '"' && last[-1] == '"') {
            p++;
            last--;
        }

        n = ngx_atoi(p, last - p);
        if (n == NGX_ERROR) {
            n = -2;
        }
    }

    if (n == -2 || n == 0) {
        return llmgw_admin_stage(actx, NGX_HTTP_BAD_REQUEST,
                                 "invalid_request_error", "invalid_version",
                                 "the version must be a positive integer");
    }

    if (n == -1) {
        if (required) {
            return llmgw_admin_stage(actx, 428, "invalid_request_error",
                                     "version_required", "say which version "
                                     "you edit: \"version\": %uL in the "
                                     "body, or If-Match: \"%uL\"",
                                     ent->doc.meta.version,
                                     ent->doc.meta.version);
        }

        n = (ngx_int_t) ent->doc.meta.version;
    }

    if ((uint64_t) n != ent->doc.meta.version) {
        return llmgw_admin_stage(actx, NGX_HTTP_CONFLICT, "conflict_error",
                                 "version_conflict", "%s \"%V\" is at "
                                 "version %uL, not %i: read it again",
                                 llmgw_admin_kind_name(ent->doc.meta.kind),
                                 &ent->doc.id, ent->doc.meta.version, n);
    }

    *expect = (uint64_t) n;

    return NGX_OK;
}


/*
 * A key's secret: "secret" in the object (a key handed out before, now
 * imported: at least 20 characters), else 32 random bytes.  Only its
 * digest and last characters are kept; secret is set when minted here.
 */

static ngx_int_t
llmgw_admin_mint(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    json_t *obj, llmgw_reg_doc_t *doc, ngx_str_t *secret)
{
    u_char              raw[32], digest[LLMGW_DIGEST_LEN];
    u_char              hex[2 * LLMGW_DIGEST_LEN], hint[32];
    u_char             *p;
    json_t             *given;
    ngx_str_t           src, dst, key;
    unsigned int        len;
    llmgw_vkey_t       *vk;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    given = json_object_get(obj, "secret");
    ngx_str_null(secret);

    if (given) {
        if (!json_is_string(given) || json_string_length(given) < 20
            || json_string_length(given) > 256)
        {
            return llmgw_admin_stage(actx, NGX_HTTP_BAD_REQUEST,
                                     "invalid_request_error",
                                     "invalid_secret", "\"secret\" must be "
                                     "a string of 20 to 256 characters");
        }

        key.len = json_string_length(given);
        key.data = ngx_pnalloc(r->pool, key.len);
        if (key.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(key.data, json_string_value(given), key.len);
        json_object_del(obj, "secret");

    } else {
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            return NGX_ERROR;
        }

        key.data = ngx_pnalloc(r->pool, sizeof("sk-llmgw-") - 1
                                        + ngx_base64_encoded_length(32));
        if (key.data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_cpymem(key.data, "sk-llmgw-", sizeof("sk-llmgw-") - 1);

        src.data = raw;
        src.len = sizeof(raw);
        dst.data = p;
        ngx_encode_base64url(&dst, &src);
        key.len = (p - key.data) + dst.len;
        *secret = key;
    }

    if (EVP_Digest(key.data, key.len, digest, &len, EVP_sha256(), NULL)
        != 1)
    {
        return NGX_ERROR;
    }

    /* a file key of another id already has it */
    vk = llmgw_vkey_find(lmcf, digest);

    if (vk && (vk->id.len != doc->id.len
               || ngx_strncmp(vk->id.data, doc->id.data, vk->id.len) != 0))
    {
        return llmgw_admin_stage(actx, NGX_HTTP_CONFLICT, "conflict_error",
                                 "secret_in_use", "another key has this "
                                 "secret");
    }

    ngx_hex_dump(hex, digest, LLMGW_DIGEST_LEN);
    ngx_memcpy(doc->meta.digest, digest, LLMGW_DIGEST_LEN);

    p = ngx_sprintf(hint, "...%*s", (size_t) 4, key.data + key.len - 4);

    json_object_set_new(obj, "key_sha256",
                        json_stringn((char *) hex, sizeof(hex)));
    json_object_set_new(obj, "key_hint",
                        json_stringn((char *) hint, p - hint));

    return NGX_OK;
}


static json_t *
llmgw_admin_read_body(ngx_http_request_t *r)
{
    u_char       *p;
    size_t        len;
    json_t       *v;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NULL;
    }

    if (r->request_body->temp_file) {
        /* the body was larger than client_body_buffer_size */
        return NULL;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len == 0 || len > LLMGW_ADMIN_MAX_BODY) {
        return NULL;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NULL;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        ngx_memcpy(p + len, b->pos, b->last - b->pos);
        len += b->last - b->pos;
    }

    v = json_loadb((char *) p, len, JSON_REJECT_DUPLICATES, NULL);

    if (v && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }

    return v;
}
