/*
 * llmgw: metrics in the shared zone, served in Prometheus's text format by
 * `llmgw_metrics;` in a location.
 *
 * Besides a few global counters, each series (a metric family's labels) is
 * a row of a fixed open-addressing table in the zone: found without a lock,
 * added under the zone's mutex, never removed, so every worker counts into
 * the same row with atomic adds.  The table holds llmgw_metrics_max_series
 * rows; a virtual key beyond the first llmgw_metrics_max_keys is counted
 * as key="_other"; a row that does not fit is counted as dropped.
 */


#include "llmgw.h"
#include "llmgw_metrics.h"


/* a histogram: its buckets (the last is +Inf), the sum, the count */
typedef struct {
    const char                  *name;
    const char                  *help;
    const uint64_t              *bound;    /* in unit */
    const char                 **le;       /* the bounds in seconds */
    ngx_uint_t                   n;        /* bounds, +Inf not included */
    ngx_uint_t                   scale;    /* the sum's units per second */
    ngx_uint_t                   offset;   /* in the row's values */
} llmgw_histogram_t;

#define LLMGW_HIST_SIZE(h)   ((h)->n + 3)

/* a budget row */
#define LLMGW_B_REMAINING    0
#define LLMGW_B_LIMIT        1
#define LLMGW_B_RESET        2
#define LLMGW_B_N            3


#define LLMGW_LABELS_MAX     2048


static const uint64_t  llmgw_upstream_ms[] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 20000, 30000, 60000, 120000,
    300000
};

static const char  *llmgw_upstream_le[] = {
    "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "20", "30", "60", "120",
    "300"
};

static const uint64_t  llmgw_ttft_ms[] = {
    50, 100, 250, 500, 1000, 2000, 5000, 10000, 20000
};

static const char  *llmgw_ttft_le[] = {
    "0.05", "0.1", "0.25", "0.5", "1", "2", "5", "10", "20"
};

static const uint64_t  llmgw_overhead_ns[] = {
    5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
    10000000
};

static const char  *llmgw_overhead_le[] = {
    "0.000005", "0.00001", "0.000025", "0.00005", "0.0001", "0.00025",
    "0.0005", "0.001", "0.0025", "0.01"
};


static const llmgw_histogram_t  llmgw_hist_upstream = {
    "llmgw_upstream_latency_seconds",
    "Time from sending a request to a provider to the end of its answer, "
    "failed attempts included.",
    llmgw_upstream_ms, llmgw_upstream_le,
    sizeof(llmgw_upstream_ms) / sizeof(uint64_t), 1000, 0
};

static const llmgw_histogram_t  llmgw_hist_ttft = {
    "llmgw_time_to_first_token_seconds",
    "Time from sending a streamed request to the provider to its first "
    "bytes.",
    llmgw_ttft_ms, llmgw_ttft_le,
    sizeof(llmgw_ttft_ms) / sizeof(uint64_t), 1000,
    sizeof(llmgw_upstream_ms) / sizeof(uint64_t) + 3
};

static const llmgw_histogram_t  llmgw_hist_overhead = {
    "llmgw_gateway_overhead_seconds",
    "The gateway's own time on a request's path to the client (access "
    "phase and response filters), for requests sent to a provider.",
    llmgw_overhead_ns, llmgw_overhead_le,
    sizeof(llmgw_overhead_ns) / sizeof(uint64_t), 1000000000, 0
};

#define LLMGW_LATENCY_N                                                       \
    (sizeof(llmgw_upstream_ms) / sizeof(uint64_t) + 3                          \
     + sizeof(llmgw_ttft_ms) / sizeof(uint64_t) + 3)

#define LLMGW_OVERHEAD_N  (sizeof(llmgw_overhead_ns) / sizeof(uint64_t) + 3)


static ngx_int_t llmgw_metrics_handler(ngx_http_request_t *r);
static size_t llmgw_metrics_keys_size(llmgw_main_conf_t *lmcf);
static void llmgw_metrics_keys(llmgw_main_conf_t *lmcf, ngx_buf_t *b);
static llmgw_series_t *llmgw_series(llmgw_main_conf_t *lmcf,
    llmgw_series_kind_e kind, u_char *labels, size_t len, ngx_uint_t n);
static llmgw_series_t *llmgw_series_find(llmgw_series_table_t *t,
    uint32_t hash, llmgw_series_kind_e kind, u_char *labels, size_t len,
    ngx_uint_t *slot);
static u_char *llmgw_label(u_char *p, u_char *last, const char *name,
    ngx_str_t *value);
static ngx_str_t *llmgw_metrics_key(llmgw_main_conf_t *lmcf,
    llmgw_vkey_t *vk);
static void llmgw_metrics_rows(llmgw_main_conf_t *lmcf, llmgw_ctx_t *ctx,
    llmgw_series_t **usage, llmgw_series_t **latency);
static llmgw_series_t *llmgw_metrics_usage_row(llmgw_main_conf_t *lmcf,
    llmgw_ctx_t *ctx);
static llmgw_series_t *llmgw_metrics_latency_row(llmgw_main_conf_t *lmcf,
    llmgw_provider_t *p, ngx_str_t *model);
static void llmgw_metrics_usage(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_series_t *s);
static void llmgw_metrics_attempt(llmgw_main_conf_t *lmcf,
    llmgw_series_t *latency, llmgw_provider_t *p, ngx_str_t *model,
    ngx_msec_t ms, ngx_msec_t ttft, ngx_uint_t tries, ngx_uint_t failed);
static void llmgw_metrics_gauge(llmgw_series_t *s, llmgw_charge_t *c);
static void llmgw_metrics_guard(llmgw_main_conf_t *lmcf, llmgw_ctx_t *ctx);
static void llmgw_metrics_guard_side(llmgw_main_conf_t *lmcf,
    llmgw_guard_policy_t *p, const char *direction, llmgw_guard_side_t *side,
    uint64_t fired);
static void llmgw_metrics_count(llmgw_main_conf_t *lmcf,
    llmgw_series_kind_e kind, u_char *labels, u_char *l, u_char *last);
static void llmgw_metrics_budgets(llmgw_main_conf_t *lmcf, llmgw_ctx_t *ctx);
static void llmgw_histogram_add(llmgw_series_t *s,
    const llmgw_histogram_t *h, uint64_t value);
static size_t llmgw_series_size(llmgw_series_table_t *t);
static void llmgw_series_print(llmgw_series_table_t *t, ngx_buf_t *b);
static void llmgw_histograms_print(llmgw_series_table_t *t, ngx_buf_t *b,
    llmgw_series_kind_e kind, const llmgw_histogram_t *h);
static u_char *llmgw_print_usd(u_char *p, u_char *last, int64_t pico);


static ngx_str_t  llmgw_other = ngx_string("_other");
static ngx_str_t  llmgw_empty = ngx_null_string;


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

    size = 4096 + llmgw_metrics_keys_size(lmcf)
           + llmgw_series_size(lmcf->sh->series);

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

    b->last = ngx_slprintf(b->last, b->end,
        "# HELP llmgw_audit_records_total Audit records written.\n"
        "# TYPE llmgw_audit_records_total counter\n"
        "llmgw_audit_records_total %uA\n"
        "# HELP llmgw_audit_errors_total Audit records that could not be "
        "written whole to a destination.\n"
        "# TYPE llmgw_audit_errors_total counter\n"
        "llmgw_audit_errors_total %uA\n",
        m[LLMGW_METRIC_AUDIT_RECORDS], m[LLMGW_METRIC_AUDIT_ERRORS]);

    llmgw_series_print(lmcf->sh->series, b);
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
                         + 2 * (p[i].name.len + k[j].id.len)
                         + NGX_ATOMIC_T_LEN);
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

                b->last = ngx_slprintf(b->last, b->end, "%s{", name[pass]);
                b->last = llmgw_label(b->last, b->end, "provider",
                                      &p[i].name);
                b->last = llmgw_label(b->last, b->end, ",key", &k[j].id);
                b->last = ngx_slprintf(b->last, b->end, "} %ui\n",
                                       pass ? cooldowns : cooling);
            }
        }
    }
}


/* the table, made with the zone */

ngx_int_t
llmgw_metrics_init_zone(llmgw_main_conf_t *lmcf)
{
    ngx_uint_t             size;
    llmgw_series_table_t  *t;

    size = 16;

    while (size < 2 * lmcf->metrics_max_series) {
        size <<= 1;
    }

    t = ngx_slab_calloc(lmcf->shpool, sizeof(llmgw_series_table_t)
                                      + (size - 1) * sizeof(void *));
    if (t == NULL) {
        return NGX_ERROR;
    }

    t->mask = size - 1;
    t->max = lmcf->metrics_max_series;
    t->max_keys = lmcf->metrics_max_keys;

    lmcf->sh->series = t;

    return NGX_OK;
}


/* the log phase: what a request did, counted once */

void
llmgw_metrics_request(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_uint_t          i;
    ngx_msec_t          ttft;
    llmgw_series_t     *s, *usage, *latency;
    llmgw_attempt_t    *a;
    llmgw_main_conf_t  *lmcf;

    lmcf = ctx->lmcf ? ctx->lmcf
                     : ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    if (lmcf->sh == NULL || lmcf->sh->series == NULL) {
        return;
    }

    llmgw_metrics_rows(lmcf, ctx, &usage, &latency);

    if (usage) {
        llmgw_metrics_usage(r, ctx, usage);
    }

    for (i = 0; i < ctx->nattempts; i++) {
        a = &ctx->attempts[i];
        llmgw_metrics_attempt(lmcf, NULL, a->provider, &a->model, a->ms,
                              NGX_MAX_UINT32_VALUE, a->tries, a->status);
    }

    if (ctx->granted && r->upstream && ctx->provider) {
        ttft = (ctx->stream && ctx->first_byte)
               ? ctx->first_byte - ctx->attempt_start : NGX_MAX_UINT32_VALUE;

        llmgw_metrics_attempt(lmcf, latency, ctx->provider,
                              &ctx->upstream_model,
                              ngx_current_msec - ctx->attempt_start, ttft,
                              llmgw_attempt_tries(r, ctx), 0);
    }

    if (ctx->granted || ctx->nattempts) {
        s = lmcf->sh->overhead;

        if (s == NULL) {
            s = llmgw_series(lmcf, LLMGW_SERIES_OVERHEAD, (u_char *) "", 0,
                             LLMGW_OVERHEAD_N);
            lmcf->sh->overhead = s;
        }

        if (s) {
            llmgw_histogram_add(s, &llmgw_hist_overhead, ctx->overhead_ns);
        }
    }

    if (ctx->reserved) {
        llmgw_metrics_budgets(lmcf, ctx);
    }

    if (ctx->guard) {
        llmgw_metrics_guard(lmcf, ctx);
    }
}


/* each detector that fired on a request, once, and the service's verdict;
 * labels bounded by the configuration */

static void
llmgw_metrics_guard(llmgw_main_conf_t *lmcf, llmgw_ctx_t *ctx)
{
    u_char                *l, *last, labels[LLMGW_LABELS_MAX];
    ngx_str_t             *result, detectors;
    llmgw_guard_policy_t  *p;

    p = ctx->guard;

    if (ctx->guard_in) {
        llmgw_metrics_guard_side(lmcf, p, "input", &p->input, ctx->guard_in);
    }

    if (ctx->guard_out) {
        llmgw_metrics_guard_side(lmcf, p, "output", &p->output,
                                 ctx->guard_out);
    }

    result = llmgw_guard_service_result(ctx, &detectors);

    if (result) {
        last = labels + sizeof(labels);
        l = llmgw_label(labels, last, "policy", &p->name);
        l = llmgw_label(l, last, ",result", result);
        llmgw_metrics_count(lmcf, LLMGW_SERIES_GUARD_SERVICE, labels, l, last);
    }
}


static void
llmgw_metrics_guard_side(llmgw_main_conf_t *lmcf, llmgw_guard_policy_t *p,
    const char *direction, llmgw_guard_side_t *side, uint64_t fired)
{
    u_char      *l, *last, *base, labels[LLMGW_LABELS_MAX];
    size_t       i;
    ngx_str_t    v;

    static ngx_str_t  actions[] = {
        ngx_string("none"), ngx_string("log"), ngx_string("redact"),
        ngx_string("block")
    };

    last = labels + sizeof(labels);
    base = llmgw_label(labels, last, "policy", &p->name);
    v.data = (u_char *) direction;
    v.len = ngx_strlen(direction);
    base = llmgw_label(base, last, ",direction", &v);

    for (i = 0; i < llmgw_guard_count(side->guard) && i < 64; i++) {
        if (!(fired & ((uint64_t) 1 << i))) {
            continue;
        }

        v.data = (u_char *) llmgw_guard_name(side->guard, i);
        v.len = ngx_strlen(v.data);

        l = llmgw_label(base, last, ",detector", &v);
        l = llmgw_label(l, last, ",action", &actions[side->action]);
        llmgw_metrics_count(lmcf, LLMGW_SERIES_GUARD, labels, l, last);
    }
}


static void
llmgw_metrics_count(llmgw_main_conf_t *lmcf, llmgw_series_kind_e kind,
    u_char *labels, u_char *l, u_char *last)
{
    llmgw_series_t  *s;

    if (l == last) {
        return;
    }

    s = llmgw_series(lmcf, kind, labels, l - labels, 1);

    if (s) {
        (void) ngx_atomic_fetch_add(&s->v[0], 1);
    }
}


/* the rows of a request: found once per worker, route and model, then
 * kept in the route */

static void
llmgw_metrics_rows(llmgw_main_conf_t *lmcf, llmgw_ctx_t *ctx,
    llmgw_series_t **usage, llmgw_series_t **latency)
{
    ngx_str_t      *m;
    ngx_uint_t      cache;
    llmgw_route_t  *rt;

    rt = ctx->route;
    m = &ctx->upstream_model;

    cache = (rt && ctx->provider && rt->provider == ctx->provider
             && m->len <= sizeof(rt->metrics_model));

    if (cache && rt->usage_row && rt->metrics_model_len == m->len
        && ngx_memcmp(rt->metrics_model, m->data, m->len) == 0)
    {
        *usage = rt->usage_row;
        *latency = rt->latency_row;
        return;
    }

    *usage = llmgw_metrics_usage_row(lmcf, ctx);
    *latency = ctx->provider ? llmgw_metrics_latency_row(lmcf, ctx->provider,
                                                          m)
                             : NULL;

    if (cache && *usage && *latency) {
        ngx_memcpy(rt->metrics_model, m->data, m->len);
        rt->metrics_model_len = m->len;
        rt->usage_row = *usage;
        rt->latency_row = *latency;
    }
}


static llmgw_series_t *
llmgw_metrics_usage_row(llmgw_main_conf_t *lmcf, llmgw_ctx_t *ctx)
{
    u_char          *p, *last, labels[LLMGW_LABELS_MAX];
    ngx_str_t       *provider, *model, *key, *team, *customer;
    llmgw_entity_t  *e;

    provider = ctx->provider ? &ctx->provider->name : &llmgw_empty;
    model = ctx->provider ? &ctx->upstream_model : &llmgw_empty;
    key = ctx->vkey ? llmgw_metrics_key(lmcf, ctx->vkey) : &llmgw_empty;
    team = &llmgw_empty;
    customer = &llmgw_empty;

    for (e = ctx->vkey ? ctx->vkey->entity.parent : NULL; e; e = e->parent) {
        if (e->level == LLMGW_LEVEL_TEAM) {
            team = &e->id;

        } else if (e->level == LLMGW_LEVEL_CUSTOMER) {
            customer = &e->id;
        }
    }

    last = labels + sizeof(labels);
    p = llmgw_label(labels, last, "provider", provider);
    p = llmgw_label(p, last, ",model", model);
    p = llmgw_label(p, last, ",key", key);
    p = llmgw_label(p, last, ",team", team);
    p = llmgw_label(p, last, ",customer", customer);

    if (p == last) {
        return NULL;
    }

    return llmgw_series(lmcf, LLMGW_SERIES_USAGE, labels, p - labels,
                        LLMGW_U_N);
}


static llmgw_series_t *
llmgw_metrics_latency_row(llmgw_main_conf_t *lmcf, llmgw_provider_t *p,
    ngx_str_t *model)
{
    u_char  *l, *last, labels[LLMGW_LABELS_MAX];

    last = labels + sizeof(labels);
    l = llmgw_label(labels, last, "provider", &p->name);
    l = llmgw_label(l, last, ",model", model);

    if (l == last) {
        return NULL;
    }

    return llmgw_series(lmcf, LLMGW_SERIES_LATENCY, labels, l - labels,
                        LLMGW_LATENCY_N);
}


static void
llmgw_metrics_usage(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_series_t *s)
{
    ngx_uint_t  status, cls;

    status = r->headers_out.status ? r->headers_out.status : r->err_status;

    if (status == 0) {
        /* nothing was sent: the client went away */
        status = 499;
    }

    cls = ngx_min(ngx_max(status / 100, 2), 5) - 2;

    (void) ngx_atomic_fetch_add(&s->v[LLMGW_U_STATUS + cls], 1);

    if (ctx->usage.seen) {
        (void) ngx_atomic_fetch_add(&s->v[LLMGW_U_TOKENS],
                                    ctx->usage.prompt);
        (void) ngx_atomic_fetch_add(&s->v[LLMGW_U_TOKENS + 1],
                                    ctx->usage.completion);
        (void) ngx_atomic_fetch_add(&s->v[LLMGW_U_TOKENS + 2],
                                    ctx->usage.cached);
        (void) ngx_atomic_fetch_add(&s->v[LLMGW_U_TOKENS + 3],
                                    ctx->usage.cache_write);
    }

    if (ctx->cost > 0) {
        (void) ngx_atomic_fetch_add(&s->v[LLMGW_U_COST], ctx->cost);
    }
}


/* latency: the row when known; ttft: NGX_MAX_UINT32_VALUE when not a
 * stream; failed: the status that sent the request on to the next
 * provider */

static void
llmgw_metrics_attempt(llmgw_main_conf_t *lmcf, llmgw_series_t *latency,
    llmgw_provider_t *p, ngx_str_t *model, ngx_msec_t ms, ngx_msec_t ttft,
    ngx_uint_t tries, ngx_uint_t failed)
{
    u_char          *l, *last, labels[LLMGW_LABELS_MAX];
    size_t           plen;
    ngx_str_t        status;
    llmgw_series_t  *s;
    u_char           buf[NGX_INT_T_LEN];

    s = latency ? latency : llmgw_metrics_latency_row(lmcf, p, model);

    if (s) {
        llmgw_histogram_add(s, &llmgw_hist_upstream, ms);

        if (ttft != NGX_MAX_UINT32_VALUE) {
            llmgw_histogram_add(s, &llmgw_hist_ttft, ttft);
        }
    }

    if (tries <= 1 && !failed) {
        return;
    }

    last = labels + sizeof(labels);
    l = llmgw_label(labels, last, "provider", &p->name);
    plen = l - labels;

    if (tries > 1) {
        s = llmgw_series(lmcf, LLMGW_SERIES_RETRY, labels, plen, 1);
        if (s) {
            (void) ngx_atomic_fetch_add(&s->v[0], tries - 1);
        }
    }

    if (failed) {
        status.data = buf;
        status.len = ngx_sprintf(buf, "%ui", failed) - buf;

        l = llmgw_label(labels + plen, last, ",status", &status);
        if (l == last) {
            return;
        }

        s = llmgw_series(lmcf, LLMGW_SERIES_FALLBACK, labels, l - labels, 1);
        if (s) {
            (void) ngx_atomic_fetch_add(&s->v[0], 1);
        }
    }
}


/* what is left of each budget, as this node last saw it settled */

static void
llmgw_metrics_budgets(llmgw_main_conf_t *lmcf, llmgw_ctx_t *ctx)
{
    u_char               *p, *last, labels[LLMGW_LABELS_MAX];
    ngx_str_t             level, *id;
    ngx_uint_t            i;
    llmgw_charge_t       *c;
    llmgw_series_t       *s;
    llmgw_charge_info_t  *info;

    static const char  *levels[] = {
        "provider_entry", "key", "team", "customer"
    };

    last = labels + sizeof(labels);

    for (i = 0; i < ctx->ncharges; i++) {
        c = &ctx->charges[i];
        info = c->data;

        if (info->limit->kind != LLMGW_LIMIT_SPEND) {
            continue;
        }

        s = info->limit->gauge;

        if (s) {
            llmgw_metrics_gauge(s, c);
            continue;
        }

        id = &info->entity->id;

        if (info->entity->level <= LLMGW_LEVEL_KEY
            && llmgw_metrics_key(lmcf, ctx->vkey) == &llmgw_other)
        {
            continue;
        }

        level.data = (u_char *) levels[info->entity->level];
        level.len = ngx_strlen(level.data);

        p = llmgw_label(labels, last, "level", &level);
        p = llmgw_label(p, last, ",id", id);
        p = llmgw_label(p, last, ",period", &info->limit->name);

        if (p == last) {
            continue;
        }

        s = llmgw_series(lmcf, LLMGW_SERIES_BUDGET, labels, p - labels,
                         LLMGW_B_N);
        if (s) {
            info->limit->gauge = s;
            llmgw_metrics_gauge(s, c);
        }
    }
}


static void
llmgw_metrics_gauge(llmgw_series_t *s, llmgw_charge_t *c)
{
    s->v[LLMGW_B_REMAINING] = (ngx_atomic_t) (c->limit - c->used);
    s->v[LLMGW_B_LIMIT] = (ngx_atomic_t) c->limit;
    s->v[LLMGW_B_RESET] = (ngx_atomic_t) c->reset;
}


/* the key's id, or "_other" once llmgw_metrics_max_keys are counted;
 * known once per worker */

static ngx_str_t *
llmgw_metrics_key(llmgw_main_conf_t *lmcf, llmgw_vkey_t *vk)
{
    u_char                *p, labels[LLMGW_LABELS_MAX];
    ngx_uint_t             slot;
    llmgw_series_table_t  *t;

    if (vk->metrics_key) {
        return (vk->metrics_key == 1) ? &vk->id : &llmgw_other;
    }

    t = lmcf->sh->series;
    vk->metrics_key = 2;

    p = llmgw_label(labels, labels + sizeof(labels), "key", &vk->id);
    if (p == labels + sizeof(labels)) {
        return &llmgw_other;
    }

    if (llmgw_series_find(t, ngx_crc32_short(labels, p - labels),
                          LLMGW_SERIES_KEY, labels, p - labels, &slot)
        || (t->keys < t->max_keys
            && llmgw_series(lmcf, LLMGW_SERIES_KEY, labels, p - labels, 0)))
    {
        vk->metrics_key = 1;
        return &vk->id;
    }

    return &llmgw_other;
}


static void
llmgw_histogram_add(llmgw_series_t *s, const llmgw_histogram_t *h,
    uint64_t value)
{
    ngx_uint_t     i;
    ngx_atomic_t  *v;

    v = &s->v[h->offset];

    for (i = 0; i < h->n && value > h->bound[i]; i++) { /* void */ }

    (void) ngx_atomic_fetch_add(&v[i], 1);
    (void) ngx_atomic_fetch_add(&v[h->n + 1], value);
    (void) ngx_atomic_fetch_add(&v[h->n + 2], 1);
}


/* name="value", escaped as the text format says; at last: overflow */

static u_char *
llmgw_label(u_char *p, u_char *last, const char *name, ngx_str_t *value)
{
    size_t   i, n;
    u_char   c;

    n = ngx_strlen(name);

    if (p == last || (size_t) (last - p) < n + 3 + 2 * value->len) {
        return last;
    }

    p = ngx_cpymem(p, name, n);
    *p++ = '=';
    *p++ = '"';

    for (i = 0; i < value->len; i++) {
        c = value->data[i];

        if (c == '\\' || c == '"') {
            *p++ = '\\';
            *p++ = c;

        } else if (c == '\n') {
            *p++ = '\\';
            *p++ = 'n';

        } else {
            *p++ = c;
        }
    }

    *p++ = '"';

    return p;
}


static llmgw_series_t *
llmgw_series(llmgw_main_conf_t *lmcf, llmgw_series_kind_e kind,
    u_char *labels, size_t len, ngx_uint_t n)
{
    uint32_t               hash;
    ngx_uint_t             slot;
    llmgw_series_t        *s;
    llmgw_series_table_t  *t;

    t = lmcf->sh->series;
    hash = ngx_crc32_short(labels, len);

    s = llmgw_series_find(t, hash, kind, labels, len, &slot);
    if (s) {
        return s;
    }

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    /* another worker may have added it meanwhile */
    s = llmgw_series_find(t, hash, kind, labels, len, &slot);

    if (s == NULL && kind == LLMGW_SERIES_KEY && t->keys >= t->max_keys) {
        ngx_shmtx_unlock(&lmcf->shpool->mutex);
        return NULL;
    }

    if (s == NULL && t->count < t->max) {
        s = ngx_slab_calloc_locked(lmcf->shpool, sizeof(llmgw_series_t)
                                   + n * sizeof(ngx_atomic_t) + len);
        if (s) {
            s->hash = hash;
            s->kind = kind;
            s->labels.len = len;
            s->labels.data = (u_char *) &s->v[n ? n : 1];
            ngx_memcpy(s->labels.data, labels, len);

            ngx_memory_barrier();
            t->slot[slot] = s;

            t->count++;
            t->keys += (kind == LLMGW_SERIES_KEY);
        }
    }

    if (s == NULL) {
        t->dropped++;
    }

    ngx_shmtx_unlock(&lmcf->shpool->mutex);

    return s;
}


/* the row, or NULL and the free slot where it would go */

static llmgw_series_t *
llmgw_series_find(llmgw_series_table_t *t, uint32_t hash,
    llmgw_series_kind_e kind, u_char *labels, size_t len, ngx_uint_t *slot)
{
    ngx_uint_t       i;
    llmgw_series_t  *s;

    for (i = hash & t->mask; /* void */; i = (i + 1) & t->mask) {
        s = t->slot[i];

        if (s == NULL) {
            *slot = i;
            return NULL;
        }

        if (s->hash == hash && s->kind == kind && s->labels.len == len
            && ngx_memcmp(s->labels.data, labels, len) == 0)
        {
            return s;
        }
    }
}


/* --- the text format ---------------------------------------------------- */

static size_t
llmgw_series_size(llmgw_series_table_t *t)
{
    size_t           size;
    ngx_uint_t       i, lines;
    llmgw_series_t  *s;

    if (t == NULL) {
        return 0;
    }

    /* rows added while this is written find room in the slack */
    size = 64 * 1024;

    for (i = 0; i <= t->mask; i++) {
        s = t->slot[i];

        if (s == NULL) {
            continue;
        }

        switch (s->kind) {

        case LLMGW_SERIES_USAGE:
            lines = 9;
            break;

        case LLMGW_SERIES_LATENCY:
            lines = LLMGW_LATENCY_N;
            break;

        case LLMGW_SERIES_OVERHEAD:
            lines = LLMGW_OVERHEAD_N;
            break;

        default:
            lines = 2;
        }

        size += lines * (128 + s->labels.len);
    }

    return size;
}


static void
llmgw_series_print(llmgw_series_table_t *t, ngx_buf_t *b)
{
    u_char          *last;
    int64_t          remaining;
    ngx_uint_t       i, j, pass;
    llmgw_series_t  *s;

    static const char  *status[] = { "2xx", "3xx", "4xx", "5xx" };
    static const char  *tokens[] = {
        "input", "output", "cached", "cache_write"
    };

    static const char  *head[][3] = {
        { "llmgw_requests_total", "counter",
          "Requests by provider, model, virtual key, team, customer and "
          "status class." },
        { "llmgw_tokens_total", "counter",
          "Tokens the providers reported: input (cached included), output, "
          "cached input, cache writes." },
        { "llmgw_cost_usd_total", "counter",
          "What the requests cost, in US dollars, from the price table." },
        { "llmgw_fallbacks_total", "counter",
          "Attempts that failed and sent the request on to the next "
          "provider, by the status that failed." },
        { "llmgw_upstream_retries_total", "counter",
          "Peers nginx tried again within one provider "
          "(proxy_next_upstream)." },
        { "llmgw_budget_remaining_usd", "gauge",
          "What is left of a budget this period, as this node last settled "
          "it." },
        { "llmgw_budget_limit_usd", "gauge",
          "A budget's limit for its period." },
        { "llmgw_guardrail_detections_total", "counter",
          "Requests on which a guardrail detector fired, by policy, "
          "direction (input or output), detector and action." },
        { "llmgw_guardrail_service_total", "counter",
          "Verdicts of guardrail services: allow, log, redact, block, "
          "error, timeout." }
    };

    static const llmgw_series_kind_e  kinds[] = {
        LLMGW_SERIES_USAGE, LLMGW_SERIES_USAGE, LLMGW_SERIES_USAGE,
        LLMGW_SERIES_FALLBACK, LLMGW_SERIES_RETRY, LLMGW_SERIES_BUDGET,
        LLMGW_SERIES_BUDGET, LLMGW_SERIES_GUARD, LLMGW_SERIES_GUARD_SERVICE
    };

    if (t == NULL) {
        return;
    }

    last = b->end;

    for (pass = 0; pass < sizeof(kinds) / sizeof(kinds[0]); pass++) {
        b->last = ngx_slprintf(b->last, last, "# HELP %s %s\n# TYPE %s %s\n",
                               head[pass][0], head[pass][2], head[pass][0],
                               head[pass][1]);

        for (i = 0; i <= t->mask; i++) {
            s = t->slot[i];

            if (s == NULL || s->kind != kinds[pass]) {
                continue;
            }

            switch (pass) {

            case 0:
                for (j = 0; j < 4; j++) {
                    if (s->v[LLMGW_U_STATUS + j]) {
                        b->last = ngx_slprintf(b->last, last,
                                       "llmgw_requests_total{%V,"
                                       "status=\"%s\"} %uA\n",
                                       &s->labels, status[j],
                                       s->v[LLMGW_U_STATUS + j]);
                    }
                }

                break;

            case 1:
                if ((s->v[LLMGW_U_TOKENS] | s->v[LLMGW_U_TOKENS + 1]
                     | s->v[LLMGW_U_TOKENS + 2] | s->v[LLMGW_U_TOKENS + 3])
                    == 0)
                {
                    break;
                }

                for (j = 0; j < 4; j++) {
                    b->last = ngx_slprintf(b->last, last,
                                           "llmgw_tokens_total{%V,"
                                           "type=\"%s\"} %uA\n",
                                           &s->labels, tokens[j],
                                           s->v[LLMGW_U_TOKENS + j]);
                }

                break;

            case 2:
                if (s->v[LLMGW_U_COST] == 0) {
                    break;
                }

                b->last = ngx_slprintf(b->last, last,
                                       "llmgw_cost_usd_total{%V} ",
                                       &s->labels);
                b->last = llmgw_print_usd(b->last, last,
                                          (int64_t) s->v[LLMGW_U_COST]);
                break;

            case 3:
                b->last = ngx_slprintf(b->last, last,
                                       "llmgw_fallbacks_total{%V} %uA\n",
                                       &s->labels, s->v[0]);
                break;

            case 4:
                b->last = ngx_slprintf(b->last, last,
                                       "llmgw_upstream_retries_total{%V} "
                                       "%uA\n", &s->labels, s->v[0]);
                break;

            case 5:
                remaining = (ngx_time() >= (time_t) s->v[LLMGW_B_RESET])
                            ? (int64_t) s->v[LLMGW_B_LIMIT]
                            : (int64_t) s->v[LLMGW_B_REMAINING];

                b->last = ngx_slprintf(b->last, last,
                                       "llmgw_budget_remaining_usd{%V} ",
                                       &s->labels);
                b->last = llmgw_print_usd(b->last, last, remaining);
                break;

            case 6:
                b->last = ngx_slprintf(b->last, last,
                                       "llmgw_budget_limit_usd{%V} ",
                                       &s->labels);
                b->last = llmgw_print_usd(b->last, last,
                                          (int64_t) s->v[LLMGW_B_LIMIT]);
                break;

            default:
                b->last = ngx_slprintf(b->last, last, "%s{%V} %uA\n",
                                       head[pass][0], &s->labels, s->v[0]);
            }
        }
    }

    llmgw_histograms_print(t, b, LLMGW_SERIES_LATENCY, &llmgw_hist_upstream);
    llmgw_histograms_print(t, b, LLMGW_SERIES_LATENCY, &llmgw_hist_ttft);
    llmgw_histograms_print(t, b, LLMGW_SERIES_OVERHEAD, &llmgw_hist_overhead);

    b->last = ngx_slprintf(b->last, last,
        "# HELP llmgw_metrics_series Rows of the metrics table in use, of "
        "llmgw_metrics_max_series.\n"
        "# TYPE llmgw_metrics_series gauge\n"
        "llmgw_metrics_series %uA\n"
        "# HELP llmgw_metrics_keys Virtual keys with series of their own, of "
        "llmgw_metrics_max_keys; the rest are key=\"_other\".\n"
        "# TYPE llmgw_metrics_keys gauge\n"
        "llmgw_metrics_keys %uA\n"
        "# HELP llmgw_metrics_dropped_total Counts lost: the metrics table "
        "or the zone was full.\n"
        "# TYPE llmgw_metrics_dropped_total counter\n"
        "llmgw_metrics_dropped_total %uA\n",
        t->count, t->keys, t->dropped);
}


static void
llmgw_histograms_print(llmgw_series_table_t *t, ngx_buf_t *b,
    llmgw_series_kind_e kind, const llmgw_histogram_t *h)
{
    u_char          *last;
    ngx_str_t        sep;
    ngx_uint_t       i, j;
    ngx_atomic_t    *v, cum, sum;
    llmgw_series_t  *s;

    last = b->end;

    b->last = ngx_slprintf(b->last, last, "# HELP %s %s\n# TYPE %s "
                           "histogram\n", h->name, h->help, h->name);

    for (i = 0; i <= t->mask; i++) {
        s = t->slot[i];

        if (s == NULL || s->kind != kind) {
            continue;
        }

        v = &s->v[h->offset];

        if (v[h->n + 2] == 0) {
            continue;
        }

        if (s->labels.len) {
            sep.data = (u_char *) ",";
            sep.len = 1;

        } else {
            sep.len = 0;
        }

        cum = 0;

        for (j = 0; j <= h->n; j++) {
            cum += v[j];
            b->last = ngx_slprintf(b->last, last, "%s_bucket{%V%Vle=\"%s\"} "
                                   "%uA\n", h->name, &s->labels, &sep,
                                   j < h->n ? h->le[j] : "+Inf", cum);
        }

        sum = v[h->n + 1];

        b->last = ngx_slprintf(b->last, last, "%s_sum%s%V%s ", h->name,
                               sep.len ? "{" : "", &s->labels,
                               sep.len ? "}" : "");

        b->last = (h->scale == 1000)
                  ? ngx_slprintf(b->last, last, "%uA.%03uA\n",
                                 sum / 1000, sum % 1000)
                  : ngx_slprintf(b->last, last, "%uA.%09uA\n",
                                 sum / 1000000000, sum % 1000000000);

        b->last = ngx_slprintf(b->last, last, "%s_count%s%V%s %uA\n",
                               h->name, sep.len ? "{" : "", &s->labels,
                               sep.len ? "}" : "", v[h->n + 2]);
    }
}


/* picodollars as dollars, every digit kept */

static u_char *
llmgw_print_usd(u_char *p, u_char *last, int64_t pico)
{
    uint64_t  u;

    u = (pico < 0) ? (uint64_t) -pico : (uint64_t) pico;

    return ngx_slprintf(p, last, "%s%uL.%012uL\n", (pico < 0) ? "-" : "",
                        u / LLMGW_PICO_PER_USD, u % LLMGW_PICO_PER_USD);
}
