/*
 * llmgw: the shared memory zone (`llmgw_zone NAME SIZE`), shared by every
 * worker and kept across reloads.  It holds the shm store's counters.
 */


#include "llmgw.h"


static ngx_int_t llmgw_zone_init(ngx_shm_zone_t *shm_zone, void *data);


char *
llmgw_zone_add(ngx_conf_t *cf, llmgw_main_conf_t *lmcf, ngx_str_t *name,
    size_t size)
{
    lmcf->zone = ngx_shared_memory_add(cf, name, size,
                                       &ngx_http_llmgw_module);
    if (lmcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (lmcf->zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already used", name);
        return NGX_CONF_ERROR;
    }

    lmcf->zone->init = llmgw_zone_init;
    lmcf->zone->data = lmcf;

    return NGX_CONF_OK;
}


static ngx_int_t
llmgw_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    llmgw_shm_t        *sh;
    ngx_slab_pool_t    *shpool;
    llmgw_main_conf_t  *lmcf, *olmcf;

    lmcf = shm_zone->data;
    olmcf = data;

    if (olmcf) {
        /* a reload: the counters stay */
        lmcf->sh = olmcf->sh;
        lmcf->shpool = olmcf->shpool;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        lmcf->shpool = shpool;
        lmcf->sh = shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_calloc(shpool, sizeof(llmgw_shm_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    llmgw_store_shm_init(sh);

    if (llmgw_health_init(shpool, sh) != NGX_OK
        || llmgw_registry_init_zone(shpool, sh) != NGX_OK)
    {
        return NGX_ERROR;
    }

    shpool->data = sh;
    lmcf->shpool = shpool;
    lmcf->sh = sh;

    if (llmgw_metrics_init_zone(lmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    shpool->log_ctx = ngx_slab_alloc(shpool,
                                     sizeof(" in llmgw zone \"\"")
                                     + shm_zone->shm.name.len);
    if (shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in llmgw zone \"%V\"%Z",
                &shm_zone->shm.name);

    if (lmcf->snapshot.len) {
        return llmgw_snapshot_load(lmcf, shm_zone->shm.log);
    }

    return NGX_OK;
}
