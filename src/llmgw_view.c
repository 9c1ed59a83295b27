/*
 * llmgw: a worker's view of the admin API's keys, teams and customers: the
 * registry's documents (llmgw_registry.c) read as the governance file's,
 * over the file's own.  Rebuilt when the registry's generation moves or a
 * temporary override ends; a request holds the view it authenticated
 * with, and a view is freed when it is neither current nor held.
 */


#include "llmgw_admin.h"
#include "llmgw_registry.h"


struct llmgw_view_s {
    ngx_pool_t                  *pool;
    ngx_atomic_uint_t            gen;
    ngx_uint_t                   refs;
    unsigned                     retired:1;
    time_t                       valid_until;  /* an override ends; 0 */
    ngx_rbtree_t                 vkeys;        /* by digest, "gone" ones
                                                  too */
    ngx_rbtree_node_t            sentinel;
    ngx_array_t                  teams;        /* llmgw_entity_t */
    ngx_array_t                  customers;
    ngx_array_t                  gone;         /* llmgw_entity_t deleted */
};


typedef struct {
    llmgw_view_t                *view;
    ngx_array_t                  docs;         /* llmgw_reg_doc_t */
    ngx_log_t                   *log;
    llmgw_reg_doc_t             *candidate;    /* a write being checked */
    u_char                      *err;          /* set: the first error
                                                  fails the build */
    size_t                       errlen;
} llmgw_view_build_t;


static llmgw_view_t *llmgw_view_build(llmgw_main_conf_t *lmcf,
    llmgw_view_build_t *b);
static ngx_int_t llmgw_view_docs(llmgw_main_conf_t *lmcf,
    llmgw_view_build_t *b, u_char kind);
static ngx_int_t llmgw_view_doc(llmgw_main_conf_t *lmcf,
    llmgw_view_build_t *b, llmgw_reg_doc_t *doc);
static ngx_int_t llmgw_view_file_keys(llmgw_main_conf_t *lmcf,
    llmgw_view_build_t *b);
static ngx_int_t llmgw_view_file_key(llmgw_main_conf_t *lmcf,
    llmgw_view_build_t *b, llmgw_vkey_t *vk);
static ngx_int_t llmgw_view_mask(llmgw_view_t *view, llmgw_vkey_t *vk);
static ngx_uint_t llmgw_view_moved(llmgw_view_t *view, llmgw_entity_t *e);
static ngx_uint_t llmgw_view_has_key(llmgw_view_build_t *b, ngx_str_t *id);
static ngx_int_t llmgw_view_fail(llmgw_view_build_t *b,
    llmgw_reg_doc_t *doc, u_char *why);
static void llmgw_view_release(void *data);
static void llmgw_view_free(llmgw_view_t *view);


static llmgw_view_t  *llmgw_view_current;


/* a key by digest: the view's first (NULL when the API deleted or rotated
 * it), then the file's */

llmgw_vkey_t *
llmgw_view_vkey(ngx_http_request_t *r, llmgw_main_conf_t *lmcf,
    u_char *digest)
{
    llmgw_vkey_t        *vk;
    llmgw_view_t        *view;

    if (llmgw_registry_gen(lmcf) == 0) {
        /* the API never wrote anything */
        return llmgw_vkey_find(lmcf, digest);
    }

    view = llmgw_view_get(lmcf, r->connection->log);
    if (view == NULL) {
        return NULL;
    }

    vk = llmgw_vkey_lookup(&view->vkeys, digest);

    if (vk == NULL || ngx_memcmp(vk->digest, digest, LLMGW_DIGEST_LEN) != 0) {
        return llmgw_vkey_find(lmcf, digest);
    }

    if (vk->gone) {
        return NULL;
    }

    return (llmgw_view_hold(r, view) == NGX_OK) ? vk : NULL;
}


/* the request keeps the view until it ends */

ngx_int_t
llmgw_view_hold(ngx_http_request_t *r, llmgw_view_t *view)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = llmgw_view_release;
    cln->data = view;
    view->refs++;

    return NGX_OK;
}


/* the current view, rebuilt if the registry moved on; the last good one
 * when a rebuild fails */

llmgw_view_t *
llmgw_view_get(llmgw_main_conf_t *lmcf, ngx_log_t *log)
{
    llmgw_view_t        *view, *cur;
    llmgw_view_build_t   b;

    cur = llmgw_view_current;

    if (cur && cur->gen == llmgw_registry_gen(lmcf)
        && (cur->valid_until == 0 || ngx_time() < cur->valid_until))
    {
        return cur;
    }

    ngx_memzero(&b, sizeof(llmgw_view_build_t));
    b.log = log;

    view = llmgw_view_build(lmcf, &b);
    if (view == NULL) {
        return cur;
    }

    if (cur) {
        cur->retired = 1;

        if (cur->refs == 0) {
            llmgw_view_free(cur);
        }
    }

    llmgw_view_current = view;

    return view;
}


/* would the registry with this document make a whole view?  NGX_OK, or
 * NGX_DECLINED with err set */

ngx_int_t
llmgw_view_check(llmgw_main_conf_t *lmcf, ngx_log_t *log,
    llmgw_reg_doc_t *candidate, u_char *err, size_t errlen)
{
    llmgw_view_t        *view;
    llmgw_view_build_t   b;

    ngx_memzero(&b, sizeof(llmgw_view_build_t));
    b.log = log;
    b.candidate = candidate;
    b.err = err;
    b.errlen = errlen;
    err[0] = '\0';

    view = llmgw_view_build(lmcf, &b);
    if (view == NULL) {
        return err[0] ? NGX_DECLINED : NGX_ERROR;
    }

    llmgw_view_free(view);

    return NGX_OK;
}


/* a team or customer: the view's, unless deleted, then the file's (with
 * no view, the file's alone) */

llmgw_entity_t *
llmgw_view_entity(llmgw_main_conf_t *lmcf, llmgw_view_t *view,
    llmgw_level_e level, ngx_str_t *id)
{
    ngx_uint_t       i, k;
    ngx_array_t     *a[3];
    llmgw_entity_t  *e;

    a[0] = view == NULL ? NULL
           : (level == LLMGW_LEVEL_TEAM) ? &view->teams : &view->customers;
    a[1] = view ? &view->gone : NULL;
    a[2] = (level == LLMGW_LEVEL_TEAM) ? &lmcf->teams : &lmcf->customers;

    for (k = 0; k < 3; k++) {
        if (a[k] == NULL) {
            continue;
        }

        e = a[k]->elts;

        for (i = 0; i < a[k]->nelts; i++) {
            if (e[i].level == level && e[i].id.len == id->len
                && ngx_strncmp(e[i].id.data, id->data, id->len) == 0)
            {
                /* in "gone": deleted through the API */
                return (k == 1) ? NULL : &e[i];
            }
        }
    }

    return NULL;
}


ngx_int_t
llmgw_view_insert(llmgw_view_t *view, llmgw_vkey_t *vk)
{
    if (llmgw_vkey_lookup(&view->vkeys, vk->digest) != NULL) {
        return NGX_DECLINED;
    }

    ngx_memcpy(&vk->node.key, vk->digest, sizeof(ngx_rbtree_key_t));
    ngx_rbtree_insert(&view->vkeys, &vk->node);

    return NGX_OK;
}


static llmgw_view_t *
llmgw_view_build(llmgw_main_conf_t *lmcf, llmgw_view_build_t *b)
{
    ngx_uint_t          i, n;
    ngx_pool_t         *pool;
    llmgw_view_t       *view;
    llmgw_reg_doc_t    *doc;

    pool = ngx_create_pool(16384, b->log);
    if (pool == NULL) {
        return NULL;
    }

    view = ngx_pcalloc(pool, sizeof(llmgw_view_t));
    if (view == NULL) {
        goto failed;
    }

    view->pool = pool;
    b->view = view;
    ngx_rbtree_init(&view->vkeys, &view->sentinel, ngx_rbtree_insert_value);

    if (llmgw_registry_list(lmcf, pool, &b->docs, &view->gen) != NGX_OK) {
        goto failed;
    }

    if (b->candidate) {
        doc = b->docs.elts;

        for (i = 0; i < b->docs.nelts; i++) {
            if (doc[i].meta.kind == b->candidate->meta.kind
                && doc[i].id.len == b->candidate->id.len
                && ngx_strncmp(doc[i].id.data, b->candidate->id.data,
                               doc[i].id.len) == 0)
            {
                break;
            }
        }

        doc = (i < b->docs.nelts) ? &doc[i] : ngx_array_push(&b->docs);
        if (doc == NULL) {
            goto failed;
        }

        *doc = *b->candidate;
    }

    /* the arrays never grow: keys point into them */
    n = b->docs.nelts + 1;

    if (ngx_array_init(&view->teams, pool, n, sizeof(llmgw_entity_t))
           != NGX_OK
        || ngx_array_init(&view->customers, pool, n, sizeof(llmgw_entity_t))
           != NGX_OK
        || ngx_array_init(&view->gone, pool, n, sizeof(llmgw_entity_t))
           != NGX_OK)
    {
        goto failed;
    }

    if (llmgw_view_docs(lmcf, b, 'c') != NGX_OK
        || llmgw_view_docs(lmcf, b, 't') != NGX_OK
        || llmgw_view_docs(lmcf, b, 'k') != NGX_OK
        || llmgw_view_file_keys(lmcf, b) != NGX_OK)
    {
        goto failed;
    }

    return view;

failed:

    ngx_destroy_pool(pool);
    return NULL;
}


static ngx_int_t
llmgw_view_docs(llmgw_main_conf_t *lmcf, llmgw_view_build_t *b, u_char kind)
{
    ngx_uint_t        i;
    llmgw_entity_t   *e;
    llmgw_reg_doc_t  *doc;

    doc = b->docs.elts;

    for (i = 0; i < b->docs.nelts; i++) {
        if (doc[i].meta.kind != kind) {
            continue;
        }

        if (!doc[i].meta.deleted) {
            if (llmgw_view_doc(lmcf, b, &doc[i]) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (kind == 'k') {
            continue;
        }

        e = ngx_array_push(&b->view->gone);
        if (e == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(e, sizeof(llmgw_entity_t));
        e->level = (kind == 't') ? LLMGW_LEVEL_TEAM : LLMGW_LEVEL_CUSTOMER;
        e->id = doc[i].id;
    }

    return NGX_OK;
}


/* one live document: its temporary override applied while it lasts */

static ngx_int_t
llmgw_view_doc(llmgw_main_conf_t *lmcf, llmgw_view_build_t *b,
    llmgw_reg_doc_t *doc)
{
    u_char        err[NGX_MAX_CONF_ERRSTR];
    time_t        until;
    json_t       *obj, *ov, *v;
    ngx_int_t     rc;
    ngx_array_t  *into;

    obj = json_loadb((char *) doc->json.data, doc->json.len,
                     JSON_REJECT_DUPLICATES, NULL);
    if (obj == NULL || !json_is_object(obj)) {
        json_decref(obj);
        return llmgw_view_fail(b, doc, (u_char *) "not a JSON object");
    }

    ov = json_object_get(obj, "override");

    if (ov) {
        v = json_object_get(ov, "expires_at");

        if (v && llmgw_parse_time(v, &until) == NGX_OK
            && ngx_time() < until)
        {
            /* what it gives replaces the entity's own */
            if ((v = json_object_get(ov, "budgets"))) {
                json_object_set(obj, "budgets", v);
            }

            if ((v = json_object_get(ov, "rate_limit"))) {
                json_object_set(obj, "rate_limit", v);
            }

            if (b->view->valid_until == 0 || until < b->view->valid_until) {
                b->view->valid_until = until;
            }
        }

        json_object_del(obj, "override");
    }

    json_object_del(obj, "key_hint");

    into = (doc->meta.kind == 't') ? &b->view->teams : &b->view->customers;

    rc = llmgw_config_doc(lmcf, b->view, b->view->pool, doc->meta.kind,
                          &doc->id, obj, into, err, sizeof(err));
    json_decref(obj);

    return (rc == NGX_OK) ? NGX_OK : llmgw_view_fail(b, doc, err);
}


/* the file's keys the API replaced or deleted are gone from the view; those
 * under a team or customer the API changed are read again beneath it */

static ngx_int_t
llmgw_view_file_keys(llmgw_main_conf_t *lmcf, llmgw_view_build_t *b)
{
    llmgw_vkey_t       *vk;
    ngx_rbtree_node_t  *node;

    if (lmcf->vkeys.root == lmcf->vkeys.sentinel) {
        return NGX_OK;
    }

    for (node = ngx_rbtree_min(lmcf->vkeys.root, lmcf->vkeys.sentinel);
         node;
         node = ngx_rbtree_next(&lmcf->vkeys, node))
    {
        vk = (llmgw_vkey_t *) node;

        if (llmgw_view_has_key(b, &vk->id)) {
            if (llmgw_view_mask(b->view, vk) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (llmgw_view_moved(b->view, vk->entity.parent)
            && llmgw_view_file_key(lmcf, b, vk) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
llmgw_view_file_key(llmgw_main_conf_t *lmcf, llmgw_view_build_t *b,
    llmgw_vkey_t *vk)
{
    u_char           err[NGX_MAX_CONF_ERRSTR];
    json_t          *obj;
    ngx_int_t        rc;
    llmgw_reg_doc_t  doc;

    ngx_memzero(&doc, sizeof(llmgw_reg_doc_t));
    doc.meta.kind = 'k';
    doc.id = vk->id;

    obj = json_loadb((char *) vk->doc.data, vk->doc.len, 0, NULL);
    if (obj == NULL) {
        return llmgw_view_fail(b, &doc, (u_char *) "cannot be read again");
    }

    rc = llmgw_config_doc(lmcf, b->view, b->view->pool, 'k', &vk->id, obj,
                          NULL, err, sizeof(err));
    json_decref(obj);

    if (rc == NGX_OK) {
        return NGX_OK;
    }

    if (llmgw_view_fail(b, &doc, err) != NGX_OK) {
        return NGX_ERROR;
    }

    /* its team or customer is gone: so is the key */
    return llmgw_view_mask(b->view, vk);
}


/* the file's key is no more in this view; the API's own key of its digest,
 * if any, stays */

static ngx_int_t
llmgw_view_mask(llmgw_view_t *view, llmgw_vkey_t *vk)
{
    llmgw_vkey_t  *gone;

    gone = ngx_pcalloc(view->pool, sizeof(llmgw_vkey_t));
    if (gone == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(gone->digest, vk->digest, LLMGW_DIGEST_LEN);
    gone->id = vk->id;
    gone->gone = 1;

    (void) llmgw_view_insert(view, gone);

    return NGX_OK;
}


/* is e, or what it belongs to, a team or customer the API wrote? */

static ngx_uint_t
llmgw_view_moved(llmgw_view_t *view, llmgw_entity_t *e)
{
    ngx_uint_t       i, k;
    ngx_array_t     *a[3];
    llmgw_entity_t  *x;

    a[0] = &view->teams;
    a[1] = &view->customers;
    a[2] = &view->gone;

    for ( /* void */ ; e; e = e->parent) {
        for (k = 0; k < 3; k++) {
            x = a[k]->elts;

            for (i = 0; i < a[k]->nelts; i++) {
                if (x[i].level == e->level && x[i].id.len == e->id.len
                    && ngx_strncmp(x[i].id.data, e->id.data, e->id.len) == 0)
                {
                    return 1;
                }
            }
        }
    }

    return 0;
}


static ngx_uint_t
llmgw_view_has_key(llmgw_view_build_t *b, ngx_str_t *id)
{
    ngx_uint_t        i;
    llmgw_reg_doc_t  *doc;

    doc = b->docs.elts;

    for (i = 0; i < b->docs.nelts; i++) {
        if (doc[i].meta.kind == 'k' && doc[i].id.len == id->len
            && ngx_strncmp(doc[i].id.data, id->data, id->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* checking a write: the first error fails it; rebuilding: the document is
 * left out (its key refused) and the error logged */

static ngx_int_t
llmgw_view_fail(llmgw_view_build_t *b, llmgw_reg_doc_t *doc, u_char *why)
{
    if (b->err) {
        ngx_cpystrn(b->err, why, b->errlen);
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_ERR, b->log, 0,
                  "llmgw: admin %s \"%V\" left out: %s",
                  doc->meta.kind == 'k' ? "key"
                  : doc->meta.kind == 't' ? "team" : "customer",
                  &doc->id, why);

    return NGX_OK;
}


static void
llmgw_view_release(void *data)
{
    llmgw_view_t  *view = data;

    if (--view->refs == 0 && view->retired) {
        llmgw_view_free(view);
    }
}


static void
llmgw_view_free(llmgw_view_t *view)
{
    ngx_destroy_pool(view->pool);
}
