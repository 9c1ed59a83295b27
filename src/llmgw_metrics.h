/*
 * llmgw: the layout of the metrics table (llmgw_metrics.c) and of the
 * provider keys' states (llmgw_health.c) in the zone, which the admin
 * API's statistics read too (llmgw_admin_stats.c).
 */


#ifndef _LLMGW_METRICS_H_INCLUDED_
#define _LLMGW_METRICS_H_INCLUDED_


#include "llmgw.h"


typedef enum {
    LLMGW_SERIES_USAGE = 1,     /* provider, model, key, team, customer */
    LLMGW_SERIES_LATENCY,       /* provider, model */
    LLMGW_SERIES_FALLBACK,      /* provider, status */
    LLMGW_SERIES_RETRY,         /* provider */
    LLMGW_SERIES_BUDGET,        /* level, id, period */
    LLMGW_SERIES_KEY,           /* a key counted by name: the cap */
    LLMGW_SERIES_OVERHEAD,      /* no labels */
    LLMGW_SERIES_GUARD,         /* policy, direction, detector, action */
    LLMGW_SERIES_GUARD_SERVICE  /* policy, result */
} llmgw_series_kind_e;


/* a usage row: requests by status class, tokens, cost */
#define LLMGW_U_STATUS       0      /* 2xx 3xx 4xx 5xx */
#define LLMGW_U_TOKENS       4      /* input output cached cache_write */
#define LLMGW_U_COST         8
#define LLMGW_U_N            9


typedef struct {
    uint32_t                     hash;
    ngx_uint_t                   kind;
    ngx_str_t                    labels;    /* as printed, escaped */
    ngx_atomic_t                 v[1];
} llmgw_series_t;


typedef struct {
    ngx_uint_t                   mask;
    ngx_uint_t                   max;
    ngx_uint_t                   max_keys;
    ngx_atomic_t                 count;
    ngx_atomic_t                 keys;
    ngx_atomic_t                 dropped;
    llmgw_series_t *volatile     slot[1];
} llmgw_series_table_t;


#define LLMGW_HEALTH_SLOTS  256

typedef struct {
    ngx_atomic_t                 id;         /* 0: free */
    ngx_atomic_t                 until;      /* ms since the epoch */
    ngx_atomic_t                 strikes;    /* 429s in a row */
    ngx_atomic_t                 cooldowns;  /* how many, ever */
} llmgw_key_state_t;


#endif /* _LLMGW_METRICS_H_INCLUDED_ */
