/*
 * llmgw: who calls the admin API.  The governance file's "admin" section
 * holds admin tokens (SHA-256 digests, each with a role) and the OIDC
 * settings; the access phase of a `llmgw_admin` location checks the
 * bearer token: a JWT goes to llmgw_admin_oidc.c, anything else is looked
 * up by digest.
 */


#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "llmgw_admin.h"
#include "llmgw_admin_int.h"


typedef struct {
    ngx_str_t                    id;
    ngx_str_t                    role;
    ngx_uint_t                   perms;
    u_char                       digest[LLMGW_DIGEST_LEN];
} llmgw_admin_token_t;


struct llmgw_admin_conf_s {
    ngx_array_t                  tokens;     /* llmgw_admin_token_t */
    llmgw_admin_oidc_t          *oidc;
};


static char *llmgw_admin_tokens_conf(ngx_conf_t *cf,
    llmgw_main_conf_t *lmcf, llmgw_admin_conf_t *ac, json_t *arr);
static ngx_int_t llmgw_admin_bearer(ngx_http_request_t *r, ngx_str_t *token);
static ngx_int_t llmgw_admin_token(llmgw_admin_conf_t *ac, ngx_str_t *token,
    llmgw_admin_who_t *who);
static ngx_uint_t llmgw_admin_is_jwt(ngx_str_t *token);
static ngx_int_t llmgw_admin_deny(ngx_http_request_t *r,
    llmgw_admin_ctx_t *actx, ngx_uint_t status, const char *type,
    const char *code, u_char *msg);


char *
llmgw_admin_conf(ngx_conf_t *cf, llmgw_main_conf_t *lmcf, json_t *obj)
{
    u_char               err[NGX_MAX_CONF_ERRSTR];
    json_t              *v;
    const char          *key;
    llmgw_admin_conf_t  *ac;

    if (!json_is_object(obj)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw_config \"%V\": "
                           "\"admin\" must be an object", &lmcf->file);
        return NGX_CONF_ERROR;
    }

    ac = ngx_pcalloc(cf->pool, sizeof(llmgw_admin_conf_t));
    if (ac == NULL
        || ngx_array_init(&ac->tokens, cf->pool, 4,
                          sizeof(llmgw_admin_token_t))
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    json_object_foreach(obj, key, v) {
        if (ngx_strcmp(key, "tokens") == 0) {
            if (llmgw_admin_tokens_conf(cf, lmcf, ac, v) != NGX_CONF_OK) {
                return NGX_CONF_ERROR;
            }

        } else if (ngx_strcmp(key, "oidc") == 0) {
            ac->oidc = llmgw_admin_oidc_conf(cf, v, err, sizeof(err));
            if (ac->oidc == NULL) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw_config "
                                   "\"%V\": \"admin\".\"oidc\": %s",
                                   &lmcf->file, err);
                return NGX_CONF_ERROR;
            }

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw_config \"%V\": "
                               "\"admin\": unknown field \"%s\"",
                               &lmcf->file, key);
            return NGX_CONF_ERROR;
        }
    }

    lmcf->admin = ac;

    return NGX_CONF_OK;
}


/* "tokens": [{"id": "ops", "sha256": "<hex>", "role": "admin"}] */

static char *
llmgw_admin_tokens_conf(ngx_conf_t *cf, llmgw_main_conf_t *lmcf,
    llmgw_admin_conf_t *ac, json_t *arr)
{
    size_t                i;
    json_t               *t, *id, *hex, *role;
    ngx_str_t             s;
    llmgw_admin_token_t  *tk;

    if (!json_is_array(arr)) {
        goto invalid;
    }

    json_array_foreach(arr, i, t) {
        id = json_object_get(t, "id");
        hex = json_object_get(t, "sha256");
        role = json_object_get(t, "role");

        if (!json_is_object(t) || json_object_size(t) != 3
            || !json_is_string(id) || !json_is_string(hex)
            || !json_is_string(role) || json_string_length(id) == 0
            || json_string_length(hex) != 2 * LLMGW_DIGEST_LEN)
        {
            goto invalid;
        }

        tk = ngx_array_push(&ac->tokens);
        if (tk == NULL) {
            return NGX_CONF_ERROR;
        }

        if (llmgw_hex_decode(tk->digest, (u_char *) json_string_value(hex),
                           2 * LLMGW_DIGEST_LEN)
            != NGX_OK)
        {
            goto invalid;
        }

        s.len = json_string_length(id);
        s.data = (u_char *) json_string_value(id);
        tk->id.data = ngx_pstrdup(cf->pool, &s);
        tk->id.len = s.len;

        s.len = json_string_length(role);
        s.data = (u_char *) json_string_value(role);
        tk->role.data = ngx_pstrdup(cf->pool, &s);
        tk->role.len = s.len;

        if (tk->id.data == NULL || tk->role.data == NULL) {
            return NGX_CONF_ERROR;
        }

        tk->perms = llmgw_admin_role_perms(&tk->role);

        if (tk->perms == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw_config \"%V\": "
                               "\"admin\".\"tokens\"[%uz]: unknown role "
                               "\"%V\" (admin, key-manager, viewer, "
                               "auditor)", &lmcf->file, i, &tk->role);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw_config \"%V\": "
                       "\"admin\".\"tokens\" must be an array of "
                       "{\"id\", \"sha256\" (64 hex digits: the SHA-256 of "
                       "the token), \"role\"}", &lmcf->file);
    return NGX_CONF_ERROR;
}


/* the access phase of a `llmgw_admin` location */

ngx_int_t
llmgw_admin_access(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_str_t            token;
    llmgw_admin_ctx_t   *actx;
    llmgw_admin_conf_t  *ac;
    llmgw_main_conf_t   *lmcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    actx = llmgw_admin_ctx(r, 1);
    if (actx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (actx->authorized || actx->public) {
        return NGX_DECLINED;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);
    ac = lmcf->admin;

    if (ac == NULL) {
        return llmgw_admin_deny(r, actx, NGX_HTTP_FORBIDDEN,
                                "permission_error", "admin_disabled",
                                (u_char *) "the governance file has no "
                                "\"admin\" section: the admin API is off");
    }

    if (llmgw_admin_bearer(r, &token) != NGX_OK) {
        return llmgw_admin_deny(r, actx, NGX_HTTP_UNAUTHORIZED,
                                "authentication_error", "missing_token",
                                (u_char *) "an admin token is required "
                                "(Authorization: Bearer)");
    }

    if (llmgw_admin_is_jwt(&token) && ac->oidc) {
        rc = llmgw_admin_oidc_auth(r, ac->oidc, &token, &actx->who);

    } else {
        rc = llmgw_admin_token(ac, &token, &actx->who);
    }

    switch (rc) {

    case NGX_OK:
        break;

    case NGX_AGAIN:
        return NGX_AGAIN;

    case NGX_BUSY:
        return llmgw_admin_deny(r, actx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                "api_error", "jwks_unavailable",
                                (u_char *) "the identity provider's keys "
                                "cannot be had now");

    case NGX_DECLINED:
        return llmgw_admin_deny(r, actx, NGX_HTTP_UNAUTHORIZED,
                                "authentication_error", "invalid_token",
                                actx->who.error[0] ? actx->who.error
                                : (u_char *) "invalid admin token");

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (actx->who.perms == 0) {
        return llmgw_admin_deny(r, actx, NGX_HTTP_FORBIDDEN,
                                "permission_error", "no_role",
                                (u_char *) "the token grants no llmgw role");
    }

    actx->authorized = 1;

    return NGX_DECLINED;
}


static ngx_int_t
llmgw_admin_bearer(ngx_http_request_t *r, ngx_str_t *token)
{
    ngx_str_t  *auth;

    if (r->headers_in.authorization == NULL) {
        return NGX_DECLINED;
    }

    auth = &r->headers_in.authorization->value;

    if (auth->len <= sizeof("Bearer ") - 1
        || ngx_strncasecmp(auth->data, (u_char *) "Bearer ",
                           sizeof("Bearer ") - 1) != 0)
    {
        return NGX_DECLINED;
    }

    token->data = auth->data + sizeof("Bearer ") - 1;
    token->len = auth->len - (sizeof("Bearer ") - 1);

    while (token->len && token->data[0] == ' ') {
        token->data++;
        token->len--;
    }

    return token->len ? NGX_OK : NGX_DECLINED;
}


/* every token compared, in constant time */

static ngx_int_t
llmgw_admin_token(llmgw_admin_conf_t *ac, ngx_str_t *token,
    llmgw_admin_who_t *who)
{
    u_char                digest[LLMGW_DIGEST_LEN];
    ngx_uint_t            i;
    unsigned int          len;
    llmgw_admin_token_t  *tk, *found;

    if (EVP_Digest(token->data, token->len, digest, &len, EVP_sha256(), NULL)
        != 1)
    {
        return NGX_ERROR;
    }

    tk = ac->tokens.elts;
    found = NULL;

    for (i = 0; i < ac->tokens.nelts; i++) {
        if (CRYPTO_memcmp(tk[i].digest, digest, LLMGW_DIGEST_LEN) == 0) {
            found = &tk[i];
        }
    }

    if (found == NULL) {
        return NGX_DECLINED;
    }

    who->subject = found->id;
    who->role = found->role;
    who->perms = found->perms;
    who->via = "token";

    return NGX_OK;
}


static ngx_uint_t
llmgw_admin_is_jwt(ngx_str_t *token)
{
    ngx_uint_t  i, dots;

    dots = 0;

    for (i = 0; i < token->len; i++) {
        dots += (token->data[i] == '.');
    }

    return dots == 2;
}


/* a refusal: answered by the content handler, in JSON */

static ngx_int_t
llmgw_admin_deny(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    ngx_uint_t status, const char *type, const char *code, u_char *msg)
{
    actx->deny_status = status;
    actx->deny_type = type;
    actx->deny_code = code;
    ngx_cpystrn(actx->deny_msg, msg, sizeof(actx->deny_msg));

    return NGX_DECLINED;
}
