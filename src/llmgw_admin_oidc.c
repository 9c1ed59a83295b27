/*
 * llmgw: admin API callers with a bearer JWT of the company's OpenID
 * Connect identity provider, as the governance file's "admin": {"oidc"}
 * says.  The provider's keys come from a file read at configuration time,
 * or from an internal location that proxies its JWKS URL: fetched by each
 * worker in an in-memory subrequest, kept "jwks_cache" seconds, fetched
 * again for an unknown "kid" at most every 30 seconds, and still used when
 * a refresh fails.  The token is checked by llmgw_oidc.c; the caller's
 * role comes from a claim.
 */


#include "llmgw.h"
#include "llmgw_admin.h"
#include "llmgw_jwt.h"
#include "llmgw_oidc.h"


#define LLMGW_AOIDC_JWKS_MAX        (256 * 1024)
#define LLMGW_AOIDC_CACHE           300
#define LLMGW_AOIDC_CACHE_MAX       86400
#define LLMGW_AOIDC_SKEW            60
#define LLMGW_AOIDC_KID_PAUSE       30     /* s: refetches for unknown kids */
#define LLMGW_AOIDC_RETRY           10     /* s: after a failed fetch */
#define LLMGW_AOIDC_POLL            50     /* ms: another request fetches */
#define LLMGW_AOIDC_WAIT            10000  /* ms: for it, at most */
#define LLMGW_AOIDC_HEADER_MAX      2048   /* a token's header, base64url */
#define LLMGW_AOIDC_SUBJECT_MAX     256

#define LLMGW_AOIDC_RS256           0x01
#define LLMGW_AOIDC_ES256           0x02

/* admin, key-manager, viewer, auditor: the most powerful first; role i is
 * bit 1 << i */
#define LLMGW_AOIDC_NROLES          4
#define LLMGW_AOIDC_VIEWER_AUDITOR  ((1 << 2) | (1 << 3))


typedef struct {
    ngx_str_t                    value;      /* of the role claim */
    ngx_uint_t                   role;       /* 1 << index of the role */
} llmgw_aoidc_map_t;


typedef struct llmgw_aoidc_req_s  llmgw_aoidc_req_t;

struct llmgw_admin_oidc_s {
    char                        *issuer;
    const char                 **audiences;
    size_t                       naudiences;
    long                         skew;
    ngx_uint_t                   algorithms; /* LLMGW_AOIDC_RS256... */
    char                        *role_claim;
    char                        *subject_claim; /* NULL: email, else sub */
    ngx_array_t                  roles;      /* llmgw_aoidc_map_t */
    ngx_str_t                    location;   /* jwks_location, or empty */
    ngx_str_t                    args;
    time_t                       cache;

    /* per worker */
    llmgw_jwks_t                *keys;
    time_t                       expires;    /* the keys are fresh until */
    time_t                       retry;      /* no fetch before */
    time_t                       kid_retry;  /* none for an unknown kid */
    llmgw_aoidc_req_t           *fetching;   /* a request's fetch */
};


/* a request's: who->oidc_state */
struct llmgw_aoidc_req_s {
    llmgw_admin_oidc_t          *oidc;
    ngx_http_request_t          *sr;
    ngx_msec_t                   wait_until;
    unsigned                     fetched:1;  /* the keys are the newest */
    unsigned                     done:1;
    unsigned                     waiting:1;
};


typedef struct {
    llmgw_admin_oidc_t          *oidc;
    ngx_uint_t                   roles;
} llmgw_aoidc_match_t;


static ngx_int_t llmgw_aoidc_conf_error(u_char *err, size_t errlen,
    const char *fmt, ...);
static ngx_int_t llmgw_aoidc_conf_string(ngx_conf_t *cf, json_t *obj,
    const char *name, char **out, u_char *err, size_t errlen);
static char *llmgw_aoidc_conf_copy(ngx_conf_t *cf, json_t *v);
static ngx_int_t llmgw_aoidc_conf_audience(ngx_conf_t *cf,
    llmgw_admin_oidc_t *oidc, json_t *obj, u_char *err, size_t errlen);
static ngx_int_t llmgw_aoidc_conf_seconds(json_t *obj, const char *name,
    time_t dflt, time_t min, time_t max, time_t *out, u_char *err,
    size_t errlen);
static ngx_int_t llmgw_aoidc_conf_roles(ngx_conf_t *cf,
    llmgw_admin_oidc_t *oidc, json_t *obj, u_char *err, size_t errlen);
static ngx_int_t llmgw_aoidc_conf_algorithms(llmgw_admin_oidc_t *oidc,
    json_t *obj, u_char *err, size_t errlen);
static ngx_int_t llmgw_aoidc_conf_keys(ngx_conf_t *cf,
    llmgw_admin_oidc_t *oidc, json_t *obj, u_char *err, size_t errlen);
static ngx_int_t llmgw_aoidc_conf_file(ngx_conf_t *cf,
    llmgw_admin_oidc_t *oidc, char *name, u_char *err, size_t errlen);
static void llmgw_aoidc_free_keys(void *data);

static ngx_int_t llmgw_aoidc_alg(llmgw_admin_oidc_t *oidc, ngx_str_t *token,
    char *why, size_t size);
static ngx_int_t llmgw_aoidc_keys(ngx_http_request_t *r,
    llmgw_admin_oidc_t *oidc, llmgw_aoidc_req_t *st,
    llmgw_admin_who_t *who);
static ngx_int_t llmgw_aoidc_token(ngx_http_request_t *r,
    llmgw_admin_oidc_t *oidc, ngx_str_t *token, llmgw_admin_who_t *who,
    char *why, size_t size);
static ngx_int_t llmgw_aoidc_subject(ngx_http_request_t *r,
    llmgw_admin_oidc_t *oidc, json_t *claims, llmgw_admin_who_t *who,
    char *why, size_t size);
static void llmgw_aoidc_role(llmgw_admin_oidc_t *oidc, json_t *claims,
    llmgw_admin_who_t *who);
static int llmgw_aoidc_match(const char *value, size_t len, void *data);
static ngx_int_t llmgw_aoidc_refuse(ngx_http_request_t *r,
    llmgw_admin_who_t *who, const char *why);
static void llmgw_aoidc_error(llmgw_admin_who_t *who, const char *fmt, ...);

static ngx_int_t llmgw_aoidc_fetch(ngx_http_request_t *r,
    llmgw_admin_oidc_t *oidc, llmgw_aoidc_req_t *st);
static ngx_int_t llmgw_aoidc_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static llmgw_jwks_t *llmgw_aoidc_response(ngx_http_request_t *sr,
    ngx_int_t rc, u_char *reason, size_t size);
static void llmgw_aoidc_fetch_cleanup(void *data);
static ngx_int_t llmgw_aoidc_wait(ngx_http_request_t *r,
    llmgw_aoidc_req_t *st);
static ngx_int_t llmgw_aoidc_delay(ngx_http_request_t *r);
static void llmgw_aoidc_wake(ngx_http_request_t *r);


static ngx_str_t  llmgw_admin_role_names[LLMGW_AOIDC_NROLES] = {
    ngx_string("admin"),
    ngx_string("key-manager"),
    ngx_string("viewer"),
    ngx_string("auditor")
};


static ngx_uint_t  llmgw_admin_role_masks[LLMGW_AOIDC_NROLES] = {
    LLMGW_ROLE_ADMIN,
    LLMGW_ROLE_KEY_MANAGER,
    LLMGW_ROLE_VIEWER,
    LLMGW_ROLE_AUDITOR
};


ngx_uint_t
llmgw_admin_role_perms(ngx_str_t *role)
{
    ngx_uint_t  i;

    for (i = 0; i < LLMGW_AOIDC_NROLES; i++) {
        if (role->len == llmgw_admin_role_names[i].len
            && ngx_strncmp(role->data, llmgw_admin_role_names[i].data,
                           role->len)
               == 0)
        {
            return llmgw_admin_role_masks[i];
        }
    }

    return 0;
}


/* configuration */

llmgw_admin_oidc_t *
llmgw_admin_oidc_conf(ngx_conf_t *cf, json_t *obj, u_char *err, size_t errlen)
{
    json_t              *v;
    time_t               skew;
    ngx_int_t            rc;
    const char          *key, **k;
    llmgw_admin_oidc_t  *oidc;

    static const char  *known[] = { "issuer", "audience", "jwks_file",
                                    "jwks_location", "jwks_cache",
                                    "clock_skew", "role_claim", "roles",
                                    "subject_claim", "algorithms", NULL };

    if (!json_is_object(obj)) {
        (void) llmgw_aoidc_conf_error(err, errlen, "must be an object");
        return NULL;
    }

    json_object_foreach(obj, key, v) {
        for (k = known; *k; k++) {
            if (ngx_strcmp(key, *k) == 0) {
                break;
            }
        }

        if (*k == NULL) {
            (void) llmgw_aoidc_conf_error(err, errlen,
                                          "unknown field \"%s\"", key);
            return NULL;
        }
    }

    oidc = ngx_pcalloc(cf->pool, sizeof(llmgw_admin_oidc_t));
    if (oidc == NULL) {
        return NULL;
    }

    rc = llmgw_aoidc_conf_string(cf, obj, "issuer", &oidc->issuer, err,
                                 errlen);

    if (rc == NGX_DECLINED) {
        rc = llmgw_aoidc_conf_error(err, errlen, "\"issuer\" is required");
    }

    if (rc == NGX_OK) {
        rc = llmgw_aoidc_conf_audience(cf, oidc, obj, err, errlen);
    }

    if (rc == NGX_OK) {
        rc = llmgw_aoidc_conf_seconds(obj, "jwks_cache", LLMGW_AOIDC_CACHE, 1,
                                      LLMGW_AOIDC_CACHE_MAX, &oidc->cache, err,
                                      errlen);
    }

    if (rc == NGX_OK) {
        rc = llmgw_aoidc_conf_seconds(obj, "clock_skew", LLMGW_AOIDC_SKEW, 0,
                                      LLMGW_OIDC_LEEWAY_MAX, &skew, err,
                                      errlen);
        oidc->skew = (long) skew;
    }

    if (rc == NGX_OK) {
        rc = llmgw_aoidc_conf_string(cf, obj, "role_claim", &oidc->role_claim,
                                     err, errlen);
    }

    if (rc == NGX_DECLINED) {
        oidc->role_claim = "groups";
        rc = NGX_OK;
    }

    if (rc == NGX_OK) {
        rc = llmgw_aoidc_conf_string(cf, obj, "subject_claim",
                                     &oidc->subject_claim, err, errlen);
    }

    if (rc == NGX_DECLINED) {
        rc = NGX_OK;
    }

    if (rc == NGX_OK) {
        rc = llmgw_aoidc_conf_roles(cf, oidc, obj, err, errlen);
    }

    if (rc == NGX_OK) {
        rc = llmgw_aoidc_conf_algorithms(oidc, obj, err, errlen);
    }

    if (rc == NGX_OK) {
        rc = llmgw_aoidc_conf_keys(cf, oidc, obj, err, errlen);
    }

    return rc == NGX_OK ? oidc : NULL;
}


static ngx_int_t
llmgw_aoidc_conf_error(u_char *err, size_t errlen, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    if (errlen) {
        va_start(args, fmt);
        p = ngx_vslprintf(err, err + errlen - 1, fmt, args);
        va_end(args);

        *p = '\0';
    }

    return NGX_ERROR;
}


/* a non-empty string without NULs, copied with a NUL; NGX_DECLINED:
 * absent */

static ngx_int_t
llmgw_aoidc_conf_string(ngx_conf_t *cf, json_t *obj, const char *name,
    char **out, u_char *err, size_t errlen)
{
    json_t  *v;

    v = json_object_get(obj, name);

    if (v == NULL) {
        return NGX_DECLINED;
    }

    *out = llmgw_aoidc_conf_copy(cf, v);

    if (*out == NULL) {
        return llmgw_aoidc_conf_error(err, errlen, "\"%s\" must be a "
                                      "non-empty string", name);
    }

    return NGX_OK;
}


static char *
llmgw_aoidc_conf_copy(ngx_conf_t *cf, json_t *v)
{
    char    *s;
    size_t   len;

    len = json_is_string(v) ? json_string_length(v) : 0;

    if (len == 0 || ngx_strlen(json_string_value(v)) != len) {
        return NULL;
    }

    s = ngx_pnalloc(cf->pool, len + 1);
    if (s == NULL) {
        return NULL;
    }

    ngx_memcpy(s, json_string_value(v), len + 1);

    return s;
}


static ngx_int_t
llmgw_aoidc_conf_audience(ngx_conf_t *cf, llmgw_admin_oidc_t *oidc,
    json_t *obj, u_char *err, size_t errlen)
{
    size_t   i, n;
    json_t  *v, *a;

    v = json_object_get(obj, "audience");
    n = json_is_array(v) ? json_array_size(v) : 1;

    oidc->audiences = ngx_palloc(cf->pool, (n + 1) * sizeof(char *));
    if (oidc->audiences == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        a = json_is_array(v) ? json_array_get(v, i) : v;

        oidc->audiences[i] = llmgw_aoidc_conf_copy(cf, a);
        if (oidc->audiences[i] == NULL) {
            break;
        }
    }

    if (n == 0 || i < n) {
        return llmgw_aoidc_conf_error(err, errlen, "\"audience\" is "
                                      "required: a non-empty string or an "
                                      "array of them");
    }

    oidc->naudiences = n;

    return NGX_OK;
}


static ngx_int_t
llmgw_aoidc_conf_seconds(json_t *obj, const char *name, time_t dflt,
    time_t min, time_t max, time_t *out, u_char *err, size_t errlen)
{
    json_t  *v;

    *out = dflt;

    v = json_object_get(obj, name);

    if (v == NULL) {
        return NGX_OK;
    }

    if (!json_is_integer(v) || json_integer_value(v) < min
        || json_integer_value(v) > max)
    {
        return llmgw_aoidc_conf_error(err, errlen, "\"%s\" must be a "
                                      "number of seconds, %T to %T", name,
                                      min, max);
    }

    *out = (time_t) json_integer_value(v);

    return NGX_OK;
}


/* {"claim value": "role name"} */

static ngx_int_t
llmgw_aoidc_conf_roles(ngx_conf_t *cf, llmgw_admin_oidc_t *oidc, json_t *obj,
    u_char *err, size_t errlen)
{
    json_t             *v, *role;
    ngx_str_t           name;
    ngx_uint_t          i;
    const char         *value;
    llmgw_aoidc_map_t  *m;

    v = json_object_get(obj, "roles");

    if (!json_is_object(v) || json_object_size(v) == 0) {
        return llmgw_aoidc_conf_error(err, errlen, "\"roles\" is "
                                      "required: an object of claim values "
                                      "and the roles they grant");
    }

    if (ngx_array_init(&oidc->roles, cf->pool, json_object_size(v),
                       sizeof(llmgw_aoidc_map_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    json_object_foreach(v, value, role) {
        name.len = json_is_string(role) ? json_string_length(role) : 0;
        name.data = (u_char *) json_string_value(role);

        for (i = 0; i < LLMGW_AOIDC_NROLES; i++) {
            if (name.len == llmgw_admin_role_names[i].len
                && ngx_strncmp(name.data, llmgw_admin_role_names[i].data,
                               name.len)
                   == 0)
            {
                break;
            }
        }

        if (i == LLMGW_AOIDC_NROLES || value[0] == '\0') {
            return llmgw_aoidc_conf_error(err, errlen, "\"roles\": \"%s\" "
                                          "must map a claim value to "
                                          "\"admin\", \"key-manager\", "
                                          "\"viewer\" or \"auditor\"", value);
        }

        m = ngx_array_push(&oidc->roles);
        if (m == NULL) {
            return NGX_ERROR;
        }

        m->value.len = ngx_strlen(value);
        m->value.data = ngx_pnalloc(cf->pool, m->value.len);
        if (m->value.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(m->value.data, value, m->value.len);
        m->role = (ngx_uint_t) 1 << i;
    }

    return NGX_OK;
}


static ngx_int_t
llmgw_aoidc_conf_algorithms(llmgw_admin_oidc_t *oidc, json_t *obj,
    u_char *err, size_t errlen)
{
    size_t       i;
    json_t      *v, *alg;
    const char  *s;

    v = json_object_get(obj, "algorithms");

    if (v == NULL) {
        oidc->algorithms = LLMGW_AOIDC_RS256|LLMGW_AOIDC_ES256;
        return NGX_OK;
    }

    if (!json_is_array(v) || json_array_size(v) == 0) {
        goto invalid;
    }

    json_array_foreach(v, i, alg) {
        s = json_is_string(alg) ? json_string_value(alg) : "";

        if (ngx_strcmp(s, "RS256") == 0) {
            oidc->algorithms |= LLMGW_AOIDC_RS256;

        } else if (ngx_strcmp(s, "ES256") == 0) {
            oidc->algorithms |= LLMGW_AOIDC_ES256;

        } else {
            goto invalid;
        }
    }

    return NGX_OK;

invalid:

    return llmgw_aoidc_conf_error(err, errlen, "\"algorithms\" must be a "
                                  "non-empty array of \"RS256\" and "
                                  "\"ES256\"");
}


static ngx_int_t
llmgw_aoidc_conf_keys(ngx_conf_t *cf, llmgw_admin_oidc_t *oidc, json_t *obj,
    u_char *err, size_t errlen)
{
    char                *file, *location, *q;
    ngx_int_t            rc, rc2;
    ngx_pool_cleanup_t  *cln;

    file = NULL;
    location = NULL;

    rc = llmgw_aoidc_conf_string(cf, obj, "jwks_file", &file, err, errlen);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    rc2 = llmgw_aoidc_conf_string(cf, obj, "jwks_location", &location, err,
                                  errlen);
    if (rc2 == NGX_ERROR) {
        return NGX_ERROR;
    }

    if ((rc == NGX_OK) == (rc2 == NGX_OK)) {
        return llmgw_aoidc_conf_error(err, errlen, "either \"jwks_file\" "
                                      "or \"jwks_location\" is required, "
                                      "not both");
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = llmgw_aoidc_free_keys;
    cln->data = oidc;

    if (file) {
        return llmgw_aoidc_conf_file(cf, oidc, file, err, errlen);
    }

    if (location[0] != '/') {
        return llmgw_aoidc_conf_error(err, errlen, "\"jwks_location\" "
                                      "must be the URI of a location, such "
                                      "as \"/_llmgw_jwks\"");
    }

    q = ngx_strchr(location, '?');

    if (q) {
        *q++ = '\0';
        oidc->args.data = (u_char *) q;
        oidc->args.len = ngx_strlen(q);
    }

    oidc->location.data = (u_char *) location;
    oidc->location.len = ngx_strlen(location);

    return NGX_OK;
}


static ngx_int_t
llmgw_aoidc_conf_file(ngx_conf_t *cf, llmgw_admin_oidc_t *oidc, char *name,
    u_char *err, size_t errlen)
{
    char         msg[160];
    ngx_str_t    path, text;
    const char  *why;

    path.data = (u_char *) name;
    path.len = ngx_strlen(name);

    switch (llmgw_conf_read_file(cf, &path, LLMGW_AOIDC_JWKS_MAX,
                                 cf->temp_pool, &text, &why))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        return llmgw_aoidc_conf_error(err, errlen, "\"jwks_file\" \"%V\" %s",
                                      &path, why);

    default:
        return NGX_ERROR;
    }

    oidc->keys = llmgw_jwks_parse(text.data, text.len, msg, sizeof(msg));

    if (oidc->keys == NULL) {
        return llmgw_aoidc_conf_error(err, errlen, "\"jwks_file\" \"%V\": "
                                      "%s", &path, msg);
    }

    return NGX_OK;
}


static void
llmgw_aoidc_free_keys(void *data)
{
    llmgw_admin_oidc_t  *oidc = data;

    llmgw_jwks_free(oidc->keys);
    oidc->keys = NULL;
}


/* the request path */

ngx_int_t
llmgw_admin_oidc_auth(ngx_http_request_t *r, llmgw_admin_oidc_t *oidc,
    ngx_str_t *token, llmgw_admin_who_t *who)
{
    char                why[128];
    ngx_int_t           rc;
    llmgw_aoidc_req_t  *st;

    who->via = "oidc";
    who->perms = 0;
    who->error[0] = '\0';
    ngx_str_null(&who->subject);
    ngx_str_null(&who->role);

    st = who->oidc_state;

    if (st == NULL) {
        st = ngx_pcalloc(r->pool, sizeof(llmgw_aoidc_req_t));
        if (st == NULL) {
            return NGX_ERROR;
        }

        st->oidc = oidc;
        who->oidc_state = st;
    }

    if (st->sr && !st->done) {
        return NGX_AGAIN;
    }

    if (st->waiting) {
        if (oidc->fetching
            && (ngx_msec_int_t) (st->wait_until - ngx_current_msec) > 0)
        {
            return llmgw_aoidc_delay(r);
        }

        st->waiting = 0;
        st->fetched = 1;
    }

    if (llmgw_aoidc_alg(oidc, token, why, sizeof(why)) != NGX_OK) {
        return llmgw_aoidc_refuse(r, who, why);
    }

    if (oidc->location.len) {
        rc = llmgw_aoidc_keys(r, oidc, st, who);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    rc = llmgw_aoidc_token(r, oidc, token, who, why, sizeof(why));

    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* an unknown kid: the provider may have a new key */

    if (oidc->location.len && !st->fetched
        && ngx_strncmp(why, "kid:", 4) == 0)
    {
        if (oidc->fetching) {
            return llmgw_aoidc_wait(r, st);
        }

        if (ngx_time() >= oidc->kid_retry && ngx_time() >= oidc->retry) {
            oidc->kid_retry = ngx_time() + LLMGW_AOIDC_KID_PAUSE;
            return llmgw_aoidc_fetch(r, oidc, st);
        }
    }

    return llmgw_aoidc_refuse(r, who, why);
}


/* the token's "alg" is one configured */

static ngx_int_t
llmgw_aoidc_alg(llmgw_admin_oidc_t *oidc, ngx_str_t *token, char *why,
    size_t size)
{
    u_char      *dot, buf[LLMGW_AOIDC_HEADER_MAX / 4 * 3 + 3];
    size_t       n;
    json_t      *h, *alg;
    ngx_uint_t   mask;
    const char  *s, *e;

    dot = ngx_strlchr(token->data, token->data + token->len, '.');

    if (dot == NULL || dot - token->data > LLMGW_AOIDC_HEADER_MAX) {
        e = "malformed: not a JWT";
        goto failed;
    }

    n = llmgw_b64url_decode(buf, token->data, dot - token->data);

    if (n == (size_t) -1) {
        e = "malformed: not canonical base64url";
        goto failed;
    }

    h = json_loadb((char *) buf, n, JSON_REJECT_DUPLICATES, NULL);

    if (!json_is_object(h)) {
        json_decref(h);
        e = "malformed: header is not a JSON object";
        goto failed;
    }

    alg = json_object_get(h, "alg");
    s = json_is_string(alg) ? json_string_value(alg) : "";

    mask = (ngx_strcmp(s, "RS256") == 0) ? LLMGW_AOIDC_RS256
           : (ngx_strcmp(s, "ES256") == 0) ? LLMGW_AOIDC_ES256 : 0;

    if (json_is_string(alg) && json_string_length(alg) != ngx_strlen(s)) {
        mask = 0;
    }

    json_decref(h);

    if (mask & oidc->algorithms) {
        return NGX_OK;
    }

    e = "alg: not allowed";

failed:

    ngx_cpystrn((u_char *) why, (u_char *) e, size);

    return NGX_DECLINED;
}


/* the provider's keys, fetched when there are none or they are stale */

static ngx_int_t
llmgw_aoidc_keys(ngx_http_request_t *r, llmgw_admin_oidc_t *oidc,
    llmgw_aoidc_req_t *st, llmgw_admin_who_t *who)
{
    time_t  now;

    now = ngx_time();

    if (!st->fetched && (oidc->keys == NULL || now >= oidc->expires)) {
        if (oidc->fetching == NULL) {
            if (now >= oidc->retry) {
                return llmgw_aoidc_fetch(r, oidc, st);
            }

        } else if (oidc->keys == NULL) {
            return llmgw_aoidc_wait(r, st);
        }

        /* stale keys serve while they are fetched, or cannot be */
    }

    if (oidc->keys == NULL) {
        llmgw_aoidc_error(who, "the identity provider's keys are "
                          "unavailable");
        return NGX_BUSY;
    }

    return NGX_OK;
}


/* NGX_OK with who filled (perms 0: no role), or NGX_DECLINED and why */

static ngx_int_t
llmgw_aoidc_token(ngx_http_request_t *r, llmgw_admin_oidc_t *oidc,
    ngx_str_t *token, llmgw_admin_who_t *who, char *why, size_t size)
{
    json_t              *claims;
    ngx_int_t            rc;
    llmgw_oidc_check_t   chk;

    chk.issuer = oidc->issuer;
    chk.audiences = oidc->audiences;
    chk.naudiences = oidc->naudiences;
    chk.leeway = oidc->skew;
    chk.now = ngx_time();

    if (llmgw_oidc_verify(oidc->keys, (const char *) token->data, token->len,
                          &chk, &claims, why, size)
        != 0)
    {
        return NGX_DECLINED;
    }

    rc = llmgw_aoidc_subject(r, oidc, claims, who, why, size);

    if (rc == NGX_OK) {
        llmgw_aoidc_role(oidc, claims, who);

        if (who->perms == 0) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "llmgw: admin API: the OIDC token of \"%V\" "
                          "grants no llmgw role (claim \"%s\")",
                          &who->subject, oidc->role_claim);
        }
    }

    json_decref(claims);

    return rc;
}


/* subject_claim, or a verified "email"; else "sub": printable, bounded */

static ngx_int_t
llmgw_aoidc_subject(ngx_http_request_t *r, llmgw_admin_oidc_t *oidc,
    json_t *claims, llmgw_admin_who_t *who, char *why, size_t size)
{
    size_t       i, len;
    json_t      *v;
    u_char      *s;
    const char  *e;

    if (oidc->subject_claim) {
        v = json_object_get(claims, oidc->subject_claim);

    } else if (json_is_false(json_object_get(claims, "email_verified"))) {
        v = NULL;

    } else {
        v = json_object_get(claims, "email");
    }

    if (!json_is_string(v) || json_string_length(v) == 0) {
        v = json_object_get(claims, "sub");
    }

    len = json_is_string(v) ? json_string_length(v) : 0;
    s = (u_char *) json_string_value(v);

    for (i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f) {
            break;
        }
    }

    if (len == 0 || len > LLMGW_AOIDC_SUBJECT_MAX || i < len) {
        e = "subject: not a printable string of 1 to 256 bytes";
        ngx_cpystrn((u_char *) why, (u_char *) e, size);
        return NGX_DECLINED;
    }

    who->subject.data = ngx_pnalloc(r->pool, len);
    if (who->subject.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(who->subject.data, s, len);
    who->subject.len = len;

    return NGX_OK;
}


/* the most powerful role granted; viewer and auditor add up */

static void
llmgw_aoidc_role(llmgw_admin_oidc_t *oidc, json_t *claims,
    llmgw_admin_who_t *who)
{
    ngx_uint_t           i;
    llmgw_aoidc_match_t  m;

    m.oidc = oidc;
    m.roles = 0;

    if (llmgw_oidc_claim_values(claims, oidc->role_claim, llmgw_aoidc_match,
                                &m)
        < 0)
    {
        m.roles = 0;
    }

    if ((m.roles & LLMGW_AOIDC_VIEWER_AUDITOR) == LLMGW_AOIDC_VIEWER_AUDITOR
        && !(m.roles & ~LLMGW_AOIDC_VIEWER_AUDITOR))
    {
        ngx_str_set(&who->role, "viewer+auditor");
        who->perms = LLMGW_ROLE_VIEWER|LLMGW_ROLE_AUDITOR;
        return;
    }

    for (i = 0; i < LLMGW_AOIDC_NROLES; i++) {
        if (m.roles & ((ngx_uint_t) 1 << i)) {
            who->role = llmgw_admin_role_names[i];
            who->perms = llmgw_admin_role_masks[i];
            return;
        }
    }

    llmgw_aoidc_error(who, "token grants no llmgw role");
}


static int
llmgw_aoidc_match(const char *value, size_t len, void *data)
{
    llmgw_aoidc_match_t  *m = data;

    ngx_uint_t          i;
    llmgw_aoidc_map_t  *map;

    map = m->oidc->roles.elts;

    for (i = 0; i < m->oidc->roles.nelts; i++) {
        if (map[i].value.len == len
            && ngx_memcmp(map[i].value.data, value, len) == 0)
        {
            m->roles |= map[i].role;
        }
    }

    return 0;
}


/* why, from llmgw_oidc.c or ours, never holds a byte of the token */

static ngx_int_t
llmgw_aoidc_refuse(ngx_http_request_t *r, llmgw_admin_who_t *who,
    const char *why)
{
    llmgw_aoidc_error(who, "invalid token: %s", why);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "llmgw: admin API: OIDC token refused: %s", why);

    return NGX_DECLINED;
}


static void
llmgw_aoidc_error(llmgw_admin_who_t *who, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(who->error, who->error + sizeof(who->error) - 1, fmt,
                      args);
    va_end(args);

    *p = '\0';
}


/* the JWKS through the location, in memory; the phases run again after */

static ngx_int_t
llmgw_aoidc_fetch(ngx_http_request_t *r, llmgw_admin_oidc_t *oidc,
    llmgw_aoidc_req_t *st)
{
    ngx_http_request_t          *sr;
    ngx_pool_cleanup_t          *cln;
    ngx_http_request_body_t     *rb;
    ngx_http_post_subrequest_t  *ps;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ps == NULL || rb == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    ps->handler = llmgw_aoidc_done;
    ps->data = st;

    /* a GET with no body (a fake one, as auth_request's) and none of the
     * client's headers: its token is no business of the JWKS URL */

    if (ngx_http_subrequest(r, &oidc->location,
                            oidc->args.len ? &oidc->args : NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    st->sr = sr;
    oidc->fetching = st;

    cln->handler = llmgw_aoidc_fetch_cleanup;
    cln->data = st;

    sr->request_body = rb;

    if (llmgw_subrequest_headers(sr, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "llmgw: admin API: fetching the OIDC keys from \"%V\"",
                   &oidc->location);

    return NGX_AGAIN;
}


static ngx_int_t
llmgw_aoidc_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    llmgw_aoidc_req_t  *st = data;

    u_char               reason[160];
    llmgw_jwks_t        *keys;
    llmgw_admin_oidc_t  *oidc;

    if (st->done) {
        return rc;
    }

    st->done = 1;
    st->fetched = 1;

    oidc = st->oidc;

    if (oidc->fetching == st) {
        oidc->fetching = NULL;
    }

    keys = llmgw_aoidc_response(sr, rc, reason, sizeof(reason));

    if (keys == NULL) {
        oidc->retry = ngx_time() + LLMGW_AOIDC_RETRY;

        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "llmgw: admin API: no OIDC keys from \"%V\": %s%s",
                      &oidc->location, reason,
                      oidc->keys ? "; the previous ones serve" : "");

        return llmgw_subrequest_rc(sr, rc);
    }

    llmgw_jwks_free(oidc->keys);

    oidc->keys = keys;
    oidc->expires = ngx_time() + oidc->cache;
    oidc->retry = 0;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "llmgw: admin API: %uz OIDC keys", llmgw_jwks_count(keys));

    return llmgw_subrequest_rc(sr, rc);
}


static llmgw_jwks_t *
llmgw_aoidc_response(ngx_http_request_t *sr, ngx_int_t rc, u_char *reason,
    size_t size)
{
    char           msg[128];
    size_t         len;
    ngx_buf_t     *b;
    llmgw_jwks_t  *keys;

    if (rc == NGX_ERROR) {
        *ngx_snprintf(reason, size - 1, "the subrequest failed (an answer "
                      "over the location's subrequest_output_buffer_size?)")
            = '\0';
        return NULL;
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE || sr->headers_out.status == 0) {
        *ngx_snprintf(reason, size - 1, "the subrequest failed (%i)", rc)
            = '\0';
        return NULL;
    }

    if (sr->headers_out.status != NGX_HTTP_OK) {
        *ngx_snprintf(reason, size - 1, "the location answered %ui",
                      sr->headers_out.status) = '\0';
        return NULL;
    }

    b = sr->out ? sr->out->buf : NULL;
    len = b ? (size_t) (b->last - b->pos) : 0;

    if (len == 0 || len > LLMGW_AOIDC_JWKS_MAX) {
        *ngx_snprintf(reason, size - 1, "an answer empty or over %d KB",
                      LLMGW_AOIDC_JWKS_MAX / 1024) = '\0';
        return NULL;
    }

    keys = llmgw_jwks_parse(b->pos, len, msg, sizeof(msg));

    if (keys == NULL) {
        *ngx_snprintf(reason, size - 1, "%s", msg) = '\0';
    }

    return keys;
}


/* the request went away before its fetch ended */

static void
llmgw_aoidc_fetch_cleanup(void *data)
{
    llmgw_aoidc_req_t  *st = data;

    if (st->oidc->fetching == st) {
        st->oidc->fetching = NULL;
    }
}


/* another request fetches the keys: looked at every LLMGW_AOIDC_POLL ms,
 * as limit_req delays a request */

static ngx_int_t
llmgw_aoidc_wait(ngx_http_request_t *r, llmgw_aoidc_req_t *st)
{
    st->waiting = 1;
    st->wait_until = ngx_current_msec + LLMGW_AOIDC_WAIT;

    return llmgw_aoidc_delay(r);
}


static ngx_int_t
llmgw_aoidc_delay(ngx_http_request_t *r)
{
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = llmgw_aoidc_wake;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, LLMGW_AOIDC_POLL);

    return NGX_AGAIN;
}


static void
llmgw_aoidc_wake(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    if (wev->delayed) {
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}
