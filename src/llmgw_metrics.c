/*
 * llmgw: counters in the shared zone, served in Prometheus's text format
 * by `llmgw_metrics;` in a location.
 */


#include "llmgw.h"


static ngx_int_t llmgw_metrics_handler(ngx_http_request_t *r);
static size_t llmgw_metrics_keys_size(llmgw_main_conf_t *lmcf);
static void llmgw_metrics_keys(llmgw_main_conf_t *lmcf, ngx_buf_t *b);


void
llmgw_metric_inc(llmgw_main_conf_t *lmcf, ngx_uint_t metric)
{
    if (lmcf->sh) {
        (void) ngx_atomic_fetch_add(&lmcf->sh->metrics[metric], 1);
    }
}


char *
llmgw_metrics_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = llmgw_metrics_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
llmgw_metrics_handler(ngx_http_request_t *r)
{
    size_t              size;
    ngx_int_t           rc;
    ngx_buf_t          *b;
    ngx_uint_t          i, level;
    ngx_chain_t         out;
    ngx_atomic_t       *m;
    llmgw_main_conf_t  *lmcf;

    static const char  *levels[] = {
        "provider_entry", "key", "team", "customer"
    };

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);
    m = lmcf->sh->metrics;

    size = 2048 + llmgw_metrics_keys_size(lmcf);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_slprintf(b->last, b->end,
        "# HELP llmgw_refusals_total Requests refused by a rate limit or a "
        "budget, by level.\n"
        "# TYPE llmgw_refusals_total counter\n");

    for (level = 0; level < 4; level++) {
        for (i = 0; i < 2; i++) {
            b->last = ngx_slprintf(b->last, b->end,
                                   "llmgw_refusals_total{reason=\"%s\","
                                   "level=\"%s\"} %uA\n",
                                   i ? "budget" : "rate_limit", levels[level],
                                   m[LLMGW_METRIC_REFUSED + 2 * level + i]);
        }
    }

    b->last = ngx_slprintf(b->last, b->end,
        "# HELP llmgw_store_errors_total Requests the store could not "
        "answer for, by what the llmgw_store_fail policy did.\n"
        "# TYPE llmgw_store_errors_total counter\n"
        "llmgw_store_errors_total{policy=\"closed\"} %uA\n"
        "llmgw_store_errors_total{policy=\"open\"} %uA\n"
        "# HELP llmgw_unpriced_requests_total Requests for a model with no "
        "price, admitted at $0 (unpriced_models allow).\n"
        "# TYPE llmgw_unpriced_requests_total counter\n"
        "llmgw_unpriced_requests_total %uA\n",
        m[LLMGW_METRIC_STORE_CLOSED], m[LLMGW_METRIC_STORE_OPEN],
        m[LLMGW_METRIC_UNPRICED]);

    llmgw_metrics_keys(lmcf, b);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = 1;
    b->last_in_chain = 1;
    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* the providers' keys: in cooldown now, and cooldowns so far */

static size_t
llmgw_metrics_keys_size(llmgw_main_conf_t *lmcf)
{
    size_t             size;
    ngx_uint_t         i, j;
    llmgw_api_key_t   *k;
    llmgw_provider_t  *p;

    size = 0;
    p = lmcf->providers.elts;

    for (i = 0; i < lmcf->providers.nelts; i++) {
        k = p[i].keys.elts;

        for (j = 0; j < p[i].keys.nelts; j++) {
            size += 2 * (sizeof("llmgw_provider_key_cooldowns_total"
                                "{provider=\"\",key=\"\"} \n") - 1
                         + p[i].name.len + k[j].id.len + NGX_ATOMIC_T_LEN);
        }
    }

    return size;
}


static void
llmgw_metrics_keys(llmgw_main_conf_t *lmcf, ngx_buf_t *b)
{
    ngx_uint_t         i, j, pass, cooling, cooldowns;
    llmgw_api_key_t   *k;
    llmgw_provider_t  *p;

    static const char  *head[] = {
        "# HELP llmgw_provider_key_cooling Whether a provider key is in "
        "cooldown now (1) and skipped by the weighted choice.\n"
        "# TYPE llmgw_provider_key_cooling gauge\n",
        "# HELP llmgw_provider_key_cooldowns_total Times a provider key was "
        "put in cooldown (401, 403, or 429s in a row).\n"
        "# TYPE llmgw_provider_key_cooldowns_total counter\n"
    };

    static const char  *name[] = {
        "llmgw_provider_key_cooling", "llmgw_provider_key_cooldowns_total"
    };

    p = lmcf->providers.elts;

    for (pass = 0; pass < 2; pass++) {
        b->last = ngx_slprintf(b->last, b->end, "%s", head[pass]);

        for (i = 0; i < lmcf->providers.nelts; i++) {
            k = p[i].keys.elts;

            for (j = 0; j < p[i].keys.nelts; j++) {
                llmgw_key_health_state(lmcf, &k[j], &cooling, &cooldowns);

                b->last = ngx_slprintf(b->last, b->end,
                                       "%s{provider=\"%V\",key=\"%V\"} %ui\n",
                                       name[pass], &p[i].name, &k[j].id,
                                       pass ? cooldowns : cooling);
            }
        }
    }
}
