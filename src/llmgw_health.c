/*
 * llmgw: the health of providers' API keys, shared by every worker.
 *
 * A key the provider refuses (401, 403) is put in cooldown at once; one
 * that answers 429 several times in a row (`llmgw_key_cooldown ... 429=N`)
 * too.  The weighted choice skips a key in cooldown until it ends.  The
 * states live in a small open-addressing table in the zone, found by a
 * hash of the provider's and the key's names, so a reload that renumbers
 * keys keeps them.
 */


#include "llmgw.h"
#include "llmgw_metrics.h"


static llmgw_key_state_t *llmgw_health_slot(llmgw_main_conf_t *lmcf,
    uint32_t id, ngx_uint_t claim);
static ngx_msec_int_t llmgw_now_ms(void);


ngx_int_t
llmgw_health_init(ngx_slab_pool_t *shpool, llmgw_shm_t *sh)
{
    sh->health = ngx_slab_calloc(shpool,
                                 LLMGW_HEALTH_SLOTS
                                 * sizeof(llmgw_key_state_t));

    return sh->health ? NGX_OK : NGX_ERROR;
}


/* a key's identity in the table: never 0 */

uint32_t
llmgw_health_id(ngx_str_t *provider, ngx_str_t *key)
{
    uint32_t  id;

    ngx_crc32_init(id);
    ngx_crc32_update(&id, provider->data, provider->len);
    ngx_crc32_update(&id, (u_char *) "/", 1);
    ngx_crc32_update(&id, key->data, key->len);
    ngx_crc32_final(id);

    return id ? id : 1;
}


void
llmgw_key_health(ngx_http_request_t *r, llmgw_provider_t *p,
    llmgw_api_key_t *key, ngx_uint_t status)
{
    ngx_atomic_uint_t   strikes;
    llmgw_key_state_t  *s;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    if (lmcf->key_cooldown == 0 || lmcf->sh == NULL) {
        return;
    }

    if (status < NGX_HTTP_BAD_REQUEST) {
        s = llmgw_health_slot(lmcf, key->health_id, 0);

        if (s && s->strikes) {
            s->strikes = 0;
        }

        return;
    }

    if (status != NGX_HTTP_UNAUTHORIZED && status != NGX_HTTP_FORBIDDEN
        && status != NGX_HTTP_TOO_MANY_REQUESTS)
    {
        return;
    }

    s = llmgw_health_slot(lmcf, key->health_id, 1);
    if (s == NULL) {
        return;
    }

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        strikes = ngx_atomic_fetch_add(&s->strikes, 1) + 1;

        if (strikes < lmcf->key_cooldown_429) {
            return;
        }
    }

    s->strikes = 0;
    s->until = llmgw_now_ms() + lmcf->key_cooldown;
    (void) ngx_atomic_fetch_add(&s->cooldowns, 1);

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "llmgw: provider \"%V\" key \"%V\" answered %ui: in "
                  "cooldown for %Mms", &p->name, &key->id, status,
                  lmcf->key_cooldown);
}


ngx_uint_t
llmgw_key_cooling(llmgw_main_conf_t *lmcf, llmgw_api_key_t *key)
{
    llmgw_key_state_t  *s;

    if (lmcf->key_cooldown == 0 || lmcf->sh == NULL) {
        return 0;
    }

    s = llmgw_health_slot(lmcf, key->health_id, 0);

    return s && (ngx_msec_int_t) s->until > llmgw_now_ms();
}


/* for the metrics: cooling now, and how often it was */

void
llmgw_key_health_state(llmgw_main_conf_t *lmcf, llmgw_api_key_t *key,
    ngx_uint_t *cooling, ngx_uint_t *cooldowns)
{
    llmgw_key_state_t  *s;

    s = lmcf->sh ? llmgw_health_slot(lmcf, key->health_id, 0) : NULL;

    *cooling = s && (ngx_msec_int_t) s->until > llmgw_now_ms();
    *cooldowns = s ? s->cooldowns : 0;
}


static llmgw_key_state_t *
llmgw_health_slot(llmgw_main_conf_t *lmcf, uint32_t id, ngx_uint_t claim)
{
    ngx_uint_t          i, h;
    llmgw_key_state_t  *t, *s;

    t = lmcf->sh->health;
    h = id % LLMGW_HEALTH_SLOTS;

    for (i = 0; i < LLMGW_HEALTH_SLOTS; i++) {
        s = &t[(h + i) % LLMGW_HEALTH_SLOTS];

        if (s->id == id) {
            return s;
        }

        if (s->id == 0) {
            if (!claim) {
                return NULL;
            }

            if (ngx_atomic_cmp_set(&s->id, 0, id) || s->id == id) {
                return s;
            }
        }
    }

    return NULL;
}


static ngx_msec_int_t
llmgw_now_ms(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (ngx_msec_int_t) tp->sec * 1000 + tp->msec;
}
