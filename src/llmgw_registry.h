/*
 * llmgw: the admin API's documents in the shared zone (llmgw_registry.c).
 */


#ifndef _LLMGW_REGISTRY_H_INCLUDED_
#define _LLMGW_REGISTRY_H_INCLUDED_


#include "llmgw.h"


#define LLMGW_REG_TRAIL  256     /* admin actions kept for GET .../audit */


typedef struct {
    u_char                       kind;      /* 'k' key, 't' team, 'c'
                                               customer */
    u_char                       deleted;
    u_char                       id_len;
    uint64_t                     version;
    uint64_t                     base;      /* its version in the file: 1,
                                               or 0 when it is not there */
    time_t                       created;
    time_t                       updated;
    u_char                       digest[LLMGW_DIGEST_LEN];  /* a key's */
} llmgw_reg_meta_t;


typedef struct {
    llmgw_reg_meta_t             meta;
    ngx_str_t                    id;
    ngx_str_t                    json;      /* NUL-terminated */
} llmgw_reg_doc_t;


ngx_atomic_uint_t llmgw_registry_gen(llmgw_main_conf_t *lmcf);
ngx_int_t llmgw_registry_get(llmgw_main_conf_t *lmcf, ngx_pool_t *pool,
    u_char kind, ngx_str_t *id, llmgw_reg_doc_t *doc);
ngx_int_t llmgw_registry_list(llmgw_main_conf_t *lmcf, ngx_pool_t *pool,
    ngx_array_t *docs, ngx_atomic_uint_t *gen);
ngx_int_t llmgw_registry_put(llmgw_main_conf_t *lmcf, llmgw_reg_doc_t *doc,
    uint64_t expect);
ngx_int_t llmgw_registry_adopt(llmgw_main_conf_t *lmcf,
    llmgw_reg_doc_t *doc);
u_char *llmgw_registry_line(llmgw_reg_doc_t *doc, u_char *p, u_char *last);
void llmgw_registry_trail_add(llmgw_main_conf_t *lmcf, u_char *rec,
    size_t len);
ngx_int_t llmgw_registry_trail(llmgw_main_conf_t *lmcf, ngx_pool_t *pool,
    ngx_uint_t limit, ngx_array_t *out);
size_t llmgw_registry_snapshot_size(llmgw_main_conf_t *lmcf);
u_char *llmgw_registry_snapshot(llmgw_main_conf_t *lmcf, u_char *p,
    u_char *last);
void llmgw_registry_trail_restore(llmgw_main_conf_t *lmcf, u_char *line,
    size_t len);
ngx_int_t llmgw_registry_restore(llmgw_main_conf_t *lmcf, u_char *line,
    size_t len, llmgw_reg_doc_t *out);

/* llmgw_registry_redis.c: rc NGX_OK written (current: the generation),
 * NGX_DECLINED a conflict (current: the version there), NGX_ERROR */
typedef void (*llmgw_registry_written_pt)(ngx_http_request_t *r,
    ngx_int_t rc, uint64_t current);

ngx_int_t llmgw_registry_redis_write(ngx_http_request_t *r,
    llmgw_main_conf_t *lmcf, llmgw_reg_doc_t *doc, uint64_t expect,
    llmgw_registry_written_pt done);
ngx_int_t llmgw_registry_redis_init_process(ngx_cycle_t *cycle,
    llmgw_main_conf_t *lmcf, ngx_msec_t interval);


/* llmgw_view.c */
ngx_int_t llmgw_view_check(llmgw_main_conf_t *lmcf, ngx_log_t *log,
    llmgw_reg_doc_t *candidate, u_char *err, size_t errlen);


#endif /* _LLMGW_REGISTRY_H_INCLUDED_ */
