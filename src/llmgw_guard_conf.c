/*
 * llmgw: the "guardrails" section of the governance JSON.
 *
 *   "guardrails": {
 *     "detectors": { "PROJECT": {"pattern": "PRJ-[0-9]{4}"},
 *                    "CODENAMES": {"words": ["bluebird"]} },
 *     "policies": { "pii": {
 *         "input":  {"action": "redact", "detectors": ["EMAIL", "PROJECT"]},
 *         "output": {"action": "block", "detectors": ["SECRET"]},
 *         "service": {"location": "/guard", "fail": "closed"} } },
 *     "default": "pii"
 *   }
 *
 * Each side of a policy is one guard, compiled here once; keys, teams and
 * customers name a policy with "guardrails": "pii".
 */


#include "llmgw.h"


typedef struct {
    ngx_conf_t            *cf;
    json_t                *detectors;
    u_char                *err;
    size_t                 errlen;
    u_char                 where[128];
} llmgw_guard_conf_t;


static char *llmgw_guard_conf_policy(llmgw_guard_conf_t *gc,
    llmgw_guard_policy_t *p, json_t *obj);
static char *llmgw_guard_conf_side(llmgw_guard_conf_t *gc,
    llmgw_guard_side_t *side, json_t *obj, const char *name);
static char *llmgw_guard_conf_custom(llmgw_guard_conf_t *gc,
    llmgw_guard_custom_t *c, const char *name);
static char *llmgw_guard_conf_service(llmgw_guard_conf_t *gc,
    llmgw_guard_policy_t *p, json_t *obj);
static char *llmgw_guard_conf_unknown(llmgw_guard_conf_t *gc, json_t *obj,
    const char **known);
static char *llmgw_guard_conf_error(llmgw_guard_conf_t *gc,
    const char *fmt, ...);
static void llmgw_guard_cleanup(void *data);


char *
llmgw_guard_conf(ngx_conf_t *cf, llmgw_main_conf_t *lmcf, json_t *obj,
    u_char *err, size_t errlen)
{
    json_t                *policies, *v;
    ngx_str_t              s;
    const char            *name;
    llmgw_guard_conf_t     gc;
    llmgw_guard_policy_t  *p;

    static const char  *known[] = { "detectors", "policies", "default", NULL };

    if (ngx_array_init(&lmcf->guard_policies, cf->pool, 4,
                       sizeof(llmgw_guard_policy_t))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (obj == NULL) {
        return NGX_CONF_OK;
    }

    gc.cf = cf;
    gc.err = err;
    gc.errlen = errlen;
    ngx_cpystrn(gc.where, (u_char *) "\"guardrails\"", sizeof(gc.where));

    if (!json_is_object(obj)) {
        return llmgw_guard_conf_error(&gc, "must be an object");
    }

    if (llmgw_guard_conf_unknown(&gc, obj, known) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    gc.detectors = json_object_get(obj, "detectors");

    if (gc.detectors && !json_is_object(gc.detectors)) {
        return llmgw_guard_conf_error(&gc, "\"detectors\" must be an object");
    }

    policies = json_object_get(obj, "policies");

    if (!json_is_object(policies)) {
        return llmgw_guard_conf_error(&gc, "\"policies\" must be an object");
    }

    json_object_foreach(policies, name, v) {
        ngx_snprintf(gc.where, sizeof(gc.where) - 1,
                     "guardrail policy \"%s\"%Z", name);

        p = ngx_array_push(&lmcf->guard_policies);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(p, sizeof(llmgw_guard_policy_t));

        s.data = (u_char *) name;
        s.len = ngx_strlen(name);

        p->name.len = s.len;
        p->name.data = ngx_pstrdup(cf->pool, &s);
        if (p->name.data == NULL) {
            return NGX_CONF_ERROR;
        }

        if (llmgw_guard_conf_policy(&gc, p, v) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }
    }

    ngx_cpystrn(gc.where, (u_char *) "\"guardrails\"", sizeof(gc.where));

    v = json_object_get(obj, "default");

    if (v) {
        lmcf->guard_default = json_is_string(v)
                              ? llmgw_guard_policy_find(lmcf,
                                                        json_string_value(v))
                              : NULL;

        if (lmcf->guard_default == NULL) {
            return llmgw_guard_conf_error(&gc, "\"default\": no such "
                                          "policy");
        }
    }

    return NGX_CONF_OK;
}


llmgw_guard_policy_t *
llmgw_guard_policy_find(llmgw_main_conf_t *lmcf, const char *name)
{
    size_t                 len;
    ngx_uint_t             i;
    llmgw_guard_policy_t  *p;

    if (lmcf->guard_policies.elts == NULL) {
        return NULL;
    }

    len = ngx_strlen(name);
    p = lmcf->guard_policies.elts;

    for (i = 0; i < lmcf->guard_policies.nelts; i++) {
        if (p[i].name.len == len
            && ngx_strncmp(p[i].name.data, name, len) == 0)
        {
            return &p[i];
        }
    }

    return NULL;
}


/* "EMAIL, CARD": the names of the fired detectors */

u_char *
llmgw_guard_names(u_char *p, u_char *last, llmgw_guard_t *g, uint64_t fired,
    const char *sep)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < llmgw_guard_count(g) && i < 64; i++) {
        if (!(fired & ((uint64_t) 1 << i))) {
            continue;
        }

        if (n++) {
            p = ngx_slprintf(p, last, "%s", sep);
        }

        p = ngx_slprintf(p, last, "%s", llmgw_guard_name(g, i));
    }

    return p;
}


static char *
llmgw_guard_conf_policy(llmgw_guard_conf_t *gc, llmgw_guard_policy_t *p,
    json_t *obj)
{
    static const char  *known[] = { "input", "output", "service", NULL };

    if (!json_is_object(obj)) {
        return llmgw_guard_conf_error(gc, "must be an object");
    }

    if (llmgw_guard_conf_unknown(gc, obj, known) != NGX_CONF_OK
        || llmgw_guard_conf_side(gc, &p->input, json_object_get(obj, "input"),
                                 "input")
           != NGX_CONF_OK
        || llmgw_guard_conf_side(gc, &p->output,
                                 json_object_get(obj, "output"), "output")
           != NGX_CONF_OK
        || llmgw_guard_conf_service(gc, p, json_object_get(obj, "service"))
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (p->input.guard == NULL && p->output.guard == NULL
        && p->service.len == 0)
    {
        return llmgw_guard_conf_error(gc, "checks nothing: give it "
                                      "\"input\", \"output\" or \"service\"");
    }

    return NGX_CONF_OK;
}


static char *
llmgw_guard_conf_side(llmgw_guard_conf_t *gc, llmgw_guard_side_t *side,
    json_t *obj, const char *name)
{
    int                    b;
    char                   msg[256];
    size_t                 i, ncustom;
    json_t                *v, *d;
    uint32_t               mask;
    const char            *action;
    ngx_pool_cleanup_t    *cln;
    llmgw_guard_custom_t   custom[LLMGW_GUARD_MAX];

    static const char  *known[] = { "action", "detectors", NULL };

    if (obj == NULL) {
        return NGX_CONF_OK;
    }

    if (!json_is_object(obj)) {
        return llmgw_guard_conf_error(gc, "\"%s\" must be an object", name);
    }

    if (llmgw_guard_conf_unknown(gc, obj, known) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    v = json_object_get(obj, "action");
    action = json_is_string(v) ? json_string_value(v) : "";

    if (ngx_strcmp(action, "block") == 0) {
        side->action = LLMGW_GUARD_BLOCK;

    } else if (ngx_strcmp(action, "redact") == 0) {
        side->action = LLMGW_GUARD_REDACT;

    } else if (ngx_strcmp(action, "log") == 0) {
        side->action = LLMGW_GUARD_LOG;

    } else {
        return llmgw_guard_conf_error(gc, "%s: \"action\" must be \"block\", "
                                      "\"redact\" or \"log\"", name);
    }

    v = json_object_get(obj, "detectors");

    if (!json_is_array(v) || json_array_size(v) == 0) {
        return llmgw_guard_conf_error(gc, "%s: \"detectors\" must be a "
                                      "non-empty array of names", name);
    }

    mask = 0;
    ncustom = 0;

    json_array_foreach(v, i, d) {
        if (!json_is_string(d)) {
            return llmgw_guard_conf_error(gc, "%s: \"detectors\" must be "
                                          "names", name);
        }

        b = llmgw_guard_builtin(json_string_value(d), json_string_length(d));

        if (b >= 0) {
            mask |= (uint32_t) 1 << b;
            continue;
        }

        if (ncustom == LLMGW_GUARD_MAX) {
            return llmgw_guard_conf_error(gc, "%s: too many detectors", name);
        }

        if (llmgw_guard_conf_custom(gc, &custom[ncustom++],
                                    json_string_value(d))
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    side->guard = llmgw_guard_create(mask, custom, ncustom, msg, sizeof(msg));

    if (side->guard == NULL) {
        return llmgw_guard_conf_error(gc, "%s: %s", name, msg);
    }

    cln = ngx_pool_cleanup_add(gc->cf->pool, 0);
    if (cln == NULL) {
        llmgw_guard_free(side->guard);
        return NGX_CONF_ERROR;
    }

    cln->handler = llmgw_guard_cleanup;
    cln->data = side->guard;

    return NGX_CONF_OK;
}


/* a detector of "detectors": {"pattern": "..."} or {"words": [...]};
 * its strings live as long as the configuration */

static char *
llmgw_guard_conf_custom(llmgw_guard_conf_t *gc, llmgw_guard_custom_t *c,
    const char *name)
{
    size_t        i, n;
    json_t       *obj, *v, *w;
    u_char       *copy;
    const char  **words;

    static const char  *known[] = { "pattern", "words", NULL };

    obj = gc->detectors ? json_object_get(gc->detectors, name) : NULL;

    if (obj == NULL) {
        return llmgw_guard_conf_error(gc, "unknown detector \"%s\": not a "
                                      "built-in one (EMAIL, PHONE, CARD, SSN, "
                                      "IBAN, IPV4, IPV6, SECRET) nor in "
                                      "\"detectors\"", name);
    }

    if (!json_is_object(obj)
        || llmgw_guard_conf_unknown(gc, obj, known) != NGX_CONF_OK)
    {
        return llmgw_guard_conf_error(gc, "detector \"%s\" must be "
                                      "{\"pattern\": ...} or "
                                      "{\"words\": [...]}", name);
    }

    ngx_memzero(c, sizeof(llmgw_guard_custom_t));

    n = ngx_strlen(name) + 1;
    copy = ngx_pnalloc(gc->cf->pool, n);
    if (copy == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(copy, (u_char *) name, n);
    c->name = (char *) copy;

    v = json_object_get(obj, "pattern");
    w = json_object_get(obj, "words");

    if ((v == NULL) == (w == NULL)
        || (v && !json_is_string(v))
        || (w && (!json_is_array(w) || json_array_size(w) == 0)))
    {
        return llmgw_guard_conf_error(gc, "detector \"%s\" needs a "
                                      "\"pattern\" string or a non-empty "
                                      "\"words\" array, not both", name);
    }

    if (v) {
        c->pattern = json_string_value(v);
        return NGX_CONF_OK;
    }

    words = ngx_palloc(gc->cf->pool, json_array_size(w) * sizeof(char *));
    if (words == NULL) {
        return NGX_CONF_ERROR;
    }

    json_array_foreach(w, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            return llmgw_guard_conf_error(gc, "detector \"%s\": \"words\" "
                                          "must be non-empty strings", name);
        }

        words[i] = json_string_value(v);
    }

    c->words = words;
    c->nwords = json_array_size(w);

    return NGX_CONF_OK;
}


static char *
llmgw_guard_conf_service(llmgw_guard_conf_t *gc, llmgw_guard_policy_t *p,
    json_t *obj)
{
    json_t      *v;
    ngx_str_t    s;
    const char  *fail;

    static const char  *known[] = { "location", "fail", NULL };

    if (obj == NULL) {
        return NGX_CONF_OK;
    }

    if (!json_is_object(obj)
        || llmgw_guard_conf_unknown(gc, obj, known) != NGX_CONF_OK)
    {
        return llmgw_guard_conf_error(gc, "\"service\" must be "
                                      "{\"location\": \"/...\", "
                                      "\"fail\": \"open\" or \"closed\"}");
    }

    v = json_object_get(obj, "location");

    if (!json_is_string(v) || json_string_value(v)[0] != '/') {
        return llmgw_guard_conf_error(gc, "service: \"location\" must be a "
                                      "URI starting with \"/\"");
    }

    s.len = json_string_length(v);
    s.data = (u_char *) json_string_value(v);

    p->service.len = s.len;
    p->service.data = ngx_pstrdup(gc->cf->pool, &s);
    if (p->service.data == NULL) {
        return NGX_CONF_ERROR;
    }

    v = json_object_get(obj, "fail");
    fail = (v == NULL) ? "closed" : json_is_string(v) ? json_string_value(v)
                                                      : "";

    if (ngx_strcmp(fail, "open") == 0) {
        p->service_fail_open = 1;

    } else if (ngx_strcmp(fail, "closed") != 0) {
        return llmgw_guard_conf_error(gc, "service: \"fail\" must be "
                                      "\"open\" or \"closed\"");
    }

    return NGX_CONF_OK;
}


static char *
llmgw_guard_conf_unknown(llmgw_guard_conf_t *gc, json_t *obj,
    const char **known)
{
    json_t       *v;
    ngx_uint_t    i;
    const char   *name;

    json_object_foreach(obj, name, v) {
        for (i = 0; known[i]; i++) {
            if (ngx_strcmp(name, known[i]) == 0) {
                break;
            }
        }

        if (known[i] == NULL) {
            return llmgw_guard_conf_error(gc, "unknown field \"%s\"", name);
        }
    }

    return NGX_CONF_OK;
}


static char *
llmgw_guard_conf_error(llmgw_guard_conf_t *gc, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    last = gc->err + gc->errlen - 1;
    p = ngx_slprintf(gc->err, last, "%s: ", gc->where);

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

    *p = '\0';

    return NGX_CONF_ERROR;
}


static void
llmgw_guard_cleanup(void *data)
{
    llmgw_guard_free(data);
}
