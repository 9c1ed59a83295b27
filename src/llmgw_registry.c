/*
 * llmgw: the registry, in the shared zone: the keys, teams and customers
 * the admin API wrote (each a JSON document with a version, a deleted one
 * kept as a tombstone), and the trail of admin actions.  Every write moves
 * the generation on; each worker rebuilds its view when it sees it move
 * (llmgw_view.c).  The snapshot file keeps the documents across restarts.
 */


#include "llmgw_admin.h"
#include "llmgw_registry.h"


typedef struct {
    ngx_rbtree_node_t            node;      /* key: crc32 of kind and id */
    ngx_queue_t                  queue;
    llmgw_reg_meta_t             meta;
    u_char                       id[LLMGW_MAX_ID_LEN];
    size_t                       len;
    u_char                       json[1];
} llmgw_reg_node_t;


typedef struct {
    ngx_rbtree_t                 rbtree;
    ngx_rbtree_node_t            sentinel;
    ngx_queue_t                  queue;
    ngx_atomic_t                 gen;
    ngx_uint_t                   ndocs;
    u_char                      *trail[LLMGW_REG_TRAIL];
    ngx_uint_t                   trail_next;   /* entries written, ever */
} llmgw_registry_t;


static llmgw_reg_node_t *llmgw_registry_find(llmgw_registry_t *reg,
    u_char kind, ngx_str_t *id, uint32_t hash);
static void llmgw_registry_place(llmgw_registry_t *reg,
    ngx_slab_pool_t *shpool, llmgw_reg_node_t *n, llmgw_reg_node_t *old,
    llmgw_reg_doc_t *doc, uint32_t hash);
static llmgw_reg_node_t *llmgw_registry_scan(llmgw_registry_t *reg,
    u_char kind, ngx_str_t *id);
static uint32_t llmgw_registry_hash(u_char kind, ngx_str_t *id);
static ngx_int_t llmgw_registry_write(llmgw_main_conf_t *lmcf,
    llmgw_reg_doc_t *doc, uint64_t expect, ngx_uint_t cas);
static ngx_int_t llmgw_registry_copy(ngx_pool_t *pool, llmgw_reg_node_t *n,
    llmgw_reg_doc_t *doc);


ngx_int_t
llmgw_registry_init_zone(ngx_slab_pool_t *shpool, llmgw_shm_t *sh)
{
    llmgw_registry_t  *reg;

    reg = ngx_slab_calloc(shpool, sizeof(llmgw_registry_t));
    if (reg == NULL) {
        return NGX_ERROR;
    }

    ngx_rbtree_init(&reg->rbtree, &reg->sentinel, ngx_rbtree_insert_value);
    ngx_queue_init(&reg->queue);
    sh->registry = reg;

    return NGX_OK;
}


ngx_atomic_uint_t
llmgw_registry_gen(llmgw_main_conf_t *lmcf)
{
    llmgw_registry_t  *reg;

    reg = lmcf->sh->registry;

    return reg->gen;
}


/* the document of kind and id: NGX_OK, NGX_DECLINED (never written) */

ngx_int_t
llmgw_registry_get(llmgw_main_conf_t *lmcf, ngx_pool_t *pool, u_char kind,
    ngx_str_t *id, llmgw_reg_doc_t *doc)
{
    ngx_int_t          rc;
    llmgw_reg_node_t  *n;

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    n = llmgw_registry_find(lmcf->sh->registry, kind, id,
                            llmgw_registry_hash(kind, id));

    rc = (n == NULL) ? NGX_DECLINED : llmgw_registry_copy(pool, n, doc);

    ngx_shmtx_unlock(&lmcf->shpool->mutex);

    return rc;
}


/* every document, in the order first written, and the generation they
 * are of */

ngx_int_t
llmgw_registry_list(llmgw_main_conf_t *lmcf, ngx_pool_t *pool,
    ngx_array_t *docs, ngx_atomic_uint_t *gen)
{
    ngx_int_t          rc;
    ngx_queue_t       *q;
    llmgw_reg_doc_t   *doc;
    llmgw_registry_t  *reg;

    reg = lmcf->sh->registry;
    rc = NGX_OK;

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    *gen = reg->gen;

    if (ngx_array_init(docs, pool, reg->ndocs ? reg->ndocs : 1,
                       sizeof(llmgw_reg_doc_t))
        != NGX_OK)
    {
        rc = NGX_ERROR;
        goto done;
    }

    for (q = ngx_queue_head(&reg->queue);
         q != ngx_queue_sentinel(&reg->queue);
         q = ngx_queue_next(q))
    {
        doc = ngx_array_push(docs);
        if (doc == NULL
            || llmgw_registry_copy(pool,
                                   ngx_queue_data(q, llmgw_reg_node_t, queue),
                                   doc)
               != NGX_OK)
        {
            rc = NGX_ERROR;
            goto done;
        }
    }

done:

    ngx_shmtx_unlock(&lmcf->shpool->mutex);

    return rc;
}


/*
 * Writes a document when its current version is the one expected (0: none
 * yet, and for an entity of the file, 1): NGX_OK with doc->meta.version
 * the new one, NGX_DECLINED (a conflict: doc->meta.version is the current
 * one), NGX_BUSY (the zone is full), NGX_ERROR.
 */

ngx_int_t
llmgw_registry_put(llmgw_main_conf_t *lmcf, llmgw_reg_doc_t *doc,
    uint64_t expect)
{
    if (doc->id.len == 0 || doc->id.len > LLMGW_MAX_ID_LEN) {
        return NGX_ERROR;
    }

    return llmgw_registry_write(lmcf, doc, expect, 1);
}


/* an admin action, kept for GET .../audit: the oldest goes when full */

void
llmgw_registry_trail_add(llmgw_main_conf_t *lmcf, u_char *rec, size_t len)
{
    u_char            *p, **slot;
    llmgw_registry_t  *reg;

    reg = lmcf->sh->registry;

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    slot = &reg->trail[reg->trail_next % LLMGW_REG_TRAIL];

    if (*slot) {
        ngx_slab_free_locked(lmcf->shpool, *slot);
        *slot = NULL;
    }

    p = ngx_slab_alloc_locked(lmcf->shpool, len + 1);

    if (p) {
        ngx_memcpy(p, rec, len);
        p[len] = '\0';
        *slot = p;
        reg->trail_next++;
    }

    ngx_shmtx_unlock(&lmcf->shpool->mutex);
}


/* at most limit of the latest admin actions, newest first, each a JSON
 * object in an ngx_str_t */

ngx_int_t
llmgw_registry_trail(llmgw_main_conf_t *lmcf, ngx_pool_t *pool,
    ngx_uint_t limit, ngx_array_t *out)
{
    u_char            *p;
    ngx_str_t         *s;
    ngx_int_t          rc;
    ngx_uint_t         i, n;
    llmgw_registry_t  *reg;

    reg = lmcf->sh->registry;
    rc = NGX_OK;

    if (ngx_array_init(out, pool, 16, sizeof(ngx_str_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    n = ngx_min(ngx_min(reg->trail_next, LLMGW_REG_TRAIL), limit);

    for (i = 1; i <= n; i++) {
        p = reg->trail[(reg->trail_next - i) % LLMGW_REG_TRAIL];
        if (p == NULL) {
            continue;
        }

        s = ngx_array_push(out);
        if (s == NULL) {
            rc = NGX_ERROR;
            break;
        }

        s->len = ngx_strlen(p);
        s->data = ngx_pnalloc(pool, s->len);
        if (s->data == NULL) {
            rc = NGX_ERROR;
            break;
        }

        ngx_memcpy(s->data, p, s->len);
    }

    ngx_shmtx_unlock(&lmcf->shpool->mutex);

    return rc;
}


/* the snapshot's documents: "doc KIND VERSION DELETED CREATED UPDATED BASE
 * DIGEST ID JSON" a line (JSON compact has no raw newline); size is an
 * upper bound for buf, returned by llmgw_registry_snapshot_size() */

size_t
llmgw_registry_snapshot_size(llmgw_main_conf_t *lmcf)
{
    size_t             size;
    ngx_uint_t         i;
    ngx_queue_t       *q;
    llmgw_reg_node_t  *n;
    llmgw_registry_t  *reg;

    reg = lmcf->sh->registry;
    size = 0;

    for (q = ngx_queue_head(&reg->queue);
         q != ngx_queue_sentinel(&reg->queue);
         q = ngx_queue_next(q))
    {
        n = ngx_queue_data(q, llmgw_reg_node_t, queue);
        size += sizeof("doc k  1   ") - 1 + 5 * NGX_INT64_LEN
                + 2 * LLMGW_DIGEST_LEN + n->meta.id_len + n->len + 2;
    }

    for (i = 0; i < LLMGW_REG_TRAIL; i++) {
        if (reg->trail[i]) {
            size += sizeof("trail \n") - 1 + ngx_strlen(reg->trail[i]);
        }
    }

    return size;
}


/* with the zone locked by the caller */

u_char *
llmgw_registry_snapshot(llmgw_main_conf_t *lmcf, u_char *p, u_char *last)
{
    u_char            *t;
    ngx_uint_t         i, n0;
    ngx_queue_t       *q;
    llmgw_reg_doc_t    doc;
    llmgw_reg_node_t  *n;
    llmgw_registry_t  *reg;

    reg = lmcf->sh->registry;

    for (q = ngx_queue_head(&reg->queue);
         q != ngx_queue_sentinel(&reg->queue);
         q = ngx_queue_next(q))
    {
        n = ngx_queue_data(q, llmgw_reg_node_t, queue);

        doc.meta = n->meta;
        doc.id.data = n->id;
        doc.id.len = n->meta.id_len;
        doc.json.data = n->json;
        doc.json.len = n->len;

        p = llmgw_registry_line(&doc, p, last);

        if (p < last) {
            *p++ = '\n';
        }
    }

    /* the trail, oldest first */
    n0 = ngx_min(reg->trail_next, LLMGW_REG_TRAIL);

    for (i = n0; i > 0; i--) {
        t = reg->trail[(reg->trail_next - i) % LLMGW_REG_TRAIL];

        if (t) {
            p = ngx_slprintf(p, last, "trail %s\n", t);
        }
    }

    return p;
}


/* a "trail ..." line of the snapshot, at start */

void
llmgw_registry_trail_restore(llmgw_main_conf_t *lmcf, u_char *line,
    size_t len)
{
    if (len > sizeof("trail ") - 1 && line[len - 1] == '}') {
        llmgw_registry_trail_add(lmcf, line + sizeof("trail ") - 1,
                                 len - (sizeof("trail ") - 1));
    }
}


/* "doc KIND VERSION DELETED CREATED UPDATED BASE DIGEST ID JSON": the
 * snapshot's line (without its newline), and Redis's value */

u_char *
llmgw_registry_line(llmgw_reg_doc_t *doc, u_char *p, u_char *last)
{
    p = ngx_slprintf(p, last, "doc %c %uL %d %T %T %uL ", doc->meta.kind,
                     doc->meta.version, (int) doc->meta.deleted,
                     doc->meta.created, doc->meta.updated, doc->meta.base);

    if (last - p < 2 * LLMGW_DIGEST_LEN + 1) {
        return last;
    }

    p = ngx_hex_dump(p, doc->meta.digest, LLMGW_DIGEST_LEN);

    return ngx_slprintf(p, last, " %V %V", &doc->id, &doc->json);
}


/* a "doc ..." line (the snapshot's, at start, or Redis's): taken when it
 * is newer than what the zone has; NGX_DECLINED when not, or not a line */

ngx_int_t
llmgw_registry_restore(llmgw_main_conf_t *lmcf, u_char *line, size_t len,
    llmgw_reg_doc_t *out)
{
    u_char           *p, *last, *f[9];
    ngx_uint_t        i;
    llmgw_reg_doc_t   doc;

    last = line + len;
    p = line;

    /* doc kind version deleted created updated base digest id json */
    for (i = 0; i < 9; i++) {
        while (p < last && *p != ' ') {
            p++;
        }

        if (p == last) {
            return NGX_DECLINED;
        }

        f[i] = ++p;
    }

    ngx_memzero(&doc, sizeof(llmgw_reg_doc_t));

    doc.meta.kind = *f[0];
    doc.meta.version = (uint64_t) ngx_atoof(f[1], f[2] - f[1] - 1);
    doc.meta.deleted = (*f[2] == '1');
    doc.meta.created = ngx_atotm(f[3], f[4] - f[3] - 1);
    doc.meta.updated = ngx_atotm(f[4], f[5] - f[4] - 1);
    doc.meta.base = (uint64_t) ngx_atoof(f[5], f[6] - f[5] - 1);
    doc.id.data = f[7];
    doc.id.len = f[8] - f[7] - 1;
    doc.json.data = f[8];
    doc.json.len = last - f[8];

    if ((doc.meta.kind != 'k' && doc.meta.kind != 't'
         && doc.meta.kind != 'c')
        || doc.meta.version == (uint64_t) NGX_ERROR || doc.meta.version == 0
        || doc.id.len == 0 || doc.id.len > LLMGW_MAX_ID_LEN
        || f[7] - f[6] - 1 != 2 * LLMGW_DIGEST_LEN
        || llmgw_hex_decode(doc.meta.digest, f[6], 2 * LLMGW_DIGEST_LEN)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (out) {
        *out = doc;
    }

    return llmgw_registry_adopt(lmcf, &doc);
}


/* a document of a version decided elsewhere (the snapshot, Redis): in
 * when newer than the zone's; NGX_DECLINED when not, NGX_BUSY when full */

ngx_int_t
llmgw_registry_adopt(llmgw_main_conf_t *lmcf, llmgw_reg_doc_t *doc)
{
    return llmgw_registry_write(lmcf, doc, 0, 0);
}


/*
 * A document in, with the zone locked: by compare-and-set (cas: the
 * current version must be expect; the new one is expect + 1) or when
 * newer than the zone's (its version decided elsewhere).
 */

static ngx_int_t
llmgw_registry_write(llmgw_main_conf_t *lmcf, llmgw_reg_doc_t *doc,
    uint64_t expect, ngx_uint_t cas)
{
    uint32_t           hash;
    uint64_t           current;
    ngx_int_t          rc;
    llmgw_reg_node_t  *n, *old;
    llmgw_registry_t  *reg;

    reg = lmcf->sh->registry;
    hash = llmgw_registry_hash(doc->meta.kind, &doc->id);

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    old = llmgw_registry_find(reg, doc->meta.kind, &doc->id, hash);

    if (cas) {
        current = old ? old->meta.version : doc->meta.base;

        if (current != expect) {
            doc->meta.version = current;
            rc = NGX_DECLINED;
            goto done;
        }

    } else if (old && old->meta.version >= doc->meta.version) {
        rc = NGX_DECLINED;
        goto done;
    }

    n = ngx_slab_alloc_locked(lmcf->shpool,
                              sizeof(llmgw_reg_node_t) + doc->json.len);
    if (n == NULL) {
        rc = NGX_BUSY;
        goto done;
    }

    if (cas) {
        doc->meta.version = expect + 1;
        doc->meta.created = old ? old->meta.created : doc->meta.updated;
    }

    llmgw_registry_place(reg, lmcf->shpool, n, old, doc, hash);
    rc = NGX_OK;

done:

    ngx_shmtx_unlock(&lmcf->shpool->mutex);

    return rc;
}


/* n takes old's place (or a new one), with the zone locked */

static void
llmgw_registry_place(llmgw_registry_t *reg, ngx_slab_pool_t *shpool,
    llmgw_reg_node_t *n, llmgw_reg_node_t *old, llmgw_reg_doc_t *doc,
    uint32_t hash)
{
    n->node.key = hash;
    n->meta = doc->meta;
    n->meta.id_len = doc->id.len;
    ngx_memcpy(n->id, doc->id.data, doc->id.len);
    n->len = doc->json.len;
    ngx_memcpy(n->json, doc->json.data, doc->json.len);

    if (old) {
        ngx_queue_insert_after(&old->queue, &n->queue);
        ngx_queue_remove(&old->queue);
        ngx_rbtree_delete(&reg->rbtree, &old->node);
        ngx_slab_free_locked(shpool, old);

    } else {
        ngx_queue_insert_tail(&reg->queue, &n->queue);
        reg->ndocs++;
    }

    ngx_rbtree_insert(&reg->rbtree, &n->node);
    reg->gen++;
}


static llmgw_reg_node_t *
llmgw_registry_find(llmgw_registry_t *reg, u_char kind, ngx_str_t *id,
    uint32_t hash)
{
    ngx_rbtree_node_t  *node, *sentinel;
    llmgw_reg_node_t   *n;

    node = reg->rbtree.root;
    sentinel = reg->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        n = (llmgw_reg_node_t *) node;

        if (n->meta.kind == kind && n->meta.id_len == id->len
            && ngx_memcmp(n->id, id->data, id->len) == 0)
        {
            return n;
        }

        /* two ids of one crc32: rotations may have put the other on
         * either side */
        return llmgw_registry_scan(reg, kind, id);
    }

    return NULL;
}


static llmgw_reg_node_t *
llmgw_registry_scan(llmgw_registry_t *reg, u_char kind, ngx_str_t *id)
{
    ngx_queue_t       *q;
    llmgw_reg_node_t  *n;

    for (q = ngx_queue_head(&reg->queue);
         q != ngx_queue_sentinel(&reg->queue);
         q = ngx_queue_next(q))
    {
        n = ngx_queue_data(q, llmgw_reg_node_t, queue);

        if (n->meta.kind == kind && n->meta.id_len == id->len
            && ngx_memcmp(n->id, id->data, id->len) == 0)
        {
            return n;
        }
    }

    return NULL;
}


static uint32_t
llmgw_registry_hash(u_char kind, ngx_str_t *id)
{
    uint32_t  crc;

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, &kind, 1);
    ngx_crc32_update(&crc, id->data, id->len);
    ngx_crc32_final(crc);

    return crc;
}


static ngx_int_t
llmgw_registry_copy(ngx_pool_t *pool, llmgw_reg_node_t *n,
    llmgw_reg_doc_t *doc)
{
    doc->meta = n->meta;
    doc->id.len = n->meta.id_len;
    doc->id.data = ngx_pnalloc(pool, n->meta.id_len + n->len + 1);

    if (doc->id.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(doc->id.data, n->id, n->meta.id_len);
    doc->json.data = doc->id.data + n->meta.id_len;
    doc->json.len = n->len;
    ngx_memcpy(doc->json.data, n->json, n->len);
    doc->json.data[n->len] = '\0';

    return NGX_OK;
}
