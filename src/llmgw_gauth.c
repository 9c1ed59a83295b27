/*
 * llmgw: OAuth2 access tokens of Google service accounts, for Vertex AI.
 *
 * The service account's key is read at configuration time.  A request that
 * finds no fresh token signs an assertion (llmgw_jwt.c) and trades it for
 * one in an in-memory subrequest to an internal location that proxies to
 * the token endpoint (conf.d/llmgw_vertex.conf, $llmgw_gauth_body); the
 * phases run again when it ends.  Tokens live in the llmgw zone, one per
 * provider and account, and each worker keeps a copy of the last it used.
 */


#include "llmgw.h"
#include "llmgw_jwt.h"

#include <openssl/crypto.h>
#include <openssl/err.h>


#define LLMGW_GAUTH_TOKEN_URI    "https://oauth2.googleapis.com/token"
#define LLMGW_GAUTH_SCOPE                                                    \
    "https://www.googleapis.com/auth/cloud-platform"
#define LLMGW_GAUTH_LOCATION     "/_llmgw/google-token"
#define LLMGW_GAUTH_GRANT                                                    \
    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"        \
    "&assertion="
#define LLMGW_GAUTH_BEARER       "Bearer "

#define LLMGW_GAUTH_FILE_MAX     (64 * 1024)
#define LLMGW_GAUTH_TOKEN_MAX    4096

/* seconds: a token is refreshed this long before it expires (or half its
 * lifetime, if shorter); one request fetches while the others keep the old
 * token until a fifth of that is left */
#define LLMGW_GAUTH_MARGIN       300
/* how long a fetch holds the refresh for itself */
#define LLMGW_GAUTH_CLAIM        60
#define LLMGW_GAUTH_LIFETIME_MAX 86400


typedef struct llmgw_gauth_entry_s  llmgw_gauth_entry_t;

/* a token in the zone: one per provider name and client_email */
struct llmgw_gauth_entry_s {
    llmgw_gauth_entry_t         *next;
    time_t                       refresh;    /* from then on, fetch */
    time_t                       until;      /* the token serves until */
    time_t                       refreshing; /* a request fetches until */
    size_t                       len;
    u_char                       token[LLMGW_GAUTH_TOKEN_MAX];
    size_t                       key_len;
    u_char                       key[1];     /* name, NUL, client_email */
};


/* a provider's service account, and this worker's copy of its token */
typedef struct {
    EVP_PKEY                    *pkey;
    ngx_str_t                    file;
    ngx_str_t                    email;
    ngx_str_t                    key_id;
    ngx_str_t                    token_uri;
    ngx_str_t                    key;        /* of the zone entry */
    llmgw_jwt_google_t           jwt;
    size_t                       jwt_size;

    llmgw_gauth_entry_t         *entry;
    time_t                       refresh;
    time_t                       until;
    size_t                       len;
    u_char                       auth[sizeof(LLMGW_GAUTH_BEARER) - 1
                                      + LLMGW_GAUTH_TOKEN_MAX];
    unsigned                     nomem:1;
} llmgw_gauth_t;


/* a request's fetch: ctx->gauth_req */
typedef struct {
    llmgw_gauth_t               *ga;
    ngx_http_request_t          *sr;
    ngx_str_t                    body;       /* the form it posts */
    ngx_str_t                    auth;       /* "Bearer ...", when it got one */
    ngx_str_t                    reason;     /* why not */
    unsigned                     done:1;
} llmgw_gauth_req_t;


static char *llmgw_gauth_error(ngx_conf_t *cf, ngx_str_t *file,
    const char *fmt, ...);
static char *llmgw_gauth_read(ngx_conf_t *cf, ngx_str_t *path,
    json_t **root);
static char *llmgw_gauth_account(ngx_conf_t *cf, llmgw_provider_t *p,
    llmgw_gauth_t *ga, json_t *root);
static ngx_int_t llmgw_gauth_string(ngx_conf_t *cf, json_t *root,
    const char *name, ngx_str_t *s);
static char *llmgw_gauth_key(ngx_conf_t *cf, llmgw_gauth_t *ga,
    json_t *root);
static void llmgw_gauth_free_key(void *data);
static ngx_int_t llmgw_gauth_use(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_gauth_t *ga);
static ngx_uint_t llmgw_gauth_sync(ngx_http_request_t *r, llmgw_gauth_t *ga,
    time_t now, ngx_uint_t claim);
static llmgw_gauth_entry_t *llmgw_gauth_entry(llmgw_main_conf_t *lmcf,
    llmgw_gauth_t *ga, ngx_log_t *log);
static void llmgw_gauth_keep(llmgw_gauth_t *ga, u_char *token, size_t len,
    time_t refresh, time_t until);
static ngx_int_t llmgw_gauth_fetch(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_gauth_t *ga, time_t now);
static ngx_int_t llmgw_gauth_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static ngx_int_t llmgw_gauth_response(ngx_http_request_t *sr,
    llmgw_gauth_req_t *st, ngx_int_t rc);
static ngx_int_t llmgw_gauth_refused(ngx_http_request_t *sr,
    llmgw_gauth_req_t *st, json_t *root);
static void llmgw_gauth_printable(u_char *dst, size_t size, json_t *v);
static ngx_int_t llmgw_gauth_reason(ngx_http_request_t *r,
    llmgw_gauth_req_t *st, const char *fmt, ...);
static void llmgw_gauth_store(ngx_http_request_t *r, llmgw_gauth_t *ga,
    u_char *token, size_t len, time_t lifetime);
static ngx_int_t llmgw_gauth_finish(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_gauth_req_t *st);
static ngx_int_t llmgw_gauth_body_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_str_t  llmgw_gauth_location = ngx_string(LLMGW_GAUTH_LOCATION);
static ngx_str_t  llmgw_gauth_body_name = ngx_string("llmgw_gauth_body");


/* configuration */

char *
llmgw_gauth_conf(ngx_conf_t *cf, llmgw_provider_t *p, ngx_str_t *file)
{
    char           *rv;
    u_char         *name;
    json_t         *root;
    ngx_str_t       path;
    llmgw_gauth_t  *ga;

    path = *file;

    if (path.len > 5 && ngx_strncmp(path.data, "file:", 5) == 0) {
        path.data += 5;
        path.len -= 5;
    }

    if (path.len == 0 || ngx_strlchr(path.data, path.data + path.len, '\0')) {
        return "the service account file's name is empty or has a NUL";
    }

    /* NUL-terminated, and relative to nginx's configuration directory */

    name = path.data;

    path.data = ngx_pnalloc(cf->pool, path.len + 1);
    if (path.data == NULL) {
        return "out of memory";
    }

    ngx_memcpy(path.data, name, path.len);
    path.data[path.len] = '\0';

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return "out of memory";
    }

    ga = ngx_pcalloc(cf->pool, sizeof(llmgw_gauth_t));
    if (ga == NULL) {
        return "out of memory";
    }

    ga->file = path;

    rv = llmgw_gauth_read(cf, &path, &root);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    rv = llmgw_gauth_account(cf, p, ga, root);

    json_decref(root);

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    p->gauth = ga;

    return NGX_CONF_OK;
}


static char *
llmgw_gauth_error(ngx_conf_t *cf, ngx_str_t *file, const char *fmt, ...)
{
    u_char   *p, *last, *msg, buf[NGX_MAX_CONF_ERRSTR];
    va_list   args;

    last = buf + sizeof(buf) - 1;

    p = ngx_slprintf(buf, last, "service account file \"%V\": ", file);

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

    *p++ = '\0';

    msg = ngx_pnalloc(cf->pool, p - buf);
    if (msg == NULL) {
        return "out of memory";
    }

    ngx_memcpy(msg, buf, p - buf);

    return (char *) msg;
}


/* the file is read, parsed and wiped: the key stays in it nowhere else */

static char *
llmgw_gauth_read(ngx_conf_t *cf, ngx_str_t *path, json_t **root)
{
    char          *rv, *near;
    ngx_str_t      text;
    const char    *why;
    json_error_t   err;

    switch (llmgw_conf_read_file(cf, path, LLMGW_GAUTH_FILE_MAX,
                                 cf->temp_pool, &text, &why))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        return llmgw_gauth_error(cf, path, "%s", why);

    default:
        return "out of memory";
    }

    *root = json_loadb((char *) text.data, text.len, JSON_REJECT_DUPLICATES,
                       &err);

    ngx_explicit_memzero(text.data, text.len);

    if (*root == NULL) {
        /* jansson quotes the text it stopped at: perhaps the key's */
        near = ngx_strstr(err.text, " near ");
        if (near) {
            *near = '\0';
        }

        rv = llmgw_gauth_error(cf, path, "not JSON: %s, at line %d "
                               "column %d", err.text, err.line, err.column);
        ngx_explicit_memzero(&err, sizeof(json_error_t));
        return rv;
    }

    if (!json_is_object(*root)) {
        json_decref(*root);
        return llmgw_gauth_error(cf, path, "not a JSON object");
    }

    return NGX_CONF_OK;
}


static char *
llmgw_gauth_account(ngx_conf_t *cf, llmgw_provider_t *p, llmgw_gauth_t *ga,
    json_t *root)
{
    char       *rv;
    ngx_str_t   type, project;
    ngx_int_t   rc;

    static ngx_str_t  token_uri = ngx_string(LLMGW_GAUTH_TOKEN_URI);

    if (llmgw_gauth_string(cf, root, "type", &type) != NGX_OK
        || type.len != sizeof("service_account") - 1
        || ngx_strcmp(type.data, "service_account") != 0)
    {
        return llmgw_gauth_error(cf, &ga->file, "\"type\" is not "
                                 "\"service_account\": a service account's "
                                 "JSON key is needed");
    }

    if (llmgw_gauth_string(cf, root, "client_email", &ga->email) != NGX_OK
        || ga->email.len == 0)
    {
        return llmgw_gauth_error(cf, &ga->file, "\"client_email\" is "
                                 "missing or not a string");
    }

    if (llmgw_gauth_string(cf, root, "private_key_id", &ga->key_id)
        == NGX_ERROR)
    {
        return llmgw_gauth_error(cf, &ga->file, "\"private_key_id\" is not "
                                 "a string");
    }

    rc = llmgw_gauth_string(cf, root, "token_uri", &ga->token_uri);

    if (rc == NGX_ERROR || (rc == NGX_OK && ga->token_uri.len == 0)) {
        return llmgw_gauth_error(cf, &ga->file, "\"token_uri\" is not a "
                                 "URI");
    }

    if (rc == NGX_DECLINED) {
        ga->token_uri = token_uri;
    }

    if (p->project.len == 0
        && llmgw_gauth_string(cf, root, "project_id", &project) == NGX_OK)
    {
        p->project = project;
    }

    rv = llmgw_gauth_key(cf, ga, root);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* the zone's entry: a new account of the same provider gets its own */

    ga->key.len = p->name.len + 1 + ga->email.len;
    ga->key.data = ngx_pnalloc(cf->pool, ga->key.len);
    if (ga->key.data == NULL) {
        return "out of memory";
    }

    ngx_memcpy(ga->key.data, p->name.data, p->name.len);
    ga->key.data[p->name.len] = '\0';
    ngx_memcpy(ga->key.data + p->name.len + 1, ga->email.data,
               ga->email.len);

    return NGX_CONF_OK;
}


/* NGX_DECLINED: absent; NGX_ERROR: not a string */

static ngx_int_t
llmgw_gauth_string(ngx_conf_t *cf, json_t *root, const char *name,
    ngx_str_t *s)
{
    json_t  *v;

    v = json_object_get(root, name);

    if (v == NULL) {
        ngx_str_null(s);
        return NGX_DECLINED;
    }

    if (!json_is_string(v)) {
        return NGX_ERROR;
    }

    s->len = json_string_length(v);
    s->data = ngx_pnalloc(cf->pool, s->len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, json_string_value(v), s->len);
    s->data[s->len] = '\0';

    return NGX_OK;
}


static char *
llmgw_gauth_key(ngx_conf_t *cf, llmgw_gauth_t *ga, json_t *root)
{
    char                 err[256];
    size_t               len, n;
    json_t              *v;
    u_char              *jwt;
    ngx_pool_cleanup_t  *cln;

    static ngx_str_t  scope = ngx_string(LLMGW_GAUTH_SCOPE);

    v = json_object_get(root, "private_key");

    if (!json_is_string(v) || json_string_length(v) == 0) {
        return llmgw_gauth_error(cf, &ga->file, "\"private_key\" is missing "
                                 "or not a string");
    }

    len = json_string_length(v);

    ga->pkey = llmgw_jwt_load_key((const u_char *) json_string_value(v), len,
                                  err, sizeof(err));

    /* jansson's copy of the PEM is freed with the tree: wiped first */
    OPENSSL_cleanse((void *) json_string_value(v), len);

    if (ga->pkey == NULL) {
        return llmgw_gauth_error(cf, &ga->file, "\"private_key\" %s", err);
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        EVP_PKEY_free(ga->pkey);
        return "out of memory";
    }

    cln->handler = llmgw_gauth_free_key;
    cln->data = ga->pkey;

    ga->jwt.kid.data = ga->key_id.data;
    ga->jwt.kid.len = ga->key_id.len;
    ga->jwt.iss.data = ga->email.data;
    ga->jwt.iss.len = ga->email.len;
    ga->jwt.scope.data = scope.data;
    ga->jwt.scope.len = scope.len;
    ga->jwt.aud.data = ga->token_uri.data;
    ga->jwt.aud.len = ga->token_uri.len;

    ga->jwt_size = llmgw_jwt_google_size(ga->pkey, &ga->jwt);

    /* a key that cannot sign fails `nginx -t`, not the first request */

    jwt = ngx_alloc(ga->jwt_size, cf->log);
    if (jwt == NULL) {
        return "out of memory";
    }

    n = llmgw_jwt_google(ga->pkey, &ga->jwt, ngx_time(), jwt, ga->jwt_size);

    ngx_free(jwt);
    ERR_clear_error();

    if (n == 0) {
        return llmgw_gauth_error(cf, &ga->file, "\"private_key\" cannot "
                                 "sign an RS256 assertion");
    }

    return NGX_CONF_OK;
}


static void
llmgw_gauth_free_key(void *data)
{
    EVP_PKEY_free(data);
}


ngx_int_t
llmgw_gauth_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var;

    var = ngx_http_add_variable(cf, &llmgw_gauth_body_name,
                                NGX_HTTP_VAR_NOCACHEABLE
                                |NGX_HTTP_VAR_NOHASH);
    if (var == NULL) {
        return NGX_ERROR;
    }

    var->get_handler = llmgw_gauth_body_variable;

    return NGX_OK;
}


/* the request path */

ngx_int_t
llmgw_gauth_token(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    time_t              now;
    llmgw_gauth_t      *ga;
    llmgw_gauth_req_t  *st;

    ga = ctx->provider->gauth;

    if (ga == NULL) {
        llmgw_fail(r, ctx, NGX_HTTP_BAD_GATEWAY, "api_error",
                   "provider_auth_failed", "Provider \"%V\" has no service "
                   "account", &ctx->provider->name);
        return NGX_ERROR;
    }

    st = ctx->gauth_req;

    if (st && st->ga == ga) {
        if (!st->done) {
            return NGX_AGAIN;
        }

        return llmgw_gauth_finish(r, ctx, st);
    }

    now = ngx_time();

    if (now >= ga->refresh && llmgw_gauth_sync(r, ga, now, 1)) {
        return llmgw_gauth_fetch(r, ctx, ga, now);
    }

    return llmgw_gauth_use(r, ctx, ga);
}


static ngx_int_t
llmgw_gauth_use(ngx_http_request_t *r, llmgw_ctx_t *ctx, llmgw_gauth_t *ga)
{
    ctx->upstream_auth.data = ngx_pnalloc(r->pool, ga->len);
    if (ctx->upstream_auth.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->upstream_auth.data, ga->auth, ga->len);
    ctx->upstream_auth.len = ga->len;

    return NGX_OK;
}


/*
 * Takes a newer token from the zone.  With claim, returns 1 when this
 * request must fetch one: the token is stale and nobody else fetches, or
 * it is about to expire; then others leave the fetch to it for a while.
 */

static ngx_uint_t
llmgw_gauth_sync(ngx_http_request_t *r, llmgw_gauth_t *ga, time_t now,
    ngx_uint_t claim)
{
    ngx_uint_t            fetch;
    llmgw_main_conf_t    *lmcf;
    llmgw_gauth_entry_t  *e;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    if (lmcf->shpool == NULL) {
        return claim && now >= ga->refresh;
    }

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    e = llmgw_gauth_entry(lmcf, ga, r->connection->log);

    if (e && e->until > ga->until) {
        llmgw_gauth_keep(ga, e->token, e->len, e->refresh, e->until);
    }

    if (!claim || now < ga->refresh) {
        fetch = 0;

    } else if (e && e->refreshing > now && now < ga->until) {
        fetch = 0;

    } else {
        if (e) {
            e->refreshing = now + LLMGW_GAUTH_CLAIM;
        }

        fetch = 1;
    }

    ngx_shmtx_unlock(&lmcf->shpool->mutex);

    return fetch;
}


/* under the zone's lock; found once per worker, then kept */

static llmgw_gauth_entry_t *
llmgw_gauth_entry(llmgw_main_conf_t *lmcf, llmgw_gauth_t *ga, ngx_log_t *log)
{
    llmgw_gauth_entry_t  *e;

    if (ga->entry) {
        return ga->entry;
    }

    for (e = lmcf->sh->gauth; e; e = e->next) {
        if (e->key_len == ga->key.len
            && ngx_memcmp(e->key, ga->key.data, ga->key.len) == 0)
        {
            ga->entry = e;
            return e;
        }
    }

    e = ngx_slab_alloc_locked(lmcf->shpool,
                              offsetof(llmgw_gauth_entry_t, key)
                              + ga->key.len);
    if (e == NULL) {
        if (!ga->nomem) {
            ga->nomem = 1;
            ngx_log_error(NGX_LOG_WARN, log, 0, "llmgw: no room in the zone "
                          "for the token of service account \"%V\": each "
                          "worker fetches its own", &ga->email);
        }

        return NULL;
    }

    e->refresh = 0;
    e->until = 0;
    e->refreshing = 0;
    e->len = 0;
    e->key_len = ga->key.len;
    ngx_memcpy(e->key, ga->key.data, ga->key.len);

    e->next = lmcf->sh->gauth;
    lmcf->sh->gauth = e;

    ga->entry = e;

    return e;
}


static void
llmgw_gauth_keep(llmgw_gauth_t *ga, u_char *token, size_t len,
    time_t refresh, time_t until)
{
    u_char  *p;

    p = ngx_cpymem(ga->auth, LLMGW_GAUTH_BEARER,
                   sizeof(LLMGW_GAUTH_BEARER) - 1);
    p = ngx_cpymem(p, token, len);

    ga->len = p - ga->auth;
    ga->refresh = refresh;
    ga->until = until;
}


static ngx_int_t
llmgw_gauth_fetch(ngx_http_request_t *r, llmgw_ctx_t *ctx, llmgw_gauth_t *ga,
    time_t now)
{
    size_t                       n;
    u_char                      *p;
    ngx_str_t                   *uri;
    ngx_http_request_t          *sr;
    llmgw_gauth_req_t           *st;
    ngx_http_request_body_t     *rb;
    ngx_http_post_subrequest_t  *ps;

    st = ngx_pcalloc(r->pool, sizeof(llmgw_gauth_req_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    p = ngx_pnalloc(r->pool, sizeof(LLMGW_GAUTH_GRANT) - 1 + ga->jwt_size);

    if (st == NULL || ps == NULL || p == NULL) {
        return NGX_ERROR;
    }

    st->ga = ga;
    st->body.data = p;

    p = ngx_cpymem(p, LLMGW_GAUTH_GRANT, sizeof(LLMGW_GAUTH_GRANT) - 1);

    n = llmgw_jwt_google(ga->pkey, &ga->jwt, now, p, ga->jwt_size);

    ERR_clear_error();

    if (n == 0) {
        llmgw_fail(r, ctx, NGX_HTTP_BAD_GATEWAY, "api_error",
                   "provider_auth_failed", "Could not sign the token request "
                   "of service account \"%V\"", &ga->email);
        return NGX_ERROR;
    }

    st->body.len = p + n - st->body.data;

    ps->handler = llmgw_gauth_done;
    ps->data = st;

    /* the token endpoint gets the form, never the client's body (a fake
     * one, as auth_request's) or headers, whatever the location says */

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    uri = ctx->provider->token_location.len ? &ctx->provider->token_location
                                            : &llmgw_gauth_location;

    if (ngx_http_subrequest(r, uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    st->sr = sr;
    ctx->gauth_req = st;

    sr->request_body = rb;

    if (llmgw_subrequest_headers(sr, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "llmgw: fetching a token for \"%V\" from \"%V\"",
                   &ga->email, uri);

    return NGX_AGAIN;
}


/* the subrequest ended: in its own words, then the parent runs again */

static ngx_int_t
llmgw_gauth_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    llmgw_gauth_req_t  *st = data;

    if (st->done) {
        return rc;
    }

    st->done = 1;

    if (llmgw_gauth_response(sr, st, rc) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "llmgw: no access token for service account \"%V\": "
                      "%V", &st->ga->email, &st->reason);
    }

    return llmgw_subrequest_rc(sr, rc);
}


static ngx_int_t
llmgw_gauth_response(ngx_http_request_t *sr, llmgw_gauth_req_t *st,
    ngx_int_t rc)
{
    u_char        *p;
    size_t         len, i;
    json_t        *root, *v;
    json_int_t     expires_in;
    ngx_buf_t     *b;
    ngx_uint_t     status;
    const char    *type;

    status = sr->headers_out.status;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return llmgw_gauth_reason(sr, st, "the token request failed with "
                                  "%i", rc);
    }

    if (rc == NGX_ERROR || status == 0) {
        return llmgw_gauth_reason(sr, st, "the token request failed");
    }

    b = sr->out ? sr->out->buf : NULL;

    root = (b && b->last > b->pos)
           ? json_loadb((char *) b->pos, b->last - b->pos, 0, NULL) : NULL;

    if (status != NGX_HTTP_OK) {
        rc = llmgw_gauth_refused(sr, st, root);
        json_decref(root);
        return rc;
    }

    if (!json_is_object(root)) {
        json_decref(root);
        return llmgw_gauth_reason(sr, st, "the token endpoint's answer is "
                                  "not a JSON object");
    }

    rc = NGX_ERROR;

    v = json_object_get(root, "token_type");
    type = json_is_string(v) ? json_string_value(v) : "Bearer";

    if (v && (!json_is_string(v) || ngx_strcasecmp((u_char *) type,
                                                   (u_char *) "Bearer")))
    {
        llmgw_gauth_reason(sr, st, "the token is not a Bearer token");
        goto done;
    }

    v = json_object_get(root, "expires_in");
    expires_in = json_is_integer(v) ? json_integer_value(v) : 0;

    if (expires_in <= 0 || expires_in > LLMGW_GAUTH_LIFETIME_MAX) {
        llmgw_gauth_reason(sr, st, "the token's \"expires_in\" is missing "
                           "or out of range");
        goto done;
    }

    v = json_object_get(root, "access_token");
    len = json_is_string(v) ? json_string_length(v) : 0;

    if (len == 0 || len > LLMGW_GAUTH_TOKEN_MAX) {
        llmgw_gauth_reason(sr, st, "the answer has no \"access_token\" of "
                           "1 to %d bytes", LLMGW_GAUTH_TOKEN_MAX);
        goto done;
    }

    p = (u_char *) json_string_value(v);

    for (i = 0; i < len; i++) {
        if (p[i] <= 0x20 || p[i] >= 0x7f) {
            llmgw_gauth_reason(sr, st, "the access token has characters a "
                               "header cannot carry");
            goto done;
        }
    }

    st->auth.len = sizeof(LLMGW_GAUTH_BEARER) - 1 + len;
    st->auth.data = ngx_pnalloc(sr->pool, st->auth.len);

    if (st->auth.data == NULL) {
        st->auth.len = 0;
        llmgw_gauth_reason(sr, st, "out of memory");
        goto done;
    }

    ngx_memcpy(ngx_cpymem(st->auth.data, LLMGW_GAUTH_BEARER,
                          sizeof(LLMGW_GAUTH_BEARER) - 1),
               p, len);

    llmgw_gauth_store(sr, st->ga, p, len, (time_t) expires_in);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "llmgw: token for \"%V\", %T seconds",
                   &st->ga->email, (time_t) expires_in);

    rc = NGX_OK;

done:

    json_decref(root);

    return rc;
}


/* Google's error answer: {"error":"invalid_grant","error_description"} */

static ngx_int_t
llmgw_gauth_refused(ngx_http_request_t *sr, llmgw_gauth_req_t *st,
    json_t *root)
{
    u_char  code[64], desc[256];

    llmgw_gauth_printable(code, sizeof(code), json_object_get(root, "error"));
    llmgw_gauth_printable(desc, sizeof(desc),
                          json_object_get(root, "error_description"));

    if (desc[0]) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "llmgw: the token endpoint says: %s: %s", code, desc);
    }

    return llmgw_gauth_reason(sr, st, "the token endpoint answered %ui%s%s%s",
                              sr->headers_out.status,
                              code[0] ? " (" : "", code, code[0] ? ")" : "");
}


/* a string of the endpoint's, bounded, in plain ASCII, without quotes */

static void
llmgw_gauth_printable(u_char *dst, size_t size, json_t *v)
{
    size_t       n;
    const char  *s;

    s = json_is_string(v) ? json_string_value(v) : "";

    for (n = 0; *s && n < size - 1; s++) {
        if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') {
            dst[n++] = *s;
        }
    }

    dst[n] = '\0';
}


static ngx_int_t
llmgw_gauth_reason(ngx_http_request_t *r, llmgw_gauth_req_t *st,
    const char *fmt, ...)
{
    u_char   *p, buf[256];
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    st->reason.data = ngx_pnalloc(r->pool, p - buf);
    if (st->reason.data == NULL) {
        st->reason.len = 0;
        return NGX_ERROR;
    }

    st->reason.len = p - buf;
    ngx_memcpy(st->reason.data, buf, st->reason.len);

    return NGX_ERROR;
}


static void
llmgw_gauth_store(ngx_http_request_t *r, llmgw_gauth_t *ga, u_char *token,
    size_t len, time_t lifetime)
{
    time_t                now, lead, refresh, until;
    llmgw_main_conf_t    *lmcf;
    llmgw_gauth_entry_t  *e;

    now = ngx_time();
    lead = ngx_min(LLMGW_GAUTH_MARGIN, lifetime / 2);
    refresh = now + lifetime - lead;
    until = now + lifetime - lead / 5;

    llmgw_gauth_keep(ga, token, len, refresh, until);

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    if (lmcf->shpool == NULL) {
        return;
    }

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    e = llmgw_gauth_entry(lmcf, ga, r->connection->log);

    if (e) {
        if (until >= e->until) {
            ngx_memcpy(e->token, token, len);
            e->len = len;
            e->refresh = refresh;
            e->until = until;
        }

        e->refreshing = 0;
    }

    ngx_shmtx_unlock(&lmcf->shpool->mutex);
}


/* the phases ran again after the subrequest */

static ngx_int_t
llmgw_gauth_finish(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_gauth_req_t *st)
{
    time_t          now;
    llmgw_gauth_t  *ga;

    if (st->auth.len) {
        ctx->upstream_auth = st->auth;
        return NGX_OK;
    }

    /* a token still valid, if an older or another worker's, will do */

    ga = st->ga;
    now = ngx_time();

    (void) llmgw_gauth_sync(r, ga, now, 0);

    if (now < ga->until) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "llmgw: service account \"%V\" keeps its token for "
                      "%T more seconds", &ga->email, ga->until - now);
        return llmgw_gauth_use(r, ctx, ga);
    }

    if (st->reason.len == 0) {
        ngx_str_set(&st->reason, "the token request failed");
    }

    llmgw_fail(r, ctx, NGX_HTTP_BAD_GATEWAY, "api_error",
               "provider_auth_failed", "Could not get an access token for "
               "provider \"%V\": %V", &ctx->provider->name, &st->reason);

    return NGX_ERROR;
}


/* the form of the token request, in its subrequest only */

static ngx_int_t
llmgw_gauth_body_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    llmgw_ctx_t        *ctx;
    llmgw_gauth_req_t  *st;

    ctx = (r != r->main) ? ngx_http_get_module_ctx(r->main,
                                                   ngx_http_llmgw_module)
                         : NULL;
    st = ctx ? ctx->gauth_req : NULL;

    if (st == NULL || st->sr != r || st->done) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = st->body.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = st->body.data;

    return NGX_OK;
}
