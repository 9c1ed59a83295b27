/*
 * llmgw: the store in the `llmgw_zone` shared memory, shared by all
 * workers of one nginx.  Counters live in an rbtree keyed by the hash of
 * their key, each with the end of its window; one lock of the zone's mutex
 * makes a reservation atomic across all its charges.
 */


#include "llmgw.h"


typedef struct {
    ngx_rbtree_node_t     node;
    ngx_queue_t           queue;      /* most recently used first */
    time_t                reset;
    int64_t               value;
    u_short               len;
    u_char                key[1];
} llmgw_counter_t;


static llmgw_store_rc_e llmgw_shm_reserve(void *store,
    llmgw_store_waiter_t *w, ngx_uint_t *refused);
static void llmgw_shm_settle(void *store, llmgw_charge_t *c, int64_t *delta,
    ngx_uint_t n);
static llmgw_store_rc_e llmgw_shm_read(void *store, llmgw_store_waiter_t *w);
static void llmgw_shm_cancel(void *store, llmgw_store_waiter_t *w);
static llmgw_counter_t *llmgw_shm_lookup(llmgw_shm_t *sh, u_char *key,
    size_t len, uint32_t hash);
static llmgw_counter_t *llmgw_shm_create(llmgw_main_conf_t *lmcf,
    u_char *key, size_t len, uint32_t hash, time_t reset);
static void llmgw_shm_expire(llmgw_main_conf_t *lmcf, time_t now,
    ngx_uint_t n, ngx_uint_t scan);
static void llmgw_shm_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);


const llmgw_store_ops_t  llmgw_store_shm_ops = {
    ngx_string("shm"),
    llmgw_shm_reserve,
    llmgw_shm_settle,
    llmgw_shm_read,
    llmgw_shm_cancel
};


void
llmgw_store_shm_init(llmgw_shm_t *sh)
{
    ngx_rbtree_init(&sh->rbtree, &sh->sentinel, llmgw_shm_rbtree_insert);
    ngx_queue_init(&sh->queue);
}


static llmgw_store_rc_e
llmgw_shm_reserve(void *store, llmgw_store_waiter_t *w, ngx_uint_t *refused)
{
    llmgw_main_conf_t *lmcf = store;

    time_t            now;
    int64_t           used;
    ngx_uint_t        i;
    llmgw_charge_t   *c;
    llmgw_counter_t  *cnt[LLMGW_MAX_CHARGES];

    now = ngx_time();
    c = w->charges;

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    llmgw_shm_expire(lmcf, now, 2, 8);

    for (i = 0; i < w->n; i++) {
        cnt[i] = llmgw_shm_lookup(lmcf->sh, c[i].key, c[i].key_len,
                                  c[i].hash);
        used = (cnt[i] && cnt[i]->reset > now) ? cnt[i]->value : 0;

        if (used + c[i].amount > c[i].limit) {
            ngx_shmtx_unlock(&lmcf->shpool->mutex);
            c[i].used = used;
            *refused = i;
            return LLMGW_STORE_REFUSED;
        }
    }

    for (i = 0; i < w->n; i++) {
        if (cnt[i] == NULL) {
            cnt[i] = llmgw_shm_create(lmcf, c[i].key, c[i].key_len,
                                      c[i].hash, c[i].reset);

            if (cnt[i] == NULL) {
                /* undo what this reservation did so far */
                while (i--) {
                    cnt[i]->value -= c[i].amount;
                }

                ngx_shmtx_unlock(&lmcf->shpool->mutex);
                ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, 0,
                              "llmgw: zone \"%V\" is full: make llmgw_zone "
                              "larger", &lmcf->zone->shm.name);
                return LLMGW_STORE_UNAVAILABLE;
            }

        } else if (cnt[i]->reset <= now) {
            cnt[i]->value = 0;
            cnt[i]->reset = c[i].reset;
        }

        cnt[i]->value += c[i].amount;
        c[i].used = cnt[i]->value;

        ngx_queue_remove(&cnt[i]->queue);
        ngx_queue_insert_head(&lmcf->sh->queue, &cnt[i]->queue);
    }

    ngx_shmtx_unlock(&lmcf->shpool->mutex);

    return LLMGW_STORE_OK;
}


static void
llmgw_shm_settle(void *store, llmgw_charge_t *c, int64_t *delta,
    ngx_uint_t n)
{
    llmgw_main_conf_t *lmcf = store;

    ngx_uint_t        i;
    llmgw_counter_t  *cnt;

    for (i = 0; i < n; i++) {
        if (delta[i] == 0) {
            continue;
        }

        ngx_shmtx_lock(&lmcf->shpool->mutex);

        cnt = llmgw_shm_lookup(lmcf->sh, c[i].key, c[i].key_len, c[i].hash);

        /* only within the window it was reserved in */
        if (cnt && cnt->reset == c[i].reset) {
            cnt->value = ngx_max(cnt->value + delta[i], 0);
            c[i].used = cnt->value;
        }

        ngx_shmtx_unlock(&lmcf->shpool->mutex);
    }
}


static llmgw_store_rc_e
llmgw_shm_read(void *store, llmgw_store_waiter_t *w)
{
    llmgw_main_conf_t *lmcf = store;

    time_t            now;
    ngx_uint_t        i;
    llmgw_charge_t   *c;
    llmgw_counter_t  *cnt;

    now = ngx_time();
    c = w->charges;

    for (i = 0; i < w->n; i++) {
        ngx_shmtx_lock(&lmcf->shpool->mutex);
        cnt = llmgw_shm_lookup(lmcf->sh, c[i].key, c[i].key_len, c[i].hash);
        c[i].used = (cnt && cnt->reset > now) ? cnt->value : 0;
        ngx_shmtx_unlock(&lmcf->shpool->mutex);
    }

    return LLMGW_STORE_OK;
}


static void
llmgw_shm_cancel(void *store, llmgw_store_waiter_t *w)
{
    /* the shm store always answers at once */
}


static llmgw_counter_t *
llmgw_shm_lookup(llmgw_shm_t *sh, u_char *key, size_t len, uint32_t hash)
{
    ngx_int_t           rc;
    ngx_rbtree_node_t  *node, *sentinel;
    llmgw_counter_t    *cnt;

    node = sh->rbtree.root;
    sentinel = sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        cnt = (llmgw_counter_t *) node;

        rc = ngx_memn2cmp(key, cnt->key, len, (size_t) cnt->len);

        if (rc == 0) {
            return cnt;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static llmgw_counter_t *
llmgw_shm_create(llmgw_main_conf_t *lmcf, u_char *key, size_t len,
    uint32_t hash, time_t reset)
{
    size_t            size;
    llmgw_counter_t  *cnt;

    size = offsetof(llmgw_counter_t, key) + len;

    cnt = ngx_slab_alloc_locked(lmcf->shpool, size);

    if (cnt == NULL) {
        llmgw_shm_expire(lmcf, ngx_time(), 64, (ngx_uint_t) -1);
        cnt = ngx_slab_alloc_locked(lmcf->shpool, size);

        if (cnt == NULL) {
            return NULL;
        }
    }

    cnt->node.key = hash;
    cnt->len = (u_short) len;
    ngx_memcpy(cnt->key, key, len);
    cnt->reset = reset;
    cnt->value = 0;

    ngx_rbtree_insert(&lmcf->sh->rbtree, &cnt->node);
    ngx_queue_insert_head(&lmcf->sh->queue, &cnt->queue);

    return cnt;
}


/* frees up to n counters whose window has ended among the scan least
 * recently used; a live counter is never evicted */

static void
llmgw_shm_expire(llmgw_main_conf_t *lmcf, time_t now, ngx_uint_t n,
    ngx_uint_t scan)
{
    ngx_queue_t      *q, *prev;
    llmgw_counter_t  *cnt;

    for (q = ngx_queue_last(&lmcf->sh->queue);
         n && scan && q != ngx_queue_sentinel(&lmcf->sh->queue);
         q = prev, scan--)
    {
        prev = ngx_queue_prev(q);
        cnt = ngx_queue_data(q, llmgw_counter_t, queue);

        if (cnt->reset > now) {
            continue;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&lmcf->sh->rbtree, &cnt->node);
        ngx_slab_free_locked(lmcf->shpool, cnt);
        n--;
    }
}


static void
llmgw_shm_rbtree_insert(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t  **p;
    llmgw_counter_t     *c, *t;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            c = (llmgw_counter_t *) node;
            t = (llmgw_counter_t *) temp;

            p = (ngx_memn2cmp(c->key, t->key, c->len, t->len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the snapshot's side: at start, in the master, before any worker */

ngx_int_t
llmgw_store_shm_restore(llmgw_main_conf_t *lmcf, u_char *key, size_t len,
    time_t reset, int64_t value)
{
    uint32_t          hash;
    llmgw_counter_t  *cnt;

    if (len > LLMGW_STORE_KEY_LEN) {
        return NGX_OK;
    }

    hash = ngx_crc32_short(key, len);

    cnt = llmgw_shm_lookup(lmcf->sh, key, len, hash);

    if (cnt == NULL) {
        cnt = llmgw_shm_create(lmcf, key, len, hash, reset);
        if (cnt == NULL) {
            return NGX_ERROR;
        }
    }

    cnt->reset = reset;
    cnt->value = value;

    return NGX_OK;
}


/* under the zone's lock */

ngx_uint_t
llmgw_store_shm_count(llmgw_main_conf_t *lmcf)
{
    ngx_uint_t    n;
    ngx_queue_t  *q;

    n = 0;

    for (q = ngx_queue_head(&lmcf->sh->queue);
         q != ngx_queue_sentinel(&lmcf->sh->queue);
         q = ngx_queue_next(q))
    {
        n++;
    }

    return n;
}


/* under the zone's lock; buf holds llmgw_store_shm_count() lines */

u_char *
llmgw_store_shm_dump(llmgw_main_conf_t *lmcf, u_char *buf, size_t size,
    const char *header)
{
    u_char           *p, *last;
    time_t            now;
    ngx_queue_t      *q;
    llmgw_counter_t  *cnt;

    p = buf;
    last = buf + size;
    now = ngx_time();

    p = ngx_slprintf(p, last, "%s", header);

    for (q = ngx_queue_head(&lmcf->sh->queue);
         q != ngx_queue_sentinel(&lmcf->sh->queue);
         q = ngx_queue_next(q))
    {
        cnt = ngx_queue_data(q, llmgw_counter_t, queue);

        if (cnt->reset > now) {
            p = ngx_slprintf(p, last, "%T %L %*s\n", cnt->reset, cnt->value,
                             (size_t) cnt->len, cnt->key);
        }
    }

    return p;
}
