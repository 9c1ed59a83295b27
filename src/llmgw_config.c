/*
 * llmgw: the governance JSON (`llmgw_config`), read at configuration time.
 * Errors name the file and the line and column, or the entity and field.
 */


#include <jansson.h>

#include "llmgw.h"


typedef struct {
    ngx_conf_t         *cf;           /* NULL: the admin API's, at run time */
    ngx_pool_t         *pool;
    llmgw_main_conf_t  *lmcf;
    llmgw_view_t       *view;         /* run time: where entities go */
    u_char             *err;          /* run time: the error, for the client */
    size_t              errlen;
    char                where[256];   /* the entity being read */
} llmgw_conf_ctx_t;


static char *llmgw_conf_policy(llmgw_conf_ctx_t *cx, json_t *root);
static char *llmgw_conf_guardrails(llmgw_conf_ctx_t *cx, json_t *root);
static char *llmgw_conf_guard_ref(llmgw_conf_ctx_t *cx, json_t *obj,
    llmgw_entity_t *e);
static char *llmgw_conf_entities(llmgw_conf_ctx_t *cx, json_t *root,
    const char *field, ngx_array_t *a, llmgw_level_e level);
static char *llmgw_conf_limits(llmgw_conf_ctx_t *cx, llmgw_entity_t *e,
    json_t *obj);
static llmgw_entity_t *llmgw_conf_entity(ngx_array_t *a, const char *id);
static llmgw_entity_t *llmgw_conf_parent(llmgw_conf_ctx_t *cx,
    llmgw_level_e level, const char *id);
static char *llmgw_conf_entity_one(llmgw_conf_ctx_t *cx, const char *id,
    json_t *v, ngx_array_t *a, llmgw_level_e level);
static char *llmgw_conf_id(llmgw_conf_ctx_t *cx, ngx_str_t *id);
static char *llmgw_conf_vkey_parent(llmgw_conf_ctx_t *cx, llmgw_vkey_t *vk,
    json_t *obj);
static char *llmgw_conf_providers(llmgw_conf_ctx_t *cx, json_t *root);
static char *llmgw_conf_provider(llmgw_conf_ctx_t *cx, const char *name,
    json_t *obj);
static char *llmgw_conf_api_keys(llmgw_conf_ctx_t *cx, llmgw_provider_t *p,
    json_t *arr);
static char *llmgw_conf_vkeys(llmgw_conf_ctx_t *cx, json_t *root);
static char *llmgw_conf_vkey(llmgw_conf_ctx_t *cx, json_t *obj);
static char *llmgw_conf_keep(llmgw_conf_ctx_t *cx, json_t *obj,
    ngx_str_t *doc);
static char *llmgw_conf_routes(llmgw_conf_ctx_t *cx, llmgw_vkey_t *vk,
    json_t *arr);
static char *llmgw_conf_aliases(llmgw_conf_ctx_t *cx, json_t *root);
static char *llmgw_conf_alias_map(llmgw_conf_ctx_t *cx, json_t *obj,
    ngx_array_t *aliases);
static char *llmgw_conf_alias(llmgw_conf_ctx_t *cx, ngx_array_t *aliases,
    const char *from, json_t *v);
static char *llmgw_conf_rules(llmgw_conf_ctx_t *cx, json_t *root);
static char *llmgw_conf_rule(llmgw_conf_ctx_t *cx, json_t *obj);
static void llmgw_conf_apply_rules(llmgw_conf_ctx_t *cx, llmgw_vkey_t *vk);
static ngx_uint_t llmgw_rule_names(llmgw_rule_t *rule, llmgw_vkey_t *vk);
static ngx_uint_t llmgw_rule_allows(llmgw_rule_t *rule, llmgw_provider_t *p);
static ngx_uint_t llmgw_str_in(ngx_array_t *a, ngx_str_t *s);
static char *llmgw_conf_models(llmgw_conf_ctx_t *cx, ngx_array_t *a,
    json_t *arr, const char *field);
static char *llmgw_conf_aws_key(llmgw_conf_ctx_t *cx, llmgw_provider_t *p,
    json_t *k, llmgw_api_key_t *key);
static char *llmgw_conf_secret(llmgw_conf_ctx_t *cx, ngx_str_t *out,
    const char *spec);
static char *llmgw_conf_str(llmgw_conf_ctx_t *cx, json_t *obj,
    const char *field, ngx_str_t *out, ngx_flag_t required);
static char *llmgw_conf_weight(llmgw_conf_ctx_t *cx, json_t *obj,
    ngx_int_t *weight);
static char *llmgw_conf_unknown(llmgw_conf_ctx_t *cx, json_t *obj,
    const char **known);
static char *llmgw_conf_error(llmgw_conf_ctx_t *cx, const char *fmt, ...);
static ngx_int_t llmgw_conf_upstream_exists(ngx_conf_t *cf, ngx_str_t *name);


char *
llmgw_config_load(ngx_conf_t *cf, llmgw_main_conf_t *lmcf)
{
    char               *rv;
    json_t             *root;
    json_error_t        err;
    llmgw_conf_ctx_t    cx;

    static const char  *known[] = { "providers", "virtual_keys", "aliases",
                                    "teams", "customers", "prices",
                                    "unpriced_models", "routing_rules",
                                    "default_max_output_tokens",
                                    "guardrails", "admin", NULL };

    root = json_load_file((char *) lmcf->file.data,
                          JSON_REJECT_DUPLICATES, &err);
    if (root == NULL && err.line < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw_config \"%V\": %s",
                           &lmcf->file, err.text);
        return NGX_CONF_ERROR;
    }

    if (root == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "llmgw_config \"%V\", line %d, column %d: %s",
                           &lmcf->file, err.line, err.column, err.text);
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&cx, sizeof(llmgw_conf_ctx_t));
    cx.cf = cf;
    cx.pool = cf->pool;
    cx.lmcf = lmcf;
    ngx_cpystrn((u_char *) cx.where, (u_char *) "top level",
                sizeof(cx.where));

    if (!json_is_object(root)) {
        rv = llmgw_conf_error(&cx, "must be a JSON object");
        goto done;
    }

    rv = llmgw_conf_unknown(&cx, root, known);

    if (rv == NGX_CONF_OK) {
        rv = llmgw_conf_policy(&cx, root);
    }

    if (rv == NGX_CONF_OK) {
        rv = llmgw_conf_guardrails(&cx, root);
    }

    if (rv == NGX_CONF_OK) {
        rv = llmgw_conf_entities(&cx, root, "customers", &lmcf->customers,
                                 LLMGW_LEVEL_CUSTOMER);
    }

    if (rv == NGX_CONF_OK) {
        rv = llmgw_conf_entities(&cx, root, "teams", &lmcf->teams,
                                 LLMGW_LEVEL_TEAM);
    }

    if (rv == NGX_CONF_OK) {
        rv = llmgw_conf_providers(&cx, root);
    }

    if (rv == NGX_CONF_OK) {
        rv = llmgw_conf_rules(&cx, root);
    }

    if (rv == NGX_CONF_OK) {
        rv = llmgw_conf_vkeys(&cx, root);
    }

    if (rv == NGX_CONF_OK) {
        rv = llmgw_conf_aliases(&cx, root);
    }

    if (rv == NGX_CONF_OK && json_object_get(root, "admin")) {
        rv = llmgw_admin_conf(cf, lmcf, json_object_get(root, "admin"));
    }

    if (rv == NGX_CONF_OK && json_object_get(root, "prices")) {
        rv = llmgw_prices_override(cf, lmcf, json_object_get(root, "prices"));
    }

done:

    json_decref(root);
    return rv;
}


static char *
llmgw_conf_policy(llmgw_conf_ctx_t *cx, json_t *root)
{
    json_t  *v;

    v = json_object_get(root, "unpriced_models");

    if (v && !(json_is_string(v)
               && (ngx_strcmp(json_string_value(v), "reject") == 0
                   || ngx_strcmp(json_string_value(v), "allow") == 0)))
    {
        return llmgw_conf_error(cx, "\"unpriced_models\" is \"reject\" or "
                                "\"allow\"");
    }

    cx->lmcf->allow_unpriced = v && json_string_value(v)[0] == 'a';

    v = json_object_get(root, "default_max_output_tokens");

    if (v && (!json_is_integer(v) || json_integer_value(v) <= 0)) {
        return llmgw_conf_error(cx, "\"default_max_output_tokens\" must be a "
                                "positive integer");
    }

    cx->lmcf->default_max_output = v ? json_integer_value(v) : 4096;

    return NGX_CONF_OK;
}


static char *
llmgw_conf_guardrails(llmgw_conf_ctx_t *cx, json_t *root)
{
    u_char  msg[512];

    msg[0] = '\0';

    if (llmgw_guard_conf(cx->cf, cx->lmcf, json_object_get(root, "guardrails"),
                         msg, sizeof(msg))
        == NGX_CONF_OK)
    {
        return NGX_CONF_OK;
    }

    if (msg[0]) {
        ngx_conf_log_error(NGX_LOG_EMERG, cx->cf, 0, "llmgw_config \"%V\": %s",
                           &cx->lmcf->file, msg);
    }

    return NGX_CONF_ERROR;
}


/* "guardrails": "policy" of a key, team or customer */

static char *
llmgw_conf_guard_ref(llmgw_conf_ctx_t *cx, json_t *obj, llmgw_entity_t *e)
{
    json_t  *v;

    v = json_object_get(obj, "guardrails");

    if (v == NULL) {
        return NGX_CONF_OK;
    }

    e->guard = json_is_string(v)
               ? llmgw_guard_policy_find(cx->lmcf, json_string_value(v))
               : NULL;

    if (e->guard == NULL) {
        return llmgw_conf_error(cx, "\"guardrails\": no such policy in "
                                "\"guardrails\".\"policies\"");
    }

    return NGX_CONF_OK;
}


/* "customers" and "teams": {"id": {"name", "customer", "rate_limit",
 * "budgets", "guardrails"}} */

static char *
llmgw_conf_entities(llmgw_conf_ctx_t *cx, json_t *root, const char *field,
    ngx_array_t *a, llmgw_level_e level)
{
    json_t      *obj, *v;
    const char  *id;

    if (ngx_array_init(a, cx->pool, 4, sizeof(llmgw_entity_t)) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    obj = json_object_get(root, field);
    if (obj == NULL) {
        return NGX_CONF_OK;
    }

    if (!json_is_object(obj)) {
        return llmgw_conf_error(cx, "\"%s\" must be an object", field);
    }

    json_object_foreach(obj, id, v) {
        if (llmgw_conf_entity_one(cx, id, v, a, level) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* a team or a customer: one of the file's, or the admin API's */

static char *
llmgw_conf_entity_one(llmgw_conf_ctx_t *cx, const char *id, json_t *v,
    ngx_array_t *a, llmgw_level_e level)
{
    json_t          *c;
    llmgw_entity_t  *e;

    static const char *known_team[] = { "name", "customer", "rate_limit",
                                        "budgets", "guardrails", NULL };
    static const char *known_customer[] = { "name", "rate_limit", "budgets",
                                            "guardrails", NULL };

    ngx_snprintf((u_char *) cx->where, sizeof(cx->where) - 1,
                 "%s \"%s\"%Z",
                 level == LLMGW_LEVEL_TEAM ? "team" : "customer", id);

    if (!json_is_object(v)) {
        return llmgw_conf_error(cx, "must be an object");
    }

    if (llmgw_conf_unknown(cx, v, level == LLMGW_LEVEL_TEAM
                                  ? known_team : known_customer)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    e = ngx_array_push(a);
    if (e == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(e, sizeof(llmgw_entity_t));
    e->level = level;
    e->id.len = ngx_strlen(id);
    e->id.data = ngx_pnalloc(cx->pool, e->id.len);
    if (e->id.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(e->id.data, id, e->id.len);

    if (llmgw_conf_id(cx, &e->id) != NGX_CONF_OK
        || llmgw_conf_limits(cx, e, v) != NGX_CONF_OK
        || llmgw_conf_guard_ref(cx, v, e) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (cx->view == NULL && llmgw_conf_keep(cx, v, &e->doc) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    c = json_object_get(v, "customer");

    if (c) {
        e->parent = json_is_string(c)
                    ? llmgw_conf_parent(cx, LLMGW_LEVEL_CUSTOMER,
                                        json_string_value(c))
                    : NULL;

        if (e->parent == NULL) {
            return llmgw_conf_error(cx, "\"customer\": no such customer");
        }
    }

    if (llmgw_limits_entity_keys(cx->pool, e) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
llmgw_conf_limits(llmgw_conf_ctx_t *cx, llmgw_entity_t *e, json_t *obj)
{
    const char  *err;

    err = llmgw_limits_parse(cx->pool, &e->limits,
                             obj ? json_object_get(obj, "rate_limit") : NULL,
                             obj ? json_object_get(obj, "budgets") : NULL);
    if (err) {
        return llmgw_conf_error(cx, "%s", err);
    }

    return NGX_CONF_OK;
}


static llmgw_entity_t *
llmgw_conf_entity(ngx_array_t *a, const char *id)
{
    size_t           len;
    ngx_uint_t       i;
    llmgw_entity_t  *e;

    e = a->elts;
    len = ngx_strlen(id);

    for (i = 0; i < a->nelts; i++) {
        if (e[i].id.len == len && ngx_strncmp(e[i].id.data, id, len) == 0) {
            return &e[i];
        }
    }

    return NULL;
}


/* a team or customer: the admin API's (run time) before the file's */

static llmgw_entity_t *
llmgw_conf_parent(llmgw_conf_ctx_t *cx, llmgw_level_e level, const char *id)
{
    ngx_str_t  s;

    if (cx->view) {
        s.len = ngx_strlen(id);
        s.data = (u_char *) id;
        return llmgw_view_entity(cx->lmcf, cx->view, level, &s);
    }

    return llmgw_conf_entity(level == LLMGW_LEVEL_TEAM ? &cx->lmcf->teams
                                                       : &cx->lmcf->customers,
                             id);
}


/* ids name store keys and log fields: short, and plain */

static char *
llmgw_conf_id(llmgw_conf_ctx_t *cx, ngx_str_t *id)
{
    ngx_uint_t  i;

    if (id->len == 0 || id->len > LLMGW_MAX_ID_LEN) {
        return llmgw_conf_error(cx, "an id is 1 to %d characters",
                                LLMGW_MAX_ID_LEN);
    }

    for (i = 0; i < id->len; i++) {
        if (!(isalnum(id->data[i]) || id->data[i] == '-'
              || id->data[i] == '_' || id->data[i] == '.'))
        {
            return llmgw_conf_error(cx, "an id has only letters, digits, "
                                    "\"-\", \"_\" and \".\"");
        }
    }

    return NGX_CONF_OK;
}


/* a key belongs to at most one team or one customer; the store keys of a
 * request share a hash tag, its top entity, to share a Redis Cluster slot */

static char *
llmgw_conf_vkey_parent(llmgw_conf_ctx_t *cx, llmgw_vkey_t *vk, json_t *obj)
{
    json_t          *team, *customer;
    llmgw_entity_t  *top;

    team = json_object_get(obj, "team");
    customer = json_object_get(obj, "customer");

    if (team && customer) {
        return llmgw_conf_error(cx, "a key belongs to a team or to a "
                                "customer, not both");
    }

    if (team) {
        vk->entity.parent = json_is_string(team)
                            ? llmgw_conf_parent(cx, LLMGW_LEVEL_TEAM,
                                                json_string_value(team))
                            : NULL;
        if (vk->entity.parent == NULL) {
            return llmgw_conf_error(cx, "\"team\": no such team");
        }
    }

    if (customer) {
        vk->entity.parent = json_is_string(customer)
                            ? llmgw_conf_parent(cx, LLMGW_LEVEL_CUSTOMER,
                                                json_string_value(customer))
                            : NULL;
        if (vk->entity.parent == NULL) {
            return llmgw_conf_error(cx, "\"customer\": no such customer");
        }
    }

    for (top = &vk->entity; top->parent; top = top->parent) {
        /* void */
    }

    vk->tag.len = 2 + top->id.len;
    vk->tag.data = ngx_pnalloc(cx->pool, vk->tag.len);
    if (vk->tag.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(vk->tag.data, "%c:%V",
                top->level == LLMGW_LEVEL_CUSTOMER ? 'c'
                : top->level == LLMGW_LEVEL_TEAM ? 't' : 'k', &top->id);

    return NGX_CONF_OK;
}


static char *
llmgw_conf_providers(llmgw_conf_ctx_t *cx, json_t *root)
{
    char        *rv;
    json_t      *providers, *v;
    const char  *name;

    providers = json_object_get(root, "providers");
    if (providers == NULL) {
        return NGX_CONF_OK;
    }

    if (!json_is_object(providers)) {
        return llmgw_conf_error(cx, "\"providers\" must be an object");
    }

    json_object_foreach(providers, name, v) {
        ngx_snprintf((u_char *) cx->where, sizeof(cx->where) - 1,
                     "provider \"%s\"%Z", name);
        rv = llmgw_conf_provider(cx, name, v);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    return NGX_CONF_OK;
}


static char *
llmgw_conf_provider(llmgw_conf_ctx_t *cx, const char *name, json_t *obj)
{
    char              *rv;
    json_t            *v, *d;
    ngx_str_t          kind, credentials;
    const char        *model;
    llmgw_provider_t  *p;
    llmgw_deployment_t *dep;

    static const char *known[] = { "kind", "upstream", "scheme", "host",
                                   "base_path", "api_version", "keys",
                                   "models", "deployments", "project",
                                   "region", "credentials",
                                   "token_location", "default_max_tokens",
                                   NULL };

    if (!json_is_object(obj)) {
        return llmgw_conf_error(cx, "must be an object");
    }

    if (*name == '\0' || strchr(name, '/') != NULL) {
        return llmgw_conf_error(cx, "name must be non-empty, without \"/\"");
    }

    rv = llmgw_conf_unknown(cx, obj, known);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    p = ngx_array_push(&cx->lmcf->providers);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(p, sizeof(llmgw_provider_t));

    /* NUL-terminated: routing rules match it as a pattern's subject */
    p->name.len = ngx_strlen(name);
    p->name.data = ngx_pnalloc(cx->pool, p->name.len + 1);
    if (p->name.data == NULL) {
        return NGX_CONF_ERROR;
    }
    ngx_cpystrn(p->name.data, (u_char *) name, p->name.len + 1);

    if (llmgw_conf_str(cx, obj, "kind", &kind, 1) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    p->kind = llmgw_provider_kind(&kind);
    if (p->kind == NULL) {
        return llmgw_conf_error(cx, "unknown \"kind\": \"%V\"", &kind);
    }

    if (llmgw_conf_str(cx, obj, "upstream", &p->upstream, 1) != NGX_CONF_OK
        || llmgw_conf_str(cx, obj, "scheme", &p->scheme, 0) != NGX_CONF_OK
        || llmgw_conf_str(cx, obj, "host", &p->host, 0) != NGX_CONF_OK
        || llmgw_conf_str(cx, obj, "base_path", &p->base_path, 0)
           != NGX_CONF_OK
        || llmgw_conf_str(cx, obj, "api_version", &p->api_version, 0)
           != NGX_CONF_OK
        || llmgw_conf_str(cx, obj, "project", &p->project, 0) != NGX_CONF_OK
        || llmgw_conf_str(cx, obj, "region", &p->region, 0) != NGX_CONF_OK
        || llmgw_conf_str(cx, obj, "credentials", &credentials, 0)
           != NGX_CONF_OK
        || llmgw_conf_str(cx, obj, "token_location", &p->token_location, 0)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    v = json_object_get(obj, "default_max_tokens");
    p->default_max_tokens = 4096;

    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            return llmgw_conf_error(cx, "\"default_max_tokens\" must be a "
                                    "positive integer");
        }

        p->default_max_tokens = json_integer_value(v);
    }

    if (credentials.len > 5
        && ngx_strncmp(credentials.data, "file:", 5) == 0)
    {
        credentials.data += 5;
        credentials.len -= 5;
    }

    if (credentials.len) {
        rv = llmgw_gauth_conf(cx->cf, p, &credentials);
        if (rv != NGX_CONF_OK) {
            return llmgw_conf_error(cx, "\"credentials\": %s", rv);
        }
    }

    if (llmgw_conf_upstream_exists(cx->cf, &p->upstream) != NGX_OK) {
        return llmgw_conf_error(cx, "\"upstream\": no upstream block \"%V\" "
                                "in the http block", &p->upstream);
    }

    if (p->scheme.len == 0) {
        p->scheme = p->kind->scheme;
    }

    if (!(p->scheme.len == 4 && ngx_strncmp(p->scheme.data, "http", 4) == 0)
        && !(p->scheme.len == 5
             && ngx_strncmp(p->scheme.data, "https", 5) == 0))
    {
        return llmgw_conf_error(cx, "\"scheme\" must be \"http\" or "
                                "\"https\"");
    }

    if (p->base_path.len == 0) {
        p->base_path = p->kind->base_path;
    }

    if (p->base_path.len && p->base_path.data[0] != '/') {
        return llmgw_conf_error(cx, "\"base_path\" must start with \"/\"");
    }

    if (p->base_path.len && p->base_path.data[p->base_path.len - 1] == '/') {
        p->base_path.len--;
    }

    if (ngx_array_init(&p->keys, cx->pool, 2, sizeof(llmgw_api_key_t))
        != NGX_OK
        || ngx_array_init(&p->models, cx->pool, 4, sizeof(ngx_str_t))
           != NGX_OK
        || ngx_array_init(&p->deployments, cx->pool, 1,
                          sizeof(llmgw_deployment_t))
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    v = json_object_get(obj, "keys");
    if (v) {
        rv = llmgw_conf_api_keys(cx, p, v);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    v = json_object_get(obj, "models");
    if (v) {
        rv = llmgw_conf_models(cx, &p->models, v, "models");
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    v = json_object_get(obj, "deployments");
    if (v) {
        if (!json_is_object(v)) {
            return llmgw_conf_error(cx, "\"deployments\" must map model "
                                    "names to deployment names");
        }

        json_object_foreach(v, model, d) {
            if (!json_is_string(d) || json_string_length(d) == 0) {
                return llmgw_conf_error(cx, "\"deployments\".\"%s\" must be "
                                        "a non-empty string", model);
            }

            dep = ngx_array_push(&p->deployments);
            if (dep == NULL) {
                return NGX_CONF_ERROR;
            }

            dep->model.len = ngx_strlen(model);
            dep->model.data = ngx_pnalloc(cx->pool, dep->model.len);
            dep->deployment.len = json_string_length(d);
            dep->deployment.data = ngx_pnalloc(cx->pool,
                                               dep->deployment.len);
            if (dep->model.data == NULL || dep->deployment.data == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_memcpy(dep->model.data, model, dep->model.len);
            ngx_memcpy(dep->deployment.data, json_string_value(d),
                       dep->deployment.len);
        }
    }

    if (p->kind->init && p->kind->init(cx->cf, p) != NGX_OK) {
        return llmgw_conf_error(cx, "invalid settings for kind \"%V\"",
                                &p->kind->name);
    }

    if (p->host.len == 0) {
        p->host = p->kind->host.len ? p->kind->host : p->upstream;
    }

    return NGX_CONF_OK;
}


static char *
llmgw_conf_api_keys(llmgw_conf_ctx_t *cx, llmgw_provider_t *p, json_t *arr)
{
    char             *rv;
    size_t            i;
    json_t           *k, *value;
    llmgw_api_key_t  *key;

    static const char *known[] = { "id", "value", "weight", "access_key_id",
                                   "secret_access_key", "session_token",
                                   NULL };

    if (!json_is_array(arr)) {
        return llmgw_conf_error(cx, "\"keys\" must be an array");
    }

    json_array_foreach(arr, i, k) {
        if (!json_is_object(k)) {
            return llmgw_conf_error(cx, "\"keys\"[%uz] must be an object", i);
        }

        rv = llmgw_conf_unknown(cx, k, known);
        if (rv != NGX_CONF_OK) {
            return rv;
        }

        key = ngx_array_push(&p->keys);
        if (key == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(key, sizeof(llmgw_api_key_t));

        if (llmgw_conf_str(cx, k, "id", &key->id, 1) != NGX_CONF_OK
            || llmgw_conf_weight(cx, k, &key->wrr.weight) != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        key->health_id = llmgw_health_id(&p->name, &key->id);

        if (json_object_get(k, "access_key_id")) {
            rv = llmgw_conf_aws_key(cx, p, k, key);
            if (rv != NGX_CONF_OK) {
                return rv;
            }

            continue;
        }

        value = json_object_get(k, "value");
        if (!json_is_string(value)) {
            return llmgw_conf_error(cx, "\"keys\"[%uz] (\"%V\"): \"value\" "
                                    "must be \"env.NAME\" or \"file:PATH\"",
                                    i, &key->id);
        }

        rv = llmgw_conf_secret(cx, &key->secret, json_string_value(value));
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    return NGX_CONF_OK;
}


/* AWS credentials: an access key id and its secret, and a session token
 * for temporary ones; each named as a key "value" is */

static char *
llmgw_conf_aws_key(llmgw_conf_ctx_t *cx, llmgw_provider_t *p, json_t *k,
    llmgw_api_key_t *key)
{
    char        *rv;
    json_t      *v;
    ngx_uint_t   i;

    static const char  *fields[] = { "access_key_id", "secret_access_key",
                                     "session_token" };

    ngx_str_t  *out[] = { &key->access_key_id, &key->secret,
                          &key->session_token };

    if (p->kind->format != &llmgw_format_bedrock) {
        return llmgw_conf_error(cx, "key \"%V\": \"access_key_id\" is for "
                                "kind \"bedrock\"", &key->id);
    }

    if (json_object_get(k, "value")) {
        return llmgw_conf_error(cx, "key \"%V\": \"value\" (a Bedrock API "
                                "key) or \"access_key_id\", not both",
                                &key->id);
    }

    for (i = 0; i < 3; i++) {
        v = json_object_get(k, fields[i]);

        if (v == NULL && i == 2) {
            break;
        }

        if (!json_is_string(v)) {
            return llmgw_conf_error(cx, "key \"%V\": \"%s\" must be "
                                    "\"env.NAME\" or \"file:PATH\"",
                                    &key->id, fields[i]);
        }

        rv = llmgw_conf_secret(cx, out[i], json_string_value(v));
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    return NGX_CONF_OK;
}


/*
 * "routing_rules": [{"teams": ["eu"], "regions": ["eu-*", "europe-*"]},
 * {"keys": ["ci"], "providers": ["ollama"]}]: a key a rule names, by its
 * id, team or customer, keeps only the provider entries the rule allows.
 */

static char *
llmgw_conf_rules(llmgw_conf_ctx_t *cx, json_t *root)
{
    char    *rv;
    size_t   i;
    json_t  *arr, *v;

    if (ngx_array_init(&cx->lmcf->rules, cx->pool, 2,
                       sizeof(llmgw_rule_t))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    arr = json_object_get(root, "routing_rules");
    if (arr == NULL) {
        return NGX_CONF_OK;
    }

    if (!json_is_array(arr)) {
        return llmgw_conf_error(cx, "\"routing_rules\" must be an array");
    }

    json_array_foreach(arr, i, v) {
        ngx_snprintf((u_char *) cx->where, sizeof(cx->where) - 1,
                     "routing rule %uz%Z", i);

        rv = llmgw_conf_rule(cx, v);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    return NGX_CONF_OK;
}


static char *
llmgw_conf_rule(llmgw_conf_ctx_t *cx, json_t *obj)
{
    char          *rv;
    json_t        *v;
    ngx_uint_t     i;
    ngx_array_t   *lists[5];
    llmgw_rule_t  *rule;

    static const char  *fields[] = { "keys", "teams", "customers",
                                     "providers", "regions", NULL };

    if (!json_is_object(obj)) {
        return llmgw_conf_error(cx, "must be an object");
    }

    rv = llmgw_conf_unknown(cx, obj, fields);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    rule = ngx_array_push(&cx->lmcf->rules);
    if (rule == NULL) {
        return NGX_CONF_ERROR;
    }

    lists[0] = &rule->keys;
    lists[1] = &rule->teams;
    lists[2] = &rule->customers;
    lists[3] = &rule->providers;
    lists[4] = &rule->regions;

    for (i = 0; fields[i]; i++) {
        if (ngx_array_init(lists[i], cx->pool, 2, sizeof(ngx_str_t))
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        v = json_object_get(obj, fields[i]);

        if (v) {
            rv = llmgw_conf_models(cx, lists[i], v, fields[i]);
            if (rv != NGX_CONF_OK) {
                return rv;
            }
        }
    }

    if (rule->keys.nelts + rule->teams.nelts + rule->customers.nelts == 0) {
        return llmgw_conf_error(cx, "names no \"keys\", \"teams\" or "
                                "\"customers\"");
    }

    if (rule->providers.nelts + rule->regions.nelts == 0) {
        return llmgw_conf_error(cx, "allows no \"providers\" or "
                                "\"regions\"");
    }

    return NGX_CONF_OK;
}


static void
llmgw_conf_apply_rules(llmgw_conf_ctx_t *cx, llmgw_vkey_t *vk)
{
    ngx_uint_t      i, j, n;
    llmgw_rule_t   *rule;
    llmgw_route_t  *rt;

    rule = cx->lmcf->rules.elts;
    rt = vk->routes.elts;

    for (i = 0; i < cx->lmcf->rules.nelts; i++) {
        if (!llmgw_rule_names(&rule[i], vk)) {
            continue;
        }

        n = 0;

        for (j = 0; j < vk->routes.nelts; j++) {
            if (llmgw_rule_allows(&rule[i], rt[j].provider)) {
                rt[n++] = rt[j];
                continue;
            }

            if (cx->cf) {
                ngx_conf_log_error(NGX_LOG_NOTICE, cx->cf, 0, "llmgw: key "
                                   "\"%V\" may not use provider \"%V\": "
                                   "routing rule %ui", &vk->id,
                                   &rt[j].provider->name, i);
            }
        }

        vk->routes.nelts = n;
    }
}


static ngx_uint_t
llmgw_rule_names(llmgw_rule_t *rule, llmgw_vkey_t *vk)
{
    llmgw_entity_t  *e;

    if (llmgw_str_in(&rule->keys, &vk->id)) {
        return 1;
    }

    for (e = vk->entity.parent; e; e = e->parent) {
        if (llmgw_str_in(e->level == LLMGW_LEVEL_TEAM ? &rule->teams
                                                       : &rule->customers,
                         &e->id))
        {
            return 1;
        }
    }

    return 0;
}


static ngx_uint_t
llmgw_rule_allows(llmgw_rule_t *rule, llmgw_provider_t *p)
{
    return llmgw_models_match(&rule->providers, &p->name)
           || (p->region.len && llmgw_models_match(&rule->regions, &p->region));
}


static ngx_uint_t
llmgw_str_in(ngx_array_t *a, ngx_str_t *s)
{
    ngx_uint_t   i;
    ngx_str_t   *e;

    e = a->elts;

    for (i = 0; i < a->nelts; i++) {
        if (e[i].len == s->len && ngx_strncmp(e[i].data, s->data, s->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* A provider key is named, never written, in the file: env.NAME or
 * file:PATH (relative to nginx's configuration directory). */

static char *
llmgw_conf_secret(llmgw_conf_ctx_t *cx, ngx_str_t *out, const char *spec)
{
    char         *env;
    size_t        n;
    ngx_str_t     path;
    const char   *why;

    if (ngx_strncmp(spec, "env.", 4) == 0) {
        env = getenv(spec + 4);
        if (env == NULL || *env == '\0') {
            return llmgw_conf_error(cx, "environment variable \"%s\" is not "
                                    "set", spec + 4);
        }

        out->len = ngx_strlen(env);
        out->data = ngx_pnalloc(cx->pool, out->len);
        if (out->data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(out->data, env, out->len);
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(spec, "file:", 5) != 0) {
        return llmgw_conf_error(cx, "a key \"value\" must be \"env.NAME\" or "
                                "\"file:PATH\", never the key itself");
    }

    path.len = ngx_strlen(spec + 5);
    path.data = (u_char *) spec + 5;

    switch (llmgw_conf_read_file(cx->cf, &path, 64 * 1024, cx->pool, out,
                                 &why))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        return llmgw_conf_error(cx, "key file \"%V\" %s", &path, why);

    default:
        return NGX_CONF_ERROR;
    }

    n = out->len;

    while (n && (out->data[n - 1] == '\n' || out->data[n - 1] == '\r'
                 || out->data[n - 1] == ' ' || out->data[n - 1] == '\t'))
    {
        n--;
    }

    if (n == 0) {
        return llmgw_conf_error(cx, "key file \"%V\" is empty", &path);
    }

    out->len = n;

    return NGX_CONF_OK;
}


static char *
llmgw_conf_vkeys(llmgw_conf_ctx_t *cx, json_t *root)
{
    char    *rv;
    size_t   i;
    json_t  *arr, *v;

    arr = json_object_get(root, "virtual_keys");
    if (arr == NULL) {
        return NGX_CONF_OK;
    }

    if (!json_is_array(arr)) {
        return llmgw_conf_error(cx, "\"virtual_keys\" must be an array");
    }

    json_array_foreach(arr, i, v) {
        ngx_snprintf((u_char *) cx->where, sizeof(cx->where) - 1,
                     "virtual_keys[%uz]%Z", i);
        rv = llmgw_conf_vkey(cx, v);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    return NGX_CONF_OK;
}


static char *
llmgw_conf_vkey(llmgw_conf_ctx_t *cx, json_t *obj)
{
    char          *rv;
    json_t        *v;
    ngx_str_t      hex;
    llmgw_vkey_t  *vk;

    static const char *known[] = { "id", "name", "key_sha256", "enabled",
                                   "expires_at", "providers", "team",
                                   "customer", "rate_limit", "budgets",
                                   "fallbacks", "audit_content",
                                   "guardrails", "aliases", NULL };

    if (!json_is_object(obj)) {
        return llmgw_conf_error(cx, "must be an object");
    }

    vk = ngx_pcalloc(cx->pool, sizeof(llmgw_vkey_t));
    if (vk == NULL
        || ngx_array_init(&vk->fallbacks, cx->pool, 2, sizeof(ngx_str_t))
           != NGX_OK
        || ngx_array_init(&vk->aliases, cx->pool, 1,
                          sizeof(llmgw_alias_t)) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (llmgw_conf_str(cx, obj, "id", &vk->id, 1) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_snprintf((u_char *) cx->where, sizeof(cx->where) - 1,
                 "virtual key \"%V\"%Z", &vk->id);

    rv = llmgw_conf_unknown(cx, obj, known);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    vk->entity.level = LLMGW_LEVEL_KEY;
    vk->entity.id = vk->id;

    if (llmgw_conf_id(cx, &vk->id) != NGX_CONF_OK
        || llmgw_conf_limits(cx, &vk->entity, obj) != NGX_CONF_OK
        || llmgw_conf_vkey_parent(cx, vk, obj) != NGX_CONF_OK
        || llmgw_conf_guard_ref(cx, obj, &vk->entity) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (llmgw_conf_str(cx, obj, "name", &vk->name, 0) != NGX_CONF_OK
        || llmgw_conf_str(cx, obj, "key_sha256", &hex, 1) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (vk->name.len == 0) {
        vk->name = vk->id;
    }

    if (hex.len != 2 * LLMGW_DIGEST_LEN
        || llmgw_hex_decode(vk->digest, hex.data, hex.len) != NGX_OK)
    {
        return llmgw_conf_error(cx, "\"key_sha256\" must be 64 hex digits: "
                                "the SHA-256 of the key");
    }

    v = json_object_get(obj, "enabled");
    if (v && !json_is_boolean(v)) {
        return llmgw_conf_error(cx, "\"enabled\" must be true or false");
    }

    vk->enabled = (v == NULL || json_is_true(v));

    v = json_object_get(obj, "audit_content");
    if (v && !json_is_boolean(v)) {
        return llmgw_conf_error(cx, "\"audit_content\" must be true or "
                                "false");
    }

    vk->audit_content = json_is_true(v);

    v = json_object_get(obj, "expires_at");
    if (v && llmgw_parse_time(v, &vk->expires) != NGX_OK) {
        return llmgw_conf_error(cx, "\"expires_at\" must be UTC "
                                "\"YYYY-MM-DDThh:mm:ssZ\" or a Unix time");
    }

    rv = llmgw_conf_routes(cx, vk, json_object_get(obj, "providers"));
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    v = json_object_get(obj, "fallbacks");
    if (v) {
        rv = llmgw_conf_models(cx, &vk->fallbacks, v, "fallbacks");
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    v = json_object_get(obj, "aliases");
    if (v) {
        rv = llmgw_conf_alias_map(cx, v, &vk->aliases);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    llmgw_conf_apply_rules(cx, vk);

    if (llmgw_limits_keys(cx->pool, vk) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (cx->view) {
        return (llmgw_view_insert(cx->view, vk) == NGX_OK)
               ? NGX_CONF_OK
               : llmgw_conf_error(cx, "\"key_sha256\" is the digest of "
                                  "another virtual key");
    }

    if (llmgw_conf_keep(cx, obj, &vk->doc) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (llmgw_vkey_insert(cx->lmcf, vk) != NGX_OK) {
        return llmgw_conf_error(cx, "\"key_sha256\" is the digest of "
                                "another virtual key");
    }

    return NGX_CONF_OK;
}


/* a file key as written: the admin API shows it, and reads it again when
 * it moves under a team or customer the API changed */

static char *
llmgw_conf_keep(llmgw_conf_ctx_t *cx, json_t *obj, ngx_str_t *doc)
{
    char  *text;

    text = json_dumps(obj, JSON_COMPACT);
    if (text == NULL) {
        return NGX_CONF_ERROR;
    }

    doc->len = ngx_strlen(text);
    doc->data = ngx_pnalloc(cx->pool, doc->len);

    if (doc->data == NULL) {
        free(text);
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(doc->data, text, doc->len);
    free(text);

    return NGX_CONF_OK;
}


/*
 * The admin API's entities, at run time: a key ('k') into the view's tree,
 * a team ('t') or customer ('c') onto the array given, read exactly as the
 * governance file's; NGX_DECLINED with err set when it is wrong.
 */

ngx_int_t
llmgw_config_doc(llmgw_main_conf_t *lmcf, llmgw_view_t *view,
    ngx_pool_t *pool, u_char kind, ngx_str_t *id, json_t *doc,
    ngx_array_t *into, u_char *err, size_t errlen)
{
    u_char            buf[LLMGW_MAX_ID_LEN + 1];
    ngx_uint_t        n;
    llmgw_conf_ctx_t  cx;

    ngx_memzero(&cx, sizeof(llmgw_conf_ctx_t));
    cx.pool = pool;
    cx.lmcf = lmcf;
    cx.view = view;
    cx.err = err;
    cx.errlen = errlen;
    ngx_cpystrn((u_char *) cx.where, (u_char *) "entity", sizeof(cx.where));

    if (kind == 'k') {
        return (llmgw_conf_vkey(&cx, doc) == NGX_CONF_OK)
               ? NGX_OK : NGX_DECLINED;
    }

    if (id->len > LLMGW_MAX_ID_LEN) {
        ngx_snprintf(err, errlen, "an id is 1 to %d characters%Z",
                     LLMGW_MAX_ID_LEN);
        return NGX_DECLINED;
    }

    ngx_cpystrn(buf, id->data, id->len + 1);
    n = into->nelts;

    if (llmgw_conf_entity_one(&cx, (char *) buf, doc, into,
                              kind == 't' ? LLMGW_LEVEL_TEAM
                                          : LLMGW_LEVEL_CUSTOMER)
        != NGX_CONF_OK)
    {
        /* no half-read entity for keys to find */
        into->nelts = n;
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static char *
llmgw_conf_routes(llmgw_conf_ctx_t *cx, llmgw_vkey_t *vk, json_t *arr)
{
    char           *rv;
    size_t          i;
    json_t         *e, *v;
    ngx_str_t       name;
    llmgw_route_t  *rt;

    static const char *known[] = { "provider", "models", "weight",
                                   "rate_limit", "budgets", NULL };

    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        return llmgw_conf_error(cx, "\"providers\" must be a non-empty array "
                                "of provider names or "
                                "{\"provider\",\"models\",\"weight\"}");
    }

    if (ngx_array_init(&vk->routes, cx->pool, json_array_size(arr),
                       sizeof(llmgw_route_t))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    json_array_foreach(arr, i, e) {
        rt = ngx_array_push(&vk->routes);
        if (rt == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(rt, sizeof(llmgw_route_t));
        rt->wrr.weight = 1;

        if (ngx_array_init(&rt->models, cx->pool, 2, sizeof(ngx_str_t))
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        if (json_is_string(e)) {
            name.len = json_string_length(e);
            name.data = (u_char *) json_string_value(e);

        } else if (json_is_object(e)) {
            rv = llmgw_conf_unknown(cx, e, known);
            if (rv != NGX_CONF_OK) {
                return rv;
            }

            if (llmgw_conf_str(cx, e, "provider", &name, 1) != NGX_CONF_OK
                || llmgw_conf_weight(cx, e, &rt->wrr.weight) != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            v = json_object_get(e, "models");
            if (v) {
                rv = llmgw_conf_models(cx, &rt->models, v, "models");
                if (rv != NGX_CONF_OK) {
                    return rv;
                }
            }

        } else {
            return llmgw_conf_error(cx, "\"providers\"[%uz] must be a name "
                                    "or an object", i);
        }

        rt->provider = llmgw_provider_find(cx->lmcf, name.data, name.len);
        if (rt->provider == NULL) {
            return llmgw_conf_error(cx, "\"providers\"[%uz]: unknown "
                                    "provider \"%V\"", i, &name);
        }

        rt->entity.level = LLMGW_LEVEL_ROUTE;
        rt->entity.id = rt->provider->name;
        rt->entity.parent = &vk->entity;

        if (llmgw_conf_limits(cx, &rt->entity, json_is_object(e) ? e : NULL)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
llmgw_conf_aliases(llmgw_conf_ctx_t *cx, json_t *root)
{
    json_t  *obj;

    obj = json_object_get(root, "aliases");
    if (obj == NULL) {
        return NGX_CONF_OK;
    }

    ngx_cpystrn((u_char *) cx->where, (u_char *) "aliases",
                sizeof(cx->where));

    return llmgw_conf_alias_map(cx, obj, &cx->lmcf->aliases);
}


/* names first, then patterns in the file's order: a name always wins over
 * a pattern that also matches it */

static char *
llmgw_conf_alias_map(llmgw_conf_ctx_t *cx, json_t *obj, ngx_array_t *aliases)
{
    char        *rv;
    json_t      *v;
    ngx_uint_t   patterns;
    const char  *from;

    if (!json_is_object(obj)) {
        return llmgw_conf_error(cx, "\"aliases\" must map model names to "
                                "model names");
    }

    for (patterns = 0; patterns < 2; patterns++) {
        json_object_foreach(obj, from, v) {
            if ((strpbrk(from, "*?[") != NULL) != patterns) {
                continue;
            }

            rv = llmgw_conf_alias(cx, aliases, from, v);
            if (rv != NGX_CONF_OK) {
                return rv;
            }
        }
    }

    return NGX_CONF_OK;
}


static char *
llmgw_conf_alias(llmgw_conf_ctx_t *cx, ngx_array_t *aliases,
    const char *from, json_t *v)
{
    const char     *to, *star;
    llmgw_alias_t  *a;

    to = json_is_string(v) ? json_string_value(v) : NULL;

    if (to == NULL || *to == '\0' || *from == '\0'
        || json_string_length(v) > LLMGW_MAX_MODEL_LEN
        || ngx_strlen(from) > LLMGW_MAX_MODEL_LEN)
    {
        return llmgw_conf_error(cx, "alias \"%s\" must map to a model name",
                                from);
    }

    star = strchr(to, '*');

    if (star && (strchr(star + 1, '*') || strpbrk(to, "?["))) {
        return llmgw_conf_error(cx, "alias \"%s\": its target may hold one "
                                "'*' (the name asked for), no other "
                                "pattern", from);
    }

    a = ngx_array_push(aliases);
    if (a == NULL) {
        return NGX_CONF_ERROR;
    }

    a->pattern = (strpbrk(from, "*?[") != NULL);
    a->from.len = ngx_strlen(from);
    a->from.data = ngx_pnalloc(cx->pool, a->from.len + 1);
    a->to.len = json_string_length(v);
    a->to.data = ngx_pnalloc(cx->pool, a->to.len + 1);
    if (a->from.data == NULL || a->to.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(a->from.data, (u_char *) from, a->from.len + 1);
    ngx_cpystrn(a->to.data, (u_char *) to, a->to.len + 1);

    return NGX_CONF_OK;
}


static char *
llmgw_conf_models(llmgw_conf_ctx_t *cx, ngx_array_t *a, json_t *arr,
    const char *field)
{
    size_t      i, len;
    json_t     *m;
    ngx_str_t  *s;

    if (!json_is_array(arr)) {
        return llmgw_conf_error(cx, "\"%s\" must be an array of model names",
                                field);
    }

    json_array_foreach(arr, i, m) {
        len = json_is_string(m) ? json_string_length(m) : 0;

        if (len == 0 || len > LLMGW_MAX_MODEL_LEN) {
            return llmgw_conf_error(cx, "\"%s\"[%uz] must be a name or "
                                    "pattern of 1 to %d bytes", field, i,
                                    LLMGW_MAX_MODEL_LEN);
        }

        s = ngx_array_push(a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        s->len = len;
        s->data = ngx_pnalloc(cx->pool, len + 1);
        if (s->data == NULL) {
            return NGX_CONF_ERROR;
        }

        /* NUL-terminated for fnmatch() */
        ngx_cpystrn(s->data, (u_char *) json_string_value(m), len + 1);
    }

    return NGX_CONF_OK;
}


static char *
llmgw_conf_str(llmgw_conf_ctx_t *cx, json_t *obj, const char *field,
    ngx_str_t *out, ngx_flag_t required)
{
    json_t  *v;

    v = json_object_get(obj, field);

    if (v == NULL) {
        ngx_str_null(out);

        if (required) {
            return llmgw_conf_error(cx, "\"%s\" is required", field);
        }

        return NGX_CONF_OK;
    }

    if (!json_is_string(v) || json_string_length(v) == 0) {
        return llmgw_conf_error(cx, "\"%s\" must be a non-empty string",
                                field);
    }

    out->len = json_string_length(v);
    out->data = ngx_pnalloc(cx->pool, out->len + 1);
    if (out->data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(out->data, (u_char *) json_string_value(v), out->len + 1);

    return NGX_CONF_OK;
}


static char *
llmgw_conf_weight(llmgw_conf_ctx_t *cx, json_t *obj, ngx_int_t *weight)
{
    json_t  *v;

    v = json_object_get(obj, "weight");

    if (v == NULL) {
        *weight = 1;
        return NGX_CONF_OK;
    }

    if (!json_is_integer(v) || json_integer_value(v) < 0
        || json_integer_value(v) > 1000000)
    {
        return llmgw_conf_error(cx, "\"weight\" must be an integer from 0 "
                                "to 1000000");
    }

    *weight = (ngx_int_t) json_integer_value(v);

    return NGX_CONF_OK;
}


ngx_int_t
llmgw_hex_decode(u_char *dst, u_char *hex, size_t len)
{
    ngx_int_t  hi, lo;
    size_t     i;

    if (len % 2) {
        return NGX_ERROR;
    }

    for (i = 0; i < len; i += 2) {
        hi = ngx_hextoi(&hex[i], 1);
        lo = ngx_hextoi(&hex[i + 1], 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            return NGX_ERROR;
        }

        *dst++ = (u_char) (hi * 16 + lo);
    }

    return NGX_OK;
}


static char *
llmgw_conf_unknown(llmgw_conf_ctx_t *cx, json_t *obj, const char **known)
{
    json_t       *v;
    const char   *key, **k;

    json_object_foreach(obj, key, v) {
        for (k = known; *k; k++) {
            if (ngx_strcmp(key, *k) == 0) {
                break;
            }
        }

        if (*k == NULL) {
            return llmgw_conf_error(cx, "unknown field \"%s\"", key);
        }
    }

    return NGX_CONF_OK;
}


static char *
llmgw_conf_error(llmgw_conf_ctx_t *cx, const char *fmt, ...)
{
    u_char   *p, buf[NGX_MAX_CONF_ERRSTR];
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    if (cx->cf == NULL) {
        p = ngx_snprintf(cx->err, cx->errlen - 1, "%s: %*s", cx->where,
                         p - buf, buf);
        *p = '\0';
        return NGX_CONF_ERROR;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cx->cf, 0,
                       "llmgw_config \"%V\": %s: %*s",
                       &cx->lmcf->file, cx->where, p - buf, buf);

    return NGX_CONF_ERROR;
}


static ngx_int_t
llmgw_conf_upstream_exists(ngx_conf_t *cf, ngx_str_t *name)
{
    ngx_uint_t                      i;
    ngx_http_upstream_srv_conf_t  **uscfp;
    ngx_http_upstream_main_conf_t  *umcf;

    umcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_upstream_module);
    uscfp = umcf->upstreams.elts;

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        if ((uscfp[i]->flags & NGX_HTTP_UPSTREAM_CREATE)
            && uscfp[i]->host.len == name->len
            && ngx_strncasecmp(uscfp[i]->host.data, name->data, name->len)
               == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * A file named in the configuration (relative to nginx's configuration
 * directory; path becomes its full name), read whole into out at
 * configuration time: NGX_OK; NGX_DECLINED with why ("cannot be opened",
 * "is unreadable or over N KB", "cannot be read"); NGX_ERROR.
 */

ngx_int_t
llmgw_conf_read_file(ngx_conf_t *cf, ngx_str_t *path, size_t max,
    ngx_pool_t *pool, ngx_str_t *out, const char **why)
{
    ssize_t           n;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = *path;
    file.log = cf->log;

    file.fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        *why = "cannot be opened";
        return NGX_DECLINED;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR
        || (size_t) ngx_file_size(&fi) > max)
    {
        ngx_close_file(file.fd);
        *why = "is unreadable or too large";
        return NGX_DECLINED;
    }

    out->data = ngx_pnalloc(pool, ngx_file_size(&fi) + 1);
    if (out->data == NULL) {
        ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    n = ngx_read_file(&file, out->data, ngx_file_size(&fi), 0);
    ngx_close_file(file.fd);

    if (n != ngx_file_size(&fi)) {
        *why = "cannot be read";
        return NGX_DECLINED;
    }

    out->len = n;
    out->data[n] = '\0';

    return NGX_OK;
}
