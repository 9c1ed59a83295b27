/*
 * llmgw: what the admin API's files share (llmgw_admin*.c).
 */


#ifndef _LLMGW_ADMIN_INT_H_INCLUDED_
#define _LLMGW_ADMIN_INT_H_INCLUDED_


#include "llmgw_admin.h"
#include "llmgw_registry.h"


#define LLMGW_ADMIN_ERR_LEN   NGX_MAX_CONF_ERRSTR


typedef struct llmgw_admin_conf_s  llmgw_admin_conf_t;


/* the route: P/{coll}[/{id}[/{action}]] or P/{name} */
typedef struct {
    ngx_str_t                    coll;       /* keys, teams, customers,
                                                whoami, usage, stats,
                                                audit, dashboard */
    ngx_str_t                    id;
    ngx_str_t                    action;     /* rotate, enable, disable,
                                                override, usage */
    u_char                       kind;       /* 'k', 't', 'c'; 0 */
    ngx_uint_t                   nsegs;
} llmgw_admin_route_t;


typedef struct {
    llmgw_admin_who_t            who;
    llmgw_admin_route_t          route;
    unsigned                     authorized:1;
    unsigned                     public:1;   /* the dashboard page */
    ngx_uint_t                   deny_status;
    const char                  *deny_type;
    const char                  *deny_code;
    u_char                       deny_msg[512];
    llmgw_ctx_t                 *gctx;       /* the store's reading: never
                                                the request's module ctx */
    /* a write on its way: Redis may answer later */
    llmgw_reg_doc_t              pending;
    json_t                      *before;
    const char                  *action;
    ngx_uint_t                   status;
    uint64_t                     expect;
    ngx_str_t                    secret;
    unsigned                     has_secret:1;
} llmgw_admin_ctx_t;


/* an entity as it stands, the file's or the registry's */
typedef struct {
    llmgw_reg_doc_t              doc;
    json_t                      *obj;        /* its JSON, parsed */
    unsigned                     live:1;
    unsigned                     file:1;     /* the file's, never edited */
} llmgw_admin_ent_t;


llmgw_admin_ctx_t *llmgw_admin_ctx(ngx_http_request_t *r, ngx_uint_t create);

ngx_int_t llmgw_admin_list(ngx_http_request_t *r, u_char kind);
ngx_int_t llmgw_admin_get(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
ngx_int_t llmgw_admin_create(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
ngx_int_t llmgw_admin_patch(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
ngx_int_t llmgw_admin_delete(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
ngx_int_t llmgw_admin_rotate(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
ngx_int_t llmgw_admin_enable(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, ngx_uint_t on);
ngx_int_t llmgw_admin_override(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
ngx_int_t llmgw_admin_load(ngx_http_request_t *r, u_char kind,
    ngx_str_t *id, llmgw_admin_ent_t *ent);
ngx_int_t llmgw_admin_commit(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, llmgw_admin_ent_t *ent, json_t *obj,
    ngx_uint_t deleted, uint64_t expect, const char *action,
    ngx_uint_t status, ngx_str_t *secret);
json_t *llmgw_admin_repr(llmgw_reg_doc_t *doc, json_t *obj,
    ngx_uint_t file);
ngx_int_t llmgw_admin_usage(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
ngx_int_t llmgw_admin_stage(llmgw_admin_ctx_t *actx,
    ngx_uint_t status, const char *type, const char *code,
    const char *fmt, ...);
ngx_int_t llmgw_admin_staged(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx);
ngx_int_t llmgw_admin_failed(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, ngx_int_t rc);
ngx_int_t llmgw_admin_send(ngx_http_request_t *r, ngx_uint_t status,
    json_t *v);
ngx_int_t llmgw_admin_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, const char *code, const char *fmt, ...);
ngx_int_t llmgw_admin_dashboard(ngx_http_request_t *r);
size_t llmgw_admin_iso(u_char *buf, time_t t);
const char *llmgw_admin_kind_name(u_char kind);



#endif /* _LLMGW_ADMIN_INT_H_INCLUDED_ */
