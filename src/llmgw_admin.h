/*
 * llmgw: the admin API (`llmgw_admin;`): who may call it, and the runtime
 * registry of keys, teams and customers it edits.
 */


#ifndef _LLMGW_ADMIN_H_INCLUDED_
#define _LLMGW_ADMIN_H_INCLUDED_


#include <jansson.h>

#include "llmgw.h"


/* an admin request's body: at most this, always read into memory */
#define LLMGW_ADMIN_MAX_BODY  (256 * 1024)


/* what a caller may do; a role is a set of these */
#define LLMGW_PERM_READ     0x01   /* keys, teams, customers: settings */
#define LLMGW_PERM_USAGE    0x02   /* usage, remaining budget, stats */
#define LLMGW_PERM_KEYS     0x04   /* create, edit, rotate, delete keys */
#define LLMGW_PERM_GOVERN   0x08   /* teams, customers, overrides */
#define LLMGW_PERM_AUDIT    0x10   /* the admin audit trail */

#define LLMGW_ROLE_ADMIN        (LLMGW_PERM_READ|LLMGW_PERM_USAGE        \
                                 |LLMGW_PERM_KEYS|LLMGW_PERM_GOVERN      \
                                 |LLMGW_PERM_AUDIT)
#define LLMGW_ROLE_KEY_MANAGER  (LLMGW_PERM_READ|LLMGW_PERM_USAGE        \
                                 |LLMGW_PERM_KEYS)
#define LLMGW_ROLE_VIEWER       (LLMGW_PERM_READ|LLMGW_PERM_USAGE)
#define LLMGW_ROLE_AUDITOR      (LLMGW_PERM_USAGE|LLMGW_PERM_AUDIT)


/* the caller of one admin request */
typedef struct {
    ngx_str_t                    subject;    /* token id, or the JWT's
                                                sub (email when present) */
    ngx_str_t                    role;       /* "admin", "viewer"... */
    ngx_uint_t                   perms;      /* LLMGW_PERM_* */
    const char                  *via;        /* "token" or "oidc" */
    u_char                       error[160]; /* why it was refused */
    void                        *oidc_state; /* llmgw_admin_oidc.c's, per
                                                request */
} llmgw_admin_who_t;


typedef struct llmgw_admin_oidc_s  llmgw_admin_oidc_t;

/* the governance file's "admin": {"oidc": {...}} at configuration time;
 * NULL with err set when it is wrong */
llmgw_admin_oidc_t *llmgw_admin_oidc_conf(ngx_conf_t *cf, json_t *obj,
    u_char *err, size_t errlen);

/* a bearer token that is a JWT: NGX_OK (who filled), NGX_DECLINED (401,
 * who->error), NGX_AGAIN (the JWKS is being fetched: the phases run again
 * when it is in), NGX_BUSY (the JWKS cannot be had: 503), NGX_ERROR */
ngx_int_t llmgw_admin_oidc_auth(ngx_http_request_t *r,
    llmgw_admin_oidc_t *oidc, ngx_str_t *token, llmgw_admin_who_t *who);

/* "admin", "key-manager", "viewer", "auditor": its perms, 0 if none */
ngx_uint_t llmgw_admin_role_perms(ngx_str_t *role);


#endif /* _LLMGW_ADMIN_H_INCLUDED_ */
