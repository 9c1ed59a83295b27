/*
 * llmgw: an LLM gateway inside nginx.
 *
 * The map of the module: directives, configuration, and where each stage
 * of the request path (DESIGN.md) is wired into nginx.
 *
 *   access phase      src/llmgw_access.c   key, body, model, reserve,
 *                                          rewrite
 *   content phase     nginx's proxy module (conf.d/llmgw_proxy.conf)
 *   response filters  src/llmgw_filter.c   usage, streams, error pages
 *   log phase         src/llmgw_log.c      settle the reservation
 *                                          (llmgw_govern.c), count the
 *                                          metrics, write the audit record
 *                                          (llmgw_audit.c)
 *   variables         src/llmgw_variables.c
 *   tracing           src/llmgw_trace.c    traceparent, x-request-id
 *   overhead clock    src/llmgw_clock.c    filters around llmgw's
 *   metrics           src/llmgw_metrics.c  (a content handler)
 */


#include "llmgw.h"
#include "llmgw_redis.h"
#include "llmgw_registry.h"
#include "llmgw_admin.h"


static ngx_int_t ngx_http_llmgw_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_llmgw_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_llmgw_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_llmgw_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_llmgw_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_llmgw_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_llmgw_config(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_llmgw_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_llmgw_store(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_llmgw_snapshot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_llmgw_fallback(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_llmgw_admin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_llmgw_key_cooldown(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_llmgw_init_process(ngx_cycle_t *cycle);
static void ngx_http_llmgw_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_llmgw_store_fail[] = {
    { ngx_string("closed"), 0 },
    { ngx_string("open"), 1 },
    { ngx_null_string, 0 }
};


static ngx_conf_num_bounds_t  ngx_http_llmgw_attempts_bounds = {
    ngx_conf_check_num_bounds, 1, LLMGW_MAX_ATTEMPTS
};


#define LLMGW_DEFAULT_MAX_BODY   (8 * 1024 * 1024)
#define LLMGW_DEFAULT_ZONE_SIZE  (10 * 1024 * 1024)


static ngx_command_t  ngx_http_llmgw_commands[] = {

    { ngx_string("llmgw"),
      NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(llmgw_loc_conf_t, enable),
      NULL },

    { ngx_string("llmgw_fallback"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_llmgw_fallback,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("llmgw_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_llmgw_admin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("llmgw_admin_sync"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(llmgw_main_conf_t, admin_sync),
      NULL },

    { ngx_string("llmgw_fallback_attempts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(llmgw_loc_conf_t, attempts),
      &ngx_http_llmgw_attempts_bounds },

    { ngx_string("llmgw_config"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_llmgw_config,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("llmgw_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_llmgw_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("llmgw_prices"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(llmgw_main_conf_t, prices_file),
      NULL },

    { ngx_string("llmgw_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_llmgw_store,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("llmgw_snapshot"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_llmgw_snapshot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("llmgw_store_fail"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(llmgw_main_conf_t, fail_open),
      &ngx_http_llmgw_store_fail },

    { ngx_string("llmgw_key_cooldown"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_llmgw_key_cooldown,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("llmgw_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      llmgw_metrics_conf,
      0,
      0,
      NULL },

    { ngx_string("llmgw_metrics_max_series"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(llmgw_main_conf_t, metrics_max_series),
      NULL },

    { ngx_string("llmgw_metrics_max_keys"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(llmgw_main_conf_t, metrics_max_keys),
      NULL },

    { ngx_string("llmgw_audit_log"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      llmgw_audit_log_conf,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("llmgw_audit_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      llmgw_audit_key_conf,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("llmgw_max_body"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(llmgw_loc_conf_t, max_body),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_llmgw_module_ctx = {
    ngx_http_llmgw_preconfiguration,       /* preconfiguration */
    ngx_http_llmgw_postconfiguration,      /* postconfiguration */

    ngx_http_llmgw_create_main_conf,       /* create main configuration */
    ngx_http_llmgw_init_main_conf,         /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_llmgw_create_loc_conf,        /* create location configuration */
    ngx_http_llmgw_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_llmgw_module = {
    NGX_MODULE_V1,
    &ngx_http_llmgw_module_ctx,            /* module context */
    ngx_http_llmgw_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_llmgw_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_llmgw_exit_process,           /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_llmgw_preconfiguration(ngx_conf_t *cf)
{
    if (llmgw_gauth_add_variables(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return llmgw_add_variables(cf);
}


static ngx_int_t
ngx_http_llmgw_postconfiguration(ngx_conf_t *cf)
{
    ngx_array_t                *log;
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = llmgw_access_handler;

    /* settle before the access log is written, so it can show the cost */

    log = &cmcf->phases[NGX_HTTP_LOG_PHASE].handlers;

    if (ngx_array_push(log) == NULL) {
        return NGX_ERROR;
    }

    h = log->elts;
    ngx_memmove(&h[1], &h[0], (log->nelts - 1) * sizeof(ngx_http_handler_pt));
    h[0] = llmgw_log_handler;

    return llmgw_filter_init(cf);
}


static void *
ngx_http_llmgw_create_main_conf(ngx_conf_t *cf)
{
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_pcalloc(cf->pool, sizeof(llmgw_main_conf_t));
    if (lmcf == NULL) {
        return NULL;
    }

    ngx_rbtree_init(&lmcf->vkeys, &lmcf->vkeys_sentinel,
                    ngx_rbtree_insert_value);

    lmcf->fail_open = NGX_CONF_UNSET;
    lmcf->key_cooldown = NGX_CONF_UNSET_MSEC;
    lmcf->admin_sync = NGX_CONF_UNSET_MSEC;
    lmcf->key_cooldown_429 = NGX_CONF_UNSET_UINT;
    lmcf->metrics_max_series = NGX_CONF_UNSET_UINT;
    lmcf->metrics_max_keys = NGX_CONF_UNSET_UINT;
    lmcf->default_max_output = 4096;

    if (ngx_array_init(&lmcf->providers, cf->pool, 4,
                       sizeof(llmgw_provider_t))
        != NGX_OK
        || ngx_array_init(&lmcf->aliases, cf->pool, 4, sizeof(llmgw_alias_t))
           != NGX_OK)
    {
        return NULL;
    }

    return lmcf;
}


static char *
ngx_http_llmgw_init_main_conf(ngx_conf_t *cf, void *conf)
{
    llmgw_main_conf_t  *lmcf = conf;

    static ngx_str_t  zone = ngx_string("llmgw");

    ngx_conf_init_value(lmcf->fail_open, 0);
    ngx_conf_init_msec_value(lmcf->key_cooldown, 60000);
    ngx_conf_init_msec_value(lmcf->admin_sync, 250);
    ngx_conf_init_uint_value(lmcf->key_cooldown_429, 3);
    ngx_conf_init_uint_value(lmcf->metrics_max_series, 4096);
    ngx_conf_init_uint_value(lmcf->metrics_max_keys, 1000);

    if (lmcf->metrics_max_series < 16) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "llmgw_metrics_max_series must be at least 16");
        return NGX_CONF_ERROR;
    }

    if (lmcf->store_ops == NULL) {
        lmcf->store_ops = &llmgw_store_shm_ops;
        lmcf->store = lmcf;
    }

    if (lmcf->zone == NULL
        && llmgw_zone_add(cf, lmcf, &zone, LLMGW_DEFAULT_ZONE_SIZE)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (llmgw_prices_init(cf, lmcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (lmcf->prices_file.len) {
        if (ngx_conf_full_name(cf->cycle, &lmcf->prices_file, 1) != NGX_OK
            || llmgw_prices_table(cf, lmcf) != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (lmcf->file.len && llmgw_config_load(cf, lmcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return llmgw_prices_done(cf, lmcf);
}


static void *
ngx_http_llmgw_create_loc_conf(ngx_conf_t *cf)
{
    llmgw_loc_conf_t  *llcf;

    llcf = ngx_pcalloc(cf->pool, sizeof(llmgw_loc_conf_t));
    if (llcf == NULL) {
        return NULL;
    }

    llcf->enable = NGX_CONF_UNSET;
    llcf->fallback = NGX_CONF_UNSET;
    llcf->admin = NGX_CONF_UNSET;
    llcf->attempts = NGX_CONF_UNSET_UINT;
    llcf->max_body = NGX_CONF_UNSET_SIZE;

    return llcf;
}


static char *
ngx_http_llmgw_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    llmgw_loc_conf_t *prev = parent;
    llmgw_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t  *clcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->fallback, prev->fallback, 0);

    /* the admin API's location is its own, not inherited */
    if (conf->admin == NGX_CONF_UNSET) {
        conf->admin = 0;
    }

    if (conf->admin) {
        conf->enable = 0;

        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

        if (clcf->client_body_buffer_size < LLMGW_ADMIN_MAX_BODY) {
            clcf->client_body_buffer_size = LLMGW_ADMIN_MAX_BODY;
        }
    }
    ngx_conf_merge_uint_value(conf->attempts, prev->attempts, 3);
    ngx_conf_merge_size_value(conf->max_body, prev->max_body,
                              LLMGW_DEFAULT_MAX_BODY);

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    /*
     * The body is read in the access phase and scanned in place: nginx
     * enforces our limit (its 413 page becomes our JSON error in the
     * filters), and a body that fits is never spilled to a temp file.
     */

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    clcf->client_max_body_size = conf->max_body;

    if (clcf->client_body_buffer_size < conf->max_body) {
        clcf->client_body_buffer_size = conf->max_body;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_llmgw_config(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    llmgw_main_conf_t  *lmcf = conf;

    ngx_str_t  *value;

    if (lmcf->file.len) {
        return "is duplicate";
    }

    value = cf->args->elts;
    lmcf->file = value[1];

    if (ngx_conf_full_name(cf->cycle, &lmcf->file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_llmgw_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    llmgw_main_conf_t  *lmcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (lmcf->zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[2]);
    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\", at least %uz bytes",
                           &value[2], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    return llmgw_zone_add(cf, lmcf, &value[1], size);
}


static char *
ngx_http_llmgw_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    llmgw_main_conf_t  *lmcf = conf;

    ngx_str_t  *value;

    if (lmcf->store_ops) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "shm") == 0 && cf->args->nelts == 2) {
        lmcf->store_ops = &llmgw_store_shm_ops;
        lmcf->store = lmcf;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "redis") == 0 && cf->args->nelts >= 3) {
        lmcf->store_ops = &llmgw_store_redis_ops;
        return llmgw_store_redis_conf(cf, &value[2], cf->args->nelts - 2,
                                      &lmcf->store);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid store \"%V\": \"shm\", or \"redis "
                       "ADDRESS [timeout=T] [db=N] [user=U] [password=P]\"",
                       &value[1]);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_llmgw_snapshot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    llmgw_main_conf_t  *lmcf = conf;

    ngx_str_t  *value;

    if (lmcf->snapshot.len) {
        return "is duplicate";
    }

    value = cf->args->elts;
    lmcf->snapshot = value[1];

    if (ngx_conf_full_name(cf->cycle, &lmcf->snapshot, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* each process names its own: see llmgw_snapshot_init_process() */
    lmcf->snapshot_tmp.len = lmcf->snapshot.len + sizeof(".tmp") - 1;
    lmcf->snapshot_tmp.data = ngx_pnalloc(cf->pool, lmcf->snapshot_tmp.len
                                                    + 1 + NGX_INT64_LEN + 1);
    if (lmcf->snapshot_tmp.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(lmcf->snapshot_tmp.data, "%V.tmp%Z", &lmcf->snapshot);

    lmcf->snapshot_interval = 30000;

    if (cf->args->nelts == 3) {
        lmcf->snapshot_interval = ngx_parse_time(&value[2], 0);

        if (lmcf->snapshot_interval == (ngx_msec_t) NGX_ERROR
            || lmcf->snapshot_interval < 1000)
        {
            return "has an invalid interval: at least 1s";
        }
    }

#if (NGX_THREADS)
    /* the periodic write goes through the default thread pool */
    if (ngx_thread_pool_add(cf, NULL) == NULL) {
        return NGX_CONF_ERROR;
    }
#endif

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_llmgw_init_process(ngx_cycle_t *cycle)
{
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_llmgw_module);

    if (lmcf == NULL) {
        return NGX_OK;
    }

    if (lmcf->store_ops == &llmgw_store_redis_ops
        && llmgw_store_redis_init_process(cycle, lmcf->store) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (llmgw_trace_init_process(cycle) != NGX_OK
        || llmgw_clock_init_process(cycle) != NGX_OK
        || llmgw_audit_init_process(cycle, lmcf) != NGX_OK
        || llmgw_registry_redis_init_process(cycle, lmcf, lmcf->admin_sync)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return llmgw_snapshot_init_process(cycle, lmcf);
}


static void
ngx_http_llmgw_exit_process(ngx_cycle_t *cycle)
{
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_llmgw_module);

    if (lmcf == NULL) {
        return;
    }

    if (lmcf->store_ops == &llmgw_store_redis_ops) {
        llmgw_store_redis_exit_process(cycle, lmcf->store);
    }

    llmgw_snapshot_exit_process(cycle, lmcf);
}


/* the named location an error_page sends a failed attempt to: the same
 * gateway, trying the next target */

static char *
ngx_http_llmgw_fallback(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    llmgw_loc_conf_t  *llcf = conf;

    if (llcf->fallback != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    llcf->fallback = 1;
    llcf->enable = 1;

    return NGX_CONF_OK;
}


/* the admin API (llmgw_admin*.c): its own access check, its own content */

static char *
ngx_http_llmgw_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    llmgw_loc_conf_t  *llcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (llcf->admin != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    llcf->admin = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = llmgw_admin_handler;

    return NGX_CONF_OK;
}


/* llmgw_key_cooldown TIME [429=N]: 0 turns it off */

static char *
ngx_http_llmgw_key_cooldown(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    llmgw_main_conf_t  *lmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (lmcf->key_cooldown != NGX_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lmcf->key_cooldown = ngx_parse_time(&value[1], 0);
    if (lmcf->key_cooldown == (ngx_msec_t) NGX_ERROR) {
        return "has an invalid time";
    }

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    if (value[2].len < 5 || ngx_strncmp(value[2].data, "429=", 4) != 0) {
        return "takes \"429=N\" as its second parameter";
    }

    n = ngx_atoi(value[2].data + 4, value[2].len - 4);
    if (n < 1) {
        return "takes \"429=N\" with N of 1 or more";
    }

    lmcf->key_cooldown_429 = n;

    return NGX_CONF_OK;
}
