/*
 * llmgw: an admin write: checked by building the view it would make
 * (llmgw_view.c), stored (in Redis first when it is the store), recorded
 * in the audit log and the trail, answered.
 */


#include "llmgw_admin_int.h"


static void llmgw_admin_written(ngx_http_request_t *r, ngx_int_t rc,
    uint64_t current);
static ngx_int_t llmgw_admin_applied(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, ngx_int_t rc);
static void llmgw_admin_record(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, const char *action, u_char kind, ngx_str_t *id,
    ngx_uint_t status, json_t *before, json_t *after);


/* check, write, record and answer */

ngx_int_t
llmgw_admin_commit(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    llmgw_admin_ent_t *ent, json_t *obj, ngx_uint_t deleted, uint64_t expect,
    const char *action, ngx_uint_t status, ngx_str_t *secret)
{
    u_char              err[LLMGW_ADMIN_ERR_LEN];
    char               *text;
    ngx_int_t           rc;
    llmgw_reg_doc_t    *doc;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    text = json_dumps(obj, JSON_COMPACT|JSON_SORT_KEYS|JSON_REAL_PRECISION(15));
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    doc = &actx->pending;
    *doc = ent->doc;
    doc->meta.deleted = deleted;
    doc->meta.updated = ngx_time();
    doc->meta.created = (ent->live && !ent->file) ? ent->doc.meta.created
                                                  : doc->meta.updated;
    doc->json.len = ngx_strlen(text);
    doc->json.data = ngx_pnalloc(r->pool, doc->json.len + 1);

    if (doc->json.data == NULL) {
        free(text);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(doc->json.data, text, doc->json.len + 1);
    free(text);

    if (doc->meta.kind == 'k') {
        /* the digest the view is checked with, for the store's snapshot */
        text = (char *) json_string_value(json_object_get(obj, "key_sha256"));
        if (text == NULL || ngx_strlen(text) != 2 * LLMGW_DIGEST_LEN
            || llmgw_hex_decode(doc->meta.digest, (u_char *) text,
                                2 * LLMGW_DIGEST_LEN) != NGX_OK)
        {
            return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                     "invalid_request_error", "invalid_key",
                                     "the key has no digest");
        }
    }

    rc = llmgw_view_check(lmcf, r->connection->log, doc, err, sizeof(err));

    if (rc == NGX_DECLINED && deleted) {
        /* a key still names it */
        return llmgw_admin_error(r, NGX_HTTP_CONFLICT, "conflict_error",
                                 "in_use", "cannot delete %s \"%V\": %s",
                                 llmgw_admin_kind_name(doc->meta.kind),
                                 &doc->id, err);
    }

    if (rc == NGX_DECLINED) {
        /* the message names the entity and the field */
        return llmgw_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                 "invalid_request_error", "invalid_entity",
                                 "%s", err);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    actx->before = (ent->live && ent->obj)
                   ? llmgw_admin_repr(&ent->doc, ent->obj, ent->file) : NULL;
    actx->action = action;
    actx->status = status;
    actx->expect = expect;
    actx->has_secret = (secret != NULL);

    if (secret) {
        actx->secret = *secret;
    }

    /* with Redis, every node's: Redis decides first */
    rc = llmgw_registry_redis_write(r, lmcf, doc, expect,
                                    llmgw_admin_written);

    if (rc == NGX_AGAIN) {
        r->main->count++;
        return NGX_DONE;
    }

    if (rc == NGX_ERROR) {
        return llmgw_admin_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "api_error", "store_unavailable",
                                 "the change cannot be stored now: Redis "
                                 "does not answer");
    }

    rc = llmgw_registry_put(lmcf, doc, expect);

    return llmgw_admin_applied(r, actx, rc);
}


/* Redis's answer to the write */

static void
llmgw_admin_written(ngx_http_request_t *r, ngx_int_t rc, uint64_t current)
{
    ngx_connection_t   *c;
    llmgw_admin_ctx_t  *actx;
    llmgw_main_conf_t  *lmcf;

    actx = llmgw_admin_ctx(r, 0);
    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    if (rc == NGX_OK) {
        actx->pending.meta.version = actx->expect + 1;
        rc = llmgw_registry_adopt(lmcf, &actx->pending);

        /* the sync may have brought it in first */
        rc = (rc == NGX_DECLINED) ? NGX_OK : rc;

    } else if (rc == NGX_DECLINED) {
        actx->pending.meta.version = current;
    }

    rc = (rc == NGX_ERROR)
         ? llmgw_admin_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, "api_error",
                             "store_unavailable", "the change cannot be "
                             "stored now: Redis does not answer")
         : llmgw_admin_applied(r, actx, rc);

    c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/* the write's outcome: the record and the answer */

static ngx_int_t
llmgw_admin_applied(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    ngx_int_t rc)
{
    json_t           *after, *answer, *stored;
    llmgw_reg_doc_t  *doc;

    doc = &actx->pending;

    if (rc == NGX_DECLINED) {
        return llmgw_admin_error(r, NGX_HTTP_CONFLICT, "conflict_error",
                                 "version_conflict", "%s \"%V\" is at "
                                 "version %uL, not %uL: read it again",
                                 llmgw_admin_kind_name(doc->meta.kind),
                                 &doc->id, doc->meta.version, actx->expect);
    }

    if (rc == NGX_BUSY) {
        return llmgw_admin_error(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                                 "api_error", "zone_full", "the llmgw zone "
                                 "is full: raise llmgw_zone's size");
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* as stored: its fields in one order, whatever the client's */
    stored = json_loadb((char *) doc->json.data, doc->json.len, 0, NULL);
    after = (doc->meta.deleted || stored == NULL) ? NULL
            : llmgw_admin_repr(doc, stored, 0);
    json_decref(stored);

    llmgw_admin_record(r, actx, actx->action, doc->meta.kind, &doc->id,
                       actx->status, actx->before, after);

    if (doc->meta.deleted) {
        answer = json_pack("{s:s%,s:b}", "id", (char *) doc->id.data,
                           doc->id.len, "deleted", 1);

    } else if (actx->has_secret) {
        /* a key made or rotated: the secret, when minted here, shown once */
        answer = actx->secret.len
                 ? json_pack("{s:O,s:s%}", "key", after, "secret",
                             (char *) actx->secret.data, actx->secret.len)
                 : json_pack("{s:O}", "key", after);

    } else {
        answer = json_incref(after);
    }

    rc = llmgw_admin_send(r, actx->status, answer);

    json_decref(answer);
    json_decref(after);

    return rc;
}


/* the API's shape of an entity: no digest, with its version and times */

json_t *
llmgw_admin_repr(llmgw_reg_doc_t *doc, json_t *obj, ngx_uint_t file)
{
    u_char   buf[32];
    json_t  *v;

    v = json_deep_copy(obj);
    if (v == NULL) {
        return NULL;
    }

    json_object_del(v, "key_sha256");
    json_object_set_new(v, "id", json_stringn((char *) doc->id.data,
                                              doc->id.len));
    json_object_set_new(v, "version", json_integer(doc->meta.version));
    json_object_set_new(v, "source", json_string(file ? "file" : "api"));

    if (file) {
        json_object_set_new(v, "created_at", json_null());
        json_object_set_new(v, "updated_at", json_null());

    } else {
        json_object_set_new(v, "created_at",
                            json_stringn((char *) buf,
                                         llmgw_admin_iso(buf,
                                                         doc->meta.created)));
        json_object_set_new(v, "updated_at",
                            json_stringn((char *) buf,
                                         llmgw_admin_iso(buf,
                                                         doc->meta.updated)));
    }

    if (doc->meta.kind == 'k' && json_object_get(v, "key_hint") == NULL) {
        json_object_set_new(v, "key_hint", json_null());
    }

    if (json_object_get(v, "override") == NULL) {
        json_object_set_new(v, "override", json_null());
    }

    return v;
}


/* who did what, before and after: to the audit log and the trail */

static void
llmgw_admin_record(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    const char *action, u_char kind, ngx_str_t *id, ngx_uint_t status,
    json_t *before, json_t *after)
{
    u_char              tbuf[sizeof("1970-01-01T00:00:00Z")], abuf[64];
    char               *text;
    json_t             *rec;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    (void) llmgw_admin_iso(tbuf, ngx_time());

    /* "key.rotate", "team.override"... */
    (void) ngx_snprintf(abuf, sizeof(abuf), "%s.%s%Z",
                        llmgw_admin_kind_name(kind), action);

    rec = json_pack("{s:s,s:s%,s:s%,s:s%,s:s,s:s,s:s,s:s%,s:i,s:O?,s:O?}",
                    "type", "admin",
                    "time", (char *) tbuf, sizeof(tbuf) - 1,
                    "who", (char *) actx->who.subject.data,
                    actx->who.subject.len,
                    "role", (char *) actx->who.role.data,
                    actx->who.role.len,
                    "via", actx->who.via ? actx->who.via : "token",
                    "action", (char *) abuf,
                    "entity", llmgw_admin_kind_name(kind),
                    "id", (char *) id->data, id->len,
                    "status", (int) status,
                    "before", before,
                    "after", after);
    if (rec == NULL) {
        return;
    }

    text = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);

    if (text == NULL) {
        return;
    }

    llmgw_registry_trail_add(lmcf, (u_char *) text, ngx_strlen(text));
    llmgw_audit_admin(r, (u_char *) text, ngx_strlen(text));

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "llmgw: admin %s %s \"%V\" by %V (%V)", action,
                  llmgw_admin_kind_name(kind), id, &actx->who.subject,
                  &actx->who.role);

    free(text);
}
