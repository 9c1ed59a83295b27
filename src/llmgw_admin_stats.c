/*
 * llmgw: the admin API's statistics (GET .../stats).
 *
 * Models, refusals and the providers' keys are read from what
 * llmgw_metrics.c and llmgw_health.c keep in the zone.  Spend per hour by
 * team and by customer is kept here: a ring of hourly buckets per entity,
 * allocated in the zone as entities are first charged, at most
 * LLMGW_SPEND_MAX of them (fewer in a small zone: an eighth of it); spend
 * beyond is counted as the level's "_other".
 */


#include "llmgw.h"
#include "llmgw_metrics.h"


#define LLMGW_SPEND_HOURS   168
#define LLMGW_SPEND_MAX     512
#define LLMGW_SPEND_HASH    256
#define LLMGW_SPEND_BUCKET  3600


typedef struct llmgw_spend_entity_s  llmgw_spend_entity_t;

struct llmgw_spend_entity_s {
    llmgw_spend_entity_t        *next;       /* in its hash chain */
    uint32_t                     hash;
    u_char                       level;
    u_char                       len;
    u_char                       id[LLMGW_MAX_ID_LEN];
    time_t                       hour;       /* the newest bucket's */
    int64_t                      pico[LLMGW_SPEND_HOURS]; /* by hour % */
};


typedef struct {
    ngx_uint_t                   max;        /* entities, "_other" apart */
    ngx_uint_t                   n;
    llmgw_spend_entity_t        *hash[LLMGW_SPEND_HASH];
    llmgw_spend_entity_t        *all[LLMGW_SPEND_MAX + 2];
} llmgw_spend_t;


typedef struct {
    ngx_str_t                    provider;
    ngx_str_t                    model;
    uint64_t                     requests;
    uint64_t                     input;
    uint64_t                     output;
    int64_t                      cost;
} llmgw_stats_model_t;


typedef struct {
    llmgw_spend_entity_t        *entity;
    int64_t                      total;      /* in the window */
} llmgw_stats_spender_t;


static json_t *llmgw_stats_models(llmgw_main_conf_t *lmcf, ngx_pool_t *pool);
static ngx_int_t llmgw_stats_rows(llmgw_main_conf_t *lmcf, ngx_pool_t *pool,
    ngx_array_t *models);
static ngx_int_t llmgw_stats_label(ngx_pool_t *pool, u_char **pos,
    u_char *last, ngx_str_t *value);
static int ngx_libc_cdecl llmgw_stats_model_cmp(const void *one,
    const void *two);
static int ngx_libc_cdecl llmgw_stats_cost_cmp(const void *one,
    const void *two);
static json_t *llmgw_stats_refusals(llmgw_main_conf_t *lmcf);
static json_t *llmgw_stats_keys(llmgw_main_conf_t *lmcf);
static ngx_uint_t llmgw_stats_strikes(llmgw_main_conf_t *lmcf,
    llmgw_api_key_t *key);
static json_t *llmgw_stats_spend(llmgw_main_conf_t *lmcf, ngx_pool_t *pool,
    time_t now, ngx_uint_t hours);
static json_t *llmgw_stats_spenders(ngx_pool_t *pool,
    llmgw_spend_entity_t *copy, ngx_uint_t n, llmgw_level_e level,
    time_t from, time_t to);
static json_t *llmgw_stats_points(llmgw_spend_entity_t *se, time_t from,
    time_t to);
static int ngx_libc_cdecl llmgw_stats_spender_cmp(const void *one,
    const void *two);
static json_t *llmgw_stats_string(u_char *data, size_t len);
static llmgw_spend_t *llmgw_spend_zone(llmgw_main_conf_t *lmcf);
static llmgw_spend_entity_t *llmgw_spend_entity(llmgw_main_conf_t *lmcf,
    llmgw_spend_t *sp, llmgw_level_e level, ngx_str_t *id, time_t hour);
static llmgw_spend_entity_t *llmgw_spend_find(llmgw_spend_t *sp,
    uint32_t hash, llmgw_level_e level, ngx_str_t *id);
static void llmgw_spend_add(llmgw_spend_entity_t *se, time_t hour,
    int64_t pico);


static ngx_str_t  llmgw_spend_other = ngx_string("_other");


json_t *
llmgw_admin_stats(llmgw_main_conf_t *lmcf, time_t now, ngx_uint_t hours)
{
    json_t      *models, *refusals, *keys, *spend;
    ngx_pool_t  *pool;

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, ngx_cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    models = llmgw_stats_models(lmcf, pool);
    refusals = llmgw_stats_refusals(lmcf);
    keys = llmgw_stats_keys(lmcf);
    spend = llmgw_stats_spend(lmcf, pool, now, hours);

    ngx_destroy_pool(pool);

    /* "o" steals every reference, on failure too */
    return json_pack("{s:o,s:o,s:o,s:o}", "models", models,
                     "refusals", refusals, "provider_keys", keys,
                     "spend", spend);
}


/* --- models: the usage rows, summed over keys, teams and customers ---- */

static json_t *
llmgw_stats_models(llmgw_main_conf_t *lmcf, ngx_pool_t *pool)
{
    json_t               *list, *item;
    ngx_uint_t            i, n;
    ngx_array_t           models;
    llmgw_stats_model_t  *m;

    list = json_array();
    if (list == NULL) {
        return NULL;
    }

    if (ngx_array_init(&models, pool, 16, sizeof(llmgw_stats_model_t))
        != NGX_OK
        || llmgw_stats_rows(lmcf, pool, &models) != NGX_OK)
    {
        goto failed;
    }

    m = models.elts;
    n = 0;

    if (models.nelts) {
        ngx_qsort(m, models.nelts, sizeof(llmgw_stats_model_t),
                  llmgw_stats_model_cmp);

        for (i = 1; i < models.nelts; i++) {
            if (llmgw_stats_model_cmp(&m[n], &m[i]) != 0) {
                m[++n] = m[i];
                continue;
            }

            m[n].requests += m[i].requests;
            m[n].input += m[i].input;
            m[n].output += m[i].output;
            m[n].cost += m[i].cost;
        }

        n++;
        ngx_qsort(m, n, sizeof(llmgw_stats_model_t), llmgw_stats_cost_cmp);
    }

    for (i = 0; i < n; i++) {
        item = json_pack("{s:o,s:o,s:I,s:I,s:I,s:f}",
                         "provider", llmgw_stats_string(m[i].provider.data,
                                                        m[i].provider.len),
                         "model", llmgw_stats_string(m[i].model.data,
                                                     m[i].model.len),
                         "requests", (json_int_t) m[i].requests,
                         "input_tokens", (json_int_t) m[i].input,
                         "output_tokens", (json_int_t) m[i].output,
                         "cost_usd",
                         (double) m[i].cost / LLMGW_PICO_PER_USD);

        if (json_array_append_new(list, item) != 0) {
            goto failed;
        }
    }

    return list;

failed:

    json_decref(list);

    return NULL;
}


/* the usage rows with a provider: their labels decoded, their counts read */

static ngx_int_t
llmgw_stats_rows(llmgw_main_conf_t *lmcf, ngx_pool_t *pool,
    ngx_array_t *models)
{
    u_char                *p, *last;
    ngx_uint_t             i, j, n;
    llmgw_stats_model_t   *m;
    llmgw_series_table_t   *t;
    llmgw_series_t  *s, **rows;

    t = lmcf->sh ? lmcf->sh->series : NULL;

    if (t == NULL) {
        return NGX_OK;
    }

    rows = ngx_palloc(pool, (t->mask + 1) * sizeof(llmgw_series_t *));
    if (rows == NULL) {
        return NGX_ERROR;
    }

    n = 0;

    /* rows are never removed: their labels stay valid once unlocked */
    ngx_shmtx_lock(&lmcf->shpool->mutex);

    for (i = 0; i <= t->mask; i++) {
        s = t->slot[i];

        if (s && s->kind == LLMGW_SERIES_USAGE) {
            rows[n++] = s;
        }
    }

    ngx_shmtx_unlock(&lmcf->shpool->mutex);

    for (i = 0; i < n; i++) {
        s = rows[i];
        p = s->labels.data;
        last = p + s->labels.len;

        m = ngx_array_push(models);
        if (m == NULL) {
            return NGX_ERROR;
        }

        if (llmgw_stats_label(pool, &p, last, &m->provider) != NGX_OK
            || llmgw_stats_label(pool, &p, last, &m->model) != NGX_OK
            || m->provider.len == 0)
        {
            /* refused before a provider was chosen */
            models->nelts--;
            continue;
        }

        m->requests = 0;

        for (j = 0; j < 4; j++) {
            m->requests += s->v[LLMGW_U_STATUS + j];
        }

        m->input = s->v[LLMGW_U_TOKENS];
        m->output = s->v[LLMGW_U_TOKENS + 1];
        m->cost = (int64_t) s->v[LLMGW_U_COST];
    }

    return NGX_OK;
}


/* the next name="value" of labels as llmgw_metrics.c escapes them */

static ngx_int_t
llmgw_stats_label(ngx_pool_t *pool, u_char **pos, u_char *last,
    ngx_str_t *value)
{
    u_char  *p, *d;

    p = *pos;

    while (p < last && *p != '"') {
        p++;
    }

    if (p++ == last) {
        return NGX_ERROR;
    }

    d = ngx_pnalloc(pool, last - p + 1);
    if (d == NULL) {
        return NGX_ERROR;
    }

    value->data = d;

    while (p < last && *p != '"') {
        if (*p == '\\' && p + 1 < last) {
            p++;
            *d++ = (*p == 'n') ? '\n' : *p;
            p++;
            continue;
        }

        *d++ = *p++;
    }

    if (p == last) {
        return NGX_ERROR;
    }

    value->len = d - value->data;
    *pos = p + 1;

    return NGX_OK;
}


static int ngx_libc_cdecl
llmgw_stats_model_cmp(const void *one, const void *two)
{
    ngx_int_t                   rc;
    const llmgw_stats_model_t  *a = one, *b = two;

    rc = ngx_memn2cmp(a->provider.data, b->provider.data, a->provider.len,
                      b->provider.len);
    if (rc) {
        return rc;
    }

    return ngx_memn2cmp(a->model.data, b->model.data, a->model.len,
                        b->model.len);
}


/* the costliest first, then the busiest, then by name */

static int ngx_libc_cdecl
llmgw_stats_cost_cmp(const void *one, const void *two)
{
    const llmgw_stats_model_t  *a = one, *b = two;

    if (a->cost != b->cost) {
        return (a->cost > b->cost) ? -1 : 1;
    }

    if (a->requests != b->requests) {
        return (a->requests > b->requests) ? -1 : 1;
    }

    return llmgw_stats_model_cmp(one, two);
}


/* --- refusals: the counters llmgw_govern.c bumps, by level and reason - */

static json_t *
llmgw_stats_refusals(llmgw_main_conf_t *lmcf)
{
    json_t            *list;
    ngx_uint_t         level, i;
    ngx_atomic_uint_t  count;

    static const char  *levels[] = {
        "provider_entry", "key", "team", "customer"
    };

    static const char  *reasons[] = { "rate_limit", "budget" };

    list = json_array();

    if (list == NULL || lmcf->sh == NULL) {
        return list;
    }

    for (level = 0; level < 4; level++) {
        for (i = 0; i < 2; i++) {
            count = lmcf->sh->metrics[LLMGW_METRIC_REFUSED + 2 * level + i];

            if (count == 0) {
                continue;
            }

            if (json_array_append_new(list,
                                      json_pack("{s:s,s:s,s:I}",
                                                "level", levels[level],
                                                "reason", reasons[i],
                                                "count", (json_int_t) count))
                != 0)
            {
                json_decref(list);
                return NULL;
            }
        }
    }

    return list;
}


/* --- the providers' keys, as llmgw_health.c sees them ----------------- */

static json_t *
llmgw_stats_keys(llmgw_main_conf_t *lmcf)
{
    json_t            *list, *item;
    ngx_uint_t         i, j, cooling, cooldowns;
    llmgw_api_key_t   *k;
    llmgw_provider_t  *p;

    list = json_array();
    if (list == NULL) {
        return NULL;
    }

    p = lmcf->providers.elts;

    for (i = 0; i < lmcf->providers.nelts; i++) {
        k = p[i].keys.elts;

        for (j = 0; j < p[i].keys.nelts; j++) {
            llmgw_key_health_state(lmcf, &k[j], &cooling, &cooldowns);

            item = json_pack("{s:o,s:o,s:s,s:I,s:I}",
                             "provider", llmgw_stats_string(p[i].name.data,
                                                            p[i].name.len),
                             "key", llmgw_stats_string(k[j].id.data,
                                                       k[j].id.len),
                             "state", cooling ? "cooling" : "healthy",
                             "consecutive_failures",
                             (json_int_t) llmgw_stats_strikes(lmcf, &k[j]),
                             "cooldowns", (json_int_t) cooldowns);

            if (json_array_append_new(list, item) != 0) {
                json_decref(list);
                return NULL;
            }
        }
    }

    return list;
}


/* the 429s in a row since the key last answered well */

static ngx_uint_t
llmgw_stats_strikes(llmgw_main_conf_t *lmcf, llmgw_api_key_t *key)
{
    ngx_uint_t                i, h;
    llmgw_key_state_t  *t, *s;

    t = lmcf->sh ? lmcf->sh->health : NULL;

    if (t == NULL) {
        return 0;
    }

    h = key->health_id % LLMGW_HEALTH_SLOTS;

    for (i = 0; i < LLMGW_HEALTH_SLOTS; i++) {
        s = &t[(h + i) % LLMGW_HEALTH_SLOTS];

        if (s->id == key->health_id) {
            return s->strikes;
        }

        if (s->id == 0) {
            break;
        }
    }

    return 0;
}


/* --- spend per hour ---------------------------------------------------- */

static json_t *
llmgw_stats_spend(llmgw_main_conf_t *lmcf, ngx_pool_t *pool, time_t now,
    ngx_uint_t hours)
{
    time_t                 to;
    ngx_uint_t             i, n;
    llmgw_spend_t         *sp;
    llmgw_spend_entity_t  *copy;

    if (hours == 0 || hours > LLMGW_SPEND_HOURS) {
        hours = LLMGW_SPEND_HOURS;
    }

    sp = lmcf->sh ? lmcf->sh->spend : NULL;
    n = 0;
    copy = NULL;

    if (sp) {
        /* entities are only added: the first n are there when relocked */
        n = sp->n;

        copy = ngx_palloc(pool, (n ? n : 1) * sizeof(llmgw_spend_entity_t));
        if (copy == NULL) {
            return NULL;
        }

        ngx_shmtx_lock(&lmcf->shpool->mutex);

        for (i = 0; i < n; i++) {
            ngx_memcpy(&copy[i], sp->all[i], sizeof(llmgw_spend_entity_t));
        }

        ngx_shmtx_unlock(&lmcf->shpool->mutex);
    }

    to = now / LLMGW_SPEND_BUCKET;

    return json_pack("{s:i,s:o,s:o}", "bucket_seconds", LLMGW_SPEND_BUCKET,
                     "teams",
                     llmgw_stats_spenders(pool, copy, n, LLMGW_LEVEL_TEAM,
                                          to - hours + 1, to),
                     "customers",
                     llmgw_stats_spenders(pool, copy, n,
                                          LLMGW_LEVEL_CUSTOMER,
                                          to - hours + 1, to));
}


/* the entities of a level that spent in the hours from..to, the most
 * first */

static json_t *
llmgw_stats_spenders(ngx_pool_t *pool, llmgw_spend_entity_t *copy,
    ngx_uint_t n, llmgw_level_e level, time_t from, time_t to)
{
    time_t                  h;
    json_t                 *list, *points;
    ngx_uint_t              i, m;
    llmgw_spend_entity_t   *se;
    llmgw_stats_spender_t  *s;

    list = json_array();

    if (list == NULL || n == 0) {
        return list;
    }

    s = ngx_palloc(pool, n * sizeof(llmgw_stats_spender_t));
    if (s == NULL) {
        goto failed;
    }

    m = 0;

    for (i = 0; i < n; i++) {
        se = &copy[i];

        if (se->level != level) {
            continue;
        }

        s[m].entity = se;
        s[m].total = 0;

        for (h = ngx_max(from, se->hour - LLMGW_SPEND_HOURS + 1);
             h <= ngx_min(to, se->hour);
             h++)
        {
            s[m].total += se->pico[h % LLMGW_SPEND_HOURS];
        }

        m += (s[m].total > 0);
    }

    if (m) {
        ngx_qsort(s, m, sizeof(llmgw_stats_spender_t),
                  llmgw_stats_spender_cmp);
    }

    for (i = 0; i < m; i++) {
        se = s[i].entity;
        points = llmgw_stats_points(se, from, to);

        if (json_array_append_new(list,
                                  json_pack("{s:o,s:o}",
                                            "id",
                                            llmgw_stats_string(se->id,
                                                               se->len),
                                            "points", points))
            != 0)
        {
            goto failed;
        }
    }

    return list;

failed:

    json_decref(list);

    return NULL;
}


/* [[hour_start, usd], ...], oldest first, empty hours left out */

static json_t *
llmgw_stats_points(llmgw_spend_entity_t *se, time_t from, time_t to)
{
    time_t   h;
    json_t  *points;
    int64_t  pico;

    points = json_array();
    if (points == NULL) {
        return NULL;
    }

    for (h = ngx_max(from, se->hour - LLMGW_SPEND_HOURS + 1);
         h <= ngx_min(to, se->hour);
         h++)
    {
        pico = se->pico[h % LLMGW_SPEND_HOURS];

        if (pico == 0) {
            continue;
        }

        if (json_array_append_new(points,
                                  json_pack("[I,f]",
                                            (json_int_t) h
                                            * LLMGW_SPEND_BUCKET,
                                            (double) pico
                                            / LLMGW_PICO_PER_USD))
            != 0)
        {
            json_decref(points);
            return NULL;
        }
    }

    return points;
}


static int ngx_libc_cdecl
llmgw_stats_spender_cmp(const void *one, const void *two)
{
    const llmgw_stats_spender_t  *a = one, *b = two;

    if (a->total != b->total) {
        return (a->total > b->total) ? -1 : 1;
    }

    return ngx_memn2cmp(a->entity->id, b->entity->id, a->entity->len,
                        b->entity->len);
}


/* a JSON string; bytes that are not UTF-8 become '?' */

static json_t *
llmgw_stats_string(u_char *data, size_t len)
{
    u_char   buf[LLMGW_MAX_MODEL_LEN];
    json_t  *s;
    size_t   i;

    s = json_stringn((char *) data, len);

    if (s || len > sizeof(buf)) {
        return s;
    }

    for (i = 0; i < len; i++) {
        buf[i] = (data[i] < 0x80) ? data[i] : '?';
    }

    return json_stringn((char *) buf, len);
}


/*
 * The log phase: a request's cost, into the hour's bucket of each team and
 * customer above its key.
 */

void
llmgw_spend_record(llmgw_main_conf_t *lmcf, llmgw_entity_t *key_entity,
    int64_t pico, time_t now)
{
    time_t                 hour;
    llmgw_entity_t        *e;
    llmgw_spend_t         *sp;
    llmgw_spend_entity_t  *se;

    if (pico <= 0 || lmcf == NULL || lmcf->sh == NULL) {
        return;
    }

    hour = now / LLMGW_SPEND_BUCKET;

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    sp = llmgw_spend_zone(lmcf);

    for (e = sp ? key_entity->parent : NULL; e; e = e->parent) {
        if (e->level != LLMGW_LEVEL_TEAM && e->level != LLMGW_LEVEL_CUSTOMER) {
            continue;
        }

        /* the zone never frees one, and the entity is this worker's */
        se = e->spend;

        if (se == NULL) {
            se = llmgw_spend_entity(lmcf, sp, e->level, &e->id, hour);
            e->spend = se;
        }

        if (se) {
            llmgw_spend_add(se, hour, pico);
        }
    }

    ngx_shmtx_unlock(&lmcf->shpool->mutex);
}


/* the root, made when first needed; the mutex held */

static llmgw_spend_t *
llmgw_spend_zone(llmgw_main_conf_t *lmcf)
{
    size_t          chunk, size;
    llmgw_spend_t  *sp;

    sp = lmcf->sh->spend;

    if (sp) {
        return sp;
    }

    sp = ngx_slab_calloc_locked(lmcf->shpool, sizeof(llmgw_spend_t));
    if (sp == NULL) {
        return NULL;
    }

    /* what the slab takes for an entity */
    for (chunk = 8; chunk < sizeof(llmgw_spend_entity_t); chunk <<= 1) {
        /* void */
    }

    size = lmcf->zone ? lmcf->zone->shm.size : 0;

    sp->max = ngx_min(LLMGW_SPEND_MAX, size / 8 / chunk);
    lmcf->sh->spend = sp;

    return sp;
}


/* an entity's ring: found, made, or its level's "_other" */

static llmgw_spend_entity_t *
llmgw_spend_entity(llmgw_main_conf_t *lmcf, llmgw_spend_t *sp,
    llmgw_level_e level, ngx_str_t *id, time_t hour)
{
    uint32_t               hash;
    llmgw_spend_entity_t  *se;

    if (id->len > LLMGW_MAX_ID_LEN) {
        id = &llmgw_spend_other;
    }

    for ( ;; ) {
        hash = ngx_crc32_short(id->data, id->len) ^ level;

        se = llmgw_spend_find(sp, hash, level, id);
        if (se) {
            return se;
        }

        if (sp->n < sp->max
            || (id == &llmgw_spend_other && sp->n < LLMGW_SPEND_MAX + 2))
        {
            se = ngx_slab_calloc_locked(lmcf->shpool,
                                        sizeof(llmgw_spend_entity_t));
            if (se) {
                break;
            }
        }

        if (id == &llmgw_spend_other) {
            return NULL;
        }

        id = &llmgw_spend_other;
    }

    se->hash = hash;
    se->level = (u_char) level;
    se->len = (u_char) id->len;
    ngx_memcpy(se->id, id->data, id->len);
    se->hour = hour;

    se->next = sp->hash[hash % LLMGW_SPEND_HASH];
    sp->hash[hash % LLMGW_SPEND_HASH] = se;
    sp->all[sp->n++] = se;

    return se;
}


static llmgw_spend_entity_t *
llmgw_spend_find(llmgw_spend_t *sp, uint32_t hash, llmgw_level_e level,
    ngx_str_t *id)
{
    llmgw_spend_entity_t  *se;

    for (se = sp->hash[hash % LLMGW_SPEND_HASH]; se; se = se->next) {
        if (se->hash == hash && se->level == level && se->len == id->len
            && ngx_memcmp(se->id, id->data, id->len) == 0)
        {
            return se;
        }
    }

    return NULL;
}


/* hours since the newest bucket are emptied as the ring turns; a worker
 * whose clock is a little behind adds to an older hour */

static void
llmgw_spend_add(llmgw_spend_entity_t *se, time_t hour, int64_t pico)
{
    time_t  h;

    if (hour > se->hour) {
        for (h = ngx_max(se->hour + 1, hour - LLMGW_SPEND_HOURS + 1);
             h <= hour;
             h++)
        {
            se->pico[h % LLMGW_SPEND_HOURS] = 0;
        }

        se->hour = hour;

    } else if (se->hour - hour >= LLMGW_SPEND_HOURS) {
        return;
    }

    se->pico[hour % LLMGW_SPEND_HOURS] += pico;
}
