/*
 * llmgw: what tokens cost.
 *
 * The shipped table (`llmgw_prices conf.d/prices.json`) is keyed by price
 * family and model, as the providers name them; the governance file's
 * "prices" override it by model or by "provider/model".  All of it goes into
 * one hash at configuration time:
 *
 *   "=provider/model"  an override for one provider
 *   "=model"           an override for any provider
 *   "family/model"     the table
 */


#include <jansson.h>

#include "llmgw.h"


/*
 * The last answer for each of a few (provider, model) pairs: a worker asks
 * for the same models over and over, and this spares building the key,
 * lowercasing it and the hash lookup.  Providers live as long as the
 * configuration, so their address names them.
 */
typedef struct {
    llmgw_provider_t  *provider;
    llmgw_price_t     *price;
    size_t             len;
    u_char             model[LLMGW_MAX_MODEL_LEN];
} llmgw_price_memo_t;

#define LLMGW_PRICE_MEMO  8


static llmgw_price_t *llmgw_price_lookup(llmgw_main_conf_t *lmcf,
    llmgw_provider_t *p, ngx_str_t *model);
static char *llmgw_price_add(ngx_conf_t *cf, llmgw_main_conf_t *lmcf,
    const char *prefix, const char *model, json_t *v, const char *where);
static llmgw_price_t *llmgw_price_find(llmgw_main_conf_t *lmcf,
    const char *prefix, const ngx_str_t *a, ngx_str_t *b);


char *
llmgw_prices_init(ngx_conf_t *cf, llmgw_main_conf_t *lmcf)
{
    lmcf->price_keys = ngx_pcalloc(cf->temp_pool,
                                   sizeof(ngx_hash_keys_arrays_t));
    if (lmcf->price_keys == NULL) {
        return NGX_CONF_ERROR;
    }

    lmcf->price_keys->pool = cf->pool;
    lmcf->price_keys->temp_pool = cf->temp_pool;

    if (ngx_hash_keys_array_init(lmcf->price_keys, NGX_HASH_LARGE) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the shipped table; read before the governance file's overrides */

char *
llmgw_prices_table(ngx_conf_t *cf, llmgw_main_conf_t *lmcf)
{
    char          *rv;
    json_t        *root, *families, *models, *v, *taken;
    json_error_t   err;
    const char    *family, *model;

    root = json_load_file((char *) lmcf->prices_file.data, 0, &err);
    if (root == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "llmgw_prices \"%V\", line %d: %s",
                           &lmcf->prices_file, err.line, err.text);
        return NGX_CONF_ERROR;
    }

    families = json_object_get(root, "providers");
    taken = json_object_get(root, "taken");

    if (!json_is_object(families) || !json_is_string(taken)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "llmgw_prices \"%V\": no \"providers\" or "
                           "\"taken\"", &lmcf->prices_file);
        json_decref(root);
        return NGX_CONF_ERROR;
    }

    lmcf->prices_taken.len = json_string_length(taken);
    lmcf->prices_taken.data = ngx_pnalloc(cf->pool, lmcf->prices_taken.len);
    if (lmcf->prices_taken.data == NULL) {
        json_decref(root);
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(lmcf->prices_taken.data, json_string_value(taken),
               lmcf->prices_taken.len);

    rv = NGX_CONF_OK;

    json_object_foreach(families, family, models) {
        json_object_foreach(models, model, v) {
            rv = llmgw_price_add(cf, lmcf, family, model, v,
                                 (char *) lmcf->prices_file.data);
            if (rv != NGX_CONF_OK) {
                goto done;
            }
        }
    }

done:

    json_decref(root);
    return rv;
}


/* the governance file's "prices": {"model" or "provider/model": {...}} */

char *
llmgw_prices_override(ngx_conf_t *cf, llmgw_main_conf_t *lmcf, json_t *obj)
{
    char        *rv;
    json_t      *v;
    const char  *model;

    if (!json_is_object(obj)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw_config \"%V\": "
                           "\"prices\" must map models to prices",
                           &lmcf->file);
        return NGX_CONF_ERROR;
    }

    json_object_foreach(obj, model, v) {
        rv = llmgw_price_add(cf, lmcf, "=", model, v,
                             (char *) lmcf->file.data);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    lmcf->price_overrides = json_object_size(obj) != 0;

    return NGX_CONF_OK;
}


static char *
llmgw_price_add(ngx_conf_t *cf, llmgw_main_conf_t *lmcf, const char *prefix,
    const char *model, json_t *v, const char *where)
{
    size_t          i;
    json_t         *f;
    int64_t         per_token[4];
    ngx_int_t       rc;
    ngx_str_t       key;
    const char     *name;
    llmgw_price_t  *price;

    static const char  *fields[] = { "input", "output", "cache_read",
                                     "cache_write" };

    price = ngx_pcalloc(cf->pool, sizeof(llmgw_price_t));
    if (price == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < 4; i++) {
        f = json_object_get(v, fields[i]);

        if (f == NULL && i >= 2) {
            /* no cache prices: cached tokens cost what input costs */
            per_token[i] = per_token[0];
            continue;
        }

        if (!json_is_number(f) || json_number_value(f) < 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%s\": price of "
                               "\"%s\": \"%s\" must be a number of dollars "
                               "per million tokens", where, model, fields[i]);
            return NGX_CONF_ERROR;
        }

        /* dollars per million tokens to picodollars per token */
        per_token[i] = llmgw_usd_to_pico(json_number_value(f) / 1e6);
    }

    price->input = per_token[0];
    price->output = per_token[1];
    price->cache_read = per_token[2];
    price->cache_write = per_token[3];

    f = json_object_get(v, "max_output_tokens");

    if (f) {
        if (!json_is_integer(f) || json_integer_value(f) <= 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%s\": price of "
                               "\"%s\": \"max_output_tokens\" must be a "
                               "positive integer", where, model);
            return NGX_CONF_ERROR;
        }

        price->max_output = json_integer_value(f);
    }

    json_object_foreach(v, name, f) {
        if (ngx_strcmp(name, "input") && ngx_strcmp(name, "output")
            && ngx_strcmp(name, "cache_read") && ngx_strcmp(name, "cache_write")
            && ngx_strcmp(name, "checked") && ngx_strcmp(name, "tiered")
            && ngx_strcmp(name, "max_output_tokens"))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%s\": price of \"%s\": "
                               "unknown field \"%s\"", where, model, name);
            return NGX_CONF_ERROR;
        }
    }

    key.len = ngx_strlen(prefix) + (prefix[0] == '=' ? 0 : 1)
              + ngx_strlen(model);
    key.data = ngx_pnalloc(cf->pool, key.len + 1);
    if (key.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(key.data, "%s%s%s%Z", prefix, prefix[0] == '=' ? "" : "/",
                model);
    ngx_strlow(key.data, key.data, key.len);

    rc = ngx_hash_add_key(lmcf->price_keys, &key, price,
                          NGX_HASH_READONLY_KEY);

    if (rc == NGX_BUSY) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%s\": \"%s\" is priced "
                           "twice", where, model);
        return NGX_CONF_ERROR;
    }

    return rc == NGX_OK ? NGX_CONF_OK : NGX_CONF_ERROR;
}


char *
llmgw_prices_done(ngx_conf_t *cf, llmgw_main_conf_t *lmcf)
{
    ngx_hash_init_t  hash;

    hash.hash = &lmcf->prices;
    hash.key = ngx_hash_key;
    hash.max_size = 16384;
    hash.bucket_size = ngx_align(128, ngx_cacheline_size);
    hash.name = "llmgw_prices";
    hash.pool = cf->pool;
    hash.temp_pool = NULL;

    if (ngx_hash_init(&hash, lmcf->price_keys->keys.elts,
                      lmcf->price_keys->keys.nelts)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    lmcf->price_keys = NULL;

    return NGX_CONF_OK;
}


/* the price of the model a provider serves: NULL when it has none */

llmgw_price_t *
llmgw_price(llmgw_main_conf_t *lmcf, llmgw_provider_t *p, ngx_str_t *model)
{
    llmgw_price_memo_t  *m;

    static llmgw_price_memo_t  memo[LLMGW_PRICE_MEMO];

    if (model->len == 0 || model->len > LLMGW_MAX_MODEL_LEN) {
        return llmgw_price_lookup(lmcf, p, model);
    }

    m = &memo[((uintptr_t) p / sizeof(llmgw_provider_t) ^ model->len
               ^ model->data[model->len - 1])
              % LLMGW_PRICE_MEMO];

    if (m->provider != p
        || m->len != model->len
        || ngx_memcmp(m->model, model->data, model->len) != 0)
    {
        m->price = llmgw_price_lookup(lmcf, p, model);
        m->provider = p;
        m->len = model->len;
        ngx_memcpy(m->model, model->data, model->len);
    }

    return m->price;
}


static llmgw_price_t *
llmgw_price_lookup(llmgw_main_conf_t *lmcf, llmgw_provider_t *p,
    ngx_str_t *model)
{
    llmgw_price_t  *price;

    price = NULL;

    if (lmcf->price_overrides) {
        price = llmgw_price_find(lmcf, "=", &p->name, model);

        if (price == NULL) {
            price = llmgw_price_find(lmcf, "=", NULL, model);
        }
    }

    if (price == NULL && p->kind->price_family.len) {
        price = llmgw_price_find(lmcf, NULL, &p->kind->price_family, model);
    }

    return price;
}


static llmgw_price_t *
llmgw_price_find(llmgw_main_conf_t *lmcf, const char *prefix,
    const ngx_str_t *a, ngx_str_t *b)
{
    u_char      *p, key[LLMGW_MAX_MODEL_LEN + 2 * LLMGW_MAX_ID_LEN + 4];
    ngx_uint_t   hash;

    if ((a ? a->len : 0) + b->len + 2 > sizeof(key)) {
        return NULL;
    }

    p = key;

    if (prefix) {
        *p++ = '=';
    }

    if (a) {
        p = ngx_cpymem(p, a->data, a->len);
        *p++ = '/';
    }

    p = ngx_cpymem(p, b->data, b->len);

    hash = ngx_hash_strlow(key, key, p - key);

    return ngx_hash_find(&lmcf->prices, hash, key, p - key);
}


/* prompt tokens include the cached ones, priced at the cache-read price */

int64_t
llmgw_cost(llmgw_price_t *price, llmgw_usage_t *u)
{
    int64_t  cached, written;

    cached = ngx_min(u->cached, u->prompt);
    written = ngx_min(u->cache_write, u->prompt - cached);

    return (u->prompt - cached - written) * price->input
           + cached * price->cache_read
           + written * (price->cache_write ? price->cache_write
                                           : price->input)
           + u->completion * price->output;
}


/* $12.345678, to the microdollar */

u_char *
llmgw_format_usd(u_char *p, u_char *last, int64_t pico)
{
    int64_t  micro;

    micro = pico / 1000000;

    return ngx_slprintf(p, last, "$%L.%06L", micro / 1000000,
                        micro % 1000000);
}
